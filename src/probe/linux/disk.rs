//! `lsblk -J`: whole disks with size, kind, model, serial and transport (old and new lsblk JSON).

use crate::model::{Disk, DiskKind};
use crate::probe::text::{non_empty, normalize_ws};
use crate::probe::ParseError;

/// A JSON value as text: strings as they are, numbers and booleans printed; `null` is `None`.
pub(super) fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => non_empty(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// lsblk booleans: `true`, `"1"`, `1` (old lsblk prints strings).
fn json_bool(v: Option<&serde_json::Value>) -> Option<bool> {
    match v? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Number(n) => n.as_u64().map(|n| n != 0),
        serde_json::Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A size in bytes: a number, a string of digits, or old lsblk's human form (`14.3G`, binary units).
/// The human form is approximate (lsblk rounded it); it is only used when `-b` was not honoured.
pub fn parse_size(v: Option<&serde_json::Value>) -> Option<u64> {
    match v? {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<u64>() {
                return Some(n);
            }
            let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))?;
            let (num, unit) = s.split_at(split);
            let num: f64 = num.replace(',', ".").parse().ok()?;
            let exp = match unit.trim().chars().next()?.to_ascii_uppercase() {
                'B' => 0,
                'K' => 1,
                'M' => 2,
                'G' => 3,
                'T' => 4,
                'P' => 5,
                _ => return None,
            };
            let bytes = (num * 1024f64.powi(exp)).round();
            // `as` saturates for floats; negative and NaN are excluded by the parse above.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Some(bytes as u64)
        }
        _ => None,
    }
}

/// Model or vendor strings that mark a virtual disk.
pub fn is_virtual_model(s: &str) -> bool {
    let u = s.to_ascii_uppercase();
    ["VBOX", "QEMU", "VIRTUAL", "VMWARE", "VEERTU", "XEN"]
        .iter()
        .any(|m| u.contains(m))
}

/// Parse `lsblk -J -b -d -o NAME,SIZE,TYPE,MODEL,SERIAL,TRAN,ROTA,RM,VENDOR`.
///
/// ```text
/// {"blockdevices": [
///    {"name":"nvme0n1", "size":512110190592, "type":"disk", "model":"Samsung SSD 980", "tran":"nvme", "rota":false, "rm":false}
/// ]}
/// ```
///
/// Old lsblk prints every value as a string (`"rm": "1"`, `"size": "14.3G"`). Only whole disks (`type` disk)
/// are kept; loop, zram, ram and nbd devices and empty (zero-size) devices are skipped; children are ignored.
/// `/dev/` prefixes (`--paths`) are stripped from names.
pub fn parse_lsblk(text: &str) -> Result<Vec<Disk>, ParseError> {
    let root: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::new("lsblk", format!("not JSON: {e}")))?;
    let devices = root
        .get("blockdevices")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| ParseError::new("lsblk", "no 'blockdevices' array"))?;
    let mut disks = Vec::new();
    for dev in devices {
        let Some(raw_name) = json_text(dev.get("name")) else {
            continue;
        };
        let name = raw_name
            .strip_prefix("/dev/")
            .unwrap_or(&raw_name)
            .to_string();
        if json_text(dev.get("type")).as_deref() != Some("disk") {
            continue;
        }
        if ["loop", "zram", "ram", "nbd"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let size_bytes = parse_size(dev.get("size")).unwrap_or(0);
        if size_bytes == 0 {
            continue;
        }
        let model = json_text(dev.get("model")).map(|m| normalize_ws(&m));
        let vendor = json_text(dev.get("vendor")).map(|m| normalize_ws(&m));
        let transport = json_text(dev.get("tran")).map(|t| t.to_ascii_lowercase());
        let rota = json_bool(dev.get("rota"));
        let rm = json_bool(dev.get("rm")).unwrap_or(false);
        let tran = transport.as_deref().unwrap_or("");
        let virtual_dev = name.starts_with("vd")
            || name.starts_with("xvd")
            || model.as_deref().is_some_and(is_virtual_model)
            || vendor.as_deref().is_some_and(is_virtual_model);
        let kind = if name.starts_with("nvme") || tran == "nvme" {
            DiskKind::Nvme
        } else if tran == "usb" {
            DiskKind::Usb
        } else if name.starts_with("mmcblk") || tran == "mmc" {
            DiskKind::Mmc
        } else if virtual_dev {
            DiskKind::Virtual
        } else {
            match rota {
                Some(false) => DiskKind::Ssd,
                Some(true) => DiskKind::Hdd,
                None => DiskKind::Unknown,
            }
        };
        disks.push(Disk {
            name,
            size_bytes,
            size_gb: size_bytes / 1_000_000_000,
            model,
            serial: json_text(dev.get("serial")),
            kind,
            removable: rm || tran == "usb",
            transport,
        });
    }
    disks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(disks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsblk_kinds() {
        let t = r#"{"blockdevices":[
            {"name":"nvme0n1","size":512110190592,"type":"disk","model":"Samsung SSD","tran":"nvme","rota":false,"rm":false},
            {"name":"sda","size":"4000787030016","type":"disk","model":"WDC","tran":"sata","rota":"1","rm":"0"},
            {"name":"sdb","size":"14.3G","type":"disk","tran":"usb","rota":"0","rm":"1"},
            {"name":"vda","size":1,"type":"disk"},
            {"name":"zram0","size":1,"type":"disk"},
            {"name":"loop0","size":1,"type":"loop"},
            {"name":"mmcblk0","size":2,"type":"disk","rm":false}
        ]}"#;
        let d = parse_lsblk(t).unwrap();
        let kinds: Vec<_> = d
            .iter()
            .map(|d| (d.name.as_str(), d.kind, d.removable))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("mmcblk0", DiskKind::Mmc, false),
                ("nvme0n1", DiskKind::Nvme, false),
                ("sda", DiskKind::Hdd, false),
                ("sdb", DiskKind::Usb, true),
                ("vda", DiskKind::Virtual, false),
            ]
        );
        assert_eq!(d[3].size_bytes, 15_354_508_083);
        assert_eq!(d[2].size_gb, 4000);
        assert!(parse_lsblk("").is_err());
        assert!(parse_lsblk("{}").is_err());
        assert!(parse_lsblk(
            r#"{"blockdevices":[{"size":-5},{"name":"sdz","type":"disk","size":1e300}]}"#
        )
        .unwrap()
        .is_empty());
    }
}
