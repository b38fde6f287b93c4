//! `sw_vers`: product name, version and build.

use crate::probe::ParseError;
use serde::Serialize;

/// `sw_vers` output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SwVers {
    /// `ProductName` (`macOS`, `Mac OS X`).
    pub product_name: Option<String>,
    /// `ProductVersion` (`15.7.9`).
    pub product_version: Option<String>,
    /// `BuildVersion` (`24G830`).
    pub build_version: Option<String>,
}

/// Parse `sw_vers` (key and value are separated by tabs, shown as spaces below).
///
/// ```text
/// ProductName:        macOS
/// ProductVersion:        15.7.9
/// BuildVersion:        24G830
/// ```
///
/// Unknown lines (`ProductVersionExtra`, trailing notes) are ignored.
pub fn parse_sw_vers(text: &str) -> Result<SwVers, ParseError> {
    let mut out = SwVers::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = Some(v.trim().to_string()).filter(|v| !v.is_empty());
        match k.trim() {
            "ProductName" => out.product_name = v,
            "ProductVersion" => out.product_version = v,
            "BuildVersion" => out.build_version = v,
            _ => {}
        }
    }
    if out == SwVers::default() {
        return Err(ParseError::new(
            "sw_vers",
            "no ProductName, ProductVersion or BuildVersion line",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sw_vers_tabs_and_unknown_lines() {
        let s = parse_sw_vers(
            "ProductName:\t\tmacOS\nProductVersion:\t\t14.4.1\nBuildVersion:\t\t23E224\nx86_64\n",
        )
        .unwrap();
        assert_eq!(s.product_version.as_deref(), Some("14.4.1"));
        assert!(parse_sw_vers("").is_err());
    }
}
