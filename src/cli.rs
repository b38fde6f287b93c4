//! Command-line definitions (clap derive) and nothing else: doc comments here are the `--help` text.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Turn hardware facts into configuration for a fleet of macOS and Linux hosts.
///
/// Facts live under `inventory/<host>/` and generated files under `hosts/<host>/`, relative to the
/// inventory root (the current directory, or --root).
#[derive(Debug, Parser)]
#[command(name = "hwinv", version, propagate_version = true)]
pub struct Cli {
    /// Inventory root: the directory holding inventory/, hosts/ and templates/.
    #[arg(long, global = true, env = "HWINV_ROOT", default_value = ".")]
    pub root: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Record a host's hardware: this machine, a remote host over SSH, or a replayed capture.
    Extract(ExtractArgs),
    /// Save the raw output of every probe section to DIR (attach it to bug reports; replay with extract --replay).
    Capture(CaptureArgs),
    /// Render `hosts/<host>/configuration.nix`, `nats-server.conf` and `metadata.json` from the latest snapshot.
    Generate(crate::commands::generate::GenerateArgs),
    /// List inventoried hosts, optionally filtered (see --help for the query language).
    Hosts(crate::commands::hosts::HostsArgs),
    /// Show a host's latest (or an older) snapshot.
    Show(crate::commands::hosts::ShowArgs),
    /// Compare the latest hardware of two or more hosts side by side.
    Compare(crate::commands::hosts::CompareArgs),
    /// What changed between two snapshots of a host (default: the two newest).
    Diff(crate::commands::hosts::DiffArgs),
    /// Read the event log.
    Events(crate::commands::hosts::EventsArgs),
    /// Is a host ready for a workload profile (realtime voice, single agent, ...)?
    Readiness(crate::commands::readiness::ReadinessArgs),
    /// Export facts for other tools (Prometheus textfile).
    Export(crate::commands::export::ExportArgs),
    /// Take host metric samples (CPU, RAM, swap, disk, network, temperature) into Parquet.
    Sample(crate::telemetry::cli::SampleArgs),
    /// Build 5-minute rollups and alerts from the samples.
    Rollup(crate::telemetry::cli::RollupArgs),
    /// Telemetry status and helpers.
    Telemetry(crate::telemetry::cli::TelemetryArgs),
}

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

/// Arguments of `hwinv extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Host to probe over SSH (name or address, as for ssh); omit to probe this machine.
    pub host: Option<String>,

    /// SSH user (default: your ssh config, else your login name).
    pub user: Option<String>,

    /// SSH connection settings.
    #[command(flatten)]
    pub ssh: SshArgs,

    /// Give up on a host after this many seconds (connection, probe and transfer together).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,

    /// Read a capture directory (from `hwinv capture`) instead of running the probe.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["host", "fleet"])]
    pub replay: Option<PathBuf>,

    /// Store the host under this name instead of the name it reports (must be a valid host name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Replace serial numbers, MAC addresses and GPU UUIDs by a salted hash that is stable per inventory.
    #[arg(long)]
    pub redact: bool,

    /// Print the snapshot as JSON instead of the summary (with --fleet: the fleet report).
    #[arg(long)]
    pub json: bool,

    /// Run `git add` on the files written when the inventory is a git repository (flakes only see tracked files).
    #[arg(long)]
    pub git_add: bool,

    /// Extract every host listed in FILE: leaf-config.nix, or lines of `host [user] [port]` (`#` comments).
    #[arg(long, value_name = "FILE", conflicts_with = "host")]
    pub fleet: Option<PathBuf>,

    /// Hosts probed at once with --fleet.
    #[arg(short = 'j', long, default_value_t = 16, value_name = "N")]
    pub jobs: usize,
}

/// Arguments of `hwinv capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// `local` for this machine, or a host to reach over SSH.
    pub host: String,

    /// Directory to write (created; must be empty if it exists).
    pub dir: PathBuf,

    /// SSH user.
    #[arg(long, short = 'u')]
    pub user: Option<String>,

    /// SSH connection settings.
    #[command(flatten)]
    pub ssh: SshArgs,

    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
}
