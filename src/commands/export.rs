//! `hwinv export prometheus`: the fleet's latest snapshots (or some hosts) as Prometheus text, on stdout or
//! written atomically for node_exporter's textfile collector.
//!
//! Orchestration only: the exposition lives in [`crate::render::prometheus`], the push in [`crate::remote_write`].

use crate::config::readiness::ReadinessRules;
use crate::error::Exit;
use crate::extract::live_services;
use crate::readiness::{apply_live, load_latest};
use crate::render::prometheus::{self, DEFAULT_PREFIX};
use crate::store::{self, Store};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Arguments of `hwinv export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output format.
    #[command(subcommand)]
    pub format: ExportFormat,
}

/// Export formats.
#[derive(Debug, clap::Subcommand)]
pub enum ExportFormat {
    /// Prometheus text format (node_exporter textfile collector): host, CPU, RAM, GPUs, services,
    /// readiness per profile, loaded LLM models.
    Prometheus(PrometheusArgs),
}

/// Arguments of `hwinv export prometheus`.
#[derive(Debug, clap::Args)]
pub struct PrometheusArgs {
    /// Write to FILE instead of stdout, atomically (temp file in the same directory, then rename), as the
    /// textfile collector needs. node_exporter only reads files ending in .prom.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Only this host (repeatable; default: every inventoried host).
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,

    /// Metric name prefix.
    #[arg(long, default_value = DEFAULT_PREFIX, value_name = "PREFIX")]
    pub prefix: String,

    /// Export this machine (unless --host names others) with its services probed now instead of those
    /// recorded at its last extraction: for a timer every 30 s. Nothing under inventory/ is written.
    #[arg(long)]
    pub probe: bool,

    /// With --probe: this machine's inventory name, when it was extracted with --name.
    #[arg(long, value_name = "NAME", requires = "probe")]
    pub name: Option<String>,

    /// The same series as JSON (`[{"name", "labels", "value"}]`) on stdout, instead of the text format.
    #[arg(long, conflicts_with = "out")]
    pub json: bool,

    /// Push the series to a Prometheus remote-write receiver instead of printing them
    /// (`http://host:9090/api/v1/write`; protobuf + snappy, remote write 1.0), for hosts a Prometheus cannot
    /// scrape.
    #[arg(long, value_name = "URL", conflicts_with_all = ["out", "json"])]
    pub remote_write: Option<String>,

    /// With --remote-write: push again every DURATION (`30s`, `1m`) until Ctrl-C, reading the snapshots
    /// (and with --probe the services) anew each time; a failed push is reported and retried next time.
    #[arg(long, value_name = "DURATION", requires = "remote_write", value_parser = crate::model::units::parse_duration)]
    pub every: Option<std::time::Duration>,

    /// Series names: `hwinv` (the default families under --prefix), or `tom` for the GPU plan's exact
    /// series (`tom_host_cpu_info`, `tom_gpu_vram_bytes`, `tom_readiness_realtime`, …) that existing
    /// dashboards query.
    #[arg(long, value_enum, default_value = "hwinv")]
    pub names: Names,
}

/// Which series names `export prometheus` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Names {
    /// hwinv's own families (`hwinv_host_info`, `hwinv_readiness{profile}`, …).
    Hwinv,
    /// The GPU-readiness plan's series (`tom_*`), for dashboards built on them.
    Tom,
}

/// `hwinv export`.
pub fn run(root: &Path, args: &ExportArgs) -> Result<Exit> {
    match &args.format {
        ExportFormat::Prometheus(p) => run_prometheus(root, p),
    }
}

/// `hwinv export prometheus`. Hosts whose snapshot cannot be read are left out with an error message and
/// exit status 2; the others are still exported.
fn run_prometheus(root: &Path, args: &PrometheusArgs) -> Result<Exit> {
    if !prometheus::valid_prefix(&args.prefix) {
        bail!(
            "invalid metric prefix {:?}: use letters, digits, '_' and ':', not starting with a digit",
            args.prefix
        );
    }
    let rules = ReadinessRules::load(root)?;
    let store = Store::new(root);
    // Refuse a mistyped host or directory before anything is written: an empty export would replace the
    // one node_exporter serves.
    for h in &args.hosts {
        store.check_host(h)?;
    }
    if let Some(path) = &args.out {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(dir) = parent {
            if !dir.is_dir() {
                bail!(
                    "directory '{}' of --out does not exist (create it first: node_exporter's textfile directory)",
                    dir.display()
                );
            }
        }
    }
    let url = args
        .remote_write
        .as_deref()
        .map(crate::remote_write::parse_url)
        .transpose()?;
    let build = || -> Result<(String, Vec<String>)> {
        let live = if args.probe {
            Some(live_services(root, args.name.as_deref())?)
        } else {
            None
        };
        let hosts = if !args.hosts.is_empty() {
            let mut h = args.hosts.clone();
            h.sort();
            h.dedup();
            h
        } else if let Some((host, _)) = &live {
            vec![host.clone()]
        } else {
            store.hosts()?
        };
        let (mut loaded, mut errors) = load_latest(&store, &hosts);
        if let Some((host, services)) = live {
            apply_live(&mut loaded, &mut errors, &host, services);
        }
        let text = match args.names {
            Names::Hwinv => prometheus::render(&loaded, &rules, &args.prefix),
            Names::Tom => prometheus::render_tom(&loaded, &rules),
        };
        Ok((text, errors))
    };
    if let Some(url) = url {
        return remote_write(&url, args.every, build);
    }
    let (text, errors) = build()?;
    match &args.out {
        Some(path) => {
            if path.extension().and_then(|e| e.to_str()) != Some("prom") {
                eprintln!(
                    "warning: '{}' does not end in .prom: node_exporter's textfile collector will not read it",
                    path.display()
                );
            }
            store::write_atomic(path, text.as_bytes())
                .with_context(|| format!("unable to write '{}'", path.display()))?;
        }
        None if args.json => {
            crate::commands::output::print_json(&prometheus::parse_samples(&text))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    Ok(if errors.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// Push the series once, or every `every` until Ctrl-C / SIGTERM (a failed round is reported, not fatal).
fn remote_write(
    url: &crate::remote_write::Url,
    every: Option<std::time::Duration>,
    build: impl Fn() -> Result<(String, Vec<String>)>,
) -> Result<Exit> {
    let once = || -> Result<(usize, Vec<String>)> {
        let (text, errors) = build()?;
        let samples = prometheus::parse_samples(&text);
        let now_ms = crate::telemetry::sink::now_micros() / 1000;
        let body = crate::remote_write::encode(&samples, now_ms)?;
        crate::remote_write::post(url, &body, std::time::Duration::from_secs(30))?;
        Ok((samples.len(), errors))
    };
    let Some(every) = every else {
        let (n, errors) = once()?;
        eprintln!("pushed {n} series to {}", url.authority);
        for e in &errors {
            eprintln!("error: {e}");
        }
        return Ok(if errors.is_empty() {
            Exit::Success
        } else {
            Exit::Failure
        });
    };
    let _signals = crate::sys::signals::StopOnSignal::install();
    loop {
        let started = std::time::Instant::now();
        match once() {
            Ok((n, errors)) => {
                eprintln!("pushed {n} series to {}", url.authority);
                for e in &errors {
                    eprintln!("error: {e}");
                }
            }
            Err(e) => eprintln!("error: {}", format!("{e:#}").replace('\n', " ")),
        }
        while started.elapsed() < every {
            if crate::sys::signals::stop_requested() {
                return Ok(Exit::Interrupted);
            }
            std::thread::sleep(std::time::Duration::from_millis(100).min(every));
        }
    }
}
