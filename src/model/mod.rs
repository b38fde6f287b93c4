//! The snapshot types: the JSON a user sees in `inventory/<host>/hardware_*.json`.
//!
//! Owns field names, units and serialisation order. It must not parse command output or touch the disk.
//! The seed's keys (`system_info.*`, `hardware.cpu_type/cpu_cores/memory_gb`, `disks`, `network_interfaces`)
//! are kept as they were so `jq '.hardware.memory_gb' inventory/*/latest.json` keeps working.

pub mod hostname;
pub mod names;
pub mod platform;
pub mod time;
pub mod units;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What every file hwinv writes names as its producer: `hwinv <version>`.
pub const GENERATOR: &str = concat!("hwinv ", env!("CARGO_PKG_VERSION"));

/// Bumped whenever a field changes meaning or is removed; adding a field does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// One extraction of one host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Version of this layout, see [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// When the probe ran, UTC, RFC 3339 with second precision.
    pub collected_at: String,
    /// The hwinv build that wrote the snapshot, e.g. `hwinv 0.1.0`.
    pub generator: String,
    /// How the facts were obtained.
    pub source: Source,
    /// Identity of the machine (seed keys).
    pub system_info: SystemInfo,
    /// Operating system.
    pub os: OsInfo,
    /// CPU and memory (seed keys plus exact figures).
    pub hardware: Hardware,
    /// Whole block devices (not partitions), sorted by name.
    pub disks: Vec<Disk>,
    /// Network interfaces, sorted by name; loopback excluded.
    pub network_interfaces: Vec<NetworkInterface>,
    /// GPUs; `null` when no GPU tool could be asked (see `sections`), `[]` when the host has none.
    pub gpus: Option<Vec<Gpu>>,
    /// What happened to every probe section, keyed by section name.
    pub sections: BTreeMap<String, SectionReport>,
    /// Human-readable notes about missing or partial data, sorted.
    pub warnings: Vec<String>,
    /// Services answering on the host's loopback, systemd units and containers, probed from the host itself
    /// during extraction; absent when those probes did not run (older snapshots, captures without them).
    /// This is volatile state, not hardware: hardware comparisons (`compare`, `diff`, "did the hardware
    /// change") must leave it out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Services>,
    /// How the machine booted (Linux); absent when not collected (macOS, captures that predate it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware: Option<Firmware>,
    /// Devices, file systems, swap and virtualisation (Linux), for the NixOS hardware configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<platform::Platform>,
}

/// The firmware that booted the kernel, as the kernel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firmware {
    /// UEFI, BIOS or a device tree; `null` when none of the signs is there on a non-x86 machine.
    pub boot: Option<BootFirmware>,
    /// UEFI variables are reachable (`/sys/firmware/efi/efivars`): a boot loader may write its entry.
    pub efi_variables: bool,
    /// The kernel was handed a device tree (ARM and RISC-V boards, POWER).
    pub device_tree: bool,
    /// `/boot/extlinux/extlinux.conf` exists: a U-Boot style loader reads its menu from there.
    #[serde(default)]
    pub extlinux: bool,
}

/// Kind of boot firmware.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BootFirmware {
    /// UEFI (`/sys/firmware/efi` exists).
    Uefi,
    /// Legacy BIOS: an x86 machine without EFI.
    Bios,
    /// Booted with a device tree and no EFI (Raspberry Pi firmware, U-Boot without EFI).
    DeviceTree,
}

/// Where the facts came from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// `local`, `ssh` or `replay`.
    pub transport: String,
    /// The SSH target or replay directory as the user gave it; `null` for local runs.
    pub target: Option<String>,
    /// The SSH user given, if any (else ssh config decided).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The SSH port given, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

/// Identity of a machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemInfo {
    /// Host name used as the inventory directory (macOS: LocalHostName; Linux: `uname -n` up to the first dot).
    pub hostname: String,
    /// Model identifier (`MacBookPro18,1`, DMI product name, Raspberry Pi model string).
    pub model: Option<String>,
    /// Marketing name where the OS reports one (`MacBook Pro`).
    pub model_name: Option<String>,
    /// Hardware vendor (`Apple Inc.`, DMI sys_vendor).
    pub vendor: Option<String>,
    /// Serial number, or `redacted:<hash>` when extracted with `--redact`.
    pub serial_number: Option<String>,
    /// Native machine architecture as the OS names it (`arm64` on macOS, `aarch64`/`x86_64` on Linux),
    /// corrected for Rosetta 2 translation.
    pub architecture: String,
    /// The Nix system double, e.g. `aarch64-darwin`, `x86_64-linux`.
    pub nix_system: String,
    /// The name the machine itself reported, when `--name` stored it under another one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_hostname: Option<String>,
}

/// Operating-system family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OsFamily {
    /// macOS (Darwin).
    Macos,
    /// Any Linux distribution.
    Linux,
}

impl OsFamily {
    /// The lowercase name used in JSON and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            OsFamily::Macos => "macos",
            OsFamily::Linux => "linux",
        }
    }
}

/// Operating system details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsInfo {
    /// `macos` or `linux`.
    pub family: OsFamily,
    /// Distribution or product id (`debian`, `ubuntu`, `macos`).
    pub id: Option<String>,
    /// Human name (`macOS`, `Debian GNU/Linux 12 (bookworm)`).
    pub name: Option<String>,
    /// Version (`14.4.1`, `12`).
    pub version: Option<String>,
    /// Build (`23E224`) where the OS has one.
    pub build: Option<String>,
    /// Kernel release (`uname -r`).
    pub kernel: Option<String>,
}

/// CPU and memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hardware {
    /// CPU brand string (seed key).
    pub cpu_type: String,
    /// Physical cores (seed key); what the hardware tiers use.
    pub cpu_cores: u32,
    /// Installed memory in GiB, rounded to the nearest integer (seed key).
    pub memory_gb: u64,
    /// CPU details.
    pub cpu: Cpu,
    /// Memory details.
    pub memory: Memory,
}

/// CPU details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cpu {
    /// Brand string, whitespace-normalised.
    pub brand: String,
    /// Vendor (`GenuineIntel`, `AuthenticAMD`, `Apple`, `ARM`), when known.
    pub vendor: Option<String>,
    /// Physical cores across all sockets.
    pub physical_cores: u32,
    /// Logical CPUs (hardware threads) the OS schedules on.
    pub logical_cpus: u32,
    /// CPU packages (sockets).
    pub sockets: u32,
    /// Performance cores on hybrid CPUs (Apple Silicon, Intel hybrid); `null` otherwise.
    pub performance_cores: Option<u32>,
    /// Efficiency cores on hybrid CPUs; `null` otherwise.
    pub efficiency_cores: Option<u32>,
    /// Apple `hw.perflevelN` levels, highest performance first; empty elsewhere.
    pub perf_levels: Vec<PerfLevel>,
    /// True when the probe itself ran under Rosetta 2 translation (the facts are corrected for it).
    pub translated: bool,
    /// How the CPUs are laid out, counted from sysfs as lscpu counts them (Linux); absent without sysfs
    /// topology and in older snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<CpuLayout>,
}

/// CPU layout details beyond sockets and cores (Linux sysfs topology). Every field is absent when the
/// kernel does not say it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuLayout {
    /// Hardware threads per core (1 with SMT off or absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threads_per_core: Option<u32>,
    /// CPU clusters (`cluster_cpus_list` sets: big.LITTLE clusters, shared-L2 groups); absent when every
    /// core is its own cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<u32>,
    /// Dies across all sockets; absent when each socket is one die.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dies: Option<u32>,
    /// Books (s390).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub books: Option<u32>,
    /// Drawers (s390).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawers: Option<u32>,
    /// CPUs present, online or not (the `present` list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present_cpus: Option<u32>,
    /// Offline CPUs in the kernel's list syntax (`0,6-7`); absent when all present CPUs are online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offline_cpus: Option<String>,
}

/// One Apple Silicon performance level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerfLevel {
    /// Name the OS gives the level (`Performance`, `Efficiency`, `Standard`, ...).
    pub name: String,
    /// Physical cores in the level.
    pub physical_cores: u32,
    /// Logical CPUs in the level.
    pub logical_cpus: u32,
}

/// Memory details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memory {
    /// Installed physical memory in bytes (macOS `hw.memsize`; Linux online memory blocks, else MemTotal).
    pub total_bytes: u64,
    /// Memory the kernel can use, in bytes (Linux MemTotal, macOS `hw.memsize_usable`), when known.
    pub usable_bytes: Option<u64>,
    /// Swap configured, in bytes, when known.
    pub swap_bytes: Option<u64>,
}

/// Kind of a block device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskKind {
    /// NVMe solid-state drive.
    Nvme,
    /// Non-rotational SATA/SAS/other solid-state drive.
    Ssd,
    /// Rotational drive.
    Hdd,
    /// Drive attached over USB (or Thunderbolt external).
    Usb,
    /// SD/MMC card.
    Mmc,
    /// Virtual device (virtio, Xen, VM disk).
    Virtual,
    /// Could not be told.
    Unknown,
}

impl DiskKind {
    /// The name used in the JSON (`nvme`, `ssd`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DiskKind::Nvme => "nvme",
            DiskKind::Ssd => "ssd",
            DiskKind::Hdd => "hdd",
            DiskKind::Usb => "usb",
            DiskKind::Mmc => "mmc",
            DiskKind::Virtual => "virtual",
            DiskKind::Unknown => "unknown",
        }
    }
}

/// A whole block device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    /// Kernel name (`nvme0n1`, `sda`, `disk0`).
    pub name: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Size in decimal gigabytes, rounded down (what a disk label says).
    pub size_gb: u64,
    /// Model string, when reported.
    pub model: Option<String>,
    /// Serial number, or `redacted:<hash>`.
    pub serial: Option<String>,
    /// What sort of device it is.
    pub kind: DiskKind,
    /// True for removable media and external drives.
    pub removable: bool,
    /// Transport (`nvme`, `sata`, `usb`, `Apple Fabric`), when reported.
    pub transport: Option<String>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInterface {
    /// Interface name (`en0`, `eth0`, `wlp3s0`).
    pub name: String,
    /// Hardware address, lowercase, or `redacted:<hash>`.
    pub mac: Option<String>,
    /// Addresses in CIDR notation, IPv4 first, sorted.
    pub addresses: Vec<String>,
    /// Operational state (`up`, `down`, `unknown`).
    pub state: Option<String>,
    /// Link speed in Mbit/s where the driver reports one.
    pub speed_mbps: Option<u64>,
    /// MTU in bytes.
    pub mtu: Option<u32>,
}

/// A GPU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpu {
    /// Index as the vendor tool numbers it (nvidia-smi/NVML index; the DRM card number, `cardN`, for GPUs
    /// read from Linux sysfs).
    pub index: u32,
    /// Product name (`NVIDIA A100-SXM4-80GB`, `Apple M1 Pro`).
    pub name: String,
    /// Vendor (`nvidia`, `apple`, `amd`, `intel`).
    pub vendor: String,
    /// Dedicated memory in bytes; `null` for unified memory or when unknown.
    pub vram_bytes: Option<u64>,
    /// Dedicated memory in GiB, rounded to the nearest integer; `null` when `vram_bytes` is.
    pub vram_gb: Option<u64>,
    /// Driver version.
    pub driver_version: Option<String>,
    /// Newest CUDA version the driver supports (not an installed toolkit).
    pub cuda_version: Option<String>,
    /// Vendor UUID, or `redacted:<hash>`.
    pub uuid: Option<String>,
    /// PCI bus id.
    pub pci_bus_id: Option<String>,
    /// GPU cores (Apple Silicon), when reported.
    pub cores: Option<u32>,
    /// MIG mode (`Enabled`/`Disabled`) where the GPU supports it.
    pub mig_mode: Option<String>,
    /// Kernel driver (`amdgpu`, `i915`, `xe`, `nouveau`), for GPUs read from Linux DRM sysfs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driver: Option<String>,
}

/// Outcome of one probe section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionStatus {
    /// Ran and its output was read.
    Ok,
    /// The tool is not installed on the host.
    Missing,
    /// The host refused access (not root, sandbox).
    PermissionDenied,
    /// Killed after its time bound.
    TimedOut,
    /// Ran and failed, or printed output that could not be read.
    Failed,
    /// Exited non-zero but printed output that was read (macOS `sysctl` with one unknown OID); `message`
    /// says what failed.
    Partial,
    /// Not run, because it does not apply to this OS or the transport did not provide it.
    Skipped,
}

/// Report of one probe section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionReport {
    /// What happened.
    pub status: SectionStatus,
    /// Exit status of the section's command, when it exited.
    pub exit_code: Option<i32>,
    /// First line of the reason when not `ok`.
    pub message: Option<String>,
}

/// Services on a host at extraction time (volatile state, kept out of hardware comparisons).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Services {
    /// HTTP health probes by service name; `null` when they could not run (no curl or wget, see `sections`).
    pub http: Option<BTreeMap<String, ServiceState>>,
    /// LLM models by the name of the (Ollama) service that reported them; only services that answered.
    pub llm: BTreeMap<String, LlmInfo>,
    /// systemd service units by unit name (installed ones only); `null` without a usable `systemctl`.
    pub systemd_units: Option<BTreeMap<String, SystemdUnit>>,
    /// Docker containers by name, running or not; `null` without a usable `docker`.
    pub containers: Option<BTreeMap<String, Container>>,
    /// What happened to the `services`, `systemd` and `docker` probe sections that were run.
    pub sections: BTreeMap<String, SectionReport>,
}

/// One HTTP health probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceState {
    /// URL probed, from the host itself.
    pub url: String,
    /// HTTP status that means "up".
    pub expected_status: u16,
    /// True when the service answered with the expected status within the time bound.
    pub up: bool,
    /// HTTP status received; `null` when nothing answered.
    pub http_status: Option<u16>,
    /// Why it is down (`connection refused`, `no answer within 2 s`, `HTTP status 500, expected 200`).
    pub error: Option<String>,
}

/// What an LLM server (Ollama) reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmInfo {
    /// Server kind: `ollama`.
    pub provider: String,
    /// Models installed (Ollama `/api/tags`), sorted by name; `null` when the list could not be read.
    pub available: Option<Vec<LlmModel>>,
    /// Models loaded in memory now (Ollama `/api/ps`), sorted by name; `null` when unknown.
    pub loaded: Option<Vec<LlmModel>>,
    /// Why a list is unknown.
    pub error: Option<String>,
}

/// One LLM model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LlmModel {
    /// Model name with tag (`qwen2.5:7b`).
    pub name: String,
    /// Size in bytes (on disk for installed models; in memory for loaded ones).
    pub size_bytes: Option<u64>,
    /// Model family (`llama`, `qwen2`).
    pub family: Option<String>,
    /// Parameter count as the server words it (`7.6B`).
    pub parameter_size: Option<String>,
    /// Quantisation (`Q4_K_M`).
    pub quantization: Option<String>,
    /// Bytes of the loaded model held in GPU memory; `null` for installed-only models.
    pub vram_bytes: Option<u64>,
    /// Context length the loaded model runs with; `null` when not reported.
    pub context_length: Option<u64>,
}

/// State of one systemd unit (`systemctl list-units` columns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemdUnit {
    /// LOAD column (`loaded`, `masked`).
    pub load: String,
    /// ACTIVE column (`active`, `inactive`, `failed`).
    pub active: String,
    /// SUB column (`running`, `exited`, `dead`).
    pub sub: String,
}

/// One Docker container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    /// Image reference.
    pub image: String,
    /// `running`, `exited`, `created`, `paused`, `restarting`, `dead`.
    pub state: String,
    /// Health-check result (`healthy`, `unhealthy`, `starting`) when the container has a health check.
    pub health: Option<String>,
}
