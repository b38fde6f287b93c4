//! Where facts come from — this machine, a host over SSH, a capture directory, NVML, native HTTP probes —
//! and how one extraction goes: probe, collect into a snapshot, redact, render `hardware.nix`, store, log.
//!
//! Used by `extract`, `capture`, `readiness --probe` and `export`. Parsing stays in [`crate::probe`];
//! files in [`crate::store`]; processes in [`crate::sys`].

pub mod http;
pub mod local;
pub mod nvml;
pub mod redact;
pub mod ssh;
pub mod transport;

pub use local::Local;
pub use ssh::{Ssh, SshTarget};
pub use transport::{RawOutput, Transport, TransportError};

use crate::config::services::ServicesConfig;
use crate::config::tiers::Tiers;
use crate::model::time::now_rfc3339;
use crate::model::{hostname, Services, Snapshot, Source, GENERATOR};
use crate::probe::{self, Section, Sections};
use crate::store::events::{self, Event};
use crate::store::{capture, Store};
use anyhow::{anyhow, Context, Result};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the facts come from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// This machine.
    Local,
    /// A host over SSH.
    Ssh(SshTarget),
    /// A capture directory.
    Replay(PathBuf),
}

impl Origin {
    /// How the user named the host (for events and error messages before the host's own name is known).
    pub fn label(&self) -> String {
        match self {
            Origin::Local => "local".into(),
            Origin::Ssh(t) => t.host.clone(),
            Origin::Replay(dir) => dir.display().to_string(),
        }
    }

    /// `local`, `ssh` or `replay`.
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::Local => "local",
            Origin::Ssh(_) => "ssh",
            Origin::Replay(_) => "replay",
        }
    }
}

/// Options shared by single-host and fleet extraction.
#[derive(Debug, Clone)]
pub struct Options {
    /// Store under this name instead of the reported one.
    pub name: Option<String>,
    /// Hash identifiers.
    pub redact: bool,
    /// Whole-host time bound.
    pub timeout: Duration,
    /// `git add` written files.
    pub git_add: bool,
    /// Check (or `git add`) the written files right away; false when the caller does it once for many
    /// hosts (fleet runs: concurrent `git add`s collide on `.git/index.lock`).
    pub track_git: bool,
}

/// What one successful extraction produced.
#[derive(Debug, Clone)]
pub struct Extracted {
    /// The stored snapshot.
    pub snapshot: Snapshot,
    /// Files written (snapshot, latest link, hardware.nix copies).
    pub written: Vec<PathBuf>,
    /// Seconds spent.
    pub elapsed: f64,
}

/// Probe one host and store the result. On failure nothing under `inventory/` or `hosts/` changes except
/// an `inventory.extraction.failed` event, and the error names the host and the cause.
pub fn extract_one(store: &Store, origin: &Origin, opts: &Options) -> Result<Extracted> {
    let label = origin.label();
    let started = Instant::now();
    let events_path = store.events_path();
    let event_host = opts
        .name
        .as_deref()
        .filter(|n| hostname::validate(n).is_ok())
        .unwrap_or(&label)
        .to_string();
    let log = |kind: &str, host: &str, details: serde_json::Value| {
        // The event log is a record, not a gate: failing to write it must not hide the real outcome.
        if let Err(e) = events::append(
            &events_path,
            &Event {
                time: now_rfc3339(),
                kind: kind.into(),
                host: host.into(),
                target: Some(label.clone()).filter(|l| l != host),
                details,
            },
        ) {
            eprintln!("warning: {e:#}");
        }
    };
    log(
        "inventory.extraction.started",
        &event_host,
        json!({"transport": origin.kind(), "target": label}),
    );
    match probe_and_store(store, origin, opts) {
        Ok((snapshot, written)) => {
            let host = snapshot.system_info.hostname.clone();
            let elapsed = started.elapsed().as_secs_f64();
            log(
                "inventory.hardware.discovered",
                &host,
                discovered_details(&snapshot),
            );
            log(
                "inventory.extraction.completed",
                &host,
                json!({
                    "target": label,
                    "snapshot": written.first().map(|p| rel(store.root(), p)),
                    "seconds": (elapsed * 1000.0).round() / 1000.0,
                }),
            );
            Ok(Extracted {
                snapshot,
                written,
                elapsed,
            })
        }
        Err(err) => {
            let reason = format!("{err:#}");
            log(
                "inventory.extraction.failed",
                &event_host,
                json!({"target": label, "error": reason}),
            );
            Err(err.context(format!("extracting '{label}' failed")))
        }
    }
}

/// Run the probe (only `only` sections when not empty) with the services of `services` and return its
/// sections. Locally, hwinv adds what it reads itself: NVML's GPUs and, when every service URL is plain
/// HTTP, the service probes (starting curl costs more than the probes).
pub fn probe_sections(
    origin: &Origin,
    timeout: Duration,
    services: &ServicesConfig,
    only: &[&str],
) -> Result<Sections> {
    let transport: Box<dyn Transport> = match origin {
        Origin::Replay(dir) => return Ok(capture::read_capture(dir)?),
        Origin::Local => Box::new(Local),
        Origin::Ssh(t) => Box::new(Ssh { target: t.clone() }),
    };
    let boundary = boundary()?;
    let wanted = |name: &str| only.is_empty() || only.contains(&name);
    let local = matches!(origin, Origin::Local);
    let native_http = local && wanted("services") && http::handles(services.probes());
    let skip: &[&str] = if native_http { &["services"] } else { &[] };
    let script = script_with_services(&boundary, only, skip, services);
    let (out, native, gpus) = std::thread::scope(|scope| {
        let probes = native_http.then(|| {
            scope.spawn(|| http::services_section(services.probes(), services.timeout_seconds))
        });
        // NVML loads a shared library: do it while the probe runs.
        let gpus = (local && only.is_empty()).then(|| scope.spawn(nvml::local_gpus));
        let out = transport.run(&script, timeout);
        (
            out,
            probes.and_then(|h| h.join().ok().flatten()),
            gpus.and_then(|h| h.join().ok().flatten()),
        )
    });
    let mut sections = parse_frames(&out?, &boundary)?;
    if !only.is_empty() {
        sections.ran = Some(
            only.iter()
                .map(|s| (*s).to_string())
                .collect::<BTreeSet<_>>(),
        );
    }
    if let Some(stdout) = native {
        sections
            .map
            .insert("services".into(), native_section(stdout));
    }
    if let Some(gpus) = gpus.filter(|g| !g.is_empty()) {
        let json = serde_json::to_string(&gpus).context("unable to encode NVML's GPUs")?;
        sections.map.insert("nvml".into(), native_section(json));
    }
    Ok(sections)
}

/// The script as sent: the sections in `sections` (all when empty) except those in `skip` (hwinv collects
/// them another way), probing the services of `services` (usually `<root>/templates/services.toml`).
/// Its variable lines are safe to paste into the script: every URL and name was checked when the list was
/// parsed, and the list is single-quoted.
fn script_with_services(
    boundary: &str,
    sections: &[&str],
    skip: &[&str],
    services: &ServicesConfig,
) -> String {
    let selection = if sections.is_empty() {
        "all".to_string()
    } else {
        sections.join(" ")
    };
    let vars = services.script_vars();
    let skip = skip.join(" ");
    format!(
        "HWINV_B={boundary}\nHWINV_SECTIONS='{selection}'\nHWINV_SKIP='{skip}'\n{vars}{}",
        probe::SCRIPT
    )
}

fn native_section(stdout: String) -> Section {
    Section {
        stdout,
        stderr: String::new(),
        exit_code: Some(0),
        timed_out: false,
    }
}

fn parse_frames(out: &RawOutput, boundary: &str) -> Result<Sections> {
    match probe::frame::parse(&out.stdout, boundary) {
        Ok(sections) => Ok(sections),
        Err(e) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let hint = stderr
                .lines()
                .map(str::trim)
                .rfind(|l| !l.is_empty() && !l.starts_with("Warning: Permanently added"));
            match hint {
                Some(h) => Err(anyhow!("{e} (exit status {:?}; stderr: {h})", out.status)),
                None => Err(anyhow!("{e} (exit status {:?})", out.status)),
            }
        }
    }
}

fn boundary() -> Result<String> {
    let mut b = [0u8; 12];
    getrandom::getrandom(&mut b).context("no randomness for the probe boundary")?;
    Ok(format!("@@hwinv-{}", hex::encode(b)))
}

/// How the snapshot's `source` describes `origin`.
fn source(origin: &Origin) -> Source {
    Source {
        transport: origin.kind().to_string(),
        target: match origin {
            Origin::Local => None,
            Origin::Ssh(_) | Origin::Replay(_) => Some(origin.label()),
        },
        user: match origin {
            Origin::Ssh(t) => t.user.clone(),
            _ => None,
        },
        port: match origin {
            Origin::Ssh(t) => t.port,
            _ => None,
        },
    }
}

fn probe_and_store(
    store: &Store,
    origin: &Origin,
    opts: &Options,
) -> Result<(Snapshot, Vec<PathBuf>)> {
    let (snapshot, _) = probe_snapshot(store, origin, opts)?;
    let tiers = Tiers::load(store.root())?;
    match store_snapshot(store, &snapshot, &tiers, |_| Ok(None))? {
        Stored::Written(written) => {
            if opts.track_git {
                crate::store::git::track(store.root(), &written, opts.git_add);
            }
            Ok((snapshot, written))
        }
        Stored::Skipped(reason) => Err(anyhow!("snapshot not stored: {reason}")),
    }
}

/// Probe `origin` and build its snapshot (named, validated and redacted as `opts` says) without
/// writing anything but the redaction salt; also returns the raw sections. `hwinv agent` publishes
/// what this returns, `extract` stores it with [`store_snapshot`].
pub fn probe_snapshot(
    store: &Store,
    origin: &Origin,
    opts: &Options,
) -> Result<(Snapshot, Sections)> {
    if let Some(name) = &opts.name {
        hostname::validate(name)?;
    }
    let services = ServicesConfig::load(store.root())?;
    let sections = probe_sections(origin, opts.timeout, &services, &[])?;
    let ctx = probe::Context {
        collected_at: now_rfc3339(),
        source: source(origin),
        generator: GENERATOR.to_string(),
    };
    let mut snapshot = probe::collect(&sections, &ctx)?;
    if let Some(name) = &opts.name {
        if *name != snapshot.system_info.hostname {
            let reported = std::mem::replace(&mut snapshot.system_info.hostname, name.clone());
            snapshot.system_info.reported_hostname = Some(reported).filter(|r| !r.is_empty());
        }
    }
    let host = snapshot.system_info.hostname.clone();
    hostname::validate(&host)
        .context("the host reported a name that cannot be a directory; use --name")?;
    if opts.redact {
        let salt = redact::load_or_create_salt(&store.inventory_dir())?;
        redact::redact(&mut snapshot, &salt);
    }
    Ok((snapshot, sections))
}

/// What [`store_snapshot`] did.
#[derive(Debug, Clone)]
pub enum Stored {
    /// The snapshot, `latest.json`, `inventory/<host>/hardware.nix` and `hosts/<host>/hardware.nix`.
    Written(Vec<PathBuf>),
    /// `check` said no, for this reason; nothing was written.
    Skipped(String),
}

/// Store a snapshot the way `extract` does: render `hardware.nix` first (a template error leaves the
/// inventory untouched), then, holding the host lock, ask `check` (given the host's directory) whether to
/// go on, write `hardware_<stamp>.json`, swap `latest.json` and write both `hardware.nix` copies.
/// `hwinv sync` stores pushed snapshots through here, with a `check` that refuses to go backwards.
pub fn store_snapshot(
    store: &Store,
    snapshot: &Snapshot,
    tiers: &Tiers,
    check: impl FnOnce(&Path) -> Result<Option<String>>,
) -> Result<Stored> {
    let host = snapshot.system_info.hostname.clone();
    hostname::validate(&host)?;
    let class = tiers.classify(snapshot);
    let nix = crate::render::hardware_nix(store.root(), snapshot, &class)?;
    let mut json = serde_json::to_vec_pretty(snapshot)?;
    json.push(b'\n');

    let _lock = store.lock_host(&host)?;
    if let Some(reason) = check(&store.host_dir(&host)?)? {
        return Ok(Stored::Skipped(reason));
    }
    let written = store.save_extraction(snapshot, &json, nix.as_bytes())?;
    Ok(Stored::Written(written))
}

/// The details of the `inventory.hardware.discovered` event for `snapshot` (extract and agent alike).
pub fn discovered_details(snapshot: &Snapshot) -> serde_json::Value {
    json!({
        "cpu_type": snapshot.hardware.cpu_type,
        "cpu_cores": snapshot.hardware.cpu_cores,
        "memory_gb": snapshot.hardware.memory_gb,
        "disks": snapshot.disks.len(),
        "gpus": snapshot.gpus.as_ref().map(Vec::len),
        "warnings": snapshot.warnings.len(),
    })
}

/// Probe this machine's services now (the service sections of the same script `extract` runs, with
/// `<root>/templates/services.toml`) and return the machine's inventory name with them.
pub fn live_services(root: &Path, name: Option<&str>) -> Result<(String, Services)> {
    let cfg = ServicesConfig::load(root)?;
    let timeout = Duration::from_secs(u64::from(cfg.timeout_seconds) + 20);
    let only = probe::sections::service_sections();
    let sections =
        probe_sections(&Origin::Local, timeout, &cfg, &only).context("probing services")?;
    let ctx = probe::Context {
        collected_at: now_rfc3339(),
        source: source(&Origin::Local),
        generator: GENERATOR.to_string(),
    };
    let snap = probe::collect(&sections, &ctx)?;
    let host = name.map_or_else(|| snap.system_info.hostname.clone(), str::to_string);
    let services = snap
        .services
        .ok_or_else(|| anyhow!("the probe returned no service sections"))?;
    Ok((host, services))
}

/// `p` relative to the inventory root, for messages and events.
pub fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}
