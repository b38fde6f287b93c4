//! Readiness evaluation: a snapshot and rules in, a verdict out — can this host run the realtime voice
//! pipeline, a single agent, ...? Every condition with its required and measured value, and the failed
//! ones worded for people ("VRAM 8 GB < 12 GB", "whisperx down (connection refused)"). No I/O here.

use crate::config::readiness::{Profile, ReadinessRules};
use crate::model::units::round_gib;
use crate::model::{OsFamily, SectionStatus, Services, Snapshot};
use anyhow::{anyhow, Result};
use serde::Serialize;

/// Where a host's VRAM figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VramSource {
    /// Dedicated GPU memory reported by the GPU tool.
    Dedicated,
    /// A share of unified memory (Apple Silicon).
    Unified,
    /// The host reports no GPU.
    None,
    /// No GPU information (the GPU tool is missing or failed).
    Unknown,
}

/// The VRAM readiness works with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vram {
    /// Largest single GPU, bytes; `null` when unknown.
    pub largest_bytes: Option<u64>,
    /// Largest single GPU, GB (GiB rounded).
    pub largest_gb: Option<u64>,
    /// All GPUs together, bytes.
    pub total_bytes: Option<u64>,
    /// All GPUs together, GB.
    pub total_gb: Option<u64>,
    /// GPUs the host reports.
    pub gpu_count: Option<usize>,
    /// Where the figure comes from.
    pub source: VramSource,
    /// How it was worked out, in words.
    pub note: String,
}

/// VRAM of a host: the largest single GPU (what one model must fit in) and the total. On Apple Silicon
/// (`vram_bytes` null, unified memory) `unified_percent` of the installed memory counts as VRAM.
pub fn vram(snap: &Snapshot, unified_percent: u32) -> Vram {
    let mem = snap.hardware.memory.total_bytes;
    let apple_silicon =
        snap.os.family == OsFamily::Macos && snap.system_info.nix_system.starts_with("aarch64");
    let gpus = snap.gpus.as_deref();
    let unified_gpu = gpus.is_some_and(|g| {
        g.iter()
            .any(|g| g.vendor == "apple" && g.vram_bytes.is_none())
    });
    let dedicated: Vec<u64> = gpus
        .unwrap_or_default()
        .iter()
        .filter_map(|g| g.vram_bytes)
        .collect();
    let gpu_count = gpus.map(<[_]>::len);
    if (apple_silicon || unified_gpu) && mem > 0 {
        let share =
            u64::try_from(u128::from(mem) * u128::from(unified_percent) / 100).unwrap_or(u64::MAX);
        let largest = dedicated.iter().copied().max().unwrap_or(0).max(share);
        return Vram {
            largest_bytes: Some(largest),
            largest_gb: Some(round_gib(largest)),
            total_bytes: Some(largest),
            total_gb: Some(round_gib(largest)),
            gpu_count,
            source: VramSource::Unified,
            note: format!(
                "{unified_percent} % of {} GB unified memory",
                round_gib(mem)
            ),
        };
    }
    match gpus {
        None => Vram {
            largest_bytes: None,
            largest_gb: None,
            total_bytes: None,
            total_gb: None,
            gpu_count: None,
            source: VramSource::Unknown,
            note: gpu_unknown_reason(snap),
        },
        Some([]) => Vram {
            largest_bytes: Some(0),
            largest_gb: Some(0),
            total_bytes: Some(0),
            total_gb: Some(0),
            gpu_count: Some(0),
            source: VramSource::None,
            note: "no GPU".into(),
        },
        Some(all) if dedicated.is_empty() => Vram {
            largest_bytes: None,
            largest_gb: None,
            total_bytes: None,
            total_gb: None,
            gpu_count: Some(all.len()),
            source: VramSource::Unknown,
            note: format!("{} GPU(s) without a memory size", all.len()),
        },
        Some(all) => {
            let largest = dedicated.iter().copied().max().unwrap_or(0);
            let total = dedicated.iter().copied().fold(0u64, u64::saturating_add);
            let note = if all.len() == 1 {
                "1 GPU".to_string()
            } else {
                format!(
                    "largest of {} GPUs, {} GB total",
                    all.len(),
                    round_gib(total)
                )
            };
            Vram {
                largest_bytes: Some(largest),
                largest_gb: Some(round_gib(largest)),
                total_bytes: Some(total),
                total_gb: Some(round_gib(total)),
                gpu_count: Some(all.len()),
                source: VramSource::Dedicated,
                note,
            }
        }
    }
}

/// Why a snapshot has no GPU list, from its section reports.
fn gpu_unknown_reason(snap: &Snapshot) -> String {
    for name in ["nvidia_smi", "sp_displays"] {
        if let Some(r) = snap.sections.get(name) {
            if r.status != SectionStatus::Ok {
                let msg = r
                    .message
                    .clone()
                    .unwrap_or_else(|| format!("{:?}", r.status).to_lowercase());
                return format!("no GPU information: {msg}");
            }
        }
    }
    "no GPU information".into()
}

/// One condition of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What is checked: `vram`, `total_vram`, `ram`, `cpu_cores`, `service:<name>`.
    pub check: String,
    /// What the profile asks, in words (`>= 12 GB`, `up`).
    pub required: String,
    /// What was measured, in words (`8 GB`, `down (connection refused)`, `unknown`).
    pub measured: String,
    /// Whether it holds.
    pub ok: bool,
    /// The failure in one phrase, when it does not hold.
    pub failure: Option<String>,
}

/// A host against one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Profile name.
    pub profile: String,
    /// True when every condition holds.
    pub ready: bool,
    /// Every condition, in the order: VRAM, total VRAM, RAM, CPU cores, services (profile order).
    pub checks: Vec<Check>,
    /// The failures in words, in the same order (services not probed for one reason share an entry).
    pub failed: Vec<String>,
}

/// One host against the chosen profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostReadiness {
    /// Host name.
    pub host: String,
    /// When the snapshot was taken (services are as of then).
    pub collected_at: String,
    /// The VRAM figures used.
    pub vram: Vram,
    /// Installed memory, GB; `null` when unknown.
    pub ram_gb: Option<u64>,
    /// Physical CPU cores; `null` when unknown.
    pub cpu_cores: Option<u32>,
    /// One verdict per profile, in the order asked.
    pub profiles: Vec<Verdict>,
}

impl HostReadiness {
    /// True when every profile passed.
    pub fn all_ready(&self) -> bool {
        self.profiles.iter().all(|p| p.ready)
    }
}

fn gb_check(check: &str, label: &str, min: u64, got: Option<u64>, detail: Option<&str>) -> Check {
    let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
    match got {
        Some(v) => Check {
            check: check.into(),
            required: format!(">= {min} GB"),
            measured: format!("{v} GB{detail}"),
            ok: v >= min,
            failure: (v < min).then(|| format!("{label} {v} GB{detail} < {min} GB")),
        },
        None => Check {
            check: check.into(),
            required: format!(">= {min} GB"),
            measured: format!("unknown{detail}"),
            ok: false,
            failure: Some(format!("{label} unknown{detail}, need {min} GB")),
        },
    }
}

/// The state of one service in words, and whether it is up.
fn service_check(snap: &Snapshot, name: &str) -> Check {
    let (ok, measured) = match &snap.services {
        None => (
            false,
            "not probed (the snapshot has no service probes)".to_string(),
        ),
        Some(s) => match &s.http {
            None => {
                let why = s
                    .sections
                    .get("services")
                    .and_then(|r| r.message.clone())
                    .unwrap_or_else(|| "probes did not run".into());
                (false, format!("not probed ({why})"))
            }
            Some(http) => match http.get(name) {
                None => (
                    false,
                    "not probed (not in services.toml when extracted)".to_string(),
                ),
                Some(st) if st.up => (true, "up".to_string()),
                Some(st) => (
                    false,
                    match &st.error {
                        Some(e) => format!("down ({e})"),
                        None => "down".to_string(),
                    },
                ),
            },
        },
    };
    Check {
        check: format!("service:{name}"),
        required: "up".into(),
        failure: (!ok).then(|| format!("{name} {measured}")),
        measured,
        ok,
    }
}

/// Installed memory in GB, `None` when the snapshot does not know it (0).
pub fn ram_gb(snap: &Snapshot) -> Option<u64> {
    (snap.hardware.memory.total_bytes > 0 || snap.hardware.memory_gb > 0)
        .then_some(snap.hardware.memory_gb)
}

/// The failures of `checks` in order, with services not probed for the same reason merged into one
/// ("ollama, piper not probed (the snapshot has no service probes)").
fn failures(checks: &[Check]) -> Vec<String> {
    // Each entry: a failure text, or the names of services sharing one "not probed" reason.
    let mut items: Vec<(String, Vec<&str>)> = Vec::new();
    for c in checks {
        let Some(f) = &c.failure else { continue };
        match c.check.strip_prefix("service:") {
            Some(name) if c.measured.starts_with("not probed") => {
                match items
                    .iter_mut()
                    .find(|(m, names)| !names.is_empty() && *m == c.measured)
                {
                    Some((_, names)) => names.push(name),
                    None => items.push((c.measured.clone(), vec![name])),
                }
            }
            _ => items.push((f.clone(), Vec::new())),
        }
    }
    items
        .into_iter()
        .map(|(text, names)| {
            if names.is_empty() {
                text
            } else {
                format!("{} {text}", names.join(", "))
            }
        })
        .collect()
}

/// Evaluate one profile.
pub fn evaluate(snap: &Snapshot, profile: &Profile, rules: &ReadinessRules) -> Verdict {
    let v = vram(snap, rules.unified_memory_vram_percent);
    let mut checks = Vec::new();
    // "VRAM 0 GB < 12 GB" needs no note: the host is known to have no GPU (the summary line says so).
    let detail = match v.source {
        VramSource::Unified | VramSource::Unknown => Some(v.note.as_str()),
        VramSource::Dedicated | VramSource::None => None,
    };
    if let Some(min) = profile.min_vram_gb {
        checks.push(gb_check("vram", "VRAM", min, v.largest_gb, detail));
    }
    if let Some(min) = profile.min_total_vram_gb {
        checks.push(gb_check(
            "total_vram",
            "total VRAM",
            min,
            v.total_gb,
            detail,
        ));
    }
    if let Some(min) = profile.min_ram_gb {
        checks.push(gb_check("ram", "RAM", min, ram_gb(snap), None));
    }
    if let Some(min) = profile.min_cpu_cores {
        let got = snap.hardware.cpu_cores;
        checks.push(Check {
            check: "cpu_cores".into(),
            required: format!(">= {min}"),
            measured: if got == 0 {
                "unknown".into()
            } else {
                got.to_string()
            },
            ok: got >= min,
            failure: (got < min).then(|| {
                if got == 0 {
                    format!("CPU cores unknown, need {min}")
                } else {
                    format!("CPU cores {got} < {min}")
                }
            }),
        });
    }
    for s in &profile.services {
        checks.push(service_check(snap, s));
    }
    let failed = failures(&checks);
    Verdict {
        profile: profile.name.clone(),
        ready: checks.iter().all(|c| c.ok),
        checks,
        failed,
    }
}

/// Evaluate `profiles` (all of `rules` when empty) for one host.
pub fn assess(snap: &Snapshot, rules: &ReadinessRules, profiles: &[&Profile]) -> HostReadiness {
    let chosen: Vec<&Profile> = if profiles.is_empty() {
        rules.profile.iter().collect()
    } else {
        profiles.to_vec()
    };
    HostReadiness {
        host: snap.system_info.hostname.clone(),
        collected_at: snap.collected_at.clone(),
        vram: vram(snap, rules.unified_memory_vram_percent),
        ram_gb: ram_gb(snap),
        cpu_cores: (snap.hardware.cpu_cores > 0).then_some(snap.hardware.cpu_cores),
        profiles: chosen.iter().map(|p| evaluate(snap, p, rules)).collect(),
    }
}

/// The profiles named (all when none), refusing unknown names.
pub fn choose_profiles<'a>(
    rules: &'a ReadinessRules,
    names: &[String],
) -> Result<Vec<&'a Profile>> {
    names
        .iter()
        .map(|n| {
            rules.find(n).ok_or_else(|| {
                let known: Vec<&str> = rules.profile.iter().map(|p| p.name.as_str()).collect();
                anyhow!(
                    "unknown readiness profile '{n}' (known: {})",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// Latest snapshots of `hosts` by store name, and one message per host that could not be read.
pub fn load_latest(
    store: &crate::store::Store,
    hosts: &[String],
) -> (Vec<(String, Snapshot)>, Vec<String>) {
    let mut ok = Vec::new();
    let mut errors = Vec::new();
    for h in hosts {
        match store.latest(h) {
            Ok(s) => ok.push((h.clone(), s)),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    (ok, errors)
}

/// Replace `host`'s recorded services by the live ones. When `host` is not among the loaded snapshots (and
/// did not already fail to load) that is an error for the caller to report.
pub fn apply_live(
    loaded: &mut [(String, Snapshot)],
    errors: &mut Vec<String>,
    host: &str,
    services: Services,
) {
    if let Some((_, snap)) = loaded.iter_mut().find(|(h, _)| h == host) {
        snap.services = Some(services);
    } else if !errors
        .iter()
        .any(|e| e.starts_with(&format!("host '{host}':")))
    {
        errors.push(format!(
            "--probe: this machine is '{host}', which is not among the hosts asked for (pass --name if it was extracted under another name)"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_issue() {
        let r = ReadinessRules::parse(crate::config::readiness::DEFAULT_READINESS).unwrap();
        assert_eq!(r.unified_memory_vram_percent, 75);
        let rt = r.find("realtime").unwrap();
        assert_eq!((rt.min_vram_gb, rt.min_ram_gb), (Some(12), Some(32)));
        assert_eq!(rt.services, ["ollama", "whisperx", "piper", "chroma"]);
        let sa = r.find("single-agent").unwrap();
        assert_eq!((sa.min_vram_gb, sa.min_ram_gb), (Some(8), Some(16)));
        assert_eq!(sa.services, ["ollama", "piper"]);
    }

    #[test]
    fn bad_profiles_are_refused() {
        let err = |t: &str| format!("{:#}", ReadinessRules::parse(t).unwrap_err());
        assert!(err("profile = []\n").contains("no [[profile]]"));
        assert!(err("[[profile]]\nname = \"A B\"\n").contains("invalid profile name"));
        assert!(err("[[profile]]\nname = \"a\"\n[[profile]]\nname = \"a\"\n").contains("twice"));
        assert!(err("[[profile]]\nname = \"a\"\nmin_vram = 3\n").contains("invalid"));
        assert!(
            err("unified_memory_vram_percent = 0\n[[profile]]\nname = \"a\"\n").contains("1-100")
        );
    }
}
