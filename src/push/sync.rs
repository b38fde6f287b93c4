//! `hwinv sync`: materialise every host pushed to the hub into `inventory/<host>/`, through the same
//! store code `extract` uses ([`crate::extract::store_snapshot`], [`crate::store::events`]).
//!
//! Idempotent and safe to run beside itself (one sync at a time, `inventory/.nats-sync.lock`) and beside
//! `extract` (each host is written under its host lock, and the decision to write is taken under it): a
//! pushed snapshot is stored only when its content differs from the host's `latest.json` and it was
//! collected after it, so the inventory never goes backwards. A payload that is not a valid snapshot of
//! the host whose key it sits under is rejected with a reason, counted, logged as
//! `inventory.sync.rejected`, and the previous latest stays. `inventory/.nats-sync.json` remembers the
//! bucket revisions and the event stream position already seen.

use super::client;
use super::creds::HubArgs;
use super::{content_hash, parse_event_subject, BUCKET, EVENT_STREAM, MAX_SNAPSHOT_BYTES};
use crate::config::tiers::Tiers;
use crate::extract::{store_snapshot, Stored};
use crate::model::time::{now_rfc3339, parse_rfc3339};
use crate::model::{hostname, Snapshot, SCHEMA_VERSION};
use crate::store::events::{self, Event};
use crate::store::{load_snapshot, Store};
use anyhow::{Context, Result};
use async_nats::jetstream::consumer::DeliverPolicy;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What sync remembers between runs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    /// Last event-stream sequence appended to `events.jsonl`.
    events_seq: u64,
    /// Per host, the bucket revision last looked at.
    revisions: BTreeMap<String, u64>,
}

/// How one pushed snapshot ended.
#[derive(Debug, Clone)]
enum Outcome {
    Stored(Vec<PathBuf>),
    Unchanged,
    Older,
    Deleted,
    Rejected(String),
    Failed(String),
}

/// What a sync did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Hosts in the bucket.
    pub hosts: usize,
    /// Snapshots written.
    pub stored: usize,
    /// Hosts whose pushed content was already the latest (or already seen).
    pub unchanged: usize,
    /// Pushed snapshots older than the host's latest, ignored.
    pub older: usize,
    /// Keys deleted from the bucket (nothing is removed locally).
    pub deleted: usize,
    /// Rejected payloads by reason.
    pub rejected: BTreeMap<String, usize>,
    /// Events appended to `events.jsonl`.
    pub events: usize,
    /// Hosts that could not be written (I/O errors), with the error.
    pub failed: Vec<String>,
    /// Seconds spent.
    pub seconds: f64,
}

/// Sync options.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Timeout of the connection and of each request.
    pub timeout: Duration,
    /// `git add` the files written.
    pub git_add: bool,
    /// Hosts written at once.
    pub jobs: usize,
}

/// Run one sync.
pub fn run(store: &Store, hub: &HubArgs, opts: &SyncOptions) -> Result<Report> {
    let t0 = Instant::now();
    let inv = store.inventory_dir();
    std::fs::create_dir_all(&inv)
        .with_context(|| format!("unable to create '{}'", inv.display()))?;
    let _lock = crate::store::lock(&inv.join(".nats-sync.lock"))?;
    let state_path = inv.join(".nats-sync.json");
    let mut state: State = match std::fs::read(&state_path) {
        Ok(b) => serde_json::from_slice(&b).unwrap_or_default(),
        Err(_) => State::default(),
    };

    let rt = super::runtime()?;
    let (snaps, evs) = rt.block_on(async {
        let hub = client::connect(hub, opts.timeout).await?;
        let snaps = hub
            .read_stream(
                &format!("KV_{BUCKET}"),
                &format!("$KV.{BUCKET}.>"),
                DeliverPolicy::LastPerSubject,
            )
            .await?;
        let last = hub.last_sequence(EVENT_STREAM).await?;
        if last < state.events_seq {
            eprintln!("warning: the event stream was recreated; reading it from its start");
            state.events_seq = 0;
        }
        let evs = if last > state.events_seq {
            hub.read_stream(
                EVENT_STREAM,
                super::EVENT_SUBJECTS,
                DeliverPolicy::ByStartSequence {
                    start_sequence: state.events_seq + 1,
                },
            )
            .await?
        } else {
            Vec::new()
        };
        hub.close().await;
        Ok::<_, anyhow::Error>((snaps, evs))
    })?;
    drop(rt);

    let tiers = Tiers::load(store.root())?;
    let prefix = format!("$KV.{BUCKET}.");
    let jobs = opts.jobs.clamp(1, 64);
    let chunk = snaps.len().div_ceil(jobs).max(1);
    let outcomes: Vec<(String, u64, Outcome)> = std::thread::scope(|s| {
        let handles: Vec<_> = snaps
            .chunks(chunk)
            .map(|part| {
                let (tiers, state, prefix) = (&tiers, &state, &prefix);
                s.spawn(move || {
                    part.iter()
                        .map(|m| {
                            let host = m
                                .subject
                                .strip_prefix(prefix.as_str())
                                .unwrap_or(&m.subject);
                            let seen = state.revisions.get(host) == Some(&m.seq)
                                && store
                                    .host_dir(host)
                                    .is_ok_and(|d| d.join("latest.json").exists());
                            let o = if seen {
                                Outcome::Unchanged
                            } else {
                                one(store, tiers, host, m)
                            };
                            (host.to_string(), m.seq, o)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });

    let mut report = Report {
        hosts: outcomes.len(),
        ..Report::default()
    };
    let mut written = Vec::new();
    let mut log = Vec::new();
    for (host, seq, o) in outcomes {
        match o {
            Outcome::Stored(files) => {
                report.stored += 1;
                written.extend(files);
            }
            Outcome::Unchanged => report.unchanged += 1,
            Outcome::Older => report.older += 1,
            Outcome::Deleted => report.deleted += 1,
            Outcome::Rejected(reason) => {
                let key = reason.split(':').next().unwrap_or(&reason).to_string();
                *report.rejected.entry(key).or_default() += 1;
                log.push(rejected_event(&host, "snapshot", seq, &reason));
            }
            Outcome::Failed(e) => {
                report.failed.push(format!("{host}: {e}"));
                continue; // try again next time
            }
        }
        if hostname::validate(&host).is_ok() {
            state.revisions.insert(host, seq);
        }
    }

    for m in &evs {
        match check_event(m) {
            Ok(e) => {
                log.push(e);
                report.events += 1;
            }
            Err(reason) => {
                let key = reason.split(':').next().unwrap_or(&reason).to_string();
                *report.rejected.entry(format!("event {key}")).or_default() += 1;
                let host = parse_event_subject(&m.subject).map_or_else(|| "*".into(), |(_, h)| h);
                log.push(rejected_event(&host, "event", m.seq, &reason));
            }
        }
        state.events_seq = state.events_seq.max(m.seq);
    }
    report.seconds = (t0.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
    log.push(Event {
        time: now_rfc3339(),
        kind: "inventory.sync.completed".into(),
        host: "*".into(),
        target: None,
        details: json!({
            "hosts": report.hosts, "stored": report.stored, "unchanged": report.unchanged,
            "older": report.older, "rejected": report.rejected, "events": report.events,
            "failed": report.failed.len(), "seconds": report.seconds,
        }),
    });
    events::append_all(&store.events_path(), &log)?;
    let bytes = serde_json::to_vec_pretty(&state)?;
    crate::store::write_atomic(&state_path, &bytes)
        .with_context(|| format!("unable to write '{}'", state_path.display()))?;
    if !written.is_empty() {
        crate::store::git::track(store.root(), &written, opts.git_add);
    }
    Ok(report)
}

fn rejected_event(host: &str, what: &str, seq: u64, reason: &str) -> Event {
    Event {
        time: now_rfc3339(),
        kind: "inventory.sync.rejected".into(),
        host: host.into(),
        target: None,
        details: json!({"what": what, "sequence": seq, "reason": reason}),
    }
}

/// Decide about and store one pushed snapshot.
fn one(store: &Store, tiers: &Tiers, host: &str, m: &client::StreamMsg) -> Outcome {
    if matches!(m.operation.as_deref(), Some("DEL" | "PURGE")) {
        return Outcome::Deleted;
    }
    let snap = match check_snapshot(host, &m.payload) {
        Ok(s) => s,
        Err(reason) => return Outcome::Rejected(reason),
    };
    let Ok(hash) = content_hash(&snap) else {
        return Outcome::Rejected("unencodable: the snapshot cannot be encoded".into());
    };
    let pushed_at = parse_rfc3339(&snap.collected_at);
    let check = |dir: &std::path::Path| -> Result<Option<String>> {
        let latest = dir.join("latest.json");
        if !latest.exists() {
            return Ok(None);
        }
        // A latest that cannot be read is replaced by a good pushed snapshot.
        let Ok(old) = load_snapshot(&latest) else {
            return Ok(None);
        };
        if content_hash(&old).ok().as_deref() == Some(hash.as_str()) {
            return Ok(Some("unchanged".into()));
        }
        if parse_rfc3339(&old.collected_at) >= pushed_at {
            return Ok(Some("older".into()));
        }
        Ok(None)
    };
    match store_snapshot(store, &snap, tiers, check) {
        Ok(Stored::Written(files)) => Outcome::Stored(files),
        Ok(Stored::Skipped(r)) if r == "older" => Outcome::Older,
        Ok(Stored::Skipped(_)) => Outcome::Unchanged,
        Err(e)
            if e.chain()
                .any(|c| c.downcast_ref::<std::io::Error>().is_some()) =>
        {
            Outcome::Failed(crate::text::printable(&format!("{e:#}")))
        }
        Err(e) => Outcome::Rejected(format!("unrenderable: {e:#}")),
    }
}

/// A pushed payload as a snapshot of `host`, or the reason it is refused (`kind: detail`).
fn check_snapshot(host: &str, payload: &[u8]) -> std::result::Result<Snapshot, String> {
    if hostname::validate(host).is_err() {
        return Err(format!("bad key: {host:?} is not a host name"));
    }
    if payload.len() > MAX_SNAPSHOT_BYTES {
        return Err(format!("too large: {} bytes", payload.len()));
    }
    let snap: Snapshot =
        serde_json::from_slice(payload).map_err(|e| format!("malformed: not a snapshot ({e})"))?;
    if snap.system_info.hostname != host {
        return Err(format!(
            "wrong host: the snapshot names {:?}",
            crate::text::printable(&snap.system_info.hostname)
        ));
    }
    if snap.schema_version > SCHEMA_VERSION {
        return Err(format!("newer schema: version {}", snap.schema_version));
    }
    let Some(at) = parse_rfc3339(&snap.collected_at) else {
        return Err("bad time: collected_at is not an RFC 3339 time".into());
    };
    if at > time::OffsetDateTime::now_utc() + time::Duration::days(1) {
        return Err(format!(
            "from the future: collected_at {}",
            snap.collected_at
        ));
    }
    Ok(snap)
}

/// A pushed event, checked against the subject it came on (which the hub's permissions vouch for).
pub(crate) fn check_event(m: &client::StreamMsg) -> std::result::Result<Event, String> {
    let Some((kind, host)) = parse_event_subject(&m.subject) else {
        return Err("bad subject: not inventory.<noun>.<verb>.<host>".into());
    };
    let e: Event =
        serde_json::from_slice(&m.payload).map_err(|e| format!("malformed: not an event ({e})"))?;
    if e.host != host || e.kind != kind {
        return Err(format!(
            "wrong subject: the event says {:?} for {:?}",
            crate::text::printable(&e.kind),
            crate::text::printable(&e.host)
        ));
    }
    if parse_rfc3339(&e.time).is_none() {
        return Err("bad time: not an RFC 3339 time".into());
    }
    Ok(e)
}
