//! Entry point: parse arguments, run the command, print errors, map to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hwinv::cli::Cli::parse();
    match cli.run() {
        Ok(exit) => exit.into(),
        Err(err) => hwinv::error::report(&err).into(),
    }
}
