//! Telemetry end to end: `hwinv sample` on this machine and with the real Raspberry Pi sensor fixtures,
//! `telemetry ingest` + `rollup` on a hand-computed dataset, and DuckDB (PyPI `duckdb`) reading every
//! dataset hwinv writes. DuckDB missing is a failure, never a skip.

use serde_json::Value;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn shared_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/shared/other")
        .join(name)
}

fn hand_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/telemetry/hand-computed.jsonl")
}

/// `hwinv --root root` with no telemetry settings leaking in from the environment, and an empty sysfs
/// (no sensors) unless the test sets one.
fn hwinv(root: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hwinv"));
    c.arg("--root").arg(root).env_remove("HWINV_ROOT");
    for (k, _) in std::env::vars() {
        if k.starts_with("HWINV_TELEMETRY_") {
            c.env_remove(k);
        }
    }
    c.env("HWINV_TELEMETRY_SYSFS", root.join("no-sysfs"))
        .env("HWINV_TELEMETRY_VCGENCMD", root.join("no-vcgencmd"))
        .env("HWINV_TELEMETRY_HOST_ID", "testhost");
    c
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("hwinv starts");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const DUCKDB_SCRIPT: &str = r"
import json, sys
try:
    import duckdb
except ImportError as e:
    sys.stderr.write('DUCKDB-MISSING: ' + str(e) + '\n')
    sys.exit(3)
rel = duckdb.sql(sys.argv[1])
cols = rel.columns
rows = [dict(zip(cols, r)) for r in rel.fetchall()]
print(json.dumps(rows, default=str))
";

/// Run `sql` in DuckDB with `root` as the working directory; rows as JSON objects.
fn duckdb(root: &Path, sql: &str) -> Vec<Value> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(DUCKDB_SCRIPT)
        .arg(sql)
        .current_dir(root)
        .stdin(Stdio::null())
        .output()
        .expect(
            "python3 must be installed to run the telemetry tests (DuckDB reads hwinv's Parquet)",
        );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("DUCKDB-MISSING"),
        "the Python package 'duckdb' is required by the telemetry tests and is not importable \
         ({stderr}); install it with `pip install duckdb` (the README test command does)"
    );
    assert!(out.status.success(), "duckdb query failed: {sql}\n{stderr}");
    serde_json::from_slice::<Vec<Value>>(&out.stdout).expect("duckdb output is JSON")
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn duckdb_is_importable() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(duckdb(dir.path(), "select 42 as x")[0]["x"], 42);
}

#[test]
fn sample_has_every_field_and_duckdb_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let out = hwinv(root)
        .args(["sample", "--json", "--run-id", "r-1", "--process-metrics"])
        .stdin(Stdio::null())
        .output()
        .expect("hwinv starts");
    assert!(out.status.success());
    // stdout holds the data alone (`sample --json | jq .` works); the file written is said on stderr.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let s: Value = serde_json::from_str(stdout.trim()).expect("json");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let path = stderr
        .lines()
        .find_map(|l| l.strip_prefix("wrote "))
        .expect("path of the file written");
    assert!(path.starts_with("telemetry/host_metrics/date="), "{path}");
    assert!(
        path.contains("/host=testhost/part-") && path.ends_with(".parquet"),
        "{path}"
    );

    // Types on this machine.
    assert!(s["as_of"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(s["host_id"], "testhost");
    assert_eq!(s["os"], std::env::consts::OS);
    assert_eq!(s["arch"], std::env::consts::ARCH);
    let cpu = f(&s["cpu_pct"]);
    assert!((0.0..=100.0).contains(&cpu));
    assert!(s["cpu_count_logical"].as_i64().is_some_and(|n| n >= 1));
    for k in [
        "ram_total_mb",
        "ram_used_mb",
        "ram_available_mb",
        "swap_total_mb",
        "swap_used_mb",
    ] {
        assert!(s[k].as_i64().is_some_and(|v| v >= 0), "{k}: {}", s[k]);
    }
    assert!(s["ram_total_mb"].as_i64() > Some(0));
    assert!(f(&s["disk_root_total_gb"]) > 0.0);
    assert!(f(&s["disk_root_free_gb"]) >= 0.0);
    // Linux always has at least a loopback; counters of the others may legitimately be 0 in a sandbox.
    assert!(s["net_rx_bytes"].is_i64() || s["net_rx_bytes"].is_null());
    assert!(s["cpu_temp_c"].is_null(), "no sensor in the empty sysfs");
    assert!(s["throttle_flags"].is_null(), "no vcgencmd");
    assert!(s["cpu_freq_mhz"].is_i64() || s["cpu_freq_mhz"].is_null());
    assert!(f(&s["process_rss_mb"]) > 0.0);
    assert!(f(&s["process_cpu_pct"]) >= 0.0);
    assert_eq!(s["run_id"], "r-1");

    // DuckDB sees the same row with the right types.
    let rows = duckdb(
        root,
        "select typeof(as_of) as t_as_of, typeof(cpu_pct) as t_cpu, typeof(ram_total_mb) as t_ram, \
         typeof(cpu_temp_c) as t_temp, typeof(throttle_flags) as t_thr, \
         strftime(as_of at time zone 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ') as as_of, \
         cpu_pct, ram_total_mb, ram_used_mb, disk_root_free_gb, cpu_temp_c, run_id, host_id \
         from 'telemetry/host_metrics/**/*.parquet'",
    );
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["t_as_of"], "TIMESTAMP WITH TIME ZONE");
    assert_eq!(r["t_cpu"], "DOUBLE");
    assert_eq!(r["t_ram"], "BIGINT");
    assert_eq!(r["t_temp"], "DOUBLE");
    assert_eq!(r["t_thr"], "INTEGER");
    assert!(close(f(&r["cpu_pct"]), cpu));
    assert_eq!(r["ram_total_mb"], s["ram_total_mb"]);
    assert_eq!(r["ram_used_mb"], s["ram_used_mb"]);
    assert!(close(
        f(&r["disk_root_free_gb"]),
        f(&s["disk_root_free_gb"])
    ));
    assert!(r["cpu_temp_c"].is_null());
    assert_eq!(r["run_id"], "r-1");
    assert_eq!(r["host_id"], "testhost");
    // Same instant, to the microsecond (DuckDB pads the fraction to 6 digits).
    let ours = s["as_of"].as_str().expect("text");
    let theirs = r["as_of"].as_str().expect("text");
    let pad = |t: &str| {
        let t = t.trim_end_matches('Z');
        match t.split_once('.') {
            Some((a, b)) => format!("{a}.{b:0<6}"),
            None => format!("{t}.000000"),
        }
    };
    assert_eq!(pad(ours), pad(theirs));

    // A second sample adds a file; the first is untouched.
    let first = fs::read(root.join(path)).expect("first file");
    ok(hwinv(root).arg("sample"));
    assert_eq!(fs::read(root.join(path)).expect("first file"), first);
    assert_eq!(
        duckdb(
            root,
            "select count(*) as n from 'telemetry/host_metrics/**/*.parquet'"
        )[0]["n"],
        2
    );

    // status: the age of the last sample.
    let st: Value = serde_json::from_str(&ok(hwinv(root).args(["telemetry", "status", "--json"])))
        .expect("json");
    assert!(st["last_sample_age_secs"]
        .as_i64()
        .is_some_and(|a| (0..120).contains(&a)));
    assert_eq!(st["current"]["host_id"], "testhost");
    let text = ok(hwinv(root).args(["telemetry", "status"]));
    assert!(text.contains("temperature  unavailable"), "{text}");
    assert!(text.contains("last sample  "), "{text}");
}

/// A fake sysfs with one CPU thermal zone holding `temp` (or a directory where the file should be, so the
/// read fails like the EINVAL case), and a fake `vcgencmd` printing a real `get_throttled` fixture.
fn pi_root(temp: Option<&Path>, throttled: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let zone = dir.path().join("sysfs/class/thermal/thermal_zone0");
    fs::create_dir_all(&zone).expect("mkdir");
    fs::write(zone.join("type"), "cpu-thermal\n").expect("write");
    match temp {
        Some(t) => {
            fs::copy(t, zone.join("temp")).expect("copy");
        }
        None => fs::create_dir(zone.join("temp")).expect("mkdir"),
    }
    let vc = dir.path().join("vcgencmd");
    fs::write(
        &vc,
        format!(
            "#!/bin/sh\n[ \"$1\" = get_throttled ] || exit 1\ncat '{}'\n",
            throttled.display()
        ),
    )
    .expect("write");
    fs::set_permissions(&vc, fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn pi_sample(root: &Path) -> Value {
    let out = ok(hwinv(root)
        .env("HWINV_TELEMETRY_SYSFS", root.join("sysfs"))
        .env("HWINV_TELEMETRY_VCGENCMD", root.join("vcgencmd"))
        .args(["sample", "--json"]));
    serde_json::from_str(out.lines().next().expect("line")).expect("json")
}

#[test]
fn raspberry_pi_sensor_fixtures() {
    let t0x50005 =
        shared_fixture("issue-raspberrypi-firmware-615-rpi3-vcgencmd-get_throttled-0x50005.txt");
    let t0x50000 =
        shared_fixture("issue-raspberrypi-firmware-615-rpi3-vcgencmd-get_throttled-0x50000.txt");
    let cases = [
        (
            "issue-home-assistant-os-447-rpi4-thermal_zone0-temp.txt",
            Some(78.88),
            &t0x50005,
            0x50005,
        ),
        (
            "issue-pi-hole-web-129-odroid-c2-thermal_zone0-temp.txt",
            Some(43.0),
            &t0x50000,
            0x50000,
        ),
        (
            "issue-pi-hole-web-129-pine-a64-thermal_zone0-temp-DEGREES-NOT-MILLI.txt",
            Some(31.0),
            &t0x50000,
            0x50000,
        ),
    ];
    for (temp, want, throttled, flags) in cases {
        let dir = pi_root(Some(&shared_fixture(temp)), throttled);
        let s = pi_sample(dir.path());
        assert_eq!(s["cpu_temp_c"].as_f64(), want, "{temp}");
        assert_eq!(s["throttle_flags"].as_i64(), Some(flags), "{temp}");
        let rows = duckdb(
            dir.path(),
            "select cpu_temp_c, throttle_flags from 'telemetry/host_metrics/**/*.parquet'",
        );
        assert_eq!(rows[0]["cpu_temp_c"].as_f64(), want);
        assert_eq!(rows[0]["throttle_flags"].as_i64(), Some(flags));
    }
    // EINVAL-like read failure: null, and the sample is still written.
    let stderr = fs::read_to_string(shared_fixture(
        "issue-raspberrypi-linux-2136-rpi3-arm64-thermal_zone0-temp-EINVAL-stderr.txt",
    ))
    .expect("fixture");
    assert!(stderr.contains("Invalid argument"));
    let dir = pi_root(None, &t0x50005);
    let s = pi_sample(dir.path());
    assert!(s["cpu_temp_c"].is_null());
    assert_eq!(s["throttle_flags"].as_i64(), Some(0x50005));
    let text = ok(hwinv(dir.path())
        .env("HWINV_TELEMETRY_SYSFS", dir.path().join("sysfs"))
        .env("HWINV_TELEMETRY_VCGENCMD", dir.path().join("vcgencmd"))
        .args(["telemetry", "status"]));
    assert!(
        text.contains("throttling   0x50005 (under-voltage now, throttled now, under-voltage occurred, throttling occurred)"),
        "{text}"
    );
}

#[test]
fn hand_computed_rollups_alerts_and_rejects_through_duckdb() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let out = ok(hwinv(root)
        .args(["telemetry", "ingest"])
        .arg(hand_fixture()));
    assert!(
        out.contains("8 samples written to 2 files, 3 rejected"),
        "{out}"
    );

    let rejects: Value =
        serde_json::from_slice(&fs::read(root.join("telemetry/rejects.json")).expect("rejects"))
            .expect("json");
    assert_eq!(rejects["total"], 3);
    assert_eq!(rejects["by_reason"]["cpu_pct_out_of_range"], 1);
    assert_eq!(rejects["by_reason"]["temperature_out_of_range"], 1);
    assert_eq!(rejects["by_reason"]["negative_size"], 1);

    let samples = duckdb(
        root,
        "select count(*) as n, sum(cpu_pct) as cpu, count(cpu_temp_c) as temps \
         from 'telemetry/host_metrics/**/*.parquet'",
    );
    assert_eq!(samples[0]["n"], 8);
    assert!(close(
        f(&samples[0]["cpu"]),
        10.0 + 20.0 + 30.0 + 95.0 + 50.0 + 60.0 + 70.0 + 5.0
    ));
    assert_eq!(samples[0]["temps"], 4);

    let out = ok(hwinv(root).arg("rollup"));
    assert!(out.contains("3 5-minute buckets, 5 alerts"), "{out}");
    let first_rollup =
        fs::read(root.join("telemetry/rollups_5m/date=2024-03-01/host=pi4/rollup.parquet"))
            .expect("rollup file");
    // Idempotent: the same range again gives the same rows, not more.
    ok(hwinv(root).arg("rollup"));
    ok(hwinv(root).args(["rollup", "--since", "2024-03-01", "--until", "2024-03-01"]));
    assert_eq!(
        fs::read(root.join("telemetry/rollups_5m/date=2024-03-01/host=pi4/rollup.parquet"))
            .expect("rollup file"),
        first_rollup
    );

    let rows = duckdb(
        root,
        "select host_id, strftime(bucket_start at time zone 'UTC', '%H:%M') as bucket, \
         typeof(bucket_start) as t, sample_count, cpu_pct_avg, cpu_pct_p95, cpu_pct_max, \
         ram_used_mb_avg, ram_used_mb_max, ram_used_pct_max, disk_root_free_gb_min, disk_free_pct_min, \
         cpu_temp_c_max, throttle_flags_any, net_rx_rate_bps_avg, net_tx_rate_bps_avg \
         from 'telemetry/rollups_5m/**/*.parquet' order by host_id, bucket_start",
    );
    assert_eq!(rows.len(), 3, "{rows:?}");
    let (b0, b2, ws) = (&rows[0], &rows[1], &rows[2]);
    assert_eq!(b0["t"], "TIMESTAMP WITH TIME ZONE");
    // pi4 10:00 — samples 10:00, 10:01, 10:02, 10:04 (10:03 was rejected).
    assert_eq!(
        (b0["host_id"].as_str(), b0["bucket"].as_str()),
        (Some("pi4"), Some("10:00"))
    );
    assert_eq!(b0["sample_count"], 4);
    assert!(close(
        f(&b0["cpu_pct_avg"]),
        (10.0 + 20.0 + 30.0 + 95.0) / 4.0
    ));
    assert!(close(f(&b0["cpu_pct_p95"]), 95.0)); // nearest rank ceil(0.95*4) = 4
    assert!(close(f(&b0["cpu_pct_max"]), 95.0));
    assert!(close(f(&b0["ram_used_mb_avg"]), 1375.0));
    assert_eq!(b0["ram_used_mb_max"], 1900);
    assert!(close(f(&b0["ram_used_pct_max"]), 95.0));
    assert!(close(f(&b0["disk_root_free_gb_min"]), 7.0));
    assert!(close(f(&b0["disk_free_pct_min"]), 7.0));
    assert!(close(f(&b0["cpu_temp_c_max"]), 85.0)); // the null at 10:01 ignored
    assert_eq!(b0["throttle_flags_any"], 0x50005);
    assert!(close(f(&b0["net_rx_rate_bps_avg"]), 24_000.0 / 240.0));
    assert!(close(f(&b0["net_tx_rate_bps_avg"]), 2_400.0 / 240.0));
    // 10:05 is empty: no row. pi4 10:10 — samples 10:10, 10:11 (counter reset), 10:12.
    assert_eq!(b2["bucket"], "10:10");
    assert_eq!(b2["sample_count"], 3);
    assert!(close(f(&b2["cpu_pct_avg"]), 60.0));
    assert!(close(f(&b2["cpu_pct_p95"]), 70.0));
    assert!(close(f(&b2["cpu_temp_c_max"]), 55.0));
    assert_eq!(b2["throttle_flags_any"], 0x50000);
    // 10:04->10:10: +6000 B in 360 s; 10:10->10:11: reset, dropped; 10:11->10:12: +3000 B in 60 s.
    assert!(close(f(&b2["net_rx_rate_bps_avg"]), 9_000.0 / 420.0));
    assert!(close(f(&b2["net_tx_rate_bps_avg"]), 900.0 / 420.0));
    // ws1: one sample, no counters.
    assert_eq!(
        (ws["host_id"].as_str(), ws["bucket"].as_str()),
        (Some("ws1"), Some("10:00"))
    );
    assert_eq!(ws["sample_count"], 1);
    assert!(close(f(&ws["cpu_pct_p95"]), 5.0));
    assert!(close(f(&ws["ram_used_pct_max"]), 12.5));
    assert!(ws["net_rx_rate_bps_avg"].is_null() && ws["cpu_temp_c_max"].is_null());
    assert!(ws["throttle_flags_any"].is_null());

    let alerts = duckdb(
        root,
        "select host_id, strftime(as_of at time zone 'UTC', '%H:%M') as at, alert_type, severity, \
         message, json_extract(context_json, '$.value')::double as value \
         from 'telemetry/alerts/**/*.parquet' order by as_of, alert_type",
    );
    let kinds: Vec<(&str, &str, &str)> = alerts
        .iter()
        .map(|a| {
            (
                a["host_id"].as_str().unwrap_or(""),
                a["at"].as_str().unwrap_or(""),
                a["alert_type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("pi4", "10:00", "cpu_p95_high"),
            ("pi4", "10:00", "disk_low"),
            ("pi4", "10:00", "ram_high"),
            ("pi4", "10:00", "temp_high"),
            ("pi4", "10:00", "throttled"),
        ]
    );
    let by = |k: &str| alerts.iter().find(|a| a["alert_type"] == k).expect("alert");
    assert!(close(f(&by("cpu_p95_high")["value"]), 95.0));
    assert!(close(f(&by("ram_high")["value"]), 95.0));
    assert!(close(f(&by("disk_low")["value"]), 7.0));
    assert!(close(f(&by("temp_high")["value"]), 85.0));
    assert!(close(f(&by("throttled")["value"]), f64::from(0x50005)));
    assert!(alerts.iter().all(|a| a["severity"] == "warning"));
    assert!(by("throttled")["message"]
        .as_str()
        .is_some_and(|m| m.contains("under-voltage now, throttled now")));

    // Rules are data: a config that only alerts on temperature above 50 °C replaces the defaults, and a
    // re-run replaces the alert partition instead of adding to it.
    fs::write(
        root.join("telemetry.toml"),
        "[[alerts]]\nname = \"warm\"\nmetric = \"cpu_temp_c_max\"\nop = \"gt\"\nthreshold = 50\nseverity = \"info\"\n",
    )
    .expect("write config");
    ok(hwinv(root).arg("rollup"));
    let alerts = duckdb(
        root,
        "select alert_type, severity, strftime(as_of at time zone 'UTC', '%H:%M') as at \
         from 'telemetry/alerts/**/*.parquet' order by as_of",
    );
    assert_eq!(alerts.len(), 2, "{alerts:?}");
    assert_eq!(alerts[0]["at"], "10:00");
    assert_eq!(alerts[1]["at"], "10:10");
    assert!(alerts
        .iter()
        .all(|a| a["alert_type"] == "warm" && a["severity"] == "info"));
}

#[test]
fn every_with_count_and_ctrl_c_flush() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    ok(hwinv(root).args([
        "sample", "--every", "100ms", "--count", "3", "--run-id", "bounded",
    ]));
    let rows = duckdb(
        root,
        "select count(*) as n, count(distinct filename) as files, \
         (max(as_of) - min(as_of)) >= interval 150 millisecond as spaced \
         from read_parquet('telemetry/host_metrics/**/*.parquet', filename = true)",
    );
    assert_eq!(rows[0]["n"], 3);
    assert_eq!(rows[0]["files"], 1, "buffered samples go into one file");
    assert_eq!(rows[0]["spaced"], true);

    // Unbounded run stopped by SIGINT: what was buffered is flushed, exit status 0.
    let child = hwinv(root)
        .args(["sample", "--every", "200ms", "--run-id", "sigint"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(1200));
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: sending SIGINT to the child we spawned.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("stopped by signal"), "{stderr}");
    let rows = duckdb(
        root,
        "select count(*) as n from 'telemetry/host_metrics/**/*.parquet' where run_id = 'sigint'",
    );
    assert!(rows[0]["n"].as_i64().is_some_and(|n| n >= 2), "{rows:?}");
    // No temp file left behind.
    let leftovers = walk(&root.join("telemetry"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
        .count();
    assert_eq!(leftovers, 0);
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn config_disable_and_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let out = hwinv(root)
        .env("HWINV_TELEMETRY_ENABLED", "false")
        .arg("sample")
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("disabled"));
    assert!(!root.join("telemetry").exists());

    fs::write(root.join("telemetry.toml"), "rollup_minutes = 7\n").expect("write");
    let out = hwinv(root).arg("sample").output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("rollup_minutes"));
    fs::remove_file(root.join("telemetry.toml")).expect("rm");

    let out = hwinv(root)
        .args(["sample", "--host-id", "../etc"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!root.join("telemetry").exists());

    // rollup with nothing to do: exit 1, not an error.
    let out = hwinv(root).arg("rollup").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
}
