//! `hwinv agent`: probe this host (or replay a capture) with the same probe, parsers and snapshot as
//! `extract`, and publish the snapshot and its events to the hub.
//!
//! What is to be sent is first written to the spool (`<spool>/<host>.pending.json`), then sent, then
//! removed: when the hub is down the agent retries with jittered exponential backoff for `retry_for`,
//! and what it could not send waits in the spool for the next run (events accumulate; a newer snapshot
//! replaces an older unsent one). The snapshot is published only when its content hash differs from the
//! host's current value in the bucket, with the hash as message id, so an unchanged machine publishes
//! nothing new and a retried publish is not stored twice.

use super::client::{self, Hub};
use super::creds::HubArgs;
use super::{content_hash, event_subject, kv_subject};
use crate::extract::{discovered_details, probe_snapshot, Options, Origin};
use crate::model::time::now_rfc3339;
use crate::store::events::Event;
use crate::store::{FileLock, Store};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How one agent run goes.
#[derive(Debug, Clone)]
pub struct AgentOptions {
    /// Where the facts come from.
    pub origin: Origin,
    /// Name, redaction, probe timeout (as for extract).
    pub extract: Options,
    /// The spool directory.
    pub spool: PathBuf,
    /// How long to keep retrying an unreachable hub before leaving the rest in the spool.
    pub retry_for: Duration,
    /// Timeout of one connection attempt and of each acknowledgement.
    pub timeout: Duration,
    /// Also upload the raw capture (every section's output) to the object store.
    pub raw: bool,
}

/// What is waiting to be sent for one host.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Pending {
    /// The host.
    pub host: String,
    /// The newest unsent snapshot (JSON, as published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<serde_json::Value>,
    /// Its content hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Unsent events, oldest first.
    #[serde(default)]
    pub events: Vec<Event>,
    /// The newest unsent raw capture (see [`capture_json`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capture: Option<serde_json::Value>,
}

/// A capture as uploaded to the object store: `{"kernel", "sections": {name: {stdout, stderr,
/// exit_code, timed_out}}}`, the same fields a capture directory holds.
pub fn capture_json(sections: &crate::probe::Sections) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = sections
        .map
        .iter()
        .map(|(name, s)| {
            (
                name.clone(),
                json!({"stdout": s.stdout, "stderr": s.stderr, "exit_code": s.exit_code, "timed_out": s.timed_out}),
            )
        })
        .collect();
    json!({"kernel": sections.kernel, "sections": map})
}

/// What one run did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The host.
    pub host: String,
    /// `published`, `unchanged` (the hub already has this content), or `none` (the probe failed).
    pub snapshot: &'static str,
    /// Events published.
    pub events: usize,
    /// Connection attempts.
    pub attempts: u32,
}

/// The default spool: `$HWINV_SPOOL`, systemd's `$STATE_DIRECTORY`, `$XDG_STATE_HOME/hwinv`,
/// `~/.local/state/hwinv`, else `/var/lib/hwinv`.
pub fn default_spool() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(p) = env("HWINV_SPOOL").or_else(|| env("STATE_DIRECTORY")) {
        return p;
    }
    if let Some(p) = env("XDG_STATE_HOME") {
        return p.join("hwinv");
    }
    if let Some(h) = env("HOME") {
        return h.join(".local/state/hwinv");
    }
    PathBuf::from("/var/lib/hwinv")
}

fn event(kind: &str, host: &str, target: &str, time: String, details: serde_json::Value) -> Event {
    Event {
        time,
        kind: kind.into(),
        host: host.into(),
        target: Some(target.to_string()).filter(|t| t != host),
        details,
    }
}

/// One agent run: probe, spool, send (retrying), report.
pub fn run_once(store: &Store, hub: &HubArgs, opts: &AgentOptions) -> Result<Report> {
    let started_at = now_rfc3339();
    let t0 = Instant::now();
    let probed = probe_snapshot(store, &opts.origin, &opts.extract);
    let label = opts.origin.label();
    let start = |host: &str| {
        event(
            "inventory.extraction.started",
            host,
            &label,
            started_at.clone(),
            json!({"transport": "agent", "source": opts.origin.kind(), "target": label}),
        )
    };
    let (host, snapshot, events, failure, capture) = match probed {
        Ok((snap, sections)) => {
            let capture = opts.raw.then(|| capture_json(&sections));
            let host = snap.system_info.hostname.clone();
            let seconds = (t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
            let events = vec![
                start(&host),
                event(
                    "inventory.hardware.discovered",
                    &host,
                    &label,
                    now_rfc3339(),
                    discovered_details(&snap),
                ),
                event(
                    "inventory.extraction.completed",
                    &host,
                    &label,
                    now_rfc3339(),
                    json!({"target": label, "transport": "agent", "seconds": seconds}),
                ),
            ];
            (host, Some(snap), events, None, capture)
        }
        Err(err) => {
            // Without a name the host is unknown, and there is no subject to report on.
            let host = opts
                .extract
                .name
                .clone()
                .ok_or_else(|| anyhow!("{err:#}"))
                .context("probing failed (and without --name there is no host to report it for)")?;
            let reason = format!("{err:#}");
            let events = vec![
                start(&host),
                event(
                    "inventory.extraction.failed",
                    &host,
                    &label,
                    now_rfc3339(),
                    json!({"target": label, "transport": "agent", "error": reason}),
                ),
            ];
            (host, None, events, Some(err), None)
        }
    };
    std::fs::create_dir_all(&opts.spool)
        .with_context(|| format!("unable to create the spool '{}'", opts.spool.display()))?;
    let _lock = FileLock::exclusive(&opts.spool.join(format!("{host}.lock")))
        .with_context(|| format!("unable to lock the spool '{}'", opts.spool.display()))?;
    let path = opts.spool.join(format!("{host}.pending.json"));
    let mut pending = load_pending(&path)?.unwrap_or_default();
    pending.host.clone_from(&host);
    pending.events.extend(events);
    if let Some(s) = &snapshot {
        pending.hash = Some(content_hash(s)?);
        pending.snapshot = Some(serde_json::to_value(s)?);
    }
    if capture.is_some() {
        pending.capture = capture;
    }
    save_pending(&path, &pending)?;

    let report = send_with_retries(hub, &path, &mut pending, opts)?;
    if let Some(err) = failure {
        return Err(err.context(format!(
            "probing '{label}' failed (the failure was reported to the hub)"
        )));
    }
    Ok(report)
}

fn load_pending(path: &Path) -> Result<Option<Pending>> {
    match std::fs::read(path) {
        Ok(b) => match serde_json::from_slice(&b) {
            Ok(p) => Ok(Some(p)),
            Err(e) => {
                eprintln!(
                    "warning: ignoring unreadable spool file '{}': {e}",
                    path.display()
                );
                Ok(None)
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("unable to read '{}'", path.display())),
    }
}

fn save_pending(path: &Path, p: &Pending) -> Result<()> {
    let bytes = serde_json::to_vec(p)?;
    crate::store::write_atomic(path, &bytes)
        .map(|_| ())
        .with_context(|| format!("unable to write the spool file '{}'", path.display()))
}

/// A uniformly random fraction in [0, 1).
fn unit_random() -> f64 {
    let mut b = [0u8; 8];
    if getrandom::getrandom(&mut b).is_err() {
        return 0.5;
    }
    #[allow(clippy::cast_precision_loss)] // 53 bits are plenty for a jitter factor
    let f = (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64;
    f
}

/// `base` scaled by a random factor in [1 - spread, 1 + spread).
pub fn jitter(base: Duration, spread: f64) -> Duration {
    base.mul_f64(1.0 - spread + 2.0 * spread * unit_random())
}

fn send_with_retries(
    hub: &HubArgs,
    path: &Path,
    pending: &mut Pending,
    opts: &AgentOptions,
) -> Result<Report> {
    let rt = super::runtime()?;
    let deadline = Instant::now() + opts.retry_for;
    let mut delay = Duration::from_millis(200);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let result = rt.block_on(send(hub, pending, opts.timeout));
        match result {
            Ok((snapshot, events)) => {
                if let Err(e) = std::fs::remove_file(path) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        eprintln!("warning: unable to remove '{}': {e}", path.display());
                    }
                }
                return Ok(Report {
                    host: pending.host.clone(),
                    snapshot,
                    events,
                    attempts,
                });
            }
            Err(e) => {
                // Save what was sent so far (events are removed from the spool as they are acknowledged).
                save_pending(path, pending)?;
                // A refusal or a hub without the bucket will not mend by waiting.
                if client::is_refused(&e)
                    || Instant::now() + delay > deadline
                    || crate::sys::signals::stop_requested()
                {
                    let left = pending.events.len() + usize::from(pending.snapshot.is_some());
                    return Err(e.context(format!(
                        "gave up after {attempts} attempt(s); {left} message(s) wait in '{}'",
                        path.display()
                    )));
                }
                eprintln!(
                    "warning: {:#} (retrying in {:.1} s)",
                    e,
                    delay.as_secs_f64()
                );
                std::thread::sleep(jitter(delay, 0.5));
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// One attempt: connect, publish the snapshot unless the hub already has it, publish the events.
async fn send(
    args: &HubArgs,
    pending: &mut Pending,
    timeout: Duration,
) -> Result<(&'static str, usize)> {
    let hub = client::connect(args, timeout).await?;
    let result = send_on(&hub, pending).await;
    hub.close().await;
    result
}

async fn send_on(hub: &Hub, pending: &mut Pending) -> Result<(&'static str, usize)> {
    let host = pending.host.clone();
    let mut outcome = "none";
    if let (Some(snap), Some(hash)) = (&pending.snapshot, &pending.hash) {
        let current = match hub.current_hash(&host).await {
            Ok(h) => h,
            Err(e) if client::is_refused(&e) => return Err(e),
            // Reading back is an optimisation: the message id still stops a duplicate.
            Err(_) => None,
        };
        if current.as_deref() == Some(hash.as_str()) {
            outcome = "unchanged";
        } else {
            let payload = serde_json::to_vec(snap)?;
            if payload.len() > super::MAX_SNAPSHOT_BYTES {
                bail!(
                    "the snapshot is {} bytes, more than the bucket takes ({})",
                    payload.len(),
                    super::MAX_SNAPSHOT_BYTES
                );
            }
            let dup = hub
                .publish(&kv_subject(&host), payload, hash, Some(hash))
                .await?;
            outcome = if dup { "unchanged" } else { "published" };
        }
        pending.snapshot = None;
        pending.hash = None;
    }
    if let Some(capture) = &pending.capture {
        upload_capture(hub, &host, &serde_json::to_vec(capture)?).await?;
        pending.capture = None;
    }
    let mut sent = 0;
    while let Some(e) = pending.events.first() {
        let subject = event_subject(&e.kind, &e.host)?;
        let payload = serde_json::to_vec(e)?;
        let id = hex::encode(&Sha256::digest(&payload)[..16]);
        hub.publish(&subject, payload, &id, None).await?;
        pending.events.remove(0);
        sent += 1;
    }
    Ok((outcome, sent))
}

/// Upload a capture as the object `host` of the object store, in one chunk on the host's own chunk
/// subject (a subject rollup replaces the previous capture), then its metadata.
async fn upload_capture(hub: &Hub, host: &str, data: &[u8]) -> Result<()> {
    use base64::Engine as _;
    if data.len() > super::MAX_SNAPSHOT_BYTES {
        eprintln!(
            "warning: the raw capture is {} bytes, more than one chunk takes; not uploaded",
            data.len()
        );
        return Ok(());
    }
    let digest = Sha256::digest(data);
    // Not the content hash: a capture uploaded again after another one must not be dropped as a duplicate.
    let id = format!("{}-{}", hex::encode(&digest[..8]), unit_random().to_bits());
    let chunk = super::capture_chunk_subject(host);
    let rollup = [("Nats-Rollup", "sub")];
    hub.publish_with(&chunk, data.to_vec(), &format!("c-{id}"), &rollup)
        .await?;
    let nuid = chunk.rsplit('.').next().unwrap_or_default();
    let meta = json!({
        "name": host,
        "description": "hwinv raw capture",
        "bucket": super::OBJECTS,
        "nuid": nuid,
        "size": data.len(),
        "chunks": 1,
        "mtime": crate::model::time::now_rfc3339(),
        "digest": format!("SHA-256={}", base64::engine::general_purpose::URL_SAFE.encode(digest)),
        "options": {"max_chunk_size": data.len()},
    });
    hub.publish_with(
        &super::capture_meta_subject(host),
        serde_json::to_vec(&meta)?,
        &format!("m-{id}"),
        &rollup,
    )
    .await?;
    Ok(())
}
