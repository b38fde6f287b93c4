//! Telemetry settings: built-in defaults, `<root>/telemetry.toml`, then `HWINV_TELEMETRY_*` environment
//! variables, then command-line flags (each layer overrides the one before).
//!
//! Parsing is pure ([`Config::from_toml`], [`Config::apply_env`] take text and a lookup function); only
//! [`Config::load`] touches the file system and the process environment.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

/// File name of the config, relative to the inventory root.
pub const CONFIG_FILE: &str = "telemetry.toml";

/// Telemetry settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// When false, `hwinv sample` records nothing (and says so).
    pub enabled: bool,
    /// Host identity; `None` means the host name.
    pub host_id: Option<String>,
    /// Interval of `hwinv sample --every` when no interval is given, e.g. `"10s"`, `"1m"`.
    pub interval: String,
    /// Rollup bucket length in minutes (must divide a day).
    pub rollup_minutes: u32,
    /// Record the sampling process's own RSS and CPU use.
    pub include_process_metrics: bool,
    /// Mount point whose size and free space are sampled.
    pub disk_mount: String,
    /// Network interface to count, or `"all"` (every interface except loopback).
    pub network_interface: String,
    /// With `--every`, write a Parquet file after this many buffered samples…
    pub flush_samples: usize,
    /// …or when the oldest buffered sample is this many seconds old.
    pub flush_seconds: u64,
    /// Consecutive samples further apart than this are not used for network rates.
    pub max_gap_seconds: u64,
    /// Alert rules; when the file has `[[alerts]]`, they replace the defaults.
    pub alerts: Vec<AlertRule>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            enabled: true,
            host_id: None,
            interval: "10s".into(),
            rollup_minutes: 5,
            include_process_metrics: false,
            disk_mount: "/".into(),
            network_interface: "all".into(),
            flush_samples: 60,
            flush_seconds: 300,
            max_gap_seconds: 900,
            alerts: default_rules(),
        }
    }
}

/// A threshold rule evaluated on every rollup bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Name, written as the alert's `alert_type`.
    pub name: String,
    /// Rollup column the rule reads.
    pub metric: Metric,
    /// Comparison.
    pub op: Op,
    /// Threshold (for `any_bits`, the bit mask).
    pub threshold: f64,
    /// `info`, `warning` or `critical`.
    #[serde(default = "default_severity")]
    pub severity: String,
}

fn default_severity() -> String {
    "warning".into()
}

/// Rollup columns an alert rule may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// `cpu_pct_p95`.
    CpuPctP95,
    /// `cpu_pct_avg`.
    CpuPctAvg,
    /// `ram_used_pct_max`.
    RamUsedPctMax,
    /// `disk_free_pct_min`.
    DiskFreePctMin,
    /// `disk_root_free_gb_min`.
    DiskRootFreeGbMin,
    /// `cpu_temp_c_max`.
    CpuTempCMax,
    /// `throttle_flags_any`.
    ThrottleFlagsAny,
}

impl Metric {
    /// The rollup column name.
    #[must_use]
    pub fn column(self) -> &'static str {
        match self {
            Self::CpuPctP95 => "cpu_pct_p95",
            Self::CpuPctAvg => "cpu_pct_avg",
            Self::RamUsedPctMax => "ram_used_pct_max",
            Self::DiskFreePctMin => "disk_free_pct_min",
            Self::DiskRootFreeGbMin => "disk_root_free_gb_min",
            Self::CpuTempCMax => "cpu_temp_c_max",
            Self::ThrottleFlagsAny => "throttle_flags_any",
        }
    }
}

/// Comparison of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// value > threshold
    Gt,
    /// value >= threshold
    Ge,
    /// value < threshold
    Lt,
    /// value <= threshold
    Le,
    /// value & threshold != 0 (both as integers)
    AnyBits,
}

impl Op {
    /// The operator as shown in messages.
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::AnyBits => "&",
        }
    }
}

/// The default rules: CPU p95 > 90 %, RAM used > 90 %, disk free < 10 %, temperature > 80 °C, and any
/// Raspberry Pi throttling condition active at a sample (bits 0–3 of `get_throttled`).
#[must_use]
pub fn default_rules() -> Vec<AlertRule> {
    let rule = |name: &str, metric, op, threshold, severity: &str| AlertRule {
        name: name.into(),
        metric,
        op,
        threshold,
        severity: severity.into(),
    };
    vec![
        rule("cpu_p95_high", Metric::CpuPctP95, Op::Gt, 90.0, "warning"),
        rule("ram_high", Metric::RamUsedPctMax, Op::Gt, 90.0, "warning"),
        rule("disk_low", Metric::DiskFreePctMin, Op::Lt, 10.0, "warning"),
        rule("temp_high", Metric::CpuTempCMax, Op::Gt, 80.0, "warning"),
        rule(
            "throttled",
            Metric::ThrottleFlagsAny,
            Op::AnyBits,
            15.0,
            "warning",
        ),
    ]
}

impl Config {
    /// Parse the config file's text.
    pub fn from_toml(text: &str) -> Result<Self> {
        let cfg: Self = toml::from_str(text)?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Apply `HWINV_TELEMETRY_{ENABLED,HOST_ID,INTERVAL,ROLLUP_MINUTES,INCLUDE_PROCESS_METRICS,DISK_MOUNT,
    /// NETWORK_INTERFACE}` from `lookup`.
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<()> {
        let get = |k: &str| lookup(&format!("HWINV_TELEMETRY_{k}")).filter(|v| !v.is_empty());
        if let Some(v) = get("ENABLED") {
            self.enabled = parse_bool("HWINV_TELEMETRY_ENABLED", &v)?;
        }
        if let Some(v) = get("HOST_ID") {
            self.host_id = Some(v);
        }
        if let Some(v) = get("INTERVAL") {
            self.interval = v;
        }
        if let Some(v) = get("ROLLUP_MINUTES") {
            self.rollup_minutes = v
                .parse()
                .with_context(|| format!("HWINV_TELEMETRY_ROLLUP_MINUTES {v:?}"))?;
        }
        if let Some(v) = get("INCLUDE_PROCESS_METRICS") {
            self.include_process_metrics =
                parse_bool("HWINV_TELEMETRY_INCLUDE_PROCESS_METRICS", &v)?;
        }
        if let Some(v) = get("DISK_MOUNT") {
            self.disk_mount = v;
        }
        if let Some(v) = get("NETWORK_INTERFACE") {
            self.network_interface = v;
        }
        self.check()
    }

    /// Defaults, then `<root>/telemetry.toml` if it exists, then the process environment.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join(CONFIG_FILE);
        let mut cfg = match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_toml(&text)
                .with_context(|| format!("invalid telemetry config '{}'", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("unable to read '{}'", path.display()))
            }
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        Ok(cfg)
    }

    /// Validate cross-field rules.
    pub fn check(&self) -> Result<()> {
        parse_duration(&self.interval).context("invalid interval")?;
        if self.rollup_minutes == 0 || 1440 % self.rollup_minutes != 0 {
            bail!(
                "rollup_minutes must divide a day (1, 2, 5, 10, 15, 30, 60, …), got {}",
                self.rollup_minutes
            );
        }
        if let Some(h) = &self.host_id {
            crate::model::hostname::validate(h)?;
        }
        if self.flush_samples == 0 {
            bail!("flush_samples must be at least 1");
        }
        for r in &self.alerts {
            if !matches!(r.severity.as_str(), "info" | "warning" | "critical") {
                bail!(
                    "alert rule {:?}: severity must be info, warning or critical",
                    r.name
                );
            }
        }
        Ok(())
    }
}

fn parse_bool(name: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => bail!("{name}: expected true or false, got {v:?}"),
    }
}

/// Parse a duration setting (the syntax of every duration flag, see
/// [`crate::model::units::parse_duration`]). Zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration> {
    crate::model::units::parse_duration(text).map_err(anyhow::Error::msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s").ok(), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m").ok(), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_duration("250ms").ok(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(parse_duration("7").ok(), Some(Duration::from_secs(7)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn file_then_env() {
        let mut cfg = Config::from_toml(
            "host_id = \"pi4\"\ninterval = \"30s\"\n[[alerts]]\nname = \"hot\"\nmetric = \"cpu_temp_c_max\"\nop = \"gt\"\nthreshold = 70\n",
        )
        .expect("parses");
        assert_eq!(cfg.host_id.as_deref(), Some("pi4"));
        assert_eq!(cfg.alerts.len(), 1);
        assert_eq!(cfg.alerts[0].severity, "warning");
        assert_eq!(cfg.disk_mount, "/");
        cfg.apply_env(|k| match k {
            "HWINV_TELEMETRY_HOST_ID" => Some("pi5".into()),
            "HWINV_TELEMETRY_ENABLED" => Some("false".into()),
            _ => None,
        })
        .expect("env applies");
        assert_eq!(cfg.host_id.as_deref(), Some("pi5"));
        assert!(!cfg.enabled);
    }

    #[test]
    fn bad_config() {
        assert!(Config::from_toml("rollup_minutes = 7").is_err());
        assert!(Config::from_toml("host_id = \"../x\"").is_err());
        assert!(Config::from_toml("nonsense = 1").is_err());
        assert!(Config::from_toml("interval = \"fast\"").is_err());
        let mut cfg = Config::default();
        assert!(cfg
            .apply_env(|k| (k == "HWINV_TELEMETRY_ENABLED").then(|| "maybe".into()))
            .is_err());
    }
}
