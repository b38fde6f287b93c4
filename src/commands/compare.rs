//! `hwinv compare A B [C...]`: the latest hardware of several hosts side by side, differences marked.

use super::args::{ColorChoice, TextOutput};
use super::output::{print, use_color};
use crate::error::Exit;
use crate::model::Snapshot;
use crate::store::Store;
use anyhow::Result;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Arguments of `hwinv compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Two or more hosts.
    #[arg(required = true, num_args = 2.., value_name = "HOST")]
    pub hosts: Vec<String>,

    /// Show only the facts that differ.
    #[arg(short = 'd', long)]
    pub only_differences: bool,

    /// Exit with status 1 when the hosts differ (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,

    #[command(flatten)]
    pub output: TextOutput,

    /// Highlight differences in color.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// One compared fact: a label and each host's value.
struct Row {
    fact: String,
    values: Vec<Value>,
    /// Facts that always differ (when the snapshot was taken) are shown but never count as a difference.
    compared: bool,
}

impl Row {
    fn differs(&self) -> bool {
        self.compared && self.values.windows(2).any(|w| w[0] != w[1])
    }
}

/// Scalar facts, in display order.
fn scalars(s: &Snapshot) -> Vec<(&'static str, Value, bool)> {
    let si = &s.system_info;
    let cpu = &s.hardware.cpu;
    let os = [s.os.name.as_deref(), s.os.version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let pe = match (cpu.performance_cores, cpu.efficiency_cores) {
        (Some(p), Some(e)) => json!(format!("{p}P + {e}E")),
        _ => Value::Null,
    };
    vec![
        ("collected_at", json!(s.collected_at), false),
        ("model", json!(si.model), true),
        ("model_name", json!(si.model_name), true),
        ("vendor", json!(si.vendor), true),
        ("architecture", json!(si.architecture), true),
        ("nix_system", json!(si.nix_system), true),
        (
            "os",
            if os.is_empty() {
                json!(s.os.family.as_str())
            } else {
                json!(os)
            },
            true,
        ),
        ("os_build", json!(s.os.build), true),
        ("kernel", json!(s.os.kernel), true),
        ("cpu", json!(s.hardware.cpu_type), true),
        ("cpu_cores", json!(s.hardware.cpu_cores), true),
        ("p/e cores", pe, true),
        ("threads", json!(cpu.logical_cpus), true),
        ("sockets", json!(cpu.sockets), true),
        ("memory_gb", json!(s.hardware.memory_gb), true),
        ("memory_bytes", json!(s.hardware.memory.total_bytes), true),
        ("swap_bytes", json!(s.hardware.memory.swap_bytes), true),
        ("disk_gb", json!(crate::config::tiers::storage_gb(s)), true),
        ("disks", json!(s.disks.len()), true),
        ("gpus", json!(s.gpus.as_ref().map(Vec::len)), true),
        (
            "network_interfaces",
            json!(s.network_interfaces.len()),
            true,
        ),
        ("warnings", json!(s.warnings.len()), true),
    ]
}

/// List facts: one row per item position.
fn lists(s: &Snapshot) -> Vec<(&'static str, Vec<Value>)> {
    let disks = s
        .disks
        .iter()
        .map(|d| {
            let mut t = format!("{} {} GB {}", d.name, d.size_gb, d.kind.as_str());
            if let Some(m) = &d.model {
                let _ = write!(t, " {m}");
            }
            if d.removable {
                t.push_str(" (removable)");
            }
            json!(t)
        })
        .collect();
    let gpus = s
        .gpus
        .iter()
        .flatten()
        .map(|g| {
            let mut t = g.name.clone();
            if let Some(v) = g.vram_gb {
                let _ = write!(t, " {v} GB");
            }
            if let Some(d) = &g.driver_version {
                let _ = write!(t, ", driver {d}");
            }
            if let Some(c) = &g.cuda_version {
                let _ = write!(t, ", CUDA {c}");
            }
            json!(t)
        })
        .collect();
    let nics = s
        .network_interfaces
        .iter()
        .map(|n| {
            let mut t = n.name.clone();
            if let Some(v) = n.speed_mbps {
                let _ = write!(t, " {v} Mb/s");
            }
            if let Some(m) = n.mtu {
                let _ = write!(t, " mtu {m}");
            }
            json!(t)
        })
        .collect();
    vec![("disk", disks), ("gpu", gpus), ("nic", nics)]
}

fn rows(snaps: &[Snapshot]) -> Vec<Row> {
    let per_host: Vec<_> = snaps.iter().map(scalars).collect();
    let mut out: Vec<Row> = (0..per_host[0].len())
        .map(|i| Row {
            fact: per_host[0][i].0.to_string(),
            values: per_host.iter().map(|h| h[i].1.clone()).collect(),
            compared: per_host[0][i].2,
        })
        .collect();
    let per_host: Vec<_> = snaps.iter().map(lists).collect();
    for (li, (label, _)) in per_host[0].iter().enumerate() {
        let max = per_host.iter().map(|h| h[li].1.len()).max().unwrap_or(0);
        for i in 0..max {
            out.push(Row {
                fact: format!("{label} {}", i + 1),
                values: per_host
                    .iter()
                    .map(|h| h[li].1.get(i).cloned().unwrap_or(Value::Null))
                    .collect(),
                compared: true,
            });
        }
    }
    out
}

fn cell(v: &Value) -> String {
    let s = match v {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::text::printable(&s)
}

pub fn run(root: &Path, args: &CompareArgs) -> Result<Exit> {
    let store = &Store::new(root);
    let mut snaps = Vec::new();
    for h in &args.hosts {
        crate::model::hostname::validate(h)?;
        snaps.push(store.latest(h)?);
    }
    let all = rows(&snaps);
    let differs = all.iter().any(Row::differs);
    let shown: Vec<&Row> = all
        .iter()
        .filter(|r| !args.only_differences || r.differs())
        .collect();
    if args.output.is_json() {
        let facts: Vec<Value> = shown
            .iter()
            .map(|r| json!({"fact": r.fact, "values": r.values, "differs": r.differs()}))
            .collect();
        let doc = json!({"hosts": args.hosts, "differs": differs, "facts": facts});
        print(&format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
    } else {
        print(&render(&args.hosts, &shown, use_color(args.color)))?;
    }
    Ok(if args.exit_code && differs {
        Exit::Negative
    } else {
        Exit::Success
    })
}

/// Columns: a marker (`*` where the hosts differ), the fact, one column per host.
fn render(hosts: &[String], rows: &[&Row], color: bool) -> String {
    let fact_w = rows
        .iter()
        .map(|r| r.fact.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let widths: Vec<usize> = (0..hosts.len())
        .map(|i| {
            rows.iter()
                .map(|r| cell(&r.values[i]).chars().count())
                .chain(std::iter::once(hosts[i].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut header = format!("  {:<fact_w$}", "FACT");
    for (h, w) in hosts.iter().zip(&widths) {
        let _ = write!(header, "  {h:<w$}");
    }
    out.push_str(header.trim_end());
    out.push('\n');
    for r in rows {
        let d = r.differs();
        let mut line = format!("{} {:<fact_w$}", if d { '*' } else { ' ' }, r.fact);
        for (v, w) in r.values.iter().zip(&widths) {
            let text = format!("{:<w$}", cell(v));
            if d && color {
                let _ = write!(line, "  \x1b[1;33m{text}\x1b[0m");
            } else {
                let _ = write!(line, "  {text}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
