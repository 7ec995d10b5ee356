//! esmond's perfSONAR archive REST API over the RRD tree, under the prefix the esmond clients
//! hard-wire, `/esmond/perfsonar/archive/` (the mapping of keys and slots is
//! `show::esmond`'s):
//!
//! - `/` : the metadata list, with esmond's filters and paging (1,500 a page by default;
//!   `metadata-count-total` and the page links on the first object; a `Link` header);
//! - `/<metadata-key>/`: one metadata object;
//! - `/<metadata-key>/<event-type>/`: that event type's object, in a list;
//! - `/<metadata-key>/<event-type>/<base|aggregations|statistics>[/<window>]`: data, sorted by
//!   `ts`, `time-start`/`time-end` inclusive, `limit` and `offset` honoured; a summary type
//!   without a window lists its windows. `…/base/0` (perfSONAR 5's base URIs) is base too.
//!
//! Answers are `Content-Type: application/json` exactly: the clients drop anything else. A
//! bad request gets esmond's `400 {"detail": …}`. No request reads more than one key's file;
//! the list reads each key's last update, cached by the file's modification time.

use crate::model::key::Key;
use crate::model::Choice;
use crate::show::esmond::{
    self, event_type_list, event_type_object, metadata_fields, EventType, SummaryType, PREFIX,
};
use crate::web::serve::App;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

/// A page when the request names no `limit` (esmond's `PSPaginator.default_limit`).
pub const DEFAULT_LIMIT: usize = 1500;

/// The largest `limit` answered; above it a request is refused, so that no answer is
/// unbounded (esmond itself reads up to a million points).
pub const MAX_LIMIT: usize = 10_000;

/// The esmond routes, for `serve`'s router.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(PREFIX, get(metadata_list))
        .route(&format!("{PREFIX}/"), get(metadata_list))
        .route(&format!("{PREFIX}/{{mkey}}"), get(metadata_detail))
        .route(&format!("{PREFIX}/{{mkey}}/"), get(metadata_detail))
        .route(&format!("{PREFIX}/{{mkey}}/{{et}}"), get(event_type_detail))
        .route(
            &format!("{PREFIX}/{{mkey}}/{{et}}/"),
            get(event_type_detail),
        )
        .route(&format!("{PREFIX}/{{mkey}}/{{et}}/{{summary}}"), get(data))
        .route(&format!("{PREFIX}/{{mkey}}/{{et}}/{{summary}}/"), get(data))
        .route(
            &format!("{PREFIX}/{{mkey}}/{{et}}/{{summary}}/{{window}}"),
            get(data_window),
        )
        .route(
            &format!("{PREFIX}/{{mkey}}/{{et}}/{{summary}}/{{window}}/"),
            get(data_window),
        )
}

/// What the list needs of each key, kept between requests: its metadata key and path,
/// its last update (from the tree's list of last updates, `rrd::updates`, re-read when that
/// file changes; from the file itself, cached by its modification time, for a key the list
/// lacks), the remotes' addresses, and each key's metadata object as JSON text.
#[derive(Default)]
pub(super) struct Index {
    /// The key list these were made from (the same `Arc` while srcdest.txt is unchanged).
    from: Option<Arc<Vec<Key>>>,
    /// Per key of `from`, in its order.
    entries: Vec<Entry>,
    by_mkey: HashMap<String, usize>,
    /// The tree's step, from its first readable file (a tree has one layout, as SmokePing's
    /// one Database section requires).
    step: Option<i64>,
    /// `rrd::updates`' list, and the modification time of the file it was read from.
    updates: (Option<SystemTime>, std::collections::BTreeMap<String, i64>),
    /// `rrd::addresses`' list, likewise.
    addresses: (
        Option<SystemTime>,
        std::collections::BTreeMap<String, String>,
    ),
}

/// One key's entry.
struct Entry {
    mkey: String,
    path: String,
    /// A last update read from the file itself, and the file's modification time then.
    own: Option<(SystemTime, i64)>,
    /// The metadata object as JSON text, and the last update it shows.
    json: Option<(i64, Arc<str>)>,
}

impl Index {
    /// Makes the entries again when the key list changed.
    fn refresh(&mut self, keys: &Arc<Vec<Key>>) {
        if self
            .from
            .as_ref()
            .is_some_and(|from| Arc::ptr_eq(from, keys))
        {
            return;
        }
        self.entries = keys
            .iter()
            .map(|k| Entry {
                mkey: esmond::metadata_key(k),
                path: k.relative_path(),
                own: None,
                json: None,
            })
            .collect();
        self.by_mkey = (self.entries.iter().enumerate())
            .map(|(i, e)| (e.mkey.clone(), i))
            .collect();
        self.from = Some(keys.clone());
    }
}

/// Re-reads a list beside the RRDs when its file changed.
fn reread<T: Default>(
    rrd: &std::path::Path,
    name: &str,
    list: &mut (Option<SystemTime>, T),
    read: impl FnOnce() -> T,
) {
    let at = std::fs::metadata(rrd.join(name))
        .and_then(|m| m.modified())
        .ok();
    if at.is_none() || at != list.0 {
        *list = (at, if at.is_some() { read() } else { T::default() });
    }
}

/// A JSON answer with esmond's content type, exactly.
fn json_response(
    status: StatusCode,
    body: Vec<u8>,
    extra: Option<(&'static str, String)>,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
    if let Some((name, value)) = extra {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

fn ok(value: &Value) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_vec(value).unwrap_or_default(),
        None,
    )
}

/// esmond's 400: `{"detail": …}`.
fn bad(detail: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        serde_json::to_vec(&json!({ "detail": detail })).unwrap_or_default(),
        None,
    )
}

fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        br#"{"detail":"Not found."}"#.to_vec(),
        None,
    )
}

/// The query parameters, in order.
type Params = Vec<(String, String)>;

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// esmond's time filters (`handle_time_filters`): `[begin, end]`, `end` open when `None`.
/// `time-range` alone counts back from now.
fn time_filters(params: &Params) -> Result<Option<(i64, Option<i64>)>, &'static str> {
    let int = |name: &str| -> Result<Option<i64>, &'static str> {
        match param(params, name) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| "Time parameter must be an integer"),
        }
    };
    let (time, start, end, range) = (
        int("time")?,
        int("time-start")?,
        int("time-end")?,
        int("time-range")?,
    );
    let now = chrono::Utc::now().timestamp();
    let filters = match (time, start, end, range) {
        (Some(t), ..) => (t, Some(t)),
        (None, Some(s), Some(e), _) => (s, Some(e)),
        (None, Some(s), None, Some(r)) => (s, Some(s.saturating_add(r))),
        (None, None, Some(e), Some(r)) => (e.saturating_sub(r), Some(e)),
        (None, Some(s), None, None) => (s, None),
        (None, None, Some(e), None) => (0, Some(e)),
        (None, None, None, Some(r)) => (now.saturating_sub(r), None),
        (None, None, None, None) => return Ok(None),
    };
    if filters.1.is_some_and(|e| e < filters.0) {
        return Err("Requested start time must be less than end time");
    }
    Ok(Some(filters))
}

/// `limit` and `offset`: esmond's defaults, a refusal above [`MAX_LIMIT`].
fn paging(params: &Params) -> Result<(usize, usize), String> {
    let number = |name: &str, default: usize| -> Result<usize, String> {
        match param(params, name) {
            None => Ok(default),
            Some(v) => v
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("{name} must be a whole number")),
        }
    };
    let limit = number("limit", DEFAULT_LIMIT)?;
    if limit > MAX_LIMIT {
        return Err(format!("limit must be at most {MAX_LIMIT}"));
    }
    Ok((limit.max(1), number("offset", 0)?))
}

/// The absolute URL of this request with `offset` (and `limit`) set, for the page links.
fn page_link(
    headers: &HeaderMap,
    path: &str,
    params: &Params,
    offset: usize,
    limit: usize,
) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut query: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "offset" && k != "limit")
        .cloned()
        .collect();
    query.push(("limit".into(), limit.to_string()));
    query.push(("offset".into(), offset.to_string()));
    let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
    format!("http://{host}{path}?{encoded}")
}

/// The page links of `[offset, offset + limit)` of `total` items: (previous, next).
fn page_links(
    headers: &HeaderMap,
    path: &str,
    params: &Params,
    (limit, offset): (usize, usize),
    total: usize,
) -> (Option<String>, Option<String>) {
    let next =
        (offset + limit < total).then(|| page_link(headers, path, params, offset + limit, limit));
    let previous =
        (offset > 0).then(|| page_link(headers, path, params, offset.saturating_sub(limit), limit));
    (previous, next)
}

fn link_header(previous: &Option<String>, next: &Option<String>) -> Option<(&'static str, String)> {
    let parts: Vec<String> = [(next, "next"), (previous, "prev")]
        .iter()
        .filter_map(|(url, rel)| url.as_ref().map(|u| format!("<{u}>; rel=\"{rel}\"")))
        .collect();
    (!parts.is_empty()).then(|| ("link", parts.join(", ")))
}

/// The URI of a key's metadata object.
fn uri(mkey: &str) -> String {
    format!("{PREFIX}/{mkey}/")
}

impl App {
    /// Every key's position in the key list and its last update; keys whose last update is
    /// not known (no list entry, no readable file) are left out.
    fn esmond_keys(&self) -> (Arc<Vec<Key>>, Vec<(usize, i64)>) {
        let keys = self.keys();
        let rrd = &self.rrd;
        let mut index = self.esmond.lock().unwrap_or_else(|e| e.into_inner());
        index.refresh(&keys);
        reread(rrd, crate::rrd::updates::FILE, &mut index.updates, || {
            crate::rrd::updates::read(rrd)
        });
        // Keys the list lacks (a tree made before it, or not yet updated): their files.
        let missing: Vec<usize> = (0..keys.len())
            .filter(|&i| !index.updates.1.contains_key(&index.entries[i].path))
            .collect();
        let cached: Vec<Option<(SystemTime, i64)>> =
            missing.iter().map(|&i| index.entries[i].own).collect();
        drop(index);
        let read: Vec<(usize, Option<(SystemTime, i64)>)> = {
            use rayon::prelude::*;
            (missing.par_iter().zip(cached))
                .map(|(&i, cached)| {
                    let file = keys[i].rrd_path(rrd);
                    let at = std::fs::metadata(&file).and_then(|m| m.modified()).ok();
                    let own = match (at, cached) {
                        (Some(at), Some((then, last))) if at == then => Some((then, last)),
                        (Some(at), _) => {
                            crate::rrd::store::last_update(&file).ok().map(|l| (at, l))
                        }
                        (None, _) => None,
                    };
                    (i, own)
                })
                .collect()
        };
        let mut index = self.esmond.lock().unwrap_or_else(|e| e.into_inner());
        for (i, own) in read {
            index.entries[i].own = own;
        }
        let found = (0..keys.len())
            .filter_map(|i| {
                let e = &index.entries[i];
                let last = index
                    .updates
                    .1
                    .get(&e.path)
                    .copied()
                    .or(e.own.map(|o| o.1))?;
                Some((i, last))
            })
            .collect();
        (keys, found)
    }

    /// The remotes' addresses, as last read.
    fn esmond_addresses(&self) -> std::collections::BTreeMap<String, String> {
        let rrd = &self.rrd;
        let mut index = self.esmond.lock().unwrap_or_else(|e| e.into_inner());
        reread(
            rrd,
            crate::rrd::addresses::FILE,
            &mut index.addresses,
            || crate::rrd::addresses::read(rrd),
        );
        index.addresses.1.clone()
    }

    /// The metadata object of key `i` of `keys` as JSON text, made once per last update.
    fn esmond_json(&self, keys: &[Key], i: usize, last: i64, step: i64) -> Arc<str> {
        let mut index = self.esmond.lock().unwrap_or_else(|e| e.into_inner());
        let entry = &mut index.entries[i];
        if let Some((shown, json)) = &entry.json {
            if *shown == last {
                return json.clone();
            }
        }
        let object = metadata_object(&keys[i], &entry.mkey, last, step);
        let json: Arc<str> = serde_json::to_string(&object).unwrap_or_default().into();
        entry.json = Some((last, json.clone()));
        json
    }

    /// The tree's step (PingER's 1800 until a file can be read).
    fn esmond_step(&self) -> i64 {
        if let Some(step) = self.esmond.lock().unwrap_or_else(|e| e.into_inner()).step {
            return step;
        }
        let found = self
            .keys()
            .iter()
            .find_map(|k| crate::rrd::store::span(&k.rrd_path(&self.rrd)).ok());
        let mut index = self.esmond.lock().unwrap_or_else(|e| e.into_inner());
        match found {
            Some(span) => *index.step.insert(span.step),
            None => 1800,
        }
    }

    /// The key of a metadata key, if any.
    fn esmond_key(&self, mkey: &str) -> Option<Key> {
        let keys = self.keys();
        let mut index = self.esmond.lock().unwrap_or_else(|e| e.into_inner());
        index.refresh(&keys);
        index.by_mkey.get(mkey).map(|&i| keys[i].clone())
    }
}

/// The metadata object of a key.
fn metadata_object(key: &Key, mkey: &str, last: i64, step: i64) -> Value {
    let mut object = metadata_fields(key, step);
    let uri = uri(mkey);
    object.insert(
        "event-types".into(),
        Value::Array(event_type_list(&uri, last)),
    );
    object.insert("uri".into(), json!(uri));
    Value::Object(object)
}

/// Whether a key passes the list's filters (everything but time and paging).
fn matches(key: &Key, address: Option<&str>, params: &Params) -> Result<bool, String> {
    let mut ets: Option<EventType> = None;
    let mut summary: Option<SummaryType> = None;
    let mut window: Option<i64> = None;
    for (name, value) in params {
        let pass = match name.as_str() {
            // PingER names; a filter by address matches the remote's recorded address too.
            "source" | "measurement-agent" | "input-source" => {
                key.monitor.eq_ignore_ascii_case(value)
            }
            "destination" | "input-destination" => {
                key.remote.eq_ignore_ascii_case(value) || address == Some(value.as_str())
            }
            "tool-name" => value == esmond::TOOL_NAME,
            "subject-type" => value == "point-to-point",
            "metadata-key" => *value == esmond::metadata_key(key),
            "event-type" => match EventType::from_name(value) {
                Ok(et) => {
                    ets = Some(et);
                    true
                }
                Err(_) => false,
            },
            "summary-type" => match SummaryType::from_name(value) {
                Ok(s) => {
                    summary = Some(s);
                    true
                }
                Err(_) => false,
            },
            "summary-window" => {
                let w = value
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| "Summary window parameter must be an integer".to_string())?;
                window = Some(w);
                true
            }
            "dns-match-rule" => {
                if !["v4v6", "only-v4", "only-v6", "prefer-v4", "prefer-v6"]
                    .contains(&value.as_str())
                {
                    return Err(format!("Invalid dns-match-rule parameter {value}"));
                }
                true
            }
            "format" | "limit" | "offset" | "time" | "time-start" | "time-end" | "time-range" => {
                true
            }
            // Any other parameter matches a free-form metadata value exactly.
            other => {
                let fields = metadata_fields(key, 0);
                fields.get(other).and_then(Value::as_str) == Some(value.as_str())
            }
        };
        if !pass {
            return Ok(false);
        }
    }
    // Event type, summary type and window must meet in one event type's row.
    if ets.is_some() || summary.is_some() || window.is_some() {
        let candidates: Vec<EventType> = match ets {
            Some(et) => vec![et],
            None => EventType::ALL.to_vec(),
        };
        let found = candidates.iter().any(|et| {
            let rows =
                std::iter::once((SummaryType::Base, 0)).chain(et.summaries().iter().copied());
            rows.into_iter().any(|(s, w)| {
                summary.is_none_or(|want| want == s) && window.is_none_or(|want| want == w)
            })
        });
        return Ok(found);
    }
    Ok(true)
}

async fn metadata_list(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let headers_copy = headers.clone();
    let times = match time_filters(&params) {
        Ok(t) => t,
        Err(detail) => return bad(detail),
    };
    let page = match paging(&params) {
        Ok(p) => p,
        Err(detail) => return bad(&detail),
    };
    let worker = app.clone();
    let filters = params.clone();
    let listed = app
        .off_thread(move || -> Result<(Vec<u8>, usize), String> {
            let params = filters;
            let (keys, found) = worker.esmond_keys();
            let by_address = params
                .iter()
                .any(|(k, _)| k == "destination" || k == "input-destination");
            let addresses = if by_address {
                worker.esmond_addresses()
            } else {
                Default::default()
            };
            let mut selected = Vec::new();
            for (i, last) in found {
                let key = &keys[i];
                let address = addresses.get(&key.relative_path()).map(String::as_str);
                if !matches(key, address, &params)? {
                    continue;
                }
                // esmond's time filters select on the event types' last write.
                if let Some((begin, end)) = times {
                    if last < begin || end.is_some_and(|e| last > e) {
                        continue;
                    }
                }
                selected.push((i, last));
            }
            let total = selected.len();
            let (limit, offset) = page;
            let step = worker.esmond_step();
            let shown: Vec<Arc<str>> = selected
                .iter()
                .skip(offset)
                .take(limit)
                .map(|&(i, last)| worker.esmond_json(&keys, i, last, step))
                .collect();
            Ok((join_objects(&shown, total, &headers, &params, page), total))
        })
        .await;
    let (body, total) = match listed {
        Ok(Ok(found)) => found,
        Ok(Err(detail)) => return bad(&detail),
        Err(response) => return response,
    };
    let (previous, next) = page_links(&headers_copy, &format!("{PREFIX}/"), &params, page, total);
    json_response(StatusCode::OK, body, link_header(&previous, &next))
}

/// The list's body: the objects' JSON texts in an array, the first with the paging fields.
fn join_objects(
    shown: &[Arc<str>],
    total: usize,
    headers: &HeaderMap,
    params: &Params,
    page: (usize, usize),
) -> Vec<u8> {
    let (previous, next) = page_links(headers, &format!("{PREFIX}/"), params, page, total);
    let mut body = Vec::with_capacity(shown.iter().map(|s| s.len() + 1).sum::<usize>() + 256);
    body.push(b'[');
    for (n, json) in shown.iter().enumerate() {
        if n > 0 {
            body.push(b',');
            body.extend_from_slice(json.as_bytes());
            continue;
        }
        let mut first: Value = serde_json::from_str(json).unwrap_or(Value::Null);
        if let Value::Object(first) = &mut first {
            first.insert("metadata-count-total".into(), json!(total));
            first.insert("metadata-previous-page".into(), json!(previous));
            first.insert("metadata-next-page".into(), json!(next));
        }
        body.extend_from_slice(serde_json::to_string(&first).unwrap_or_default().as_bytes());
    }
    body.push(b']');
    body
}

async fn metadata_detail(State(app): State<Arc<App>>, UrlPath(mkey): UrlPath<String>) -> Response {
    let Some(key) = app.esmond_key(&mkey) else {
        return not_found();
    };
    let worker = app.clone();
    let found = app
        .off_thread(move || {
            let span = crate::rrd::store::span(&key.rrd_path(&worker.rrd)).ok()?;
            Some(metadata_object(&key, &mkey, span.last, span.step))
        })
        .await;
    match found {
        Ok(Some(object)) => ok(&object),
        Ok(None) => not_found(),
        Err(response) => response,
    }
}

/// The event type named in a URL: `Err` the detail of esmond's 400 for a name it does not
/// know, `Ok(None)` for one PingER keys do not have.
fn event_type(name: &str) -> Result<Option<EventType>, String> {
    if !esmond::ESMOND_EVENT_TYPES.contains(&name) {
        return Err(format!("Unsupported event type '{name}' provided"));
    }
    Ok(EventType::from_name(name).ok())
}

async fn event_type_detail(
    State(app): State<Arc<App>>,
    UrlPath((mkey, et)): UrlPath<(String, String)>,
) -> Response {
    let et = match event_type(&et) {
        Ok(Some(et)) => et,
        Ok(None) => return ok(&json!([])),
        Err(detail) => return bad(&detail),
    };
    let Some(key) = app.esmond_key(&mkey) else {
        return ok(&json!([]));
    };
    let last = crate::rrd::store::last_update(&key.rrd_path(&app.rrd)).unwrap_or(0);
    ok(&json!([event_type_object(&uri(&mkey), et, last)]))
}

async fn data(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    UrlPath((mkey, et, summary)): UrlPath<(String, String, String)>,
    Query(params): Query<Params>,
) -> Response {
    serve_data(app, headers, (mkey, et, summary, None), params).await
}

async fn data_window(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    UrlPath((mkey, et, summary, window)): UrlPath<(String, String, String, String)>,
    Query(params): Query<Params>,
) -> Response {
    serve_data(app, headers, (mkey, et, summary, Some(window)), params).await
}

async fn serve_data(
    app: Arc<App>,
    headers: HeaderMap,
    (mkey, et_name, summary_name, window): (String, String, String, Option<String>),
    params: Params,
) -> Response {
    let et = match event_type(&et_name) {
        Ok(et) => et,
        Err(detail) => return bad(&detail),
    };
    let summary = match SummaryType::from_plural(&summary_name) {
        None => return bad(&format!("Invalid summary type '{summary_name}'")),
        Some(Err(())) => None,
        Some(Ok(s)) => Some(s),
    };
    let window = match window.as_deref().map(|w| w.trim().parse::<i64>()) {
        None => None,
        Some(Ok(w)) => Some(w),
        Some(Err(_)) => return bad("Summary window parameter must be an integer"),
    };
    let times = match time_filters(&params) {
        Ok(t) => t,
        Err(detail) => return bad(detail),
    };
    let page = match paging(&params) {
        Ok(p) => p,
        Err(detail) => return bad(&detail),
    };
    let (Some(et), Some(summary)) = (et, summary) else {
        return ok(&json!([]));
    };
    let key = app.esmond_key(&mkey);
    // A summary type without a window: the list of its windows.
    if summary != SummaryType::Base && window.is_none() {
        let Some(key) = key else {
            return not_found();
        };
        let last = crate::rrd::store::last_update(&key.rrd_path(&app.rrd)).unwrap_or(0);
        let list: Vec<Value> = et
            .summaries()
            .iter()
            .filter(|(s, _)| *s == summary)
            .map(|&(s, w)| esmond::summary_object(&uri(&mkey), et, s, w, last))
            .collect();
        if list.is_empty() {
            return not_found();
        }
        return ok(&Value::Array(list));
    }
    let Some(key) = key else {
        return ok(&json!([]));
    };
    let window = window.unwrap_or(0);
    let file = key.rrd_path(&app.rrd);
    let worker_key = key.clone();
    let points = app
        .off_thread(move || -> Vec<(i64, Value)> {
            match esmond::slots(&worker_key, &file) {
                Ok(slots) => esmond::points(&slots, et, summary, window),
                Err(_) => Vec::new(),
            }
        })
        .await;
    let mut points = match points {
        Ok(p) => p,
        Err(response) => return response,
    };
    if let Some((begin, end)) = times {
        points.retain(|(ts, _)| *ts >= begin && end.is_none_or(|e| *ts <= e));
    }
    let total = points.len();
    let (limit, offset) = page;
    let shown: Vec<Value> = points
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(ts, val)| json!({ "ts": ts, "val": val }))
        .collect();
    let path = format!("{PREFIX}/{mkey}/{et_name}/{summary_name}");
    let (previous, next) = page_links(&headers, &path, &params, page, total);
    let body = serde_json::to_vec(&shown).unwrap_or_default();
    json_response(StatusCode::OK, body, link_header(&previous, &next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn time_filters_follow_esmond() {
        assert_eq!(time_filters(&params(&[])), Ok(None));
        assert_eq!(
            time_filters(&params(&[("time-start", "10"), ("time-end", "20")])),
            Ok(Some((10, Some(20))))
        );
        assert_eq!(
            time_filters(&params(&[("time-start", "10"), ("time-range", "5")])),
            Ok(Some((10, Some(15))))
        );
        assert_eq!(
            time_filters(&params(&[("time-end", "20"), ("time-range", "5")])),
            Ok(Some((15, Some(20))))
        );
        assert_eq!(
            time_filters(&params(&[("time", "7")])),
            Ok(Some((7, Some(7))))
        );
        assert_eq!(
            time_filters(&params(&[("time-end", "7")])),
            Ok(Some((0, Some(7))))
        );
        assert!(time_filters(&params(&[("time-start", "x")])).is_err());
        assert!(time_filters(&params(&[("time-start", "20"), ("time-end", "10")])).is_err());
    }

    #[test]
    fn filters_match_pinger_names_and_free_form_values() {
        let key = Key {
            monitor: "pinger.slac.stanford.edu".into(),
            remote: "www.cern.ch".into(),
            bytes: 1000,
            pings: 10,
        };
        let yes = |p: &[(&str, &str)]| matches(&key, Some("192.0.2.7"), &params(p)).unwrap();
        assert!(yes(&[
            ("source", "pinger.slac.stanford.edu"),
            ("tool-name", "pinger/ping")
        ]));
        assert!(yes(&[("destination", "192.0.2.7")]));
        assert!(yes(&[("ip-packet-size", "1000"), ("sample-size", "10")]));
        assert!(!yes(&[("ip-packet-size", "100")]));
        assert!(!yes(&[("bw-parallel-streams", "4")]));
        assert!(yes(&[
            ("event-type", "histogram-rtt"),
            ("summary-type", "statistics"),
            ("summary-window", "0")
        ]));
        assert!(!yes(&[
            ("event-type", "packet-count-sent"),
            ("summary-type", "statistics")
        ]));
        assert!(!yes(&[("event-type", "histogram-owdelay")]));
        assert!(yes(&[("metadata-key", &esmond::metadata_key(&key))]));
        assert!(matches(&key, None, &params(&[("summary-window", "x")])).is_err());
    }

    #[test]
    fn a_limit_above_the_maximum_is_refused() {
        assert_eq!(paging(&params(&[])), Ok((DEFAULT_LIMIT, 0)));
        assert_eq!(
            paging(&params(&[("limit", "1000"), ("offset", "2000")])),
            Ok((1000, 2000))
        );
        assert!(paging(&params(&[("limit", "10001")])).is_err());
        assert!(paging(&params(&[("offset", "-1")])).is_err());
    }
}
