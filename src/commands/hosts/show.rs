//! `hwinv show HOST [--at TIMESTAMP | --list]`, and choosing a snapshot by time (shared with `diff`).

use super::{print, ShowArgs, TextFormat};
use crate::commands::exit;
use crate::model::Snapshot;
use crate::store::{self, Store};
use anyhow::{anyhow, bail, Context, Result};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// A host's snapshot files, oldest first, with their stamps; an error when there are none.
pub(super) fn history(store: &Store, host: &str) -> Result<Vec<(String, PathBuf)>> {
    let snaps = store.snapshots(host)?;
    let out: Vec<(String, PathBuf)> = snaps
        .into_iter()
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            Some((name, p))
        })
        .collect();
    if out.is_empty() {
        bail!("no snapshots of host '{host}'");
    }
    Ok(out)
}

/// `20261122T025100Z` from the forms `--at` accepts; dates and times without seconds mean the end of
/// that day, hour or minute (UTC).
pub(super) fn parse_stamp(at: &str) -> Option<String> {
    let at = at.trim();
    if let Ok(t) = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339) {
        let t = t.to_offset(time::UtcOffset::UTC);
        return Some(format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ));
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

/// `20261122T025100Z` -> `2026-11-22T02:51:00Z`.
pub(super) fn stamp_display(stamp: &str) -> String {
    let b = stamp.as_bytes();
    if b.len() != 16 {
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

/// The snapshot `--at` names: a file name exactly, or the newest taken at or before a time.
pub(super) fn snapshot_at(store: &Store, host: &str, at: &str, flag: &str) -> Result<PathBuf> {
    let snaps = history(store, host)?;
    if let Some((_, p)) = snaps.iter().find(|(n, _)| n == at.trim()) {
        return Ok(p.clone());
    }
    let stamp = parse_stamp(at).ok_or_else(|| {
        anyhow!(
            "invalid {flag} '{at}': expected a time like 2026-11-22T02:51:00Z, 20261122T025100Z or 2026-11-22, \
             or a snapshot file name"
        )
    })?;
    snaps
        .iter()
        .rev()
        .find(|(n, _)| store::parse_snapshot_name(n).is_some_and(|(s, _)| s <= stamp))
        .map(|(_, p)| p.clone())
        .ok_or_else(|| {
            let oldest = store::parse_snapshot_name(&snaps[0].0)
                .map(|(s, _)| stamp_display(&s))
                .unwrap_or_default();
            anyhow!(
                "host '{host}' has no snapshot at or before {} (the oldest is from {oldest})",
                stamp_display(&stamp)
            )
        })
}

fn latest_name(store: &Store, host: &str) -> Option<String> {
    let link = store.host_dir(host).ok()?.join("latest.json");
    std::fs::read_link(link)
        .ok()?
        .file_name()?
        .to_str()
        .map(String::from)
}

pub(super) fn run(store: &Store, args: &ShowArgs) -> Result<ExitCode> {
    let host = crate::hostname::validate(&args.host)?;
    let latest = latest_name(store, host);
    if args.list {
        let snaps = history(store, host)?;
        let mut out = String::new();
        for (name, _) in &snaps {
            let when = store::parse_snapshot_name(name)
                .map(|(s, _)| stamp_display(&s))
                .unwrap_or_default();
            let mark = if latest.as_deref() == Some(name.as_str()) {
                "  (latest)"
            } else {
                ""
            };
            if args.format == TextFormat::Json {
                let v = serde_json::json!({"collected_at": when, "snapshot": format!("inventory/{host}/{name}"),
                    "latest": !mark.is_empty()});
                let _ = writeln!(out, "{v}");
            } else {
                let _ = writeln!(out, "{when}  inventory/{host}/{name}{mark}");
            }
        }
        print(&out)?;
        return Ok(ExitCode::from(exit::SUCCESS));
    }
    let path = match &args.at {
        Some(at) => snapshot_at(store, host, at, "--at")?,
        None => {
            let p = store.host_dir(host)?.join("latest.json");
            if !p.exists() {
                bail!("no inventory for host '{host}' (see `hwinv hosts`)");
            }
            p
        }
    };
    let bytes =
        std::fs::read(&path).with_context(|| format!("unable to read '{}'", path.display()))?;
    let snap: Snapshot = serde_json::from_slice(&bytes)
        .with_context(|| format!("'{}' is not a valid snapshot", path.display()))?;
    if args.format == TextFormat::Json {
        print(&String::from_utf8_lossy(&bytes))?;
        return Ok(ExitCode::from(exit::SUCCESS));
    }
    let file = std::fs::read_link(&path)
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()))
        .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let is_latest = latest.as_deref() == Some(file.as_str());
    print(&describe(
        &snap,
        &format!("inventory/{host}/{file}"),
        is_latest,
    ))?;
    Ok(ExitCode::from(exit::SUCCESS))
}

/// The human view of one snapshot.
pub(super) fn describe(s: &Snapshot, file: &str, latest: bool) -> String {
    let mut o = String::new();
    let mut line = |k: &str, v: String| {
        let v: String = v
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let _ = writeln!(o, "{k:<12}  {}", v.trim_end());
    };
    let si = &s.system_info;
    line("host", si.hostname.clone());
    line(
        "snapshot",
        format!("{file}{}", if latest { "  (latest)" } else { "" }),
    );
    let via = match &s.source.target {
        Some(t) => format!("{} {t}", s.source.transport),
        None => s.source.transport.clone(),
    };
    line(
        "collected",
        format!("{}  via {via}, {}", s.collected_at, s.generator),
    );
    let extra: Vec<&str> = [si.model_name.as_deref(), si.vendor.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let model = si.model.as_deref().unwrap_or("unknown");
    line(
        "model",
        if extra.is_empty() {
            model.to_string()
        } else {
            format!("{model} ({})", extra.join(", "))
        },
    );
    if let Some(serial) = &si.serial_number {
        line("serial", serial.clone());
    }
    let os = &s.os;
    let mut os_text = [os.name.as_deref(), os.version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    if os_text.is_empty() {
        os_text = os.family.as_str().to_string();
    }
    if let Some(b) = &os.build {
        let _ = write!(os_text, " ({b})");
    }
    if let Some(k) = &os.kernel {
        let _ = write!(os_text, ", kernel {k}");
    }
    line("os", os_text);
    line("arch", format!("{} ({})", si.architecture, si.nix_system));
    let cpu = &s.hardware.cpu;
    let mut cores = format!("{} cores", cpu.physical_cores);
    if let (Some(p), Some(e)) = (cpu.performance_cores, cpu.efficiency_cores) {
        let _ = write!(cores, " ({p}P + {e}E)");
    }
    let _ = write!(cores, ", {} threads", cpu.logical_cpus);
    if cpu.sockets > 1 {
        let _ = write!(cores, ", {} sockets", cpu.sockets);
    }
    if cpu.translated {
        cores.push_str(", probed under Rosetta 2");
    }
    line("cpu", format!("{}: {cores}", s.hardware.cpu_type));
    let m = &s.hardware.memory;
    let mut mem = format!("{} GB ({} bytes)", s.hardware.memory_gb, m.total_bytes);
    if let Some(sw) = m.swap_bytes {
        let _ = write!(mem, ", swap {:.1} GiB", sw as f64 / f64::from(1u32 << 30));
    }
    line("memory", mem);
    if s.disks.is_empty() {
        line("disks", "none found".into());
    }
    for d in &s.disks {
        let mut t = format!("{}  {} GB {}", d.name, d.size_gb, kind_name(d.kind));
        if let Some(m) = &d.model {
            let _ = write!(t, "  {m}");
        }
        if d.removable {
            t.push_str("  (removable)");
        }
        line("disk", t);
    }
    for n in &s.network_interfaces {
        let mut t = n.name.clone();
        for part in [
            n.mac.clone(),
            n.state.clone(),
            n.speed_mbps.map(|v| format!("{v} Mb/s")),
        ]
        .into_iter()
        .flatten()
        {
            let _ = write!(t, "  {part}");
        }
        if !n.addresses.is_empty() {
            let _ = write!(t, "  {}", n.addresses.join(" "));
        }
        line("network", t);
    }
    match &s.gpus {
        None => line("gpus", "unknown".into()),
        Some(g) if g.is_empty() => line("gpus", "none".into()),
        Some(g) => {
            for g in g {
                let mut t = g.name.clone();
                if let Some(v) = g.vram_gb {
                    let _ = write!(t, "  {v} GB");
                }
                if let Some(c) = g.cores {
                    let _ = write!(t, "  {c} cores");
                }
                if let Some(d) = &g.driver_version {
                    let _ = write!(t, "  driver {d}");
                }
                if let Some(c) = &g.cuda_version {
                    let _ = write!(t, "  CUDA {c}");
                }
                line("gpu", t);
            }
        }
    }
    for w in &s.warnings {
        line("warning", w.clone());
    }
    o
}

pub(super) fn kind_name(k: crate::model::DiskKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

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
