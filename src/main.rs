//! Entry point: parse arguments, run the command, print errors as one line each, map to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = hwinv::cli::Cli::parse();
    match hwinv::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`hwinv hosts | head`) is not an error worth reporting.
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            // One line: the context chain joined by ": ", so fleet logs and scripts can grep it.
            eprintln!("error: {}", one_line(&format!("{err:#}")));
            ExitCode::from(hwinv::commands::exit::FAILURE)
        }
    }
}

/// Collapse whitespace runs (remote stderr may carry newlines) so an error stays on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
