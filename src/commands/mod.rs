//! One module per subcommand, each with its own arguments: orchestration only (parsing lives in
//! `probe/`, files in `store/`, processes in `sys/`). No command imports another; what two commands
//! share lives outside `commands/`, or in [`args`] and [`output`], which are not commands.

pub mod args;
pub mod capture;
pub mod compare;
pub mod diff;
pub mod events;
pub mod export;
pub mod extract;
pub mod generate;
pub mod hosts;
pub mod output;
pub mod readiness;
pub mod rollup;
pub mod sample;
pub mod show;
pub mod telemetry;

use crate::cli::{Cli, Command};
use crate::error::Exit;
use anyhow::Result;

/// Run the parsed command line.
pub fn run(cli: Cli) -> Result<Exit> {
    let root = cli.root;
    match cli.command {
        Command::Extract(args) => extract::run(&root, &args),
        Command::Capture(args) => capture::run(&root, &args),
        Command::Generate(args) => generate::run(&root, &args),
        Command::Hosts(args) => hosts::run(&root, &args),
        Command::Show(args) => show::run(&root, &args),
        Command::Compare(args) => compare::run(&root, &args),
        Command::Diff(args) => diff::run(&root, &args),
        Command::Events(args) => events::run(&root, &args),
        Command::Readiness(args) => readiness::run(&root, &args),
        Command::Export(args) => export::run(&root, &args),
        Command::Sample(args) => sample::run(&root, &args),
        Command::Rollup(args) => rollup::run(&root, &args),
        Command::Telemetry(args) => telemetry::run(&root, &args),
    }
}
