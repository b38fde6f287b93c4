//! Runs `git` in the inventory root (the inventory is often the user's flake repository).

use std::path::Path;
use std::process::{Command, Stdio};

/// Run `git -C root ARGS...` and return its stdout, or its stderr as the error.
pub fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    #[allow(clippy::disallowed_methods)] // transport is where processes start
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
