//! `system_profiler SPStorageDataType -json`: internal and external drives from their APFS volumes.

use super::{sp_items, sp_json, str_of};
use crate::model::{Disk, DiskKind};
use crate::probe::linux::disk::is_virtual_model;
use crate::probe::ParseError;
use serde_json::Value;
use std::collections::BTreeMap;

/// The whole-disk part of a BSD name: `disk3s1s1` -> `disk3`.
fn whole_disk(bsd: &str) -> Option<String> {
    let digits: String = bsd
        .strip_prefix("disk")?
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("disk{digits}"))
}

/// Parse `system_profiler -json SPStorageDataType` into disks.
///
/// ```text
/// { "SPStorageDataType" : [ { "bsd_name" : "disk3s5", "size_in_bytes" : 994662584320,
///     "physical_drive" : { "device_name" : "APPLE SSD AP1024Z", "medium_type" : "ssd", "protocol" : "Apple Fabric" } } ] }
/// ```
///
/// The data type lists *volumes*. Volumes are grouped by the whole disk of their `bsd_name` (`disk3s1s1`,
/// `disk3s5` -> `disk3`, the APFS container, which stands for its physical drive); disk images (Cryptexes)
/// are skipped. The size is an approximation: the largest volume's `size_in_bytes` (APFS volumes report the
/// container's size), not the raw device size, which this data type does not give.
pub fn parse_sp_storage(text: &str) -> Result<Vec<Disk>, ParseError> {
    let root = sp_json(text, "sp_storage")?;
    let mut by_disk: BTreeMap<String, Disk> = BTreeMap::new();
    for vol in sp_items(&root, "SPStorageDataType", "sp_storage")? {
        let Some(name) = str_of(vol, "bsd_name").as_deref().and_then(whole_disk) else {
            continue;
        };
        let empty = Value::Null;
        let drive = vol.get("physical_drive").unwrap_or(&empty);
        let protocol = str_of(drive, "protocol");
        if protocol.as_deref() == Some("Disk Image")
            || str_of(drive, "device_name").as_deref() == Some("Disk Image")
        {
            continue;
        }
        let size = vol
            .get("size_in_bytes")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        let model = str_of(drive, "device_name");
        let internal = str_of(drive, "is_internal_disk").map(|v| v == "yes");
        let medium = str_of(drive, "medium_type");
        let proto_l = protocol.as_deref().unwrap_or("").to_ascii_lowercase();
        let kind = if proto_l == "usb" {
            DiskKind::Usb
        } else if model.as_deref().is_some_and(is_virtual_model) {
            DiskKind::Virtual
        } else if proto_l.contains("nvme") || proto_l.contains("pci") {
            DiskKind::Nvme
        } else {
            match medium.as_deref() {
                Some("ssd") => DiskKind::Ssd,
                Some("rotational") => DiskKind::Hdd,
                _ => DiskKind::Unknown,
            }
        };
        let disk = by_disk.entry(name.clone()).or_insert_with(|| Disk {
            name,
            size_bytes: 0,
            size_gb: 0,
            model: None,
            serial: None,
            kind,
            removable: false,
            transport: None,
        });
        disk.size_bytes = disk.size_bytes.max(size);
        disk.size_gb = disk.size_bytes / 1_000_000_000;
        disk.model = disk.model.take().or(model);
        disk.transport = disk.transport.take().or(protocol);
        disk.removable |= internal == Some(false) || kind == DiskKind::Usb;
        if disk.kind == DiskKind::Unknown {
            disk.kind = kind;
        }
    }
    Ok(by_disk.into_values().collect())
}
