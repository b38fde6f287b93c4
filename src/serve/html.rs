//! HTML building blocks for `hwinv serve`: escaping, the page frame (inline CSS for phone widths and
//! the 10-second refresh script), badges. Everything that came from a host goes through [`esc`].

use std::fmt::Write as _;

/// Escape text for HTML and SVG text or attribute values (`&`, `<`, `>`, `"`, `'`).
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encode a path segment or query value (host names, units, filters).
#[must_use]
pub fn url_enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const CSS: &str = "
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1b1f24;background:#f6f7f9}
header{background:#1f2a37;color:#fff;padding:.6em 1em;display:flex;gap:1em;flex-wrap:wrap;align-items:center}
header a{color:#cfe3ff;text-decoration:none}header strong{font-size:1.1em}
main{padding:1em;max-width:1200px;margin:auto}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:.8em;margin:0 0 1em}
h1{font-size:1.3em;margin:.2em 0 .6em}h2{font-size:1.05em;margin:0 0 .5em}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid #eef0f2;vertical-align:top}
th{font-weight:600;color:#57606a;white-space:nowrap}
.badge{display:inline-block;padding:0 .5em;border-radius:9px;font-size:.85em;margin:0 .2em .2em 0;white-space:nowrap}
.ok{background:#d3f5dc;color:#11602b}.bad{background:#ffe0de;color:#8a1c12}.na{background:#eceff1;color:#555}
.muted{color:#6e7781}.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:.8em}
.chart svg{width:100%;height:auto;display:block}.chart .na{padding:2em 1em;text-align:center;border-radius:4px}
form.filter{display:flex;gap:.5em;flex-wrap:wrap}form.filter input[type=text]{flex:1;min-width:12em;padding:.4em}
.error{color:#8a1c12}button{padding:.3em .7em}
@media (max-width:600px){main{padding:.5em}th,td{padding:.25em .3em;font-size:.92em}.wide{display:none}}
";

/// Refetch the page's `<main>` as a fragment every 10 s and swap it in (no reload, no scroll jump).
const REFRESH_JS: &str = "
(function(){function tick(){var u=new URL(location.href);u.searchParams.set('fragment','1');
fetch(u,{credentials:'same-origin'}).then(function(r){if(!r.ok)throw r.status;return r.text()})
.then(function(t){var m=document.getElementById('content');if(m&&document.activeElement.tagName!=='INPUT'){m.innerHTML=t;m.dataset.refreshed=new Date().toISOString();}})
.catch(function(){});}setInterval(tick,10000);})();
";

/// A whole page around `body` (the `<main>` content).
#[must_use]
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t} · hwinv</title><link rel=\"icon\" href=\"data:,\"><style>{CSS}</style></head><body>\
         <header><strong>hwinv</strong><a href=\"/\">Fleet</a><a href=\"/events\">Events</a>\
         <a href=\"/api/hosts\">API</a><a href=\"/metrics\">/metrics</a></header>\
         <main id=\"content\">{body}</main><script>{REFRESH_JS}</script></body></html>\n",
        t = esc(title)
    )
}

/// A green or red badge.
#[must_use]
pub fn badge(label: &str, ok: Option<bool>, title: &str) -> String {
    let class = match ok {
        Some(true) => "ok",
        Some(false) => "bad",
        None => "na",
    };
    format!(
        "<span class=\"badge {class}\" title=\"{}\">{}</span>",
        esc(title),
        esc(label)
    )
}

/// A table from a header and already-escaped cells.
#[must_use]
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<div class=\"scroll\"><table><thead><tr>");
    for h in header {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{c}</td>");
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_inert() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        assert_eq!(esc("a\u{0}b"), "a\u{fffd}b");
        assert_eq!(url_enc("a b/../c"), "a%20b%2F..%2Fc");
    }
}
