//! Starts child processes: the one place that may (see clippy.toml). A child runs with its stdin fed
//! from memory and a hard deadline, and is killed with its whole process group when the deadline passes
//! or a stop is requested (Ctrl-C).

use super::signals::stop_requested as interrupted;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// The default for [`output_limit`]: 64 MiB per stream. A real probe prints well under 5 MB (a Mac's
/// `system_profiler` JSON is the largest part), so this only stops hosts that stream without end.
pub const DEFAULT_OUTPUT_LIMIT: u64 = 64 << 20;

static OUTPUT_LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_OUTPUT_LIMIT);

/// Set the most bytes [`run_with_deadline`] keeps of a child's stdout, and of its stderr, before it
/// kills the child (`extract --max-output`). Process-wide, because every host of a fleet run shares it.
pub fn set_output_limit(bytes: u64) {
    OUTPUT_LIMIT.store(bytes.max(1), Ordering::Relaxed);
}

/// The current per-stream output limit in bytes.
pub fn output_limit() -> u64 {
    OUTPUT_LIMIT.load(Ordering::Relaxed)
}

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
    /// The process printed more than the output limit on one stream; it was killed.
    #[error("'{program}' printed more than {limit} bytes on {stream}; stopped it (raise --max-output if this host is genuine)")]
    TooMuchOutput {
        /// Program name.
        program: String,
        /// `stdout` or `stderr`.
        stream: &'static str,
        /// The limit in bytes.
        limit: u64,
    },
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
    let limit = output_limit();
    let (tx, rx) = mpsc::channel();
    let err_tx = tx.clone();
    let err_reader =
        thread::spawn(move || read_bounded(&mut child_stderr, limit, pid, "stderr", &err_tx));
    thread::spawn(move || {
        let res = read_bounded(&mut child_stdout, limit, pid, "stdout", &tx);
        let _ = tx.send(Event::Stdout(res));
    });
    let deadline = Instant::now() + timeout;
    let stop = |child: &mut Child, err: RunError| {
        kill_group(pid);
        let _ = child.wait();
        Err(if interrupted() {
            RunError::Interrupted
        } else {
            err
        })
    };
    // Wait in short slices so an interrupt is noticed promptly; the deadline covers the whole run,
    // including a child that closes stdout and then lingers.
    let mut stdout = None;
    let status = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || interrupted() {
            return stop(&mut child, RunError::Timeout(timeout));
        }
        if stdout.is_some() {
            if let Some(status) = child.try_wait().map_err(io_err)? {
                break status;
            }
        }
        let slice = left.min(Duration::from_millis(if stdout.is_some() {
            10
        } else {
            50
        }));
        match rx.recv_timeout(slice) {
            Ok(Event::Stdout(Ok(buf))) => stdout = Some(buf),
            Ok(Event::Stdout(Err(e))) => return stop(&mut child, io_err(e)),
            Ok(Event::Overflow(stream)) => {
                return stop(
                    &mut child,
                    RunError::TooMuchOutput {
                        program: program.clone(),
                        stream,
                        limit,
                    },
                )
            }
            Err(_) => {}
        }
    };
    let _ = writer.join();
    let stderr = err_reader
        .join()
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    // stderr may have hit the limit just before the child exited.
    if let Ok(Event::Overflow(stream)) = rx.try_recv() {
        return Err(RunError::TooMuchOutput {
            program,
            stream,
            limit,
        });
    }
    Ok(RawOutput {
        stdout: stdout.unwrap_or_default(),
        stderr,
        status: status.code(),
    })
}

/// What the reader threads report to the waiting one.
enum Event {
    /// All of stdout (the pipe closed), or why reading it failed.
    Stdout(std::io::Result<Vec<u8>>),
    /// A stream went past the limit; the process group has been killed.
    Overflow(&'static str),
}

/// Read `r` to its end, keeping at most `limit` bytes. Past the limit, kill the process group (so the
/// child cannot block on a full pipe), report it on `tx` and stop reading.
fn read_bounded(
    r: &mut impl Read,
    limit: u64,
    pid: u32,
    stream: &'static str,
    tx: &mpsc::Sender<Event>,
) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut chunk) {
            Ok(0) => return Ok(buf),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if (buf.len() + n) as u64 > limit {
            kill_group(pid);
            let _ = tx.send(Event::Overflow(stream));
            return Err(std::io::Error::other(format!(
                "{stream} over the output limit"
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
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
