//! The command line: the top-level flags and the subcommand enum. Each subcommand's arguments live
//! beside it in `commands/`; doc comments are the `--help` text.

use crate::commands::{
    agent, capture, compare, diff, events, export, extract, generate, hosts, init, nats, readiness,
    rollup, sample, serve, show, sync, telemetry,
};
use crate::error::Exit;
use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

/// Turn hardware facts into configuration for a fleet of macOS and Linux hosts.
///
/// Facts live under `inventory/<host>/` and generated files under `hosts/<host>/`, relative to the
/// inventory root (the current directory, or --root).
#[derive(Debug, Parser)]
#[command(name = "hwinv", version, propagate_version = true)]
pub struct Cli {
    /// Inventory root: the directory holding inventory/, hosts/ and templates/ (default: the nearest
    /// directory upwards from here that has an inventory/, else the current directory).
    #[arg(long, global = true, env = "HWINV_ROOT", value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a fleet repository of your own: the fleet flake, leaf-config.nix, .gitignore, inventory/, hosts/.
    Init(init::InitArgs),
    /// Record a host's hardware: this machine, a remote host over SSH, or a replayed capture.
    Extract(extract::ExtractArgs),
    /// Save the raw output of every probe section to DIR (attach it to bug reports; replay with extract --replay).
    Capture(capture::CaptureArgs),
    /// Render `hosts/<host>/`: configuration.nix and hardware-configuration.nix (NixOS), the NATS server's files, metadata.json.
    Generate(generate::GenerateArgs),
    /// List inventoried hosts, optionally filtered (see --help for the query language).
    Hosts(hosts::HostsArgs),
    /// Show a host's latest (or an older) snapshot.
    Show(show::ShowArgs),
    /// Compare the latest hardware of two or more hosts side by side.
    Compare(compare::CompareArgs),
    /// What changed between two snapshots of a host (default: the two newest).
    Diff(diff::DiffArgs),
    /// Read the event log.
    Events(events::EventsArgs),
    /// Is a host ready for a workload profile (realtime voice, single agent, ...)?
    Readiness(readiness::ReadinessArgs),
    /// Export facts for other tools (Prometheus textfile).
    Export(export::ExportArgs),
    /// Take host metric samples (CPU, RAM, swap, disk, network, temperature) into Parquet.
    Sample(sample::SampleArgs),
    /// Build 5-minute rollups and alerts from the samples.
    Rollup(rollup::RollupArgs),
    /// Telemetry status and helpers.
    Telemetry(telemetry::TelemetryArgs),
    /// Push mode: generate a NATS JetStream hub configuration, set the hub up.
    Nats(nats::NatsArgs),
    /// Extract this host (or a replayed capture) and push the snapshot and events to the hub.
    Agent(agent::AgentArgs),
    /// Write every host pushed to the hub into inventory/ (the same files extract writes).
    Sync(sync::SyncArgs),
    /// Web dashboard, JSON API and /metrics over the inventory (http://127.0.0.1:8787 by default).
    Serve(serve::ServeArgs),
    /// Print a shell completion script: `hwinv completions bash > /etc/bash_completion.d/hwinv`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `hwinv man > hwinv.1 && man -l hwinv.1`.
    Man,
}

/// The inventory root when none is given: like git with `.git`, the nearest directory from the current one
/// upwards that holds `inventory/`, so hwinv works from `hosts/<host>/` too; else the current directory.
fn discover_root() -> PathBuf {
    let here = PathBuf::from(".");
    if here.join("inventory").is_dir() {
        return here;
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors().skip(1) {
            if dir.join("inventory").is_dir() {
                return dir.to_path_buf();
            }
        }
    }
    here
}

impl Cli {
    /// Run the parsed command line.
    pub fn run(self) -> Result<Exit> {
        let root = self.root.unwrap_or_else(discover_root);
        match self.command {
            Command::Init(args) => init::run(&args),
            Command::Extract(args) => extract::run(&root, &args),
            Command::Capture(args) => capture::run(&root, &args),
            Command::Generate(args) => generate::run(&root, &args),
            Command::Hosts(args) => hosts::run(&root, &args),
            Command::Show(args) => show::run(&root, &args),
            Command::Compare(args) => compare::run(&root, &args),
            Command::Diff(args) => diff::run(&root, &args),
            Command::Events(args) => events::run(&root, &args),
            Command::Readiness(args) => readiness::run(&root, &args),
            Command::Export(args) => export::run(&root, &args),
            Command::Sample(args) => sample::run(&root, &args),
            Command::Rollup(args) => rollup::run(&root, &args),
            Command::Telemetry(args) => telemetry::run(&root, &args),
            Command::Nats(args) => nats::run(&root, &args),
            Command::Agent(args) => agent::run(&root, &args),
            Command::Sync(args) => sync::run(&root, &args),
            Command::Serve(args) => serve::run(&root, &args),
            // Both describe this very command line, so they live beside it.
            Command::Completions { shell } => {
                let mut out = Vec::new();
                clap_complete::generate(shell, &mut Cli::command(), "hwinv", &mut out);
                crate::commands::output::print(&String::from_utf8_lossy(&out))?;
                Ok(Exit::Success)
            }
            Command::Man => {
                let mut out = Vec::new();
                clap_mangen::Man::new(Cli::command()).render(&mut out)?;
                crate::commands::output::print(&String::from_utf8_lossy(&out))?;
                Ok(Exit::Success)
            }
        }
    }
}
