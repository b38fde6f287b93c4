//! `hwinv sample`: take host metric samples (CPU, RAM, swap, disk, network, temperature) into Parquet,
//! once or every interval until stopped; Ctrl-C flushes what is buffered.

use crate::config::telemetry::{parse_duration, Config};
use crate::error::Exit;
use crate::telemetry::collect::Collector;
use crate::telemetry::sink::{collect_options, host_id_of, now_micros, Sink};
use crate::telemetry::store::TelemetryStore;
use anyhow::{bail, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

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

/// Sleep up to `d`, waking early when a stop was requested. Returns false when stopping.
fn sleep_unless_stopped(d: Duration) -> bool {
    let until = Instant::now() + d;
    loop {
        if crate::sys::signals::stop_requested() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(250)));
    }
}

/// Run `sample`.
pub fn run(root: &Path, args: &SampleArgs) -> Result<Exit> {
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
        return Ok(Exit::Success);
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
    let _signals = crate::sys::signals::StopOnSignal::install();
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
                report_flush(&sink.flush()?, root, repeat || args.json);
            }
            let next = interval.saturating_mul(u32::try_from(taken).unwrap_or(u32::MAX));
            if !sleep_unless_stopped(next.saturating_sub(start.elapsed())) {
                break;
            }
        }
    }
    report_flush(&sink.flush()?, root, repeat || args.json);
    if repeat {
        eprintln!(
            "{} samples written, {} rejected{}",
            sink.written,
            sink.rejected,
            if crate::sys::signals::stop_requested() {
                " (stopped by signal)"
            } else {
                ""
            }
        );
    }
    Ok(if !repeat && last_reject.is_some() {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// The files written: on stderr while sampling repeatedly or printing JSON (stdout holds only data), else
/// on stdout.
fn report_flush(files: &[PathBuf], root: &Path, quiet: bool) {
    for f in files {
        let shown = f.strip_prefix(root).unwrap_or(f);
        if quiet {
            eprintln!("wrote {}", shown.display());
        } else {
            println!("{}", shown.display());
        }
    }
}
