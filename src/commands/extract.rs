//! `hwinv extract`: run the probe on one host (or replay a capture), store the snapshot, render
//! `hardware.nix`, and log events; with `--fleet`, every host of a list ([`fleet`]).

mod fleet;

use super::args::{self, SshArgs};
use super::output::{print, print_json};
use crate::error::Exit;
use crate::extract::{extract_one, rel, Extracted, Options, Origin};
use crate::store::Store;
use anyhow::Result;
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

    /// Give up on a host after this long (connection, probe and transfer together): `60`, `90s`, `2m`.
    #[arg(long, default_value = "60", value_name = "DURATION", value_parser = args::duration)]
    pub timeout: Duration,

    /// Fail a host that prints more than this on stdout or on stderr (a broken or hostile host streaming
    /// without end): `64MiB`, `1GiB`, plain bytes.
    #[arg(long, default_value = "64MiB", value_name = "SIZE", env = "HWINV_MAX_OUTPUT", value_parser = args::size)]
    pub max_output: u64,

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

/// `hwinv extract`.
pub fn run(root: &Path, args: &ExtractArgs) -> Result<Exit> {
    crate::sys::process::set_output_limit(args.max_output);
    if let Some(list) = &args.fleet {
        return fleet::run(root, list, args);
    }
    if args.host.is_none() {
        if let Some(flag) = args.ssh.given() {
            anyhow::bail!(
                "{flag} is an ssh setting, but no host was named: give HOST (or --fleet FILE), \
                 or drop it to probe this machine"
            );
        }
    }
    let origin = match (&args.replay, &args.host) {
        (Some(dir), _) => Origin::Replay(dir.clone()),
        (None, Some(host)) => Origin::Ssh(args.ssh.target(host, args.user.clone())?),
        (None, None) => Origin::Local,
    };
    let opts = Options {
        name: args.name.clone(),
        redact: args.redact,
        timeout: args.timeout,
        git_add: args.git_add,
        track_git: true,
    };
    let store = Store::new(root);
    let done = extract_one(&store, &origin, &opts)?;
    if args.json {
        print_json(&done.snapshot)?;
    } else {
        print(&summary(&done, root))?;
    }
    Ok(Exit::Success)
}

/// The human summary printed after a successful extraction.
pub fn summary(done: &Extracted, root: &Path) -> String {
    let s = &done.snapshot;
    let gib = crate::model::units::gib;
    let mut out = String::new();
    let os = [s.os.name.as_deref(), s.os.version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    out.push_str(&format!(
        "host      {}  ({})\n",
        s.system_info.hostname, s.system_info.nix_system
    ));
    out.push_str(&format!(
        "model     {}\n",
        s.system_info.model.as_deref().unwrap_or("unknown")
    ));
    out.push_str(&format!(
        "os        {}\n",
        if os.is_empty() {
            s.os.family.as_str().to_string()
        } else {
            os
        }
    ));
    let cpu = &s.hardware.cpu;
    let mut cores = format!("{} cores, {} threads", cpu.physical_cores, cpu.logical_cpus);
    if let (Some(p), Some(e)) = (cpu.performance_cores, cpu.efficiency_cores) {
        cores.push_str(&format!(" ({p}P + {e}E)"));
    }
    if cpu.sockets > 1 {
        cores.push_str(&format!(", {} sockets", cpu.sockets));
    }
    out.push_str(&format!("cpu       {}  {}\n", s.hardware.cpu_type, cores));
    out.push_str(&format!(
        "memory    {} GB ({:.1} GiB)\n",
        s.hardware.memory_gb,
        gib(s.hardware.memory.total_bytes)
    ));
    if s.disks.is_empty() {
        out.push_str("disks     none found\n");
    }
    for d in &s.disks {
        out.push_str(&format!(
            "disk      {}  {} GB {:?}{}{}\n",
            d.name,
            d.size_gb,
            d.kind,
            d.model
                .as_deref()
                .map(|m| format!("  {m}"))
                .unwrap_or_default(),
            if d.removable { "  (removable)" } else { "" }
        ));
    }
    match &s.gpus {
        None => out.push_str("gpus      unknown\n"),
        Some(g) if g.is_empty() => out.push_str("gpus      none\n"),
        Some(g) => {
            for g in g {
                let vram = g.vram_gb.map(|v| format!("  {v} GB")).unwrap_or_default();
                out.push_str(&format!("gpu       {}{}\n", g.name, vram));
            }
        }
    }
    if let Some(services) = &s.services {
        for line in crate::config::services::summary_lines(services) {
            out.push_str(&format!("service   {line}\n"));
        }
    }
    for w in &s.warnings {
        out.push_str(&format!("warning   {w}\n"));
    }
    for p in &done.written {
        out.push_str(&format!("wrote     {}\n", rel(root, p)));
    }
    out.push_str(&format!("took      {:.2} s\n", done.elapsed));
    out
}
