//! Every probe section, declared once: its name (as `script.sh` frames it), the OS it runs on, the tool
//! it needs, what the snapshot loses without it, and how its parsed output folds into [`Facts`].
//!
//! Adding a section is one `section NAME …` line in `script.sh`, one parser file, and one row here; the
//! recorder in [`super::collect`] does the rest (status, warning, "not installed", "timed out").
//! A test checks this table against the `section` lines of the script.

use super::linux::{
    cpu, devices, disk, dm, dmi, drm, firmware, memory, mounts, net, os_release, virt,
};
use super::macos::{self, sw_vers, sysctl};
use super::services::{docker, http, systemd};
use super::{nvidia, ParseError};
use crate::model::platform::{CpuFlags, DmDevice, Mount, Swap, Virtualisation};
use crate::model::{Container, Disk, Firmware, Gpu, NetworkInterface, OsFamily, SystemdUnit};
use std::collections::BTreeMap;

/// Where a section's outcome is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Hardware and OS facts: reported in the snapshot's `sections`, with a warning when unusable.
    Host,
    /// Services on the host: reported in `services.sections`; a down service or a missing tool is a
    /// fact about the host, not a warning.
    Services,
}

/// Who produces a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Producer {
    /// `script.sh`: expected in every full run on its OS.
    Script,
    /// hwinv itself, beside the script (NVML): present only when it had something to say.
    Native,
}

/// How a section's text becomes facts.
pub type Fold = fn(&str, &mut Facts) -> Result<(), ParseError>;

/// One probe section.
#[derive(Debug, Clone, Copy)]
pub struct SectionSpec {
    /// Name as framed by the script (`[a-z0-9_]`).
    pub name: &'static str,
    /// The OS it runs on; `None` for both.
    pub os: Option<OsFamily>,
    /// The tool named in "… not installed".
    pub tool: &'static str,
    /// What the snapshot loses when the section is unusable (ends the warning).
    pub loses: &'static str,
    /// Where its outcome is reported.
    pub scope: Scope,
    /// Who produces it.
    pub producer: Producer,
    /// False when a failing run is expected on some hosts and not news (Rosetta's OID on Intel Macs).
    pub warn_on_failure: bool,
    /// True when a non-zero exit can still come with usable output (one unknown `sysctl` OID): the
    /// output is read, the section is `partial` and the warning names what failed.
    pub partial_ok: bool,
    /// True for a fallback the script frames only when another section failed (`nvidia_smi_csv`): its
    /// absence is no news.
    pub on_demand: bool,
    /// Parser and fold.
    pub fold: Fold,
}

/// Everything the sections said, parsed, before it is assembled into a snapshot. `None`: the section was
/// not collected, failed, or could not be parsed (the recorder says which).
#[derive(Debug, Clone, Default)]
#[allow(missing_docs)] // one field per section, named after it
pub struct Facts {
    pub uname: Option<super::uname::Uname>,
    pub os_release: Option<os_release::OsRelease>,
    pub cpuinfo: Option<cpu::CpuInfo>,
    pub cpu_topology: Option<cpu::CpuTopology>,
    pub meminfo: Option<memory::MemInfo>,
    pub memory_blocks: Option<u64>,
    pub dmi: Option<dmi::Dmi>,
    pub disks: Option<Vec<Disk>>,
    pub interfaces: Option<Vec<NetworkInterface>>,
    pub net_sysfs: Option<BTreeMap<String, net::NetSysfs>>,
    pub firmware: Option<Firmware>,
    pub cpu_flags: Option<CpuFlags>,
    pub devices: Option<devices::BusDevices>,
    pub drivers: Option<devices::DriverLinks>,
    pub mounts: Option<Vec<Mount>>,
    pub disk_links: Option<mounts::DiskLinks>,
    pub swaps: Option<Vec<Swap>>,
    pub dm: Option<Vec<DmDevice>>,
    pub virt: Option<Virtualisation>,
    pub nvidia_smi: Option<Vec<Gpu>>,
    pub nvidia_smi_csv: Option<Vec<Gpu>>,
    pub nvml: Option<Vec<Gpu>>,
    pub drm: Option<Vec<Gpu>>,
    pub local_host_name: Option<String>,
    pub sw_vers: Option<sw_vers::SwVers>,
    pub sysctl: Option<sysctl::SysctlFacts>,
    pub rosetta: Option<bool>,
    pub sp_hardware: Option<macos::hardware::SpHardware>,
    pub sp_displays: Option<Vec<Gpu>>,
    pub http: Option<http::HttpProbes>,
    pub systemd: Option<BTreeMap<String, SystemdUnit>>,
    pub docker: Option<BTreeMap<String, Container>>,
}

const LINUX: Option<OsFamily> = Some(OsFamily::Linux);
const MACOS: Option<OsFamily> = Some(OsFamily::Macos);

const fn host(
    name: &'static str,
    os: Option<OsFamily>,
    tool: &'static str,
    loses: &'static str,
    fold: Fold,
) -> SectionSpec {
    SectionSpec {
        name,
        os,
        tool,
        loses,
        scope: Scope::Host,
        producer: Producer::Script,
        warn_on_failure: true,
        partial_ok: false,
        on_demand: false,
        fold,
    }
}

const fn service(name: &'static str, tool: &'static str, fold: Fold) -> SectionSpec {
    SectionSpec {
        name,
        os: None,
        tool,
        loses: "data missing",
        scope: Scope::Services,
        producer: Producer::Script,
        warn_on_failure: false,
        partial_ok: false,
        on_demand: false,
        fold,
    }
}

/// Every section, in the order the recorder reads them. `uname` comes first: it decides the OS.
pub const SECTIONS: &[SectionSpec] = &[
    host("uname", None, "uname", "data missing", |t, f| {
        f.uname = Some(super::uname::parse_uname(t)?);
        Ok(())
    }),
    // Linux
    host(
        "os_release",
        LINUX,
        "os_release",
        "os name and version unknown",
        |t, f| {
            f.os_release = Some(os_release::parse_os_release(t)?);
            Ok(())
        },
    ),
    host(
        "cpuinfo",
        LINUX,
        "cpuinfo",
        "cpu details unknown",
        |t, f| {
            f.cpuinfo = Some(cpu::parse_cpuinfo(t)?);
            f.cpu_flags = Some(virt::cpu_flags(t));
            Ok(())
        },
    ),
    host(
        "cpu_topology",
        LINUX,
        "cpu_topology",
        "core counts taken from /proc/cpuinfo",
        |t, f| {
            f.cpu_topology = cpu::parse_cpu_topology(t)?;
            Ok(())
        },
    ),
    host("meminfo", LINUX, "meminfo", "memory unknown", |t, f| {
        f.meminfo = Some(memory::parse_meminfo(t)?);
        Ok(())
    }),
    host(
        "memory_blocks",
        LINUX,
        "memory_blocks",
        "installed memory taken from MemTotal if available",
        |t, f| {
            f.memory_blocks = memory::parse_memory_blocks(t)?;
            Ok(())
        },
    ),
    host(
        "dmi",
        LINUX,
        "dmi",
        "model, vendor and serial may be unknown",
        |t, f| {
            f.dmi = Some(dmi::parse_dmi(t)?);
            Ok(())
        },
    ),
    host("lsblk", LINUX, "lsblk", "disks unknown", |t, f| {
        f.disks = Some(disk::parse_lsblk(t)?);
        Ok(())
    }),
    host("ip_addr", LINUX, "ip", "addresses unknown", |t, f| {
        f.interfaces = Some(net::parse_ip_addr(t)?);
        Ok(())
    }),
    host("net_sysfs", LINUX, "ip", "link speeds unknown", |t, f| {
        f.net_sysfs = Some(net::parse_net_sysfs(t)?);
        Ok(())
    }),
    host(
        "firmware",
        LINUX,
        "firmware",
        "boot firmware unknown (no boot loader generated)",
        |t, f| {
            let x86 = f.uname.as_ref().is_some_and(|u| {
                matches!(
                    u.machine.as_str(),
                    "x86_64" | "amd64" | "i386" | "i486" | "i586" | "i686"
                )
            });
            f.firmware = Some(firmware::parse_firmware(t, x86)?);
            Ok(())
        },
    ),
    host(
        "devices",
        LINUX,
        "devices",
        "PCI and USB devices unknown (no initrd modules or GPU drivers generated)",
        |t, f| {
            f.devices = Some(devices::parse_devices(t)?);
            Ok(())
        },
    ),
    host(
        "drivers",
        LINUX,
        "drivers",
        "driver modules unknown (no initrd modules generated)",
        |t, f| {
            f.drivers = Some(devices::parse_drivers(t)?);
            Ok(())
        },
    ),
    host(
        "mountinfo",
        LINUX,
        "mountinfo",
        "file systems unknown (no fileSystems generated)",
        |t, f| {
            f.mounts = Some(mounts::parse_mountinfo(t)?);
            Ok(())
        },
    ),
    host(
        "disk_links",
        LINUX,
        "ls",
        "stable device names unknown (file systems named by device node)",
        |t, f| {
            f.disk_links = Some(mounts::parse_disk_links(t)?);
            Ok(())
        },
    ),
    host(
        "dm",
        LINUX,
        "dm",
        "device-mapper devices unknown (no LUKS or LVM settings generated)",
        |t, f| {
            f.dm = Some(dm::parse_dm(t)?);
            Ok(())
        },
    ),
    host(
        "swaps",
        LINUX,
        "swaps",
        "swap devices unknown (no swapDevices generated)",
        |t, f| {
            f.swaps = Some(mounts::parse_swaps(t)?);
            Ok(())
        },
    ),
    SectionSpec {
        // Hosts without systemd have no systemd-detect-virt; the CPU flags and DMI stand in.
        warn_on_failure: false,
        ..host(
            "virt",
            LINUX,
            "systemd-detect-virt",
            "virtualisation taken from the CPU flags and DMI",
            |t, f| {
                f.virt = Some(virt::parse_virt(t)?);
                Ok(())
            },
        )
    },
    host("nvidia_smi", LINUX, "nvidia-smi", "gpus unknown", |t, f| {
        f.nvidia_smi = Some(nvidia::parse_nvidia_smi_xml(t)?);
        Ok(())
    }),
    SectionSpec {
        on_demand: true,
        ..host(
            "nvidia_smi_csv",
            LINUX,
            "nvidia-smi",
            "gpus unknown",
            |t, f| {
                f.nvidia_smi_csv = Some(nvidia::parse_nvidia_smi_csv(t)?);
                Ok(())
            },
        )
    },
    SectionSpec {
        producer: Producer::Native,
        ..host("nvml", LINUX, "libnvidia-ml", "gpus unknown", |t, f| {
            f.nvml = Some(nvidia::parse_nvml_json(t)?);
            Ok(())
        })
    },
    host(
        "drm",
        LINUX,
        "drm",
        "gpus other than NVIDIA's unknown",
        |t, f| {
            f.drm = Some(drm::parse_drm(t)?);
            Ok(())
        },
    ),
    // macOS
    host(
        "hostname",
        MACOS,
        "scutil",
        "hostname taken from uname -n",
        |t, f| {
            f.local_host_name = Some(t.trim().to_string()).filter(|h| !h.is_empty());
            Ok(())
        },
    ),
    host(
        "sw_vers",
        MACOS,
        "sw_vers",
        "os version taken from sysctl if available",
        |t, f| {
            f.sw_vers = Some(sw_vers::parse_sw_vers(t)?);
            Ok(())
        },
    ),
    SectionSpec {
        // `sysctl hw machdep kern` exits 1 when one OID is unknown or not permitted, and prints the rest.
        partial_ok: true,
        ..host(
            "sysctl",
            MACOS,
            "sysctl",
            "cpu and memory details taken from system_profiler if available",
            |t, f| {
                f.sysctl = Some(sysctl::SysctlFacts::from_map(&sysctl::parse_sysctl(t)?));
                Ok(())
            },
        )
    },
    SectionSpec {
        warn_on_failure: false,
        ..host(
            "rosetta",
            MACOS,
            "rosetta",
            "rosetta translation unknown",
            |t, f| {
                f.rosetta = Some(t.trim() == "1");
                Ok(())
            },
        )
    },
    host(
        "sp_hardware",
        MACOS,
        "system_profiler",
        "model name and serial unknown",
        |t, f| {
            f.sp_hardware = Some(macos::hardware::parse_sp_hardware(t)?);
            Ok(())
        },
    ),
    host(
        "sp_displays",
        MACOS,
        "system_profiler",
        "gpus unknown",
        |t, f| {
            f.sp_displays = Some(macos::gpu::parse_sp_displays(t)?);
            Ok(())
        },
    ),
    host(
        "sp_storage",
        MACOS,
        "system_profiler",
        "disks unknown",
        |t, f| {
            f.disks = Some(macos::disk::parse_sp_storage(t)?);
            Ok(())
        },
    ),
    host(
        "ifconfig",
        MACOS,
        "ifconfig",
        "network interfaces unknown",
        |t, f| {
            f.interfaces = Some(macos::net::parse_ifconfig(t)?);
            Ok(())
        },
    ),
    // Services (both OSes)
    service("services", "curl", |t, f| {
        f.http = Some(http::parse_services(t)?);
        Ok(())
    }),
    service("systemd", "systemctl", |t, f| {
        f.systemd = Some(systemd::parse_systemd_units(t)?);
        Ok(())
    }),
    service("docker", "docker", |t, f| {
        f.docker = Some(docker::parse_docker_ps(t)?);
        Ok(())
    }),
];

/// The section named `name`.
pub fn spec(name: &str) -> Option<&'static SectionSpec> {
    SECTIONS.iter().find(|s| s.name == name)
}

/// The script's sections for a host whose `uname -s` is `kernel`.
pub fn script_sections_for(kernel: &str) -> Vec<&'static str> {
    let family = match kernel.trim() {
        "Linux" => Some(OsFamily::Linux),
        "Darwin" => Some(OsFamily::Macos),
        _ => None,
    };
    SECTIONS
        .iter()
        .filter(|s| s.producer == Producer::Script)
        .filter(|s| s.os.is_none() || s.os == family)
        .map(|s| s.name)
        .collect()
}

/// The sections a live service check needs: the host's identity and every service section.
pub fn service_sections() -> Vec<&'static str> {
    let mut names = vec!["uname", "hostname"];
    names.extend(
        SECTIONS
            .iter()
            .filter(|s| s.scope == Scope::Services)
            .map(|s| s.name),
    );
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Section names framed by `script.sh` (`section NAME …` lines).
    fn script_sections() -> BTreeSet<&'static str> {
        let mut out = BTreeSet::new();
        for line in super::super::SCRIPT.lines() {
            let code = line.split('#').next().unwrap_or("");
            let words: Vec<&str> = code.split_whitespace().collect();
            for w in words.windows(2) {
                if w[0] == "section" && crate::model::names::valid_section_name(w[1]) {
                    out.insert(w[1]);
                }
            }
        }
        out
    }

    #[test]
    fn table_matches_the_script() {
        let table: BTreeSet<&str> = SECTIONS
            .iter()
            .filter(|s| s.producer == Producer::Script)
            .map(|s| s.name)
            .collect();
        assert_eq!(table, script_sections());
        let mut names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), SECTIONS.len(), "a section is declared twice");
        assert!(SECTIONS
            .iter()
            .all(|s| crate::model::names::valid_section_name(s.name)));
        assert_eq!(SECTIONS[0].name, "uname");
    }
    #[test]
    fn csv_fallback_asks_for_the_fields_the_parser_reads() {
        let want = format!("--query-gpu={} ", nvidia::CSV_FIELDS.join(","));
        assert!(
            super::super::SCRIPT.contains(&want),
            "script must ask {want}"
        );
    }
}
