//! The JSON API of `hwinv serve`, `/metrics`, and service actions. Answers are built from the cached
//! snapshots and the telemetry history; strings from hosts are serialised by serde (escaped for JSON).

use super::telemetry::{alerts, window, Window};
use super::{blocking, error_response, Shared};
use crate::query::{fields, lang, FieldSet};
use crate::store::events::{self, Event};
use crate::telemetry::model::format_micros;
use crate::telemetry::sink::now_micros;
use anyhow::{anyhow, bail, Result};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Seek, SeekFrom};

/// Query parameters, decoded.
pub type Params = Query<HashMap<String, String>>;

/// Decode `%XX` and `+` in a query value.
#[must_use]
pub fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| char::from(c).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JSON answer (compact: the 1,000-host answers stay small and quick to write).
pub fn json_response(v: &impl serde::Serialize) -> Response {
    let body = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The hosts for which the `hosts --where` expression holds; `None` without one.
pub fn matching(state: &Shared, expr: Option<&str>) -> Result<Option<BTreeSet<String>>> {
    let Some(expr) = expr.map(str::trim).filter(|e| !e.is_empty()) else {
        return Ok(None);
    };
    if expr.len() > 2000 {
        bail!("invalid query: longer than 2000 characters");
    }
    let mut fs = FieldSet::default();
    let filter = lang::parse(expr, &mut fs).map_err(|e| anyhow!("{e}"))?;
    let host = fs.add(fields::resolve("host").map_err(|e| anyhow!("{e}"))?);
    let facts = crate::store::index::facts(&state.store, &fs)?;
    Ok(Some(
        facts
            .hosts
            .into_iter()
            .filter(|h| filter.eval(&h.values))
            .filter_map(|h| h.values.get(host).and_then(Value::as_str).map(String::from))
            .collect(),
    ))
}

/// One host's row in the fleet: what the fleet page and `/api/hosts` show.
pub fn summary(host: &str, e: &super::Entry) -> Value {
    let s = &e.snap;
    let disks_gb: u64 = s.disks.iter().map(|d| d.size_gb).sum();
    json!({
        "host": host,
        "os": s.os.name.clone().or_else(|| s.os.id.clone()),
        "os_version": s.os.version,
        "arch": s.system_info.architecture,
        "model": s.system_info.model_name.clone().or_else(|| s.system_info.model.clone()),
        "cpu": s.hardware.cpu_type,
        "cores": s.hardware.cpu_cores,
        "threads": s.hardware.cpu.logical_cpus,
        "memory_gb": s.hardware.memory_gb,
        "disks": s.disks.len(),
        "disk_gb": disks_gb,
        "gpus": s.gpus.as_ref().map(|g| g.iter().map(|g| json!({
            "index": g.index, "name": g.name, "vram_gb": g.vram_gb,
        })).collect::<Vec<_>>()),
        "readiness": e.readiness.profiles.iter().map(|p| (p.profile.clone(), Value::Bool(p.ready))).collect::<serde_json::Map<_, _>>(),
        "collected_at": s.collected_at,
    })
}

/// `GET /api/hosts[?where=EXPR]`.
pub async fn hosts(State(st): State<Shared>, Query(q): Params) -> Response {
    blocking(move || {
        let only = matching(&st, q.get("where").map(String::as_str))?;
        let (fleet, errors) = st.fleet()?;
        let rows: Vec<Value> = fleet
            .iter()
            .filter(|(h, _)| only.as_ref().map_or(true, |o| o.contains(h)))
            .map(|(h, e)| summary(h, e))
            .collect();
        Ok(json_response(&json!({"hosts": rows, "errors": errors})))
    })
    .await
}

/// `GET /api/hosts/<h>`: the snapshot, readiness, latest sample and alerts of the last week.
pub async fn host(State(st): State<Shared>, Path(h): Path<String>) -> Response {
    blocking(move || {
        /// Serialised straight from the cached snapshot.
        #[derive(serde::Serialize)]
        struct Answer<'a> {
            host: &'a str,
            snapshot: &'a crate::model::Snapshot,
            readiness: &'a crate::readiness::HostReadiness,
            latest_sample: Option<crate::telemetry::model::Sample>,
            alerts: Vec<super::telemetry::AlertRow>,
        }
        let e = st.entry(&h)?;
        let week = now_micros() - 7 * 86_400_000_000;
        Ok(json_response(&Answer {
            host: &h,
            snapshot: &e.snap,
            readiness: &e.readiness,
            latest_sample: st.telemetry.last_sample(&h).ok().flatten(),
            alerts: alerts(&st.telemetry, &h, week, 100).unwrap_or_default(),
        }))
    })
    .await
}

/// `GET /api/metrics/system[?host=H]`: each host's newest sample.
pub async fn system(State(st): State<Shared>, Query(q): Params) -> Response {
    blocking(move || {
        let hosts = match q.get("host") {
            Some(h) => {
                st.store.check_host(h)?;
                vec![h.clone()]
            }
            None => st.store.hosts()?,
        };
        let mut out = Vec::new();
        for h in hosts {
            if let Some(s) = st.telemetry.last_sample(&h)? {
                let age = (now_micros() - s.as_of) / 1_000_000;
                out.push(json!({"host": h, "age_seconds": age, "sample": s}));
            }
        }
        Ok(json_response(&json!({"hosts": out})))
    })
    .await
}

fn series_json(w: &Window) -> Value {
    let pts = |p: &[(i64, f64)]| -> Value {
        super::svg::downsample(p, super::svg::MAX_POINTS)
            .iter()
            .map(|(t, v)| json!([format_micros(*t), (v * 1000.0).round() / 1000.0]))
            .collect()
    };
    json!({
        "source": w.source,
        "cpu_pct": pts(&w.cpu_pct),
        "ram_used_pct": pts(&w.ram_used_pct),
        "disk_free_pct": pts(&w.disk_free_pct),
        "cpu_temp_c": pts(&w.cpu_temp_c),
        "net_rx_rate_bps": pts(&w.net_rx_bps),
        "net_tx_rate_bps": pts(&w.net_tx_bps),
    })
}

/// `GET /api/metrics/system/history?hours=24[&host=H]`: series as `[time, value]` pairs, at most
/// [`super::svg::MAX_POINTS`] per series; without `host`, every host with samples.
pub async fn history(State(st): State<Shared>, Query(q): Params) -> Response {
    blocking(move || {
        let hours: u32 = match q.get("hours") {
            None => 24,
            Some(h) => h
                .parse()
                .ok()
                .filter(|h| (1..=24 * 31).contains(h))
                .ok_or_else(|| anyhow!("invalid hours {h:?}: a whole number from 1 to 744"))?,
        };
        let hosts = match q.get("host") {
            Some(h) => {
                st.store.check_host(h)?;
                vec![h.clone()]
            }
            None => st.store.hosts()?,
        };
        let end = now_micros();
        let mut out = Vec::new();
        for h in hosts {
            let w = window(&st.telemetry, st.rollup_minutes, &h, end, hours)?;
            if !w.is_empty() {
                let mut v = series_json(&w);
                v["host"] = json!(h);
                out.push(v);
            }
        }
        Ok(json_response(&json!({
            "hours": hours,
            "until": format_micros(end),
            "hosts": out,
        })))
    })
    .await
}

/// `GET /api/docker/containers`: the containers every snapshot recorded.
pub async fn containers(State(st): State<Shared>) -> Response {
    blocking(move || {
        let (fleet, _) = st.fleet()?;
        let mut out = Vec::new();
        for (h, e) in &fleet {
            let Some(cs) = e.snap.services.as_ref().and_then(|s| s.containers.as_ref()) else {
                continue;
            };
            for (name, c) in cs {
                out.push(
                    json!({"host": h, "name": name, "image": c.image, "state": c.state,
                    "health": c.health, "as_of": e.snap.collected_at}),
                );
            }
        }
        Ok(json_response(&json!({"containers": out})))
    })
    .await
}

/// `GET /api/services`: HTTP probes and systemd units per host.
pub async fn services(State(st): State<Shared>) -> Response {
    blocking(move || {
        let (fleet, _) = st.fleet()?;
        let mut out = Vec::new();
        for (h, e) in &fleet {
            let Some(s) = &e.snap.services else { continue };
            for (name, x) in s.http.iter().flatten() {
                out.push(
                    json!({"host": h, "kind": "http", "name": name, "up": x.up, "url": x.url,
                    "http_status": x.http_status, "error": x.error}),
                );
            }
            for (name, u) in s.systemd_units.iter().flatten() {
                out.push(
                    json!({"host": h, "kind": "systemd", "name": name, "up": u.active == "active",
                    "load": u.load, "active": u.active, "sub": u.sub}),
                );
            }
        }
        Ok(json_response(&json!({"services": out})))
    })
    .await
}

/// `GET /api/ollama/status`: available and loaded models per host and provider.
pub async fn ollama(State(st): State<Shared>) -> Response {
    blocking(move || {
        let (fleet, _) = st.fleet()?;
        let mut out = Vec::new();
        for (h, e) in &fleet {
            let Some(s) = &e.snap.services else { continue };
            for (name, l) in &s.llm {
                out.push(json!({"host": h, "service": name, "provider": l.provider,
                    "loaded": l.loaded, "available": l.available, "error": l.error,
                    "as_of": e.snap.collected_at}));
            }
        }
        Ok(json_response(&json!({"ollama": out})))
    })
    .await
}

/// `GET /api/readiness`.
pub async fn readiness(State(st): State<Shared>) -> Response {
    blocking(move || {
        let (fleet, _) = st.fleet()?;
        /// Serialised straight from the cached verdicts, without an intermediate `Value` tree.
        #[derive(serde::Serialize)]
        struct Answer<'a> {
            readiness: Vec<&'a crate::readiness::HostReadiness>,
        }
        let readiness = fleet.iter().map(|(_, e)| &e.readiness).collect();
        Ok(json_response(&Answer { readiness }))
    })
    .await
}

/// The newest events (at most `limit`, optionally of one host), newest first. Reads at most the last
/// 4 MiB of the log, so a long history costs the same as a short one.
pub fn recent_events(st: &Shared, host: Option<&str>, limit: usize) -> Result<Vec<Event>> {
    const TAIL: u64 = 4 * 1024 * 1024;
    let path = st.store.events_path();
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(anyhow!("unable to read '{}': {e}", path.display())),
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let from = len.saturating_sub(TAIL);
    f.seek(SeekFrom::Start(from))?;
    let mut buf = Vec::new();
    f.take(TAIL).read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if from > 0 && !lines.is_empty() {
        lines.remove(0); // torn by the seek
    }
    Ok(lines
        .iter()
        .rev()
        .filter_map(|l| serde_json::from_str::<Event>(l).ok())
        .filter(|e| host.map_or(true, |h| e.host == h || e.target.as_deref() == Some(h)))
        .take(limit)
        .collect())
}

/// `GET /api/events[?host=H&limit=N]`.
pub async fn events(State(st): State<Shared>, Query(q): Params) -> Response {
    blocking(move || {
        let limit = q
            .get("limit")
            .and_then(|l| l.parse().ok())
            .unwrap_or(200usize)
            .min(5000);
        let ev = recent_events(&st, q.get("host").map(String::as_str), limit)?;
        Ok(json_response(&json!({"events": ev})))
    })
    .await
}

/// `GET /metrics`: the exposition of `hwinv export prometheus`.
pub async fn metrics(State(st): State<Shared>) -> Response {
    blocking(move || {
        let (fleet, _) = st.fleet()?;
        let text = st.metrics_text(&fleet).as_str().to_owned();
        Ok((
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response())
    })
    .await
}

/// `POST /actions/<unit>/<start|stop|restart>?confirm=<unit>`: only routed with `--allow-actions`, only
/// for the units named there; runs `systemctl` on this machine and records a `serve.action` event.
pub async fn action(
    State(st): State<Shared>,
    Path((unit, verb)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    if !st.opts.allow_actions.contains(&unit)
        || !matches!(verb.as_str(), "start" | "stop" | "restart")
    {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    if q.get("confirm") != Some(&unit) {
        return (
            StatusCode::BAD_REQUEST,
            format!("error: confirm the action with confirm={unit}\n"),
        )
            .into_response();
    }
    blocking(move || {
        let mut cmd = crate::sys::process::command("systemctl");
        cmd.arg(&verb).arg("--").arg(&unit);
        let res =
            crate::sys::process::run_with_deadline(cmd, "", std::time::Duration::from_secs(60));
        let (ok, detail) = match &res {
            Ok(o) => (
                o.status == Some(0),
                String::from_utf8_lossy(&o.stderr).trim().to_string(),
            ),
            Err(e) => (false, e.to_string()),
        };
        let host = sysinfo::System::host_name().unwrap_or_else(|| "localhost".into());
        let ev = Event {
            time: format_micros(now_micros() - now_micros().rem_euclid(1_000_000)),
            kind: "serve.action".into(),
            host,
            target: Some(unit.clone()),
            details: json!({"unit": unit, "action": verb, "ok": ok, "message": detail}),
        };
        if let Err(e) = events::append(&st.store.events_path(), &ev) {
            return Ok(error_response(&e));
        }
        let code = if ok {
            StatusCode::OK
        } else {
            StatusCode::BAD_GATEWAY
        };
        Ok((code, json_response(&json!({"ok": ok, "event": ev}))).into_response())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_decode() {
        assert_eq!(pct_decode("a%20b+c"), "a b c");
        assert_eq!(pct_decode("100%"), "100%");
        assert_eq!(pct_decode("%zz%4"), "%zz%4");
    }
}
