//! `hwinv sample`, `hwinv rollup` and `hwinv telemetry …`: arguments and orchestration only.
//!
//! Metrics are read in [`super::collect`], checked by [`Sample::validate`], stored by [`super::store`] and
//! rolled up by the pure [`super::rollup`]; this file wires them to flags, the config, the clock and
//! signals.

use super::collect::{find_vcgencmd, CollectOptions, Collector};
use super::config::{parse_duration, Config};
use super::model::{format_micros, parse_rfc3339_micros, RejectReason, Sample};
use super::parse::describe_throttle;
use super::rollup::{alerts, rollup as roll};
use super::store::{date_of, TelemetryStore};
use crate::commands::exit;
use anyhow::{bail, Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Arguments of `hwinv sample`.
#[derive(Debug, clap::Args)]
pub struct SampleArgs {
    /// Keep sampling at this interval (e.g. 10s, 1m; bare --every uses the config, default 10s) until
    /// Ctrl-C or --count.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "")]
    pub every: Option<String>,
    /// Stop after this many samples (implies --every with the configured interval).
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Host identity to record (default: telemetry.toml host_id, else the host name).
    #[arg(long, env = "HWINV_TELEMETRY_HOST_ID")]
    pub host_id: Option<String>,
    /// Mount point whose size and free space are recorded (default /).
    #[arg(long, value_name = "PATH")]
    pub disk_mount: Option<String>,
    /// Count only this network interface (default: all but loopback).
    #[arg(long, value_name = "NAME")]
    pub interface: Option<String>,
    /// Also record hwinv's own RSS and CPU use.
    #[arg(long)]
    pub process_metrics: bool,
    /// Correlation id written into every sample of this run.
    #[arg(long, env = "HWINV_TELEMETRY_RUN_ID")]
    pub run_id: Option<String>,
    /// Print each sample as one JSON line on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `hwinv rollup`.
#[derive(Debug, clap::Args)]
pub struct RollupArgs {
    /// First date to roll up (YYYY-MM-DD, UTC; default: the oldest with samples).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Last date to roll up (YYYY-MM-DD, UTC, inclusive; default: the newest with samples).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
}

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

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// SIGINT/SIGTERM set a flag the sampling loop checks, so buffered samples are flushed before exit.
fn install_stop_handler() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe; sigaction is given a
        // fully initialised struct.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }
}

/// Sleep up to `d`, waking early when a stop was requested. Returns false when stopping.
fn sleep_unless_stopped(d: Duration) -> bool {
    let until = Instant::now() + d;
    loop {
        if STOP.load(Ordering::SeqCst) {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(250)));
    }
}

fn now_micros() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

fn host_id_of(cfg: &Config, flag: Option<&String>) -> Result<String> {
    let id = match flag.or(cfg.host_id.as_ref()) {
        Some(h) => h.clone(),
        None => sysinfo::System::host_name()
            .context("unable to read the host name; set host_id in telemetry.toml")?,
    };
    crate::hostname::validate(&id)
        .context("unusable host id (set host_id in telemetry.toml or --host-id)")?;
    Ok(id)
}

fn collect_options(cfg: &Config, host_id: String, run_id: Option<String>) -> CollectOptions {
    CollectOptions {
        host_id,
        disk_mount: cfg.disk_mount.clone(),
        interface: (cfg.network_interface != "all").then(|| cfg.network_interface.clone()),
        process_metrics: cfg.include_process_metrics,
        run_id,
        sysfs: std::env::var_os("HWINV_TELEMETRY_SYSFS")
            .map_or_else(|| "/sys".into(), PathBuf::from),
        vcgencmd: std::env::var_os("HWINV_TELEMETRY_VCGENCMD")
            .map(PathBuf::from)
            .or_else(find_vcgencmd),
    }
}

/// Validates samples, buffers the good ones, counts the bad ones, and writes both on flush.
struct Sink<'a> {
    store: &'a TelemetryStore,
    good: Vec<Sample>,
    bad: Vec<(Sample, RejectReason)>,
    since: Option<Instant>,
    written: usize,
    rejected: usize,
}

impl<'a> Sink<'a> {
    fn new(store: &'a TelemetryStore) -> Self {
        Self {
            store,
            good: Vec::new(),
            bad: Vec::new(),
            since: None,
            written: 0,
            rejected: 0,
        }
    }

    /// Returns the reason when the sample was rejected.
    fn push(&mut self, s: Sample) -> Option<RejectReason> {
        self.since.get_or_insert_with(Instant::now);
        match s.validate() {
            Ok(()) => {
                self.good.push(s);
                None
            }
            Err(why) => {
                self.bad.push((s, why.clone()));
                Some(why)
            }
        }
    }

    fn pending(&self) -> usize {
        self.good.len() + self.bad.len()
    }

    fn due(&self, cfg: &Config) -> bool {
        self.pending() >= cfg.flush_samples
            || self
                .since
                .is_some_and(|t| t.elapsed() >= Duration::from_secs(cfg.flush_seconds))
    }

    fn flush(&mut self) -> Result<Vec<PathBuf>> {
        self.since = None;
        let files = self.store.append_samples(&self.good)?;
        self.written += self.good.len();
        self.good.clear();
        self.store.record_rejects(&self.bad)?;
        self.rejected += self.bad.len();
        self.bad.clear();
        Ok(files)
    }
}

/// Run `sample`.
pub fn sample(root: &Path, args: &SampleArgs) -> Result<ExitCode> {
    let mut cfg = Config::load(root)?;
    if let Some(m) = &args.disk_mount {
        cfg.disk_mount.clone_from(m);
    }
    if let Some(i) = &args.interface {
        cfg.network_interface.clone_from(i);
    }
    if args.process_metrics {
        cfg.include_process_metrics = true;
    }
    if !cfg.enabled {
        eprintln!("telemetry is disabled (enabled = false); nothing sampled");
        return Ok(ExitCode::SUCCESS);
    }
    let host_id = host_id_of(&cfg, args.host_id.as_ref())?;
    let repeat = args.every.is_some() || args.count.is_some();
    let interval = match args.every.as_deref() {
        Some(e) if !e.is_empty() => parse_duration(e)?,
        _ => parse_duration(&cfg.interval)?,
    };
    let count = match (repeat, args.count) {
        (_, Some(0)) => bail!("--count must be at least 1"),
        (true, c) => c,
        (false, _) => Some(1),
    };
    let store = TelemetryStore::new(root);
    let mut sink = Sink::new(&store);
    install_stop_handler();
    let mut collector = Collector::new(collect_options(&cfg, host_id, args.run_id.clone()));
    let out = std::io::stdout();
    let mut taken = 0u64;
    let mut last_reject = None;
    if sleep_unless_stopped(collector.ready_in()) {
        let start = Instant::now();
        loop {
            let s = collector.sample(now_micros());
            if args.json {
                let mut o = out.lock();
                serde_json::to_writer(&mut o, &s)?;
                writeln!(o)?;
            }
            if let Some(why) = sink.push(s) {
                eprintln!("warning: sample rejected: {why}");
                last_reject = Some(why);
            }
            taken += 1;
            if count.is_some_and(|c| taken >= c) {
                break;
            }
            if sink.due(&cfg) {
                report_flush(&sink.flush()?, root, repeat);
            }
            let next = interval.saturating_mul(u32::try_from(taken).unwrap_or(u32::MAX));
            if !sleep_unless_stopped(next.saturating_sub(start.elapsed())) {
                break;
            }
        }
    }
    report_flush(&sink.flush()?, root, repeat);
    if repeat {
        eprintln!(
            "{} samples written, {} rejected{}",
            sink.written,
            sink.rejected,
            if STOP.load(Ordering::SeqCst) {
                " (stopped by signal)"
            } else {
                ""
            }
        );
    }
    Ok(if !repeat && last_reject.is_some() {
        ExitCode::from(exit::FAILURE)
    } else {
        ExitCode::SUCCESS
    })
}

fn report_flush(files: &[PathBuf], root: &Path, repeat: bool) {
    for f in files {
        let shown = f.strip_prefix(root).unwrap_or(f);
        if repeat {
            eprintln!("wrote {}", shown.display());
        } else {
            println!("{}", shown.display());
        }
    }
}

fn check_date(d: &str) -> Result<()> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &fmt).with_context(|| format!("invalid date {d:?} (want YYYY-MM-DD)"))?;
    Ok(())
}

/// Run `rollup`.
pub fn rollup(root: &Path, args: &RollupArgs) -> Result<ExitCode> {
    let cfg = Config::load(root)?;
    for d in [&args.since, &args.until].into_iter().flatten() {
        check_date(d)?;
    }
    let store = TelemetryStore::new(root);
    let all_dates = store.sample_dates()?;
    let wanted: Vec<&String> = all_dates
        .iter()
        .filter(|d| args.since.as_ref().map_or(true, |s| *d >= s))
        .filter(|d| args.until.as_ref().map_or(true, |u| *d <= u))
        .collect();
    if wanted.is_empty() {
        eprintln!("no samples to roll up");
        return Ok(ExitCode::from(exit::NEGATIVE));
    }
    // The day before the first wanted date gives the counters its first buckets' rates start from.
    let first = all_dates.iter().position(|d| d == wanted[0]).unwrap_or(0);
    let mut samples = Vec::new();
    for d in &all_dates[first.saturating_sub(1)..] {
        if args.until.as_ref().is_some_and(|u| d > u) {
            break;
        }
        samples.extend(store.samples_of_date(d)?);
    }
    let rows = roll(&samples, cfg.rollup_minutes, cfg.max_gap_seconds);
    let found = alerts(&rows, &cfg.alerts);
    let wanted: BTreeSet<&str> = wanted.iter().map(|d| d.as_str()).collect();
    let mut parts: BTreeMap<(String, String), (Vec<_>, Vec<_>)> = BTreeMap::new();
    for r in rows {
        let key = (date_of(r.bucket_start), r.host_id.clone());
        if wanted.contains(key.0.as_str()) {
            parts.entry(key).or_default().0.push(r);
        }
    }
    for a in found {
        let key = (date_of(a.as_of), a.host_id.clone());
        if let Some(p) = parts.get_mut(&key) {
            p.1.push(a);
        }
    }
    let (mut buckets, mut n_alerts) = (0, 0);
    for ((date, host), (r, a)) in &parts {
        store.write_rollups(cfg.rollup_minutes, date, host, r)?;
        store.write_alerts(date, host, a)?;
        buckets += r.len();
        n_alerts += a.len();
    }
    println!(
        "{} samples -> {buckets} {}-minute buckets, {n_alerts} alerts, {} date partitions ({}..{})",
        samples.len(),
        cfg.rollup_minutes,
        wanted.len(),
        wanted.first().copied().unwrap_or_default(),
        wanted.last().copied().unwrap_or_default(),
    );
    Ok(ExitCode::SUCCESS)
}

/// Run `telemetry`.
pub fn telemetry(root: &Path, args: &TelemetryArgs) -> Result<ExitCode> {
    match &args.command {
        TelemetryCommand::Status(a) => status(root, a),
        TelemetryCommand::Ingest(a) => ingest(root, a),
        TelemetryCommand::Synth(a) => synth(root, a),
    }
}

fn status(root: &Path, args: &StatusArgs) -> Result<ExitCode> {
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
        return Ok(ExitCode::SUCCESS);
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
    Ok(ExitCode::SUCCESS)
}

fn ingest(root: &Path, args: &IngestArgs) -> Result<ExitCode> {
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
    Ok(ExitCode::SUCCESS)
}

/// Deterministic synthetic samples: a daily CPU wave, slowly growing counters, a warm afternoon.
#[allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap
)]
fn synth(root: &Path, args: &SynthArgs) -> Result<ExitCode> {
    crate::hostname::validate(&args.host_id)?;
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
    Ok(ExitCode::SUCCESS)
}
