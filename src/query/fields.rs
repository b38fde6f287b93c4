//! The facts a query, a column or a sort key can name: every leaf of the snapshot by its dotted path
//! (`hardware.cpu_cores`, `gpus.vram_gb`, `sections.lsblk.status`), short aliases (`memory_gb`, `os`,
//! `cores`), `<array>.count`, and a few derived facts (`disk_gb`, `vram_gb`, `snapshot`).
//!
//! Field types are known before any snapshot is read (from [`EXEMPLAR`], a snapshot with every optional
//! value present), so a misspelt field or a type error is reported even on an empty inventory. Pure: no I/O.

use crate::model::Snapshot;
use serde_json::Value;
use std::fmt;
use std::sync::OnceLock;

/// The type of a field's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    /// Integer or decimal number.
    Num,
    /// Text.
    Str,
    /// `true` or `false`.
    Bool,
}

impl Ty {
    /// How error messages name the type.
    pub fn describe(self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::Str => "text",
            Ty::Bool => "a boolean",
        }
    }

    fn short(self) -> &'static str {
        match self {
            Ty::Num => "number",
            Ty::Str => "text",
            Ty::Bool => "boolean",
        }
    }
}

/// How a field's value is obtained from a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Kind {
    /// A leaf of the snapshot JSON; the segments may cross arrays (then the field has many values).
    Path(Vec<String>),
    /// The length of an array (`null` when the array itself is `null`, e.g. `gpus` when unknown).
    Count(Vec<String>),
    /// Internal disks in decimal GB, as the storage tier counts them ([`crate::config::tiers::storage_gb`]).
    DiskGb,
    /// Dedicated GPU memory summed over GPUs, GiB; `null` when no GPU reports any.
    VramGb,
    /// The snapshot file `latest.json` points at, relative to the inventory root.
    Snapshot,
}

/// A resolved field: what a query names, with its type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    /// Canonical name (`hardware.memory_gb`, `gpus.count`, `disk_gb`): stable, used as the index key.
    pub name: String,
    /// Type of each value.
    pub ty: Ty,
    /// True when the field goes through an array and so has zero or more values (`gpus.name`).
    pub many: bool,
    kind: Kind,
}

/// What the store knows about a snapshot besides its content.
#[derive(Debug, Clone, Copy)]
pub struct Meta<'a> {
    /// The snapshot file relative to the inventory root (`inventory/h/hardware_….json`).
    pub snapshot: &'a str,
}

impl Field {
    /// This field's value in a snapshot: a scalar or `null`, or for a many-valued field an array of its
    /// non-null values.
    pub fn get(&self, json: &Value, typed: &Snapshot, meta: Meta<'_>) -> Value {
        match &self.kind {
            Kind::Path(path) => {
                let mut out = Vec::new();
                collect(json, path, &mut out);
                if self.many {
                    Value::Array(out.into_iter().filter(|v| !v.is_null()).collect())
                } else {
                    out.into_iter().next().unwrap_or(Value::Null)
                }
            }
            Kind::Count(path) => {
                let mut out = Vec::new();
                collect(json, path, &mut out);
                match out.first() {
                    Some(Value::Array(a)) => Value::from(a.len()),
                    _ => Value::Null,
                }
            }
            Kind::DiskGb => Value::from(crate::config::tiers::storage_gb(typed)),
            Kind::VramGb => match &typed.gpus {
                None => Value::Null,
                Some(gpus) if gpus.is_empty() => Value::from(0u64),
                Some(gpus) => {
                    let known: Vec<u64> = gpus.iter().filter_map(|g| g.vram_gb).collect();
                    if known.is_empty() {
                        Value::Null
                    } else {
                        Value::from(known.iter().sum::<u64>())
                    }
                }
            },
            Kind::Snapshot => Value::from(meta.snapshot),
        }
    }
}

/// Walk `path` from `v`, stepping into every element of the arrays met on the way.
fn collect(v: &Value, path: &[String], out: &mut Vec<Value>) {
    match v {
        Value::Array(items) if !path.is_empty() => {
            for item in items {
                collect(item, path, out);
            }
        }
        _ => match path.split_first() {
            None => out.push(v.clone()),
            Some((seg, rest)) => match v.get(seg.as_str()) {
                Some(next) => collect(next, rest, out),
                None => out.push(Value::Null),
            },
        },
    }
}

/// Why a field name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError(pub String);

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FieldError {}

/// A snapshot with every optional value present, so each leaf shows its type. Maps keyed by name
/// (`sections`, `services.http`, ...) use `*` for "any name". A unit test keeps it in step with `model.rs`.
pub const EXEMPLAR: &str = r#"{
  "schema_version": 1,
  "collected_at": "2026-01-01T00:00:00Z",
  "generator": "hwinv 0.0.0",
  "source": {"transport": "ssh", "target": "h", "user": "u", "port": 22},
  "system_info": {"hostname": "h", "model": "m", "model_name": "m", "vendor": "v", "serial_number": "s",
                  "architecture": "arm64", "nix_system": "aarch64-darwin", "reported_hostname": "r"},
  "os": {"family": "macos", "id": "macos", "name": "macOS", "version": "14", "build": "b", "kernel": "k"},
  "hardware": {
    "cpu_type": "c", "cpu_cores": 1, "memory_gb": 1,
    "cpu": {"brand": "c", "vendor": "v", "physical_cores": 1, "logical_cpus": 1, "sockets": 1,
            "performance_cores": 1, "efficiency_cores": 1,
            "perf_levels": [{"name": "n", "physical_cores": 1, "logical_cpus": 1}], "translated": false},
    "memory": {"total_bytes": 1, "usable_bytes": 1, "swap_bytes": 1}
  },
  "disks": [{"name": "d", "size_bytes": 1, "size_gb": 1, "model": "m", "serial": "s", "kind": "nvme",
             "removable": false, "transport": "t"}],
  "network_interfaces": [{"name": "n", "mac": "m", "addresses": ["a"], "state": "up", "speed_mbps": 1,
                          "mtu": 1}],
  "gpus": [{"index": 0, "name": "n", "vendor": "v", "vram_bytes": 1, "vram_gb": 1, "driver_version": "d",
            "cuda_version": "c", "uuid": "u", "pci_bus_id": "p", "cores": 1, "mig_mode": "m"}],
  "sections": {"*": {"status": "ok", "exit_code": 0, "message": "m"}},
  "warnings": ["w"],
  "services": {
    "http": {"*": {"url": "u", "expected_status": 200, "up": true, "http_status": 200, "error": "e"}},
    "llm": {"*": {"provider": "ollama",
                  "available": [{"name": "n", "size_bytes": 1, "family": "f", "parameter_size": "7B",
                                 "quantization": "q", "vram_bytes": 1, "context_length": 1}],
                  "loaded": [{"name": "n", "size_bytes": 1, "family": "f", "parameter_size": "7B",
                              "quantization": "q", "vram_bytes": 1, "context_length": 1}],
                  "error": "e"}},
    "systemd_units": {"*": {"load": "loaded", "active": "active", "sub": "running"}},
    "containers": {"*": {"image": "i", "state": "running", "health": "healthy"}},
    "sections": {"*": {"status": "ok", "exit_code": 0, "message": "m"}}
  }
}"#;

/// One node of the exemplar: a leaf (with a type) or an array (which has a `.count`).
#[derive(Debug, Clone)]
struct Node {
    path: Vec<String>,
    /// `None` for objects and arrays of objects.
    ty: Option<Ty>,
    /// Crosses an array somewhere on the way (or is an array of scalars).
    many: bool,
    /// Is itself an array.
    array: bool,
}

fn nodes() -> &'static [Node] {
    static NODES: OnceLock<Vec<Node>> = OnceLock::new();
    NODES.get_or_init(|| {
        // The exemplar is a constant checked by a unit test, so it always parses.
        let v: Value = serde_json::from_str(EXEMPLAR).unwrap_or(Value::Null);
        let mut out = Vec::new();
        walk(&v, &mut Vec::new(), false, &mut out);
        out
    })
}

fn walk(v: &Value, path: &mut Vec<String>, many: bool, out: &mut Vec<Node>) {
    match v {
        Value::Object(map) => {
            if !path.is_empty() {
                out.push(Node {
                    path: path.clone(),
                    ty: None,
                    many,
                    array: false,
                });
            }
            for (k, child) in map {
                path.push(k.clone());
                walk(child, path, many, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            let first = items.first().unwrap_or(&Value::Null);
            let ty = scalar_ty(first);
            out.push(Node {
                path: path.clone(),
                ty,
                many: true,
                array: true,
            });
            if ty.is_none() {
                // Array of objects: its leaves follow, each many-valued.
                if let Value::Object(map) = first {
                    for (k, child) in map {
                        path.push(k.clone());
                        walk(child, path, true, out);
                        path.pop();
                    }
                }
            }
        }
        other => out.push(Node {
            path: path.clone(),
            ty: scalar_ty(other),
            many,
            array: false,
        }),
    }
}

fn scalar_ty(v: &Value) -> Option<Ty> {
    match v {
        Value::Number(_) => Some(Ty::Num),
        Value::String(_) => Some(Ty::Str),
        Value::Bool(_) => Some(Ty::Bool),
        _ => None,
    }
}

/// Does a catalogue path (with `*` wildcards) match the path the user wrote?
fn matches(pattern: &[String], path: &[&str]) -> bool {
    pattern.len() == path.len() && pattern.iter().zip(path).all(|(p, s)| p == "*" || p == s)
}

/// A short name and what it stands for.
struct Alias {
    name: &'static str,
    /// A dotted path, or one of `=disk_gb`, `=vram_gb`, `=snapshot` for derived facts.
    target: &'static str,
    help: &'static str,
}

const ALIASES: &[Alias] = &[
    Alias {
        name: "host",
        target: "system_info.hostname",
        help: "host name (inventory directory)",
    },
    Alias {
        name: "hostname",
        target: "system_info.hostname",
        help: "same as host",
    },
    Alias {
        name: "os",
        target: "os.family",
        help: "\"macos\" or \"linux\"",
    },
    Alias {
        name: "os_id",
        target: "os.id",
        help: "distribution id (debian, ubuntu, macos)",
    },
    Alias {
        name: "os_name",
        target: "os.name",
        help: "OS name (macOS, Debian GNU/Linux 12 (bookworm))",
    },
    Alias {
        name: "os_version",
        target: "os.version",
        help: "OS version (14.4.1, 12)",
    },
    Alias {
        name: "kernel",
        target: "os.kernel",
        help: "kernel release",
    },
    Alias {
        name: "arch",
        target: "system_info.architecture",
        help: "arm64, aarch64, x86_64",
    },
    Alias {
        name: "system",
        target: "system_info.nix_system",
        help: "Nix system (aarch64-darwin, x86_64-linux)",
    },
    Alias {
        name: "model",
        target: "system_info.model",
        help: "model identifier (MacBookPro18,1)",
    },
    Alias {
        name: "vendor",
        target: "system_info.vendor",
        help: "hardware vendor",
    },
    Alias {
        name: "serial",
        target: "system_info.serial_number",
        help: "serial number",
    },
    Alias {
        name: "cpu",
        target: "hardware.cpu_type",
        help: "CPU brand string",
    },
    Alias {
        name: "cores",
        target: "hardware.cpu_cores",
        help: "physical CPU cores",
    },
    Alias {
        name: "cpu_cores",
        target: "hardware.cpu_cores",
        help: "physical CPU cores",
    },
    Alias {
        name: "threads",
        target: "hardware.cpu.logical_cpus",
        help: "logical CPUs",
    },
    Alias {
        name: "p_cores",
        target: "hardware.cpu.performance_cores",
        help: "performance cores (hybrid CPUs)",
    },
    Alias {
        name: "e_cores",
        target: "hardware.cpu.efficiency_cores",
        help: "efficiency cores (hybrid CPUs)",
    },
    Alias {
        name: "memory_gb",
        target: "hardware.memory_gb",
        help: "installed memory, GiB",
    },
    Alias {
        name: "ram_gb",
        target: "hardware.memory_gb",
        help: "same as memory_gb",
    },
    Alias {
        name: "disk_gb",
        target: "=disk_gb",
        help: "internal disks, decimal GB (as the storage tier counts)",
    },
    Alias {
        name: "gpu_count",
        target: "gpus.count",
        help: "number of GPUs (null when unknown)",
    },
    Alias {
        name: "gpu_names",
        target: "gpus.name",
        help: "GPU names",
    },
    Alias {
        name: "vram_gb",
        target: "=vram_gb",
        help: "dedicated GPU memory over all GPUs, GiB",
    },
    Alias {
        name: "last_seen",
        target: "collected_at",
        help: "when the latest snapshot was taken (UTC)",
    },
    Alias {
        name: "snapshot",
        target: "=snapshot",
        help: "the snapshot file latest.json points at",
    },
];

/// Prefixes that stand for a longer one (`gpu.vram_gb` = `gpus.vram_gb`).
const PREFIXES: &[(&str, &str)] = &[
    ("gpu", "gpus"),
    ("disk", "disks"),
    ("nic", "network_interfaces"),
];

/// Resolve a field name as a user wrote it.
pub fn resolve(name: &str) -> Result<Field, FieldError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(FieldError("empty field name".into()));
    }
    if name.split('.').any(str::is_empty)
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*'))
    {
        return Err(FieldError(format!("invalid field name '{name}'")));
    }
    if let Some(a) = ALIASES.iter().find(|a| a.name == name) {
        let f = match a.target {
            "=disk_gb" => derived("disk_gb", Kind::DiskGb),
            "=vram_gb" => derived("vram_gb", Kind::VramGb),
            "=snapshot" => Field {
                name: "snapshot".into(),
                ty: Ty::Str,
                many: false,
                kind: Kind::Snapshot,
            },
            target => resolve_path(target, name)?,
        };
        // Aliases keep the canonical name, so `cores` and `cpu_cores` share one index slot.
        return Ok(f);
    }
    let mut segs: Vec<&str> = name.split('.').collect();
    if let Some((_, long)) = PREFIXES
        .iter()
        .find(|(short, _)| segs.len() > 1 && segs[0] == *short)
    {
        segs[0] = long;
    }
    let expanded = segs.join(".");
    resolve_path(&expanded, name)
}

fn derived(name: &str, kind: Kind) -> Field {
    Field {
        name: name.into(),
        ty: Ty::Num,
        many: false,
        kind,
    }
}

fn resolve_path(path: &str, as_written: &str) -> Result<Field, FieldError> {
    let segs: Vec<&str> = path.split('.').collect();
    // `<array>.count`
    if segs.len() > 1 && segs[segs.len() - 1] == "count" {
        let arr = &segs[..segs.len() - 1];
        if let Some(n) = nodes().iter().find(|n| n.array && matches(&n.path, arr)) {
            if n.path.len() == arr.len() && !nested_in_array(&n.path) {
                return Ok(Field {
                    name: path.to_string(),
                    ty: Ty::Num,
                    many: false,
                    kind: Kind::Count(arr.iter().map(|s| s.to_string()).collect()),
                });
            }
            return Err(FieldError(format!(
                "field '{as_written}': .count works on top-level lists only"
            )));
        }
    }
    if let Some(n) = nodes().iter().find(|n| matches(&n.path, &segs)) {
        return match n.ty {
            Some(ty) => Ok(Field {
                name: path.to_string(),
                ty,
                many: n.many,
                kind: Kind::Path(segs.iter().map(|s| s.to_string()).collect()),
            }),
            None => {
                let children: Vec<String> = nodes()
                    .iter()
                    .filter(|c| {
                        c.ty.is_some()
                            && c.path.len() == n.path.len() + 1
                            && c.path.starts_with(&n.path)
                    })
                    .map(|c| display_path(&c.path, &segs))
                    .take(6)
                    .collect();
                let count = if n.array {
                    format!(", {path}.count")
                } else {
                    String::new()
                };
                Err(FieldError(format!(
                    "field '{as_written}' is a group, not a value; name one of its fields: {}{count}",
                    children.join(", ")
                )))
            }
        };
    }
    // A bare name: the one leaf it ends.
    if segs.len() == 1 {
        let hits: Vec<&Node> = nodes()
            .iter()
            .filter(|n| {
                n.ty.is_some()
                    && n.path.last().is_some_and(|l| l == segs[0])
                    && !n.path.iter().any(|p| p == "*")
            })
            .collect();
        if hits.len() == 1 {
            return resolve_path(&hits[0].path.join("."), as_written);
        }
        if hits.len() > 1 {
            let names: Vec<String> = hits.iter().map(|n| n.path.join(".")).collect();
            return Err(FieldError(format!(
                "field '{as_written}' is ambiguous: say {}",
                names.join(" or ")
            )));
        }
    }
    let hint = suggest(as_written)
        .map(|s| format!(" (did you mean '{s}'?)"))
        .unwrap_or_default();
    Err(FieldError(format!(
        "unknown field '{as_written}'{hint}; `hwinv hosts --fields` lists them"
    )))
}

fn nested_in_array(path: &[String]) -> bool {
    (1..path.len()).any(|i| nodes().iter().any(|n| n.array && n.path == path[..i]))
}

/// A catalogue path shown with the user's concrete keys in place of `*`.
fn display_path(pattern: &[String], concrete: &[&str]) -> String {
    pattern
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p == "*" {
                concrete.get(i).copied().unwrap_or("*")
            } else {
                p.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// Every name a user can write, for suggestions and `--fields`.
fn all_names() -> Vec<String> {
    let mut names: Vec<String> = ALIASES.iter().map(|a| a.name.to_string()).collect();
    for n in nodes() {
        if n.ty.is_some() {
            names.push(n.path.join("."));
        }
        if n.array && !nested_in_array(&n.path) {
            names.push(format!("{}.count", n.path.join(".")));
        }
    }
    names
}

/// The closest known name, when one is close enough to be a typo.
fn suggest(name: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for cand in all_names() {
        let d = strsim::levenshtein(name, &cand);
        if best.as_ref().map_or(true, |(bd, _)| d < *bd) {
            best = Some((d, cand));
        }
    }
    best.filter(|(d, _)| *d <= 2.max(name.len() / 4))
        .map(|(_, n)| n)
}

/// The `--fields` listing: aliases first, then every snapshot path and count, one per line.
pub fn listing() -> String {
    let mut out = String::from("Short names:\n");
    for a in ALIASES {
        // Every alias resolves (a unit test checks it).
        let ty = resolve(a.name).map_or_else(
            |_| "?".into(),
            |f| format!("{}{}", f.ty.short(), if f.many { "[]" } else { "" }),
        );
        let target = a
            .target
            .strip_prefix('=')
            .map_or_else(|| format!("= {}", a.target), |_| "derived".into());
        out.push_str(&format!(
            "  {:<12} {:<8} {:<34} {}\n",
            a.name, ty, target, a.help
        ));
    }
    out.push_str("\nEvery snapshot value by dotted path (* = any name: section, service, unit; [] = one value per list item):\n");
    for n in nodes() {
        if let Some(ty) = n.ty {
            let many = if n.many { "[]" } else { "" };
            out.push_str(&format!(
                "  {:<44} {}{}\n",
                n.path.join("."),
                ty.short(),
                many
            ));
        }
        if n.array && !nested_in_array(&n.path) {
            out.push_str(&format!(
                "  {:<44} number\n",
                format!("{}.count", n.path.join("."))
            ));
        }
    }
    out.push_str(
        "\nPrefixes gpu., disk. and nic. stand for gpus., disks. and network_interfaces.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exemplar with every `*` key renamed `uname`, i.e. a real snapshot.
    fn concrete() -> Value {
        fn rename(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    if let Some(x) = m.remove("*") {
                        m.insert("uname".into(), x);
                    }
                    m.values_mut().for_each(rename);
                }
                Value::Array(a) => a.iter_mut().for_each(rename),
                _ => {}
            }
        }
        let mut v: Value = serde_json::from_str(EXEMPLAR).unwrap();
        rename(&mut v);
        v
    }

    #[test]
    fn exemplar_matches_the_model_exactly() {
        let v: Value = serde_json::from_str(EXEMPLAR).unwrap();
        let v2 = concrete();
        let snap: Snapshot =
            serde_json::from_value(v2.clone()).expect("exemplar is a valid snapshot");
        assert_eq!(
            serde_json::to_value(&snap).unwrap(),
            v2,
            "model.rs changed: update EXEMPLAR"
        );
        fn no_nulls(v: &Value, path: &str) {
            match v {
                Value::Null => {
                    panic!("EXEMPLAR has null at {path}: give it a value so its type is known")
                }
                Value::Object(m) => m
                    .iter()
                    .for_each(|(k, c)| no_nulls(c, &format!("{path}.{k}"))),
                Value::Array(a) => a.iter().for_each(|c| no_nulls(c, path)),
                _ => {}
            }
        }
        no_nulls(&v, "");
    }

    #[test]
    fn names_resolve_with_types() {
        let f = resolve("memory_gb").unwrap();
        assert_eq!(
            (f.name.as_str(), f.ty, f.many),
            ("hardware.memory_gb", Ty::Num, false)
        );
        assert_eq!(
            resolve("hardware.cpu_cores").unwrap(),
            resolve("cores").unwrap()
        );
        let f = resolve("gpu.vram_gb").unwrap();
        assert_eq!((f.name.as_str(), f.many), ("gpus.vram_gb", true));
        assert_eq!(resolve("gpus.count").unwrap().ty, Ty::Num);
        assert_eq!(resolve("os").unwrap().ty, Ty::Str);
        assert_eq!(
            resolve("translated").unwrap().name,
            "hardware.cpu.translated"
        );
        assert_eq!(
            resolve("total_bytes").unwrap().name,
            "hardware.memory.total_bytes"
        );
        assert_eq!(
            resolve("sections.lsblk.status").unwrap().name,
            "sections.lsblk.status"
        );
        for a in ALIASES {
            resolve(a.name).unwrap();
        }
    }

    #[test]
    fn bad_names_say_what_is_wrong() {
        let e = resolve("memroy_gb").unwrap_err().0;
        assert!(
            e.contains("unknown field 'memroy_gb'") && e.contains("did you mean 'memory_gb'"),
            "{e}"
        );
        let e = resolve("hardware").unwrap_err().0;
        assert!(
            e.contains("is a group") && e.contains("hardware.cpu_type"),
            "{e}"
        );
        let e = resolve("physical_cores").unwrap_err().0;
        assert!(
            e.contains("ambiguous") && e.contains("hardware.cpu.physical_cores"),
            "{e}"
        );
        assert!(resolve("a..b")
            .unwrap_err()
            .0
            .contains("invalid field name"));
        assert!(resolve("network_interfaces.addresses.count").is_err());
    }

    #[test]
    fn values_cross_arrays() {
        let v2 = concrete();
        let snap: Snapshot = serde_json::from_value(v2.clone()).unwrap();
        let meta = Meta {
            snapshot: "inventory/h/x.json",
        };
        assert_eq!(
            resolve("gpu.name").unwrap().get(&v2, &snap, meta),
            serde_json::json!(["n"])
        );
        assert_eq!(
            resolve("gpus.count").unwrap().get(&v2, &snap, meta),
            serde_json::json!(1)
        );
        assert_eq!(
            resolve("vram_gb").unwrap().get(&v2, &snap, meta),
            serde_json::json!(1)
        );
        assert_eq!(
            resolve("sections.uname.status")
                .unwrap()
                .get(&v2, &snap, meta),
            serde_json::json!("ok")
        );
        assert_eq!(
            resolve("sections.gpu.status")
                .unwrap()
                .get(&v2, &snap, meta),
            Value::Null
        );
        assert_eq!(
            resolve("snapshot").unwrap().get(&v2, &snap, meta),
            serde_json::json!("inventory/h/x.json")
        );
        assert_eq!(
            resolve("services.http.uname.up")
                .unwrap()
                .get(&v2, &snap, meta),
            serde_json::json!(true)
        );
        let f = resolve("services.llm.uname.loaded.count").unwrap();
        assert_eq!(f.get(&v2, &snap, meta), serde_json::json!(1));
    }
}
