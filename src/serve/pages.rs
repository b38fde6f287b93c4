//! The HTML pages of `hwinv serve`: the fleet, one host, the events timeline. `?fragment=1` answers the
//! `<main>` content alone, which the pages' script fetches every 10 s.

use super::api::{matching, recent_events, summary, Params};
use super::html::{badge, esc, page, table, url_enc};
use super::svg::{line_chart, Series};
use super::telemetry::{alerts, window, Window};
use super::{blocking, Entry, Shared};
use crate::model::Snapshot;
use crate::telemetry::model::format_micros;
use crate::telemetry::sink::now_micros;
use anyhow::Result;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

fn answer(q: &std::collections::HashMap<String, String>, title: &str, body: &str) -> Response {
    if q.get("fragment").is_some_and(|f| f == "1") {
        Html(body.to_string()).into_response()
    } else {
        Html(page(title, body)).into_response()
    }
}

/// "3 h ago" for an RFC 3339 time.
fn age(rfc3339: &str) -> String {
    let Ok(t) = crate::telemetry::model::parse_rfc3339_micros(rfc3339) else {
        return String::new();
    };
    let s = (now_micros() - t) / 1_000_000;
    match s {
        s if s < 0 => "in the future".into(),
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

fn readiness_badges(e: &Entry) -> String {
    e.readiness
        .profiles
        .iter()
        .map(|p| {
            badge(
                &p.profile,
                Some(p.ready),
                &if p.ready {
                    "ready".to_string()
                } else {
                    p.failed.join("; ")
                },
            )
        })
        .collect()
}

fn gpus_cell(s: &Snapshot) -> String {
    match &s.gpus {
        None => "<span class=\"muted\">unknown</span>".into(),
        Some(g) if g.is_empty() => "<span class=\"muted\">none</span>".into(),
        Some(g) => g
            .iter()
            .map(|g| match g.vram_gb {
                Some(v) => format!("{} ({v} GB)", esc(&g.name)),
                None => esc(&g.name),
            })
            .collect::<Vec<_>>()
            .join("<br>"),
    }
}

/// `GET /[?where=EXPR]`: every host.
pub async fn fleet(State(st): State<Shared>, Query(q): Params) -> Response {
    blocking(move || {
        let expr = q.get("where").cloned().unwrap_or_default();
        let (only, filter_error) = match matching(&st, Some(&expr)) {
            Ok(o) => (o, None),
            Err(e) => (None, Some(format!("{e:#}"))),
        };
        let (fleet, errors) = st.fleet()?;
        let mut body = String::new();
        let shown: Vec<&super::Loaded> = fleet
            .iter()
            .filter(|(h, _)| only.as_ref().map_or(true, |o| o.contains(h)))
            .collect();
        let ready = shown.iter().filter(|(_, e)| e.readiness.all_ready()).count();
        let _ = write!(
            body,
            "<h1>Fleet</h1><section><form class=\"filter\" method=\"get\" action=\"/\">\
             <input type=\"text\" name=\"where\" value=\"{}\" placeholder=\"memory_gb &gt;= 32 and gpus.count &gt; 0\" aria-label=\"filter\">\
             <button type=\"submit\">Filter</button></form>\
             <p class=\"muted\">{} of {} hosts shown, {ready} ready for every profile. The filter is the language of <code>hwinv hosts --where</code>.</p>",
            esc(&expr),
            shown.len(),
            fleet.len()
        );
        if let Some(e) = filter_error {
            let _ = write!(body, "<p class=\"error\">{}</p>", esc(&e));
        }
        for e in &errors {
            let _ = write!(body, "<p class=\"error\">{}</p>", esc(e));
        }
        body.push_str("</section><section>");
        let rows: Vec<Vec<String>> = shown
            .iter()
            .map(|(h, e)| {
                let v = summary(h, e);
                let s = &e.snap;
                let text = |k: &str| esc(&crate::query::output::plain(&v[k], ", "));
                vec![
                    format!("<a href=\"/hosts/{}\">{}</a>", url_enc(h), esc(h)),
                    {
                        let (os, ver) = (text("os"), text("os_version"));
                        if os.contains(&ver) { os } else { format!("{os} {ver}") }
                    },
                    esc(&s.hardware.cpu_type),
                    text("cores"),
                    format!("{} GB", text("memory_gb")),
                    if s.disks.is_empty() {
                        "<span class=\"muted\">—</span>".to_string()
                    } else {
                        format!("{} × {} GB", s.disks.len(), text("disk_gb"))
                    },
                    gpus_cell(s),
                    readiness_badges(e),
                    format!(
                        "<span title=\"{}\">{}</span>",
                        esc(&s.collected_at),
                        esc(&age(&s.collected_at))
                    ),
                ]
            })
            .collect();
        body.push_str(&table(
            &[
                "Host",
                "OS",
                "CPU",
                "Cores",
                "RAM",
                "Disks",
                "GPUs",
                "Readiness",
                "Last seen",
            ],
            &rows,
        ));
        body.push_str("</section>");
        if !st.opts.allow_actions.is_empty() {
            body.push_str(&actions_section(&st.opts.allow_actions));
        }
        Ok(answer(&q, "Fleet", &body))
    })
    .await
}

/// Buttons for the allowed units (only with `--allow-actions`): each asks for confirmation first.
fn actions_section(units: &[String]) -> String {
    let mut s = String::from(
        "<section id=\"actions\"><h2>Service actions on this machine</h2><p class=\"muted\">\
         Each action runs <code>systemctl</code> where hwinv serve runs and is recorded as an event.</p>",
    );
    for u in units {
        let _ = write!(s, "<div><code>{}</code> ", esc(u));
        for verb in ["start", "stop", "restart"] {
            let _ = write!(
                s,
                "<form method=\"post\" action=\"/actions/{u}/{verb}?confirm={u}\" style=\"display:inline\" \
                 onsubmit=\"return confirm('{verb} ' + this.dataset.unit + '?')\" data-unit=\"{ue}\">\
                 <button type=\"submit\">{verb}</button></form> ",
                u = url_enc(u),
                ue = esc(u)
            );
        }
        s.push_str("</div>");
    }
    s.push_str("</section>");
    s
}

fn opt(v: Option<&str>) -> String {
    v.map_or_else(|| "<span class=\"muted\">—</span>".into(), esc)
}

fn facts(s: &Snapshot) -> String {
    let mem = &s.hardware.memory;
    let rows = [
        (
            "Model",
            s.system_info
                .model_name
                .clone()
                .or_else(|| s.system_info.model.clone()),
        ),
        ("Vendor", s.system_info.vendor.clone()),
        ("Architecture", Some(s.system_info.architecture.clone())),
        (
            "OS",
            Some(format!(
                "{} {}",
                s.os.name
                    .clone()
                    .or_else(|| s.os.id.clone())
                    .unwrap_or_default(),
                s.os.version.clone().unwrap_or_default()
            )),
        ),
        ("Kernel", s.os.kernel.clone()),
        ("CPU", Some(s.hardware.cpu_type.clone())),
        (
            "Cores",
            Some(format!(
                "{} physical, {} logical, {} socket(s)",
                s.hardware.cpu.physical_cores, s.hardware.cpu.logical_cpus, s.hardware.cpu.sockets
            )),
        ),
        (
            "Memory",
            Some(format!(
                "{} GB{}",
                s.hardware.memory_gb,
                mem.swap_bytes
                    .map(|b| format!(", swap {} GB", b / (1 << 30)))
                    .unwrap_or_default()
            )),
        ),
        (
            "Collected",
            Some(format!("{} ({})", s.collected_at, age(&s.collected_at))),
        ),
        ("Source", Some(s.source.transport.clone())),
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, v)| vec![esc(k), opt(v.as_deref())])
        .collect();
    table(&["Fact", "Value"], &rows)
}

fn gpus(s: &Snapshot) -> String {
    match &s.gpus {
        None => "<p class=\"muted\">GPU information not available on this host.</p>".into(),
        Some(g) if g.is_empty() => "<p class=\"muted\">No GPU.</p>".into(),
        Some(g) => {
            let rows: Vec<Vec<String>> = g
                .iter()
                .map(|g| {
                    vec![
                        g.index.to_string(),
                        esc(&g.name),
                        esc(&g.vendor),
                        g.vram_gb.map_or_else(|| "—".into(), |v| format!("{v} GB")),
                        opt(g.driver_version.as_deref()),
                        opt(g.cuda_version.as_deref()),
                    ]
                })
                .collect();
            table(
                &["#", "Name", "Vendor", "VRAM", "Driver", "CUDA (max)"],
                &rows,
            )
        }
    }
}

fn disks(s: &Snapshot) -> String {
    if s.disks.is_empty() {
        return "<p class=\"muted\">No disks recorded.</p>".into();
    }
    let rows: Vec<Vec<String>> = s
        .disks
        .iter()
        .map(|d| {
            vec![
                esc(&d.name),
                format!("{} GB", d.size_gb),
                opt(d.model.as_deref()),
                esc(&format!("{:?}", d.kind).to_lowercase()),
            ]
        })
        .collect();
    table(&["Disk", "Size", "Model", "Kind"], &rows)
}

fn services(s: &Snapshot) -> String {
    let Some(sv) = &s.services else {
        return "<p class=\"muted\">Services were not probed for this snapshot.</p>".into();
    };
    let mut out = String::new();
    match &sv.http {
        None => out.push_str("<p class=\"muted\">HTTP probes did not run.</p>"),
        Some(h) if h.is_empty() => {
            out.push_str("<p class=\"muted\">No HTTP services configured.</p>")
        }
        Some(h) => {
            let rows: Vec<Vec<String>> = h
                .iter()
                .map(|(n, x)| {
                    vec![
                        esc(n),
                        badge(if x.up { "up" } else { "down" }, Some(x.up), ""),
                        esc(&x.url),
                        opt(x.error.as_deref()),
                    ]
                })
                .collect();
            out.push_str(&table(&["Service", "State", "URL", "Error"], &rows));
        }
    }
    for (name, l) in &sv.llm {
        let loaded: Vec<String> = l.loaded.iter().flatten().map(|m| esc(&m.name)).collect();
        let _ = write!(
            out,
            "<p><strong>{}</strong> ({}): loaded model {}{}</p>",
            esc(name),
            esc(&l.provider),
            if loaded.is_empty() {
                "<span class=\"muted\">none</span>".to_string()
            } else {
                loaded.join(", ")
            },
            l.available
                .as_ref()
                .map(|a| format!(", {} available", a.len()))
                .unwrap_or_default()
        );
    }
    if let Some(units) = &sv.systemd_units {
        let rows: Vec<Vec<String>> = units
            .iter()
            .map(|(n, u)| {
                vec![
                    esc(n),
                    badge(&u.active, Some(u.active == "active"), &u.sub),
                    esc(&u.load),
                ]
            })
            .collect();
        if !rows.is_empty() {
            out.push_str("<h2>systemd units</h2>");
            out.push_str(&table(&["Unit", "Active", "Load"], &rows));
        }
    }
    out.push_str("<h2>Docker containers</h2>");
    match &sv.containers {
        None => out.push_str("<p class=\"muted\">Docker not available on this host.</p>"),
        Some(c) if c.is_empty() => out.push_str("<p class=\"muted\">No containers.</p>"),
        Some(c) => {
            let rows: Vec<Vec<String>> = c
                .iter()
                .map(|(n, x)| {
                    vec![
                        esc(n),
                        esc(&x.image),
                        badge(&x.state, Some(x.state == "running"), ""),
                        opt(x.health.as_deref()),
                    ]
                })
                .collect();
            out.push_str(&table(&["Container", "Image", "State", "Health"], &rows));
        }
    }
    out
}

fn readiness(e: &Entry) -> String {
    let mut out = String::new();
    for p in &e.readiness.profiles {
        let _ = write!(
            out,
            "<p>{} {}</p>",
            badge(&p.profile, Some(p.ready), ""),
            if p.ready { "ready" } else { "not ready" }
        );
        let rows: Vec<Vec<String>> = p
            .checks
            .iter()
            .map(|c| {
                vec![
                    esc(&c.check),
                    esc(&c.required),
                    esc(&c.measured),
                    badge(if c.ok { "ok" } else { "fails" }, Some(c.ok), ""),
                ]
            })
            .collect();
        out.push_str(&table(&["Condition", "Required", "Measured", ""], &rows));
    }
    out
}

/// Leaf values of a snapshot that describe hardware (volatile and bookkeeping keys left out).
fn leaves(v: &Value, path: &str, out: &mut BTreeMap<String, String>) {
    if out.len() > 5000 {
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if path.is_empty()
                    && matches!(
                        k.as_str(),
                        "collected_at"
                            | "generator"
                            | "sections"
                            | "warnings"
                            | "services"
                            | "source"
                    )
                {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, &p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                leaves(x, &format!("{path}[{i}]"), out);
            }
        }
        other => {
            out.insert(path.to_string(), other.to_string());
        }
    }
}

fn changes(st: &Shared, host: &str) -> Result<String> {
    let hist = st.store.history(host)?;
    if hist.len() < 2 {
        return Ok("<p class=\"muted\">Only one snapshot: nothing to compare yet.</p>".into());
    }
    let load =
        |p: &std::path::Path| -> Result<Value> { Ok(serde_json::from_slice(&std::fs::read(p)?)?) };
    let (prev_name, prev) = &hist[hist.len() - 2];
    let (_, cur) = &hist[hist.len() - 1];
    let (mut a, mut b) = (BTreeMap::new(), BTreeMap::new());
    leaves(&load(prev)?, "", &mut a);
    leaves(&load(cur)?, "", &mut b);
    let mut rows = Vec::new();
    for (k, v) in &b {
        match a.get(k) {
            Some(old) if old == v => {}
            old => rows.push(vec![esc(k), opt(old.map(String::as_str)), esc(v)]),
        }
    }
    for (k, v) in &a {
        if !b.contains_key(k) {
            rows.push(vec![
                esc(k),
                esc(v),
                "<span class=\"muted\">removed</span>".into(),
            ]);
        }
    }
    if rows.is_empty() {
        return Ok(format!(
            "<p class=\"muted\">No hardware change since {}.</p>",
            esc(prev_name)
        ));
    }
    let n = rows.len();
    rows.truncate(50);
    Ok(format!(
        "<p class=\"muted\">{n} changes since {}{}</p>{}",
        esc(prev_name),
        if n > 50 { " (first 50)" } else { "" },
        table(&["Field", "Before", "Now"], &rows)
    ))
}

fn chart_or_na(
    title: &str,
    unit: &str,
    series: Vec<Series>,
    start: i64,
    end: i64,
    y: Option<f64>,
) -> String {
    match line_chart(title, unit, &series, start, end, y) {
        Some(svg) => format!("<div class=\"chart\">{svg}</div>"),
        None => format!(
            "<div class=\"chart\"><div class=\"na\">{}: not available on this host</div></div>",
            esc(title)
        ),
    }
}

fn charts(w: &Window, label: &str, start: i64, end: i64) -> String {
    let s = |name: &str, p: &[(i64, f64)]| Series {
        name: name.into(),
        points: p.to_vec(),
    };
    let mut out = format!(
        "<h2>Last {label} <span class=\"muted\">({})</span></h2><div class=\"charts\">",
        esc(if w.is_empty() { "no data" } else { &w.source })
    );
    let usage: Vec<Series> = [s("CPU %", &w.cpu_pct), s("RAM used %", &w.ram_used_pct)]
        .into_iter()
        .filter(|x| !x.points.is_empty())
        .collect();
    out.push_str(&chart_or_na(
        &format!("CPU and RAM, {label}"),
        "%",
        usage,
        start,
        end,
        Some(100.0),
    ));
    let disk: Vec<Series> = [s("free %", &w.disk_free_pct)]
        .into_iter()
        .filter(|x| !x.points.is_empty())
        .collect();
    out.push_str(&chart_or_na(
        &format!("Disk free, {label}"),
        "%",
        disk,
        start,
        end,
        Some(100.0),
    ));
    let temp: Vec<Series> = [s("CPU °C", &w.cpu_temp_c)]
        .into_iter()
        .filter(|x| !x.points.is_empty())
        .collect();
    out.push_str(&chart_or_na(
        &format!("Temperature, {label}"),
        "°",
        temp,
        start,
        end,
        None,
    ));
    let net: Vec<Series> = [s("rx B/s", &w.net_rx_bps), s("tx B/s", &w.net_tx_bps)]
        .into_iter()
        .filter(|x| !x.points.is_empty())
        .collect();
    out.push_str(&chart_or_na(
        &format!("Network, {label}"),
        "",
        net,
        start,
        end,
        None,
    ));
    out.push_str("</div>");
    out
}

/// `GET /hosts/<h>`.
pub async fn host(State(st): State<Shared>, Path(h): Path<String>, Query(q): Params) -> Response {
    blocking(move || {
        let e = st.entry(&h)?;
        let s = &e.snap;
        let mut body = format!(
            "<h1>{} {}</h1>",
            esc(&h),
            readiness_badges(&e)
        );
        if !s.warnings.is_empty() {
            let _ = write!(
                body,
                "<section><h2>Warnings</h2><ul>{}</ul></section>",
                s.warnings.iter().map(|w| format!("<li>{}</li>", esc(w))).collect::<String>()
            );
        }
        let _ = write!(body, "<section><h2>Hardware</h2>{}</section>", facts(s));
        let _ = write!(body, "<section><h2>GPUs</h2>{}</section>", gpus(s));
        let _ = write!(body, "<section><h2>Disks</h2>{}</section>", disks(s));
        let _ = write!(body, "<section><h2>Readiness</h2>{}</section>", readiness(&e));
        let _ = write!(body, "<section><h2>Services</h2>{}</section>", services(s));
        // Telemetry: the newest sample, then hour / day / week charts.
        let end = now_micros();
        body.push_str("<section id=\"telemetry\"><h2>Telemetry</h2>");
        match st.telemetry.last_sample(&h) {
            Ok(Some(x)) => {
                let _ = write!(
                    body,
                    "<p>Latest sample {} ({}): CPU {:.1} %, RAM {} / {} MiB, temperature {}</p>",
                    esc(&format_micros(x.as_of)),
                    esc(&age(&format_micros(x.as_of))),
                    x.cpu_pct,
                    x.ram_used_mb,
                    x.ram_total_mb,
                    x.cpu_temp_c.map_or_else(|| "not available on this host".into(), |t| format!("{t:.1} °C"))
                );
            }
            Ok(None) => body.push_str("<p class=\"muted\">No telemetry samples stored for this host.</p>"),
            Err(err) => {
                let _ = write!(body, "<p class=\"error\">{}</p>", esc(&format!("{err:#}")));
            }
        }
        for (label, hours) in [("hour", 1u32), ("day", 24), ("week", 168)] {
            let start = end - i64::from(hours) * 3_600_000_000;
            match window(&st.telemetry, st.rollup_minutes, &h, end, hours) {
                Ok(w) => body.push_str(&charts(&w, label, start, end)),
                Err(err) => {
                    let _ = write!(body, "<p class=\"error\">{}</p>", esc(&format!("{err:#}")));
                }
            }
        }
        body.push_str("</section><section><h2>Alerts (last week)</h2>");
        match alerts(&st.telemetry, &h, end - 7 * 86_400_000_000, 50) {
            Ok(a) if a.is_empty() => body.push_str("<p class=\"muted\">No alerts.</p>"),
            Ok(a) => {
                let rows: Vec<Vec<String>> = a
                    .iter()
                    .map(|a| vec![esc(&a.as_of), badge(&a.severity, Some(a.severity == "info"), ""), esc(&a.alert_type), esc(&a.message)])
                    .collect();
                body.push_str(&table(&["Time", "Severity", "Type", "Message"], &rows));
            }
            Err(err) => {
                let _ = write!(body, "<p class=\"error\">{}</p>", esc(&format!("{err:#}")));
            }
        }
        let _ = write!(
            body,
            "</section><section><h2>Changed since the previous snapshot</h2>{}</section>",
            changes(&st, &h).unwrap_or_else(|err| format!("<p class=\"error\">{}</p>", esc(&format!("{err:#}"))))
        );
        body.push_str("<section><h2>Recent events</h2>");
        body.push_str(&events_table(&recent_events(&st, Some(&h), 20)?));
        let _ = write!(body, "<p><a href=\"/events?host={}\">All events of this host</a> · <a href=\"/api/hosts/{}\">JSON</a></p></section>", url_enc(&h), url_enc(&h));
        Ok(answer(&q, &h, &body))
    })
    .await
}

fn events_table(ev: &[crate::store::events::Event]) -> String {
    if ev.is_empty() {
        return "<p class=\"muted\">No events.</p>".into();
    }
    let rows: Vec<Vec<String>> = ev
        .iter()
        .map(|e| {
            let details = match &e.details {
                Value::Object(m) => m
                    .iter()
                    .take(6)
                    .map(|(k, v)| format!("{k}={}", crate::query::output::plain(v, ",")))
                    .collect::<Vec<_>>()
                    .join(" "),
                Value::Null => String::new(),
                v => v.to_string(),
            };
            let details: String = details.chars().take(300).collect();
            vec![
                esc(&e.time),
                format!(
                    "<a href=\"/hosts/{}\">{}</a>",
                    url_enc(&e.host),
                    esc(&e.host)
                ),
                esc(&e.kind),
                format!("<span class=\"wide\">{}</span>", esc(&details)),
            ]
        })
        .collect();
    table(&["Time", "Host", "Event", "Details"], &rows)
}

/// `GET /events[?host=H]`: the timeline, newest first.
pub async fn events(State(st): State<Shared>, Query(q): Params) -> Response {
    blocking(move || {
        let host = q.get("host").filter(|h| !h.is_empty()).cloned();
        let ev = recent_events(&st, host.as_deref(), 500)?;
        let body = format!(
            "<h1>Events{}</h1><section>{}</section>",
            host.as_ref()
                .map(|h| format!(" of {}", esc(h)))
                .unwrap_or_default(),
            events_table(&ev)
        );
        Ok(answer(&q, "Events", &body))
    })
    .await
}
