//! Fleet extraction end to end over real sshd instances on 127.0.0.1: several servers (this machine, two
//! simulated Macs, one that hangs, one that answers garbage) and a port nothing listens on, all in one
//! `hwinv extract --fleet` run; leaf-config.nix evaluated by the real nix-instantiate (and read without
//! it); Ctrl-C in the middle of a run; and bad host lists.
//!
//! Many stored hosts come from one server through `name=` on a host-list line (`--name` per host), so
//! every stored host is distinct while the SSH handshake, the probe and the parsers are all real.

use crate::util::{free_port, hwinv, require, run, tree, whoami, FakeMac, Sshd};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Several sshd servers that all accept one client key and whose host keys are known in advance, so the
/// fleet runs with `--host-key-checking yes` and no known_hosts races.
struct Lab {
    dir: tempfile::TempDir,
    servers: Vec<Sshd>,
    _bins: Vec<tempfile::TempDir>,
}

impl Lab {
    fn new() -> Lab {
        let dir = tempfile::tempdir().unwrap();
        let st = Command::new(require("ssh-keygen"))
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "hwinv-fleet", "-f"])
            .arg(dir.path().join("key"))
            .status()
            .unwrap();
        assert!(st.success());
        Lab {
            dir,
            servers: Vec::new(),
            _bins: Vec::new(),
        }
    }

    /// Start a server (running `force_command` instead of what the client asks, when given); its port.
    fn server(&mut self, force_command: Option<&str>) -> u16 {
        let s = Sshd::start(force_command);
        let d = s.dir.path();
        // sshd reads authorized_keys at each login, so adding the lab key now is enough.
        let mut keys = fs::read_to_string(d.join("authorized_keys")).unwrap();
        keys.push_str(&fs::read_to_string(self.dir.path().join("key.pub")).unwrap());
        fs::write(d.join("authorized_keys"), keys).unwrap();
        let host_key = fs::read_to_string(d.join("host_key.pub")).unwrap();
        let mut known = fs::read_to_string(self.known_hosts()).unwrap_or_default();
        known.push_str(&format!("[127.0.0.1]:{} {}", s.port, host_key));
        fs::write(self.known_hosts(), known).unwrap();
        let port = s.port;
        self.servers.push(s);
        port
    }

    /// A simulated macOS host (fake system tools in front of PATH).
    fn mac(&mut self, mac: &FakeMac) -> u16 {
        let bins = tempfile::tempdir().unwrap();
        let bin = mac.install(bins.path());
        self._bins.push(bins);
        self.server(Some(&format!(
            "PATH={}:$PATH; export PATH; eval \"$SSH_ORIGINAL_COMMAND\"",
            bin.display()
        )))
    }

    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    /// SSH settings for every host of the fleet.
    fn args(&self) -> Vec<String> {
        vec![
            "-i".into(),
            self.dir.path().join("key").display().to_string(),
            "-o".into(),
            format!("UserKnownHostsFile={}", self.known_hosts().display()),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            "IdentityAgent=none".into(),
            "--host-key-checking".into(),
            "yes".into(),
        ]
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }
}

fn mac_named(name: &str) -> FakeMac {
    let mut m = FakeMac::m1_pro();
    m.local_host_name = name.into();
    m
}

fn events(root: &Path) -> Vec<Value> {
    fs::read_to_string(root.join("inventory/events.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn count(evs: &[Value], kind: &str) -> usize {
    evs.iter().filter(|e| e["type"] == kind).count()
}

fn stored(root: &Path) -> Vec<String> {
    let (code, out, err) = run(hwinv(root).args(["hosts", "--format", "names"]));
    assert!(code <= 1, "{err}");
    out.lines().map(String::from).collect()
}

/// No temp file or temp symlink anywhere under the root.
fn assert_no_temp_files(root: &Path) {
    let leftovers: Vec<PathBuf> = tree(root)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.file_name().unwrap().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temp files left behind: {leftovers:?}"
    );
}

#[test]
fn fleet_of_eleven_hosts_with_dead_hanging_and_garbage_ones() {
    let mut lab = Lab::new();
    let linux = lab.server(None);
    let mac1 = lab.mac(&mac_named("mac-studio-1"));
    let mac2 = lab.mac(&mac_named("mac-prod-02"));
    let hang = lab.server(Some("sleep 30"));
    let garbage = lab.server(Some(
        "cat >/dev/null; echo 'Welcome to ACME router'; echo '% invalid command'",
    ));
    let down = free_port();
    let user = whoami();
    let mut list =
        String::from("# the lab: six names for this machine, two Macs, three bad hosts\n\n");
    for i in 1..=6 {
        list.push_str(&format!("127.0.0.1 {user} {linux} name=node-0{i}\n"));
    }
    list.push_str(&format!(
        "{user}@127.0.0.1 - {mac1}   # reports mac-studio-1\n"
    ));
    list.push_str(&format!("127.0.0.1 port={mac2} user={user}\n"));
    list.push_str(&format!("127.0.0.1 {user} {down} name=dead-01\n"));
    list.push_str(&format!("127.0.0.1 {user} {hang} name=hung-01\n"));
    list.push_str(&format!("127.0.0.1 {user} {garbage} name=garbage-01\n"));
    let hosts = lab.write("hosts.txt", &list);
    let root = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, out, err) = run(hwinv(root.path())
        .args(["extract", "--fleet"])
        .arg(&hosts)
        .args(["-j", "4", "--timeout", "8"])
        .args(lab.args()));
    let took = started.elapsed();
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");

    // The good ones are stored.
    let mut want: Vec<String> = vec!["mac-prod-02".into(), "mac-studio-1".into()];
    want.extend((1..=6).map(|i| format!("node-0{i}")));
    assert_eq!(stored(root.path()), want, "stderr: {err}");
    for h in &want {
        let snap: hwinv::model::Snapshot = serde_json::from_slice(
            &fs::read(root.path().join("inventory").join(h).join("latest.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(&snap.system_info.hostname, h);
        assert_eq!(snap.source.transport, "ssh");
        assert!(root
            .path()
            .join("hosts")
            .join(h)
            .join("hardware.nix")
            .exists());
    }
    let mac: Value = serde_json::from_slice(
        &fs::read(root.path().join("inventory/mac-prod-02/latest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(mac["os"]["family"], "macos");
    assert_eq!(mac["hardware"]["memory_gb"], 32);

    // The bad ones are reported, each with its reason, and leave nothing behind.
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0].split(" in ").next().unwrap(),
        "fleet: 8 ok, 3 failed of 11 hosts",
        "{out}"
    );
    assert_eq!(lines[1], "failed:");
    let reason = |name: &str| {
        lines
            .iter()
            .find(|l| l.trim_start().starts_with(name))
            .copied()
            .unwrap_or("")
    };
    assert!(
        reason("dead-01").contains(&format!("(127.0.0.1:{down})")),
        "{out}"
    );
    assert!(
        reason("dead-01")
            .to_lowercase()
            .contains("connection refused"),
        "{out}"
    );
    assert!(reason("hung-01").contains("timed out after 8s"), "{out}");
    assert!(
        reason("garbage-01").contains("not from the hwinv probe"),
        "{out}"
    );
    for bad in ["dead-01", "hung-01", "garbage-01"] {
        assert!(
            !root.path().join("inventory").join(bad).exists(),
            "{bad} must leave no directory"
        );
    }
    assert_no_temp_files(root.path());
    assert_eq!(
        err.lines().last(),
        Some("error: 3 of 11 hosts failed"),
        "{err}"
    );
    // Plain progress lines when stderr is not a terminal, one per host.
    let progress: Vec<&str> = err.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(progress.len(), 11, "{err}");
    assert!(
        progress
            .iter()
            .any(|l| l.contains("ok      node-03 (127.0.0.1:") && l.contains("-> node-03")),
        "{err}"
    );
    assert!(progress.iter().any(|l| l.starts_with("[11/11] ")), "{err}");

    // One hung host costs its own timeout, not everyone's: 8 s bound plus the rest in parallel.
    assert!(took < Duration::from_secs(40), "fleet took {took:?}");

    // Events say what happened to each host and to the fleet.
    let evs = events(root.path());
    assert_eq!(count(&evs, "inventory.extraction.started"), 11);
    assert_eq!(count(&evs, "inventory.extraction.completed"), 8);
    assert_eq!(count(&evs, "inventory.extraction.failed"), 3);
    let failed: Vec<&str> = evs
        .iter()
        .filter(|e| e["type"] == "inventory.extraction.failed")
        .map(|e| e["host"].as_str().unwrap())
        .collect();
    for bad in ["dead-01", "hung-01", "garbage-01"] {
        assert!(failed.contains(&bad), "{failed:?}");
    }
    let fleet_started = evs
        .iter()
        .find(|e| e["type"] == "inventory.fleet.started")
        .unwrap();
    assert_eq!(
        (
            fleet_started["host"].as_str(),
            fleet_started["details"]["hosts"].as_u64()
        ),
        (Some("*"), Some(11))
    );
    let done = evs
        .iter()
        .find(|e| e["type"] == "inventory.fleet.completed")
        .unwrap();
    assert_eq!(
        (
            done["details"]["ok"].as_u64(),
            done["details"]["failed"].as_u64()
        ),
        (Some(8), Some(3))
    );

    // The good hosts alone, again, with a JSON report: exit 0, a second snapshot each, no hardware change.
    let good: String = list
        .lines()
        .filter(|l| {
            !["dead-01", "hung-01", "garbage-01"]
                .iter()
                .any(|b| l.contains(b))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let good = lab.write("good.txt", &good);
    let (code, out, err) = run(hwinv(root.path())
        .args(["extract", "--json", "--fleet"])
        .arg(&good)
        .args(lab.args()));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["hosts"], 8);
    assert_eq!(report["ok"].as_array().unwrap().len(), 8);
    assert_eq!(report["failed"], serde_json::json!([]));
    for h in &want {
        let (code, out, err) = run(hwinv(root.path()).args(["diff", h]));
        assert_eq!(code, 0, "{err}");
        assert!(out.ends_with("no hardware changes\n"), "{h}: {out}");
    }
}

#[test]
fn hostile_hosts_do_not_abort_or_bloat_a_fleet_run() {
    // One host's nvidia-smi prints 100,000 nested elements (a stack overflow in a fleet worker thread
    // before the depth guard), one streams without end; the good host is stored all the same.
    let mut lab = Lab::new();
    let linux = lab.server(None);
    let bins = tempfile::tempdir().unwrap();
    let bin = bins.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let xml = bins.path().join("deep.xml");
    fs::write(&xml, crate::faults::deep_xml(100_000)).unwrap();
    let smi = bin.join("nvidia-smi");
    fs::write(&smi, format!("#!/bin/sh\ncat '{}'\n", xml.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&smi, fs::Permissions::from_mode(0o755)).unwrap();
    let deep = lab.server(Some(&format!(
        "PATH={}:$PATH; export PATH; eval \"$SSH_ORIGINAL_COMMAND\"",
        bin.display()
    )));
    lab._bins.push(bins);
    let flood = lab.server(Some("cat >/dev/null & exec yes hwinv-flood"));
    let user = whoami();
    let list = format!(
        "127.0.0.1 {user} {linux} name=good-01\n127.0.0.1 {user} {deep} name=deep-01\n\
         127.0.0.1 {user} {flood} name=flood-01\n"
    );
    let hosts = lab.write("hosts.txt", &list);
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path())
        .args(["extract", "--fleet"])
        .arg(&hosts)
        .args(["-j", "3", "--timeout", "60", "--max-output", "4MiB"])
        .args(lab.args()));
    assert_eq!(code, 2, "stdout: {out}\nstderr: {err}");
    assert_eq!(stored(root.path()), ["deep-01", "good-01"], "{out}{err}");
    let snap: Value = serde_json::from_slice(
        &fs::read(root.path().join("inventory/deep-01/latest.json")).unwrap(),
    )
    .unwrap();
    assert!(
        snap["warnings"]
            .to_string()
            .contains("XML nested deeper than 64"),
        "{}",
        snap["warnings"]
    );
    let reason = out
        .lines()
        .find(|l| l.trim_start().starts_with("flood-01"))
        .unwrap_or("");
    assert!(
        reason.contains("more than 4194304 bytes on stdout"),
        "{out}"
    );
    assert!(!root.path().join("inventory/flood-01").exists());
    assert_no_temp_files(root.path());
}

#[test]
fn leaf_config_nix_is_evaluated_by_nix() {
    require("nix-instantiate");
    let mut lab = Lab::new();
    let p1 = lab.mac(&mac_named("mac-studio-1"));
    let p2 = lab.mac(&mac_named("mac-prod-02"));
    let p3 = lab.mac(&mac_named("Mac-Prod-03"));
    let user = whoami();
    // `let`, a function and string interpolation: only a real Nix evaluator reads this. The shape is the
    // one the flake reads (nix/discover.nix), plus an optional port.
    let cfg = lab.write(
        "leaf-config.nix",
        &format!(
            r#"let
  node = name: port: {{ hostname = name; ip = "127.0.0.1"; inherit port; }};
in {{
  sshUser = "{user}";
  primary = node "mac-studio-1" {p1};
  secondaries = [
    (node "mac-prod-02" {p2})
    (node "mac-prod-03" {p3}) # its LocalHostName is Mac-Prod-03
  ];
  nats.cluster = "leaf-${{toString {p1}}}";
}}
"#
        ),
    );
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path())
        .args(["extract", "--fleet"])
        .arg(&cfg)
        .args(lab.args()));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.starts_with("fleet: 3 ok, 0 failed of 3 hosts"), "{out}");
    // Stored under the leaf-config host names, which the flake matches deploy nodes by.
    assert_eq!(
        stored(root.path()),
        ["mac-prod-02", "mac-prod-03", "mac-studio-1"]
    );
    assert!(err.contains("ok      mac-prod-03 (127.0.0.1:"), "{err}");
}

/// A PATH with ssh and sh but no nix-instantiate.
fn path_without_nix(dir: &Path) -> PathBuf {
    let bin = dir.join("bin-without-nix");
    fs::create_dir_all(&bin).unwrap();
    for tool in ["ssh", "sh"] {
        let real = ["/usr/bin", "/bin"]
            .iter()
            .map(|d| Path::new(d).join(tool))
            .find(|p| p.exists())
            .unwrap();
        std::os::unix::fs::symlink(real, bin.join(tool)).unwrap();
    }
    bin
}

#[test]
fn leaf_config_without_nix_reads_plain_data() {
    let mut lab = Lab::new();
    let p1 = lab.mac(&mac_named("mac-studio-1"));
    let user = whoami();
    let bin = path_without_nix(lab.dir.path());
    let cfg = lab.write(
        "leaf-config.nix",
        &format!(
            "# plain data: readable without Nix\n{{\n  sshUser = \"{user}\";\n  primary = {{ hostname = \"mac-studio-1\"; ip = \"127.0.0.1\"; port = {p1}; }};\n  secondaries = [ ];\n}}\n"
        ),
    );
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path())
        .env("PATH", &bin)
        .args(["extract", "--fleet"])
        .arg(&cfg)
        .args(lab.args()));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert_eq!(stored(root.path()), ["mac-studio-1"]);
    // The same shape as JSON works too.
    let json = lab.write(
        "leaf-config.json",
        &format!("{{\"primary\": {{\"hostname\": \"mac-studio-1\", \"ip\": \"127.0.0.1\", \"sshUser\": \"{user}\", \"port\": {p1}}}}}"),
    );
    let (code, _, err) = run(hwinv(root.path())
        .args(["extract", "--fleet"])
        .arg(&json)
        .args(lab.args()));
    assert_eq!(code, 0, "{err}");
    // Real Nix without nix-instantiate: a one-line error saying what to install.
    let nixy = lab.write(
        "fancy.nix",
        "let ip = \"127.0.0.1\"; in { primary = { inherit ip; }; }\n",
    );
    let (code, _, err) = run(hwinv(root.path())
        .env("PATH", &bin)
        .args(["extract", "--fleet"])
        .arg(&nixy));
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("fancy.nix': line 1, column 1: not plain data (install nix"),
        "{err}"
    );
}

#[test]
fn ctrl_c_stops_cleanly() {
    let mut lab = Lab::new();
    let linux = lab.server(None);
    let hang = lab.server(Some("sleep 30"));
    let user = whoami();
    let hosts = lab.write(
        "hosts.txt",
        &format!(
            "127.0.0.1 {user} {linux} name=node-01\n127.0.0.1 {user} {hang} name=hung-01\n\
             127.0.0.1 {user} {hang} name=hung-02\n127.0.0.1 {user} {hang} name=hung-03\n\
             127.0.0.1 {user} {linux} name=node-02\n"
        ),
    );
    let root = tempfile::tempdir().unwrap();
    let child = hwinv(root.path())
        .args(["extract", "--fleet"])
        .arg(&hosts)
        .args(["-j", "2", "--timeout", "60"])
        .args(lab.args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until node-01 is stored and two hung hosts are running.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let evs = events(root.path());
        let started: Vec<&str> = evs
            .iter()
            .filter(|e| e["type"] == "inventory.extraction.started")
            .map(|e| e["host"].as_str().unwrap())
            .collect();
        if count(&evs, "inventory.extraction.completed") == 1 && started.contains(&"hung-02") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "fleet did not get going: {evs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling a child process this test started.
    unsafe {
        libc::kill(pid, libc::SIGINT);
    }
    let stopped = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "Ctrl-C took {:?}",
        stopped.elapsed()
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(130),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(
        stdout.contains("fleet: 1 ok, 0 failed of 5 hosts"),
        "{stdout}"
    );
    assert!(
        stdout.contains("interrupted: 2 stopped, 2 not started"),
        "{stdout}"
    );
    assert_eq!(
        stderr.lines().last(),
        Some("error: interrupted; 1 of 5 hosts stored"),
        "{stderr}"
    );

    // What finished is stored whole; nothing is half-written.
    assert_eq!(stored(root.path()), ["node-01"]);
    assert_no_temp_files(root.path());
    // The hung probes were killed, not left running.
    let ssh_left: Vec<String> = fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.starts_with("ssh ") && c.contains(&format!(" {hang} ")))
        .collect();
    assert!(
        ssh_left.is_empty(),
        "ssh clients left running: {ssh_left:?}"
    );
    // Events say what happened.
    let evs = events(root.path());
    let interrupted: Vec<&str> = evs
        .iter()
        .filter(|e| {
            e["type"] == "inventory.extraction.failed" && e["details"]["error"] == "interrupted"
        })
        .map(|e| e["host"].as_str().unwrap())
        .collect();
    assert_eq!(interrupted.len(), 2, "{evs:?}");
    let fleet = evs
        .iter()
        .find(|e| e["type"] == "inventory.fleet.interrupted")
        .expect("fleet.interrupted event");
    assert_eq!(fleet["details"]["ok"], 1);
    let not_started: Vec<&str> = fleet["details"]["not_started"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(not_started.len(), 2, "{fleet}");
    assert!(
        not_started.iter().any(|l| l.starts_with("node-02 ")),
        "{fleet}"
    );
    assert_eq!(count(&evs, "inventory.fleet.completed"), 0);
}

#[test]
fn bad_host_lists_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let write = |name: &str, text: &str| {
        let p = root.join(name);
        fs::write(&p, text).unwrap();
        p
    };
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--fleet".into(),
                root.join("missing.txt").display().to_string(),
            ],
            "unable to read fleet file",
        ),
        (
            vec![
                "--fleet".into(),
                write("a.txt", "10.0.0.1\n10.0.0.2 admin notaport\n")
                    .display()
                    .to_string(),
            ],
            "a.txt:2: invalid port 'notaport'",
        ),
        (
            vec![
                "--fleet".into(),
                write("b.txt", "# nothing\n\n").display().to_string(),
            ],
            "lists no hosts",
        ),
        (
            vec![
                "--fleet".into(),
                write("c.txt", "-oProxyCommand=evil\n")
                    .display()
                    .to_string(),
            ],
            "c.txt:1: invalid",
        ),
        (
            vec![
                "--fleet".into(),
                write("d.txt", "h1 name=x\nh2 name=x\n")
                    .display()
                    .to_string(),
            ],
            "d.txt:2: name 'x' is already used by",
        ),
        (
            vec![
                "--fleet".into(),
                write("e.txt", "h1 name=../../etc\n").display().to_string(),
            ],
            "e.txt:1: invalid host name",
        ),
        (
            vec![
                "--fleet".into(),
                write("f.nix", "{ primary = { ip = \"10.0.0.1\"; }; }\n")
                    .display()
                    .to_string(),
            ],
            "f.nix: primary: needs a hostname",
        ),
        (
            vec![
                "--fleet".into(),
                write("g.nix", "{ primary = ").display().to_string(),
            ],
            "g.nix",
        ),
        (
            vec![
                "--fleet".into(),
                write("h.txt", "h1\n").display().to_string(),
                "--name".into(),
                "x".into(),
            ],
            "--name cannot be combined with --fleet",
        ),
        (
            vec![
                "--fleet".into(),
                write("i.txt", "h1\n").display().to_string(),
                "-j".into(),
                "0".into(),
            ],
            "invalid --jobs 0",
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = run(hwinv(root).arg("extract").args(&args));
        assert_eq!(code, 2, "{args:?}: {out} {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(want),
            "{args:?}: expected {want:?} in: {err}"
        );
    }
    assert!(
        !root.join("inventory").exists(),
        "a bad host list stores nothing"
    );
}

#[test]
fn progress_bar_on_a_terminal() {
    // `script` (util-linux) runs the fleet under a pseudo-terminal, where hwinv draws an indicatif bar
    // instead of plain lines.
    let script = require("script");
    let mut lab = Lab::new();
    let linux = lab.server(None);
    let user = whoami();
    let hosts = lab.write(
        "hosts.txt",
        &format!(
            "127.0.0.1 {user} {linux} name=tty-01\n127.0.0.1 {user} {linux} name=tty-02\n127.0.0.1 {user} {} name=tty-dead\n",
            free_port()
        ),
    );
    let root = tempfile::tempdir().unwrap();
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut cmd = vec![
        env!("CARGO_BIN_EXE_hwinv").to_string(),
        "--root".into(),
        root.path().display().to_string(),
        "extract".into(),
        "--fleet".into(),
        hosts.display().to_string(),
    ];
    cmd.extend(lab.args());
    let line = cmd.iter().map(|a| quote(a)).collect::<Vec<_>>().join(" ");
    let out = Command::new(script)
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("HWINV_ROOT")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("fleet: 2 ok, 1 failed of 3 hosts"), "{text}");
    assert!(
        text.contains("failed  tty-dead (127.0.0.1:"),
        "failures print above the bar: {text}"
    );
    assert!(
        !text.contains("[1/3]"),
        "no plain progress lines on a terminal: {text}"
    );
    assert!(
        text.contains("\u{1b}["),
        "the bar draws with terminal escapes: {text}"
    );
    assert_eq!(stored(root.path()), ["tty-01", "tty-02"]);
}
