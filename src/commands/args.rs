//! Flag groups and value types shared by several subcommands: how to reach a host over SSH, text or
//! JSON, color, and the duration syntax. Not a command itself.

use crate::extract::SshTarget;
use crate::model::hostname;
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach a host over SSH. User, host and port go to ssh as separate arguments, never through a shell.
#[derive(Debug, Clone, Args)]
pub struct SshArgs {
    /// SSH port (default: whatever your ssh config says, else 22).
    #[arg(short = 'p', long)]
    pub port: Option<u16>,

    /// Identity file (private key) for SSH.
    #[arg(short = 'i', long = "identity", value_name = "FILE")]
    pub identity: Option<PathBuf>,

    /// Extra ssh option, as for `ssh -o` (repeatable), e.g. -o ProxyJump=bastion.
    #[arg(short = 'o', long = "ssh-option", value_name = "OPTION")]
    pub ssh_options: Vec<String>,

    /// Known-hosts policy: `accept-new` trusts a host on first use only; `yes` requires a known key.
    #[arg(long, value_name = "POLICY", default_value = "accept-new", value_parser = ["accept-new", "yes"])]
    pub host_key_checking: String,

    /// Accept ANY host key, even a changed one (man-in-the-middle risk). Only for throwaway test hosts.
    #[arg(long)]
    pub insecure_accept_any_host_key: bool,
}

impl SshArgs {
    /// The first SSH setting given on the command line, as the user spelled its flag (`-o`, `-p`, `-i`,
    /// `--insecure-accept-any-host-key`), or `None` when there is none.
    pub fn given(&self) -> Option<&'static str> {
        if !self.ssh_options.is_empty() {
            Some("-o")
        } else if self.port.is_some() {
            Some("-p")
        } else if self.identity.is_some() {
            Some("-i")
        } else if self.insecure_accept_any_host_key {
            Some("--insecure-accept-any-host-key")
        } else if self.host_key_checking != "accept-new" {
            Some("--host-key-checking")
        } else {
            None
        }
    }

    /// The SSH target for `host` as `user`, after validating both.
    pub fn target(&self, host: &str, user: Option<String>) -> Result<SshTarget> {
        hostname::validate_target(host)?;
        if let Some(u) = &user {
            hostname::validate_user(u)?;
        }
        Ok(SshTarget {
            host: host.to_string(),
            user,
            port: self.port,
            identity: self.identity.clone(),
            options: self.ssh_options.clone(),
            host_key_checking: self.host_key_checking.clone(),
            insecure_accept_any_host_key: self.insecure_accept_any_host_key,
        })
    }
}

/// Text for people or JSON for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextFormat {
    /// Human-readable text.
    Text,
    /// JSON.
    Json,
}

/// `--format text|json` and its shorthand `--json`, for commands that print text or JSON.
#[derive(Debug, Clone, clap::Args)]
pub struct TextOutput {
    /// Output format (`json`: JSON on standard output, and nothing else there).
    #[arg(short = 'f', long, value_enum, default_value = "text")]
    pub format: TextFormat,

    /// The same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl TextOutput {
    /// The format asked for.
    pub fn format(&self) -> TextFormat {
        if self.json {
            TextFormat::Json
        } else {
            self.format
        }
    }

    /// JSON was asked for.
    pub fn is_json(&self) -> bool {
        self.format() == TextFormat::Json
    }
}

/// When to color output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When standard output is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// clap's parser for byte sizes: `1048576`, `64MiB`, `64M` (binary multiples, as nats-server reads them),
/// `1GiB`, `512KiB`; at least 1 byte.
pub fn size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("invalid size {text:?}: expected a number of bytes like 64MiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => {
            return Err(format!(
                "invalid size {text:?}: unknown unit {unit:?} (use KiB, MiB or GiB)"
            ))
        }
    };
    n.checked_mul(1u64 << shift)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("invalid size {text:?}: must be between 1 byte and 16 EiB"))
}

/// clap's parser for every duration flag: `10`, `10s`, `1m30s`, `500ms`, `1 hour`.
pub fn duration(text: &str) -> Result<Duration, String> {
    crate::model::units::parse_duration(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units_and_reject_junk() {
        assert_eq!(size("1048576"), Ok(1 << 20));
        assert_eq!(size("64MiB"), Ok(64 << 20));
        assert_eq!(size("2 g"), Ok(2 << 30));
        assert!(size("0").is_err());
        assert!(size("-1").is_err());
        assert!(size("12 parsecs").is_err());
        assert!(size("99999999999999999999GiB").is_err());
        assert!(size("17179869184GiB").is_err());
    }
}
