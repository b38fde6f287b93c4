//! Push mode: hosts publish their snapshots and events to a NATS JetStream hub (`hwinv agent`) and the
//! control node materialises them into `inventory/` (`hwinv sync`).
//!
//! This module owns the names on the hub (KV bucket, object store, event stream, subjects), the
//! content hash that makes an unchanged host publish nothing new, credentials files and connecting.
//! It owns no files under `inventory/`: [`sync`] stores through [`crate::extract::store_snapshot`] and
//! [`crate::store::events`], the same code `extract` uses. The tokio runtime lives only here, created
//! per command by [`runtime`].

pub mod agent;
pub mod client;
pub mod creds;
pub mod follow;
pub mod hub;
pub mod sync;

use crate::model::hostname;
use crate::model::Snapshot;
use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

/// The KV bucket holding each host's latest snapshot under its host name (history kept).
pub const BUCKET: &str = "hwinv-hosts";
/// The object store holding raw captures (`<host>` is the object name).
pub const OBJECTS: &str = "hwinv-captures";
/// The object store's chunk subject of `host`'s capture. One chunk per capture, published with a
/// subject rollup, so a fixed per-host chunk subject replaces the previous capture and a host may be
/// allowed exactly its own (the object store's usual random chunk ids cannot be scoped to a host).
pub fn capture_chunk_subject(host: &str) -> String {
    let token = hex::encode(&Sha256::digest(host.as_bytes())[..16]);
    format!("$O.{OBJECTS}.C.h{token}")
}

/// The object store's metadata subject of the object named `host`.
pub fn capture_meta_subject(host: &str) -> String {
    use base64::Engine as _;
    format!(
        "$O.{OBJECTS}.M.{}",
        base64::engine::general_purpose::URL_SAFE.encode(host)
    )
}

/// The stream holding every event, on [`EVENT_SUBJECTS`].
pub const EVENT_STREAM: &str = "HWINV_EVENTS";
/// The subjects of the event stream.
pub const EVENT_SUBJECTS: &str = "inventory.>";
/// The NATS user of the control node.
pub const ADMIN: &str = "hwinv-admin";
/// Largest snapshot the bucket accepts and `sync` reads (bytes).
pub const MAX_SNAPSHOT_BYTES: usize = 1024 * 1024;
/// Header carrying the snapshot's content hash (also its `Nats-Msg-Id`).
pub const HASH_HEADER: &str = "Hwinv-Hash";

/// The KV subject of `host`'s snapshot: `$KV.hwinv-hosts.<host>`.
pub fn kv_subject(host: &str) -> String {
    format!("$KV.{BUCKET}.{host}")
}

/// The JetStream API subject that reads `host`'s current snapshot (direct get of the last message on its
/// KV subject): scoped to one key, so a host may be allowed to read its own value and nothing else.
pub fn direct_get_subject(host: &str) -> String {
    format!("$JS.API.DIRECT.GET.KV_{BUCKET}.{}", kv_subject(host))
}

/// The subject of an event: its type (`inventory.extraction.completed`) followed by the host, so a host's
/// permission `inventory.*.*.<host>` covers exactly its own events.
pub fn event_subject(kind: &str, host: &str) -> Result<String> {
    check_event_kind(kind)?;
    hostname::validate(host)?;
    Ok(format!("{kind}.{host}"))
}

/// Split an event subject into (type, host): the type is the first three tokens.
pub fn parse_event_subject(subject: &str) -> Option<(String, String)> {
    let mut parts = subject.splitn(4, '.');
    let (a, b, c, host) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if a != "inventory" || b.is_empty() || c.is_empty() || hostname::validate(host).is_err() {
        return None;
    }
    Some((format!("{a}.{b}.{c}"), host.to_string()))
}

/// Event types travel as `inventory.<noun>.<verb>`: exactly three tokens of letters, digits, `-`, `_`.
pub fn check_event_kind(kind: &str) -> Result<()> {
    let parts: Vec<&str> = kind.split('.').collect();
    let ok = parts.len() == 3
        && parts[0] == "inventory"
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    if !ok {
        bail!("event type {kind:?} cannot travel over NATS: expected inventory.<noun>.<verb>");
    }
    Ok(())
}

/// The inbox prefix of a host user: replies (JetStream acks) come back only on subjects its permissions
/// let it read, and no other host can read them.
pub fn inbox_prefix(public_key: &str) -> String {
    format!("_INBOX_{public_key}")
}

/// The content hash of a snapshot: SHA-256 of its JSON without `collected_at`, so the same hardware
/// (and the same services) probed twice hashes the same.
pub fn content_hash(snapshot: &Snapshot) -> Result<String> {
    let mut s = snapshot.clone();
    s.collected_at = String::new();
    let bytes = serde_json::to_vec(&s).context("unable to encode the snapshot")?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// A current-thread tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("unable to start the async runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_subjects_round_trip_and_keep_dotted_hosts_whole() {
        let s = event_subject("inventory.extraction.completed", "web.example.com").unwrap();
        assert_eq!(s, "inventory.extraction.completed.web.example.com");
        assert_eq!(
            parse_event_subject(&s),
            Some((
                "inventory.extraction.completed".into(),
                "web.example.com".into()
            ))
        );
        assert!(parse_event_subject("inventory.extraction.completed").is_none());
        assert!(parse_event_subject("other.a.b.host").is_none());
        assert!(parse_event_subject("inventory.a.b.bad host").is_none());
        assert!(event_subject("inventory.fleet", "h").is_err());
        assert!(event_subject("inventory.a.*", "h").is_err());
        assert!(event_subject("inventory.a.b", "../x").is_err());
    }
}
