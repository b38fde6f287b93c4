//! Linux section parsers: `/proc`, `/sys`, `lsblk -J` and `ip -j` text in, facts out.
//!
//! Every function here is pure (text in, value out): no file, no process, no clock. Input comes from hosts
//! we do not control, so nothing indexes into or unwraps input, and arithmetic saturates.

use super::collect::ParseError;
use crate::model::{Disk, DiskKind, NetworkInterface};
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

/// Split a `key : value` line on its first colon; keys and values are trimmed (tabs or spaces).
fn key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once(':')?;
    Some((k.trim(), v.trim()))
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

/// Collapse runs of whitespace to one space and trim (`Xeon(R) CPU           E5620  @` -> `Xeon(R) CPU E5620 @`).
pub fn normalize_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

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

/// What `/proc/meminfo` says, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemInfo {
    /// `MemTotal`: memory the kernel manages.
    pub total_bytes: u64,
    /// `SwapTotal`, when present.
    pub swap_bytes: Option<u64>,
    /// `MemAvailable`, when present (kernels before 3.14 lack it).
    pub available_bytes: Option<u64>,
}

/// Parse `/proc/meminfo`.
///
/// ```text
/// MemTotal:       32489496 kB
/// MemFree:        28118332 kB
/// SwapTotal:        999420 kB
/// ```
///
/// Values are kB (KiB) unless a line has no unit. Lines of the 2.4-era table (`Mem:  260579328 ...`) are ignored.
pub fn parse_meminfo(text: &str) -> Result<MemInfo, ParseError> {
    let mut fields: BTreeMap<&str, u64> = BTreeMap::new();
    for line in text.lines() {
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        let mut words = value.split_whitespace();
        let Some(Ok(n)) = words.next().map(str::parse::<u64>) else {
            continue;
        };
        let bytes = match words.next() {
            Some(u) if u.eq_ignore_ascii_case("kB") => n.saturating_mul(1024),
            Some(u) if u.eq_ignore_ascii_case("MB") => n.saturating_mul(1024 * 1024),
            _ => n,
        };
        fields.entry(key).or_insert(bytes);
    }
    let total_bytes = *fields
        .get("MemTotal")
        .ok_or_else(|| ParseError::new("meminfo", "no MemTotal line"))?;
    Ok(MemInfo {
        total_bytes,
        swap_bytes: fields.get("SwapTotal").copied(),
        available_bytes: fields.get("MemAvailable").copied(),
    })
}

/// Parse the `memory_blocks` section: installed memory = block size x online blocks.
///
/// ```text
/// /sys/devices/system/memory/block_size_bytes:8000000
/// /sys/devices/system/memory/memory0/online:1
/// ```
///
/// `block_size_bytes` is hexadecimal without `0x`. Returns `None` when the kernel has no memory blocks.
pub fn parse_memory_blocks(text: &str) -> Result<Option<u64>, ParseError> {
    let mut block_size = None;
    let mut online: u64 = 0;
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if path.ends_with("/block_size_bytes") {
            let hex = value.trim_start_matches("0x").trim_start_matches("0X");
            block_size = Some(u64::from_str_radix(hex, 16).map_err(|_| {
                ParseError::new("memory_blocks", format!("bad block size {value:?}"))
            })?);
        } else if path.ends_with("/online") && value == "1" {
            online = online.saturating_add(1);
        }
    }
    Ok(match block_size {
        Some(size) if size > 0 && online > 0 => Some(size.saturating_mul(online)),
        _ => None,
    })
}

/// Fields of `/etc/os-release` we keep.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsRelease {
    /// `ID` (`debian`).
    pub id: Option<String>,
    /// `NAME` (`Debian GNU/Linux`).
    pub name: Option<String>,
    /// `PRETTY_NAME` (`Debian GNU/Linux 12 (bookworm)`).
    pub pretty_name: Option<String>,
    /// `VERSION_ID` (`12`).
    pub version_id: Option<String>,
    /// `VERSION` (`12 (bookworm)`).
    pub version: Option<String>,
    /// `BUILD_ID` (rolling distributions).
    pub build_id: Option<String>,
}

/// Unquote an os-release value: `"x"`, `'x'` or bare `x`, with `\"`-style escapes inside double quotes.
fn unquote(v: &str) -> String {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else {
                out.push(c);
            }
        }
        return out;
    }
    if let Some(inner) = v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return inner.to_string();
    }
    v.to_string()
}

/// Parse `/etc/os-release` (or `/usr/lib/os-release`).
///
/// ```text
/// PRETTY_NAME="Raspbian GNU/Linux 8 (jessie)"
/// VERSION_ID="8"
/// ID=raspbian
/// ```
///
/// Empty values (`VERSION_CODENAME=""`) count as absent. Unknown keys and comments are ignored.
pub fn parse_os_release(text: &str) -> Result<OsRelease, ParseError> {
    let mut out = OsRelease::default();
    let mut any = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = non_empty(&unquote(value));
        let slot = match key.trim() {
            "ID" => &mut out.id,
            "NAME" => &mut out.name,
            "PRETTY_NAME" => &mut out.pretty_name,
            "VERSION_ID" => &mut out.version_id,
            "VERSION" => &mut out.version,
            "BUILD_ID" => &mut out.build_id,
            _ => continue,
        };
        any = true;
        *slot = value;
    }
    if !any {
        return Err(ParseError::new("os_release", "no ID, NAME or VERSION line"));
    }
    Ok(out)
}

/// Identity from `/sys/class/dmi/id` and the device tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dmi {
    /// `sys_vendor` (`Dell Inc.`).
    pub sys_vendor: Option<String>,
    /// `product_name` (`PowerEdge R640`).
    pub product_name: Option<String>,
    /// `product_version`.
    pub product_version: Option<String>,
    /// `product_serial` (root only).
    pub product_serial: Option<String>,
    /// `board_vendor`.
    pub board_vendor: Option<String>,
    /// `board_name`.
    pub board_name: Option<String>,
    /// `chassis_type` (SMBIOS number as text).
    pub chassis_type: Option<String>,
    /// `/proc/device-tree/model` (`Raspberry Pi 4 Model B Rev 1.5`).
    pub device_tree_model: Option<String>,
    /// `/proc/device-tree/serial-number`.
    pub device_tree_serial: Option<String>,
}

/// Firmware placeholders that mean "not filled in".
fn dmi_placeholder(v: &str) -> bool {
    const JUNK: &[&str] = &[
        "to be filled by o.e.m.",
        "default string",
        "system product name",
        "system manufacturer",
        "system serial number",
        "not specified",
        "not applicable",
        "none",
        "o.e.m.",
        "oem",
        "0123456789",
    ];
    let l = v.trim().to_ascii_lowercase();
    JUNK.contains(&l.as_str())
}

/// Parse the `dmi` section (`path:value` lines).
///
/// ```text
/// /sys/class/dmi/id/sys_vendor:Dell Inc.
/// /sys/class/dmi/id/product_name:PowerEdge R640
/// /proc/device-tree/model:Raspberry Pi 4 Model B Rev 1.5
/// ```
///
/// Firmware placeholders (`To Be Filled By O.E.M.`, `Default string`) count as absent. Values that span lines
/// keep only their first line.
pub fn parse_dmi(text: &str) -> Result<Dmi, ParseError> {
    let mut out = Dmi::default();
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = non_empty(value).filter(|v| !dmi_placeholder(v));
        let slot = match path.trim() {
            "/sys/class/dmi/id/sys_vendor" => &mut out.sys_vendor,
            "/sys/class/dmi/id/product_name" => &mut out.product_name,
            "/sys/class/dmi/id/product_version" => &mut out.product_version,
            "/sys/class/dmi/id/product_serial" => &mut out.product_serial,
            "/sys/class/dmi/id/board_vendor" => &mut out.board_vendor,
            "/sys/class/dmi/id/board_name" => &mut out.board_name,
            "/sys/class/dmi/id/chassis_type" => &mut out.chassis_type,
            "/proc/device-tree/model" => &mut out.device_tree_model,
            "/proc/device-tree/serial-number" => &mut out.device_tree_serial,
            _ => continue,
        };
        if slot.is_none() {
            *slot = value;
        }
    }
    Ok(out)
}

/// A JSON value as text: strings as they are, numbers and booleans printed; `null` is `None`.
fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => non_empty(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// lsblk booleans: `true`, `"1"`, `1` (old lsblk prints strings).
fn json_bool(v: Option<&serde_json::Value>) -> Option<bool> {
    match v? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Number(n) => n.as_u64().map(|n| n != 0),
        serde_json::Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A size in bytes: a number, a string of digits, or old lsblk's human form (`14.3G`, binary units).
/// The human form is approximate (lsblk rounded it); it is only used when `-b` was not honoured.
pub fn parse_size(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<u64>() {
                return Some(n);
            }
            let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
            let (num, unit) = s.split_at(split);
            let num: f64 = num.replace(',', ".").parse().ok()?;
            let exp = match unit.trim().chars().next()?.to_ascii_uppercase() {
                'B' => 0,
                'K' => 1,
                'M' => 2,
                'G' => 3,
                'T' => 4,
                'P' => 5,
                _ => return None,
            };
            let bytes = (num * 1024f64.powi(exp)).round();
            // `as` saturates for floats; negative and NaN are excluded by the parse above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(bytes as u64)
        }
        _ => None,
    }
}

/// Model or vendor strings that mark a virtual disk.
pub fn is_virtual_model(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    ["VBOX", "QEMU", "VIRTUAL", "VMWARE", "VEERTU", "XEN"]
        .iter()
        .any(|m| u.contains(m))
}

/// Parse `lsblk -J -b -d -o NAME,SIZE,TYPE,MODEL,SERIAL,TRAN,ROTA,RM,VENDOR`.
///
/// ```text
/// {"blockdevices": [
///    {"name":"nvme0n1", "size":512110190592, "type":"disk", "model":"Samsung SSD 980", "tran":"nvme", "rota":false, "rm":false}
/// ]}
/// ```
///
/// Old lsblk prints every value as a string (`"rm": "1"`, `"size": "14.3G"`). Only whole disks (`type` disk)
/// are kept; loop, zram, ram and nbd devices and empty (zero-size) devices are skipped; children are ignored.
/// `/dev/` prefixes (`--paths`) are stripped from names.
pub fn parse_lsblk(text: &str) -> Result<Vec<Disk>, ParseError> {
    let root: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::new("lsblk", format!("not JSON: {e}")))?;
    let devices = root
        .get("blockdevices")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| ParseError::new("lsblk", "no 'blockdevices' array"))?;
    let mut disks = Vec::new();
    for dev in devices {
        let Some(raw_name) = json_text(dev.get("name")) else {
            continue;
        };
        let name = raw_name
            .strip_prefix("/dev/")
            .unwrap_or(&raw_name)
            .to_string();
        if json_text(dev.get("type")).as_deref() != Some("disk") {
            continue;
        }
        if ["loop", "zram", "ram", "nbd"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let size_bytes = parse_size(dev.get("size")).unwrap_or(0);
        if size_bytes == 0 {
            continue;
        }
        let model = json_text(dev.get("model")).map(|m| normalize_ws(&m));
        let vendor = json_text(dev.get("vendor")).map(|m| normalize_ws(&m));
        let transport = json_text(dev.get("tran")).map(|t| t.to_ascii_lowercase());
        let rota = json_bool(dev.get("rota"));
        let rm = json_bool(dev.get("rm")).unwrap_or(false);
        let tran = transport.as_deref().unwrap_or("");
        let virtual_dev = name.starts_with("vd")
            || name.starts_with("xvd")
            || model.as_deref().is_some_and(is_virtual_model)
            || vendor.as_deref().is_some_and(is_virtual_model);
        let kind = if name.starts_with("nvme") || tran == "nvme" {
            DiskKind::Nvme
        } else if tran == "usb" {
            DiskKind::Usb
        } else if name.starts_with("mmcblk") || tran == "mmc" {
            DiskKind::Mmc
        } else if virtual_dev {
            DiskKind::Virtual
        } else {
            match rota {
                Some(false) => DiskKind::Ssd,
                Some(true) => DiskKind::Hdd,
                None => DiskKind::Unknown,
            }
        };
        disks.push(Disk {
            name,
            size_bytes,
            size_gb: size_bytes / 1_000_000_000,
            model,
            serial: json_text(dev.get("serial")),
            kind,
            removable: rm || tran == "usb",
            transport,
        });
    }
    disks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(disks)
}

/// Sort addresses in CIDR form: IPv4 first, then IPv6, each in numeric order; unparsable ones last.
pub fn sort_addresses(addrs: &mut [String]) {
    addrs.sort_by_key(|a| {
        let (ip, prefix) = a.split_once('/').unwrap_or((a.as_str(), ""));
        let parsed = ip.parse::<std::net::IpAddr>().ok();
        (
            parsed.is_none(),
            parsed,
            prefix.parse::<u8>().ok(),
            a.clone(),
        )
    });
}

/// True for a 6-octet hardware address (`54:e1:ad:5f:24:b4`).
pub fn looks_like_mac(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Parse `ip -j addr show`.
///
/// ```text
/// [{"ifindex":2,"ifname":"enp0s31f6","mtu":1500,"operstate":"UP","link_type":"ether",
///   "address":"54:e1:ad:5f:24:b4","addr_info":[{"family":"inet","local":"192.168.178.62","prefixlen":24}]}]
/// ```
///
/// Loopback is skipped. A hardware address is kept only for Ethernet-like links (a `sit` tunnel's
/// `address` is an IPv4 endpoint). Speed is not in this output: see [`parse_net_sysfs`].
pub fn parse_ip_addr(text: &str) -> Result<Vec<NetworkInterface>, ParseError> {
    let root: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::new("ip_addr", format!("not JSON: {e}")))?;
    let links = root
        .as_array()
        .ok_or_else(|| ParseError::new("ip_addr", "expected a JSON array of links"))?;
    let mut out: Vec<NetworkInterface> = Vec::new();
    for link in links {
        let Some(name) = json_text(link.get("ifname")) else {
            continue;
        };
        let link_type = json_text(link.get("link_type"));
        if name == "lo" || link_type.as_deref() == Some("loopback") {
            continue;
        }
        let mac = json_text(link.get("address"))
            .map(|m| m.to_ascii_lowercase())
            .filter(|m| looks_like_mac(m) && matches!(link_type.as_deref(), Some("ether") | None));
        let mut addresses = Vec::new();
        for a in link
            .get("addr_info")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(local), Some(prefix)) =
                (json_text(a.get("local")), json_text(a.get("prefixlen")))
            else {
                continue;
            };
            addresses.push(format!("{local}/{prefix}"));
        }
        sort_addresses(&mut addresses);
        addresses.dedup();
        out.push(NetworkInterface {
            name,
            mac,
            addresses,
            state: json_text(link.get("operstate")).map(|s| s.to_ascii_lowercase()),
            speed_mbps: None,
            mtu: link
                .get("mtu")
                .and_then(serde_json::Value::as_u64)
                .and_then(|m| u32::try_from(m).ok()),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// One interface as `/sys/class/net/IF/*` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetSysfs {
    /// `address`, lowercase, when it is a 6-octet MAC.
    pub mac: Option<String>,
    /// `operstate`, lowercase.
    pub state: Option<String>,
    /// `speed` in Mbit/s; `-1` (unknown) and unreadable values are `None`.
    pub speed_mbps: Option<u64>,
    /// `mtu`.
    pub mtu: Option<u32>,
    /// `type` (ARPHRD number: 1 Ethernet, 772 loopback).
    pub arp_type: Option<u32>,
}

/// Parse the `net_sysfs` section (`path:value` lines).
///
/// ```text
/// /sys/class/net/eth0/address:dc:a6:32:01:02:03
/// /sys/class/net/eth0/speed:1000
/// /sys/class/net/wlan0/speed:-1
/// ```
///
/// The value is everything after the first colon following the file name, so MAC addresses survive.
pub fn parse_net_sysfs(text: &str) -> Result<BTreeMap<String, NetSysfs>, ParseError> {
    let mut out: BTreeMap<String, NetSysfs> = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("/sys/class/net/") else {
            continue;
        };
        let Some((iface, rest)) = rest.split_once('/') else {
            continue;
        };
        let Some((file, value)) = rest.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let entry = out.entry(iface.to_string()).or_default();
        match file {
            "address" => entry.mac = Some(value.to_ascii_lowercase()).filter(|m| looks_like_mac(m)),
            "operstate" => entry.state = non_empty(value).map(|s| s.to_ascii_lowercase()),
            "speed" => entry.speed_mbps = value.parse::<u64>().ok().filter(|&s| s > 0),
            "mtu" => entry.mtu = value.parse().ok(),
            "type" => entry.arp_type = value.parse().ok(),
            _ => {}
        }
    }
    Ok(out)
}

/// Merge sysfs facts into interfaces from `ip`: speed always, MAC/state/MTU only where `ip` had none.
/// Interfaces only sysfs knows (no `ip` tool) are added, loopback excepted.
pub fn merge_net_sysfs(ifaces: &mut Vec<NetworkInterface>, sysfs: &BTreeMap<String, NetSysfs>) {
    for (name, s) in sysfs {
        if name == "lo" || s.arp_type == Some(772) {
            continue;
        }
        if let Some(i) = ifaces.iter_mut().find(|i| &i.name == name) {
            i.speed_mbps = i.speed_mbps.or(s.speed_mbps);
            if i.mac.is_none() && s.arp_type == Some(1) {
                i.mac.clone_from(&s.mac);
            }
            i.state = i.state.take().or_else(|| s.state.clone());
            i.mtu = i.mtu.or(s.mtu);
        } else {
            ifaces.push(NetworkInterface {
                name: name.clone(),
                mac: if s.arp_type == Some(1) {
                    s.mac.clone()
                } else {
                    None
                },
                addresses: Vec::new(),
                state: s.state.clone(),
                speed_mbps: s.speed_mbps,
                mtu: s.mtu,
            });
        }
    }
    ifaces.sort_by(|a, b| a.name.cmp(&b.name));
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

    #[test]
    fn meminfo_needs_memtotal() {
        assert!(parse_meminfo("").is_err());
        assert!(parse_meminfo("MemFree: 1 kB\n").is_err());
        let m = parse_meminfo("  MemTotal:   1024 kB  \nSwapTotal: 0 kB\nHugePages_Total: 5\n")
            .unwrap();
        assert_eq!(m.total_bytes, 1_048_576);
        assert_eq!(m.swap_bytes, Some(0));
        assert_eq!(m.available_bytes, None);
        let huge = parse_meminfo("MemTotal: 18446744073709551615 kB\n").unwrap();
        assert_eq!(huge.total_bytes, u64::MAX);
    }

    #[test]
    fn memory_blocks_hex_and_absent() {
        let t = "/sys/devices/system/memory/block_size_bytes:8000000\n\
                 /sys/devices/system/memory/memory0/online:1\n/sys/devices/system/memory/memory1/online:0\n\
                 /sys/devices/system/memory/memory2/online:1\n";
        assert_eq!(parse_memory_blocks(t).unwrap(), Some(2 * 0x800_0000));
        assert_eq!(parse_memory_blocks("").unwrap(), None);
        assert!(parse_memory_blocks("/sys/devices/system/memory/block_size_bytes:zz\n").is_err());
    }

    #[test]
    fn os_release_quotes() {
        let o = parse_os_release(
            "ID=\"rhel\"\nNAME='Red Hat'\nVERSION_ID=9\nVERSION_CODENAME=\"\"\n# c\n",
        )
        .unwrap();
        assert_eq!(o.id.as_deref(), Some("rhel"));
        assert_eq!(o.name.as_deref(), Some("Red Hat"));
        assert_eq!(o.version_id.as_deref(), Some("9"));
        assert!(parse_os_release("").is_err());
        let e = parse_os_release("PRETTY_NAME=\"a \\\"b\\\"\"\n").unwrap();
        assert_eq!(e.pretty_name.as_deref(), Some("a \"b\""));
    }

    #[test]
    fn dmi_placeholders_and_colons() {
        let d = parse_dmi(
            "/sys/class/dmi/id/sys_vendor:LENOVO\n/sys/class/dmi/id/product_name:To Be Filled By O.E.M.\n\
             /proc/device-tree/model:Raspberry Pi 4 Model B Rev 1.5\n",
        )
        .unwrap();
        assert_eq!(d.sys_vendor.as_deref(), Some("LENOVO"));
        assert_eq!(d.product_name, None);
        assert_eq!(
            d.device_tree_model.as_deref(),
            Some("Raspberry Pi 4 Model B Rev 1.5")
        );
        assert_eq!(parse_dmi("").unwrap(), Dmi::default());
    }

    #[test]
    fn lsblk_kinds() {
        let t = r#"{"blockdevices":[
            {"name":"nvme0n1","size":512110190592,"type":"disk","model":"Samsung SSD","tran":"nvme","rota":false,"rm":false},
            {"name":"sda","size":"4000787030016","type":"disk","model":"WDC","tran":"sata","rota":"1","rm":"0"},
            {"name":"sdb","size":"14.3G","type":"disk","tran":"usb","rota":"0","rm":"1"},
            {"name":"vda","size":1,"type":"disk"},
            {"name":"zram0","size":1,"type":"disk"},
            {"name":"loop0","size":1,"type":"loop"},
            {"name":"mmcblk0","size":2,"type":"disk","rm":false}
        ]}"#;
        let d = parse_lsblk(t).unwrap();
        let kinds: Vec<_> = d
            .iter()
            .map(|d| (d.name.as_str(), d.kind, d.removable))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("mmcblk0", DiskKind::Mmc, false),
                ("nvme0n1", DiskKind::Nvme, false),
                ("sda", DiskKind::Hdd, false),
                ("sdb", DiskKind::Usb, true),
                ("vda", DiskKind::Virtual, false),
            ]
        );
        assert_eq!(d[3].size_bytes, 15_354_508_083);
        assert_eq!(d[2].size_gb, 4000);
        assert!(parse_lsblk("").is_err());
        assert!(parse_lsblk("{}").is_err());
        assert!(parse_lsblk(
            r#"{"blockdevices":[{"size":-5},{"name":"sdz","type":"disk","size":1e300}]}"#
        )
        .unwrap()
        .is_empty());
    }

    #[test]
    fn ip_addr_orders_and_skips_loopback() {
        let t = r#"[{"ifname":"lo","link_type":"loopback","addr_info":[]},
            {"ifname":"eth0","mtu":1500,"operstate":"UP","link_type":"ether","address":"AA:BB:CC:DD:EE:FF",
             "addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64},{"family":"inet","local":"10.0.0.9","prefixlen":8},
                          {"family":"inet","local":"10.0.0.10","prefixlen":8}]},
            {"ifname":"tun0","link_type":"sit","address":"1.1.1.1","addr_info":[{"local":"x"}]}]"#;
        let i = parse_ip_addr(t).unwrap();
        assert_eq!(i.len(), 2);
        assert_eq!(
            i[0].addresses,
            vec!["10.0.0.9/8", "10.0.0.10/8", "fe80::1/64"]
        );
        assert_eq!(i[0].mac.as_deref(), Some("aa:bb:cc:dd:ee:ff"));
        assert_eq!(i[0].state.as_deref(), Some("up"));
        assert_eq!(i[1].mac, None);
        assert!(parse_ip_addr("{}").is_err());
    }

    #[test]
    fn net_sysfs_speed_and_merge() {
        let t = "/sys/class/net/eth0/address:dc:a6:32:01:02:03\n/sys/class/net/eth0/speed:1000\n\
                 /sys/class/net/eth0/type:1\n/sys/class/net/wlan0/speed:-1\n/sys/class/net/wlan0/type:1\n\
                 /sys/class/net/lo/type:772\n/sys/class/net/eth0/mtu: 9000 \n";
        let s = parse_net_sysfs(t).unwrap();
        assert_eq!(s["eth0"].mac.as_deref(), Some("dc:a6:32:01:02:03"));
        assert_eq!(s["eth0"].speed_mbps, Some(1000));
        assert_eq!(s["wlan0"].speed_mbps, None);
        let mut ifaces = Vec::new();
        merge_net_sysfs(&mut ifaces, &s);
        assert_eq!(
            ifaces.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            vec!["eth0", "wlan0"]
        );
        assert_eq!(ifaces[0].mtu, Some(9000));
    }
}
