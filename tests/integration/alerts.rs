//! The shipped Prometheus alerting rules: `promtool check rules` accepts them, `promtool test rules` runs
//! their unit tests, and every hwinv series they name is one `export prometheus` writes.

use crate::util::{repo, require};
use std::process::Command;

#[test]
fn alert_rules_pass_promtool_check_and_unit_tests() {
    let tool = require("promtool");
    let dir = repo().join("deploy/prometheus");
    let out = Command::new(&tool)
        .args(["check", "rules", "hwinv-alerts.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("SUCCESS: 8 rules found"), "{text}");
    let out = Command::new(&tool)
        .args(["test", "rules", "hwinv-alerts.test.yml"])
        .current_dir(&dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let rules = std::fs::read_to_string(dir.join("hwinv-alerts.yml")).unwrap();
    for name in regex::Regex::new(r"hwinv_[a-z_]+")
        .unwrap()
        .find_iter(&rules)
    {
        let family = name.as_str().trim_start_matches("hwinv_");
        assert!(
            hwinv::render::prometheus::FAMILIES
                .iter()
                .any(|(n, _)| *n == family),
            "the rules name {} which export prometheus does not write",
            name.as_str()
        );
    }
}
