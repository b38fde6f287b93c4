//! The `drm` section: GPUs the kernel drives, from `/sys/class/drm/cardN/device/*` (AMD, Intel and any
//! other vendor; NVIDIA cards only with `nvidia-drm` or nouveau).
//!
//! Pure (text in, value out). Input comes from hosts we do not control: nothing indexes into or unwraps
//! it, and the number of cards read is bounded.

use crate::model::units::round_gib;
use crate::model::Gpu;
use crate::probe::text::non_empty;
use crate::probe::ParseError;
use std::collections::BTreeMap;

/// Most cards read (the kernel numbers DRM minors below 64 per type).
const MAX_CARDS: usize = 64;

/// What sysfs says about one card.
#[derive(Debug, Default)]
struct Card {
    vendor: Option<u16>,
    device: Option<u16>,
    driver: Option<String>,
    slot: Option<String>,
    vram: Option<u64>,
    product: Option<String>,
}

/// Vendor name (lowercase, as [`Gpu::vendor`] spells it) and display name of a PCI vendor id.
fn vendor_names(id: u16) -> Option<(&'static str, &'static str)> {
    Some(match id {
        0x1002 => ("amd", "AMD"),
        0x8086 => ("intel", "Intel"),
        0x10de => ("nvidia", "NVIDIA"),
        0x1a03 => ("aspeed", "ASPEED"),
        0x102b => ("matrox", "Matrox"),
        0x1013 => ("cirrus", "Cirrus Logic"),
        0x1234 => ("qemu", "QEMU"),
        0x1af4 => ("virtio", "Virtio"),
        0x1b36 => ("redhat", "Red Hat"),
        0x15ad => ("vmware", "VMware"),
        0x1414 => ("microsoft", "Microsoft"),
        0x5143 => ("qualcomm", "Qualcomm"),
        0x1ed5 => ("moore-threads", "Moore Threads"),
        _ => return None,
    })
}

/// Display adapters that run no compute: BMC video (ASPEED, Matrox G200), the firmware framebuffer, and
/// the virtual cards of VMs. They are outputs for a console, not GPUs, so a server with only a BMC is a
/// server without a GPU.
fn display_only(card: &Card) -> bool {
    let by_vendor = matches!(
        card.vendor,
        Some(0x1a03 | 0x102b | 0x1013 | 0x1234 | 0x1af4 | 0x1b36 | 0x15ad | 0x1414)
    );
    let by_driver = card.driver.as_deref().is_some_and(|d| {
        matches!(
            d,
            "ast"
                | "mgag200"
                | "simpledrm"
                | "simple-framebuffer"
                | "efidrm"
                | "vesadrm"
                | "ofdrm"
                | "bochs"
                | "bochs-drm"
                | "cirrus"
                | "cirrus-qemu"
                | "qxl"
                | "virtio_gpu"
                | "virtio-pci"
                | "vmwgfx"
                | "hyperv_drm"
                | "vkms"
                | "udl"
        )
    });
    by_vendor || by_driver
}

/// A hexadecimal id with or without `0x` (`0x1002`, `687F`).
fn hex16(v: &str) -> Option<u16> {
    let v = v.trim();
    let digits = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    u16::from_str_radix(digits, 16).ok()
}

/// `card0` → 0; connectors (`card0-HDMI-A-1`) and anything else → `None`.
fn card_number(name: &str) -> Option<u32> {
    let n = name.strip_prefix("card")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// Parse the `drm` section (`path:value` lines, as `grep -H` prints them; uevent gives one line per
/// `KEY=VALUE`).
///
/// ```text
/// /sys/class/drm/card0/device/vendor:0x1002
/// /sys/class/drm/card0/device/mem_info_vram_total:8573157376
/// /sys/class/drm/card1/device/uevent:DRIVER=i915
/// /sys/class/drm/card1/device/uevent:PCI_ID=8086:5917
/// ```
///
/// Vendor and device ids come from `device/vendor` and `device/device`, or from uevent's `PCI_ID` where
/// those files are absent; the driver from uevent's `DRIVER`; dedicated memory from amdgpu's
/// `mem_info_vram_total` (other drivers do not say: integrated GPUs share system memory). Names come from
/// amdgpu's `product_name` when it is set, else the vendor and the PCI ids (`AMD GPU 1002:687f`).
/// Display-only adapters (BMC video, firmware framebuffers, VM virtual cards) are left out. An empty
/// section means the host has no DRM card: no GPU the kernel drives. Cards are indexed by their DRM
/// number.
pub fn parse_drm(text: &str) -> Result<Vec<Gpu>, ParseError> {
    let mut cards: BTreeMap<u32, Card> = BTreeMap::new();
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let Some(rest) = path.strip_prefix("/sys/class/drm/") else {
            continue;
        };
        let Some((name, file)) = rest.split_once("/device/") else {
            continue;
        };
        let Some(n) = card_number(name) else {
            continue;
        };
        if !cards.contains_key(&n) && cards.len() >= MAX_CARDS {
            continue;
        }
        let card = cards.entry(n).or_default();
        match file {
            "vendor" => card.vendor = hex16(value).or(card.vendor),
            "device" => card.device = hex16(value).or(card.device),
            "mem_info_vram_total" => card.vram = value.trim().parse().ok(),
            "product_name" => card.product = non_empty(value),
            "uevent" => {
                let Some((k, v)) = value.split_once('=') else {
                    continue;
                };
                match k.trim() {
                    "DRIVER" => card.driver = non_empty(v),
                    "PCI_SLOT_NAME" => card.slot = non_empty(v),
                    "PCI_ID" => {
                        if let Some((ven, dev)) = v.split_once(':') {
                            card.vendor = card.vendor.or(hex16(ven));
                            card.device = card.device.or(hex16(dev));
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let mut gpus = Vec::new();
    for (n, card) in &cards {
        if display_only(card) || (card.vendor.is_none() && card.driver.is_none()) {
            continue;
        }
        let names = card.vendor.and_then(vendor_names);
        let vendor = match (names, card.vendor) {
            (Some((v, _)), _) => v.to_string(),
            (None, Some(id)) => format!("pci:{id:04x}"),
            (None, None) => card.driver.clone().unwrap_or_default(),
        };
        let ids = match (card.vendor, card.device) {
            (Some(v), Some(d)) => format!(" {v:04x}:{d:04x}"),
            _ => String::new(),
        };
        let who = names.map_or_else(
            || card.driver.clone().unwrap_or_else(|| "unknown".into()),
            |(_, display)| display.to_string(),
        );
        let name = card
            .product
            .clone()
            .unwrap_or_else(|| format!("{who} GPU{ids}"));
        gpus.push(Gpu {
            index: *n,
            name,
            vendor,
            vram_bytes: card.vram,
            vram_gb: card.vram.map(round_gib),
            driver_version: None,
            cuda_version: None,
            uuid: None,
            pci_bus_id: card.slot.clone(),
            cores: None,
            mig_mode: None,
            driver: card.driver.clone(),
        });
    }
    Ok(gpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_no_card() {
        assert_eq!(parse_drm("").unwrap(), vec![]);
        assert_eq!(parse_drm("garbage\n::\n/sys/class/drm/x").unwrap(), vec![]);
    }

    #[test]
    fn connectors_bmc_and_virtual_cards_are_not_gpus() {
        let t = "/sys/class/drm/card0-HDMI-A-1/device/uevent:DRIVER=amdgpu\n\
                 /sys/class/drm/card0/device/vendor:0x1a03\n\
                 /sys/class/drm/card0/device/uevent:DRIVER=ast\n\
                 /sys/class/drm/card1/device/uevent:DRIVER=simple-framebuffer\n\
                 /sys/class/drm/card2/device/uevent:DRIVER=virtio_gpu\n\
                 /sys/class/drm/card3/device/uevent:DRIVER=nouveau\n\
                 /sys/class/drm/card3/device/uevent:PCI_ID=10DE:2204\n\
                 /sys/class/drm/card4/device/uevent:DRIVER=panfrost\n";
        let g = parse_drm(t).unwrap();
        assert_eq!(g.len(), 2, "{g:?}");
        assert_eq!(g[0].name, "NVIDIA GPU 10de:2204");
        assert_eq!((g[0].index, g[0].vendor.as_str()), (3, "nvidia"));
        assert_eq!(g[1].name, "panfrost GPU");
        assert_eq!(g[1].vendor, "panfrost");
    }

    #[test]
    fn hostile_values_do_not_panic() {
        let mut t = String::new();
        for n in 0..1000 {
            t.push_str(&format!(
                "/sys/class/drm/card{n}/device/vendor:0x99999999\n/sys/class/drm/card{n}/device/uevent:PCI_ID=zz:\n"
            ));
            t.push_str(&format!(
                "/sys/class/drm/card{n}/device/mem_info_vram_total:-1\n/sys/class/drm/card{n}/device/uevent:DRIVER=x\n"
            ));
        }
        let g = parse_drm(&t).unwrap();
        assert_eq!(g.len(), MAX_CARDS);
        assert_eq!(g[0].vram_bytes, None);
        assert_eq!(card_number("card99999999999999"), None);
    }
}
