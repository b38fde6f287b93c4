//! The event log, `inventory/events.jsonl`: one JSON object per line, appended under a lock.
//!
//! Events say what hwinv did (`inventory.extraction.started`, `.completed`, `.failed`,
//! `inventory.hardware.discovered`, ...). Each line is written with a single `write` on an `O_APPEND`
//! file while holding an exclusive flock, so concurrent runs never interleave partial lines.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// When it happened, UTC, RFC 3339.
    pub time: String,
    /// Dotted event type, e.g. `inventory.extraction.completed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The host it concerns (the name given by the user when the host's own name is not known yet).
    pub host: String,
    /// What hwinv was pointed at (`local`, an SSH destination, a replay directory), when that is not the
    /// host name: `events --host` follows a target to the host it turned out to be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Free-form details.
    pub details: serde_json::Value,
}

/// Append one event to `path`, creating the file and its directory when missing.
pub fn append(path: &Path, event: &Event) -> Result<()> {
    append_all(path, std::slice::from_ref(event))
}

/// Append `batch` to `path` in order, under one lock and with one write (`hwinv sync` appends thousands).
pub fn append_all(path: &Path, batch: &[Event]) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("unable to create '{}'", dir.display()))?;
    }
    let mut lines = Vec::new();
    for e in batch {
        serde_json::to_writer(&mut lines, e).context("unable to encode event")?;
        lines.push(b'\n');
    }
    let lock_path = path.with_extension("jsonl.lock");
    let _lock = super::lock(&lock_path)?;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("unable to open '{}'", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("unable to read '{}'", path.display()))?
        .len();
    if let Err(e) = file.write_all(&lines) {
        // A full disk can take part of the lines: cut them off again (we hold the lock), so the log never
        // holds a torn line.
        let _ = file.set_len(len);
        return Err(e).with_context(|| format!("unable to append to '{}'", path.display()));
    }
    Ok(())
}

/// Read every event; lines that are not valid events are skipped (a torn line from a crash of an
/// older version must not hide the rest).
pub fn read_all(path: &Path) -> Result<Vec<Event>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("unable to read '{}'", path.display())),
    };
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}
