//! `--redact`: replace identifiers (serials, MAC addresses, GPU UUIDs) by a salted hash.
//!
//! The salt is made once per inventory (`inventory/.redact-salt`, mode 0600), so the same identifier
//! always hashes to the same value within one inventory (diffs stay meaningful) but cannot be matched
//! across inventories or reversed by hashing a list of known serials.

use crate::model::Snapshot;
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::Path;

/// The shortest salt accepted, in bytes: shorter ones make the hashes of known serials easy to find.
pub const MIN_SALT_BYTES: usize = 16;

/// Load the inventory's salt, creating it on first use. The file is written under a temporary name and
/// linked into place only when complete, so a full disk or a killed run never leaves a short salt; a
/// salt that is not hex or shorter than [`MIN_SALT_BYTES`] is refused rather than used.
pub fn load_or_create_salt(inventory_dir: &Path) -> Result<Vec<u8>> {
    let path = inventory_dir.join(".redact-salt");
    match fs::read_to_string(&path) {
        Ok(text) => {
            return parse_salt(&text).with_context(|| format!("unusable '{}'", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("unable to read '{}'", path.display())),
    }
    fs::create_dir_all(inventory_dir)
        .with_context(|| format!("unable to create '{}'", inventory_dir.display()))?;
    let mut salt = [0u8; 32];
    getrandom::getrandom(&mut salt).context("no randomness for the redaction salt")?;
    // tempfile creates the file with mode 0600.
    let tmp =
        crate::sys::fs::temp_with(inventory_dir, ".redact-salt", hex::encode(salt).as_bytes())
            .with_context(|| format!("unable to create '{}'", path.display()))?;
    match tmp.persist_noclobber(&path) {
        Ok(_) => Ok(salt.to_vec()),
        // Another run created it first: use theirs so both agree.
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            load_or_create_salt(inventory_dir)
        }
        Err(e) => Err(e.error).with_context(|| format!("unable to create '{}'", path.display())),
    }
}

/// The salt in a `.redact-salt` file's text: hex, at least [`MIN_SALT_BYTES`] bytes.
fn parse_salt(text: &str) -> Result<Vec<u8>> {
    let salt = hex::decode(text.trim()).context("not hex")?;
    if salt.len() < MIN_SALT_BYTES {
        anyhow::bail!(
            "the salt is {} bytes, fewer than {MIN_SALT_BYTES}: delete the file to make a new one \
             (every redacted value then hashes differently)",
            salt.len()
        );
    }
    Ok(salt)
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
    fn short_empty_or_non_hex_salts_are_refused() {
        assert!(parse_salt("").is_err());
        assert!(parse_salt("\n").is_err());
        assert!(parse_salt("abcd").is_err());
        assert!(parse_salt("zz").is_err());
        assert_eq!(parse_salt(&"ab".repeat(16)).unwrap().len(), 16);
    }

    #[test]
    fn a_created_salt_is_complete_private_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let a = load_or_create_salt(dir.path()).unwrap();
        assert_eq!(a.len(), 32);
        let meta = fs::metadata(dir.path().join(".redact-salt")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(load_or_create_salt(dir.path()).unwrap(), a);
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

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
