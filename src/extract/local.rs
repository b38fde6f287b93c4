//! Runs the probe on this machine with the same script and parser as a remote host.

use super::transport::{RawOutput, Transport, TransportError};
use crate::sys::process;
use std::time::Duration;

/// This machine.
#[derive(Debug, Default, Clone, Copy)]
pub struct Local;

impl Transport for Local {
    fn run(&self, script: &str, timeout: Duration) -> Result<RawOutput, TransportError> {
        let mut cmd = process::command("sh");
        cmd.arg("-s");
        Ok(process::run_with_deadline(cmd, script, timeout)?)
    }

    fn kind(&self) -> &'static str {
        "local"
    }

    fn target(&self) -> Option<String> {
        None
    }
}
