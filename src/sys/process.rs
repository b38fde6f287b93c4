//! Starts child processes: the one place that may (see clippy.toml). A child runs with its stdin fed
//! from memory and a hard deadline, and is killed with its whole process group when the deadline passes
//! or a stop is requested (Ctrl-C).

use super::signals::stop_requested as interrupted;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// What came back from a child.
#[derive(Debug, Clone, Default)]
pub struct RawOutput {
    /// Bytes on standard output.
    pub stdout: Vec<u8>,
    /// Bytes on standard error.
    pub stderr: Vec<u8>,
    /// Exit status; `None` when killed by a signal.
    pub status: Option<i32>,
}

/// Why a child could not be run or its output not collected.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program could not be started.
    #[error("cannot start '{program}': {source}")]
    Spawn {
        /// Program name.
        program: String,
        /// OS error.
        source: std::io::Error,
    },
    /// No complete answer within the time bound; the process was killed.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The user interrupted the run (Ctrl-C); the process was killed.
    #[error("interrupted")]
    Interrupted,
    /// Reading or writing the process's pipes failed.
    #[error("i/o with '{program}' failed: {source}")]
    Io {
        /// Program name.
        program: String,
        /// OS error.
        source: std::io::Error,
    },
}

/// A command for `program`, to be run by [`run_with_deadline`] or [`output`].
pub fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    #[allow(clippy::disallowed_methods)] // sys::process is where processes start
    Command::new(program)
}

/// Run `cmd` to completion with empty stdin and return its output (for short local tools: git, nix).
pub fn output(mut cmd: Command) -> std::io::Result<std::process::Output> {
    cmd.stdin(Stdio::null()).output()
}

/// Run `cmd` to completion, or kill its whole process group at the deadline.
///
/// The child gets its own process group so that a timeout also ends the probe's background sections,
/// which would otherwise keep the output pipe open.
pub fn run_with_deadline(
    mut cmd: Command,
    stdin: &str,
    timeout: Duration,
) -> Result<RawOutput, RunError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    if interrupted() {
        return Err(RunError::Interrupted);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|source| RunError::Spawn {
        program: program.clone(),
        source,
    })?;
    let pid = child.id();
    let io_err = |source| RunError::Io {
        program: program.clone(),
        source,
    };
    let mut child_stdin = child.stdin.take().ok_or_else(|| io_err(missing_pipe()))?;
    let mut child_stdout = child.stdout.take().ok_or_else(|| io_err(missing_pipe()))?;
    let mut child_stderr = child.stderr.take().ok_or_else(|| io_err(missing_pipe()))?;
    let input = stdin.to_owned();
    // A writer that fails (the host closed stdin early) is not an error by itself: the exit status tells.
    let writer = thread::spawn(move || {
        let _ = child_stdin.write_all(input.as_bytes());
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = child_stderr.read_to_end(&mut buf);
        buf
    });
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let res = child_stdout.read_to_end(&mut buf).map(|_| buf);
        let _ = tx.send(res);
    });
    // Wait in short slices so an interrupt is noticed promptly.
    let deadline = Instant::now() + timeout;
    let stdout = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(50))) {
            Ok(res) => break res.map_err(io_err)?,
            Err(mpsc::RecvTimeoutError::Timeout) if !interrupted() && !left.is_zero() => {}
            Err(_) => {
                kill_group(pid);
                let _ = child.wait();
                if interrupted() {
                    return Err(RunError::Interrupted);
                }
                return Err(RunError::Timeout(timeout));
            }
        }
    };
    let status = child.wait().map_err(io_err)?;
    let _ = writer.join();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(RawOutput {
        stdout,
        stderr,
        status: status.code(),
    })
}

fn missing_pipe() -> std::io::Error {
    std::io::Error::other("child pipe missing")
}

fn kill_group(pid: u32) {
    let pgid = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw);
    if let Some(pgid) = pgid {
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
}
