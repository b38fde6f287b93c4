//! One module per subcommand: orchestration only (parsing lives in probe/, files in store/).

pub mod capture;
pub mod export;
pub mod extract;
pub mod fleet;
pub mod generate;
pub mod git;
pub mod hosts;
pub mod readiness;

use crate::cli::{Cli, Command};
use anyhow::Result;
use std::process::ExitCode;

/// Exit statuses.
pub mod exit {
    /// Everything asked for was done.
    pub const SUCCESS: u8 = 0;
    /// A query matched nothing, a check found differences, or a readiness gate failed.
    pub const NEGATIVE: u8 = 1;
    /// An error, or at least one host of a fleet failed.
    pub const FAILURE: u8 = 2;
}

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    let root = cli.root;
    match cli.command {
        Command::Extract(args) => extract::run(&root, &args),
        Command::Capture(args) => capture::run(&root, &args),
        Command::Generate(args) => generate::run(&root, &args),
        Command::Hosts(args) => hosts::run_hosts(&root, &args),
        Command::Show(args) => hosts::run_show(&root, &args),
        Command::Compare(args) => hosts::run_compare(&root, &args),
        Command::Diff(args) => hosts::run_diff(&root, &args),
        Command::Events(args) => hosts::run_events(&root, &args),
        Command::Readiness(args) => readiness::run(&root, &args),
        Command::Export(args) => export::run(&root, &args),
        Command::Sample(args) => crate::telemetry::cli::sample(&root, &args),
        Command::Rollup(args) => crate::telemetry::cli::rollup(&root, &args),
        Command::Telemetry(args) => crate::telemetry::cli::telemetry(&root, &args),
    }
}

/// Current UTC time as RFC 3339 with second precision, e.g. `2026-11-22T02:51:00Z`.
pub fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.format(&time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}
