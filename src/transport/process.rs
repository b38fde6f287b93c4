//! Runs one child process with its stdin fed from memory and a hard deadline.

use super::{RawOutput, TransportError};
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Set once the user asked to stop (Ctrl-C during a fleet run): running children are killed at the next
/// check and no new one starts.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Stop every running child and refuse new ones. Only an atomic store, so a signal handler may call it.
pub fn interrupt() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Whether [`interrupt`] was called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Run `cmd` to completion, or kill its whole process group at the deadline.
///
/// The child gets its own process group so that a timeout also ends the probe's background sections,
/// which would otherwise keep the output pipe open.
pub fn run_with_deadline(
    mut cmd: Command,
    stdin: &str,
    timeout: Duration,
) -> Result<RawOutput, TransportError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    if interrupted() {
        return Err(TransportError::Interrupted);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|source| TransportError::Spawn {
        program: program.clone(),
        source,
    })?;
    let pid = child.id();
    let io_err = |source| TransportError::Io {
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
                    return Err(TransportError::Interrupted);
                }
                return Err(TransportError::Timeout(timeout));
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
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is shared.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}
