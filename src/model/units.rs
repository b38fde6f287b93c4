//! Units: bytes to the GB figures the seed's JSON carries, and the one duration syntax every flag and
//! setting accepts.

use std::time::Duration;

/// Bytes per GiB.
pub const GIB: u64 = 1 << 30;

/// Bytes rounded to the nearest GiB (what the seed's `memory_gb` and `vram_gb` mean).
pub fn round_gib(bytes: u64) -> u64 {
    bytes / GIB + u64::from(bytes % GIB >= GIB / 2)
}

/// Bytes as fractional GiB, for display.
#[allow(clippy::cast_precision_loss)] // display only
pub fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB as f64
}

/// Parse a duration the way every flag and setting does: `10` (seconds), `500ms`, `10s`, `1m30s`,
/// `1h`, `2 days`, `1 hour` (humantime's syntax). Zero is refused.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let d = if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("invalid duration {text:?}: too large"))?
    } else {
        humantime::parse_duration(t)
            .map_err(|e| format!("invalid duration {text:?} (try 10s, 1m, 500ms): {e}"))?
    };
    if d.is_zero() {
        return Err(format!("duration {text:?} must be greater than zero"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gib_rounding() {
        assert_eq!(round_gib(GIB / 2 - 1), 0);
        assert_eq!(round_gib(GIB / 2), 1);
        assert_eq!(round_gib(16 * GIB), 16);
    }

    #[test]
    fn durations_bare_seconds_and_humantime() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1 hour"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("").is_err());
    }
}
