//! Prometheus remote write 1.0: the series of an exposition as a snappy-compressed protobuf
//! `WriteRequest`, POSTed to a receiver (`prometheus --web.enable-remote-write-receiver`, Mimir, VictoriaMetrics,
//! a Grafana agent).
//!
//! [`encode`] is pure (samples and a time in, body bytes out); [`post`] is the one plain-`http://` request.
//! The protobuf is written by hand: three messages (`WriteRequest { repeated TimeSeries timeseries = 1 }`,
//! `TimeSeries { repeated Label labels = 1; repeated Sample samples = 2 }`, `Label { string name = 1; string
//! value = 2 }`, `Sample { double value = 1; int64 timestamp = 2 }`), as the spec defines them.

use crate::render::prometheus::Sample;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        // Masked to 7 bits, so the cast keeps every bit that matters.
        out.push(u8::try_from(v & 0x7f).unwrap_or(0) | 0x80);
        v >>= 7;
    }
    out.push(u8::try_from(v).unwrap_or(0));
}

fn bytes_field(field: u32, data: &[u8], out: &mut Vec<u8>) {
    varint(u64::from(field << 3 | 2), out);
    varint(data.len() as u64, out);
    out.extend_from_slice(data);
}

/// The uncompressed `WriteRequest` of `samples`, each stamped `timestamp_ms`. Labels are sorted by name with
/// `__name__` among them, as the spec requires; series without a value (NaN) are left out.
#[must_use]
pub fn write_request(samples: &[Sample], timestamp_ms: i64) -> Vec<u8> {
    let mut out = Vec::new();
    for s in samples {
        let Some(value) = s.value else { continue };
        let mut labels: Vec<(&str, &str)> = s
            .labels
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        labels.push(("__name__", s.name.as_str()));
        labels.sort_unstable();
        let mut ts = Vec::new();
        for (k, v) in labels {
            let mut l = Vec::new();
            bytes_field(1, k.as_bytes(), &mut l);
            bytes_field(2, v.as_bytes(), &mut l);
            bytes_field(1, &l, &mut ts);
        }
        let mut sample = Vec::with_capacity(20);
        sample.push(1 << 3 | 1);
        sample.extend_from_slice(&value.to_le_bytes());
        sample.push(2 << 3);
        // int64 is encoded as its two's-complement u64 (a negative time would be 10 bytes long).
        varint(u64::from_ne_bytes(timestamp_ms.to_ne_bytes()), &mut sample);
        bytes_field(2, &sample, &mut ts);
        bytes_field(1, &ts, &mut out);
    }
    out
}

/// The request body: [`write_request`] in the snappy block format.
pub fn encode(samples: &[Sample], timestamp_ms: i64) -> Result<Vec<u8>> {
    snap::raw::Encoder::new()
        .compress_vec(&write_request(samples, timestamp_ms))
        .context("unable to snappy-compress the write request")
}

/// A remote-write URL: `http://host[:port]/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or address (brackets removed for IPv6).
    pub host: String,
    /// Port (80 by default).
    pub port: u16,
    /// `Host` header value.
    pub authority: String,
    /// Path and query.
    pub path: String,
}

/// Parse `http://host[:port]/path`; `https://` is refused with the way around it.
pub fn parse_url(url: &str) -> Result<Url> {
    if url.starts_with("https://") {
        bail!("invalid --remote-write URL '{url}': only http:// is supported; for TLS push to a local Prometheus agent or a TLS-terminating proxy");
    }
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        anyhow!("invalid --remote-write URL '{url}': expected http://host:port/api/v1/write")
    })?;
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let bad =
        || anyhow!("invalid --remote-write URL '{url}': expected http://host:port/api/v1/write");
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(bad)?;
        match after.strip_prefix(':') {
            Some(p) => (h.to_string(), p.parse().map_err(|_| bad())?),
            None if after.is_empty() => (h.to_string(), 80),
            None => return Err(bad()),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad())?),
            None => (authority.to_string(), 80),
        }
    };
    Ok(Url {
        host,
        port,
        authority: authority.to_string(),
        path: if path.is_empty() {
            "/".into()
        } else {
            path.to_string()
        },
    })
}

/// POST `body` to `url` with the remote-write headers; an answer other than 2xx is an error naming the
/// status and the receiver's first line.
pub fn post(url: &Url, body: &[u8], timeout: Duration) -> Result<()> {
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .with_context(|| format!("unable to resolve '{}'", url.host))?
        .next()
        .ok_or_else(|| anyhow!("'{}' has no address", url.host))?;
    let mut s = TcpStream::connect_timeout(&addr, timeout)
        .with_context(|| format!("unable to connect to {}", url.authority))?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {}\r\nContent-Type: application/x-protobuf\r\n\
         Content-Encoding: snappy\r\nX-Prometheus-Remote-Write-Version: 0.1.0\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        url.path,
        url.authority,
        crate::model::GENERATOR.replace(' ', "/"),
        body.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .with_context(|| format!("unable to send to {}", url.authority))?;
    let mut answer = Vec::new();
    // Bounded: a receiver's error message is short.
    s.take(64 * 1024)
        .read_to_end(&mut answer)
        .with_context(|| format!("no answer from {}", url.authority))?;
    let text = String::from_utf8_lossy(&answer);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| anyhow!("{} did not answer HTTP", url.authority))?;
    if !(200..300).contains(&status) {
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let line = body.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        bail!(
            "remote write to {} failed: HTTP {status} {}",
            url.authority,
            line.chars().take(200).collect::<String>()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn one_series_encodes_as_the_spec_says() {
        let s = Sample {
            name: "up".into(),
            labels: BTreeMap::from([("job".to_string(), "a".to_string())]),
            value: Some(1.0),
        };
        let b = write_request(&[s], 1);
        // WriteRequest.timeseries (1, len) { Label{__name__=up} Label{job=a} Sample{1.0, 1} }
        let mut want = vec![0x0a, 0x27];
        want.extend([0x0a, 0x0e, 0x0a, 0x08]);
        want.extend(b"__name__");
        want.extend([0x12, 0x02]);
        want.extend(b"up");
        want.extend([0x0a, 0x08, 0x0a, 0x03]);
        want.extend(b"job");
        want.extend([0x12, 0x01]);
        want.extend(b"a");
        want.extend([0x12, 0x0b, 0x09]);
        want.extend(1.0f64.to_le_bytes());
        want.extend([0x10, 0x01]);
        assert_eq!(b, want);
        assert!(encode(&[], 0).is_ok());
    }

    #[test]
    fn urls_are_plain_http() {
        let u = parse_url("http://127.0.0.1:9090/api/v1/write").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 9090, "/api/v1/write")
        );
        assert_eq!(parse_url("http://[::1]/w").unwrap().port, 80);
        assert!(parse_url("https://x/y")
            .unwrap_err()
            .to_string()
            .contains("only http://"));
        assert!(parse_url("ftp://x").is_err() && parse_url("http://u@x/").is_err());
    }
}
