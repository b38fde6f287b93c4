//! `hwinv extract --fleet` (in progress).
use crate::cli::ExtractArgs;
use anyhow::{bail, Result};
use std::path::Path;
use std::process::ExitCode;

/// Run a fleet extraction.
pub fn run(_root: &Path, _fleet: &Path, _args: &ExtractArgs) -> Result<ExitCode> {
    bail!("fleet extraction is not available yet")
}
