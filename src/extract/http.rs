//! Service probes of this machine without starting curl.
//!
//! For a local extraction hwinv probes the plain-`http://` services itself, over loopback sockets, and
//! writes the `services` section exactly as the probe script's curl branch would (curl's exit codes,
//! `result`, `!` and `|` lines), so the same parser reads it. Starting curl costs more CPU than all the
//! probes together; remote hosts and `https://` URLs still go through the script.

use crate::probe::services::{ProbeKind, ProbeSpec};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Largest answer kept from one probe (the script's bound too).
const MAX_ANSWER: usize = 256 * 1024 + 16 * 1024;

/// Outcome of one probe, in curl's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    exit: i32,
    status: u16,
    error: Option<String>,
    body: String,
}

/// True when every URL is plain `http://` this module can probe (else the script's curl does it).
pub fn handles(specs: &[ProbeSpec]) -> bool {
    specs.iter().all(|s| Target::parse(s.url()).is_some())
}

/// The `services` section for `specs`, or `None` when a URL is not plain `http://` (see [`handles`]).
pub fn services_section(specs: &[ProbeSpec], timeout_seconds: u32) -> Option<String> {
    let targets: Vec<Target> = specs
        .iter()
        .map(|s| Target::parse(s.url()))
        .collect::<Option<_>>()?;
    let timeout = Duration::from_secs(u64::from(timeout_seconds.clamp(1, 60)));
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|t| scope.spawn(move || fetch(t, timeout)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| Outcome {
                    exit: 2,
                    status: 0,
                    error: Some("probe thread failed".into()),
                    body: String::new(),
                })
            })
            .collect()
    });
    let mut out = format!("client hwinv {}\n", timeout.as_secs());
    for (spec, o) in specs.iter().zip(&outcomes) {
        out.push_str(&format!(
            "probe {} {} {} {}\n",
            spec.name(),
            spec.kind().as_str(),
            spec.expected_status(),
            spec.url()
        ));
        if let Some(e) = &o.error {
            out.push_str(&format!("!hwinv: {e}\n"));
        }
        out.push_str(&format!("result {} {:03} 0\n", o.exit, o.status));
        if spec.kind() != ProbeKind::Http && !o.body.is_empty() {
            for line in o.body.lines() {
                out.push('|');
                out.push_str(line);
                out.push('\n');
            }
            out.push('\n');
        }
    }
    Some(out)
}

/// A plain-HTTP URL split for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    host: String,
    port: u16,
    authority: String,
    path: String,
}

impl Target {
    /// `http://host[:port]/path?query` (fragment dropped); `None` for anything else.
    fn parse(url: &str) -> Option<Target> {
        let rest = url.strip_prefix("http://")?;
        let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(split);
        let path = tail.split('#').next().unwrap_or("");
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse().ok()?,
                None if after.is_empty() => 80,
                None => return None,
            };
            (h.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().ok()?),
                None => (authority.to_string(), 80),
            }
        };
        Some(Target {
            host,
            port,
            authority: authority.to_string(),
            path,
        })
    }
}

fn failed(exit: i32, error: String) -> Outcome {
    Outcome {
        exit,
        status: 0,
        error: Some(error),
        body: String::new(),
    }
}

/// GET the target with HTTP/1.0 (so no chunked answer) within `timeout`, connect and read together.
fn fetch(t: &Target, timeout: Duration) -> Outcome {
    let deadline = Instant::now() + timeout;
    let addrs: Vec<SocketAddr> = match (t.host.as_str(), t.port).to_socket_addrs() {
        Ok(a) => a.collect(),
        Err(e) => return failed(6, format!("cannot resolve {}: {e}", t.host)),
    };
    let mut last = failed(6, format!("cannot resolve {}", t.host));
    let mut stream = None;
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return failed(28, format!("no answer within {} s", timeout.as_secs()));
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                last = failed(28, format!("connect to {addr} timed out"));
            }
            Err(e) => last = failed(7, format!("failed to connect to {addr}: {e}")),
        }
    }
    let Some(mut stream) = stream else {
        return last;
    };
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: hwinv/{}\r\nAccept: */*\r\n\r\n",
        t.path,
        t.authority,
        env!("CARGO_PKG_VERSION")
    );
    if let Err(e) = stream.write_all(request.as_bytes()) {
        return failed(55, format!("send failed: {e}"));
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            return failed(28, format!("no answer within {} s", timeout.as_secs()));
        }
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                answer.extend_from_slice(&buf[..n]);
                if answer.len() >= MAX_ANSWER {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return failed(28, format!("no answer within {} s", timeout.as_secs()));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return failed(56, format!("receive failed: {e}")),
        }
    }
    parse_answer(&answer)
}

/// Status and body of an HTTP/1.x answer.
fn parse_answer(answer: &[u8]) -> Outcome {
    if answer.is_empty() {
        return failed(52, "empty reply from server".into());
    }
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .unwrap_or((&text, ""));
    let status = head
        .lines()
        .next()
        .filter(|l| l.starts_with("HTTP/"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|c| (100..1000).contains(c));
    let Some(status) = status else {
        return failed(8, "weird server reply".into());
    };
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Outcome {
        exit: 0,
        status,
        error: None,
        body,
    }
}

/// Undo chunked transfer coding (a server may use it even for an HTTP/1.0 request).
fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            out.push_str(rest.get(..size.min(rest.len())).unwrap_or(""));
            break;
        }
        out.push_str(rest.get(..size).unwrap_or(""));
        s = rest.get(size..).unwrap_or("").trim_start_matches("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_are_probed_natively() {
        let t = Target::parse("http://127.0.0.1:11434/api/tags").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("127.0.0.1", 11434, "/api/tags")
        );
        let t = Target::parse("http://[::1]:8000?x=1#f").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("::1", 8000, "/?x=1")
        );
        assert_eq!(Target::parse("http://localhost").unwrap().port, 80);
        assert!(Target::parse("https://127.0.0.1/").is_none());
        assert!(Target::parse("http://user@host/").is_none());
        assert!(Target::parse("http://host:99999/").is_none());
    }

    #[test]
    fn answers_give_curl_like_outcomes() {
        let ok = parse_answer(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"models\":[]}",
        );
        assert_eq!(
            (ok.exit, ok.status, ok.body.as_str()),
            (0, 200, "{\"models\":[]}")
        );
        assert_eq!(parse_answer(b"HTTP/1.0 500 Internal\r\n\r\n").status, 500);
        assert_eq!(parse_answer(b"").exit, 52);
        assert_eq!(parse_answer(b"SSH-2.0-OpenSSH\r\n").exit, 8);
        let chunked = parse_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nab\r\n\r\n2\r\ncd\r\n0\r\n\r\n");
        assert_eq!(chunked.body, "ab\r\ncd");
    }

    #[test]
    fn a_closed_port_is_connection_refused() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let o = fetch(
            &Target::parse(&format!("http://127.0.0.1:{port}/")).unwrap(),
            Duration::from_secs(2),
        );
        assert_eq!(o.exit, 7);
    }
}
