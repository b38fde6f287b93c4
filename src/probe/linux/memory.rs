//! `/proc/meminfo` and the sysfs memory blocks: usable and installed memory, swap.

use crate::probe::text::key_value;
use crate::probe::ParseError;
use serde::Serialize;
use std::collections::BTreeMap;

/// What `/proc/meminfo` says, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemInfo {
    /// `MemTotal`: memory the kernel manages.
    pub total_bytes: u64,
    /// `SwapTotal`, when present.
    pub swap_bytes: Option<u64>,
    /// `MemAvailable`, when present (kernels before 3.14 lack it).
    pub available_bytes: Option<u64>,
}

/// Parse `/proc/meminfo`.
///
/// ```text
/// MemTotal:       32489496 kB
/// MemFree:        28118332 kB
/// SwapTotal:        999420 kB
/// ```
///
/// Values are kB (KiB) unless a line has no unit. Lines of the 2.4-era table (`Mem:  260579328 ...`) are ignored.
pub fn parse_meminfo(text: &str) -> Result<MemInfo, ParseError> {
    let mut fields: BTreeMap<&str, u64> = BTreeMap::new();
    for line in text.lines() {
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        let mut words = value.split_whitespace();
        let Some(Ok(n)) = words.next().map(str::parse::<u64>) else {
            continue;
        };
        let bytes = match words.next() {
            Some(u) if u.eq_ignore_ascii_case("kB") => n.saturating_mul(1024),
            Some(u) if u.eq_ignore_ascii_case("MB") => n.saturating_mul(1024 * 1024),
            _ => n,
        };
        fields.entry(key).or_insert(bytes);
    }
    let total_bytes = *fields
        .get("MemTotal")
        .ok_or_else(|| ParseError::new("meminfo", "no MemTotal line"))?;
    Ok(MemInfo {
        total_bytes,
        swap_bytes: fields.get("SwapTotal").copied(),
        available_bytes: fields.get("MemAvailable").copied(),
    })
}

/// Parse the `memory_blocks` section: installed memory = block size x online blocks.
///
/// ```text
/// /sys/devices/system/memory/block_size_bytes:8000000
/// /sys/devices/system/memory/memory0/online:1
/// ```
///
/// `block_size_bytes` is hexadecimal without `0x`. Returns `None` when the kernel has no memory blocks.
pub fn parse_memory_blocks(text: &str) -> Result<Option<u64>, ParseError> {
    let mut block_size = None;
    let mut online: u64 = 0;
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if path.ends_with("/block_size_bytes") {
            let hex = value.trim_start_matches("0x").trim_start_matches("0X");
            block_size = Some(u64::from_str_radix(hex, 16).map_err(|_| {
                ParseError::new("memory_blocks", format!("bad block size {value:?}"))
            })?);
        } else if path.ends_with("/online") && value == "1" {
            online = online.saturating_add(1);
        }
    }
    Ok(match block_size {
        Some(size) if size > 0 && online > 0 => Some(size.saturating_mul(online)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_needs_memtotal() {
        assert!(parse_meminfo("").is_err());
        assert!(parse_meminfo("MemFree: 1 kB\n").is_err());
        let m = parse_meminfo("  MemTotal:   1024 kB  \nSwapTotal: 0 kB\nHugePages_Total: 5\n")
            .unwrap();
        assert_eq!(m.total_bytes, 1_048_576);
        assert_eq!(m.swap_bytes, Some(0));
        assert_eq!(m.available_bytes, None);
        let huge = parse_meminfo("MemTotal: 18446744073709551615 kB\n").unwrap();
        assert_eq!(huge.total_bytes, u64::MAX);
    }

    #[test]
    fn memory_blocks_hex_and_absent() {
        let t = "/sys/devices/system/memory/block_size_bytes:8000000\n\
                 /sys/devices/system/memory/memory0/online:1\n/sys/devices/system/memory/memory1/online:0\n\
                 /sys/devices/system/memory/memory2/online:1\n";
        assert_eq!(parse_memory_blocks(t).unwrap(), Some(2 * 0x800_0000));
        assert_eq!(parse_memory_blocks("").unwrap(), None);
        assert!(parse_memory_blocks("/sys/devices/system/memory/block_size_bytes:zz\n").is_err());
    }
}
