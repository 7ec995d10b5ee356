//! `serve`: the original three CGIs (form, graph, saveimage) as one small web app. Plain HTML
//! and CSS, no JavaScript: a list of monitors and keys with a search box, a page per key with
//! the four range graphs and a custom range form, images rendered on the fly (cached by the
//! RRD's modification time) that can be saved, and links to the CSV/JSON export.
//!
//! Key names in URLs are looked up among the keys of srcdest.txt; nothing else reaches a
//! file path.

use crate::export;
use crate::graph::{self, Format};
use crate::key::Key;
use crate::window::{format_time, parse_time};
use anyhow::{Context, Result};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Images kept in memory at most; the cache is emptied when full.
const CACHE_ENTRIES: usize = 512;

/// Renders and exports run off the async threads; at most this many are running or waiting
/// at once. Past that a request gets 503 with Retry-After, so load never piles up memory.
const BLOCKING_SLOTS: usize = 16;

/// How long a client waits for a render or an export before it gets 503.
const BLOCKING_TIMEOUT: Duration = Duration::from_secs(30);

struct App {
    rrd: PathBuf,
    keys: Mutex<KeyList>,
    images: Mutex<HashMap<String, CachedImage>>,
    slots: Arc<tokio::sync::Semaphore>,
}

/// A rendered PNG and the modification time of the RRD it was drawn from.
type CachedImage = (SystemTime, Arc<Vec<u8>>);

/// One graph on a key page: caption, image URL, and the time span for its export links.
struct Figure {
    caption: String,
    src: String,
    span: Option<(i64, i64)>,
}

/// The keys of srcdest.txt, re-read when the file changes (the nightly update adds keys).
struct KeyList {
    read_at: Option<SystemTime>,
    keys: Vec<Key>,
}

impl App {
    fn keys(&self) -> Vec<Key> {
        let path = self.rrd.join("srcdest.txt");
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let mut list = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if list.read_at != modified || modified.is_none() {
            list.keys = crate::scan::read_srcdest(&path, None);
            list.read_at = modified;
        }
        list.keys.clone()
    }

    fn key(&self, name: &str) -> Option<Key> {
        self.keys().into_iter().find(|k| k.to_string() == name)
    }

    /// Runs librrd work on the blocking pool, within [`BLOCKING_SLOTS`] and
    /// [`BLOCKING_TIMEOUT`]; the slot is held until the work itself ends.
    async fn off_thread<T: Send + 'static>(
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
/// (with the port the system chose for port 0) on stderr.
pub fn serve(rrd: PathBuf, listen: SocketAddr) -> Result<()> {
    let app = Arc::new(App {
        rrd,
        keys: Mutex::new(KeyList {
            read_at: None,
            keys: Vec::new(),
        }),
        images: Mutex::new(HashMap::new()),
        slots: Arc::new(tokio::sync::Semaphore::new(BLOCKING_SLOTS)),
    });
    let router = Router::new()
        .route("/", get(index))
        .route("/style.css", get(style))
        .route("/key/{key}", get(key_page))
        .route("/graph/{key}/{image}", get(image))
        .route("/export/{file}", get(export_rows))
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header><a href=\"/\">PingER smoke graphs</a></header><main>{body}</main></body></html>\n",
        escape(title)
    ))
}

fn not_found(what: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        page("Not found", &format!("<p>{}</p>", escape(what))),
    )
        .into_response()
}

#[derive(Deserialize)]
struct Search {
    q: Option<String>,
}

async fn index(State(app): State<Arc<App>>, Query(search): Query<Search>) -> Html<String> {
    let q = search.q.unwrap_or_default();
    let needle = q.to_lowercase();
    let keys = app.keys();
    let mut body = format!(
        "<form class=\"search\" action=\"/\" method=\"get\"><input type=\"search\" name=\"q\" \
         value=\"{}\" placeholder=\"monitor, remote or size\" aria-label=\"search\">\
         <button>Search</button></form>",
        escape(&q)
    );
    let mut by_monitor: Vec<(&str, Vec<&Key>)> = Vec::new();
    for key in keys
        .iter()
        .filter(|k| needle.is_empty() || k.to_string().to_lowercase().contains(&needle))
    {
        match by_monitor.last_mut() {
            Some((m, list)) if *m == key.monitor => list.push(key),
            _ => by_monitor.push((&key.monitor, vec![key])),
        }
    }
    if by_monitor.is_empty() {
        body.push_str("<p>No key matches.</p>");
    }
    let shown: usize = by_monitor.iter().map(|(_, l)| l.len()).sum();
    let _ = write!(
        body,
        "<p class=\"count\">{shown} of {} keys</p>",
        keys.len()
    );
    for (monitor, list) in by_monitor {
        let _ = write!(body, "<section><h2>{}</h2><ul>", escape(monitor));
        for key in list {
            let _ = write!(
                body,
                "<li><a href=\"/key/{k}\">{remote}</a> <span class=\"size\">{bytes} bytes</span></li>",
                k = escape(&key.to_string()),
                remote = escape(&key.remote),
                bytes = key.bytes
            );
        }
        body.push_str("</ul></section>");
    }
    page("PingER smoke graphs", &body)
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

/// A 400 naming what was wrong with the request.
fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("bad request: {message}\n")).into_response()
}

async fn key_page(
    State(app): State<Arc<App>>,
    UrlPath(name): UrlPath<String>,
    Query(range): Query<Range>,
) -> Response {
    let Some(key) = app.key(&name) else {
        return not_found("No such key.");
    };
    let k = escape(&name);
    let mut body = format!(
        "<h1>{} &rarr; {} <span class=\"size\">{} bytes</span></h1>",
        escape(&key.monitor),
        escape(&key.remote),
        key.bytes
    );
    let last = crate::store::last_update(&key.rrd_path(&app.rrd)).ok();
    if let Some(last) = last {
        let _ = write!(
            body,
            "<p class=\"count\">last sample {}</p>",
            format_time(last)
        );
    }
    let (start_value, end_value) = (
        range.start.clone().unwrap_or_default(),
        range.end.clone().unwrap_or_default(),
    );
    let _ = write!(
        body,
        "<form class=\"range\" action=\"/key/{k}\" method=\"get\">\
         <label>From <input type=\"date\" name=\"start\" value=\"{}\"></label>\
         <label>to <input type=\"date\" name=\"end\" value=\"{}\"></label>\
         <button>Show</button></form>",
        escape(&start_value),
        escape(&end_value)
    );
    let mut figures: Vec<Figure> = Vec::new();
    let mut status = StatusCode::OK;
    match range.custom() {
        Ok(Some((start, end))) => figures.push(Figure {
            caption: format!("{} to {}", format_time(start), format_time(end)),
            src: format!("/graph/{k}/custom.png?start={start}&amp;end={end}"),
            span: Some((start, end)),
        }),
        Ok(None) => {}
        Err(message) => {
            status = StatusCode::BAD_REQUEST;
            let _ = write!(
                body,
                "<p class=\"error\">{}: give a start before the end, as dates.</p>",
                escape(&message)
            );
        }
    }
    for (label, days) in graph::RANGES {
        figures.push(Figure {
            caption: format!("Last {days} days"),
            src: format!("/graph/{k}/{label}.png"),
            span: last.map(|l| (l - days * 86_400, l)),
        });
    }
    for Figure { caption, src, span } in figures {
        let query = span.map_or(String::new(), |(s, e)| format!("?start={s}&amp;end={e}"));
        let save = if src.contains('?') {
            format!("{src}&amp;download=1")
        } else {
            format!("{src}?download=1")
        };
        let _ = write!(
            body,
            "<figure><figcaption>{caption}</figcaption><img src=\"{src}\" alt=\"{caption} graph\" \
             width=\"697\"><p class=\"links\"><a href=\"{save}\">save image</a> \
             <a href=\"/export/{k}.csv{query}\">CSV</a> <a href=\"/export/{k}.json{query}\">JSON</a></p></figure>"
        );
    }
    (
        status,
        page(&format!("{} to {}", key.monitor, key.remote), &body),
    )
        .into_response()
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
    let (start, end) = if which == "custom" {
        match range.custom() {
            Ok(Some(r)) => r,
            Ok(None) => return bad_request("start and end are needed"),
            Err(message) => return bad_request(&message),
        }
    } else {
        let Some((_, days)) = graph::RANGES.iter().find(|r| r.0 == which) else {
            return not_found("No such range.");
        };
        let Ok(last) = crate::store::last_update(&path) else {
            return not_found("The RRD file cannot be read.");
        };
        (last - days * 86_400, last)
    };
    let cache_key = format!("{name}/{start}/{end}");
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
                        width: 600,
                        height: 200,
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
    let result = app
        .off_thread(move || -> Result<(Vec<u8>, String)> {
            let (start, end) = match custom {
                Some(r) => r,
                None => {
                    let last = crate::store::last_update(&path)?;
                    (last - 120 * 86_400, last)
                }
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
    ([(header::CONTENT_TYPE, "text/css")], STYLE)
}

const STYLE: &str = "\
body{margin:0;font:16px/1.4 system-ui,sans-serif;color:#222;background:#fafafa}\
header{background:#234;padding:.6em 1em}header a{color:#fff;text-decoration:none;font-weight:600}\
main{max-width:760px;margin:0 auto;padding:0 .8em 2em}\
h1{font-size:1.25em;margin:1em 0 .2em}h2{font-size:1.05em;margin:1.2em 0 .3em}\
ul{list-style:none;padding:0;margin:0}li{padding:.35em 0;border-bottom:1px solid #e4e4e4}\
a{color:#0645ad}.size,.count{color:#666;font-size:.9em}\
form{display:flex;flex-wrap:wrap;gap:.5em;margin:1em 0}\
input,button{font:inherit;padding:.4em .6em;border:1px solid #bbb;border-radius:4px}\
input[type=search]{flex:1;min-width:10em}button{background:#234;color:#fff;border-color:#234}\
figure{margin:1.2em 0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em}\
figcaption{font-weight:600;margin-bottom:.3em}img{max-width:100%;height:auto;display:block}\
.links a{margin-right:1em;font-size:.9em}.error{color:#a00}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_download_names_are_safe() {
        assert_eq!(
            escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(key_file_stem("a/b\"c_1.png"), "a_b_c_1.png");
    }
}
