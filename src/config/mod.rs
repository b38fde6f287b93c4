//! What users configure: hardware tiers, readiness profiles, service probes, telemetry settings and fleet
//! host lists. Each file under `<root>/templates/` overrides the copy built into the binary.

pub mod fleet;
pub mod readiness;
pub mod services;
pub mod telemetry;
pub mod tiers;

use anyhow::{Context, Result};
use std::path::Path;

/// `<root>/templates/<file>` parsed by `parse` when it exists, else the built-in text. A file that exists
/// but cannot be read or parsed is an error naming it: a typo must not silently fall back to defaults.
pub fn load_or_builtin<T>(
    root: &Path,
    file: &str,
    builtin: &str,
    parse: impl Fn(&str) -> Result<T>,
) -> Result<T> {
    let path = root.join("templates").join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text).with_context(|| format!("in '{}'", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => parse(builtin),
        Err(e) => Err(e).with_context(|| format!("unable to read '{}'", path.display())),
    }
}
