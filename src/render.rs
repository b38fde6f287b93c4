//! Rendering: one minijinja environment with the built-in templates, an override directory, and the
//! escaping filters every generated file relies on.
//!
//! Templates are data: `<root>/templates/<name>` wins over the copy embedded in the binary, so users change
//! output without recompiling. Undefined variables are errors, so a typo cannot write an empty Nix value.

use anyhow::{Context, Result};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};
use std::path::{Path, PathBuf};

/// Templates built into the binary: (name, source).
pub const BUILTIN: &[(&str, &str)] = &[(
    "hardware.nix.j2",
    include_str!("../templates/hardware.nix.j2"),
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
        tmpl.render(Value::from_serialize(ctx))
            .with_context(|| format!("unable to render template '{name}'"))
    }
}

/// Escape a string for a double-quoted Nix string literal, quotes included.
///
/// `"` and `\` are escaped, `${` becomes `\${` so nothing is interpolated, and newline, carriage return and
/// tab use their escapes. Other control characters are dropped: Nix has no escape for them.
pub fn nix_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Is `s` usable as a bare Nix attribute name?
fn nix_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''))
        && !matches!(
            s,
            "if" | "then" | "else" | "assert" | "with" | "let" | "in" | "rec" | "inherit" | "or"
        )
}

/// Any template value as a Nix expression: strings escaped, `none` as `null`, lists and maps recursively.
pub fn nix_value(v: &Value) -> Result<String, Error> {
    Ok(match v.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "undefined value passed to nix",
            ))
        }
        ValueKind::None => "null".into(),
        ValueKind::Bool => if v.is_true() { "true" } else { "false" }.into(),
        ValueKind::Number => {
            let s = v.to_string();
            // Nix has no NaN/inf literal; a non-finite float is a bug upstream, not something to write.
            if s.contains("inf") || s.contains("NaN") {
                return Err(Error::new(ErrorKind::InvalidOperation, "non-finite number"));
            }
            s
        }
        ValueKind::String => nix_string(v.as_str().unwrap_or_default()),
        ValueKind::Seq | ValueKind::Iterable => {
            let items: Result<Vec<_>, _> = v.try_iter()?.map(|i| nix_value(&i)).collect();
            format!("[ {} ]", items?.join(" "))
        }
        ValueKind::Map => {
            let mut parts = Vec::new();
            for key in v.try_iter()? {
                let val = v.get_item(&key)?;
                let k = key
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| key.to_string());
                let k = if nix_ident(&k) { k } else { nix_string(&k) };
                parts.push(format!("{k} = {};", nix_value(&val)?));
            }
            format!("{{ {} }}", parts.join(" "))
        }
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "value cannot be written as Nix",
            ))
        }
    })
}

fn nix_filter(v: &Value) -> Result<String, Error> {
    nix_value(v)
}

fn nix_str_filter(v: &Value) -> Result<String, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "undefined value passed to nix_str",
        ));
    }
    Ok(nix_string(
        &v.as_str().map_or_else(|| v.to_string(), str::to_string),
    ))
}

/// Escape a string for a double-quoted NATS configuration string.
pub fn nats_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' => out.push_str("\\$"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn nats_str_filter(v: &Value) -> Result<String, Error> {
    if v.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "undefined value passed to nats_str",
        ));
    }
    Ok(nats_string(
        &v.as_str().map_or_else(|| v.to_string(), str::to_string),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nix_strings_cannot_break_out() {
        assert_eq!(nix_string(r#"a"b\c${x}$y"#), r#""a\"b\\c\${x}$y""#);
        assert_eq!(nix_string("l1\nl2\t\u{0}é"), r#""l1\nl2\té""#);
    }

    #[test]
    fn nested_values_render_as_nix() {
        let v = Value::from_serialize(
            serde_json::json!({"a b": [1, "x", null, true], "ok": {"n": 2.5}}),
        );
        assert_eq!(
            nix_value(&v).unwrap(),
            r#"{ "a b" = [ 1 "x" null true ]; ok = { n = 2.5; }; }"#
        );
    }
}
