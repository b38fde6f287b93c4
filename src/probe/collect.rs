//! Assembles a [`Snapshot`] from framed sections: walks the [`SECTIONS`] table, records what every section
//! did, and turns missing or broken sections into nulls plus warnings.
//!
//! Pure: the clock and the source come in through [`Context`]. The only fatal error is not knowing which OS
//! the host runs (the `uname` section is unusable or names an unknown kernel); everything else degrades.

use super::linux::net;
use super::macos::sysctl;
use super::sections::{Facts, Scope, SectionSpec, SECTIONS};
#[cfg(test)]
use super::uname::parse_uname;
use super::uname::{nix_system, Uname};
use super::Sections;
use crate::model::units::round_gib;
use crate::model::{
    Cpu, Gpu, Hardware, Memory, NetworkInterface, OsFamily, OsInfo, SectionReport, SectionStatus,
    Services, Snapshot, Source, SystemInfo, SCHEMA_VERSION,
};
use crate::text::{first_line, normalize_ws, strip_control_in_place, strip_control_opt};
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

/// Records how every section ran: reports (host and services apart) and warnings, each warning kept
/// under its section so a later, better source can withdraw it.
struct Recorder<'a> {
    sections: &'a Sections,
    reports: BTreeMap<String, SectionReport>,
    service_reports: BTreeMap<String, SectionReport>,
    warnings: BTreeMap<&'static str, Vec<String>>,
}

impl<'a> Recorder<'a> {
    fn new(sections: &'a Sections) -> Self {
        Recorder {
            sections,
            reports: BTreeMap::new(),
            service_reports: BTreeMap::new(),
            warnings: BTreeMap::new(),
        }
    }

    /// Record section `spec` and fold its output into `facts` when it ran to completion and parses.
    fn fold(&mut self, spec: &SectionSpec, facts: &mut Facts) {
        if let Some(text) = self.take(spec) {
            if let Err(e) = (spec.fold)(text, facts) {
                let exit_code = self.sections.get(spec.name).and_then(|s| s.exit_code);
                self.report(spec, SectionStatus::Failed, exit_code, Some(e.to_string()));
            }
        }
    }

    /// Record how `spec` ran and return its stdout when it ran to completion (exit 0).
    fn take(&mut self, spec: &SectionSpec) -> Option<&'a str> {
        let Some(sec) = self.sections.get(spec.name) else {
            // Expected but absent: the script did not frame it. Sections this run never asked for
            // (another OS, a capture that predates the section, hwinv's own sources) are not news.
            if self.sections.expected(spec) {
                let m = Some("not collected".to_string());
                self.report(spec, SectionStatus::Skipped, None, m);
            }
            return None;
        };
        let stderr_line = first_line(&sec.stderr);
        if sec.timed_out {
            let m = Some("timed out".to_string());
            self.report(spec, SectionStatus::TimedOut, sec.exit_code, m);
            return None;
        }
        // Services: a tool's refusal is its answer, not a permission problem of the probe.
        let denied = spec.scope == Scope::Host && sec.stderr.contains("Permission denied");
        match sec.exit_code {
            Some(0) if denied => {
                let m = stderr_line.unwrap_or_default();
                self.report(
                    spec,
                    SectionStatus::PermissionDenied,
                    Some(0),
                    Some(m.clone()),
                );
                self.warn(
                    spec,
                    format!("{}: partly unreadable ({m}); {}", spec.name, spec.loses),
                );
                Some(sec.stdout.as_str())
            }
            Some(0) => {
                self.report(spec, SectionStatus::Ok, Some(0), None);
                Some(sec.stdout.as_str())
            }
            Some(127) => {
                let m = match spec.scope {
                    Scope::Host => format!("{} not installed", spec.tool),
                    Scope::Services => stderr_line.unwrap_or_else(|| "not installed".into()),
                };
                self.report(spec, SectionStatus::Missing, Some(127), Some(m));
                None
            }
            Some(126) if spec.scope == Scope::Host => {
                let m = stderr_line.unwrap_or_else(|| "permission denied".to_string());
                self.report(spec, SectionStatus::PermissionDenied, Some(126), Some(m));
                None
            }
            Some(code) if spec.partial_ok && !sec.stdout.trim().is_empty() => {
                let what = format!("exit status {code}");
                let m = match stderr_summary(&sec.stderr) {
                    Some(l) => format!("{what}: {l}"),
                    None => what,
                };
                self.report(spec, SectionStatus::Partial, Some(code), Some(m.clone()));
                self.warn(
                    spec,
                    format!("{}: partial output ({m}); the rest was read", spec.name),
                );
                Some(sec.stdout.as_str())
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
                self.report(spec, status, code, Some(m));
                None
            }
        }
    }

    /// Set the report of `spec`; a host section that is not usable also warns, saying what is lost.
    fn report(
        &mut self,
        spec: &SectionSpec,
        status: SectionStatus,
        exit_code: Option<i32>,
        message: Option<String>,
    ) {
        let usable = matches!(status, SectionStatus::Ok | SectionStatus::Partial)
            || (status == SectionStatus::PermissionDenied && exit_code == Some(0));
        if spec.scope == Scope::Host && !usable {
            let expected = status == SectionStatus::Failed && !spec.warn_on_failure;
            if !expected {
                let m = message.clone().unwrap_or_default();
                self.warn(spec, format!("{}: {m}; {}", spec.name, spec.loses));
            }
        }
        let report = SectionReport {
            status,
            exit_code,
            message,
        };
        let reports = match spec.scope {
            Scope::Host => &mut self.reports,
            Scope::Services => &mut self.service_reports,
        };
        reports.insert(spec.name.to_string(), report);
    }

    fn warn(&mut self, spec: &SectionSpec, warning: String) {
        self.warn_as(spec.name, warning);
    }

    /// A warning about a fact rather than one section (kept under `key`).
    fn warn_as(&mut self, key: &'static str, warning: String) {
        self.warnings.entry(key).or_default().push(warning);
    }

    /// Withdraw the warnings of a section whose facts another source supplied.
    fn unwarn(&mut self, name: &str) {
        self.warnings.remove(name);
    }

    fn message(&self, name: &str) -> String {
        self.reports
            .get(name)
            .and_then(|r| r.message.clone())
            .unwrap_or_default()
    }
}

/// The distinct non-empty lines of a section's stderr, joined with `; ` (at most five, each cut to 200
/// characters), so a warning names every OID `sysctl` did not know.
fn stderr_summary(stderr: &str) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut more = 0usize;
    for l in stderr.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let l: String = l.chars().take(200).collect();
        if lines.contains(&l) {
            continue;
        }
        if lines.len() < 5 {
            lines.push(l);
        } else {
            more = more.saturating_add(1);
        }
    }
    if lines.is_empty() {
        return None;
    }
    let mut out = lines.join("; ");
    if more > 0 {
        out.push_str(&format!("; and {more} more"));
    }
    Some(out)
}

/// Build a snapshot from framed sections.
///
/// The OS comes from the first line of the `uname` section (falling back to the header's kernel name).
/// Missing tools, failed, denied or timed-out sections, and output that cannot be parsed give nulls or empty
/// lists plus an entry in `sections` and a warning. GPUs are `null` (unknown) when `nvidia-smi` is missing
/// on Linux: "no NVIDIA tool" does not prove "no GPU".
pub fn collect(sections: &Sections, ctx: &Context) -> Result<Snapshot, CollectError> {
    let mut rec = Recorder::new(sections);
    let mut facts = Facts::default();
    let (uname_spec, rest) = SECTIONS
        .split_first()
        .ok_or_else(|| CollectError::UnsupportedOs(String::new()))?;
    rec.fold(uname_spec, &mut facts);
    let Some(uname) = facts.uname.clone() else {
        return Err(CollectError::Essential {
            section: "uname".into(),
            reason: rec.message("uname"),
        });
    };
    let kernel = if uname.kernel.is_empty() {
        sections.kernel.trim().to_string()
    } else {
        uname.kernel.clone()
    };
    let family = match kernel.as_str() {
        "Linux" => OsFamily::Linux,
        "Darwin" => OsFamily::Macos,
        other => return Err(CollectError::UnsupportedOs(other.to_string())),
    };
    for spec in rest.iter().filter(|s| s.os.map_or(true, |os| os == family)) {
        rec.fold(spec, &mut facts);
    }
    let services = services(&mut facts, &rec);
    let mut snap = match family {
        OsFamily::Linux => assemble_linux(facts, &mut rec, &uname, ctx),
        OsFamily::Macos => assemble_macos(facts, &mut rec, &uname, ctx),
    };
    if snap.system_info.hostname.is_empty() {
        return Err(CollectError::Essential {
            section: "uname".into(),
            reason: "no host name".into(),
        });
    }
    let mut warnings: Vec<String> = rec.warnings.into_values().flatten().collect();
    warnings.sort();
    warnings.dedup();
    snap.sections = rec.reports;
    snap.warnings = warnings;
    sanitize(&mut snap);
    snap.services = services;
    Ok(snap)
}

/// What the service sections said; `None` when none of them was collected (older captures, section
/// selections without them).
fn services(facts: &mut Facts, rec: &Recorder<'_>) -> Option<Services> {
    if rec.service_reports.is_empty() {
        return None;
    }
    let mut services = Services {
        sections: rec.service_reports.clone(),
        ..Services::default()
    };
    if let Some(p) = facts.http.take() {
        services.http = Some(p.services);
        services.llm = p.llm;
    }
    services.systemd_units = facts.systemd.take();
    services.containers = facts.docker.take();
    Some(services)
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
        firmware: None,
        platform: None,
    }
}

fn memory_gb(bytes: u64) -> u64 {
    round_gib(bytes)
}

fn assemble_linux(f: Facts, rec: &mut Recorder<'_>, uname: &Uname, ctx: &Context) -> Snapshot {
    let os_release = f.os_release;
    let cpuinfo = f.cpuinfo;
    let topology = f.cpu_topology;
    let meminfo = f.meminfo;
    let blocks = f.memory_blocks;
    let dmi = f.dmi.unwrap_or_default();
    let disks = f.disks;
    let ifaces = f.interfaces;
    let sysfs = f.net_sysfs;
    // NVML, where hwinv could ask it, is the stable interface: its GPUs replace nvidia-smi's and make
    // nvidia-smi's absence or failure no news. No NVIDIA tool at all leaves the GPUs unknown, not none.
    // When the XML is unusable the CSV query (asked only then) stands in for it, without CUDA version.
    let gpus = match f.nvml.filter(|g| !g.is_empty()) {
        Some(g) => {
            rec.unwarn("nvidia_smi");
            rec.unwarn("nvidia_smi_csv");
            Some(g)
        }
        None => match (f.nvidia_smi, f.nvidia_smi_csv) {
            (Some(g), _) => Some(g),
            (None, Some(g)) => {
                let why = rec.message("nvidia_smi");
                rec.unwarn("nvidia_smi");
                rec.warn_as(
                    "nvidia_smi",
                    format!(
                        "nvidia_smi: {why}; gpus read from nvidia-smi --query-gpu instead (cuda version unknown)"
                    ),
                );
                Some(g)
            }
            (None, None) => None,
        },
    };
    let gpus = merge_drm(gpus, f.drm, rec);

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
        layout: topology.as_ref().map(|t| t.layout.clone()),
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
    if uname.machine.trim().is_empty() {
        rec.warn_as(
            "architecture",
            "architecture unknown (uname -m printed nothing); nix_system left empty".to_string(),
        );
    }
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
        reported_hostname: None,
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
        net::merge_net_sysfs(&mut ifaces, s);
    }
    snap.network_interfaces = ifaces;
    snap.gpus = gpus;
    snap.firmware = f.firmware;
    snap.platform = crate::probe::linux::platform::assemble(
        crate::probe::linux::platform::Parts {
            cpu_flags: f.cpu_flags,
            devices: f.devices,
            drivers: f.drivers,
            mounts: f.mounts,
            disk_links: f.disk_links,
            swaps: f.swaps,
            dm: f.dm,
            virt: f.virt,
        },
        &dmi,
    );
    snap
}

/// GPUs from NVIDIA's tools and from DRM sysfs together. NVML/nvidia-smi stay authoritative for NVIDIA
/// cards (DRM's NVIDIA entries are dropped when they answered). DRM finding no card is "known: none"
/// only when no NVIDIA tool is in doubt: nvidia-smi absent (missing, or not in this run) is no doubt,
/// nvidia-smi failing is (a driver is installed), so that stays unknown.
fn merge_drm(
    nvidia: Option<Vec<Gpu>>,
    drm: Option<Vec<Gpu>>,
    rec: &mut Recorder<'_>,
) -> Option<Vec<Gpu>> {
    let Some(drm) = drm else {
        return nvidia;
    };
    let others = drm.iter().filter(|g| g.vendor != "nvidia").cloned();
    match nvidia {
        Some(mut nv) => {
            nv.extend(others);
            Some(nv)
        }
        None => {
            let nvidia_status = rec.reports.get("nvidia_smi").map(|r| r.status);
            let in_doubt = !matches!(
                nvidia_status,
                None | Some(SectionStatus::Missing | SectionStatus::Skipped)
            );
            if drm.is_empty() && in_doubt {
                return None;
            }
            // nvidia-smi's absence told nothing DRM did not: no "gpus unknown" unless DRM saw an NVIDIA
            // card that only nvidia-smi could size.
            if !in_doubt && !drm.iter().any(|g| g.vendor == "nvidia") {
                rec.unwarn("nvidia_smi");
            }
            Some(drm)
        }
    }
}

fn assemble_macos(f: Facts, rec: &mut Recorder<'_>, uname: &Uname, ctx: &Context) -> Snapshot {
    let local_name = f.local_host_name;
    let sw = f.sw_vers;
    let sysctl = f.sysctl;
    let translated = f.rosetta.unwrap_or(false);
    let sp = f.sp_hardware;
    let gpus = f.sp_displays;
    let disks = f.disks;
    let ifaces = f.interfaces;

    let sc = sysctl.unwrap_or_default();
    let spx = sp.unwrap_or_default();
    // Under Rosetta 2 `uname -m` says x86_64; `hw.optional.arm64` (when sysctl printed it) or the
    // translation flag tell the truth.
    let arm64 = sc.arm64 || translated || matches!(uname.machine.as_str(), "arm64" | "aarch64");
    let architecture = if arm64 {
        "arm64".to_string()
    } else {
        uname.machine.clone()
    };
    if architecture.is_empty() {
        rec.warn_as(
            "architecture",
            "architecture unknown (uname -m printed nothing and sysctl did not say); nix_system left empty"
                .to_string(),
        );
    }
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
    let (mut perf, mut eff) = sysctl::split_perf_levels(&sc.perf_levels);
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
    if total == 0 {
        rec.warn_as(
            "memory",
            "memory unknown (neither sysctl hw.memsize nor system_profiler said)".to_string(),
        );
    }
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
        layout: None,
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
        reported_hostname: None,
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

/// Strip control characters from every string a host supplied.
fn sanitize(snap: &mut Snapshot) {
    let si = &mut snap.system_info;
    for s in [&mut si.hostname, &mut si.architecture, &mut si.nix_system] {
        strip_control_in_place(s);
    }
    for s in [
        &mut si.model,
        &mut si.model_name,
        &mut si.vendor,
        &mut si.serial_number,
    ] {
        strip_control_opt(s);
    }
    let os = &mut snap.os;
    for s in [
        &mut os.id,
        &mut os.name,
        &mut os.version,
        &mut os.build,
        &mut os.kernel,
    ] {
        strip_control_opt(s);
    }
    let hw = &mut snap.hardware;
    hw.cpu_type = normalize_ws(&hw.cpu_type);
    strip_control_in_place(&mut hw.cpu_type);
    hw.cpu.brand.clone_from(&hw.cpu_type);
    strip_control_opt(&mut hw.cpu.vendor);
    for l in &mut hw.cpu.perf_levels {
        strip_control_in_place(&mut l.name);
    }
    for d in &mut snap.disks {
        strip_control_in_place(&mut d.name);
        for s in [&mut d.model, &mut d.serial, &mut d.transport] {
            strip_control_opt(s);
        }
    }
    for i in &mut snap.network_interfaces {
        strip_control_in_place(&mut i.name);
        strip_control_opt(&mut i.mac);
        strip_control_opt(&mut i.state);
        for a in &mut i.addresses {
            strip_control_in_place(a);
        }
    }
    for g in snap.gpus.iter_mut().flatten() {
        strip_control_in_place(&mut g.name);
        strip_control_in_place(&mut g.vendor);
        for s in [
            &mut g.driver_version,
            &mut g.cuda_version,
            &mut g.uuid,
            &mut g.pci_bus_id,
            &mut g.mig_mode,
            &mut g.driver,
        ] {
            strip_control_opt(s);
        }
    }
    for w in &mut snap.warnings {
        strip_control_in_place(w);
    }
    for r in snap.sections.values_mut() {
        strip_control_opt(&mut r.message);
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
                ..Default::default()
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

    #[test]
    fn service_sections_map_to_reports() {
        let mut s = Sections::default();
        s.map
            .insert("uname".into(), sec("Linux\nh\n6.1\nx86_64\n", 0));
        assert_eq!(collect(&s, &ctx()).unwrap().services, None);
        s.map.insert(
            "systemd".into(),
            Section {
                stdout: String::new(),
                stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\n".into(),
                exit_code: Some(1),
                timed_out: false,
            },
        );
        s.map.insert(
            "docker".into(),
            Section {
                stderr: "docker: command not found\n".into(),
                exit_code: Some(127),
                ..Section::default()
            },
        );
        let got = collect(&s, &ctx()).unwrap().services.unwrap();
        assert_eq!(got.systemd_units, None);
        assert_eq!(got.sections["systemd"].status, SectionStatus::Failed);
        assert_eq!(got.sections["docker"].status, SectionStatus::Missing);
        assert!(got.http.is_none() && !got.sections.contains_key("services"));
    }
    #[test]
    fn partial_sysctl_is_read_and_nothing_is_built_from_a_missing_part() {
        let mut s = Sections::default();
        s.map
            .insert("uname".into(), sec("Darwin\nmac\n23.4.0\n\n", 0));
        let mut sysctl = sec("hw.ncpu: 10\nhw.memsize: 17179869184\n", 1);
        sysctl.stderr =
            "sysctl: unknown oid 'machdep.cpu.vendor'\nsysctl: unknown oid 'machdep.cpu.model'\n\
                         sysctl: unknown oid 'machdep.cpu.vendor'\n"
                .into();
        s.map.insert("sysctl".into(), sysctl);
        let snap = collect(&s, &ctx()).unwrap();
        let r = &snap.sections["sysctl"];
        assert_eq!(r.status, SectionStatus::Partial);
        assert_eq!(r.exit_code, Some(1));
        assert_eq!(
            r.message.as_deref(),
            Some("exit status 1: sysctl: unknown oid 'machdep.cpu.vendor'; sysctl: unknown oid 'machdep.cpu.model'")
        );
        assert_eq!(snap.hardware.memory.total_bytes, 17_179_869_184);
        assert_eq!(snap.hardware.cpu.logical_cpus, 10);
        assert_eq!(snap.system_info.architecture, "");
        assert_eq!(snap.system_info.nix_system, "");
        assert!(snap
            .warnings
            .iter()
            .any(|w| w.starts_with("architecture unknown")));
        assert!(snap
            .warnings
            .iter()
            .any(|w| w.starts_with("sysctl: partial output (exit status 1: sysctl: unknown oid")));

        // The same run under Rosetta: uname lies, the translation flag does not.
        s.map
            .insert("uname".into(), sec("Darwin\nmac\n23.4.0\nx86_64\n", 0));
        s.map.insert("rosetta".into(), sec("1\n", 0));
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.system_info.nix_system, "aarch64-darwin");
        assert!(snap.hardware.cpu.translated);

        // A failed sysctl without output is still a failure, and other sections never read failures.
        let mut s = Sections::default();
        s.map
            .insert("uname".into(), sec("Darwin\nmac\n23.4.0\narm64\n", 0));
        s.map.insert("sysctl".into(), sec("\n", 1));
        s.map
            .insert("sw_vers".into(), sec("ProductVersion: 14.1\n", 1));
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.sections["sysctl"].status, SectionStatus::Failed);
        assert_eq!(snap.sections["sw_vers"].status, SectionStatus::Failed);
        assert_eq!(snap.os.version, None);
        assert!(snap
            .warnings
            .iter()
            .any(|w| w.starts_with("memory unknown")));
    }
    #[test]
    fn broken_nvidia_xml_falls_back_to_csv() {
        let mut s = Sections::default();
        s.map
            .insert("uname".into(), sec("Linux\nh\n6.1\nx86_64\n", 0));
        s.map.insert(
            "nvidia_smi".into(),
            sec(
                "<?xml version=\"1.0\" ?>\n<nvidia_smi_log>\n<gpu id=\"0\">",
                0,
            ),
        );
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.gpus, None);
        assert_eq!(snap.sections["nvidia_smi"].status, SectionStatus::Failed);
        // Absent because the script did not need it: no news.
        assert!(!snap.sections.contains_key("nvidia_smi_csv"));
        s.map.insert(
            "nvidia_smi_csv".into(),
            sec(
                "0, NVIDIA A10G, 23028, 535.54.03, GPU-aaaa, 00000000:00:1E.0\n",
                0,
            ),
        );
        let snap = collect(&s, &ctx()).unwrap();
        let gpus = snap.gpus.unwrap();
        assert_eq!(gpus.len(), 1);
        assert_eq!(gpus[0].vram_bytes, Some(23028 << 20));
        assert_eq!(gpus[0].cuda_version, None);
        assert!(snap.warnings.iter().any(|w| w
            .starts_with("nvidia_smi: cannot read nvidia_smi output: not XML")
            && w.ends_with(
                "gpus read from nvidia-smi --query-gpu instead (cuda version unknown)"
            )));
        assert!(!snap.warnings.iter().any(|w| w.ends_with("; gpus unknown")));
    }
    #[test]
    fn drm_gpus_merge_with_nvidia_and_empty_drm_means_none_only_without_doubt() {
        let amd = "/sys/class/drm/card0/device/uevent:DRIVER=amdgpu\n\
                   /sys/class/drm/card0/device/uevent:PCI_ID=1002:744C\n\
                   /sys/class/drm/card0/device/mem_info_vram_total:25753026560\n\
                   /sys/class/drm/card1/device/uevent:DRIVER=nvidia\n\
                   /sys/class/drm/card1/device/uevent:PCI_ID=10DE:2204\n";
        let xml = "<nvidia_smi_log><gpu id=\"0\"><product_name>NVIDIA GeForce RTX 3090</product_name>\
                   <fb_memory_usage><total>24576 MiB</total></fb_memory_usage></gpu></nvidia_smi_log>";
        let base = || {
            let mut s = Sections::default();
            s.map
                .insert("uname".into(), sec("Linux\nh\n6.1\nx86_64\n", 0));
            s
        };
        // nvidia-smi authoritative for the NVIDIA card; DRM adds the AMD one; no double count.
        let mut s = base();
        s.map.insert("drm".into(), sec(amd, 0));
        s.map.insert("nvidia_smi".into(), sec(xml, 0));
        let g = collect(&s, &ctx()).unwrap().gpus.unwrap();
        let names: Vec<&str> = g.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["NVIDIA GeForce RTX 3090", "AMD GPU 1002:744c"]);
        // nvidia-smi missing: DRM's word stands, its NVIDIA card included (size unknown).
        let mut s = base();
        s.map.insert("drm".into(), sec(amd, 0));
        s.map.insert("nvidia_smi".into(), sec("", 127));
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.gpus.as_ref().map(Vec::len), Some(2));
        assert!(snap.warnings.iter().any(|w| w.starts_with("nvidia_smi:")));
        // No card and no NVIDIA tool: known none, and nvidia-smi's absence is no news.
        let mut s = base();
        s.map.insert("drm".into(), sec("", 0));
        s.map.insert("nvidia_smi".into(), sec("", 127));
        let snap = collect(&s, &ctx()).unwrap();
        assert_eq!(snap.gpus, Some(vec![]));
        assert!(!snap.warnings.iter().any(|w| w.starts_with("nvidia_smi:")));
        // No card but nvidia-smi failed: a driver is there, so GPUs stay unknown.
        let mut s = base();
        s.map.insert("drm".into(), sec("", 0));
        s.map.insert("nvidia_smi".into(), sec("", 9));
        assert_eq!(collect(&s, &ctx()).unwrap().gpus, None);
    }
}
