//! Runs `git` in the inventory root (the inventory is often the user's flake repository).

use super::process;
use std::path::Path;

/// Run `git -C root ARGS...` and return its stdout, or its stderr as the error.
pub fn git(root: &Path, args: &[&str]) -> Result<String, String> {
    let mut cmd = process::command("git");
    cmd.arg("-C").arg(root).args(args);
    let out = process::output(cmd).map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}
