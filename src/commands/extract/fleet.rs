//! `hwinv extract --fleet FILE`: extract every host of a host list or `leaf-config.nix` in one process,
//! a bounded number at a time, each host under its own `--timeout`.
//!
//! Each host goes through [`extract_one`], so a host that is down, hangs or answers garbage fails alone
//! (with its `inventory.extraction.failed` event) and every host that succeeded is stored. Progress goes to
//! standard error (a bar on a terminal, one line per host otherwise), the summary to standard output.
//! Ctrl-C (or SIGTERM) stops starting hosts and kills the running probes; what was stored stays stored
//! (every write is a rename), and an `inventory.fleet.interrupted` event lists what did not run.

use super::ExtractArgs;
use crate::commands::output::print;
use crate::config::fleet::{self, Entry};
use crate::error::Exit;
use crate::extract::{extract_one, Options, Origin, TransportError};
use crate::model::time::now_rfc3339;
use crate::store::events::{self, Event};
use crate::store::Store;
use crate::sys::signals::{self, StopOnSignal};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How one host ended.
#[derive(Debug, Clone)]
enum Outcome {
    /// Stored.
    Ok {
        /// Inventory host name.
        host: String,
        /// Snapshot written, relative to the root.
        snapshot: String,
        /// Files written (for `git add` at the end).
        written: Vec<PathBuf>,
        seconds: f64,
    },
    /// Failed, with a one-line reason.
    Failed { reason: String, seconds: f64 },
    /// Killed by Ctrl-C while running.
    Interrupted,
}

enum Msg {
    Started(usize),
    Done(usize, Outcome),
}

/// Run a fleet extraction.
pub(super) fn run(root: &Path, list: &Path, args: &ExtractArgs) -> Result<Exit> {
    if args.name.is_some() {
        bail!("--name cannot be combined with --fleet; put name=NAME on a line of the host list");
    }
    if args.jobs == 0 {
        bail!("invalid --jobs 0: at least one host must run at a time");
    }
    let entries = fleet::load(list)?;
    let store = Store::new(root);
    let base = Options {
        name: None,
        redact: args.redact,
        timeout: args.timeout,
        git_add: args.git_add,
        track_git: false,
    };
    let mut targets = Vec::with_capacity(entries.len());
    for e in &entries {
        let mut t = args
            .ssh
            .target(&e.host, e.user.clone())
            .with_context(|| e.origin.clone())?;
        if e.port.is_some() {
            t.port = e.port;
        }
        targets.push(t);
    }
    let n = entries.len();
    let jobs = args.jobs.min(n);
    let file = list.display().to_string();
    log(
        &store,
        "inventory.fleet.started",
        json!({"file": file, "hosts": n, "jobs": jobs, "timeout": args.timeout.as_secs()}),
    );

    let started = Instant::now();
    let signals = StopOnSignal::install();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    let mut progress = Progress::new(n);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, entries, targets, store, base) = (&next, &entries, &targets, &store, &base);
            s.spawn(move || loop {
                if signals::stop_requested() {
                    break;
                }
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let _ = tx.send(Msg::Started(i));
                let opts = Options {
                    name: entries[i].name.clone(),
                    ..base.clone()
                };
                let t0 = Instant::now();
                let outcome = match extract_one(store, &Origin::Ssh(targets[i].clone()), &opts) {
                    Ok(done) => {
                        let host = done.snapshot.system_info.hostname.clone();
                        Outcome::Ok {
                            snapshot: done
                                .written
                                .first()
                                .map(|p| {
                                    p.strip_prefix(store.root())
                                        .unwrap_or(p)
                                        .display()
                                        .to_string()
                                })
                                .unwrap_or_default(),
                            written: done.written,
                            host,
                            seconds: t0.elapsed().as_secs_f64(),
                        }
                    }
                    Err(e) if is_interrupted(&e) => Outcome::Interrupted,
                    Err(e) => Outcome::Failed {
                        reason: reason(&e),
                        seconds: t0.elapsed().as_secs_f64(),
                    },
                };
                let _ = tx.send(Msg::Done(i, outcome));
            });
        }
        drop(tx);
        for msg in rx {
            match msg {
                Msg::Started(i) => progress.started(&entries[i]),
                Msg::Done(i, o) => {
                    progress.done(&entries[i], &o);
                    outcomes[i] = Some(o);
                }
            }
        }
    });
    progress.finish();
    let interrupted = signals::stop_requested();
    drop(signals);
    let seconds = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0;

    let written: Vec<PathBuf> = outcomes
        .iter()
        .flatten()
        .filter_map(|o| match o {
            Outcome::Ok { written, .. } => Some(written.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    crate::store::git::track(store.root(), &written, args.git_add);
    crate::store::index::refresh(&store);

    let report = Report::new(&entries, &outcomes, seconds);
    if interrupted {
        log(
            &store,
            "inventory.fleet.interrupted",
            json!({"file": file, "ok": report.ok.len(), "failed": report.failed.len(),
                   "interrupted": report.interrupted, "not_started": report.not_started, "seconds": seconds}),
        );
    } else {
        log(
            &store,
            "inventory.fleet.completed",
            json!({"file": file, "ok": report.ok.len(), "failed": report.failed.len(), "seconds": seconds}),
        );
    }
    let text = if args.json {
        report.json()
    } else {
        report.text(interrupted, jobs)
    };
    print(&text)?;
    if interrupted {
        eprintln!(
            "error: interrupted; {} of {n} hosts stored",
            report.ok.len()
        );
        return Ok(Exit::Interrupted);
    }
    if !report.failed.is_empty() {
        eprintln!("error: {} of {n} hosts failed", report.failed.len());
        return Ok(Exit::Failure);
    }
    Ok(Exit::Success)
}

fn log(store: &Store, kind: &str, details: Value) {
    let ev = Event {
        time: now_rfc3339(),
        kind: kind.into(),
        host: "*".into(),
        target: None,
        details,
    };
    if let Err(e) = events::append(&store.events_path(), &ev) {
        eprintln!("warning: {e:#}");
    }
}

fn is_interrupted(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<TransportError>()
            .is_some_and(TransportError::is_interrupted)
    })
}

/// The cause without the "extracting 'x' failed" wrapper (the summary names the host), on one line.
fn reason(e: &anyhow::Error) -> String {
    let parts: Vec<String> = e.chain().skip(1).map(ToString::to_string).collect();
    let text = if parts.is_empty() {
        e.to_string()
    } else {
        parts.join(": ")
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Progress on standard error: an indicatif bar on a terminal, else one plain line per finished host.
struct Progress {
    total: usize,
    finished: usize,
    ok: usize,
    failed: usize,
    running: Vec<String>,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            total,
            finished: 0,
            ok: 0,
            failed: 0,
            running: Vec::new(),
            bar,
        }
    }

    fn started(&mut self, e: &Entry) {
        self.running.push(e.label());
        self.refresh();
    }

    fn done(&mut self, e: &Entry, o: &Outcome) {
        let label = e.label();
        if let Some(p) = self.running.iter().position(|r| *r == label) {
            self.running.remove(p);
        }
        self.finished += 1;
        let line = match o {
            Outcome::Ok { host, seconds, .. } => {
                self.ok += 1;
                format!("ok      {label} -> {host} ({seconds:.2} s)")
            }
            Outcome::Failed { reason, seconds } => {
                self.failed += 1;
                format!("failed  {label}: {reason} ({seconds:.2} s)")
            }
            Outcome::Interrupted => format!("stopped {label}: interrupted"),
        };
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.finished as u64);
                if !matches!(o, Outcome::Ok { .. }) {
                    bar.println(line);
                }
                self.refresh();
            }
            None => eprintln!("[{}/{}] {line}", self.finished, self.total),
        }
    }

    fn refresh(&self) {
        if let Some(bar) = &self.bar {
            let mut running = self
                .running
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if self.running.len() > 3 {
                let _ = write!(running, ", +{}", self.running.len() - 3);
            }
            bar.set_message(format!(
                "{} ok, {} failed; running: {running}",
                self.ok, self.failed
            ));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The end-of-run summary.
struct Report {
    total: usize,
    seconds: f64,
    ok: Vec<Value>,
    failed: Vec<(String, String, f64)>,
    interrupted: Vec<String>,
    not_started: Vec<String>,
}

impl Report {
    fn new(entries: &[Entry], outcomes: &[Option<Outcome>], seconds: f64) -> Report {
        let mut r = Report {
            total: entries.len(),
            seconds,
            ok: Vec::new(),
            failed: Vec::new(),
            interrupted: Vec::new(),
            not_started: Vec::new(),
        };
        for (e, o) in entries.iter().zip(outcomes) {
            match o {
                Some(Outcome::Ok {
                    host,
                    snapshot,
                    seconds,
                    ..
                }) => {
                    r.ok.push(
                        json!({"target": e.label(), "host": host, "snapshot": snapshot,
                                     "seconds": (seconds * 1000.0).round() / 1000.0}),
                    );
                }
                Some(Outcome::Failed { reason, seconds }) => {
                    r.failed.push((e.label(), reason.clone(), *seconds))
                }
                Some(Outcome::Interrupted) => r.interrupted.push(e.label()),
                None => r.not_started.push(e.label()),
            }
        }
        r
    }

    fn text(&self, interrupted: bool, jobs: usize) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "fleet: {} ok, {} failed of {} hosts in {:.2} s (-j {jobs})",
            self.ok.len(),
            self.failed.len(),
            self.total,
            self.seconds
        );
        if interrupted {
            let _ = write!(
                o,
                "; interrupted: {} stopped, {} not started",
                self.interrupted.len(),
                self.not_started.len()
            );
        }
        o.push('\n');
        let width = self
            .failed
            .iter()
            .map(|(l, _, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        if !self.failed.is_empty() {
            o.push_str("failed:\n");
            for (label, why, _) in &self.failed {
                let _ = writeln!(o, "  {label:<width$}  {why}");
            }
        }
        o
    }

    fn json(&self) -> String {
        let failed: Vec<Value> = self
            .failed
            .iter()
            .map(|(t, e, s)| json!({"target": t, "error": e, "seconds": (s * 1000.0).round() / 1000.0}))
            .collect();
        let doc = json!({
            "hosts": self.total,
            "seconds": self.seconds,
            "ok": self.ok,
            "failed": failed,
            "interrupted": self.interrupted,
            "not_started": self.not_started,
        });
        format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )
    }
}
