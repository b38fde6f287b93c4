//! `hwinv export prometheus` checked by the real tools: `promtool check metrics`, a real
//! `prometheus-node-exporter` reading the textfile over HTTP, `systemd-analyze verify` on the shipped units,
//! the launchd plist parsed, and the Grafana dashboard's queries checked against the exported names.
//!
//! The fleet is real fixture hosts (GPU hosts from real nvidia-smi XML, Apple Silicon) replayed, one of them
//! given the services this machine recorded while probing real HTTP servers started by the test.

use crate::readiness::{edit_latest, replay};
use crate::services::{extract_with, redact_ports, Fleet};
use crate::util::{free_port, hwinv, promtool, repo, require, run};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOSTS: [&str; 5] = [
    "linux-dual-2070",
    "linux-gpu-a100",
    "linux-xeon-e5620",
    "linux-raptorlake",
    "mac-m1pro",
];

/// A fleet root: fixture hosts replayed; `dual2070` carries the services this machine recorded against the
/// test servers (ollama up with a loaded model, chroma 500, piper hanging, whisperx closed).
fn fleet() -> tempfile::TempDir {
    let servers = Fleet::start();
    let probed = tempfile::tempdir().unwrap();
    let live = extract_with(probed.path(), &servers.services_toml(), None);
    let mut services = live["services"].clone();
    // What this machine's systemd and Docker say is not part of the fleet under test.
    services["systemd_units"] = Value::Null;
    services["containers"] = Value::Null;
    services["sections"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "services");
    let root = tempfile::tempdir().unwrap();
    for h in HOSTS {
        replay(root.path(), h);
    }
    edit_latest(root.path(), "dual2070", |v| v["services"] = services);
    root
}

fn export(root: &Path, args: &[&str]) -> (i32, String, String) {
    run(hwinv(root).args(["export", "prometheus"]).args(args))
}

fn redact_export(text: &str) -> String {
    let re = regex::Regex::new(r"(hwinv_snapshot_timestamp_seconds\{[^}]*\}) \d+").unwrap();
    let text = re.replace_all(text, "$1 [time]");
    redact_ports(&Value::String(text.into_owned()))
        .as_str()
        .unwrap()
        .to_string()
}

/// Metric names (no labels) of an exposition.
fn metric_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_string())
        .collect()
}

#[test]
fn export_passes_promtool_and_is_stable() {
    let root = fleet();
    let out = root.path().join("textfile/hwinv.prom");
    // A directory that does not exist is a mistake, not something to create.
    let (code, _, err) = export(root.path(), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    assert!(!out.parent().unwrap().exists());
    fs::create_dir(out.parent().unwrap()).unwrap();
    // Nor is a mistyped host, and the file node_exporter serves is not replaced by an empty one.
    fs::write(&out, "previous\n").unwrap();
    let (code, _, err) = export(
        root.path(),
        &["--host", "dgx-a10", "--out", out.to_str().unwrap()],
    );
    assert_eq!(code, 2);
    assert!(err.contains("did you mean 'dgx-a100'"), "{err}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous\n");
    let (code, stdout, err) = export(root.path(), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{stdout}{err}");
    assert!(stdout.is_empty(), "nothing on stdout with --out: {stdout}");
    let text = fs::read_to_string(&out).unwrap();
    let (status, complaints) = promtool(&text);
    assert_eq!(status, 0, "promtool: {complaints}\n{text}");
    assert!(complaints.trim().is_empty(), "promtool lint: {complaints}");
    insta::assert_snapshot!("export_fleet", redact_export(&text));

    // Same facts, same bytes: stdout and the file agree, and a second export does not touch the file.
    let (_, again, _) = export(root.path(), &[]);
    assert_eq!(again, text);
    let before = fs::metadata(&out).unwrap();
    let (code, _, _) = export(root.path(), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    let after = fs::metadata(&out).unwrap();
    assert_eq!(
        (before.ino(), before.mtime_nsec()),
        (after.ino(), after.mtime_nsec())
    );
}

#[test]
fn out_file_is_replaced_by_rename_in_its_directory() {
    let root = fleet();
    let dir = root.path().join("collector");
    fs::create_dir_all(&dir).unwrap();
    let out = dir.join("hwinv.prom");
    fs::write(&out, "# stale\n").unwrap();
    let old_inode = fs::metadata(&out).unwrap().ino();
    let (code, _, err) = export(
        root.path(),
        &["--out", out.to_str().unwrap(), "--host", "dgx-a100"],
    );
    assert_eq!(code, 0, "{err}");
    // A new inode: the file was renamed into place, never rewritten where a scrape could read half of it.
    assert_ne!(fs::metadata(&out).unwrap().ino(), old_inode);
    let names: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        names,
        [std::ffi::OsString::from("hwinv.prom")],
        "no temp file left behind"
    );
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains("hwinv_host_info{host=\"dgx-a100\""), "{text}");
    assert!(
        !text.contains("dual2070"),
        "--host limits the export: {text}"
    );
    assert!(text.ends_with("hwinv_export_hosts 1\n"), "{text}");

    // A file name node_exporter would ignore is written, with a warning; an unknown host is an error.
    let (code, _, err) = export(
        root.path(),
        &["--out", dir.join("hwinv.txt").to_str().unwrap()],
    );
    assert_eq!(code, 0);
    assert!(err.contains("does not end in .prom"), "{err}");
    let (code, _, err) = export(root.path(), &["--host", "ghost"]);
    assert_eq!(code, 2);
    assert!(err.contains("host 'ghost'"), "{err}");
}

#[test]
fn prefix_is_configurable_and_checked() {
    let root = fleet();
    let (code, text, err) = export(root.path(), &["--prefix", "lab_fleet"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        metric_names(&text)
            .iter()
            .all(|n| n.starts_with("lab_fleet_")),
        "{text}"
    );
    assert_eq!(promtool(&text).0, 0);
    for bad in ["9lives", "a-b", "x y", ""] {
        let (code, _, err) = export(root.path(), &["--prefix", bad]);
        assert_eq!(code, 2, "{bad:?}");
        assert!(err.contains("invalid metric prefix"), "{err}");
    }
}

#[test]
fn hostile_strings_are_escaped_in_labels() {
    let root = fleet();
    edit_latest(root.path(), "dgx-a100", |v| {
        v["hardware"]["cpu_type"] = Value::from("Evil \"CPU\" \\ with\nnewline } 1\nfake_metric 2");
        v["gpus"][0]["name"] = Value::from("GPU\"}\n");
    });
    edit_latest(root.path(), "dual2070", |v| {
        v["services"]["llm"]["ollama"]["loaded"][0]["name"] = Value::from("m\"x\\y\nz");
    });
    let out = root.path().join("tf/hwinv.prom");
    fs::create_dir(root.path().join("tf")).unwrap();
    let (code, _, err) = export(root.path(), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(&out).unwrap();
    let (status, complaints) = promtool(&text);
    assert_eq!(status, 0, "{complaints}\n{text}");
    assert!(
        text.contains(r#"cpu_model="Evil \"CPU\" \\ with\nnewline } 1\nfake_metric 2""#),
        "{text}"
    );
    assert!(text.contains(r#"model="m\"x\\y\nz""#), "{text}");
    assert!(!metric_names(&text).contains("fake_metric"));
    // node_exporter reads it without complaint too.
    let ne = NodeExporter::start(out.parent().unwrap());
    let metrics = ne.metrics();
    assert!(
        metrics.contains("node_textfile_scrape_error 0"),
        "{metrics}"
    );
    assert!(metrics.contains(r#"name="GPU\"}\n""#), "{metrics}");
}

#[test]
fn containers_and_units_of_probed_services_are_exported() {
    let root = fleet();
    edit_latest(root.path(), "dual2070", |v| {
        let s = &mut v["services"];
        s["containers"] = serde_json::json!({
            "ollama": {"image": "ollama/ollama:0.5.7", "state": "running", "health": "healthy"},
            "whisperx": {"image": "ghcr.io/example/whisperx-api:1.2", "state": "exited", "health": null}
        });
        s["systemd_units"] = serde_json::json!({
            "ollama.service": {"load": "loaded", "active": "active", "sub": "running"},
            "piper.service": {"load": "loaded", "active": "failed", "sub": "failed"},
            "cron.service": {"load": "loaded", "active": "active", "sub": "running"}
        });
    });
    let (code, text, err) = export(root.path(), &["--host", "dual2070"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(promtool(&text).0, 0, "{text}");
    for line in [
        "hwinv_container_running{host=\"dual2070\",container=\"ollama\",image=\"ollama/ollama:0.5.7\"} 1",
        "hwinv_container_running{host=\"dual2070\",container=\"whisperx\",image=\"ghcr.io/example/whisperx-api:1.2\"} 0",
        "hwinv_systemd_unit_active{host=\"dual2070\",unit=\"ollama.service\"} 1",
        "hwinv_systemd_unit_active{host=\"dual2070\",unit=\"piper.service\"} 0",
    ] {
        assert!(text.contains(line), "missing {line}\n{text}");
    }
    // Units unrelated to a probed service stay out (node_exporter's systemd collector covers them).
    assert!(!text.contains("cron.service"), "{text}");
}

/// A real prometheus-node-exporter on 127.0.0.1 reading only the textfile collector.
struct NodeExporter {
    port: u16,
    child: Child,
}

impl NodeExporter {
    fn start(textfile_dir: &Path) -> NodeExporter {
        let bin = require("prometheus-node-exporter");
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&bin)
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(["--collector.disable-defaults", "--collector.textfile"])
                .arg(format!(
                    "--collector.textfile.directory={}",
                    textfile_dir.display()
                ))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return NodeExporter { port, child };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("prometheus-node-exporter did not start");
    }

    /// `GET /metrics` over a plain TcpStream (HTTP/1.0: no keep-alive, no chunking).
    fn metrics(&self) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let (head, body) = resp.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        body.to_string()
    }
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn node_exporter_serves_hwinv_metrics_without_scrape_error() {
    let root = fleet();
    let dir = root.path().join("textfile");
    fs::create_dir(&dir).unwrap();
    let out = dir.join("hwinv.prom");
    let (code, _, err) = export(root.path(), &["--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let ne = NodeExporter::start(&dir);
    let metrics = ne.metrics();
    assert!(
        metrics.contains("node_textfile_scrape_error 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!(
            "node_textfile_mtime_seconds{{file=\"{}\"}}",
            out.display()
        )),
        "{metrics}"
    );
    for line in [
        "hwinv_readiness{host=\"dgx-a100\",profile=\"realtime\"} 0",
        "hwinv_service_up{host=\"dual2070\",service=\"ollama\",",
        "hwinv_llm_model_loaded{family=\"llama\",host=\"dual2070\",model=\"mistral:latest\",parameter_size=\"7.2B\",quantization=\"Q4_0\",service=\"ollama\"} 1",
        "hwinv_gpu_vram_bytes{gpu=\"1\",host=\"dual2070\",name=\"NVIDIA GeForce RTX 2070\"}",
        "hwinv_vram_largest_bytes{host=\"akasurde-mac\",source=\"unified\"}",
        "hwinv_export_hosts 5",
    ] {
        assert!(metrics.contains(line), "missing {line}\n{metrics}");
    }
    // Every family hwinv wrote is served.
    let ours = metric_names(&fs::read_to_string(&out).unwrap());
    let served = metric_names(&metrics);
    assert!(
        ours.is_subset(&served),
        "{:?}",
        ours.difference(&served).collect::<Vec<_>>()
    );

    // A broken file is what node_textfile_scrape_error exists to report: the check above means something.
    fs::write(dir.join("broken.prom"), "hwinv_x{ 1\n").unwrap();
    let metrics = ne.metrics();
    assert!(
        metrics.contains("node_textfile_scrape_error 1"),
        "{metrics}"
    );
}

/// Metric names a PromQL expression uses that are hwinv's.
fn hwinv_names(expr: &str) -> BTreeSet<String> {
    regex::Regex::new(r"\bhwinv_[a-zA-Z0-9_]+")
        .unwrap()
        .find_iter(expr)
        .map(|m| m.as_str().to_string())
        .collect()
}

fn collect_queries(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("expr" | "definition", Value::String(s)) => out.push(s.clone()),
                    ("query", Value::String(s)) if s.contains('(') => out.push(s.clone()),
                    _ => collect_queries(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_queries(x, out)),
        _ => {}
    }
}

#[test]
fn dashboard_queries_use_only_exported_metrics() {
    let root = fleet();
    let (code, text, _) = export(root.path(), &[]);
    assert_eq!(code, 0);
    let exported = metric_names(&text);
    let dash: Value = serde_json::from_slice(
        &fs::read(repo().join("deploy/grafana/hwinv-dashboard.json")).unwrap(),
    )
    .unwrap();
    let mut queries = Vec::new();
    collect_queries(&dash, &mut queries);
    assert!(queries.len() >= 10, "{queries:?}");
    let mut used = BTreeSet::new();
    for q in &queries {
        let names = hwinv_names(q);
        assert!(!names.is_empty(), "query uses no hwinv metric: {q}");
        used.extend(names);
    }
    let unknown: Vec<_> = used.difference(&exported).collect();
    assert!(
        unknown.is_empty(),
        "the dashboard queries metrics hwinv does not export: {unknown:?}"
    );
    // The panels the issue asks for.
    for needed in [
        "hwinv_readiness",
        "hwinv_gpu_info",
        "hwinv_service_up",
        "hwinv_cpu_cores",
        "hwinv_memory_bytes",
        "hwinv_llm_model_loaded",
    ] {
        assert!(used.contains(needed), "no panel uses {needed}");
    }
    // Every panel (not rows) has a query.
    for p in dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] != "row")
    {
        assert!(
            p["targets"].as_array().is_some_and(|t| !t.is_empty()),
            "panel without query: {}",
            p["title"]
        );
    }
}

/// The shipped units with the binary path pointing at the hwinv under test and the textfile directory at
/// `textfile` (systemd-analyze checks that ExecStart exists; nothing else is changed).
fn units_for_test(dir: &Path, textfile: &Path) -> Vec<PathBuf> {
    let src = repo().join("deploy/systemd");
    ["hwinv-export.service", "hwinv-export.timer"]
        .iter()
        .map(|name| {
            let text = fs::read_to_string(src.join(name))
                .unwrap()
                .replace("/usr/local/bin/hwinv", env!("CARGO_BIN_EXE_hwinv"))
                .replace(
                    "/var/lib/prometheus/node-exporter",
                    textfile.to_str().unwrap(),
                );
            let p = dir.join(name);
            fs::write(&p, text).unwrap();
            p
        })
        .collect()
}

#[test]
fn systemd_units_verify_and_their_command_works() {
    let analyze = require("systemd-analyze");
    let dir = tempfile::tempdir().unwrap();
    let textfile = dir.path().join("textfile");
    fs::create_dir(&textfile).unwrap();
    let units = units_for_test(dir.path(), &textfile);
    let out = Command::new(&analyze)
        .args(["verify", "--man=no"])
        .args(&units)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify: {stderr}"
    );
    let timer = fs::read_to_string(&units[1]).unwrap();
    assert!(
        timer.contains("OnUnitActiveSec=30s") && timer.contains("AccuracySec=1s"),
        "{timer}"
    );

    // The unit's ExecStart, run as systemd would (HWINV_ROOT from Environment=), on this machine's inventory.
    let service = fs::read_to_string(&units[0]).unwrap();
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    let root_env = service
        .lines()
        .find_map(|l| l.strip_prefix("Environment=HWINV_ROOT="))
        .unwrap();
    assert_eq!(root_env, "/var/lib/hwinv");
    let root = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(root.path()).arg("extract"));
    assert_eq!(code, 0, "{err}");
    let mut words = exec.split_whitespace();
    let mut cmd = Command::new(words.next().unwrap());
    cmd.args(words).env("HWINV_ROOT", root.path());
    let (code, stdout, err) = run(&mut cmd);
    assert_eq!(code, 0, "{exec}: {stdout}{err}");
    let text = fs::read_to_string(textfile.join("hwinv.prom")).unwrap();
    assert_eq!(promtool(&text).0, 0);
    assert!(
        text.contains("hwinv_service_up{"),
        "--probe exports this machine's services: {text}"
    );
    assert!(
        text.ends_with("hwinv_export_hosts 1\n"),
        "--probe exports this machine only: {text}"
    );
}

#[test]
fn launchd_plist_is_a_valid_property_list_running_the_same_command() {
    let py = require("python3");
    let plist = repo().join("deploy/launchd/org.hwinv.export.plist");
    let out = Command::new(py)
        .args([
            "-c",
            "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))",
        ])
        .arg(&plist)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Label"], "org.hwinv.export");
    assert_eq!(v["StartInterval"], 30);
    let args: Vec<&str> = v["ProgramArguments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(args[0].ends_with("/hwinv"), "{args:?}");
    let exported = args.iter().position(|a| *a == "export").unwrap();
    assert_eq!(
        &args[exported..exported + 3],
        ["export", "prometheus", "--probe"]
    );
    assert!(args.last().unwrap().ends_with(".prom"), "{args:?}");
}
