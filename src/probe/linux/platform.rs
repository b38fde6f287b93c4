//! Joins the device, driver, mount, swap and virtualisation sections into the snapshot's
//! [`Platform`]: modules onto devices, stable names onto mounts and swap, and a virtualisation answer
//! from DMI and the CPU flags where `systemd-detect-virt` is missing.

use super::devices::{self, BusDevices, DriverLinks};
use super::dmi::Dmi;
use super::mounts::{self, DiskLinks};
use crate::model::platform::{CpuFlags, DmDevice, Mount, Platform, Swap, Virtualisation};

/// The sections' parsed output, each `None` when unusable.
#[derive(Debug, Default)]
#[allow(missing_docs)]
pub struct Parts {
    pub cpu_flags: Option<CpuFlags>,
    pub devices: Option<BusDevices>,
    pub drivers: Option<DriverLinks>,
    pub mounts: Option<Vec<Mount>>,
    pub disk_links: Option<DiskLinks>,
    pub swaps: Option<Vec<Swap>>,
    pub dm: Option<Vec<DmDevice>>,
    pub virt: Option<Virtualisation>,
}

/// The hypervisor DMI names, for hosts without systemd-detect-virt (its own DMI table, in short).
fn vm_from_dmi(dmi: &Dmi) -> Option<&'static str> {
    let vendor = dmi.sys_vendor.as_deref().unwrap_or("");
    let product = dmi.product_name.as_deref().unwrap_or("");
    let board = dmi.board_vendor.as_deref().unwrap_or("");
    let any = |s: &str| [vendor, product, board].iter().any(|v| v.contains(s));
    if any("KVM") {
        Some("kvm")
    } else if any("QEMU") {
        Some("qemu")
    } else if any("VirtualBox") || any("innotek") {
        Some("oracle")
    } else if any("VMware") {
        Some("vmware")
    } else if vendor == "Microsoft Corporation" && product == "Virtual Machine" {
        Some("microsoft")
    } else if any("Xen") {
        Some("xen")
    } else if any("Parallels") {
        Some("parallels")
    } else {
        None
    }
}

/// Assemble the platform facts; `None` when no section behind them was usable.
pub fn assemble(p: Parts, dmi: &Dmi) -> Option<Platform> {
    let virtualisation = match (p.virt, p.cpu_flags) {
        (Some(v), _) => Some(v),
        // x86 CPUs set `hypervisor` under every hypervisor, so its absence is bare metal.
        (None, Some(flags))
            if flags.vmx || flags.svm || flags.hypervisor || dmi.sys_vendor.is_some() =>
        {
            Some(Virtualisation {
                vm: vm_from_dmi(dmi)
                    .map(str::to_string)
                    .or_else(|| flags.hypervisor.then(|| "vm-other".to_string())),
                container: None,
            })
        }
        (None, _) => None,
    };
    let mut bus = p.devices;
    if let (Some(b), Some(l)) = (bus.as_mut(), p.drivers.as_ref()) {
        devices::attach_modules(b, l);
    }
    let links = p.disk_links;
    let with_ids = |source: &str| {
        links
            .as_ref()
            .map(|l| mounts::ids_of(l, source))
            .unwrap_or_default()
    };
    let file_systems = p.mounts.map(|ms| {
        ms.into_iter()
            .map(|mut m| {
                m.ids = with_ids(&m.source);
                m
            })
            .collect()
    });
    let swap = p.swaps.map(|ss| {
        ss.into_iter()
            .map(|mut s| {
                if s.kind == "partition" {
                    s.ids = with_ids(&s.path);
                }
                s
            })
            .collect()
    });
    let device_mapper = p.dm.map(|ds| {
        ds.into_iter()
            .map(|mut d| {
                for s in &mut d.slaves {
                    s.ids = with_ids(&format!("/dev/{}", s.node));
                }
                d
            })
            .collect()
    });
    let out = Platform {
        device_mapper,
        virtualisation,
        cpu_flags: p.cpu_flags,
        block_devices: p.drivers.as_ref().map(DriverLinks::block_devices),
        pci_devices: bus.as_ref().map(|b| b.pci.clone()),
        usb_interfaces: bus.map(|b| b.usb),
        file_systems,
        swap,
    };
    (out != Platform::default()).then_some(out)
}
