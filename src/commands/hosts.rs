//! `hwinv hosts`, `show`, `compare`, `diff` and `events`: read-only questions about the fleet.
//!
//! Orchestration only: the query language and the renderings live in [`crate::query`], snapshot files in
//! [`crate::store`], the event log in [`crate::events`]. Nothing here writes to the inventory except the
//! query cache under `inventory/.cache/` (see `hosts/index.rs`).

use super::output::print;
use crate::error::Exit;
use crate::query::{self, fields, lang, natural_cmp, output, Field, FieldSet, Ty};
use crate::store::Store;
use anyhow::{Context, Result};
use serde_json::Value;
use std::cmp::Ordering;
use std::path::Path;

/// Output of `hwinv hosts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HostsFormat {
    /// Aligned columns for people.
    Table,
    /// A JSON array of objects.
    Json,
    /// CSV with a header line.
    Csv,
    /// An Ansible dynamic inventory (`--list` output) with the facts as host variables.
    Ansible,
    /// Host names, one per line (for shell loops).
    Names,
}

impl HostsArgs {
    /// --format, or JSON with --json.
    fn output_format(&self) -> HostsFormat {
        if self.json {
            HostsFormat::Json
        } else {
            self.format
        }
    }
}

/// Arguments of `hwinv hosts`.
#[derive(Debug, clap::Args)]
#[command(after_help = query::HELP)]
pub struct HostsArgs {
    /// Keep hosts for which EXPR holds, e.g. 'memory_gb >= 32' (repeatable: all must hold).
    #[arg(short = 'w', long = "where", value_name = "EXPR")]
    pub filter: Vec<String>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value = "table")]
    pub format: HostsFormat,

    /// JSON on standard output (the same as --format json).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,

    /// Show these fields (comma-separated names, as in --where) instead of the default columns.
    #[arg(short = 'c', long, value_delimiter = ',', value_name = "FIELDS")]
    pub columns: Vec<String>,

    /// Sort by this field (default: host); hosts without a value come last.
    #[arg(short = 's', long, value_name = "FIELD")]
    pub sort: Option<String>,

    /// Reverse the order.
    #[arg(short = 'r', long)]
    pub reverse: bool,

    /// List every field --where, --columns and --sort can name, with its type, and exit.
    #[arg(long)]
    pub fields: bool,
}

/// Run `hosts`.
pub fn run(root: &Path, args: &HostsArgs) -> Result<Exit> {
    if args.fields {
        print(&fields::listing())?;
        return Ok(Exit::Success);
    }
    let mut fs = FieldSet::default();
    let filter = lang::parse_all(&args.filter, &mut fs)?;
    let layout = Layout::new(args, &mut fs)?;
    let sort = match &args.sort {
        Some(name) => Some(fs.add(resolve_named(name, "--sort")?)),
        None => None,
    };
    let host_idx = fs.add(resolve_named("host", "host")?);

    let store = Store::new(root);
    let facts = crate::store::index::facts(&store, &fs)?;
    for w in &facts.warnings {
        eprintln!("warning: {w}");
    }
    let mut rows: Vec<Vec<Value>> = facts
        .hosts
        .into_iter()
        .map(|h| h.values)
        .filter(|v| filter.as_ref().map_or(true, |f| f.eval(v)))
        .collect();
    rows.sort_by(|a, b| {
        let by = sort.map_or(Ordering::Equal, |i| cmp_values(&a[i], &b[i]));
        by.then_with(|| cmp_values(&a[host_idx], &b[host_idx]))
    });
    if args.reverse {
        rows.reverse();
    }
    print(&layout.render(&rows, host_idx))?;
    if rows.is_empty() && args.output_format() != HostsFormat::Ansible {
        if !args.filter.is_empty() {
            eprintln!("no host matches");
        } else if args.output_format() == HostsFormat::Table {
            eprintln!(
                "no hosts in '{}': record one with `hwinv extract [HOST USER]`, or point --root (or HWINV_ROOT) at your inventory",
                store.inventory_dir().display()
            );
        }
        return Ok(Exit::Negative);
    }
    Ok(Exit::Success)
}

fn resolve_named(name: &str, what: &str) -> Result<Field> {
    fields::resolve(name).with_context(|| format!("invalid {what}"))
}

/// Order values: numbers numerically, text naturally, nulls and empty lists last.
fn cmp_values(a: &Value, b: &Value) -> Ordering {
    let rank = |v: &Value| match v {
        Value::Null => 3,
        Value::Array(x) if x.is_empty() => 3,
        _ => 0,
    };
    match (a, b) {
        _ if rank(a) != rank(b) => rank(a).cmp(&rank(b)),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => natural_cmp(x, y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = cmp_values(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        _ => output::plain(a, ",").cmp(&output::plain(b, ",")),
    }
}

/// The columns of one `hosts` output, as positions in the field set.
enum Layout {
    /// The default table: composite cells (OS = id + version, GPUS = count and names).
    DefaultTable(DefaultCols),
    /// Named fields, one per column.
    Fields {
        format: HostsFormat,
        keys: Vec<String>,
        cols: Vec<usize>,
        numeric: Vec<bool>,
    },
    /// Ansible inventory.
    Ansible(Vec<(String, usize)>),
    /// Host names only.
    Names,
}

struct DefaultCols {
    os_id: usize,
    os: usize,
    os_version: usize,
    cpu: usize,
    cores: usize,
    memory_gb: usize,
    disk_gb: usize,
    gpu_count: usize,
    gpu_names: usize,
    last_seen: usize,
}

/// The JSON/CSV columns when none are named.
const DEFAULT_KEYS: &[&str] = &[
    "host",
    "os",
    "os_id",
    "os_version",
    "arch",
    "model",
    "cpu",
    "cores",
    "threads",
    "memory_gb",
    "disk_gb",
    "gpu_count",
    "gpu_names",
    "vram_gb",
    "last_seen",
    "snapshot",
];

/// Host variables of the Ansible output: (variable, field).
const ANSIBLE_VARS: &[(&str, &str)] = &[
    ("hwinv_os", "os"),
    ("hwinv_os_id", "os_id"),
    ("hwinv_os_version", "os_version"),
    ("hwinv_arch", "arch"),
    ("hwinv_nix_system", "system"),
    ("hwinv_model", "model"),
    ("hwinv_cpu", "cpu"),
    ("hwinv_cpu_cores", "cores"),
    ("hwinv_cpu_threads", "threads"),
    ("hwinv_memory_gb", "memory_gb"),
    ("hwinv_disk_gb", "disk_gb"),
    ("hwinv_gpu_count", "gpu_count"),
    ("hwinv_gpus", "gpu_names"),
    ("hwinv_vram_gb", "vram_gb"),
    ("hwinv_collected_at", "last_seen"),
    ("hwinv_snapshot", "snapshot"),
];

impl Layout {
    fn new(args: &HostsArgs, fs: &mut FieldSet) -> Result<Layout> {
        let mut add =
            |name: &str| -> Result<usize> { Ok(fs.add(resolve_named(name, "--columns")?)) };
        if !args.columns.is_empty()
            && matches!(
                args.output_format(),
                HostsFormat::Ansible | HostsFormat::Names
            )
        {
            anyhow::bail!("--columns does not apply to --format ansible or names");
        }
        Ok(match args.output_format() {
            HostsFormat::Names => Layout::Names,
            HostsFormat::Ansible => {
                let mut vars = Vec::new();
                for (var, name) in ANSIBLE_VARS {
                    vars.push(((*var).to_string(), add(name)?));
                }
                vars.push(("transport".into(), add("source.transport")?));
                vars.push(("target".into(), add("source.target")?));
                vars.push(("user".into(), add("source.user")?));
                vars.push(("port".into(), add("source.port")?));
                Layout::Ansible(vars)
            }
            HostsFormat::Table if args.columns.is_empty() => Layout::DefaultTable(DefaultCols {
                os_id: add("os_id")?,
                os: add("os")?,
                os_version: add("os_version")?,
                cpu: add("cpu")?,
                cores: add("cores")?,
                memory_gb: add("memory_gb")?,
                disk_gb: add("disk_gb")?,
                gpu_count: add("gpu_count")?,
                gpu_names: add("gpu_names")?,
                last_seen: add("last_seen")?,
            }),
            format => {
                let keys: Vec<String> = if args.columns.is_empty() {
                    DEFAULT_KEYS.iter().map(|k| (*k).to_string()).collect()
                } else {
                    args.columns
                        .iter()
                        .map(|c| c.trim().to_string())
                        .filter(|c| !c.is_empty())
                        .collect()
                };
                let mut cols = Vec::new();
                let mut numeric = Vec::new();
                for k in &keys {
                    let f = resolve_named(k, "--columns")?;
                    numeric.push(f.ty == Ty::Num && !f.many);
                    cols.push(fs.add(f));
                }
                Layout::Fields {
                    format,
                    keys,
                    cols,
                    numeric,
                }
            }
        })
    }

    fn render(&self, rows: &[Vec<Value>], host: usize) -> String {
        let text = |v: &Value| output::plain(v, ", ");
        match self {
            Layout::Names => rows
                .iter()
                .map(|r| format!("{}\n", text(&r[host])))
                .collect(),
            Layout::Ansible(vars) => {
                let hosts: Vec<output::AnsibleHost> = rows
                    .iter()
                    .map(|r| {
                        let mut v: Vec<(String, Value)> = Vec::new();
                        let get = |name: &str| {
                            vars.iter()
                                .find(|(n, _)| n == name)
                                .map(|(_, i)| r[*i].clone())
                        };
                        // Reach the host the way hwinv did, when that was SSH.
                        if get("transport").is_some_and(|t| t == "ssh") {
                            if let Some(target) = get("target") {
                                v.push(("ansible_host".into(), target));
                            }
                            for (var, field) in [("ansible_user", "user"), ("ansible_port", "port")]
                            {
                                if let Some(x) = get(field).filter(|x| !x.is_null()) {
                                    v.push((var.into(), x));
                                }
                            }
                        }
                        for (name, i) in vars {
                            if name.starts_with("hwinv_") {
                                v.push((name.clone(), r[*i].clone()));
                            }
                        }
                        output::AnsibleHost {
                            name: text(&r[host]),
                            os: get("hwinv_os").and_then(|o| o.as_str().map(String::from)),
                            vars: v,
                        }
                    })
                    .collect();
                output::ansible(&hosts)
            }
            Layout::DefaultTable(c) => {
                let header: Vec<String> = [
                    "HOST",
                    "OS",
                    "CPU",
                    "CORES",
                    "RAM",
                    "DISK",
                    "GPUS",
                    "LAST SEEN",
                ]
                .map(String::from)
                .to_vec();
                let gb = |v: &Value| {
                    if v.is_null() {
                        "?".to_string()
                    } else {
                        format!("{} GB", text(v))
                    }
                };
                let body: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| {
                        let id = if r[c.os_id].is_null() {
                            &r[c.os]
                        } else {
                            &r[c.os_id]
                        };
                        let os = [text(id), text(&r[c.os_version])]
                            .join(" ")
                            .trim()
                            .to_string();
                        vec![
                            text(&r[host]),
                            os,
                            text(&r[c.cpu]),
                            text(&r[c.cores]),
                            gb(&r[c.memory_gb]),
                            gb(&r[c.disk_gb]),
                            gpus_cell(&r[c.gpu_count], &r[c.gpu_names]),
                            text(&r[c.last_seen]),
                        ]
                    })
                    .collect();
                if body.is_empty() {
                    return String::new();
                }
                output::table(
                    &header,
                    &body,
                    &[false, false, false, true, true, true, false, false],
                )
            }
            Layout::Fields {
                format,
                keys,
                cols,
                numeric,
            } => {
                let pick =
                    |r: &Vec<Value>| cols.iter().map(|&i| r[i].clone()).collect::<Vec<Value>>();
                match format {
                    HostsFormat::Json => {
                        output::json(keys, &rows.iter().map(pick).collect::<Vec<_>>())
                    }
                    HostsFormat::Csv => {
                        let body: Vec<Vec<String>> = rows
                            .iter()
                            .map(|r| cols.iter().map(|&i| output::plain(&r[i], ";")).collect())
                            .collect();
                        output::csv(keys, &body)
                    }
                    _ => {
                        if rows.is_empty() {
                            return String::new();
                        }
                        let header: Vec<String> = keys.iter().map(|k| k.to_uppercase()).collect();
                        let body: Vec<Vec<String>> = rows
                            .iter()
                            .map(|r| cols.iter().map(|&i| text(&r[i])).collect())
                            .collect();
                        output::table(&header, &body, numeric)
                    }
                }
            }
        }
    }
}

/// `-` for none, `?` for unknown, `2x NVIDIA A100` for identical GPUs, else the names.
fn gpus_cell(count: &Value, names: &Value) -> String {
    match count.as_u64() {
        None => "?".into(),
        Some(0) => "-".into(),
        Some(n) => {
            let names: Vec<&str> = names
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match names.first() {
                Some(first) if names.iter().all(|x| x == first) => {
                    if n == 1 {
                        (*first).to_string()
                    } else {
                        format!("{n}x {first}")
                    }
                }
                Some(_) => names.join(", "),
                None => n.to_string(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gpu_cells() {
        assert_eq!(gpus_cell(&json!(null), &json!([])), "?");
        assert_eq!(gpus_cell(&json!(0), &json!([])), "-");
        assert_eq!(gpus_cell(&json!(1), &json!(["T4"])), "T4");
        assert_eq!(gpus_cell(&json!(2), &json!(["A100", "A100"])), "2x A100");
        assert_eq!(gpus_cell(&json!(2), &json!(["A100", "T4"])), "A100, T4");
    }

    #[test]
    fn value_order_puts_nulls_last() {
        let mut v = vec![json!(null), json!(32), json!(8), json!(null), json!(128)];
        v.sort_by(cmp_values);
        assert_eq!(
            v,
            vec![json!(8), json!(32), json!(128), json!(null), json!(null)]
        );
        assert_eq!(
            cmp_values(&json!("node-2"), &json!("node-10")),
            Ordering::Less
        );
    }

    #[test]
    fn default_keys_and_ansible_vars_resolve() {
        for k in DEFAULT_KEYS {
            fields::resolve(k).unwrap();
        }
        for (_, k) in ANSIBLE_VARS {
            fields::resolve(k).unwrap();
        }
    }
}
