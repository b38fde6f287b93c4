//! `hwinv diff HOST`: what changed between two snapshots of one host (default: the two newest).
//!
//! A structural diff of the snapshot JSON. Lists of devices are matched by identity (disks and interfaces
//! by name, GPUs by UUID, PCI bus id or index), so a new disk reads as one added disk, not as every later
//! disk changed.

use super::args::{ColorChoice, TextOutput};
use super::output::{print, use_color};
use crate::error::Exit;
use crate::store::{self, Store};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `hwinv diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The host.
    pub host: String,

    /// Older snapshot (same forms as `show --at`); default: the second newest.
    #[arg(long, value_name = "TIMESTAMP")]
    pub from: Option<String>,

    /// Newer snapshot (same forms as `show --at`); default: the newest.
    #[arg(long, value_name = "TIMESTAMP")]
    pub to: Option<String>,

    /// Also report services, probe sections, warnings, addresses and link state (not hardware, so hidden
    /// by default).
    #[arg(long)]
    pub all: bool,

    /// Exit with status 1 when something changed (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub output: TextOutput,

    /// Color the changes.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// One change.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Change {
    /// Dotted path with list items named by identity: `disks[nvme1n1].size_gb`.
    pub(super) path: String,
    /// The value before (`null` when added).
    pub(super) from: Option<Value>,
    /// The value after (`null` when removed).
    pub(super) to: Option<Value>,
}

/// Paths left out unless `--all`: how the snapshot was taken, and configuration rather than hardware.
fn hidden(path: &str, all: bool) -> bool {
    if path == "collected_at" {
        return true;
    }
    if all {
        return false;
    }
    // `services` is what was running at the time, not hardware.
    matches!(
        path,
        "generator" | "source" | "sections" | "warnings" | "services"
    ) || path.starts_with("source.")
        || path.starts_with("sections.")
        || path.starts_with("services.")
        || (path.starts_with("network_interfaces[")
            && (path.ends_with("].addresses") || path.ends_with("].state")))
}

/// The identity of an item of a list at `path`, if that list is matched by identity.
fn identity(path: &str, item: &Value) -> Option<String> {
    let field = |k: &str| {
        item.get(k).and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    match path {
        "disks" | "network_interfaces" | "hardware.cpu.perf_levels" => field("name"),
        "gpus" => field("uuid")
            .or_else(|| field("pci_bus_id"))
            .or_else(|| field("index")),
        _ => None,
    }
}

/// How an item is named in a path: GPUs by index (a UUID is unreadable), others by identity.
fn item_label(path: &str, item: &Value, id: &str) -> String {
    if path == "gpus" {
        if let Some(i) = item.get("index") {
            return i.to_string();
        }
    }
    id.to_string()
}

pub(super) fn diff(path: &str, a: &Value, b: &Value, all: bool, out: &mut Vec<Change>) {
    if hidden(path, all) || a == b {
        return;
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff(&join(k), va, vb, all, out),
                    None => push(&join(k), Some(va), None, all, out),
                }
            }
            for (k, vb) in y {
                if !x.contains_key(k) {
                    push(&join(k), None, Some(vb), all, out);
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            fn keyed<'a>(path: &str, v: &'a [Value]) -> Option<Vec<(String, &'a Value)>> {
                v.iter()
                    .map(|i| identity(path, i).map(|id| (id, i)))
                    .collect()
            }
            match (keyed(path, x), keyed(path, y)) {
                (Some(kx), Some(ky)) => {
                    for (id, va) in &kx {
                        let p = format!("{path}[{}]", item_label(path, va, id));
                        match ky.iter().find(|(j, _)| j == id) {
                            Some((_, vb)) => diff(&p, va, vb, all, out),
                            None => push(&p, Some(va), None, all, out),
                        }
                    }
                    for (id, vb) in &ky {
                        if !kx.iter().any(|(j, _)| j == id) {
                            push(
                                &format!("{path}[{}]", item_label(path, vb, id)),
                                None,
                                Some(vb),
                                all,
                                out,
                            );
                        }
                    }
                }
                _ if x.iter().chain(y).all(|v| !v.is_object() && !v.is_array()) => {
                    // Lists of plain values (addresses, warnings) compare as sets.
                    for v in x.iter().filter(|v| !y.contains(v)) {
                        push(path, Some(v), None, all, out);
                    }
                    for v in y.iter().filter(|v| !x.contains(v)) {
                        push(path, None, Some(v), all, out);
                    }
                }
                _ => {
                    for i in 0..x.len().max(y.len()) {
                        let p = format!("{path}[{i}]");
                        match (x.get(i), y.get(i)) {
                            (Some(va), Some(vb)) => diff(&p, va, vb, all, out),
                            (va, vb) => push(&p, va, vb, all, out),
                        }
                    }
                }
            }
        }
        _ => push(path, Some(a), Some(b), all, out),
    }
}

fn push(path: &str, from: Option<&Value>, to: Option<&Value>, all: bool, out: &mut Vec<Change>) {
    if !hidden(path, all) {
        out.push(Change {
            path: path.to_string(),
            from: from.cloned(),
            to: to.cloned(),
        });
    }
}

/// A whole added or removed item in a few words.
fn summary(path: &str, v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    let n = |k: &str| v.get(k).and_then(Value::as_u64);
    let parts: Vec<String> = if path.starts_with("disks[") {
        [
            n("size_gb").map(|g| format!("{g} GB")),
            s("kind"),
            s("model"),
        ]
        .into_iter()
        .flatten()
        .collect()
    } else if path.starts_with("gpus[") {
        [
            s("name"),
            n("vram_gb").map(|g| format!("{g} GB")),
            s("driver_version").map(|d| format!("driver {d}")),
        ]
        .into_iter()
        .flatten()
        .collect()
    } else if path.starts_with("network_interfaces[") {
        [s("mac"), n("speed_mbps").map(|g| format!("{g} Mb/s"))]
            .into_iter()
            .flatten()
            .collect()
    } else {
        Vec::new()
    };
    if parts.is_empty() {
        v.to_string()
    } else {
        parts.join(" ")
    }
}

fn clean(s: &str) -> String {
    crate::text::printable(s)
}

fn load(path: &Path) -> Result<Value> {
    let bytes =
        std::fs::read(path).with_context(|| format!("unable to read '{}'", path.display()))?;
    // Check it is a snapshot, then diff the JSON as written (so fields newer than this build show too).
    store::load_snapshot(path)?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("'{}' is not a valid snapshot", path.display()))
}

pub fn run(root: &Path, args: &DiffArgs) -> Result<Exit> {
    let store = &Store::new(root);
    let host = crate::model::hostname::validate(&args.host)?;
    let snaps = store.history(host)?;
    let to = match &args.to {
        Some(at) => store.snapshot_at(host, at, "--to")?,
        None => snaps[snaps.len() - 1].1.clone(),
    };
    let from = match &args.from {
        Some(at) => store.snapshot_at(host, at, "--from")?,
        None => {
            // The snapshot just before `to`.
            let pos = snaps
                .iter()
                .position(|(_, p)| *p == to)
                .unwrap_or(snaps.len() - 1);
            if pos == 0 {
                bail!(
                    "host '{host}' has only one snapshot{}: nothing to compare it with",
                    if snaps.len() > 1 {
                        " at or before --to"
                    } else {
                        ""
                    }
                );
            }
            snaps[pos - 1].1.clone()
        }
    };
    let (a, b) = (load(&from)?, load(&to)?);
    let mut changes = Vec::new();
    diff("", &a, &b, args.all, &mut changes);
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let when = |v: &Value| {
        v.get("collected_at")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    if args.output.is_json() {
        let list: Vec<Value> = changes
            .iter()
            .map(|c| {
                let kind = match (&c.from, &c.to) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "changed",
                };
                json!({"path": c.path, "change": kind, "from": c.from, "to": c.to})
            })
            .collect();
        let doc = json!({
            "host": host,
            "from": {"snapshot": format!("inventory/{host}/{}", name(&from)), "collected_at": when(&a)},
            "to": {"snapshot": format!("inventory/{host}/{}", name(&to)), "collected_at": when(&b)},
            "changes": list,
        });
        print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        let color = use_color(args.color);
        let paint = |code: &str, s: String| {
            let s = clean(&s);
            if color {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s
            }
        };
        let mut out = format!(
            "{host}: {} ({}) -> {} ({})\n",
            when(&a),
            name(&from),
            when(&b),
            name(&to)
        );
        if changes.is_empty() {
            out.push_str(if args.all {
                "no changes\n"
            } else {
                "no hardware changes\n"
            });
        }
        for c in &changes {
            let line = match (&c.from, &c.to) {
                (None, Some(v)) => paint("32", format!("+ {}: {}", c.path, summary(&c.path, v))),
                (Some(v), None) => paint("31", format!("- {}: {}", c.path, summary(&c.path, v))),
                (Some(x), Some(y)) => paint("33", format!("~ {}: {x} -> {y}", c.path)),
                (None, None) => continue,
            };
            let _ = writeln!(out, "{line}");
        }
        print(&out)?;
    }
    Ok(if args.exit_code && !changes.is_empty() {
        Exit::Negative
    } else {
        Exit::Success
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(a: Value, b: Value) -> Vec<String> {
        let mut out = Vec::new();
        diff("", &a, &b, false, &mut out);
        out.iter()
            .map(|c| match (&c.from, &c.to) {
                (None, Some(v)) => format!("+ {} {}", c.path, summary(&c.path, v)),
                (Some(v), None) => format!("- {} {}", c.path, summary(&c.path, v)),
                (Some(x), Some(y)) => format!("~ {} {x} -> {y}", c.path),
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn devices_match_by_identity() {
        let a = json!({"collected_at": "1", "hardware": {"memory_gb": 16},
            "disks": [{"name": "sda", "size_gb": 500, "kind": "ssd", "model": "X"}],
            "gpus": [{"index": 0, "uuid": "GPU-a", "name": "T4", "vram_gb": 16}],
            "network_interfaces": [{"name": "eth0", "addresses": ["10.0.0.1/24"], "state": "up", "mtu": 1500}]});
        let b = json!({"collected_at": "2", "hardware": {"memory_gb": 32},
            "disks": [{"name": "nvme0n1", "size_gb": 2000, "kind": "nvme", "model": "Y"},
                      {"name": "sda", "size_gb": 500, "kind": "ssd", "model": "X"}],
            "gpus": [{"index": 0, "uuid": "GPU-a", "name": "T4", "vram_gb": 16},
                     {"index": 1, "uuid": "GPU-b", "name": "A100", "vram_gb": 80}],
            "network_interfaces": [{"name": "eth0", "addresses": ["10.0.0.2/24"], "state": "down", "mtu": 9000}]});
        assert_eq!(
            changes(a, b),
            [
                "~ hardware.memory_gb 16 -> 32",
                "+ disks[nvme0n1] 2000 GB nvme Y",
                "+ gpus[1] A100 80 GB",
                "~ network_interfaces[eth0].mtu 1500 -> 9000",
            ]
        );
    }

    #[test]
    fn hidden_paths_show_with_all() {
        let a = json!({"warnings": ["x"], "sections": {"a": {"status": "ok"}}});
        let b = json!({"warnings": ["y"], "sections": {"a": {"status": "failed"}}});
        assert!(changes(a.clone(), b.clone()).is_empty());
        let mut out = Vec::new();
        diff("", &a, &b, true, &mut out);
        let paths: Vec<&str> = out.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["warnings", "warnings", "sections.a.status"]);
    }
}
