//! What a Linux host's kernel says about its devices, file systems and virtualisation: the facts a
//! NixOS `hardware-configuration.nix` is made from (nixos-generate-config reads the same sources).

use serde::{Deserialize, Serialize};

/// Devices, mounts, swap and virtualisation of a Linux host. Each part is `None` when its section was
/// not collected or failed (unknown), and an empty list when the kernel listed nothing (known none).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Platform {
    /// Hypervisor and container, as `systemd-detect-virt` and the CPU flags tell them.
    pub virtualisation: Option<Virtualisation>,
    /// CPU features that decide KVM support.
    pub cpu_flags: Option<CpuFlags>,
    /// Every PCI function (`/sys/bus/pci/devices`).
    pub pci_devices: Option<Vec<PciDevice>>,
    /// Every USB interface (`/sys/bus/usb/devices/*:*`).
    pub usb_interfaces: Option<Vec<UsbInterface>>,
    /// Block and MMC host devices with the driver behind them.
    pub block_devices: Option<Vec<BlockDevice>>,
    /// Mounted file systems (pseudo file systems such as proc and cgroup left out).
    pub file_systems: Option<Vec<Mount>>,
    /// Active swap areas (`/proc/swaps`).
    pub swap: Option<Vec<Swap>>,
    /// Device-mapper devices (LUKS, LVM) and what they are built on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_mapper: Option<Vec<DmDevice>>,
}

/// What the host runs in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Virtualisation {
    /// `systemd-detect-virt --vm`: `kvm`, `qemu`, `oracle`, `microsoft`, `vmware`, `xen`, …; `None` on
    /// bare metal.
    pub vm: Option<String>,
    /// `systemd-detect-virt --container`: `docker`, `lxc`, `systemd-nspawn`, …; `None` when not in one.
    pub container: Option<String>,
}

/// CPU features from `/proc/cpuinfo` flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpuFlags {
    /// Intel VT-x (`vmx`).
    pub vmx: bool,
    /// AMD-V (`svm`).
    pub svm: bool,
    /// Running under a hypervisor (`hypervisor`).
    pub hypervisor: bool,
}

/// One PCI function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PciDevice {
    /// Bus address, `0000:01:00.0`.
    pub slot: String,
    /// Class, subclass and programming interface as six lowercase hex digits (`010802`: NVMe).
    pub class: String,
    /// Vendor id, four lowercase hex digits (`10de`: NVIDIA).
    pub vendor: String,
    /// Device id, four lowercase hex digits.
    pub device: String,
    /// Subsystem vendor and device (`144d:a801`), when the kernel gives them.
    pub subsystem: Option<String>,
    /// The bound driver (`nvme`, `virtio-pci`), if any.
    pub driver: Option<String>,
    /// The kernel module that provides the driver (`xhci_pci` for `xhci_hcd`); `None` when the driver is
    /// built into the kernel or the link could not be read.
    pub module: Option<String>,
}

impl PciDevice {
    /// The class code as a number.
    pub fn class_code(&self) -> Option<u32> {
        u32::from_str_radix(&self.class, 16).ok()
    }
}

/// One USB interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsbInterface {
    /// sysfs name, `1-1:1.0`.
    pub name: String,
    /// Interface class, subclass and protocol (`08/06/50`: mass storage, SCSI, bulk-only), decimal as
    /// the kernel prints them.
    pub interface: String,
    /// Vendor and product (`0781:5581`), when given.
    pub product: Option<String>,
    /// The bound driver (`usb-storage`, `usbhid`), if any.
    pub driver: Option<String>,
    /// Its kernel module (`usb_storage`), when it is one.
    pub module: Option<String>,
}

/// A block device or MMC host and the driver serving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDevice {
    /// `sda`, `nvme0n1`, `vda`, `mmc0` (an MMC host).
    pub name: String,
    /// Driver of its device (`sd`, `nvme`, `virtio_blk`, `sdhci-pci`).
    pub driver: String,
    /// Its kernel module (`sd_mod`), when it is one.
    pub module: Option<String>,
}

/// One mounted file system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// Where it is mounted (`/`, `/boot`).
    pub mount_point: String,
    /// What was mounted, as the kernel names it (`/dev/nvme0n1p2`, `tmpfs`, `server:/export`).
    pub source: String,
    /// The file system type (`ext4`, `vfat`, `btrfs`, `nfs4`).
    pub fs_type: String,
    /// The path inside the file system that is mounted: `/` normally, a subvolume or a bind source
    /// otherwise.
    pub root: String,
    /// `major:minor` of the device.
    pub major_minor: String,
    /// Per-mount options (`rw`, `noatime`).
    pub options: Vec<String>,
    /// The file system's own options (`subvol=/@home`, `errors=remount-ro`).
    pub super_options: Vec<String>,
    /// Stable names of its device, when udev made them.
    pub ids: DeviceIds,
}

/// The stable names udev gives a block device (`/dev/disk/by-*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIds {
    /// File system UUID (`/dev/disk/by-uuid/…`).
    pub uuid: Option<String>,
    /// File system label (`/dev/disk/by-label/…`), as udev escapes it.
    pub label: Option<String>,
    /// Partition UUID (`/dev/disk/by-partuuid/…`).
    pub partuuid: Option<String>,
    /// Device-mapper name (`/dev/mapper/…`).
    pub mapper: Option<String>,
}

impl DeviceIds {
    /// True when udev gave no stable name.
    pub fn is_empty(&self) -> bool {
        self.uuid.is_none()
            && self.label.is_none()
            && self.partuuid.is_none()
            && self.mapper.is_none()
    }
}

/// One active swap area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swap {
    /// `/dev/sda3`, `/swapfile`, `/dev/zram0`.
    pub path: String,
    /// `partition` or `file`.
    pub kind: String,
    /// Size in KiB.
    pub size_kib: u64,
    /// Priority.
    pub priority: i64,
    /// Stable names of its device (partitions only).
    pub ids: DeviceIds,
}

/// A device-mapper device (`/sys/block/dm-N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmDevice {
    /// Kernel node, `dm-0`.
    pub node: String,
    /// Its name under `/dev/mapper` (`cryptroot`, `vg-root`).
    pub name: String,
    /// `crypt` (dm-crypt: LUKS or plain), `lvm`, or `other`, from the dm UUID's prefix.
    pub kind: String,
    /// The devices it is built on (`sda2`, `dm-0`), with their stable names.
    pub slaves: Vec<DmSlave>,
}

/// A device under a device-mapper device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DmSlave {
    /// Kernel node (`nvme0n1p3`, `dm-0`).
    pub node: String,
    /// Its udev names (a LUKS partition has a by-uuid link of its own).
    pub ids: DeviceIds,
}
