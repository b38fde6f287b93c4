//! `hwinv generate` (in progress).
use anyhow::{bail, Result};
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `hwinv generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {}

/// Run it.
pub fn run(_root: &Path, _args: &GenerateArgs) -> Result<ExitCode> {
    bail!("generate is not available yet")
}
