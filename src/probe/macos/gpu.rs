//! `system_profiler SPDisplaysDataType -json`: the GPUs (Apple, AMD, Intel, paravirtualised).

use super::hardware::parse_mem_size;
use super::{sp_items, sp_json, str_of};
use crate::model::units::round_gib;
use crate::model::Gpu;
use crate::probe::ParseError;
use serde_json::Value;

/// Lowercase vendor from `spdisplays_vendor`/`sppci_vendor` (`sppci_vendor_Apple`, `Intel`, `NVIDIA (0x10de)`).
fn gpu_vendor(raw: Option<&str>, name: &str) -> String {
    let hay = format!("{} {name}", raw.unwrap_or("")).to_ascii_lowercase();
    for (needle, vendor) in [
        ("apple", "apple"),
        ("intel", "intel"),
        ("nvidia", "nvidia"),
        ("amd", "amd"),
        ("ati", "amd"),
        ("radeon", "amd"),
        ("0x8086", "intel"),
        ("0x10de", "nvidia"),
        ("0x1002", "amd"),
    ] {
        if hay.contains(needle) {
            return vendor.to_string();
        }
    }
    raw.map_or_else(
        || "unknown".to_string(),
        |r| r.trim_start_matches("sppci_vendor_").to_ascii_lowercase(),
    )
}

/// Parse `system_profiler -json SPDisplaysDataType` into GPUs.
///
/// ```text
/// { "SPDisplaysDataType" : [ { "sppci_model" : "Apple M1 Pro", "sppci_cores" : "14",
///     "spdisplays_vendor" : "sppci_vendor_Apple", "spdisplays_ndrvs" : [ ... ] } ] }
/// ```
///
/// `spdisplays_vram` (`64 MB`, `1,5 GB`) is dedicated memory; shared memory (`spdisplays_vram_shared`) and
/// Apple Silicon unified memory give `null`. Displays attached to the GPU are ignored.
pub fn parse_sp_displays(text: &str) -> Result<Vec<Gpu>, ParseError> {
    let root = sp_json(text, "sp_displays")?;
    let mut gpus = Vec::new();
    for item in sp_items(&root, "SPDisplaysDataType", "sp_displays")? {
        let Some(name) = str_of(item, "sppci_model").or_else(|| str_of(item, "_name")) else {
            continue;
        };
        let raw_vendor = str_of(item, "spdisplays_vendor").or_else(|| str_of(item, "sppci_vendor"));
        let vram_bytes = str_of(item, "spdisplays_vram")
            .or_else(|| str_of(item, "_spdisplays_vram"))
            .as_deref()
            .and_then(parse_mem_size);
        let cores = match item.get("sppci_cores") {
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        };
        gpus.push(Gpu {
            index: u32::try_from(gpus.len()).unwrap_or(u32::MAX),
            vendor: gpu_vendor(raw_vendor.as_deref(), &name),
            name,
            vram_bytes,
            vram_gb: vram_bytes.map(round_gib),
            driver_version: None,
            cuda_version: None,
            uuid: None,
            pci_bus_id: None,
            cores,
            mig_mode: None,
            driver: None,
        });
    }
    Ok(gpus)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_vram_comma_and_vendor() {
        let t = r#"{"SPDisplaysDataType":[{"sppci_model":"Intel Iris","spdisplays_vram":"1,5 GB","sppci_vendor":"Intel"},{"_name":"x"}]}"#;
        let g = parse_sp_displays(t).unwrap();
        assert_eq!(g[0].vendor, "intel");
        assert_eq!(g[0].vram_bytes, Some(1_610_612_736));
        assert_eq!(g[0].vram_gb, Some(2));
        assert_eq!(g[1].vendor, "unknown");
    }
}
