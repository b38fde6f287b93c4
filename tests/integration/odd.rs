//! Odd machines (issue 11): s390, POWER, SPARC, LoongArch, RISC-V, MIPS, big.LITTLE, offline CPUs, DRM
//! GPUs. Fixtures are in tests/fixtures/odd with their sources and oracles in SOURCES.md; every figure
//! asserted here is the one the source's own tool (lscpu, ohai, facter, procfs) printed for that machine.

use hwinv::probe::linux::cpu;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn odd() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/odd")
}

fn read(rel: &str) -> String {
    fs::read_to_string(odd().join(rel)).expect("fixture is readable")
}

fn outcome<T: serde::Serialize>(r: Result<T, impl std::fmt::Display>) -> serde_json::Value {
    match r {
        Ok(v) => serde_json::to_value(v).expect("facts serialise"),
        Err(e) => serde_json::Value::String(format!("!!!ERROR!!! {e}")),
    }
}

#[test]
fn odd_cpuinfo_fixtures() {
    insta::glob!("../fixtures/odd", "*/*cpuinfo*.txt", |p| {
        insta::assert_yaml_snapshot!(outcome(cpu::parse_cpuinfo(&fs::read_to_string(p).unwrap())));
    });
}

/// One `lscpu -p` table: its column names and rows.
struct Table {
    cols: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn col(&self, row: &[String], name: &str) -> String {
        let i = self.cols.iter().position(|c| c == name).expect("column");
        row[i].clone()
    }
}

/// The `# CPU,Core,…` tables of an lscpu expected-output file, in order (logical, then physical).
fn tables(text: &str) -> Vec<Table> {
    let mut out: Vec<Table> = Vec::new();
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("# CPU,") {
            let mut cols = vec!["CPU".to_string()];
            cols.extend(h.split(',').map(str::to_string));
            out.push(Table {
                cols,
                rows: Vec::new(),
            });
        } else if line.starts_with(|c: char| c.is_ascii_digit()) {
            if let Some(t) = out.last_mut() {
                t.rows.push(line.split(',').map(str::to_string).collect());
            }
        }
    }
    out
}

/// What sysfs held on the machine lscpu read, rebuilt from lscpu's own tables: lscpu's logical ids are
/// the indexes of the sibling masks it read, so CPUs with the same logical core (or, where lscpu
/// restarts core ids per CPU type, the same `core_col`) were thread siblings, CPUs with the same logical
/// socket package siblings; the physical table holds `physical_package_id` (`-` is -1) and `core_id`.
/// `present` is the on-line CPUs plus lscpu's `Off-line CPU(s) list`.
fn sysfs_from_lscpu(text: &str, core_col: &str) -> String {
    let t = tables(text);
    let logical = &t[0];
    let physical = t.get(1);
    let cpus: Vec<u32> = logical.rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let group = |col: &str| -> BTreeMap<String, Vec<u32>> {
        let mut m: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for r in &logical.rows {
            m.entry(logical.col(r, col))
                .or_default()
                .push(r[0].parse().unwrap());
        }
        m
    };
    let threads = group(core_col);
    let packages = group("Socket");
    let list = |v: &Vec<u32>| {
        let set = v.iter().copied().collect();
        cpu::format_cpu_list(&set)
    };
    // present = on-line plus lscpu's Off-line list.
    let mut present: std::collections::BTreeSet<u32> = cpus.iter().copied().collect();
    if let Some(off) = text
        .lines()
        .find_map(|l| l.strip_prefix("Off-line CPU(s) list:"))
    {
        present.extend(cpu::parse_cpu_list(off).unwrap());
    }
    let c = "/sys/devices/system/cpu";
    let mut out = format!(
        "{c}/online:{}\n{c}/present:{}\n",
        list(&cpus),
        cpu::format_cpu_list(&present)
    );
    for (i, r) in logical.rows.iter().enumerate() {
        let n = &r[0];
        let mine = |m: &BTreeMap<String, Vec<u32>>, col: &str| list(&m[&logical.col(r, col)]);
        if let Some(p) = physical {
            let pr = &p.rows[i];
            assert_eq!(&pr[0], n, "tables list the same CPUs");
            let socket = p.col(pr, "Socket");
            let socket = if socket == "-" { "-1".into() } else { socket };
            out.push_str(&format!(
                "{c}/cpu{n}/topology/physical_package_id:{socket}\n"
            ));
            out.push_str(&format!(
                "{c}/cpu{n}/topology/core_id:{}\n",
                p.col(pr, "Core")
            ));
        }
        out.push_str(&format!(
            "{c}/cpu{n}/topology/thread_siblings_list:{}\n",
            mine(&threads, core_col)
        ));
        out.push_str(&format!(
            "{c}/cpu{n}/topology/core_siblings_list:{}\n",
            mine(&packages, "Socket")
        ));
    }
    out
}

/// (fixture, column naming a core in lscpu's logical table, online CPUs, cores, sockets, threads per
/// core, offline list): the oracle values are lscpu's summary lines of the same file.
type Oracle = (
    &'static str,
    &'static str,
    u32,
    u32,
    u32,
    u32,
    Option<&'static str>,
);

const TOPOLOGY_ORACLES: &[Oracle] = &[
    // Thread(s) per core 4, Core(s) per socket 1, Socket(s) 4; physical_package_id -1 everywhere.
    ("power/util-linux-ppc64-POWER7-lscpu-expected.txt", "Core", 16, 4, 4, 4, None),
    // 64 CPUs, Thread 4, Core/socket 1, Socket(s) 16.
    ("power/util-linux-ppc64-POWER7-64cpu-lscpu-expected.txt", "Core", 64, 16, 16, 4, None),
    // SMT off: CPU(s) 160, 20 on-line, Thread 1, Core/socket 5, Socket(s) 4.
    (
        "power/ohai-power8e-powernv-8247-22L-smtoff-lscpu-p.txt",
        "Core",
        20,
        20,
        4,
        1,
        Some("1-7,9-15,17-23,25-31,33-39,41-47,49-55,57-63,65-71,73-79,81-87,89-95,97-103,105-111,113-119,121-127,129-135,137-143,145-151,153-159"),
    ),
    // core_id per cluster (0-3 repeating), 64 cores, 1 socket.
    ("riscv/util-linux-rv64-milkvpioneer-sg2042-lscpu-expected.txt", "Core", 64, 64, 1, 1, None),
    // Hart-numbered core ids 3,1,2,4: 4 cores, 1 socket.
    ("riscv/util-linux-rv64-visionfive2-jh7110-lscpu-expected.txt", "Core", 4, 4, 1, 1, None),
    // big.LITTLE: physical_package_id per cluster (0,0,0,1,1,1,1,2), one socket, 8 cores. lscpu restarts
    // its logical core ids per CPU type, so the core is told by its private L1d.
    ("arm/util-linux-arm-A510-A710-A715-X3-lscpu-expected.txt", "L1d", 8, 8, 1, 1, None),
    // LPAR with offline CPUs 0,6,7: 17 online, one thread each; lscpu's logical table has 7 sockets.
    ("s390x/util-linux-s390-lpar-lscpu-expected.txt", "Core", 17, 17, 7, 1, Some("0,6-7")),
    // KVM guest: 3 CPUs, each its own core and socket (Book(s) 3 × 1 socket × 1 core).
    ("s390x/util-linux-s390-kvm-lscpu-expected.txt", "Core", 3, 3, 3, 1, None),
    // Sparse ids 6,7,10,11,14,15; Socket(s) 6.
    ("sparc/util-linux-sparc64-lscpu-expected.txt", "Core", 6, 6, 6, 1, None),
    // POWER9 SMT off: CPU(s) 128, every 4th on-line, Thread 1, Core/socket 16, Socket(s) 2.
    (
        "power/ohai-power9-powernv-smtoff-lscpu-p.txt",
        "Core",
        32,
        32,
        2,
        1,
        Some("1-3,5-7,9-11,13-15,17-19,21-23,25-27,29-31,33-35,37-39,41-43,45-47,49-51,53-55,57-59,61-63,65-67,69-71,73-75,77-79,81-83,85-87,89-91,93-95,97-99,101-103,105-107,109-111,113-115,117-119,121-123,125-127"),
    ),
    // z15 KVM guest (ohai): 4 CPUs, 1 core per socket, Drawer(s) 4.
    ("s390x/ohai-s390x-kvm-z15-lscpu-p.txt", "Core", 4, 4, 4, 1, None),
    // z/VM guest: 4 CPUs, Book(s) 4 of one one-core socket each.
    ("s390x/util-linux-s390-zvm-lscpu-expected.txt", "Core", 4, 4, 4, 1, None),
    // Nested KVM: 2 CPUs, Drawer(s) 2.
    ("s390x/util-linux-s390-nested-virt-lscpu-expected.txt", "Core", 2, 2, 2, 1, None),
    // LPAR with drawers: 8 CPUs, one thread each; lscpu's logical table has sockets 0,0,1,1,1,1,1,1.
    ("s390x/util-linux-s390-lpar-drawer-lscpu-expected.txt", "Core", 8, 8, 2, 1, None),
    // UltraSparc T1: 24 on-line, Off-line 24-31, Thread(s) per core 4, 1 core per socket, 6 sockets.
    ("sparc/util-linux-sparc64-UltraSparc-T1-lscpu-expected.txt", "Core", 24, 6, 6, 4, Some("24-31")),
    // KVM on 3C6000: 32 vCPUs, 32 sockets.
    ("loongarch/util-linux-loongarch-kvm_on_loongson_3c6000-lscpu-expected.txt", "Core", 32, 32, 32, 1, None),
    // 3A5000-HV: 4 cores, 1 socket.
    ("loongarch/util-linux-loongarch-loongson_3a5000_hv-lscpu-expected.txt", "Core", 4, 4, 1, 1, None),
];

#[test]
fn topology_from_sibling_lists_matches_lscpu() {
    for (file, core_col, online, cores, sockets, threads, offline) in TOPOLOGY_ORACLES {
        let mut text = read(file);
        if file.ends_with("lscpu-p.txt") {
            // ohai keeps the summary and the -p table in two files.
            let summary = read(&file.replace("-lscpu-p.txt", "-lscpu.txt"));
            text = format!("{summary}\n{text}");
        }
        let sysfs = sysfs_from_lscpu(&text, core_col);
        let topo = cpu::parse_cpu_topology(&sysfs).unwrap().unwrap();
        let got = (
            topo.logical_cpus,
            topo.physical_cores,
            topo.sockets,
            topo.layout.threads_per_core.unwrap(),
            topo.layout.offline_cpus.as_deref(),
        );
        assert_eq!(
            got,
            (*online, *cores, *sockets, *threads, *offline),
            "{file}"
        );
        let name = Path::new(file)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        insta::assert_yaml_snapshot!(format!("topology_{name}"), topo);
    }
}

/// The `drm` section as `script.sh` prints it (`grep -H ''` over each card's files) for a sysfs tree.
fn drm_section(sys_class_drm: &Path) -> String {
    let mut cards: Vec<PathBuf> = fs::read_dir(sys_class_drm)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cards.sort();
    let mut out = String::new();
    for file in [
        "vendor",
        "device",
        "uevent",
        "mem_info_vram_total",
        "product_name",
    ] {
        for card in &cards {
            let name = card.file_name().unwrap().to_string_lossy();
            let Ok(text) = fs::read_to_string(card.join("device").join(file)) else {
                continue;
            };
            for line in text.lines() {
                out.push_str(&format!("/sys/class/drm/{name}/device/{file}:{line}\n"));
            }
        }
    }
    out
}

#[test]
fn drm_amdgpu_and_i915_cards() {
    // prometheus/procfs's sysfs fixture: card0 an AMD Vega 10 (amdgpu), card1 an Intel Kaby Lake-R
    // (i915) whose directory has only `uevent` (ids from PCI_ID).
    let tree = odd().join("gpu/procfs-class-ttar-unpacked/sys/class/drm");
    let gpus = hwinv::probe::linux::drm::parse_drm(&drm_section(&tree)).unwrap();
    let got: Vec<_> = gpus
        .iter()
        .map(|g| {
            (
                g.index,
                g.name.as_str(),
                g.vendor.as_str(),
                g.vram_bytes,
                g.driver.as_deref(),
                g.pci_bus_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                0,
                "AMD GPU 1002:687f",
                "amd",
                Some(8_573_157_376),
                Some("amdgpu"),
                Some("0000:09:00.0")
            ),
            (
                1,
                "Intel GPU 8086:5917",
                "intel",
                None,
                Some("i915"),
                Some("0000:00:02.0")
            ),
        ]
    );
    insta::assert_yaml_snapshot!(gpus);
}

#[test]
fn drm_section_captures() {
    // Real `drm` sections captured with `hwinv capture` (see tests/fixtures/sections/README.md).
    insta::glob!("../fixtures/sections/drm", "*.out", |p| {
        let text = fs::read_to_string(p).unwrap();
        insta::assert_yaml_snapshot!(hwinv::probe::linux::drm::parse_drm(&text).unwrap());
    });
}

#[test]
fn cpu_topology_section_captures() {
    insta::glob!("../fixtures/sections/cpu_topology", "*.out", |p| {
        let text = fs::read_to_string(p).unwrap();
        insta::assert_yaml_snapshot!(cpu::parse_cpu_topology(&text).unwrap());
    });
}

#[test]
fn odd_host_captures() {
    let ctx = hwinv::probe::Context {
        collected_at: "2026-01-01T00:00:00Z".to_string(),
        source: hwinv::model::Source {
            transport: "replay".to_string(),
            target: None,
            ..Default::default()
        },
        generator: "hwinv test".to_string(),
    };
    let mut dirs: Vec<PathBuf> = fs::read_dir(odd().join("hosts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 3, "{dirs:?}");
    for dir in dirs {
        let host = dir.file_name().unwrap().to_string_lossy().to_string();
        let sections = hwinv::store::capture::read_capture(&dir).unwrap();
        let snap = hwinv::probe::collect(&sections, &ctx).unwrap_or_else(|e| panic!("{host}: {e}"));
        insta::assert_yaml_snapshot!(format!("odd_host_{host}"), snap);
    }
}
