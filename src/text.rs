//! Making text from a host safe to keep and to show: one place decides what a control character becomes.
//!
//! Host output is hostile until cleaned: a name with an escape sequence must not move a terminal's cursor,
//! break a table row, or end up in a file raw.

/// Remove control characters (NUL and other C0, DEL, C1) and trim surrounding whitespace.
pub fn strip_control(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_string()
}

/// [`strip_control`] in place, without reallocating clean text.
pub fn strip_control_in_place(s: &mut String) {
    if s.chars().any(char::is_control) || s.trim() != s {
        *s = strip_control(s);
    }
}

/// [`strip_control`] of an optional value; a value left empty becomes `None`.
pub fn strip_control_opt(s: &mut Option<String>) {
    if let Some(v) = s {
        strip_control_in_place(v);
        if v.is_empty() {
            *s = None;
        }
    }
}

/// For display: every control character becomes a space, so columns keep their width and nothing
/// reaches the terminal raw.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Collapse runs of whitespace to one space and trim (`Xeon(R) CPU    E5620  @` -> `Xeon(R) CPU E5620 @`).
pub fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// First non-empty line, trimmed and cut to 200 characters, for messages.
pub fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_survive() {
        assert_eq!(strip_control(" a\u{1b}[2Jb\u{0} "), "a[2Jb");
        assert_eq!(printable("a\nb\u{7f}"), "a b ");
        let mut o = Some("\u{0}\u{1}".to_string());
        strip_control_opt(&mut o);
        assert_eq!(o, None);
        assert_eq!(normalize_ws(" a \t b "), "a b");
        assert_eq!(first_line("\n  \n x \ny").as_deref(), Some("x"));
    }
}
