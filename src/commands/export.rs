//! `hwinv export` (in progress).
use anyhow::{bail, Result};
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `hwinv export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {}

/// Run it.
pub fn run(_root: &Path, _args: &ExportArgs) -> Result<ExitCode> {
    bail!("export is not available yet")
}
