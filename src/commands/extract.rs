//! `hwinv extract`: run the probe on one host (or replay a capture), store the snapshot, render
//! `hardware.nix`, and log events. Fleet extraction lives in `fleet.rs` and reuses [`extract_one`].

use super::{exit, now_rfc3339};
use crate::cli::{ExtractArgs, SshArgs};
use crate::events::{self, Event};
use crate::hostname;
use crate::model::{Snapshot, Source};
use crate::probe::{self, Sections};
use crate::render::Renderer;
use crate::rules::{Classification, Tiers};
use crate::store::{self, Store};
use crate::transport::{replay, Local, Ssh, SshTarget, Transport};
use anyhow::{anyhow, Context, Result};
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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

/// Build an [`SshTarget`] from the command-line flags.
pub fn ssh_target(host: &str, user: Option<String>, ssh: &SshArgs) -> Result<SshTarget> {
    hostname::validate_target(host)?;
    if let Some(u) = &user {
        if u.is_empty()
            || u.starts_with('-')
            || u.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(anyhow!("invalid ssh user {u:?}"));
        }
    }
    Ok(SshTarget {
        host: host.to_string(),
        user,
        port: ssh.port,
        identity: ssh.identity.clone(),
        options: ssh.ssh_options.clone(),
        host_key_checking: ssh.host_key_checking.clone(),
        insecure_accept_any_host_key: ssh.insecure_accept_any_host_key,
    })
}

/// `hwinv extract`.
pub fn run(root: &Path, args: &ExtractArgs) -> Result<ExitCode> {
    if let Some(fleet) = &args.fleet {
        return super::fleet::run(root, fleet, args);
    }
    let origin = match (&args.replay, &args.host) {
        (Some(dir), _) => Origin::Replay(dir.clone()),
        (None, Some(host)) => Origin::Ssh(ssh_target(host, args.user.clone(), &args.ssh)?),
        (None, None) => Origin::Local,
    };
    let opts = Options {
        name: args.name.clone(),
        redact: args.redact,
        timeout: Duration::from_secs(args.timeout.max(1)),
        git_add: args.git_add,
        track_git: true,
    };
    let store = Store::new(root);
    let done = extract_one(&store, &origin, &opts)?;
    if args.json {
        let mut out = serde_json::to_string_pretty(&done.snapshot)?;
        out.push('\n');
        print_stdout(&out)?;
    } else {
        print_stdout(&summary(&done, root))?;
    }
    Ok(ExitCode::from(exit::SUCCESS))
}

fn print_stdout(s: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
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
                details,
            },
        ) {
            eprintln!("warning: {e:#}");
        }
    };
    log(
        "inventory.extraction.started",
        &event_host,
        json!({"transport": transport_kind(origin), "target": label}),
    );
    match probe_and_store(store, origin, opts) {
        Ok((snapshot, written)) => {
            let host = snapshot.system_info.hostname.clone();
            let elapsed = started.elapsed().as_secs_f64();
            log(
                "inventory.hardware.discovered",
                &host,
                json!({
                    "cpu_type": snapshot.hardware.cpu_type,
                    "cpu_cores": snapshot.hardware.cpu_cores,
                    "memory_gb": snapshot.hardware.memory_gb,
                    "disks": snapshot.disks.len(),
                    "gpus": snapshot.gpus.as_ref().map(Vec::len),
                    "warnings": snapshot.warnings.len(),
                }),
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

fn transport_kind(origin: &Origin) -> &'static str {
    match origin {
        Origin::Local => "local",
        Origin::Ssh(_) => "ssh",
        Origin::Replay(_) => "replay",
    }
}

/// Run the probe (only `only` sections when not empty) with the services of `services` and return its
/// sections.
pub fn probe_sections_with(
    origin: &Origin,
    timeout: Duration,
    services: &crate::services::ServicesConfig,
    only: &[&str],
) -> Result<Sections> {
    let transport: Box<dyn Transport> = match origin {
        Origin::Replay(dir) => return Ok(replay::read_capture(dir)?),
        Origin::Local => Box::new(Local),
        Origin::Ssh(t) => Box::new(Ssh { target: t.clone() }),
    };
    let boundary = boundary()?;
    let wanted = |name: &str| only.is_empty() || only.contains(&name);
    // This machine's services are probed by hwinv itself, beside the script, when every URL is plain
    // HTTP: starting curl costs more than the probes.
    let native = matches!(origin, Origin::Local)
        && wanted("services")
        && crate::transport::http::handles(services.probes());
    let skip: &[&str] = if native { &["services"] } else { &[] };
    let script = probe::script_with_services(&boundary, only, skip, services);
    let (out, native) = std::thread::scope(|scope| {
        let probes = native.then(|| {
            scope.spawn(|| {
                crate::transport::http::services_section(
                    services.probes(),
                    services.timeout_seconds,
                )
            })
        });
        let out = transport.run(&script, timeout);
        (out, probes.and_then(|h| h.join().ok().flatten()))
    });
    let mut sections = parse_frames(&out?, &boundary)?;
    if let Some(stdout) = native {
        sections.map.insert(
            "services".into(),
            probe::Section {
                stdout,
                stderr: String::new(),
                exit_code: Some(0),
                timed_out: false,
            },
        );
    }
    Ok(sections)
}

fn parse_frames(out: &crate::transport::RawOutput, boundary: &str) -> Result<Sections> {
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

fn probe_and_store(
    store: &Store,
    origin: &Origin,
    opts: &Options,
) -> Result<(Snapshot, Vec<PathBuf>)> {
    if let Some(name) = &opts.name {
        hostname::validate(name)?;
    }
    let services = crate::services::ServicesConfig::load(store.root())?;
    // NVML loads a shared library: do it while the probe runs.
    let nvml = matches!(origin, Origin::Local)
        .then(|| std::thread::spawn(crate::transport::nvml::local_gpus));
    let sections = probe_sections_with(origin, opts.timeout, &services, &[])?;
    let target = match origin {
        Origin::Local => None,
        Origin::Ssh(_) | Origin::Replay(_) => Some(origin.label()),
    };
    let ctx = probe::Context {
        collected_at: now_rfc3339(),
        source: Source {
            transport: transport_kind(origin).to_string(),
            target,
        },
        generator: format!("hwinv {}", env!("CARGO_PKG_VERSION")),
    };
    let mut snapshot = probe::collect(&sections, &ctx)?;
    if let Some(gpus) = nvml.and_then(|h| h.join().ok().flatten()) {
        prefer_nvml(&mut snapshot, gpus);
    }
    if let Some(name) = &opts.name {
        snapshot.system_info.hostname = name.clone();
    }
    let host = snapshot.system_info.hostname.clone();
    hostname::validate(&host)
        .context("the host reported a name that cannot be a directory; use --name")?;
    if opts.redact {
        let salt = crate::redact::load_or_create_salt(&store.inventory_dir())?;
        crate::redact::redact(&mut snapshot, &salt);
    }
    // Render before writing anything, so a template error leaves the inventory untouched.
    let tiers = Tiers::load(store.root())?;
    let class = tiers.classify(&snapshot);
    let nix = render_hardware_nix(store.root(), &snapshot, &class)?;
    let mut json = serde_json::to_vec_pretty(&snapshot)?;
    json.push(b'\n');

    let _lock = store.lock_host(&host)?;
    let saved = store.save_snapshot(&snapshot, &json)?;
    let inv_nix = store.host_dir(&host)?.join("hardware.nix");
    let hosts_nix = store.generated_dir(&host)?.join("hardware.nix");
    for p in [&inv_nix, &hosts_nix] {
        store::write_atomic(p, nix.as_bytes())
            .with_context(|| format!("unable to write '{}'", p.display()))?;
    }
    let written = vec![saved.snapshot, saved.latest, inv_nix, hosts_nix];
    if opts.track_git {
        super::git::track(store.root(), &written, opts.git_add);
    }
    Ok((snapshot, written))
}

/// Locally, NVML is the stable interface to NVIDIA GPUs: when it answers with GPUs, its list replaces
/// what nvidia-smi's output gave.
fn prefer_nvml(snapshot: &mut Snapshot, gpus: Vec<crate::model::Gpu>) {
    if gpus.is_empty() {
        return;
    }
    snapshot.gpus = Some(gpus);
    snapshot.warnings.retain(|w| !w.starts_with("nvidia_smi"));
    snapshot.sections.insert(
        "nvml".into(),
        crate::model::SectionReport {
            status: crate::model::SectionStatus::Ok,
            exit_code: None,
            message: None,
        },
    );
}

/// Render `hardware.nix` for a snapshot.
pub fn render_hardware_nix(
    root: &Path,
    snapshot: &Snapshot,
    class: &Classification,
) -> Result<String> {
    #[derive(Serialize)]
    struct Ctx<'a> {
        s: &'a Snapshot,
        t: &'a Classification,
        platform: &'a str,
    }
    let platform = match snapshot.os.family {
        crate::model::OsFamily::Macos => "darwin",
        crate::model::OsFamily::Linux => "linux",
    };
    Renderer::new(root, &[]).render(
        "hardware.nix.j2",
        &Ctx {
            s: snapshot,
            t: class,
            platform,
        },
    )
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// The human summary printed after a successful extraction.
pub fn summary(done: &Extracted, root: &Path) -> String {
    let s = &done.snapshot;
    let gib = |b: u64| b as f64 / f64::from(1u32 << 30);
    let mut out = String::new();
    let os = [s.os.name.as_deref(), s.os.version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    out.push_str(&format!(
        "host      {}  ({})\n",
        s.system_info.hostname, s.system_info.nix_system
    ));
    out.push_str(&format!(
        "model     {}\n",
        s.system_info.model.as_deref().unwrap_or("unknown")
    ));
    out.push_str(&format!(
        "os        {}\n",
        if os.is_empty() {
            s.os.family.as_str().to_string()
        } else {
            os
        }
    ));
    let cpu = &s.hardware.cpu;
    let mut cores = format!("{} cores, {} threads", cpu.physical_cores, cpu.logical_cpus);
    if let (Some(p), Some(e)) = (cpu.performance_cores, cpu.efficiency_cores) {
        cores.push_str(&format!(" ({p}P + {e}E)"));
    }
    if cpu.sockets > 1 {
        cores.push_str(&format!(", {} sockets", cpu.sockets));
    }
    out.push_str(&format!("cpu       {}  {}\n", s.hardware.cpu_type, cores));
    out.push_str(&format!(
        "memory    {} GB ({:.1} GiB)\n",
        s.hardware.memory_gb,
        gib(s.hardware.memory.total_bytes)
    ));
    if s.disks.is_empty() {
        out.push_str("disks     none found\n");
    }
    for d in &s.disks {
        out.push_str(&format!(
            "disk      {}  {} GB {:?}{}{}\n",
            d.name,
            d.size_gb,
            d.kind,
            d.model
                .as_deref()
                .map(|m| format!("  {m}"))
                .unwrap_or_default(),
            if d.removable { "  (removable)" } else { "" }
        ));
    }
    match &s.gpus {
        None => out.push_str("gpus      unknown\n"),
        Some(g) if g.is_empty() => out.push_str("gpus      none\n"),
        Some(g) => {
            for g in g {
                let vram = g.vram_gb.map(|v| format!("  {v} GB")).unwrap_or_default();
                out.push_str(&format!("gpu       {}{}\n", g.name, vram));
            }
        }
    }
    if let Some(services) = &s.services {
        for line in crate::services::summary_lines(services) {
            out.push_str(&format!("service   {line}\n"));
        }
    }
    for w in &s.warnings {
        out.push_str(&format!("warning   {w}\n"));
    }
    for p in &done.written {
        out.push_str(&format!("wrote     {}\n", rel(root, p)));
    }
    out.push_str(&format!("took      {:.2} s\n", done.elapsed));
    out
}
