//! Flakes only see files git tracks: after writing, warn about (or `git add`) untracked inventory files.

use std::path::{Path, PathBuf};

/// When `root` is inside a git work tree, `git add` the files (if `add`) or warn about untracked ones.
/// Git being absent or the root not being a repository is normal and silent.
pub fn track(root: &Path, files: &[PathBuf], add: bool) {
    let files: Vec<&PathBuf> = files.iter().filter(|f| f.exists()).collect();
    if files.is_empty() || !inside_work_tree(root) {
        return;
    }
    let rel: Vec<String> = files
        .iter()
        .map(|f| f.strip_prefix(root).unwrap_or(f).display().to_string())
        .collect();
    if add {
        if let Err(e) = crate::sys::git::git(
            root,
            &[
                &["add", "--"][..],
                &rel.iter().map(String::as_str).collect::<Vec<_>>(),
            ]
            .concat(),
        ) {
            eprintln!("warning: git add failed: {e}");
        }
        return;
    }
    let mut args = vec!["ls-files", "--others", "--exclude-standard", "--"];
    args.extend(rel.iter().map(String::as_str));
    if let Ok(out) = crate::sys::git::git(root, &args) {
        let untracked: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
        if !untracked.is_empty() {
            eprintln!(
                "warning: {} new file(s) not tracked by git, so the flake cannot see them: {} (run with --git-add, or git add them)",
                untracked.len(),
                untracked.join(", ")
            );
        }
    }
}

/// Asking git costs a process; a `.git` in the root or an ancestor is checked first, so an inventory
/// outside any repository costs nothing.
fn inside_work_tree(root: &Path) -> bool {
    let Ok(abs) = std::fs::canonicalize(root) else {
        return false;
    };
    abs.ancestors().any(|d| d.join(".git").exists())
        && crate::sys::git::git(root, &["rev-parse", "--is-inside-work-tree"])
            .is_ok_and(|o| o.trim() == "true")
}
