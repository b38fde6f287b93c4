//! The telemetry record types (one sample, one rollup bucket, one alert) and the data rules a sample must
//! pass before it is stored.
//!
//! Pure: no I/O, no clock. Units are in the field names (`_mb` = MiB, `_gb` = GiB, `_bytes` = bytes).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// One observation of a host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    /// When the sample was taken: microseconds since the Unix epoch, UTC (RFC 3339 text in JSON).
    #[serde(serialize_with = "ser_micros", deserialize_with = "de_micros")]
    pub as_of: i64,
    /// Host identity (default: the host name).
    pub host_id: String,
    /// Operating system (`linux`, `macos`).
    pub os: String,
    /// CPU architecture (`x86_64`, `aarch64`).
    pub arch: String,
    /// Whole-machine CPU busy percentage (0..100), averaged since the previous reading.
    pub cpu_pct: f64,
    /// Logical CPUs.
    pub cpu_count_logical: i32,
    /// Total RAM in MiB.
    pub ram_total_mb: i64,
    /// Used RAM in MiB (total minus available).
    pub ram_used_mb: i64,
    /// Available RAM in MiB.
    pub ram_available_mb: i64,
    /// Total swap in MiB.
    pub swap_total_mb: i64,
    /// Used swap in MiB.
    pub swap_used_mb: i64,
    /// The mount point the disk columns describe (default `/`).
    pub disk_mount: String,
    /// Size of the file system at `disk_mount` in GiB; null when it can't be read.
    pub disk_root_total_gb: Option<f64>,
    /// Space available to unprivileged users at `disk_mount` in GiB; null when it can't be read.
    pub disk_root_free_gb: Option<f64>,
    /// Bytes received since boot (all interfaces but loopback, or the configured one); monotonic counter.
    pub net_rx_bytes: Option<i64>,
    /// Bytes sent since boot; monotonic counter.
    pub net_tx_bytes: Option<i64>,
    /// CPU temperature in °C; null without a sensor.
    pub cpu_temp_c: Option<f64>,
    /// Raw Raspberry Pi `get_throttled` word; null where `vcgencmd` is absent.
    pub throttle_flags: Option<i32>,
    /// Mean current CPU frequency in MHz; null when unknown.
    pub cpu_freq_mhz: Option<i64>,
    /// Resident memory of the sampling hwinv process in MiB (opt-in).
    pub process_rss_mb: Option<f64>,
    /// CPU use of the sampling hwinv process in percent of one CPU (opt-in).
    pub process_cpu_pct: Option<f64>,
    /// Optional correlation id given by the user.
    pub run_id: Option<String>,
}

/// Why a sample was not stored. The `code` is the key counted in `telemetry/rejects.json`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RejectReason {
    /// `cpu_pct` (or `process_cpu_pct`) is outside its range or not a number.
    #[error("{field} {value} outside 0..{max}")]
    CpuPctOutOfRange {
        /// Which field.
        field: &'static str,
        /// The value as text.
        value: String,
        /// Upper bound.
        max: String,
    },
    /// A size or counter is negative (or not a number).
    #[error("{field} is negative ({value})")]
    NegativeSize {
        /// Which field.
        field: &'static str,
        /// The value as text.
        value: String,
    },
    /// `cpu_temp_c` is outside 0..120 °C.
    #[error("cpu_temp_c {0} outside 0..120")]
    TemperatureOutOfRange(String),
    /// The host id can't be used as a partition directory name.
    #[error("{0}")]
    BadHostId(String),
}

impl RejectReason {
    /// Stable key for counting.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::CpuPctOutOfRange { .. } => "cpu_pct_out_of_range",
            Self::NegativeSize { .. } => "negative_size",
            Self::TemperatureOutOfRange(_) => "temperature_out_of_range",
            Self::BadHostId(_) => "bad_host_id",
        }
    }
}

impl Sample {
    /// Check the data rules: cpu_pct in 0..=100, process_cpu_pct in 0..=100 × logical CPUs, no negative
    /// size or counter, temperature in 0..=120 °C, a valid host id. The first broken rule is returned.
    pub fn validate(&self) -> Result<(), RejectReason> {
        if let Err(e) = crate::model::hostname::validate(&self.host_id) {
            return Err(RejectReason::BadHostId(e.to_string()));
        }
        if !(0.0..=100.0).contains(&self.cpu_pct) {
            return Err(RejectReason::CpuPctOutOfRange {
                field: "cpu_pct",
                value: self.cpu_pct.to_string(),
                max: "100".into(),
            });
        }
        if let Some(p) = self.process_cpu_pct {
            let max = 100.0 * f64::from(self.cpu_count_logical.max(1));
            if !(0.0..=max).contains(&p) {
                return Err(RejectReason::CpuPctOutOfRange {
                    field: "process_cpu_pct",
                    value: p.to_string(),
                    max: max.to_string(),
                });
            }
        }
        let ints = [
            ("cpu_count_logical", Some(i64::from(self.cpu_count_logical))),
            ("ram_total_mb", Some(self.ram_total_mb)),
            ("ram_used_mb", Some(self.ram_used_mb)),
            ("ram_available_mb", Some(self.ram_available_mb)),
            ("swap_total_mb", Some(self.swap_total_mb)),
            ("swap_used_mb", Some(self.swap_used_mb)),
            ("net_rx_bytes", self.net_rx_bytes),
            ("net_tx_bytes", self.net_tx_bytes),
            ("cpu_freq_mhz", self.cpu_freq_mhz),
            ("throttle_flags", self.throttle_flags.map(i64::from)),
        ];
        for (field, v) in ints {
            if let Some(v) = v.filter(|v| *v < 0) {
                return Err(RejectReason::NegativeSize {
                    field,
                    value: v.to_string(),
                });
            }
        }
        let floats = [
            ("disk_root_total_gb", self.disk_root_total_gb),
            ("disk_root_free_gb", self.disk_root_free_gb),
            ("process_rss_mb", self.process_rss_mb),
        ];
        for (field, v) in floats {
            // NaN is refused too: it is not in 0..=MAX.
            if let Some(v) = v.filter(|v| !(0.0..=f64::MAX).contains(v)) {
                return Err(RejectReason::NegativeSize {
                    field,
                    value: v.to_string(),
                });
            }
        }
        if let Some(t) = self.cpu_temp_c {
            if !(0.0..=120.0).contains(&t) {
                return Err(RejectReason::TemperatureOutOfRange(t.to_string()));
            }
        }
        Ok(())
    }
}

/// One rollup bucket of one host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rollup {
    /// Start of the bucket (inclusive), µs since the epoch UTC; the bucket ends `bucket_minutes` later.
    #[serde(serialize_with = "ser_micros")]
    pub bucket_start: i64,
    /// Host identity.
    pub host_id: String,
    /// Bucket length in minutes.
    pub bucket_minutes: i32,
    /// Samples in the bucket (never 0: empty buckets have no row).
    pub sample_count: i64,
    /// Mean cpu_pct.
    pub cpu_pct_avg: f64,
    /// 95th percentile of cpu_pct, nearest-rank method.
    pub cpu_pct_p95: f64,
    /// Maximum cpu_pct.
    pub cpu_pct_max: f64,
    /// Mean ram_used_mb.
    pub ram_used_mb_avg: f64,
    /// Maximum ram_used_mb.
    pub ram_used_mb_max: i64,
    /// Maximum of ram_used_mb / ram_total_mb × 100 over the samples.
    pub ram_used_pct_max: Option<f64>,
    /// Minimum disk_root_free_gb (nulls ignored).
    pub disk_root_free_gb_min: Option<f64>,
    /// Minimum disk_root_free_gb / disk_root_total_gb × 100 (nulls ignored).
    pub disk_free_pct_min: Option<f64>,
    /// Maximum cpu_temp_c (nulls ignored; null when no sample had one).
    pub cpu_temp_c_max: Option<f64>,
    /// Bitwise OR of throttle_flags (null when no sample had them).
    pub throttle_flags_any: Option<i32>,
    /// Receive rate in bytes per second from counter deltas (null when no valid pair).
    pub net_rx_rate_bps_avg: Option<f64>,
    /// Transmit rate in bytes per second from counter deltas (null when no valid pair).
    pub net_tx_rate_bps_avg: Option<f64>,
}

/// One alert raised by a rule on one rollup bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Start of the bucket that raised it, µs since the epoch UTC.
    #[serde(serialize_with = "ser_micros")]
    pub as_of: i64,
    /// Host identity.
    pub host_id: String,
    /// The rule's name (`cpu_p95_high`, `ram_high`, …).
    pub alert_type: String,
    /// `info`, `warning` or `critical`, from the rule.
    pub severity: String,
    /// One human line.
    pub message: String,
    /// JSON object with metric, value, op, threshold, bucket_start, bucket_minutes and sample_count.
    pub context_json: String,
}

/// Format µs since the epoch as RFC 3339 (`2024-03-01T12:00:00Z`, with fraction only when non-zero).
#[must_use]
pub fn format_micros(us: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{us}us"))
}

/// Parse RFC 3339 text into µs since the epoch.
pub fn parse_rfc3339_micros(text: &str) -> Result<i64, time::error::Parse> {
    let t = OffsetDateTime::parse(text, &Rfc3339)?;
    // RFC 3339 years are 0..=9999, so the µs count fits an i64 comfortably.
    Ok(i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX))
}

fn ser_micros<S: Serializer>(us: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_micros(*us))
}

fn de_micros<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let text = String::deserialize(d)?;
    parse_rfc3339_micros(&text).map_err(serde::de::Error::custom)
}

#[cfg(test)]
pub(crate) fn example_sample() -> Sample {
    Sample {
        as_of: 1_700_000_000_000_000,
        host_id: "pi4".into(),
        os: "linux".into(),
        arch: "aarch64".into(),
        cpu_pct: 12.5,
        cpu_count_logical: 4,
        ram_total_mb: 3794,
        ram_used_mb: 1000,
        ram_available_mb: 2794,
        swap_total_mb: 100,
        swap_used_mb: 0,
        disk_mount: "/".into(),
        disk_root_total_gb: Some(29.0),
        disk_root_free_gb: Some(20.0),
        net_rx_bytes: Some(1000),
        net_tx_bytes: Some(2000),
        cpu_temp_c: Some(50.0),
        throttle_flags: Some(0),
        cpu_freq_mhz: Some(1500),
        process_rss_mb: None,
        process_cpu_pct: None,
        run_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sample_passes() {
        assert_eq!(example_sample().validate(), Ok(()));
    }

    #[test]
    fn rules_reject() {
        let mut s = example_sample();
        s.cpu_pct = 100.5;
        assert_eq!(
            s.validate().map_err(|e| e.code()),
            Err("cpu_pct_out_of_range")
        );
        s.cpu_pct = f64::NAN;
        assert_eq!(
            s.validate().map_err(|e| e.code()),
            Err("cpu_pct_out_of_range")
        );
        let mut s = example_sample();
        s.ram_used_mb = -1;
        assert_eq!(s.validate().map_err(|e| e.code()), Err("negative_size"));
        let mut s = example_sample();
        s.disk_root_free_gb = Some(-0.5);
        assert_eq!(s.validate().map_err(|e| e.code()), Err("negative_size"));
        let mut s = example_sample();
        s.cpu_temp_c = Some(120.5);
        assert_eq!(
            s.validate().map_err(|e| e.code()),
            Err("temperature_out_of_range")
        );
        s.cpu_temp_c = None;
        assert_eq!(s.validate(), Ok(()));
        let mut s = example_sample();
        s.host_id = "../etc".into();
        assert_eq!(s.validate().map_err(|e| e.code()), Err("bad_host_id"));
    }

    #[test]
    fn json_round_trip() {
        let s = example_sample();
        let text = serde_json::to_string(&s).expect("serializes");
        assert!(
            text.contains("\"as_of\":\"2023-11-14T22:13:20Z\""),
            "{text}"
        );
        let back: Sample = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, s);
    }
}
