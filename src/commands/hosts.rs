//! `hwinv hosts/show/compare/diff/events` (in progress).
use anyhow::{bail, Result};
use std::path::Path;
use std::process::ExitCode;

/// Arguments of `hwinv hosts`.
#[derive(Debug, clap::Args)]
pub struct HostsArgs {}
/// Arguments of `hwinv show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {}
/// Arguments of `hwinv compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {}
/// Arguments of `hwinv diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {}
/// Arguments of `hwinv events`.
#[derive(Debug, clap::Args)]
pub struct EventsArgs {}

/// Run `hosts`.
pub fn run_hosts(_root: &Path, _args: &HostsArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
/// Run `show`.
pub fn run_show(_root: &Path, _args: &ShowArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
/// Run `compare`.
pub fn run_compare(_root: &Path, _args: &CompareArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
/// Run `diff`.
pub fn run_diff(_root: &Path, _args: &DiffArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
/// Run `events`.
pub fn run_events(_root: &Path, _args: &EventsArgs) -> Result<ExitCode> {
    bail!("not available yet")
}
