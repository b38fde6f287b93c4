//! `hwinv serve` over a fleet of replayed fixture hosts with a week of synthetic telemetry: every API
//! answers JSON, the auth rules hold, hostile strings are escaped, and a real headless Chromium renders
//! the fleet and a host page with charts (screenshots kept under target/serve-screenshots/).

use crate::readiness::{edit_latest, replay};
use crate::util::{free_port, hwinv, repo, run};
use serde_json::{json, Value};
use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Hostile text planted in a snapshot: model, CPU, GPU and service names.
const EVIL: &str = "<script>alert(\"x\")</script>'&";

/// Every fixture host replayed; `dgx-a100` gets a week of 1-minute samples ending now and their rollups;
/// `runner` gets hostile strings and services with an Ollama model loaded.
pub fn fleet_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let mut dirs: Vec<PathBuf> = fs::read_dir(repo().join("tests/fixtures/hosts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        replay(root.path(), d.file_name().unwrap().to_str().unwrap());
    }
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(7);
    let start = start
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let (c, _, e) = run(hwinv(root.path())
        .args([
            "telemetry",
            "synth",
            "--rows",
            "10080",
            "--step",
            "60",
            "--host-id",
            "dgx-a100",
            "--start",
        ])
        .arg(&start));
    assert_eq!(c, 0, "{e}");
    let (c, _, e) = run(hwinv(root.path()).arg("rollup"));
    assert_eq!(c, 0, "{e}");
    edit_latest(root.path(), "runner", |v| {
        v["system_info"]["model"] = json!(EVIL);
        v["hardware"]["cpu_type"] = json!(EVIL);
        v["gpus"] = json!([{"index": 0, "name": EVIL, "vendor": "nvidia", "vram_bytes": 8u64 << 30,
            "vram_gb": 8, "driver_version": "550.1", "cuda_version": "12.4", "uuid": null,
            "pci_bus_id": null, "cores": null, "mig_mode": null, "driver": null}]);
        v["services"] = json!({
            "http": {EVIL: {"url": "http://127.0.0.1:1/<x>", "expected_status": 200, "up": false,
                            "http_status": null, "error": "connection refused"},
                     "ollama": {"url": "http://127.0.0.1:11434/api/tags", "expected_status": 200,
                                "up": true, "http_status": 200, "error": null}},
            "llm": {"ollama": {"provider": "ollama", "available": [{"name": "llama3:8b"}],
                               "loaded": [{"name": "llama3:8b"}], "error": null}},
            "systemd_units": {EVIL: {"load": "loaded", "active": "failed", "sub": "failed"}},
            "containers": {"web": {"image": EVIL, "state": "running", "health": null}},
            "sections": {}
        });
    });
    root
}

/// A running `hwinv serve`, stopped on drop.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Server {
    pub fn start(root: &Path, extra: &[&str]) -> Server {
        let port = free_port();
        let child = hwinv(root)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "hwinv serve did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Server { port, child }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request: (status, headers in lower case, body).
pub fn http(port: u16, method: &str, path: &str, headers: &[&str]) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
    );
    for h in headers {
        req.push_str(h);
        req.push_str("\r\n");
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, head.to_ascii_lowercase(), body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((len, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

fn get_json(port: u16, path: &str) -> Value {
    let (code, head, body) = http(port, "GET", path, &[]);
    assert_eq!(code, 200, "{path}: {body}");
    assert!(head.contains("application/json"), "{path}: {head}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path} is not JSON ({e}): {body}"))
}

#[test]
fn serve_api_answers_json_and_escapes_hostile_strings() {
    let root = fleet_root();
    let srv = Server::start(root.path(), &[]);
    let p = srv.port;
    let hosts = get_json(p, "/api/hosts");
    let names: Vec<&str> = hosts["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["host"].as_str().unwrap())
        .collect();
    assert!(
        names.len() >= 10 && names.contains(&"dgx-a100"),
        "{names:?}"
    );
    let filtered = get_json(p, "/api/hosts?where=gpus.count%20%3E%200");
    assert!(filtered["hosts"].as_array().unwrap().len() < names.len());
    for h in &names {
        let v = get_json(p, &format!("/api/hosts/{h}"));
        assert_eq!(v["host"], *h);
    }
    assert_eq!(
        get_json(p, "/api/hosts/runner")["snapshot"]["hardware"]["cpu_type"],
        EVIL
    );
    let sys = get_json(p, "/api/metrics/system");
    assert_eq!(sys["hosts"][0]["host"], "dgx-a100");
    let hist = get_json(p, "/api/metrics/system/history?hours=24&host=dgx-a100");
    assert!(
        hist["hosts"][0]["cpu_pct"].as_array().unwrap().len() > 100,
        "{hist}"
    );
    assert_eq!(hist["hosts"][0]["source"], "rollups_5m");
    let hour = get_json(p, "/api/metrics/system/history?hours=1");
    assert_eq!(hour["hosts"][0]["source"], "samples");
    assert_eq!(
        get_json(p, "/api/docker/containers")["containers"][0]["image"],
        EVIL
    );
    let svc = get_json(p, "/api/services");
    assert!(svc["services"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == EVIL));
    assert_eq!(
        get_json(p, "/api/ollama/status")["ollama"][0]["loaded"][0]["name"],
        "llama3:8b"
    );
    assert!(
        get_json(p, "/api/readiness")["readiness"]
            .as_array()
            .unwrap()
            .len()
            == names.len()
    );
    get_json(p, "/api/events");
    let (code, _, _) = http(p, "GET", "/api/metrics/system/history?hours=abc", &[]);
    assert_eq!(code, 400);
    let (code, _, _) = http(p, "GET", "/api/hosts/no-such-host", &[]);
    assert_eq!(code, 404);
    let (code, _, _) = http(p, "GET", "/api/hosts/..%2Fetc", &[]);
    assert_eq!(code, 404);

    // /metrics is the exposition of `export prometheus`, and promtool accepts it.
    let (code, _, metrics) = http(p, "GET", "/metrics", &[]);
    assert_eq!(code, 200);
    assert!(metrics.contains("hwinv_host_info"), "{metrics}");
    let (code, msg) = crate::util::promtool(&metrics);
    assert_eq!(code, 0, "{msg}");

    // A new snapshot shows up without a restart, in the API and in /metrics.
    edit_latest(root.path(), "runner", |v| {
        v["hardware"]["memory_gb"] = json!(96);
        v["hardware"]["memory"]["total_bytes"] = json!(96u64 << 30);
    });
    assert_eq!(
        get_json(p, "/api/hosts/runner")["snapshot"]["hardware"]["memory_gb"],
        96
    );
    let (_, _, again) = http(p, "GET", "/metrics", &[]);
    assert!(
        again.contains(&format!(
            "hwinv_memory_bytes{{host=\"runner\"}} {}",
            96u64 << 30
        )),
        "{again}"
    );
    // Hostile strings are inert in every page.
    for path in ["/", "/hosts/runner", "/events", "/?fragment=1"] {
        let (code, _, html) = http(p, "GET", path, &[]);
        assert_eq!(code, 200, "{path}");
        assert!(
            !html.contains("<script>alert"),
            "{path} carries raw hostile markup"
        );
        if path != "/events" {
            assert!(
                html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;&amp;"),
                "{path}"
            );
        }
    }
    let (_, _, host) = http(p, "GET", "/hosts/dgx-a100", &[]);
    assert_eq!(host.matches("<svg").count(), 12, "four charts per window");
    assert!(host.contains("<polyline"));
    let (_, _, runner) = http(p, "GET", "/hosts/runner", &[]);
    assert!(runner.contains("not available on this host"));
    assert!(runner.contains("llama3:8b"));
    // No actions without --allow-actions: no buttons, no routes.
    assert!(!runner.contains("/actions/"));
    let (code, _, _) = http(
        p,
        "POST",
        "/actions/ollama.service/restart?confirm=ollama.service",
        &[],
    );
    assert_eq!(code, 404);
    let (code, _, _) = http(p, "GET", "/nope", &[]);
    assert_eq!(code, 404);
}

#[test]
fn serve_refuses_exposure_and_wrong_tokens() {
    let root = fleet_root();
    // Beyond loopback without a token: refused at start, one line.
    let (code, _, err) = run(hwinv(root.path()).args(["serve", "--listen", "0.0.0.0:0"]));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: refusing to listen on 0.0.0.0:0 without --token-file"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    let (code, _, err) = run(hwinv(root.path()).args(["serve", "--allow-actions", "x.service"]));
    assert_eq!(code, 2);
    assert!(err.contains("--allow-actions needs --token-file"), "{err}");
    let token_file = root.path().join("token");
    fs::write(&token_file, "short\n").unwrap();
    let (code, _, err) = run(hwinv(root.path())
        .args(["serve", "--token-file"])
        .arg(&token_file));
    assert_eq!(code, 2);
    assert!(err.contains("at least 16 characters"), "{err}");

    let token = "s3cret-token-0123456789";
    fs::write(&token_file, format!("{token}\n")).unwrap();
    let unit = "hwinv-test-does-not-exist.service";
    let tf = token_file.to_str().unwrap();
    let srv = Server::start(root.path(), &["--token-file", tf, "--allow-actions", unit]);
    let p = srv.port;
    let bearer = format!("Authorization: Bearer {token}");
    for path in ["/", "/api/hosts", "/metrics", "/hosts/dgx-a100"] {
        assert_eq!(http(p, "GET", path, &[]).0, 401, "{path} without a token");
        assert_eq!(
            http(p, "GET", path, &["Authorization: Bearer wrong"]).0,
            401,
            "{path}"
        );
        assert_eq!(
            http(p, "GET", path, &[&bearer]).0,
            200,
            "{path} with the token"
        );
    }
    assert_eq!(http(p, "GET", "/?token=wrong", &[]).0, 401);
    let (code, head, _) = http(p, "GET", &format!("/?token={token}&where=cores"), &[]);
    assert_eq!(code, 303);
    assert!(
        head.contains(&format!(
            "set-cookie: hwinv_token={token}; path=/; httponly; samesite=strict"
        )),
        "{head}"
    );
    assert!(head.contains("location: /?where=cores"), "{head}");
    let cookie = format!("Cookie: a=b; hwinv_token={token}");
    let (code, _, fleet) = http(p, "GET", "/", &[&cookie]);
    assert_eq!(code, 200);
    // Actions: buttons for the named unit only; a confirmation is required; each try is an event.
    assert!(
        fleet.contains(&format!("/actions/{unit}/restart?confirm={unit}")),
        "{fleet}"
    );
    assert_eq!(
        http(
            p,
            "POST",
            "/actions/other.service/restart?confirm=other.service",
            &[&bearer]
        )
        .0,
        404
    );
    assert_eq!(
        http(p, "POST", &format!("/actions/{unit}/restart"), &[]).0,
        401
    );
    assert_eq!(
        http(p, "POST", &format!("/actions/{unit}/restart"), &[&bearer]).0,
        400
    );
    assert_eq!(
        http(
            p,
            "POST",
            &format!("/actions/{unit}/explode?confirm={unit}"),
            &[&bearer]
        )
        .0,
        404
    );
    let (code, _, body) = http(
        p,
        "POST",
        &format!("/actions/{unit}/restart?confirm={unit}"),
        &[&bearer],
    );
    // The unit does not exist, so systemctl (or its absence) makes it fail; the event is recorded anyway.
    assert_eq!(code, 502, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["event"]["type"], "serve.action");
    let log = fs::read_to_string(root.path().join("inventory/events.jsonl")).unwrap();
    let last: Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["target"], unit);
    assert_eq!(last["details"]["action"], "restart");
    assert_eq!(last["details"]["ok"], false);
}

/// The Chromium binary, or `None` with a message when it cannot be installed here.
fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from("/usr/bin/chromium");
    if p.exists() {
        return Some(p);
    }
    eprintln!("SKIPPED serve_pages_render_in_headless_chromium: /usr/bin/chromium is not installed (scripts/setup.sh installs Debian's chromium)");
    None
}

fn chrome(bin: &Path, profile: &Path, args: &[String], url: &str) -> (String, String) {
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_pages_render_in_headless_chromium() {
    let Some(bin) = chromium() else { return };
    let root = fleet_root();
    let srv = Server::start(root.path(), &[]);
    let base = format!("http://127.0.0.1:{}", srv.port);
    let profile = tempfile::tempdir().unwrap();
    let shots = repo().join("target/serve-screenshots");
    fs::create_dir_all(&shots).unwrap();
    for (name, path) in [
        ("fleet", "/"),
        ("host", "/hosts/dgx-a100"),
        ("hostile", "/hosts/runner"),
    ] {
        let url = format!("{base}{path}");
        let (dom, log) = chrome(&bin, profile.path(), &["--dump-dom".into()], &url);
        assert!(dom.contains("<main id=\"content\">"), "{name}: {dom}");
        let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
        assert!(console.is_empty(), "{name}: console messages {console:?}");
        assert!(!dom.contains("<script>alert"), "{name}");
        match name {
            "fleet" => assert!(dom.contains("/hosts/dgx-a100") && dom.contains("realtime")),
            "host" => {
                assert_eq!(dom.matches("class=\"hwinv-chart\"").count(), 12, "{name}");
                assert!(dom.contains("<polyline"));
            }
            _ => assert!(dom.contains("not available on this host")),
        }
        if name == "fleet" {
            // The page refetches its content after 10 s (virtual time) and marks the swap.
            let (dom, log) = chrome(
                &bin,
                profile.path(),
                &["--dump-dom".into(), "--virtual-time-budget=12000".into()],
                &url,
            );
            assert!(
                dom.contains("data-refreshed="),
                "{name} did not refresh: {dom}"
            );
            assert!(
                dom.contains("/hosts/dgx-a100"),
                "{name} lost its content on refresh"
            );
            assert!(!log.contains("CONSOLE"), "{log}");
        }
        for (width, height) in [(1280, 2400), (390, 2400)] {
            let file = shots.join(format!("{name}-{width}.png"));
            let _ = fs::remove_file(&file);
            chrome(
                &bin,
                profile.path(),
                &[
                    format!("--screenshot={}", file.display()),
                    format!("--window-size={width},{height}"),
                    "--hide-scrollbars".into(),
                ],
                &url,
            );
            let png = fs::read(&file).unwrap();
            assert!(
                png.starts_with(b"\x89PNG") && png.len() > 10_000,
                "{}",
                file.display()
            );
        }
    }
}
