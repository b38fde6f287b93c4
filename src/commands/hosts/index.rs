//! The facts of every host's latest snapshot, fast: a cache of the commonly queried fields in
//! `inventory/.cache/hosts-index.json`, checked against each `latest.json` on every use.
//!
//! The snapshot files stay the source of truth. An entry is used only while the file `latest.json` points
//! at has the same device, inode, size and modification time as when the entry was made (snapshots are
//! never rewritten, so a new snapshot always has a new inode); anything else is read again. The index is
//! rewritten atomically (temp file + rename) and only when something changed; a missing, stale, corrupt or
//! unwritable index costs speed, never correctness. `.cache/` carries a `.gitignore`, so it never reaches git.

use crate::model::Snapshot;
use crate::query::{fields, Field, FieldSet, Meta};
use crate::store::{self, Store};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bumped when the index layout or the meaning of a cached value changes.
const FORMAT: u32 = 1;

/// Fields kept in the index: the default columns, the Ansible host variables, and common filters.
/// A query naming anything else reads the snapshots themselves.
pub(crate) const INDEXED: &[&str] = &[
    "host",
    "os",
    "os_id",
    "os_name",
    "os_version",
    "kernel",
    "arch",
    "system",
    "model",
    "system_info.model_name",
    "vendor",
    "cpu",
    "cores",
    "threads",
    "p_cores",
    "e_cores",
    "hardware.cpu.sockets",
    "hardware.cpu.vendor",
    "hardware.cpu.translated",
    "memory_gb",
    "hardware.memory.total_bytes",
    "disk_gb",
    "disks.count",
    "disks.kind",
    "gpu_count",
    "gpu_names",
    "gpus.vendor",
    "gpus.vram_gb",
    "gpus.driver_version",
    "gpus.cuda_version",
    "vram_gb",
    "network_interfaces.count",
    "warnings.count",
    "last_seen",
    "source.transport",
    "source.target",
    "schema_version",
    "snapshot",
];

#[derive(Debug, Serialize, Deserialize)]
struct IndexFile {
    format: u32,
    generator: String,
    fields: Vec<String>,
    hosts: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// `dev:ino:size:mtime_s.mtime_ns` of the snapshot file.
    key: String,
    values: Vec<Value>,
}

/// One host's values of the requested fields.
#[derive(Debug, Clone)]
pub(crate) struct HostFacts {
    /// Values aligned with the requested [`FieldSet`].
    pub(crate) values: Vec<Value>,
}

/// What [`facts`] found.
#[derive(Debug, Default)]
pub(crate) struct Facts {
    /// Hosts sorted by name.
    pub(crate) hosts: Vec<HostFacts>,
    /// One line per host that could not be read (the host is left out).
    pub(crate) warnings: Vec<String>,
}

fn index_fields() -> Vec<Field> {
    // INDEXED names are checked by a unit test, so every one resolves.
    INDEXED
        .iter()
        .filter_map(|n| fields::resolve(n).ok())
        .collect()
}

fn index_path(store: &Store) -> PathBuf {
    store
        .inventory_dir()
        .join(".cache")
        .join("hosts-index.json")
}

fn key_of(md: &fs::Metadata) -> String {
    format!(
        "{}:{}:{}:{}.{}",
        md.dev(),
        md.ino(),
        md.size(),
        md.mtime(),
        md.mtime_nsec()
    )
}

/// The values of `need` for every host with a `latest.json`.
pub(crate) fn facts(store: &Store, need: &FieldSet) -> Result<Facts> {
    let inv = store.inventory_dir();
    let idx_fields = index_fields();
    let idx_names: Vec<String> = idx_fields.iter().map(|f| f.name.clone()).collect();
    // Where each needed field sits in the index, when all of them do.
    let positions: Option<Vec<usize>> = need
        .fields()
        .iter()
        .map(|f| idx_names.iter().position(|n| *n == f.name))
        .collect();

    let listed = list_hosts(&inv)?;
    let mut warnings = listed.warnings;
    let old = load_index(&index_path(store), &idx_names);
    let mut new_hosts: BTreeMap<String, Entry> = BTreeMap::new();
    let mut misses: Vec<(String, String)> = Vec::new();
    for (host, key) in &listed.hosts {
        match old.get(host) {
            Some(e) if positions.is_some() && e.key == *key => {
                new_hosts.insert(host.clone(), e.clone());
            }
            _ => misses.push((host.clone(), key.clone())),
        }
    }
    let parsed = read_many(&inv, &misses, &idx_fields, need.fields());
    let mut direct: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (host, res) in parsed {
        match res {
            Ok((key, idx_values, need_values)) => {
                new_hosts.insert(
                    host.clone(),
                    Entry {
                        key,
                        values: idx_values,
                    },
                );
                direct.insert(host, need_values);
            }
            Err(e) => warnings.push(format!("skipping host '{host}': {e:#}")),
        }
    }
    let changed = old.len() != new_hosts.len()
        || new_hosts
            .iter()
            .any(|(h, e)| old.get(h).map_or(true, |o| o.key != e.key));
    if changed {
        save_index(store, &idx_names, &new_hosts);
    }
    let mut hosts = Vec::with_capacity(new_hosts.len());
    for (host, entry) in new_hosts {
        // Hosts come out sorted by name (a BTreeMap).
        let values = match (direct.remove(&host), &positions) {
            (Some(v), _) => v,
            (None, Some(pos)) => pos
                .iter()
                .map(|&i| entry.values.get(i).cloned().unwrap_or(Value::Null))
                .collect(),
            // Unreachable: without positions every host is read directly.
            (None, None) => continue,
        };
        hosts.push(HostFacts { values });
    }
    Ok(Facts { hosts, warnings })
}

/// Refresh the index after extraction (best effort; queries refresh it anyway).
pub(crate) fn refresh(store: &Store) {
    let mut need = FieldSet::default();
    if let Ok(f) = fields::resolve("host") {
        need.add(f);
    }
    let _ = facts(store, &need);
}

struct Listed {
    /// (host, key of the file latest.json points at), sorted by host.
    hosts: Vec<(String, String)>,
    warnings: Vec<String>,
}

fn list_hosts(inv: &Path) -> Result<Listed> {
    let entries = match fs::read_dir(inv) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Ok(Listed {
                hosts: Vec::new(),
                warnings: Vec::new(),
            })
        }
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("unable to read '{}'", inv.display())))
        }
    };
    let mut hosts = Vec::new();
    let mut warnings = Vec::new();
    for e in entries.flatten() {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        if crate::hostname::validate(&name).is_err() {
            continue;
        }
        let latest = inv.join(&name).join("latest.json");
        match fs::metadata(&latest) {
            Ok(md) => hosts.push((name, key_of(&md))),
            // No latest.json at all: not a host directory. One that exists but cannot be read (or points
            // at nothing) is a broken host, not "no host".
            Err(err) => match fs::symlink_metadata(&latest) {
                Err(_) => {}
                Ok(_) if err.kind() == ErrorKind::NotFound => {
                    warnings.push(format!(
                        "skipping host '{name}': '{}' points nowhere",
                        latest.display()
                    ));
                }
                Ok(_) => warnings.push(format!(
                    "skipping host '{name}': unable to read '{}': {err}",
                    latest.display()
                )),
            },
        }
    }
    hosts.sort();
    Ok(Listed { hosts, warnings })
}

fn load_index(path: &Path, names: &[String]) -> BTreeMap<String, Entry> {
    let Ok(bytes) = fs::read(path) else {
        return BTreeMap::new();
    };
    match serde_json::from_slice::<IndexFile>(&bytes) {
        Ok(f) if f.format == FORMAT && f.fields == names && f.generator == generator() => f.hosts,
        _ => BTreeMap::new(),
    }
}

fn generator() -> String {
    format!("hwinv {}", env!("CARGO_PKG_VERSION"))
}

fn save_index(store: &Store, names: &[String], hosts: &BTreeMap<String, Entry>) {
    let path = index_path(store);
    let Some(dir) = path.parent() else { return };
    if fs::create_dir_all(dir).is_err() {
        return;
    }
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = store::write_atomic(
            &ignore,
            b"# hwinv's query cache: rebuilt from the snapshots on demand\n*\n",
        );
    }
    #[derive(Serialize)]
    struct Out<'a> {
        format: u32,
        generator: String,
        fields: &'a [String],
        hosts: &'a BTreeMap<String, Entry>,
    }
    let out = Out {
        format: FORMAT,
        generator: generator(),
        fields: names,
        hosts,
    };
    if let Ok(bytes) = serde_json::to_vec(&out) {
        // A read-only inventory still answers queries; it just stays slow.
        let _ = store::write_atomic(&path, &bytes);
    }
}

type Parsed = Result<(String, Vec<Value>, Vec<Value>)>;

/// Read the listed hosts' snapshots on a few threads.
fn read_many(
    inv: &Path,
    hosts: &[(String, String)],
    idx: &[Field],
    need: &[Field],
) -> Vec<(String, Parsed)> {
    if hosts.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8)
        .min(hosts.len().div_ceil(32));
    if threads <= 1 {
        return hosts
            .iter()
            .map(|(h, _)| (h.clone(), read_one(inv, h, idx, need)))
            .collect();
    }
    let mut out: Vec<(String, Parsed)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    hosts
                        .iter()
                        .skip(t)
                        .step_by(threads)
                        .map(|(h, _)| (h.clone(), read_one(inv, h, idx, need)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn read_one(inv: &Path, host: &str, idx: &[Field], need: &[Field]) -> Parsed {
    let dir = inv.join(host);
    let latest = dir.join("latest.json");
    // Key and content come from one open file, so a concurrent extraction cannot pair them wrongly.
    let mut file = fs::File::open(&latest)
        .map_err(|e| anyhow::anyhow!("unable to read '{}': {e}", latest.display()))?;
    let md = file.metadata()?;
    let mut bytes = Vec::with_capacity(usize::try_from(md.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("unable to read '{}': {e}", latest.display()))?;
    let target = fs::read_link(&latest)
        .ok()
        .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
    let rel = format!(
        "inventory/{host}/{}",
        target.as_deref().unwrap_or("latest.json")
    );
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("'{rel}' is not valid JSON: {e}"))?;
    let typed = Snapshot::deserialize(&json)
        .map_err(|e| anyhow::anyhow!("'{rel}' is not a valid snapshot: {e}"))?;
    let meta = Meta { snapshot: &rel };
    let idx_values = idx.iter().map(|f| f.get(&json, &typed, meta)).collect();
    let need_values = need.iter().map(|f| f.get(&json, &typed, meta)).collect();
    Ok((key_of(&md), idx_values, need_values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexed_fields_resolve_once_each() {
        let f = index_fields();
        assert_eq!(f.len(), INDEXED.len(), "every INDEXED name resolves");
        let mut names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            INDEXED.len(),
            "no two INDEXED names mean the same field"
        );
    }
}
