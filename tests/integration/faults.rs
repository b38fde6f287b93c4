//! Reliability against hostile hosts, broken files and faults (issue 12): absurd numbers stay out of Nix,
//! NATS escapes that nats-server accepts, output bounds per host, failed extractions that change nothing,
//! corrupt telemetry files and concurrent writers. Every test uses the real tool where there is one
//! (sshd, nix-instantiate, nats-server, tmpfs and read-only bind mounts).

use crate::extract::{assert_failure_leaves_inventory_untouched, nix_eval_json};
use crate::util::{hwinv, repo, require, run};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the fixture capture `name` in a fresh directory, for mutation.
pub fn capture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join(name);
    fs::create_dir_all(&cap).unwrap();
    for e in fs::read_dir(repo().join("tests/fixtures/hosts").join(name)).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), cap.join(e.file_name())).unwrap();
    }
    (dir, cap)
}

/// Replace the first line starting with `prefix` in `file`.
fn patch_line(file: &Path, prefix: &str, line: &str) {
    let text = fs::read_to_string(file).unwrap();
    let mut done = false;
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !done && l.starts_with(prefix) {
                done = true;
                line.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    assert!(
        done,
        "no line starting with {prefix:?} in {}",
        file.display()
    );
    fs::write(file, out.join("\n") + "\n").unwrap();
}

#[test]
fn integers_outside_nix_range_are_refused_and_the_largest_valid_one_parses() {
    // 2^63 - 2048 bytes: the largest kB value that still fits; the real nix-instantiate reads it.
    let (_d, cap) = capture_copy("linux-xeon-e5620");
    patch_line(
        &cap.join("meminfo.out"),
        "MemTotal:",
        "MemTotal:        9007199254740990 kB",
    );
    let root = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(root.path()).arg("extract").arg("--replay").arg(&cap));
    assert_eq!(code, 0, "{err}");
    let facts = nix_eval_json(&root.path().join("hosts/rhel5/hardware.nix"));
    assert_eq!(
        facts["hardware"]["memory"]["bytes"],
        serde_json::json!(9_223_372_036_854_773_760_i64)
    );

    // One kB more saturates past i64::MAX: refused with a one-line error, nothing but the event changes.
    let (_d, cap) = capture_copy("linux-xeon-e5620");
    patch_line(
        &cap.join("meminfo.out"),
        "MemTotal:",
        "MemTotal:        18014398509481983 kB",
    );
    let args = vec!["--replay".to_string(), cap.display().to_string()];
    assert_failure_leaves_inventory_untouched(
        &args,
        &cap.display().to_string(),
        "outside Nix's signed 64-bit range",
    );
}

#[test]
fn nats_strings_with_dollar_signs_are_accepted_by_nats_server() {
    let root = tempfile::tempdir().unwrap();
    let cap = repo().join("tests/fixtures/hosts/linux-xeon-e5620");
    let (code, _, err) = run(hwinv(root.path()).arg("extract").arg("--replay").arg(&cap));
    assert_eq!(code, 0, "{err}");
    // A template override is how a string with `$` reaches nats_str.
    let builtin = fs::read_to_string(repo().join("templates/nats-server.conf.j2")).unwrap();
    let over = builtin.replace(
        "server_name: {{ nats.server_name | nats_str }}",
        "server_name: {{ (\"$HOME-${USER}-\" ~ nats.server_name ~ \"-a\\\\b\\\"c\") | nats_str }}",
    );
    assert_ne!(
        over, builtin,
        "the built-in template changed: update this test"
    );
    fs::create_dir_all(root.path().join("templates")).unwrap();
    fs::write(root.path().join("templates/nats-server.conf.j2"), over).unwrap();
    let (code, _, err) = run(hwinv(root.path()).args(["generate", "rhel5"]));
    assert_eq!(code, 0, "{err}");
    let conf = root.path().join("hosts/rhel5/nats-server.conf");
    let text = fs::read_to_string(&conf).unwrap();
    assert!(
        text.contains(r#"server_name: "$HOME-${USER}-rhel5-a\\b\"c""#),
        "{text}"
    );
    let out = Command::new(require("nats-server"))
        .arg("-t")
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nats-server rejected the file: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_host_streaming_without_end_is_stopped_at_the_output_limit() {
    // stdout, with the default limit (64 MiB): fails long before the timeout, with a clear error.
    let sshd = crate::util::Sshd::start(Some("cat >/dev/null & exec yes hwinv-flood"));
    let mut args = sshd.hwinv_args();
    args.extend(["--timeout".into(), "120".into()]);
    let started = std::time::Instant::now();
    assert_failure_leaves_inventory_untouched(
        &args,
        "127.0.0.1",
        "more than 67108864 bytes on stdout",
    );
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());

    // stderr, with a configured limit.
    let sshd = crate::util::Sshd::start(Some("cat >/dev/null & exec yes hwinv-flood >&2"));
    let mut args = sshd.hwinv_args();
    args.extend([
        "--max-output".into(),
        "1MiB".into(),
        "--timeout".into(),
        "120".into(),
    ]);
    let started = std::time::Instant::now();
    assert_failure_leaves_inventory_untouched(
        &args,
        "127.0.0.1",
        "more than 1048576 bytes on stderr",
    );
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}
