//! `hwinv generate` and the fleet flake, end to end: generated files for real fixture hosts and synthetic
//! hosts at every tier boundary (insta snapshots), the real `nats-server -t` on every NATS configuration,
//! the real `nix eval` of flake.nix with its inputs replaced by the local stub flakes in
//! tests/fixtures/flake-stubs, and the file-safety rules (--check, hand edits, --force, idempotence).

use crate::util::{free_port, hwinv, repo, require, run, tree};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fixed collection time of every test snapshot, so paths and hashes do not depend on the clock.
const COLLECTED_AT: &str = "2026-01-01T00:00:00Z";
const STAMP: &str = "20260101T000000Z";
const GIB: u64 = 1 << 30;

/// Replay a capture directory of tests/fixtures/hosts into a scratch inventory and return its snapshot.
fn replayed(fixture: &str) -> Value {
    let scratch = tempfile::tempdir().unwrap();
    let dir = repo().join("tests/fixtures/hosts").join(fixture);
    let (code, out, err) = run(hwinv(scratch.path())
        .args(["extract", "--json", "--replay"])
        .arg(&dir));
    assert_eq!(code, 0, "replaying {fixture}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// Store `snap` as host `name` in `root`'s inventory: a fixed-time snapshot file and latest.json.
/// Returns the snapshot's bytes.
fn put_snapshot(root: &Path, name: &str, fixture: &str, mut snap: Value) -> Vec<u8> {
    snap["collected_at"] = json!(COLLECTED_AT);
    snap["source"] =
        json!({"transport": "replay", "target": format!("tests/fixtures/hosts/{fixture}")});
    snap["system_info"]["hostname"] = json!(name);
    let dir = root.join("inventory").join(name);
    fs::create_dir_all(&dir).unwrap();
    let mut bytes = serde_json::to_vec_pretty(&snap).unwrap();
    bytes.push(b'\n');
    let file = format!("hardware_{STAMP}.json");
    fs::write(dir.join(&file), &bytes).unwrap();
    let _ = fs::remove_file(dir.join("latest.json"));
    std::os::unix::fs::symlink(&file, dir.join("latest.json")).unwrap();
    bytes
}

/// A synthetic host: a fixture's snapshot with cores, memory and one internal disk set as given.
fn synthetic(base: &Value, cores: u32, memory_gb: u64, disk_gb: u64) -> Value {
    let mut s = base.clone();
    s["hardware"]["cpu_cores"] = json!(cores);
    s["hardware"]["cpu"]["physical_cores"] = json!(cores);
    s["hardware"]["cpu"]["logical_cpus"] = json!(cores * 2);
    s["hardware"]["cpu"]["performance_cores"] = Value::Null;
    s["hardware"]["cpu"]["efficiency_cores"] = Value::Null;
    s["hardware"]["cpu"]["perf_levels"] = json!([]);
    s["hardware"]["memory_gb"] = json!(memory_gb);
    s["hardware"]["memory"]["total_bytes"] = json!(memory_gb * GIB);
    let name = if s["os"]["family"] == "macos" {
        "disk0"
    } else {
        "nvme0n1"
    };
    s["disks"] = json!([{
        "name": name,
        "size_bytes": disk_gb * 1_000_000_000,
        "size_gb": disk_gb,
        "model": "Synthetic SSD",
        "serial": null,
        "kind": if name == "disk0" { "ssd" } else { "nvme" },
        "removable": false,
        "transport": if name == "disk0" { "Apple Fabric" } else { "nvme" },
    }]);
    s
}

/// One host of the test fleet and the tiers it must land in (cpu, memory, storage).
struct FleetHost {
    name: &'static str,
    fixture: &'static str,
    edit: Option<(u32, u64, u64)>,
    platform: &'static str,
    tiers: [&'static str; 3],
}

/// Real fixture hosts as captured, and synthetic hosts on both sides of every tier boundary
/// (7|8 and 15|16 cores; 31|32 and 63|64 GB; 499|500 GB and 999 GB|1 TB). A Mac's disk counts as the
/// nominal drive size it falls at most 3 % short of (rules.rs), so its small-storage host has 480 GB.
const FLEET: &[FleetHost] = &[
    FleetHost {
        name: "microvm",
        fixture: "linux-kvm-microvm",
        edit: None,
        platform: "nixos",
        tiers: ["low", "small", "small"],
    },
    FleetHost {
        name: "akasurde-mac",
        fixture: "mac-m1pro",
        edit: None,
        platform: "darwin",
        tiers: ["medium", "medium", "large"],
    },
    FleetHost {
        name: "dgx-a100",
        fixture: "linux-gpu-a100",
        edit: None,
        platform: "nixos",
        tiers: ["medium", "small", "small"],
    },
    FleetHost {
        name: "raptorlake",
        fixture: "linux-raptorlake",
        edit: None,
        platform: "nixos",
        tiers: ["medium", "small", "medium"],
    },
    FleetHost {
        name: "rpi3",
        fixture: "linux-rpi3",
        edit: None,
        platform: "nixos",
        tiers: ["low", "small", "small"],
    },
    FleetHost {
        name: "edge-c7-m31-d499",
        fixture: "linux-raptorlake",
        edit: Some((7, 31, 499)),
        platform: "nixos",
        tiers: ["low", "small", "small"],
    },
    FleetHost {
        name: "edge-c8-m32-d500",
        fixture: "linux-raptorlake",
        edit: Some((8, 32, 500)),
        platform: "nixos",
        tiers: ["medium", "medium", "medium"],
    },
    FleetHost {
        name: "edge-c15-m63-d999",
        fixture: "linux-raptorlake",
        edit: Some((15, 63, 999)),
        platform: "nixos",
        tiers: ["medium", "medium", "medium"],
    },
    FleetHost {
        name: "edge-c16-m64-d1000",
        fixture: "linux-raptorlake",
        edit: Some((16, 64, 1000)),
        platform: "nixos",
        tiers: ["high", "large", "large"],
    },
    FleetHost {
        name: "mac-c7-m31-d480",
        fixture: "mac-m1pro",
        edit: Some((7, 31, 480)),
        platform: "darwin",
        tiers: ["low", "small", "small"],
    },
    FleetHost {
        name: "mac-c16-m64-d1000",
        fixture: "mac-m1pro",
        edit: Some((16, 64, 1000)),
        platform: "darwin",
        tiers: ["high", "large", "large"],
    },
];

/// The values each tier sets (templates/tiers.toml defaults, as in DESIGN.md).
fn tier_values(kind: &str, tier: &str) -> Value {
    match (kind, tier) {
        ("cpu", "high") => {
            json!({"nats_max_connections": 10000, "nats_max_pending_mb": 128, "max_concurrency": "high"})
        }
        ("cpu", "medium") => {
            json!({"nats_max_connections": 5000, "nats_max_pending_mb": 64, "max_concurrency": "medium"})
        }
        ("cpu", "low") => {
            json!({"nats_max_connections": 1000, "nats_max_pending_mb": 32, "max_concurrency": "low"})
        }
        ("memory", "large") => {
            json!({"jetstream_max_memory_gb": 16, "memory_pressure_threshold": 90})
        }
        ("memory", "medium") => {
            json!({"jetstream_max_memory_gb": 8, "memory_pressure_threshold": 85})
        }
        ("memory", "small") => {
            json!({"jetstream_max_memory_gb": 4, "memory_pressure_threshold": 80})
        }
        ("storage", "large") => json!({"jetstream_max_file_gb": 500, "retention_days": 90}),
        ("storage", "medium") => json!({"jetstream_max_file_gb": 200, "retention_days": 30}),
        ("storage", "small") => json!({"jetstream_max_file_gb": 100, "retention_days": 14}),
        _ => panic!("no tier {kind}/{tier}"),
    }
}

/// The leaf-config.nix line that makes the test's Linux hosts NixOS machines (they were captured on
/// other distributions: "about to be installed").
fn nixos_line() -> String {
    let names: Vec<String> = FLEET
        .iter()
        .filter(|h| h.platform == "nixos")
        .map(|h| format!("\"{}\"", h.name))
        .collect();
    format!("nixos = [ {} \"gpu-1\" ];", names.join(" "))
}

/// A leaf-config.nix that marks the test's Linux hosts as NixOS, with `rest` as its other entries.
fn write_leaf(root: &Path, rest: &str) {
    fs::write(
        root.join("leaf-config.nix"),
        format!("{{\n  {}\n{rest}}}\n", nixos_line()),
    )
    .unwrap();
}

/// A fleet root with every FLEET host's snapshot, hardware.nix (inventory/ and hosts/) and, when
/// `generate` is set, its generated files. Returns the snapshot bytes by host.
fn fleet(root: &Path, generate: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mut bases = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for h in FLEET {
        let base = bases
            .entry(h.fixture)
            .or_insert_with(|| replayed(h.fixture));
        let snap = match h.edit {
            Some((c, m, d)) => synthetic(base, c, m, d),
            None => base.clone(),
        };
        out.push((h.name, put_snapshot(root, h.name, h.fixture, snap)));
    }
    if !root.join("leaf-config.nix").exists() {
        write_leaf(root, "");
    }
    // hardware.nix: generate renders hosts/<h>/hardware.nix when it is missing; extract would also have
    // written inventory/<h>/hardware.nix, which the flake discovers: copy it there.
    let (code, stdout, err) = run(hwinv(root).args(["generate", "--all"]));
    assert_eq!(code, 0, "{stdout}\n{err}");
    for h in FLEET {
        fs::copy(
            root.join("hosts").join(h.name).join("hardware.nix"),
            root.join("inventory").join(h.name).join("hardware.nix"),
        )
        .unwrap();
        if !generate {
            for f in ["configuration.nix", "nats-server.conf", "metadata.json"] {
                fs::remove_file(root.join("hosts").join(h.name).join(f)).unwrap();
            }
        }
    }
    out
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&fs::read(p).unwrap()).unwrap()
}

#[test]
fn generated_files_for_every_tier_boundary() {
    let root = tempfile::tempdir().unwrap();
    let snaps = fleet(root.path(), true);
    for (h, (name, bytes)) in FLEET.iter().zip(&snaps) {
        let dir = root.path().join("hosts").join(name);
        let meta = read_json(&dir.join("metadata.json"));
        assert_eq!(meta["platform"], h.platform, "{name}");
        for (kind, tier) in ["cpu", "memory", "storage"].iter().zip(h.tiers) {
            assert_eq!(
                meta["tiers"][kind]["tier"]["name"], tier,
                "{name}: {kind} tier"
            );
            for (k, v) in tier_values(kind, tier).as_object().unwrap() {
                assert_eq!(&meta["tiers"][kind]["tier"][k], v, "{name}: {kind}.{k}");
            }
        }
        if let Some((cores, mem, disk)) = h.edit {
            assert_eq!(meta["tiers"]["cpu"]["measured"], cores);
            assert_eq!(meta["tiers"]["memory"]["measured"], mem);
            let storage = meta["tiers"]["storage"]["measured"].as_u64().unwrap();
            if h.platform == "darwin" {
                // Rounded up to the nominal size of the drive it sits on (rules.rs), at most 3 %.
                assert!(
                    storage >= disk && storage * 97 <= disk * 100,
                    "{name}: {storage}"
                );
            } else {
                assert_eq!(storage, disk, "{name}");
            }
        }
        // The metadata names the snapshot and every file by hash.
        assert_eq!(
            meta["snapshot"]["path"],
            format!("inventory/{name}/hardware_{STAMP}.json")
        );
        assert_eq!(meta["snapshot"]["sha256"], sha256(bytes));
        for f in ["configuration.nix", "nats-server.conf"] {
            assert_eq!(
                meta["files"][f],
                sha256(&fs::read(dir.join(f)).unwrap()),
                "{name}: {f}"
            );
        }
        // NATS values in nats-server.conf and configuration.nix agree with the tier tables.
        let nats = fs::read_to_string(dir.join("nats-server.conf")).unwrap();
        let cpu = tier_values("cpu", h.tiers[0]);
        let mem = tier_values("memory", h.tiers[1]);
        let sto = tier_values("storage", h.tiers[2]);
        assert!(
            nats.contains(&format!(
                "\nmax_connections: {}\n",
                cpu["nats_max_connections"]
            )),
            "{nats}"
        );
        assert!(
            nats.contains(&format!(
                "\nmax_pending: {}MB\n",
                cpu["nats_max_pending_mb"]
            )),
            "{nats}"
        );
        // The memory tier's value, lowered to 25 % of the host's memory where it is more (when known).
        let total = serde_json::from_slice::<Value>(bytes).unwrap()["hardware"]["memory"]
            ["total_bytes"]
            .as_u64()
            .unwrap();
        let tier_gb = mem["jetstream_max_memory_gb"].as_u64().unwrap();
        let cap_mb = ((total / 4) >> 20).max(1);
        let want = if total > 0 && tier_gb << 30 > cap_mb << 20 {
            format!("  max_memory_store: {cap_mb}MB\n")
        } else {
            format!("  max_memory_store: {tier_gb}GB\n")
        };
        assert!(nats.contains(&want), "{name}: {want}{nats}");
        assert!(
            nats.contains(&format!(
                "  max_file_store: {}GB\n",
                sto["jetstream_max_file_gb"]
            )),
            "{nats}"
        );

        // The snapshot hash depends on the parsers' output for real fixtures; it was checked above.
        let meta_text = fs::read_to_string(dir.join("metadata.json"))
            .unwrap()
            .replace(&sha256(bytes), "[sha256 of the snapshot file]");
        let hardware = match fs::read_to_string(dir.join("hardware-configuration.nix")) {
            Ok(t) => format!("===== hosts/{name}/hardware-configuration.nix\n{t}"),
            Err(_) => String::new(),
        };
        let all = format!(
            "===== hosts/{name}/configuration.nix\n{}{hardware}===== hosts/{name}/nats-server.conf\n{}===== hosts/{name}/metadata.json\n{}",
            fs::read_to_string(dir.join("configuration.nix")).unwrap(),
            nats,
            meta_text,
        );
        insta::assert_snapshot!(format!("files_{name}"), all);
    }
}

#[test]
fn same_snapshot_and_rules_give_byte_identical_files() {
    let a = tempfile::tempdir().unwrap();
    let snap = replayed("linux-gpu-a100");
    put_snapshot(a.path(), "gpu-1", "linux-gpu-a100", snap.clone());
    let b = tempfile::tempdir().unwrap();
    put_snapshot(b.path(), "gpu-1", "linux-gpu-a100", snap);
    for root in [a.path(), b.path()] {
        let (code, _, err) = run(hwinv(root).args(["generate", "gpu-1"]));
        assert_eq!(code, 0, "{err}");
    }
    assert_eq!(
        tree(&a.path().join("hosts"))
            .into_iter()
            .map(|(p, b)| (p.strip_prefix(a.path()).unwrap().to_owned(), b))
            .collect::<Vec<_>>(),
        tree(&b.path().join("hosts"))
            .into_iter()
            .map(|(p, c)| (p.strip_prefix(b.path()).unwrap().to_owned(), c))
            .collect::<Vec<_>>(),
    );
}

/// Run the real nats-server in test mode on a configuration file.
fn nats_accepts(conf: &Path) {
    let out = Command::new(require("nats-server"))
        .arg("-t")
        .arg("-c")
        .arg(conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nats-server rejected {}:\n{}{}\n{}",
        conf.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        fs::read_to_string(conf).unwrap_or_default()
    );
}

/// Start the real nats-server on `conf` (only the ports and the store moved, so tests can run side by
/// side), read its /varz, stop it.
fn varz(conf: &Path) -> Value {
    let store = tempfile::tempdir().unwrap();
    // nats-server refuses -sd beside a store_dir in the file: move the store in a copy instead.
    let text = fs::read_to_string(conf).unwrap();
    let dir = store.path().display().to_string();
    let moved = if conf.extension().is_some_and(|e| e == "json") {
        let mut v: Value = serde_json::from_str(&text).unwrap();
        v["jetstream"]["store_dir"] = json!(dir);
        v.to_string()
    } else {
        text.replace(
            "store_dir: \"/var/lib/nats\"",
            &format!("store_dir: {dir:?}"),
        )
    };
    assert_ne!(moved, text, "the store_dir of {} was moved", conf.display());
    let copy = store.path().join("nats.conf");
    fs::write(&copy, moved).unwrap();
    let (port, http) = (free_port(), free_port());
    let mut child = Command::new(require("nats-server"))
        .arg("-c")
        .arg(&copy)
        .args(["-p", &port.to_string(), "-m", &http.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let curl = require("curl");
    let mut body = None;
    for _ in 0..100 {
        let out = Command::new(&curl)
            .args(["-sf", &format!("http://127.0.0.1:{http}/varz")])
            .output()
            .unwrap();
        if out.status.success() {
            body = Some(serde_json::from_slice::<Value>(&out.stdout).unwrap());
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    body.unwrap_or_else(|| panic!("nats-server did not serve /varz on {}", conf.display()))
}

/// /varz shows what the generated file asked for: loopback, and the tier's limits.
fn assert_varz(v: &Value, connections: u64, pending: u64, memory: u64, file: u64, what: &str) {
    assert_eq!(v["host"], "127.0.0.1", "{what}: listens on loopback only");
    assert_eq!(v["max_connections"], connections, "{what}");
    assert_eq!(v["max_pending"], pending, "{what}");
    assert_eq!(v["jetstream"]["config"]["max_memory"], memory, "{what}");
    assert_eq!(v["jetstream"]["config"]["max_storage"], file, "{what}");
}

#[test]
fn nats_server_runs_every_generated_config_with_its_limits() {
    let root = tempfile::tempdir().unwrap();
    fleet(root.path(), true);
    for h in FLEET {
        let dir = root.path().join("hosts").join(h.name);
        let meta = read_json(&dir.join("metadata.json"));
        let n = &meta["settings"]["nats"];
        let v = varz(&dir.join("nats-server.conf"));
        assert_varz(
            &v,
            n["max_connections"].as_u64().unwrap(),
            n["max_pending_bytes"].as_u64().unwrap(),
            n["max_memory_store_bytes"].as_u64().unwrap(),
            n["max_file_store_bytes"].as_u64().unwrap(),
            h.name,
        );
    }
}

#[test]
fn nats_server_accepts_every_generated_config() {
    let root = tempfile::tempdir().unwrap();
    fleet(root.path(), true);
    for h in FLEET {
        nats_accepts(
            &root
                .path()
                .join("hosts")
                .join(h.name)
                .join("nats-server.conf"),
        );
    }
    // And it rejects a broken one, so the check above means something.
    let bad = root.path().join("bad.conf");
    fs::write(&bad, "max_pending: \"64MB\"\n").unwrap();
    let out = Command::new(require("nats-server"))
        .args(["-t", "-c"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

// ---------------------------------------------------------------------------------------------------
// The flake, evaluated by the real nix with stub inputs.

const STUB_NAMES: [(&str, &str); 4] = [
    ("nixpkgs", "nixpkgs"),
    ("nixpkgs-darwin", "nixpkgs"),
    ("nix-darwin", "nix-darwin"),
    ("deploy-rs", "deploy-rs"),
];

/// `nix <args>` with flakes enabled and every input of the fleet flake overridden by a local stub.
fn nix_flake(args: &[&str]) -> Command {
    let mut c = Command::new(require("nix"));
    c.args(["--extra-experimental-features", "nix-command flakes"]);
    // The test builds as whoever runs it, with no binary cache: Debian's nix-bin names a `nixbld` group
    // that a fresh machine does not have, and there is no network.
    c.args(["--option", "build-users-group", ""]);
    c.args(["--option", "substituters", ""]);
    // The stubs build with the host's /bin/sh, which a sandbox would not have.
    c.args(["--option", "sandbox", "false"]);
    c.args(args);
    for (input, dir) in STUB_NAMES {
        let stub = repo().join("tests/fixtures/flake-stubs").join(dir);
        c.args(["--override-input", input])
            .arg(format!("path:{}", stub.display()));
    }
    c.arg("--no-write-lock-file");
    c
}

/// Evaluate `attr` of the flake at `root` to JSON.
fn flake_eval(root: &Path, attr: &str, apply: Option<&str>) -> Result<Value, String> {
    let installable = format!("path:{}#{attr}", root.display());
    let mut args = vec!["eval", "--json", installable.as_str()];
    if let Some(f) = apply {
        args.extend(["--apply", f]);
    }
    let out = nix_flake(&args).output().unwrap();
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Copy the real flake.nix and nix/ into `root`, with `leaf` as leaf-config.nix.
fn install_flake(root: &Path, leaf: &str) {
    let fleet = repo().join("examples/fleet");
    fs::copy(fleet.join("flake.nix"), root.join("flake.nix")).unwrap();
    fs::create_dir_all(root.join("nix")).unwrap();
    for e in fs::read_dir(fleet.join("nix")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), root.join("nix").join(e.file_name())).unwrap();
    }
    match leaf.trim_start().strip_prefix('{') {
        Some(rest) if !leaf.contains("nixos = [") => {
            write_leaf(root, rest.trim_end().trim_end_matches('}'))
        }
        _ => fs::write(root.join("leaf-config.nix"), leaf).unwrap(),
    }
}

const LEAF: &str = r#"{
  sshUser = "deploy";
  primary = { hostname = "akasurde-mac"; ip = "10.1.1.10"; };
  secondaries = [
    { hostname = "microvm"; user = "pi"; port = 2222; }
    { hostname = "not-extracted-yet"; ip = "10.1.1.99"; }
  ];
}
"#;

#[test]
fn flake_discovers_hosts_and_builds_configurations_and_deploy_nodes() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    fleet(r, true);
    install_flake(r, LEAF);
    // Not hosts: a snapshot without hardware.nix, a directory with a name hwinv refuses, a stray file.
    put_snapshot(r, "no-hardware-nix", "linux-rpi3", replayed("linux-rpi3"));
    let evil = r
        .join("inventory")
        .join("evil\"${builtins.abort \"pwned\"}");
    fs::create_dir_all(&evil).unwrap();
    fs::write(
        evil.join("hardware.nix"),
        "builtins.abort \"evaluated a hostile directory\"",
    )
    .unwrap();
    fs::write(r.join("inventory/events.jsonl"), "").unwrap();

    let names = |attr: &str| flake_eval(r, attr, Some("builtins.attrNames")).unwrap();
    let expect = |platform: &str| -> Value {
        let mut v: Vec<&str> = FLEET
            .iter()
            .filter(|h| h.platform == platform)
            .map(|h| h.name)
            .collect();
        v.sort_unstable();
        json!(v)
    };
    assert_eq!(names("darwinConfigurations"), expect("darwin"));
    assert_eq!(names("nixosConfigurations"), expect("nixos"));

    // Deploy nodes: leaf-config hosts that exist, with their address and ssh user; every configuration
    // is evaluated in full by the stub activation (unknown options or wrong types would fail here).
    let nodes = flake_eval(r, "deploy.nodes", None).unwrap();
    assert_eq!(
        nodes,
        json!({
            "akasurde-mac": {"hostname": "10.1.1.10", "sshUser": "deploy", "user": "root",
                "profiles": {"system": {"path": {"activation": "darwin", "evaluated": true, "hostName": "akasurde-mac", "system": "aarch64-darwin"}}}},
            "microvm": {"hostname": "microvm", "sshUser": "pi", "sshOpts": ["-p", "2222"], "user": "root",
                "profiles": {"system": {"path": {"activation": "nixos", "evaluated": true, "hostName": "microvm", "system": "x86_64-linux"}}}},
        })
    );

    // Every configuration evaluates in full against the stub option declarations.
    for h in FLEET {
        let kind = if h.platform == "darwin" {
            "darwinConfigurations"
        } else {
            "nixosConfigurations"
        };
        let cfg = flake_eval(
            r,
            &format!("{kind}.{}.config", h.name),
            // system.build.toplevel is checked on its own below.
            Some("c: builtins.deepSeq (builtins.removeAttrs c [ \"system\" ]) true"),
        );
        assert_eq!(cfg, Ok(json!(true)), "{}", h.name);
    }

    // NixOS: the NATS settings the module would write, as JSON, are accepted by nats-server too, and match
    // the generated nats-server.conf.
    let host = "edge-c16-m64-d1000";
    let cfg = flake_eval(r, &format!("nixosConfigurations.{host}.config"), Some(
        "c: { inherit (c.services.nats) enable jetstream serverName port dataDir settings; hostName = c.networking.hostName; nix = c.nix.settings; platform = c.nixpkgs.hostPlatform; facts = c._module.args.hwinvFacts.system.hostname; }",
    ))
    .unwrap();
    assert_eq!(cfg["enable"], true);
    assert_eq!(cfg["jetstream"], true);
    assert_eq!(cfg["serverName"], host);
    assert_eq!(cfg["hostName"], host);
    assert_eq!(cfg["platform"], "x86_64-linux");
    assert_eq!(cfg["facts"], host);
    assert_eq!(cfg["nix"], json!({"max-jobs": 4, "cores": 8}));
    assert_eq!(
        cfg["settings"]["host"], "127.0.0.1",
        "loopback, as nats-server.conf"
    );
    assert_eq!(cfg["settings"]["max_connections"], 10000);
    assert_eq!(cfg["settings"]["max_pending"], 128u64 << 20);
    assert_eq!(cfg["settings"]["jetstream"]["max_memory_store"], 16 * GIB);
    assert_eq!(cfg["settings"]["jetstream"]["max_file_store"], 500 * GIB);
    // What nixos/modules/services/networking/nats.nix adds before writing the JSON file (it has no host
    // option: the address comes from settings alone).
    let mut settings = cfg["settings"].clone();
    settings["server_name"] = cfg["serverName"].clone();
    settings["port"] = cfg["port"].clone();
    settings["jetstream"]["store_dir"] = cfg["dataDir"].clone();
    let json_conf = r.join("nixos-nats.json");
    fs::write(&json_conf, serde_json::to_vec(&settings).unwrap()).unwrap();
    nats_accepts(&json_conf);
    // Run, it listens where nats-server.conf says and with the same limits.
    let from_nixos = varz(&json_conf);
    let from_conf = varz(&r.join("hosts").join(host).join("nats-server.conf"));
    assert_varz(
        &from_nixos,
        10000,
        128 << 20,
        16 * GIB,
        500 * GIB,
        "NixOS settings",
    );
    assert_varz(
        &from_conf,
        10000,
        128 << 20,
        16 * GIB,
        500 * GIB,
        "nats-server.conf",
    );

    // The host captured whole evaluates to a system, assertions included; hosts captured before hwinv
    // recorded file systems do not, and say why (hwinv writes no guessed root file system).
    let drv = flake_eval(
        r,
        "nixosConfigurations.microvm.config.system.build.toplevel.drvPath",
        None,
    )
    .unwrap();
    assert!(
        drv.as_str().unwrap().ends_with("-nixos-system-microvm.drv"),
        "{drv}"
    );
    let err = flake_eval(
        r,
        &format!("nixosConfigurations.{host}.config.system.build.toplevel.drvPath"),
        None,
    )
    .unwrap_err();
    assert!(
        err.contains("does not specify your root file system"),
        "{err}"
    );
    let checks = flake_eval(r, "checks.x86_64-linux", Some("c: builtins.attrNames c")).unwrap();
    assert_eq!(checks, json!(["deploy-schema"]));

    // nix-darwin: launchd runs nats-server on the generated file itself.
    let mac = "mac-c16-m64-d1000";
    let d = flake_eval(r, &format!("darwinConfigurations.{mac}.config"), Some(
        "c: { command = c.launchd.daemons.nats-server.command; user = c.launchd.daemons.nats-server.serviceConfig.UserName; known = c.users.knownUsers; local = c.networking.localHostName; host = c.networking.hostName; nix = c.nix.settings; }",
    ))
    .unwrap();
    assert_eq!(d["local"], mac);
    assert_eq!(d["host"], mac);
    assert_eq!(d["nix"], json!({"max-jobs": 4, "cores": 8}));
    assert_eq!(d["user"], "_nats");
    assert_eq!(d["known"], json!(["_nats"]));
    // `command` (not ProgramArguments): nix-darwin wraps it in /bin/wait4path /nix/store.
    let command = d["command"].as_str().unwrap();
    let words: Vec<&str> = command.split(' ').collect();
    assert!(words[0].ends_with("/bin/nats-server"), "{command}");
    assert_eq!(words[1], "-c");
    assert_eq!(
        fs::read(words[2]).unwrap(),
        fs::read(r.join("hosts").join(mac).join("nats-server.conf")).unwrap()
    );

    // nix flake show lists every NixOS host by name (nix 2.8 prints darwinConfigurations as "unknown").
    let show = nix_flake(&["flake", "show", &format!("path:{}", r.display())])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    for h in FLEET.iter().filter(|h| h.platform == "nixos") {
        assert!(
            text.contains(&format!(
                "{}\u{1b}[0m: \u{1b}[35;1mNixOS configuration",
                h.name
            )) || text.contains(&format!("{}: NixOS configuration", h.name)),
            "{text}"
        );
    }
    assert!(text.contains("deploy-host"), "{text}");
    assert!(
        !text.contains("no-hardware-nix") && !text.contains("evil"),
        "{text}"
    );

    // The deploy-host app runs deploy-rs for the node and the address given.
    let flake = format!("path:{}#deploy-host", r.display());
    let out = nix_flake(&["run", &flake])
        .args(["--", "akasurde-mac", "10.9.9.9"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0], "deploy-rs stub called with 3 arguments:",
        "{stdout}"
    );
    assert_eq!(lines[1..3], ["[--hostname]", "[10.9.9.9]"]);
    assert!(
        lines[3].starts_with("[/nix/store/") && lines[3].ends_with("-source#akasurde-mac]"),
        "{stdout}"
    );
    let out = nix_flake(&["run", &flake])
        .args(["--", "dgx-a100"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'dgx-a100' is not a deploy node; add it to leaf-config.nix"),
        "{err}"
    );
    let out = nix_flake(&["run", &flake])
        .args(["--", "rpi3", "-oProxyCommand=x"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(64),
        "an option-looking address is refused"
    );
}

#[test]
fn discovery_on_its_own_keeps_hostile_names_and_strings_inert() {
    let nix = require("nix-instantiate");
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let inv = r.join("inventory");
    let hostile_names = ["evil\"${builtins.abort \"x\"}", "a b", "-rf", "..x", "x;rm"];
    for n in hostile_names {
        fs::create_dir_all(inv.join(n)).unwrap();
        fs::write(
            inv.join(n).join("hardware.nix"),
            "builtins.abort \"a hostile directory was imported\"",
        )
        .unwrap();
    }
    // A real hardware.nix with hostile strings, as extract writes it (escaped), via generate's renderer.
    let mut snap = replayed("mac-m1pro");
    let model = "Mac\"; x = builtins.abort \"pwned\"; y = \"${builtins.abort \"x\"}\\";
    snap["system_info"]["model"] = json!(model);
    snap["hardware"]["cpu_type"] = json!("Apple ${M1} \"Pro\" \\ ünï\n# not a comment");
    put_snapshot(r, "mac-1", "mac-m1pro", snap);
    let (code, _, err) = run(hwinv(r).args(["generate", "mac-1"]));
    assert_eq!(code, 0, "{err}");
    fs::copy(
        r.join("hosts/mac-1/hardware.nix"),
        inv.join("mac-1/hardware.nix"),
    )
    .unwrap();
    fs::create_dir_all(inv.join("no-facts-yet")).unwrap();

    let leaf = r#"{ sshUser = "u\"\${builtins.abort \"x\"}"; primary = { hostname = "mac-1"; ip = "10.0.0.1; rm -rf /"; }; }"#;
    let expr = format!(
        "let d = import {discover} {{ root = {root}; leafConfig = {leaf}; }}; in {{ inherit (d) darwin nixos ignored deployNodes notInventoried primary; model = d.hosts.mac-1.facts.system.model; cpu = d.hosts.mac-1.facts.hardware.cpu.type; }}",
        discover = repo().join("examples/fleet/nix/discover.nix").display(),
        root = r.display(),
    );
    let out = Command::new(nix)
        .args(["--eval", "--strict", "--json", "-E", &expr])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["darwin"], json!(["mac-1"]));
    assert_eq!(v["nixos"], json!([]));
    assert_eq!(v["model"], model);
    assert_eq!(v["cpu"], "Apple ${M1} \"Pro\" \\ ünï\n# not a comment");
    let mut ignored: Vec<String> = v["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    ignored.sort();
    let mut expected: Vec<String> = hostile_names.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(ignored, expected);
    assert_eq!(v["deployNodes"]["mac-1"]["address"], "10.0.0.1; rm -rf /");
    assert_eq!(
        v["deployNodes"]["mac-1"]["sshUser"],
        "u\"${builtins.abort \"x\"}"
    );
    assert_eq!(v["primary"], "mac-1");
    assert_eq!(v["notInventoried"], json!([]));

    // A leaf-config entry with a name hwinv would refuse, or an odd port, is an error, not an odd node.
    for (bad, needle) in [
        (
            r#"{ primary = { hostname = "a\"b"; }; }"#,
            "is not a valid host name",
        ),
        (
            r#"{ primary = { hostname = "mac-1"; port = "22 -oProxyCommand=x"; }; }"#,
            "has an invalid port",
        ),
        (
            r#"{ secondaries = [ { hostname = "mac-1"; } { hostname = "mac-1"; } ]; }"#,
            "lists mac-1 more than once",
        ),
    ] {
        let expr = format!(
            "(import {} {{ root = {}; leafConfig = {bad}; }}).deployNodes",
            repo().join("examples/fleet/nix/discover.nix").display(),
            r.display()
        );
        let out = Command::new(require("nix-instantiate"))
            .args(["--eval", "--strict", "--json", "-E", &expr])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(needle),
            "{bad}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// File safety.

/// A root with one Linux and one macOS host, generated once.
fn small_fleet() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    write_leaf(root.path(), "");
    put_snapshot(
        root.path(),
        "gpu-1",
        "linux-gpu-a100",
        replayed("linux-gpu-a100"),
    );
    put_snapshot(root.path(), "mac-1", "mac-m1pro", replayed("mac-m1pro"));
    let (code, out, err) = run(hwinv(root.path()).args(["generate", "--all"]));
    assert_eq!(code, 0, "{out}{err}");
    root
}

/// (inode, mtime in ns) of every file under hosts/.
fn stamps(root: &Path) -> Vec<(PathBuf, u64, i64, i64)> {
    tree(&root.join("hosts"))
        .into_iter()
        .map(|(p, _)| {
            let m = fs::metadata(&p).unwrap();
            (p, m.ino(), m.mtime(), m.mtime_nsec())
        })
        .collect()
}

#[test]
fn second_run_writes_nothing() {
    let root = small_fleet();
    let before = stamps(root.path());
    assert_eq!(before.len(), 9, "{before:?}");
    let (code, out, err) = run(hwinv(root.path()).args(["generate", "--all"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("2 host(s) generated: 0 file(s) written, 7 unchanged"),
        "{out}"
    );
    assert!(
        out.lines().filter(|l| l.ends_with("  unchanged")).count() == 2,
        "{out}"
    );
    assert_eq!(stamps(root.path()), before, "no file was rewritten");
    let (code, out, _) = run(hwinv(root.path()).args(["generate", "gpu-1", "--check"]));
    assert_eq!(code, 0);
    assert!(out.contains("every generated file is up to date"), "{out}");
}

#[test]
fn check_shows_a_diff_and_exits_1_without_writing() {
    let root = tempfile::tempdir().unwrap();
    write_leaf(root.path(), "");
    put_snapshot(
        root.path(),
        "gpu-1",
        "linux-gpu-a100",
        replayed("linux-gpu-a100"),
    );
    // Nothing generated yet: every file is missing.
    let (code, out, err) = run(hwinv(root.path()).args(["generate", "gpu-1", "--check"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("--- /dev/null\n+++ b/hosts/gpu-1/configuration.nix\n"),
        "{out}"
    );
    assert!(out.contains("hosts/gpu-1/hardware.nix is missing"), "{out}");
    assert!(!root.path().join("hosts").exists(), "check wrote nothing");
    assert!(
        out.contains("+++ b/hosts/gpu-1/hardware-configuration.nix\n"),
        "{out}"
    );

    let (code, _, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 0, "{err}");
    // New hardware facts: the generated files are out of date.
    let mut snap = read_json(&root.path().join("inventory/gpu-1/latest.json"));
    snap["hardware"]["cpu_cores"] = json!(32);
    let dir = root.path().join("inventory/gpu-1");
    fs::remove_file(dir.join("latest.json")).unwrap();
    fs::write(
        dir.join("hardware_20260102T000000Z.json"),
        serde_json::to_vec_pretty(&snap).unwrap(),
    )
    .unwrap();
    std::os::unix::fs::symlink("hardware_20260102T000000Z.json", dir.join("latest.json")).unwrap();
    let before = tree(root.path());
    let (code, out, _) = run(hwinv(root.path()).args(["generate", "gpu-1", "--check"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("\n-max_connections: 5000\n") && out.contains("\n+max_connections: 10000\n"),
        "{out}"
    );
    assert!(out.contains("--- a/hosts/gpu-1/metadata.json"), "{out}");
    assert!(out.contains("3 file(s) differ"), "{out}");
    assert_eq!(tree(root.path()), before);
}

#[test]
fn hand_edits_are_refused_until_force() {
    let root = small_fleet();
    let conf = root.path().join("hosts/gpu-1/configuration.nix");
    let edited = fs::read_to_string(&conf)
        .unwrap()
        .replace("max-jobs = 2;", "max-jobs = 64; # mine");
    fs::write(&conf, &edited).unwrap();
    // New facts, so generate has something to write.
    let mut snap = read_json(&root.path().join("inventory/gpu-1/latest.json"));
    snap["hardware"]["memory_gb"] = json!(64);
    put_snapshot(root.path(), "gpu-1", "linux-gpu-a100", snap);
    let before = tree(root.path());

    let (code, out, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: gpu-1: refusing to overwrite hosts/gpu-1/configuration.nix: was changed by hand"), "{err}");
    assert!(
        err.contains(&format!(
            "hwinv --root {} generate gpu-1 --check",
            root.path().display()
        )) && err.contains("generate gpu-1 --force"),
        "{err}"
    );
    assert_eq!(tree(root.path()), before, "nothing changed");

    // --all: the other host is still generated (it is up to date), the edited one is reported, exit 2.
    let (code, out, err) = run(hwinv(root.path()).args(["generate", "--all"]));
    assert_eq!(code, 2);
    assert!(out.contains("mac-1"), "{out}");
    assert!(
        err.contains("error: gpu-1: refusing to overwrite")
            && err.contains("1 of 2 host(s) failed"),
        "{err}"
    );
    assert_eq!(tree(root.path()), before);

    // --check shows the hand edit.
    let (code, out, _) = run(hwinv(root.path()).args(["generate", "gpu-1", "--check"]));
    assert_eq!(code, 1);
    assert!(
        out.contains("-  max-jobs = 64; # mine\n") || out.contains("-    max-jobs = 64; # mine\n"),
        "{out}"
    );

    // --force overwrites it.
    let (code, out, err) = run(hwinv(root.path()).args(["generate", "gpu-1", "--force"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("wrote configuration.nix, nats-server.conf, metadata.json"),
        "{out}"
    );
    assert!(!fs::read_to_string(&conf).unwrap().contains("# mine"));
    let (code, _, _) = run(hwinv(root.path()).args(["generate", "gpu-1", "--check"]));
    assert_eq!(code, 0);

    // A generated file that metadata.json does not vouch for (metadata gone) is not overwritten either.
    fs::remove_file(root.path().join("hosts/gpu-1/metadata.json")).unwrap();
    fs::write(
        root.path().join("hosts/gpu-1/nats-server.conf"),
        "# my own\n",
    )
    .unwrap();
    let (code, _, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("refusing to overwrite hosts/gpu-1/nats-server.conf"),
        "{err}"
    );
}

#[test]
fn templates_and_tiers_in_the_inventory_override_the_built_in_ones() {
    let root = small_fleet();
    let t = root.path().join("templates");
    fs::create_dir_all(&t).unwrap();
    // A template with a misspelt variable: one-line error, nothing written.
    let builtin = fs::read_to_string(repo().join("templates/nats-server.conf.j2")).unwrap();
    fs::write(
        t.join("nats-server.conf.j2"),
        builtin.replace("nats.max_connections", "nats.max_conections"),
    )
    .unwrap();
    let before = tree(root.path());
    let (code, _, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 2);
    // One error line, then minijinja's view of the template with the offending line marked.
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: ") && first.contains("nats-server.conf.j2"),
        "{err}"
    );
    assert!(
        err.contains("> max_connections: {{ nats.max_conections }}"),
        "{err}"
    );
    assert_eq!(tree(root.path()), before);

    // A working override and changed tiers: the files follow, and the metadata says where they came from.
    fs::write(
        t.join("nats-server.conf.j2"),
        builtin.replace(
            "listen: {{ (nats.host ~ \":\" ~ nats.port) | nats_str }}",
            "listen: \"0.0.0.0:4222\"",
        ),
    )
    .unwrap();
    let tiers = fs::read_to_string(repo().join("templates/tiers.toml"))
        .unwrap()
        .replace("nats_max_connections = 5000", "nats_max_connections = 6000");
    fs::write(t.join("tiers.toml"), tiers).unwrap();
    let (code, _, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 0, "{err}");
    let dir = root.path().join("hosts/gpu-1");
    let nats = fs::read_to_string(dir.join("nats-server.conf")).unwrap();
    assert!(
        nats.contains("listen: \"0.0.0.0:4222\"") && nats.contains("max_connections: 6000"),
        "{nats}"
    );
    nats_accepts(&dir.join("nats-server.conf"));
    let meta = read_json(&dir.join("metadata.json"));
    assert_eq!(meta["rules"]["source"], "templates/tiers.toml");
    assert_eq!(
        meta["templates"]["nats-server.conf"]["source"],
        "templates/nats-server.conf.j2"
    );
    assert_eq!(meta["templates"]["configuration.nix"]["source"], "built-in");

    // A tier name that could end a comment in the generated files is refused.
    let evil = fs::read_to_string(t.join("tiers.toml")).unwrap().replace(
        "name = \"medium\"\nmin_cores",
        "name = \"medium\\nx = 1;\"\nmin_cores",
    );
    fs::write(t.join("tiers.toml"), evil).unwrap();
    let (code, _, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 2);
    assert!(err.contains("must be one word"), "{err}");
}

#[test]
fn bad_input_is_one_line_and_writes_nothing() {
    let root = small_fleet();
    let before = tree(root.path());
    for (args, needle) in [
        (vec!["generate", "nope"], "no host 'nope' in"),
        (vec!["generate", "../etc"], "invalid host name"),
    ] {
        let (code, _, err) = run(hwinv(root.path()).args(&args));
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{err}");
    }
    let (code, _, err) = run(hwinv(root.path()).args(["generate"]));
    assert_eq!(code, 2, "{err}");
    assert_eq!(tree(root.path()), before);

    // A corrupt snapshot: that host fails, the others are generated.
    let dir = root.path().join("inventory/gpu-1");
    fs::write(
        dir.join("hardware_20260105T000000Z.json"),
        "{\"schema_version\": 1, \"truncated",
    )
    .unwrap();
    fs::remove_file(dir.join("latest.json")).unwrap();
    std::os::unix::fs::symlink("hardware_20260105T000000Z.json", dir.join("latest.json")).unwrap();
    let (code, out, err) = run(hwinv(root.path()).args(["generate", "--all"]));
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("error: gpu-1: 'inventory/gpu-1/hardware_20260105T000000Z.json' is not a valid snapshot"), "{err}");
    assert!(out.contains("mac-1"), "{out}");

    // A latest.json pointing outside its directory is refused before anything is read.
    fs::remove_file(dir.join("latest.json")).unwrap();
    std::os::unix::fs::symlink(
        "../mac-1/hardware_20260101T000000Z.json",
        dir.join("latest.json"),
    )
    .unwrap();
    let (code, _, err) = run(hwinv(root.path()).args(["generate", "gpu-1"]));
    assert_eq!(code, 2);
    assert!(
        err.contains("not to a hardware_<stamp>.json beside it"),
        "{err}"
    );
}

#[test]
fn untracked_files_are_reported_or_added_in_a_git_inventory() {
    let git = require("git");
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let st = Command::new(&git)
        .arg("-C")
        .arg(r)
        .args(["init", "-q"])
        .status()
        .unwrap();
    assert!(st.success());
    put_snapshot(r, "gpu-1", "linux-gpu-a100", replayed("linux-gpu-a100"));
    write_leaf(r, "");
    let (code, _, err) = run(hwinv(r).args(["generate", "gpu-1"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not tracked by git") && err.contains("hosts/gpu-1/configuration.nix"),
        "{err}"
    );
    let (code, _, err) = run(hwinv(r).args(["generate", "gpu-1", "--git-add"]));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("not tracked"), "{err}");
    let out = Command::new(&git)
        .arg("-C")
        .arg(r)
        .args(["ls-files"])
        .output()
        .unwrap();
    let files = String::from_utf8_lossy(&out.stdout);
    for f in [
        "hosts/gpu-1/configuration.nix",
        "hosts/gpu-1/nats-server.conf",
        "hosts/gpu-1/metadata.json",
        "hosts/gpu-1/hardware.nix",
    ] {
        assert!(files.lines().any(|l| l == f), "{f} not added: {files}");
    }
}

#[test]
fn the_repository_example_fleet_is_discovered_and_up_to_date() {
    // The example hosts committed under examples/fleet/ (replayed fixtures, see docs/generate.md).
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    install_flake(
        r,
        &fs::read_to_string(repo().join("examples/fleet/leaf-config.nix")).unwrap(),
    );
    // Only what git tracks: a user's own `hwinv extract` in this checkout (the README's first command)
    // adds hosts the repository does not ship, and a flake would not see them either.
    let listed = Command::new("git")
        .arg("-C")
        .arg(repo())
        .args([
            "ls-files",
            "-z",
            "--",
            "examples/fleet/inventory",
            "examples/fleet/hosts",
        ])
        .output()
        .unwrap();
    assert!(listed.status.success(), "the repository is a git checkout");
    for rel in listed.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        let rel = std::str::from_utf8(rel).unwrap();
        let to = r.join(rel.strip_prefix("examples/fleet/").unwrap());
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        let st = Command::new("cp")
            .arg("-P")
            .arg(repo().join(rel))
            .arg(&to)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let names = |attr: &str| flake_eval(r, attr, Some("builtins.attrNames")).unwrap();
    assert_eq!(names("darwinConfigurations"), json!(["mac-prod-01"]));
    // gpu-box-01 runs Ubuntu: NATS files and a systemd unit, no NixOS configuration, no deploy node.
    assert_eq!(names("nixosConfigurations"), json!([]));
    let nodes = flake_eval(
        r,
        "deploy.nodes",
        Some("builtins.mapAttrs (n: v: [ v.hostname v.sshUser v.profiles.system.path.evaluated ])"),
    )
    .unwrap();
    assert_eq!(nodes, json!({"mac-prod-01": ["10.1.1.10", "admin", true]}));
    // The committed files are what this build generates (run `hwinv generate --all` after changing a template).
    let (code, out, err) = run(hwinv(r).args(["generate", "--all", "--check"]));
    assert_eq!(code, 0, "{out}{err}");
}

/// The repository's own flake: hwinv as a package and app, and its NixOS and nix-darwin modules, which
/// evaluate against the stub option declarations into the units deploy/ ships by hand.
#[test]
fn the_flake_packages_hwinv_and_its_modules_evaluate() {
    let top = tempfile::tempdir().unwrap();
    let hw = top.path().join("hwinv");
    fs::create_dir_all(hw.join("nix/modules")).unwrap();
    for f in [
        "flake.nix",
        "Cargo.toml",
        "Cargo.lock",
        "nix/modules/nixos.nix",
        "nix/modules/darwin.nix",
    ] {
        fs::copy(repo().join(f), hw.join(f)).unwrap();
    }
    let consumer = top.path().join("consumer");
    fs::create_dir_all(&consumer).unwrap();
    fs::write(
        consumer.join("flake.nix"),
        format!(
            r#"{{
  inputs.hwinv.url = "path:{}";
  inputs.hwinv.inputs.nixpkgs.follows = "nixpkgs";
  inputs.nixpkgs.url = "path:/nonexistent";
  inputs.nix-darwin.url = "path:/nonexistent";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
  outputs = {{ self, hwinv, nixpkgs, nix-darwin }}: {{
    inherit (hwinv) packages apps;
    nixosConfigurations.t = nixpkgs.lib.nixosSystem {{
      modules = [ hwinv.nixosModules.hwinv {{
        nixpkgs.hostPlatform = "x86_64-linux";
        networking.hostName = "t";
        system.stateVersion = "26.05";
        fileSystems."/" = {{ device = "/dev/vda"; fsType = "ext4"; }};
        boot.loader.grub.device = "/dev/vda";
        services.hwinv = {{ enable = true; sample.enable = true; }};
      }} ];
    }};
    darwinConfigurations.m = nix-darwin.lib.darwinSystem {{
      modules = [ hwinv.darwinModules.default {{
        nixpkgs.hostPlatform = "aarch64-darwin";
        system.stateVersion = 6;
        services.hwinv.enable = true;
      }} ];
    }};
  }};
}}
"#,
            hw.display()
        ),
    )
    .unwrap();
    let eval = |attr: &str, apply: &str| -> Value {
        let mut c = Command::new(require("nix"));
        c.args(["--extra-experimental-features", "nix-command flakes"]);
        c.args([
            "--option",
            "build-users-group",
            "",
            "--option",
            "substituters",
            "",
        ]);
        c.args(["eval", "--json"]);
        c.arg(format!("path:{}#{attr}", consumer.display()));
        c.args(["--apply", apply]);
        for (input, dir) in [("nixpkgs", "nixpkgs"), ("nix-darwin", "nix-darwin")] {
            c.args(["--override-input", input]).arg(format!(
                "path:{}",
                repo()
                    .join("tests/fixtures/flake-stubs")
                    .join(dir)
                    .display()
            ));
        }
        c.arg("--no-write-lock-file");
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{attr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let pkg = eval(
        "packages.x86_64-linux.hwinv",
        "p: { inherit (p) name; main = p.meta.mainProgram; }",
    );
    assert_eq!(pkg, json!({"name": "hwinv-0.1.0", "main": "hwinv"}));
    let app = eval("apps.x86_64-linux.default", "a: a.program");
    assert!(
        app.as_str().unwrap().ends_with("-hwinv-0.1.0/bin/hwinv"),
        "{app}"
    );

    let units = eval(
        "nixosConfigurations.t.config",
        "c: { services = builtins.mapAttrs (_: s: s.serviceConfig.ExecStart) c.systemd.services; timers = builtins.mapAttrs (_: t: t.timerConfig) c.systemd.timers; drv = c.system.build.toplevel.drvPath; }",
    );
    let exec = |unit: &str| units["services"][unit].as_str().unwrap().to_string();
    assert!(
        exec("hwinv-extract").ends_with("/bin/hwinv --root /var/lib/hwinv extract"),
        "{units}"
    );
    assert!(
        exec("hwinv-export").ends_with(
            "/bin/hwinv --root /var/lib/hwinv export prometheus --probe --out /var/lib/hwinv/textfile/hwinv.prom"
        ),
        "{units}"
    );
    assert!(
        exec("hwinv-sample").ends_with("sample --every 10s"),
        "{units}"
    );
    assert_eq!(units["timers"]["hwinv-export"]["OnUnitActiveSec"], "30s");
    assert!(units["drv"].as_str().unwrap().ends_with(".drv"));

    let daemons = eval(
        "darwinConfigurations.m.config.launchd.daemons",
        "d: builtins.mapAttrs (_: v: { inherit (v) command; every = v.serviceConfig.StartInterval or null; }) d",
    );
    assert_eq!(daemons["hwinv-export"]["every"], 30);
    assert!(
        daemons["hwinv-extract"]["command"]
            .as_str()
            .unwrap()
            .ends_with("/bin/hwinv --root /var/lib/hwinv extract"),
        "{daemons}"
    );
    assert!(
        daemons.get("hwinv-sample").is_none(),
        "sampling is off by default"
    );
}
