//! Readiness profiles (`templates/readiness.toml`, built in and overridable per inventory): which GPU,
//! memory, cores and services a workload needs. Parsing and checking only; evaluation is
//! [`crate::readiness`].

use crate::model::names::valid_service_name;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The built-in profiles, as shipped in `templates/readiness.toml`.
pub const DEFAULT_READINESS: &str = include_str!("../../templates/readiness.toml");

/// One profile: every condition is optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name (`realtime`, `single-agent`): 1-40 of a-z, 0-9, `_`, `-`.
    pub name: String,
    /// What the profile is for.
    #[serde(default)]
    pub description: String,
    /// Memory of the largest single GPU, GB (GiB rounded to the nearest integer).
    pub min_vram_gb: Option<u64>,
    /// Memory of all GPUs together, GB.
    pub min_total_vram_gb: Option<u64>,
    /// Installed memory, GB.
    pub min_ram_gb: Option<u64>,
    /// Physical CPU cores.
    pub min_cpu_cores: Option<u32>,
    /// Services (names from `services.toml`) that must be up.
    #[serde(default)]
    pub services: Vec<String>,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessRules {
    /// Share of unified memory (Apple Silicon) counted as VRAM, percent.
    #[serde(default = "default_unified_percent")]
    pub unified_memory_vram_percent: u32,
    /// Profiles, in file order.
    pub profile: Vec<Profile>,
}

fn default_unified_percent() -> u32 {
    75
}

impl ReadinessRules {
    /// Parse and check profiles from TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        let rules: ReadinessRules = toml::from_str(text).context("invalid readiness profiles")?;
        if !(1..=100).contains(&rules.unified_memory_vram_percent) {
            bail!(
                "unified_memory_vram_percent must be 1-100, not {}",
                rules.unified_memory_vram_percent
            );
        }
        if rules.profile.is_empty() {
            bail!("no [[profile]] defined");
        }
        let mut seen = BTreeSet::new();
        for p in &rules.profile {
            if !valid_service_name(&p.name) {
                bail!(
                    "invalid profile name {:?}: use 1-40 of a-z, 0-9, '_' and '-'",
                    p.name
                );
            }
            if !seen.insert(p.name.as_str()) {
                bail!("profile '{}' is defined twice", p.name);
            }
            for s in &p.services {
                if !valid_service_name(s) {
                    bail!("profile '{}': invalid service name {s:?}", p.name);
                }
            }
        }
        Ok(rules)
    }

    /// `<root>/templates/readiness.toml` when it exists, else the built-in profiles.
    pub fn load(root: &Path) -> Result<Self> {
        super::load_or_builtin(root, "readiness.toml", DEFAULT_READINESS, Self::parse)
    }

    /// A profile by name.
    pub fn find(&self, name: &str) -> Option<&Profile> {
        self.profile.iter().find(|p| p.name == name)
    }
}
