//! The `docker` section: which containers Docker (or Podman's shim) knows, running or not.

use super::clean;
use crate::model::Container;
use std::collections::BTreeMap;

/// Parse `docker ps -a --format '{{json .}}'`: containers by name, running or not.
///
/// ```text
/// {"ID":"4c01db0b339c","Image":"ollama/ollama:0.5.7","Names":"ollama","State":"running","Status":"Up 3 hours (healthy)"}
/// ```
pub fn parse_docker_ps(
    text: &str,
) -> Result<BTreeMap<String, Container>, crate::probe::ParseError> {
    let mut out = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| crate::probe::ParseError::new("docker", format!("not JSON: {e}")))?;
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
