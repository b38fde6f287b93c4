//! Names that become file names or identifiers elsewhere: probe sections and services.

/// Section names are file names in a capture: keep them to `[a-z0-9_]`, at most 64 bytes.
pub fn valid_section_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Service and profile names: 1–40 of `a-z`, `0-9`, `_`, `-`, starting with a letter or digit.
pub fn valid_service_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}
