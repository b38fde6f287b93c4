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
        ValueKind::Number => nix_number(v)?,
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

/// Nix's integers are signed 64-bit, and its parser reads the digits before applying a minus sign, so
/// the literal range is `-(2^63 - 1) ..= 2^63 - 1`.
pub const NIX_INT_MAX: i64 = i64::MAX;
/// What the error for an integer Nix cannot hold says (the renderer recognises it).
pub(crate) const OUT_OF_RANGE: &str = "outside Nix's signed 64-bit range";
/// The most negative integer a Nix literal can spell (see [`NIX_INT_MAX`]).
pub const NIX_INT_MIN: i64 = -i64::MAX;

/// A number as a Nix literal. Integers outside Nix's range and non-finite floats are refused (Nix would
/// reject the file with "invalid integer"); negative values are parenthesised so they stay one element in a
/// list (`[ (-5) ]`, since `[ -5 ]` does not parse); floats always carry a decimal point (`1.0`, not `1`,
/// which would turn a float into an integer).
fn nix_number(v: &Value) -> Result<String, Error> {
    let text = if v.is_integer() {
        match i64::try_from(v.clone()) {
            Ok(n) if n >= NIX_INT_MIN => n.to_string(),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("integer {v} is {OUT_OF_RANGE}"),
                ))
            }
        }
    } else {
        let f = f64::try_from(v.clone()).map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("number {v} cannot be written as Nix"),
            )
        })?;
        if !f.is_finite() {
            return Err(Error::new(ErrorKind::InvalidOperation, "non-finite number"));
        }
        // Display never uses an exponent, so the digits are exact; Nix float literals need a '.'.
        let mut s = format!("{f}");
        if !s.contains('.') {
            s.push_str(".0");
        }
        s
    };
    Ok(if text.starts_with('-') {
        format!("({text})")
    } else {
        text
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
///
/// nats-server allows only `\xXX`, `\t`, `\n`, `\r`, `\"` and `\\` as escapes and does not expand `$VAR`
/// inside quotes, so `$` stays as it is (`\$` makes the whole file invalid).
pub fn nats_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
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

    #[test]
    fn nix_integers_outside_the_signed_64_bit_range_are_refused() {
        let ok = |j: serde_json::Value| nix_value(&Value::from_serialize(j)).unwrap();
        let bad = |j: serde_json::Value| nix_value(&Value::from_serialize(j)).unwrap_err();
        assert_eq!(ok(serde_json::json!(i64::MAX)), "9223372036854775807");
        assert_eq!(ok(serde_json::json!(-i64::MAX)), "(-9223372036854775807)");
        assert_eq!(ok(serde_json::json!([1, -5, -0.5])), "[ 1 (-5) (-0.5) ]");
        assert_eq!(ok(serde_json::json!(2.0)), "2.0");
        assert_eq!(ok(serde_json::json!(1e300)).len(), 303);
        for v in [
            serde_json::json!(18_446_744_073_709_550_592_u64),
            serde_json::json!(u64::MAX),
            serde_json::json!(i64::MIN),
            serde_json::json!({"a": [1, 9_223_372_036_854_775_808_u64]}),
        ] {
            let e = bad(v);
            assert!(
                e.to_string().contains("outside Nix's signed 64-bit range"),
                "{e}"
            );
        }
    }

    #[test]
    fn nats_strings_keep_dollar_signs_literal() {
        assert_eq!(nats_string(r#"a$b${c}"d\e"#), r#""a$b${c}\"d\\e""#);
    }
}
