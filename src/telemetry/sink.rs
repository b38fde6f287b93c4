//! Where samples go while a command runs: buffered per date and host, written as one Parquet file per
//! flush; plus the host id and collector options every telemetry command derives from the config.

use crate::config::telemetry::Config;
use crate::telemetry::collect::{find_vcgencmd, CollectOptions};
use crate::telemetry::model::{RejectReason, Sample};
use crate::telemetry::store::TelemetryStore;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

pub fn now_micros() -> i64 {
    i64::try_from(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

pub fn host_id_of(cfg: &Config, flag: Option<&String>) -> Result<String> {
    let id = match flag.or(cfg.host_id.as_ref()) {
        Some(h) => h.clone(),
        None => sysinfo::System::host_name()
            .context("unable to read the host name; set host_id in telemetry.toml")?,
    };
    crate::model::hostname::validate(&id)
        .context("unusable host id (set host_id in telemetry.toml or --host-id)")?;
    Ok(id)
}

pub fn collect_options(cfg: &Config, host_id: String, run_id: Option<String>) -> CollectOptions {
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
pub struct Sink<'a> {
    pub store: &'a TelemetryStore,
    good: Vec<Sample>,
    bad: Vec<(Sample, RejectReason)>,
    since: Option<Instant>,
    pub written: usize,
    pub rejected: usize,
}

impl<'a> Sink<'a> {
    pub fn new(store: &'a TelemetryStore) -> Self {
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
    pub fn push(&mut self, s: Sample) -> Option<RejectReason> {
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

    pub fn pending(&self) -> usize {
        self.good.len() + self.bad.len()
    }

    pub fn due(&self, cfg: &Config) -> bool {
        self.pending() >= cfg.flush_samples
            || self
                .since
                .is_some_and(|t| t.elapsed() >= Duration::from_secs(cfg.flush_seconds))
    }

    pub fn flush(&mut self) -> Result<Vec<PathBuf>> {
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
