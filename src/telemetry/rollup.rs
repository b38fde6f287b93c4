//! Rollups and alerts: pure functions from samples to 5-minute (configurable) buckets, and from buckets
//! to alerts under threshold rules.
//!
//! No I/O, no clock: the same samples and rules always give the same rows, which is what makes
//! re-running `hwinv rollup` idempotent.

use super::model::{format_micros, Alert, Rollup, Sample};
use super::parse::describe_throttle;
use crate::config::telemetry::{AlertRule, Metric, Op};
use std::collections::BTreeMap;

const MICROS_PER_SEC: i64 = 1_000_000;

/// Roll samples up into buckets of `bucket_minutes` per host.
///
/// * Buckets are aligned to the Unix epoch (so to UTC midnight); a bucket without samples has no row.
/// * Samples of one host with the same `as_of` are counted once (the first wins), so a file ingested
///   twice does not skew averages.
/// * `cpu_pct_p95` uses the nearest-rank method: sort ascending, take the value at rank ⌈0.95·n⌉.
/// * Network rates: for each sample and the host's previous sample, the counter delta is used when both
///   counters are present, the delta is not negative (a counter reset or a reboot) and the gap is at most
///   `max_gap_secs`; the bucket's rate is the sum of the used deltas divided by the sum of their gaps, and
///   a pair belongs to the bucket of its later sample (so the first sample of a bucket pairs with the last
///   one before it).
#[must_use]
pub fn rollup(samples: &[Sample], bucket_minutes: u32, max_gap_secs: u64) -> Vec<Rollup> {
    let bucket_us = i64::from(bucket_minutes.max(1)) * 60 * MICROS_PER_SEC;
    let max_gap_us = i64::try_from(max_gap_secs)
        .unwrap_or(i64::MAX / MICROS_PER_SEC)
        .saturating_mul(MICROS_PER_SEC);
    let mut by_host: BTreeMap<&str, Vec<&Sample>> = BTreeMap::new();
    for s in samples {
        by_host.entry(s.host_id.as_str()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (host, mut rows) in by_host {
        // Stable sort keeps input order among equal timestamps, so "first wins" is well defined.
        rows.sort_by_key(|s| s.as_of);
        rows.dedup_by_key(|s| s.as_of);
        let mut buckets: BTreeMap<i64, Acc> = BTreeMap::new();
        let mut prev: Option<&Sample> = None;
        for s in rows {
            let acc = buckets
                .entry(s.as_of.div_euclid(bucket_us) * bucket_us)
                .or_default();
            acc.add(s);
            if let Some(p) = prev {
                let dt = s.as_of - p.as_of;
                if dt > 0 && dt <= max_gap_us {
                    acc.rx.add(p.net_rx_bytes, s.net_rx_bytes, dt);
                    acc.tx.add(p.net_tx_bytes, s.net_tx_bytes, dt);
                }
            }
            prev = Some(s);
        }
        for (start, acc) in buckets {
            out.push(acc.finish(start, host, bucket_minutes));
        }
    }
    out
}

#[derive(Default)]
struct Rate {
    bytes: i128,
    micros: i64,
}

impl Rate {
    fn add(&mut self, before: Option<i64>, after: Option<i64>, dt_us: i64) {
        if let (Some(b), Some(a)) = (before, after) {
            let delta = i128::from(a) - i128::from(b);
            if delta >= 0 {
                self.bytes += delta;
                self.micros += dt_us;
            }
        }
    }

    #[allow(clippy::cast_precision_loss)] // byte counts and durations far below 2^52
    fn per_sec(&self) -> Option<f64> {
        (self.micros > 0).then(|| self.bytes as f64 / (self.micros as f64 / MICROS_PER_SEC as f64))
    }
}

#[derive(Default)]
struct Acc {
    cpu: Vec<f64>,
    ram_used: Vec<i64>,
    ram_pct_max: Option<f64>,
    disk_free_min: Option<f64>,
    disk_pct_min: Option<f64>,
    temp_max: Option<f64>,
    throttle: Option<i32>,
    rx: Rate,
    tx: Rate,
}

fn max_opt(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.max(b)))
}

fn min_opt(a: Option<f64>, b: f64) -> Option<f64> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl Acc {
    #[allow(clippy::cast_precision_loss)] // MiB counts far below 2^52
    fn add(&mut self, s: &Sample) {
        self.cpu.push(s.cpu_pct);
        self.ram_used.push(s.ram_used_mb);
        if s.ram_total_mb > 0 {
            let pct = s.ram_used_mb as f64 / s.ram_total_mb as f64 * 100.0;
            self.ram_pct_max = max_opt(self.ram_pct_max, pct);
        }
        if let Some(free) = s.disk_root_free_gb {
            self.disk_free_min = min_opt(self.disk_free_min, free);
            if let Some(total) = s.disk_root_total_gb.filter(|t| *t > 0.0) {
                self.disk_pct_min = min_opt(self.disk_pct_min, free / total * 100.0);
            }
        }
        if let Some(t) = s.cpu_temp_c {
            self.temp_max = max_opt(self.temp_max, t);
        }
        if let Some(f) = s.throttle_flags {
            self.throttle = Some(self.throttle.unwrap_or(0) | f);
        }
    }

    #[allow(clippy::cast_precision_loss)] // sample counts and MiB far below 2^52
    fn finish(self, start: i64, host: &str, bucket_minutes: u32) -> Rollup {
        let n = self.cpu.len();
        let mut sorted = self.cpu.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = (95 * n).div_ceil(100).max(1);
        Rollup {
            bucket_start: start,
            host_id: host.to_string(),
            bucket_minutes: i32::try_from(bucket_minutes).unwrap_or(i32::MAX),
            sample_count: i64::try_from(n).unwrap_or(i64::MAX),
            cpu_pct_avg: self.cpu.iter().sum::<f64>() / n as f64,
            cpu_pct_p95: sorted[rank - 1],
            cpu_pct_max: sorted[n - 1],
            ram_used_mb_avg: self.ram_used.iter().map(|v| *v as f64).sum::<f64>() / n as f64,
            ram_used_mb_max: self.ram_used.iter().copied().max().unwrap_or(0),
            ram_used_pct_max: self.ram_pct_max,
            disk_root_free_gb_min: self.disk_free_min,
            disk_free_pct_min: self.disk_pct_min,
            cpu_temp_c_max: self.temp_max,
            throttle_flags_any: self.throttle,
            net_rx_rate_bps_avg: self.rx.per_sec(),
            net_tx_rate_bps_avg: self.tx.per_sec(),
        }
    }
}

fn metric_value(r: &Rollup, m: Metric) -> Option<f64> {
    match m {
        Metric::CpuPctP95 => Some(r.cpu_pct_p95),
        Metric::CpuPctAvg => Some(r.cpu_pct_avg),
        Metric::RamUsedPctMax => r.ram_used_pct_max,
        Metric::DiskFreePctMin => r.disk_free_pct_min,
        Metric::DiskRootFreeGbMin => r.disk_root_free_gb_min,
        Metric::CpuTempCMax => r.cpu_temp_c_max,
        Metric::ThrottleFlagsAny => r.throttle_flags_any.map(f64::from),
    }
}

/// Evaluate every rule on every bucket; a rule whose metric is null for a bucket does not fire.
/// Alerts come out ordered by host, bucket, then rule order.
#[must_use]
#[allow(clippy::cast_possible_truncation)] // flag words and masks are small integers
pub fn alerts(rollups: &[Rollup], rules: &[AlertRule]) -> Vec<Alert> {
    let mut out = Vec::new();
    for r in rollups {
        for rule in rules {
            let Some(value) = metric_value(r, rule.metric) else {
                continue;
            };
            let fired = match rule.op {
                Op::Gt => value > rule.threshold,
                Op::Ge => value >= rule.threshold,
                Op::Lt => value < rule.threshold,
                Op::Le => value <= rule.threshold,
                Op::AnyBits => (value as i64) & (rule.threshold as i64) != 0,
            };
            if !fired {
                continue;
            }
            let col = rule.metric.column();
            let when = format!(
                "{}-minute bucket from {}, {} samples",
                r.bucket_minutes,
                format_micros(r.bucket_start),
                r.sample_count
            );
            let message = if rule.op == Op::AnyBits {
                let hit = (value as i64 & rule.threshold as i64) as u32;
                format!(
                    "{col} 0x{:x} & 0x{:x}: {} ({when})",
                    value as i64,
                    rule.threshold as i64,
                    describe_throttle(hit)
                )
            } else {
                format!(
                    "{col} {value:.1} {} {} ({when})",
                    rule.op.symbol(),
                    rule.threshold
                )
            };
            // Keys written in alphabetical order (serde_json preserves insertion order here).
            let context = serde_json::json!({
                "bucket_minutes": r.bucket_minutes,
                "bucket_start": format_micros(r.bucket_start),
                "metric": col,
                "op": rule.op,
                "sample_count": r.sample_count,
                "threshold": rule.threshold,
                "value": value,
            });
            out.push(Alert {
                as_of: r.bucket_start,
                host_id: r.host_id.clone(),
                alert_type: rule.name.clone(),
                severity: rule.severity.clone(),
                message,
                context_json: context.to_string(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::model::example_sample;
    use super::*;
    use crate::config::telemetry::default_rules;

    const T0: i64 = 1_700_000_100 * MICROS_PER_SEC; // 2023-11-14T22:15:00Z, a 5-minute boundary

    fn s(sec: i64, cpu: f64, rx: i64) -> Sample {
        Sample {
            as_of: T0 + sec * MICROS_PER_SEC,
            cpu_pct: cpu,
            net_rx_bytes: Some(rx),
            net_tx_bytes: None,
            ..example_sample()
        }
    }

    #[test]
    fn hand_computed() {
        let samples = vec![
            // bucket 0: cpu 10, 20, 30, 100 ; rx 0 -> 1000 -> 3000 -> 6000 every 60 s
            s(0, 10.0, 0),
            s(60, 20.0, 1000),
            s(120, 30.0, 3000),
            s(180, 100.0, 6000),
            // bucket 1 (300..600) empty
            // bucket 2: first pairs with s(180) across the empty bucket (420 s gap <= 900)
            s(600, 50.0, 6420),
            // counter reset: dropped
            s(660, 60.0, 100),
            s(720, 70.0, 700),
            // a duplicate timestamp is counted once
            s(720, 99.0, 999_999),
        ];
        let r = rollup(&samples, 5, 900);
        assert_eq!(r.len(), 2, "the empty bucket has no row");
        let b0 = &r[0];
        assert_eq!(b0.bucket_start, T0);
        assert_eq!(b0.sample_count, 4);
        assert!((b0.cpu_pct_avg - 40.0).abs() < 1e-9);
        assert_eq!(b0.cpu_pct_p95, 100.0); // rank ceil(3.8) = 4
        assert_eq!(b0.cpu_pct_max, 100.0);
        assert_eq!(b0.net_rx_rate_bps_avg, Some(6000.0 / 180.0));
        assert_eq!(b0.net_tx_rate_bps_avg, None);
        let b2 = &r[1];
        assert_eq!(b2.bucket_start, T0 + 600 * MICROS_PER_SEC);
        assert_eq!(b2.sample_count, 3);
        assert!((b2.cpu_pct_avg - 60.0).abs() < 1e-9);
        assert_eq!(b2.cpu_pct_p95, 70.0);
        // (6420-6000) over 420 s, reset pair dropped, (700-100) over 60 s
        assert_eq!(b2.net_rx_rate_bps_avg, Some((420.0 + 600.0) / 480.0));
    }

    #[test]
    fn gap_and_nulls() {
        let mut a = s(0, 1.0, 0);
        a.cpu_temp_c = None;
        a.throttle_flags = None;
        a.disk_root_free_gb = None;
        let mut b = s(1000, 1.0, 5000); // gap above max: no rate
        b.cpu_temp_c = None;
        b.throttle_flags = Some(0x50005);
        let r = rollup(&[a.clone(), b], 60, 900);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].net_rx_rate_bps_avg, None);
        assert_eq!(r[0].cpu_temp_c_max, None);
        assert_eq!(r[0].throttle_flags_any, Some(0x50005));
        assert_eq!(r[0].disk_root_free_gb_min, Some(20.0));
        let r = rollup(&[a], 5, 900);
        assert_eq!(r[0].throttle_flags_any, None);
        assert_eq!(r[0].disk_root_free_gb_min, None);
        assert_eq!(r[0].cpu_pct_p95, 1.0);
    }

    #[test]
    fn p95_nearest_rank() {
        let samples: Vec<Sample> = (0..20)
            .map(|i| s(i * 10, f64::from(i as i32 + 1), 0))
            .collect();
        // n = 20: rank ceil(19) = 19 -> value 19
        assert_eq!(rollup(&samples, 5, 900)[0].cpu_pct_p95, 19.0);
        let samples: Vec<Sample> = (0..21)
            .map(|i| s(i * 10, f64::from(i as i32 + 1), 0))
            .collect();
        // n = 21: rank ceil(19.95) = 20 -> value 20
        assert_eq!(rollup(&samples, 5, 900)[0].cpu_pct_p95, 20.0);
    }

    #[test]
    fn default_alerts() {
        let mut hot = s(0, 95.0, 0);
        hot.cpu_temp_c = Some(85.0);
        hot.ram_used_mb = 3700; // of 3794
        hot.disk_root_free_gb = Some(2.0); // of 29
        hot.throttle_flags = Some(0x50005);
        let r = rollup(&[hot], 5, 900);
        let a = alerts(&r, &default_rules());
        let kinds: Vec<&str> = a.iter().map(|a| a.alert_type.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "cpu_p95_high",
                "ram_high",
                "disk_low",
                "temp_high",
                "throttled"
            ]
        );
        insta::assert_yaml_snapshot!(a);
        // Quiet bucket: nothing fires; sticky "occurred" bits alone don't fire the default rule.
        let mut calm = s(0, 5.0, 0);
        calm.throttle_flags = Some(0x50000);
        assert!(alerts(&rollup(&[calm], 5, 900), &default_rules()).is_empty());
    }
}
