//! Files written so that a reader sees the old content or the new one, never a torn file; advisory locks;
//! and the few file-system facts hwinv asks the kernel for.
//!
//! Every temporary file is created beside its target (a rename never crosses file systems), is hidden, and
//! ends in [`TEMP_SUFFIX`], so globs like `*.json` or `**/*.parquet` never pick one up and a later run can
//! recognise leftovers of a killed one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// The suffix of every temporary file hwinv creates.
pub const TEMP_SUFFIX: &str = ".hwinv-tmp";

/// The directory a path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new, empty temporary file in `dir`, named after `hint` (the target's file name).
pub fn temp_in(dir: &Path, hint: &str) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!(".{hint}."))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
}

/// A temporary file in `dir` holding `data`, flushed to disk.
pub fn temp_with(dir: &Path, hint: &str, data: &[u8]) -> io::Result<NamedTempFile> {
    let mut tmp = temp_in(dir, hint)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    Ok(tmp)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned())
}

/// Write `data` to `path` atomically (temp file in the same directory, flushed, then renamed over it).
/// Returns false, writing nothing, when the file already holds exactly `data`. A symlink at `path` is
/// replaced, never written through.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<bool> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_file())
        && fs::read(path).is_ok_and(|old| old == data)
    {
        return Ok(false);
    }
    let dir = parent_dir(path);
    fs::create_dir_all(&dir)?;
    let tmp = temp_with(&dir, &file_name(path), data)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(true)
}

/// Create `path` atomically from what `fill` writes into the open temporary file, then flush the
/// directory so the rename itself survives a crash. On any error nothing is left behind.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let dir = parent_dir(path);
    fs::create_dir_all(&dir)?;
    let mut tmp = temp_in(&dir, &file_name(path))?;
    fill(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Failure here only weakens crash safety: the data is written.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Write `data` under the first name `name(1)`, `name(2)`, … that does not exist yet, never replacing a
/// file (link(2) semantics). Returns the path written.
pub fn write_new(dir: &Path, data: &[u8], name: impl Fn(u32) -> String) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let mut tmp = temp_with(dir, &name(1), data)?;
    for seq in 1..=10_000 {
        let path = dir.join(name(seq));
        match tmp.persist_noclobber(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.error.kind() == ErrorKind::AlreadyExists => tmp = e.file,
            Err(e) => return Err(e.error),
        }
    }
    Err(io::Error::new(
        ErrorKind::AlreadyExists,
        format!("every name in '{}' is taken", dir.display()),
    ))
}

/// Point the symlink `link` at `target` (a name relative to the link's directory), replacing whatever
/// `link` was by one rename.
pub fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let dir = parent_dir(link);
    let tmp = temp_in(&dir, &file_name(link))?;
    // Reserve a unique name, then put the symlink in its place.
    let tmp_path = tmp.into_temp_path();
    fs::remove_file(&tmp_path)?;
    std::os::unix::fs::symlink(target, &tmp_path)?;
    if let Err(e) = fs::rename(&tmp_path, link) {
        let _ = fs::remove_file(&tmp_path);
        return Err(e);
    }
    // The rename consumed the temporary name; keep TempPath from removing the link it now names.
    std::mem::forget(tmp_path);
    Ok(())
}

/// A symlink to `target` under a new hidden temporary name in `dir` (named after `hint`), removed again
/// when the returned path is dropped without [`tempfile::TempPath::persist`].
pub fn temp_symlink(dir: &Path, hint: &str, target: &Path) -> io::Result<tempfile::TempPath> {
    let tmp_path = temp_in(dir, hint)?.into_temp_path();
    // Reserve a unique name, then put the symlink in its place.
    fs::remove_file(&tmp_path)?;
    std::os::unix::fs::symlink(target, &tmp_path)?;
    Ok(tmp_path)
}

/// Remove what killed runs left in `dir`: hwinv's temporary files (hidden, ending in [`TEMP_SUFFIX`]) last
/// modified at least `min_age` ago. Returns the names removed. Errors are ignored: leftovers are
/// harmless to readers (no glob matches them), so cleaning up is best effort.
pub fn remove_stale_temps(dir: &Path, min_age: std::time::Duration) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with('.') && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(e.path()) else {
            continue;
        };
        if meta.is_dir() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .unwrap_or_default();
        if age >= min_age && fs::remove_file(e.path()).is_ok() {
            removed.push(name);
        }
    }
    removed.sort();
    removed
}

/// An exclusive advisory lock (flock) on a file, released when dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

impl FileLock {
    /// Block until the lock on `path` (created if missing) is ours.
    pub fn exclusive(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive)?;
        Ok(Self { _file: file })
    }
}

/// Total and available bytes of the file system holding `path`.
pub fn space(path: &Path) -> Option<(u64, u64)> {
    let st = rustix::fs::statvfs(path).ok()?;
    let frsize = st.f_frsize;
    Some((
        st.f_blocks.saturating_mul(frsize),
        st.f_bavail.saturating_mul(frsize),
    ))
}

/// Make `paths` (files, or directories after renames in them) durable: one `syncfs(2)` per file system
/// on Linux, which flushes everything on it at once; one fsync per path elsewhere.
pub fn flush(paths: impl Iterator<Item = impl AsRef<Path>>) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::unix::fs::MetadataExt;
        let mut devices = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let dev = fs::metadata(p)?.dev();
            if !devices.contains(&dev) {
                devices.push(dev);
                rustix::fs::syncfs(File::open(p)?)?;
            }
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let mut done: Vec<PathBuf> = Vec::new();
        for p in paths {
            let p = p.as_ref().to_path_buf();
            if !done.contains(&p) {
                File::open(&p)?.sync_all()?;
                done.push(p);
            }
        }
    }
    Ok(())
}

/// Identity of a file relative to an open directory (device, inode, size, mtime seconds and
/// nanoseconds): cheap enough to stat 10,000 hosts' snapshots.
pub fn stat_at(dir: &File, rel: &str) -> io::Result<(u64, u64, u64, i64, i64)> {
    let st = rustix::fs::statat(dir, rel, rustix::fs::AtFlags::empty())?;
    #[allow(clippy::unnecessary_cast, clippy::cast_sign_loss)]
    // stat field types differ by platform
    Ok((
        st.st_dev as u64,
        st.st_ino as u64,
        st.st_size as u64,
        st.st_mtime as i64,
        st.st_mtime_nsec as i64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_skips_identical_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.nix");
        assert!(write_atomic(&p, b"x").unwrap());
        assert!(!write_atomic(&p, b"x").unwrap());
        assert!(write_atomic(&p, b"y").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"y");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_atomic_replaces_a_symlink_instead_of_writing_through_it() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::write(&outside, b"keep").unwrap();
        let p = dir.path().join("a.nix");
        std::os::unix::fs::symlink(&outside, &p).unwrap();
        assert!(write_atomic(&p, b"keep").unwrap());
        assert_eq!(fs::read(&outside).unwrap(), b"keep");
        assert!(fs::symlink_metadata(&p).unwrap().is_file());
    }

    #[test]
    fn write_new_never_replaces_and_symlink_swaps() {
        let dir = tempfile::tempdir().unwrap();
        let name = |n: u32| {
            if n == 1 {
                "s.json".to_string()
            } else {
                format!("s_{n}.json")
            }
        };
        let a = write_new(dir.path(), b"1", name).unwrap();
        let b = write_new(dir.path(), b"2", name).unwrap();
        assert_eq!(a.file_name().unwrap(), "s.json");
        assert_eq!(b.file_name().unwrap(), "s_2.json");
        assert_eq!(fs::read(&a).unwrap(), b"1");
        let link = dir.path().join("latest.json");
        replace_symlink(Path::new("s.json"), &link).unwrap();
        replace_symlink(Path::new("s_2.json"), &link).unwrap();
        assert_eq!(fs::read(&link).unwrap(), b"2");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 3);
    }
}
