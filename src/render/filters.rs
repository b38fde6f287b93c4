//! Escaping filters: every string written into Nix or a NATS config goes through one of these, so a
//! hostile value (`"`, `\`, `${`, newlines) stays inert.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

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
pub(crate) fn nix_ident(s: &str) -> bool {
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

pub(super) fn nix_filter(v: &Value) -> Result<String, Error> {
    nix_value(v)
}

pub(super) fn nix_str_filter(v: &Value) -> Result<String, Error> {
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

pub(super) fn nats_str_filter(v: &Value) -> Result<String, Error> {
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
