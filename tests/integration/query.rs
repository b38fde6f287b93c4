//! Fleet queries on a fixture fleet: every real capture in tests/fixtures/hosts replayed through
//! `hwinv extract --replay --name`, then given fixed collection times so outputs are stable. Covers
//! `hosts` (every format and the query language, errors included), `show`, `compare`, `diff`, `events`,
//! the query index, the seed's jq loops, and the real `ansible-inventory` reading the Ansible output.

use crate::util::{hwinv, repo, run};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Find a tool on PATH (ansible-inventory lives in a Python environment); panic when absent.
pub fn on_path(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain(["/usr/local/bin".into(), "/usr/bin".into()]) {
        let p = dir.join(tool);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "required tool '{tool}' is not installed: run scripts/setup.sh (it installs ansible-core)"
    );
}

fn fixture_hosts() -> Vec<(String, PathBuf)> {
    let mut dirs: Vec<(String, PathBuf)> = fs::read_dir(repo().join("tests/fixtures/hosts"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| (e.file_name().into_string().unwrap(), e.path()))
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected the fixture hosts in tests/fixtures/hosts"
    );
    dirs
}

/// Give a host's latest snapshot the collection time `at` (renaming the file and moving latest.json),
/// optionally changing its content; returns the new file name.
pub fn restamp(root: &Path, host: &str, at: &str, edit: impl FnOnce(&mut Value)) -> String {
    let dir = root.join("inventory").join(host);
    let old = fs::read_link(dir.join("latest.json")).unwrap();
    let mut v: Value = serde_json::from_slice(&fs::read(dir.join(&old)).unwrap()).unwrap();
    v["collected_at"] = json!(at);
    edit(&mut v);
    let stamp: String = at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let name = format!("hardware_{stamp}.json");
    fs::write(
        dir.join(&name),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
    if old.to_str() != Some(name.as_str()) {
        fs::remove_file(dir.join(&old)).unwrap();
    }
    let _ = fs::remove_file(dir.join("latest.json"));
    std::os::unix::fs::symlink(&name, dir.join("latest.json")).unwrap();
    name
}

/// Add an older snapshot beside the latest one (for `diff`).
fn add_older(root: &Path, host: &str, at: &str, edit: impl FnOnce(&mut Value)) {
    let dir = root.join("inventory").join(host);
    let latest = fs::read_link(dir.join("latest.json")).unwrap();
    let mut v: Value = serde_json::from_slice(&fs::read(dir.join(&latest)).unwrap()).unwrap();
    v["collected_at"] = json!(at);
    edit(&mut v);
    let stamp: String = at.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    fs::write(
        dir.join(format!("hardware_{stamp}.json")),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
}

/// Build a fixture fleet into `root`.
pub fn build_fleet(root: &Path) {
    for (i, (name, dir)) in fixture_hosts().iter().enumerate() {
        let (code, _, err) = run(hwinv(root)
            .args(["extract", "--name", name, "--replay"])
            .arg(dir));
        assert_eq!(code, 0, "replaying {name}: {err}");
        // The replay target is an absolute path to this checkout; make it the same everywhere.
        let target = format!("tests/fixtures/hosts/{name}");
        restamp(root, name, &format!("2026-11-20T10:{i:02}:00Z"), |v| {
            v["source"]["target"] = json!(target)
        });
    }
    // mac-m1pro had 16 GB, an older macOS and no USB disk three weeks earlier.
    add_older(root, "mac-m1pro", "2026-11-01T09:00:00Z", |v| {
        v["hardware"]["memory_gb"] = json!(16);
        v["hardware"]["memory"]["total_bytes"] = json!(17_179_869_184u64);
        v["os"]["version"] = json!("14.3");
        v["os"]["build"] = json!("23D56");
        v["disks"]
            .as_array_mut()
            .unwrap()
            .retain(|d| d["name"] != "disk7");
    });
    // linux-dual-2070 had one GPU on an older driver.
    add_older(root, "linux-dual-2070", "2026-10-15T12:00:00Z", |v| {
        let gpus = v["gpus"].as_array_mut().unwrap();
        gpus.truncate(1);
        gpus[0]["driver_version"] = json!("580.95.05");
        gpus[0]["cuda_version"] = json!("13.0");
        v["warnings"] = json!(["an old warning"]);
    });
    fs::remove_file(root.join("inventory/events.jsonl")).unwrap();
}

/// One fixture fleet shared by the tests that only read it (queries may refresh its index, atomically).
fn fleet() -> &'static Path {
    static FLEET: OnceLock<PathBuf> = OnceLock::new();
    FLEET.get_or_init(|| {
        // Shared fleets live in target/tmp; drop those left by earlier runs (older than an hour).
        for e in fs::read_dir(env!("CARGO_TARGET_TMPDIR"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok());
            if e.file_name().to_string_lossy().starts_with("query-fleet-")
                && old.is_some_and(|d| d.as_secs() > 3600)
            {
                let _ = fs::remove_dir_all(e.path());
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("query-fleet-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap()
            .keep();
        build_fleet(&dir);
        dir
    })
}

/// Run hwinv on the shared fleet; (code, stdout, stderr).
fn q(args: &[&str]) -> (i32, String, String) {
    run(hwinv(fleet()).args(args))
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = q(args);
    assert_eq!(code, 0, "hwinv {args:?} failed: {err}");
    out
}

fn names(args: &[&str]) -> Vec<String> {
    let mut a = vec!["hosts", "--format", "names"];
    a.extend(args);
    let (code, out, err) = q(&a);
    assert!(code == 0 || code == 1, "{args:?}: {err}");
    out.lines().map(String::from).collect()
}

/// Exit 2 with one line `error: ...` that contains every `want`.
fn fails(args: &[&str], want: &[&str]) {
    let (code, out, err) = q(args);
    assert_eq!(code, 2, "expected an error from {args:?}; stdout: {out}");
    assert!(out.is_empty(), "nothing on stdout on error: {out}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for w in want {
        assert!(
            err.contains(w),
            "error for {args:?} should contain {w:?}: {err}"
        );
    }
}

#[test]
fn default_table() {
    insta::assert_snapshot!("hosts_table", ok(&["hosts"]));
}

#[test]
fn every_output_format() {
    insta::assert_snapshot!("hosts_json", ok(&["hosts", "--format", "json"]));
    insta::assert_snapshot!(
        "hosts_csv",
        ok(&["hosts", "--format", "csv", "--where", "os == linux"])
    );
    insta::assert_snapshot!(
        "hosts_ansible",
        ok(&["hosts", "--format", "ansible", "--where", "memory_gb >= 16"])
    );
    insta::assert_snapshot!(
        "hosts_columns",
        ok(&[
            "hosts",
            "--columns",
            "host,p_cores,e_cores,hardware.cpu.translated,gpus.cores,system",
            "--where",
            "os == macos"
        ])
    );
    // Every JSON row is typed as the field catalogue says.
    let rows: Vec<Value> = serde_json::from_str(&ok(&["hosts", "-f", "json"])).unwrap();
    assert_eq!(rows.len(), fixture_hosts().len());
    for r in &rows {
        assert!(
            r["memory_gb"].is_u64() && r["cores"].is_u64() && r["host"].is_string(),
            "{r}"
        );
        assert!(r["snapshot"].as_str().unwrap().starts_with(&format!(
            "inventory/{}/hardware_",
            r["host"].as_str().unwrap()
        )));
    }
    // CSV has one line per host plus the header, all with the same number of fields.
    let csv = ok(&["hosts", "--format", "csv"]);
    assert_eq!(csv.lines().count(), rows.len() + 1);
}

#[test]
fn query_language_on_the_fixture_fleet() {
    let cases: Vec<(&str, Vec<String>)> = [
        "memory_gb >= 32",
        "os == \"macos\"",
        "memory_gb >= 32 and os == macos",
        "hardware.cpu_cores >= 16",
        "cores >= 16 or gpus.count >= 1",
        "gpus.count >= 2",
        "gpu.vram_gb >= 40",
        "gpu.name ~ 'rtx|a100'",
        "cpu ~ xeon",
        "cpu ~ \"^apple m1\" and not translated",
        "translated",
        "not (os == linux)",
        "os_version >= 14 and os == macos",
        "disk_gb >= 1000",
        "model == null",
        "arch == aarch64 || arch == arm64",
        "system_info.nix_system == x86_64-darwin",
        "hardware.cpu.sockets > 1",
        "sections.lsblk.status == timed_out",
        "last_seen < \"2026-11-20T10:05:00Z\"",
    ]
    .iter()
    .map(|q| (*q, names(&["--where", q])))
    .collect();
    let mut text = String::new();
    for (q, hosts) in &cases {
        text.push_str(&format!(
            "{q}\n    {}\n",
            if hosts.is_empty() {
                "(none)".into()
            } else {
                hosts.join(" ")
            }
        ));
    }
    insta::assert_snapshot!("query_results", text);
    // Two --where are one `and`.
    assert_eq!(
        names(&["--where", "memory_gb >= 32", "--where", "os == macos"]),
        names(&["--where", "memory_gb >= 32 and os == macos"])
    );
    // Spot checks against the fixtures' known facts, independent of the snapshot.
    assert!(cases[0].1.contains(&"mac-m1pro".to_string()));
    assert!(!cases[0].1.contains(&"mac-m1-air".to_string()));
    assert_eq!(cases[6].1, ["linux-gpu-a100"]);
    assert_eq!(cases[10].1, ["mac-rosetta"]);
}

#[test]
fn no_match_exits_1_and_bad_queries_name_the_field() {
    let (code, out, err) = q(&["hosts", "--where", "memory_gb > 4096"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert_eq!(err.trim(), "no host matches");
    let (code, out, _) = q(&["hosts", "--where", "memory_gb > 4096", "--format", "json"]);
    assert_eq!((code, out.as_str()), (1, "[]\n"));
    fails(
        &["hosts", "--where", "memroy_gb >= 32"],
        &["unknown field 'memroy_gb'", "did you mean 'memory_gb'"],
    );
    fails(
        &["hosts", "--where", "memory_gb >= \"lots\""],
        &[
            "type error",
            "field 'memory_gb' is a number",
            "\"lots\" is text",
        ],
    );
    fails(
        &["hosts", "--where", "os ~ 3 or memory_gb ~ 3"],
        &["field 'memory_gb' is a number: '~' matches text only"],
    );
    fails(
        &["hosts", "--where", "memory_gb"],
        &["field 'memory_gb' is a number, not a condition"],
    );
    fails(
        &["hosts", "--where", "memory_gb >="],
        &[
            "invalid query 'memory_gb >='",
            "expected a value after '>='",
        ],
    );
    fails(
        &["hosts", "--where", "hardware"],
        &["field 'hardware' is a group"],
    );
    fails(
        &["hosts", "--columns", "host,nope"],
        &["unknown field 'nope'"],
    );
    fails(
        &["hosts", "--sort", "hardware.cpu"],
        &["invalid --sort", "is a group"],
    );
    // On an empty inventory the same mistakes are still errors, not empty results.
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(empty.path()).args(["hosts", "--where", "memroy_gb >= 32"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown field 'memroy_gb'"), "{err}");
    let (code, out, err) = run(hwinv(empty.path()).args(["hosts"]));
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.starts_with("no hosts in"), "{err}");
}

#[test]
fn sort_reverse_and_fields_listing() {
    let by_mem = ok(&[
        "hosts",
        "-f",
        "names",
        "--sort",
        "memory_gb",
        "--reverse",
        "--where",
        "os == macos",
    ]);
    let first: Vec<&str> = by_mem.lines().take(3).collect();
    assert!(
        first
            .iter()
            .all(|h| ["mac-m1pro", "mac-rosetta", "mac-imacpro"].contains(h)),
        "{by_mem}"
    );
    insta::assert_snapshot!("hosts_fields", ok(&["hosts", "--fields"]));
    let help = ok(&["hosts", "--help"]);
    assert!(
        help.contains("QUERY LANGUAGE") && help.contains("gpu.vram_gb >= 24"),
        "{help}"
    );
}

#[test]
fn ansible_inventory_accepts_the_output() {
    let tool = on_path("ansible-inventory");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("hwinv-inventory.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\n# Ansible calls dynamic inventories with --list (and --host NAME, unneeded with _meta).\nif [ \"$1\" = --list ]; then exec '{}' --root '{}' hosts --format ansible; fi\necho '{{}}'\n",
            env!("CARGO_BIN_EXE_hwinv"),
            fleet().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let out = Command::new(&tool)
        .arg("-i")
        .arg(&script)
        .arg("--list")
        .env("HOME", dir.path())
        .env("ANSIBLE_LOCAL_TEMP", dir.path().join("tmp"))
        .env("ANSIBLE_INVENTORY_UNPARSED_FAILED", "true")
        .env("ANSIBLE_INVENTORY_ENABLED", "script")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "ansible-inventory failed: {stderr}");
    assert!(!stderr.contains("WARNING"), "ansible warned: {stderr}");
    let inv: Value = serde_json::from_slice(&out.stdout).unwrap();
    let hostvars = &inv["_meta"]["hostvars"];
    assert_eq!(hostvars.as_object().unwrap().len(), fixture_hosts().len());
    assert_eq!(hostvars["mac-m1pro"]["hwinv_memory_gb"], 32);
    assert_eq!(hostvars["mac-m1pro"]["hwinv_os"], "macos");
    assert_eq!(
        hostvars["linux-gpu-a100"]["hwinv_gpus"],
        json!(["NVIDIA A100-SXM4-80GB"])
    );
    let group = |g: &str| -> Vec<String> {
        let mut v: Vec<String> = inv[g]["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(group("macos"), names(&["--where", "os == macos"]));
    assert_eq!(group("linux"), names(&["--where", "os == linux"]));
}

#[test]
fn show_snapshots_by_time() {
    insta::assert_snapshot!("show_mac_m1pro", ok(&["show", "mac-m1pro"]));
    insta::assert_snapshot!("show_list", ok(&["show", "mac-m1pro", "--list"]));
    // JSON is the file itself.
    let latest = fs::read(fleet().join("inventory/mac-m1pro/latest.json")).unwrap();
    assert_eq!(
        ok(&["show", "mac-m1pro", "--format", "json"]).as_bytes(),
        latest
    );
    // --at picks the newest snapshot at or before the time, in every accepted form.
    let older =
        fs::read(fleet().join("inventory/mac-m1pro/hardware_20261101T090000Z.json")).unwrap();
    for at in [
        "2026-11-01T09:00:00Z",
        "20261101T090000Z",
        "2026-11-10",
        "2026-11-01T11:00:00+02:00",
        "hardware_20261101T090000Z.json",
    ] {
        assert_eq!(
            ok(&["show", "mac-m1pro", "--at", at, "-f", "json"]).as_bytes(),
            older,
            "--at {at}"
        );
    }
    assert_eq!(
        ok(&["show", "mac-m1pro", "--at", "2026-11-21", "-f", "json"]).as_bytes(),
        latest
    );
    fails(
        &["show", "mac-m1pro", "--at", "2026-10-01"],
        &[
            "no snapshot at or before 2026-10-01T23:59:59Z",
            "oldest is from 2026-11-01T09:00:00Z",
        ],
    );
    fails(
        &["show", "mac-m1pro", "--at", "last tuesday"],
        &["invalid --at 'last tuesday'"],
    );
    fails(&["show", "no-such-host"], &["no host 'no-such-host' in"]);
    fails(&["show", "../etc"], &["invalid host name"]);
}

#[test]
fn compare_side_by_side() {
    insta::assert_snapshot!(
        "compare_macs",
        ok(&["compare", "mac-m1pro", "mac-rosetta", "mac-m1-air"])
    );
    insta::assert_snapshot!(
        "compare_gpu_boxes_differences",
        ok(&["compare", "-d", "linux-gpu-a100", "linux-dual-2070"])
    );
    let doc: Value =
        serde_json::from_str(&ok(&["compare", "mac-m1pro", "linux-rpi4", "-f", "json"])).unwrap();
    assert_eq!(doc["differs"], true);
    let mem = doc["facts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fact"] == "memory_gb")
        .unwrap();
    assert_eq!(mem["values"], json!([32, 4]));
    assert_eq!(mem["differs"], true);
    // --exit-code: 1 when they differ; a host compared with itself does not.
    assert_eq!(
        q(&["compare", "--exit-code", "mac-m1pro", "linux-rpi4"]).0,
        1
    );
    assert_eq!(
        q(&["compare", "--exit-code", "mac-m1pro", "mac-m1pro"]).0,
        0
    );
    // Color only when asked (or on a terminal).
    assert!(
        ok(&["compare", "--color", "always", "mac-m1pro", "linux-rpi4"]).contains("\x1b[1;33m")
    );
    assert!(!ok(&["compare", "mac-m1pro", "linux-rpi4"]).contains('\x1b'));
    fails(
        &["compare", "mac-m1pro", "nope"],
        &["no host 'nope' in", "known hosts: linux-dual-2070"],
    );
}

#[test]
fn diff_between_snapshots() {
    insta::assert_snapshot!("diff_mac_m1pro", ok(&["diff", "mac-m1pro"]));
    insta::assert_snapshot!("diff_dual_2070", ok(&["diff", "linux-dual-2070"]));
    insta::assert_snapshot!(
        "diff_dual_2070_all",
        ok(&["diff", "linux-dual-2070", "--all"])
    );
    let doc: Value = serde_json::from_str(&ok(&["diff", "mac-m1pro", "-f", "json"])).unwrap();
    let changes = doc["changes"].as_array().unwrap();
    assert!(changes.contains(
        &json!({"path": "hardware.memory_gb", "change": "changed", "from": 16, "to": 32})
    ));
    assert!(changes
        .iter()
        .any(|c| c["path"] == "disks[disk7]" && c["change"] == "added"));
    assert_eq!(
        doc["from"]["snapshot"],
        "inventory/mac-m1pro/hardware_20261101T090000Z.json"
    );
    // --from/--to choose snapshots; the same snapshot twice has no changes.
    let same = ok(&[
        "diff",
        "mac-m1pro",
        "--from",
        "2026-11-05",
        "--to",
        "2026-11-05",
    ]);
    assert!(same.ends_with("no hardware changes\n"), "{same}");
    assert_eq!(q(&["diff", "--exit-code", "mac-m1pro"]).0, 1);
    assert_eq!(
        q(&[
            "diff",
            "--exit-code",
            "mac-m1pro",
            "--from",
            "2026-11-05",
            "--to",
            "2026-11-05"
        ])
        .0,
        0
    );
    fails(
        &["diff", "linux-rpi4"],
        &["host 'linux-rpi4' has only one snapshot"],
    );
    fails(
        &["diff", "mac-m1pro", "--from", "x"],
        &["invalid --from 'x'"],
    );
}

fn event(time: &str, kind: &str, host: &str, details: Value) -> String {
    json!({"time": time, "type": kind, "host": host, "details": details}).to_string() + "\n"
}

#[test]
fn events_filtered_by_type_host_and_time() {
    let root = tempfile::tempdir().unwrap();
    let log = [
        event(
            "2026-11-20T10:00:00Z",
            "inventory.fleet.started",
            "*",
            json!({"file": "hosts.txt", "hosts": 3, "jobs": 16}),
        ),
        event(
            "2026-11-20T10:00:00Z",
            "inventory.extraction.started",
            "mac-prod-01",
            json!({"transport": "ssh", "target": "10.0.0.1"}),
        ),
        event(
            "2026-11-20T10:00:01Z",
            "inventory.extraction.started",
            "mac-prod-02",
            json!({"transport": "ssh", "target": "10.0.0.2"}),
        ),
        event(
            "2026-11-20T10:00:02Z",
            "inventory.hardware.discovered",
            "mac-prod-01",
            json!({"cpu_type": "Apple M2 Max", "memory_gb": 64}),
        ),
        event(
            "2026-11-20T10:00:02Z",
            "inventory.extraction.completed",
            "mac-prod-01",
            json!({"target": "10.0.0.1", "seconds": 1.2}),
        ),
        event(
            "2026-11-20T10:01:00Z",
            "inventory.extraction.failed",
            "mac-prod-02",
            json!({"target": "10.0.0.2", "error": "timed out after 60s"}),
        ),
        "{\"torn line from a crash\n".to_string(),
        event(
            "2026-11-21T08:00:00Z",
            "telemetry.sample.written",
            "mac-prod-01",
            json!({"rows": 10}),
        ),
        event(
            "2026-11-21T09:00:00Z",
            "inventory.fleet.completed",
            "*",
            json!({"ok": 1, "failed": 1}),
        ),
    ]
    .concat();
    fs::create_dir_all(root.path().join("inventory")).unwrap();
    fs::write(root.path().join("inventory/events.jsonl"), log).unwrap();
    let ev = |args: &[&str]| -> (i32, String, String) {
        run(hwinv(root.path()).arg("events").args(args))
    };
    let mut text = String::new();
    for args in [
        vec![],
        vec!["--type", "inventory", "--host", "mac-prod-01"],
        vec!["--type", "inventory.extraction.failed"],
        vec!["--type", "*.failed", "--type", "*.completed"],
        vec!["--since", "2026-11-21"],
        vec![
            "--since",
            "2026-11-20T10:00:02Z",
            "--until",
            "2026-11-20T10:01:00Z",
        ],
        vec!["--last", "2"],
    ] {
        let (code, out, err) = ev(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        text.push_str(&format!("$ hwinv events {}\n{out}\n", args.join(" ")));
    }
    insta::assert_snapshot!("events_filters", text);
    let (code, out, _) = ev(&["--host", "mac-prod-02", "--format", "json"]);
    assert_eq!(code, 0);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["details"]["error"], "timed out after 60s");
    let (code, out, err) = ev(&["--host", "nobody"]);
    assert_eq!((code, out.as_str(), err.trim()), (1, "", "no events match"));
    let (code, _, err) = ev(&["--since", "last week"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid --since 'last week'"), "{err}");

    // Relative times against real events written just now by a real extraction.
    let (code, _, err) = run(hwinv(root.path())
        .args(["extract", "--name", "fresh", "--replay"])
        .arg(fixture_hosts()[0].1.clone()));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = ev(&["--since", "1h", "--type", "inventory", "--host", "fresh"]);
    assert_eq!(code, 0, "{err}");
    let kinds: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "inventory.extraction.started",
            "inventory.hardware.discovered",
            "inventory.extraction.completed"
        ]
    );
}

#[test]
fn seed_jq_loops_keep_working() {
    let jq = crate::util::require("jq");
    let script = format!(
        "cd '{}' && for f in inventory/*/latest.json; do \
           '{jq}' -r '\"CPU: \\(.hardware.cpu_type), Cores: \\(.hardware.cpu_cores), RAM: \\(.hardware.memory_gb)GB\"' \"$f\"; \
         done && echo --- && '{jq}' -r 'select(.hardware.memory_gb >= 32) | .system_info.hostname' inventory/*/latest.json",
        fleet().display(),
        jq = jq.display()
    );
    let out = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let (loop1, loop2) = text.split_once("---\n").unwrap();
    assert_eq!(
        loop1.lines().count(),
        fixture_hosts().len(),
        "the query cache is not a host: {loop1}"
    );
    assert!(
        loop1.contains("CPU: Apple M1 Pro, Cores: 10, RAM: 32GB"),
        "{loop1}"
    );
    let mut big: Vec<&str> = loop2.lines().collect();
    big.sort_unstable();
    assert_eq!(big, names(&["--where", "memory_gb >= 32"]));
}

/// Every snapshot file under a root, with its bytes.
fn snapshots(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    crate::util::tree(&root.join("inventory"))
        .into_iter()
        .filter(|(p, _)| !p.components().any(|c| c.as_os_str() == ".cache"))
        .collect()
}

#[test]
fn index_follows_the_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (name, cap) in fixture_hosts().iter().take(4) {
        let (code, _, err) = run(hwinv(root)
            .args(["extract", "--name", name, "--replay"])
            .arg(cap));
        assert_eq!(code, 0, "{err}");
    }
    let before = snapshots(root);
    let list = |args: &[&str]| {
        let (code, out, err) = run(hwinv(root).args(["hosts", "-f", "json"]).args(args));
        assert!(code <= 1, "{err}");
        serde_json::from_str::<Vec<Value>>(&out).unwrap()
    };
    let first = list(&[]);
    assert_eq!(first.len(), 4);
    let index = root.join("inventory/.cache/hosts-index.json");
    assert!(index.exists(), "the first query writes the index");
    assert_eq!(
        fs::read_to_string(root.join("inventory/.cache/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    assert_eq!(snapshots(root), before, "queries never touch the snapshots");
    // A new snapshot is seen at once (latest.json points at a new file).
    let host = first[0]["host"].as_str().unwrap().to_string();
    restamp(root, &host, "2030-01-01T00:00:00Z", |v| {
        v["hardware"]["memory_gb"] = json!(999)
    });
    let again = list(&["--where", "memory_gb == 999"]);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0]["host"], host.as_str());
    assert_eq!(again[0]["last_seen"], "2030-01-01T00:00:00Z");
    // A corrupt or foreign index is ignored and rebuilt.
    fs::write(&index, b"{ not json").unwrap();
    assert_eq!(list(&[]).len(), 4);
    assert!(serde_json::from_slice::<Value>(&fs::read(&index).unwrap()).is_ok());
    // A removed host disappears; a broken snapshot is skipped with a warning naming it.
    fs::remove_dir_all(
        root.join("inventory")
            .join(first[1]["host"].as_str().unwrap()),
    )
    .unwrap();
    let broken = first[2]["host"].as_str().unwrap().to_string();
    restamp(root, &broken, "2030-01-02T00:00:00Z", |v| {
        v["hardware"] = json!("oops")
    });
    let (code, out, err) = run(hwinv(root).args(["hosts", "-f", "names"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        err.contains(&format!("warning: skipping host '{broken}'"))
            && err.contains("not a valid snapshot"),
        "{err}"
    );
    // Fields outside the index are read from the snapshots themselves.
    let (code, out, err) = run(hwinv(root).args([
        "hosts",
        "-f",
        "names",
        "--where",
        "sections.uname.status == ok",
    ]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 2);
}
