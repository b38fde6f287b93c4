//! `hwinv export prometheus --remote-write`: the series pushed to a real Prometheus started with
//! `--web.enable-remote-write-receiver` on loopback and read back through its HTTP query API; the GPU plan's
//! `--names tom` series and `hwinv_llm_info` checked by promtool.

use crate::readiness::{edit_latest, replay};
use crate::serve::http;
use crate::util::{free_port, hwinv, require, run};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// GPU hosts and a Mac; `dual2070` has Ollama up with a model loaded.
fn root() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for h in ["linux-dual-2070", "linux-gpu-a100", "mac-m1pro"] {
        replay(root.path(), h);
    }
    edit_latest(root.path(), "dual2070", |v| {
        v["services"] = json!({
            "http": {"ollama": {"url": "http://127.0.0.1:11434/api/tags", "expected_status": 200,
                                "up": true, "http_status": 200, "error": null},
                     "piper": {"url": "http://127.0.0.1:5000/", "expected_status": 200,
                               "up": false, "http_status": null, "error": "connection refused"}},
            "llm": {"ollama": {"provider": "ollama", "available": [{"name": "qwen2.5:7b"}],
                               "loaded": [{"name": "qwen2.5:7b"}], "error": null}},
            "systemd_units": null, "containers": null, "sections": {}
        });
    });
    root
}

struct Prometheus {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start() -> Prometheus {
        let bin = require("prometheus");
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("prometheus.yml");
        std::fs::write(&cfg, "global:\n  scrape_interval: 1m\n").unwrap();
        let port = free_port();
        let child = Command::new(bin)
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-remote-write-receiver")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let p = Prometheus {
            port,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
                && http(port, "GET", "/-/ready", &[]).0 == 200
            {
                return p;
            }
            assert!(Instant::now() < deadline, "prometheus did not become ready");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1/write", self.port)
    }

    /// The instant vector of `q`, as the query API answers it.
    fn query(&self, q: &str) -> Vec<Value> {
        let enc: String = q
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'_' {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (code, _, body) = http(self.port, "GET", &format!("/api/v1/query?query={enc}"), &[]);
        assert_eq!(code, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["status"], "success", "{v}");
        v["data"]["result"].as_array().unwrap().clone()
    }

    /// Wait until `q` has `n` series (remote-written samples are queryable at once, but be patient).
    fn wait_for(&self, q: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = self.query(q);
            if r.len() >= n || Instant::now() > deadline {
                return r;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn remote_write_is_read_back_from_a_real_prometheus() {
    let root = root();
    let prom = Prometheus::start();
    let (code, _, err) = run(hwinv(root.path())
        .args(["export", "prometheus", "--remote-write"])
        .arg(prom.url()));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.starts_with("pushed ") && err.contains(" series to 127.0.0.1:"),
        "{err}"
    );
    let cores = prom.wait_for("hwinv_cpu_cores", 3);
    let hosts: Vec<&str> = cores
        .iter()
        .map(|r| r["metric"]["host"].as_str().unwrap())
        .collect();
    assert_eq!(hosts.len(), 3, "{hosts:?}");
    assert!(
        hosts.contains(&"dgx-a100") && hosts.contains(&"dual2070"),
        "{hosts:?}"
    );
    assert!(
        cores
            .iter()
            .any(|r| r["metric"]["host"] == "dgx-a100" && r["value"][1] == "8"),
        "{cores:?}"
    );
    let llm = prom.wait_for("hwinv_llm_info", 1);
    assert_eq!(llm[0]["metric"]["name"], "qwen2.5:7b", "{llm:?}");
    assert_eq!(llm[0]["metric"]["host"], "dual2070");
    let gpus = prom.wait_for("hwinv_gpu_vram_bytes", 3);
    assert!(gpus.len() >= 3, "{gpus:?}");

    // The GPU plan's names, pushed every second until stopped.
    let mut child = hwinv(root.path())
        .args([
            "export",
            "prometheus",
            "--names",
            "tom",
            "--every",
            "1s",
            "--remote-write",
        ])
        .arg(prom.url())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ready = prom.wait_for("tom_readiness_realtime", 3);
    assert_eq!(ready.len(), 3, "{ready:?}");
    std::thread::sleep(Duration::from_millis(2500));
    let _ = child.kill();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = child.wait();
    assert!(err.matches("pushed ").count() >= 2, "{err}");
    let svc = prom.query("tom_service_up");
    assert!(
        svc.iter()
            .any(|r| r["metric"]["name"] == "piper" && r["value"][1] == "0"),
        "{svc:?}"
    );
    assert_eq!(
        prom.query("tom_llm_info")[0]["metric"]["name"],
        "qwen2.5:7b"
    );
}

#[test]
fn remote_write_errors_are_one_line() {
    let root = root();
    let port = free_port();
    let (code, _, err) = run(hwinv(root.path())
        .args(["export", "prometheus", "--remote-write"])
        .arg(format!("http://127.0.0.1:{port}/api/v1/write")));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: unable to connect to 127.0.0.1:"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let (code, _, err) = run(hwinv(root.path()).args([
        "export",
        "prometheus",
        "--remote-write",
        "https://x/api/v1/write",
    ]));
    assert_eq!(code, 2);
    assert!(err.contains("only http:// is supported"), "{err}");
    let (code, _, err) = run(hwinv(root.path()).args(["export", "prometheus", "--every", "30s"]));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn tom_names_are_the_gpu_plans_series() {
    let root = root();
    let (code, text, err) =
        run(hwinv(root.path()).args(["export", "prometheus", "--names", "tom"]));
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("# TYPE "))
        .map(|l| l.split_whitespace().nth(2).unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "tom_gpu_count",
            "tom_gpu_driver_info",
            "tom_gpu_vram_bytes",
            "tom_host_cpu_info",
            "tom_host_ram_bytes",
            "tom_llm_info",
            "tom_readiness_realtime",
            "tom_readiness_single_agent",
            "tom_service_up",
        ]
    );
    assert!(
        text.contains(
            "tom_gpu_vram_bytes{host=\"dgx-a100\",index=\"0\",name=\"NVIDIA A100-SXM4-80GB\"} "
        ),
        "{text}"
    );
    assert!(
        text.contains("tom_llm_info{host=\"dual2070\",name=\"qwen2.5:7b\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "tom_gpu_driver_info{host=\"dgx-a100\",driver=\"535.54.03\",cuda=\"12.2\"} 1"
        ),
        "{text}"
    );
    let (_, plain, _) = run(hwinv(root.path()).args(["export", "prometheus"]));
    assert!(
        plain.contains("hwinv_llm_info{host=\"dual2070\",name=\"qwen2.5:7b\"} 1"),
        "{plain}"
    );
    for t in [&text, &plain] {
        let mut child = Command::new(require("promtool"))
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(t.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let complaints = String::from_utf8_lossy(&out.stderr).into_owned();
        // The plan's `tom_gpu_count` keeps its name although promtool's lint wants no `_count` suffix
        // outside histograms; nothing else may be reported.
        let other: Vec<&str> = complaints
            .lines()
            .filter(|l| !l.starts_with("tom_gpu_count non-histogram"))
            .collect();
        assert!(other.is_empty(), "{complaints}");
    }
}
