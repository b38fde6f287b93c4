//! The `uname` section (`uname -s -n -r -m`, one per line): which kernel, node name and machine, and the
//! Nix system double that follows from them.

use super::ParseError;
use crate::model::OsFamily;

/// The `uname` section: `uname -s`, `-n`, `-r`, `-m` on four lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Uname {
    /// `Linux` or `Darwin`.
    pub kernel: String,
    /// Node name (may be a FQDN).
    pub nodename: String,
    /// Kernel release.
    pub release: String,
    /// Machine (`x86_64`, `arm64`, `aarch64`, `armv7l`).
    pub machine: String,
}

/// Parse the `uname` section.
///
/// ```text
/// Linux
/// pi4
/// 6.6.31+rpt-rpi-v8
/// aarch64
/// ```
pub fn parse_uname(text: &str) -> Result<Uname, ParseError> {
    let mut lines = text.lines().map(str::trim);
    let mut next = || lines.next().unwrap_or("").to_string();
    let u = Uname {
        kernel: next(),
        nodename: next(),
        release: next(),
        machine: next(),
    };
    if u.kernel.is_empty() {
        return Err(ParseError::new("uname", "empty output"));
    }
    Ok(u)
}

/// The Nix system double for an architecture and OS (`aarch64-darwin`, `x86_64-linux`); empty when the
/// architecture is unknown, never a half double like `-darwin` (generate refuses an empty one by name).
pub fn nix_system(arch: &str, family: OsFamily) -> String {
    let arch = arch.trim();
    if arch.is_empty() {
        return String::new();
    }
    let cpu = match arch {
        "arm64" | "aarch64" => "aarch64",
        "x86_64" | "amd64" => "x86_64",
        "i386" | "i486" | "i586" | "i686" => "i686",
        other if other.starts_with("armv7") => "armv7l",
        other if other.starts_with("armv6") => "armv6l",
        other => other,
    };
    let os = match family {
        OsFamily::Linux => "linux",
        OsFamily::Macos => "darwin",
    };
    format!("{cpu}-{os}")
}
