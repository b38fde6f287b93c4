//! Push mode against a real `nats-server -js` on loopback, configured by `hwinv nats hub-config`: many
//! agents at once, unchanged hardware, per-host permissions, the hub restarting, hostile payloads.

use crate::util::{free_port, hwinv, require, run};
use hwinv::push::client;
use hwinv::push::creds::HubArgs;
use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A hub: its directory (config, creds, JetStream store) and the running server.
struct Hub {
    dir: tempfile::TempDir,
    port: u16,
    child: Option<Child>,
    /// Extra client flags (TLS).
    client: Vec<String>,
}

impl Hub {
    /// Generate the configuration for `hosts`, start nats-server on it and run `hwinv nats setup`.
    fn start(hosts: &[String]) -> Hub {
        Hub::start_with(hosts, tempfile::tempdir().unwrap(), &[], &[])
    }

    /// [`Hub::start`] in `dir`, with extra `hub-config` flags and extra client flags.
    fn start_with(
        hosts: &[String],
        dir: tempfile::TempDir,
        config: &[String],
        client: &[String],
    ) -> Hub {
        require("nats-server");
        let port = free_port();
        let mut cmd = hwinv(dir.path());
        cmd.args(["nats", "hub-config", "--port", &port.to_string(), "--out"])
            .arg(dir.path().join("hub"))
            .args(config);
        for h in hosts {
            cmd.args(["--host", h]);
        }
        let (code, out, err) = run(&mut cmd);
        assert_eq!(code, 0, "hub-config: {out}{err}");
        let conf = dir.path().join("hub/nats-server.conf");
        let t = Command::new(require("nats-server"))
            .arg("-t")
            .arg("-c")
            .arg(&conf)
            .output()
            .unwrap();
        assert!(
            t.status.success(),
            "nats-server -t refused the hub config: {t:?}"
        );
        let mut hub = Hub {
            dir,
            port,
            child: None,
            client: client.to_vec(),
        };
        hub.restart();
        let (code, out, err) = run(hwinv(hub.dir.path())
            .args(["nats", "setup"])
            .args(hub.args("hwinv-admin")));
        assert_eq!(code, 0, "setup: {out}{err}");
        hub
    }

    fn creds(&self, user: &str) -> PathBuf {
        self.dir.path().join(format!("hub/creds/{user}.creds"))
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// `--server URL --creds FILE` for `user`.
    fn args(&self, user: &str) -> Vec<String> {
        let mut v = vec![
            "--server".into(),
            self.url(),
            "--creds".into(),
            self.creds(user).display().to_string(),
        ];
        v.extend(self.client.iter().cloned());
        v
    }

    /// (Re)start the server on the same port and store.
    fn restart(&mut self) {
        let child = Command::new(require("nats-server"))
            .arg("-c")
            .arg(self.dir.path().join("hub/nats-server.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(self.dir.path().join("nats.log")).unwrap())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// `hwinv agent` pushing `fixture` as `name` with `user`'s credentials, spooling under `spool`.
    fn agent(&self, user: &str, name: &str, fixture: &Path, spool: &Path) -> Command {
        self.agent_retrying(user, name, fixture, spool, "1s")
    }

    /// [`Hub::agent`], retrying an unreachable hub for `retry_for`.
    fn agent_retrying(
        &self,
        user: &str,
        name: &str,
        fixture: &Path,
        spool: &Path,
        retry_for: &str,
    ) -> Command {
        let mut c = hwinv(self.dir.path());
        c.arg("agent")
            .args(self.args(user))
            .arg("--once")
            .arg("--replay")
            .arg(fixture)
            .args([
                "--name",
                name,
                "--hub-timeout",
                "2s",
                "--retry-for",
                retry_for,
            ])
            .arg("--spool")
            .arg(spool);
        c
    }

    fn sync(&self, root: &Path) -> (i32, String, String) {
        run(hwinv(root).arg("sync").args(self.args("hwinv-admin")))
    }

    /// Publish raw bytes with `user`'s credentials.
    fn publish_raw(&self, user: &str, subject: &str, payload: &[u8]) -> Result<bool, String> {
        let args = HubArgs {
            server: self.url(),
            creds: self.creds(user),
            tls_ca: None,
            tls_cert: None,
            tls_key: None,
            tls: false,
        };
        let rt = hwinv::push::runtime().unwrap();
        rt.block_on(async {
            let hub = client::connect(&args, Duration::from_secs(2))
                .await
                .map_err(|e| format!("{e:#}"))?;
            let id = format!("raw-{}", payload.len() ^ subject.len());
            let r = hub
                .publish(
                    subject,
                    payload.to_vec(),
                    &format!("{id}-{:?}", Instant::now()),
                    None,
                )
                .await
                .map_err(|e| format!("{e:#}"));
            hub.close().await;
            r
        })
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The replayable fixture hosts.
fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(crate::util::repo().join("tests/fixtures/hosts"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn snapshots_of(root: &Path, host: &str) -> usize {
    fs::read_dir(root.join("inventory").join(host))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("hardware_"))
                .count()
        })
        .unwrap_or(0)
}

fn events_of(root: &Path) -> String {
    fs::read_to_string(root.join("inventory/events.jsonl")).unwrap_or_default()
}

#[test]
fn twenty_agents_push_at_once_and_sync_stores_them_once() {
    let names: Vec<String> = (0..20).map(|i| format!("push-{i:02}")).collect();
    let hub = Hub::start(&names);
    let fx = fixtures();
    let spool = hub.dir.path().join("spool");
    let push_all = || {
        let children: Vec<(String, Child)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let c = hub
                    .agent(n, n, &fx[i % fx.len()], &spool)
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                (n.clone(), c)
            })
            .collect();
        children
            .into_iter()
            .map(|(n, c)| {
                let out = c.wait_with_output().unwrap();
                let text = String::from_utf8_lossy(&out.stdout).into_owned();
                assert!(
                    out.status.success(),
                    "agent {n}: {text}{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                text
            })
            .collect::<Vec<_>>()
    };
    let first = push_all();
    assert!(
        first.iter().all(|o| o.contains("snapshot published")),
        "{first:?}"
    );

    let inv = tempfile::tempdir().unwrap();
    let (code, out, err) = hub.sync(inv.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("20 hosts: 20 stored"), "{out}");
    let events = events_of(inv.path());
    for n in &names {
        assert_eq!(snapshots_of(inv.path(), n), 1, "{n}");
        let dir = inv.path().join("inventory").join(n);
        assert!(
            dir.join("hardware.nix").exists() && dir.join("latest.json").exists(),
            "{n}"
        );
        assert!(
            inv.path()
                .join("hosts")
                .join(n)
                .join("hardware.nix")
                .exists(),
            "{n}"
        );
        let latest: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join("latest.json")).unwrap()).unwrap();
        assert_eq!(latest["system_info"]["hostname"], n.as_str());
        for kind in [
            "extraction.started",
            "hardware.discovered",
            "extraction.completed",
        ] {
            let needle = format!("\"type\":\"inventory.{kind}\",\"host\":\"{n}\"");
            assert!(events.contains(&needle), "{needle} in events.jsonl");
        }
    }
    // What extract and hosts read works on what sync wrote.
    let (code, out, _) = run(hwinv(inv.path()).args(["hosts"]));
    assert_eq!(code, 0);
    assert!(out.contains("push-19"), "{out}");

    // Unchanged hardware: the agents publish nothing new and sync stores nothing.
    let second = push_all();
    assert!(
        second.iter().all(|o| o.contains("snapshot unchanged")),
        "{second:?}"
    );
    let (code, out, err) = hub.sync(inv.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("20 hosts: 0 stored, 20 unchanged"), "{out}");
    for n in &names {
        assert_eq!(snapshots_of(inv.path(), n), 1, "{n} stored once");
    }
    // Two syncs at once (and nothing new): still one snapshot each, no error.
    let a = hwinv(inv.path())
        .arg("sync")
        .args(hub.args("hwinv-admin"))
        .output()
        .unwrap();
    assert!(a.status.success());
    let events_before = events_of(inv.path())
        .lines()
        .filter(|l| l.contains("\"push-00\""))
        .count();
    let (c1, c2) = std::thread::scope(|s| {
        let t = s.spawn(|| hub.sync(inv.path()).0);
        (hub.sync(inv.path()).0, t.join().unwrap())
    });
    assert_eq!((c1, c2), (0, 0));
    let events_after = events_of(inv.path())
        .lines()
        .filter(|l| l.contains("\"push-00\""))
        .count();
    assert_eq!(events_before, events_after, "events are appended once");
}

#[test]
fn a_host_cannot_write_another_hosts_key() {
    let names = vec!["host-a".to_string(), "host-b".to_string()];
    let hub = Hub::start(&names);
    let fx = &fixtures()[0];
    let spool = hub.dir.path().join("spool");
    let (code, _, err) = run(&mut hub.agent("host-a", "host-b", fx, &spool));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Permissions Violation"), "{err}");
    assert_eq!(err.lines().count(), 1, "one-line error: {err}");
    // Straight at the server: A's credentials on B's key and B's events.
    let snapshot = br#"{"schema_version":1}"#;
    let e = hub
        .publish_raw("host-a", "$KV.hwinv-hosts.host-b", snapshot)
        .unwrap_err();
    assert!(e.contains("Permissions Violation"), "{e}");
    let e = hub
        .publish_raw("host-a", "inventory.extraction.completed.host-b", b"{}")
        .unwrap_err();
    assert!(e.contains("Permissions Violation"), "{e}");
    assert!(hub
        .publish_raw("host-a", "$KV.hwinv-hosts-other.x", b"{}")
        .is_err());
    let inv = tempfile::tempdir().unwrap();
    let (code, out, err) = hub.sync(inv.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 hosts"), "{out}");
    assert!(!inv.path().join("inventory/host-b").exists());
}

#[test]
fn the_hub_stopped_mid_run_and_restarted_loses_nothing() {
    let names: Vec<String> = ["early", "waiting", "spooled"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut hub = Hub::start(&names);
    let fx = fixtures();
    let spool = hub.dir.path().join("spool");
    let (code, out, err) = run(hub.agent("early", "early", &fx[0], &spool).arg("--json"));
    assert_eq!(code, 0, "{out}{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["snapshot"], "published", "{out}");
    assert_eq!(report["events"], 3, "{out}");

    hub.stop();
    // One agent keeps retrying while the hub is down; another gives up and leaves its push in the spool.
    let waiting = hub
        .agent_retrying("waiting", "waiting", &fx[1], &spool, "20s")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (code, _, err) =
        run(&mut hub.agent_retrying("spooled", "spooled", &fx[2], &spool, "300ms"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("wait in"), "{err}");
    assert!(spool.join("spooled.pending.json").exists());
    std::thread::sleep(Duration::from_millis(300));
    hub.restart();

    let out = waiting.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("snapshot published"));
    let (code, out, err) = run(&mut hub.agent("spooled", "spooled", &fx[2], &spool));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("6 events"),
        "the spooled run's events go too: {out}"
    );
    assert!(!spool.join("spooled.pending.json").exists());

    let inv = tempfile::tempdir().unwrap();
    let (code, out, err) = hub.sync(inv.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 hosts: 3 stored"), "{out}");
    let events = events_of(inv.path());
    for n in &names {
        assert_eq!(snapshots_of(inv.path(), n), 1, "{n}");
        assert!(events.contains(&format!(
            "\"type\":\"inventory.extraction.completed\",\"host\":\"{n}\""
        )));
    }
}

#[test]
fn hostile_payloads_are_refused_and_keep_the_previous_latest() {
    let names = vec!["victim".to_string()];
    let hub = Hub::start(&names);
    let fx = &fixtures()[0];
    let spool = hub.dir.path().join("spool");
    let (code, out, err) = run(&mut hub.agent("victim", "victim", fx, &spool));
    assert_eq!(code, 0, "{out}{err}");
    let inv = tempfile::tempdir().unwrap();
    assert_eq!(hub.sync(inv.path()).0, 0);
    let latest = inv.path().join("inventory/victim/latest.json");
    let good = fs::read(&latest).unwrap();
    let good_json: serde_json::Value = serde_json::from_slice(&good).unwrap();

    let renamed = {
        let mut v = good_json.clone();
        v["system_info"]["hostname"] = "../../etc".into();
        serde_json::to_vec(&v).unwrap()
    };
    let older = {
        let mut v = good_json.clone();
        v["collected_at"] = "2001-01-01T00:00:00Z".into();
        v["hardware"]["cpu_cores"] = 9999.into();
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&[u8], &str)> = vec![
        (b"{not json", "rejected  1 malformed"),
        (&renamed, "rejected  1 wrong host"),
        (
            br#"{"schema_version":1,"collected_at":"x"}"#,
            "rejected  1 malformed",
        ),
        (&older, "1 older ignored"),
    ];
    for (payload, expect) in cases {
        hub.publish_raw("victim", "$KV.hwinv-hosts.victim", payload)
            .unwrap();
        let (code, out, err) = hub.sync(inv.path());
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains(expect), "{expect:?} in {out}");
        assert_eq!(
            fs::read(&latest).unwrap(),
            good,
            "the previous latest stays"
        );
        assert_eq!(snapshots_of(inv.path(), "victim"), 1);
    }
    // An event whose body names another host than its subject.
    let forged = br#"{"time":"2026-01-01T00:00:00Z","type":"inventory.extraction.completed","host":"other","details":{}}"#;
    hub.publish_raw("victim", "inventory.extraction.completed.victim", forged)
        .unwrap();
    let (code, out, _) = hub.sync(inv.path());
    assert_eq!(code, 0);
    assert!(out.contains("rejected  1 event wrong subject"), "{out}");
    let events = events_of(inv.path());
    assert!(!events.contains("\"host\":\"other\""), "{events}");
    assert!(events.contains("inventory.sync.rejected"));
}

#[test]
fn hub_config_keeps_existing_credentials_and_covers_the_inventory() {
    let root = tempfile::tempdir().unwrap();
    let fx = &fixtures()[0];
    let (code, out, err) = run(hwinv(root.path())
        .args(["extract", "--name", "inv-host", "--replay"])
        .arg(fx));
    assert_eq!(code, 0, "{out}{err}");
    let out_dir = root.path().join("hub");
    let gen = || {
        run(hwinv(root.path())
            .args(["nats", "hub-config", "--out"])
            .arg(&out_dir))
    };
    let (code, out, err) = gen();
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("1 hosts + hwinv-admin (2 new credentials, 0 kept)"),
        "{out}"
    );
    let conf = fs::read_to_string(out_dir.join("nats-server.conf")).unwrap();
    assert!(conf.contains("listen: \"127.0.0.1:4222\""), "{conf}");
    assert!(conf.contains("\"$KV.hwinv-hosts.inv-host\""), "{conf}");
    let creds = fs::read(out_dir.join("creds/inv-host.creds")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(out_dir.join("creds/inv-host.creds"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "creds are private");
    let (code, out, _) = gen();
    assert_eq!(code, 0);
    assert!(out.contains("0 new credentials, 2 kept"), "{out}");
    assert_eq!(
        fs::read(out_dir.join("creds/inv-host.creds")).unwrap(),
        creds
    );
    assert_eq!(
        fs::read_to_string(out_dir.join("nats-server.conf")).unwrap(),
        conf
    );
    let t = Command::new(require("nats-server"))
        .arg("-t")
        .arg("-c")
        .arg(out_dir.join("nats-server.conf"))
        .output()
        .unwrap();
    assert!(t.status.success(), "{t:?}");
    let (code, _, err) = run(hwinv(root.path())
        .args(["nats", "hub-config", "--host", "../x", "--out"])
        .arg(&out_dir));
    assert_eq!(code, 2);
    assert!(err.contains("invalid host name"), "{err}");
}

#[test]
fn events_follow_prints_pushed_events_live() {
    use std::io::{BufRead, BufReader};
    let names = vec!["live-1".to_string()];
    let hub = Hub::start(&names);
    /// Kills the follower even when an assertion fails first.
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut follow = hwinv(hub.dir.path())
        .args([
            "events",
            "--follow",
            "--format",
            "json",
            "--type",
            "inventory.extraction.completed",
        ])
        .args(hub.args("hwinv-admin"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(follow.stderr.take().unwrap());
    let mut live = BufReader::new(follow.stdout.take().unwrap());
    let _follow = Kill(follow);
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("following"), "{line}");
    let spool = hub.dir.path().join("spool");
    let (code, out, e) = run(&mut hub.agent("live-1", "live-1", &fixtures()[0], &spool));
    assert_eq!(code, 0, "{out}{e}");
    let mut first = String::new();
    live.read_line(&mut first).unwrap();
    let v: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["type"], "inventory.extraction.completed", "{first}");
    assert_eq!(v["host"], "live-1");
}

#[test]
fn agent_raw_uploads_the_capture_to_the_object_store() {
    use futures_util::StreamExt;
    let names = vec!["raw-1".to_string(), "raw-2".to_string()];
    let hub = Hub::start(&names);
    let fx = fixtures();
    let spool = hub.dir.path().join("spool");
    for (i, n) in names.iter().enumerate() {
        let (code, out, err) = run(hub.agent(n, n, &fx[i], &spool).arg("--raw"));
        assert_eq!(code, 0, "{out}{err}");
    }
    // Again for raw-1, from another capture: the object is replaced, not appended to.
    let (code, out, err) = run(hub.agent("raw-1", "raw-1", &fx[2], &spool).arg("--raw"));
    assert_eq!(code, 0, "{out}{err}");
    let args = HubArgs {
        server: hub.url(),
        creds: hub.creds("hwinv-admin"),
        tls_ca: None,
        tls_cert: None,
        tls_key: None,
        tls: false,
    };
    let rt = hwinv::push::runtime().unwrap();
    let read = |name: &str| -> Vec<u8> {
        rt.block_on(async {
            let h = client::connect(&args, Duration::from_secs(2))
                .await
                .unwrap();
            let store = h.js.get_object_store("hwinv-captures").await.unwrap();
            let mut obj = store.get(name).await.unwrap();
            let mut data = Vec::new();
            use tokio::io::AsyncReadExt;
            obj.read_to_end(&mut data).await.unwrap();
            let list: Vec<_> = store.list().await.unwrap().collect().await;
            assert_eq!(list.len(), 2, "one object per host");
            h.close().await;
            data
        })
    };
    let v: serde_json::Value = serde_json::from_slice(&read("raw-1")).unwrap();
    let uname = fs::read_to_string(fx[2].join("uname.out")).unwrap();
    assert_eq!(v["sections"]["uname"]["stdout"], uname.as_str());
    let v: serde_json::Value = serde_json::from_slice(&read("raw-2")).unwrap();
    let uname = fs::read_to_string(fx[1].join("uname.out")).unwrap();
    assert_eq!(v["sections"]["uname"]["stdout"], uname.as_str());
}

#[test]
fn sync_beside_extract_of_the_same_host_never_breaks_latest() {
    let names = vec!["both".to_string()];
    let hub = Hub::start(&names);
    let fx = fixtures();
    let spool = hub.dir.path().join("spool");
    let (code, out, err) = run(&mut hub.agent("both", "both", &fx[3], &spool));
    assert_eq!(code, 0, "{out}{err}");
    let inv = tempfile::tempdir().unwrap();
    let codes: Vec<i32> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for i in 0..4 {
            let root = inv.path();
            let fx = &fx;
            handles.push(s.spawn(move || {
                run(hwinv(root)
                    .args(["extract", "--name", "both", "--replay"])
                    .arg(&fx[i]))
                .0
            }));
            handles.push(s.spawn(|| hub.sync(inv.path()).0));
        }
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(codes.iter().all(|c| *c == 0), "{codes:?}");
    let dir = inv.path().join("inventory/both");
    let latest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("latest.json")).unwrap()).unwrap();
    assert_eq!(latest["system_info"]["hostname"], "both");
    let leftovers: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("hwinv-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // Four extractions, and the pushed snapshot at most once (four syncs ran), whatever the interleaving.
    let n = snapshots_of(inv.path(), "both");
    assert!((4..=5).contains(&n), "{n} snapshots");
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`.
fn make_certs(dir: &Path) {
    let openssl = require("openssl");
    let sh = |args: &[&str]| {
        let out = Command::new(&openssl)
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sh(&[
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=hwinv test CA",
    ]);
    sh(&[
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    sh(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}

#[test]
fn tls_options_reach_the_hub_and_the_clients() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let p = |f: &str| dir.path().join(f).display().to_string();
    let config = vec![
        "--tls-cert".into(),
        p("server.pem"),
        "--tls-key".into(),
        p("server.key"),
    ];
    let client = vec!["--tls-ca".to_string(), p("ca.pem")];
    let names = vec!["secure-1".to_string()];
    let hub = Hub::start_with(&names, dir, &config, &client);
    let conf = fs::read_to_string(hub.dir.path().join("hub/nats-server.conf")).unwrap();
    assert!(
        conf.contains("tls {") && conf.contains("server.pem"),
        "{conf}"
    );
    let spool = hub.dir.path().join("spool");
    let (code, out, err) = run(&mut hub.agent("secure-1", "secure-1", &fixtures()[0], &spool));
    assert_eq!(code, 0, "{out}{err}");
    let inv = tempfile::tempdir().unwrap();
    let (code, out, err) = hub.sync(inv.path());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 stored"), "{out}");
    // Without the CA the client cannot verify the hub and says so in one line.
    let (code, _, err) = run(hwinv(inv.path())
        .args(["sync", "--server", &hub.url(), "--creds"])
        .arg(hub.creds("hwinv-admin"))
        .args(["--timeout", "2s"]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_full_jetstream_store_keeps_the_push_in_the_spool() {
    let names = vec!["filler".to_string()];
    let config = vec!["--max-file-store".to_string(), "40K".to_string()];
    let hub = Hub::start_with(&names, tempfile::tempdir().unwrap(), &config, &[]);
    let spool = hub.dir.path().join("spool");
    let mut refused = None;
    for fx in fixtures().iter().cycle().take(30) {
        let (code, out, err) =
            run(&mut hub.agent_retrying("filler", "filler", fx, &spool, "300ms"));
        if code != 0 {
            refused = Some(err);
            break;
        }
        assert!(out.contains("pushed"), "{out}");
    }
    let err = refused.expect("a 40 KiB store fills up");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("store is full"), "{err}");
    assert!(spool.join("filler.pending.json").exists());
}
