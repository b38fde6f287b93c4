//! `hwinv show HOST [--at TIMESTAMP | --list]`, and choosing a snapshot by time (shared with `diff`).

use super::args::TextOutput;
use super::output::print;
use crate::error::Exit;
use crate::model::time::stamp_display;
use crate::model::Snapshot;
use crate::store::{self, Store};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `hwinv show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The host, as `hwinv hosts` lists it.
    pub host: String,

    /// Show the newest snapshot taken at or before this time: 2026-11-22T02:51:00Z, 20261122T025100Z,
    /// 2026-11-22 (end of that day, UTC), or a snapshot file name.
    #[arg(long, value_name = "TIMESTAMP")]
    pub at: Option<String>,

    /// List the host's snapshots, oldest first, instead.
    #[arg(long, conflicts_with = "at")]
    pub list: bool,

    #[command(flatten)]
    pub output: TextOutput,
}

fn latest_name(store: &Store, host: &str) -> Option<String> {
    let link = store.host_dir(host).ok()?.join("latest.json");
    std::fs::read_link(link)
        .ok()?
        .file_name()?
        .to_str()
        .map(String::from)
}

pub fn run(root: &Path, args: &ShowArgs) -> Result<Exit> {
    let store = &Store::new(root);
    let host = crate::model::hostname::validate(&args.host)?;
    let latest = latest_name(store, host);
    if args.list {
        let snaps = store.history(host)?;
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
            if args.output.is_json() {
                let v = serde_json::json!({"collected_at": when, "snapshot": format!("inventory/{host}/{name}"),
                    "latest": !mark.is_empty()});
                let _ = writeln!(out, "{v}");
            } else {
                let _ = writeln!(out, "{when}  inventory/{host}/{name}{mark}");
            }
        }
        print(&out)?;
        return Ok(Exit::Success);
    }
    let path = match &args.at {
        Some(at) => store.snapshot_at(host, at, "--at")?,
        None => {
            store.check_host(host)?;
            store.host_dir(host)?.join("latest.json")
        }
    };
    let bytes =
        std::fs::read(&path).with_context(|| format!("unable to read '{}'", path.display()))?;
    let snap: Snapshot = serde_json::from_slice(&bytes)
        .with_context(|| format!("'{}' is not a valid snapshot", path.display()))?;
    if args.output.is_json() {
        print(&String::from_utf8_lossy(&bytes))?;
        return Ok(Exit::Success);
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
    Ok(Exit::Success)
}

/// The human view of one snapshot.
fn describe(s: &Snapshot, file: &str, latest: bool) -> String {
    let mut o = String::new();
    let mut line = |k: &str, v: String| {
        let v = crate::text::printable(&v);
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
        let mut t = format!("{}  {} GB {}", d.name, d.size_gb, d.kind.as_str());
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
