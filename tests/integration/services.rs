//! Service probes end to end: `hwinv extract` on this machine (the same script a remote host runs) with a
//! `services.toml` pointing at real HTTP servers this test starts on 127.0.0.1: a healthy Ollama-like
//! server, one answering 500, one that accepts and never answers, and a closed port. Also the wget
//! fallback, a host with neither client, and hostile configuration and answers.

use crate::util::{free_port, hwinv, run};
use serde_json::{json, Value};
use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// `GET /api/tags` as Ollama documents it (ollama/ollama docs/api.md, "List Local Models").
pub const OLLAMA_TAGS: &str = r#"{
  "models": [
    {
      "name": "codellama:13b",
      "modified_at": "2023-11-04T14:56:49.277302595-07:00",
      "size": 7365960935,
      "digest": "9f438cb9cd581fc025612d27f7c1a6669ff83a8bb0ed86c94fcf4c5440555697",
      "details": {
        "format": "gguf",
        "family": "llama",
        "families": null,
        "parameter_size": "13B",
        "quantization_level": "Q4_0"
      }
    },
    {
      "name": "llama3:latest",
      "modified_at": "2023-12-07T09:32:18.757212583-08:00",
      "size": 3825819519,
      "digest": "fe938a131f40e6f6d40083c9f0f430a515233eb2edaa6d72eb85c50d64f2300e",
      "details": {
        "format": "gguf",
        "family": "llama",
        "families": null,
        "parameter_size": "7B",
        "quantization_level": "Q4_0"
      }
    }
  ]
}"#;

/// `GET /api/ps` as Ollama documents it (ollama/ollama docs/api.md, "List Running Models").
pub const OLLAMA_PS: &str = r#"{
  "models": [
    {
      "name": "mistral:latest",
      "model": "mistral:latest",
      "size": 5137025024,
      "digest": "2ae6f6dd7a3dd734790bbbf58b8909a606e0e7e97e94b7604e0aa7ae4490e6d8",
      "details": {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": [
          "llama"
        ],
        "parameter_size": "7.2B",
        "quantization_level": "Q4_0"
      },
      "expires_at": "2024-06-04T14:38:31.83753-07:00",
      "size_vram": 5137025024
    }
  ]
}"#;

/// How a test server answers.
#[derive(Debug, Clone, Copy)]
pub enum Behaviour {
    /// Ollama: `/api/tags`, `/api/ps`, `/` (200 "Ollama is running"), anything else 404.
    Ollama,
    /// Every request gets this status.
    Status(u16),
    /// Accepts, reads the request, never answers (until the server is dropped).
    Hang,
    /// Every request gets 200 with this body.
    Body(&'static str),
}

/// A real HTTP/1.1 server on 127.0.0.1, stopped when dropped.
pub struct HttpServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(behaviour: Behaviour) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let accept = thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let flag = flag.clone();
                thread::spawn(move || serve(stream, behaviour, &flag));
            }
        });
        HttpServer {
            port,
            stop,
            accept: Some(accept),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut s: TcpStream, behaviour: Behaviour, stop: &AtomicBool) {
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&req);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (code, body): (u16, String) = match behaviour {
        Behaviour::Hang => {
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        Behaviour::Status(code) => (code, "error\n".into()),
        Behaviour::Body(b) => (200, b.into()),
        Behaviour::Ollama => match path.as_str() {
            "/api/tags" => (200, OLLAMA_TAGS.into()),
            "/api/ps" => (200, OLLAMA_PS.into()),
            "/" => (200, "Ollama is running".into()),
            _ => (404, "404 page not found".into()),
        },
    };
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body.as_bytes());
}

/// The four servers of the issue: healthy, 500, hanging, closed port.
pub struct Fleet {
    pub ok: HttpServer,
    pub err: HttpServer,
    pub hang: HttpServer,
    pub closed: u16,
}

impl Fleet {
    pub fn start() -> Fleet {
        Fleet {
            ok: HttpServer::start(Behaviour::Ollama),
            err: HttpServer::start(Behaviour::Status(500)),
            hang: HttpServer::start(Behaviour::Hang),
            closed: free_port(),
        }
    }

    /// A services.toml: ollama healthy, chroma 500, piper hanging, whisperx closed, and a user-added
    /// service that expects 404.
    pub fn services_toml(&self) -> String {
        format!(
            "timeout_seconds = 1\n\n\
             [[service]]\nname = \"ollama\"\nkind = \"ollama\"\nurl = \"{}\"\n\n\
             [[service]]\nname = \"chroma\"\nurl = \"{}\"\n\n\
             [[service]]\nname = \"piper\"\nurl = \"{}\"\n\n\
             [[service]]\nname = \"whisperx\"\nurl = \"http://127.0.0.1:{}/health\"\n\n\
             [[service]]\nname = \"custom-api\"\nurl = \"{}\"\nexpected_status = 404\n",
            self.ok.url("/api/tags"),
            self.err.url("/api/v2/heartbeat"),
            self.hang.url("/voices"),
            self.closed,
            self.ok.url("/missing"),
        )
    }
}

/// Write `<root>/templates/services.toml`.
pub fn write_services(root: &Path, toml: &str) {
    fs::create_dir_all(root.join("templates")).unwrap();
    fs::write(root.join("templates/services.toml"), toml).unwrap();
}

/// The only host directory under `root/inventory`.
pub fn only_host(root: &Path) -> (String, PathBuf) {
    let inv = root.join("inventory");
    let dirs: Vec<_> = fs::read_dir(&inv)
        .unwrap()
        .flatten()
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let name = dirs[0].file_name().unwrap().to_str().unwrap().to_string();
    (name, dirs[0].clone())
}

pub fn latest(root: &Path) -> Value {
    let (_, dir) = only_host(root);
    serde_json::from_slice(&fs::read(dir.join("latest.json")).unwrap()).unwrap()
}

/// Run `hwinv extract` on this machine against the test servers and return the stored snapshot.
/// Extract this machine with `toml` as its services list. With `path`, the extraction goes over SSH to a
/// real sshd whose sessions get that PATH, so the probe script's own curl/wget branch runs, as on a remote
/// host (locally hwinv probes plain-HTTP services itself).
pub fn extract_with(root: &Path, toml: &str, path: Option<&Path>) -> Value {
    write_services(root, toml);
    let mut cmd = hwinv(root);
    cmd.arg("extract");
    let _sshd = path.map(|p| {
        let force = format!(
            "PATH={}; export PATH; eval \"$SSH_ORIGINAL_COMMAND\"",
            p.display()
        );
        let sshd = crate::util::Sshd::start(Some(&force));
        cmd.args(sshd.hwinv_args());
        sshd
    });
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    latest(root)
}

/// A PATH directory with every program of the usual directories except `without`.
fn path_without(without: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for d in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        let Ok(entries) = fs::read_dir(d) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name();
            let dest = dir.path().join(&name);
            if without.iter().any(|w| name == *w) || dest.symlink_metadata().is_ok() {
                continue;
            }
            std::os::unix::fs::symlink(e.path(), dest).unwrap();
        }
    }
    dir
}

/// `v` with every `127.0.0.1:<port>` in its strings replaced by `127.0.0.1:[port]` (ports are random).
pub fn redact_ports(v: &Value) -> Value {
    let re = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    match v {
        Value::String(s) => Value::String(re.replace_all(s, "127.0.0.1:[port]").into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(redact_ports).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), redact_ports(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[test]
fn extract_records_healthy_failing_hanging_and_closed_services() {
    let servers = Fleet::start();
    let root = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let snap = extract_with(root.path(), &servers.services_toml(), None);
    // Five probes run at once, each bounded to 1 s: the hanging one must not hold up the extraction.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    let services = &snap["services"];
    assert_eq!(services["sections"]["services"]["status"], "ok");
    insta::assert_yaml_snapshot!(
        "extract_services",
        redact_ports(&json!({"http": services["http"], "llm": services["llm"]}))
    );
    // systemd and docker are reported whatever this machine has: a unit list, or why there is none.
    for section in ["systemd", "docker"] {
        let status = services["sections"][section]["status"].as_str().unwrap();
        assert!(
            ["ok", "missing", "failed", "timed_out"].contains(&status),
            "{section}: {status}"
        );
        let field = if section == "systemd" {
            "systemd_units"
        } else {
            "containers"
        };
        assert_eq!(
            status == "ok",
            services[field].is_object(),
            "{section}: {services}"
        );
    }

    // Readiness reads what extraction recorded: every down service is named with its reason.
    let (host, _) = only_host(root.path());
    let (code, out, err) =
        run(hwinv(root.path()).args(["readiness", &host, "--profile", "realtime"]));
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("whisperx down (connection refused); piper down (no answer within 1 s); chroma down (HTTP status 500, expected 200)"), "{out}");
    assert!(!out.contains("ollama down"), "{out}");

    // A second extraction of unchanged services records identical service facts (no timings).
    thread::sleep(Duration::from_millis(1100));
    let again = extract_with(root.path(), &servers.services_toml(), None);
    assert_eq!(again["services"], snap["services"]);
}

#[test]
fn the_scripts_curl_finds_what_the_native_prober_finds() {
    let servers = Fleet::start();
    let native_root = tempfile::tempdir().unwrap();
    let native = extract_with(native_root.path(), &servers.services_toml(), None);
    let curl_root = tempfile::tempdir().unwrap();
    let bin = path_without(&[]);
    let curl = extract_with(curl_root.path(), &servers.services_toml(), Some(bin.path()));
    assert_eq!(native["services"]["http"], curl["services"]["http"]);
    assert_eq!(native["services"]["llm"], curl["services"]["llm"]);
    assert_eq!(native["services"]["http"]["ollama"]["up"], true);
}

#[test]
fn wget_is_used_when_curl_is_missing() {
    let servers = Fleet::start();
    let root = tempfile::tempdir().unwrap();
    let bin = path_without(&["curl"]);
    let snap = extract_with(root.path(), &servers.services_toml(), Some(bin.path()));
    let http = &snap["services"]["http"];
    assert_eq!(http["ollama"]["up"], true, "{http}");
    assert_eq!(http["custom-api"]["up"], true, "{http}");
    assert_eq!(http["chroma"]["error"], "HTTP status 500, expected 200");
    assert_eq!(http["chroma"]["http_status"], 500);
    for down in ["piper", "whisperx"] {
        assert_eq!(http[down]["up"], false);
        assert_eq!(
            http[down]["error"], "network failure (connection refused or timed out)",
            "{down}"
        );
    }
    let llm = &snap["services"]["llm"]["ollama"];
    assert_eq!(llm["loaded"][0]["name"], "mistral:latest");
    assert_eq!(llm["available"].as_array().unwrap().len(), 2);
}

#[test]
fn without_curl_or_wget_services_are_unknown_not_an_error() {
    let servers = Fleet::start();
    let root = tempfile::tempdir().unwrap();
    let bin = path_without(&["curl", "wget"]);
    let snap = extract_with(root.path(), &servers.services_toml(), Some(bin.path()));
    let services = &snap["services"];
    assert_eq!(services["http"], Value::Null);
    assert_eq!(services["sections"]["services"]["status"], "missing");
    let (host, _) = only_host(root.path());
    let (code, out, _) =
        run(hwinv(root.path()).args(["readiness", &host, "--profile", "single-agent"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("ollama, piper not probed (curl: command not found (nor wget))"),
        "{out}"
    );
}

#[test]
fn hostile_urls_are_refused_before_anything_runs() {
    let root = tempfile::tempdir().unwrap();
    let marker = root.path().join("pwned");
    for url in [
        format!("http://127.0.0.1:1/'$(touch {})'", marker.display()),
        format!("http://127.0.0.1:1/`touch {}`", marker.display()),
        "http://127.0.0.1:1/a b".to_string(),
        "file:///etc/passwd".to_string(),
    ] {
        write_services(
            root.path(),
            &format!(
                "[[service]]\nname = \"x\"\nurl = {}\n",
                toml::Value::String(url.clone())
            ),
        );
        let (code, out, err) = run(hwinv(root.path()).arg("extract"));
        assert_eq!(code, 2, "{url}: stdout {out}");
        assert!(err.contains("invalid url"), "{url}: {err}");
        assert!(!marker.exists(), "{url} ran a command");
        assert!(!root.path().join("inventory").join("x").exists());
    }
    let host_dirs = fs::read_dir(root.path().join("inventory"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_type().unwrap().is_dir())
                .count()
        })
        .unwrap_or(0);
    assert_eq!(host_dirs, 0, "no host stored");
}

#[test]
fn a_service_answer_cannot_forge_probe_records() {
    // An "Ollama" whose body imitates the section's record lines and bytes a terminal would interpret.
    let evil = HttpServer::start(Behaviour::Body(
        "not json\nprobe evil http 200 http://127.0.0.1:1/\nresult 0 200 0\nclient curl 9\n\u{1b}[31m",
    ));
    let root = tempfile::tempdir().unwrap();
    let toml = format!(
        "[[service]]\nname = \"ollama\"\nkind = \"ollama\"\nurl = \"{}\"\n",
        evil.url("/api/tags")
    );
    let snap = extract_with(root.path(), &toml, None);
    let services = &snap["services"];
    let names: Vec<_> = services["http"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(names, ["ollama"]);
    assert_eq!(services["http"]["ollama"]["up"], true);
    let llm = &services["llm"]["ollama"];
    assert_eq!(llm["available"], Value::Null);
    assert!(
        llm["error"]
            .as_str()
            .unwrap()
            .starts_with("/api/tags: not JSON"),
        "{llm}"
    );
}
