//! `system_profiler SPHardwareDataType -json`: model name, serial, chip, processor counts, memory.

use super::{sp_items, sp_json, str_of};
use crate::probe::ParseError;
use serde::Serialize;
use serde_json::Value;

/// A size like `16 GB`, `64 MB`, `1,5 GB` (localised decimal comma) in bytes, binary units (macOS reports
/// RAM and VRAM in powers of two).
pub fn parse_mem_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let mut words = s.split_whitespace();
    let num: f64 = words.next()?.replace(',', ".").parse().ok()?;
    if !num.is_finite() || num < 0.0 {
        return None;
    }
    let exp = match words.next()?.to_ascii_uppercase().as_str() {
        "B" => 0,
        "KB" | "KIB" => 1,
        "MB" | "MIB" => 2,
        "GB" | "GIB" => 3,
        "TB" | "TIB" => 4,
        _ => return None,
    };
    // `as` saturates for floats; negatives and NaN are excluded above.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some((num * 1024f64.powi(exp)).round() as u64)
}

/// `number_processors` from SPHardwareDataType.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcCount {
    /// Total cores (the integer form, or the first field of `proc T:...`).
    pub total: u32,
    /// Performance cores, from the 3-field form `proc 8:4:4` (total:P:E) only.
    pub performance: Option<u32>,
    /// Efficiency cores, from the 3-field form only.
    pub efficiency: Option<u32>,
}

/// What SPHardwareDataType says.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SpHardware {
    /// `machine_model` (`MacBookAir10,1`).
    pub machine_model: Option<String>,
    /// `machine_name` (`MacBook Air`).
    pub machine_name: Option<String>,
    /// `chip_type` (Apple Silicon, `Apple M1`).
    pub chip_type: Option<String>,
    /// `cpu_type` (Intel, `8-Core Intel Xeon W`); `Unknown` is dropped.
    pub cpu_type: Option<String>,
    /// `serial_number`.
    pub serial_number: Option<String>,
    /// `physical_memory` in bytes.
    pub memory_bytes: Option<u64>,
    /// `number_processors`.
    pub processors: Option<ProcCount>,
    /// `packages` (Intel).
    pub packages: Option<u32>,
    /// `platform_cpu_htt` (Intel): `Some(true)` when Hyper-Threading is on (two logical CPUs per core).
    pub hyper_threading: Option<bool>,
}

/// Parse `system_profiler -json SPHardwareDataType`.
///
/// ```text
/// { "SPHardwareDataType" : [ { "chip_type" : "Apple M1", "machine_model" : "MacBookAir10,1",
///     "number_processors" : "proc 8:4:4", "physical_memory" : "16 GB", ... } ] }
/// ```
///
/// `number_processors` is an integer on Intel and VMs, `proc T:P:E` on M1-era chips, and a 4-field
/// `proc a:b:c:d` on newer chips whose field meaning is not documented: only the total is taken from it.
pub fn parse_sp_hardware(text: &str) -> Result<SpHardware, ParseError> {
    let root = sp_json(text, "sp_hardware")?;
    let item = sp_items(&root, "SPHardwareDataType", "sp_hardware")?
        .first()
        .ok_or_else(|| ParseError::new("sp_hardware", "empty SPHardwareDataType array"))?;
    let processors = match item.get("number_processors") {
        Some(Value::Number(n)) => {
            n.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(|total| ProcCount {
                    total,
                    ..ProcCount::default()
                })
        }
        Some(Value::String(s)) => {
            let nums: Option<Vec<u32>> = s
                .trim()
                .trim_start_matches("proc")
                .trim()
                .split(':')
                .map(|f| f.trim().parse().ok())
                .collect();
            match nums.as_deref() {
                Some([t, p, e]) => Some(ProcCount {
                    total: *t,
                    performance: Some(*p),
                    efficiency: Some(*e),
                }),
                Some([t, ..]) => Some(ProcCount {
                    total: *t,
                    ..ProcCount::default()
                }),
                _ => None,
            }
        }
        _ => None,
    };
    Ok(SpHardware {
        machine_model: str_of(item, "machine_model"),
        machine_name: str_of(item, "machine_name"),
        chip_type: str_of(item, "chip_type"),
        cpu_type: str_of(item, "cpu_type").filter(|c| c != "Unknown"),
        serial_number: str_of(item, "serial_number"),
        memory_bytes: str_of(item, "physical_memory")
            .as_deref()
            .and_then(parse_mem_size),
        processors,
        packages: item
            .get("packages")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok()),
        hyper_threading: str_of(item, "platform_cpu_htt").map(|h| h == "htt_enabled"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sp_hardware_processor_forms() {
        let j = |np: &str| {
            format!(
                r#"{{"SPHardwareDataType":[{{"number_processors":{np},"physical_memory":"1,5 GB"}}]}}"#
            )
        };
        let h = parse_sp_hardware(&j(r#""proc 8:4:4""#)).unwrap();
        assert_eq!(
            h.processors,
            Some(ProcCount {
                total: 8,
                performance: Some(4),
                efficiency: Some(4)
            })
        );
        assert_eq!(h.memory_bytes, Some(1_610_612_736));
        let h = parse_sp_hardware(&j(r#""proc 18:6:0:12""#)).unwrap();
        assert_eq!(
            h.processors,
            Some(ProcCount {
                total: 18,
                performance: None,
                efficiency: None
            })
        );
        assert_eq!(
            parse_sp_hardware(&j("4"))
                .unwrap()
                .processors
                .map(|p| p.total),
            Some(4)
        );
        assert_eq!(
            parse_sp_hardware(&j(r#""proc x""#)).unwrap().processors,
            None
        );
        assert!(parse_sp_hardware("{}").is_err());
        assert!(parse_sp_hardware(r#"{"SPHardwareDataType":[]}"#).is_err());
    }

    #[test]
    fn mem_sizes() {
        assert_eq!(parse_mem_size("64 MB"), Some(64 << 20));
        assert_eq!(parse_mem_size("16 GB"), Some(16 << 30));
        assert_eq!(parse_mem_size("1e400 GB"), None);
        assert_eq!(parse_mem_size("-1 GB"), None);
        assert_eq!(parse_mem_size("GB"), None);
    }
}
