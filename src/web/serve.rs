//! `serve`: the original three CGIs (form, graph, saveimage) as one small web app. Plain HTML
//! and CSS, no JavaScript. The routes:
//!
//! - `/`: the monitors and their keys, with a search box (`?q=`);
//! - `/key/<key>`: a key's four range graphs and a custom range form;
//! - `/graph/<key>/<2d|10d|30d|120d|custom|overview|spark>.png`: images rendered on the fly,
//!   cached by the RRD's modification time (`?download=1` to save one);
//! - `/export/<key>.csv|.json`: the rows behind a graph;
//! - `/matrix`, `/worst`, `/monitor/<monitor>`: the whole network at a glance;
//! - `/style.css`.
//!
//! Key names in URLs are looked up among the keys of srcdest.txt; nothing else reaches a
//! file path. The HTML is `pages`'.

use crate::model::key::{self, Key};
use crate::model::window::{format_time, parse_period, parse_time};
use crate::model::Choice;
use crate::rrd::srcdest;
use crate::show::export;
use crate::show::graph::{self, Format};
use crate::show::summary::{self, Figures};
use crate::show::time_range;
use crate::web::pages::{self, Column, Figure, Metric, NetForm, Worst};
use anyhow::{Context, Result};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Images kept in memory at most; the cache is emptied when full.
const CACHE_ENTRIES: usize = 512;

/// Figures kept in memory at most (a few periods of 20,000 keys); emptied when full.
const FIGURES_ENTRIES: usize = 200_000;

/// Renders and exports run off the async threads; at most this many are running or waiting
/// at once. Past that a request gets 503 with Retry-After, so load never piles up memory.
const BLOCKING_SLOTS: usize = 16;

/// How long a client waits for a render or an export before it gets 503.
const BLOCKING_TIMEOUT: Duration = Duration::from_secs(30);

/// The web app's state: the tree, its keys and the caches.
pub(super) struct App {
    pub(super) rrd: PathBuf,
    /// Days of the window: what an export gives when no range is asked for.
    days: i64,
    keys: Mutex<KeyList>,
    images: Mutex<HashMap<String, CachedImage>>,
    figures: Mutex<HashMap<FiguresKey, CachedFigures>>,
    slots: Arc<tokio::sync::Semaphore>,
    /// The esmond archive's view of the keys (see `web::esmond`).
    pub(super) esmond: Mutex<crate::web::esmond::Index>,
}

/// A key's figures over a period ending at a given time (or at its last update).
type FiguresKey = (String, i64, Option<i64>);

/// Figures and the modification time of the RRD they were read from.
type CachedFigures = (SystemTime, Figures);

/// A rendered PNG and the modification time of the RRD it was drawn from.
type CachedImage = (SystemTime, Arc<Vec<u8>>);

/// The keys of srcdest.txt, re-read when the file changes (the nightly update adds keys).
struct KeyList {
    read_at: Option<SystemTime>,
    keys: Arc<Vec<Key>>,
}

impl App {
    /// The keys of srcdest.txt, as last read.
    pub(super) fn keys(&self) -> Arc<Vec<Key>> {
        let path = self.rrd.join(srcdest::FILE);
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let mut list = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if list.read_at != modified || modified.is_none() {
            list.keys = Arc::new(crate::rrd::srcdest::read(&path, None));
            list.read_at = modified;
        }
        list.keys.clone()
    }

    fn key(&self, name: &str) -> Option<Key> {
        key::find(&self.keys(), name).cloned()
    }

    /// The figures of `keys`, from the cache where the file has not changed since, the rest
    /// read in parallel. Keys whose file cannot be read are left out.
    fn figures(&self, keys: &[Key], period: i64, end: Option<i64>) -> Vec<Figures> {
        let wanted: Vec<(&Key, Option<i64>)> = keys.iter().map(|k| (k, end)).collect();
        self.figures_ending(&wanted, period)
            .into_iter()
            .flatten()
            .collect()
    }

    /// The figures of each (key, end), in order: `None` where the file cannot be read.
    fn figures_ending(&self, wanted: &[(&Key, Option<i64>)], period: i64) -> Vec<Option<Figures>> {
        let stamps: Vec<Option<SystemTime>> = wanted
            .par_iter()
            .map(|(k, _)| {
                std::fs::metadata(k.rrd_path(&self.rrd))
                    .and_then(|m| m.modified())
                    .ok()
            })
            .collect();
        let cache_key = |(k, end): &(&Key, Option<i64>)| (k.to_string(), period, *end);
        let mut found: Vec<Option<Figures>> = {
            let cache = self.figures.lock().unwrap_or_else(|p| p.into_inner());
            wanted
                .iter()
                .zip(&stamps)
                .map(|(w, stamp)| {
                    let (at, f) = cache.get(&cache_key(w))?;
                    (Some(*at) == *stamp).then(|| f.clone())
                })
                .collect()
        };
        let missing: Vec<usize> = (0..wanted.len()).filter(|&i| found[i].is_none()).collect();
        let read: Vec<(usize, Option<Figures>)> = missing
            .par_iter()
            .map(|&i| {
                let (key, end) = wanted[i];
                (i, summary::figures(&self.rrd, key, period, end).ok())
            })
            .collect();
        let mut cache = self.figures.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() + read.len() > FIGURES_ENTRIES {
            cache.clear();
        }
        for (i, f) in read {
            if let (Some(f), Some(stamp)) = (&f, stamps[i]) {
                cache.insert(cache_key(&wanted[i]), (stamp, f.clone()));
            }
            found[i] = f;
        }
        found
    }

    /// Runs librrd work on the blocking pool, within [`BLOCKING_SLOTS`] and
    /// [`BLOCKING_TIMEOUT`]; the slot is held until the work itself ends.
    pub(super) async fn off_thread<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Response> {
        let Ok(slot) = self.slots.clone().try_acquire_owned() else {
            return Err(unavailable("busy drawing graphs"));
        };
        let task = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work()
        });
        match tokio::time::timeout(BLOCKING_TIMEOUT, task).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err((StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()),
            Err(_) => Err(unavailable("timed out")),
        }
    }
}

/// 503 with a Retry-After, for overload.
fn unavailable(why: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "2")],
        format!("{why}; try again in a moment\n"),
    )
        .into_response()
}

/// Serves the RRD tree `rrd` on `listen` until the process is stopped. Prints the address
/// (with the port the system chose for port 0) on stderr. `days` is the window of an export
/// without a range.
pub fn serve(rrd: PathBuf, listen: SocketAddr, days: i64) -> Result<()> {
    let app = Arc::new(App {
        rrd,
        days,
        keys: Mutex::new(KeyList {
            read_at: None,
            keys: Arc::new(Vec::new()),
        }),
        images: Mutex::new(HashMap::new()),
        figures: Mutex::new(HashMap::new()),
        slots: Arc::new(tokio::sync::Semaphore::new(BLOCKING_SLOTS)),
        esmond: Mutex::new(crate::web::esmond::Index::default()),
    });
    let router = Router::new()
        .route("/", get(index))
        .route("/style.css", get(style))
        .route("/key/{key}", get(key_page))
        .route("/graph/{key}/{image}", get(image))
        .route("/export/{file}", get(export_rows))
        .route("/matrix", get(matrix_page))
        .route("/worst", get(worst_page))
        .route("/monitor/{monitor}", get(monitor_page))
        .merge(crate::web::esmond::routes())
        .with_state(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot start the web server")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr()?;
        crate::say!("serve: listening on http://{address}/");
        axum::serve(listener, router)
            .await
            .context("web server failed")
    })
}

/// An HTML page as a response.
fn html(markup: maud::Markup) -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, html(pages::not_found(what))).into_response()
}

/// A 400 naming what was wrong with the request.
fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("bad request: {message}\n")).into_response()
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
}

async fn index(State(app): State<Arc<App>>, Query(search): Query<Search>) -> Response {
    html(pages::index(&app.keys(), &search.q.unwrap_or_default()))
}

#[derive(Deserialize)]
struct Range {
    start: Option<String>,
    end: Option<String>,
    download: Option<String>,
}

impl Range {
    fn custom(&self) -> Result<Option<(i64, i64)>, String> {
        custom_range(self.start.as_deref(), self.end.as_deref())
    }
}

/// The custom range of a request's `start` and `end` parameters: `None` when neither is
/// given, an error (for a 400) when one is missing or not a time, or when the start is not
/// before the end.
pub fn custom_range(start: Option<&str>, end: Option<&str>) -> Result<Option<(i64, i64)>, String> {
    fn given(v: Option<&str>) -> Option<&str> {
        v.filter(|s| !s.trim().is_empty())
    }
    let (start, end) = match (given(start), given(end)) {
        (None, None) => return Ok(None),
        (Some(start), Some(end)) => (start, end),
        _ => return Err("give both a start and an end".into()),
    };
    let start = parse_time(start).map_err(|e| format!("start: {e}"))?;
    let end = parse_time(end).map_err(|e| format!("end: {e}"))?;
    if start >= end {
        return Err("the start must be before the end".into());
    }
    Ok(Some((start, end)))
}

/// The parameters of the network pages (matrix, worst paths), as given.
#[derive(Deserialize, Default)]
struct NetQuery {
    period: Option<String>,
    start: Option<String>,
    end: Option<String>,
    bytes: Option<String>,
    metric: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    format: Option<String>,
    limit: Option<String>,
}

/// The network pages' parameters, checked.
struct Net {
    period: i64,
    end: Option<i64>,
    bytes: Option<u32>,
    /// The query string that reproduces these (for links), not yet escaped for HTML.
    query: String,
    /// The form's period, start and end, as given.
    form: (String, String, String),
}

impl Net {
    /// The form of a page at `action`, filled in as given.
    fn form<'a>(&'a self, action: &'a str) -> NetForm<'a> {
        NetForm {
            action,
            period: &self.form.0,
            start: &self.form.1,
            end: &self.form.2,
            bytes: self.bytes,
        }
    }
}

impl NetQuery {
    fn net(&self, default_period: &str) -> Result<Net, String> {
        let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        let period_text = given(&self.period).unwrap_or_else(|| default_period.to_string());
        let mut period = parse_period(&period_text).map_err(|e| format!("period: {e}"))?;
        let mut end = None;
        let mut query = format!("period={period_text}");
        if let Some((s, e)) = custom_range(self.start.as_deref(), self.end.as_deref())? {
            if e - s > summary::MAX_PERIOD {
                return Err("a range is at most 366 days".into());
            }
            period = e - s;
            end = Some(e);
            query = format!("start={s}&end={e}");
        }
        let bytes = match given(&self.bytes) {
            None => None,
            Some(b) => Some(
                b.parse::<u32>()
                    .map_err(|_| format!("bytes `{b}` is not a packet size"))?,
            ),
        };
        if let Some(b) = bytes {
            query.push_str(&format!("&bytes={b}"));
        }
        Ok(Net {
            period,
            end,
            bytes,
            query,
            form: (
                period_text,
                given(&self.start).unwrap_or_default(),
                given(&self.end).unwrap_or_default(),
            ),
        })
    }
}

/// The period the network pages show unless asked otherwise, the same on each.
const DEFAULT_PERIOD: &str = "7d";

/// The keys of the network pages: all, or one packet size.
fn net_keys(app: &App, net: &Net) -> Vec<Key> {
    app.keys()
        .iter()
        .filter(|k| net.bytes.is_none_or(|b| k.bytes == b))
        .cloned()
        .collect()
}

async fn matrix_page(State(app): State<Arc<App>>, Query(q): Query<NetQuery>) -> Response {
    let net = match q.net(DEFAULT_PERIOD) {
        Ok(net) => net,
        Err(message) => return bad_request(&message),
    };
    let Ok(metric) = Metric::from_name(q.metric.as_deref().unwrap_or("loss")) else {
        return bad_request("metric is `loss` or `rtt`");
    };
    let page = match q.page.as_deref().map(str::parse::<usize>) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(_)) => return bad_request("page is a number"),
    };
    let keys = net_keys(&app, &net);
    let worker = app.clone();
    let (period, end) = (net.period, net.end);
    let started = std::time::Instant::now();
    let figures = match app
        .off_thread(move || worker.figures(&keys, period, end))
        .await
    {
        Ok(f) => f,
        Err(response) => return response,
    };
    let seconds = started.elapsed().as_secs_f64();
    let query = format!("{}&metric={metric}", net.query);
    html(pages::matrix_page(
        &net.form("/matrix"),
        &figures,
        metric,
        page,
        &query,
        seconds,
    ))
}

async fn worst_page(State(app): State<Arc<App>>, Query(q): Query<NetQuery>) -> Response {
    let net = match q.net(DEFAULT_PERIOD) {
        Ok(net) => net,
        Err(message) => return bad_request(&message),
    };
    let Ok(column) = Column::from_name(q.sort.as_deref().unwrap_or("loss")) else {
        return bad_request("sort is one of monitor, remote, bytes, loss, median, change, samples");
    };
    let descending = match q.order.as_deref() {
        None | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return bad_request("order is `asc` or `desc`"),
    };
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=20_000).contains(&n) => n,
        _ => return bad_request("limit is a number from 1 to 20000"),
    };
    let csv = match q.format.as_deref() {
        None | Some("html") => false,
        Some("csv") => true,
        Some(_) => return bad_request("format is `html` or `csv`"),
    };
    let keys = net_keys(&app, &net);
    let worker = app.clone();
    let (period, end) = (net.period, net.end);
    let rows = app
        .off_thread(move || {
            let now = worker.figures(&keys, period, end);
            // The previous period of the same length, per key: it ends where this one starts.
            let by_name: HashMap<String, &Key> = keys.iter().map(|k| (k.to_string(), k)).collect();
            let wanted: Vec<(&Key, Option<i64>)> = now
                .iter()
                .filter_map(|f| Some((*by_name.get(&f.key)?, Some(f.start))))
                .collect();
            let before = worker.figures_ending(&wanted, period);
            now.into_iter()
                .zip(before)
                .map(|(f, b)| {
                    let change = f
                        .loss_pct
                        .zip(b.and_then(|b| b.loss_pct))
                        .map(|(a, b)| a - b);
                    Worst { now: f, change }
                })
                .collect::<Vec<Worst>>()
        })
        .await;
    let mut rows = match rows {
        Ok(rows) => rows,
        Err(response) => return response,
    };
    pages::sort(&mut rows, column, descending);
    rows.truncate(limit);
    if csv {
        return (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"worst-paths.csv\"",
                ),
            ],
            pages::worst_csv(&rows),
        )
            .into_response();
    }
    html(pages::worst_page(
        &net.form("/worst"),
        &rows,
        column,
        descending,
        limit,
        &net.query,
    ))
}

async fn monitor_page(State(app): State<Arc<App>>, UrlPath(monitor): UrlPath<String>) -> Response {
    let keys: Vec<Key> = app
        .keys()
        .iter()
        .filter(|k| k.monitor == monitor)
        .cloned()
        .collect();
    if keys.is_empty() {
        return not_found("No such monitor.");
    }
    html(pages::monitor_page(&monitor, &keys))
}

async fn key_page(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
    Query(range): Query<Range>,
) -> Response {
    let Some(key) = app.key(&name) else {
        return not_found("No such key.");
    };
    let last = crate::rrd::store::last_update(&key.rrd_path(&app.rrd)).ok();
    let mut figures: Vec<Figure> = Vec::new();
    let mut error = None;
    match range.custom() {
        Ok(Some((start, end))) => figures.push(Figure {
            caption: format!("{} to {}", format_time(start), format_time(end)),
            src: format!("/graph/{name}/custom.png?start={start}&end={end}"),
            span: Some((start, end)),
        }),
        Ok(None) => {}
        Err(message) => error = Some(message),
    }
    for (label, days) in graph::RANGES {
        figures.push(Figure {
            caption: format!("Last {days} days"),
            src: format!("/graph/{name}/{label}.png"),
            span: last.map(|l| (l - days * 86_400, l)),
        });
    }
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let form = (
        range.start.as_deref().unwrap_or_default(),
        range.end.as_deref().unwrap_or_default(),
    );
    let last = last.map(format_time);
    let markup = pages::key_page(&key, last.as_deref(), form, error.as_deref(), &figures);
    (status, html(markup)).into_response()
}

async fn image(
    State(app): State<Arc<App>>,
    UrlPath((name, file)): UrlPath<(String, String)>,
    Query(range): Query<Range>,
) -> Response {
    let Some(key) = app.key(&name) else {
        return not_found("No such key.");
    };
    let Some(which) = file.strip_suffix(".png") else {
        return not_found("Images are PNG.");
    };
    let path = key.rrd_path(&app.rrd);
    let Ok(modified) = std::fs::metadata(&path).and_then(|m| m.modified()) else {
        return not_found("The key has no RRD file.");
    };
    // Detail graphs for the four ranges and a custom one; a monitor overview's small graph
    // (10 days); a worst-paths row's sparkline (a custom range, or 7 days).
    let (style, default_days) = match which {
        "overview" => (graph::Style::Overview, Some(10)),
        "spark" => (graph::Style::Sparkline, Some(7)),
        "custom" => (graph::Style::Detail, None),
        _ => match graph::RANGES.iter().find(|r| r.0 == which) {
            Some((_, days)) => (graph::Style::Detail, Some(*days)),
            None => return not_found("No such range."),
        },
    };
    let custom = match range.custom() {
        Ok(custom) => custom,
        Err(message) => return bad_request(&message),
    };
    let (start, end) = if let Some(r) = custom.filter(|_| matches!(which, "custom" | "spark")) {
        r
    } else if which == "custom" {
        return bad_request("start and end are needed");
    } else {
        let days = default_days.unwrap_or(10);
        let Ok(range) = time_range(&path, None, None, days) else {
            return not_found("The RRD file cannot be read.");
        };
        range
    };
    let cache_key = format!("{name}/{which}/{start}/{end}");
    let cached = app
        .images
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&cache_key)
        .filter(|(at, _)| *at == modified)
        .map(|(_, image)| image.clone());
    let image = match cached {
        Some(image) => image,
        None => {
            let rendered = app
                .off_thread(move || {
                    graph::render(&graph::Request {
                        key: &key,
                        file: &path,
                        start,
                        end,
                        format: Format::Png,
                        style,
                    })
                })
                .await;
            let image = match rendered {
                Ok(Ok(image)) => Arc::new(image),
                Ok(Err(e)) => {
                    return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response()
                }
                Err(response) => return response,
            };
            let mut images = app.images.lock().unwrap_or_else(|p| p.into_inner());
            if images.len() >= CACHE_ENTRIES {
                images.clear();
            }
            images.insert(cache_key, (modified, image.clone()));
            image
        }
    };
    let mut response = (
        [(header::CONTENT_TYPE, "image/png")],
        image.as_ref().clone(),
    )
        .into_response();
    if range.download.is_some() {
        let name = format!(
            "attachment; filename=\"{}_{start}_{end}.png\"",
            key_file_stem(&name)
        );
        if let Ok(value) = name.parse() {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}

/// A key name made safe for a download file name.
pub fn key_file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

async fn export_rows(
    State(app): State<Arc<App>>,
    UrlPath(file): UrlPath<String>,
    Query(range): Query<Range>,
) -> Response {
    let (name, format) = if let Some(n) = file.strip_suffix(".csv") {
        (n, export::Format::Csv)
    } else if let Some(n) = file.strip_suffix(".json") {
        (n, export::Format::Json)
    } else {
        return not_found("Exports are .csv or .json.");
    };
    let Some(key) = app.key(name) else {
        return not_found("No such key.");
    };
    let path = key.rrd_path(&app.rrd);
    let custom = match range.custom() {
        Ok(custom) => custom,
        Err(message) => return bad_request(&message),
    };
    let days = app.days;
    let result = app
        .off_thread(move || -> Result<(Vec<u8>, String)> {
            let (start, end) = match custom {
                Some(r) => r,
                None => time_range(&path, None, None, days)?,
            };
            let rows = export::rows(&key, &path, start, end)?;
            let mut out = Vec::new();
            export::write(&mut out, &key, &rows, format)?;
            Ok((out, export::file_name(&key, start, end, format)))
        })
        .await;
    match result {
        Ok(Ok((body, file_name))) => {
            let mime = match format {
                export::Format::Csv => "text/csv; charset=utf-8",
                export::Format::Json => "application/json",
            };
            let disposition = format!("inline; filename=\"{}\"", key_file_stem(&file_name));
            (
                [
                    (header::CONTENT_TYPE, mime.to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response()
        }
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")).into_response(),
        Err(response) => response,
    }
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css")], pages::STYLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_are_safe() {
        assert_eq!(key_file_stem("a/b\"c_1.png"), "a_b_c_1.png");
    }
}
