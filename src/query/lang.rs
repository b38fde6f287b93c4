//! The `--where` language: comparisons of fields with literals, joined by `and`/`or`/`not` and
//! parentheses. Expressions are type-checked against the field catalogue when parsed, so a misspelt
//! field or a number compared with text is an error before any host is read. Pure: no I/O.
//!
//! ```text
//! expr    := and ( ("or" | "||") and )*
//! and     := unary ( ("and" | "&&") unary )*
//! unary   := ("not" | "!") unary | "(" expr ")" | test
//! test    := FIELD [ OP VALUE ]          a FIELD alone must be a boolean
//! OP      := == = != < <= > >= ~ =~ !~
//! VALUE   := number | "text" | 'text' | bare-word | true | false | null
//! ```

use super::fields::{self, Field, Ty};
use regex::Regex;
use serde_json::Value;
use std::cmp::Ordering;
use std::fmt;

/// Why a query was refused: one line naming the query and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// The fields an evaluation needs, each once; expressions refer to them by position.
#[derive(Debug, Clone, Default)]
pub struct FieldSet {
    fields: Vec<Field>,
}

impl FieldSet {
    /// Add a field (once) and return its position.
    pub fn add(&mut self, f: Field) -> usize {
        if let Some(i) = self.fields.iter().position(|g| g.name == f.name) {
            return i;
        }
        self.fields.push(f);
        self.fields.len() - 1
    }

    /// The fields, by position.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==` or `=`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `~` or `=~`: regex (or substring), case-insensitive.
    Match,
    /// `!~`.
    NoMatch,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Match => "~",
            Op::NoMatch => "!~",
        }
    }

    fn ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A literal on the right of an operator, already of the field's type.
#[derive(Debug, Clone)]
pub enum Lit {
    /// A number.
    Num(f64),
    /// Text.
    Str(String),
    /// A boolean.
    Bool(bool),
    /// `null`: the value is absent.
    Null,
    /// A compiled `~` pattern.
    Pattern(Regex),
}

/// A parsed, type-checked filter.
#[derive(Debug, Clone)]
pub enum Expr {
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// Does not hold.
    Not(Box<Expr>),
    /// `field OP literal`.
    Test {
        /// Position in the [`FieldSet`].
        field: usize,
        /// Operator.
        op: Op,
        /// Right-hand side.
        lit: Lit,
    },
    /// A boolean field named alone.
    IsTrue(usize),
}

impl Expr {
    /// Evaluate with `values[i]` the value of field `i` of the [`FieldSet`] used when parsing.
    pub fn eval(&self, values: &[Value]) -> bool {
        match self {
            Expr::And(a, b) => a.eval(values) && b.eval(values),
            Expr::Or(a, b) => a.eval(values) || b.eval(values),
            Expr::Not(e) => !e.eval(values),
            Expr::IsTrue(i) => match values.get(*i) {
                Some(Value::Array(items)) => items.iter().any(|v| v.as_bool() == Some(true)),
                Some(v) => v.as_bool() == Some(true),
                None => false,
            },
            Expr::Test { field, op, lit } => {
                test(values.get(*field).unwrap_or(&Value::Null), *op, lit)
            }
        }
    }
}

fn test(v: &Value, op: Op, lit: &Lit) -> bool {
    if let Lit::Null = lit {
        let absent = v.is_null() || v.as_array().is_some_and(Vec::is_empty);
        return if op == Op::Eq { absent } else { !absent };
    }
    // `!=` and `!~` are the negations of `==` and `~`, so on a list they mean "no item".
    match op {
        Op::Ne => return !test(v, Op::Eq, lit),
        Op::NoMatch => return !test(v, Op::Match, lit),
        _ => {}
    }
    match v {
        Value::Array(items) => items.iter().any(|item| test(item, op, lit)),
        _ => test_one(v, op, lit),
    }
}

fn test_one(v: &Value, op: Op, lit: &Lit) -> bool {
    let ord = match (v, lit) {
        (Value::Number(n), Lit::Num(x)) => match n.as_f64() {
            Some(n) => n.partial_cmp(x),
            None => None,
        },
        (Value::String(s), Lit::Str(x)) => Some(natural_cmp(s, x)),
        (Value::String(s), Lit::Pattern(re)) => return op == Op::Match && re.is_match(s),
        (Value::Bool(b), Lit::Bool(x)) => Some(b.cmp(x)),
        _ => None,
    };
    let Some(ord) = ord else { return false };
    match op {
        Op::Eq => ord == Ordering::Equal,
        Op::Lt => ord == Ordering::Less,
        Op::Le => ord != Ordering::Greater,
        Op::Gt => ord == Ordering::Greater,
        Op::Ge => ord != Ordering::Less,
        Op::Ne | Op::Match | Op::NoMatch => false,
    }
}

/// Compare text with runs of digits taken as numbers, so `9.6 < 14.4.1` and `node-2 < node-10`;
/// timestamps in one format compare chronologically.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let strip = |s: &[u8]| -> Vec<u8> {
                    let t: Vec<u8> = s.iter().copied().skip_while(|c| *c == b'0').collect();
                    t
                };
                let (na, nb) = (strip(&a[..da]), strip(&b[..db]));
                let o = na
                    .len()
                    .cmp(&nb.len())
                    .then_with(|| na.cmp(&nb))
                    .then(da.cmp(&db));
                if o != Ordering::Equal {
                    return o;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Op(Op),
    /// Quoted text.
    Quoted(String),
    /// A field name, number, keyword or bare word.
    Word(String),
}

impl Tok {
    fn show(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::And => "'and'".into(),
            Tok::Or => "'or'".into(),
            Tok::Not => "'not'".into(),
            Tok::Op(op) => format!("'{}'", op.text()),
            Tok::Quoted(s) => format!("{s:?}"),
            Tok::Word(w) => format!("'{w}'"),
        }
    }
}

fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '*' | ':' | '/' | '+' | '@' | ',')
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let two = |t: Tok, toks: &mut Vec<Tok>| {
            toks.push(t);
            2
        };
        i += match (c, next) {
            (c, _) if c.is_whitespace() => 1,
            ('(', _) => {
                toks.push(Tok::LParen);
                1
            }
            (')', _) => {
                toks.push(Tok::RParen);
                1
            }
            ('&', Some('&')) => two(Tok::And, &mut toks),
            ('|', Some('|')) => two(Tok::Or, &mut toks),
            ('=', Some('=')) => two(Tok::Op(Op::Eq), &mut toks),
            ('=', Some('~')) => two(Tok::Op(Op::Match), &mut toks),
            ('!', Some('=')) => two(Tok::Op(Op::Ne), &mut toks),
            ('!', Some('~')) => two(Tok::Op(Op::NoMatch), &mut toks),
            ('<', Some('=')) => two(Tok::Op(Op::Le), &mut toks),
            ('>', Some('=')) => two(Tok::Op(Op::Ge), &mut toks),
            ('=', _) => {
                toks.push(Tok::Op(Op::Eq));
                1
            }
            ('<', _) => {
                toks.push(Tok::Op(Op::Lt));
                1
            }
            ('>', _) => {
                toks.push(Tok::Op(Op::Gt));
                1
            }
            ('~', _) => {
                toks.push(Tok::Op(Op::Match));
                1
            }
            ('!', _) => {
                toks.push(Tok::Not);
                1
            }
            ('"' | '\'', _) => {
                let mut s = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => {
                            return Err(format!("unterminated string starting at column {}", i + 1))
                        }
                        Some(&q) if q == c => break,
                        Some('\\') if chars.get(j + 1).is_some_and(|n| *n == c || *n == '\\') => {
                            s.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            j += 1;
                        }
                    }
                }
                toks.push(Tok::Quoted(s));
                j + 1 - i
            }
            (c, _) if word_char(c) => {
                let w: String = chars[i..].iter().take_while(|c| word_char(**c)).collect();
                let n = w.chars().count();
                toks.push(match w.to_ascii_lowercase().as_str() {
                    "and" => Tok::And,
                    "or" => Tok::Or,
                    "not" => Tok::Not,
                    _ => Tok::Word(w),
                });
                n
            }
            (c, _) => return Err(format!("unexpected character '{c}' at column {}", i + 1)),
        };
    }
    Ok(toks)
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    fields: &'a mut FieldSet,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn near(&self) -> String {
        match self.peek() {
            Some(t) => format!("near {}", t.show()),
            None => "at the end".into(),
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(format!("expected ')' {}", self.near()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Word(name)) => {
                self.pos += 1;
                self.test(&name)
            }
            _ => Err(format!("expected a field name {}", self.near())),
        }
    }

    fn test(&mut self, name: &str) -> Result<Expr, String> {
        let field = fields::resolve(name).map_err(|e| e.0)?;
        let Some(Tok::Op(op)) = self.peek().cloned() else {
            if field.ty == Ty::Bool {
                let i = self.fields.add(field);
                return Ok(Expr::IsTrue(i));
            }
            let example = match field.ty {
                Ty::Num => format!("{name} >= 8"),
                _ => format!("{name} == \"...\""),
            };
            return Err(format!(
                "field '{name}' is {}, not a condition: compare it, e.g. {example}",
                field.ty.describe()
            ));
        };
        self.pos += 1;
        let (lit, text) = match self.peek().cloned() {
            Some(Tok::Quoted(s)) => (Raw::Text(s.clone()), s),
            Some(Tok::Word(w)) => {
                let raw = match w.as_str() {
                    "true" => Raw::Bool(true),
                    "false" => Raw::Bool(false),
                    "null" => Raw::Null,
                    _ => match w.parse::<f64>() {
                        Ok(n) if n.is_finite() => Raw::Num(n),
                        _ => Raw::Text(w.clone()),
                    },
                };
                (raw, w)
            }
            _ => {
                return Err(format!(
                    "expected a value after '{}' {}",
                    op.text(),
                    self.near()
                ))
            }
        };
        self.pos += 1;
        let lit = check(name, &field, op, lit, &text)?;
        let i = self.fields.add(field);
        Ok(Expr::Test { field: i, op, lit })
    }
}

/// A literal before type checking.
enum Raw {
    Num(f64),
    Text(String),
    Bool(bool),
    Null,
}

fn check(name: &str, field: &Field, op: Op, raw: Raw, text: &str) -> Result<Lit, String> {
    let ty = field.ty.describe();
    if let Raw::Null = raw {
        return match op {
            Op::Eq | Op::Ne => Ok(Lit::Null),
            _ => Err(format!("field '{name}': only == and != compare with null")),
        };
    }
    if matches!(op, Op::Match | Op::NoMatch) {
        if field.ty != Ty::Str {
            return Err(format!(
                "field '{name}' is {ty}: '{}' matches text only (use ==, <, >=, ...)",
                op.text()
            ));
        }
        if let Raw::Bool(_) = raw {
            return Err(format!(
                "field '{name}': '{}' needs a pattern, not {text}",
                op.text()
            ));
        }
        // A pattern that is not a valid regex is taken as plain text, so `cpu ~ "C++"` still works.
        let re = Regex::new(&format!("(?i){text}"))
            .or_else(|_| Regex::new(&format!("(?i){}", regex::escape(text))))
            .map_err(|e| format!("field '{name}': bad pattern {text:?}: {e}"))?;
        return Ok(Lit::Pattern(re));
    }
    match (field.ty, raw) {
        (Ty::Num, Raw::Num(n)) => Ok(Lit::Num(n)),
        // Text fields take numbers as written: `os_version == 12` means "12".
        (Ty::Str, Raw::Num(_)) => Ok(Lit::Str(text.to_string())),
        (Ty::Str, Raw::Text(s)) => Ok(Lit::Str(s)),
        (Ty::Bool, Raw::Bool(b)) if !op.ordering() => Ok(Lit::Bool(b)),
        (Ty::Bool, Raw::Bool(_)) => Err(format!(
            "field '{name}' is a boolean: use == or != (or the name alone)"
        )),
        (_, Raw::Text(s)) => Err(format!(
            "type error: field '{name}' is {ty}, but {s:?} is text"
        )),
        (_, Raw::Num(_)) => Err(format!(
            "type error: field '{name}' is {ty}, but {text} is a number"
        )),
        (_, Raw::Bool(b)) => Err(format!(
            "type error: field '{name}' is {ty}, but {b} is a boolean"
        )),
        (_, Raw::Null) => Ok(Lit::Null),
    }
}

/// Parse and type-check one `--where` expression, adding the fields it names to `fields`.
pub fn parse(src: &str, fields: &mut FieldSet) -> Result<Expr, QueryError> {
    let fail = |msg: String| QueryError(format!("invalid query '{}': {msg}", src.trim()));
    let toks = lex(src).map_err(fail)?;
    if toks.is_empty() {
        return Err(fail("empty query".into()));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        fields,
    };
    let e = p.or().map_err(fail)?;
    if p.pos < p.toks.len() {
        let msg = format!(
            "unexpected {} (join conditions with 'and' / 'or')",
            p.toks[p.pos].show()
        );
        return Err(fail(msg));
    }
    Ok(e)
}

/// Parse every `--where` and join them with `and`; `None` when there are none.
pub fn parse_all(srcs: &[String], fields: &mut FieldSet) -> Result<Option<Expr>, QueryError> {
    let mut out: Option<Expr> = None;
    for s in srcs {
        let e = parse(s, fields)?;
        out = Some(match out {
            None => e,
            Some(prev) => Expr::And(Box::new(prev), Box::new(e)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Evaluate `q` against named values.
    fn eval(q: &str, vals: &[(&str, Value)]) -> bool {
        let mut fs = FieldSet::default();
        let e = parse(q, &mut fs).unwrap();
        let values: Vec<Value> = fs
            .fields()
            .iter()
            .map(|f| {
                vals.iter()
                    .find(|(n, _)| fields::resolve(n).unwrap().name == f.name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Value::Null)
            })
            .collect();
        e.eval(&values)
    }

    fn err(q: &str) -> String {
        parse(q, &mut FieldSet::default()).unwrap_err().0
    }

    #[test]
    fn comparisons_and_logic() {
        let m = [
            ("memory_gb", json!(32)),
            ("os", json!("macos")),
            ("cpu", json!("Apple M1 Pro")),
        ];
        assert!(eval("memory_gb >= 32", &m));
        assert!(!eval("memory_gb > 32", &m));
        assert!(eval("memory_gb = 32 and os == \"macos\"", &m));
        assert!(eval("memory_gb < 16 or os == macos", &m));
        assert!(eval("not (memory_gb < 16)", &m));
        assert!(eval("!(os == linux) && cpu ~ 'm1'", &m));
        assert!(eval("cpu ~ \"^apple m[0-9]\"", &m));
        assert!(eval("cpu !~ xeon", &m));
        assert!(eval(
            "memory_gb >= 8 and memory_gb <= 64 or os == linux",
            &m
        ));
    }

    #[test]
    fn lists_match_when_any_item_does() {
        let v = [
            ("gpu.vram_gb", json!([8, 24])),
            ("gpus.name", json!(["T4", "RTX 4090"])),
        ];
        assert!(eval("gpu.vram_gb >= 24", &v));
        assert!(!eval("gpu.vram_gb > 24", &v));
        assert!(eval("gpus.name ~ 4090", &v));
        assert!(!eval("gpus.name != T4", &v));
        assert!(eval("gpus.name != A100", &v));
        assert!(eval("gpu.vram_gb == null", &[("gpu.vram_gb", json!([]))]));
        assert!(!eval("gpu.vram_gb >= 1", &[("gpu.vram_gb", json!([]))]));
    }

    #[test]
    fn booleans_null_and_text_order() {
        assert!(eval("translated", &[("translated", json!(true))]));
        assert!(eval("not translated", &[("translated", json!(false))]));
        assert!(eval("translated == false", &[("translated", json!(false))]));
        assert!(eval(
            "os_version >= 9.6",
            &[("os_version", json!("14.4.1"))]
        ));
        assert!(eval("os_version == 12", &[("os_version", json!("12"))]));
        assert!(eval("model == null", &[]));
        assert!(eval("model != null", &[("model", json!("Mac14,3"))]));
        assert!(eval(
            "last_seen >= \"2026-01-02\"",
            &[("last_seen", json!("2026-01-02T00:00:00Z"))]
        ));
        assert!(eval("cpu ~ 'C++'", &[("cpu", json!("a c++ chip"))]));
    }

    #[test]
    fn errors_name_the_field_and_the_problem() {
        assert!(err("memroy_gb >= 32").contains("unknown field 'memroy_gb'"));
        let e = err("memory_gb >= lots");
        assert!(
            e.contains("type error: field 'memory_gb' is a number, but \"lots\" is text"),
            "{e}"
        );
        assert!(err("os > true").contains("field 'os' is text, but true is a boolean"));
        assert!(
            err("memory_gb ~ 32").contains("field 'memory_gb' is a number: '~' matches text only")
        );
        assert!(err("memory_gb").contains("field 'memory_gb' is a number, not a condition"));
        assert!(err("translated > true").contains("is a boolean"));
        assert!(err("memory_gb >=").contains("expected a value after '>=' at the end"));
        assert!(err("memory_gb >= 32 os == macos").contains("unexpected 'os'"));
        assert!(err("(memory_gb >= 32").contains("expected ')' at the end"));
        assert!(err("os == 'mac").contains("unterminated string"));
        assert!(err("memory_gb >= 32 and").contains("expected a field name at the end"));
        assert!(err("  ").contains("empty query"));
        assert!(err("memory_gb $ 3").contains("unexpected character '$'"));
        assert!(err("model > null").contains("only == and != compare with null"));
    }

    #[test]
    fn natural_order() {
        assert_eq!(natural_cmp("9.6", "14.4.1"), Ordering::Less);
        assert_eq!(natural_cmp("node-2", "node-10"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
        assert_eq!(natural_cmp("a01", "a1"), Ordering::Greater);
        assert_eq!(natural_cmp("b", "a9"), Ordering::Greater);
    }
}
