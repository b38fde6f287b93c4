//! `hwinv capture`: save the raw output of every probe section, for bug reports and replay tests.

use super::exit;
use super::extract::{probe_sections_with, ssh_target, Origin};
use crate::cli::CaptureArgs;
use crate::transport::replay;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// Run `hwinv capture`.
pub fn run(root: &Path, args: &CaptureArgs) -> Result<ExitCode> {
    let origin = if args.host == "local" {
        Origin::Local
    } else {
        Origin::Ssh(ssh_target(&args.host, args.user.clone(), &args.ssh)?)
    };
    let services = crate::services::ServicesConfig::load(root)?;
    let sections = probe_sections_with(
        &origin,
        Duration::from_secs(args.timeout.max(1)),
        &services,
        &[],
    )
    .with_context(|| format!("capturing '{}' failed", origin.label()))?;
    replay::write_capture(&args.dir, &sections)?;
    println!(
        "captured {} sections from {} into {}",
        sections.map.len(),
        origin.label(),
        args.dir.display()
    );
    Ok(ExitCode::from(exit::SUCCESS))
}
