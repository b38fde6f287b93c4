//! Where telemetry lives under the inventory root, and how records become Parquet files.
//!
//! ```text
//! telemetry/host_metrics/date=YYYY-MM-DD/host=<id>/part-<UTC stamp>-<pid>-<rand>.parquet   append-only
//! telemetry/rollups_<N>m/date=YYYY-MM-DD/host=<id>/rollup.parquet                           replaced
//! telemetry/alerts/date=YYYY-MM-DD/host=<id>/alerts.parquet                                 replaced
//! telemetry/rejects.json                                                                    counts
//! ```
//!
//! Samples are only ever added as new files; rollups and alerts of a (date, host) partition are recomputed
//! and swapped in by rename. Every file is written to a temp name first (see [`parquet_io`]).

use super::model::{format_micros, Alert, RejectReason, Rollup, Sample};
use super::parquet_io::{self, Column};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Parquet schema of `host_metrics`.
pub const SAMPLE_SCHEMA: &str = "message host_metrics {
  REQUIRED INT64 as_of (TIMESTAMP(MICROS,true));
  REQUIRED BYTE_ARRAY host_id (STRING);
  REQUIRED BYTE_ARRAY os (STRING);
  REQUIRED BYTE_ARRAY arch (STRING);
  REQUIRED DOUBLE cpu_pct;
  REQUIRED INT32 cpu_count_logical;
  REQUIRED INT64 ram_total_mb;
  REQUIRED INT64 ram_used_mb;
  REQUIRED INT64 ram_available_mb;
  REQUIRED INT64 swap_total_mb;
  REQUIRED INT64 swap_used_mb;
  REQUIRED BYTE_ARRAY disk_mount (STRING);
  OPTIONAL DOUBLE disk_root_total_gb;
  OPTIONAL DOUBLE disk_root_free_gb;
  OPTIONAL INT64 net_rx_bytes;
  OPTIONAL INT64 net_tx_bytes;
  OPTIONAL DOUBLE cpu_temp_c;
  OPTIONAL INT32 throttle_flags;
  OPTIONAL INT64 cpu_freq_mhz;
  OPTIONAL DOUBLE process_rss_mb;
  OPTIONAL DOUBLE process_cpu_pct;
  OPTIONAL BYTE_ARRAY run_id (STRING);
}";

/// Parquet schema of the rollups dataset.
pub const ROLLUP_SCHEMA: &str = "message rollups {
  REQUIRED INT64 bucket_start (TIMESTAMP(MICROS,true));
  REQUIRED BYTE_ARRAY host_id (STRING);
  REQUIRED INT32 bucket_minutes;
  REQUIRED INT64 sample_count;
  REQUIRED DOUBLE cpu_pct_avg;
  REQUIRED DOUBLE cpu_pct_p95;
  REQUIRED DOUBLE cpu_pct_max;
  REQUIRED DOUBLE ram_used_mb_avg;
  REQUIRED INT64 ram_used_mb_max;
  OPTIONAL DOUBLE ram_used_pct_max;
  OPTIONAL DOUBLE disk_root_free_gb_min;
  OPTIONAL DOUBLE disk_free_pct_min;
  OPTIONAL DOUBLE cpu_temp_c_max;
  OPTIONAL INT32 throttle_flags_any;
  OPTIONAL DOUBLE net_rx_rate_bps_avg;
  OPTIONAL DOUBLE net_tx_rate_bps_avg;
}";

/// Parquet schema of the alerts dataset.
pub const ALERT_SCHEMA: &str = "message alerts {
  REQUIRED INT64 as_of (TIMESTAMP(MICROS,true));
  REQUIRED BYTE_ARRAY host_id (STRING);
  REQUIRED BYTE_ARRAY alert_type (STRING);
  REQUIRED BYTE_ARRAY severity (STRING);
  REQUIRED BYTE_ARRAY message (STRING);
  REQUIRED BYTE_ARRAY context_json (STRING);
}";

/// The telemetry directory of an inventory root.
#[derive(Debug, Clone)]
pub struct TelemetryStore {
    dir: PathBuf,
}

/// `YYYY-MM-DD` (UTC) of a µs timestamp.
#[must_use]
pub fn date_of(us: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .map(|t| {
            let d = t.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        })
        .unwrap_or_else(|_| "invalid".into())
}

/// `YYYYMMDDTHHMMSSZ` of a µs timestamp, for file names.
#[must_use]
pub fn stamp_of(us: i64) -> String {
    format_micros(us - us.rem_euclid(1_000_000)).replace(['-', ':'], "")
}

/// The samples of a `host_metrics` file, in file order.
pub fn read_samples(path: &Path) -> Result<Vec<Sample>> {
    let t = parquet_io::read_table(path)?;
    let need = |v: Vec<Option<i64>>, name: &str| -> Result<Vec<i64>> {
        v.into_iter()
            .map(|x| x.with_context(|| format!("null {name} in '{}'", path.display())))
            .collect()
    };
    let as_of = need(t.i64s("as_of")?, "as_of")?;
    let host = t.strs("host_id")?;
    let os = t.strs("os")?;
    let arch = t.strs("arch")?;
    let cpu = t.f64s("cpu_pct")?;
    let ncpu = t.i32s("cpu_count_logical")?;
    let ram_total = t.i64s("ram_total_mb")?;
    let ram_used = t.i64s("ram_used_mb")?;
    let ram_avail = t.i64s("ram_available_mb")?;
    let swap_total = t.i64s("swap_total_mb")?;
    let swap_used = t.i64s("swap_used_mb")?;
    let mount = t.strs("disk_mount")?;
    let disk_total = t.f64s("disk_root_total_gb")?;
    let disk_free = t.f64s("disk_root_free_gb")?;
    let rx = t.i64s("net_rx_bytes")?;
    let tx = t.i64s("net_tx_bytes")?;
    let temp = t.f64s("cpu_temp_c")?;
    let throttle = t.i32s("throttle_flags")?;
    let freq = t.i64s("cpu_freq_mhz")?;
    let rss = t.f64s("process_rss_mb")?;
    let pcpu = t.f64s("process_cpu_pct")?;
    let run = t.strs("run_id")?;
    let mut out = Vec::with_capacity(t.rows);
    for i in 0..t.rows {
        out.push(Sample {
            as_of: as_of[i],
            host_id: host[i].clone().unwrap_or_default(),
            os: os[i].clone().unwrap_or_default(),
            arch: arch[i].clone().unwrap_or_default(),
            cpu_pct: cpu[i].unwrap_or(0.0),
            cpu_count_logical: ncpu[i].unwrap_or(0),
            ram_total_mb: ram_total[i].unwrap_or(0),
            ram_used_mb: ram_used[i].unwrap_or(0),
            ram_available_mb: ram_avail[i].unwrap_or(0),
            swap_total_mb: swap_total[i].unwrap_or(0),
            swap_used_mb: swap_used[i].unwrap_or(0),
            disk_mount: mount[i].clone().unwrap_or_default(),
            disk_root_total_gb: disk_total[i],
            disk_root_free_gb: disk_free[i],
            net_rx_bytes: rx[i],
            net_tx_bytes: tx[i],
            cpu_temp_c: temp[i],
            throttle_flags: throttle[i],
            cpu_freq_mhz: freq[i],
            process_rss_mb: rss[i],
            process_cpu_pct: pcpu[i],
            run_id: run[i].clone(),
        });
    }
    Ok(out)
}

fn sample_columns(rows: &[&Sample]) -> Vec<Column> {
    let s = |f: fn(&Sample) -> String| Column::Str(rows.iter().map(|r| Some(f(r))).collect());
    let i64c = |f: fn(&Sample) -> Option<i64>| Column::I64(rows.iter().map(|r| f(r)).collect());
    let f64c = |f: fn(&Sample) -> Option<f64>| Column::F64(rows.iter().map(|r| f(r)).collect());
    let i32c = |f: fn(&Sample) -> Option<i32>| Column::I32(rows.iter().map(|r| f(r)).collect());
    vec![
        i64c(|r| Some(r.as_of)),
        s(|r| r.host_id.clone()),
        s(|r| r.os.clone()),
        s(|r| r.arch.clone()),
        f64c(|r| Some(r.cpu_pct)),
        i32c(|r| Some(r.cpu_count_logical)),
        i64c(|r| Some(r.ram_total_mb)),
        i64c(|r| Some(r.ram_used_mb)),
        i64c(|r| Some(r.ram_available_mb)),
        i64c(|r| Some(r.swap_total_mb)),
        i64c(|r| Some(r.swap_used_mb)),
        s(|r| r.disk_mount.clone()),
        f64c(|r| r.disk_root_total_gb),
        f64c(|r| r.disk_root_free_gb),
        i64c(|r| r.net_rx_bytes),
        i64c(|r| r.net_tx_bytes),
        f64c(|r| r.cpu_temp_c),
        i32c(|r| r.throttle_flags),
        i64c(|r| r.cpu_freq_mhz),
        f64c(|r| r.process_rss_mb),
        f64c(|r| r.process_cpu_pct),
        Column::Str(rows.iter().map(|r| r.run_id.clone()).collect()),
    ]
}

fn rollup_columns(rows: &[Rollup]) -> Vec<Column> {
    let i64c = |f: fn(&Rollup) -> Option<i64>| Column::I64(rows.iter().map(f).collect());
    let f64c = |f: fn(&Rollup) -> Option<f64>| Column::F64(rows.iter().map(f).collect());
    vec![
        i64c(|r| Some(r.bucket_start)),
        Column::Str(rows.iter().map(|r| Some(r.host_id.clone())).collect()),
        Column::I32(rows.iter().map(|r| Some(r.bucket_minutes)).collect()),
        i64c(|r| Some(r.sample_count)),
        f64c(|r| Some(r.cpu_pct_avg)),
        f64c(|r| Some(r.cpu_pct_p95)),
        f64c(|r| Some(r.cpu_pct_max)),
        f64c(|r| Some(r.ram_used_mb_avg)),
        i64c(|r| Some(r.ram_used_mb_max)),
        f64c(|r| r.ram_used_pct_max),
        f64c(|r| r.disk_root_free_gb_min),
        f64c(|r| r.disk_free_pct_min),
        f64c(|r| r.cpu_temp_c_max),
        Column::I32(rows.iter().map(|r| r.throttle_flags_any).collect()),
        f64c(|r| r.net_rx_rate_bps_avg),
        f64c(|r| r.net_tx_rate_bps_avg),
    ]
}

fn alert_columns(rows: &[Alert]) -> Vec<Column> {
    let s = |f: fn(&Alert) -> String| Column::Str(rows.iter().map(|r| Some(f(r))).collect());
    vec![
        Column::I64(rows.iter().map(|r| Some(r.as_of)).collect()),
        s(|r| r.host_id.clone()),
        s(|r| r.alert_type.clone()),
        s(|r| r.severity.clone()),
        s(|r| r.message.clone()),
        s(|r| r.context_json.clone()),
    ]
}

/// A file that could not be read, with the reason.
pub type BadFile = (PathBuf, anyhow::Error);

/// What `rejects.json` holds.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Rejects {
    /// Rejected samples ever.
    pub total: u64,
    /// Count per reason code.
    pub by_reason: BTreeMap<String, u64>,
    /// The most recent rejections (at most [`RECENT_REJECTS`]), oldest first.
    pub recent: Vec<RejectEntry>,
}

/// One remembered rejection.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct RejectEntry {
    /// The sample's time (RFC 3339).
    pub as_of: String,
    /// The sample's host id.
    pub host_id: String,
    /// Reason code.
    pub reason: String,
    /// Human detail.
    pub detail: String,
}

/// How many recent rejections `rejects.json` keeps.
pub const RECENT_REJECTS: usize = 50;

impl TelemetryStore {
    /// The store under `<root>/telemetry`.
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            dir: root.join("telemetry"),
        }
    }

    /// `<root>/telemetry`.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn samples_dir(&self) -> PathBuf {
        self.dir.join("host_metrics")
    }

    /// Write `samples` as new files, one per (date, host); never touches existing files.
    /// Host ids must have been validated (see [`Sample::validate`]).
    pub fn append_samples(&self, samples: &[Sample]) -> Result<Vec<PathBuf>> {
        let mut groups: BTreeMap<(String, &str), Vec<&Sample>> = BTreeMap::new();
        for s in samples {
            groups
                .entry((date_of(s.as_of), s.host_id.as_str()))
                .or_default()
                .push(s);
        }
        let mut written = Vec::new();
        for ((date, host), rows) in groups {
            let first = rows.iter().map(|r| r.as_of).min().unwrap_or(0);
            let name = format!(
                "part-{}-{}-{}.parquet",
                stamp_of(first),
                std::process::id(),
                parquet_io::rand_hex()?
            );
            let path = self
                .samples_dir()
                .join(format!("date={date}"))
                .join(format!("host={host}"))
                .join(name);
            parquet_io::write_atomic(&path, SAMPLE_SCHEMA, sample_columns(&rows))
                .with_context(|| format!("unable to write samples '{}'", path.display()))?;
            written.push(path);
        }
        Ok(written)
    }

    /// Count rejected samples in `rejects.json` (read, update, replace atomically, under
    /// `telemetry/.rejects.lock`).
    pub fn record_rejects(&self, rejected: &[(Sample, RejectReason)]) -> Result<()> {
        if rejected.is_empty() {
            return Ok(());
        }
        let path = self.dir.join("rejects.json");
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("unable to create '{}'", self.dir.display()))?;
        // Read, count and replace under one lock, so concurrent ingests add up instead of overwriting.
        let _lock = crate::store::lock(&self.dir.join(".rejects.lock"))?;
        let mut r = self.rejects()?;
        for (s, why) in rejected {
            r.total += 1;
            *r.by_reason.entry(why.code().to_string()).or_default() += 1;
            r.recent.push(RejectEntry {
                as_of: format_micros(s.as_of),
                host_id: s.host_id.clone(),
                reason: why.code().to_string(),
                detail: why.to_string(),
            });
        }
        let drop = r.recent.len().saturating_sub(RECENT_REJECTS);
        r.recent.drain(..drop);
        let mut text = serde_json::to_vec_pretty(&r)?;
        text.push(b'\n');
        crate::store::write_atomic(&path, &text)
            .with_context(|| format!("unable to write '{}'", path.display()))?;
        Ok(())
    }

    /// The reject counts so far (empty when none were recorded).
    pub fn rejects(&self) -> Result<Rejects> {
        let path = self.dir.join("rejects.json");
        match std::fs::read(&path) {
            Ok(b) => {
                serde_json::from_slice(&b).with_context(|| format!("invalid '{}'", path.display()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Rejects::default()),
            Err(e) => Err(e).with_context(|| format!("unable to read '{}'", path.display())),
        }
    }

    /// Dates (`YYYY-MM-DD`) that have sample partitions, ascending.
    pub fn sample_dates(&self) -> Result<Vec<String>> {
        partition_values(&self.samples_dir(), "date=")
    }

    /// Sample files of one date (all hosts, or one), sorted by path.
    pub fn sample_files(&self, date: &str, host: Option<&str>) -> Result<Vec<PathBuf>> {
        let date_dir = self.samples_dir().join(format!("date={date}"));
        let mut out = Vec::new();
        for h in partition_values(&date_dir, "host=")? {
            if host.is_some_and(|want| want != h) {
                continue;
            }
            let dir = date_dir.join(format!("host={h}"));
            for e in std::fs::read_dir(&dir)
                .with_context(|| format!("unable to list '{}'", dir.display()))?
            {
                let p = e?.path();
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                if name.is_some_and(|n| n.starts_with("part-") && n.ends_with(".parquet")) {
                    out.push(p);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// All samples of one date.
    pub fn samples_of_date(&self, date: &str) -> Result<Vec<Sample>> {
        let mut out = Vec::new();
        for f in self.sample_files(date, None)? {
            out.extend(read_samples(&f)?);
        }
        Ok(out)
    }

    /// Like [`TelemetryStore::samples_of_date`], but a file that cannot be read is skipped and
    /// returned with its error instead of failing the whole date.
    pub fn samples_of_date_skipping_bad(&self, date: &str) -> Result<(Vec<Sample>, Vec<BadFile>)> {
        let (mut out, mut bad) = (Vec::new(), Vec::new());
        for f in self.sample_files(date, None)? {
            match read_samples(&f) {
                Ok(s) => out.extend(s),
                Err(e) => bad.push((f, e)),
            }
        }
        Ok((out, bad))
    }

    /// The newest stored sample of `host`, looking back from the newest date partition.
    pub fn last_sample(&self, host: &str) -> Result<Option<Sample>> {
        for date in self.sample_dates()?.iter().rev() {
            let files = self.sample_files(date, Some(host))?;
            let mut best: Option<Sample> = None;
            for f in files {
                for s in read_samples(&f)? {
                    if best.as_ref().map_or(true, |b| s.as_of > b.as_of) {
                        best = Some(s);
                    }
                }
            }
            if best.is_some() {
                return Ok(best);
            }
        }
        Ok(None)
    }

    fn partition_file(&self, dataset: &str, date: &str, host: &str, file: &str) -> PathBuf {
        self.dir
            .join(dataset)
            .join(format!("date={date}"))
            .join(format!("host={host}"))
            .join(file)
    }

    /// Directory name of the rollup dataset for a bucket length (`rollups_5m`).
    #[must_use]
    pub fn rollup_dataset(bucket_minutes: u32) -> String {
        format!("rollups_{bucket_minutes}m")
    }

    /// Replace the rollups of one (date, host) partition.
    pub fn write_rollups(
        &self,
        bucket_minutes: u32,
        date: &str,
        host: &str,
        rows: &[Rollup],
    ) -> Result<PathBuf> {
        let path = self.partition_file(
            &Self::rollup_dataset(bucket_minutes),
            date,
            host,
            "rollup.parquet",
        );
        parquet_io::write_atomic(&path, ROLLUP_SCHEMA, rollup_columns(rows))
            .with_context(|| format!("unable to write rollups '{}'", path.display()))?;
        Ok(path)
    }

    /// Replace the alerts of one (date, host) partition; with no alerts, remove the partition's file.
    pub fn write_alerts(&self, date: &str, host: &str, rows: &[Alert]) -> Result<Option<PathBuf>> {
        let path = self.partition_file("alerts", date, host, "alerts.parquet");
        if rows.is_empty() {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("unable to remove '{}'", path.display()))
                }
            }
            return Ok(None);
        }
        parquet_io::write_atomic(&path, ALERT_SCHEMA, alert_columns(rows))
            .with_context(|| format!("unable to write alerts '{}'", path.display()))?;
        Ok(Some(path))
    }
}

/// Values of `key=value` sub-directories of `dir`, sorted; a missing `dir` has none.
fn partition_values(dir: &Path, key: &str) -> Result<Vec<String>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("unable to list '{}'", dir.display())),
    };
    let mut out = Vec::new();
    for e in entries {
        let e = e?;
        if !e.file_type()?.is_dir() {
            continue;
        }
        if let Some(v) = e.file_name().to_str().and_then(|n| n.strip_prefix(key)) {
            out.push(v.to_string());
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::model::example_sample;
    use super::*;

    #[test]
    fn dates_and_stamps() {
        assert_eq!(date_of(1_700_000_000_000_000), "2023-11-14");
        assert_eq!(stamp_of(1_700_000_000_123_456), "20231114T221320Z");
    }

    #[test]
    fn samples_round_trip_and_partition() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = TelemetryStore::new(dir.path());
        let a = example_sample();
        let mut b = example_sample();
        b.as_of += 86_400_000_000; // next day
        b.cpu_temp_c = None;
        b.run_id = Some("r1".into());
        let files = store
            .append_samples(&[a.clone(), b.clone()])
            .expect("writes");
        assert_eq!(files.len(), 2);
        assert_eq!(
            store.sample_dates().expect("dates"),
            ["2023-11-14", "2023-11-15"]
        );
        assert_eq!(store.samples_of_date("2023-11-14").expect("reads"), vec![a]);
        assert_eq!(store.last_sample("pi4").expect("reads"), Some(b));
        assert_eq!(store.last_sample("other").expect("reads"), None);
    }
}
