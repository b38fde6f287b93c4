//! End-to-end extraction: this machine, a real sshd on loopback serving this machine and a simulated
//! macOS host, replayed captures, and every failure mode leaving the inventory untouched.

use crate::util::{hwinv, require, run, tree, FakeMac, Sshd};
use serde_json::Value;
use std::fs;
use std::path::Path;
use std::process::Command;

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn events(root: &Path) -> Vec<Value> {
    fs::read_to_string(root.join("inventory/events.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn event_types(root: &Path) -> Vec<String> {
    events(root)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// Evaluate a Nix file strictly with the real nix-instantiate and return it as JSON.
pub fn nix_eval_json(file: &Path) -> Value {
    let nix = require("nix-instantiate");
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nix-instantiate rejected {}: {}\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr),
        fs::read_to_string(file).unwrap_or_default()
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The parts of a snapshot that must not change between two runs on unchanged hardware.
fn hardware_part(v: &Value) -> Value {
    let mut v = v.clone();
    let o = v.as_object_mut().unwrap();
    o.remove("collected_at");
    o.remove("source");
    // Service states are volatile facts, not hardware.
    o.remove("services");
    // Addresses and link state are configuration, not hardware, but interface names and MACs are.
    for n in o["network_interfaces"].as_array_mut().unwrap() {
        n.as_object_mut().unwrap().remove("addresses");
        n.as_object_mut().unwrap().remove("state");
    }
    v
}

fn host_dir(root: &Path) -> std::path::PathBuf {
    let inv = root.join("inventory");
    let mut dirs: Vec<_> = fs::read_dir(&inv)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.path())
        .collect();
    assert_eq!(
        dirs.len(),
        1,
        "one host directory expected in {}",
        inv.display()
    );
    dirs.pop().unwrap()
}

#[test]
fn local_extract_writes_snapshot_symlink_nix_copy_and_events() {
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path()).arg("extract"));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let dir = host_dir(root.path());
    let host = dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(out.contains(&format!("host      {host}")), "{out}");
    let latest = dir.join("latest.json");
    let target = fs::read_link(&latest).unwrap();
    assert!(
        target.is_relative() && target.to_str().unwrap().starts_with("hardware_"),
        "{target:?}"
    );
    let snap = json(&latest);
    assert_eq!(snap["system_info"]["hostname"], host.as_str());
    assert_eq!(snap["os"]["family"], "linux");
    assert!(snap["hardware"]["cpu_cores"].as_u64().unwrap() >= 1);
    assert!(snap["hardware"]["memory_gb"].as_u64().unwrap() >= 1);
    assert_eq!(snap["schema_version"], 1);
    let nix = dir.join("hardware.nix");
    assert_eq!(
        fs::read(&nix).unwrap(),
        fs::read(root.path().join("hosts").join(&host).join("hardware.nix")).unwrap()
    );
    let facts = nix_eval_json(&nix);
    assert_eq!(facts["system"]["hostname"], host.as_str());
    assert_eq!(
        facts["hardware"]["memory"]["sizeGB"],
        snap["hardware"]["memory_gb"]
    );
    assert_eq!(
        event_types(root.path()),
        [
            "inventory.extraction.started",
            "inventory.hardware.discovered",
            "inventory.extraction.completed"
        ]
    );

    // A second run adds a snapshot, never replaces one, moves latest, and records identical hardware.
    let (code, _, err) = run(hwinv(root.path()).arg("extract"));
    assert_eq!(code, 0, "{err}");
    let snaps: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_str().unwrap().starts_with("hardware_"))
        .collect();
    assert_eq!(snaps.len(), 2);
    let newest = fs::read_link(&latest).unwrap();
    assert_ne!(newest, target);
    assert_eq!(hardware_part(&json(&latest)), hardware_part(&snap));
}

#[test]
fn json_flag_prints_the_snapshot() {
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path()).args(["extract", "--json"]));
    assert_eq!(code, 0, "{err}");
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed, json(&host_dir(root.path()).join("latest.json")));
}

#[test]
fn ssh_extract_of_this_machine_matches_local_extract() {
    let sshd = Sshd::start(None);
    let local = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(local.path()).arg("extract"));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(hwinv(remote.path()).arg("extract").args(sshd.hwinv_args()));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let l = json(&host_dir(local.path()).join("latest.json"));
    let r = json(&host_dir(remote.path()).join("latest.json"));
    assert_eq!(r["source"]["transport"], "ssh");
    assert_eq!(
        hardware_part(&l),
        hardware_part(&r),
        "local and remote share every line of parsing"
    );
    nix_eval_json(&host_dir(remote.path()).join("hardware.nix"));
}

fn mac_sshd(mac: &FakeMac) -> (Sshd, tempfile::TempDir) {
    let bin_dir = tempfile::tempdir().unwrap();
    let bin = mac.install(bin_dir.path());
    let force = format!(
        "PATH={}:$PATH; export PATH; eval \"$SSH_ORIGINAL_COMMAND\"",
        bin.display()
    );
    (Sshd::start(Some(&force)), bin_dir)
}

#[test]
fn simulated_macos_host_over_ssh() {
    let (sshd, _bin) = mac_sshd(&FakeMac::m1_pro());
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path()).arg("extract").args(sshd.hwinv_args()));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    let dir = root.path().join("inventory/mac-studio-1");
    let snap = json(&dir.join("latest.json"));
    assert_eq!(snap["os"]["family"], "macos");
    assert_eq!(snap["system_info"]["architecture"], "arm64");
    assert_eq!(snap["system_info"]["nix_system"], "aarch64-darwin");
    assert_eq!(snap["system_info"]["model"], "MacBookPro18,1");
    assert_eq!(snap["hardware"]["cpu_type"], "Apple M1 Pro");
    assert_eq!(snap["hardware"]["cpu_cores"], 10);
    assert_eq!(snap["hardware"]["cpu"]["performance_cores"], 8);
    assert_eq!(snap["hardware"]["cpu"]["efficiency_cores"], 2);
    assert_eq!(snap["hardware"]["memory_gb"], 32);
    assert_eq!(snap["hardware"]["memory"]["total_bytes"], 34_359_738_368u64);
    let facts = nix_eval_json(&dir.join("hardware.nix"));
    assert_eq!(facts["system"]["platform"], "darwin");
    assert_eq!(facts["performance"]["maxConcurrency"], "medium");
    assert_eq!(facts["performance"]["memoryPressure"]["threshold"], 85);
    assert_eq!(facts["storage"]["jetstream"]["maxMemoryStore"], "8GB");
}

#[test]
fn rosetta_translated_probe_reports_the_real_architecture() {
    let mut mac = FakeMac::m1_pro();
    mac.uname_m = "x86_64".into();
    mac.translated = Some("1");
    let (sshd, _bin) = mac_sshd(&mac);
    let root = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(root.path()).arg("extract").args(sshd.hwinv_args()));
    assert_eq!(code, 0, "{err}");
    let snap = json(&root.path().join("inventory/mac-studio-1/latest.json"));
    assert_eq!(snap["system_info"]["architecture"], "arm64");
    assert_eq!(snap["system_info"]["nix_system"], "aarch64-darwin");
    assert_eq!(snap["hardware"]["cpu"]["translated"], true);
}

#[test]
fn hostile_strings_stay_inside_nix_strings() {
    let mut mac = FakeMac::m1_pro();
    let evil_model = "Mac\"; x = builtins.abort \"pwned\"; y = \"${builtins.abort \"x\"}\\é😀";
    mac.sysctl = mac
        .sysctl
        .replace(
            "hw.model: MacBookPro18,1",
            &format!("hw.model: {evil_model}"),
        )
        .replace(
            "machdep.cpu.brand_string: Apple M1 Pro",
            "machdep.cpu.brand_string: Apple ${M1} \"Pro\" \\ ünï",
        );
    mac.sp_hardware = mac
        .sp_hardware
        .replace("XXXXXXXXQ6LR", "SER\\\"${IAL}\\nline2");
    let (sshd, _bin) = mac_sshd(&mac);
    let root = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(root.path()).arg("extract").args(sshd.hwinv_args()));
    assert_eq!(code, 0, "{err}");
    let dir = root.path().join("inventory/mac-studio-1");
    let snap = json(&dir.join("latest.json"));
    let facts = nix_eval_json(&dir.join("hardware.nix"));
    assert_eq!(facts["system"]["model"], snap["system_info"]["model"]);
    assert_eq!(snap["system_info"]["model"], evil_model);
    assert_eq!(
        facts["hardware"]["cpu"]["type"],
        "Apple ${M1} \"Pro\" \\ ünï"
    );
    assert_eq!(
        facts["system"]["serialNumber"],
        snap["system_info"]["serial_number"]
    );
    // Control characters from the host are dropped by the parser; what remains round-trips through Nix.
    assert_eq!(snap["system_info"]["serial_number"], "SER\"${IAL}line2");
}

/// Run a failing extraction against a pre-populated inventory and check the contract: non-zero exit,
/// one-line error naming the target and the cause, a failed event, and no other file touched.
pub fn assert_failure_leaves_inventory_untouched(extra: &[String], target: &str, cause: &str) {
    let root = tempfile::tempdir().unwrap();
    let capture = fixture_capture();
    let (code, _, err) = run(hwinv(root.path())
        .arg("extract")
        .arg("--replay")
        .arg(capture.path().join("cap")));
    assert_eq!(code, 0, "{err}");
    let events_path = root.path().join("inventory/events.jsonl");
    let before_events = fs::read_to_string(&events_path).unwrap();
    let before: Vec<_> = tree(root.path())
        .into_iter()
        .filter(|(p, _)| p != &events_path)
        .collect();
    let (code, out, err) = run(hwinv(root.path()).arg("extract").args(extra));
    assert_ne!(code, 0, "expected failure; stdout: {out}");
    assert_eq!(
        err.lines().count(),
        1,
        "one-line error expected, got: {err}"
    );
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(target), "error should name '{target}': {err}");
    assert!(
        err.to_lowercase().contains(&cause.to_lowercase()),
        "error should say '{cause}': {err}"
    );
    let after: Vec<_> = tree(root.path())
        .into_iter()
        .filter(|(p, _)| p != &events_path)
        .collect();
    assert_eq!(
        before, after,
        "a failed extraction must not change the inventory"
    );
    let after_events = fs::read_to_string(&events_path).unwrap();
    let new: Vec<Value> = after_events[before_events.len()..]
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<_> = new.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "inventory.extraction.started",
            "inventory.extraction.failed"
        ]
    );
    assert!(new[1]["details"]["error"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains(&cause.to_lowercase()));
}

/// A capture of this machine, made once per test with the real `capture` command.
fn fixture_capture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("cap");
    let (code, _, err) = run(hwinv(dir.path()).arg("capture").arg("local").arg(&cap));
    assert_eq!(code, 0, "{err}");
    dir
}

#[test]
fn unreachable_host_fails_cleanly() {
    let port = crate::util::free_port().to_string();
    let args: Vec<String> = ["127.0.0.1", "nobody", "--port", &port, "--timeout", "10"]
        .map(String::from)
        .to_vec();
    assert_failure_leaves_inventory_untouched(&args, "127.0.0.1", "connection refused");
}

#[test]
fn refused_authentication_fails_cleanly() {
    let sshd = Sshd::start(None);
    let mut args = sshd.hwinv_args();
    let i = args.iter().position(|a| a == "-i").unwrap();
    args[i + 1] = sshd.dir.path().join("other_key").display().to_string();
    assert_failure_leaves_inventory_untouched(&args, "127.0.0.1", "permission denied");
}

#[test]
fn hanging_host_is_bounded_by_timeout() {
    let sshd = Sshd::start(Some("sleep 60"));
    let mut args = sshd.hwinv_args();
    args.extend(["--timeout".into(), "3".into()]);
    let started = std::time::Instant::now();
    assert_failure_leaves_inventory_untouched(&args, "127.0.0.1", "timed out");
    assert!(started.elapsed().as_secs() < 30);
}

#[test]
fn garbage_output_fails_cleanly() {
    let sshd = Sshd::start(Some(
        "cat >/dev/null; echo 'Welcome to ACME router'; echo '% invalid command'",
    ));
    assert_failure_leaves_inventory_untouched(
        &sshd.hwinv_args(),
        "127.0.0.1",
        "not from the hwinv probe",
    );
}

#[test]
fn truncated_output_fails_cleanly() {
    let sshd = Sshd::start(Some("sh -s | head -c 700"));
    assert_failure_leaves_inventory_untouched(&sshd.hwinv_args(), "127.0.0.1", "truncated");
}

#[test]
fn hostile_reported_hostname_is_refused() {
    let mut mac = FakeMac::m1_pro();
    mac.local_host_name = "../../etc".into();
    let (sshd, _bin) = mac_sshd(&mac);
    assert_failure_leaves_inventory_untouched(&sshd.hwinv_args(), "127.0.0.1", "invalid host name");
}

#[test]
fn hostile_name_flag_is_refused() {
    for bad in ["../../etc", "a/b"] {
        let args = vec!["--name".to_string(), bad.to_string()];
        assert_failure_leaves_inventory_untouched(&args, "local", "invalid host name");
    }
}

#[test]
fn capture_replays_through_the_same_parsers_and_same_second_runs_do_not_collide() {
    let cap = fixture_capture();
    let capdir = cap.path().join("cap");
    for f in ["uname.out", "uname.status", "cpuinfo.out", "meminfo.status"] {
        assert!(capdir.join(f).exists(), "capture lacks {f}");
    }
    let root = tempfile::tempdir().unwrap();
    for _ in 0..3 {
        let (code, _, err) = run(hwinv(root.path())
            .arg("extract")
            .arg("--replay")
            .arg(&capdir));
        assert_eq!(code, 0, "{err}");
    }
    let dir = host_dir(root.path());
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|n| n.starts_with("hardware_"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 3, "{names:?}");
    let latest = fs::read_link(dir.join("latest.json")).unwrap();
    let snaps: Vec<Value> = names.iter().map(|n| json(&dir.join(n))).collect();
    assert!(snaps
        .windows(2)
        .all(|w| hardware_part(&w[0]) == hardware_part(&w[1])));
    // latest points at the one written last, whatever its name.
    let last_event = events(root.path())
        .into_iter()
        .rfind(|e| e["type"] == "inventory.extraction.completed")
        .unwrap();
    assert!(last_event["details"]["snapshot"]
        .as_str()
        .unwrap()
        .ends_with(latest.to_str().unwrap()));
}

#[test]
fn redaction_is_stable_within_an_inventory() {
    let (sshd, _bin) = mac_sshd(&FakeMac::m1_pro());
    let root = tempfile::tempdir().unwrap();
    let mut serials = Vec::new();
    for _ in 0..2 {
        let (code, _, err) = run(hwinv(root.path())
            .arg("extract")
            .arg("--redact")
            .args(sshd.hwinv_args()));
        assert_eq!(code, 0, "{err}");
        let snap = json(&root.path().join("inventory/mac-studio-1/latest.json"));
        serials.push(
            snap["system_info"]["serial_number"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        let text =
            fs::read_to_string(root.path().join("inventory/mac-studio-1/latest.json")).unwrap();
        assert!(!text.contains("XXXXXXXXQ6LR"), "serial leaked");
    }
    assert!(serials[0].starts_with("redacted:"));
    assert_eq!(serials[0], serials[1]);
}

#[test]
fn a_write_failure_midway_leaves_no_half_written_file() {
    // RLIMIT_FSIZE makes every write past a few hundred bytes fail as a full disk would, mid-file.
    let root = tempfile::tempdir().unwrap();
    let capture = fixture_capture();
    let capdir = capture.path().join("cap");
    let (code, _, err) = run(hwinv(root.path())
        .arg("extract")
        .arg("--replay")
        .arg(&capdir));
    assert_eq!(code, 0, "{err}");
    let events_path = root.path().join("inventory/events.jsonl");
    let before: Vec<_> = tree(root.path())
        .into_iter()
        .filter(|(p, _)| p != &events_path)
        .collect();
    let script = format!(
        "trap '' XFSZ; ulimit -f 1; exec '{}' --root '{}' extract --replay '{}'",
        env!("CARGO_BIN_EXE_hwinv"),
        root.path().display(),
        capdir.display()
    );
    let (code, _, err) = run(Command::new("sh").arg("-c").arg(script));
    assert_ne!(code, 0);
    assert!(err.contains("File too large"), "{err}");
    let after: Vec<_> = tree(root.path())
        .into_iter()
        .filter(|(p, _)| p != &events_path)
        .collect();
    assert_eq!(
        before, after,
        "nothing half-written, no temp file left, latest unchanged"
    );
}
