//! `hwinv capture`: save the raw output of every probe section, for bug reports and replay tests.

use super::args::{self, SshArgs};
use crate::config::services::ServicesConfig;
use crate::error::Exit;
use crate::extract::{probe_sections, Origin};
use crate::store::capture;
use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `hwinv capture`.
#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// `local` for this machine, or a host to reach over SSH.
    pub host: String,

    /// Directory to write (created; must be empty if it exists).
    pub dir: PathBuf,

    /// Print what was captured as JSON.
    #[arg(long)]
    pub json: bool,

    /// SSH user.
    #[arg(long, short = 'u')]
    pub user: Option<String>,

    /// SSH connection settings.
    #[command(flatten)]
    pub ssh: SshArgs,

    /// Give up after this long: `60`, `90s`, `2m`.
    #[arg(long, default_value = "60", value_name = "DURATION", value_parser = args::duration)]
    pub timeout: Duration,
}

/// Run `hwinv capture`.
pub fn run(root: &Path, args: &CaptureArgs) -> Result<Exit> {
    let origin = if args.host == "local" {
        Origin::Local
    } else {
        Origin::Ssh(args.ssh.target(&args.host, args.user.clone())?)
    };
    let services = ServicesConfig::load(root)?;
    let sections = probe_sections(&origin, args.timeout, &services, &[])
        .with_context(|| format!("capturing '{}' failed", origin.label()))?;
    capture::write_capture(&args.dir, &sections)?;
    if args.json {
        let names: Vec<&String> = sections.map.keys().collect();
        crate::commands::output::print_json(&serde_json::json!({
            "host": origin.label(),
            "dir": args.dir,
            "sections": names,
        }))?;
        return Ok(Exit::Success);
    }
    eprintln!(
        "captured {} sections from {} into {}",
        sections.map.len(),
        origin.label(),
        args.dir.display()
    );
    Ok(Exit::Success)
}
