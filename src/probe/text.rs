//! Small helpers every parser shares for reading `key: value` text.

pub use crate::text::normalize_ws;

/// Split a `key : value` line on its first colon; keys and values are trimmed (tabs or spaces).
pub fn key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    Some((k.trim(), v.trim()))
}

/// The trimmed text, or `None` when nothing is left.
pub fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}
