//! Unified diffs between a file on disk and what `hwinv generate` would write (for `--check`).

use similar::TextDiff;

/// A unified diff (3 lines of context) from `old` (absent: a new file) to `new`, with git-style headers
/// naming `path`. Empty when they are equal.
pub(super) fn unified(path: &str, old: Option<&[u8]>, new: &[u8]) -> String {
    let old_text = old.map(String::from_utf8_lossy).unwrap_or_default();
    let new_text = String::from_utf8_lossy(new);
    let from = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let to = format!("b/{path}");
    TextDiff::from_lines(old_text.as_ref(), new_text.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines_with_headers() {
        let d = unified("hosts/a/x.nix", Some(b"a\nb\nc\n"), b"a\nB\nc\n");
        assert_eq!(
            d,
            "--- a/hosts/a/x.nix\n+++ b/hosts/a/x.nix\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
        assert_eq!(unified("p", Some(b"same\n"), b"same\n"), "");
        assert!(unified("p", None, b"new\n").starts_with("--- /dev/null\n+++ b/p\n"));
    }
}
