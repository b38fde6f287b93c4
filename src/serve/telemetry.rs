//! What `hwinv serve` reads from the telemetry history: one host's series over a window (raw samples
//! for short windows, rollups for long ones), its latest sample and its alerts. Read-only; every read is
//! bounded to the date partitions the window touches.

use crate::telemetry::model::{format_micros, Sample};
use crate::telemetry::parquet_io::read_table;
use crate::telemetry::store::{date_of, read_samples, TelemetryStore};
use anyhow::Result;
use serde::Serialize;
use std::path::Path;

/// One µs timestamp and value.
pub type Point = (i64, f64);

/// A host's series over one window.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Window {
    /// `samples` or `rollups_<N>m`: where the points came from.
    pub source: String,
    /// CPU busy %, mean (rollups) or as sampled.
    pub cpu_pct: Vec<Point>,
    /// RAM used % (rollups: the bucket's maximum).
    pub ram_used_pct: Vec<Point>,
    /// Free disk % at the sampled mount (rollups: the minimum).
    pub disk_free_pct: Vec<Point>,
    /// CPU temperature °C (rollups: the maximum).
    pub cpu_temp_c: Vec<Point>,
    /// Receive rate, bytes per second.
    pub net_rx_bps: Vec<Point>,
    /// Transmit rate, bytes per second.
    pub net_tx_bps: Vec<Point>,
}

impl Window {
    /// True when no series has a point.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cpu_pct.is_empty()
            && self.ram_used_pct.is_empty()
            && self.disk_free_pct.is_empty()
            && self.cpu_temp_c.is_empty()
    }
}

/// One stored alert.
#[derive(Debug, Clone, Serialize)]
pub struct AlertRow {
    /// Bucket start, RFC 3339.
    pub as_of: String,
    /// Rule name.
    pub alert_type: String,
    /// `info`, `warning`, `critical`.
    pub severity: String,
    /// One human line.
    pub message: String,
}

/// Date partitions (`YYYY-MM-DD`) between two µs timestamps, from a sorted list.
fn dates_between(all: &[String], start: i64, end: i64) -> Vec<String> {
    let (a, b) = (date_of(start), date_of(end));
    all.iter()
        .filter(|d| **d >= a && **d <= b)
        .cloned()
        .collect()
}

/// `key=value` subdirectory names of `dir`.
fn partitions(dir: &Path, key: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_prefix(key).map(str::to_string))
        .collect();
    out.sort();
    out
}

/// Samples of `host` within `[start, end]`, oldest first.
pub fn samples(ts: &TelemetryStore, host: &str, start: i64, end: i64) -> Result<Vec<Sample>> {
    let mut out = Vec::new();
    for d in dates_between(&ts.sample_dates()?, start, end) {
        for f in ts.sample_files(&d, Some(host))? {
            out.extend(
                read_samples(&f)?
                    .into_iter()
                    .filter(|s| s.as_of >= start && s.as_of <= end),
            );
        }
    }
    out.sort_by_key(|s| s.as_of);
    Ok(out)
}

/// Series from raw samples (rates from counter deltas; a counter going back is a reboot, no point).
#[must_use]
#[allow(clippy::cast_precision_loss)] // MiB and byte counts far below 2^52
pub fn from_samples(s: &[Sample]) -> Window {
    let mut w = Window {
        source: "samples".into(),
        ..Window::default()
    };
    for (i, x) in s.iter().enumerate() {
        w.cpu_pct.push((x.as_of, x.cpu_pct));
        if x.ram_total_mb > 0 {
            w.ram_used_pct.push((
                x.as_of,
                x.ram_used_mb as f64 / x.ram_total_mb as f64 * 100.0,
            ));
        }
        if let (Some(f), Some(t)) = (x.disk_root_free_gb, x.disk_root_total_gb) {
            if t > 0.0 {
                w.disk_free_pct.push((x.as_of, f / t * 100.0));
            }
        }
        if let Some(t) = x.cpu_temp_c {
            w.cpu_temp_c.push((x.as_of, t));
        }
        if let Some(p) = i.checked_sub(1).and_then(|j| s.get(j)) {
            let dt = (x.as_of - p.as_of) as f64 / 1e6;
            if dt > 0.0 {
                let rate = |a: Option<i64>, b: Option<i64>| match (a, b) {
                    (Some(a), Some(b)) if b >= a => Some((b - a) as f64 / dt),
                    _ => None,
                };
                if let Some(r) = rate(p.net_rx_bytes, x.net_rx_bytes) {
                    w.net_rx_bps.push((x.as_of, r));
                }
                if let Some(r) = rate(p.net_tx_bytes, x.net_tx_bytes) {
                    w.net_tx_bps.push((x.as_of, r));
                }
            }
        }
    }
    w
}

/// Series from the rollups of `host` within `[start, end]`; reads both the current rate column names
/// and the older ones.
pub fn from_rollups(
    ts: &TelemetryStore,
    minutes: u32,
    host: &str,
    start: i64,
    end: i64,
) -> Result<Window> {
    let dataset = ts.dir().join(TelemetryStore::rollup_dataset(minutes));
    let mut w = Window {
        source: TelemetryStore::rollup_dataset(minutes),
        ..Window::default()
    };
    let mut rows: Vec<(i64, [Option<f64>; 6])> = Vec::new();
    for d in dates_between(&partitions(&dataset, "date="), start, end) {
        let path = dataset
            .join(format!("date={d}"))
            .join(format!("host={host}"))
            .join("rollup.parquet");
        if !path.exists() {
            continue;
        }
        let t = read_table(&path)?;
        let either = |new: &str, old: &str| -> Result<Vec<Option<f64>>> {
            if t.column(new).is_some() {
                t.f64s(new)
            } else {
                t.f64s(old)
            }
        };
        let cols = [
            t.f64s("cpu_pct_avg")?,
            t.f64s("ram_used_pct_max")?,
            t.f64s("disk_free_pct_min")?,
            t.f64s("cpu_temp_c_max")?,
            either("net_rx_rate_bps_avg", "net_rx_bytes_per_sec")?,
            either("net_tx_rate_bps_avg", "net_tx_bytes_per_sec")?,
        ];
        for (i, b) in t.i64s("bucket_start")?.into_iter().enumerate() {
            let Some(b) = b.filter(|b| *b >= start && *b <= end) else {
                continue;
            };
            let get = |c: usize| cols[c].get(i).copied().flatten();
            rows.push((b, [get(0), get(1), get(2), get(3), get(4), get(5)]));
        }
    }
    rows.sort_by_key(|r| r.0);
    for (b, v) in rows {
        let series = [
            &mut w.cpu_pct,
            &mut w.ram_used_pct,
            &mut w.disk_free_pct,
            &mut w.cpu_temp_c,
            &mut w.net_rx_bps,
            &mut w.net_tx_bps,
        ];
        for (s, x) in series.into_iter().zip(v) {
            if let Some(x) = x {
                s.push((b, x));
            }
        }
    }
    Ok(w)
}

/// The window `[end - hours, end]` of `host`: raw samples up to 6 hours, rollups beyond (raw samples when
/// there are no rollups for it).
pub fn window(
    ts: &TelemetryStore,
    minutes: u32,
    host: &str,
    end: i64,
    hours: u32,
) -> Result<Window> {
    let start = end - i64::from(hours) * 3_600_000_000;
    if hours > 6 {
        let w = from_rollups(ts, minutes, host, start, end)?;
        if !w.is_empty() {
            return Ok(w);
        }
    }
    Ok(from_samples(&samples(ts, host, start, end)?))
}

/// The alerts of `host` raised since `since` (µs), newest first, at most `limit`.
pub fn alerts(ts: &TelemetryStore, host: &str, since: i64, limit: usize) -> Result<Vec<AlertRow>> {
    let dataset = ts.dir().join("alerts");
    let mut out: Vec<(i64, AlertRow)> = Vec::new();
    for d in dates_between(&partitions(&dataset, "date="), since, i64::MAX / 2) {
        let path = dataset
            .join(format!("date={d}"))
            .join(format!("host={host}"))
            .join("alerts.parquet");
        if !path.exists() {
            continue;
        }
        let t = read_table(&path)?;
        let (types, sev, msg) = (
            t.strs("alert_type")?,
            t.strs("severity")?,
            t.strs("message")?,
        );
        for (i, a) in t.i64s("as_of")?.into_iter().enumerate() {
            let Some(a) = a.filter(|a| *a >= since) else {
                continue;
            };
            let s = |v: &[Option<String>]| v.get(i).cloned().flatten().unwrap_or_default();
            out.push((
                a,
                AlertRow {
                    as_of: format_micros(a),
                    alert_type: s(&types),
                    severity: s(&sev),
                    message: s(&msg),
                },
            ));
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.0));
    out.truncate(limit);
    Ok(out.into_iter().map(|(_, a)| a).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::parquet_io::{write_atomic, Column};

    #[test]
    fn rollups_with_the_old_rate_names_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ts = TelemetryStore::new(dir.path());
        let t0 = 1_700_000_000_000_000;
        let path = ts
            .dir()
            .join("rollups_5m")
            .join(format!("date={}", date_of(t0)))
            .join("host=h")
            .join("rollup.parquet");
        let schema = "message rollups {
  REQUIRED INT64 bucket_start (TIMESTAMP(MICROS,true));
  REQUIRED DOUBLE cpu_pct_avg;
  OPTIONAL DOUBLE net_rx_bytes_per_sec;
  OPTIONAL DOUBLE net_tx_bytes_per_sec;
}";
        write_atomic(
            &path,
            schema,
            vec![
                Column::I64(vec![Some(t0)]),
                Column::F64(vec![Some(12.5)]),
                Column::F64(vec![Some(100.0)]),
                Column::F64(vec![None]),
            ],
        )
        .expect("writes");
        let w = from_rollups(&ts, 5, "h", t0 - 1, t0 + 1).expect("reads");
        assert_eq!(w.cpu_pct, vec![(t0, 12.5)]);
        assert_eq!(w.net_rx_bps, vec![(t0, 100.0)]);
        assert!(w.net_tx_bps.is_empty() && w.cpu_temp_c.is_empty());
    }

    #[test]
    fn sample_rates_skip_counter_resets() {
        let mut a = crate::telemetry::model::example_sample();
        a.net_rx_bytes = Some(1000);
        let mut b = a.clone();
        b.as_of += 10_000_000;
        b.net_rx_bytes = Some(3000);
        let mut c = b.clone();
        c.as_of += 10_000_000;
        c.net_rx_bytes = Some(10);
        let w = from_samples(&[a, b, c]);
        assert_eq!(w.net_rx_bps.len(), 1);
        assert!((w.net_rx_bps[0].1 - 200.0).abs() < 1e-9);
    }
}
