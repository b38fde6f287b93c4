//! Parsers and `collect` over the real captured outputs in tests/fixtures (YAML snapshots).
//!
//! (a) every parser over every fixture file it applies to, in tests/fixtures/shared;
//! (b) `collect` over every capture directory in tests/fixtures/hosts (see the README there).

use hwinv::model::Source;
use hwinv::probe::linux::{cpu, disk, memory, net, os_release};
use hwinv::probe::macos::{self, sw_vers, sysctl};
use hwinv::probe::{collect, nvidia as gpu, Context, Sections};
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).expect("fixture is readable")).into_owned()
}

/// A parser result as a snapshot value: the facts, or the error text.
fn outcome<T: serde::Serialize>(r: Result<T, impl std::fmt::Display>) -> serde_json::Value {
    match r {
        Ok(v) => serde_json::to_value(v).expect("facts serialise"),
        Err(e) => serde_json::Value::String(format!("!!!ERROR!!! {e}")),
    }
}

#[test]
fn cpuinfo_fixtures() {
    insta::glob!("../fixtures/shared/linux-cpuinfo", "*.txt", |p| {
        insta::assert_yaml_snapshot!(outcome(cpu::parse_cpuinfo(&read(p))));
    });
}

#[test]
fn meminfo_fixtures() {
    insta::glob!("../fixtures/shared/linux-meminfo", "*.txt", |p| {
        insta::assert_yaml_snapshot!(outcome(memory::parse_meminfo(&read(p))));
    });
}

#[test]
fn os_release_fixtures() {
    insta::glob!("../fixtures/shared/os-release", "*.txt", |p| {
        insta::assert_yaml_snapshot!(outcome(os_release::parse_os_release(&read(p))));
    });
}

#[test]
fn lsblk_fixtures() {
    insta::glob!("../fixtures/shared/lsblk", "*.json", |p| {
        insta::assert_yaml_snapshot!(outcome(disk::parse_lsblk(&read(p))));
    });
}

#[test]
fn ip_addr_fixture() {
    insta::glob!("../fixtures/shared/other", "netplan-ip-*.json", |p| {
        insta::assert_yaml_snapshot!(outcome(net::parse_ip_addr(&read(p))));
    });
}

#[test]
fn nvidia_smi_xml_fixtures() {
    insta::glob!("../fixtures/shared/nvidia-smi", "*.xml", |p| {
        insta::assert_yaml_snapshot!(outcome(gpu::parse_nvidia_smi_xml(&read(p))));
    });
}

#[test]
fn nvidia_smi_csv_fixture_with_its_own_field_list() {
    // The command line (see SOURCES.md): a different field list from hwinv's.
    let fields = "power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,driver_version,name,\
                  gpu_uuid,power.draw,temperature.gpu,temperature.memory,clocks.current.graphics,clocks.sm,\
                  clocks.mem,utilization.gpu,utilization.memory,fan.speed,pcie.link.width.current,pstate";
    let fields: Vec<&str> = fields.split(',').collect();
    let path = fixtures()
        .join("shared/nvidia-smi/issue-ricks-lab-gpu-utils-83-rtx2080-driver440-query-gpu-csv-noheader-nounits.csv");
    let text = read(&path);
    insta::assert_yaml_snapshot!(outcome(gpu::parse_nvidia_smi_csv_fields(&text, &fields)));
    // With hwinv's own field list the 19-column row does not fit and is skipped, not misread.
    assert_eq!(gpu::parse_nvidia_smi_csv(&text).unwrap(), vec![]);
}

#[test]
fn nvidia_smi_exporter_capture_query_gpu_csv() {
    // The capture is a text dump of many nvidia-smi commands; the first `--query-gpu=... --format=csv`
    // block (header with units, then one row) is cut out and parsed.
    let text =
        read(&fixtures().join(
            "shared/nvidia-smi/nvidia_gpu_exporter-capture-windows-rtx-2080-super-591.86.txt",
        ));
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("# $ nvidia-smi --query-gpu="))
        .expect("capture has a --query-gpu block");
    let block: Vec<&str> = lines
        .iter()
        .skip(start + 2)
        .take_while(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .copied()
        .collect();
    insta::assert_yaml_snapshot!(outcome(gpu::parse_nvidia_smi_csv(&block.join("\n"))));
}

#[test]
fn sysctl_fixtures() {
    insta::glob!("../fixtures/shared/other", "*sysctl*.txt", |p| {
        let facts = sysctl::parse_sysctl(&read(p)).map(|m| sysctl::SysctlFacts::from_map(&m));
        insta::assert_yaml_snapshot!(outcome(facts));
    });
}

#[test]
fn sw_vers_fixtures() {
    insta::glob!("../fixtures/shared/other", "*sw_vers.txt", |p| {
        insta::assert_yaml_snapshot!(outcome(sw_vers::parse_sw_vers(&read(p))));
    });
}

#[test]
fn sp_hardware_fixtures() {
    insta::glob!(
        "../fixtures/shared/macos",
        "*SPHardwareDataType*.json",
        |p| {
            insta::assert_yaml_snapshot!(outcome(macos::hardware::parse_sp_hardware(&read(p))));
        }
    );
}

#[test]
fn sp_displays_fixtures() {
    insta::glob!(
        "../fixtures/shared/macos",
        "*SPDisplaysDataType*.json",
        |p| {
            insta::assert_yaml_snapshot!(outcome(macos::gpu::parse_sp_displays(&read(p))));
        }
    );
}

#[test]
fn sp_storage_fixtures() {
    insta::glob!(
        "../fixtures/shared/macos",
        "*SPStorageDataType*.json",
        |p| {
            insta::assert_yaml_snapshot!(outcome(macos::disk::parse_sp_storage(&read(p))));
        }
    );
}

/// Read a capture directory: `NAME.out`, optional `NAME.err`, `NAME.status` (exit code or `timeout`).
/// The capture reader `extract --replay` uses, so the snapshots below are what a user's replay gives.
fn read_capture(dir: &Path) -> Sections {
    hwinv::store::capture::read_capture(dir).expect("fixture capture is readable")
}

#[test]
fn collect_host_captures() {
    let ctx = Context {
        collected_at: "2026-01-01T00:00:00Z".to_string(),
        source: Source {
            transport: "replay".to_string(),
            target: None,
            ..Default::default()
        },
        generator: "hwinv test".to_string(),
    };
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures().join("hosts"))
        .expect("tests/fixtures/hosts exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(
        dirs.len() >= 10,
        "expected the fixture hosts, found {dirs:?}"
    );
    for dir in dirs {
        let host = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 dir name")
            .to_string();
        let sections = read_capture(&dir);
        let snap = collect(&sections, &ctx).unwrap_or_else(|e| panic!("{host}: {e}"));
        // Same sections in, identical snapshot out.
        assert_eq!(
            collect(&sections, &ctx).unwrap(),
            snap,
            "{host}: collect is not deterministic"
        );
        insta::assert_yaml_snapshot!(format!("host_{host}"), snap);
    }
}

#[test]
fn firmware_section_captures() {
    insta::glob!("../fixtures/sections/firmware", "*.out", |p| {
        let text = fs::read_to_string(p).unwrap();
        let x86 = p.to_string_lossy().contains("x86_64");
        let fw = hwinv::probe::linux::firmware::parse_firmware(&text, x86).unwrap();
        insta::assert_yaml_snapshot!(fw);
    });
}

/// One test per section over its captures in `tests/fixtures/sections/<name>/`.
macro_rules! section_captures {
    ($test:ident, $dir:literal, |$text:ident| $parse:expr) => {
        #[test]
        fn $test() {
            insta::glob!(concat!("../fixtures/sections/", $dir), "*.out", |p| {
                let $text = fs::read_to_string(p).unwrap();
                insta::assert_yaml_snapshot!($parse);
            });
        }
    };
}

section_captures!(devices_section_captures, "devices", |t| {
    hwinv::probe::linux::devices::parse_devices(&t).unwrap()
});
section_captures!(drivers_section_captures, "drivers", |t| {
    hwinv::probe::linux::devices::parse_drivers(&t)
        .unwrap()
        .block_devices()
});
section_captures!(mountinfo_section_captures, "mountinfo", |t| {
    hwinv::probe::linux::mounts::parse_mountinfo(&t).unwrap()
});
section_captures!(disk_links_section_captures, "disk_links", |t| {
    hwinv::probe::linux::mounts::parse_disk_links(&t).unwrap()
});
section_captures!(swaps_section_captures, "swaps", |t| {
    hwinv::probe::linux::mounts::parse_swaps(&t).unwrap()
});
section_captures!(dm_section_captures, "dm", |t| {
    hwinv::probe::linux::dm::parse_dm(&t).unwrap()
});
section_captures!(virt_section_captures, "virt", |t| {
    hwinv::probe::linux::virt::parse_virt(&t).unwrap()
});
