//! hardware-configuration.nix for real machines: the facts of a KVM guest (this dev VM, captured
//! whole), an NVIDIA workstation, an AMD GPU laptop, a Raspberry Pi, a BIOS server and an EFI laptop with
//! Intel graphics (transcribed from their owners' published reports, tests/fixtures/nixos-hw/), rendered
//! by `hwinv generate`. Where the same machine's nixos-generate-config output is known (oracle.json),
//! everything it set from the facts we have must be in ours.

use crate::util::{hwinv, repo, require, run};
use serde_json::{json, Value};
use std::fs;
use std::path::Path;
use std::process::Command;

const STAMP: &str = "20261201T000000Z";

/// The dev VM's snapshot, as `extract --replay` gives it.
fn base() -> Value {
    let scratch = tempfile::tempdir().unwrap();
    let dir = repo().join("tests/fixtures/hosts/linux-kvm-microvm");
    let (code, out, err) = run(hwinv(scratch.path())
        .args(["extract", "--json", "--replay"])
        .arg(&dir));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// The base snapshot with a machine's transcribed facts in place of the VM's.
fn machine(base: &Value, input: &Value, name: &str) -> Value {
    let mut s = base.clone();
    s["system_info"]["hostname"] = json!(name);
    s["system_info"]["architecture"] = input["system_info"]["architecture"].clone();
    s["system_info"]["nix_system"] = input["system_info"]["nix_system"].clone();
    s["hardware"]["cpu"]["vendor"] = input["cpu_vendor"].clone();
    s["firmware"] = input["firmware"].clone();
    s["disks"] = input["disks"].clone();
    s["platform"] = input["platform"].clone();
    s
}

fn put(root: &Path, name: &str, snap: &Value) {
    let dir = root.join("inventory").join(name);
    fs::create_dir_all(&dir).unwrap();
    let file = format!("hardware_{STAMP}.json");
    fs::write(dir.join(&file), serde_json::to_vec_pretty(snap).unwrap()).unwrap();
    std::os::unix::fs::symlink(&file, dir.join("latest.json")).unwrap();
}

/// Every machine: its name and, when present, the oracle.
fn machines() -> Vec<(String, Option<Value>, Value)> {
    let mut out = Vec::new();
    let dir = repo().join("tests/fixtures/nixos-hw");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| dir.join(n).join("input.json").exists())
        .collect();
    names.sort();
    for n in names {
        let input: Value =
            serde_json::from_slice(&fs::read(dir.join(&n).join("input.json")).unwrap()).unwrap();
        let oracle = fs::read(dir.join(&n).join("oracle.json"))
            .ok()
            .map(|b| serde_json::from_slice(&b).unwrap());
        out.push((n, oracle, input));
    }
    out
}

/// The value our file gives `option` (from metadata.json's reasons), with whitespace squeezed.
fn ours<'a>(meta: &'a Value, option: &str) -> Option<&'a str> {
    meta["hardware_configuration"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["option"] == option)
        .and_then(|c| c["value"].as_str())
}

/// Modules the qemu-guest profile brings (nixos/modules/profiles/qemu-guest.nix).
const QEMU_GUEST: &[&str] = &[
    "virtio_net",
    "virtio_pci",
    "virtio_mmio",
    "virtio_blk",
    "virtio_scsi",
    "9p",
    "9pnet_virtio",
    "virtio_balloon",
    "virtio_console",
    "virtio_rng",
    "virtio_gpu",
];

#[test]
fn hardware_configuration_for_real_machines() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let base = base();
    let all = machines();
    let mut names = vec!["kvm-microvm".to_string()];
    put(r, "kvm-microvm", &base);
    for (name, _, input) in &all {
        put(r, name, &machine(&base, input, name));
        names.push(name.clone());
    }
    let list: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    fs::write(
        r.join("leaf-config.nix"),
        format!("{{ nixos = [ {} ]; }}\n", list.join(" ")),
    )
    .unwrap();
    let (code, out, err) = run(hwinv(r).args(["generate", "--all"]));
    assert_eq!(code, 0, "{out}{err}");

    let nix = require("nix-instantiate");
    for name in &names {
        let dir = r.join("hosts").join(name);
        let text = fs::read_to_string(dir.join("hardware-configuration.nix")).unwrap();
        insta::assert_snapshot!(format!("hardware_configuration_{name}"), text);
        // Nix reads it.
        let st = Command::new(&nix)
            .arg("--parse")
            .arg(dir.join("hardware-configuration.nix"))
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&st.stderr)
        );
    }

    for (name, oracle, _) in &all {
        let Some(oracle) = oracle else { continue };
        let meta: Value = serde_json::from_slice(
            &fs::read(r.join("hosts").join(name).join("metadata.json")).unwrap(),
        )
        .unwrap();
        let skip: Vec<&str> = oracle["not_in_facts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let imports: Vec<&str> = meta["hardware_configuration"]["imports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["value"].as_str().unwrap())
            .collect();
        let qemu = imports
            .iter()
            .any(|i| i.contains("profiles/qemu-guest.nix"));
        for i in oracle["imports"].as_array().unwrap() {
            let i = i.as_str().unwrap();
            if i == "installer/scan/not-detected.nix" {
                // That profile sets only this.
                assert_eq!(
                    ours(&meta, "hardware.enableRedistributableFirmware"),
                    Some("lib.mkDefault true"),
                    "{name}"
                );
            } else {
                assert!(imports.iter().any(|x| x.contains(i)), "{name}: import {i}");
            }
        }
        for option in [
            "boot.initrd.availableKernelModules",
            "boot.initrd.kernelModules",
            "boot.kernelModules",
        ] {
            let have = ours(&meta, option).unwrap_or("[ ]");
            for m in oracle[option].as_array().unwrap() {
                let m = m.as_str().unwrap();
                if skip.contains(&m) || (qemu && QEMU_GUEST.contains(&m)) {
                    continue;
                }
                assert!(
                    have.contains(&format!("\"{m}\"")),
                    "{name}: {option} lacks {m}: {have}"
                );
            }
        }
        for (mp, fsys) in oracle["fileSystems"].as_object().unwrap() {
            let have = ours(&meta, &format!("fileSystems.{mp:?}"))
                .unwrap_or_else(|| panic!("{name}: no fileSystems.{mp:?}"));
            assert!(
                have.contains(&format!("device = {:?};", fsys["device"].as_str().unwrap())),
                "{name} {mp}: {have}"
            );
            assert!(
                have.contains(&format!("fsType = {:?};", fsys["fsType"].as_str().unwrap())),
                "{name} {mp}: {have}"
            );
            for o in fsys["options"].as_array().into_iter().flatten() {
                assert!(
                    have.contains(&format!("{:?}", o.as_str().unwrap())),
                    "{name} {mp}: {have}"
                );
            }
        }
        let swap = ours(&meta, "swapDevices").unwrap();
        for d in oracle["swapDevices"].as_array().unwrap() {
            assert!(
                swap.contains(&format!("{:?}", d.as_str().unwrap())),
                "{name}: {swap}"
            );
        }
    }
}

/// Mount points and labels with spaces, quotes, `${`, backslashes and newlines come out of Nix exactly as
/// the host gave them, and change nothing else.
#[test]
fn hostile_mounts_stay_inert() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let mut snap = base();
    let evil_mp = "/mnt/a \"b\" ${builtins.abort \"x\"} \\ end";
    let evil_label = "L\"; boot.isContainer = true; #\n${x}";
    let fs = &mut snap["platform"]["file_systems"];
    fs.as_array_mut().unwrap().push(json!({
        "mount_point": evil_mp, "source": "/dev/vdb1", "fs_type": "ext4", "root": "/",
        "major_minor": "254:17", "options": ["rw"], "super_options": ["rw"],
        "ids": {"uuid": null, "label": evil_label, "partuuid": null, "mapper": null}
    }));
    snap["system_info"]["hostname"] = json!("evil");
    put(r, "evil", &snap);
    fs::write(r.join("leaf-config.nix"), "{ nixos = [ \"evil\" ]; }\n").unwrap();
    let (code, out, err) = run(hwinv(r).args(["generate", "evil"]));
    assert_eq!(code, 0, "{out}{err}");
    let file = r.join("hosts/evil/hardware-configuration.nix");
    let expr = format!(
        "let m = import {} {{ config = {{ hardware.enableRedistributableFirmware = true; }}; lib = {{ mkDefault = x: x; }}; pkgs = {{ }}; modulesPath = \"/m\"; }}; in {{ fs = m.fileSystems; boot = builtins.attrNames m.boot; }}",
        file.display()
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
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["fs"][evil_mp]["device"],
        format!("/dev/disk/by-label/{evil_label}")
    );
    assert_eq!(v["boot"], json!(["loader"]), "{v}");
}
