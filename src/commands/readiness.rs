//! `hwinv readiness`: evaluate hosts' latest snapshots against the readiness profiles and answer yes or no
//! with every failed condition.
//!
//! Orchestration only: the rules and their evaluation live in [`crate::readiness`].

use crate::config::readiness::ReadinessRules;
use crate::error::Exit;
use crate::extract::live_services;
use crate::readiness::{self, apply_live, choose_profiles, load_latest, HostReadiness, VramSource};
use crate::store::Store;
use anyhow::{bail, Result};
use std::io::Write;
use std::path::Path;

/// Arguments of `hwinv readiness`.
#[derive(Debug, clap::Args)]
pub struct ReadinessArgs {
    /// Hosts to check (inventory names).
    #[arg(value_name = "HOST")]
    pub hosts: Vec<String>,

    /// Check every inventoried host.
    #[arg(long, conflicts_with = "hosts")]
    pub all: bool,

    /// Only this profile (repeatable; default: every profile in templates/readiness.toml).
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,

    /// Print the verdicts as JSON (every condition with its required and measured value).
    #[arg(long)]
    pub json: bool,

    /// Probe this machine's services now instead of using those recorded at its last extraction (the
    /// hardware still comes from the latest snapshot; nothing is written). Without HOST or --all: this
    /// machine only.
    #[arg(long)]
    pub probe: bool,

    /// With --probe: this machine's inventory name, when it was extracted with --name.
    #[arg(long, value_name = "NAME", requires = "probe")]
    pub name: Option<String>,
}

/// `hwinv readiness`. Exit 0 when every host passes every chosen profile, 1 when one fails, 2 on an error
/// (an unknown profile or host, an unreadable snapshot).
pub fn run(root: &Path, args: &ReadinessArgs) -> Result<Exit> {
    let rules = ReadinessRules::load(root)?;
    let profiles = choose_profiles(&rules, &args.profiles)?;
    let store = Store::new(root);
    let live = if args.probe {
        Some(live_services(root, args.name.as_deref())?)
    } else {
        None
    };
    let hosts = if args.all {
        let all = store.hosts()?;
        if all.is_empty() {
            bail!(
                "no host in '{}': run hwinv extract first",
                store.inventory_dir().display()
            );
        }
        all
    } else if !args.hosts.is_empty() {
        args.hosts.clone()
    } else if let Some((host, _)) = &live {
        vec![host.clone()]
    } else {
        bail!("name the hosts to check, or use --all (or --probe for this machine)");
    };
    let (mut loaded, mut errors) = load_latest(&store, &hosts);
    if let Some((host, services)) = live {
        apply_live(&mut loaded, &mut errors, &host, services);
    }
    let results: Vec<HostReadiness> = loaded
        .iter()
        .map(|(_, snap)| readiness::assess(snap, &rules, &profiles))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut text = serde_json::to_string_pretty(&results)?;
        text.push('\n');
        out.write_all(text.as_bytes())?;
    } else {
        out.write_all(render_text(&results).as_bytes())?;
    }
    out.flush()?;
    for e in &errors {
        eprintln!("error: {e}");
    }
    if !errors.is_empty() {
        return Ok(Exit::Failure);
    }
    if results.iter().all(HostReadiness::all_ready) {
        Ok(Exit::Success)
    } else {
        Ok(Exit::Negative)
    }
}

/// The human answer.
///
/// ```text
/// dual2070  VRAM 8 GB (largest of 2 GPUs, 16 GB total), RAM 16 GB, 4 cores; as of 2026-11-22T02:51:00Z
///   realtime      NO   VRAM 8 GB < 12 GB; RAM 16 GB < 32 GB; whisperx down (connection refused)
///   single-agent  YES
/// ```
pub fn render_text(results: &[HostReadiness]) -> String {
    let width = results
        .iter()
        .flat_map(|r| r.profiles.iter().map(|p| p.profile.len()))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for r in results {
        let vram = match (r.vram.source, r.vram.largest_gb) {
            (VramSource::Dedicated | VramSource::Unified | VramSource::None, Some(gb)) => {
                format!("VRAM {gb} GB ({})", r.vram.note)
            }
            _ => format!("VRAM unknown ({})", r.vram.note),
        };
        let ram = r
            .ram_gb
            .map_or_else(|| "RAM unknown".to_string(), |g| format!("RAM {g} GB"));
        let cores = r
            .cpu_cores
            .map_or_else(|| "cores unknown".to_string(), |c| format!("{c} cores"));
        out.push_str(&format!(
            "{}  {vram}, {ram}, {cores}; as of {}\n",
            r.host, r.collected_at
        ));
        for p in &r.profiles {
            if p.ready {
                out.push_str(&format!("  {:<width$}  YES\n", p.profile));
            } else {
                out.push_str(&format!(
                    "  {:<width$}  NO   {}\n",
                    p.profile,
                    p.failed.join("; ")
                ));
            }
        }
    }
    out
}
