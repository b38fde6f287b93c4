//! `hwinv extract --fleet FILE`: extract every host of a host list or `leaf-config.nix` in one process,
//! a bounded number at a time, each host under its own `--timeout`.
//!
//! Each host goes through [`extract_one`], so a host that is down, hangs or answers garbage fails alone
//! (with its `inventory.extraction.failed` event) and every host that succeeded is stored. Progress goes to
//! standard error (a bar on a terminal, one line per host otherwise), the summary to standard output.
//! Ctrl-C (or SIGTERM) stops starting hosts and kills the running probes; what was stored stays stored
//! (every write is a rename), and an `inventory.fleet.interrupted` event lists what did not run.

mod list;

use super::exit;
use super::extract::{extract_one, ssh_target, Options, Origin};
use super::now_rfc3339;
use crate::cli::ExtractArgs;
use crate::events::{self, Event};
use crate::store::Store;
use crate::transport::{self, process, TransportError};
use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use list::Entry;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Exit status after Ctrl-C, as shells report a process killed by SIGINT.
const INTERRUPTED_EXIT: u8 = 130;

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
pub fn run(root: &Path, fleet: &Path, args: &ExtractArgs) -> Result<ExitCode> {
    if args.name.is_some() {
        bail!("--name cannot be combined with --fleet; put name=NAME on a line of the host list");
    }
    if args.jobs == 0 {
        bail!("invalid --jobs 0: at least one host must run at a time");
    }
    let entries = load(fleet)?;
    let store = Store::new(root);
    let base = Options {
        name: None,
        redact: args.redact,
        timeout: Duration::from_secs(args.timeout.max(1)),
        git_add: args.git_add,
        track_git: false,
    };
    let mut targets = Vec::with_capacity(entries.len());
    for e in &entries {
        let mut t =
            ssh_target(&e.host, e.user.clone(), &args.ssh).with_context(|| e.origin.clone())?;
        if e.port.is_some() {
            t.port = e.port;
        }
        targets.push(t);
    }
    let n = entries.len();
    let jobs = args.jobs.min(n);
    let file = fleet.display().to_string();
    log(
        &store,
        "inventory.fleet.started",
        json!({"file": file, "hosts": n, "jobs": jobs, "timeout": args.timeout}),
    );

    let started = Instant::now();
    let signals = SignalGuard::install();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; n];
    let mut progress = Progress::new(n);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let tx = tx.clone();
            let (next, entries, targets, store, base) = (&next, &entries, &targets, &store, &base);
            s.spawn(move || loop {
                if process::interrupted() {
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
    let interrupted = process::interrupted();
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
    super::git::track(store.root(), &written, args.git_add);
    super::hosts::index::refresh(&store);

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
    super::hosts::print(&text)?;
    if interrupted {
        eprintln!(
            "error: interrupted; {} of {n} hosts stored",
            report.ok.len()
        );
        return Ok(ExitCode::from(INTERRUPTED_EXIT));
    }
    if !report.failed.is_empty() {
        eprintln!("error: {} of {n} hosts failed", report.failed.len());
        return Ok(ExitCode::from(exit::FAILURE));
    }
    Ok(ExitCode::from(exit::SUCCESS))
}

fn log(store: &Store, kind: &str, details: Value) {
    let ev = Event {
        time: now_rfc3339(),
        kind: kind.into(),
        host: "*".into(),
        details,
    };
    if let Err(e) = events::append(&store.events_path(), &ev) {
        eprintln!("warning: {e:#}");
    }
}

fn is_interrupted(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<TransportError>(),
            Some(TransportError::Interrupted)
        )
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

/// Read the host list: `.nix` is evaluated, `.json` parsed, anything else read as lines.
fn load(path: &Path) -> Result<Vec<Entry>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("unable to read fleet file '{name}'"))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let entries = match ext {
        "nix" => list::from_leaf_config(&eval_nix(path, &name, &text)?, &name),
        "json" => {
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("'{name}' is not valid JSON"))?;
            list::from_leaf_config(&v, &name)
        }
        _ => list::parse_text(&text, &name),
    }
    .map_err(|e| anyhow!(e))?;
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(prev) = out
            .iter()
            .find(|p| p.host == e.host && p.user == e.user && p.port == e.port && p.name == e.name)
        {
            eprintln!(
                "warning: {}: same host as {}, skipped",
                e.origin, prev.origin
            );
            continue;
        }
        if let Some(prev) = out.iter().find(|p| e.name.is_some() && p.name == e.name) {
            bail!(
                "{}: name '{}' is already used by {}",
                e.origin,
                e.name.as_deref().unwrap_or(""),
                prev.origin
            );
        }
        out.push(e);
    }
    if out.is_empty() {
        bail!("fleet file '{name}' lists no hosts");
    }
    Ok(out)
}

/// Evaluate a Nix host list with nix-instantiate, or read it as plain data when Nix is not installed.
fn eval_nix(path: &Path, name: &str, text: &str) -> Result<Value> {
    let plain = || list::parse_nix_data(text).map_err(|e| anyhow!("'{name}': {e}"));
    match transport::nix::eval_json(path, Duration::from_secs(60)) {
        Ok(None) => plain(),
        Ok(Some(out)) if out.status == Some(0) => serde_json::from_slice(&out.stdout)
            .with_context(|| format!("nix-instantiate printed no JSON for '{name}'")),
        Ok(Some(out)) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("error:"))
                .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
                .unwrap_or("no message")
                .to_string();
            // Nix may fail for reasons of its own (no writable store state); plain data still reads.
            match plain() {
                Ok(v) => {
                    eprintln!("warning: nix-instantiate could not evaluate '{name}' ({why}); read it as plain data");
                    Ok(v)
                }
                Err(_) => bail!("unable to evaluate '{name}' with nix-instantiate: {why}"),
            }
        }
        Err(e) => bail!("unable to evaluate '{name}': {e}"),
    }
}

/// Restores the previous SIGINT/SIGTERM handlers when dropped.
struct SignalGuard {
    old: Vec<(libc::c_int, libc::sigaction)>,
}

extern "C" fn on_signal(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    process::interrupt();
}

impl SignalGuard {
    /// The first Ctrl-C stops the fleet cleanly; the handler then resets itself (SA_RESETHAND), so a
    /// second Ctrl-C ends the process at once.
    fn install() -> SignalGuard {
        let mut old = Vec::new();
        for sig in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: sigaction with a zeroed, fully initialised struct and a handler that only stores an
            // atomic; the previous action is kept to be restored.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                sa.sa_flags = libc::SA_RESETHAND;
                libc::sigemptyset(&mut sa.sa_mask);
                let mut prev: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &sa, &mut prev) == 0 {
                    old.push((sig, prev));
                }
            }
        }
        SignalGuard { old }
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, prev) in &self.old {
            // SAFETY: restores an action sigaction returned earlier.
            unsafe {
                libc::sigaction(*sig, prev, std::ptr::null_mut());
            }
        }
    }
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
