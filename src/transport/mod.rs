//! How the probe script reaches a host and its output comes back: one round trip per host.
//!
//! This is the only place that starts processes (see clippy.toml). It must not interpret the output.

pub mod git;
pub mod http;
pub mod local;
pub mod nix;
pub mod nvml;
pub mod process;
pub mod replay;
pub mod ssh;

use std::time::Duration;

pub use local::Local;
pub use ssh::{Ssh, SshTarget};

/// What came back from running the script.
#[derive(Debug, Clone, Default)]
pub struct RawOutput {
    /// Bytes on standard output.
    pub stdout: Vec<u8>,
    /// Bytes on standard error.
    pub stderr: Vec<u8>,
    /// Exit status; `None` when killed by a signal.
    pub status: Option<i32>,
}

/// Why the script could not be run or its output not collected.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The program (sh, ssh) could not be started.
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
    /// ssh itself failed (unreachable host, refused authentication, host key mismatch).
    #[error("ssh failed: {0}")]
    Ssh(String),
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

/// A way to run the probe script on a host.
pub trait Transport: Send + Sync {
    /// Run `script` with `sh -s` on the host, feeding it on stdin; give up after `timeout`.
    fn run(&self, script: &str, timeout: Duration) -> Result<RawOutput, TransportError>;
    /// `local` or `ssh`.
    fn kind(&self) -> &'static str;
    /// What the user named (the SSH destination), if anything.
    fn target(&self) -> Option<String>;
}
