//! How the probe script reaches a host and its output comes back: one round trip per host.
//!
//! Transports build the command line; `sys::process` starts it. They must not interpret the output.

pub use crate::sys::process::RawOutput;
use crate::sys::process::RunError;
use std::time::Duration;

/// Why the script could not be run or its output not collected.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Starting, feeding or waiting for the local process failed, or it ran out of time.
    #[error(transparent)]
    Run(#[from] RunError),
    /// ssh itself failed (unreachable host, refused authentication, host key mismatch).
    #[error("ssh failed: {0}")]
    Ssh(String),
}

impl TransportError {
    /// True when the run was stopped by Ctrl-C rather than failing on its own.
    pub fn is_interrupted(&self) -> bool {
        matches!(self, TransportError::Run(RunError::Interrupted))
    }
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
