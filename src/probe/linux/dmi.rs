//! DMI (`/sys/class/dmi/id`) and device-tree identity: vendor, model, serial, board.

use crate::probe::text::non_empty;
use crate::probe::ParseError;
use serde::Serialize;

/// Identity from `/sys/class/dmi/id` and the device tree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dmi {
    /// `sys_vendor` (`Dell Inc.`).
    pub sys_vendor: Option<String>,
    /// `product_name` (`PowerEdge R640`).
    pub product_name: Option<String>,
    /// `product_version`.
    pub product_version: Option<String>,
    /// `product_serial` (root only).
    pub product_serial: Option<String>,
    /// `board_vendor`.
    pub board_vendor: Option<String>,
    /// `board_name`.
    pub board_name: Option<String>,
    /// `chassis_type` (SMBIOS number as text).
    pub chassis_type: Option<String>,
    /// `/proc/device-tree/model` (`Raspberry Pi 4 Model B Rev 1.5`).
    pub device_tree_model: Option<String>,
    /// `/proc/device-tree/serial-number`.
    pub device_tree_serial: Option<String>,
}

/// Firmware placeholders that mean "not filled in".
fn dmi_placeholder(v: &str) -> bool {
    const JUNK: &[&str] = &[
        "to be filled by o.e.m.",
        "default string",
        "system product name",
        "system manufacturer",
        "system serial number",
        "not specified",
        "not applicable",
        "none",
        "o.e.m.",
        "oem",
        "0123456789",
    ];
    let l = v.trim().to_ascii_lowercase();
    JUNK.contains(&l.as_str())
}

/// Parse the `dmi` section (`path:value` lines).
///
/// ```text
/// /sys/class/dmi/id/sys_vendor:Dell Inc.
/// /sys/class/dmi/id/product_name:PowerEdge R640
/// /proc/device-tree/model:Raspberry Pi 4 Model B Rev 1.5
/// ```
///
/// Firmware placeholders (`To Be Filled By O.E.M.`, `Default string`) count as absent. Values that span lines
/// keep only their first line.
pub fn parse_dmi(text: &str) -> Result<Dmi, ParseError> {
    let mut out = Dmi::default();
    for line in text.lines() {
        let Some((path, value)) = line.split_once(':') else {
            continue;
        };
        let value = non_empty(value).filter(|v| !dmi_placeholder(v));
        let slot = match path.trim() {
            "/sys/class/dmi/id/sys_vendor" => &mut out.sys_vendor,
            "/sys/class/dmi/id/product_name" => &mut out.product_name,
            "/sys/class/dmi/id/product_version" => &mut out.product_version,
            "/sys/class/dmi/id/product_serial" => &mut out.product_serial,
            "/sys/class/dmi/id/board_vendor" => &mut out.board_vendor,
            "/sys/class/dmi/id/board_name" => &mut out.board_name,
            "/sys/class/dmi/id/chassis_type" => &mut out.chassis_type,
            "/proc/device-tree/model" => &mut out.device_tree_model,
            "/proc/device-tree/serial-number" => &mut out.device_tree_serial,
            _ => continue,
        };
        if slot.is_none() {
            *slot = value;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmi_placeholders_and_colons() {
        let d = parse_dmi(
            "/sys/class/dmi/id/sys_vendor:LENOVO\n/sys/class/dmi/id/product_name:To Be Filled By O.E.M.\n\
             /proc/device-tree/model:Raspberry Pi 4 Model B Rev 1.5\n",
        )
        .unwrap();
        assert_eq!(d.sys_vendor.as_deref(), Some("LENOVO"));
        assert_eq!(d.product_name, None);
        assert_eq!(
            d.device_tree_model.as_deref(),
            Some("Raspberry Pi 4 Model B Rev 1.5")
        );
        assert_eq!(parse_dmi("").unwrap(), Dmi::default());
    }
}
