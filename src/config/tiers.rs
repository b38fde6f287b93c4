//! Hardware tiers: which CPU, memory and storage tier a host falls in, and the values each tier sets.
//!
//! Rules are data (`templates/tiers.toml`, built in and overridable per inventory). Classification is
//! pure: a snapshot and rules in, tiers out.

use crate::model::Snapshot;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in rules, as shipped in `templates/tiers.toml`.
pub const DEFAULT_TIERS: &str = include_str!("../../templates/tiers.toml");

/// A CPU tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpuTier {
    /// Tier name.
    pub name: String,
    /// Smallest physical core count in this tier.
    pub min_cores: u32,
    /// `high`, `medium` or `low`.
    pub max_concurrency: String,
    /// NATS `max_connections`.
    pub nats_max_connections: u64,
    /// NATS `max_pending`, MB.
    pub nats_max_pending_mb: u64,
}

/// A memory tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryTier {
    /// Tier name.
    pub name: String,
    /// Smallest installed memory, GiB.
    pub min_gb: u64,
    /// JetStream `max_memory_store`, GB.
    pub jetstream_max_memory_gb: u64,
    /// Memory-pressure threshold, percent.
    pub memory_pressure_threshold: u32,
}

/// A storage tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageTier {
    /// Tier name.
    pub name: String,
    /// Smallest internal disk total, decimal GB.
    pub min_gb: u64,
    /// JetStream `max_file_store`, GB.
    pub jetstream_max_file_gb: u64,
    /// Stream retention, days.
    pub retention_days: u32,
}

/// All tier tables.
/// Bounds that hold whatever tier a host is in (`[limits]` in tiers.toml).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Memory each parallel Nix build may count on, GiB: `max-jobs` is at most memory / this.
    pub nix_min_memory_gb_per_job: u64,
    /// JetStream's memory store may take at most this share of the host's memory, in percent.
    pub jetstream_max_memory_percent: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            nix_min_memory_gb_per_job: 2,
            jetstream_max_memory_percent: 25,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tiers {
    /// Bounds every tier's values must fit in on the host itself.
    #[serde(default)]
    pub limits: Limits,
    /// By physical cores.
    pub cpu: Vec<CpuTier>,
    /// By installed memory.
    pub memory: Vec<MemoryTier>,
    /// By internal storage.
    pub storage: Vec<StorageTier>,
}

/// The tiers one host falls in, with the measured values that chose them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Physical cores measured.
    pub cpu_cores: u32,
    /// Installed memory measured, GiB.
    pub memory_gb: u64,
    /// Internal storage measured, decimal GB.
    pub storage_gb: u64,
    /// CPU tier.
    pub cpu: CpuTier,
    /// Memory tier.
    pub memory: MemoryTier,
    /// The bounds in force.
    pub limits: Limits,
    /// Storage tier.
    pub storage: StorageTier,
}

impl Tiers {
    /// Parse and check rules from TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        let tiers: Tiers = toml::from_str(text).context("invalid tiers")?;
        tiers.check()?;
        Ok(tiers)
    }

    /// `<root>/templates/tiers.toml` when it exists, else the built-in rules.
    pub fn load(root: &Path) -> Result<Self> {
        super::load_or_builtin(root, "tiers.toml", DEFAULT_TIERS, Self::parse)
    }

    fn check(&self) -> Result<()> {
        if !(1..=100).contains(&self.limits.jetstream_max_memory_percent) {
            bail!("[limits] jetstream_max_memory_percent must be between 1 and 100");
        }
        fn descending(table: &str, mins: &[u64]) -> Result<()> {
            if mins.is_empty() {
                bail!("[[{table}]] has no tier");
            }
            if mins.windows(2).any(|w| w[0] <= w[1]) {
                bail!("[[{table}]] tiers must be in strictly descending order of their minimum");
            }
            if mins.last() != Some(&0) {
                bail!(
                    "[[{table}]] must end with a tier whose minimum is 0, so every host has a tier"
                );
            }
            Ok(())
        }
        descending(
            "cpu",
            &self
                .cpu
                .iter()
                .map(|t| u64::from(t.min_cores))
                .collect::<Vec<_>>(),
        )?;
        descending(
            "memory",
            &self.memory.iter().map(|t| t.min_gb).collect::<Vec<_>>(),
        )?;
        descending(
            "storage",
            &self.storage.iter().map(|t| t.min_gb).collect::<Vec<_>>(),
        )?;
        Ok(())
    }

    /// Classify a host.
    pub fn classify(&self, snap: &Snapshot) -> Classification {
        let cpu_cores = snap.hardware.cpu_cores;
        let memory_gb = snap.hardware.memory_gb;
        let storage_gb = storage_gb(snap);
        // check() guarantees each table ends with a zero minimum, so a tier always matches.
        let pick = |n: usize, ok: &dyn Fn(usize) -> bool| (0..n).find(|&i| ok(i)).unwrap_or(n - 1);
        let cpu = &self.cpu[pick(self.cpu.len(), &|i| cpu_cores >= self.cpu[i].min_cores)];
        let memory = &self.memory[pick(self.memory.len(), &|i| memory_gb >= self.memory[i].min_gb)];
        let storage = &self.storage[pick(self.storage.len(), &|i| {
            storage_gb >= self.storage[i].min_gb
        })];
        Classification {
            cpu_cores,
            memory_gb,
            storage_gb,
            cpu: cpu.clone(),
            memory: memory.clone(),
            storage: storage.clone(),
            limits: self.limits.clone(),
        }
    }
}

/// Total size of internal (non-removable) disks in decimal GB, rounded down.
///
/// On macOS, system_profiler reports the APFS container, which is smaller than the drive by its boot and
/// recovery partitions (about 6 GB on Apple Silicon: a "1 TB" AP1024Z shows 994 GB). There a disk within
/// 3 % below a standard capacity counts as that capacity, so the Mac lands in the tier its label says.
/// Linux reports whole-device sizes, which are used as they are.
pub fn storage_gb(snap: &Snapshot) -> u64 {
    let macos = snap.os.family == crate::model::OsFamily::Macos;
    snap.disks
        .iter()
        .filter(|d| !d.removable)
        .map(|d| {
            let gb = d.size_bytes / 1_000_000_000;
            if macos {
                nominal_capacity_gb(gb)
            } else {
                gb
            }
        })
        .fold(0u64, u64::saturating_add)
}

/// The smallest standard drive capacity (decimal GB) at or above `gb`, when `gb` is at most 3 % short of
/// it; else `gb`.
fn nominal_capacity_gb(gb: u64) -> u64 {
    const CAPACITIES: [u64; 14] = [
        128, 250, 256, 500, 512, 1000, 1024, 2000, 2048, 4000, 4096, 8000, 8192, 16000,
    ];
    CAPACITIES
        .into_iter()
        .find(|&c| c >= gb)
        .filter(|&c| gb.saturating_mul(100) >= c * 97)
        .unwrap_or(gb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_match_the_design_tables() {
        let t = Tiers::parse(DEFAULT_TIERS).unwrap();
        let conns: Vec<_> = t
            .cpu
            .iter()
            .map(|c| (c.min_cores, c.nats_max_connections))
            .collect();
        assert_eq!(conns, [(16, 10000), (8, 5000), (0, 1000)]);
        let mem: Vec<_> = t
            .memory
            .iter()
            .map(|m| {
                (
                    m.min_gb,
                    m.jetstream_max_memory_gb,
                    m.memory_pressure_threshold,
                )
            })
            .collect();
        assert_eq!(mem, [(64, 16, 90), (32, 8, 85), (0, 4, 80)]);
        let st: Vec<_> = t
            .storage
            .iter()
            .map(|s| (s.min_gb, s.jetstream_max_file_gb, s.retention_days))
            .collect();
        assert_eq!(st, [(1000, 500, 90), (500, 200, 30), (0, 100, 14)]);
    }

    #[test]
    fn apfs_containers_count_as_the_drive_they_sit_on() {
        assert_eq!(nominal_capacity_gb(994), 1000);
        assert_eq!(nominal_capacity_gb(494), 500);
        assert_eq!(nominal_capacity_gb(1000), 1000);
        assert_eq!(nominal_capacity_gb(900), 900);
        assert_eq!(nominal_capacity_gb(274), 274);
        assert_eq!(nominal_capacity_gb(1010), 1024);
        assert_eq!(nominal_capacity_gb(20_000), 20_000);
    }

    #[test]
    fn rules_without_a_floor_or_out_of_order_are_refused() {
        let no_floor = DEFAULT_TIERS.replace("min_cores = 0", "min_cores = 1");
        let err = format!("{:#}", Tiers::parse(&no_floor).unwrap_err());
        assert!(err.contains("minimum is 0"), "{err}");
        let unknown = format!("{DEFAULT_TIERS}\nbogus = 1\n");
        assert!(Tiers::parse(&unknown).is_err());
    }
}
