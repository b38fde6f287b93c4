//! Files under `inventory/` and `hosts/`: snapshot naming, the `latest.json` symlink, per-host locking,
//! listing and history; the event log, capture directories, staged batches and the query index.
//!
//! Nothing here parses probe output. Every write goes through `sys::fs` (temp file beside the target,
//! then rename), so a crash or a full disk never leaves a half-written file behind.

pub mod batch;
pub mod capture;
pub mod events;
pub mod git;
pub mod index;

pub use crate::sys::fs::{write_atomic, FileLock};

use crate::model::hostname;
use crate::model::time::{parse_stamp, stamp_display, stamp_of};
use crate::model::Snapshot;
use crate::sys::fs as sysfs;
use anyhow::{anyhow, bail, Context, Result};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

/// The inventory root and the paths under it.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// Paths written by [`Store::save_snapshot`].
#[derive(Debug, Clone)]
pub struct Saved {
    /// The new `hardware_<stamp>.json`.
    pub snapshot: PathBuf,
    /// The `latest.json` symlink.
    pub latest: PathBuf,
}

impl Store {
    /// A store rooted at `root` (the directory holding `inventory/` and `hosts/`).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The inventory root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `inventory/`.
    pub fn inventory_dir(&self) -> PathBuf {
        self.root.join("inventory")
    }

    /// `inventory/<host>/`, after validating the name.
    pub fn host_dir(&self, host: &str) -> Result<PathBuf> {
        Ok(self.inventory_dir().join(hostname::validate(host)?))
    }

    /// `hosts/<host>/`, after validating the name.
    pub fn generated_dir(&self, host: &str) -> Result<PathBuf> {
        Ok(self.root.join("hosts").join(hostname::validate(host)?))
    }

    /// `inventory/events.jsonl`.
    pub fn events_path(&self) -> PathBuf {
        self.inventory_dir().join("events.jsonl")
    }

    /// Take the per-host lock (`inventory/<host>/.lock`) until the guard is dropped, so two extractions
    /// of one host cannot interleave their writes.
    pub fn lock_host(&self, host: &str) -> Result<FileLock> {
        let dir = self.host_dir(host)?;
        refuse_dir_symlink(&dir)?;
        fs::create_dir_all(&dir)
            .with_context(|| format!("unable to create '{}'", dir.display()))?;
        lock(&dir.join(".lock"))
    }

    /// Store a new snapshot: never overwrites an older one; swaps `latest.json` atomically.
    /// The caller holds the host lock.
    pub fn save_snapshot(&self, snap: &Snapshot, json: &[u8]) -> Result<Saved> {
        let host = &snap.system_info.hostname;
        let dir = self.host_dir(host)?;
        fs::create_dir_all(&dir)
            .with_context(|| format!("unable to create '{}'", dir.display()))?;
        let stamp = stamp_of(&snap.collected_at);
        // Never replaces a file: an older snapshot with the same stamp gets a `_N` sibling instead.
        let snapshot = sysfs::write_new(&dir, json, |seq| {
            if seq == 1 {
                format!("hardware_{stamp}.json")
            } else {
                format!("hardware_{stamp}_{seq}.json")
            }
        })
        .with_context(|| format!("unable to write a snapshot into '{}'", dir.display()))?;
        let latest = dir.join("latest.json");
        let file_name = snapshot
            .file_name()
            .context("snapshot path has no file name")?
            .to_owned();
        sysfs::replace_symlink(Path::new(&file_name), &latest)
            .with_context(|| format!("unable to update '{}'", latest.display()))?;
        Ok(Saved { snapshot, latest })
    }

    /// Store everything one extraction produces: the new snapshot (never replacing an older one), the
    /// `latest.json` symlink, and `hardware.nix` in `inventory/<host>/` and `hosts/<host>/`. All of it is
    /// staged first (temp files beside each target, flushed); only when every file is staged are they
    /// renamed into place, `latest.json` last. If anything fails, nothing is changed: a rename that fails
    /// midway is undone. Returns the paths written (snapshot, latest, the two `hardware.nix`).
    /// The caller holds the host lock.
    pub fn save_extraction(
        &self,
        snap: &Snapshot,
        json: &[u8],
        nix: &[u8],
    ) -> Result<Vec<PathBuf>> {
        let host = &snap.system_info.hostname;
        let dir = self.host_dir(host)?;
        let gen = self.generated_dir(host)?;
        let latest = dir.join("latest.json");
        let nix_targets = [dir.join("hardware.nix"), gen.join("hardware.nix")];
        // A directory where a file goes cannot be replaced by a rename: refuse before writing anything.
        for p in std::iter::once(&latest).chain(&nix_targets) {
            if fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) {
                bail!(
                    "'{}' is a directory, not a file hwinv writes; move it away",
                    p.display()
                );
            }
        }
        for d in [&dir, &gen] {
            refuse_dir_symlink(d)?;
            fs::create_dir_all(d).with_context(|| format!("unable to create '{}'", d.display()))?;
            // Leftovers of a killed run. Old ones only: `generate` writes here too, without the host lock.
            sysfs::remove_stale_temps(d, STALE_TEMP_AGE);
        }

        // Stage.
        let stamp = stamp_of(&snap.collected_at);
        let name = |seq: u32| {
            if seq == 1 {
                format!("hardware_{stamp}.json")
            } else {
                format!("hardware_{stamp}_{seq}.json")
            }
        };
        // The host lock keeps other extractions out, so the first free name stays free until committed;
        // the no-clobber rename below still refuses to replace one.
        let snap_name = (1..=10_000)
            .map(name)
            .find(|n| fs::symlink_metadata(dir.join(n)).is_err())
            .ok_or_else(|| anyhow!("every snapshot name in '{}' is taken", dir.display()))?;
        let snap_path = dir.join(&snap_name);
        let snap_tmp = sysfs::temp_with(&dir, &snap_name, json)
            .with_context(|| format!("unable to write a snapshot into '{}'", dir.display()))?;
        let mut nix_staged = Vec::new();
        for target in &nix_targets {
            let prev = Previous::of(target)
                .with_context(|| format!("unable to read '{}'", target.display()))?;
            if matches!(&prev, Previous::File(old) if old == nix) {
                continue;
            }
            let tmp = sysfs::temp_with(&sysfs::parent_dir(target), "hardware.nix", nix)
                .with_context(|| format!("unable to write '{}'", target.display()))?;
            nix_staged.push((tmp, target.clone(), prev));
        }
        let link_tmp = sysfs::temp_symlink(&dir, "latest.json", Path::new(&snap_name))
            .with_context(|| format!("unable to update '{}'", latest.display()))?;

        // Commit: snapshot, hardware.nix copies, then latest.json; undo on the first failure.
        snap_tmp
            .persist_noclobber(&snap_path)
            .map_err(|e| e.error)
            .with_context(|| format!("unable to write '{}'", snap_path.display()))?;
        let mut done: Vec<(PathBuf, Previous)> = Vec::new();
        let mut result = Ok(());
        for (tmp, target, prev) in nix_staged {
            if let Err(e) = tmp.persist(&target) {
                result = Err(anyhow::Error::new(e.error)
                    .context(format!("unable to write '{}'", target.display())));
                break;
            }
            done.push((target, prev));
        }
        if result.is_ok() {
            result = link_tmp
                .persist(&latest)
                .map_err(|e| anyhow::Error::new(e.error))
                .with_context(|| format!("unable to update '{}'", latest.display()));
        }
        if let Err(e) = result {
            for (target, prev) in done.into_iter().rev() {
                prev.restore(&target);
            }
            let _ = fs::remove_file(&snap_path);
            return Err(e);
        }
        // The data was flushed when staged; this makes the renames durable.
        let _ = sysfs::flush([&dir, &gen].into_iter());
        let [inv_nix, hosts_nix] = nix_targets;
        Ok(vec![snap_path, latest, inv_nix, hosts_nix])
    }

    /// Every host with an `inventory/<host>/latest.json`, sorted.
    pub fn hosts(&self) -> Result<Vec<String>> {
        let dir = self.inventory_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).with_context(|| format!("unable to read '{}'", dir.display())),
        };
        let mut hosts: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| hostname::validate(n).is_ok())
            .filter(|n| dir.join(n).join("latest.json").exists())
            .collect();
        hosts.sort();
        Ok(hosts)
    }

    /// A host's snapshot files, oldest first.
    pub fn snapshots(&self, host: &str) -> Result<Vec<PathBuf>> {
        let dir = self.host_dir(host)?;
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.check_host(host)?;
                bail!("no inventory for host '{host}'")
            }
            Err(e) => return Err(e).with_context(|| format!("unable to read '{}'", dir.display())),
        };
        let mut snaps: Vec<(String, u32, PathBuf)> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let (stamp, seq) = parse_snapshot_name(&name)?;
                Some((stamp, seq, e.path()))
            })
            .collect();
        snaps.sort();
        Ok(snaps.into_iter().map(|(_, _, p)| p).collect())
    }

    /// A host's snapshot files, oldest first, with their file names; an error when there are none.
    pub fn history(&self, host: &str) -> Result<Vec<(String, PathBuf)>> {
        let out: Vec<(String, PathBuf)> = self
            .snapshots(host)?
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

    /// The snapshot `at` names (for the flag `flag` in messages): a file name exactly, or the newest
    /// taken at or before a time (see [`parse_stamp`]).
    pub fn snapshot_at(&self, host: &str, at: &str, flag: &str) -> Result<PathBuf> {
        let snaps = self.history(host)?;
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
            .find(|(n, _)| parse_snapshot_name(n).is_some_and(|(s, _)| s <= stamp))
            .map(|(_, p)| p.clone())
            .ok_or_else(|| {
                let oldest = parse_snapshot_name(&snaps[0].0)
                    .map(|(s, _)| stamp_display(&s))
                    .unwrap_or_default();
                anyhow!(
                    "host '{host}' has no snapshot at or before {} (the oldest is from {oldest})",
                    stamp_display(&stamp)
                )
            })
    }

    /// Load a host's latest snapshot.
    pub fn latest(&self, host: &str) -> Result<Snapshot> {
        self.check_host(host)?;
        let path = self.host_dir(host)?.join("latest.json");
        load_snapshot(&path).with_context(|| format!("no usable snapshot for host '{host}'"))
    }

    /// Fail with one line, and the closest inventoried name, unless `host` has a latest snapshot here.
    pub fn check_host(&self, host: &str) -> Result<()> {
        let dir = self.host_dir(host)?;
        if dir.join("latest.json").exists() || fs::symlink_metadata(dir.join("latest.json")).is_ok()
        {
            return Ok(());
        }
        let known = self.hosts().unwrap_or_default();
        let hint = match closest(host, &known) {
            Some(c) => format!(" (did you mean '{c}'?)"),
            None if known.is_empty() => format!(
                "; there are no hosts in '{}' yet (run `hwinv extract`, or point --root at your inventory)",
                self.inventory_dir().display()
            ),
            None => format!("; known hosts: {}", shortlist(&known)),
        };
        anyhow::bail!(
            "no host '{host}' in '{}'{hint}",
            self.inventory_dir().display()
        )
    }
}

/// How old a temporary file must be before an extraction removes it as a killed run's leftover: far
/// longer than any run keeps one staged.
pub const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// Refuse to write into `dir` when it is a symlink: a `hosts/<host>` or `inventory/<host>` pointing
/// elsewhere would send every write there.
fn refuse_dir_symlink(dir: &Path) -> Result<()> {
    if fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        let to = fs::read_link(dir)
            .map(|t| t.display().to_string())
            .unwrap_or_default();
        bail!(
            "'{}' is a symlink (to '{to}'); hwinv does not write through directory symlinks: \
             replace it by a directory",
            dir.display()
        );
    }
    Ok(())
}

/// What a path held before a commit replaced it, to put back if a later step fails.
enum Previous {
    /// Nothing was there.
    Missing,
    /// A regular file with these bytes.
    File(Vec<u8>),
    /// A symlink with this target (replaced, never written through).
    Link(PathBuf),
}

impl Previous {
    fn of(path: &Path) -> std::io::Result<Previous> {
        match fs::symlink_metadata(path) {
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Previous::Missing),
            Err(e) => Err(e),
            Ok(m) if m.is_symlink() => Ok(Previous::Link(fs::read_link(path)?)),
            Ok(_) => Ok(Previous::File(fs::read(path)?)),
        }
    }

    /// Best effort: this runs only after a rename failed, when the file system is already misbehaving.
    fn restore(self, path: &Path) {
        let _ = match self {
            Previous::Missing => fs::remove_file(path),
            Previous::File(data) => sysfs::write_atomic(path, &data).map(drop),
            Previous::Link(target) => sysfs::replace_symlink(&target, path),
        };
    }
}

/// Read and decode one snapshot file.
pub fn load_snapshot(path: &Path) -> Result<Snapshot> {
    let bytes = fs::read(path).with_context(|| format!("unable to read '{}'", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("'{}' is not a valid snapshot", path.display()))
}

/// `hardware_20261122T025100Z_3.json` -> (`20261122T025100Z`, 3).
pub fn parse_snapshot_name(name: &str) -> Option<(String, u32)> {
    let core = name.strip_prefix("hardware_")?.strip_suffix(".json")?;
    let (stamp, seq) = match core.split_once('_') {
        Some((s, n)) => (s, n.parse().ok()?),
        None => (core, 1),
    };
    (stamp.len() == 16 && stamp.ends_with('Z')).then(|| (stamp.to_string(), seq))
}

/// Take the exclusive lock on `path` (created if missing), blocking until it is ours.
pub fn lock(path: &Path) -> Result<FileLock> {
    FileLock::exclusive(path).with_context(|| format!("unable to lock '{}'", path.display()))
}

/// The known name nearest to `name` by edit distance, when it is near enough to be a typo.
pub fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// At most five names, then how many more.
fn shortlist(names: &[String]) -> String {
    let mut s = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        s.push_str(&format!(" and {} more", names.len() - 5));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_round_trip_and_sort_by_sequence() {
        assert_eq!(
            parse_snapshot_name("hardware_20261122T025100Z.json"),
            Some(("20261122T025100Z".into(), 1))
        );
        assert_eq!(
            parse_snapshot_name("hardware_20261122T025100Z_12.json"),
            Some(("20261122T025100Z".into(), 12))
        );
        assert_eq!(parse_snapshot_name("latest.json"), None);
        assert_eq!(parse_snapshot_name("hardware_x.json"), None);
    }
}
