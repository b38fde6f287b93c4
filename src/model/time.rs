//! Timestamps as hwinv writes and reads them: RFC 3339 UTC with second precision
//! (`2026-11-22T02:51:00Z`) in files and events, `20261122T025100Z` in snapshot file names.
//!
//! One formatter for all of them, so every file agrees to the byte.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

/// `t` in UTC as `2026-11-22T02:51:00Z` (fractions of a second dropped).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// The current time as [`rfc3339`] writes it.
pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// `t` in UTC as the stamp of a snapshot file name, `20261122T025100Z`.
pub fn stamp(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| "19700101T000000Z".to_string())
}

/// Parse RFC 3339 text (any offset).
pub fn parse_rfc3339(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339).ok()
}

/// `2026-11-22T02:51:00Z` -> `20261122T025100Z` (any RFC 3339 text; other text keeps its letters and
/// digits, so a broken `collected_at` still gives a usable, sortable name).
pub fn stamp_of(collected_at: &str) -> String {
    match parse_rfc3339(collected_at) {
        Some(t) => stamp(t),
        None => collected_at
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect(),
    }
}

/// `20261122T025100Z` -> `2026-11-22T02:51:00Z`.
pub fn stamp_display(stamp: &str) -> String {
    if stamp.len() != 16 || !stamp.is_ascii() {
        return stamp.to_string();
    }
    format!(
        "{}-{}-{}T{}:{}:{}Z",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13],
        &stamp[13..15]
    )
}

/// `20261122T025100Z` from the forms `--at` accepts: RFC 3339, a snapshot stamp, or a date, hour or
/// minute without the rest, which means the end of that day, hour or minute (UTC).
pub fn parse_stamp(at: &str) -> Option<String> {
    let at = at.trim();
    if let Some(t) = parse_rfc3339(at) {
        return Some(stamp(t));
    }
    let re = regex::Regex::new(
        r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2}))?)?)?Z?$",
    )
    .ok()?;
    let c = re.captures(at)?;
    let part = |i: usize, default: &str| {
        c.get(i)
            .map_or(default.to_string(), |m| m.as_str().to_string())
    };
    let (mo, d, h, mi, s) = (
        part(2, ""),
        part(3, ""),
        part(4, "23"),
        part(5, "59"),
        part(6, "59"),
    );
    let ok = |v: &str, max: u32| v.parse::<u32>().is_ok_and(|n| n <= max);
    if !(ok(&mo, 12) && ok(&d, 31) && ok(&h, 23) && ok(&mi, 59) && ok(&s, 60)) {
        return None;
    }
    Some(format!("{}{mo}{d}T{h}{mi}{s}Z", part(1, "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_format_everywhere() {
        let t = parse_rfc3339("2026-11-22T03:51:00.25+01:00").unwrap();
        assert_eq!(rfc3339(t), "2026-11-22T02:51:00Z");
        assert_eq!(stamp(t), "20261122T025100Z");
        assert_eq!(stamp_of("2026-11-22T02:51:00Z"), "20261122T025100Z");
        assert_eq!(stamp_display("20261122T025100Z"), "2026-11-22T02:51:00Z");
        assert_eq!(
            parse_stamp("2026-11-22").as_deref(),
            Some("20261122T235959Z")
        );
        assert_eq!(parse_stamp("2026-13-22"), None);
    }

    #[test]
    fn stamps_from_the_forms_at_accepts() {
        assert_eq!(
            parse_stamp("2026-11-22T02:51:00Z").as_deref(),
            Some("20261122T025100Z")
        );
        assert_eq!(
            parse_stamp("2026-11-22T04:51:00+02:00").as_deref(),
            Some("20261122T025100Z")
        );
        assert_eq!(
            parse_stamp("20261122T025100Z").as_deref(),
            Some("20261122T025100Z")
        );
        assert_eq!(
            parse_stamp("2026-11-22").as_deref(),
            Some("20261122T235959Z")
        );
        assert_eq!(
            parse_stamp("2026-11-22 02:51").as_deref(),
            Some("20261122T025159Z")
        );
        assert_eq!(parse_stamp("2026-13-22"), None);
        assert_eq!(parse_stamp("yesterday"), None);
        assert_eq!(stamp_display("20261122T025100Z"), "2026-11-22T02:51:00Z");
    }
}
