//! Assembles a [`Snapshot`] from framed sections: runs the parsers, records what every section did, and
//! turns missing or broken sections into nulls plus warnings.
//!
//! Pure: the clock and the source come in through [`Context`]. The only fatal error is not knowing which OS
//! the host runs (the `uname` section is unusable or names an unknown kernel); everything else degrades.

use super::{gpu, linux, macos, Sections};
use crate::model::{
    Cpu, Hardware, Memory, NetworkInterface, OsFamily, OsInfo, SectionReport, SectionStatus,
    Snapshot, Source, SystemInfo, SCHEMA_VERSION,
};
use std::collections::BTreeMap;

/// What the caller knows that the host's output does not say.
#[derive(Debug, Clone)]
pub struct Context {
    /// Collection time, UTC, RFC 3339 with second precision (`2026-11-22T02:51:00Z`).
    pub collected_at: String,
    /// How the output was obtained.
    pub source: Source,
    /// `hwinv <version>`.
    pub generator: String,
}

/// Why no snapshot could be built at all.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// A section every snapshot needs is missing or failed.
    #[error("essential section '{section}' unusable: {reason}")]
    Essential {
        /// Section name.
        section: String,
        /// Why it could not be used.
        reason: String,
    },
    /// The host runs a kernel hwinv does not read (`uname -s` is neither Linux nor Darwin).
    #[error("unsupported operating system '{0}' (hwinv reads Linux and Darwin)")]
    UnsupportedOs(String),
}

/// Output of one section that ran but could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read {probe} output: {reason}")]
pub struct ParseError {
    /// The section/parser name (`cpuinfo`, `lsblk`).
    pub probe: &'static str,
    /// What was wrong, lowercase, no trailing period.
    pub reason: String,
}

impl ParseError {
    /// A parse error for `probe`.
    pub fn new(probe: &'static str, reason: impl Into<String>) -> ParseError {
        ParseError {
            probe,
            reason: reason.into(),
        }
    }
}

/// The `uname` section: `uname -s`, `-n`, `-r`, `-m` on four lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Uname {
    /// `Linux` or `Darwin`.
    pub kernel: String,
    /// Node name (may be a FQDN).
    pub nodename: String,
    /// Kernel release.
    pub release: String,
    /// Machine (`x86_64`, `arm64`, `aarch64`, `armv7l`).
    pub machine: String,
}

/// Parse the `uname` section.
///
/// ```text
/// Linux
/// pi4
/// 6.6.31+rpt-rpi-v8
/// aarch64
/// ```
pub fn parse_uname(text: &str) -> Result<Uname, ParseError> {
    let mut lines = text.lines().map(str::trim);
    let mut next = || lines.next().unwrap_or("").to_string();
    let u = Uname {
        kernel: next(),
        nodename: next(),
        release: next(),
        machine: next(),
    };
    if u.kernel.is_empty() {
        return Err(ParseError::new("uname", "empty output"));
    }
    Ok(u)
}

/// The Nix system double for an architecture and OS (`aarch64-darwin`, `x86_64-linux`).
pub fn nix_system(arch: &str, family: OsFamily) -> String {
    let cpu = match arch {
        "arm64" | "aarch64" => "aarch64",
        "x86_64" | "amd64" => "x86_64",
        "i386" | "i486" | "i586" | "i686" => "i686",
        other if other.starts_with("armv7") => "armv7l",
        other if other.starts_with("armv6") => "armv6l",
        other => other,
    };
    let os = match family {
        OsFamily::Linux => "linux",
        OsFamily::Macos => "darwin",
    };
    format!("{cpu}-{os}")
}

/// What a section's consumer loses when it is unusable, for the warning text.
fn consequence(section: &str) -> &'static str {
    match section {
        "os_release" => "os name and version unknown",
        "cpuinfo" => "cpu details unknown",
        "cpu_topology" => "core counts taken from /proc/cpuinfo",
        "meminfo" => "memory unknown",
        "memory_blocks" => "installed memory taken from MemTotal if available",
        "dmi" => "model, vendor and serial may be unknown",
        "lsblk" | "sp_storage" => "disks unknown",
        "ip_addr" => "addresses unknown",
        "net_sysfs" => "link speeds unknown",
        "nvidia_smi" => "gpus unknown",
        "hostname" => "hostname taken from uname -n",
        "sw_vers" => "os version taken from sysctl if available",
        "sysctl" => "cpu and memory details taken from system_profiler if available",
        "rosetta" => "rosetta translation unknown",
        "sp_hardware" => "model name and serial unknown",
        "sp_displays" => "gpus unknown",
        "ifconfig" => "network interfaces unknown",
        _ => "data missing",
    }
}

/// The tool a section runs, for "not installed" messages.
fn tool(section: &str) -> &str {
    match section {
        "nvidia_smi" => "nvidia-smi",
        "ip_addr" | "net_sysfs" => "ip",
        "hostname" => "scutil",
        "sp_hardware" | "sp_displays" | "sp_storage" => "system_profiler",
        other => other,
    }
}

/// First non-empty line of a text, for messages.
fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| l.chars().take(200).collect())
}

/// Builds reports and warnings while sections are read.
struct Recorder<'a> {
    sections: &'a Sections,
    reports: BTreeMap<String, SectionReport>,
    warnings: Vec<String>,
}

impl<'a> Recorder<'a> {
    /// Record how section `name` ran and return its stdout when it ran to completion (exit 0).
    fn take(&mut self, name: &str) -> Option<&'a str> {
        let Some(sec) = self.sections.get(name) else {
            self.report(
                name,
                SectionStatus::Skipped,
                None,
                "not collected".to_string(),
            );
            return None;
        };
        let stderr_line = first_line(&sec.stderr);
        let denied = sec.stderr.contains("Permission denied");
        if sec.timed_out {
            self.report(
                name,
                SectionStatus::TimedOut,
                sec.exit_code,
                "timed out".to_string(),
            );
            return None;
        }
        match sec.exit_code {
            Some(0) => {
                let status = if denied {
                    SectionStatus::PermissionDenied
                } else {
                    SectionStatus::Ok
                };
                let message = denied.then(|| stderr_line.clone().unwrap_or_default());
                self.reports.insert(
                    name.to_string(),
                    SectionReport {
                        status,
                        exit_code: Some(0),
                        message: message.clone(),
                    },
                );
                if let Some(m) = message {
                    self.warnings.push(format!(
                        "{name}: partly unreadable ({m}); {}",
                        consequence(name)
                    ));
                }
                Some(sec.stdout.as_str())
            }
            Some(127) => {
                self.report(
                    name,
                    SectionStatus::Missing,
                    Some(127),
                    format!("{} not installed", tool(name)),
                );
                None
            }
            Some(126) => {
                let m = stderr_line.unwrap_or_else(|| "permission denied".to_string());
                self.report(name, SectionStatus::PermissionDenied, Some(126), m);
                None
            }
            code => {
                let status = if denied {
                    SectionStatus::PermissionDenied
                } else {
                    SectionStatus::Failed
                };
                let what = code.map_or_else(
                    || "failed".to_string(),
                    |c| format!("failed with exit status {c}"),
                );
                let m = match stderr_line {
                    Some(l) => format!("{what}: {l}"),
                    None => what,
                };
                self.report(name, status, code, m);
                None
            }
        }
    }

    fn report(
        &mut self,
        name: &str,
        status: SectionStatus,
        exit_code: Option<i32>,
        message: String,
    ) {
        self.warnings
            .push(format!("{name}: {message}; {}", consequence(name)));
        self.reports.insert(
            name.to_string(),
            SectionReport {
                status,
                exit_code,
                message: Some(message),
            },
        );
    }

    /// Run `parse` over section `name`; a parse failure marks the section failed and warns.
    fn parse<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, ParseError>,
    ) -> Option<T> {
        let text = self.take(name)?;
        match parse(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let exit_code = self.sections.get(name).and_then(|s| s.exit_code);
                self.report(name, SectionStatus::Failed, exit_code, e.to_string());
                None
            }
        }
    }
}

/// Build a snapshot from framed sections.
///
/// The OS comes from the first line of the `uname` section (falling back to the header's kernel name).
/// Missing tools, failed, denied or timed-out sections, and output that cannot be parsed give nulls or empty
/// lists plus an entry in `sections` and a warning. GPUs are `null` (unknown) when `nvidia-smi` is missing
/// on Linux: "no NVIDIA tool" does not prove "no GPU".
pub fn collect(sections: &Sections, ctx: &Context) -> Result<Snapshot, CollectError> {
    let mut rec = Recorder {
        sections,
        reports: BTreeMap::new(),
        warnings: Vec::new(),
    };
    let uname = match rec.take("uname").map(parse_uname) {
        Some(Ok(u)) => u,
        Some(Err(e)) => {
            return Err(CollectError::Essential {
                section: "uname".into(),
                reason: e.reason,
            })
        }
        None => {
            let reason = rec
                .reports
                .get("uname")
                .and_then(|r| r.message.clone())
                .unwrap_or_default();
            return Err(CollectError::Essential {
                section: "uname".into(),
                reason,
            });
        }
    };
    let kernel = if uname.kernel.is_empty() {
        sections.kernel.trim().to_string()
    } else {
        uname.kernel.clone()
    };
    let mut snap = match kernel.as_str() {
        "Linux" => collect_linux(&mut rec, &uname, ctx),
        "Darwin" => collect_macos(&mut rec, &uname, ctx),
        other => return Err(CollectError::UnsupportedOs(other.to_string())),
    };
    let hostname = snap.system_info.hostname.clone();
    if hostname.is_empty() {
        return Err(CollectError::Essential {
            section: "uname".into(),
            reason: "no host name".into(),
        });
    }
    rec.warnings.sort();
    rec.warnings.dedup();
    snap.sections = rec.reports;
    snap.warnings = rec.warnings;
    sanitize(&mut snap);
    snap.services = super::services::collect_services(sections);
    Ok(snap)
}

/// Host name up to the first dot.
/// `uname -n` up to the first dot. A name whose first label is empty (`../../etc`) is kept whole, so
/// the store refuses it by name instead of it turning into an empty host name.
fn short_host(n: &str) -> String {
    let n = n.trim();
    match n.split('.').next() {
        Some(first) if !first.is_empty() => first.to_string(),
        _ => n.to_string(),
    }
}

fn base(ctx: &Context, system_info: SystemInfo, os: OsInfo, hardware: Hardware) -> Snapshot {
    Snapshot {
        schema_version: SCHEMA_VERSION,
        collected_at: ctx.collected_at.clone(),
        generator: ctx.generator.clone(),
        source: ctx.source.clone(),
        system_info,
        os,
        hardware,
        disks: Vec::new(),
        network_interfaces: Vec::new(),
        gpus: None,
        sections: BTreeMap::new(),
        warnings: Vec::new(),
        services: None,
    }
}

fn memory_gb(bytes: u64) -> u64 {
    gpu::round_gib(bytes)
}

fn collect_linux(rec: &mut Recorder<'_>, uname: &Uname, ctx: &Context) -> Snapshot {
    let os_release = rec.parse("os_release", linux::parse_os_release);
    let cpuinfo = rec.parse("cpuinfo", linux::parse_cpuinfo);
    let topology = rec
        .parse("cpu_topology", linux::parse_cpu_topology)
        .flatten();
    let meminfo = rec.parse("meminfo", linux::parse_meminfo);
    let blocks = rec
        .parse("memory_blocks", linux::parse_memory_blocks)
        .flatten();
    let dmi = rec.parse("dmi", linux::parse_dmi).unwrap_or_default();
    let disks = rec.parse("lsblk", linux::parse_lsblk);
    let ifaces = rec.parse("ip_addr", linux::parse_ip_addr);
    let sysfs = rec.parse("net_sysfs", linux::parse_net_sysfs);
    let gpus = rec.parse("nvidia_smi", gpu::parse_nvidia_smi_xml);

    let ci = cpuinfo.clone().unwrap_or_default();
    let (logical, physical, sockets, perf, eff) = match &topology {
        Some(t) => (
            t.logical_cpus,
            t.physical_cores,
            t.sockets,
            t.performance_cores.or(ci.performance_cores),
            t.efficiency_cores.or(ci.efficiency_cores),
        ),
        None => (
            ci.logical_cpus,
            ci.physical_cores,
            ci.sockets,
            ci.performance_cores,
            ci.efficiency_cores,
        ),
    };
    let brand = ci.brand.clone().unwrap_or_else(|| "unknown".to_string());
    let usable = meminfo.as_ref().map(|m| m.total_bytes);
    let total = match (blocks, usable) {
        (Some(b), Some(u)) if b >= u && b <= u.saturating_mul(2) => b,
        (_, Some(u)) => u,
        (Some(b), None) => b,
        (None, None) => 0,
    };
    let cpu = Cpu {
        brand: brand.clone(),
        vendor: ci.vendor.clone(),
        physical_cores: physical,
        logical_cpus: logical,
        sockets: sockets.max(1),
        performance_cores: perf,
        efficiency_cores: eff,
        perf_levels: Vec::new(),
        translated: false,
    };
    let hardware = Hardware {
        cpu_type: brand,
        cpu_cores: physical,
        memory_gb: memory_gb(total),
        cpu,
        memory: Memory {
            total_bytes: total,
            usable_bytes: usable,
            swap_bytes: meminfo.as_ref().and_then(|m| m.swap_bytes),
        },
    };
    let system_info = SystemInfo {
        hostname: short_host(&uname.nodename),
        model: dmi
            .product_name
            .clone()
            .or(dmi.device_tree_model.clone())
            .or(ci.board_model.clone()),
        model_name: None,
        vendor: dmi.sys_vendor.clone().or(dmi.board_vendor.clone()),
        serial_number: dmi
            .product_serial
            .clone()
            .or(dmi.device_tree_serial.clone())
            .or(ci.board_serial.clone()),
        architecture: uname.machine.clone(),
        nix_system: nix_system(&uname.machine, OsFamily::Linux),
    };
    let os = OsInfo {
        family: OsFamily::Linux,
        id: os_release.as_ref().and_then(|o| o.id.clone()),
        name: os_release
            .as_ref()
            .and_then(|o| o.pretty_name.clone().or(o.name.clone())),
        version: os_release.as_ref().and_then(|o| o.version_id.clone()),
        build: os_release.as_ref().and_then(|o| o.build_id.clone()),
        kernel: Some(uname.release.clone()).filter(|r| !r.is_empty()),
    };
    let mut snap = base(ctx, system_info, os, hardware);
    snap.disks = disks.unwrap_or_default();
    let mut ifaces: Vec<NetworkInterface> = ifaces.unwrap_or_default();
    if let Some(s) = &sysfs {
        linux::merge_net_sysfs(&mut ifaces, s);
    }
    snap.network_interfaces = ifaces;
    snap.gpus = gpus;
    snap
}

fn collect_macos(rec: &mut Recorder<'_>, uname: &Uname, ctx: &Context) -> Snapshot {
    let local_name = rec
        .take("hostname")
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty());
    let sw = rec.parse("sw_vers", macos::parse_sw_vers);
    let sysctl = rec
        .parse("sysctl", macos::parse_sysctl)
        .map(|m| macos::SysctlFacts::from_map(&m));
    let translated = rec.take("rosetta").is_some_and(|t| t.trim() == "1");
    // On Intel Macs `sysctl.proc_translated` does not exist: the section fails, which is not news.
    if let Some(r) = rec.reports.get_mut("rosetta") {
        if r.status == SectionStatus::Failed {
            let msg = format!(
                "rosetta: {}; {}",
                r.message.clone().unwrap_or_default(),
                consequence("rosetta")
            );
            rec.warnings.retain(|w| *w != msg);
        }
    }
    let sp = rec.parse("sp_hardware", macos::parse_sp_hardware);
    let gpus = rec.parse("sp_displays", macos::parse_sp_displays);
    let disks = rec.parse("sp_storage", macos::parse_sp_storage);
    let ifaces = rec.parse("ifconfig", macos::parse_ifconfig);

    let sc = sysctl.unwrap_or_default();
    let spx = sp.unwrap_or_default();
    let arm64 = sc.arm64 || matches!(uname.machine.as_str(), "arm64" | "aarch64");
    let architecture = if arm64 {
        "arm64".to_string()
    } else {
        uname.machine.clone()
    };
    let brand = sc
        .brand
        .clone()
        .filter(|b| !b.contains("VirtualApple"))
        .or(spx.chip_type.clone())
        .or(spx.cpu_type.clone())
        .or(sc.brand.clone())
        .unwrap_or_else(|| "unknown".to_string());
    let proc_total = spx.processors.as_ref().map(|p| p.total);
    let physical = sc.physical_cores.or(proc_total).unwrap_or(0);
    // Without sysctl, an Intel Mac with Hyper-Threading on runs two logical CPUs per core.
    let smt = if spx.hyper_threading == Some(true) {
        2
    } else {
        1
    };
    let logical = sc.logical_cpus.unwrap_or(physical.saturating_mul(smt));
    let (mut perf, mut eff) = macos::split_perf_levels(&sc.perf_levels);
    if sc.perf_levels.is_empty() {
        if let Some(p) = &spx.processors {
            (perf, eff) = (p.performance, p.efficiency);
        }
    }
    let vendor = sc.vendor.clone().or_else(|| {
        if arm64 || brand.starts_with("Apple") {
            Some("Apple".to_string())
        } else if brand.contains("Intel") {
            Some("GenuineIntel".to_string())
        } else {
            None
        }
    });
    let total = sc.memsize.or(spx.memory_bytes).unwrap_or(0);
    let cpu = Cpu {
        brand: brand.clone(),
        vendor,
        physical_cores: physical,
        logical_cpus: logical,
        sockets: sc.sockets.or(spx.packages).unwrap_or(1).max(1),
        performance_cores: perf,
        efficiency_cores: eff,
        perf_levels: sc.perf_levels.clone(),
        translated,
    };
    let hardware = Hardware {
        cpu_type: brand,
        cpu_cores: physical,
        memory_gb: memory_gb(total),
        cpu,
        memory: Memory {
            total_bytes: total,
            usable_bytes: sc.memsize_usable,
            swap_bytes: None,
        },
    };
    let system_info = SystemInfo {
        hostname: local_name.unwrap_or_else(|| short_host(&uname.nodename)),
        model: sc.model.clone().or(spx.machine_model.clone()),
        model_name: spx.machine_name.clone(),
        vendor: Some("Apple Inc.".to_string()),
        serial_number: spx.serial_number.clone(),
        nix_system: nix_system(&architecture, OsFamily::Macos),
        architecture,
    };
    let sw = sw.unwrap_or_default();
    let os = OsInfo {
        family: OsFamily::Macos,
        id: Some("macos".to_string()),
        name: sw
            .product_name
            .clone()
            .or_else(|| Some("macOS".to_string())),
        version: sw.product_version.clone().or(sc.os_product_version.clone()),
        build: sw.build_version.clone().or(sc.os_build.clone()),
        kernel: Some(uname.release.clone())
            .filter(|r| !r.is_empty())
            .or(sc.os_release.clone()),
    };
    let mut snap = base(ctx, system_info, os, hardware);
    snap.disks = disks.unwrap_or_default();
    snap.network_interfaces = ifaces.unwrap_or_default();
    snap.gpus = gpus;
    snap
}

/// Remove control characters (NUL and other C0, DEL) and trim surrounding whitespace.
fn clean(s: &mut String) {
    if s.chars().any(|c| c.is_control()) || s.trim() != s {
        *s = s
            .chars()
            .filter(|c| !c.is_control())
            .collect::<String>()
            .trim()
            .to_string();
    }
}

fn clean_opt(s: &mut Option<String>) {
    if let Some(v) = s {
        clean(v);
        if v.is_empty() {
            *s = None;
        }
    }
}

/// Apply [`clean`] to every string a host supplied.
fn sanitize(snap: &mut Snapshot) {
    let si = &mut snap.system_info;
    for s in [&mut si.hostname, &mut si.architecture, &mut si.nix_system] {
        clean(s);
    }
    for s in [
        &mut si.model,
        &mut si.model_name,
        &mut si.vendor,
        &mut si.serial_number,
    ] {
        clean_opt(s);
    }
    let os = &mut snap.os;
    for s in [
        &mut os.id,
        &mut os.name,
        &mut os.version,
        &mut os.build,
        &mut os.kernel,
    ] {
        clean_opt(s);
    }
    let hw = &mut snap.hardware;
    hw.cpu_type = linux::normalize_ws(&hw.cpu_type);
    clean(&mut hw.cpu_type);
    hw.cpu.brand.clone_from(&hw.cpu_type);
    clean_opt(&mut hw.cpu.vendor);
    for l in &mut hw.cpu.perf_levels {
        clean(&mut l.name);
    }
    for d in &mut snap.disks {
        clean(&mut d.name);
        for s in [&mut d.model, &mut d.serial, &mut d.transport] {
            clean_opt(s);
        }
    }
    for i in &mut snap.network_interfaces {
        clean(&mut i.name);
        clean_opt(&mut i.mac);
        clean_opt(&mut i.state);
        for a in &mut i.addresses {
            clean(a);
        }
    }
    for g in snap.gpus.iter_mut().flatten() {
        clean(&mut g.name);
        clean(&mut g.vendor);
        for s in [
            &mut g.driver_version,
            &mut g.cuda_version,
            &mut g.uuid,
            &mut g.pci_bus_id,
            &mut g.mig_mode,
        ] {
            clean_opt(s);
        }
    }
    for w in &mut snap.warnings {
        clean(w);
    }
    for r in snap.sections.values_mut() {
        clean_opt(&mut r.message);
    }
    snap.disks.sort_by(|a, b| a.name.cmp(&b.name));
    snap.network_interfaces.sort_by(|a, b| a.name.cmp(&b.name));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Section;

    fn ctx() -> Context {
        Context {
            collected_at: "2026-01-01T00:00:00Z".into(),
            source: Source {
                transport: "replay".into(),
                target: None,
            },
            generator: "hwinv test".into(),
        }
    }

    fn sec(out: &str, code: i32) -> Section {
        Section {
            stdout: out.into(),
            stderr: String::new(),
            exit_code: Some(code),
            timed_out: false,
        }
    }

    #[test]
    fn uname_is_essential() {
        let s = Sections::default();
        assert!(collect(&s, &ctx()).is_err());
        let mut s = Sections::default();
        s.map.insert("uname".into(), sec("Plan9\nx\n1\nmips\n", 0));
        assert!(matches!(
            collect(&s, &ctx()),
            Err(CollectError::UnsupportedOs(_))
        ));
    }

    #[test]
    fn minimal_linux_degrades_with_warnings() {
        let mut s = Sections::default();
        s.map.insert(
            "uname".into(),
            sec("Linux\nbox.example.org\n6.1\nx86_64\n", 0),
        );
        s.map.insert("nvidia_smi".into(), sec("", 127));
        s.map.insert("cpuinfo".into(), sec("garbage", 0));
        s.map
            .insert("meminfo".into(), sec("MemTotal: 1048576 kB\n\u{0}", 0));
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.system_info.hostname, "box");
        assert_eq!(snap.system_info.nix_system, "x86_64-linux");
        assert_eq!(snap.hardware.memory_gb, 1);
        assert_eq!(snap.gpus, None);
        assert_eq!(snap.sections["nvidia_smi"].status, SectionStatus::Missing);
        assert_eq!(snap.sections["cpuinfo"].status, SectionStatus::Failed);
        assert_eq!(snap.sections["lsblk"].status, SectionStatus::Skipped);
        assert!(snap
            .warnings
            .iter()
            .any(|w| w == "nvidia_smi: nvidia-smi not installed; gpus unknown"));
        let mut sorted = snap.warnings.clone();
        sorted.sort();
        assert_eq!(sorted, snap.warnings);
    }

    #[test]
    fn denied_timed_out_and_topology_override() {
        let mut s = Sections::default();
        s.map
            .insert("uname".into(), sec("Linux\nh\n6.1\naarch64\n", 0));
        let mut dmi = sec("/proc/device-tree/model:Board \u{0}X\n", 0);
        dmi.stderr = "/sys/class/dmi/id/product_serial: Permission denied\n".into();
        s.map.insert("dmi".into(), dmi);
        let mut lsblk = sec("", 124);
        lsblk.timed_out = true;
        s.map.insert("lsblk".into(), lsblk);
        s.map
            .insert("cpuinfo".into(), sec("processor : 0\nprocessor : 1\n", 0));
        let topo = "/sys/devices/system/cpu/cpu0/topology/core_id:0\n/sys/devices/system/cpu/cpu1/topology/core_id:0\n";
        s.map.insert("cpu_topology".into(), sec(topo, 0));
        s.map
            .insert("meminfo".into(), sec("MemTotal: 1000 kB\n", 0));
        let blocks = "/sys/devices/system/memory/block_size_bytes:400\n/sys/devices/system/memory/memory0/online:1\n";
        s.map.insert("memory_blocks".into(), sec(blocks, 0));
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.sections["dmi"].status, SectionStatus::PermissionDenied);
        assert_eq!(snap.system_info.model.as_deref(), Some("Board X"));
        assert_eq!(snap.sections["lsblk"].status, SectionStatus::TimedOut);
        assert_eq!(
            (snap.hardware.cpu.logical_cpus, snap.hardware.cpu_cores),
            (2, 1)
        );
        assert_eq!(snap.hardware.memory.total_bytes, 1024 * 1000);
        assert_eq!(snap.system_info.nix_system, "aarch64-linux");
    }

    #[test]
    fn nix_systems() {
        assert_eq!(nix_system("arm64", OsFamily::Macos), "aarch64-darwin");
        assert_eq!(nix_system("armv7l", OsFamily::Linux), "armv7l-linux");
        assert_eq!(nix_system("i686", OsFamily::Linux), "i686-linux");
        assert_eq!(parse_uname("").map_err(|e| e.probe), Err("uname"));
    }
}
