//! `hwinv readiness` over real fixture hosts (replayed captures, GPU hosts from real nvidia-smi XML, Apple
//! Silicon), with their memory, VRAM and service states set to the exact thresholds of the default profiles
//! and just below them, each required service down, fleet gates and user-defined profiles.

use crate::services::{extract_with, only_host, Fleet};
use crate::util::{hwinv, repo, run};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;

const GIB: u64 = 1 << 30;
const REALTIME_SERVICES: [&str; 4] = ["ollama", "whisperx", "piper", "chroma"];

/// Replay fixture host `name` into `root` and return the host name it was stored under.
pub fn replay(root: &Path, name: &str) -> String {
    let dir = repo().join("tests/fixtures/hosts").join(name);
    let (code, out, err) = run(hwinv(root)
        .args(["extract", "--json", "--replay"])
        .arg(&dir));
    assert_eq!(code, 0, "replaying {name}: {err}");
    let snap: Value = serde_json::from_str(&out).unwrap();
    snap["system_info"]["hostname"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Rewrite a host's latest snapshot (replacing the symlink by a plain file holding the edited JSON).
pub fn edit_latest(root: &Path, host: &str, edit: impl FnOnce(&mut Value)) {
    let path = root.join("inventory").join(host).join("latest.json");
    let mut v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    fs::remove_file(&path).unwrap();
    fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

/// Installed memory of exactly `gb` GiB.
fn set_ram(v: &mut Value, gb: u64) {
    v["hardware"]["memory_gb"] = json!(gb);
    v["hardware"]["memory"]["total_bytes"] = json!(gb * GIB);
}

/// Give the host's GPUs exactly these sizes, in GiB (the fixture's GPUs, in order).
fn set_vram(v: &mut Value, gbs: &[u64]) {
    let gpus = v["gpus"].as_array_mut().expect("a GPU fixture");
    assert_eq!(gpus.len(), gbs.len(), "GPU count of the fixture");
    for (g, gb) in gpus.iter_mut().zip(gbs) {
        g["vram_bytes"] = json!(gb * GIB);
        g["vram_gb"] = json!(gb);
    }
}

/// Services as extraction records them: `down` ones with a reason, the rest of `REALTIME_SERVICES` up.
fn set_services(v: &mut Value, down: &[(&str, &str)]) {
    let mut http = serde_json::Map::new();
    for (i, name) in REALTIME_SERVICES.iter().enumerate() {
        let reason = down.iter().find(|(n, _)| n == name).map(|(_, r)| *r);
        http.insert(
            (*name).to_string(),
            json!({
                "url": format!("http://127.0.0.1:{}/health", 9000 + i),
                "expected_status": 200,
                "up": reason.is_none(),
                "http_status": if reason.is_none() { json!(200) } else { Value::Null },
                "error": reason,
            }),
        );
    }
    v["services"] =
        json!({"http": http, "llm": {}, "systemd_units": null, "containers": null, "sections": {}});
}

fn readiness(root: &Path, args: &[&str]) -> (i32, String, String) {
    run(hwinv(root).arg("readiness").args(args))
}

/// The verdict line of `profile` in the text output.
fn line<'a>(out: &'a str, profile: &str) -> &'a str {
    out.lines()
        .find(|l| l.trim_start().starts_with(&format!("{profile} ")))
        .unwrap_or_else(|| panic!("no line for {profile} in:\n{out}"))
        .trim()
}

fn redact_time(s: &str) -> String {
    regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
        .unwrap()
        .replace_all(s, "[time]")
        .into_owned()
}

#[test]
fn exact_thresholds_pass_and_one_below_fails() {
    let root = tempfile::tempdir().unwrap();
    let host = replay(root.path(), "linux-dual-2070");
    let cases: [(&[u64], u64, &str, &str); 6] = [
        (&[12, 12], 32, "realtime      YES", "single-agent  YES"),
        (
            &[11, 11],
            31,
            "realtime      NO   VRAM 11 GB < 12 GB; RAM 31 GB < 32 GB",
            "single-agent  YES",
        ),
        (
            &[8, 8],
            16,
            "realtime      NO   VRAM 8 GB < 12 GB; RAM 16 GB < 32 GB",
            "single-agent  YES",
        ),
        (
            &[7, 7],
            15,
            "realtime      NO   VRAM 7 GB < 12 GB; RAM 15 GB < 32 GB",
            "single-agent  NO   VRAM 7 GB < 8 GB; RAM 15 GB < 16 GB",
        ),
        // The largest single GPU counts, not the sum: two 8 GB cards do not hold a 12 GB model.
        (
            &[8, 8],
            32,
            "realtime      NO   VRAM 8 GB < 12 GB",
            "single-agent  YES",
        ),
        (&[12, 4], 32, "realtime      YES", "single-agent  YES"),
    ];
    for (vram, ram, realtime, single) in cases {
        edit_latest(root.path(), &host, |v| {
            set_vram(v, vram);
            set_ram(v, ram);
            set_services(v, &[]);
        });
        let (code, out, err) = readiness(root.path(), &[&host]);
        assert_eq!(line(&out, "realtime"), realtime, "{vram:?} {ram}");
        assert_eq!(line(&out, "single-agent"), single, "{vram:?} {ram}");
        let all_yes = realtime.ends_with("YES") && single.ends_with("YES");
        assert_eq!(code, if all_yes { 0 } else { 1 }, "{out}{err}");
    }
    // The host line says what was measured and how.
    let (_, out, _) = readiness(root.path(), &[&host]);
    assert!(
        out.starts_with(
            "dual2070  VRAM 12 GB (largest of 2 GPUs, 16 GB total), RAM 32 GB, 4 cores; as of "
        ),
        "{out}"
    );
}

#[test]
fn each_required_service_down_fails_with_its_reason() {
    let root = tempfile::tempdir().unwrap();
    let host = replay(root.path(), "linux-gpu-a100");
    for svc in REALTIME_SERVICES {
        edit_latest(root.path(), &host, |v| {
            set_ram(v, 32);
            set_services(v, &[(svc, "connection refused")]);
        });
        let (code, out, _) = readiness(root.path(), &[&host]);
        assert_eq!(code, 1, "{out}");
        assert_eq!(
            line(&out, "realtime"),
            format!("realtime      NO   {svc} down (connection refused)")
        );
        let single = if ["ollama", "piper"].contains(&svc) {
            format!("single-agent  NO   {svc} down (connection refused)")
        } else {
            "single-agent  YES".to_string()
        };
        assert_eq!(line(&out, "single-agent"), single);
        // Asked for single-agent only, a WhisperX or ChromaDB outage does not fail the gate.
        let (code, _, _) = readiness(root.path(), &[&host, "--profile", "single-agent"]);
        assert_eq!(
            code,
            if ["ollama", "piper"].contains(&svc) {
                1
            } else {
                0
            },
            "{svc}"
        );
    }
    // Several down at once, and a snapshot without service probes.
    edit_latest(root.path(), &host, |v| {
        set_services(
            v,
            &[
                ("whisperx", "connection refused"),
                ("chroma", "HTTP status 500, expected 200"),
            ],
        );
    });
    let (_, out, _) = readiness(root.path(), &[&host, "--profile", "realtime"]);
    assert_eq!(
        line(&out, "realtime"),
        "realtime  NO   whisperx down (connection refused); chroma down (HTTP status 500, expected 200)"
    );
    edit_latest(root.path(), &host, |v| {
        v.as_object_mut().unwrap().remove("services");
    });
    let (_, out, _) = readiness(root.path(), &[&host, "--profile", "single-agent"]);
    assert_eq!(
        line(&out, "single-agent"),
        "single-agent  NO   ollama, piper not probed (the snapshot has no service probes)"
    );
}

#[test]
fn fleet_gate_exits_zero_only_when_every_host_passes() {
    let root = tempfile::tempdir().unwrap();
    let a100 = replay(root.path(), "linux-gpu-a100");
    let dual = replay(root.path(), "linux-dual-2070");
    let pass = |v: &mut Value| {
        set_ram(v, 64);
        set_services(v, &[]);
    };
    edit_latest(root.path(), &a100, pass);
    edit_latest(root.path(), &dual, |v| {
        pass(v);
        set_vram(v, &[24, 24]);
    });
    let (code, out, err) = readiness(root.path(), &["--all", "--profile", "realtime"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.lines().filter(|l| l.trim() == "realtime  YES").count(),
        2,
        "{out}"
    );

    edit_latest(root.path(), &dual, |v| {
        set_services(v, &[("piper", "no answer within 2 s")])
    });
    let (code, out, _) = readiness(root.path(), &["--all", "--profile", "realtime"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("realtime  NO   piper down (no answer within 2 s)"),
        "{out}"
    );

    // Errors are not answers: exit 2 with a message that names the problem.
    let (code, _, err) = readiness(root.path(), &["--all", "--profile", "nonesuch"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown readiness profile 'nonesuch' (known: realtime, single-agent)"),
        "{err}"
    );
    let (code, out, err) = readiness(root.path(), &[&a100, "ghost", "--profile", "realtime"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("realtime  YES"),
        "the known host is still answered: {out}"
    );
    assert!(err.contains("host 'ghost'"), "{err}");
    let (code, _, err) = readiness(root.path(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("--all"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = readiness(empty.path(), &["--all"]);
    assert_eq!(code, 2);
    assert!(err.contains("no host"), "{err}");
}

#[test]
fn apple_silicon_counts_a_share_of_unified_memory() {
    let root = tempfile::tempdir().unwrap();
    let host = replay(root.path(), "mac-m1pro");
    edit_latest(root.path(), &host, |v| {
        assert_eq!(v["hardware"]["memory_gb"], 32, "fixture memory");
        set_services(v, &[]);
    });
    let (code, out, _) = readiness(root.path(), &[&host]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("VRAM 24 GB (75 % of 32 GB unified memory)"),
        "{out}"
    );

    fs::create_dir_all(root.path().join("templates")).unwrap();
    let rules = hwinv::config::readiness::DEFAULT_READINESS.replace(
        "unified_memory_vram_percent = 75",
        "unified_memory_vram_percent = 30",
    );
    fs::write(root.path().join("templates/readiness.toml"), rules).unwrap();
    let (code, out, _) = readiness(root.path(), &[&host]);
    assert_eq!(code, 1);
    assert_eq!(
        line(&out, "realtime"),
        "realtime      NO   VRAM 10 GB (30 % of 32 GB unified memory) < 12 GB"
    );
}

#[test]
fn profiles_are_data_users_can_add() {
    let root = tempfile::tempdir().unwrap();
    let host = replay(root.path(), "linux-dual-2070");
    edit_latest(root.path(), &host, |v| {
        set_vram(v, &[8, 8]);
        set_services(v, &[("chroma", "connection refused")]);
    });
    fs::create_dir_all(root.path().join("templates")).unwrap();
    fs::write(
        root.path().join("templates/readiness.toml"),
        "[[profile]]\nname = \"embeddings\"\nmin_total_vram_gb = 16\nmin_cpu_cores = 8\nservices = [\"ollama\", \"chroma\"]\n\n\
         [[profile]]\nname = \"split-70b\"\nmin_total_vram_gb = 40\n",
    )
    .unwrap();
    let (code, out, _) = readiness(root.path(), &[&host]);
    assert_eq!(code, 1);
    assert_eq!(
        line(&out, "embeddings"),
        "embeddings  NO   CPU cores 4 < 8; chroma down (connection refused)"
    );
    assert_eq!(
        line(&out, "split-70b"),
        "split-70b   NO   total VRAM 16 GB < 40 GB"
    );
    // A broken profile file is an error that names the file.
    fs::write(
        root.path().join("templates/readiness.toml"),
        "[[profile]]\nname = \"x\"\nmin_vram = 1\n",
    )
    .unwrap();
    let (code, _, err) = readiness(root.path(), &[&host]);
    assert_eq!(code, 2);
    assert!(err.contains("readiness.toml"), "{err}");
}

#[test]
fn json_lists_every_condition_with_its_measured_value() {
    let root = tempfile::tempdir().unwrap();
    let host = replay(root.path(), "linux-dual-2070");
    edit_latest(root.path(), &host, |v| {
        set_vram(v, &[11, 8]);
        set_ram(v, 31);
        set_services(v, &[("whisperx", "connection refused")]);
    });
    let (code, out, _) = readiness(root.path(), &[&host, "--json"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("readiness_json", redact_time(&out));
}

#[test]
fn fixture_gpu_hosts_as_captured() {
    let root = tempfile::tempdir().unwrap();
    for h in [
        "linux-dual-2070",
        "linux-gpu-a100",
        "linux-xeon-e5620",
        "linux-raptorlake",
        "mac-m1pro",
    ] {
        replay(root.path(), h);
    }
    let (code, out, _) = readiness(root.path(), &["--all"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("readiness_fixture_hosts", redact_time(&out));
}

#[test]
fn probe_flag_uses_live_services_of_this_machine() {
    let servers = Fleet::start();
    let root = tempfile::tempdir().unwrap();
    extract_with(root.path(), &servers.services_toml(), None);
    let (host, _) = only_host(root.path());
    let (_, out, _) = readiness(root.path(), &[&host, "--profile", "single-agent"]);
    assert!(
        !out.contains("ollama down"),
        "recorded: ollama was up: {out}"
    );
    // Ollama stops: the snapshot still says up, a live probe says down.
    let Fleet {
        ok,
        err: _e,
        hang: _h,
        closed: _c,
    } = servers;
    drop(ok);
    let (_, out, _) = readiness(root.path(), &[&host, "--profile", "single-agent"]);
    assert!(!out.contains("ollama down"), "{out}");
    let (code, out, err) = readiness(root.path(), &["--probe", "--profile", "single-agent"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with(&format!("{host}  ")),
        "--probe alone means this machine: {out}"
    );
    assert!(
        out.contains("ollama down (connection refused); piper down (no answer within 1 s)"),
        "{out}"
    );
    // Nothing was written.
    let snaps = fs::read_dir(root.path().join("inventory").join(&host))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("hardware_"))
        .count();
    assert_eq!(snaps, 1);
}

#[test]
fn gpu_less_host_is_known_to_have_no_vram() {
    // This development VM as captured: no /sys/class/drm, no nvidia-smi. That is a known "no GPU", so the
    // gate fails on 0 GB of VRAM instead of "VRAM unknown (nvidia-smi not installed)".
    let root = tempfile::tempdir().unwrap();
    let dir = repo().join("tests/fixtures/odd/hosts/linux-kvm-microvm-dev-nogpu");
    let (code, out, err) = run(hwinv(root.path())
        .args(["extract", "--json", "--replay"])
        .arg(&dir));
    assert_eq!(code, 0, "{err}");
    let snap: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["gpus"], json!([]));
    let host = snap["system_info"]["hostname"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, out, _) = readiness(root.path(), &[&host]);
    assert_eq!(code, 1, "{out}");
    let realtime = line(&out, "realtime");
    assert!(realtime.contains("VRAM 0 GB < 12 GB"), "{out}");
    assert!(!out.contains("unknown"), "{out}");
}
