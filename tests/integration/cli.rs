//! The conventions every command shares: completions, the man page, `init`.

use crate::util::{hwinv, require, run};
use std::fs;
use std::process::Command;

#[test]
fn completions_are_valid_shell() {
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path()).args(["completions", "bash"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("hwinv") && out.contains("generate"), "{out}");
    let script = root.path().join("hwinv.bash");
    fs::write(&script, &out).unwrap();
    let st = Command::new(require("bash"))
        .arg("-n")
        .arg(&script)
        .status()
        .unwrap();
    assert!(st.success(), "bash -n refused the completion script");
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(hwinv(root.path()).args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("extract"), "{shell}");
    }
    let (code, _, err) = run(hwinv(root.path()).args(["completions", "tcsh"]));
    assert_eq!(code, 2);
    assert!(err.contains("possible values"), "{err}");
}

#[test]
fn man_page_renders() {
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = run(hwinv(root.path()).arg("man"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(".ie") || out.contains(".TH hwinv 1"),
        "{out}"
    );
    let page = root.path().join("hwinv.1");
    fs::write(&page, &out).unwrap();
    let rendered = Command::new(require("man"))
        .args(["-l", "-P", "cat"])
        .arg(&page)
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(text.contains("NAME") && text.contains("hwinv"), "{text}");
    assert!(
        text.contains("extract") && text.contains("generate"),
        "{text}"
    );
}

#[test]
fn init_starts_a_fleet_of_your_own() {
    let top = tempfile::tempdir().unwrap();
    let fleet = top.path().join("fleet");
    let (code, out, err) = run(hwinv(top.path()).arg("init").arg(&fleet));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("next:") && out.contains("hwinv generate --all"),
        "{out}"
    );
    for f in [
        "flake.nix",
        "nix/discover.nix",
        "nix/host.nix",
        "leaf-config.nix",
        ".gitignore",
    ] {
        assert!(fleet.join(f).is_file(), "{f}");
    }
    assert!(fleet.join("inventory").is_dir() && fleet.join("hosts").is_dir());
    // Nothing of the example fleet comes along.
    let leaf = fs::read_to_string(fleet.join("leaf-config.nix")).unwrap();
    assert!(
        leaf.contains("primary = null;") && !leaf.contains("mac-prod-01"),
        "{leaf}"
    );

    // A second init refuses and changes nothing.
    let before = crate::util::tree(&fleet);
    let (code, _, err) = run(hwinv(top.path()).arg("init").arg(&fleet));
    assert_eq!(code, 2);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(crate::util::tree(&fleet), before);

    // Extract and generate in it: only files a user commits show in git status.
    let capture = crate::util::repo().join("tests/fixtures/hosts/linux-kvm-microvm");
    let (code, _, err) = run(hwinv(&fleet).args(["extract", "--replay"]).arg(&capture));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(hwinv(&fleet).args(["generate", "--all", "--git-add"]));
    assert_eq!(code, 0, "{err}");
    let git = require("git");
    let status = Command::new(&git)
        .arg("-C")
        .arg(&fleet)
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(
        !status.contains(".lock") && !status.contains("hwinv-tmp"),
        "{status}"
    );
    assert!(status.contains("hosts/vm/nats-server.conf"), "{status}");

    // The flake's discovery finds the host and only it.
    let expr = format!(
        "let d = import {}/nix/discover.nix {{ root = {}; leafConfig = import {}/leaf-config.nix; }}; in builtins.attrNames d.hosts",
        fleet.display(),
        fleet.display(),
        fleet.display()
    );
    let out = Command::new(require("nix-instantiate"))
        .args(["--eval", "--strict", "--json", "-E", &expr])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[\"vm\"]");
}

/// A small inventory: this dev VM's capture stored twice as `vm` (its own name) and once as `renamed`.
fn small_inventory() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let capture = crate::util::repo().join("tests/fixtures/hosts/linux-kvm-microvm");
    for extra in [&[][..], &[][..], &["--name", "renamed"][..]] {
        let (code, _, err) = run(hwinv(root.path())
            .args(["extract", "--replay"])
            .arg(&capture)
            .args(extra));
        assert_eq!(code, 0, "{err}");
    }
    root
}

#[test]
fn every_printing_command_speaks_json_on_stdout_alone() {
    let root = small_inventory();
    let r = root.path();
    let cap = r.join("cap");
    let capture_dir = cap.to_str().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["hosts", "--json"],
        vec!["show", "vm", "--json"],
        vec!["compare", "vm", "renamed", "--json"],
        vec!["diff", "vm", "--json"],
        vec!["events", "--json"],
        vec!["readiness", "vm", "--json"],
        vec!["export", "prometheus", "--json"],
        vec!["generate", "--all", "--json"],
        vec!["generate", "vm", "--explain", "--json"],
        vec!["capture", "local", capture_dir, "--json"],
        vec!["telemetry", "status", "--json"],
    ];
    for args in commands {
        let (code, out, err) = run(hwinv(r).args(&args));
        assert!(code == 0 || code == 1, "{args:?}: {err}");
        // One JSON document, or JSON lines (events), and nothing else.
        let docs: Result<Vec<serde_json::Value>, _> = if args[0] == "events" {
            out.lines().map(serde_json::from_str).collect()
        } else {
            serde_json::from_str(&out).map(|v| vec![v])
        };
        assert!(docs.is_ok(), "{args:?} printed more than JSON:\n{out}");
    }
}

#[test]
fn events_follow_a_target_to_its_host_and_names_are_kept() {
    let root = small_inventory();
    let r = root.path();
    // Every event of the run, the started one (logged before the host named itself) included.
    let (code, out, err) = run(hwinv(r).args(["events", "--host", "vm", "--json"]));
    assert_eq!(code, 0, "{err}");
    let kinds: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        kinds.contains(&"inventory.extraction.started".to_string()),
        "{out}"
    );
    assert!(
        kinds.contains(&"inventory.extraction.completed".to_string()),
        "{out}"
    );
    // --name keeps the machine's own name beside the inventory name.
    let (_, out, _) = run(hwinv(r).args(["show", "renamed", "--json"]));
    let snap: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(snap["system_info"]["hostname"], "renamed");
    assert_eq!(snap["system_info"]["reported_hostname"], "vm");
    // A typo gets the closest name; an empty directory says how to point at an inventory.
    let (code, _, err) = run(hwinv(r).args(["show", "vn"]));
    assert_eq!(code, 2);
    assert!(err.contains("did you mean 'vm'"), "{err}");
    let empty = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(empty.path()).arg("hosts"));
    assert_eq!(code, 1);
    assert!(
        err.contains("--root") && err.contains("hwinv extract"),
        "{err}"
    );
    let (code, _, err) = run(hwinv(r).args(["generate", "--check"]));
    assert_eq!(code, 2);
    assert!(err.contains("--all"), "{err}");
}

#[test]
fn the_root_is_found_upwards_from_a_subdirectory() {
    let root = small_inventory();
    let sub = root.path().join("hosts/vm");
    fs::create_dir_all(&sub).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_hwinv"))
        .args(["hosts", "--format", "names"])
        .current_dir(&sub)
        .env_remove("HWINV_ROOT")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "renamed\nvm\n");
}
