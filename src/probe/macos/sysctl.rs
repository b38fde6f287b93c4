//! `sysctl hw machdep kern`: memory bytes, cores, performance levels, model, Rosetta — the fast, exact
//! source for what it knows (preferred over system_profiler).

use crate::model::PerfLevel;
use crate::probe::text::normalize_ws;
use crate::probe::ParseError;
use serde::Serialize;
use std::collections::BTreeMap;

/// True when `line` starts a new `name: value` entry (`hw.memsize: 1`, `kern.hostname:`).
fn sysctl_key(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let ok = !key.is_empty()
        && key.contains('.')
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    ok.then(|| (key, value.strip_prefix(' ').unwrap_or(value)))
}

/// Parse `sysctl hw machdep kern` (`name: value` lines) into a map.
///
/// ```text
/// hw.memsize: 34359738368
/// hw.perflevel0.name: Performance
/// hw.osenvironment:
/// ```
///
/// Values may be empty. A line that does not start with a dotted lowercase name continues the previous
/// value (some `kern.*` values span lines), joined with `\n`.
pub fn parse_sysctl(text: &str) -> Result<BTreeMap<String, String>, ParseError> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if let Some((key, value)) = sysctl_key(line) {
            map.insert(key.to_string(), value.trim_end().to_string());
            last = Some(key.to_string());
        } else if let Some(v) = last.as_ref().and_then(|k| map.get_mut(k)) {
            v.push('\n');
            v.push_str(line.trim_end());
        }
    }
    if map.is_empty() {
        return Err(ParseError::new("sysctl", "no 'name: value' line"));
    }
    Ok(map)
}

/// CPU and memory facts read from the `sysctl` map.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SysctlFacts {
    /// `machdep.cpu.brand_string` (`Apple M1 Pro`; `VirtualApple @ 2.50GHz` under Rosetta).
    pub brand: Option<String>,
    /// `machdep.cpu.vendor` (Intel only).
    pub vendor: Option<String>,
    /// `hw.model` (`MacBookPro18,1`).
    pub model: Option<String>,
    /// `hw.physicalcpu`, else the sum of the perf levels' `physicalcpu`.
    pub physical_cores: Option<u32>,
    /// `hw.logicalcpu`, else `hw.ncpu`, else the sum of the perf levels' `logicalcpu`.
    pub logical_cpus: Option<u32>,
    /// `hw.packages`.
    pub sockets: Option<u32>,
    /// `hw.perflevelN.*`, level 0 (fastest) first.
    pub perf_levels: Vec<PerfLevel>,
    /// `hw.memsize`: installed memory in bytes.
    pub memsize: Option<u64>,
    /// `hw.memsize_usable`.
    pub memsize_usable: Option<u64>,
    /// `hw.optional.arm64` is 1: the hardware is Apple Silicon, whatever `uname -m` says under Rosetta.
    pub arm64: bool,
    /// `kern.osrelease` (Darwin version).
    pub os_release: Option<String>,
    /// `kern.osproductversion` (`14.4.1`).
    pub os_product_version: Option<String>,
    /// `kern.osversion` (build, `23E224`).
    pub os_build: Option<String>,
}

impl SysctlFacts {
    /// Read the facts hwinv uses from a [`parse_sysctl`] map.
    pub fn from_map(map: &BTreeMap<String, String>) -> SysctlFacts {
        let text = |k: &str| {
            map.get(k)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let num = |k: &str| map.get(k).and_then(|v| v.trim().parse::<u64>().ok());
        let num32 = |k: &str| num(k).and_then(|n| u32::try_from(n).ok());
        let nlevels = num32("hw.nperflevels").unwrap_or(0).min(16);
        let mut perf_levels = Vec::new();
        for i in 0..nlevels.max(16) {
            let phys = num32(&format!("hw.perflevel{i}.physicalcpu"));
            let name = text(&format!("hw.perflevel{i}.name"));
            if phys.is_none() && name.is_none() {
                if i >= nlevels {
                    break;
                }
                continue;
            }
            let physical_cores = phys.unwrap_or(0);
            perf_levels.push(PerfLevel {
                name: name.unwrap_or_else(|| format!("level {i}")),
                physical_cores,
                logical_cpus: num32(&format!("hw.perflevel{i}.logicalcpu"))
                    .unwrap_or(physical_cores),
            });
        }
        let sum = |f: fn(&PerfLevel) -> u32| {
            (!perf_levels.is_empty())
                .then(|| perf_levels.iter().map(f).fold(0u32, u32::saturating_add))
        };
        SysctlFacts {
            brand: text("machdep.cpu.brand_string").map(|b| normalize_ws(&b)),
            vendor: text("machdep.cpu.vendor"),
            model: text("hw.model"),
            physical_cores: num32("hw.physicalcpu").or_else(|| sum(|l| l.physical_cores)),
            logical_cpus: num32("hw.logicalcpu")
                .or_else(|| num32("hw.ncpu"))
                .or_else(|| sum(|l| l.logical_cpus)),
            sockets: num32("hw.packages"),
            memsize: num("hw.memsize"),
            memsize_usable: num("hw.memsize_usable"),
            arm64: num("hw.optional.arm64") == Some(1),
            os_release: text("kern.osrelease"),
            os_product_version: text("kern.osproductversion"),
            os_build: text("kern.osversion"),
            perf_levels,
        }
    }
}

/// Split perf levels into (performance, efficiency) core counts.
///
/// One level (Intel Macs and VMs say `Standard`) means the CPU is not hybrid: `(None, None)`. With two or
/// more, efficiency cores are the levels whose name contains `Efficiency`, or the last level when none does
/// (newer chips name levels differently, e.g. `Super`/`Performance`); performance cores are the rest.
pub fn split_perf_levels(levels: &[PerfLevel]) -> (Option<u32>, Option<u32>) {
    if levels.len() < 2 {
        return (None, None);
    }
    let named = levels.iter().any(|l| l.name.contains("Efficiency"));
    let is_eff = |i: usize, l: &PerfLevel| {
        if named {
            l.name.contains("Efficiency")
        } else {
            i + 1 == levels.len()
        }
    };
    let (mut p, mut e) = (0u32, 0u32);
    for (i, l) in levels.iter().enumerate() {
        if is_eff(i, l) {
            e = e.saturating_add(l.physical_cores);
        } else {
            p = p.saturating_add(l.physical_cores);
        }
    }
    (Some(p), Some(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_empty_values_and_continuations() {
        let m =
            parse_sysctl("hw.osenvironment:\nkern.version: Darwin\n  continued here\nhw.ncpu: 8\n")
                .unwrap();
        assert_eq!(m["hw.osenvironment"], "");
        assert_eq!(m["kern.version"], "Darwin\n  continued here");
        assert_eq!(m["hw.ncpu"], "8");
        assert!(parse_sysctl("").is_err());
    }

    #[test]
    fn perf_levels_single_named_and_unnamed() {
        let lvl = |n: &str, c| PerfLevel {
            name: n.into(),
            physical_cores: c,
            logical_cpus: c,
        };
        assert_eq!(split_perf_levels(&[lvl("Standard", 4)]), (None, None));
        assert_eq!(
            split_perf_levels(&[lvl("Performance", 8), lvl("Efficiency", 2)]),
            (Some(8), Some(2))
        );
        assert_eq!(
            split_perf_levels(&[lvl("Super", 6), lvl("Performance", 12)]),
            (Some(6), Some(12))
        );
        let m = parse_sysctl(
            "hw.nperflevels: 2\nhw.perflevel0.physicalcpu: 4\nhw.perflevel1.physicalcpu: 4\n",
        )
        .unwrap();
        let f = SysctlFacts::from_map(&m);
        assert_eq!(f.physical_cores, Some(8));
        assert_eq!(f.logical_cpus, Some(8));
        assert_eq!(f.perf_levels[0].name, "level 0");
    }
}
