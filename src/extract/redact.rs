//! `--redact`: replace identifiers (serials, MAC addresses, GPU UUIDs) by a salted hash.
//!
//! The salt is made once per inventory (`inventory/.redact-salt`, mode 0600), so the same identifier
//! always hashes to the same value within one inventory (diffs stay meaningful) but cannot be matched
//! across inventories or reversed by hashing a list of known serials.

use crate::model::Snapshot;
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Load the inventory's salt, creating it on first use.
pub fn load_or_create_salt(inventory_dir: &Path) -> Result<Vec<u8>> {
    let path = inventory_dir.join(".redact-salt");
    if let Ok(text) = fs::read_to_string(&path) {
        return hex::decode(text.trim())
            .with_context(|| format!("'{}' is not hex", path.display()));
    }
    fs::create_dir_all(inventory_dir)
        .with_context(|| format!("unable to create '{}'", inventory_dir.display()))?;
    let mut salt = [0u8; 32];
    getrandom::getrandom(&mut salt).context("no randomness for the redaction salt")?;
    let created = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path);
    match created {
        Ok(mut f) => {
            f.write_all(hex::encode(salt).as_bytes())
                .with_context(|| format!("unable to write '{}'", path.display()))?;
            Ok(salt.to_vec())
        }
        // Another run created it first: use theirs so both agree.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            load_or_create_salt(inventory_dir)
        }
        Err(e) => Err(e).with_context(|| format!("unable to create '{}'", path.display())),
    }
}

/// `redacted:` plus the first 16 hex digits of SHA-256(salt || value).
pub fn hash(salt: &[u8], value: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(value.as_bytes());
    format!("redacted:{}", &hex::encode(h.finalize())[..16])
}

/// Redact every identifier in a snapshot.
pub fn redact(snap: &mut Snapshot, salt: &[u8]) {
    let r = |v: &mut Option<String>| {
        if let Some(s) = v.as_mut() {
            *s = hash(salt, s);
        }
    };
    r(&mut snap.system_info.serial_number);
    for d in &mut snap.disks {
        r(&mut d.serial);
    }
    for n in &mut snap.network_interfaces {
        r(&mut n.mac);
    }
    for g in snap.gpus.iter_mut().flatten() {
        r(&mut g.uuid);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_per_salt_and_differs_across_salts() {
        assert_eq!(hash(b"a", "SERIAL"), hash(b"a", "SERIAL"));
        assert_ne!(hash(b"a", "SERIAL"), hash(b"b", "SERIAL"));
        assert!(hash(b"a", "x").starts_with("redacted:"));
    }

    #[test]
    fn salt_is_created_once() {
        let d = tempfile::tempdir().unwrap();
        let a = load_or_create_salt(d.path()).unwrap();
        let b = load_or_create_salt(d.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 32);
    }
}
