//! The `services`, `systemd` and `docker` probe sections: which HTTP services answer on the host's loopback
//! (with Ollama's model lists), which systemd service units exist, which containers Docker knows; plus the
//! validated spec lines that tell `script.sh` what to probe.
//!
//! Pure: text in, facts out. No process, no socket, no clock. A down service, a missing tool or a broken
//! section is a fact recorded in [`Services`], never an error of the extraction.

pub mod docker;
pub mod http;
pub mod systemd;

pub use crate::model::names::valid_service_name;
#[cfg(test)]
use docker::parse_docker_ps;
#[cfg(test)]
use systemd::parse_systemd_units;

/// What the script does with a probe's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProbeKind {
    /// A plain health check: only the status code matters; the body is not sent back.
    Http,
    /// Ollama's `/api/tags`: a health check whose body lists the installed models.
    Ollama,
    /// Ollama's `/api/ps` (models loaded now), attached to the Ollama service of the same name; not a
    /// service of its own.
    OllamaPs,
}

impl ProbeKind {
    /// The word used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ProbeKind::Http => "http",
            ProbeKind::Ollama => "ollama",
            ProbeKind::OllamaPs => "ollama_ps",
        }
    }

    fn from_wire(s: &str) -> Option<Self> {
        match s {
            "http" => Some(ProbeKind::Http),
            "ollama" => Some(ProbeKind::Ollama),
            "ollama_ps" => Some(ProbeKind::OllamaPs),
            _ => None,
        }
    }
}

/// One HTTP probe, validated so it can be written into the script without any way to inject shell code.
///
/// Fields are private: the only way to build one is [`ProbeSpec::new`], which enforces the character sets
/// [`script_vars`] relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSpec {
    name: String,
    kind: ProbeKind,
    expected_status: u16,
    url: String,
}

/// Why a service definition cannot be probed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Service names are `[a-z0-9][a-z0-9_-]*`, at most 40 characters (they become Prometheus label values
    /// and readiness references).
    #[error("invalid service name {0:?}: use 1-40 of a-z, 0-9, '_' and '-', starting with a letter or digit")]
    Name(String),
    /// The URL is not `http://` or `https://`, or holds a character outside the allowed set.
    #[error("invalid url {0:?} for service '{1}': it must start with http:// or https:// and use only letters, digits and -._~:/?#[]@&=+,%")]
    Url(String, String),
    /// The expected status is not an HTTP status code.
    #[error("invalid expected status {0} for service '{1}': use 100-599")]
    Status(u16, String),
}

/// Characters a probe URL may hold. Everything with a meaning to a shell inside single quotes (`'`) or
/// outside (`$`, backtick, `;`, `(`, `)`, `!`, `*`, `\`, `"`, `<`, `>`, `|`, `{`, `}`, space, control
/// characters) is refused, so quoting is belt and braces rather than the only defence.
fn url_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '-' | '.'
                | '_'
                | '~'
                | ':'
                | '/'
                | '?'
                | '#'
                | '['
                | ']'
                | '@'
                | '&'
                | '='
                | '+'
                | ','
                | '%'
        )
}

impl ProbeSpec {
    /// Validate and build a probe.
    pub fn new(
        name: &str,
        kind: ProbeKind,
        expected_status: u16,
        url: &str,
    ) -> Result<Self, SpecError> {
        if !valid_service_name(name) {
            return Err(SpecError::Name(name.to_string()));
        }
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("https://"));
        let host_ok = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
        if !host_ok || url.len() > 300 || !url.chars().all(url_char_ok) {
            return Err(SpecError::Url(url.to_string(), name.to_string()));
        }
        if !(100..=599).contains(&expected_status) {
            return Err(SpecError::Status(expected_status, name.to_string()));
        }
        Ok(Self {
            name: name.to_string(),
            kind,
            expected_status,
            url: url.to_string(),
        })
    }

    /// Service name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the answer is used for.
    pub fn kind(&self) -> ProbeKind {
        self.kind
    }

    /// HTTP status that means "up".
    pub fn expected_status(&self) -> u16 {
        self.expected_status
    }

    /// The URL probed.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// The variable lines prepended to the script: `HWINV_SERVICE_TIMEOUT=<seconds>` and
/// `HWINV_SERVICES='<one "NAME KIND EXPECTED URL" line per probe>'`.
///
/// Safe by construction: every field of a [`ProbeSpec`] was checked by [`ProbeSpec::new`] to hold no quote,
/// whitespace or shell metacharacter, so the single-quoted value cannot end early.
pub fn script_vars(specs: &[ProbeSpec], timeout_seconds: u32) -> String {
    let mut lines = String::new();
    for s in specs {
        lines.push_str(&format!(
            "{} {} {} {}\n",
            s.name,
            s.kind.as_str(),
            s.expected_status,
            s.url
        ));
    }
    debug_assert!(!lines.contains('\''));
    format!(
        "HWINV_SERVICE_TIMEOUT={}\nHWINV_SERVICES='{lines}'\n",
        timeout_seconds.clamp(1, 60)
    )
}

/// Drop control characters and cap the length: hostile output must not reach a terminal or a label raw.
fn clean(s: &str) -> String {
    crate::text::strip_control(s).chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_refuse_anything_a_shell_could_read() {
        let ok = ProbeSpec::new(
            "ollama",
            ProbeKind::Ollama,
            200,
            "http://127.0.0.1:11434/api/tags",
        )
        .unwrap();
        assert_eq!(ok.url(), "http://127.0.0.1:11434/api/tags");
        for url in [
            "http://127.0.0.1/'; rm -rf ~; '",
            "http://x/$(id)",
            "http://x/`id`",
            "http://x/a b",
            "http://x/a\nb",
            "file:///etc/passwd",
            "-o/tmp/x http://x",
            "http:///path",
            "http://x/{a,b}",
            "http://x/\\",
        ] {
            assert!(
                ProbeSpec::new("x", ProbeKind::Http, 200, url).is_err(),
                "{url:?} accepted"
            );
        }
        assert!(ProbeSpec::new("Bad Name", ProbeKind::Http, 200, "http://x/").is_err());
        assert!(ProbeSpec::new("-x", ProbeKind::Http, 200, "http://x/").is_err());
        assert!(ProbeSpec::new("x", ProbeKind::Http, 99, "http://x/").is_err());
        assert!(ProbeSpec::new("x", ProbeKind::Http, 204, "http://[::1]:8080/h?a=1&b=%20").is_ok());
    }

    #[test]
    fn script_vars_are_single_quoted_lines() {
        let specs = [
            ProbeSpec::new("a", ProbeKind::Http, 200, "http://127.0.0.1:1/h").unwrap(),
            ProbeSpec::new("b-2", ProbeKind::OllamaPs, 204, "https://localhost/api/ps").unwrap(),
        ];
        assert_eq!(
            script_vars(&specs, 2),
            "HWINV_SERVICE_TIMEOUT=2\nHWINV_SERVICES='a http 200 http://127.0.0.1:1/h\nb-2 ollama_ps 204 https://localhost/api/ps\n'\n"
        );
    }

    #[test]
    fn systemd_and_docker() {
        let units = parse_systemd_units(
            "ollama.service loaded active running Ollama Service\n● whisperx.service loaded failed failed WhisperX\nplymouth.service not-found inactive dead plymouth.service\n\n",
        )
        .unwrap();
        assert_eq!(
            units.keys().collect::<Vec<_>>(),
            ["ollama.service", "whisperx.service"]
        );
        assert_eq!(units["whisperx.service"].active, "failed");
        assert!(parse_systemd_units("garbage\n").is_err());
        let c = parse_docker_ps(
            "{\"Image\":\"ollama/ollama\",\"Names\":\"ollama\",\"State\":\"running\",\"Status\":\"Up 3 hours (healthy)\"}\n{\"Image\":\"chromadb/chroma\",\"Names\":\"chroma\",\"Status\":\"Exited (0) 2 days ago\"}\n",
        )
        .unwrap();
        assert_eq!(c["ollama"].health.as_deref(), Some("healthy"));
        assert_eq!(c["chroma"].state, "exited");
        assert!(parse_docker_ps("not json\n").is_err());
    }
}
