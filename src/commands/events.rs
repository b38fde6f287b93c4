//! `hwinv events`: read `inventory/events.jsonl`, filtered by type, host and time.

use super::args::{TextFormat, TextOutput};
use super::output::print;
use crate::error::Exit;
use crate::model::time::{parse_stamp, rfc3339, stamp_display};
use crate::store::events::{self, Event};
use crate::store::Store;
use anyhow::{anyhow, Result};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use time::OffsetDateTime;

/// Arguments of `hwinv events`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
TYPES: inventory.extraction.{started,completed,failed}, inventory.hardware.discovered,
  inventory.fleet.{started,completed,interrupted} (fleet-wide events have host \"*\"), and whatever
  other commands log. --type inventory matches every type under inventory.; * matches one segment
  (--type '*.failed').")]
pub struct EventsArgs {
    /// Only events of this type or under it (repeatable).
    #[arg(short = 't', long = "type", value_name = "TYPE")]
    pub kinds: Vec<String>,

    /// Only events about this host (repeatable).
    #[arg(long, value_name = "HOST")]
    pub host: Vec<String>,

    /// Only events at or after this time: a duration back from now (30s, 15m, 1h, 2d, 1w) or a timestamp.
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,

    /// Only events before this time (same forms as --since).
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,

    /// Only the newest N matching events.
    #[arg(short = 'n', long, value_name = "N")]
    pub last: Option<usize>,

    #[command(flatten)]
    pub output: TextOutput,

    /// Print the hub's events live as hosts push them, until Ctrl-C (needs --server and --creds).
    #[arg(long, requires_all = ["server", "creds"], conflicts_with_all = ["since", "until", "last"])]
    pub follow: bool,

    /// With --follow: the hub's URL.
    #[arg(long, value_name = "URL", requires = "follow")]
    pub server: Option<String>,

    /// With --follow: credentials for the hub (admin).
    #[arg(long, value_name = "FILE", requires = "follow")]
    pub creds: Option<std::path::PathBuf>,

    /// With --follow: CA certificate to verify the hub's TLS certificate with.
    #[arg(long, value_name = "FILE", requires = "follow")]
    pub tls_ca: Option<std::path::PathBuf>,
}

/// Does `kind` match the `--type` pattern: equal, under it (`inventory` matches `inventory.x.y`), with `*`
/// standing for one segment?
pub(super) fn type_matches(pattern: &str, kind: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = kind.split('.').collect();
    if p.len() > k.len() {
        return false;
    }
    if seg_match(&p, &k[..p.len()]) {
        return true;
    }
    // A leading `*` also stands for several segments when the rest matches the end: `*.failed`.
    p.len() > 1 && p[0] == "*" && seg_match(&p[1..], &k[k.len() - (p.len() - 1)..])
}

fn seg_match(p: &[&str], k: &[&str]) -> bool {
    p.iter().zip(k).all(|(p, k)| *p == "*" || p == k)
}

/// A time: a duration back from `now` (`30s`, `15m`, `1h`, `1 hour`, `2d`, `1w`, `1h30m`) or an absolute
/// time (RFC 3339, a snapshot stamp, a date); as an RFC 3339 UTC string comparable with event times.
pub(super) fn parse_when(s: &str, now: OffsetDateTime, flag: &str) -> Result<String> {
    let t = s.trim();
    let bad = || {
        anyhow!("invalid {flag} '{s}': expected a duration like 30s, 15m, 1h, 1 hour, 2d, 1w or a time like 2026-11-22T02:51:00Z")
    };
    // A date alone means its start here (events *since* a day include that day).
    let absolute = if t.len() == 10 && t.as_bytes().get(4) == Some(&b'-') {
        parse_stamp(&format!("{t}T00:00:00Z"))
    } else {
        parse_stamp(t)
    };
    if let Some(stamp) = absolute {
        return Ok(stamp_display(&stamp));
    }
    let back = crate::model::units::parse_duration(t).map_err(|_| bad())?;
    let back = time::Duration::try_from(back).map_err(|_| bad())?;
    let when = now.checked_sub(back).ok_or_else(bad)?;
    Ok(rfc3339(when))
}

/// An event's time as a comparable UTC string (events written by hwinv already are).
fn event_time(e: &Event) -> String {
    match OffsetDateTime::parse(&e.time, &time::format_description::well_known::Rfc3339) {
        Ok(t) => rfc3339(t.to_offset(time::UtcOffset::UTC)),
        Err(_) => e.time.clone(),
    }
}

fn details_text(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut s = String::new();
            for (k, v) in m {
                if !s.is_empty() {
                    s.push(' ');
                }
                match v {
                    Value::String(t)
                        if !t.is_empty()
                            && !t.contains(char::is_whitespace)
                            && !t.contains('"') =>
                    {
                        let _ = write!(s, "{k}={t}");
                    }
                    other => {
                        let _ = write!(s, "{k}={other}");
                    }
                }
            }
            s
        }
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn run(root: &Path, args: &EventsArgs) -> Result<Exit> {
    let store = &Store::new(root);
    let now = OffsetDateTime::now_utc();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_when(s, now, "--since"))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_when(s, now, "--until"))
        .transpose()?;
    for t in &args.kinds {
        if t.is_empty() || t.split('.').any(str::is_empty) {
            return Err(anyhow!(
                "invalid --type '{t}': expected a dotted type like inventory.extraction.failed"
            ));
        }
    }
    if args.follow {
        return follow(args);
    }
    let all = events::read_all(&store.events_path())?;
    // A run is logged under its target until the host names itself: the target of each later event of a
    // wanted host stands for that host.
    let targets: std::collections::BTreeSet<&str> = all
        .iter()
        .filter(|e| args.host.contains(&e.host))
        .filter_map(|e| e.target.as_deref())
        .collect();
    let mut hits: Vec<&Event> = all
        .iter()
        .filter(|e| args.kinds.is_empty() || args.kinds.iter().any(|t| type_matches(t, &e.kind)))
        .filter(|e| {
            args.host.is_empty() || args.host.contains(&e.host) || targets.contains(e.host.as_str())
        })
        .filter(|e| {
            let t = event_time(e);
            since.as_ref().map_or(true, |s| t >= *s) && until.as_ref().map_or(true, |u| t < *u)
        })
        .collect();
    if let Some(n) = args.last {
        let skip = hits.len().saturating_sub(n);
        hits.drain(..skip);
    }
    let mut out = String::new();
    for e in &hits {
        out.push_str(&line(e, args.output.format())?);
    }
    print(&out)?;
    if hits.is_empty() {
        eprintln!("no events match");
        return Ok(Exit::Negative);
    }
    Ok(Exit::Success)
}

/// One event as printed, newline included.
fn line(e: &Event, format: TextFormat) -> Result<String> {
    if format == TextFormat::Json {
        return Ok(format!("{}\n", serde_json::to_string(e)?));
    }
    let line = format!(
        "{}  {:<32}  {:<16}  {}",
        e.time,
        e.kind,
        e.host,
        details_text(&e.details)
    );
    Ok(format!("{}\n", crate::text::printable(&line).trim_end()))
}

/// `--follow`: the hub's events as they arrive, filtered by --type and --host.
fn follow(args: &EventsArgs) -> Result<Exit> {
    let (Some(server), Some(creds)) = (&args.server, &args.creds) else {
        return Err(anyhow!("--follow needs --server URL and --creds FILE"));
    };
    let hub = crate::push::creds::HubArgs {
        server: server.clone(),
        creds: creds.clone(),
        tls_ca: args.tls_ca.clone(),
        tls_cert: None,
        tls_key: None,
        tls: false,
    };
    crate::push::follow::follow(&hub, |e| {
        let wanted = (args.kinds.is_empty() || args.kinds.iter().any(|t| type_matches(t, &e.kind)))
            && (args.host.is_empty() || args.host.contains(&e.host));
        if wanted {
            print(&line(e, args.output.format())?)?;
        }
        Ok(true)
    })?;
    Ok(Exit::Interrupted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_patterns() {
        assert!(type_matches("inventory", "inventory.extraction.failed"));
        assert!(type_matches(
            "inventory.extraction",
            "inventory.extraction.failed"
        ));
        assert!(type_matches(
            "inventory.extraction.failed",
            "inventory.extraction.failed"
        ));
        assert!(!type_matches(
            "inventory.extraction.failed",
            "inventory.extraction"
        ));
        assert!(!type_matches("inv", "inventory.extraction.failed"));
        assert!(type_matches("*.failed", "inventory.extraction.failed"));
        assert!(!type_matches("*.failed", "inventory.extraction.completed"));
        assert!(type_matches(
            "inventory.*.completed",
            "inventory.fleet.completed"
        ));
    }

    #[test]
    fn durations_and_times() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        assert_eq!(rfc3339(now), "2026-11-18T11:06:40Z");
        assert_eq!(
            parse_when("1h", now, "--since").unwrap(),
            "2026-11-18T10:06:40Z"
        );
        assert_eq!(
            parse_when("2d", now, "--since").unwrap(),
            "2026-11-16T11:06:40Z"
        );
        assert_eq!(
            parse_when("2026-11-01", now, "--since").unwrap(),
            "2026-11-01T00:00:00Z"
        );
        assert_eq!(
            parse_when("2026-11-01T10:00:00Z", now, "--since").unwrap(),
            "2026-11-01T10:00:00Z"
        );
        let e = parse_when("soon", now, "--since").unwrap_err().to_string();
        assert!(e.contains("invalid --since 'soon'"), "{e}");
        assert_eq!(
            parse_when("1 hour", now, "--since").unwrap(),
            parse_when("1h", now, "--since").unwrap()
        );
        assert_eq!(
            parse_when("90m", now, "--since").unwrap(),
            "2026-11-18T09:36:40Z"
        );
    }
}
