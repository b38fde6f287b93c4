//! Host names become directory names: this module decides which names are acceptable.
//!
//! It must stay strict: a name from a hostile host must never escape `inventory/` or `hosts/`.

/// Why a host name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid host name {name:?}: {reason}")]
pub struct InvalidHostname {
    /// The name as given (debug-quoted in the message so control characters show).
    pub name: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

/// Accept RFC 1123 style names (letters, digits, `-`, `_`, dots between labels), at most 253 bytes,
/// with no label empty or longer than 63 bytes and none starting with `-` or `.`.
pub fn validate(name: &str) -> Result<&str, InvalidHostname> {
    let bad = |reason| InvalidHostname {
        name: name.to_string(),
        reason,
    };
    if name.is_empty() {
        return Err(bad("empty"));
    }
    if name.len() > 253 {
        return Err(bad("longer than 253 bytes"));
    }
    if name.contains('/') || name.contains('\\') {
        return Err(bad("contains a path separator"));
    }
    if name == "." || name.contains("..") {
        return Err(bad("contains '..'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(bad(if c.is_whitespace() || c.is_control() {
            "contains whitespace or control characters"
        } else {
            "may only contain letters, digits, '-', '_' and '.'"
        }));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(bad("has an empty label"));
        }
        if label.len() > 63 {
            return Err(bad("has a label longer than 63 bytes"));
        }
        if label.starts_with('-') {
            return Err(bad("has a label starting with '-'"));
        }
    }
    Ok(name)
}

/// Validate an SSH destination the user typed (host name, IPv4/IPv6 address, or an ssh config alias).
/// Only what could be mistaken for an ssh option or smuggle control characters is refused.
pub fn validate_target(target: &str) -> Result<&str, InvalidHostname> {
    let bad = |reason| InvalidHostname {
        name: target.to_string(),
        reason,
    };
    if target.is_empty() {
        return Err(bad("empty"));
    }
    if target.starts_with('-') {
        return Err(bad("starts with '-' (would be read as an ssh option)"));
    }
    if target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace or control characters"));
    }
    Ok(target)
}

/// Why an SSH user name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid ssh user {0:?}")]
pub struct InvalidUser(pub String);

/// Validate an SSH login name: not empty, not an option (`-…`), no whitespace, control characters or
/// `@` (which would turn `user@host` into another destination).
pub fn validate_user(user: &str) -> Result<&str, InvalidUser> {
    if user.is_empty()
        || user.starts_with('-')
        || user
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '@')
    {
        return Err(InvalidUser(user.to_string()));
    }
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for n in ["mac-studio-1", "gpu_box", "pi4.lan", "Mac-Studio", "a"] {
            assert_eq!(validate(n), Ok(n));
        }
    }

    #[test]
    fn refuses_paths_and_oddities() {
        for n in [
            "",
            "../../etc",
            "a/b",
            "..",
            ".",
            ".hidden",
            "-rf",
            "a..b",
            "a b",
            "a\nb",
            "é",
            "a\\b",
            "x.",
        ] {
            assert!(validate(n).is_err(), "{n:?} accepted");
        }
        assert!(validate(&"a".repeat(64)).is_err());
    }

    #[test]
    fn targets_cannot_be_options() {
        assert!(validate_target("-oProxyCommand=x").is_err());
        assert!(validate_target("10.1.1.10").is_ok());
        assert!(validate_target("::1").is_ok());
        assert!(validate_target("a b").is_err());
    }
}
