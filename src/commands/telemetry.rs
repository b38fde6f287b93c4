//! `hwinv telemetry status|ingest|synth`: what the telemetry history holds, samples from elsewhere, and
//! synthetic history for tests and demos.

use crate::config::telemetry::Config;
use crate::error::Exit;
use crate::telemetry::collect::Collector;
use crate::telemetry::model::{format_micros, parse_rfc3339_micros, Sample};
use crate::telemetry::parse::describe_throttle;
use crate::telemetry::sink::{collect_options, host_id_of, now_micros, Sink};
use crate::telemetry::store::TelemetryStore;
use anyhow::{Context, Result};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// Arguments of `hwinv telemetry`.
#[derive(Debug, clap::Args)]
pub struct TelemetryArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TelemetryCommand,
}

/// `hwinv telemetry` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TelemetryCommand {
    /// Current CPU, RAM, disk and temperature of this host, and the age of its last stored sample.
    Status(StatusArgs),
    /// Append samples from a JSON-lines file (one sample object per line), under the same data rules.
    Ingest(IngestArgs),
    /// Append N synthetic 10-second samples (for benchmarks).
    #[command(hide = true)]
    Synth(SynthArgs),
}

/// Arguments of `hwinv telemetry status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Host whose last stored sample to show (default: this host's id).
    #[arg(long, env = "HWINV_TELEMETRY_HOST_ID")]
    pub host_id: Option<String>,
}

/// Arguments of `hwinv telemetry ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// JSON-lines file (`-` for stdin).
    pub file: PathBuf,
}

/// Arguments of `hwinv telemetry synth`.
#[derive(Debug, clap::Args)]
pub struct SynthArgs {
    /// Number of samples.
    #[arg(long, default_value_t = 60_480)]
    pub rows: u64,
    /// Host id of the samples.
    #[arg(long, default_value = "synth")]
    pub host_id: String,
    /// Time of the first sample (RFC 3339).
    #[arg(long, default_value = "2024-01-01T00:00:00Z")]
    pub start: String,
    /// Seconds between samples.
    #[arg(long, default_value_t = 10)]
    pub step: u64,
}

/// Run `telemetry`.
pub fn run(root: &Path, args: &TelemetryArgs) -> Result<Exit> {
    match &args.command {
        TelemetryCommand::Status(a) => status(root, a),
        TelemetryCommand::Ingest(a) => ingest(root, a),
        TelemetryCommand::Synth(a) => synth(root, a),
    }
}

fn status(root: &Path, args: &StatusArgs) -> Result<Exit> {
    let cfg = Config::load(root)?;
    let host_id = host_id_of(&cfg, args.host_id.as_ref())?;
    let mut collector = Collector::new(collect_options(&cfg, host_id.clone(), None));
    std::thread::sleep(collector.ready_in());
    let now = now_micros();
    let cur = collector.sample(now);
    let last = TelemetryStore::new(root).last_sample(&host_id)?;
    let age = last.as_ref().map(|l| (now - l.as_of) / 1_000_000);
    let rejects = TelemetryStore::new(root).rejects()?;
    if args.json {
        let v = serde_json::json!({
            "current": cur,
            "last_sample_as_of": last.as_ref().map(|l| format_micros(l.as_of)),
            "last_sample_age_secs": age,
            "rejected_total": rejects.total,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(Exit::Success);
    }
    #[allow(clippy::cast_precision_loss)] // MiB counts far below 2^52
    let pct = |a: i64, b: i64| {
        if b > 0 {
            a as f64 / b as f64 * 100.0
        } else {
            0.0
        }
    };
    println!("host         {} ({} {})", cur.host_id, cur.os, cur.arch);
    println!(
        "cpu          {:.1} % of {} logical CPUs{}",
        cur.cpu_pct,
        cur.cpu_count_logical,
        cur.cpu_freq_mhz
            .map(|f| format!(", {f} MHz"))
            .unwrap_or_default()
    );
    println!(
        "ram          {} / {} MiB used ({:.1} %), {} MiB available",
        cur.ram_used_mb,
        cur.ram_total_mb,
        pct(cur.ram_used_mb, cur.ram_total_mb),
        cur.ram_available_mb
    );
    println!(
        "swap         {} / {} MiB used",
        cur.swap_used_mb, cur.swap_total_mb
    );
    match (cur.disk_root_free_gb, cur.disk_root_total_gb) {
        (Some(f), Some(t)) if t > 0.0 => println!(
            "disk {:<7} {f:.1} GiB free of {t:.1} GiB ({:.1} % free)",
            cur.disk_mount,
            f / t * 100.0
        ),
        _ => println!("disk {:<7} unavailable", cur.disk_mount),
    }
    match cur.cpu_temp_c {
        Some(t) => println!("temperature  {t:.1} °C"),
        None => println!("temperature  unavailable (no sensor)"),
    }
    if let Some(f) = cur.throttle_flags {
        println!(
            "throttling   0x{f:x} ({})",
            describe_throttle(u32::try_from(f).unwrap_or(0))
        );
    }
    match (&last, age) {
        (Some(l), Some(age)) => println!("last sample  {} ({age} s ago)", format_micros(l.as_of)),
        _ => println!("last sample  none stored for {host_id}"),
    }
    if rejects.total > 0 {
        println!(
            "rejected     {} samples (see telemetry/rejects.json)",
            rejects.total
        );
    }
    Ok(Exit::Success)
}

fn ingest(root: &Path, args: &IngestArgs) -> Result<Exit> {
    let reader: Box<dyn BufRead> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&args.file)
            .with_context(|| format!("unable to open '{}'", args.file.display()))?;
        Box::new(std::io::BufReader::new(f))
    };
    let mut samples = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let s: Sample = serde_json::from_str(&line)
            .with_context(|| format!("line {} of '{}'", i + 1, args.file.display()))?;
        samples.push(s);
    }
    let store = TelemetryStore::new(root);
    let mut sink = Sink::new(&store);
    for s in samples {
        if let Some(why) = sink.push(s) {
            eprintln!("warning: sample rejected: {why}");
        }
    }
    let files = sink.flush()?;
    println!(
        "{} samples written to {} files, {} rejected",
        sink.written,
        files.len(),
        sink.rejected
    );
    Ok(Exit::Success)
}

/// Deterministic synthetic samples: a daily CPU wave, slowly growing counters, a warm afternoon.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap
)]
fn synth(root: &Path, args: &SynthArgs) -> Result<Exit> {
    crate::model::hostname::validate(&args.host_id)?;
    let start = parse_rfc3339_micros(&args.start).context("invalid --start")?;
    let step = i64::try_from(args.step).context("--step too large")? * 1_000_000;
    let samples: Vec<Sample> = (0..args.rows)
        .map(|i| {
            let i = i as i64;
            let t = start + i * step;
            let phase = (t / 1_000_000 % 86_400) as f64 / 86_400.0 * std::f64::consts::TAU;
            let jitter = ((i * 7919) % 13) as f64;
            Sample {
                as_of: t,
                host_id: args.host_id.clone(),
                os: "linux".into(),
                arch: "aarch64".into(),
                cpu_pct: (40.0 + 35.0 * phase.sin() + jitter).clamp(0.0, 100.0),
                cpu_count_logical: 4,
                ram_total_mb: 3794,
                ram_used_mb: 1500 + (i % 600),
                ram_available_mb: 3794 - 1500 - (i % 600),
                swap_total_mb: 100,
                swap_used_mb: 0,
                disk_mount: "/".into(),
                disk_root_total_gb: Some(29.0),
                disk_root_free_gb: Some(20.0 - i as f64 * 1e-5),
                net_rx_bytes: Some(i * 12_345),
                net_tx_bytes: Some(i * 2_345),
                cpu_temp_c: Some(50.0 + 20.0 * phase.sin()),
                throttle_flags: Some(0),
                cpu_freq_mhz: Some(1500),
                process_rss_mb: None,
                process_cpu_pct: None,
                run_id: None,
            }
        })
        .collect();
    let store = TelemetryStore::new(root);
    let mut sink = Sink::new(&store);
    for s in samples {
        sink.push(s);
    }
    let files = sink.flush()?;
    println!("{} samples written to {} files", sink.written, files.len());
    Ok(Exit::Success)
}
