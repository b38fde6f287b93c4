//! `hwinv serve`: the fleet, each host, readiness, services and telemetry charts in a browser, a JSON API
//! and `/metrics`, over the inventory root.
//!
//! Owns the HTTP server (axum on a tokio runtime created here), authentication and the snapshot cache.
//! It never writes snapshots; the only writes are the events of service actions, which exist only when
//! the user names the allowed units. Pages are rendered on the server ([`pages`], charts in [`svg`]);
//! everything from a host is escaped there ([`html::esc`]) or serialised by serde for the API.

pub mod api;
pub mod html;
pub mod pages;
pub mod svg;
pub mod telemetry;

use crate::config::readiness::ReadinessRules;
use crate::model::Snapshot;
use crate::readiness::{assess, HostReadiness};
use crate::store::Store;
use crate::telemetry::store::TelemetryStore;
use anyhow::{bail, Context, Result};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Requests answered at once; more get 503.
pub const MAX_IN_FLIGHT: usize = 64;

/// Longest time one request may take.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// How the server is started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The shared secret, when one was given (required beyond loopback and for actions).
    pub token: Option<String>,
    /// systemd units whose start/stop/restart the pages offer.
    pub allow_actions: Vec<String>,
}

/// Read a token file: the first line, trimmed; refuse an empty or short one.
pub fn read_token(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("unable to read token file '{}'", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.len() < 16 {
        bail!(
            "token file '{}' must hold a token of at least 16 characters on its first line",
            path.display()
        );
    }
    Ok(token)
}

/// Refuse settings that would expose the fleet: beyond loopback without a token, actions without one,
/// action names that are not plain unit names.
pub fn check_options(opts: &Options) -> Result<()> {
    if !opts.listen.ip().is_loopback() && opts.token.is_none() {
        bail!(
            "refusing to listen on {} without --token-file: beyond loopback every request must carry a token",
            opts.listen
        );
    }
    if !opts.allow_actions.is_empty() && opts.token.is_none() {
        bail!(
            "--allow-actions needs --token-file: service actions are only offered behind a token"
        );
    }
    for u in &opts.allow_actions {
        if !valid_unit(u) {
            bail!("invalid unit name {u:?} in --allow-actions (letters, digits and '@._-:' only)");
        }
    }
    Ok(())
}

/// A systemd unit name safe to pass as one argument.
#[must_use]
pub fn valid_unit(u: &str) -> bool {
    !u.is_empty()
        && u.len() <= 256
        && !u.starts_with('-')
        && u.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '_' | '-' | ':'))
}

/// One host as loaded: its latest snapshot and readiness, keyed by the file's identity.
#[derive(Debug)]
pub struct Entry {
    /// The latest snapshot.
    pub snap: Snapshot,
    /// Readiness against every profile.
    pub readiness: HostReadiness,
    key: FileKey,
}

/// Identity of a `latest.json`: inode, modification time (ns), size.
type FileKey = (u64, i128, u64);

/// A rendered exposition and the snapshot identities it came from.
type Rendered = (Vec<(String, FileKey)>, Arc<String>);

/// What every request shares.
#[derive(Debug)]
pub struct AppState {
    /// The inventory root.
    pub root: PathBuf,
    /// Its store.
    pub store: Store,
    /// Its telemetry.
    pub telemetry: TelemetryStore,
    /// Rollup bucket length, minutes.
    pub rollup_minutes: u32,
    /// Readiness rules (loaded at start).
    pub rules: ReadinessRules,
    /// Start options.
    pub opts: Options,
    /// Requests being answered (see [`MAX_IN_FLIGHT`]).
    in_flight: tokio::sync::Semaphore,
    /// The last `/metrics` text and the snapshot identities it was rendered from.
    metrics: Mutex<Option<Rendered>>,
    /// Latest snapshots by host, reloaded when `latest.json` changes (one entry per inventoried host).
    cache: Mutex<HashMap<String, Arc<Entry>>>,
}

/// A host name and its entry.
pub type Loaded = (String, Arc<Entry>);

/// Shared state handle.
pub type Shared = Arc<AppState>;

impl AppState {
    /// State over `root`.
    pub fn new(root: &Path, opts: Options) -> Result<Self> {
        let rules = ReadinessRules::load(root)?;
        let rollup_minutes = crate::config::telemetry::Config::load(root)
            .map(|c| c.rollup_minutes)
            .unwrap_or(5);
        Ok(Self {
            root: root.to_path_buf(),
            store: Store::new(root),
            telemetry: TelemetryStore::new(root),
            rollup_minutes,
            rules,
            opts,
            in_flight: tokio::sync::Semaphore::new(MAX_IN_FLIGHT),
            metrics: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Every host with its latest snapshot, sorted by name; hosts that cannot be read are listed in the
    /// second vector with the reason.
    pub fn fleet(&self) -> Result<(Vec<Loaded>, Vec<String>)> {
        let hosts = self.store.hosts()?;
        let mut out = Vec::with_capacity(hosts.len());
        let mut errors = Vec::new();
        for h in hosts {
            match self.entry(&h) {
                Ok(e) => out.push((h, e)),
                Err(e) => errors.push(format!("{e:#}")),
            }
        }
        // Forget hosts that went away, so the cache never outgrows the inventory.
        if let Ok(mut c) = self.cache.lock() {
            if c.len() > out.len() {
                c.retain(|k, _| out.iter().any(|(h, _)| h == k));
            }
        }
        Ok((out, errors))
    }

    /// The `/metrics` exposition of `fleet`, rendered again only when a snapshot changed.
    pub fn metrics_text(&self, fleet: &[Loaded]) -> Arc<String> {
        let keys: Vec<(String, FileKey)> = fleet.iter().map(|(h, e)| (h.clone(), e.key)).collect();
        if let Ok(m) = self.metrics.lock() {
            if let Some((_, text)) = m.as_ref().filter(|(k, _)| *k == keys) {
                return Arc::clone(text);
            }
        }
        let loaded: Vec<(String, Snapshot)> = fleet
            .iter()
            .map(|(h, e)| (h.clone(), e.snap.clone()))
            .collect();
        let text = Arc::new(crate::render::prometheus::render(
            &loaded,
            &self.rules,
            crate::render::prometheus::DEFAULT_PREFIX,
        ));
        if let Ok(mut m) = self.metrics.lock() {
            *m = Some((keys, Arc::clone(&text)));
        }
        text
    }

    /// One host's entry, from the cache when its `latest.json` is unchanged.
    pub fn entry(&self, host: &str) -> Result<Arc<Entry>> {
        let path = self.store.host_dir(host)?.join("latest.json");
        let meta = std::fs::metadata(&path);
        let key = meta.as_ref().ok().map(|m| {
            use std::os::unix::fs::MetadataExt;
            (
                m.ino(),
                i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
                m.size(),
            )
        });
        if let (Some(key), Ok(c)) = (key, self.cache.lock()) {
            if let Some(e) = c.get(host).filter(|e| e.key == key) {
                return Ok(Arc::clone(e));
            }
        }
        let snap = self.store.latest(host)?;
        let readiness = assess(&snap, &self.rules, &[]);
        let e = Arc::new(Entry {
            snap,
            readiness,
            key: key.unwrap_or_default(),
        });
        if let Ok(mut c) = self.cache.lock() {
            c.insert(host.to_string(), Arc::clone(&e));
        }
        Ok(e)
    }
}

/// Run the server until Ctrl-C or SIGTERM.
pub fn run(root: &Path, opts: Options) -> Result<()> {
    check_options(&opts)?;
    let state = Arc::new(AppState::new(root, opts.clone())?);
    // Load every snapshot once before answering, so the first page is as fast as the others.
    let (hosts, errors) = state.fleet()?;
    for e in &errors {
        eprintln!("warning: {e}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .enable_all()
        .build()
        .context("unable to start the async runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(opts.listen)
            .await
            .with_context(|| format!("unable to listen on {}", opts.listen))?;
        let addr = listener.local_addr().unwrap_or(opts.listen);
        eprintln!(
            "hwinv serve: http://{addr}/ ({} hosts{}{})",
            hosts.len(),
            if opts.token.is_some() {
                ", token required"
            } else {
                ""
            },
            if opts.allow_actions.is_empty() {
                String::new()
            } else {
                format!(", actions on {}", opts.allow_actions.join(" "))
            }
        );
        drop(hosts);
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown())
            .await
            .context("the server stopped")
    })
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
            return;
        }
    }
    let _ = ctrl_c.await;
}

/// Every route; the action routes only when units were named.
pub fn router(state: Shared) -> Router {
    let mut r = Router::new()
        .route("/", get(pages::fleet))
        .route("/hosts/{host}", get(pages::host))
        .route("/events", get(pages::events))
        .route("/metrics", get(api::metrics))
        .route("/api/hosts", get(api::hosts))
        .route("/api/hosts/{host}", get(api::host))
        .route("/api/metrics/system", get(api::system))
        .route("/api/metrics/system/history", get(api::history))
        .route("/api/docker/containers", get(api::containers))
        .route("/api/services", get(api::services))
        .route("/api/ollama/status", get(api::ollama))
        .route("/api/readiness", get(api::readiness))
        .route("/api/events", get(api::events));
    if !state.opts.allow_actions.is_empty() {
        r = r.route("/actions/{unit}/{verb}", post(api::action));
    }
    r.fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), auth))
        .with_state(state)
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

/// Compare without leaking the position of the first difference through timing.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The token a request carries: `Authorization: Bearer T`, or the `hwinv_token` cookie.
fn presented(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some(t) = v.strip_prefix("Bearer ") {
            return Some(t.trim().to_string());
        }
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix("hwinv_token=").map(str::to_string))
}

/// Every request: the token when one is configured (`?token=` sets the cookie and redirects to the same
/// page without it), and headers that keep browsers from sniffing or caching answers.
async fn auth(State(state): State<Shared>, req: Request, next: Next) -> Response {
    if let Some(want) = &state.opts.token {
        let query_token = req.uri().query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .map(api::pct_decode)
        });
        if let Some(t) = query_token {
            if !same(&t, want) {
                return unauthorized();
            }
            let rest: Vec<&str> = req
                .uri()
                .query()
                .unwrap_or("")
                .split('&')
                .filter(|kv| !kv.starts_with("token=") && !kv.is_empty())
                .collect();
            let mut to = req.uri().path().to_string();
            if !rest.is_empty() {
                to = format!("{to}?{}", rest.join("&"));
            }
            let cookie = format!("hwinv_token={t}; Path=/; HttpOnly; SameSite=Strict");
            let mut resp = (StatusCode::SEE_OTHER, "").into_response();
            if let (Ok(c), Ok(l)) = (HeaderValue::from_str(&cookie), HeaderValue::from_str(&to)) {
                resp.headers_mut().insert(header::SET_COOKIE, c);
                resp.headers_mut().insert(header::LOCATION, l);
            }
            return resp;
        }
        match presented(req.headers()) {
            Some(t) if same(&t, want) => {}
            _ => return unauthorized(),
        }
    }
    // Bounded work: at most MAX_IN_FLIGHT requests at once and REQUEST_TIMEOUT each, so a flood or a slow
    // disk cannot pile up tasks and memory.
    let Ok(_permit) = state.in_flight.try_acquire() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "busy: too many requests at once\n",
        )
            .into_response();
    };
    let mut resp = match tokio::time::timeout(REQUEST_TIMEOUT, next.run(req)).await {
        Ok(r) => r,
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "timed out\n").into_response(),
    };
    let h = resp.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    resp
}

fn unauthorized() -> Response {
    let mut r = (
        StatusCode::UNAUTHORIZED,
        "unauthorized: send 'Authorization: Bearer <token>' or open the page once with ?token=<token>\n",
    )
        .into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"hwinv\""),
    );
    r
}

/// Run blocking work (file reads, Parquet) off the async threads; an error becomes a 500 with one line.
pub async fn blocking<F>(f: F) -> Response
where
    F: FnOnce() -> Result<Response> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => error_response(&e),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response(),
    }
}

/// An error as a response: unknown hosts are 404, the rest 500; one line of text.
pub fn error_response(e: &anyhow::Error) -> Response {
    let msg = format!("{e:#}").replace('\n', " ");
    let code = if msg.starts_with("no host ") || msg.contains("invalid host name") {
        StatusCode::NOT_FOUND
    } else if msg.starts_with("invalid ") {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (code, format!("error: {msg}\n")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(listen: &str, token: bool, actions: &[&str]) -> Options {
        Options {
            listen: listen.parse().unwrap(),
            token: token.then(|| "0123456789abcdef".into()),
            allow_actions: actions.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn exposure_needs_a_token() {
        assert!(check_options(&opts("127.0.0.1:1", false, &[])).is_ok());
        assert!(check_options(&opts("[::1]:1", false, &[])).is_ok());
        let e = check_options(&opts("0.0.0.0:1", false, &[])).unwrap_err();
        assert!(e.to_string().contains("without --token-file"));
        assert!(check_options(&opts("0.0.0.0:1", true, &[])).is_ok());
        assert!(check_options(&opts("127.0.0.1:1", false, &["ollama.service"])).is_err());
        assert!(check_options(&opts("127.0.0.1:1", true, &["-x"])).is_err());
        assert!(check_options(&opts("127.0.0.1:1", true, &["ollama.service"])).is_ok());
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
