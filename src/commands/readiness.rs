//! `hwinv readiness` (in progress).
use anyhow::{bail, Result};
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `hwinv readiness`.
#[derive(Debug, clap::Args)]
pub struct ReadinessArgs {}

/// Run it.
pub fn run(_root: &Path, _args: &ReadinessArgs) -> Result<ExitCode> {
    bail!("readiness is not available yet")
}
