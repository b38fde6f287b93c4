//! Files under `inventory/` and `hosts/`: snapshot naming, atomic writes, the `latest.json` symlink,
//! per-host locking and listing.
//!
//! Nothing here parses probe output. Every write goes to a temp file in the target's directory and is
//! renamed into place, so a crash or a full disk never leaves a half-written file behind.

use crate::hostname;
use crate::model::Snapshot;
use anyhow::{bail, Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::os::fd::AsRawFd;
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
        fs::create_dir_all(&dir)
            .with_context(|| format!("unable to create '{}'", dir.display()))?;
        FileLock::exclusive(&dir.join(".lock"))
    }

    /// Store a new snapshot: never overwrites an older one; swaps `latest.json` atomically.
    /// The caller holds the host lock.
    pub fn save_snapshot(&self, snap: &Snapshot, json: &[u8]) -> Result<Saved> {
        let host = &snap.system_info.hostname;
        let dir = self.host_dir(host)?;
        fs::create_dir_all(&dir)
            .with_context(|| format!("unable to create '{}'", dir.display()))?;
        let stamp = stamp_of(&snap.collected_at);
        let tmp = write_temp(&dir, json)?;
        let mut seq = 1u32;
        let snapshot = loop {
            let name = if seq == 1 {
                format!("hardware_{stamp}.json")
            } else {
                format!("hardware_{stamp}_{seq}.json")
            };
            let path = dir.join(&name);
            // link(2) fails when the name exists, so an older snapshot can never be replaced.
            match fs::hard_link(&tmp, &path) {
                Ok(()) => break path,
                Err(e) if e.kind() == ErrorKind::AlreadyExists && seq < 10_000 => seq += 1,
                Err(e) => {
                    let _ = fs::remove_file(&tmp);
                    return Err(e)
                        .with_context(|| format!("unable to write snapshot '{}'", path.display()));
                }
            }
        };
        let _ = fs::remove_file(&tmp);
        let latest = dir.join("latest.json");
        let file_name = snapshot
            .file_name()
            .context("snapshot path has no file name")?
            .to_owned();
        let link_tmp = dir.join(format!(".latest.json.tmp-{}", std::process::id()));
        let _ = fs::remove_file(&link_tmp);
        std::os::unix::fs::symlink(&file_name, &link_tmp)
            .with_context(|| format!("unable to create '{}'", link_tmp.display()))?;
        fs::rename(&link_tmp, &latest)
            .with_context(|| format!("unable to update '{}'", latest.display()))?;
        Ok(Saved { snapshot, latest })
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
            Err(e) if e.kind() == ErrorKind::NotFound => bail!("no inventory for host '{host}'"),
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

    /// Load a host's latest snapshot.
    pub fn latest(&self, host: &str) -> Result<Snapshot> {
        let path = self.host_dir(host)?.join("latest.json");
        load_snapshot(&path).with_context(|| format!("no usable snapshot for host '{host}'"))
    }
}

/// Read and decode one snapshot file.
pub fn load_snapshot(path: &Path) -> Result<Snapshot> {
    let bytes = fs::read(path).with_context(|| format!("unable to read '{}'", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("'{}' is not a valid snapshot", path.display()))
}

/// `2026-11-22T02:51:00Z` -> `20261122T025100Z`.
fn stamp_of(collected_at: &str) -> String {
    collected_at
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
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

fn write_temp(dir: &Path, data: &[u8]) -> Result<PathBuf> {
    let mut rnd = [0u8; 8];
    getrandom::getrandom(&mut rnd).context("no randomness for a temp file name")?;
    let tmp = dir.join(format!(".tmp-{}-{}", std::process::id(), hex::encode(rnd)));
    let res = (|| -> std::io::Result<()> {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    })();
    if let Err(e) = res {
        let _ = fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("unable to write into '{}'", dir.display()));
    }
    Ok(tmp)
}

/// Write `data` to `path` atomically (temp file in the same directory, then rename).
/// Returns false, writing nothing, when the file already holds exactly `data`.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<bool> {
    if fs::read(path).is_ok_and(|old| old == data) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir)?;
    let tmp = write_temp(&dir, data).map_err(|e| {
        e.downcast::<std::io::Error>()
            .unwrap_or_else(|e| std::io::Error::other(e.to_string()))
    })?;
    fs::rename(&tmp, path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })?;
    Ok(true)
}

/// An exclusive advisory lock (flock) released when dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Block until the lock on `path` (created if missing) is ours.
    pub fn exclusive(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .with_context(|| format!("unable to open lock '{}'", path.display()))?;
        // SAFETY: flock on a file descriptor we own for the lifetime of `file`.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("unable to lock '{}'", path.display()));
        }
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_round_trip_and_sort_by_sequence() {
        assert_eq!(stamp_of("2026-11-22T02:51:00Z"), "20261122T025100Z");
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

    #[test]
    fn write_atomic_skips_identical_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.nix");
        assert!(write_atomic(&p, b"x").unwrap());
        assert!(!write_atomic(&p, b"x").unwrap());
        assert!(write_atomic(&p, b"y").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"y");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }
}
