//! macOS section parsers: `sysctl`, `sw_vers`, `system_profiler -json` and `ifconfig` text in, facts out.
//!
//! Pure functions only: no process, no file, no clock. `sysctl` is preferred over `system_profiler` for
//! what both know (it is fast and exact); `system_profiler` fills the gaps (model name, serial, disks, GPU).

use super::collect::ParseError;
use super::gpu::round_gib;
use super::linux::{is_virtual_model, looks_like_mac, normalize_ws, sort_addresses};
use crate::model::{Disk, DiskKind, Gpu, NetworkInterface, PerfLevel};
use serde::Serialize;
use serde_json::Value;
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

/// `sw_vers` output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SwVers {
    /// `ProductName` (`macOS`, `Mac OS X`).
    pub product_name: Option<String>,
    /// `ProductVersion` (`15.7.9`).
    pub product_version: Option<String>,
    /// `BuildVersion` (`24G830`).
    pub build_version: Option<String>,
}

/// Parse `sw_vers` (key and value are separated by tabs, shown as spaces below).
///
/// ```text
/// ProductName:        macOS
/// ProductVersion:        15.7.9
/// BuildVersion:        24G830
/// ```
///
/// Unknown lines (`ProductVersionExtra`, trailing notes) are ignored.
pub fn parse_sw_vers(text: &str) -> Result<SwVers, ParseError> {
    let mut out = SwVers::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        match k.trim() {
            "ProductName" => out.product_name = v,
            "ProductVersion" => out.product_version = v,
            "BuildVersion" => out.build_version = v,
            _ => {}
        }
    }
    if out == SwVers::default() {
        return Err(ParseError::new(
            "sw_vers",
            "no ProductName, ProductVersion or BuildVersion line",
        ));
    }
    Ok(out)
}

/// `system_profiler -json` output: the array under `key`.
fn sp_items<'a>(
    root: &'a Value,
    key: &str,
    probe: &'static str,
) -> Result<&'a Vec<Value>, ParseError> {
    root.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::new(probe, format!("no '{key}' array")))
}

fn sp_json(text: &str, probe: &'static str) -> Result<Value, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::new(probe, format!("not JSON: {e}")))
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A size like `16 GB`, `64 MB`, `1,5 GB` (localised decimal comma) in bytes, binary units (macOS reports
/// RAM and VRAM in powers of two).
pub fn parse_mem_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let mut words = s.split_whitespace();
    let num: f64 = words.next()?.replace(',', ".").parse().ok()?;
    if !num.is_finite() || num < 0.0 {
        return None;
    }
    let exp = match words.next()?.to_ascii_uppercase().as_str() {
        "B" => 0,
        "KB" | "KIB" => 1,
        "MB" | "MIB" => 2,
        "GB" | "GIB" => 3,
        "TB" | "TIB" => 4,
        _ => return None,
    };
    // `as` saturates for floats; negatives and NaN are excluded above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((num * 1024f64.powi(exp)).round() as u64)
}

/// `number_processors` from SPHardwareDataType.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcCount {
    /// Total cores (the integer form, or the first field of `proc T:...`).
    pub total: u32,
    /// Performance cores, from the 3-field form `proc 8:4:4` (total:P:E) only.
    pub performance: Option<u32>,
    /// Efficiency cores, from the 3-field form only.
    pub efficiency: Option<u32>,
}

/// What SPHardwareDataType says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpHardware {
    /// `machine_model` (`MacBookAir10,1`).
    pub machine_model: Option<String>,
    /// `machine_name` (`MacBook Air`).
    pub machine_name: Option<String>,
    /// `chip_type` (Apple Silicon, `Apple M1`).
    pub chip_type: Option<String>,
    /// `cpu_type` (Intel, `8-Core Intel Xeon W`); `Unknown` is dropped.
    pub cpu_type: Option<String>,
    /// `serial_number`.
    pub serial_number: Option<String>,
    /// `physical_memory` in bytes.
    pub memory_bytes: Option<u64>,
    /// `number_processors`.
    pub processors: Option<ProcCount>,
    /// `packages` (Intel).
    pub packages: Option<u32>,
    /// `platform_cpu_htt` (Intel): `Some(true)` when Hyper-Threading is on (two logical CPUs per core).
    pub hyper_threading: Option<bool>,
}

/// Parse `system_profiler -json SPHardwareDataType`.
///
/// ```text
/// { "SPHardwareDataType" : [ { "chip_type" : "Apple M1", "machine_model" : "MacBookAir10,1",
///     "number_processors" : "proc 8:4:4", "physical_memory" : "16 GB", ... } ] }
/// ```
///
/// `number_processors` is an integer on Intel and VMs, `proc T:P:E` on M1-era chips, and a 4-field
/// `proc a:b:c:d` on newer chips whose field meaning is not documented: only the total is taken from it.
pub fn parse_sp_hardware(text: &str) -> Result<SpHardware, ParseError> {
    let root = sp_json(text, "sp_hardware")?;
    let item = sp_items(&root, "SPHardwareDataType", "sp_hardware")?
        .first()
        .ok_or_else(|| ParseError::new("sp_hardware", "empty SPHardwareDataType array"))?;
    let processors = match item.get("number_processors") {
        Some(Value::Number(n)) => {
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(|total| ProcCount {
                    total,
                    ..ProcCount::default()
                })
        }
        Some(Value::String(s)) => {
            let nums: Option<Vec<u32>> = s
                .trim()
                .trim_start_matches("proc")
                .trim()
                .split(':')
                .map(|f| f.trim().parse().ok())
                .collect();
            match nums.as_deref() {
                Some([t, p, e]) => Some(ProcCount {
                    total: *t,
                    performance: Some(*p),
                    efficiency: Some(*e),
                }),
                Some([t, ..]) => Some(ProcCount {
                    total: *t,
                    ..ProcCount::default()
                }),
                _ => None,
            }
        }
        _ => None,
    };
    Ok(SpHardware {
        machine_model: str_of(item, "machine_model"),
        machine_name: str_of(item, "machine_name"),
        chip_type: str_of(item, "chip_type"),
        cpu_type: str_of(item, "cpu_type").filter(|c| c != "Unknown"),
        serial_number: str_of(item, "serial_number"),
        memory_bytes: str_of(item, "physical_memory")
            .as_deref()
            .and_then(parse_mem_size),
        processors,
        packages: item
            .get("packages")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        hyper_threading: str_of(item, "platform_cpu_htt").map(|h| h == "htt_enabled"),
    })
}

/// The whole-disk part of a BSD name: `disk3s1s1` -> `disk3`.
fn whole_disk(bsd: &str) -> Option<String> {
    let digits: String = bsd
        .strip_prefix("disk")?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("disk{digits}"))
}

/// Parse `system_profiler -json SPStorageDataType` into disks.
///
/// ```text
/// { "SPStorageDataType" : [ { "bsd_name" : "disk3s5", "size_in_bytes" : 994662584320,
///     "physical_drive" : { "device_name" : "APPLE SSD AP1024Z", "medium_type" : "ssd", "protocol" : "Apple Fabric" } } ] }
/// ```
///
/// The data type lists *volumes*. Volumes are grouped by the whole disk of their `bsd_name` (`disk3s1s1`,
/// `disk3s5` -> `disk3`, the APFS container, which stands for its physical drive); disk images (Cryptexes)
/// are skipped. The size is an approximation: the largest volume's `size_in_bytes` (APFS volumes report the
/// container's size), not the raw device size, which this data type does not give.
pub fn parse_sp_storage(text: &str) -> Result<Vec<Disk>, ParseError> {
    let root = sp_json(text, "sp_storage")?;
    let mut by_disk: BTreeMap<String, Disk> = BTreeMap::new();
    for vol in sp_items(&root, "SPStorageDataType", "sp_storage")? {
        let Some(name) = str_of(vol, "bsd_name").as_deref().and_then(whole_disk) else {
            continue;
        };
        let empty = Value::Null;
        let drive = vol.get("physical_drive").unwrap_or(&empty);
        let protocol = str_of(drive, "protocol");
        if protocol.as_deref() == Some("Disk Image")
            || str_of(drive, "device_name").as_deref() == Some("Disk Image")
        {
            continue;
        }
        let size = vol
            .get("size_in_bytes")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let model = str_of(drive, "device_name");
        let internal = str_of(drive, "is_internal_disk").map(|v| v == "yes");
        let medium = str_of(drive, "medium_type");
        let proto_l = protocol.as_deref().unwrap_or("").to_ascii_lowercase();
        let kind = if proto_l == "usb" {
            DiskKind::Usb
        } else if model.as_deref().is_some_and(is_virtual_model) {
            DiskKind::Virtual
        } else if proto_l.contains("nvme") || proto_l.contains("pci") {
            DiskKind::Nvme
        } else {
            match medium.as_deref() {
                Some("ssd") => DiskKind::Ssd,
                Some("rotational") => DiskKind::Hdd,
                _ => DiskKind::Unknown,
            }
        };
        let disk = by_disk.entry(name.clone()).or_insert_with(|| Disk {
            name,
            size_bytes: 0,
            size_gb: 0,
            model: None,
            serial: None,
            kind,
            removable: false,
            transport: None,
        });
        disk.size_bytes = disk.size_bytes.max(size);
        disk.size_gb = disk.size_bytes / 1_000_000_000;
        disk.model = disk.model.take().or(model);
        disk.transport = disk.transport.take().or(protocol);
        disk.removable |= internal == Some(false) || kind == DiskKind::Usb;
        if disk.kind == DiskKind::Unknown {
            disk.kind = kind;
        }
    }
    Ok(by_disk.into_values().collect())
}

/// Lowercase vendor from `spdisplays_vendor`/`sppci_vendor` (`sppci_vendor_Apple`, `Intel`, `NVIDIA (0x10de)`).
fn gpu_vendor(raw: Option<&str>, name: &str) -> String {
    let hay = format!("{} {name}", raw.unwrap_or("")).to_ascii_lowercase();
    for (needle, vendor) in [
        ("apple", "apple"),
        ("intel", "intel"),
        ("nvidia", "nvidia"),
        ("amd", "amd"),
        ("ati", "amd"),
        ("radeon", "amd"),
        ("0x8086", "intel"),
        ("0x10de", "nvidia"),
        ("0x1002", "amd"),
    ] {
        if hay.contains(needle) {
            return vendor.to_string();
        }
    }
    raw.map_or_else(
        || "unknown".to_string(),
        |r| r.trim_start_matches("sppci_vendor_").to_ascii_lowercase(),
    )
}

/// Parse `system_profiler -json SPDisplaysDataType` into GPUs.
///
/// ```text
/// { "SPDisplaysDataType" : [ { "sppci_model" : "Apple M1 Pro", "sppci_cores" : "14",
///     "spdisplays_vendor" : "sppci_vendor_Apple", "spdisplays_ndrvs" : [ ... ] } ] }
/// ```
///
/// `spdisplays_vram` (`64 MB`, `1,5 GB`) is dedicated memory; shared memory (`spdisplays_vram_shared`) and
/// Apple Silicon unified memory give `null`. Displays attached to the GPU are ignored.
pub fn parse_sp_displays(text: &str) -> Result<Vec<Gpu>, ParseError> {
    let root = sp_json(text, "sp_displays")?;
    let mut gpus = Vec::new();
    for item in sp_items(&root, "SPDisplaysDataType", "sp_displays")? {
        let Some(name) = str_of(item, "sppci_model").or_else(|| str_of(item, "_name")) else {
            continue;
        };
        let raw_vendor = str_of(item, "spdisplays_vendor").or_else(|| str_of(item, "sppci_vendor"));
        let vram_bytes = str_of(item, "spdisplays_vram")
            .or_else(|| str_of(item, "_spdisplays_vram"))
            .as_deref()
            .and_then(parse_mem_size);
        let cores = match item.get("sppci_cores") {
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        };
        gpus.push(Gpu {
            index: u32::try_from(gpus.len()).unwrap_or(u32::MAX),
            vendor: gpu_vendor(raw_vendor.as_deref(), &name),
            name,
            vram_bytes,
            vram_gb: vram_bytes.map(round_gib),
            driver_version: None,
            cuda_version: None,
            uuid: None,
            pci_bus_id: None,
            cores,
            mig_mode: None,
        });
    }
    Ok(gpus)
}

/// Prefix length of a netmask written as hex (`0xffffff00`) or dotted quad.
fn netmask_prefix(mask: &str) -> Option<u32> {
    let bits = if let Some(hex) = mask.strip_prefix("0x") {
        u32::from_str_radix(hex, 16).ok()?
    } else {
        u32::from(mask.parse::<std::net::Ipv4Addr>().ok()?)
    };
    Some(bits.count_ones())
}

/// Parse `ifconfig -a` (BSD format).
///
/// ```text
/// en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
///     ether 3c:22:fb:01:02:03
///     inet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255
/// ```
///
/// `status: active` means up, `status: inactive` down; otherwise the `UP` flag decides. Loopback (`lo0`)
/// is skipped, and so is the IPv6 zone suffix (`fe80::1%en0`).
pub fn parse_ifconfig(text: &str) -> Result<Vec<NetworkInterface>, ParseError> {
    let mut out: Vec<NetworkInterface> = Vec::new();
    let mut loopback = false;
    for line in text.lines() {
        if !line.starts_with(char::is_whitespace) && !line.trim().is_empty() {
            let Some((name, rest)) = line.split_once(':') else {
                continue;
            };
            loopback = rest.contains("LOOPBACK") || name == "lo0";
            let flags_up = rest
                .split_once('<')
                .and_then(|(_, r)| r.split_once('>'))
                .is_some_and(|(f, _)| f.split(',').any(|f| f == "UP"));
            let mut words = rest.split_whitespace();
            let mtu = words
                .by_ref()
                .skip_while(|w| *w != "mtu")
                .nth(1)
                .and_then(|m| m.parse().ok());
            if !loopback {
                out.push(NetworkInterface {
                    name: name.trim().to_string(),
                    mac: None,
                    addresses: Vec::new(),
                    state: Some(if flags_up { "up" } else { "down" }.to_string()),
                    speed_mbps: None,
                    mtu,
                });
            }
            continue;
        }
        if loopback {
            continue;
        }
        let Some(iface) = out.last_mut() else {
            continue;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ether", mac, ..] if looks_like_mac(&mac.to_ascii_lowercase()) => {
                iface.mac = Some(mac.to_ascii_lowercase());
            }
            ["inet", addr, rest @ ..] => {
                let prefix = rest
                    .iter()
                    .position(|w| *w == "netmask")
                    .and_then(|i| rest.get(i + 1))
                    .and_then(|m| netmask_prefix(m))
                    .unwrap_or(32);
                iface.addresses.push(format!("{addr}/{prefix}"));
            }
            ["inet6", addr, rest @ ..] => {
                let addr = addr.split('%').next().unwrap_or(addr);
                let prefix = rest
                    .iter()
                    .position(|w| *w == "prefixlen")
                    .and_then(|i| rest.get(i + 1))
                    .and_then(|p| p.parse::<u8>().ok())
                    .unwrap_or(128);
                iface.addresses.push(format!("{addr}/{prefix}"));
            }
            ["status:", "active", ..] => iface.state = Some("up".to_string()),
            ["status:", "inactive", ..] => iface.state = Some("down".to_string()),
            _ => {}
        }
    }
    for i in &mut out {
        sort_addresses(&mut i.addresses);
        i.addresses.dedup();
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
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

    #[test]
    fn sw_vers_tabs_and_unknown_lines() {
        let s = parse_sw_vers(
            "ProductName:\t\tmacOS\nProductVersion:\t\t14.4.1\nBuildVersion:\t\t23E224\nx86_64\n",
        )
        .unwrap();
        assert_eq!(s.product_version.as_deref(), Some("14.4.1"));
        assert!(parse_sw_vers("").is_err());
    }

    #[test]
    fn sp_hardware_processor_forms() {
        let j = |np: &str| {
            format!(
                r#"{{"SPHardwareDataType":[{{"number_processors":{np},"physical_memory":"1,5 GB"}}]}}"#
            )
        };
        let h = parse_sp_hardware(&j(r#""proc 8:4:4""#)).unwrap();
        assert_eq!(
            h.processors,
            Some(ProcCount {
                total: 8,
                performance: Some(4),
                efficiency: Some(4)
            })
        );
        assert_eq!(h.memory_bytes, Some(1_610_612_736));
        let h = parse_sp_hardware(&j(r#""proc 18:6:0:12""#)).unwrap();
        assert_eq!(
            h.processors,
            Some(ProcCount {
                total: 18,
                performance: None,
                efficiency: None
            })
        );
        assert_eq!(
            parse_sp_hardware(&j("4"))
                .unwrap()
                .processors
                .map(|p| p.total),
            Some(4)
        );
        assert_eq!(
            parse_sp_hardware(&j(r#""proc x""#)).unwrap().processors,
            None
        );
        assert!(parse_sp_hardware("{}").is_err());
        assert!(parse_sp_hardware(r#"{"SPHardwareDataType":[]}"#).is_err());
    }

    #[test]
    fn mem_sizes() {
        assert_eq!(parse_mem_size("64 MB"), Some(64 << 20));
        assert_eq!(parse_mem_size("16 GB"), Some(16 << 30));
        assert_eq!(parse_mem_size("1e400 GB"), None);
        assert_eq!(parse_mem_size("-1 GB"), None);
        assert_eq!(parse_mem_size("GB"), None);
    }

    #[test]
    fn displays_vram_comma_and_vendor() {
        let t = r#"{"SPDisplaysDataType":[{"sppci_model":"Intel Iris","spdisplays_vram":"1,5 GB","sppci_vendor":"Intel"},{"_name":"x"}]}"#;
        let g = parse_sp_displays(t).unwrap();
        assert_eq!(g[0].vendor, "intel");
        assert_eq!(g[0].vram_bytes, Some(1_610_612_736));
        assert_eq!(g[0].vram_gb, Some(2));
        assert_eq!(g[1].vendor, "unknown");
    }

    #[test]
    fn ifconfig_blocks() {
        let t = "lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384\n\tinet 127.0.0.1 netmask 0xff000000\n\
                 en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\
                 \tether 3C:22:FB:01:02:03\n\tinet6 fe80::1%en0 prefixlen 64 secured scopeid 0x4\n\
                 \tinet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255\n\tstatus: active\n\
                 en1: flags=8822<BROADCAST,SMART,SIMPLEX,MULTICAST> mtu 1500\n\tstatus: inactive\n";
        let i = parse_ifconfig(t).unwrap();
        assert_eq!(i.len(), 2);
        assert_eq!(i[0].addresses, vec!["192.168.1.20/24", "fe80::1/64"]);
        assert_eq!(i[0].mac.as_deref(), Some("3c:22:fb:01:02:03"));
        assert_eq!(i[0].state.as_deref(), Some("up"));
        assert_eq!(i[0].mtu, Some(1500));
        assert_eq!(i[1].state.as_deref(), Some("down"));
        assert_eq!(parse_ifconfig("").unwrap(), vec![]);
        assert_eq!(netmask_prefix("255.255.0.0"), Some(16));
    }
}
