//! The `virt` section (`systemd-detect-virt --vm` and `--container`, one `vm NAME` and one
//! `container NAME` line) and the CPU flags in `/proc/cpuinfo` that matter for virtualisation.

use crate::model::platform::{CpuFlags, Virtualisation};
use crate::probe::ParseError;

fn technology(value: &str) -> Result<Option<String>, ParseError> {
    let v = value.trim();
    if v.is_empty()
        || v.len() > 32
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ParseError::new(
            "virt",
            format!(
                "unexpected technology {:?}",
                v.chars().take(40).collect::<String>()
            ),
        ));
    }
    Ok((v != "none").then(|| v.to_string()))
}

/// Parse the `virt` section.
pub fn parse_virt(text: &str) -> Result<Virtualisation, ParseError> {
    let mut out = Virtualisation::default();
    let mut seen = false;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match line.split_once(' ') {
            Some(("vm", v)) => out.vm = technology(v)?,
            Some(("container", v)) => out.container = technology(v)?,
            _ => {
                return Err(ParseError::new(
                    "virt",
                    format!(
                        "unexpected line {:?}",
                        line.chars().take(80).collect::<String>()
                    ),
                ))
            }
        }
        seen = true;
    }
    if !seen {
        return Err(ParseError::new(
            "virt",
            "no answer from systemd-detect-virt",
        ));
    }
    Ok(out)
}

/// The virtualisation flags of the first processor that lists `flags` (x86; ARM's `Features` have none
/// of these).
pub fn cpu_flags(cpuinfo: &str) -> CpuFlags {
    let mut f = CpuFlags::default();
    if let Some(line) = cpuinfo
        .lines()
        .find(|l| l.split(':').next().is_some_and(|k| k.trim() == "flags"))
    {
        for flag in line
            .split_once(':')
            .map_or("", |(_, v)| v)
            .split_whitespace()
        {
            match flag {
                "vmx" => f.vmx = true,
                "svm" => f.svm = true,
                "hypervisor" => f.hypervisor = true,
                _ => {}
            }
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_virt_lines() {
        let v = parse_virt("vm kvm\ncontainer none\n").unwrap();
        assert_eq!((v.vm.as_deref(), v.container), (Some("kvm"), None));
        assert!(parse_virt("vm $(reboot)\n").is_err());
        assert!(parse_virt("").is_err());
    }

    #[test]
    fn flags_from_cpuinfo() {
        let f = cpu_flags("processor\t: 0\nflags\t\t: fpu vme vmx hypervisor\n");
        assert!(f.vmx && f.hypervisor && !f.svm);
        assert_eq!(cpu_flags("Features\t: fp asimd\n"), CpuFlags::default());
    }
}
