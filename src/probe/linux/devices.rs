//! The `devices` and `drivers` sections: PCI functions and USB interfaces from their sysfs `uevent`
//! files, and which kernel module provides each driver, from the sysfs links.
//!
//! `devices` is `grep -H '' /sys/bus/pci/devices/*/uevent /sys/bus/usb/devices/*:*/uevent`:
//!
//! ```text
//! /sys/bus/pci/devices/0000:00:14.0/uevent:DRIVER=xhci_hcd
//! /sys/bus/pci/devices/0000:00:14.0/uevent:PCI_CLASS=C0330
//! /sys/bus/pci/devices/0000:00:14.0/uevent:PCI_ID=8086:A36D
//! ```
//!
//! `drivers` is `ls -ld` of `/sys/bus/*/drivers/*/module`, `/sys/class/block/*/device/driver` and
//! `/sys/class/mmc_host/*/device/driver`: symbolic links whose targets name the module and the driver.

use crate::model::platform::{BlockDevice, PciDevice, UsbInterface};
use crate::probe::ParseError;
use std::collections::BTreeMap;

/// Most devices a host may list; the rest are dropped (a PCI bus has at most 65,536 functions).
const MAX_DEVICES: usize = 65_536;

/// PCI functions and USB interfaces, before their drivers' modules are known.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BusDevices {
    /// PCI functions, by bus address.
    pub pci: Vec<PciDevice>,
    /// USB interfaces, by sysfs name.
    pub usb: Vec<UsbInterface>,
}

/// What the driver links say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriverLinks {
    /// `(bus, driver)` → module, for drivers that are modules.
    pub modules: BTreeMap<(String, String), String>,
    /// Block devices and MMC hosts: `(name, bus, driver)`.
    pub block: Vec<(String, String, String)>,
}

impl DriverLinks {
    /// The module providing `driver` on `bus`.
    pub fn module(&self, bus: &str, driver: &str) -> Option<&str> {
        self.modules
            .get(&(bus.to_string(), driver.to_string()))
            .map(String::as_str)
    }

    /// Block devices with their drivers' modules.
    pub fn block_devices(&self) -> Vec<BlockDevice> {
        self.block
            .iter()
            .map(|(name, bus, driver)| BlockDevice {
                name: name.clone(),
                driver: driver.clone(),
                module: self.module(bus, driver).map(str::to_string),
            })
            .collect()
    }
}

fn hex_id(value: &str, digits: usize) -> Option<String> {
    let v = value.trim();
    (!v.is_empty() && v.len() <= digits && v.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("{:0>digits$}", v.to_ascii_lowercase()))
}

/// `8086:A36D` → (`8086`, `a36d`).
fn id_pair(value: &str) -> Option<(String, String)> {
    let (a, b) = value.split_once(':')?;
    Some((hex_id(a, 4)?, hex_id(b, 4)?))
}

/// A sysfs name: what the kernel uses for bus addresses and drivers (no `/`, no spaces).
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '_' | '+'))
}

/// Parse the `devices` section.
pub fn parse_devices(text: &str) -> Result<BusDevices, ParseError> {
    let mut pci: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut usb: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Some((path, kv)) = line.split_once("/uevent:") else {
            return Err(ParseError::new(
                "devices",
                format!("unexpected line {:?}", first_chars(line)),
            ));
        };
        let Some((key, value)) = kv.split_once('=') else {
            continue;
        };
        let (table, name) = if let Some(n) = path.strip_prefix("/sys/bus/pci/devices/") {
            (&mut pci, n)
        } else if let Some(n) = path.strip_prefix("/sys/bus/usb/devices/") {
            (&mut usb, n)
        } else {
            continue;
        };
        if !plain(name) || (table.len() >= MAX_DEVICES && !table.contains_key(name)) {
            continue;
        }
        table
            .entry(name.to_string())
            .or_default()
            .insert(key.to_string(), value.trim().to_string());
    }
    let driver = |k: &BTreeMap<String, String>| k.get("DRIVER").filter(|d| plain(d)).cloned();
    let pci = pci
        .into_iter()
        .filter_map(|(slot, k)| {
            let (vendor, device) = id_pair(k.get("PCI_ID")?)?;
            Some(PciDevice {
                class: hex_id(k.get("PCI_CLASS")?, 6)?,
                vendor,
                device,
                subsystem: k
                    .get("PCI_SUBSYS_ID")
                    .and_then(|s| id_pair(s))
                    .map(|(v, d)| format!("{v}:{d}")),
                driver: driver(&k),
                module: None,
                slot,
            })
        })
        .collect();
    let usb = usb
        .into_iter()
        // Interfaces only (`1-1:1.0`); devices and hubs (`1-1`, `usb1`) carry no INTERFACE.
        .filter(|(name, _)| name.contains(':'))
        .filter_map(|(name, k)| {
            let interface = k.get("INTERFACE")?;
            let ok = interface.split('/').count() == 3
                && interface.split('/').all(|p| p.parse::<u8>().is_ok());
            if !ok {
                return None;
            }
            Some(UsbInterface {
                interface: interface.clone(),
                // PRODUCT is `vendor/product/bcdDevice` in hex without padding.
                product: k.get("PRODUCT").and_then(|p| {
                    let mut it = p.split('/');
                    Some(format!(
                        "{}:{}",
                        hex_id(it.next()?, 4)?,
                        hex_id(it.next()?, 4)?
                    ))
                }),
                driver: driver(&k),
                module: None,
                name,
            })
        })
        .collect();
    Ok(BusDevices { pci, usb })
}

fn first_chars(line: &str) -> String {
    line.chars().take(80).collect()
}

/// The last path component of a link target.
fn basename(target: &str) -> &str {
    target.rsplit('/').next().unwrap_or(target)
}

/// The bus in a driver link target (`../../../bus/scsi/drivers/sd` → `scsi`).
fn bus_of(target: &str) -> Option<&str> {
    let mut parts = target.split('/');
    parts.find(|p| *p == "bus")?;
    parts.next().filter(|b| plain(b))
}

/// Parse the `drivers` section (`ls -ld` lines; anything that is not a link is ignored).
pub fn parse_drivers(text: &str) -> Result<DriverLinks, ParseError> {
    let mut links = DriverLinks::default();
    for line in text.lines() {
        let Some((left, target)) = line.split_once(" -> ") else {
            continue;
        };
        let Some(path) = left.split_whitespace().last() else {
            continue;
        };
        let target = target.trim();
        if let Some(rest) = path.strip_prefix("/sys/bus/") {
            // /sys/bus/<bus>/drivers/<driver>/module -> ../../../../module/<module>
            let parts: Vec<&str> = rest.split('/').collect();
            if let [bus, "drivers", driver, "module"] = parts.as_slice() {
                let module = basename(target);
                if plain(bus) && plain(driver) && plain(module) {
                    links
                        .modules
                        .insert((bus.to_string(), driver.to_string()), module.to_string());
                }
            }
        } else if let Some(rest) = path
            .strip_prefix("/sys/class/block/")
            .or_else(|| path.strip_prefix("/sys/class/mmc_host/"))
        {
            // /sys/class/block/<dev>/device/driver -> ../../../bus/<bus>/drivers/<driver>
            let parts: Vec<&str> = rest.split('/').collect();
            if let [name, "device", "driver"] = parts.as_slice() {
                let driver = basename(target);
                if let Some(bus) = bus_of(target) {
                    if plain(name) && plain(driver) && links.block.len() < MAX_DEVICES {
                        links
                            .block
                            .push((name.to_string(), bus.to_string(), driver.to_string()));
                    }
                }
            }
        }
    }
    if links.modules.is_empty() && links.block.is_empty() && !text.trim().is_empty() {
        let has_links = text.lines().any(|l| l.contains(" -> "));
        if !has_links {
            return Err(ParseError::new(
                "drivers",
                format!(
                    "no driver links in {:?}",
                    first_chars(text.lines().next().unwrap_or(""))
                ),
            ));
        }
    }
    Ok(links)
}

/// Fill in each device's module from the driver links.
pub fn attach_modules(devices: &mut BusDevices, links: &DriverLinks) {
    for d in &mut devices.pci {
        d.module = d
            .driver
            .as_deref()
            .and_then(|drv| links.module("pci", drv))
            .map(str::to_string);
    }
    for u in &mut devices.usb {
        u.module = u
            .driver
            .as_deref()
            .and_then(|drv| links.module("usb", drv))
            .map(str::to_string);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uevent_lines_become_devices() {
        let text = "/sys/bus/pci/devices/0000:00:14.0/uevent:DRIVER=xhci_hcd\n\
            /sys/bus/pci/devices/0000:00:14.0/uevent:PCI_CLASS=C0330\n\
            /sys/bus/pci/devices/0000:00:14.0/uevent:PCI_ID=8086:A36D\n\
            /sys/bus/pci/devices/0000:00:14.0/uevent:PCI_SUBSYS_ID=1028:0869\n\
            /sys/bus/usb/devices/2-1:1.0/uevent:DRIVER=usb-storage\n\
            /sys/bus/usb/devices/2-1:1.0/uevent:PRODUCT=781/5581/100\n\
            /sys/bus/usb/devices/2-1:1.0/uevent:INTERFACE=8/6/80\n\
            /sys/bus/usb/devices/usb1/uevent:DRIVER=usb\n";
        let mut d = parse_devices(text).unwrap();
        let links = parse_drivers(
            "lrwxrwxrwx 1 root root 0 Dec  1 09:00 /sys/bus/pci/drivers/xhci_hcd/module -> ../../../../module/xhci_pci\n\
             lrwxrwxrwx 1 root root 0 Dec  1 09:00 /sys/bus/usb/drivers/usb-storage/module -> ../../../../module/usb_storage\n\
             lrwxrwxrwx 1 root root 0 Dec  1 09:00 /sys/class/block/sda/device/driver -> ../../../../../../../bus/scsi/drivers/sd\n\
             lrwxrwxrwx 1 root root 0 Dec  1 09:00 /sys/bus/scsi/drivers/sd/module -> ../../../../module/sd_mod\n",
        )
        .unwrap();
        attach_modules(&mut d, &links);
        assert_eq!(d.pci.len(), 1);
        assert_eq!(d.pci[0].class, "0c0330");
        assert_eq!(d.pci[0].module.as_deref(), Some("xhci_pci"));
        assert_eq!(d.pci[0].subsystem.as_deref(), Some("1028:0869"));
        assert_eq!(d.usb.len(), 1);
        assert_eq!(d.usb[0].product.as_deref(), Some("0781:5581"));
        assert_eq!(d.usb[0].module.as_deref(), Some("usb_storage"));
        let b = links.block_devices();
        assert_eq!(
            (b[0].name.as_str(), b[0].module.as_deref()),
            ("sda", Some("sd_mod"))
        );
    }

    #[test]
    fn hostile_names_are_dropped() {
        let d = parse_devices(
            "/sys/bus/pci/devices/x y/uevent:PCI_ID=8086:A36D\n\
             /sys/bus/pci/devices/0000:00:01.0/uevent:PCI_ID=zz:1\n",
        )
        .unwrap();
        assert!(d.pci.is_empty());
        assert!(parse_devices("garbage\n").is_err());
        assert!(parse_drivers("total 0\n").is_err());
    }
}
