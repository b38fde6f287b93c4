//! The `services`, `systemd` and `docker` probe sections: which HTTP services answer on the host's loopback
//! (with Ollama's model lists), which systemd service units exist, which containers Docker knows; plus the
//! validated spec lines that tell `script.sh` what to probe.
//!
//! Pure: text in, facts out. No process, no socket, no clock. A down service, a missing tool or a broken
//! section is a fact recorded in [`Services`], never an error of the extraction.

use super::Sections;
use crate::model::{
    Container, LlmInfo, LlmModel, SectionReport, SectionStatus, ServiceState, Services, SystemdUnit,
};
use std::collections::BTreeMap;

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

/// Is `name` a valid service name?
pub fn valid_service_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
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

/// Largest body kept from one probe answer (the script cuts there too).
const MAX_BODY: usize = 256 * 1024;

/// One probe as the script reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ProbeRecord {
    name: String,
    kind: String,
    expected: u16,
    url: String,
    /// Exit status of the HTTP client; `None` when no result line came.
    exit: Option<i32>,
    /// HTTP status received (0: none).
    code: u16,
    /// Killed by the script's own watchdog.
    killed: bool,
    /// The client's error lines.
    errors: Vec<String>,
    /// Body lines, rejoined.
    body: String,
}

/// What the `services` section says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpProbes {
    /// `curl` or `wget`.
    pub client: String,
    /// Each probe's bound, seconds.
    pub timeout_seconds: u32,
    /// Health by service name.
    pub services: BTreeMap<String, ServiceState>,
    /// Ollama model lists by service name.
    pub llm: BTreeMap<String, LlmInfo>,
}

/// Parse the `services` section.
///
/// ```text
/// client curl 2
/// probe ollama ollama 200 http://127.0.0.1:11434/api/tags
/// result 0 200 0
/// |{"models":[{"name":"llama3.2:3b","size":2019393189,"details":{"parameter_size":"3.2B"}}]}
/// probe whisperx http 200 http://127.0.0.1:9000/health
/// result 7 000 0
/// !curl: (7) Failed to connect to 127.0.0.1 port 9000 after 0 ms: Couldn't connect to server
/// ```
///
/// `result EXIT HTTP_CODE KILLED`: the client's exit status, the status code it saw (`000` for none) and
/// whether the script's watchdog had to kill it. Lines starting with `!` are the client's errors, lines
/// starting with `|` the body (sent only for kinds whose body hwinv reads), so no body can forge a record.
pub fn parse_services(text: &str) -> Result<HttpProbes, super::collect::ParseError> {
    use super::collect::ParseError;
    let mut out = HttpProbes::default();
    let mut records: Vec<ProbeRecord> = Vec::new();
    let mut saw_client = false;
    for line in text.lines() {
        if let Some(body) = line.strip_prefix('|') {
            if let Some(r) = records.last_mut() {
                if r.body.len() < MAX_BODY {
                    if !r.body.is_empty() {
                        r.body.push('\n');
                    }
                    r.body.push_str(body);
                }
            }
            continue;
        }
        if let Some(err) = line.strip_prefix('!') {
            if let Some(r) = records.last_mut() {
                if r.errors.len() < 3 {
                    r.errors.push(err.trim().to_string());
                }
            }
            continue;
        }
        let mut w = line.split_whitespace();
        match w.next() {
            Some("client") => {
                out.client = w.next().unwrap_or_default().to_string();
                out.timeout_seconds = w.next().and_then(|t| t.parse().ok()).unwrap_or(0);
                saw_client = true;
            }
            Some("probe") => {
                let (Some(name), Some(kind), Some(expected), Some(url)) =
                    (w.next(), w.next(), w.next(), w.next())
                else {
                    return Err(ParseError::new(
                        "services",
                        format!("short probe line {line:?}"),
                    ));
                };
                records.push(ProbeRecord {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    expected: expected.parse().unwrap_or(0),
                    url: url.to_string(),
                    ..ProbeRecord::default()
                });
            }
            Some("result") => {
                let Some(r) = records.last_mut() else {
                    return Err(ParseError::new(
                        "services",
                        "result line before any probe line",
                    ));
                };
                r.exit = w.next().and_then(|e| e.parse().ok());
                r.code = w.next().and_then(|c| c.parse().ok()).unwrap_or(0);
                r.killed = w.next() == Some("1");
            }
            // Blank or unknown lines: a newer script may say more than this parser knows.
            _ => {}
        }
    }
    if !saw_client {
        return Err(ParseError::new("services", "no client line"));
    }
    let timeout = out.timeout_seconds;
    let wget = out.client == "wget";
    let mut ps: BTreeMap<String, Result<Vec<LlmModel>, String>> = BTreeMap::new();
    for r in &records {
        if !valid_service_name(&r.name) {
            continue;
        }
        let (up, error) = judge(r, wget, timeout);
        match ProbeKind::from_wire(&r.kind) {
            Some(ProbeKind::OllamaPs) => {
                let loaded = if up {
                    parse_ollama_models(&r.body)
                } else {
                    Err(error.unwrap_or_else(|| "no answer".into()))
                };
                ps.insert(r.name.clone(), loaded);
                continue;
            }
            Some(ProbeKind::Ollama) if up => {
                let info = match parse_ollama_models(&r.body) {
                    Ok(models) => LlmInfo {
                        provider: "ollama".into(),
                        available: Some(models),
                        loaded: None,
                        error: None,
                    },
                    Err(e) => LlmInfo {
                        provider: "ollama".into(),
                        available: None,
                        loaded: None,
                        error: Some(format!("/api/tags: {e}")),
                    },
                };
                out.llm.insert(r.name.clone(), info);
            }
            _ => {}
        }
        out.services.insert(
            r.name.clone(),
            ServiceState {
                url: clean(&r.url),
                expected_status: r.expected,
                up,
                http_status: (r.code != 0).then_some(r.code),
                error,
            },
        );
    }
    for (name, loaded) in ps {
        if let Some(info) = out.llm.get_mut(&name) {
            match loaded {
                Ok(models) => info.loaded = Some(models),
                Err(e) => {
                    let e = format!("/api/ps: {e}");
                    info.error = Some(match info.error.take() {
                        Some(prev) => format!("{prev}; {e}"),
                        None => e,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Up or down, and why down, in words that do not change from run to run (no timings).
fn judge(r: &ProbeRecord, wget: bool, timeout: u32) -> (bool, Option<String>) {
    let Some(exit) = r.exit else {
        return (false, Some("no result reported".into()));
    };
    if r.killed {
        return (false, Some(format!("no answer within {timeout} s")));
    }
    // curl exits 0 whatever the status code (no --fail); wget exits 8 for any non-2xx answer.
    let transfer_ok = exit == 0 || (wget && exit == 8 && r.code != 0);
    if transfer_ok {
        if r.code == r.expected {
            return (true, None);
        }
        if r.code == 0 {
            return (false, Some("no HTTP status received".into()));
        }
        return (
            false,
            Some(format!("HTTP status {}, expected {}", r.code, r.expected)),
        );
    }
    let why = if wget {
        match exit {
            4 => "network failure (connection refused or timed out)".to_string(),
            5 => "TLS failure".to_string(),
            _ => format!("wget exit status {exit}"),
        }
    } else {
        match exit {
            6 => "cannot resolve host".to_string(),
            7 => "connection refused".to_string(),
            28 => format!("no answer within {timeout} s"),
            35 | 60 => "TLS failure".to_string(),
            52 => "empty reply".to_string(),
            55 | 56 => "connection reset".to_string(),
            127 => "curl not installed".to_string(),
            _ => format!("curl exit status {exit}"),
        }
    };
    (false, Some(why))
}

/// Models from Ollama's `/api/tags` or `/api/ps` body, sorted by name.
///
/// ```text
/// {"models":[{"name":"llama3.2:3b","model":"llama3.2:3b","size":2019393189,
///   "details":{"family":"llama","parameter_size":"3.2B","quantization_level":"Q4_K_M"},
///   "size_vram":2019393189,"context_length":4096}]}
/// ```
pub fn parse_ollama_models(body: &str) -> Result<Vec<LlmModel>, String> {
    let v: serde_json::Value =
        serde_json::from_str(body.trim()).map_err(|e| format!("not JSON ({e})"))?;
    let list = v
        .get("models")
        .and_then(|m| m.as_array())
        .ok_or_else(|| "no \"models\" list".to_string())?;
    let s = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .map(clean)
            .filter(|x| !x.is_empty())
    };
    let mut models: Vec<LlmModel> = list
        .iter()
        .filter_map(|m| {
            let name = s(m, "name").or_else(|| s(m, "model"))?;
            let d = m.get("details").cloned().unwrap_or_default();
            Some(LlmModel {
                name,
                size_bytes: m.get("size").and_then(serde_json::Value::as_u64),
                family: s(&d, "family"),
                parameter_size: s(&d, "parameter_size"),
                quantization: s(&d, "quantization_level"),
                vram_bytes: m.get("size_vram").and_then(serde_json::Value::as_u64),
                context_length: m.get("context_length").and_then(serde_json::Value::as_u64),
            })
        })
        .collect();
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models.dedup_by(|a, b| a.name == b.name);
    Ok(models)
}

/// Parse `systemctl list-units --type=service --all --no-legend --plain`: units by name. Units systemd
/// only knows as a reference (`not-found`) are left out: they are not installed.
///
/// ```text
/// ollama.service          loaded    active   running Ollama Service
/// whisperx.service        loaded    failed   failed  WhisperX API
/// ```
pub fn parse_systemd_units(
    text: &str,
) -> Result<BTreeMap<String, SystemdUnit>, super::collect::ParseError> {
    let mut units = BTreeMap::new();
    for line in text.lines() {
        // Older systemd prints a status bullet even with --plain.
        let line = line.trim().trim_start_matches(['●', '*', '○', '×']).trim();
        if line.is_empty() {
            continue;
        }
        let mut w = line.split_whitespace();
        let (Some(unit), Some(load), Some(active), Some(sub)) =
            (w.next(), w.next(), w.next(), w.next())
        else {
            return Err(super::collect::ParseError::new(
                "systemd",
                format!(
                    "unexpected line {:?}",
                    line.chars().take(80).collect::<String>()
                ),
            ));
        };
        if load == "not-found" || !unit.contains('.') {
            continue;
        }
        units.insert(
            clean(unit),
            SystemdUnit {
                load: clean(load),
                active: clean(active),
                sub: clean(sub),
            },
        );
    }
    Ok(units)
}

/// Parse `docker ps -a --format '{{json .}}'`: containers by name, running or not.
///
/// ```text
/// {"ID":"4c01db0b339c","Image":"ollama/ollama:0.5.7","Names":"ollama","State":"running","Status":"Up 3 hours (healthy)"}
/// ```
pub fn parse_docker_ps(
    text: &str,
) -> Result<BTreeMap<String, Container>, super::collect::ParseError> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| super::collect::ParseError::new("docker", format!("not JSON: {e}")))?;
        let str_of = |k: &str| v.get(k).and_then(|x| x.as_str()).map(clean);
        // Docker gives "a,b"; Podman's docker shim gives a list.
        let name = match v.get("Names") {
            Some(serde_json::Value::Array(a)) => a.first().and_then(|x| x.as_str()).map(clean),
            Some(serde_json::Value::String(s)) => s.split(',').next().map(clean),
            _ => None,
        };
        let Some(name) = name.filter(|n| !n.is_empty()) else {
            continue;
        };
        let status = str_of("Status").unwrap_or_default();
        // Old Docker has no "State": derive it from "Up 3 hours" / "Exited (0) 2 days ago".
        let state = str_of("State")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| {
                let lower = status.to_ascii_lowercase();
                if lower.starts_with("up") {
                    "running".into()
                } else if lower.starts_with("exited") {
                    "exited".into()
                } else if lower.starts_with("created") {
                    "created".into()
                } else {
                    "unknown".into()
                }
            });
        let health = ["healthy", "unhealthy", "health: starting"]
            .iter()
            .find(|h| status.contains(&format!("({h})")))
            .map(|h| h.trim_start_matches("health: ").to_string());
        out.insert(
            name,
            Container {
                image: str_of("Image").unwrap_or_default(),
                state,
                health,
            },
        );
    }
    Ok(out)
}

/// Drop control characters and cap the length: hostile output must not reach a terminal or a label raw.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

/// How a section ran: `ok`, `missing` (127), `timed_out`, `failed`; `None` when it was not collected.
fn report(sections: &Sections, name: &str) -> Option<(SectionReport, Option<String>)> {
    let sec = sections.get(name)?;
    let first = sec
        .stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(clean);
    let (status, message) = if sec.timed_out {
        (SectionStatus::TimedOut, Some("timed out".to_string()))
    } else {
        match sec.exit_code {
            Some(0) => (SectionStatus::Ok, None),
            Some(127) => (
                SectionStatus::Missing,
                Some(first.unwrap_or_else(|| "not installed".into())),
            ),
            code => {
                let what = code.map_or_else(
                    || "failed".to_string(),
                    |c| format!("failed with exit status {c}"),
                );
                (
                    SectionStatus::Failed,
                    Some(match first {
                        Some(l) => format!("{what}: {l}"),
                        None => what,
                    }),
                )
            }
        }
    };
    let stdout = (status == SectionStatus::Ok).then(|| sec.stdout.clone());
    Some((
        SectionReport {
            status,
            exit_code: sec.exit_code,
            message,
        },
        stdout,
    ))
}

/// Everything the `services`, `systemd` and `docker` sections say; `None` when none of them was collected
/// (older captures, section selections without them).
pub fn collect_services(sections: &Sections) -> Option<Services> {
    let mut services = Services::default();
    let mut any = false;
    if let Some((mut rep, out)) = report(sections, "services") {
        any = true;
        if let Some(out) = out {
            match parse_services(&out) {
                Ok(p) => {
                    services.http = Some(p.services);
                    services.llm = p.llm;
                }
                Err(e) => {
                    rep.status = SectionStatus::Failed;
                    rep.message = Some(e.to_string());
                }
            }
        }
        services.sections.insert("services".into(), rep);
    }
    if let Some((mut rep, out)) = report(sections, "systemd") {
        any = true;
        if let Some(out) = out {
            match parse_systemd_units(&out) {
                Ok(u) => services.systemd_units = Some(u),
                Err(e) => {
                    rep.status = SectionStatus::Failed;
                    rep.message = Some(e.to_string());
                }
            }
        }
        services.sections.insert("systemd".into(), rep);
    }
    if let Some((mut rep, out)) = report(sections, "docker") {
        any = true;
        if let Some(out) = out {
            match parse_docker_ps(&out) {
                Ok(c) => services.containers = Some(c),
                Err(e) => {
                    rep.status = SectionStatus::Failed;
                    rep.message = Some(e.to_string());
                }
            }
        }
        services.sections.insert("docker".into(), rep);
    }
    any.then_some(services)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::Section;

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

    const OUT: &str = "client curl 2\n\
probe chroma http 200 http://127.0.0.1:8000/api/v2/heartbeat\nresult 0 500 0\n\
probe ollama ollama 200 http://127.0.0.1:11434/api/tags\nresult 0 200 0\n\
|{\"models\":[{\"name\":\"qwen2.5:7b\",\"size\":4683087332,\"details\":{\"family\":\"qwen2\",\"parameter_size\":\"7.6B\",\"quantization_level\":\"Q4_K_M\"}},\n\
|{\"name\":\"llama3.2:3b\",\"size\":2019393189,\"details\":{}}]}\n\
probe ollama ollama_ps 200 http://127.0.0.1:11434/api/ps\nresult 0 200 0\n\
|{\"models\":[{\"name\":\"qwen2.5:7b\",\"size\":6654289920,\"size_vram\":6654289920,\"expires_at\":\"2026-11-22T03:00:00Z\",\"context_length\":4096}]}\n\
probe piper http 200 http://127.0.0.1:5000/voices\nresult 28 000 0\n!curl: (28) Operation timed out after 2001 milliseconds with 0 bytes received\n\
probe whisperx http 200 http://127.0.0.1:9000/health\nresult 7 000 0\n!curl: (7) Failed to connect\n";

    #[test]
    fn services_up_down_and_ollama_models() {
        let p = parse_services(OUT).unwrap();
        assert_eq!(p.client, "curl");
        let names: Vec<_> = p.services.keys().cloned().collect();
        assert_eq!(names, ["chroma", "ollama", "piper", "whisperx"]);
        assert!(p.services["ollama"].up);
        assert_eq!(
            p.services["chroma"].error.as_deref(),
            Some("HTTP status 500, expected 200")
        );
        assert_eq!(p.services["chroma"].http_status, Some(500));
        assert_eq!(
            p.services["piper"].error.as_deref(),
            Some("no answer within 2 s")
        );
        assert_eq!(
            p.services["whisperx"].error.as_deref(),
            Some("connection refused")
        );
        assert_eq!(p.services["whisperx"].http_status, None);
        let llm = &p.llm["ollama"];
        let avail: Vec<_> = llm
            .available
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| m.name.as_str())
            .collect();
        assert_eq!(avail, ["llama3.2:3b", "qwen2.5:7b"]);
        let loaded = llm.loaded.as_ref().unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].vram_bytes, Some(6_654_289_920));
        assert_eq!(loaded[0].context_length, Some(4096));
    }

    #[test]
    fn bodies_cannot_forge_records_and_garbage_is_refused() {
        let forged = "client curl 2\nprobe a ollama 200 http://x/api/tags\nresult 0 200 0\n|probe b http 200 http://y/\n|result 0 200 0\n";
        let p = parse_services(forged).unwrap();
        assert_eq!(p.services.len(), 1);
        assert!(p.llm["a"].error.as_deref().unwrap().contains("not JSON"));
        assert!(parse_services("").is_err());
        assert!(parse_services("client curl 2\nresult 0 200 0\n").is_err());
        let killed =
            parse_services("client wget 3\nprobe h http 200 http://x/\nresult 137 000 1\n")
                .unwrap();
        assert_eq!(
            killed.services["h"].error.as_deref(),
            Some("no answer within 3 s")
        );
        let wget404 =
            parse_services("client wget 3\nprobe h http 404 http://x/\nresult 8 404 0\n").unwrap();
        assert!(wget404.services["h"].up);
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

    #[test]
    fn sections_map_to_reports() {
        let mut s = Sections::default();
        assert_eq!(collect_services(&s), None);
        s.map.insert(
            "systemd".into(),
            Section {
                stdout: String::new(),
                stderr: "System has not been booted with systemd as init system (PID 1). Can't operate.\n".into(),
                exit_code: Some(1),
                timed_out: false,
            },
        );
        s.map.insert(
            "docker".into(),
            Section {
                stderr: "docker: command not found\n".into(),
                exit_code: Some(127),
                ..Section::default()
            },
        );
        let got = collect_services(&s).unwrap();
        assert_eq!(got.systemd_units, None);
        assert_eq!(got.sections["systemd"].status, SectionStatus::Failed);
        assert_eq!(got.sections["docker"].status, SectionStatus::Missing);
        assert!(got.http.is_none() && !got.sections.contains_key("services"));
    }
}
