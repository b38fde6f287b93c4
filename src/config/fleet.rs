//! Reading the host list of `extract --fleet FILE`. Pure: text or evaluated JSON in, entries out.
//!
//! Two formats:
//! - a text file, one host per line: `[user@]host [user] [port] [name=NAME] [user=USER] [port=PORT]`,
//!   `#` starts a comment, blank lines are skipped, a `-` keeps a positional default;
//! - `leaf-config.nix` (or the same shape as `.json`), as the flake reads it (`nix/discover.nix`):
//!   `{ sshUser ? null; primary ? null; secondaries ? [ ]; }`, each entry `{ hostname; ip ? ; sshUser ? ;
//!   port ? ; }`. `hostname` is the inventory name, so the host is stored under it (deploy nodes match
//!   inventory directories by it); SSH goes to `ip` when present, else to `hostname`; an entry's `sshUser`
//!   falls back to the top-level one. The Nix file is evaluated by the real `nix-instantiate` when it is
//!   installed; without it, [`parse_nix_data`] reads the plain-data subset of Nix (attribute sets, lists,
//!   strings, numbers, booleans, comments).

use crate::model::hostname;
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{Map, Value};
use std::path::Path;
use std::time::Duration;

/// One host to extract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where it came from (`hosts.txt:7`, `leaf-config.nix: secondaries[2]`), for messages.
    pub origin: String,
    /// SSH destination.
    pub host: String,
    /// SSH user, when given.
    pub user: Option<String>,
    /// SSH port, when given.
    pub port: Option<u16>,
    /// Store under this name instead of the name the host reports.
    pub name: Option<String>,
}

impl Entry {
    /// How the host is named in progress lines and the summary.
    pub(crate) fn label(&self) -> String {
        let mut s = self.name.clone().unwrap_or_else(|| self.host.clone());
        if self.name.is_some() || self.port.is_some() {
            let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
            if self.name.is_some() {
                s = format!("{s} ({}{port})", self.host);
            } else {
                s = format!("{s}{port}");
            }
        }
        s
    }
}

fn parse_port(v: &str, origin: &str) -> Result<u16, String> {
    match v.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(format!("{origin}: invalid port '{v}'")),
    }
}

fn check_user(u: &str, origin: &str) -> Result<String, String> {
    hostname::validate_user(u).map_err(|e| format!("{origin}: {e}"))?;
    Ok(u.to_string())
}

fn check_host(h: &str, origin: &str) -> Result<String, String> {
    hostname::validate_target(h).map_err(|e| format!("{origin}: {e}"))?;
    Ok(h.to_string())
}

/// Parse the text format. `file` names the file in messages.
pub(crate) fn parse_text(text: &str, file: &str) -> Result<Vec<Entry>, String> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let origin = format!("{file}:{}", i + 1);
        // `#` starts a comment at the start of a line or after blanks.
        let mut line = raw;
        if let Some(pos) = raw
            .char_indices()
            .find(|&(p, c)| c == '#' && (p == 0 || raw[..p].ends_with(char::is_whitespace)))
            .map(|(p, _)| p)
        {
            line = &raw[..pos];
        }
        let mut toks = line.split_whitespace();
        let Some(first) = toks.next() else { continue };
        let (mut user, host) = match first.rsplit_once('@') {
            Some((u, h)) => (Some(check_user(u, &origin)?), h),
            None => (None, first),
        };
        let mut e = Entry {
            origin: origin.clone(),
            host: check_host(host, &origin)?,
            user: None,
            port: None,
            name: None,
        };
        let mut positional = 0;
        for t in toks {
            if let Some((k, v)) = t.split_once('=') {
                match k {
                    "name" => {
                        hostname::validate(v).map_err(|err| format!("{origin}: {err}"))?;
                        e.name = Some(v.to_string());
                    }
                    "user" => user = Some(check_user(v, &origin)?),
                    "port" => e.port = Some(parse_port(v, &origin)?),
                    _ => {
                        return Err(format!(
                            "{origin}: unknown setting '{k}' (expected name=, user= or port=)"
                        ))
                    }
                }
                continue;
            }
            positional += 1;
            match positional {
                1 if t != "-" => {
                    if user.is_some() {
                        return Err(format!("{origin}: user given twice"));
                    }
                    user = Some(check_user(t, &origin)?);
                }
                2 if t != "-" => e.port = Some(parse_port(t, &origin)?),
                1 | 2 => {}
                _ => {
                    return Err(format!(
                        "{origin}: unexpected '{t}' (a line is: host [user] [port] [name=NAME])"
                    ))
                }
            }
        }
        e.user = user;
        out.push(e);
    }
    Ok(out)
}

/// Entries from an evaluated leaf-config (as JSON).
pub(crate) fn from_leaf_config(v: &Value, file: &str) -> Result<Vec<Entry>, String> {
    let Value::Object(top) = v else {
        return Err(format!(
            "{file}: expected an attribute set with primary and secondaries"
        ));
    };
    let default_user = match top.get("sshUser") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) => Some(check_user(u, &format!("{file}: sshUser"))?),
        Some(other) => return Err(format!("{file}: sshUser must be a string, not {other}")),
    };
    let mut out = Vec::new();
    if let Some(p) = top.get("primary") {
        if !p.is_null() {
            out.push(leaf_entry(
                p,
                &format!("{file}: primary"),
                default_user.as_deref(),
            )?);
        }
    }
    match top.get("secondaries") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let origin = format!("{file}: secondaries[{i}]");
                out.push(leaf_entry(item, &origin, default_user.as_deref())?);
            }
        }
        Some(_) => return Err(format!("{file}: secondaries must be a list")),
    }
    if !top.contains_key("primary") && !top.contains_key("secondaries") {
        return Err(format!("{file}: has neither primary nor secondaries"));
    }
    Ok(out)
}

fn leaf_entry(v: &Value, origin: &str, default_user: Option<&str>) -> Result<Entry, String> {
    let Value::Object(m) = v else {
        return Err(format!("{origin}: expected an attribute set"));
    };
    let text = |k: &str| -> Result<Option<String>, String> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("{origin}: {k} must be a string, not {other}")),
        }
    };
    let Some(hostname) = text("hostname")? else {
        return Err(format!(
            "{origin}: needs a hostname (the host's inventory name)"
        ));
    };
    hostname::validate(&hostname).map_err(|e| format!("{origin}: {e}"))?;
    let dest = text("ip")?.unwrap_or_else(|| hostname.clone());
    let user = match text("sshUser")?
        .or(text("user")?)
        .or(default_user.map(String::from))
    {
        Some(u) => Some(check_user(&u, origin)?),
        None => None,
    };
    let port = match m.get("port").or_else(|| m.get("sshPort")) {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(parse_port(&n.to_string(), origin)?),
        Some(Value::String(s)) => Some(parse_port(s, origin)?),
        Some(other) => return Err(format!("{origin}: port must be a number, not {other}")),
    };
    Ok(Entry {
        origin: origin.to_string(),
        host: check_host(&dest, origin)?,
        user,
        port,
        name: Some(hostname),
    })
}

/// Read the plain-data subset of Nix into JSON: attribute sets (`rec` too, with dotted names), lists,
/// strings without interpolation, integers, floats, `true`/`false`/`null`, `#` and `/* */` comments.
/// Anything else (functions, `let`, `import`, `${…}`) is an error that says nix-instantiate is needed.
pub(crate) fn parse_nix_data(src: &str) -> Result<Value, String> {
    let mut p = NixParser {
        s: src.as_bytes(),
        i: 0,
        src,
    };
    let v = p.value()?;
    p.ws()?;
    if p.i < p.s.len() {
        return Err(p.err("unexpected text after the value"));
    }
    Ok(v)
}

struct NixParser<'a> {
    s: &'a [u8],
    i: usize,
    src: &'a str,
}

impl NixParser<'_> {
    fn err(&self, msg: &str) -> String {
        let before = &self.src[..self.i.min(self.src.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {col}: {msg}")
    }

    fn unsupported(&self) -> String {
        self.err("not plain data (install nix so nix-instantiate can evaluate it)")
    }

    fn ws(&mut self) -> Result<(), String> {
        loop {
            match self.s.get(self.i) {
                Some(c) if c.is_ascii_whitespace() => self.i += 1,
                Some(b'#') => {
                    while self.s.get(self.i).is_some_and(|c| *c != b'\n') {
                        self.i += 1;
                    }
                }
                Some(b'/') if self.s.get(self.i + 1) == Some(&b'*') => {
                    let rest = &self.src[self.i + 2..];
                    let end = rest
                        .find("*/")
                        .ok_or_else(|| self.err("unterminated comment"))?;
                    self.i += 2 + end + 2;
                }
                _ => return Ok(()),
            }
        }
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'\''))
        {
            self.i += 1;
        }
        if self.i == start || self.s[start].is_ascii_digit() {
            self.i = start;
            return None;
        }
        Some(self.src[start..self.i].to_string())
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws()?;
        match self.s.get(self.i) {
            None => Err(self.err("expected a value")),
            Some(b'{') => self.attrs(),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws()?;
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Value::Array(items));
                    }
                    if self.i >= self.s.len() {
                        return Err(self.err("unterminated list"));
                    }
                    // List items are single values; a function call needs parentheses and nix.
                    items.push(self.value()?);
                }
            }
            Some(b'"') => self.string().map(Value::String),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E'))
                {
                    self.i += 1;
                }
                let t = &self.src[start..self.i];
                if let Ok(n) = t.parse::<i64>() {
                    return Ok(Value::from(n));
                }
                t.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| self.err(&format!("invalid number '{t}'")))
            }
            Some(_) => {
                let start = self.i;
                match self.ident().as_deref() {
                    Some("true") => Ok(Value::Bool(true)),
                    Some("false") => Ok(Value::Bool(false)),
                    Some("null") => Ok(Value::Null),
                    Some("rec") => {
                        self.ws()?;
                        if self.s.get(self.i) == Some(&b'{') {
                            self.attrs()
                        } else {
                            Err(self.unsupported())
                        }
                    }
                    _ => {
                        self.i = start;
                        Err(self.unsupported())
                    }
                }
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.i..];
            let Some(c) = rest.chars().next() else {
                return Err(self.err("unterminated string"));
            };
            match c {
                '"' => {
                    self.i += 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some(n) = rest[1..].chars().next() else {
                        return Err(self.err("unterminated string"));
                    };
                    out.push(match n {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                    self.i += 1 + n.len_utf8();
                }
                '$' if rest[1..].starts_with('{') => return Err(self.unsupported()),
                c => {
                    out.push(c);
                    self.i += c.len_utf8();
                }
            }
        }
    }

    fn attrs(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.ws()?;
            match self.s.get(self.i) {
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                None => return Err(self.err("unterminated attribute set")),
                _ => {}
            }
            let mut path = Vec::new();
            loop {
                self.ws()?;
                let key = if self.s.get(self.i) == Some(&b'"') {
                    self.string()?
                } else {
                    let start = self.i;
                    match self.ident() {
                        Some(k) if k == "inherit" => {
                            self.i = start;
                            return Err(self.unsupported());
                        }
                        Some(k) => k,
                        None => return Err(self.err("expected an attribute name")),
                    }
                };
                path.push(key);
                self.ws()?;
                if self.s.get(self.i) == Some(&b'.') {
                    self.i += 1;
                    continue;
                }
                break;
            }
            if self.s.get(self.i) != Some(&b'=') {
                return Err(self.err("expected '='"));
            }
            self.i += 1;
            let v = self.value()?;
            self.ws()?;
            if self.s.get(self.i) != Some(&b';') {
                return Err(
                    if self.i < self.s.len() && !matches!(self.s[self.i], b'}') {
                        self.unsupported()
                    } else {
                        self.err("expected ';'")
                    },
                );
            }
            self.i += 1;
            insert_path(&mut map, &path, v).map_err(|m| self.err(&m))?;
        }
    }
}

fn insert_path(map: &mut Map<String, Value>, path: &[String], v: Value) -> Result<(), String> {
    let (first, rest) = path.split_first().ok_or("empty attribute name")?;
    if rest.is_empty() {
        return match map.get_mut(first) {
            Some(Value::Object(old)) if v.is_object() => {
                if let Value::Object(new) = v {
                    for (k, x) in new {
                        insert_path(old, &[k], x)?;
                    }
                }
                Ok(())
            }
            Some(_) => Err(format!("attribute '{first}' defined twice")),
            None => {
                map.insert(first.clone(), v);
                Ok(())
            }
        };
    }
    let entry = map
        .entry(first.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    match entry {
        Value::Object(inner) => insert_path(inner, rest, v),
        _ => Err(format!("attribute '{first}' defined twice")),
    }
}

/// The hosts leaf-config.nix lists in `nixos = [ … ];`: machines that run NixOS or are about to, whatever
/// their snapshot says they run now.
pub fn nixos_hosts(path: &Path) -> Result<Vec<String>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("unable to read '{name}'"))?;
    let v = eval_nix(path, &name, &text).map_err(|e| anyhow!(e))?;
    let list = match v.get("nixos") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => bail!("{name}: nixos must be a list of host names"),
    };
    let mut out = Vec::new();
    for item in list {
        let Value::String(h) = item else {
            bail!("{name}: nixos must be a list of host names, not {item}");
        };
        hostname::validate(h).map_err(|e| anyhow!("{name}: nixos: {e}"))?;
        out.push(h.clone());
    }
    Ok(out)
}

/// Read the host list: `.nix` is evaluated, `.json` parsed, anything else read as lines.
pub fn load(path: &Path) -> Result<Vec<Entry>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("unable to read fleet file '{name}'"))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let entries = match ext {
        "nix" => from_leaf_config(&eval_nix(path, &name, &text)?, &name),
        "json" => {
            let v: Value = serde_json::from_str(&text)
                .with_context(|| format!("'{name}' is not valid JSON"))?;
            from_leaf_config(&v, &name)
        }
        _ => parse_text(&text, &name),
    }
    .map_err(|e| anyhow!(e))?;
    let mut out: Vec<Entry> = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(prev) = out
            .iter()
            .find(|p| p.host == e.host && p.user == e.user && p.port == e.port && p.name == e.name)
        {
            eprintln!(
                "warning: {}: same host as {}, skipped",
                e.origin, prev.origin
            );
            continue;
        }
        if let Some(prev) = out.iter().find(|p| e.name.is_some() && p.name == e.name) {
            bail!(
                "{}: name '{}' is already used by {}",
                e.origin,
                e.name.as_deref().unwrap_or(""),
                prev.origin
            );
        }
        out.push(e);
    }
    if out.is_empty() {
        bail!("fleet file '{name}' lists no hosts");
    }
    Ok(out)
}

/// Evaluate a Nix host list with nix-instantiate, or read it as plain data when Nix is not installed.
fn eval_nix(path: &Path, name: &str, text: &str) -> Result<Value> {
    let plain = || parse_nix_data(text).map_err(|e| anyhow!("'{name}': {e}"));
    match crate::sys::nix::eval_json(path, Duration::from_secs(60)) {
        Ok(None) => plain(),
        Ok(Some(out)) if out.status == Some(0) => serde_json::from_slice(&out.stdout)
            .with_context(|| format!("nix-instantiate printed no JSON for '{name}'")),
        Ok(Some(out)) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("error:"))
                .or_else(|| stderr.lines().map(str::trim).rfind(|l| !l.is_empty()))
                .unwrap_or("no message")
                .to_string();
            // Nix may fail for reasons of its own (no writable store state); plain data still reads.
            match plain() {
                Ok(v) => {
                    eprintln!("warning: nix-instantiate could not evaluate '{name}' ({why}); read it as plain data");
                    Ok(v)
                }
                Err(_) => bail!("unable to evaluate '{name}' with nix-instantiate: {why}"),
            }
        }
        Err(e) => bail!("unable to evaluate '{name}': {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_lines() {
        let text = "# fleet\n\n10.0.0.1\nadmin@mac-1  # the studio\n10.0.0.3 ops 2222\n127.0.0.1 - 2200 name=node-04\n127.0.0.1 port=22 user=x name=n5\n";
        let e = parse_text(text, "hosts.txt").unwrap();
        assert_eq!(e.len(), 5);
        assert_eq!(
            (e[0].host.as_str(), &e[0].user, e[0].port),
            ("10.0.0.1", &None, None)
        );
        assert_eq!(
            (e[1].host.as_str(), e[1].user.as_deref()),
            ("mac-1", Some("admin"))
        );
        assert_eq!((e[2].user.as_deref(), e[2].port), (Some("ops"), Some(2222)));
        assert_eq!(
            (&e[3].user, e[3].port, e[3].name.as_deref()),
            (&None, Some(2200), Some("node-04"))
        );
        assert_eq!(e[3].label(), "node-04 (127.0.0.1:2200)");
        assert_eq!(e[2].label(), "10.0.0.3:2222");
        assert_eq!((e[4].user.as_deref(), e[4].port), (Some("x"), Some(22)));
        assert_eq!(e[4].origin, "hosts.txt:7");
    }

    #[test]
    fn text_errors_name_the_line() {
        let err = |t: &str| parse_text(t, "h.txt").unwrap_err();
        assert_eq!(err("a\nb u notaport\n"), "h.txt:2: invalid port 'notaport'");
        assert!(err("-oProxyCommand=x\n").starts_with("h.txt:1: invalid"));
        assert!(err("a u 22 extra\n").contains("unexpected 'extra'"));
        assert!(err("a name=../../etc\n").contains("invalid host name"));
        assert!(err("a colour=red\n").contains("unknown setting 'colour'"));
        assert!(err("u@a v\n").contains("user given twice"));
    }

    #[test]
    fn leaf_config_shapes() {
        let v = json!({"sshUser": "admin",
                       "primary": {"hostname": "mac-1", "ip": "10.0.0.1"},
                       "secondaries": [{"hostname": "mac-2", "sshUser": "ops", "port": 2222}]});
        let e = from_leaf_config(&v, "leaf-config.nix").unwrap();
        assert_eq!(
            (
                e[0].host.as_str(),
                e[0].name.as_deref(),
                e[0].user.as_deref()
            ),
            ("10.0.0.1", Some("mac-1"), Some("admin"))
        );
        assert_eq!(
            (e[1].host.as_str(), e[1].user.as_deref(), e[1].port),
            ("mac-2", Some("ops"), Some(2222))
        );
        assert_eq!(e[0].label(), "mac-1 (10.0.0.1)");
        let err = |v: Value| from_leaf_config(&v, "f").unwrap_err();
        assert_eq!(
            err(json!({"primary": {"ip": "10.0.0.1"}})),
            "f: primary: needs a hostname (the host's inventory name)"
        );
        assert!(err(json!({"secondaries": [{"hostname": "../x"}]}))
            .starts_with("f: secondaries[0]: invalid host name"));
        assert_eq!(
            err(json!({"secondaries": {"a": {}}})),
            "f: secondaries must be a list"
        );
        assert!(err(json!({"x": 1})).contains("neither primary nor secondaries"));
        assert!(
            err(json!({"primary": {"hostname": "a", "port": "x"}})).contains("invalid port 'x'")
        );
    }

    /// The repository's example leaf-config.nix reads the same through nix-instantiate and without it.
    #[test]
    fn repository_leaf_config_reads_the_same_with_and_without_nix() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fleet/leaf-config.nix");
        let text =
            std::fs::read_to_string(&path).expect("the repository's example leaf-config.nix");
        let plain = parse_nix_data(&text).unwrap();
        let out = crate::sys::nix::eval_json(&path, std::time::Duration::from_secs(60))
            .unwrap()
            .expect("nix-instantiate is installed (scripts/setup.sh installs nix-bin)");
        assert_eq!(
            out.status,
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let evaluated: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(plain, evaluated);
        let e = from_leaf_config(&evaluated, "leaf-config.nix").unwrap();
        assert!(!e.is_empty());
        assert!(e.iter().all(|e| e.name.is_some()));
    }

    #[test]
    fn nix_plain_data() {
        let src = r#"
          # leaf config
          {
            primary = { hostname = "mac-1"; ip = "10.0.0.1"; sshUser = "admin"; /* inline */ };
            secondaries = [
              { hostname = "mac-2"; ip = "10.0.0.2"; sshUser = "admin"; port = 2222; }
              { hostname = "gpu-1"; ip = "10.0.0.3"; sshUser = "ops"; }
            ];
            nats.cluster.name = "leaf";
            enabled = true; ratio = 0.5; "quoted key" = "a \"b\" \n";
          }"#;
        let v = parse_nix_data(src).unwrap();
        assert_eq!(v["secondaries"][0]["port"], 2222);
        assert_eq!(v["nats"]["cluster"]["name"], "leaf");
        assert_eq!(v["quoted key"], "a \"b\" \n");
        assert_eq!(v["ratio"], 0.5);
        for (src, want) in [
            ("{ a = \"${x}\"; }", "line 1, column 8: not plain data"),
            ("let x = 1; in { }", "line 1, column 1: not plain data"),
            ("{ a = import ./x.nix; }", "not plain data"),
            ("{ inherit a; }", "not plain data"),
            ("{ a = 1 }", "expected ';'"),
            ("{ a = 1; a = 2; }", "attribute 'a' defined twice"),
            ("{ a = [ 1 2 ; }", "not plain data"),
        ] {
            let e = parse_nix_data(src).unwrap_err();
            assert!(e.contains(want), "{src}: {e}");
        }
    }
}
