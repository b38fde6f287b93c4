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
