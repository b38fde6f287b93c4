//! `hwinv sync`: write every host pushed to the hub into `inventory/` (see [`crate::push::sync`]).

use super::args;
use super::output::{print, print_json};
use crate::error::Exit;
use crate::push::creds::HubArgs;
use crate::push::sync::{self, SyncOptions};
use crate::store::Store;
use anyhow::Result;
use clap::Args;
use std::path::Path;
use std::time::Duration;

/// Arguments of `hwinv sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The hub (admin credentials).
    #[command(flatten)]
    pub hub: HubArgs,

    /// Connection and request timeout.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = args::duration)]
    pub timeout: Duration,

    /// Hosts written at once (writing waits on the disk flushing each file, not on the CPU).
    #[arg(short = 'j', long, default_value_t = 32, value_name = "N")]
    pub jobs: usize,

    /// Run `git add` on the files written when the inventory is a git repository.
    #[arg(long)]
    pub git_add: bool,

    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `hwinv sync`.
pub fn run(root: &Path, args: &SyncArgs) -> Result<Exit> {
    let opts = SyncOptions {
        timeout: args.timeout,
        git_add: args.git_add,
        jobs: args.jobs,
    };
    let r = sync::run(&Store::new(root), &args.hub, &opts)?;
    if args.json {
        print_json(&r)?;
    } else {
        let mut out = format!(
            "synced    {} hosts: {} stored, {} unchanged, {} older ignored, {} events ({:.2} s)\n",
            r.hosts, r.stored, r.unchanged, r.older, r.events, r.seconds
        );
        for (reason, n) in &r.rejected {
            out.push_str(&format!("rejected  {n} {reason}\n"));
        }
        for f in &r.failed {
            out.push_str(&format!("failed    {}\n", crate::text::printable(f)));
        }
        print(&out)?;
    }
    Ok(if r.failed.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    })
}
