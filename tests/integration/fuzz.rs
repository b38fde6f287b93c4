//! A mutation fuzzer over the real captures in tests/fixtures/hosts: truncation, byte flips, huge and
//! negative numbers, invalid UTF-8, deep nesting and 10 MB sections, fed to every section's parser, to
//! `collect` on whole mutated captures, to the frame splitter on mutated framed output, and to the
//! `hardware.nix` renderer on what collect returns.
//!
//! Every outcome must be a value, a warning or an error; a panic fails the test and its input is saved
//! (`HWINV_FUZZ_OUT`, default the system temp dir). The suite runs it for `HWINV_FUZZ_SECS` seconds
//! (default 3, with 1 MB sections instead of 10 MB); `scripts/fuzz.sh` runs it longer and prints
//! executions, findings and peak memory.

use crate::util::repo;
use hwinv::probe::sections::Facts;
use hwinv::probe::{self, Sections, SECTIONS};
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// xorshift64*: deterministic per seed, so a finding can be replayed with `HWINV_FUZZ_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-9223372036854775808",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "-99999999999999999999",
    "1e308",
    "NaN",
    "0x7fffffff",
    "",
];

/// One mutation of `input` (bytes: invalid UTF-8 is one of the outcomes).
fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut b = input.to_vec();
    let rounds = 1 + rng.below(4);
    for _ in 0..rounds {
        let len = b.len();
        match rng.below(10) {
            0 => b.truncate(rng.below(len + 1)),
            1 if len > 0 => {
                let i = rng.below(len);
                b[i] ^= 1 << rng.below(8);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                b[i] = rng.next() as u8;
            }
            3 => {
                // Replace a run of digits by an extreme number.
                let digits: Vec<usize> = (0..len).filter(|&i| b[i].is_ascii_digit()).collect();
                if let Some(&start) = digits.get(rng.below(digits.len())) {
                    let end = (start..len)
                        .find(|&i| !b[i].is_ascii_digit())
                        .unwrap_or(len);
                    let n = NUMBERS[rng.below(NUMBERS.len())].as_bytes();
                    b.splice(start..end, n.iter().copied());
                }
            }
            4 => {
                // Invalid UTF-8.
                let i = rng.below(len + 1);
                let bad: &[u8] =
                    [&[0xff_u8][..], &[0xc3], &[0xe2, 0x82], &[0xed, 0xa0, 0x80]][rng.below(4)];
                b.splice(i..i, bad.iter().copied());
            }
            5 => {
                // Deep nesting of whatever the format nests.
                let depth = 1 + rng.below(20_000);
                let (open, close): (&str, &str) =
                    [("<a>", "</a>"), ("[", "]"), ("{\"a\":", "}"), ("(", ")")][rng.below(4)];
                let i = rng.below(len + 1);
                let mut nest = open.repeat(depth).into_bytes();
                if rng.below(2) == 0 {
                    nest.extend(close.repeat(depth).into_bytes());
                }
                b.splice(i..i, nest);
            }
            6 if len > 1 => {
                // Duplicate a slice (repeated keys, repeated blocks).
                let s = rng.below(len);
                let e = (s + 1 + rng.below(4096)).min(len);
                let piece = b[s..e].to_vec();
                let at = rng.below(b.len() + 1);
                b.splice(at..at, piece);
            }
            7 if len > 1 => {
                // Delete a slice.
                let s = rng.below(len);
                let e = (s + 1 + rng.below(256)).min(len);
                b.drain(s..e);
            }
            8 => {
                let i = rng.below(len + 1);
                let junk: &[u8] = [
                    &b"\0"[..],
                    b"\r\n",
                    b"\t",
                    b":",
                    b"=",
                    b"\"",
                    b"\\",
                    b"${x}",
                    b" kB",
                ][rng.below(9)];
                b.splice(i..i, junk.iter().copied());
            }
            _ => {
                // Swap two lines.
                let lines: Vec<usize> = (0..len).filter(|&i| b[i] == b'\n').collect();
                if lines.len() > 2 {
                    let a = lines[rng.below(lines.len())];
                    let c = lines[rng.below(lines.len())];
                    let (a, c) = (a.min(c), a.max(c));
                    b[a..c].reverse();
                }
            }
        }
    }
    b
}

fn captures() -> Vec<(String, Sections)> {
    let dir = repo().join("tests/fixtures/hosts");
    let mut out: Vec<(String, Sections)> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (
                name,
                hwinv::store::capture::read_capture(&e.path()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 10, "fixture hosts missing");
    out
}

fn ctx() -> probe::Context {
    probe::Context {
        collected_at: "2026-12-01T00:00:00Z".into(),
        source: hwinv::model::Source {
            transport: "replay".into(),
            target: None,
            ..Default::default()
        },
        generator: "hwinv fuzz".into(),
    }
}

/// Framed script output for `sections`, as `script.sh` prints it.
fn framed(boundary: &str, s: &Sections) -> Vec<u8> {
    let mut out = format!("{boundary} hwinv-probe 1 {}\n", s.kernel);
    for (name, sec) in &s.map {
        out.push_str(&format!(
            "{boundary} begin {name}\n{}\n{boundary} stderr {name}\n{}\n{boundary} end {name} {} {}\n",
            sec.stdout,
            sec.stderr,
            sec.exit_code.unwrap_or(1),
            u8::from(sec.timed_out)
        ));
    }
    out.push_str(&format!("{boundary} done\n"));
    out.into_bytes()
}

/// Counts of one fuzz run.
#[derive(Debug, Default)]
struct Stats {
    execs: u64,
    values: u64,
    errors: u64,
    crashes: Vec<(String, PathBuf, String)>,
}

fn record(stats: &mut Stats, what: &str, input: &[u8], res: std::thread::Result<bool>) {
    stats.execs += 1;
    match res {
        Ok(true) => stats.values += 1,
        Ok(false) => stats.errors += 1,
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let dir =
                std::env::var_os("HWINV_FUZZ_OUT").map_or_else(std::env::temp_dir, PathBuf::from);
            let path = dir.join(format!(
                "hwinv-fuzz-crash-{}-{}.bin",
                what,
                stats.crashes.len()
            ));
            let _ = fs::write(&path, input);
            stats.crashes.push((what.to_string(), path, msg));
        }
    }
}

fn peak_rss_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn fuzz(budget: Duration, seed: u64, long: bool) -> Stats {
    let caps = captures();
    let mut rng = Rng(seed | 1);
    let mut stats = Stats::default();
    let no_templates = tempfile::tempdir().unwrap();
    let tiers = hwinv::config::tiers::Tiers::load(no_templates.path()).unwrap();
    // Corpus per parser: every fixture's text for the sections it has.
    let corpus: Vec<(&probe::SectionSpec, Vec<&str>)> = SECTIONS
        .iter()
        .map(|spec| {
            let texts: Vec<&str> = caps
                .iter()
                .filter_map(|(_, s)| s.get(spec.name).map(|sec| sec.stdout.as_str()))
                .collect();
            (spec, texts)
        })
        .collect();
    // Huge sections, once per parser: a real capture repeated to 10 MB (1 MB in the suite's short run,
    // where 10 MB through every parser of a debug build costs seconds).
    let huge = if long { 10_000_000 } else { 1_000_000 };
    for (spec, texts) in &corpus {
        let base = texts
            .iter()
            .copied()
            .max_by_key(|t| t.len())
            .unwrap_or("x\n");
        let big = base.repeat(huge / base.len().max(1) + 1);
        let res = catch_unwind(AssertUnwindSafe(|| {
            (spec.fold)(&big, &mut Facts::default()).is_ok()
        }));
        record(&mut stats, spec.name, b"(huge repeat)", res);
    }
    let started = Instant::now();
    let mut round = 0u64;
    while started.elapsed() < budget {
        round += 1;
        // Mostly single parsers (fast); every 50th a whole capture through collect + render; every
        // 50th the frame splitter on a whole run's output.
        if round % 50 == 0 {
            let (_, caps_s) = &caps[rng.below(caps.len())];
            let mut s = caps_s.clone();
            let names: Vec<String> = s.map.keys().cloned().collect();
            for _ in 0..1 + rng.below(3) {
                let name = &names[rng.below(names.len())];
                let sec = s.map.get_mut(name).unwrap();
                let m = mutate(&mut rng, sec.stdout.as_bytes());
                sec.stdout = String::from_utf8_lossy(&m).into_owned();
                if rng.below(8) == 0 {
                    sec.exit_code = [None, Some(1), Some(-1), Some(i32::MAX)][rng.below(4)];
                }
            }
            let res = catch_unwind(AssertUnwindSafe(|| match probe::collect(&s, &ctx()) {
                Ok(snap) => {
                    let class = tiers.classify(&snap);
                    // Absurd numbers may be refused by the renderer: an error, not a crash.
                    let _ = hwinv::render::hardware_nix(no_templates.path(), &snap, &class);
                    true
                }
                Err(_) => false,
            }));
            record(&mut stats, "collect", b"(whole capture)", res);
        } else if round % 50 == 25 {
            let (_, s) = &caps[rng.below(caps.len())];
            let input = mutate(&mut rng, &framed("@@B", s));
            let res = catch_unwind(AssertUnwindSafe(|| {
                probe::frame::parse(&input, "@@B").is_ok()
            }));
            record(&mut stats, "frame", &input, res);
        } else {
            let (spec, texts) = &corpus[rng.below(corpus.len())];
            let base = if texts.is_empty() {
                ""
            } else {
                texts[rng.below(texts.len())]
            };
            let input = mutate(&mut rng, base.as_bytes());
            let text = String::from_utf8_lossy(&input);
            let res = catch_unwind(AssertUnwindSafe(|| {
                (spec.fold)(&text, &mut Facts::default()).is_ok()
            }));
            record(&mut stats, spec.name, &input, res);
        }
    }
    stats
}

#[test]
fn parsers_survive_mutated_captures() {
    let secs: u64 = std::env::var("HWINV_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let seed: u64 = std::env::var("HWINV_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    // Quiet panic output on this thread only (findings are listed below with their saved inputs);
    // other tests running beside it keep their messages.
    let me = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != me {
            previous(info);
        }
    }));
    let started = Instant::now();
    let stats = fuzz(Duration::from_secs(secs), seed, secs > 3);
    let took = started.elapsed().as_secs_f64();
    println!(
        "fuzz: {} executions in {took:.1}s ({:.0}/s), {} values, {} errors, {} crashes, peak RSS {} MiB, seed {seed}",
        stats.execs,
        stats.execs as f64 / took,
        stats.values,
        stats.errors,
        stats.crashes.len(),
        peak_rss_kib() / 1024
    );
    for (what, path, msg) in &stats.crashes {
        println!("crash in {what}: {msg} (input saved to {})", path.display());
    }
    assert!(
        stats.crashes.is_empty(),
        "{} crashes, first: {:?}",
        stats.crashes.len(),
        stats.crashes[0]
    );
    assert!(stats.execs > 100, "the fuzzer barely ran");
}
