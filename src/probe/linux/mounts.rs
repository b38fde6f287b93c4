//! The `mountinfo`, `disk_links` and `swaps` sections: what is mounted where (`/proc/self/mountinfo`),
//! the stable names udev gives block devices (`ls -l /dev/disk/by-uuid …`), and active swap
//! (`/proc/swaps`).

use crate::model::platform::{DeviceIds, Mount, Swap};
use crate::probe::ParseError;
use std::collections::BTreeMap;

/// Most mounts kept (a container host can have thousands; the configuration needs a few).
const MAX_MOUNTS: usize = 4096;

/// File systems the kernel makes up: never in a hardware configuration.
const PSEUDO: &[&str] = &[
    "autofs",
    "binfmt_misc",
    "bpf",
    "cgroup",
    "cgroup2",
    "configfs",
    "debugfs",
    "devpts",
    "devtmpfs",
    "efivarfs",
    "fusectl",
    "hugetlbfs",
    "mqueue",
    "nsfs",
    "proc",
    "pstore",
    "ramfs",
    "rpc_pipefs",
    "securityfs",
    "selinuxfs",
    "sysfs",
    "tracefs",
];

/// Undo the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash).
pub fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if let Some(oct) = bytes.get(i + 1..i + 4) {
                if oct.iter().all(|b| (b'0'..=b'7').contains(b)) {
                    let v = u32::from(oct[0] - b'0') * 64
                        + u32::from(oct[1] - b'0') * 8
                        + u32::from(oct[2] - b'0');
                    if let Ok(b) = u8::try_from(v) {
                        out.push(b);
                        i += 4;
                        continue;
                    }
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn list(field: &str) -> Vec<String> {
    field
        .split(',')
        .filter(|o| !o.is_empty())
        .map(unescape)
        .collect()
}

/// Parse `/proc/self/mountinfo`, leaving out pseudo file systems.
pub fn parse_mountinfo(text: &str) -> Result<Vec<Mount>, ParseError> {
    let mut mounts = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(' ').collect();
        let sep = fields.iter().position(|f| *f == "-");
        let (Some(sep), true) = (sep, fields.len() >= 10) else {
            return Err(ParseError::new(
                "mountinfo",
                format!(
                    "unexpected line {:?}",
                    line.chars().take(80).collect::<String>()
                ),
            ));
        };
        if sep < 6 || fields.len() < sep + 3 {
            return Err(ParseError::new("mountinfo", "a line lacks its fields"));
        }
        let fs_type = unescape(fields[sep + 1]);
        if PSEUDO.contains(&fs_type.as_str()) {
            continue;
        }
        if mounts.len() >= MAX_MOUNTS {
            break;
        }
        mounts.push(Mount {
            major_minor: fields[2].to_string(),
            root: unescape(fields[3]),
            mount_point: unescape(fields[4]),
            options: list(fields[5]),
            fs_type,
            source: unescape(fields[sep + 2]),
            super_options: fields.get(sep + 3).map(|f| list(f)).unwrap_or_default(),
            ids: DeviceIds::default(),
        });
    }
    if mounts.is_empty() && !text.trim().is_empty() {
        // Every real system has a root mount that is not a pseudo file system.
        return Err(ParseError::new("mountinfo", "no file system mounted"));
    }
    Ok(mounts)
}

/// The `/dev/disk/by-*` and `/dev/mapper` links: device node name (`sda1`, `dm-0`) → its stable names.
pub type DiskLinks = BTreeMap<String, DeviceIds>;

/// Parse `ls -l /dev/disk/by-uuid /dev/disk/by-label /dev/disk/by-partuuid /dev/mapper`.
pub fn parse_disk_links(text: &str) -> Result<DiskLinks, ParseError> {
    let mut links = DiskLinks::new();
    let mut dir = "";
    let mut mapper: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(d) = line.strip_suffix(':').filter(|d| d.starts_with("/dev/")) {
            dir = d;
            continue;
        }
        let Some((left, target)) = line.split_once(" -> ") else {
            continue;
        };
        let Some(name) = left.split_whitespace().last() else {
            continue;
        };
        let node = target.trim().rsplit('/').next().unwrap_or("").to_string();
        if node.is_empty() || name.is_empty() || links.len() >= MAX_MOUNTS {
            continue;
        }
        let ids = links.entry(node.clone()).or_default();
        let name = name.to_string();
        match dir {
            "/dev/disk/by-uuid" => ids.uuid = Some(name),
            "/dev/disk/by-label" => ids.label = Some(name),
            "/dev/disk/by-partuuid" => ids.partuuid = Some(name),
            "/dev/mapper" => {
                ids.mapper = Some(name.clone());
                mapper.push((name, node));
            }
            _ => {}
        }
    }
    // A mapper device is mounted by its /dev/mapper name: key its ids by that name too.
    for (name, node) in mapper {
        if let Some(ids) = links.get(&node).cloned() {
            links.insert(format!("mapper/{name}"), ids);
        }
    }
    Ok(links)
}

/// The stable names of a device given as `/dev/...`.
pub fn ids_of(links: &DiskLinks, source: &str) -> DeviceIds {
    let key = match source.strip_prefix("/dev/mapper/") {
        Some(m) => format!("mapper/{m}"),
        None => match source.strip_prefix("/dev/") {
            Some(rest) => rest.rsplit('/').next().unwrap_or(rest).to_string(),
            None => return DeviceIds::default(),
        },
    };
    links.get(&key).cloned().unwrap_or_default()
}

/// Parse `/proc/swaps`.
pub fn parse_swaps(text: &str) -> Result<Vec<Swap>, ParseError> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.first() == Some(&"Filename") {
            continue;
        }
        let [path, kind, size, _used, priority] = f.as_slice() else {
            return Err(ParseError::new(
                "swaps",
                format!(
                    "unexpected line {:?}",
                    line.chars().take(80).collect::<String>()
                ),
            ));
        };
        let (Ok(size_kib), Ok(priority)) = (size.parse(), priority.parse()) else {
            return Err(ParseError::new("swaps", "size or priority is not a number"));
        };
        out.push(Swap {
            path: unescape(path),
            kind: kind.to_string(),
            size_kib,
            priority,
            ids: DeviceIds::default(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_undone() {
        assert_eq!(unescape(r"/mnt/my\040disk"), "/mnt/my disk");
        assert_eq!(unescape(r"a\134b"), r"a\b");
        assert_eq!(unescape(r"bad\9"), r"bad\9");
        assert_eq!(unescape("\\"), "\\");
    }

    #[test]
    fn mountinfo_keeps_real_file_systems() {
        let text = "22 27 0:21 / /proc rw,relatime - proc proc rw\n\
            27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n\
            40 27 0:40 /@home /home rw,noatime shared:2 - btrfs /dev/nvme0n1p2 rw,subvol=/@home\n";
        let m = parse_mountinfo(text).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].root, "/@home");
        assert_eq!(m[1].super_options, ["rw", "subvol=/@home"]);
        assert!(parse_mountinfo("nonsense\n").is_err());
    }

    #[test]
    fn links_and_swaps() {
        let links = parse_disk_links(
            "/dev/disk/by-uuid:\ntotal 0\nlrwxrwxrwx 1 root root 10 Dec  1 09:00 1234-ABCD -> ../../sda1\n\
             lrwxrwxrwx 1 root root 10 Dec  1 09:00 0a1b -> ../../dm-0\n\n\
             /dev/mapper:\ncrw------- 1 root root 10, 236 Dec  1 09:00 control\n\
             lrwxrwxrwx 1 root root 7 Dec  1 09:00 cryptroot -> ../dm-0\n",
        )
        .unwrap();
        assert_eq!(
            ids_of(&links, "/dev/sda1").uuid.as_deref(),
            Some("1234-ABCD")
        );
        assert_eq!(
            ids_of(&links, "/dev/mapper/cryptroot").uuid.as_deref(),
            Some("0a1b")
        );
        assert!(ids_of(&links, "tmpfs").is_empty());
        let s =
            parse_swaps("Filename\tType\tSize\tUsed\tPriority\n/dev/sda3 partition 8388604 0 -2\n")
                .unwrap();
        assert_eq!((s[0].size_kib, s[0].priority), (8_388_604, -2));
        assert!(parse_swaps("/x partition big 0 -2\n").is_err());
    }
}
