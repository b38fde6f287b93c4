//! macOS section parsers: `sysctl`, `sw_vers`, `system_profiler -json` and `ifconfig` text in, facts out.
//!
//! Pure functions only: no process, no file, no clock. `sysctl` is preferred over `system_profiler` for
//! what both know (it is fast and exact); `system_profiler` fills the gaps (model name, serial, disks, GPU).

pub mod disk;
pub mod gpu;
pub mod hardware;
pub mod net;
pub mod sw_vers;
pub mod sysctl;

use super::ParseError;
use serde_json::Value;

/// `system_profiler -json` output: the array under `key`.
pub(super) fn sp_items<'a>(
    root: &'a Value,
    key: &str,
    probe: &'static str,
) -> Result<&'a Vec<Value>, ParseError> {
    root.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| ParseError::new(probe, format!("no '{key}' array")))
}

pub(super) fn sp_json(text: &str, probe: &'static str) -> Result<Value, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::new(probe, format!("not JSON: {e}")))
}

pub(super) fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}
