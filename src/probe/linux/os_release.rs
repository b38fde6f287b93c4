//! `/etc/os-release`: distribution id, name, version.

use crate::probe::text::non_empty;
use crate::probe::ParseError;
use serde::Serialize;

/// Fields of `/etc/os-release` we keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    /// `ID` (`debian`).
    pub id: Option<String>,
    /// `NAME` (`Debian GNU/Linux`).
    pub name: Option<String>,
    /// `PRETTY_NAME` (`Debian GNU/Linux 12 (bookworm)`).
    pub pretty_name: Option<String>,
    /// `VERSION_ID` (`12`).
    pub version_id: Option<String>,
    /// `VERSION` (`12 (bookworm)`).
    pub version: Option<String>,
    /// `BUILD_ID` (rolling distributions).
    pub build_id: Option<String>,
}

/// Unquote an os-release value: `"x"`, `'x'` or bare `x`, with `\"`-style escapes inside double quotes.
fn unquote(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return inner.to_string();
    }
    v.to_string()
}

/// Parse `/etc/os-release` (or `/usr/lib/os-release`).
///
/// ```text
/// PRETTY_NAME="Raspbian GNU/Linux 8 (jessie)"
/// VERSION_ID="8"
/// ID=raspbian
/// ```
///
/// Empty values (`VERSION_CODENAME=""`) count as absent. Unknown keys and comments are ignored.
pub fn parse_os_release(text: &str) -> Result<OsRelease, ParseError> {
    let mut out = OsRelease::default();
    let mut any = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = non_empty(&unquote(value));
        let slot = match key.trim() {
            "ID" => &mut out.id,
            "NAME" => &mut out.name,
            "PRETTY_NAME" => &mut out.pretty_name,
            "VERSION_ID" => &mut out.version_id,
            "VERSION" => &mut out.version,
            "BUILD_ID" => &mut out.build_id,
            _ => continue,
        };
        any = true;
        *slot = value;
    }
    if !any {
        return Err(ParseError::new("os_release", "no ID, NAME or VERSION line"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_quotes() {
        let o = parse_os_release(
            "ID=\"rhel\"\nNAME='Red Hat'\nVERSION_ID=9\nVERSION_CODENAME=\"\"\n# c\n",
        )
        .unwrap();
        assert_eq!(o.id.as_deref(), Some("rhel"));
        assert_eq!(o.name.as_deref(), Some("Red Hat"));
        assert_eq!(o.version_id.as_deref(), Some("9"));
        assert!(parse_os_release("").is_err());
        let e = parse_os_release("PRETTY_NAME=\"a \\\"b\\\"\"\n").unwrap();
        assert_eq!(e.pretty_name.as_deref(), Some("a \"b\""));
    }
}
