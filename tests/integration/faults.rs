//! Reliability against hostile hosts, broken files and faults (issue 12): absurd numbers stay out of Nix,
//! NATS escapes that nats-server accepts, output bounds per host, failed extractions that change nothing,
//! corrupt telemetry files and concurrent writers. Every test uses the real tool where there is one
//! (sshd, nix-instantiate, nats-server, tmpfs and read-only bind mounts).

use crate::extract::{assert_failure_leaves_inventory_untouched, nix_eval_json};
use crate::util::{hwinv, repo, require, run, tree};
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

    // The same on macOS, where hw.memsize is read as an unsigned 64-bit number.
    let (_d, cap) = capture_copy("mac-m1pro");
    patch_line(
        &cap.join("sysctl.out"),
        "hw.memsize:",
        "hw.memsize: 18446744073709551615",
    );
    let args = vec!["--replay".to_string(), cap.display().to_string()];
    assert_failure_leaves_inventory_untouched(
        &args,
        &cap.display().to_string(),
        "integer 18446744073709551615 is outside Nix's signed 64-bit range",
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

/// The xeon capture with its memory changed, so a second extraction would change every file it writes.
fn changed_capture() -> (tempfile::TempDir, PathBuf) {
    let (d, cap) = capture_copy("linux-xeon-e5620");
    patch_line(
        &cap.join("meminfo.out"),
        "MemTotal:",
        "MemTotal:        7484296 kB",
    );
    (d, cap)
}

/// Extract the xeon fixture into `root`, break something with `fault`, extract a changed capture and
/// check that it fails with `cause` on one line, that no file but the event log changed (no temp file
/// left either) and that the log holds whole lines. `events_written`: whether the failed event must be
/// there (not on a full disk).
fn failed_extraction_changes_nothing(
    root: &Path,
    fault: impl FnOnce(&Path),
    cause: &str,
    events_written: bool,
) {
    let cap = repo().join("tests/fixtures/hosts/linux-xeon-e5620");
    let (code, _, err) = run(hwinv(root).arg("extract").arg("--replay").arg(&cap));
    assert_eq!(code, 0, "{err}");
    fault(root);
    let events_path = root.join("inventory/events.jsonl");
    let before_events = fs::read_to_string(&events_path).unwrap();
    let without_events = |t: Vec<(PathBuf, Vec<u8>)>| -> Vec<_> {
        t.into_iter().filter(|(p, _)| p != &events_path).collect()
    };
    let before = without_events(tree(root));
    let (_d, changed) = changed_capture();
    let (code, out, err) = run(hwinv(root).arg("extract").arg("--replay").arg(&changed));
    assert_ne!(code, 0, "expected failure; stdout: {out}");
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("warning: "))
        .collect();
    assert_eq!(errors.len(), 1, "one-line error expected: {err}");
    assert!(
        errors[0].starts_with("error: ") && errors[0].contains(cause),
        "error should say '{cause}': {err}"
    );
    assert_eq!(
        before,
        without_events(tree(root)),
        "a failed extraction must not change the inventory"
    );
    let after_events = fs::read_to_string(&events_path).unwrap();
    assert!(after_events.starts_with(&before_events));
    let kinds: Vec<String> = after_events[before_events.len()..]
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("whole event lines")["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    if events_written {
        assert_eq!(
            kinds,
            [
                "inventory.extraction.started",
                "inventory.extraction.failed"
            ]
        );
    }
}

/// A bind mount of a directory onto itself, read-only; unmounted when dropped.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn mount(dir: &Path) -> ReadOnly {
        let mount = require("mount");
        let ok =
            |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?} failed (needs root)");
        ok(Command::new(&mount).arg("--bind").arg(dir).arg(dir));
        let ro = ReadOnly(dir.to_path_buf());
        ok(Command::new(&mount)
            .args(["-o", "remount,bind,ro"])
            .arg(dir));
        ro
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new(require("umount")).arg(&self.0).status();
    }
}

/// A small tmpfs mounted on a fresh directory; unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        mount_tmpfs(dir.path(), size);
        Tmpfs(dir)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new(require("umount")).arg(self.0.path()).status();
    }
}

fn mount_tmpfs(dir: &Path, size: &str) {
    let st = Command::new(require("mount"))
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .unwrap();
    assert!(st.success(), "mounting a tmpfs failed (needs root)");
}

/// Fill the file system holding `dir` with `dir/filler`.
fn fill(dir: &Path) {
    let st = Command::new("dd")
        .args(["if=/dev/zero", "bs=4k"])
        .arg(format!("of={}", dir.join("filler").display()))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!st.success(), "dd should stop at a full disk");
}

#[test]
fn failed_extraction_into_a_read_only_hosts_directory_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    let mut guard = None;
    failed_extraction_changes_nothing(
        root.path(),
        |r| guard = Some(ReadOnly::mount(&r.join("hosts/rhel5"))),
        "Read-only file system",
        true,
    );
    drop(guard);
}

#[test]
fn failed_extraction_when_latest_json_is_a_directory_changes_nothing() {
    let root = tempfile::tempdir().unwrap();
    failed_extraction_changes_nothing(
        root.path(),
        |r| {
            let latest = r.join("inventory/rhel5/latest.json");
            fs::remove_file(&latest).unwrap();
            fs::create_dir(&latest).unwrap();
            fs::write(latest.join("keep"), "x").unwrap();
        },
        "latest.json' is a directory",
        true,
    );
}

#[test]
fn failed_extraction_on_a_full_disk_changes_nothing() {
    let disk = Tmpfs::mount("4m");
    let root = disk.0.path().join("root");
    failed_extraction_changes_nothing(
        &root,
        // Fill every block; the filler is part of the tree compared afterwards.
        fill,
        "No space left on device",
        false,
    );
}

#[test]
fn failed_extraction_when_only_the_hosts_copy_hits_a_full_disk_changes_nothing() {
    // The snapshot and latest.json would fit; only hosts/<h>/hardware.nix cannot be written.
    let root = tempfile::tempdir().unwrap();
    let mut mounted = None;
    failed_extraction_changes_nothing(
        root.path(),
        |r| {
            let dir = r.join("hosts/rhel5");
            let nix = fs::read(dir.join("hardware.nix")).unwrap();
            mount_tmpfs(&dir, "64k");
            mounted = Some(Unmount(dir.clone()));
            fs::write(dir.join("hardware.nix"), nix).unwrap();
            fill(&dir);
        },
        "No space left on device",
        true,
    );
    drop(mounted);
}

/// Unmounts a path when dropped.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new(require("umount")).arg(&self.0).status();
    }
}

#[test]
fn an_empty_or_short_redaction_salt_is_refused() {
    for salt in ["", "abcd\n"] {
        let root = tempfile::tempdir().unwrap();
        let cap = repo().join("tests/fixtures/hosts/linux-xeon-e5620");
        fs::create_dir_all(root.path().join("inventory")).unwrap();
        fs::write(root.path().join("inventory/.redact-salt"), salt).unwrap();
        let (code, _, err) = run(hwinv(root.path())
            .args(["extract", "--redact", "--replay"])
            .arg(&cap));
        assert_ne!(code, 0);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(".redact-salt") && err.contains("fewer than 16"),
            "{err}"
        );
        assert!(!root.path().join("inventory/rhel5/latest.json").exists());
    }
}

#[test]
fn a_full_disk_never_leaves_an_empty_redaction_salt() {
    let disk = Tmpfs::mount("1m");
    let root = disk.0.path();
    fs::create_dir_all(root.join("inventory")).unwrap();
    fill(root);
    let cap = repo().join("tests/fixtures/hosts/linux-xeon-e5620");
    let (code, _, err) = run(hwinv(root)
        .args(["extract", "--redact", "--replay"])
        .arg(&cap));
    assert_ne!(code, 0);
    assert!(err.contains("No space left on device"), "{err}");
    let salt = root.join("inventory/.redact-salt");
    assert!(!salt.exists(), "a salt was left: {:?}", fs::read(&salt));
    let left: Vec<_> = fs::read_dir(root.join("inventory"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().contains("redact-salt")),
        "{left:?}"
    );
    // With room again, the salt is made whole.
    fs::remove_file(root.join("filler")).unwrap();
    let (code, _, err) = run(hwinv(root)
        .args(["extract", "--redact", "--replay"])
        .arg(&cap));
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs::read_to_string(&salt).unwrap().len(), 64);
}

#[test]
fn concurrent_ingests_count_every_rejected_sample() {
    let root = tempfile::tempdir().unwrap();
    let hand =
        fs::read_to_string(repo().join("tests/fixtures/telemetry/hand-computed.jsonl")).unwrap();
    let bad = hand
        .lines()
        .find(|l| l.contains("\"cpu_pct\":150.0"))
        .unwrap();
    let files: Vec<PathBuf> = (0..10)
        .map(|i| {
            let p = root.path().join(format!("bad{i}.jsonl"));
            fs::write(&p, format!("{bad}\n").repeat(20)).unwrap();
            p
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            hwinv(root.path())
                .args(["telemetry", "ingest"])
                .arg(f)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let rejects: serde_json::Value =
        serde_json::from_slice(&fs::read(root.path().join("telemetry/rejects.json")).unwrap())
            .unwrap();
    assert_eq!(rejects["total"], 200, "lost updates");
    assert_eq!(rejects["by_reason"]["cpu_pct_out_of_range"], 200);
}

#[test]
fn rollup_skips_a_corrupt_parquet_file_and_rolls_up_the_other_hosts() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let hand = repo().join("tests/fixtures/telemetry/hand-computed.jsonl");
    let (code, _, err) = run(hwinv(r).args(["telemetry", "ingest"]).arg(&hand));
    assert_eq!(code, 0, "{err}");
    let files: Vec<PathBuf> = tree(&r.join("telemetry/host_metrics"))
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    let pi = files
        .iter()
        .find(|p| p.to_string_lossy().contains("host=pi4"))
        .unwrap();
    // Keep the magic numbers, break the middle: the crate reads garbage pages and footer.
    let mut bytes = fs::read(pi).unwrap();
    let n = bytes.len();
    for (i, b) in bytes[8..n - 8].iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ 0xa5;
    }
    fs::write(pi, &bytes).unwrap();
    let (code, out, err) = run(hwinv(r).arg("rollup"));
    assert_eq!(code, 2, "{out}{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("warning: skipped telemetry/host_metrics/") && err.contains("host=pi4"),
        "{err}"
    );
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with("error: 1 unreadable sample file(s) skipped"),
        "{err}"
    );
    let rolled: Vec<String> = tree(&r.join("telemetry"))
        .into_iter()
        .map(|(p, _)| p.to_string_lossy().into_owned())
        .filter(|p| p.contains("rollup"))
        .collect();
    assert!(rolled.iter().any(|p| p.contains("host=ws1")), "{rolled:?}");
    assert!(!rolled.iter().any(|p| p.contains("host=pi4")), "{rolled:?}");
}

#[test]
fn ssh_options_without_a_host_are_an_error() {
    let root = tempfile::tempdir().unwrap();
    let marker = root.path().join("proxy-ran");
    let proxy = format!("-oProxyCommand=touch {}", marker.display());
    let cap = repo()
        .join("tests/fixtures/hosts/linux-xeon-e5620")
        .display()
        .to_string();
    for args in [
        vec!["extract", proxy.as_str()],
        vec!["extract", "-p", "2222"],
        vec!["extract", "-i", "/nonexistent/key"],
        vec!["extract", "--replay", cap.as_str(), "-oBatchMode=no"],
    ] {
        let (code, out, err) = run(hwinv(root.path()).args(&args));
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("no host was named"), "{err}");
        assert!(
            !root.path().join("inventory").exists(),
            "{args:?} wrote an inventory"
        );
        assert!(!marker.exists());
    }
}

/// Move `dir` to `root/elsewhere-<n>` and leave a symlink to it in its place.
fn symlink_dir(root: &Path, dir: &str, n: &str) {
    let from = root.join(dir);
    let to = root.join(format!("elsewhere-{n}"));
    fs::rename(&from, &to).unwrap();
    std::os::unix::fs::symlink(&to, &from).unwrap();
}

#[test]
fn writes_never_follow_a_symlinked_host_directory() {
    let root = tempfile::tempdir().unwrap();
    failed_extraction_changes_nothing(
        root.path(),
        |r| symlink_dir(r, "hosts/rhel5", "hosts"),
        "hosts/rhel5' is a symlink",
        true,
    );
    let root = tempfile::tempdir().unwrap();
    failed_extraction_changes_nothing(
        root.path(),
        |r| symlink_dir(r, "inventory/rhel5", "inventory"),
        "inventory/rhel5' is a symlink",
        true,
    );
}

/// Every hwinv temporary file under `dir`.
fn temps(dir: &Path) -> Vec<PathBuf> {
    tree(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .ends_with(".hwinv-tmp")
        })
        .collect()
}

#[test]
fn temp_files_of_killed_runs_are_cleaned_up_by_the_next_run() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let cap = repo().join("tests/fixtures/hosts/linux-xeon-e5620");
    let (code, _, err) = run(hwinv(r).arg("extract").arg("--replay").arg(&cap));
    assert_eq!(code, 0, "{err}");
    let (_d, changed) = changed_capture();
    // kill -9 at moments spread over a run, until some run has left temp files behind.
    let mut seed = 12_345_u64;
    for _ in 0..200 {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let mut child = hwinv(r)
            .arg("extract")
            .arg("--replay")
            .arg(&changed)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_micros((seed >> 33) % 15_000));
        let _ = child.kill();
        let _ = child.wait();
        if !temps(r).is_empty() {
            break;
        }
    }
    // A leftover stands in for one when no kill landed in the window (the window is short).
    if temps(r).is_empty() {
        fs::write(r.join("hosts/rhel5/.hardware.nix.abc123.hwinv-tmp"), "half").unwrap();
    }
    let fresh = r.join("hosts/rhel5/.configuration.nix.fresh.hwinv-tmp");
    fs::write(&fresh, "a concurrent generate's staged file").unwrap();
    // Age every leftover past the bound (a killed run's files are old by the time the next one comes).
    for t in temps(r).into_iter().filter(|t| t != &fresh) {
        let st = Command::new("touch")
            .args(["-h", "-d", "1 hour ago"])
            .arg(&t)
            .status()
            .unwrap();
        assert!(st.success());
    }
    let (code, _, err) = run(hwinv(r).arg("extract").arg("--replay").arg(&changed));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        temps(r),
        vec![fresh],
        "old leftovers removed, a recent one kept"
    );
    let latest = r.join("inventory/rhel5/latest.json");
    let snap: serde_json::Value = serde_json::from_slice(&fs::read(latest).unwrap()).unwrap();
    assert_eq!(
        snap["hardware"]["memory"]["total_bytes"],
        7_484_296_u64 * 1024
    );
}

/// `depth` nested elements, as a hostile `nvidia-smi -q -x` prints them.
pub fn deep_xml(depth: usize) -> String {
    format!("{}{}\n", "<a>".repeat(depth), "</a>".repeat(depth))
}

#[test]
fn deeply_nested_nvidia_smi_xml_is_a_warning_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("c");
    fs::create_dir_all(&cap).unwrap();
    fs::write(cap.join("uname.out"), "Linux\nh1\n6.1\nx86_64\n").unwrap();
    fs::write(cap.join("uname.status"), "0\n").unwrap();
    fs::write(cap.join("nvidia_smi.out"), deep_xml(200_000)).unwrap();
    fs::write(cap.join("nvidia_smi.status"), "0\n").unwrap();
    let root = tempfile::tempdir().unwrap();
    let (code, _, err) = run(hwinv(root.path())
        .args(["extract", "--json", "--replay"])
        .arg(&cap));
    assert_eq!(code, 0, "{err}");
    let snap: serde_json::Value =
        serde_json::from_slice(&fs::read(root.path().join("inventory/h1/latest.json")).unwrap())
            .unwrap();
    let warnings = snap["warnings"].to_string();
    assert!(warnings.contains("XML nested deeper than 64"), "{warnings}");
}
