//! Which services hwinv probes on each host: `templates/services.toml`, built in and overridable per
//! inventory.
//!
//! Owns loading and checking the list; turning it into probe specs the script can run safely is
//! [`crate::probe::services`]'s job, and reading the answers too. Nothing here touches a host.

use crate::model::Services;
use crate::probe::services::{valid_service_name, ProbeKind, ProbeSpec};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// The built-in list, as shipped in `templates/services.toml`.
pub const DEFAULT_SERVICES: &str = include_str!("../../templates/services.toml");

/// What a service is, as the user writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    /// Only the status code matters.
    #[default]
    Http,
    /// Ollama: `url` is its `/api/tags`; the installed and loaded models are read too.
    Ollama,
}

/// One `[[service]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    /// Name used by readiness profiles and Prometheus labels.
    pub name: String,
    /// URL fetched from the host itself.
    pub url: String,
    /// HTTP status that means "up".
    #[serde(default = "default_status")]
    pub expected_status: u16,
    /// What kind of service it is.
    #[serde(default)]
    pub kind: ServiceKind,
}

fn default_status() -> u16 {
    200
}

fn default_timeout() -> u32 {
    2
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServicesConfig {
    /// Bound of each probe, seconds (1-60).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u32,
    /// The services, in file order.
    #[serde(default)]
    pub service: Vec<ServiceDef>,
    /// The checked probes (two for an Ollama service: `/api/tags` and `/api/ps`).
    #[serde(skip)]
    probes: Vec<ProbeSpec>,
}

impl ServicesConfig {
    /// Parse and check a list from TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        let mut cfg: ServicesConfig = toml::from_str(text).context("invalid services list")?;
        if !(1..=60).contains(&cfg.timeout_seconds) {
            bail!("timeout_seconds must be 1-60, not {}", cfg.timeout_seconds);
        }
        let mut seen = BTreeSet::new();
        for s in &cfg.service {
            if !valid_service_name(&s.name) {
                bail!(
                    "invalid service name {:?}: use 1-40 of a-z, 0-9, '_' and '-'",
                    s.name
                );
            }
            if !seen.insert(s.name.clone()) {
                bail!("service '{}' is listed twice", s.name);
            }
            match s.kind {
                ServiceKind::Http => {
                    cfg.probes.push(ProbeSpec::new(
                        &s.name,
                        ProbeKind::Http,
                        s.expected_status,
                        &s.url,
                    )?);
                }
                ServiceKind::Ollama => {
                    let Some(base) = s.url.strip_suffix("/api/tags") else {
                        bail!(
                            "service '{}' is kind \"ollama\": its url must end in /api/tags, not {:?}",
                            s.name,
                            s.url
                        );
                    };
                    cfg.probes.push(ProbeSpec::new(
                        &s.name,
                        ProbeKind::Ollama,
                        s.expected_status,
                        &s.url,
                    )?);
                    cfg.probes.push(ProbeSpec::new(
                        &s.name,
                        ProbeKind::OllamaPs,
                        200,
                        &format!("{base}/api/ps"),
                    )?);
                }
            }
        }
        Ok(cfg)
    }

    /// `<root>/templates/services.toml` when it exists, else the built-in list.
    pub fn load(root: &Path) -> Result<Self> {
        super::load_or_builtin(root, "services.toml", DEFAULT_SERVICES, Self::parse)
    }

    /// The built-in list.
    pub fn builtin() -> Self {
        // The embedded file is checked by this module's tests, so parsing it cannot fail in a release.
        Self::parse(DEFAULT_SERVICES).expect("the built-in templates/services.toml is valid")
    }

    /// The checked probes, in file order.
    pub fn probes(&self) -> &[ProbeSpec] {
        &self.probes
    }

    /// Names of the configured services, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = self.service.iter().map(|s| s.name.clone()).collect();
        n.sort();
        n
    }

    /// The variable lines the probe script reads (see [`crate::probe::services::script_vars`]).
    pub fn script_vars(&self) -> String {
        crate::probe::services::script_vars(&self.probes, self.timeout_seconds)
    }
}

/// One line per probed service, for the human summary after an extraction:
/// `ollama up (loaded: mistral:latest)`, `whisperx down (connection refused)`, or why nothing was probed.
pub fn summary_lines(s: &Services) -> Vec<String> {
    let Some(http) = &s.http else {
        let why = s
            .sections
            .get("services")
            .and_then(|r| r.message.clone())
            .unwrap_or_else(|| "not run".into());
        return vec![format!("not probed ({why})")];
    };
    http.iter()
        .map(|(name, st)| {
            if !st.up {
                return format!(
                    "{name} down ({})",
                    st.error.as_deref().unwrap_or("unknown reason")
                );
            }
            let loaded = s
                .llm
                .get(name)
                .and_then(|l| l.loaded.as_ref())
                .map(|m| m.iter().map(|m| m.name.as_str()).collect::<Vec<_>>());
            match loaded {
                Some(m) if !m.is_empty() => format!("{name} up (loaded: {})", m.join(", ")),
                Some(_) => format!("{name} up (no model loaded)"),
                None => format!("{name} up"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_parses_and_expands_ollama() {
        let cfg = ServicesConfig::builtin();
        assert_eq!(cfg.names(), ["chroma", "ollama", "piper", "whisperx"]);
        let urls: Vec<_> = cfg
            .probes()
            .iter()
            .map(|p| (p.name(), p.kind().as_str(), p.url()))
            .collect();
        assert!(
            urls.contains(&("ollama", "ollama_ps", "http://127.0.0.1:11434/api/ps")),
            "{urls:?}"
        );
        assert_eq!(cfg.timeout_seconds, 2);
    }

    #[test]
    fn bad_entries_are_refused_with_the_reason() {
        let err = |t: &str| format!("{:#}", ServicesConfig::parse(t).unwrap_err());
        assert!(
            err("[[service]]\nname = \"x\"\nurl = \"http://x/'$(reboot)'\"\n")
                .contains("invalid url")
        );
        assert!(err("[[service]]\nname = \"X Y\"\nurl = \"http://x/\"\n")
            .contains("invalid service name"));
        assert!(
            err("[[service]]\nname = \"o\"\nkind = \"ollama\"\nurl = \"http://x/\"\n")
                .contains("/api/tags")
        );
        assert!(err("[[service]]\nname = \"a\"\nurl = \"http://x/\"\n[[service]]\nname = \"a\"\nurl = \"http://y/\"\n")
            .contains("twice"));
        assert!(err("timeout_seconds = 0\n").contains("1-60"));
        assert!(
            err("[[service]]\nname = \"a\"\nurl = \"http://x/\"\nexpect = 200\n")
                .contains("invalid")
        );
    }

    #[test]
    fn summary_names_the_loaded_model_and_why_a_service_is_down() {
        let text = "client curl 2\nprobe ollama ollama 200 http://x/api/tags\nresult 0 200 0\n|{\"models\":[]}\n\
                    probe ollama ollama_ps 200 http://x/api/ps\nresult 0 200 0\n|{\"models\":[{\"name\":\"qwen2.5:7b\"}]}\n\
                    probe piper http 200 http://x/\nresult 7 000 0\n";
        let p = crate::probe::services::http::parse_services(text).unwrap();
        let s = Services {
            http: Some(p.services),
            llm: p.llm,
            ..Services::default()
        };
        assert_eq!(
            summary_lines(&s),
            [
                "ollama up (loaded: qwen2.5:7b)",
                "piper down (connection refused)"
            ]
        );
        assert_eq!(
            summary_lines(&Services::default()),
            ["not probed (not run)"]
        );
    }
}
