//! `hwinv agent`: extract this host (or a replayed capture) and push the snapshot and events to the hub,
//! once or every DURATION (see [`crate::push::agent`]).

use super::args;
use super::output::{print, print_json};
use crate::error::Exit;
use crate::extract::{Options, Origin};
use crate::push::agent::{self, AgentOptions};
use crate::push::creds::HubArgs;
use crate::store::Store;
use crate::sys::signals::{self, StopOnSignal};
use anyhow::{bail, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Arguments of `hwinv agent`.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// The hub.
    #[command(flatten)]
    pub hub: HubArgs,

    /// Extract and push once, then exit (the default).
    #[arg(long, conflicts_with = "every")]
    pub once: bool,

    /// Keep pushing every DURATION (jittered by 10 %): `30m`, `1h`.
    #[arg(long, value_name = "DURATION", value_parser = args::duration)]
    pub every: Option<Duration>,

    /// Read a capture directory (from `hwinv capture`) instead of probing this machine.
    #[arg(long, value_name = "DIR")]
    pub replay: Option<PathBuf>,

    /// Push under this name instead of the name the host reports (must match the credentials' host).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Replace serial numbers, MAC addresses and GPU UUIDs by a salted hash.
    #[arg(long)]
    pub redact: bool,

    /// Directory holding what could not be sent yet (default: $STATE_DIRECTORY, ~/.local/state/hwinv, ...).
    #[arg(long, value_name = "DIR", env = "HWINV_SPOOL")]
    pub spool: Option<PathBuf>,

    /// Keep retrying an unreachable hub this long before leaving the rest in the spool.
    #[arg(long, default_value = "2m", value_name = "DURATION", value_parser = args::duration)]
    pub retry_for: Duration,

    /// Timeout of the probe.
    #[arg(long, default_value = "60", value_name = "DURATION", value_parser = args::duration)]
    pub timeout: Duration,

    /// Also upload the raw capture (every probe section's output) to the hub's object store, as object <host>.
    #[arg(long)]
    pub raw: bool,

    /// Print each run's report as JSON (one object per line with --every).
    #[arg(long)]
    pub json: bool,

    /// Timeout of one connection attempt and of each acknowledgement.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = args::duration)]
    pub hub_timeout: Duration,
}

/// `hwinv agent`.
pub fn run(root: &Path, args: &AgentArgs) -> Result<Exit> {
    if args.every.is_some_and(|d| d < Duration::from_secs(1)) {
        bail!("invalid --every: at least 1s");
    }
    let opts = AgentOptions {
        origin: args.replay.clone().map_or(Origin::Local, Origin::Replay),
        extract: Options {
            name: args.name.clone(),
            redact: args.redact,
            timeout: args.timeout,
            git_add: false,
            track_git: false,
        },
        spool: args.spool.clone().unwrap_or_else(agent::default_spool),
        retry_for: args.retry_for,
        timeout: args.hub_timeout,
        raw: args.raw,
    };
    let store = Store::new(root);
    let Some(every) = args.every else {
        let r = agent::run_once(&store, &args.hub, &opts)?;
        if args.json {
            print_json(&r)?;
        } else {
            print(&line(&r))?;
        }
        return Ok(Exit::Success);
    };
    let _signals = StopOnSignal::install();
    while !signals::stop_requested() {
        let opts = AgentOptions {
            retry_for: opts.retry_for.min(every),
            ..opts.clone()
        };
        match agent::run_once(&store, &args.hub, &opts) {
            Ok(r) if args.json => print(&format!("{}\n", serde_json::to_string(&r)?))?,
            Ok(r) => print(&line(&r))?,
            Err(e) => eprintln!("warning: {}", crate::text::printable(&format!("{e:#}"))),
        }
        let until = Instant::now() + agent::jitter(every, 0.1);
        while Instant::now() < until && !signals::stop_requested() {
            std::thread::sleep(Duration::from_millis(200).min(until - Instant::now()));
        }
    }
    Ok(Exit::Interrupted)
}

fn line(r: &agent::Report) -> String {
    format!(
        "pushed    {}  snapshot {}, {} events ({} attempt{})\n",
        r.host,
        r.snapshot,
        r.events,
        r.attempts,
        if r.attempts == 1 { "" } else { "s" }
    )
}
