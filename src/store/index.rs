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
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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

/// An indexed value, compact in memory (24 bytes against `serde_json::Value`'s 72: 10,000 hosts times
/// dozens of fields add up). Stored in the index file as plain JSON.
#[derive(Debug, Clone, Default, PartialEq)]
enum Cell {
    #[default]
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(Box<str>),
    List(Box<[Cell]>),
}

impl From<Value> for Cell {
    fn from(v: Value) -> Cell {
        match v {
            Value::Null | Value::Object(_) => Cell::Null,
            Value::Bool(b) => Cell::Bool(b),
            Value::Number(n) => Cell::Num(n),
            Value::String(s) => Cell::Str(s.into_boxed_str()),
            Value::Array(a) => Cell::List(a.into_iter().map(Cell::from).collect()),
        }
    }
}

impl From<Cell> for Value {
    fn from(c: Cell) -> Value {
        match c {
            Cell::Null => Value::Null,
            Cell::Bool(b) => Value::Bool(b),
            Cell::Num(n) => Value::Number(n),
            Cell::Str(s) => Value::String(s.into_string()),
            Cell::List(l) => Value::Array(l.into_vec().into_iter().map(Value::from).collect()),
        }
    }
}

impl Serialize for Cell {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Cell::Null => s.serialize_unit(),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Num(n) => n.serialize(s),
            Cell::Str(t) => s.serialize_str(t),
            Cell::List(l) => s.collect_seq(l.iter()),
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Cell, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON scalar or list")
            }
            fn visit_unit<E>(self) -> std::result::Result<Cell, E> {
                Ok(Cell::Null)
            }
            fn visit_bool<E>(self, b: bool) -> std::result::Result<Cell, E> {
                Ok(Cell::Bool(b))
            }
            fn visit_u64<E>(self, n: u64) -> std::result::Result<Cell, E> {
                Ok(Cell::Num(n.into()))
            }
            fn visit_i64<E>(self, n: i64) -> std::result::Result<Cell, E> {
                Ok(Cell::Num(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> std::result::Result<Cell, E> {
                Ok(serde_json::Number::from_f64(n).map_or(Cell::Null, Cell::Num))
            }
            fn visit_str<E>(self, t: &str) -> std::result::Result<Cell, E> {
                Ok(Cell::Str(t.into()))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Cell, A::Error> {
                let mut v = Vec::new();
                while let Some(c) = seq.next_element::<Cell>()? {
                    v.push(c);
                }
                Ok(Cell::List(v.into_boxed_slice()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The index as stored: one column per [`INDEXED`] field, rows in `hosts` order (sorted by name).
/// Columns let a query load only the fields it needs.
#[derive(Debug, Default, Serialize)]
struct Index {
    format: u32,
    generator: String,
    fields: Vec<String>,
    hosts: Vec<String>,
    /// `dev:ino:size:mtime_s.mtime_ns` of each host's snapshot file.
    keys: Vec<String>,
    /// `None` for a column that was not loaded.
    columns: Vec<Option<Vec<Cell>>>,
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

fn key_of(dev: u64, ino: u64, size: u64, mtime: i64, nsec: i64) -> String {
    format!("{dev}:{ino}:{size}:{mtime}.{nsec}")
}

/// Up to this many changed hosts are read beside a current-enough index instead of rewriting it (a
/// rewrite loads every column, so it waits until it pays off; `extract --fleet` rewrites at its end).
fn overlay_limit(hosts: usize) -> usize {
    64.max(hosts / 50)
}

/// The values of `need` for every host with a `latest.json`.
pub(crate) fn facts(store: &Store, need: &FieldSet) -> Result<Facts> {
    facts_with(store, need, false)
}

/// Bring the index up to date after extraction (best effort; queries would do it anyway).
pub(crate) fn refresh(store: &Store) {
    let mut need = FieldSet::default();
    if let Ok(f) = fields::resolve("host") {
        need.add(f);
    }
    let _ = facts_with(store, &need, true);
}

fn facts_with(store: &Store, need: &FieldSet, rewrite: bool) -> Result<Facts> {
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
    let path = index_path(store);

    if let (Some(pos), false) = (&positions, rewrite) {
        // The usual case: load only the needed columns, and read the few hosts that changed since.
        let mut want = vec![false; idx_names.len()];
        pos.iter().for_each(|&i| want[i] = true);
        if let Some(mut idx) = load_index(&path, &idx_names, &want) {
            let rows = match_rows(&idx, &listed.hosts);
            let misses = unmatched(&listed.hosts, &rows);
            if misses.len() <= overlay_limit(listed.hosts.len()) {
                let mut parsed = read_many(&inv, &misses, &[], need.fields()).into_iter();
                let mut hosts = Vec::with_capacity(rows.len());
                for row in rows {
                    let values = match row {
                        Some(r) => pos
                            .iter()
                            .map(|&c| {
                                idx.columns[c]
                                    .as_mut()
                                    .map_or(Value::Null, |col| std::mem::take(&mut col[r]).into())
                            })
                            .collect(),
                        None => match parsed.next() {
                            Some((_, Ok((_, _, v)))) => v,
                            Some((host, Err(e))) => {
                                warnings.push(format!("skipping host '{host}': {e:#}"));
                                continue;
                            }
                            None => continue,
                        },
                    };
                    hosts.push(HostFacts { values });
                }
                return Ok(Facts { hosts, warnings });
            }
        }
    }

    if positions.is_none() {
        // A field outside the index: read every snapshot for just the needed fields; leave the index be.
        let mut hosts = Vec::with_capacity(listed.hosts.len());
        for (host, res) in read_many(&inv, &listed.hosts, &[], need.fields()) {
            match res {
                Ok((_, _, values)) => hosts.push(HostFacts { values }),
                Err(e) => warnings.push(format!("skipping host '{host}': {e:#}")),
            }
        }
        return Ok(Facts { hosts, warnings });
    }

    // Many changes, or no usable index: read what changed and rewrite it,
    // one column at a time so old and new never both sit in memory whole.
    let all = vec![true; idx_names.len()];
    let mut old = load_index(&path, &idx_names, &all).unwrap_or_default();
    let rows = if positions.is_some() {
        match_rows(&old, &listed.hosts)
    } else {
        vec![None; listed.hosts.len()]
    };
    let misses = unmatched(&listed.hosts, &rows);
    let mut parsed: BTreeMap<String, Parsed> = read_many(&inv, &misses, &idx_fields, need.fields())
        .into_iter()
        .collect();
    // Each new row comes from the old index or was just read; unreadable hosts drop out with a warning.
    enum Src {
        Old(usize),
        Fresh(usize),
    }
    let mut new = Index {
        format: FORMAT,
        generator: generator(),
        fields: idx_names.clone(),
        ..Index::default()
    };
    let mut fresh: Vec<(Vec<Cell>, Vec<Value>)> = Vec::new();
    let mut srcs = Vec::with_capacity(rows.len());
    for ((host, key), row) in listed.hosts.iter().zip(&rows) {
        let src = match row {
            Some(r) => {
                new.keys.push(key.clone());
                Src::Old(*r)
            }
            None => match parsed.remove(host) {
                Some(Ok((k, idx_values, need_values))) => {
                    new.keys.push(k);
                    fresh.push((idx_values, need_values));
                    Src::Fresh(fresh.len() - 1)
                }
                Some(Err(e)) => {
                    warnings.push(format!("skipping host '{host}': {e:#}"));
                    continue;
                }
                None => continue,
            },
        };
        new.hosts.push(host.clone());
        srcs.push(src);
    }
    for c in 0..idx_names.len() {
        let mut old_col = old
            .columns
            .get_mut(c)
            .and_then(Option::take)
            .unwrap_or_default();
        let take = |v: Option<&mut Cell>| v.map(std::mem::take).unwrap_or_default();
        let col = srcs
            .iter()
            .map(|s| match s {
                Src::Old(r) => take(old_col.get_mut(*r)),
                Src::Fresh(f) => take(fresh[*f].0.get_mut(c)),
            })
            .collect();
        new.columns.push(Some(col));
    }
    let hosts = srcs
        .iter()
        .enumerate()
        .map(|(row, s)| HostFacts {
            values: match (s, &positions) {
                (Src::Old(_), Some(pos)) => pos
                    .iter()
                    .map(|&c| {
                        new.columns[c]
                            .as_ref()
                            .map_or(Value::Null, |col| col[row].clone().into())
                    })
                    .collect(),
                (Src::Fresh(f), _) => std::mem::take(&mut fresh[*f].1),
                // Without positions every row was read just now.
                (Src::Old(_), None) => Vec::new(),
            },
        })
        .collect();
    if new.hosts != old.hosts || new.keys != old.keys {
        save_index(store, &new);
    }
    Ok(Facts { hosts, warnings })
}

/// For each listed host, its row in the index when the index has it with the same key.
/// The listed hosts that have no usable row in the index (they must be read from their snapshots).
fn unmatched(listed: &[(String, String)], rows: &[Option<usize>]) -> Vec<(String, String)> {
    listed
        .iter()
        .zip(rows)
        .filter(|(_, r)| r.is_none())
        .map(|(h, _)| h.clone())
        .collect()
}

fn match_rows(idx: &Index, listed: &[(String, String)]) -> Vec<Option<usize>> {
    let by_host: BTreeMap<&str, usize> = idx
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    listed
        .iter()
        .map(|(h, k)| {
            by_host
                .get(h.as_str())
                .copied()
                .filter(|&r| idx.keys[r] == *k)
        })
        .collect()
}

struct Listed {
    /// (host, key of the file latest.json points at), sorted by host.
    hosts: Vec<(String, String)>,
    warnings: Vec<String>,
}

/// `stat` relative to an open directory: shorter path walks than from the root, for 10,000 hosts.
fn stat_at(dir: &fs::File, rel: &str) -> std::io::Result<String> {
    let (dev, ino, size, mtime, nsec) = crate::sys::fs::stat_at(dir, rel)?;
    Ok(key_of(dev, ino, size, mtime, nsec))
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
    let dir = fs::File::open(inv)
        .map_err(|e| anyhow::anyhow!("unable to read '{}': {e}", inv.display()))?;
    let mut hosts = Vec::new();
    let mut warnings = Vec::new();
    for e in entries.flatten() {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        if crate::model::hostname::validate(&name).is_err() {
            continue;
        }
        let latest = inv.join(&name).join("latest.json");
        match stat_at(&dir, &format!("{name}/latest.json")) {
            Ok(key) => hosts.push((name, key)),
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

/// Load the index, with only the `want`ed columns; `None` when it is missing, from another build, or
/// inconsistent.
fn load_index(path: &Path, names: &[String], want: &[bool]) -> Option<Index> {
    let bytes = fs::read(path).ok()?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let idx = IndexSeed { names, want }.deserialize(&mut de).ok()?;
    let n = idx.hosts.len();
    let ok = idx.format == FORMAT
        && idx.generator == generator()
        && idx.keys.len() == n
        && idx.columns.len() == names.len()
        && idx.columns.iter().flatten().all(|c| c.len() == n)
        && idx.hosts.windows(2).all(|w| w[0] < w[1]);
    ok.then_some(idx)
}

/// Deserializes an [`Index`], skipping (not allocating) the columns not wanted.
struct IndexSeed<'a> {
    names: &'a [String],
    want: &'a [bool],
}

impl<'de> DeserializeSeed<'de> for IndexSeed<'_> {
    type Value = Index;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Index, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for IndexSeed<'_> {
    type Value = Index;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a hosts index")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Index, A::Error> {
        let mut idx = Index::default();
        let mut fields_ok = false;
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "format" => idx.format = map.next_value()?,
                "generator" => idx.generator = map.next_value()?,
                "fields" => {
                    idx.fields = map.next_value()?;
                    fields_ok = idx.fields == self.names;
                }
                "hosts" => idx.hosts = map.next_value()?,
                "keys" => idx.keys = map.next_value()?,
                // Columns are only meaningful after a matching field list (written first).
                "columns" if fields_ok => {
                    idx.columns = map.next_value_seed(ColumnsSeed(self.want))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !fields_ok {
            return Err(serde::de::Error::custom("index fields differ"));
        }
        Ok(idx)
    }
}

struct ColumnsSeed<'a>(&'a [bool]);

impl<'de> DeserializeSeed<'de> for ColumnsSeed<'_> {
    type Value = Vec<Option<Vec<Cell>>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ColumnsSeed<'_> {
    type Value = Vec<Option<Vec<Cell>>>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("index columns")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(self.0.len());
        loop {
            let wanted = self.0.get(out.len()).copied().unwrap_or(false);
            if wanted {
                match seq.next_element::<Vec<Cell>>()? {
                    Some(c) => out.push(Some(c)),
                    None => break,
                }
            } else {
                match seq.next_element::<IgnoredAny>()? {
                    Some(_) => out.push(None),
                    None => break,
                }
            }
        }
        Ok(out)
    }
}

fn generator() -> String {
    crate::model::GENERATOR.to_string()
}

fn save_index(store: &Store, idx: &Index) {
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
    if let Ok(bytes) = serde_json::to_vec(idx) {
        // A read-only inventory still answers queries; it just stays slow.
        let _ = store::write_atomic(&path, &bytes);
    }
}

type Parsed = Result<(String, Vec<Cell>, Vec<Value>)>;

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
    let idx_values = idx
        .iter()
        .map(|f| Cell::from(f.get(&json, &typed, meta)))
        .collect();
    let need_values = need.iter().map(|f| f.get(&json, &typed, meta)).collect();
    Ok((
        key_of(md.dev(), md.ino(), md.size(), md.mtime(), md.mtime_nsec()),
        idx_values,
        need_values,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, host: &str, memory_gb: u64, stamp: &str) {
        let mut v: Value = serde_json::from_str(crate::query::fields::EXEMPLAR).unwrap();
        v["system_info"]["hostname"] = Value::from(host);
        v["hardware"]["memory_gb"] = Value::from(memory_gb);
        let dir = root.join("inventory").join(host);
        fs::create_dir_all(&dir).unwrap();
        let name = format!("hardware_{stamp}.json");
        fs::write(dir.join(&name), serde_json::to_vec(&v).unwrap()).unwrap();
        let _ = fs::remove_file(dir.join("latest.json"));
        std::os::unix::fs::symlink(&name, dir.join("latest.json")).unwrap();
    }

    fn rows(store: &Store, rewrite: bool) -> Vec<Vec<Value>> {
        let mut need = FieldSet::default();
        need.add(fields::resolve("host").unwrap());
        need.add(fields::resolve("memory_gb").unwrap());
        let f = facts_with(store, &need, rewrite).unwrap();
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
        f.hosts.into_iter().map(|h| h.values).collect()
    }

    #[test]
    fn rewrites_keep_unchanged_rows_and_read_changed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        for h in ["a", "b", "c"] {
            write(dir.path(), h, 8, "20260101T000000Z");
        }
        let v = |h: &str, m: u64| vec![Value::from(h), Value::from(m)];
        assert_eq!(rows(&store, true), [v("a", 8), v("b", 8), v("c", 8)]);
        write(dir.path(), "b", 64, "20260102T000000Z");
        fs::remove_dir_all(dir.path().join("inventory/c")).unwrap();
        write(dir.path(), "d", 16, "20260102T000000Z");
        // Read beside the index (few changes), then with a rewrite, then from the rewritten index alone.
        let want = [v("a", 8), v("b", 64), v("d", 16)];
        assert_eq!(rows(&store, false), want);
        assert_eq!(rows(&store, true), want);
        let idx = load_index(
            &index_path(&store),
            &index_fields()
                .iter()
                .map(|f| f.name.clone())
                .collect::<Vec<_>>(),
            &[true; INDEXED.len()],
        )
        .unwrap();
        assert_eq!(idx.hosts, ["a", "b", "d"]);
        assert_eq!(rows(&store, false), want);
    }

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
