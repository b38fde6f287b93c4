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
