//! Telemetry commands (in progress).
use anyhow::{bail, Result};
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `hwinv sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {}
/// Arguments of `hwinv rollup`.
#[derive(Debug, clap::Args)]
pub struct RollupArgs {}
/// Arguments of `hwinv telemetry`.
#[derive(Debug, clap::Args)]
pub struct TelemetryArgs {}

/// Run `sample`.
pub fn sample(_root: &Path, _args: &SampleArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
/// Run `rollup`.
pub fn rollup(_root: &Path, _args: &RollupArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
/// Run `telemetry`.
pub fn telemetry(_root: &Path, _args: &TelemetryArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
