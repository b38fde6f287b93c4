//! The `dm` section: device-mapper devices, from `grep -H '' /sys/block/dm-*/dm/{name,uuid}` and
//! `ls -l /sys/block/dm-*/slaves/`. The UUID's prefix says what made the device: cryptsetup writes
//! `CRYPT-<type>-…` (`CRYPT-LUKS2-…`, `CRYPT-PLAIN-…`), LVM writes `LVM-…`.

use crate::model::platform::{DeviceIds, DmDevice, DmSlave};
use crate::probe::ParseError;
use std::collections::BTreeMap;

fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | ':'))
}

/// Parse the `dm` section.
pub fn parse_dm(text: &str) -> Result<Vec<DmDevice>, ParseError> {
    #[derive(Default)]
    struct Dev {
        name: Option<String>,
        uuid: Option<String>,
        slaves: Vec<String>,
    }
    let mut devs: BTreeMap<String, Dev> = BTreeMap::new();
    let mut dir: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("/sys/block/") {
            // `dm-0/dm/name:cryptroot` or `dm-0/slaves:` (an ls heading)
            if let Some(node) = rest.strip_suffix("/slaves:") {
                dir = plain(node).then(|| node.to_string());
                continue;
            }
            let Some((path, value)) = rest.split_once(':') else {
                continue;
            };
            let mut parts = path.split('/');
            let (Some(node), Some("dm"), Some(file), None) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if !plain(node) || devs.len() >= 4096 {
                continue;
            }
            let d = devs.entry(node.to_string()).or_default();
            match file {
                "name" if plain(value.trim()) => d.name = Some(value.trim().to_string()),
                "uuid" => d.uuid = Some(value.trim().to_string()),
                _ => {}
            }
        } else if let (Some(node), Some((left, _target))) = (&dir, line.split_once(" -> ")) {
            if let Some(slave) = left.split_whitespace().last().filter(|s| plain(s)) {
                devs.entry(node.clone())
                    .or_default()
                    .slaves
                    .push(slave.to_string());
            }
        } else if line.trim().is_empty() {
            dir = None;
        }
    }
    let out: Vec<DmDevice> = devs
        .into_iter()
        .filter_map(|(node, d)| {
            let uuid = d.uuid.unwrap_or_default();
            let kind = if uuid.starts_with("CRYPT-") {
                "crypt"
            } else if uuid.starts_with("LVM-") {
                "lvm"
            } else {
                "other"
            };
            Some(DmDevice {
                name: d.name?,
                kind: kind.to_string(),
                slaves: d
                    .slaves
                    .into_iter()
                    .map(|node| DmSlave {
                        node,
                        ids: DeviceIds::default(),
                    })
                    .collect(),
                node,
            })
        })
        .collect();
    if out.is_empty()
        && text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.contains("/sys/block/"))
    {
        return Err(ParseError::new(
            "dm",
            "no device-mapper device in the output",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout of LVM on LUKS: dm-0 is the opened LUKS partition, dm-1 a logical volume on it. The
    /// UUID shapes are the ones cryptsetup and LVM write (`CRYPT-LUKS2-<hex>-<name>`, `LVM-<vg><lv>`).
    #[test]
    fn lvm_on_luks() {
        let text = "/sys/block/dm-0/dm/name:cryptroot\n\
            /sys/block/dm-0/dm/uuid:CRYPT-LUKS2-5d2a6b61a4a54d6c9c8e3f0e1b7a9c11-cryptroot\n\
            /sys/block/dm-1/dm/name:vg-root\n\
            /sys/block/dm-1/dm/uuid:LVM-abcdefabcdefabcdefabcdefabcdefab0123456789abcdef0123456789abcdef\n\
            /sys/block/dm-0/slaves:\n\
            total 0\n\
            lrwxrwxrwx 1 root root 0 Dec  1 09:00 nvme0n1p3 -> ../../../../pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1/nvme0n1p3\n\
            \n\
            /sys/block/dm-1/slaves:\n\
            total 0\n\
            lrwxrwxrwx 1 root root 0 Dec  1 09:00 dm-0 -> ../../dm-0\n";
        let d = parse_dm(text).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(
            (d[0].name.as_str(), d[0].kind.as_str()),
            ("cryptroot", "crypt")
        );
        assert_eq!(d[0].slaves[0].node, "nvme0n1p3");
        assert_eq!(
            (d[1].kind.as_str(), d[1].slaves[0].node.as_str()),
            ("lvm", "dm-0")
        );
        assert!(parse_dm("").unwrap().is_empty());
    }
}
