//! `hwinv generate`: from each host's latest snapshot and the hardware tiers, write
//! `hosts/<host>/configuration.nix`, `nats-server.conf` and `metadata.json`.
//!
//! Owns the safety rules around those files: everything is rendered in memory before anything is written;
//! an unchanged file is not rewritten; a file whose hash no longer matches `metadata.json` was edited by
//! hand and is never overwritten without `--force`; `--check` writes nothing. What goes into the files is
//! decided in [`plan`]; this module only reads, compares and writes.

mod diff;

use crate::render::plan::{self, BUILTINS};
use crate::store::batch;

use crate::config::tiers::{Tiers, DEFAULT_TIERS};
use crate::error::Exit;
use crate::render::Renderer;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Arguments of `hwinv generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Hosts to generate files for (their names under inventory/).
    #[arg(value_name = "HOST", conflicts_with = "all")]
    pub hosts: Vec<String>,

    /// Generate for every host with an inventory/<host>/latest.json.
    #[arg(long)]
    pub all: bool,

    /// Write nothing: show a diff of every file that differs from what would be generated, and exit 1
    /// when there is one.
    #[arg(long)]
    pub check: bool,

    /// Write nothing: print which fact chose each generated option (metadata.json records the same).
    #[arg(long, conflicts_with_all = ["check", "force", "git_add"])]
    pub explain: bool,

    /// Print the outcome (or with --explain the reasons, with --check the differences) as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Overwrite generated files even when they were edited by hand since hwinv wrote them.
    #[arg(long, conflicts_with = "check")]
    pub force: bool,

    /// Run `git add` on the generated files when the inventory is a git repository (flakes only see
    /// tracked files).
    #[arg(long, conflicts_with = "check")]
    pub git_add: bool,
}

/// What happened to one host.
#[derive(Debug, Default)]
struct Outcome {
    /// The host.
    host: String,
    /// `nixos` or `darwin`.
    platform: &'static str,
    /// Tier names: cpu, memory, storage.
    tiers: [String; 3],
    /// Files written (relative to the root).
    written: Vec<String>,
    /// Files already as they should be.
    unchanged: usize,
    /// `--check`: a diff or a note per file that differs.
    differences: Vec<String>,
    /// Notes about missing facts.
    warnings: Vec<String>,
    /// `--explain`: the options and their reasons, as text.
    explanation: String,
    /// `--explain --json`: the same, as data.
    explanation_json: serde_json::Value,
    /// Every path that the flake needs tracked by git.
    tracked: Vec<PathBuf>,
}

/// Shared, read-only state of one run.
struct Run<'a> {
    store: Store,
    tiers: Tiers,
    renderer: Renderer,
    provenance: plan::Provenance,
    args: &'a GenerateArgs,
    /// Hosts leaf-config.nix lists under `nixos`.
    nixos_hosts: std::collections::BTreeSet<String>,
}

/// Run it.
pub fn run(root: &Path, args: &GenerateArgs) -> Result<Exit> {
    let store = Store::new(root);
    let hosts = select_hosts(&store, args)?;
    let run = Run {
        tiers: Tiers::load(root)?,
        renderer: Renderer::new(root, &[BUILTINS]),
        provenance: provenance(root)?,
        nixos_hosts: nixos_hosts(root)?,
        store,
        args,
    };
    // One generate at a time writes into hosts/ (a second one waits), so the hand-edit check and the
    // writes it allows cannot interleave with another run's.
    let lock_path = run.store.inventory_dir().join(".generate.lock");
    let _lock = if args.check || args.explain || !run.store.inventory_dir().is_dir() {
        None
    } else {
        Some(crate::store::lock(&lock_path)?)
    };
    let staged_outcomes = parallel_map(&hosts, |host| {
        generate_host(&run, host).with_context(|| host.clone())
    });
    let outcomes = commit_all(staged_outcomes)?;

    let mut out = String::new();
    let mut json_hosts = Vec::new();
    let mut failures = Vec::new();
    let width = hosts.iter().map(String::len).max().unwrap_or(0);
    let (mut written, mut unchanged, mut differing) = (0usize, 0usize, 0usize);
    let mut tracked = Vec::new();
    for (host, outcome) in hosts.iter().zip(outcomes) {
        let o = match outcome {
            Ok(o) => o,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        for w in &o.warnings {
            eprintln!("warning: {host}: {w}");
        }
        written += o.written.len();
        unchanged += o.unchanged;
        differing += o.differences.len();
        let [cpu, memory, storage] = &o.tiers;
        let what = if args.check {
            if o.differences.is_empty() {
                "up to date".to_string()
            } else {
                format!("{} file(s) differ", o.differences.len())
            }
        } else if o.written.is_empty() {
            "unchanged".to_string()
        } else {
            let names: Vec<&str> = o
                .written
                .iter()
                .map(|p| p.rsplit('/').next().unwrap_or(p))
                .collect();
            format!("wrote {}", names.join(", "))
        };
        json_hosts.push(serde_json::json!({
            "host": host,
            "platform": o.platform,
            "tiers": {"cpu": cpu, "memory": memory, "storage": storage},
            "written": o.written,
            "unchanged": o.unchanged,
            "differences": o.differences,
            "warnings": o.warnings,
            "explain": if args.explain { o.explanation_json.clone() } else { serde_json::Value::Null },
        }));
        for d in &o.differences {
            out.push_str(d);
        }
        if args.explain {
            out.push_str(&o.explanation);
            tracked.extend(o.tracked);
            continue;
        }
        out.push_str(&format!(
            "{host:<width$}  {:<6}  cpu {cpu}, memory {memory}, storage {storage}  {what}\n",
            o.platform
        ));
        tracked.extend(o.tracked);
    }
    let ok = hosts.len() - failures.len();
    if args.explain {
    } else if args.check {
        out.push_str(&match differing {
            0 => format!("{ok} host(s) checked: every generated file is up to date\n"),
            n => format!(
                "{ok} host(s) checked: {n} file(s) differ from what `hwinv generate` would write\n"
            ),
        });
    } else {
        out.push_str(&format!(
            "{ok} host(s) generated: {written} file(s) written, {unchanged} unchanged\n"
        ));
    }
    if failures.len() == 1 && hosts.len() == 1 {
        // A single host: its error is the command's error, printed once by main.
        return Err(failures.remove(0));
    }
    if args.json {
        let failed: Vec<String> = failures
            .iter()
            .map(|e| one_line(&format!("{e:#}")))
            .collect();
        crate::commands::output::print_json(&serde_json::json!({
            "hosts": json_hosts,
            "failed": failed,
        }))?;
    } else {
        print_stdout(&out)?;
    }
    if !args.check && !args.explain {
        crate::store::git::track(run.store.root(), &tracked, args.git_add);
    }
    if !failures.is_empty() {
        for e in &failures {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
        }
        eprintln!("{} of {} host(s) failed", failures.len(), hosts.len());
        return Ok(Exit::Failure);
    }
    if args.check && differing > 0 {
        return Ok(Exit::Negative);
    }
    Ok(Exit::Success)
}

/// Make every staged file durable, rename them into place host by host, and make the renames durable.
/// A host whose files cannot all be renamed fails; the others are not affected.
fn commit_all(staged: Vec<Result<(Outcome, Vec<batch::Staged>)>>) -> Result<Vec<Result<Outcome>>> {
    let all: Vec<&batch::Staged> = staged
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .flat_map(|(_, files)| files.iter())
        .collect();
    if all.is_empty() {
        return Ok(staged.into_iter().map(|r| r.map(|(o, _)| o)).collect());
    }
    // On failure the staged files are dropped, which removes them: nothing was written.
    batch::flush_data(&all).context("nothing was written")?;
    let mut renamed = Vec::new();
    let outcomes = staged
        .into_iter()
        .map(|r| {
            let (outcome, files) = r?;
            let host = outcome.host.clone();
            for f in files {
                let target = f.target().to_path_buf();
                f.commit().with_context(|| host.clone())?;
                renamed.push(target);
            }
            Ok(outcome)
        })
        .collect();
    batch::flush_renames(&renamed)?;
    Ok(outcomes)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn print_stdout(s: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The hosts asked for, validated, without repeats, in the order given (`--all`: sorted).
fn select_hosts(store: &Store, args: &GenerateArgs) -> Result<Vec<String>> {
    if args.all {
        let hosts = store.hosts()?;
        if hosts.is_empty() {
            bail!(
                "no host in '{}': run `hwinv extract` first",
                store.inventory_dir().display()
            );
        }
        return Ok(hosts);
    }
    if args.hosts.is_empty() {
        bail!(
            "name the hosts to generate (`hwinv generate HOST…`), or use --all for every host in '{}'",
            store.inventory_dir().display()
        );
    }
    let mut hosts: Vec<String> = Vec::new();
    for h in &args.hosts {
        crate::model::hostname::validate(h)?;
        store.check_host(h)?;
        if !hosts.contains(h) {
            hosts.push(h.clone());
        }
    }
    Ok(hosts)
}

/// Where this run's rules and templates come from (an override in `<root>/templates/`, or built in).
fn provenance(root: &Path) -> Result<plan::Provenance> {
    let source = |name: &str, builtin: &str| -> Result<plan::Source> {
        let rel = format!("templates/{name}");
        match fs::read(root.join(&rel)) {
            Ok(bytes) => Ok(plan::Source {
                source: rel,
                sha256: plan::sha256_hex(&bytes),
            }),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(plan::Source {
                source: "built-in".into(),
                sha256: plan::sha256_hex(builtin.as_bytes()),
            }),
            Err(e) => {
                Err(e).with_context(|| format!("unable to read '{}'", root.join(&rel).display()))
            }
        }
    };
    let mut templates = BTreeMap::new();
    for (name, builtin) in BUILTINS.iter() {
        templates.insert((*name).to_string(), source(name, builtin)?);
    }
    Ok(plan::Provenance {
        rules: source("tiers.toml", DEFAULT_TIERS)?,
        templates,
    })
}

/// Read `path`, `None` when it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("unable to read '{}'", path.display())),
    }
}

/// The snapshot `latest.json` points at: its path relative to the root, and its bytes.
fn latest_snapshot(store: &Store, host: &str) -> Result<(String, Vec<u8>)> {
    let dir = store.host_dir(host)?;
    let latest = dir.join("latest.json");
    let rel = match fs::read_link(&latest) {
        Ok(target) => {
            // The name goes into generated comments: accept only what save_snapshot writes.
            let name = target
                .to_str()
                .filter(|n| crate::store::parse_snapshot_name(n).is_some());
            match name {
                Some(n) => format!("inventory/{host}/{n}"),
                None => bail!(
                    "inventory/{host}/latest.json points to {target:?}, not to a hardware_<stamp>.json beside it"
                ),
            }
        }
        Err(e) if e.kind() == ErrorKind::InvalidInput => format!("inventory/{host}/latest.json"),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            bail!("no snapshot for host '{host}' (inventory/{host}/latest.json): run `hwinv extract` first")
        }
        Err(e) => return Err(e).with_context(|| format!("unable to read '{}'", latest.display())),
    };
    let bytes = match fs::read(&latest) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            bail!("inventory/{host}/latest.json points to a missing file ({rel})")
        }
        Err(e) => return Err(e).with_context(|| format!("unable to read '{rel}'")),
    };
    Ok((rel, bytes))
}

/// Compute one host's files and stage the ones that change (nothing is visible until [`commit_all`]).
fn generate_host(run: &Run<'_>, host: &str) -> Result<(Outcome, Vec<batch::Staged>)> {
    let store = &run.store;
    let (snapshot_path, bytes) = latest_snapshot(store, host)?;
    let snapshot: crate::model::Snapshot = serde_json::from_slice(&bytes)
        .with_context(|| format!("'{snapshot_path}' is not a valid snapshot"))?;
    let class = run.tiers.classify(&snapshot);
    let plan = plan::build(
        &plan::Input {
            host,
            snapshot_path: &snapshot_path,
            snapshot_bytes: &bytes,
            snapshot: &snapshot,
            class: &class,
            nixos: run.nixos_hosts.contains(host),
        },
        &run.renderer,
        &run.provenance,
    )?;
    let gen_dir = store.generated_dir(host)?;
    let rel = |name: &str| format!("hosts/{host}/{name}");
    let mut outcome = Outcome {
        host: host.to_string(),
        platform: plan.platform,
        tiers: [
            class.cpu.name.clone(),
            class.memory.name.clone(),
            class.storage.name.clone(),
        ],
        warnings: plan.warnings.clone(),
        ..Outcome::default()
    };

    // configuration.nix imports ./hardware.nix, which extract copies there; bring it back if it is gone.
    let hw_path = gen_dir.join("hardware.nix");
    let hw_missing = !hw_path.exists();

    if run.args.explain {
        outcome.explanation = explain(host, &plan);
        outcome.explanation_json = serde_json::json!({
            "hardware_configuration": plan.hardware,
            "tuning": plan.tuning,
        });
        return Ok((outcome, Vec::new()));
    }
    if run.args.check {
        if hw_missing {
            outcome.differences.push(format!(
                "{} is missing (configuration.nix imports it; `hwinv generate {host}` restores it)\n",
                rel("hardware.nix")
            ));
        }
        for (name, new) in &plan.files {
            let old = read_optional(&gen_dir.join(name))?;
            if old.as_deref() == Some(new.as_slice()) {
                outcome.unchanged += 1;
            } else {
                outcome
                    .differences
                    .push(diff::unified(&rel(name), old.as_deref(), new));
            }
        }
        return Ok((outcome, Vec::new()));
    }

    let mut staged = Vec::new();
    let mut on_disk = Vec::with_capacity(plan.files.len());
    for (name, _) in &plan.files {
        on_disk.push(read_optional(&gen_dir.join(name))?);
    }
    if !run.args.force {
        refuse_hand_edits(
            host,
            &plan.files,
            &on_disk,
            &crate::commands::output::hwinv_command(store.root()),
        )?;
    }
    if hw_missing {
        let inv_copy = store.host_dir(host)?.join("hardware.nix");
        let nix = match read_optional(&inv_copy)? {
            Some(b) => b,
            None => crate::render::hardware_nix(store.root(), &snapshot, &class)?.into_bytes(),
        };
        staged.push(batch::stage(&hw_path, &nix)?);
        outcome.written.push(rel("hardware.nix"));
    }
    for ((name, new), old) in plan.files.iter().zip(&on_disk) {
        if old.as_deref() == Some(new.as_slice()) {
            outcome.unchanged += 1;
            continue;
        }
        staged.push(batch::stage(&gen_dir.join(name), new)?);
        outcome.written.push(rel(name));
    }
    outcome.tracked = plan
        .files
        .iter()
        .map(|(name, _)| gen_dir.join(name))
        .chain([hw_path, store.host_dir(host)?.join("hardware.nix")])
        .collect();
    Ok((outcome, staged))
}

/// `--explain` for one host: each option, its value and the fact behind it.
fn explain(host: &str, plan: &plan::Plan) -> String {
    let mut s = format!("{host} ({})\n", plan.platform);
    let mut line = |option: &str, value: &str, because: &str| {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        s.push_str(&format!("  {option} = {value}\n      because {because}\n"));
    };
    if let Some(h) = &plan.hardware {
        for c in h.imports.iter().chain(&h.choices) {
            line(&c.option, &c.value, &c.because);
        }
    }
    for c in &plan.tuning {
        line(&c.option, &c.value, &c.because);
    }
    if let Some(h) = plan.hardware.as_ref().filter(|h| !h.left_out.is_empty()) {
        s.push_str("  left out, for want of a fact:\n");
        for l in &h.left_out {
            s.push_str(&format!("    {l}\n"));
        }
    }
    s
}

/// The hosts leaf-config.nix (beside inventory/) marks as NixOS machines.
fn nixos_hosts(root: &Path) -> Result<std::collections::BTreeSet<String>> {
    let path = root.join("leaf-config.nix");
    if !path.exists() {
        return Ok(Default::default());
    }
    Ok(crate::config::fleet::nixos_hosts(&path)?
        .into_iter()
        .collect())
}

/// Fail, naming every file, when a generated file on disk is neither what we would write now nor what
/// metadata.json says we wrote last time: a person changed it.
fn refuse_hand_edits(
    host: &str,
    files: &[(&'static str, Vec<u8>)],
    on_disk: &[Option<Vec<u8>>],
    hwinv: &str,
) -> Result<()> {
    let meta_index = files.iter().position(|(n, _)| *n == plan::METADATA);
    // Only the file hashes are needed, so metadata written by another hwinv version still vouches for
    // its files.
    #[derive(serde::Deserialize)]
    struct Recorded {
        files: BTreeMap<String, String>,
    }
    let recorded: Option<Recorded> = meta_index
        .and_then(|i| on_disk[i].as_deref())
        .and_then(|b| serde_json::from_slice(b).ok());
    let mut edited = Vec::new();
    for ((name, new), old) in files.iter().zip(on_disk) {
        let Some(old) = old else { continue };
        if old == new {
            continue;
        }
        let ours = if *name == plan::METADATA {
            recorded.is_some()
        } else {
            recorded
                .as_ref()
                .and_then(|m| m.files.get(*name))
                .is_some_and(|h| *h == plan::sha256_hex(old))
        };
        if !ours {
            edited.push(format!("hosts/{host}/{name}"));
        }
    }
    if edited.is_empty() {
        return Ok(());
    }
    let (list, verb) = match edited.as_slice() {
        [one] => (one.clone(), "was"),
        [rest @ .., last] => (format!("{} and {last}", rest.join(", ")), "were"),
        [] => return Ok(()),
    };
    Err(anyhow!(
        "refusing to overwrite {list}: {verb} changed by hand since hwinv generated it (see hosts/{host}/metadata.json); \
         nothing was written for {host}. See the changes with `{hwinv} generate {host} --check`, keep what you need in \
         hosts/{host}/local.nix, then overwrite with `{hwinv} generate {host} --force`"
    ))
}

/// `f` over `items` on a few threads (file writes wait on the disk more than on the CPU), results in order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(4, |n| n.get() * 2)
        .clamp(2, 16)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok(done) => {
                    for (i, r) in done {
                        slots[i] = Some(r);
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    // Every index below items.len() was taken by exactly one worker, so every slot is filled.
    slots.into_iter().flatten().collect()
}
