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

/// Name of an ARM implementer code (`CPU implementer : 0x41`), as lscpu names it.
fn arm_implementer(code: u32) -> Option<&'static str> {
    Some(match code {
        0x41 => "ARM",
        0x42 => "Broadcom",
        0x43 => "Cavium",
        0x44 => "DEC",
        0x46 => "Fujitsu",
        0x48 => "HiSilicon",
        0x49 => "Infineon",
        0x4d => "Motorola/Freescale",
        0x4e => "NVIDIA",
        0x50 => "APM",
        0x51 => "Qualcomm",
        0x53 => "Samsung",
        0x56 => "Marvell",
        0x61 => "Apple",
        0x66 => "Faraday",
        0x69 => "Intel",
        0x6d => "Microsoft",
        0x70 => "Phytium",
        0xc0 => "Ampere",
        _ => return None,
    })
}

/// Core name of an ARM Ltd (implementer 0x41) part number (`CPU part : 0xd08`).
fn arm_ltd_part(part: u32) -> Option<&'static str> {
    Some(match part {
        0x810 => "ARM810",
        0x920 => "ARM920",
        0x922 => "ARM922",
        0x926 => "ARM926",
        0x940 => "ARM940",
        0x946 => "ARM946",
        0x966 => "ARM966",
        0xa20 => "ARM1020",
        0xa22 => "ARM1022",
        0xa26 => "ARM1026",
        0xb02 => "ARM11 MPCore",
        0xb36 => "ARM1136",
        0xb56 => "ARM1156",
        0xb76 => "ARM1176",
        0xc05 => "Cortex-A5",
        0xc07 => "Cortex-A7",
        0xc08 => "Cortex-A8",
        0xc09 => "Cortex-A9",
        0xc0d | 0xc0e => "Cortex-A17",
        0xc0f => "Cortex-A15",
        0xc14 => "Cortex-R4",
        0xc15 => "Cortex-R5",
        0xc17 => "Cortex-R7",
        0xc18 => "Cortex-R8",
        0xc20 => "Cortex-M0",
        0xc21 => "Cortex-M1",
        0xc23 => "Cortex-M3",
        0xc24 => "Cortex-M4",
        0xc27 => "Cortex-M7",
        0xc60 => "Cortex-M0+",
        0xd01 => "Cortex-A32",
        0xd02 => "Cortex-A34",
        0xd03 => "Cortex-A53",
        0xd04 => "Cortex-A35",
        0xd05 => "Cortex-A55",
        0xd06 => "Cortex-A65",
        0xd07 => "Cortex-A57",
        0xd08 => "Cortex-A72",
        0xd09 => "Cortex-A73",
        0xd0a => "Cortex-A75",
        0xd0b => "Cortex-A76",
        0xd0c => "Neoverse-N1",
        0xd0d => "Cortex-A77",
        0xd0e => "Cortex-A76AE",
        0xd13 => "Cortex-R52",
        0xd15 => "Cortex-R82",
        0xd20 => "Cortex-M23",
        0xd21 => "Cortex-M33",
        0xd40 => "Neoverse-V1",
        0xd41 => "Cortex-A78",
        0xd42 => "Cortex-A78AE",
        0xd43 => "Cortex-A65AE",
        0xd44 => "Cortex-X1",
        0xd46 => "Cortex-A510",
        0xd47 => "Cortex-A710",
        0xd48 => "Cortex-X2",
        0xd49 => "Neoverse-N2",
        0xd4a => "Neoverse-E1",
        0xd4b => "Cortex-A78C",
        0xd4c => "Cortex-X1C",
        0xd4d => "Cortex-A715",
        0xd4e => "Cortex-X3",
        0xd4f => "Neoverse-V2",
        0xd80 => "Cortex-A520",
        0xd81 => "Cortex-A720",
        0xd82 => "Cortex-X4",
        0xd83 => "Neoverse-V3AE",
        0xd84 => "Neoverse-V3",
        0xd85 => "Cortex-X925",
        0xd87 => "Cortex-A725",
        0xd8e => "Neoverse-N3",
        _ => return None,
    })
}

/// Core name of part `part` made by implementer `implementer` (ids as lscpu and the kernel's
/// `cputype.h` list them).
fn arm_part(implementer: u32, part: u32) -> Option<&'static str> {
    Some(match (implementer, part) {
        (0x41, p) => return arm_ltd_part(p),
        (0x42, 0x00f) => "Brahma-B15",
        (0x42, 0x100) => "Brahma-B53",
        (0x42, 0x516) => "ThunderX2",
        (0x43, 0x0a0) => "ThunderX",
        (0x43, 0x0a1) => "ThunderX-88XX",
        (0x43, 0x0a2) => "ThunderX-81XX",
        (0x43, 0x0a3) => "ThunderX-83XX",
        (0x43, 0x0af) => "ThunderX2-99xx",
        (0x43, 0x0b8) => "ThunderX3-T110",
        (0x46, 0x001) => "A64FX",
        (0x48, 0xd01) => "Kunpeng-920",
        (0x48, 0xd40) => "Cortex-A76",
        (0x4e, 0x000) => "Denver",
        (0x4e, 0x003) => "Denver 2",
        (0x4e, 0x004) => "Carmel",
        (0x50, 0x000) => "X-Gene",
        (0x51, 0x00f | 0x02d) => "Scorpion",
        (0x51, 0x04d | 0x06f) => "Krait",
        (0x51, 0x201 | 0x205 | 0x211) => "Kryo",
        (0x51, 0x800) => "Falkor-V1/Kryo",
        (0x51, 0x801) => "Kryo-V2",
        (0x51, 0x802) => "Kryo-3XX-Gold",
        (0x51, 0x803) => "Kryo-3XX-Silver",
        (0x51, 0x804) => "Kryo-4XX-Gold",
        (0x51, 0x805) => "Kryo-4XX-Silver",
        (0x51, 0xc00) => "Falkor",
        (0x51, 0xc01) => "Saphira",
        (0x51, 0x001) => "Oryon",
        (0x53, 0x001) => "exynos-m1",
        (0x53, 0x002) => "exynos-m3",
        (0x53, 0x003) => "exynos-m4",
        (0x53, 0x004) => "exynos-m5",
        (0x61, 0x020) => "Icestorm-A14",
        (0x61, 0x021) => "Firestorm-A14",
        (0x61, 0x022) => "Icestorm-M1",
        (0x61, 0x023) => "Firestorm-M1",
        (0x61, 0x024) => "Icestorm-M1-Pro",
        (0x61, 0x025) => "Firestorm-M1-Pro",
        (0x61, 0x028) => "Icestorm-M1-Max",
        (0x61, 0x029) => "Firestorm-M1-Max",
        (0x61, 0x030) => "Blizzard-A15",
        (0x61, 0x031) => "Avalanche-A15",
        (0x61, 0x032) => "Blizzard-M2",
        (0x61, 0x033) => "Avalanche-M2",
        (0x61, 0x034) => "Blizzard-M2-Pro",
        (0x61, 0x035) => "Avalanche-M2-Pro",
        (0x61, 0x038) => "Blizzard-M2-Max",
        (0x61, 0x039) => "Avalanche-M2-Max",
        (0x6d, 0xd49) => "Azure-Cobalt-100",
        (0x70, 0x660) => "FTC660",
        (0x70, 0x661) => "FTC661",
        (0x70, 0x662) => "FTC662",
        (0x70, 0x663) => "FTC663",
        (0xc0, 0xac3) => "Ampere-1",
        (0xc0, 0xac4) => "Ampere-1a",
        _ => return None,
    })
}

/// Name of a RISC-V `mvendorid` (JEDEC bank and id).
fn riscv_vendor(id: &str) -> Option<&'static str> {
    Some(match hex(id)? {
        0x489 => "SiFive",
        0x5b7 => "T-Head",
        0x31e => "Andes",
        _ => return None,
    })
}

/// A `0x`-prefixed hexadecimal number (`0x41`, `0xd0b`).
fn hex(v: &str) -> Option<u32> {
    let v = v.trim();
    let digits = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X"))?;
    u32::from_str_radix(digits, 16).ok()
}

/// Intel family-6 models with P- and E-cores (Alder Lake, Raptor Lake, Meteor Lake, Lunar Lake, Arrow Lake).
const INTEL_HYBRID_MODELS: &[u32] = &[151, 154, 183, 186, 191, 170, 172, 189, 197, 198];

/// The architecture-specific fields of `/proc/cpuinfo` that name the CPU when `model name` does not.
#[derive(Debug, Default)]
struct Names {
    model_name: Option<String>,
    implementer: Option<String>,
    parts: Vec<String>,
    cpu_field: Option<String>,
    cpu_model: Option<String>,
    uarch: Option<String>,
    isa: Option<String>,
    mvendorid: Option<String>,
    power_platform: bool,
    power_model: Option<String>,
    s390_machine: Option<String>,
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
///
/// Other architectures name things their own way, and all are read:
/// - s390: `vendor_id : IBM/S390`, `# processors : 4`, `max thread id : 0` and one
///   `processor 0: version = FF,  identification = 0618E8,  machine = 8561` line per CPU;
/// - SPARC: `cpu : TI UltraSparc IIIi (Jalapeno)`, `ncpus active : 2`, no `processor` lines;
/// - LoongArch: `Model Name`, `package`, `core`; MIPS: `cpu model : R4400SC V5.0  FPU V0.0`;
/// - RISC-V: `uarch : sifive,u74-mc`, `isa`, `mvendorid : 0x489`; POWER: `cpu : POWER9 (architected)`,
///   `platform : PowerNV`, `model : 8247-22L`;
/// - ARM: `CPU implementer` and `CPU part`, decoded with lscpu's id tables (every distinct part is named,
///   in order, so a big.LITTLE SoC reads `ARM Cortex-A510 + Cortex-A715 + Cortex-X3`).
///
/// s390 and SPARC print no core or package ids: like lscpu without sysfs topology, every CPU (every
/// `max thread id + 1` threads on s390) is its own core and socket.
pub fn parse_cpuinfo(text: &str) -> Result<CpuInfo, ParseError> {
    let mut procs: Vec<Proc> = Vec::new();
    let mut info = CpuInfo::default();
    let mut n = Names::default();
    let mut family: Option<u32> = None;
    let mut model_num: Option<u32> = None;
    let mut hybrid_flag = false;
    let mut s390_count: Option<u32> = None;
    let mut s390_lines: u32 = 0;
    let mut s390_max_thread: Option<u32> = None;
    let mut sparc_active: Option<u32> = None;
    for line in text.lines() {
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        match key {
            "processor" => procs.push(Proc::default()),
            "physical id" | "package" => {
                if let Some(p) = procs.last_mut() {
                    p.physical_id = Some(value.to_string());
                }
            }
            "core id" | "core" => {
                if let Some(p) = procs.last_mut() {
                    p.core_id = Some(value.to_string());
                }
            }
            "apicid" => {
                if let Some(p) = procs.last_mut() {
                    p.apicid = value.parse().ok();
                }
            }
            "model name" | "Model Name" if n.model_name.is_none() => {
                n.model_name = non_empty(value)
            }
            "vendor_id" if info.vendor.is_none() => info.vendor = non_empty(value),
            "cpu family" if family.is_none() => family = value.parse().ok(),
            "model" if model_num.is_none() && n.power_model.is_none() => {
                model_num = value.parse().ok();
                if model_num.is_none() {
                    n.power_model = non_empty(value);
                }
            }
            "flags" => hybrid_flag |= value.split_whitespace().any(|f| f == "hybrid_cpu"),
            "CPU implementer" if n.implementer.is_none() => n.implementer = non_empty(value),
            "CPU part" => {
                let p = value.to_ascii_lowercase();
                if !p.is_empty() && !n.parts.contains(&p) && n.parts.len() < 64 {
                    n.parts.push(p);
                }
            }
            "cpu" if n.cpu_field.is_none() => n.cpu_field = non_empty(value),
            "cpu model" if n.cpu_model.is_none() => n.cpu_model = non_empty(value),
            "uarch" if n.uarch.is_none() => n.uarch = non_empty(value),
            "isa" if n.isa.is_none() => n.isa = non_empty(value),
            "mvendorid" if n.mvendorid.is_none() => n.mvendorid = non_empty(value),
            "platform" => n.power_platform = true,
            "# processors" => s390_count = value.parse().ok(),
            "max thread id" => s390_max_thread = value.parse().ok(),
            "ncpus active" => sparc_active = value.parse().ok(),
            "Model" => info.board_model = non_empty(value),
            "Serial" => info.board_serial = non_empty(value),
            "Hardware" => info.hardware = non_empty(value),
            k if is_s390_processor_line(k) => {
                s390_lines = s390_lines.saturating_add(1);
                if n.s390_machine.is_none() {
                    n.s390_machine = s390_field(value, "machine");
                }
            }
            _ => {}
        }
    }
    let s390 = info.vendor.as_deref() == Some("IBM/S390");
    let logical = if !procs.is_empty() {
        u32::try_from(procs.len()).unwrap_or(u32::MAX)
    } else if s390 {
        s390_count.unwrap_or(0).max(s390_lines)
    } else {
        sparc_active.unwrap_or(0)
    };
    if logical == 0 {
        return Err(ParseError::new(
            "cpuinfo",
            "no 'processor' entry (nor '# processors' or 'ncpus active')",
        ));
    }
    info.logical_cpus = logical;
    name_cpu(&mut info, &n);

    if procs.is_empty() {
        // s390 and SPARC: no per-CPU ids. lscpu's arithmetic without topology: one core per
        // thread group, one socket per core.
        let threads = if s390 {
            s390_max_thread.unwrap_or(0).saturating_add(1).max(1)
        } else {
            1
        };
        info.physical_cores = (logical / threads).max(1);
        info.sockets = info.physical_cores;
        return Ok(info);
    }

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

/// `processor 0` (s390's per-CPU line, whose value is `version = FF,  identification = …`).
fn is_s390_processor_line(key: &str) -> bool {
    key.strip_prefix("processor ")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `machine` out of `version = FF,  identification = 0618E8,  machine = 8561`.
fn s390_field(value: &str, name: &str) -> Option<String> {
    value.split(',').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k.trim() == name).then(|| non_empty(v)).flatten()
    })
}

/// Brand and vendor from whichever fields the architecture prints.
fn name_cpu(info: &mut CpuInfo, n: &Names) {
    let s390 = info.vendor.as_deref() == Some("IBM/S390");
    let implementer = n.implementer.as_deref().and_then(hex);
    let impl_name = implementer.and_then(arm_implementer);
    if info.vendor.is_none() {
        info.vendor = impl_name
            .map(str::to_string)
            .or_else(|| {
                n.mvendorid
                    .as_deref()
                    .map(|id| riscv_vendor(id).map_or_else(|| id.to_string(), str::to_string))
            })
            .or_else(|| {
                let power = n.power_platform
                    && n.cpu_field
                        .as_deref()
                        .is_some_and(|c| c.starts_with("POWER"));
                power.then(|| "IBM".to_string())
            });
    }
    if n.power_platform && info.board_model.is_none() {
        info.board_model.clone_from(&n.power_model);
    }
    let arm_names = || -> Option<String> {
        if n.parts.is_empty() {
            return None;
        }
        let names: Vec<String> = n
            .parts
            .iter()
            .map(|p| {
                match implementer
                    .zip(hex(p))
                    .and_then(|(i, part)| arm_part(i, part))
                {
                    Some(name) => name.to_string(),
                    None => format!("part {p}"),
                }
            })
            .collect();
        Some(format!(
            "{} {}",
            impl_name.unwrap_or("ARM"),
            names.join(" + ")
        ))
    };
    let riscv = || -> Option<String> {
        n.uarch.clone().or_else(|| {
            let isa = n.isa.as_deref()?;
            let base = isa.split('_').next().unwrap_or(isa);
            Some(format!("RISC-V {base}"))
        })
    };
    let s390_name = || -> Option<String> {
        s390.then(|| match &n.s390_machine {
            Some(m) => format!("IBM/S390 machine type {m}"),
            None => "IBM/S390".to_string(),
        })
    };
    info.brand = n
        .model_name
        .as_deref()
        .map(normalize_ws)
        .or_else(arm_names)
        .or_else(|| n.cpu_model.as_deref().map(normalize_ws))
        .or_else(riscv)
        .or_else(|| n.cpu_field.as_deref().map(normalize_ws))
        .or_else(s390_name)
        .or_else(|| info.hardware.clone());
}

/// CPU layout read from sysfs; overrides what `/proc/cpuinfo` suggests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuTopology {
    /// Online logical CPUs (the `online` list; without it, CPUs with a topology directory).
    pub logical_cpus: u32,
    /// Physical cores among the online CPUs: distinct thread-sibling sets.
    pub physical_cores: u32,
    /// Sockets: distinct package-sibling sets of the online CPUs.
    pub sockets: u32,
    /// Intel hybrid: physical cores among `/sys/devices/cpu_core/cpus` (logical count when core ids are absent).
    pub performance_cores: Option<u32>,
    /// Intel hybrid: physical cores among `/sys/devices/cpu_atom/cpus` (logical count when core ids are absent).
    pub efficiency_cores: Option<u32>,
    /// The details lscpu prints (threads per core, clusters, dies, books, drawers, offline CPUs).
    pub layout: crate::model::CpuLayout,
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
                if b < a || b - a > 65_536 || out.len() > 65_536 {
                    return None;
                }
                out.extend(a..=b);
            }
            None => {
                out.insert(part.parse().ok()?);
            }
        }
        if out.len() > 65_536 {
            return None;
        }
    }
    Some(out)
}

/// Write CPU numbers the way the kernel does (`0,6-7,24-31`).
pub fn format_cpu_list(cpus: &BTreeSet<u32>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut iter = cpus.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&end.saturating_add(1)) {
            end = end.saturating_add(1);
            iter.next();
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    out.join(",")
}

/// What sysfs says about one CPU (`/sys/devices/system/cpu/cpuN/topology/*`).
#[derive(Debug, Default)]
struct CpuNode {
    package_id: Option<String>,
    core_id: Option<String>,
    threads: Option<BTreeSet<u32>>,
    package: Option<BTreeSet<u32>>,
    cluster: Option<BTreeSet<u32>>,
    die_id: Option<String>,
    book_id: Option<String>,
    drawer_id: Option<String>,
}

/// Most CPUs a topology section may describe (Linux's `NR_CPUS` limit is 8192).
const MAX_CPUS: usize = 8192;

/// Parse the `cpu_topology` section (`path:value` lines from sysfs).
///
/// ```text
/// /sys/devices/system/cpu/online:0-3
/// /sys/devices/system/cpu/cpu0/topology/physical_package_id:0
/// /sys/devices/system/cpu/cpu0/topology/thread_siblings_list:0,2
/// /sys/devices/cpu_core/cpus:0-11
/// ```
///
/// Counted the way lscpu counts, from the sibling lists, not from the id values, because the ids lie on
/// real machines: POWER prints `physical_package_id` -1 on every CPU, some RISC-V and ARM servers number
/// `core_id` per cluster, big.LITTLE SoCs give each cluster its own package id. Physical cores are the
/// distinct `thread_siblings_list` (`core_cpus_list`) sets, sockets the distinct `core_siblings_list`
/// (`package_cpus_list`) sets, clusters the distinct `cluster_cpus_list` sets, books and drawers (s390) the
/// distinct `book_id`/`drawer_id`s, dies the distinct (package, `die_id`) pairs. Only online CPUs count
/// (sibling lists name online CPUs only, and an offline CPU's directory says nothing true); `present`
/// minus `online` are the offline CPUs. A kernel without sibling lists falls back to the id pairs.
///
/// Returns `None` when the section lists no CPU (no sysfs, a container). P/E counts are *physical* cores:
/// the hybrid CPU lists are mapped to cores; when core ids are missing they fall back to logical counts.
pub fn parse_cpu_topology(text: &str) -> Result<Option<CpuTopology>, ParseError> {
    let mut nodes: BTreeMap<u32, CpuNode> = BTreeMap::new();
    let mut online = None;
    let mut present = None;
    let mut p_list = None;
    let mut e_list = None;
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match path {
            "/sys/devices/cpu_core/cpus" => p_list = parse_cpu_list(value),
            "/sys/devices/cpu_atom/cpus" => e_list = parse_cpu_list(value),
            "/sys/devices/system/cpu/online" => online = parse_cpu_list(value),
            "/sys/devices/system/cpu/present" => present = parse_cpu_list(value),
            _ => {}
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
        if !nodes.contains_key(&cpu) && nodes.len() >= MAX_CPUS {
            continue;
        }
        let node = nodes.entry(cpu).or_default();
        let id = || Some(value.to_string());
        match file {
            "physical_package_id" => node.package_id = id(),
            "core_id" => node.core_id = id(),
            "die_id" => node.die_id = id(),
            "book_id" => node.book_id = id(),
            "drawer_id" => node.drawer_id = id(),
            "thread_siblings_list" | "core_cpus_list" => node.threads = parse_cpu_list(value),
            "core_siblings_list" | "package_cpus_list" => node.package = parse_cpu_list(value),
            "cluster_cpus_list" => node.cluster = parse_cpu_list(value),
            _ => {}
        }
    }
    // Offline CPUs' directories (where the kernel keeps them) describe nothing that is running.
    if let Some(on) = &online {
        nodes.retain(|cpu, _| on.contains(cpu));
    }
    if nodes.is_empty() {
        return Ok(None);
    }
    let cpus: BTreeSet<u32> = nodes.keys().copied().collect();
    let online_set = online.clone().unwrap_or_else(|| cpus.clone());
    let restrict = |set: &BTreeSet<u32>, cpu: u32| -> BTreeSet<u32> {
        let mut s: BTreeSet<u32> = set.intersection(&online_set).copied().collect();
        s.insert(cpu);
        s
    };
    let use_lists = nodes.values().all(|n| n.threads.is_some());
    // The core each CPU belongs to, as a key shared by its siblings.
    let core_key = |cpu: u32, node: &CpuNode| -> Option<String> {
        if use_lists {
            let t = restrict(node.threads.as_ref()?, cpu);
            return Some(format_cpu_list(&t));
        }
        let package = node.package_id.as_deref().unwrap_or("0");
        Some(format!("{package}/{}", node.core_id.as_deref()?))
    };
    let count_cores = |set: &BTreeSet<u32>| -> u32 {
        let keys: Option<BTreeSet<String>> = set
            .iter()
            .map(|cpu| nodes.get(cpu).and_then(|n| core_key(*cpu, n)))
            .collect();
        let n = keys.map_or(set.len(), |k| k.len());
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let distinct = |f: &dyn Fn(u32, &CpuNode) -> Option<String>| -> Option<u32> {
        let keys: Option<BTreeSet<String>> = nodes.iter().map(|(c, n)| f(*c, n)).collect();
        keys.map(|k| u32::try_from(k.len()).unwrap_or(u32::MAX))
    };
    let package_key = |cpu: u32, n: &CpuNode| -> Option<String> {
        match &n.package {
            Some(p) => Some(format_cpu_list(&restrict(p, cpu))),
            None => n.package_id.clone(),
        }
    };
    let sockets = distinct(&package_key).unwrap_or(1).max(1);
    let clusters = distinct(&|c, n| Some(format_cpu_list(&restrict(n.cluster.as_ref()?, c))));
    let dies = distinct(&|c, n| Some(format!("{}/{}", package_key(c, n)?, n.die_id.as_ref()?)));
    let books = distinct(&|_, n| n.book_id.clone());
    let drawers = distinct(&|_, n| n.drawer_id.clone());
    let threads_per_core = if use_lists {
        nodes
            .iter()
            .filter_map(|(c, n)| Some(restrict(n.threads.as_ref()?, *c).len()))
            .max()
            .and_then(|t| u32::try_from(t).ok())
    } else {
        None
    };
    let (performance_cores, efficiency_cores) = match (&p_list, &e_list) {
        (Some(p), Some(e)) if !p.is_empty() && !e.is_empty() => {
            (Some(count_cores(p)), Some(count_cores(e)))
        }
        _ => (None, None),
    };
    let physical_cores = count_cores(&cpus);
    // Only layers that group something are worth a field: a cluster per core (what x86 kernels print)
    // or a die per socket says nothing beyond cores and sockets.
    let clusters = clusters.filter(|&c| c < physical_cores);
    let dies = dies.filter(|&d| d > sockets);
    let offline = present
        .as_ref()
        .map(|p| {
            p.difference(&online_set)
                .copied()
                .collect::<BTreeSet<u32>>()
        })
        .filter(|o| !o.is_empty())
        .map(|o| format_cpu_list(&o));
    Ok(Some(CpuTopology {
        logical_cpus: u32::try_from(online_set.len()).unwrap_or(u32::MAX),
        physical_cores,
        sockets,
        performance_cores,
        efficiency_cores,
        layout: crate::model::CpuLayout {
            threads_per_core,
            clusters,
            dies,
            books,
            drawers,
            present_cpus: present.as_ref().and_then(|p| u32::try_from(p.len()).ok()),
            offline_cpus: offline,
        },
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
    #[test]
    fn topology_sibling_lists_beat_ids() {
        // POWER-style: package id -1 everywhere, core ids per first thread, two SMT2 cores in two
        // packages; CPU 3 offline (its stale directory is ignored).
        let mut t = String::from(
            "/sys/devices/system/cpu/online:0-2\n/sys/devices/system/cpu/present:0-3\n",
        );
        for (cpu, threads, package) in [
            (0, "0-1", "0-1"),
            (1, "0-1", "0-1"),
            (2, "2-3", "2-3"),
            (3, "2-3", "2-3"),
        ] {
            let d = format!("/sys/devices/system/cpu/cpu{cpu}/topology");
            t.push_str(&format!(
                "{d}/physical_package_id:-1\n{d}/core_id:{}\n",
                cpu / 2 * 2
            ));
            t.push_str(&format!(
                "{d}/thread_siblings_list:{threads}\n{d}/core_siblings_list:{package}\n"
            ));
            t.push_str(&format!("{d}/book_id:{}\n", cpu / 2));
        }
        let topo = parse_cpu_topology(&t).unwrap().unwrap();
        assert_eq!(
            (topo.logical_cpus, topo.physical_cores, topo.sockets),
            (3, 2, 2)
        );
        assert_eq!(topo.layout.threads_per_core, Some(2));
        assert_eq!(topo.layout.books, Some(2));
        assert_eq!(topo.layout.present_cpus, Some(4));
        assert_eq!(topo.layout.offline_cpus.as_deref(), Some("3"));
        assert_eq!(topo.layout.drawers, None);
    }

    #[test]
    fn topology_hostile_lists_do_not_panic_or_grow() {
        let t = "/sys/devices/system/cpu/online:0-99999999\n\
                 /sys/devices/system/cpu/cpu0/topology/thread_siblings_list:0-4294967295\n\
                 /sys/devices/system/cpu/cpu0/topology/core_siblings_list:x\n\
                 /sys/devices/system/cpu/cpu99999999999/topology/core_id:1\n";
        let topo = parse_cpu_topology(t).unwrap().unwrap();
        assert_eq!(topo.logical_cpus, 1);
        assert_eq!(topo.physical_cores, 1);
        assert_eq!(format_cpu_list(&[0, 6, 7, 9].into()), "0,6-7,9");
        assert_eq!(format_cpu_list(&BTreeSet::new()), "");
    }

    #[test]
    fn cpuinfo_other_architectures() {
        let s390 = "vendor_id       : IBM/S390\n# processors    : 2\nmax thread id   : 1\n\
                    processor 0: version = FF,  identification = 0618E8,  machine = 3931\n\
                    processor 1: version = FF,  identification = 0618E8,  machine = 3931\n";
        let c = parse_cpuinfo(s390).unwrap();
        assert_eq!((c.logical_cpus, c.physical_cores, c.sockets), (2, 1, 1));
        assert_eq!(c.brand.as_deref(), Some("IBM/S390 machine type 3931"));
        let sparc =
            "cpu\t\t: TI UltraSparc II  (BlackBird)\nncpus probed\t: 6\nncpus active\t: 6\n";
        let c = parse_cpuinfo(sparc).unwrap();
        assert_eq!((c.logical_cpus, c.sockets), (6, 6));
        assert_eq!(c.brand.as_deref(), Some("TI UltraSparc II (BlackBird)"));
        let rv = "processor\t: 0\nhart\t\t: 1\nisa\t\t: rv64imafdc_zicsr\nmvendorid\t: 0x5b7\n";
        let c = parse_cpuinfo(rv).unwrap();
        assert_eq!(c.brand.as_deref(), Some("RISC-V rv64imafdc"));
        assert_eq!(c.vendor.as_deref(), Some("T-Head"));
        let grace = "processor : 0\nCPU implementer : 0x41\nCPU part : 0xd4f\n";
        assert_eq!(
            parse_cpuinfo(grace).unwrap().brand.as_deref(),
            Some("ARM Neoverse-V2")
        );
        let m1 = "processor : 0\nCPU implementer : 0x61\nCPU part : 0x022\nCPU part : 0x023\n";
        let c = parse_cpuinfo(m1).unwrap();
        assert_eq!(c.brand.as_deref(), Some("Apple Icestorm-M1 + Firestorm-M1"));
        let ampere = "processor : 0\nCPU implementer : 0xc0\nCPU part : 0xac3\nCPU part : 0xfff\n";
        let c = parse_cpuinfo(ampere).unwrap();
        assert_eq!(c.brand.as_deref(), Some("Ampere Ampere-1 + part 0xfff"));
        assert!(parse_cpuinfo("# processors : 0\nvendor_id : IBM/S390\n").is_err());
    }
    #[test]
    fn topology_clusters_and_dies_only_when_they_group() {
        // A big.LITTLE-style chip: one package, clusters 0-3 and 4-7, package ids per cluster (which
        // must not make two sockets), and two dies.
        let mut t = String::new();
        for cpu in 0..8 {
            let d = format!("/sys/devices/system/cpu/cpu{cpu}/topology");
            let (cluster, die) = if cpu < 4 { ("0-3", 0) } else { ("4-7", 1) };
            t.push_str(&format!(
                "{d}/physical_package_id:{die}\n{d}/thread_siblings_list:{cpu}\n{d}/core_siblings_list:0-7\n\
                 {d}/cluster_cpus_list:{cluster}\n{d}/die_id:{die}\n"
            ));
        }
        let topo = parse_cpu_topology(&t).unwrap().unwrap();
        assert_eq!((topo.physical_cores, topo.sockets), (8, 1));
        assert_eq!((topo.layout.clusters, topo.layout.dies), (Some(2), Some(2)));
        // One cluster per core, one die per socket: nothing to say.
        let t = "/sys/devices/system/cpu/cpu0/topology/thread_siblings_list:0\n\
                 /sys/devices/system/cpu/cpu0/topology/cluster_cpus_list:0\n\
                 /sys/devices/system/cpu/cpu0/topology/die_id:0\n";
        let topo = parse_cpu_topology(t).unwrap().unwrap();
        assert_eq!((topo.layout.clusters, topo.layout.dies), (None, None));
    }
}
