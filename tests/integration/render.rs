//! hardware.nix for every fixture host: reviewed insta snapshots, and the real nix-instantiate must
//! evaluate each one strictly.

use crate::extract::nix_eval_json;
use hwinv::config::tiers::{Tiers, DEFAULT_TIERS};
use hwinv::model::Source;
use hwinv::probe::{collect, Context};
use hwinv::store::capture::read_capture;

#[test]
fn hardware_nix_for_every_fixture_host() {
    let tiers = Tiers::parse(DEFAULT_TIERS).unwrap();
    let empty_root = tempfile::tempdir().unwrap();
    insta::glob!("../fixtures/hosts", "*", |dir: &std::path::Path| {
        if !dir.join("uname.status").exists() {
            return;
        }
        let sections = read_capture(dir).unwrap();
        let ctx = Context {
            collected_at: "2026-01-01T00:00:00Z".into(),
            source: Source {
                transport: "replay".into(),
                target: None,
                ..Default::default()
            },
            generator: "hwinv test".into(),
        };
        let snap = collect(&sections, &ctx).unwrap();
        let class = tiers.classify(&snap);
        let nix = hwinv::render::hardware_nix(empty_root.path(), &snap, &class).unwrap();
        insta::assert_snapshot!(nix);
        let file = empty_root.path().join("hardware.nix");
        std::fs::write(&file, &nix).unwrap();
        let facts = nix_eval_json(&file);
        assert_eq!(facts["hardware"]["cpu"]["cores"], snap.hardware.cpu_cores);
        assert_eq!(
            facts["system"]["hostname"],
            snap.system_info.hostname.as_str()
        );
    });
}
