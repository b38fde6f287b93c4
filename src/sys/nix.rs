//! Evaluates a Nix file to JSON with the real `nix-instantiate --eval --strict --json`, for reading
//! `leaf-config.nix`. Runs a local process only; it does not interpret the result.

use super::process::{self, RawOutput, RunError};
use std::path::Path;
use std::time::Duration;

/// Evaluate `file`. `Ok(None)` when `nix-instantiate` is not installed; otherwise its output, whatever
/// the exit status (the caller reads stderr for the reason of a failure).
pub fn eval_json(file: &Path, timeout: Duration) -> Result<Option<RawOutput>, RunError> {
    let mut cmd = process::command("nix-instantiate");
    cmd.args(["--eval", "--strict", "--json", "--"]).arg(file);
    match process::run_with_deadline(cmd, "", timeout) {
        Err(RunError::Spawn { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        other => other.map(Some),
    }
}
