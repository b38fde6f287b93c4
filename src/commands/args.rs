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

/// clap's parser for every duration flag: `10`, `10s`, `1m30s`, `500ms`, `1 hour`.
pub fn duration(text: &str) -> Result<Duration, String> {
    crate::model::units::parse_duration(text)
}
