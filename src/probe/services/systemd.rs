//! The `systemd` section: which service units exist and their state.

use super::clean;
use crate::model::SystemdUnit;
use std::collections::BTreeMap;

/// Parse `systemctl list-units --type=service --all --no-legend --plain`: units by name. Units systemd
/// only knows as a reference (`not-found`) are left out: they are not installed.
///
/// ```text
/// ollama.service          loaded    active   running Ollama Service
/// whisperx.service        loaded    failed   failed  WhisperX API
/// ```
pub fn parse_systemd_units(
    text: &str,
) -> Result<BTreeMap<String, SystemdUnit>, crate::probe::ParseError> {
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
            return Err(crate::probe::ParseError::new(
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
