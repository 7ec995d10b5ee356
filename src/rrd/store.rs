//! librrd, and nothing else: create, batched update, last update, fetch, info and graph.
//!
//! One of the two modules with `unsafe` (the raw `rrd_updatex_r` and `rrd_last_r` calls, which
//! the `rrd` crate does not offer in the form we need; the other is `inflate`). Knows nothing
//! of PingER: callers hand it the [`Layout`] and pre-formatted update strings
//! ([`UpdateBatch`]). All calls are librrd's thread-safe `_r` variants; each file must be
//! written by one thread at a time.

#![allow(unsafe_code)]

use rrd::ops::create::{Archive, DataSource, DataSourceName};
use rrd::ConsolidationFn;
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};
use thiserror::Error;

/// A librrd failure on one file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}: {message}", path.display())]
pub struct StoreError {
    /// The RRD file.
    pub path: PathBuf,
    /// librrd's message (or ours, for argument problems).
    pub message: String,
}

impl From<crate::rrd::atomic::WriteError> for StoreError {
    fn from(e: crate::rrd::atomic::WriteError) -> Self {
        StoreError {
            path: e.path,
            message: format!("{}: {}", e.what, e.source),
        }
    }
}

fn store_error(path: &Path, message: impl ToString) -> StoreError {
    StoreError {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// One round-robin archive: consolidation function, xff, steps per row, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Rra {
    /// AVERAGE, MIN, MAX or LAST.
    pub cf: String,
    /// X-files factor in [0, 1).
    pub xff: f64,
    /// Primary data points per row.
    pub steps: u32,
    /// Rows kept.
    pub rows: u32,
}

/// Why an archive definition was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RraError {
    /// Not four `:`-separated fields of the right kinds.
    #[error("`{0}` is not an archive: use CF:xff:steps:rows, e.g. AVERAGE:0.5:1:5760")]
    Shape(String),
    /// A consolidation function librrd does not have.
    #[error("`{0}`: the consolidation function must be AVERAGE, MIN, MAX or LAST")]
    Function(String),
    /// xff outside [0, 1).
    #[error("`{0}`: xff must be at least 0 and below 1")]
    Xff(String),
    /// Zero steps or rows.
    #[error("`{0}`: steps and rows must be at least 1")]
    Zero(String),
}

impl std::str::FromStr for Rra {
    type Err = RraError;

    /// Reads `CF:xff:steps:rows`, e.g. `AVERAGE:0.5:1:5760` (a leading `RRA:` is allowed).
    fn from_str(text: &str) -> Result<Self, RraError> {
        let fields: Vec<&str> = text.trim_start_matches("RRA:").split(':').collect();
        let bad = || RraError::Shape(text.to_string());
        let [cf, xff, steps, rows] = fields[..] else {
            return Err(bad());
        };
        let cf = cf.to_ascii_uppercase();
        if !matches!(cf.as_str(), "AVERAGE" | "MIN" | "MAX" | "LAST") {
            return Err(RraError::Function(cf));
        }
        let xff: f64 = xff.parse().map_err(|_| bad())?;
        if !(0.0..1.0).contains(&xff) {
            return Err(RraError::Xff(text.to_string()));
        }
        let steps: u32 = steps.parse().map_err(|_| bad())?;
        let rows: u32 = rows.parse().map_err(|_| bad())?;
        if steps == 0 || rows == 0 {
            return Err(RraError::Zero(text.to_string()));
        }
        Ok(Rra {
            cf,
            xff,
            steps,
            rows,
        })
    }
}

impl std::fmt::Display for Rra {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}:{}", self.cf, self.xff, self.steps, self.rows)
    }
}

/// The shape of every RRD we write: SmokePing's DS list and the chosen archives.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// Step S in seconds.
    pub step: u32,
    /// Ping slots N.
    pub pings: u32,
    /// Archives, in file order.
    pub archives: Vec<Rra>,
}

impl Layout {
    /// SmokePing's layout with the original tool's single 120-day archive.
    pub fn pinger_default() -> Self {
        Layout {
            step: 1800,
            pings: 10,
            archives: vec!["AVERAGE:0.5:1:5760".parse().expect("valid default")],
        }
    }

    /// DS names in file order: uptime, loss, median, ping1..pingN.
    pub fn ds_names(&self) -> Vec<String> {
        let mut names = vec!["uptime".to_string(), "loss".into(), "median".into()];
        names.extend((1..=self.pings).map(|i| format!("ping{i}")));
        names
    }

    /// The `DS:` definitions: all GAUGE, heartbeat 2*S, min 0, max U except loss (max N).
    fn data_sources(&self, path: &Path) -> Result<Vec<DataSource>, StoreError> {
        self.ds_names()
            .iter()
            .map(|name| {
                let max = (name == "loss").then_some(f64::from(self.pings));
                let name = DataSourceName::new(name.as_str()).map_err(|e| store_error(path, e))?;
                Ok(DataSource::gauge(&name, 2 * self.step, Some(0.0), max))
            })
            .collect()
    }

    fn rras(&self, path: &Path) -> Result<Vec<Archive>, StoreError> {
        self.archives
            .iter()
            .map(|a| {
                let cf = match a.cf.as_str() {
                    "MIN" => ConsolidationFn::Min,
                    "MAX" => ConsolidationFn::Max,
                    "LAST" => ConsolidationFn::Last,
                    _ => ConsolidationFn::Avg,
                };
                Archive::new(cf, a.xff, a.steps, a.rows).map_err(|e| store_error(path, e))
            })
            .collect()
    }
}

/// librrd 1.7.2 sets up its NaN and infinity constants lazily, without a lock
/// (`rrd_set_to_DNAN`): two threads making their first call at once can read 0.0 instead of
/// NaN, and `create` then fails with "min must be less than max in DS definition" for
/// `DS:...:0:U`. Every entry point here runs this once first, before any threads race.
fn init_librrd() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        // SAFETY: both functions only initialise and return librrd's static constants; the
        // Once makes this the only call in flight.
        unsafe {
            rrd_sys::rrd_set_to_DNAN();
            rrd_sys::rrd_set_to_DINF();
        }
    });
}

/// Creates (or overwrites) `path` with `layout`; its last update is `start`.
pub fn create(path: &Path, layout: &Layout, start: i64) -> Result<(), StoreError> {
    init_librrd();
    crate::rrd::iocount::open();
    let start = u64::try_from(start).map_err(|_| store_error(path, "start before 1970"))?;
    let sources = layout.data_sources(path)?;
    let archives = layout.rras(path)?;
    rrd::ops::create::create(
        path,
        UNIX_EPOCH + Duration::from_secs(start),
        Duration::from_secs(u64::from(layout.step)),
        false,
        None,
        &[],
        &sources,
        &archives,
    )
    .map_err(|e| store_error(path, librrd_message(e)))
}

/// Update strings (`T:v1:v2:...`) packed NUL-terminated in one buffer, so a whole batch
/// costs two allocations and goes to librrd in one call.
#[derive(Debug, Default, Clone)]
pub struct UpdateBatch {
    text: Vec<u8>,
    starts: Vec<usize>,
}

impl UpdateBatch {
    /// The updates from `at` on, moved into a batch of their own.
    pub fn split_off(&mut self, at: usize) -> UpdateBatch {
        let mut rest = UpdateBatch::new();
        for i in at..self.len() {
            rest.begin();
            rest.push(self.get(i).as_bytes());
        }
        if at < self.len() {
            let end = self.starts[at].saturating_sub(1);
            self.text.truncate(end);
            self.starts.truncate(at);
        }
        rest
    }

    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a new update string; write its text with [`UpdateBatch::push`], no NUL.
    pub fn begin(&mut self) {
        if !self.starts.is_empty() {
            self.text.push(0);
        }
        self.starts.push(self.text.len());
    }

    /// Appends text to the current update string.
    pub fn push(&mut self, text: &[u8]) {
        debug_assert!(!text.contains(&0));
        self.text.extend_from_slice(text);
    }

    /// Number of update strings.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The i-th update string (for tests and messages).
    pub fn get(&self, i: usize) -> &str {
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&s| s - 1);
        std::str::from_utf8(&self.text[self.starts[i]..end]).unwrap_or("?")
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.starts.clear();
    }
}

/// Applies every update of `batch` to `path` in one librrd call.
pub fn update(path: &Path, batch: &mut UpdateBatch) -> Result<(), StoreError> {
    init_librrd();
    crate::rrd::iocount::open();
    if batch.is_empty() {
        return Ok(());
    }
    let file = c_path(path)?;
    batch.text.push(0);
    let base = batch.text.as_ptr();
    let mut argv: Vec<*const c_char> = batch
        .starts
        .iter()
        // SAFETY: every start is an index into `text`, which is not touched until the call ends.
        .map(|&s| unsafe { base.add(s) }.cast::<c_char>())
        .collect();
    let argc = i32::try_from(argv.len()).map_err(|_| store_error(path, "too many updates"))?;
    // SAFETY: `file` and every argv entry are NUL-terminated strings that outlive the call;
    // librrd only reads them (the C type is `const char **`). A null template means "all data sources in order".
    let rc = unsafe {
        rrd_sys::rrd_updatex_r(file.as_ptr(), std::ptr::null(), 0, argc, argv.as_mut_ptr())
    };
    batch.text.pop();
    if rc != 0 {
        return Err(store_error(path, take_error()));
    }
    Ok(())
}

// librrd's client for rrdcached (`rrd_client.h`), which the rrd-sys bindings leave out.
// The "simple interface" keeps one connection per process behind librrd's own mutex.
extern "C" {
    fn rrdc_connect(addr: *const c_char) -> std::ffi::c_int;
    fn rrdc_update(
        filename: *const c_char,
        values_num: std::ffi::c_int,
        values: *const *const c_char,
    ) -> std::ffi::c_int;
    fn rrdc_flush(filename: *const c_char) -> std::ffi::c_int;
    fn rrdc_forget(filename: *const c_char) -> std::ffi::c_int;
}

/// rrdcached, the daemon that large RRD sites write through: it collects updates in memory
/// and writes each file in large, rare batches. One connection per process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daemon {
    address: CString,
}

/// A daemon address librrd cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the daemon address contains a NUL byte")]
pub struct BadAddress;

/// Serialises connecting (librrd keeps one connection per process).
static DAEMON_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Daemon {
    /// The daemon at `address` (`unix:/path/to/socket`, `/path/to/socket` or `host:port`).
    pub fn new(address: &str) -> Result<Daemon, BadAddress> {
        CString::new(address)
            .map(|address| Daemon { address })
            .map_err(|_| BadAddress)
    }

    /// (Re)connects if needed; librrd reuses a live connection to the same address.
    fn connect(&self, path: &Path) -> Result<(), StoreError> {
        init_librrd();
        let _guard = DAEMON_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: a NUL-terminated string that outlives the call.
        let rc = unsafe { rrdc_connect(self.address.as_ptr()) };
        if rc != 0 {
            return Err(store_error(
                path,
                format!(
                    "cannot reach rrdcached at {}: {}",
                    self.address.to_string_lossy(),
                    take_error()
                ),
            ));
        }
        Ok(())
    }

    /// Sends every update of `batch` for `path`, in order, in requests that fit librrd's
    /// client buffer (4 KiB a request; a larger one fails with ENOBUFS).
    pub fn update(&self, path: &Path, batch: &mut UpdateBatch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.connect(path)?;
        let file = c_path(&absolute(path))?;
        batch.text.push(0);
        let base = batch.text.as_ptr();
        let room = 3500usize.saturating_sub(file.as_bytes().len());
        let mut result = Ok(());
        let mut first = 0;
        while first < batch.starts.len() && result.is_ok() {
            // As many updates as fit (at least one).
            let mut last = first + 1;
            let mut size = batch.get(first).len() + 1;
            while last < batch.starts.len() && size + batch.get(last).len() < room {
                size += batch.get(last).len() + 1;
                last += 1;
            }
            let argv: Vec<*const c_char> = batch.starts[first..last]
                .iter()
                // SAFETY: every start is an index into `text`, untouched until the call ends.
                .map(|&s| unsafe { base.add(s) }.cast::<c_char>())
                .collect();
            // SAFETY: `file` and every argv entry are NUL-terminated strings that outlive
            // the call; librrd only reads them.
            let rc = unsafe { rrdc_update(file.as_ptr(), argv.len() as i32, argv.as_ptr()) };
            if rc != 0 {
                let os = std::io::Error::from_raw_os_error(rc.abs());
                let message = take_error();
                result = Err(store_error(path, format!("rrdcached: {message} ({os})")));
            }
            first = last;
        }
        batch.text.pop();
        result
    }

    /// Makes the daemon write what it holds for `path`, so the file on disk is current.
    pub fn flush(&self, path: &Path) -> Result<(), StoreError> {
        self.call(path, "flush", rrdc_flush)
    }

    /// Makes the daemon drop what it knows of `path` (after flushing it), before the file is
    /// replaced: a daemon that kept the old file's state would reject, or misplace, the
    /// next updates.
    pub fn flush_and_forget(&self, path: &Path) -> Result<(), StoreError> {
        self.flush(path)?;
        self.call(path, "forget", rrdc_forget)
    }

    fn call(
        &self,
        path: &Path,
        what: &str,
        f: unsafe extern "C" fn(*const c_char) -> std::ffi::c_int,
    ) -> Result<(), StoreError> {
        self.connect(path)?;
        let file = c_path(&absolute(path))?;
        // SAFETY: a NUL-terminated string that outlives the call.
        let rc = unsafe { f(file.as_ptr()) };
        if rc != 0 {
            let message = take_error();
            // A file the daemon never saw has nothing to flush or forget.
            if !message.contains("No such file") && !message.contains("not found") {
                return Err(store_error(path, format!("rrdcached {what}: {message}")));
            }
        }
        Ok(())
    }
}

/// An absolute path, as rrdcached wants (it may run in another directory).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// The time of the file's last update.
pub fn last_update(path: &Path) -> Result<i64, StoreError> {
    init_librrd();
    crate::rrd::iocount::open();
    let file = c_path(path)?;
    // SAFETY: `file` is a NUL-terminated string that outlives the call.
    let t = unsafe { rrd_sys::rrd_last_r(file.as_ptr()) };
    if t == -1 {
        return Err(store_error(path, take_error()));
    }
    Ok(t)
}

/// Serialises every call into librrd's graph code: librrd 1.7.2's graph is not thread-safe
/// (a shared Pango font map).
static GRAPH_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Renders a graph of `path` (the elements and properties are built by `show::graph`).
pub fn graph(
    path: &Path,
    format: rrd::ops::graph::props::ImageFormat,
    props: &rrd::ops::graph::props::GraphProps,
    elements: &[rrd::ops::graph::elements::GraphElement],
) -> Result<Vec<u8>, StoreError> {
    init_librrd();
    let _guard = GRAPH_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    rrd::ops::graph::graph(format, props, elements)
        .map(|(image, _)| image)
        .map_err(|e| store_error(path, librrd_message(e)))
}

/// Rows of one archive between two times.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// Row spacing in seconds.
    pub step: i64,
    /// DS names, in column order.
    pub names: Vec<String>,
    /// (row end time, values with NaN for unknown).
    pub rows: Vec<(i64, Vec<f64>)>,
}

/// What a file can hold: its step, its last update, and how far back its longest archive
/// reaches from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Seconds per primary data point.
    pub step: i64,
    /// Time of the last update.
    pub last: i64,
    /// Seconds covered by the archive that reaches furthest back.
    pub reach: i64,
    /// Seconds covered by the longest archive at full resolution (one step a row).
    pub finest: i64,
}

impl Span {
    /// `(start, end]` cut to `margin` seconds around what the file holds, so that nothing
    /// librrd allocates is sized by a wild request (`start=1&end=9999999999`). The result
    /// may be empty (start >= end) when the request misses the file.
    pub fn clamp(&self, start: i64, end: i64, margin: i64) -> (i64, i64) {
        let first = self.last - self.reach - self.step - margin;
        (start.max(first), end.min(self.last + margin))
    }
}

/// Reads a file's [`Span`] from its header.
pub fn span(path: &Path) -> Result<Span, StoreError> {
    let info = info(path)?;
    let number = |name: &str| -> Result<i64, StoreError> {
        info.get(name)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as i64)
            .ok_or_else(|| store_error(path, format!("no {name} in the header")))
    };
    let step = number("step")?;
    let last = number("last_update")?;
    let (mut reach, mut finest) = (0, 0);
    for i in 0.. {
        let (Ok(rows), Ok(steps)) = (
            number(&format!("rra[{i}].rows")),
            number(&format!("rra[{i}].pdp_per_row")),
        ) else {
            break;
        };
        reach = reach.max(rows.saturating_mul(steps).saturating_mul(step));
        if steps == 1 {
            finest = finest.max(rows.saturating_mul(step));
        }
    }
    Ok(Span {
        step,
        last,
        reach,
        finest,
    })
}

/// Fetches AVERAGE rows covering `(start, end]` at the file's finest resolution, cut to what
/// the file holds (see [`Span::clamp`]).
pub fn fetch(path: &Path, start: i64, end: i64, step: u32) -> Result<Fetched, StoreError> {
    init_librrd();
    let (start, end) = span(path)?.clamp(start, end, 0);
    if start >= end {
        return Ok(Fetched {
            step: i64::from(step),
            names: Vec::new(),
            rows: Vec::new(),
        });
    }
    fetch_in(path, start, end, step)
}

/// Like [`fetch`], without reading the header to cut the range: for callers whose range is
/// already bounded by the file (the nightly check of a file's recent rows, a graph cut to
/// its [`Span`]).
pub fn fetch_in(path: &Path, start: i64, end: i64, step: u32) -> Result<Fetched, StoreError> {
    init_librrd();
    let mut rows = Vec::new();
    let (step, names) = fetch_rows(path, start, end, step, |t, v| rows.push((t, v.to_vec())))?;
    Ok(Fetched { step, names, rows })
}

/// librrd's fetch of AVERAGE rows at `step` resolution: `each(time, values)` for the rows in
/// `(start, end]` (librrd also returns the row that holds `end`); returns the rows' step and
/// the DS names.
fn fetch_rows(
    path: &Path,
    start: i64,
    end: i64,
    step: u32,
    mut each: impl FnMut(i64, &[f64]),
) -> Result<(i64, Vec<String>), StoreError> {
    crate::rrd::iocount::open();
    let to_time = |t: i64| UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
    let data = rrd::ops::fetch::fetch(
        path,
        ConsolidationFn::Avg,
        to_time(start),
        to_time(end),
        Duration::from_secs(u64::from(step)),
    )
    .map_err(|e| store_error(path, librrd_message(e)))?;
    for row in data.rows().iter() {
        let t = row
            .timestamp()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if t > start && t <= end {
            each(t, row.as_slice());
        }
    }
    Ok((data.step().as_secs() as i64, data.ds_names().to_vec()))
}

/// Calls `each(time, values)` for the AVERAGE rows in `(start, end]` at the finest
/// resolution, without copying them and without reading the header first: for callers that
/// bound the range themselves (at most `max_span` seconds, checked here).
pub fn for_each_row(
    path: &Path,
    start: i64,
    end: i64,
    max_span: i64,
    each: impl FnMut(i64, &[f64]),
) -> Result<(), StoreError> {
    init_librrd();
    if end - start > max_span {
        return Err(store_error(path, "the time range is too long"));
    }
    if start >= end {
        return Ok(());
    }
    fetch_rows(path, start, end, 1, each).map(|_| ())
}

/// librrd's `info` as text values (`step`, `ds[loss].max`, `rra[0].rows`, ...).
pub fn info(path: &Path) -> Result<HashMap<String, String>, StoreError> {
    use rrd::ops::info::InfoValue;
    init_librrd();
    crate::rrd::iocount::open();
    let map = rrd::ops::info::info(path).map_err(|e| store_error(path, librrd_message(e)))?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                InfoValue::Value(x) => x.to_string(),
                InfoValue::Count(c) => c.to_string(),
                InfoValue::String(s) => s,
                InfoValue::Int(i) => i.to_string(),
                InfoValue::Blob(b) => format!("<{} bytes>", b.len()),
            };
            (k, text)
        })
        .collect())
}

fn c_path(path: &Path) -> Result<CString, StoreError> {
    let text = path
        .to_str()
        .ok_or_else(|| store_error(path, "path is not valid UTF-8"))?;
    CString::new(text).map_err(|_| store_error(path, "path contains a NUL byte"))
}

/// librrd's per-thread error message, cleared after reading.
fn take_error() -> String {
    // SAFETY: rrd_get_error returns librrd's thread-local buffer (or null); we copy it before
    // clearing it, and never keep the pointer.
    unsafe {
        let p = rrd_sys::rrd_get_error();
        let message = if p.is_null() || *p == 0 {
            "librrd failed without a message".to_string()
        } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
        };
        rrd_sys::rrd_clear_error();
        message
    }
}

/// librrd's message; when it has none (librrd leaves it empty on some I/O failures, such as
/// a full disk during create), what the OS said about the failed call.
fn librrd_message(e: rrd::error::RrdError) -> String {
    let os = std::io::Error::last_os_error();
    match e {
        rrd::error::RrdError::LibRrdError(m) if !m.trim().is_empty() => m,
        rrd::error::RrdError::LibRrdError(_) => format!("librrd gave no reason (system: {os})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_parse_and_print() {
        let a: Rra = "AVERAGE:0.5:1:5760".parse().unwrap();
        assert_eq!(a.to_string(), "AVERAGE:0.5:1:5760");
        assert_eq!("RRA:max:0.5:12:4320".parse::<Rra>().unwrap().cf, "MAX");
        assert!("AVG:0.5:1:10".parse::<Rra>().is_err());
        assert!("AVERAGE:1:1:10".parse::<Rra>().is_err());
        assert!("AVERAGE:0.5:0:10".parse::<Rra>().is_err());
        assert!("AVERAGE:0.5:1".parse::<Rra>().is_err());
    }

    #[test]
    fn create_update_last_fetch_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rrd");
        let layout = Layout {
            pings: 2,
            ..Layout::pinger_default()
        };
        create(&path, &layout, 1_800_000).unwrap();
        assert_eq!(last_update(&path).unwrap(), 1_800_000);
        let mut batch = UpdateBatch::new();
        for (t, v) in [(1_801_800, "U:0:0.5:0.25:0.75"), (1_803_600, "U:2:U:U:U")] {
            batch.begin();
            batch.push(format!("{t}:{v}").as_bytes());
        }
        assert_eq!(batch.get(1), "1803600:U:2:U:U:U");
        update(&path, &mut batch).unwrap();
        assert_eq!(last_update(&path).unwrap(), 1_803_600);
        let f = fetch(&path, 1_800_000, 1_803_600, 1800).unwrap();
        assert_eq!(f.names, ["uptime", "loss", "median", "ping1", "ping2"]);
        assert_eq!(f.rows[0].0, 1_801_800);
        assert_eq!(f.rows[0].1[1..], [0.0, 0.5, 0.25, 0.75]);
        assert_eq!(f.rows[1].1[1], 2.0);
        assert!(f.rows[1].1[2].is_nan());
        let info = info(&path).unwrap();
        assert_eq!(info["step"], "1800");
        assert_eq!(info["ds[loss].max"], "2");
        assert_eq!(info["ds[ping1].minimal_heartbeat"], "3600");
        assert_eq!(info["rra[0].rows"], "5760");
    }

    #[test]
    fn errors_name_the_file_and_say_what_librrd_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.rrd");
        create(&path, &Layout::pinger_default(), 1_800_000).unwrap();
        let mut batch = UpdateBatch::new();
        batch.begin();
        batch.push(b"1800000:U:0:U:U:U:U:U:U:U:U:U:U:U");
        let err = update(&path, &mut batch).unwrap_err().to_string();
        assert!(err.starts_with(&path.display().to_string()), "{err}");
        assert!(err.contains("illegal attempt to update"), "{err}");
        let missing = dir.path().join("missing.rrd");
        assert!(last_update(&missing).is_err());
        std::fs::write(dir.path().join("junk.rrd"), b"not an rrd").unwrap();
        assert!(last_update(&dir.path().join("junk.rrd")).is_err());
    }
}
