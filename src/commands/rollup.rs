//! `hwinv rollup`: build 5-minute rollups and alerts from the samples of some dates.

use crate::config::telemetry::Config;
use crate::error::Exit;
use crate::extract::rel;
use crate::telemetry::rollup::{alerts, rollup as roll};
use crate::telemetry::store::{date_of, TelemetryStore};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Arguments of `hwinv rollup`.
#[derive(Debug, clap::Args)]
pub struct RollupArgs {
    /// First date to roll up (YYYY-MM-DD, UTC; default: the oldest with samples).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Last date to roll up (YYYY-MM-DD, UTC, inclusive; default: the newest with samples).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn check_date(d: &str) -> Result<()> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &fmt).with_context(|| format!("invalid date {d:?} (want YYYY-MM-DD)"))?;
    Ok(())
}

/// Run `rollup`.
pub fn run(root: &Path, args: &RollupArgs) -> Result<Exit> {
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
        return Ok(Exit::Negative);
    }
    // The day before the first wanted date gives the counters its first buckets' rates start from.
    let first = all_dates.iter().position(|d| d == wanted[0]).unwrap_or(0);
    let mut samples = Vec::new();
    // A corrupt file costs its own samples only: the other files and hosts are still rolled up.
    let mut skipped = Vec::new();
    for d in &all_dates[first.saturating_sub(1)..] {
        if args.until.as_ref().is_some_and(|u| d > u) {
            break;
        }
        let (ok, bad) = store.samples_of_date_skipping_bad(d)?;
        samples.extend(ok);
        for (file, err) in bad {
            eprintln!("warning: skipped {}: {err:#}", rel(root, &file));
            skipped.push(rel(root, &file));
        }
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
    if args.json {
        crate::commands::output::print_json(&serde_json::json!({
            "samples": samples.len(),
            "rollup_minutes": cfg.rollup_minutes,
            "buckets": buckets,
            "alerts": n_alerts,
            "dates": wanted.iter().collect::<Vec<_>>(),
        }))?;
        return Ok(Exit::Success);
    }
    println!(
        "{} samples -> {buckets} {}-minute buckets, {n_alerts} alerts, {} date partitions ({}..{})",
        samples.len(),
        cfg.rollup_minutes,
        wanted.len(),
        wanted.first().copied().unwrap_or_default(),
        wanted.last().copied().unwrap_or_default(),
    );
    if !skipped.is_empty() {
        eprintln!(
            "error: {} unreadable sample file(s) skipped: {}",
            skipped.len(),
            skipped.join(", ")
        );
        return Ok(Exit::Failure);
    }
    Ok(Exit::Success)
}
