//! `hardware-configuration.nix` for a NixOS host, from its facts: what nixos-generate-config writes
//! (file systems, swap, boot loader, initrd and kernel modules, microcode, virtualisation guest
//! support) and what nixos-facter adds (GPU drivers, bluetooth, bare-metal firmware), each option with
//! the fact that chose it. A fact the snapshot lacks leaves its option out, with a note; nothing is
//! guessed.
//!
//! Pure: a snapshot in, Nix text and the reasons out. Every string from the host passes through
//! [`nix_string`], so a mount point like `/mnt/a "b" ${x}` stays inert.

use super::filters::{nix_ident, nix_string};
use crate::model::platform::{Mount, Platform, Swap};
use crate::model::{BootFirmware, Snapshot};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One generated option, with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The option path as written (`boot.loader.systemd-boot.enable`, `fileSystems."/"`).
    pub option: String,
    /// Its Nix value as written (may span lines).
    pub value: String,
    /// The fact behind it.
    pub because: String,
}

/// What was decided for one host.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardwareConfig {
    /// `imports` entries (Nix expressions), with why.
    pub imports: Vec<Choice>,
    /// Options, in the order they are written.
    pub choices: Vec<Choice>,
    /// Options left out for want of a fact, in words.
    pub left_out: Vec<String>,
}

impl HardwareConfig {
    fn set(
        &mut self,
        option: impl Into<String>,
        value: impl Into<String>,
        because: impl Into<String>,
    ) {
        self.choices.push(Choice {
            option: option.into(),
            value: value.into(),
            because: because.into(),
        });
    }

    fn missing(&mut self, what: impl Into<String>) {
        self.left_out.push(what.into());
    }
}

/// An attribute path segment, quoted when it is not a bare name.
fn attr(name: &str) -> String {
    if nix_ident(name) {
        name.to_string()
    } else {
        nix_string(name)
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| nix_string(i)).collect();
    format!("[ {} ]", quoted.join(" "))
}

fn default(expr: &str) -> String {
    format!("lib.mkDefault {expr}")
}

/// Modules that provide storage, FireWire and USB controllers (PCI classes 01, 0c00, 0c03), as
/// nixos-generate-config selects them, plus what the disks, MMC hosts and USB interfaces need.
fn initrd_modules(p: &Platform, out: &mut HardwareConfig) {
    let mut modules: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut add = |module: &str, why: String| {
        modules.entry(module.to_string()).or_default().insert(why);
    };
    let mut built_in = BTreeSet::new();
    match &p.pci_devices {
        Some(devices) => {
            for d in devices {
                let class = d.class_code().unwrap_or(0);
                let kind = match class >> 16 {
                    0x01 => "storage controller",
                    0x0c if (class >> 8) & 0xff == 0x00 => "FireWire controller",
                    0x0c if (class >> 8) & 0xff == 0x03 => "USB controller",
                    _ => continue,
                };
                match (&d.module, &d.driver) {
                    (Some(m), _) => {
                        add(m, format!("{kind} {}:{} at {}", d.vendor, d.device, d.slot))
                    }
                    (None, Some(drv)) => {
                        built_in.insert(drv.clone());
                    }
                    (None, None) => {}
                }
                // virtio-scsi: its disks need virtio_scsi beside the PCI transport (nixos-generate-config).
                if d.vendor == "1af4" && matches!(d.device.as_str(), "1004" | "1048") {
                    add(
                        "virtio_scsi",
                        format!("virtio SCSI controller at {}", d.slot),
                    );
                }
            }
        }
        None => out.missing(
            "boot.initrd.availableKernelModules from PCI devices (devices section unusable)",
        ),
    }
    if let Some(usb) = &p.usb_interfaces {
        for u in usb {
            let mut parts = u.interface.split('/');
            let (class, _sub, proto) = (parts.next(), parts.next(), parts.next());
            let kind = match (class, proto) {
                (Some("8"), _) => "USB mass storage",
                (Some("3"), Some("1")) => "USB keyboard",
                _ => continue,
            };
            if let Some(m) = &u.module {
                add(m, format!("{kind} interface {}", u.name));
            }
        }
    }
    if let Some(block) = &p.block_devices {
        for b in block {
            match &b.module {
                Some(m) => add(m, format!("driver of {}", b.name)),
                None => {
                    built_in.insert(b.driver.clone());
                }
            }
        }
    }
    if !modules.is_empty() {
        let names: Vec<String> = modules.keys().cloned().collect();
        let why: Vec<String> = modules
            .iter()
            .map(|(m, w)| format!("{m}: {}", w.iter().cloned().collect::<Vec<_>>().join(", ")))
            .collect();
        out.set(
            "boot.initrd.availableKernelModules",
            list(&names),
            why.join("\n"),
        );
    }
    if !built_in.is_empty() {
        let drivers: Vec<String> = built_in.into_iter().collect();
        out.missing(format!(
            "initrd modules for the drivers built into this kernel ({}): their module names are not known here",
            drivers.join(", ")
        ));
    }
}

/// `/dev/sda1` → `sda`, `/dev/nvme0n1p2` → `nvme0n1`, `/dev/mmcblk0p1` → `mmcblk0`, `/dev/vda` → `vda`.
fn parent_disk(source: &str) -> Option<String> {
    let node = source.strip_prefix("/dev/")?;
    if node.contains('/') {
        return None;
    }
    // nvme0n1p2, mmcblk0p1, loop0p1: a partition suffix `p<N>` after a digit.
    let digits = node.trim_end_matches(|c: char| c.is_ascii_digit());
    if digits.len() < node.len() {
        if let Some(disk) = digits.strip_suffix('p') {
            if disk.ends_with(|c: char| c.is_ascii_digit()) {
                return Some(disk.to_string());
            }
        }
    }
    // Whole disks whose names end in a digit.
    if ["nvme", "mmcblk", "loop", "nbd", "md", "zd"]
        .iter()
        .any(|p| node.starts_with(p))
    {
        return Some(node.to_string());
    }
    Some(digits.to_string()).filter(|d| !d.is_empty())
}

/// The most stable name of a mounted device: `/dev/mapper/…`, then by UUID, label, partition UUID.
fn stable_device(source: &str, ids: &crate::model::platform::DeviceIds) -> (String, &'static str) {
    if source.starts_with("/dev/mapper/") {
        return (source.to_string(), "device-mapper name");
    }
    if let Some(u) = &ids.uuid {
        return (format!("/dev/disk/by-uuid/{u}"), "file system UUID");
    }
    if let Some(l) = &ids.label {
        return (format!("/dev/disk/by-label/{l}"), "file system label");
    }
    if let Some(p) = &ids.partuuid {
        return (format!("/dev/disk/by-partuuid/{p}"), "partition UUID");
    }
    (
        source.to_string(),
        "no stable name: no /dev/disk/by-uuid link",
    )
}

/// Mount points nixos-generate-config leaves to NixOS itself.
fn skipped_mount(m: &Mount) -> Option<&'static str> {
    let mp = m.mount_point.as_str();
    let under = |d: &str| mp == d || mp.starts_with(&format!("{d}/"));
    if ["/proc", "/dev", "/sys", "/run", "/var/lib/nfs/rpc_pipefs"]
        .iter()
        .any(|d| under(d))
    {
        return Some("managed by NixOS");
    }
    if mp == "/tmp" && m.fs_type == "tmpfs" {
        return Some("tmpfs /tmp is boot.tmp.useTmpfs");
    }
    if mp == "/nix/store" && m.options.iter().any(|o| o == "ro") {
        return Some("read-only bind of the Nix store, made by NixOS");
    }
    if m.fs_type.starts_with("fuse") {
        return Some("FUSE file systems are mounted by their own programs");
    }
    None
}

fn file_systems(mounts: &[Mount], out: &mut HardwareConfig) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for m in mounts {
        if let Some(why) = skipped_mount(m) {
            if m.fs_type.starts_with("fuse") {
                out.missing(format!("fileSystems.{}: {why}", nix_string(&m.mount_point)));
            }
            continue;
        }
        if m.mount_point.is_empty() || !m.mount_point.starts_with('/') {
            continue;
        }
        let option = format!("fileSystems.{}", attr(&m.mount_point));
        // A second mount of a device already seen, not at a btrfs subvolume: a bind mount.
        let subvol = m
            .super_options
            .iter()
            .find_map(|o| o.strip_prefix("subvol="))
            .filter(|s| *s != "/");
        if let (Some(base), None) = (seen.get(m.major_minor.as_str()), subvol) {
            if !m.major_minor.is_empty() && !m.major_minor.starts_with("0:") {
                let base = if *base == "/" { "" } else { base };
                let root = if m.root == "/" { "" } else { m.root.as_str() };
                let from = format!("{base}{root}");
                let from = if from.is_empty() {
                    "/".to_string()
                } else {
                    from
                };
                out.set(
                    option,
                    format!(
                        "{{\n    device = {};\n    fsType = \"none\";\n    options = [ \"bind\" ];\n  }}",
                        nix_string(&from)
                    ),
                    format!("bind mount of {} (device {})", from, m.major_minor),
                );
                continue;
            }
        }
        seen.entry(&m.major_minor).or_insert(&m.mount_point);
        let (device, how) = if m.source.starts_with("/dev/") {
            stable_device(&m.source, &m.ids)
        } else {
            (m.source.clone(), "source as mounted")
        };
        let mut options: Vec<String> = Vec::new();
        if let Some(s) = subvol {
            options.push(format!("subvol={}", s.trim_start_matches('/')));
        }
        match m.fs_type.as_str() {
            // The ESP's permissions (systemd-boot warns about a world-readable random seed).
            "vfat" => options.extend(
                m.super_options
                    .iter()
                    .filter(|o| {
                        o.starts_with("fmask=")
                            || o.starts_with("dmask=")
                            || o.starts_with("umask=")
                    })
                    .cloned(),
            ),
            "tmpfs" => options.extend(
                m.super_options
                    .iter()
                    .filter(|o| {
                        o.starts_with("size=")
                            || o.starts_with("mode=")
                            || o.starts_with("nr_inodes=")
                    })
                    .cloned(),
            ),
            _ => {}
        }
        let mut value = format!(
            "{{\n    device = {};\n    fsType = {};\n",
            nix_string(&device),
            nix_string(&m.fs_type)
        );
        if !options.is_empty() {
            value.push_str(&format!("    options = {};\n", list(&options)));
        }
        value.push_str("  }");
        let because = format!("mounted from {}, {} ({how})", m.source, m.fs_type);
        if how.starts_with("no stable name") {
            out.missing(format!(
                "a stable name for {} (mounted at {}): written as the device node",
                m.source, m.mount_point
            ));
        }
        out.set(option, value, because);
    }
    if !mounts.iter().any(|m| m.mount_point == "/") {
        out.missing("fileSystems.\"/\": no root file system among the mounts");
    }
}

fn swap_devices(swap: &[Swap], out: &mut HardwareConfig) {
    let mut entries = Vec::new();
    let mut why = Vec::new();
    for s in swap {
        if s.path.starts_with("/dev/zram") {
            continue;
        }
        let (device, how) = if s.kind == "partition" {
            stable_device(&s.path, &s.ids)
        } else {
            (s.path.clone(), "swap file")
        };
        entries.push(format!("{{ device = {}; }}", nix_string(&device)));
        why.push(format!("{} ({how})", s.path));
    }
    let because = if why.is_empty() {
        "no swap active (zram is set up by zramSwap)".to_string()
    } else {
        format!("active swap: {}", why.join(", "))
    };
    let value = if entries.is_empty() {
        "[ ]".to_string()
    } else {
        format!("[\n    {}\n  ]", entries.join("\n    "))
    };
    out.set("swapDevices", value, because);
}

/// The mount point of the EFI system partition: a vfat mount at /boot, /boot/efi or /efi.
fn esp(mounts: Option<&Vec<Mount>>) -> Option<&str> {
    let mounts = mounts?;
    ["/boot", "/boot/efi", "/efi"].into_iter().find(|mp| {
        mounts
            .iter()
            .any(|m| m.mount_point == *mp && m.fs_type == "vfat")
    })
}

fn boot_loader(snap: &Snapshot, p: &Platform, out: &mut HardwareConfig) {
    if p.virtualisation
        .as_ref()
        .and_then(|v| v.container.as_deref())
        == Some("systemd-nspawn")
    {
        out.set(
            "boot.isContainer",
            "true",
            "systemd-detect-virt: systemd-nspawn container",
        );
        return;
    }
    let Some(fw) = &snap.firmware else {
        out.missing("boot loader: boot firmware unknown (firmware section not collected)");
        return;
    };
    match fw.boot {
        Some(BootFirmware::Uefi) => {
            out.set("boot.loader.systemd-boot.enable", "true", "booted by UEFI (/sys/firmware/efi)");
            if fw.efi_variables {
                out.set(
                    "boot.loader.efi.canTouchEfiVariables",
                    "true",
                    "EFI variables are available (/sys/firmware/efi/efivars)",
                );
            }
            match esp(p.file_systems.as_ref()) {
                Some("/boot") => {}
                Some(mp) => out.set(
                    "boot.loader.efi.efiSysMountPoint",
                    nix_string(mp),
                    format!("the EFI system partition (vfat) is mounted at {mp}"),
                ),
                None => out.missing("the EFI system partition: no vfat file system at /boot, /boot/efi or /efi"),
            }
        }
        Some(BootFirmware::Bios) => {
            let boot = p.file_systems.as_ref().and_then(|ms| {
                ms.iter()
                    .find(|m| m.mount_point == "/boot")
                    .or_else(|| ms.iter().find(|m| m.mount_point == "/"))
            });
            let disk = boot
                .and_then(|m| parent_disk(&m.source))
                .filter(|d| snap.disks.iter().any(|x| &x.name == d));
            // A mount known only by its udev name: on a host with one fixed disk, /boot is on that disk.
            let fixed: Vec<&str> = snap
                .disks
                .iter()
                .filter(|d| !d.removable && d.kind != crate::model::DiskKind::Usb)
                .map(|d| d.name.as_str())
                .collect();
            match (boot, disk, fixed.as_slice()) {
                (Some(m), Some(d), _) => out.set(
                    "boot.loader.grub.device",
                    nix_string(&format!("/dev/{d}")),
                    format!("booted by BIOS; {} is on disk {d}", m.mount_point),
                ),
                (Some(m), None, [only]) => out.set(
                    "boot.loader.grub.device",
                    nix_string(&format!("/dev/{only}")),
                    format!("booted by BIOS; {} is on {only}, the host's only fixed disk", m.mount_point),
                ),
                _ => out.missing(
                    "boot.loader.grub.device: booted by BIOS, but the disk holding /boot is not known",
                ),
            }
        }
        Some(BootFirmware::DeviceTree) if fw.extlinux => {
            out.set("boot.loader.grub.enable", "false", "device-tree machine booting through /boot/extlinux");
            out.set(
                "boot.loader.generic-extlinux-compatible.enable",
                "true",
                "device-tree machine booting through /boot/extlinux",
            );
        }
        Some(BootFirmware::DeviceTree) => out.missing(
            "boot loader: a device-tree machine without /boot/extlinux (its firmware loads the kernel; set the loader in local.nix)",
        ),
        None => out.missing("boot loader: neither UEFI, BIOS nor a device tree was seen"),
    }
}

/// Intel GPUs before Broadwell (Gen 8) use the i965 VA-API driver, later ones the iHD media driver.
fn intel_media_package(device: &str) -> &'static str {
    let id = u16::from_str_radix(device, 16).unwrap_or(0);
    match id >> 8 {
        0x00..=0x01 | 0x04 | 0x0a | 0x0c | 0x0d | 0x0f | 0x29 | 0x2a | 0x2e | 0xa0 | 0xa6 => {
            "pkgs.intel-vaapi-driver"
        }
        _ => "pkgs.intel-media-driver",
    }
}

/// NVIDIA's open kernel modules support Turing and later; Turing's device ids start at 0x1e00.
fn nvidia_open(device: &str) -> Option<bool> {
    u16::from_str_radix(device, 16).ok().map(|id| id >= 0x1e00)
}

fn graphics(p: &Platform, out: &mut HardwareConfig, early: &mut Vec<(String, String)>) {
    let Some(devices) = &p.pci_devices else {
        out.missing("GPU drivers: PCI devices unknown");
        return;
    };
    let gpus: Vec<_> = devices
        .iter()
        .filter(|d| d.class_code().is_some_and(|c| c >> 16 == 0x03))
        .collect();
    let mut video_drivers: Vec<String> = Vec::new();
    let mut extra: BTreeSet<&'static str> = BTreeSet::new();
    let mut why = Vec::new();
    let mut initrd = Vec::new();
    for g in &gpus {
        let at = format!("{}:{} at {}", g.vendor, g.device, g.slot);
        match g.vendor.as_str() {
            "10de" => {
                if !video_drivers.iter().any(|d| d == "nvidia") {
                    video_drivers.push("nvidia".into());
                    let open = nvidia_open(&g.device).unwrap_or(false);
                    out.set(
                        "hardware.nvidia.open",
                        if open { "true" } else { "false" },
                        if open {
                            format!("NVIDIA GPU {at} is Turing or newer: the open kernel modules support it")
                        } else {
                            format!("NVIDIA GPU {at} is older than Turing: only the proprietary modules support it")
                        },
                    );
                    out.set(
                        "nixpkgs.config.allowUnfreePredicate",
                        "pkg: builtins.elem (lib.getName pkg) [ \"nvidia-x11\" \"nvidia-settings\" \"nvidia-persistenced\" ]",
                        "the NVIDIA driver is unfree",
                    );
                }
                why.push(format!("NVIDIA GPU {at}"));
            }
            "1002" => {
                initrd.push("amdgpu".to_string());
                why.push(format!("AMD GPU {at}"));
            }
            "8086" => {
                extra.insert(intel_media_package(&g.device));
                why.push(format!("Intel GPU {at}"));
            }
            _ => {}
        }
    }
    if why.is_empty() {
        return;
    }
    out.set("hardware.graphics.enable", "true", why.join(", "));
    if !video_drivers.is_empty() {
        out.set(
            "services.xserver.videoDrivers",
            list(&video_drivers),
            "the NVIDIA driver is enabled through the X server's driver list (headless hosts too)",
        );
    }
    if !extra.is_empty() {
        let pkgs: Vec<&str> = extra.into_iter().collect();
        out.set(
            "hardware.graphics.extraPackages",
            format!("[ {} ]", pkgs.join(" ")),
            "VA-API video decoding for the Intel GPU",
        );
    }
    if !initrd.is_empty() {
        early.push((
            "amdgpu".to_string(),
            "load amdgpu early, so the console gets the GPU's native mode".to_string(),
        ));
    }
}

/// LUKS and LVM under the mounted file systems and swap: the initrd must open them before mounting.
fn device_mapper(p: &Platform, out: &mut HardwareConfig, early: &mut Vec<(String, String)>) {
    let Some(dms) = &p.device_mapper else {
        return;
    };
    let by_node: BTreeMap<&str, &crate::model::platform::DmDevice> =
        dms.iter().map(|d| (d.node.as_str(), d)).collect();
    let by_name: BTreeMap<&str, &crate::model::platform::DmDevice> =
        dms.iter().map(|d| (d.name.as_str(), d)).collect();
    let mut sources: Vec<&str> = Vec::new();
    if let Some(ms) = &p.file_systems {
        sources.extend(
            ms.iter()
                .filter(|m| skipped_mount(m).is_none())
                .map(|m| m.source.as_str()),
        );
    }
    if let Some(sw) = &p.swap {
        sources.extend(sw.iter().map(|s| s.path.as_str()));
    }
    let mut luks: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut lvm = false;
    for src in sources {
        let start = match src.strip_prefix("/dev/mapper/") {
            Some(name) => by_name.get(name).copied(),
            None => src
                .strip_prefix("/dev/")
                .and_then(|n| by_node.get(n).copied()),
        };
        // Walk down to the disks (bounded: a hostile listing may loop).
        let mut todo: Vec<&crate::model::platform::DmDevice> = start.into_iter().collect();
        let mut steps = 0;
        while let Some(d) = todo.pop() {
            steps += 1;
            if steps > 64 {
                break;
            }
            match d.kind.as_str() {
                "lvm" => lvm = true,
                "crypt" => {
                    if let [slave] = d.slaves.as_slice() {
                        let (device, how) =
                            stable_device(&format!("/dev/{}", slave.node), &slave.ids);
                        luks.insert(
                            d.name.clone(),
                            (
                                device,
                                format!("{src} is opened by dm-crypt from {} ({how})", slave.node),
                            ),
                        );
                    }
                }
                _ => {}
            }
            for s in &d.slaves {
                if let Some(next) = by_node.get(s.node.as_str()) {
                    todo.push(next);
                }
            }
        }
    }
    let crypt = !luks.is_empty();
    for (name, (device, why)) in luks {
        out.set(
            format!("boot.initrd.luks.devices.{}.device", attr(&name)),
            nix_string(&device),
            why,
        );
    }
    if crypt {
        // The same as nixos-generate-config, which adds it for every LUKS device it finds.
        early.push((
            "cryptd".to_string(),
            "a mounted file system or swap is on LUKS".to_string(),
        ));
    }
    if lvm {
        early.push((
            "dm-snapshot".to_string(),
            "a mounted file system is on LVM (as nixos-generate-config)".to_string(),
        ));
    }
}

/// Decide every option for `snap`.
pub fn plan(snap: &Snapshot) -> HardwareConfig {
    let mut out = HardwareConfig::default();
    let empty = Platform::default();
    let p = snap.platform.as_ref().unwrap_or(&empty);
    if snap.platform.is_none() {
        out.missing("devices, file systems, swap and virtualisation: the snapshot predates them (extract the host again)");
    }
    let virt = p.virtualisation.as_ref();
    match virt.and_then(|v| v.vm.as_deref()) {
        Some(vm @ ("qemu" | "kvm" | "bochs")) => out.imports.push(Choice {
            option: "imports".into(),
            value: "(modulesPath + \"/profiles/qemu-guest.nix\")".into(),
            because: format!("systemd-detect-virt: {vm} guest (virtio drivers in the initrd)"),
        }),
        Some("oracle") => out.set(
            "virtualisation.virtualbox.guest.enable",
            "true",
            "systemd-detect-virt: VirtualBox guest",
        ),
        Some("microsoft") => out.set(
            "virtualisation.hypervGuest.enable",
            "true",
            "systemd-detect-virt: Hyper-V guest",
        ),
        _ => {}
    }
    initrd_modules(p, &mut out);
    match p.cpu_flags {
        Some(f) if f.vmx || f.svm => {
            let (m, flag) = if f.vmx {
                ("kvm-intel", "vmx")
            } else {
                ("kvm-amd", "svm")
            };
            out.set(
                "boot.kernelModules",
                list(&[m.to_string()]),
                format!("the CPU has {flag} (hardware virtualisation)"),
            );
        }
        Some(_) => {}
        None => out.missing("boot.kernelModules for KVM: CPU flags unknown"),
    }
    let mut early: Vec<(String, String)> = Vec::new();
    graphics(p, &mut out, &mut early);
    device_mapper(p, &mut out, &mut early);
    if !early.is_empty() {
        let names: Vec<String> = early.iter().map(|(m, _)| m.clone()).collect();
        let why: Vec<String> = early.iter().map(|(m, w)| format!("{m}: {w}")).collect();
        out.set("boot.initrd.kernelModules", list(&names), why.join("\n"));
    }
    match &p.file_systems {
        Some(ms) => file_systems(ms, &mut out),
        None => out.missing("fileSystems: mounts unknown (mountinfo section unusable)"),
    }
    match &p.swap {
        Some(s) => swap_devices(s, &mut out),
        None => out.missing("swapDevices: swap unknown (swaps section unusable)"),
    }
    boot_loader(snap, p, &mut out);
    match snap.hardware.cpu.vendor.as_deref() {
        Some("GenuineIntel") => out.set(
            "hardware.cpu.intel.updateMicrocode",
            default("config.hardware.enableRedistributableFirmware"),
            "Intel CPU (vendor_id GenuineIntel)",
        ),
        Some("AuthenticAMD") => out.set(
            "hardware.cpu.amd.updateMicrocode",
            default("config.hardware.enableRedistributableFirmware"),
            "AMD CPU (vendor_id AuthenticAMD)",
        ),
        _ => {}
    }
    match virt {
        Some(v) if v.vm.is_none() && v.container.is_none() => out.set(
            "hardware.enableRedistributableFirmware",
            default("true"),
            "bare metal (no hypervisor or container detected): devices may need firmware files",
        ),
        Some(_) => {}
        None => out.missing("hardware.enableRedistributableFirmware: virtualisation unknown"),
    }
    if let Some(usb) = &p.usb_interfaces {
        // Wireless controller / RF / Bluetooth programming interface.
        if let Some(b) = usb.iter().find(|u| u.interface == "224/1/1") {
            out.set(
                "hardware.bluetooth.enable",
                "true",
                format!("Bluetooth controller (USB interface {})", b.name),
            );
        }
    }
    out.set(
        "networking.useDHCP",
        default("true"),
        "as nixos-generate-config: every interface asks DHCP until local.nix says otherwise",
    );
    if !snap.system_info.nix_system.is_empty() {
        out.set(
            "nixpkgs.hostPlatform",
            default(&nix_string(&snap.system_info.nix_system)),
            format!("uname -m: {}", snap.system_info.architecture),
        );
    }
    out
}

/// The option lines, two-space indented, each preceded by its reason as a comment.
pub fn body(cfg: &HardwareConfig) -> String {
    let mut s = String::new();
    let comment = |why: &str| -> String {
        why.lines()
            .map(|l| format!("  # {}\n", crate::text::strip_control(l)))
            .collect()
    };
    if !cfg.imports.is_empty() {
        s.push_str("  imports = [\n");
        for i in &cfg.imports {
            s.push_str(&format!(
                "    # {}\n    {}\n",
                crate::text::strip_control(&i.because),
                i.value
            ));
        }
        s.push_str("  ];\n\n");
    }
    for c in &cfg.choices {
        s.push_str(&comment(&c.because));
        s.push_str(&format!("  {} = {};\n\n", c.option, c.value));
    }
    if cfg.left_out.is_empty() {
        // No blank line before the closing brace.
        s.truncate(s.trim_end().len());
        s.push('\n');
    } else {
        s.push_str("  # Left out, for want of a fact:\n");
        for l in &cfg.left_out {
            s.push_str(&format!("  # - {}\n", crate::text::strip_control(l)));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_map_to_their_disks() {
        assert_eq!(parent_disk("/dev/sda1").as_deref(), Some("sda"));
        assert_eq!(parent_disk("/dev/nvme0n1p2").as_deref(), Some("nvme0n1"));
        assert_eq!(parent_disk("/dev/mmcblk0p1").as_deref(), Some("mmcblk0"));
        assert_eq!(parent_disk("/dev/vda").as_deref(), Some("vda"));
        assert_eq!(parent_disk("/dev/nvme0n1").as_deref(), Some("nvme0n1"));
        assert_eq!(parent_disk("/dev/mapper/root"), None);
    }

    #[test]
    fn btrfs_subvolumes_from_real_mountinfo() {
        let text = include_str!(
            "../../tests/fixtures/sections/mountinfo/issue-dysk-32-ubuntu-btrfs-subvolume-x86_64.out"
        );
        let mounts = crate::probe::linux::mounts::parse_mountinfo(text).unwrap();
        let mut out = HardwareConfig::default();
        file_systems(&mounts, &mut out);
        let root = out
            .choices
            .iter()
            .find(|c| c.option == "fileSystems.\"/\"")
            .unwrap();
        assert!(root.value.contains("fsType = \"btrfs\";"), "{}", root.value);
        assert!(
            root.value.contains("options = [ \"subvol=Ubuntu21.10\" ];"),
            "{}",
            root.value
        );
        // /run, /dev/shm, /sys/... are NixOS's own.
        assert_eq!(out.choices.len(), 1, "{:?}", out.choices);
        // The device node is all the paste gives: said, not hidden.
        assert!(out.left_out.iter().any(|l| l.contains("/dev/nvme0n1p6")));
    }

    #[test]
    fn gpu_generations() {
        assert_eq!(nvidia_open("2684"), Some(true)); // RTX 4090
        assert_eq!(nvidia_open("1b80"), Some(false)); // GTX 1080
        assert_eq!(intel_media_package("9a49"), "pkgs.intel-media-driver"); // Tiger Lake
        assert_eq!(intel_media_package("0416"), "pkgs.intel-vaapi-driver"); // Haswell
    }
}
