//! Rendering query results: aligned text tables, CSV (RFC 4180), JSON, and the Ansible dynamic-inventory
//! document. Values in, text out; the same rows always give the same bytes.

use serde_json::{Map, Value};

/// A value as table or CSV text: `null` is empty, lists are joined with `sep`, numbers print as written.
pub fn plain(v: &Value, sep: &str) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| plain(i, sep))
            .collect::<Vec<_>>()
            .join(sep),
        other => other.to_string(),
    }
}

/// Strip control characters so a hostile value cannot move the cursor or break a row.
fn clean(s: &str) -> String {
    crate::text::printable(s)
}

/// An aligned table: two spaces between columns, `right` columns right-aligned, no trailing blanks.
pub fn table(header: &[String], rows: &[Vec<String>], right: &[bool]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            let pad = w.saturating_sub(c.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                line.push_str(&" ".repeat(pad));
                line.push_str(c);
            } else {
                line.push_str(c);
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// One CSV field, quoted when it holds a comma, quote, or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// CSV with a header line, quoted as RFC 4180 says; lines end in LF (what Unix tools and every CSV reader
/// take), not RFC 4180's CRLF.
pub fn csv(header: &[String], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    for r in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let line: Vec<String> = r.iter().map(|c| csv_field(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A pretty JSON array of objects with `keys` in order.
pub fn json(keys: &[String], rows: &[Vec<Value>]) -> String {
    let arr: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut m = Map::new();
            for (k, v) in keys.iter().zip(r) {
                m.insert(k.clone(), v.clone());
            }
            Value::Object(m)
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Value::Array(arr)).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

/// One host of the Ansible inventory.
#[derive(Debug, Clone)]
pub struct AnsibleHost {
    /// Inventory host name.
    pub name: String,
    /// Group by OS family (`macos`, `linux`).
    pub os: Option<String>,
    /// Host variables, in order; `null` values are left out.
    pub vars: Vec<(String, Value)>,
}

/// An Ansible dynamic-inventory document (what `script --list` prints): `_meta.hostvars` carries every
/// host's variables, so Ansible never calls the script with `--host`.
pub fn ansible(hosts: &[AnsibleHost]) -> String {
    let mut hostvars = Map::new();
    let mut all = Vec::new();
    let mut groups: [(&str, Vec<Value>); 2] = [("linux", Vec::new()), ("macos", Vec::new())];
    for h in hosts {
        let mut vars = Map::new();
        for (k, v) in &h.vars {
            if !v.is_null() {
                vars.insert(k.clone(), v.clone());
            }
        }
        hostvars.insert(h.name.clone(), Value::Object(vars));
        all.push(Value::from(h.name.clone()));
        if let Some(g) = groups.iter_mut().find(|(g, _)| Some(*g) == h.os.as_deref()) {
            g.1.push(Value::from(h.name.clone()));
        }
    }
    let mut doc = Map::new();
    let mut meta = Map::new();
    meta.insert("hostvars".into(), Value::Object(hostvars));
    doc.insert("_meta".into(), Value::Object(meta));
    let group = |hosts: Vec<Value>| {
        let mut g = Map::new();
        g.insert("hosts".into(), Value::Array(hosts));
        Value::Object(g)
    };
    doc.insert("all".into(), group(all));
    for (name, members) in groups {
        doc.insert(name.into(), group(members));
    }
    let mut s = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn table_aligns_and_trims() {
        let t = table(
            &["HOST".into(), "RAM".into(), "NOTE".into()],
            &[
                vec!["a".into(), "8 GB".into(), String::new()],
                vec!["bbbb".into(), "128 GB".into(), "x\ty".into()],
            ],
            &[false, true, false],
        );
        assert_eq!(t, "HOST     RAM  NOTE\na       8 GB\nbbbb  128 GB  x y\n");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let c = csv(
            &["a".into(), "b".into()],
            &[vec!["x,y".into(), "say \"hi\"".into()]],
        );
        assert_eq!(c, "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n");
    }

    #[test]
    fn plain_text_of_values() {
        assert_eq!(plain(&json!(null), ";"), "");
        assert_eq!(plain(&json!([1, "a"]), ";"), "1;a");
        assert_eq!(plain(&json!(1.5), ";"), "1.5");
    }

    #[test]
    fn ansible_groups_by_os() {
        let doc: Value = serde_json::from_str(&ansible(&[
            AnsibleHost {
                name: "m".into(),
                os: Some("macos".into()),
                vars: vec![("a".into(), json!(1)), ("b".into(), Value::Null)],
            },
            AnsibleHost {
                name: "l".into(),
                os: Some("linux".into()),
                vars: vec![],
            },
        ]))
        .unwrap();
        assert_eq!(doc["all"]["hosts"], json!(["m", "l"]));
        assert_eq!(doc["macos"]["hosts"], json!(["m"]));
        assert_eq!(doc["linux"]["hosts"], json!(["l"]));
        assert_eq!(doc["_meta"]["hostvars"]["m"], json!({"a": 1}));
    }
}
