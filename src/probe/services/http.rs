//! The `services` section: which HTTP services answer on the host's loopback, with Ollama's model lists.

use super::{clean, ProbeKind};
use crate::model::names::valid_service_name;
use crate::model::{LlmInfo, LlmModel, ServiceState};
use std::collections::BTreeMap;

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
pub fn parse_services(text: &str) -> Result<HttpProbes, crate::probe::ParseError> {
    use crate::probe::ParseError;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
