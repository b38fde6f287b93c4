//! What `hwinv generate` writes for one host, computed in memory: the template context (tiers, Nix build
//! tuning, NATS limits), the rendered `configuration.nix` and `nats-server.conf`, and `metadata.json`.
//!
//! Pure apart from rendering: a snapshot, rules and templates in, bytes out. It never reads or writes
//! `hosts/`; deciding whether those bytes may replace what is on disk is the caller's job.

use crate::config::tiers::{Classification, CpuTier, MemoryTier, StorageTier};
use crate::model::hostname;
use crate::model::{OsFamily, Snapshot};
use crate::render::nixos_hardware::{self, HardwareConfig};
use crate::render::{Builtins, Renderer};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The built-in templates generate renders; `<root>/templates/<name>` overrides each.
pub const BUILTINS: Builtins = &[
    (
        "configuration-darwin.nix.j2",
        include_str!("../../templates/configuration-darwin.nix.j2"),
    ),
    (
        "configuration-nixos.nix.j2",
        include_str!("../../templates/configuration-nixos.nix.j2"),
    ),
    (
        "nats-server.conf.j2",
        include_str!("../../templates/nats-server.conf.j2"),
    ),
    (
        "hardware-configuration.nix.j2",
        include_str!("../../templates/hardware-configuration.nix.j2"),
    ),
    (
        "nats-server.service.j2",
        include_str!("../../templates/nats-server.service.j2"),
    ),
];

/// `hardware-configuration.nix` (NixOS).
pub const HARDWARE_CONFIGURATION: &str = "hardware-configuration.nix";
/// `nats-server.service` (Linux hosts that do not run NixOS).
pub const NATS_UNIT: &str = "nats-server.service";
/// `configuration.nix`.
pub const CONFIGURATION: &str = "configuration.nix";
/// `nats-server.conf`.
pub const NATS_CONF: &str = "nats-server.conf";
/// `metadata.json`.
pub const METADATA: &str = "metadata.json";

/// Where the rules and templates of this run came from, recorded in every host's metadata.
#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    /// The tiers: `built-in` or `templates/tiers.toml`, with the SHA-256 of the text.
    pub rules: Source,
    /// Each template by name, with where it came from.
    pub templates: BTreeMap<String, Source>,
}

/// Where one input came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `built-in`, or the override's path relative to the inventory root.
    pub source: String,
    /// SHA-256 of its text, lowercase hex.
    pub sha256: String,
}

/// The snapshot a host's files are generated from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// Inventory name of the host (the directory under `inventory/`).
    pub host: &'a str,
    /// The snapshot file, relative to the inventory root (`inventory/<host>/hardware_<stamp>.json`).
    pub snapshot_path: &'a str,
    /// Its exact bytes (hashed into the metadata).
    pub snapshot_bytes: &'a [u8],
    /// The decoded snapshot.
    pub snapshot: &'a Snapshot,
    /// Its tiers under the rules in force.
    pub class: &'a Classification,
    /// leaf-config.nix says the host runs NixOS (or is about to), whatever its snapshot's OS.
    pub nixos: bool,
}

/// Everything generated for one host.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `nixos`, `darwin`, or `linux` (another distribution: NATS files only).
    pub platform: &'static str,
    /// The NixOS hardware decisions, for `--explain` (NixOS hosts only).
    pub hardware: Option<HardwareConfig>,
    /// The tuned values and what chose them, for `--explain`.
    pub tuning: Vec<nixos_hardware::Choice>,
    /// Files of `hosts/<host>/`, in the order they are written (metadata last).
    pub files: Vec<(&'static str, Vec<u8>)>,
    /// Data that a user should hear about (missing facts that pushed the host into the lowest tier).
    pub warnings: Vec<String>,
}

/// Nix build settings derived from the core counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NixTuning {
    /// `nix.settings.max-jobs`: builds at once, one per four physical cores.
    pub max_jobs: u32,
    /// `nix.settings.cores`: cores each build may use, the logical CPUs shared between the jobs
    /// (0, meaning all of them, when the core count is unknown).
    pub cores: u32,
}

impl NixTuning {
    /// One build per four physical cores (at least one), no more builds than the memory allows at
    /// `min_gb_per_job` GiB each (0: no bound), each with an equal share of the logical CPUs, so
    /// `max_jobs × cores` never exceeds the logical CPUs.
    pub fn from_cores(physical: u32, logical: u32, memory_bytes: u64, min_gb_per_job: u64) -> Self {
        if physical == 0 {
            return Self {
                max_jobs: 1,
                cores: 0,
            };
        }
        let mut max_jobs = (physical / 4).max(1);
        if min_gb_per_job > 0 && memory_bytes > 0 {
            let by_memory = memory_bytes / (min_gb_per_job << 30);
            max_jobs = max_jobs.min(u32::try_from(by_memory).unwrap_or(u32::MAX).max(1));
        }
        let cores = (logical.max(physical) / max_jobs).max(1);
        Self { max_jobs, cores }
    }
}

/// NATS server settings derived from the tiers. Sizes carry NATS's own suffixes (`MB` = MiB, `GB` = GiB,
/// as nats-server reads them) and the same value in bytes, for JSON configurations (NixOS `settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NatsSettings {
    /// `server_name`: the inventory name.
    pub server_name: String,
    /// The address clients connect to: loopback, so nothing beyond the host reaches NATS unless the
    /// user opens it in local.nix.
    pub host: String,
    /// The client port.
    pub port: u16,
    /// `max_connections` (cpu tier).
    pub max_connections: u64,
    /// `max_pending` as written in nats-server.conf, e.g. `64MB` (cpu tier).
    pub max_pending: String,
    /// `max_pending` in bytes.
    pub max_pending_bytes: u64,
    /// JetStream `max_memory_store`, e.g. `8GB` (memory tier).
    pub max_memory_store: String,
    /// JetStream `max_memory_store` in bytes.
    pub max_memory_store_bytes: u64,
    /// JetStream `max_file_store`, e.g. `200GB` (storage tier).
    pub max_file_store: String,
    /// JetStream `max_file_store` in bytes.
    pub max_file_store_bytes: u64,
}

impl NatsSettings {
    fn from_tiers(
        host: &str,
        class: &Classification,
        memory_bytes: u64,
    ) -> Result<(Self, Option<String>)> {
        const MIB: u64 = 1 << 20;
        const GIB: u64 = 1 << 30;
        let bytes = |n: u64, unit: u64, what: &str| {
            n.checked_mul(unit)
                .filter(|b| i64::try_from(*b).is_ok())
                .ok_or_else(|| anyhow::anyhow!("{what} of {n} in the tiers is too large for NATS"))
        };
        let mut max_memory_store = format!("{}GB", class.memory.jetstream_max_memory_gb);
        let mut max_memory_store_bytes = bytes(
            class.memory.jetstream_max_memory_gb,
            GIB,
            "jetstream_max_memory_gb",
        )?;
        let mut clamped = None;
        let pct = class.limits.jetstream_max_memory_percent;
        if memory_bytes > 0 {
            // Whole MiB, never 0: nats-server reads 0 as "no limit".
            let cap = (u128::from(memory_bytes) * u128::from(pct) / 100 / u128::from(MIB)).max(1);
            let cap_bytes = u64::try_from(cap).unwrap_or(u64::MAX / MIB) * MIB;
            if max_memory_store_bytes > cap_bytes {
                clamped = Some(format!(
                    "JetStream max_memory_store {max_memory_store} of memory tier {} is more than {pct} % of the host's memory: \
                     lowered to {cap}MB ([limits] jetstream_max_memory_percent in templates/tiers.toml)",
                    class.memory.name
                ));
                max_memory_store = format!("{cap}MB");
                max_memory_store_bytes = cap_bytes;
            }
        }
        Ok((
            Self {
                server_name: host.to_string(),
                host: "127.0.0.1".to_string(),
                port: 4222,
                max_connections: class.cpu.nats_max_connections,
                max_pending: format!("{}MB", class.cpu.nats_max_pending_mb),
                max_pending_bytes: bytes(
                    class.cpu.nats_max_pending_mb,
                    MIB,
                    "nats_max_pending_mb",
                )?,
                max_memory_store,
                max_memory_store_bytes,
                max_file_store: format!("{}GB", class.storage.jetstream_max_file_gb),
                max_file_store_bytes: bytes(
                    class.storage.jetstream_max_file_gb,
                    GIB,
                    "jetstream_max_file_gb",
                )?,
            },
            clamped,
        ))
    }
}

/// The names the platform's host-name options get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Names {
    /// `networking.hostName`: the whole name on macOS, the first label on NixOS.
    pub host_name: String,
    /// `networking.localHostName` (macOS), the whole name; `darwin-rebuild --flake` selects by it.
    pub local_host_name: Option<String>,
    /// `networking.domain` (NixOS): what follows the first dot, if anything.
    pub domain: Option<String>,
}

impl Names {
    /// Check `host` against the platform's host-name option and split it as that option wants.
    pub fn for_platform(host: &str, family: OsFamily) -> Result<Self> {
        hostname::validate(host)?;
        match family {
            OsFamily::Macos => {
                // nix-darwin's networking.hostName: letters, digits and '-' in dot-separated labels that
                // neither start nor end with '-'.
                let ok = host.split('.').all(|l| {
                    !l.is_empty()
                        && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                });
                if !ok {
                    bail!(
                        "host name '{host}' cannot be a macOS LocalHostName (letters, digits and '-' only); \
                         extract the host again with --name NAME"
                    );
                }
                Ok(Self {
                    host_name: host.to_string(),
                    local_host_name: Some(host.to_string()),
                    domain: None,
                })
            }
            OsFamily::Linux => {
                let (label, domain) = match host.split_once('.') {
                    Some((l, d)) => (l, Some(d.to_string())),
                    None => (host, None),
                };
                // NixOS networking.hostName: ^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$
                let ok = label.len() <= 63
                    && label.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && label.ends_with(|c: char| c.is_ascii_alphanumeric())
                    && label
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if !ok {
                    bail!(
                        "host name '{host}' cannot be a NixOS networking.hostName (its first label must start \
                         and end with a letter or digit); extract the host again with --name NAME"
                    );
                }
                Ok(Self {
                    host_name: label.to_string(),
                    local_host_name: None,
                    domain,
                })
            }
        }
    }
}

/// What the templates see.
#[derive(Debug, Serialize)]
struct Context<'a> {
    /// `hwinv <version>`.
    generator: &'a str,
    /// Inventory name.
    host: &'a str,
    /// `nixos` or `darwin`.
    platform: &'a str,
    /// Snapshot file relative to the inventory root.
    snapshot_path: &'a str,
    /// The template being rendered (for "change the template" hints).
    template: &'a str,
    /// The snapshot.
    s: &'a Snapshot,
    /// Its tiers.
    t: &'a Classification,
    /// Host-name options.
    names: &'a Names,
    /// Nix build settings.
    nix: &'a NixTuning,
    /// NATS settings.
    nats: &'a NatsSettings,
    /// The measurements behind the tiers, in words (`10 cores`, `32 GB`, `size unknown`).
    measured: &'a Measured,
    /// The body of hardware-configuration.nix (NixOS), already written as Nix.
    hardware_body: &'a str,
}

/// The measurements that chose the tiers, as the generated comments state them.
#[derive(Debug, Serialize)]
struct Measured {
    cpu: String,
    memory: String,
    storage: String,
}

impl Measured {
    fn of(snap: &Snapshot, class: &Classification) -> Self {
        Self {
            cpu: match class.cpu_cores {
                0 => "core count unknown".into(),
                1 => "1 physical core".into(),
                n => format!("{n} physical cores"),
            },
            memory: if snap.hardware.memory.total_bytes == 0 {
                "size unknown".into()
            } else {
                format!("{} GB", class.memory_gb)
            },
            storage: if class.storage_gb == 0 {
                "no internal disk recorded".into()
            } else {
                format!("{} GB of internal disks", class.storage_gb)
            },
        }
    }
}

/// `metadata.json`: what was generated, from which snapshot, under which rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The hwinv build that generated the files.
    pub generator: String,
    /// Inventory name.
    pub host: String,
    /// `nixos` or `darwin`.
    pub platform: String,
    /// The Nix system double.
    pub nix_system: String,
    /// The snapshot the files come from.
    pub snapshot: SnapshotRef,
    /// The tier chosen in each table, with the measured value and the rule values applied.
    pub tiers: Tiers,
    /// Values derived from the tiers and the facts, as written into the files.
    pub settings: Settings,
    /// Where the rules came from.
    pub rules: Source,
    /// The template each file was rendered from.
    pub templates: BTreeMap<String, TemplateRef>,
    /// Missing facts that affected the result.
    pub warnings: Vec<String>,
    /// Why each option of hardware-configuration.nix was chosen, and what was left out (NixOS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_configuration: Option<HardwareConfig>,
    /// SHA-256 of each generated file as written; a file whose hash differs was edited by hand.
    pub files: BTreeMap<String, String>,
}

/// The template a file was rendered from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRef {
    /// Template name (`configuration-nixos.nix.j2`).
    pub template: String,
    /// `built-in`, or the override's path relative to the inventory root.
    pub source: String,
    /// SHA-256 of the template text.
    pub sha256: String,
}

/// The snapshot a host's files came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotRef {
    /// Relative to the inventory root.
    pub path: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// When it was collected.
    pub collected_at: String,
}

/// The tiers chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tiers {
    /// By physical cores.
    pub cpu: Chosen<CpuTier>,
    /// By installed memory (GiB).
    pub memory: Chosen<MemoryTier>,
    /// By internal storage (decimal GB).
    pub storage: Chosen<StorageTier>,
}

/// A measured value and the tier row it selected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chosen<T> {
    /// The measurement (cores, GiB, GB).
    pub measured: u64,
    /// The tier row, as in tiers.toml.
    pub tier: T,
}

/// Derived settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Nix build tuning.
    pub nix: NixTuning,
    /// NATS limits.
    pub nats: NatsSettings,
}

/// SHA-256, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Missing facts that silently select the lowest tier, and tier limits the host cannot back.
fn warnings(class: &Classification, nats: &NatsSettings, memory: u64) -> Vec<String> {
    let mut w = Vec::new();
    if class.cpu_cores == 0 {
        w.push("cpu core count unknown in the snapshot: lowest cpu tier applied, Nix builds use all cores".into());
    }
    if memory == 0 {
        w.push("memory size unknown in the snapshot: lowest memory tier applied".into());
    }
    if class.storage_gb == 0 {
        w.push("no internal disk in the snapshot: lowest storage tier applied".into());
    } else if nats.max_file_store_bytes / 1_000_000_000 >= class.storage_gb {
        w.push(format!(
            "JetStream max_file_store {} is not less than the host's internal disks ({} GB): lower it in templates/tiers.toml",
            nats.max_file_store, class.storage_gb
        ));
    }
    w
}

/// Tier names and the concurrency word are written into comments of the generated files: keep them to one
/// plain word, so an odd tiers.toml cannot end a comment and add configuration.
fn check_rule_words(class: &Classification) -> Result<()> {
    for (what, word) in [
        ("[[cpu]] name", &class.cpu.name),
        ("[[cpu]] max_concurrency", &class.cpu.max_concurrency),
        ("[[memory]] name", &class.memory.name),
        ("[[storage]] name", &class.storage.name),
    ] {
        let plain = !word.is_empty()
            && word.len() <= 64
            && word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !plain {
            bail!("tiers: {what} {word:?} must be one word of letters, digits, '-', '_' or '.'");
        }
    }
    Ok(())
}

/// The template for `configuration.nix` on this platform.
pub fn configuration_template(family: OsFamily) -> &'static str {
    match family {
        OsFamily::Macos => "configuration-darwin.nix.j2",
        OsFamily::Linux => "configuration-nixos.nix.j2",
    }
}

/// Which configuration a host gets: nix-darwin on macOS, NixOS where the host runs it (os id `nixos`)
/// or leaf-config.nix says it will, and NATS files alone on other Linux distributions.
pub fn platform_of(snap: &Snapshot, nixos: bool) -> &'static str {
    match snap.os.family {
        OsFamily::Macos => "darwin",
        OsFamily::Linux if nixos || snap.os.id.as_deref() == Some("nixos") => "nixos",
        OsFamily::Linux => "linux",
    }
}

/// Compute every file for one host.
pub fn build(input: &Input<'_>, renderer: &Renderer, provenance: &Provenance) -> Result<Plan> {
    let snap = input.snapshot;
    let class = input.class;
    let family = snap.os.family;
    let platform = platform_of(snap, input.nixos);
    if snap.system_info.nix_system.is_empty() || snap.system_info.nix_system.starts_with('-') {
        bail!(
            "the snapshot has no Nix system (system_info.nix_system): its architecture is unknown"
        );
    }
    let names = Names::for_platform(input.host, family)?;
    check_rule_words(class)?;
    let cpu = &snap.hardware.cpu;
    let memory = snap.hardware.memory.total_bytes;
    let nix = NixTuning::from_cores(
        class.cpu_cores,
        cpu.logical_cpus,
        memory,
        class.limits.nix_min_memory_gb_per_job,
    );
    let (nats, clamped) = NatsSettings::from_tiers(input.host, class, memory)?;
    let measured = Measured::of(snap, class);
    let generator = crate::model::GENERATOR.to_string();
    let hardware = (platform == "nixos").then(|| nixos_hardware::plan(snap));
    let hardware_body = hardware
        .as_ref()
        .map(nixos_hardware::body)
        .unwrap_or_default();
    let render = |template: &str| {
        renderer.render(
            template,
            &Context {
                generator: &generator,
                host: input.host,
                platform,
                snapshot_path: input.snapshot_path,
                template,
                s: snap,
                t: class,
                names: &names,
                nix: &nix,
                nats: &nats,
                measured: &measured,
                hardware_body: &hardware_body,
            },
        )
    };
    // (file, template) in the order they are written.
    let outputs: Vec<(&'static str, &'static str)> = match platform {
        "darwin" => vec![
            (CONFIGURATION, configuration_template(family)),
            (NATS_CONF, "nats-server.conf.j2"),
        ],
        "nixos" => vec![
            (CONFIGURATION, configuration_template(family)),
            (HARDWARE_CONFIGURATION, "hardware-configuration.nix.j2"),
            (NATS_CONF, "nats-server.conf.j2"),
        ],
        _ => vec![
            (NATS_CONF, "nats-server.conf.j2"),
            (NATS_UNIT, "nats-server.service.j2"),
        ],
    };
    let mut files = Vec::new();
    for (file, template) in &outputs {
        files.push((*file, render(template)?.into_bytes()));
    }
    let mut warnings = warnings(class, &nats, memory);
    warnings.extend(clamped);
    if platform == "linux" {
        warnings.push(format!(
            "not NixOS ({}): no configuration.nix, only nats-server.conf and a systemd unit; \
             list it in leaf-config.nix's `nixos = [ … ];` if it is about to run NixOS",
            snap.os.name.as_deref().unwrap_or("os unknown")
        ));
    }
    if let Some(h) = &hardware {
        if !h.left_out.is_empty() {
            warnings.push(format!(
                "hardware-configuration.nix leaves out {} option(s) for want of facts (see `hwinv generate {} --explain`)",
                h.left_out.len(),
                input.host
            ));
        }
    }
    let template_of = |name: &str| {
        let src = provenance.templates.get(name);
        TemplateRef {
            template: name.to_string(),
            source: src.map_or_else(|| "built-in".to_string(), |s| s.source.clone()),
            sha256: src.map(|s| s.sha256.clone()).unwrap_or_default(),
        }
    };
    let metadata = Metadata {
        generator,
        host: input.host.to_string(),
        platform: platform.to_string(),
        nix_system: snap.system_info.nix_system.clone(),
        snapshot: SnapshotRef {
            path: input.snapshot_path.to_string(),
            sha256: sha256_hex(input.snapshot_bytes),
            collected_at: snap.collected_at.clone(),
        },
        tiers: Tiers {
            cpu: Chosen {
                measured: u64::from(class.cpu_cores),
                tier: class.cpu.clone(),
            },
            memory: Chosen {
                measured: class.memory_gb,
                tier: class.memory.clone(),
            },
            storage: Chosen {
                measured: class.storage_gb,
                tier: class.storage.clone(),
            },
        },
        settings: Settings { nix, nats },
        rules: provenance.rules.clone(),
        templates: outputs
            .iter()
            .map(|(file, template)| (file.to_string(), template_of(template)))
            .collect(),
        warnings: warnings.clone(),
        hardware_configuration: hardware.clone(),
        files: files
            .iter()
            .map(|(name, bytes)| (name.to_string(), sha256_hex(bytes)))
            .collect(),
    };
    let mut meta = serde_json::to_vec_pretty(&metadata)?;
    meta.push(b'\n');
    files.push((METADATA, meta));
    let choice = |option: &str, value: String, because: String| nixos_hardware::Choice {
        option: option.to_string(),
        value,
        because,
    };
    let settings = &metadata.settings;
    let tuning = vec![
        choice(
            "nix.settings.max-jobs",
            settings.nix.max_jobs.to_string(),
            format!(
                "one build per 4 of {}, at most one per {} GB of memory ({})",
                measured.cpu, class.limits.nix_min_memory_gb_per_job, measured.memory
            ),
        ),
        choice(
            "nix.settings.cores",
            settings.nix.cores.to_string(),
            format!("{} logical CPUs shared by the builds", cpu.logical_cpus),
        ),
        choice(
            "nats listen",
            format!("{}:{}", settings.nats.host, settings.nats.port),
            "loopback by default: open it in local.nix".into(),
        ),
        choice(
            "nats max_connections",
            settings.nats.max_connections.to_string(),
            format!("cpu tier {}", class.cpu.name),
        ),
        choice(
            "nats jetstream max_memory_store",
            settings.nats.max_memory_store.clone(),
            format!(
                "memory tier {}, at most {} % of {}",
                class.memory.name, class.limits.jetstream_max_memory_percent, measured.memory
            ),
        ),
        choice(
            "nats jetstream max_file_store",
            settings.nats.max_file_store.clone(),
            format!("storage tier {} ({})", class.storage.name, measured.storage),
        ),
    ];
    Ok(Plan {
        platform,
        hardware,
        tuning,
        files,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_tuning_splits_logical_cpus_between_jobs() {
        assert_eq!(
            NixTuning::from_cores(7, 14, 0, 2),
            NixTuning {
                max_jobs: 1,
                cores: 14
            }
        );
        assert_eq!(
            NixTuning::from_cores(8, 16, 0, 2),
            NixTuning {
                max_jobs: 2,
                cores: 8
            }
        );
        assert_eq!(
            NixTuning::from_cores(10, 10, 0, 2),
            NixTuning {
                max_jobs: 2,
                cores: 5
            }
        );
        assert_eq!(
            NixTuning::from_cores(16, 32, 0, 2),
            NixTuning {
                max_jobs: 4,
                cores: 8
            }
        );
        assert_eq!(
            NixTuning::from_cores(2, 1, 0, 2),
            NixTuning {
                max_jobs: 1,
                cores: 2
            }
        );
        assert_eq!(
            NixTuning::from_cores(0, 0, 0, 2),
            NixTuning {
                max_jobs: 1,
                cores: 0
            }
        );
    }

    #[test]
    fn nix_builds_fit_memory_and_cpus() {
        // 48 cores but 16 GiB: 8 builds of 2 GiB, not 12.
        let t = NixTuning::from_cores(48, 96, 16 << 30, 2);
        assert_eq!(t.max_jobs, 8);
        assert!(t.max_jobs * t.cores <= 96);
        // 4 GiB Raspberry Pi: one build.
        assert_eq!(NixTuning::from_cores(4, 4, 4 << 30, 2).max_jobs, 1);
    }

    #[test]
    fn host_names_follow_each_platform_option() {
        let mac = Names::for_platform("mac-studio-1", OsFamily::Macos).unwrap();
        assert_eq!(mac.local_host_name.as_deref(), Some("mac-studio-1"));
        assert!(Names::for_platform("mac_studio", OsFamily::Macos).is_err());
        let pi = Names::for_platform("pi4.lan", OsFamily::Linux).unwrap();
        assert_eq!(
            (pi.host_name.as_str(), pi.domain.as_deref()),
            ("pi4", Some("lan"))
        );
        assert!(Names::for_platform("gpu_box", OsFamily::Linux).is_ok());
        assert!(Names::for_platform("_gpu", OsFamily::Linux).is_err());
        assert!(Names::for_platform("../x", OsFamily::Linux).is_err());
    }
}
