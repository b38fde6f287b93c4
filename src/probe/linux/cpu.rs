//! `/proc/cpuinfo` and the sysfs CPU topology: model, vendor, sockets, cores, threads, hybrid core types.
//!
//! Pure (text in, value out). Input comes from hosts we do not control: nothing indexes into or unwraps
//! it, and arithmetic saturates.

use crate::probe::text::{key_value, non_empty, normalize_ws};
use crate::probe::ParseError;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What `/proc/cpuinfo` says about the CPUs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuInfo {
    /// Brand string (`model name`, or an ARM core name built from `CPU implementer`/`CPU part`).
    pub brand: Option<String>,
    /// `vendor_id`, or the ARM implementer's name.
    pub vendor: Option<String>,
    /// Number of `processor` entries.
    pub logical_cpus: u32,
    /// Physical cores, when the file lets us count them (x86 `core id`; otherwise one core per processor).
    pub physical_cores: u32,
    /// Distinct `physical id` values (1 when the field is absent).
    pub sockets: u32,
    /// Performance cores on a recognised Intel hybrid CPU (cores with two threads).
    pub performance_cores: Option<u32>,
    /// Efficiency cores on a recognised Intel hybrid CPU (cores with one thread).
    pub efficiency_cores: Option<u32>,
    /// Board model appended by Raspberry Pi kernels (`Model : Raspberry Pi 4 Model B Rev 1.5`).
    pub board_model: Option<String>,
    /// Board serial appended by Raspberry Pi kernels (`Serial : 100000000fe69593`).
    pub board_serial: Option<String>,
    /// SoC name (`Hardware : BCM2835`), when present.
    pub hardware: Option<String>,
}

/// One processor block of `/proc/cpuinfo`, the fields we use.
#[derive(Debug, Default)]
struct Proc {
    physical_id: Option<String>,
    core_id: Option<String>,
    apicid: Option<u64>,
}

/// Name of an ARM implementer code (`CPU implementer : 0x41`).
fn arm_implementer(code: &str) -> Option<&'static str> {
    Some(match code.to_ascii_lowercase().as_str() {
        "0x41" => "ARM",
        "0x42" => "Broadcom",
        "0x43" => "Cavium",
        "0x46" => "Fujitsu",
        "0x48" => "HiSilicon",
        "0x4e" => "NVIDIA",
        "0x50" => "APM",
        "0x51" => "Qualcomm",
        "0x61" => "Apple",
        "0xc0" => "Ampere",
        _ => return None,
    })
}

/// Core name of an ARM Ltd (implementer 0x41) part number (`CPU part : 0xd08`).
fn arm_part(part: &str) -> Option<&'static str> {
    Some(match part.to_ascii_lowercase().as_str() {
        "0xb76" => "ARM1176",
        "0xc07" => "Cortex-A7",
        "0xc09" => "Cortex-A9",
        "0xc0f" => "Cortex-A15",
        "0xd01" => "Cortex-A32",
        "0xd03" => "Cortex-A53",
        "0xd04" => "Cortex-A35",
        "0xd05" => "Cortex-A55",
        "0xd07" => "Cortex-A57",
        "0xd08" => "Cortex-A72",
        "0xd09" => "Cortex-A73",
        "0xd0a" => "Cortex-A75",
        "0xd0b" => "Cortex-A76",
        "0xd0c" => "Neoverse-N1",
        "0xd0d" => "Cortex-A77",
        "0xd40" => "Neoverse-V1",
        "0xd41" => "Cortex-A78",
        "0xd44" => "Cortex-X1",
        "0xd46" => "Cortex-A510",
        "0xd47" => "Cortex-A710",
        "0xd48" => "Cortex-X2",
        "0xd49" => "Neoverse-N2",
        "0xd4f" => "Neoverse-V2",
        "0xd80" => "Cortex-A520",
        "0xd81" => "Cortex-A720",
        "0xd82" => "Cortex-X4",
        "0xd85" => "Cortex-X925",
        "0xd87" => "Cortex-A725",
        _ => return None,
    })
}

/// Intel family-6 models with P- and E-cores (Alder Lake, Raptor Lake, Meteor Lake, Lunar Lake, Arrow Lake).
const INTEL_HYBRID_MODELS: &[u32] = &[151, 154, 183, 186, 191, 170, 172, 189, 197, 198];

/// Parse `/proc/cpuinfo` (tabs shown as spaces below).
///
/// ```text
/// processor    : 0
/// model name    : AMD EPYC 7451 24-Core Processor
/// physical id    : 0
/// ```
///
/// Tabs or spaces around the colon both work. Sockets are the distinct `physical id`s. Physical cores are the
/// distinct (`physical id`, `core id`) pairs, except that processors sharing a pair whose `apicid`s differ
/// above the SMT bits count as separate cores: old kernels on AMD multi-die packages (Opteron 6200) repeat
/// `core id` 0..7 on each die of a 16-core package. Without `core id` (ARM), every processor is a core.
/// Intel hybrid (P/E) counts are inferred only for known hybrid models (or the `hybrid_cpu` flag) with SMT on:
/// cores with two threads are P-cores, cores with one thread are E-cores; otherwise they stay unknown.
pub fn parse_cpuinfo(text: &str) -> Result<CpuInfo, ParseError> {
    let mut procs: Vec<Proc> = Vec::new();
    let mut info = CpuInfo::default();
    let mut model_name: Option<String> = None;
    let mut implementer: Option<String> = None;
    let mut parts: Vec<String> = Vec::new();
    let mut cpu_field: Option<String> = None;
    let mut family: Option<u32> = None;
    let mut model_num: Option<u32> = None;
    let mut hybrid_flag = false;
    for line in text.lines() {
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        match key {
            "processor" => procs.push(Proc::default()),
            "physical id" => {
                if let Some(p) = procs.last_mut() {
                    p.physical_id = Some(value.to_string());
                }
            }
            "core id" => {
                if let Some(p) = procs.last_mut() {
                    p.core_id = Some(value.to_string());
                }
            }
            "apicid" => {
                if let Some(p) = procs.last_mut() {
                    p.apicid = value.parse().ok();
                }
            }
            "model name" if model_name.is_none() => model_name = non_empty(value),
            "vendor_id" if info.vendor.is_none() => info.vendor = non_empty(value),
            "cpu family" if family.is_none() => family = value.parse().ok(),
            "model" if model_num.is_none() => model_num = value.parse().ok(),
            "flags" => hybrid_flag |= value.split_whitespace().any(|f| f == "hybrid_cpu"),
            "CPU implementer" if implementer.is_none() => implementer = non_empty(value),
            "CPU part" => {
                let p = value.to_ascii_lowercase();
                if !p.is_empty() && !parts.contains(&p) {
                    parts.push(p);
                }
            }
            "cpu" if cpu_field.is_none() => cpu_field = non_empty(value),
            "Model" => info.board_model = non_empty(value),
            "Serial" => info.board_serial = non_empty(value),
            "Hardware" => info.hardware = non_empty(value),
            _ => {}
        }
    }
    if procs.is_empty() {
        return Err(ParseError::new("cpuinfo", "no 'processor' entry"));
    }
    info.logical_cpus = u32::try_from(procs.len()).unwrap_or(u32::MAX);

    let impl_name = implementer.as_deref().and_then(arm_implementer);
    if info.vendor.is_none() {
        info.vendor = impl_name.map(str::to_string);
    }
    info.brand = model_name.map(|m| normalize_ws(&m)).or_else(|| {
        if parts.is_empty() {
            return info.hardware.clone().or(cpu_field.clone());
        }
        let arm = implementer
            .as_deref()
            .is_some_and(|i| i.eq_ignore_ascii_case("0x41"));
        let names: Vec<String> = parts
            .iter()
            .map(|p| match arm.then(|| arm_part(p)).flatten() {
                Some(n) => n.to_string(),
                None => format!("part {p}"),
            })
            .collect();
        Some(format!(
            "{} {}",
            impl_name.unwrap_or("ARM"),
            names.join(" + ")
        ))
    });

    let sockets: BTreeSet<&str> = procs
        .iter()
        .filter_map(|p| p.physical_id.as_deref())
        .collect();
    info.sockets = u32::try_from(sockets.len()).unwrap_or(u32::MAX).max(1);

    // Threads per physical core, keyed by (package, core id, apicid above the SMT bits).
    let mut groups: BTreeMap<(&str, &str), Vec<Option<u64>>> = BTreeMap::new();
    for p in &procs {
        if let Some(core) = p.core_id.as_deref() {
            groups
                .entry((p.physical_id.as_deref().unwrap_or("0"), core))
                .or_default()
                .push(p.apicid);
        }
    }
    if groups.is_empty() || procs.iter().any(|p| p.core_id.is_none()) {
        info.physical_cores = info.logical_cpus;
        return Ok(info);
    }
    let mut threads_per_core: Vec<u32> = Vec::new();
    for apics in groups.values() {
        let size = apics.len();
        let all_known: Option<Vec<u64>> = apics.iter().copied().collect();
        match all_known {
            Some(ids) if size > 1 => {
                let shift = usize::BITS - (size - 1).leading_zeros();
                let mut cores: BTreeMap<u64, u32> = BTreeMap::new();
                for id in ids {
                    *cores.entry(id.checked_shr(shift).unwrap_or(0)).or_default() += 1;
                }
                threads_per_core.extend(cores.values());
            }
            _ => threads_per_core.push(u32::try_from(size).unwrap_or(u32::MAX)),
        }
    }
    info.physical_cores = u32::try_from(threads_per_core.len()).unwrap_or(u32::MAX);

    let intel = info.vendor.as_deref() == Some("GenuineIntel");
    let known_hybrid =
        family == Some(6) && model_num.is_some_and(|m| INTEL_HYBRID_MODELS.contains(&m));
    if intel && info.sockets == 1 && (hybrid_flag || known_hybrid) {
        let p = threads_per_core.iter().filter(|&&t| t >= 2).count();
        let e = threads_per_core.iter().filter(|&&t| t == 1).count();
        if p > 0 && e > 0 {
            info.performance_cores = u32::try_from(p).ok();
            info.efficiency_cores = u32::try_from(e).ok();
        }
    }
    Ok(info)
}

/// CPU layout read from sysfs; overrides what `/proc/cpuinfo` suggests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuTopology {
    /// CPUs with a topology directory (online logical CPUs).
    pub logical_cpus: u32,
    /// Distinct (`physical_package_id`, `core_id`) pairs.
    pub physical_cores: u32,
    /// Distinct `physical_package_id`s.
    pub sockets: u32,
    /// Intel hybrid: physical cores among `/sys/devices/cpu_core/cpus` (logical count when core ids are absent).
    pub performance_cores: Option<u32>,
    /// Intel hybrid: physical cores among `/sys/devices/cpu_atom/cpus` (logical count when core ids are absent).
    pub efficiency_cores: Option<u32>,
}

/// Parse a kernel CPU list (`0-11`, `0-3,8-11`, `12`) into CPU numbers; `None` when malformed.
pub fn parse_cpu_list(list: &str) -> Option<BTreeSet<u32>> {
    let mut out = BTreeSet::new();
    for part in list
        .trim()
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                // A hostile range must not allocate without bound.
                if b < a || b - a > 65_536 {
                    return None;
                }
                out.extend(a..=b);
            }
            None => {
                out.insert(part.parse().ok()?);
            }
        }
    }
    Some(out)
}

/// Parse the `cpu_topology` section (`path:value` lines from sysfs).
///
/// ```text
/// /sys/devices/system/cpu/cpu0/topology/physical_package_id:0
/// /sys/devices/system/cpu/cpu0/topology/core_id:0
/// /sys/devices/cpu_core/cpus:0-11
/// ```
///
/// Returns `None` when the section lists no CPU (no sysfs, a container). P/E counts are *physical* cores:
/// the hybrid CPU lists are mapped to core ids; when core ids are missing they fall back to logical counts.
pub fn parse_cpu_topology(text: &str) -> Result<Option<CpuTopology>, ParseError> {
    let mut package: BTreeMap<u32, String> = BTreeMap::new();
    let mut core: BTreeMap<u32, String> = BTreeMap::new();
    let mut p_list = None;
    let mut e_list = None;
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if path == "/sys/devices/cpu_core/cpus" {
            p_list = parse_cpu_list(value);
            continue;
        }
        if path == "/sys/devices/cpu_atom/cpus" {
            e_list = parse_cpu_list(value);
            continue;
        }
        let Some(rest) = path.strip_prefix("/sys/devices/system/cpu/cpu") else {
            continue;
        };
        let Some((num, file)) = rest.split_once("/topology/") else {
            continue;
        };
        let Ok(cpu) = num.parse::<u32>() else {
            continue;
        };
        match file {
            "physical_package_id" => {
                package.insert(cpu, value.to_string());
            }
            "core_id" => {
                core.insert(cpu, value.to_string());
            }
            _ => {}
        }
    }
    let cpus: BTreeSet<u32> = package.keys().chain(core.keys()).copied().collect();
    if cpus.is_empty() {
        return Ok(None);
    }
    let key = |cpu: &u32| {
        (
            package.get(cpu).map_or("0", String::as_str),
            core.get(cpu).map(String::as_str),
        )
    };
    let count_cores = |set: &BTreeSet<u32>| -> u32 {
        let n = if set.iter().all(|c| core.contains_key(c)) {
            set.iter().map(key).collect::<BTreeSet<_>>().len()
        } else {
            set.len()
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let sockets = package.values().collect::<BTreeSet<_>>().len();
    let (performance_cores, efficiency_cores) = match (&p_list, &e_list) {
        (Some(p), Some(e)) if !p.is_empty() && !e.is_empty() => {
            (Some(count_cores(p)), Some(count_cores(e)))
        }
        _ => (None, None),
    };
    Ok(Some(CpuTopology {
        logical_cpus: u32::try_from(cpus.len()).unwrap_or(u32::MAX),
        physical_cores: count_cores(&cpus),
        sockets: u32::try_from(sockets).unwrap_or(u32::MAX).max(1),
        performance_cores,
        efficiency_cores,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuinfo_empty_and_garbage_are_errors() {
        assert!(parse_cpuinfo("").is_err());
        assert!(parse_cpuinfo("\u{0}\u{1}: :\n::::").is_err());
    }

    #[test]
    fn cpuinfo_tabs_or_spaces_and_ht() {
        let t = "processor\t: 0\nmodel name\t: Intel(R)  Core  X\nphysical id\t: 0\ncore id\t\t: 0\napicid : 0\n\n\
                 processor : 1\nphysical id : 0\ncore id : 0\napicid : 1\n";
        let c = parse_cpuinfo(t).unwrap();
        assert_eq!(c.brand.as_deref(), Some("Intel(R) Core X"));
        assert_eq!((c.logical_cpus, c.physical_cores, c.sockets), (2, 1, 1));
        assert_eq!(c.performance_cores, None);
    }

    #[test]
    fn cpuinfo_arm_without_model_name() {
        let t = "processor : 0\nCPU implementer : 0x41\nCPU part : 0xd0b\n\nprocessor : 1\nCPU part : 0xd0b\n\nModel : Pi 5\n";
        let c = parse_cpuinfo(t).unwrap();
        assert_eq!(c.brand.as_deref(), Some("ARM Cortex-A76"));
        assert_eq!(c.vendor.as_deref(), Some("ARM"));
        assert_eq!((c.logical_cpus, c.physical_cores), (2, 2));
        assert_eq!(c.board_model.as_deref(), Some("Pi 5"));
    }

    #[test]
    fn cpuinfo_hostile_numbers_do_not_panic() {
        let t = "processor: 0\ncore id: 99999999999999999999\napicid: 18446744073709551615\nphysical id: x\n\
                 processor: 1\ncore id: 99999999999999999999\napicid: 18446744073709551615\n";
        let c = parse_cpuinfo(t).unwrap();
        assert_eq!(c.logical_cpus, 2);
    }

    #[test]
    fn topology_hybrid_counts_physical_p_cores() {
        let mut t = String::new();
        for cpu in 0..6 {
            t.push_str(&format!(
                "/sys/devices/system/cpu/cpu{cpu}/topology/physical_package_id:0\n"
            ));
            t.push_str(&format!(
                "/sys/devices/system/cpu/cpu{cpu}/topology/core_id:{}\n",
                cpu / 2
            ));
        }
        t.push_str("/sys/devices/cpu_core/cpus:0-3\n/sys/devices/cpu_atom/cpus:4-5\n");
        let topo = parse_cpu_topology(&t).unwrap().unwrap();
        assert_eq!(topo.logical_cpus, 6);
        assert_eq!(topo.physical_cores, 3);
        assert_eq!(
            (topo.performance_cores, topo.efficiency_cores),
            (Some(2), Some(1))
        );
        assert_eq!(parse_cpu_topology("").unwrap(), None);
        assert_eq!(
            parse_cpu_list("0-3, 8 ,10-11"),
            Some([0, 1, 2, 3, 8, 10, 11].into())
        );
        assert_eq!(parse_cpu_list("5-1"), None);
        assert_eq!(parse_cpu_list("0-4294967295"), None);
    }
}
