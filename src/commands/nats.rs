//! `hwinv nats`: set up a NATS JetStream hub for push mode: `hub-config` writes the server configuration
//! and per-host credentials from the inventory, `setup` creates the bucket, object store and event stream.

use super::args;
use super::output::{print, print_json};
use crate::error::Exit;
use crate::push::creds::HubArgs;
use crate::push::{client, hub};
use crate::store::Store;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Arguments of `hwinv nats`.
#[derive(Debug, Args)]
pub struct NatsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: NatsCommand,
}

/// `hwinv nats` subcommands.
#[derive(Debug, Subcommand)]
pub enum NatsCommand {
    /// Write DIR/nats-server.conf (JetStream on, loopback unless --listen) and DIR/creds/<user>.creds:
    /// one nkey user per inventoried (or --host) host, allowed to publish only its own facts, plus hwinv-admin.
    HubConfig(HubConfigArgs),
    /// Create the KV bucket, object store and event stream on the hub (idempotent; admin credentials).
    Setup(SetupArgs),
}

/// Arguments of `hwinv nats hub-config`.
#[derive(Debug, Args)]
pub struct HubConfigArgs {
    /// Directory to write nats-server.conf and creds/ into (existing credentials are kept).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// A host to create a user for (repeatable); default: every host under inventory/.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,

    /// Address the hub listens on (0.0.0.0 for every interface; use TLS beyond loopback).
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    pub listen: String,

    /// Client port.
    #[arg(long, default_value_t = 4222)]
    pub port: u16,

    /// JetStream store directory (default: DIR/jetstream).
    #[arg(long, value_name = "DIR")]
    pub store_dir: Option<PathBuf>,

    /// JetStream file store limit, e.g. 10G.
    #[arg(long, value_name = "SIZE")]
    pub max_file_store: Option<String>,

    /// Server TLS certificate (PEM; with --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Server TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// CA that client certificates must be signed by (turns on client verification).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_ca: Option<PathBuf>,

    /// Print what was written as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hwinv nats setup`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    /// The hub.
    #[command(flatten)]
    pub hub: HubArgs,

    /// Snapshots kept per host in the KV bucket (1-64).
    #[arg(long, default_value_t = 16)]
    pub history: i64,

    /// How long the event stream keeps events: `30d`, `90d`.
    #[arg(long, default_value = "90d", value_name = "DURATION", value_parser = args::duration)]
    pub event_max_age: Duration,

    /// Keep everything in memory instead of on disk (tests and benchmarks; lost when the hub stops).
    #[arg(long)]
    pub memory: bool,

    /// Connection and request timeout.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = args::duration)]
    pub timeout: Duration,

    /// Print what is ready as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `hwinv nats`.
pub fn run(root: &Path, args: &NatsArgs) -> Result<Exit> {
    match &args.command {
        NatsCommand::HubConfig(a) => hub_config(root, a),
        NatsCommand::Setup(a) => setup(a),
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).with_context(|| format!("unable to resolve '{}'", p.display()))
}

fn hub_config(root: &Path, a: &HubConfigArgs) -> Result<Exit> {
    let hosts = if a.hosts.is_empty() {
        Store::new(root).hosts()?
    } else {
        a.hosts.clone()
    };
    if hosts.is_empty() {
        bail!("no hosts: the inventory is empty; name hosts with --host NAME");
    }
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some((absolute(c)?, absolute(k)?)),
        _ => None,
    };
    let opts = hub::HubOptions {
        listen: a.listen.clone(),
        port: a.port,
        store_dir: absolute(
            &a.store_dir
                .clone()
                .unwrap_or_else(|| a.out.join("jetstream")),
        )?,
        max_file_store: a.max_file_store.clone(),
        tls,
        tls_ca: a.tls_ca.as_deref().map(absolute).transpose()?,
    };
    if let Some(m) = &opts.max_file_store {
        if m.is_empty() || !m.chars().all(|c| c.is_ascii_alphanumeric()) {
            bail!("invalid --max-file-store '{m}': expected a size like 10G");
        }
    }
    let w = hub::write(&a.out, &hosts, &opts)?;
    if a.json {
        print_json(&w)?;
        return Ok(Exit::Success);
    }
    let mut out = format!("wrote     {}\n", w.config.display());
    out.push_str(&format!(
        "users     {} hosts + hwinv-admin ({} new credentials, {} kept) in {}\n",
        hosts.len(),
        w.created.len(),
        w.kept.len(),
        a.out.join("creds").display()
    ));
    out.push_str(&format!(
        "next      nats-server -c {}   then   hwinv nats setup --server nats://{}:{} --creds {}\n",
        w.config.display(),
        if a.listen == "0.0.0.0" {
            "127.0.0.1"
        } else {
            &a.listen
        },
        a.port,
        a.out.join("creds/hwinv-admin.creds").display()
    ));
    print(&out)?;
    Ok(Exit::Success)
}

fn setup(a: &SetupArgs) -> Result<Exit> {
    if !(1..=64).contains(&a.history) {
        bail!("invalid --history {}: between 1 and 64", a.history);
    }
    let opts = client::SetupOptions {
        history: a.history,
        event_max_age: a.event_max_age,
        memory: a.memory,
    };
    let rt = crate::push::runtime()?;
    let lines = rt.block_on(async {
        let hub = client::connect(&a.hub, a.timeout).await?;
        let r = hub.setup(&opts).await;
        hub.close().await;
        r
    })?;
    if a.json {
        print_json(&serde_json::json!({
            "bucket": crate::push::BUCKET,
            "history": a.history,
            "object_store": crate::push::OBJECTS,
            "event_stream": crate::push::EVENT_STREAM,
            "event_subjects": crate::push::EVENT_SUBJECTS,
        }))?;
        return Ok(Exit::Success);
    }
    let mut out = String::new();
    for l in lines {
        out.push_str(&format!("ready     {l}\n"));
    }
    print(&out)?;
    Ok(Exit::Success)
}
