//! Pure parsers for the few sensor files telemetry reads outside sysinfo.
//!
//! No I/O and no clock here: the caller reads the text (sysfs, `vcgencmd`) and hands it over, so every
//! parser is tested on real captured outputs.

use serde::Serialize;

/// Why a sensor's text could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SensorParseError {
    /// `vcgencmd get_throttled` printed something other than `throttled=0x…`.
    #[error("unexpected vcgencmd get_throttled output {0:?}")]
    Throttled(String),
    /// `thermal_zone*/temp` held something other than an integer.
    #[error("unexpected thermal_zone temp {0:?}")]
    ThermalZone(String),
}

/// The bits of the Raspberry Pi firmware's `get_throttled` word that are documented.
///
/// Bits 0–3 describe the state right now, bits 16–19 are sticky ("has occurred since boot").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ThrottleFlags {
    /// The raw word, as printed by the firmware.
    pub raw: u32,
    /// Bit 0: under-voltage detected now.
    pub under_voltage_now: bool,
    /// Bit 1: ARM frequency capped now.
    pub freq_capped_now: bool,
    /// Bit 2: currently throttled.
    pub throttled_now: bool,
    /// Bit 3: soft temperature limit active now.
    pub soft_temp_limit_now: bool,
    /// Bit 16: under-voltage has occurred since boot.
    pub under_voltage_occurred: bool,
    /// Bit 17: ARM frequency capping has occurred since boot.
    pub freq_capped_occurred: bool,
    /// Bit 18: throttling has occurred since boot.
    pub throttled_occurred: bool,
    /// Bit 19: the soft temperature limit has occurred since boot.
    pub soft_temp_limit_occurred: bool,
}

/// Names of the documented bits, in bit order, as used in messages and docs.
pub const THROTTLE_BITS: [(u32, &str); 8] = [
    (0, "under-voltage now"),
    (1, "frequency capped now"),
    (2, "throttled now"),
    (3, "soft temperature limit now"),
    (16, "under-voltage occurred"),
    (17, "frequency capping occurred"),
    (18, "throttling occurred"),
    (19, "soft temperature limit occurred"),
];

impl ThrottleFlags {
    /// Decode a raw `get_throttled` word.
    #[must_use]
    pub fn from_raw(raw: u32) -> Self {
        let bit = |n: u32| raw & (1 << n) != 0;
        Self {
            raw,
            under_voltage_now: bit(0),
            freq_capped_now: bit(1),
            throttled_now: bit(2),
            soft_temp_limit_now: bit(3),
            under_voltage_occurred: bit(16),
            freq_capped_occurred: bit(17),
            throttled_occurred: bit(18),
            soft_temp_limit_occurred: bit(19),
        }
    }
}

/// Human description of a throttle word: `none`, or the set bits' names joined by `, `.
#[must_use]
pub fn describe_throttle(raw: u32) -> String {
    let names: Vec<&str> = THROTTLE_BITS
        .iter()
        .filter(|(bit, _)| raw & (1 << bit) != 0)
        .map(|(_, name)| *name)
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// Parse the output of `vcgencmd get_throttled`.
///
/// ```text
/// throttled=0x50005
/// throttled=0x0
/// ```
pub fn parse_throttled(text: &str) -> Result<ThrottleFlags, SensorParseError> {
    let bad = || SensorParseError::Throttled(text.chars().take(80).collect());
    let value = text.trim().strip_prefix("throttled=").ok_or_else(bad)?;
    let hex = value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
        .ok_or_else(bad)?;
    let raw = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
    Ok(ThrottleFlags::from_raw(raw))
}

/// Parse `/sys/class/thermal/thermal_zone*/temp` into degrees Celsius.
///
/// ```text
/// 78880        (millidegrees: most kernels)
/// 31           (whole degrees: Pine A64)
/// ```
///
/// The unit is decided by magnitude: a value whose absolute value is below 1000 is taken as whole degrees
/// (a millidegree reading below 1000 would mean a CPU under 1 °C), anything larger as millidegrees. An
/// absurd result (say `500` whole degrees) is left for the sample's data rules to reject. Empty text (the read failed, as with EINVAL
/// on some arm64 Pi kernels) is `Ok(None)`: the sensor is absent, not broken.
pub fn parse_thermal_zone(text: &str) -> Result<Option<f64>, SensorParseError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v: i64 = t
        .parse()
        .map_err(|_| SensorParseError::ThermalZone(t.chars().take(80).collect()))?;
    #[allow(clippy::cast_precision_loss)] // sensor values are far below 2^52
    let v = v as f64;
    if v.abs() < 1000.0 {
        Ok(Some(v))
    } else {
        Ok(Some(v / 1000.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture(name: &str) -> String {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/shared/other")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn throttled_fixtures() {
        for name in [
            "issue-raspberrypi-firmware-615-rpi3-vcgencmd-get_throttled-0x50000.txt",
            "issue-raspberrypi-firmware-615-rpi3-vcgencmd-get_throttled-0x50005.txt",
        ] {
            let flags = parse_throttled(&fixture(name)).expect("fixture parses");
            insta::with_settings!({ snapshot_suffix => name }, {
                insta::assert_yaml_snapshot!(flags);
            });
        }
    }

    #[test]
    fn throttled_values() {
        let f = parse_throttled("throttled=0x50005\n").expect("parses");
        assert_eq!(f.raw, 0x50005);
        assert!(f.under_voltage_now && f.throttled_now && !f.freq_capped_now);
        assert!(f.under_voltage_occurred && f.throttled_occurred && !f.freq_capped_occurred);
        assert_eq!(
            describe_throttle(0x50005),
            "under-voltage now, throttled now, under-voltage occurred, throttling occurred"
        );
        assert_eq!(describe_throttle(0), "none");
        assert_eq!(parse_throttled("throttled=0x0").map(|f| f.raw), Ok(0));
        assert!(parse_throttled("").is_err());
        assert!(parse_throttled("throttled=50005").is_err());
        assert!(parse_throttled("error=1 error_msg=\"Command not registered\"").is_err());
        assert!(parse_throttled("throttled=0xzz").is_err());
    }

    #[test]
    fn thermal_fixtures() {
        let mut out = Vec::new();
        for name in [
            "issue-home-assistant-os-447-rpi4-thermal_zone0-temp.txt",
            "issue-pi-hole-web-129-odroid-c2-thermal_zone0-temp.txt",
            "issue-pi-hole-web-129-pine-a64-thermal_zone0-temp-DEGREES-NOT-MILLI.txt",
        ] {
            out.push((name, parse_thermal_zone(&fixture(name)).expect("parses")));
        }
        insta::assert_yaml_snapshot!(out);
        assert_eq!(out[0].1, Some(78.88));
        assert_eq!(out[1].1, Some(43.0));
        assert_eq!(out[2].1, Some(31.0));
    }

    #[test]
    fn thermal_einval_is_null() {
        // The fixture is cat's stderr; what a reader gets on stdout (or from read()) is nothing, or an
        // error. The collector maps a read error to "" and this parser maps "" to None.
        let stderr =
            fixture("issue-raspberrypi-linux-2136-rpi3-arm64-thermal_zone0-temp-EINVAL-stderr.txt");
        assert!(stderr.contains("Invalid argument"));
        assert_eq!(parse_thermal_zone(""), Ok(None));
        assert_eq!(parse_thermal_zone("\n"), Ok(None));
        // The stderr text itself is not a temperature: an error, not a crash.
        assert!(parse_thermal_zone(&stderr).is_err());
    }

    #[test]
    fn thermal_edge_cases() {
        assert_eq!(parse_thermal_zone(" 45 \n"), Ok(Some(45.0)));
        assert_eq!(parse_thermal_zone("999"), Ok(Some(999.0)));
        assert_eq!(parse_thermal_zone("1000"), Ok(Some(1.0)));
        assert_eq!(parse_thermal_zone("-5000"), Ok(Some(-5.0)));
        assert!(parse_thermal_zone("45.5").is_err());
        assert!(parse_thermal_zone("abc").is_err());
    }
}
