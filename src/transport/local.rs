//! Runs the probe on this machine with the same script and parser as a remote host.

use super::{process, RawOutput, Transport, TransportError};
use std::process::Command;
use std::time::Duration;

/// This machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct Local;

impl Transport for Local {
    fn run(&self, script: &str, timeout: Duration) -> Result<RawOutput, TransportError> {
        #[allow(clippy::disallowed_methods)] // transport is where processes start
        let mut cmd = Command::new("sh");
        cmd.arg("-s");
        process::run_with_deadline(cmd, script, timeout)
    }

    fn kind(&self) -> &'static str {
        "local"
    }

    fn target(&self) -> Option<String> {
        None
    }
}
