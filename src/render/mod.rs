//! Rendering: one minijinja environment with the built-in templates and an override directory; the
//! escaping filters every generated file relies on ([`filters`]); the plan of what `generate` writes
//! ([`plan`]); the Prometheus exposition ([`prometheus`]).
//!
//! Templates are data: `<root>/templates/<name>` wins over the copy embedded in the binary, so users change
//! output without recompiling. Undefined variables are errors, so a typo cannot write an empty Nix value.

pub mod filters;
pub mod nixos_hardware;
pub mod plan;
pub mod prometheus;

pub use filters::{nats_string, nix_string, nix_value};

use crate::config::tiers::Classification;
use crate::model::{OsFamily, Snapshot};
use anyhow::{Context, Result};
use filters::{nats_str_filter, nix_filter, nix_str_filter};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Templates built into the binary: (name, source).
pub const BUILTIN: &[(&str, &str)] = &[(
    "hardware.nix.j2",
    include_str!("../../templates/hardware.nix.j2"),
)];

/// Additional built-in templates registered by other modules (generate, export).
pub type Builtins = &'static [(&'static str, &'static str)];

/// A rendering environment rooted at an inventory.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// Built-in templates, overridden by files in `<root>/templates/`.
    pub fn new(root: &Path, extra: &[Builtins]) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.add_filter("nix", nix_filter);
        env.add_filter("nix_str", nix_str_filter);
        env.add_filter("nats_str", nats_str_filter);
        let override_dir: PathBuf = root.join("templates");
        let builtins: Vec<(&'static str, &'static str)> = BUILTIN
            .iter()
            .chain(extra.iter().flat_map(|b| b.iter()))
            .copied()
            .collect();
        env.set_loader(move |name| {
            if !name.contains('/') && !name.contains("..") {
                match std::fs::read_to_string(override_dir.join(name)) {
                    Ok(text) => return Ok(Some(text)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::new(
                            ErrorKind::InvalidOperation,
                            "cannot read template override",
                        )
                        .with_source(e))
                    }
                }
            }
            Ok(builtins
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, src)| (*src).to_string()))
        });
        Self { env }
    }

    /// Render template `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: &impl serde::Serialize) -> Result<String> {
        let tmpl = self
            .env
            .get_template(name)
            .with_context(|| format!("unable to load template '{name}'"))?;
        tmpl.render(Value::from_serialize(ctx)).map_err(|e| {
            // A number Nix cannot hold is a fact of the host, not a template bug: say so on one line
            // instead of printing the template around it.
            match e.detail().filter(|d| d.contains(filters::OUT_OF_RANGE)) {
                Some(d) => anyhow::anyhow!(
                    "unable to render template '{name}': {d} (line {})",
                    e.line().unwrap_or_default()
                ),
                None => {
                    anyhow::Error::new(e).context(format!("unable to render template '{name}'"))
                }
            }
        })
    }
}

/// Render `hardware.nix` for a snapshot and its tiers.
pub fn hardware_nix(root: &Path, snapshot: &Snapshot, class: &Classification) -> Result<String> {
    #[derive(Serialize)]
    struct Ctx<'a> {
        s: &'a Snapshot,
        t: &'a Classification,
        platform: &'a str,
    }
    let platform = match snapshot.os.family {
        OsFamily::Macos => "darwin",
        OsFamily::Linux => "linux",
    };
    Renderer::new(root, &[]).render(
        "hardware.nix.j2",
        &Ctx {
            s: snapshot,
            t: class,
            platform,
        },
    )
}
