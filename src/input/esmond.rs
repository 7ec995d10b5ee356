//! perfSONAR measurements as a second input: metadata and data from an esmond archive (or
//! perfSONAR 5's elmond, behind the same routes), or from the JSON files that
//! `esmond-ps-get-bulk -o json` writes, turned into SmokePing samples (`interop-facts.md`,
//! sections A and B). Fetching is the front end's ([`Archive`]); this module pages, checks
//! and samples.
//!
//! The rule, for a step of S seconds and N "pings" (SmokePing's 300 s and 20 by default):
//! - a point at `ts` belongs to the step `(T - S, T]` with `T = ceil(ts / S) * S`: a point on
//!   a step's end is that step's, so that `ts` as `serve` writes it (a slot's end) comes back
//!   to the same slot;
//! - a step's received packets are the merged histograms of its points (`histogram-rtt`, or
//!   `histogram-owdelay`), buckets in milliseconds; its sent and lost packets the sums of its
//!   `packet-count-sent` and `packet-count-lost` points, else N times the mean of its
//!   `packet-loss-rate` points, else (no loss data) none lost;
//! - loss = round(N · lost / sent), at most N − 1 when a packet came back; with k = N − loss,
//!   the k reply slots take the received packets at the quantiles (i − 0.5) / k, i = 1..k
//!   (the packet of rank ⌊((i − 0.5) / k) · r⌋ of the r received, in RTT order), laid out as
//!   SmokePing lays out its pings (`loss div 2` unknown, the k values, the rest unknown);
//! - the median is the received packets' upper median (rank ⌊r / 2⌋), as SmokePing takes it;
//! - a step with packets sent and none received has loss N and no values; a step with no
//!   data at all is unknown, never zero.
//!
//! Nothing here is sized by a number in the input: pages are bounded, bodies are bounded by
//! the fetcher, counts are checked for overflow, and a step's buckets are kept only until
//! the next step begins.

use crate::model::key::Key;
use crate::model::series::{Micros, Series, UNKNOWN};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The archive's route prefix, as esmond's clients hard-wire it.
pub const PREFIX: &str = "/esmond/perfsonar/archive/";

/// Points asked for per data request (esmond-client's figure; elmond's default page).
pub const PAGE: usize = 1000;

/// Metadata objects asked for per list request.
pub const METADATA_PAGE: usize = 500;

/// Points read per measurement and run at most: far above any real archive's (a
/// `latencybg` test's 120 days are 172,800 one-minute histograms), far below what would
/// hold a run forever.
pub const MAX_POINTS: usize = 5_000_000;

/// RTT buckets from this many milliseconds on are refused (PingER's own bound).
pub const MAX_RTT_MS: f64 = 10_000_000.0;

/// Fetches documents from an archive: the front end's HTTP client, or a test's.
pub trait Archive: Sync {
    /// The body of `GET <archive root><path_and_query>`, or why not (its URL and status).
    fn get(&self, path_and_query: &str) -> Result<Vec<u8>, FetchError>;
}

/// An archive request that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{url}: {reason}")]
pub struct FetchError {
    /// What was asked for.
    pub url: String,
    /// The status, the time-out, the oversized body.
    pub reason: String,
}

/// Why a measurement (or the list) could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EsmondError {
    /// The archive refused or did not answer.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// An answer that is not what esmond sends.
    #[error("{what}: {why}")]
    Bad {
        /// Which answer.
        what: String,
        /// What is wrong with it.
        why: String,
    },
}

fn bad(what: impl Into<String>, why: impl Into<String>) -> EsmondError {
    EsmondError::Bad {
        what: what.into(),
        why: why.into(),
    }
}

/// The metadata filters, as esmond's clients send them.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// `source`.
    pub source: Option<String>,
    /// `destination`.
    pub destination: Option<String>,
    /// `measurement-agent`.
    pub agent: Option<String>,
    /// `tool-name`.
    pub tool: Option<String>,
    /// Other filters, `(esmond name, value)`.
    pub other: Vec<(String, String)>,
    /// `time-start` (of the metadata list: esmond's last-write time).
    pub start: Option<i64>,
    /// `time-end`.
    pub end: Option<i64>,
}

impl Filters {
    /// The list's query string.
    fn query(&self, limit: usize, offset: usize) -> String {
        let mut q: Vec<(String, String)> = Vec::new();
        let mut add = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                q.push((k.into(), v.clone()));
            }
        };
        add("source", &self.source);
        add("destination", &self.destination);
        add("measurement-agent", &self.agent);
        add("tool-name", &self.tool);
        q.extend(self.other.iter().cloned());
        if let Some(s) = self.start {
            q.push(("time-start".into(), s.to_string()));
        }
        if let Some(e) = self.end {
            q.push(("time-end".into(), e.to_string()));
        }
        q.push(("limit".into(), limit.to_string()));
        q.push(("offset".into(), offset.to_string()));
        serde_urlencoded::to_string(&q).unwrap_or_default()
    }
}

/// One measurement of the archive (a metadata object), as the importer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    /// `metadata-key` (esmond: 32 hex digits; elmond: 64).
    pub mkey: String,
    /// `source`.
    pub source: String,
    /// `destination`.
    pub destination: String,
    /// `ip-packet-size`, when the metadata says.
    pub bytes: Option<u32>,
    /// The RTT histograms' base URI (`histogram-rtt`, else `histogram-owdelay`).
    pub histogram: Option<String>,
    /// `packet-count-sent`'s base URI.
    pub sent: Option<String>,
    /// `packet-count-lost`'s base URI.
    pub lost: Option<String>,
    /// `packet-loss-rate`'s base URI.
    pub loss_rate: Option<String>,
}

impl Measurement {
    /// Whether it has RTT histograms and some loss data: what the importer reads.
    pub fn importable(&self) -> bool {
        self.histogram.is_some()
    }
}

/// A metadata value as text: esmond sends strings, elmond JSON numbers.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads one metadata object; `None` for one that is not a point-to-point measurement.
pub fn measurement(m: &Value) -> Result<Option<Measurement>, EsmondError> {
    let field = |name: &str| m.get(name).and_then(text);
    let Some(mkey) = field("metadata-key") else {
        return Err(bad("metadata", "an object without metadata-key"));
    };
    let (Some(source), Some(destination)) = (field("source"), field("destination")) else {
        return Ok(None);
    };
    let bytes = field("ip-packet-size").and_then(|b| b.parse().ok());
    let mut found = Measurement {
        mkey,
        source,
        destination,
        bytes,
        histogram: None,
        sent: None,
        lost: None,
        loss_rate: None,
    };
    let Some(ets) = m.get("event-types").and_then(Value::as_array) else {
        return Ok(Some(found));
    };
    let mut owdelay = None;
    for et in ets {
        let (Some(name), Some(uri)) = (
            et.get("event-type").and_then(Value::as_str),
            et.get("base-uri").and_then(Value::as_str),
        ) else {
            continue;
        };
        // perfSONAR 5 (elmond) ends base URIs in `/base/0`; both routes answer base data.
        let uri = Some(uri.to_string());
        match name {
            "histogram-rtt" => found.histogram = uri,
            "histogram-owdelay" => owdelay = uri,
            "packet-count-sent" => found.sent = uri,
            "packet-count-lost" => found.lost = uri,
            "packet-loss-rate" => found.loss_rate = uri,
            // Other event types (elmond's pscheduler-run-href, throughput, ...) are not ours.
            _ => {}
        }
    }
    if found.histogram.is_none() {
        found.histogram = owdelay;
    }
    Ok(Some(found))
}

/// The metadata list, page by page: each page's measurements go to `each` before the next
/// page is asked for, so memory follows one page. Stops at the end of the list, or when
/// `metadata-count-total` says so.
pub fn list(
    archive: &dyn Archive,
    filters: &Filters,
    mut each: impl FnMut(Vec<Measurement>),
) -> Result<usize, EsmondError> {
    let mut offset = 0;
    let mut total = None;
    loop {
        let path = format!("{PREFIX}?{}", filters.query(METADATA_PAGE, offset));
        let body = archive.get(&path)?;
        let page: Value =
            serde_json::from_slice(&body).map_err(|e| bad(&path, format!("not JSON: {e}")))?;
        let Value::Array(objects) = page else {
            return Err(bad(&path, "not a list of metadata objects"));
        };
        if offset == 0 {
            total = objects
                .first()
                .and_then(|o| o.get("metadata-count-total"))
                .and_then(Value::as_u64);
        }
        let count = objects.len();
        let mut found = Vec::with_capacity(count);
        for o in &objects {
            if let Some(m) = measurement(o)? {
                found.push(m);
            }
        }
        each(found);
        offset += count;
        let done = count < METADATA_PAGE || total.is_some_and(|t| offset as u64 >= t);
        if done {
            return Ok(offset);
        }
    }
}

/// Reads the points of `base_uri` with `ts` in `[start, end]`, as esmond's clients page
/// them (`limit`, then `time-start = last ts + 1`), handing each to `each` in order. Refuses
/// an archive that answers out of order or outside the range asked for (it would never end)
/// and more than [`MAX_POINTS`].
pub fn points(
    archive: &dyn Archive,
    base_uri: &str,
    start: i64,
    end: Option<i64>,
    mut each: impl FnMut(i64, &Value) -> Result<(), EsmondError>,
) -> Result<usize, EsmondError> {
    let mut from = start;
    let mut read = 0usize;
    loop {
        let mut q = vec![
            ("time-start", from.to_string()),
            ("limit", PAGE.to_string()),
        ];
        if let Some(e) = end {
            q.push(("time-end", e.to_string()));
        }
        let path = format!(
            "{base_uri}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        );
        let body = archive.get(&path)?;
        let page: Value =
            serde_json::from_slice(&body).map_err(|e| bad(&path, format!("not JSON: {e}")))?;
        let Value::Array(page) = page else {
            return Err(bad(&path, "not a list of points"));
        };
        let mut last = None;
        for p in &page {
            let ts = p
                .get("ts")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad(&path, "a point without an integer ts"))?;
            if ts < from || end.is_some_and(|e| ts > e) || last.is_some_and(|l| ts < l) {
                return Err(bad(
                    &path,
                    format!("point at {ts} outside or out of order: the archive does not page"),
                ));
            }
            let val = p.get("val").unwrap_or(&Value::Null);
            each(ts, val)?;
            last = Some(ts);
        }
        read += page.len();
        if read > MAX_POINTS {
            return Err(bad(base_uri, format!("more than {MAX_POINTS} points")));
        }
        match last {
            Some(l) if page.len() >= PAGE && end.is_none_or(|e| l < e) => from = l + 1,
            _ => return Ok(read),
        }
    }
}

/// A histogram value's buckets: (RTT in microseconds, count). Refuses buckets that are not
/// numbers from 0 to [`MAX_RTT_MS`], and counts that are not whole numbers from 0 up.
pub fn histogram_buckets(what: &str, val: &Value) -> Result<Vec<(Micros, u64)>, EsmondError> {
    let Value::Object(map) = val else {
        return Err(bad(what, "a histogram that is not an object"));
    };
    let mut out = Vec::with_capacity(map.len());
    for (bucket, count) in map {
        let ms: f64 = bucket
            .trim()
            .parse()
            .map_err(|_| bad(what, format!("bucket `{bucket}` is not a number")))?;
        if !ms.is_finite() || !(0.0..MAX_RTT_MS).contains(&ms) {
            return Err(bad(what, format!("bucket `{bucket}` is not an RTT")));
        }
        let count = count
            .as_u64()
            .or_else(|| {
                count
                    .as_f64()
                    .filter(|c| c.fract() == 0.0 && *c >= 0.0 && *c < 9e15)
                    .map(|c| c as u64)
            })
            .ok_or_else(|| {
                bad(
                    what,
                    format!("bucket `{bucket}`'s count {count} is not a count"),
                )
            })?;
        out.push(((ms * 1000.0).round() as Micros, count));
    }
    Ok(out)
}

/// A count or a rate point's value: a finite number from 0 up.
pub fn number(what: &str, val: &Value) -> Result<f64, EsmondError> {
    val.as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| bad(what, format!("{val} is not a count")))
}

/// The loss data of a step.
#[derive(Debug, Clone, Copy, Default)]
struct Loss {
    sent: u64,
    lost: u64,
    counted: bool,
    rate_sum: f64,
    rates: u32,
}

/// Turns points into one key's SmokePing samples (the rule in the module comment). Loss
/// data goes in first (it is small: a few numbers a step); then histograms in `ts` order,
/// each step finished as soon as the next one begins.
#[derive(Debug)]
pub struct Steps {
    step: i64,
    n: u32,
    loss: BTreeMap<i64, Loss>,
    /// The step being filled: its end and its buckets (µs -> count).
    open: Option<(i64, BTreeMap<Micros, u64>)>,
    series: Series,
}

impl Steps {
    /// Samples of `key` (its N is the pings) on steps of `step` seconds.
    pub fn new(key: Key, step: u32) -> Steps {
        Steps {
            step: i64::from(step.max(1)),
            n: key.pings.max(1),
            loss: BTreeMap::new(),
            open: None,
            series: Series {
                key,
                slots: Vec::new(),
                losses: Vec::new(),
                values: Vec::new(),
            },
        }
    }

    /// The step a point at `ts` belongs to: its end, `ceil(ts / S) * S`.
    pub fn step_of(&self, ts: i64) -> i64 {
        -((-ts).div_euclid(self.step)) * self.step
    }

    /// Adds a `packet-count-sent` (`lost` false) or `packet-count-lost` point.
    pub fn count(
        &mut self,
        what: &str,
        ts: i64,
        val: &Value,
        lost: bool,
    ) -> Result<(), EsmondError> {
        let n = number(what, val)?;
        if n.fract() != 0.0 || n > 1e15 {
            return Err(bad(what, format!("{val} is not a count")));
        }
        let step = self.step_of(ts);
        let entry = self.loss.entry(step).or_default();
        let slot = if lost {
            &mut entry.lost
        } else {
            &mut entry.sent
        };
        *slot = slot
            .checked_add(n as u64)
            .ok_or_else(|| bad(what, "the counts of a step overflow"))?;
        entry.counted = true;
        Ok(())
    }

    /// Adds a `packet-loss-rate` point (a fraction).
    pub fn rate(&mut self, what: &str, ts: i64, val: &Value) -> Result<(), EsmondError> {
        let r = number(what, val)?;
        if r > 1.0 {
            return Err(bad(what, format!("loss rate {val} above 1")));
        }
        let step = self.step_of(ts);
        let entry = self.loss.entry(step).or_default();
        entry.rate_sum += r;
        entry.rates += 1;
        Ok(())
    }

    /// Adds a histogram point; points must come in `ts` order.
    pub fn histogram(&mut self, what: &str, ts: i64, val: &Value) -> Result<(), EsmondError> {
        let buckets = histogram_buckets(what, val)?;
        let step = self.step_of(ts);
        match &self.open {
            Some((open, _)) if *open == step => {}
            Some((open, _)) if *open > step => {
                return Err(bad(what, "histograms out of order"));
            }
            _ => {
                if let Some((end, done)) = self.open.take() {
                    self.finish_step(end, done);
                }
                self.finish_loss_only(step);
                self.open = Some((step, BTreeMap::new()));
            }
        }
        let (_, open) = self.open.as_mut().expect("a step is open");
        for (rtt, count) in buckets {
            let c = open.entry(rtt).or_default();
            *c = c
                .checked_add(count)
                .ok_or_else(|| bad(what, "the counts of a step overflow"))?;
        }
        // The step's total is summed later: it must fit too.
        if open
            .values()
            .try_fold(0u64, |a, &c| a.checked_add(c))
            .is_none()
        {
            return Err(bad(what, "the counts of a step overflow"));
        }
        Ok(())
    }

    /// Writes the steps before `before` that have loss data but no histogram (every packet
    /// lost), in order.
    fn finish_loss_only(&mut self, before: i64) {
        let done: Vec<i64> = self
            .loss
            .range(..before)
            .map(|(t, _)| *t)
            .filter(|t| self.series.slots.last().is_none_or(|l| t > l))
            .collect();
        for t in done {
            // No histogram: the RTTs are unknown, the loss is what the loss data says.
            let data = self.loss[&t];
            if data.rates > 0 || (data.counted && data.sent > 0) {
                let loss = self.scaled_loss(data, 0);
                self.push(t, loss as u32, &[]);
            }
        }
    }

    /// A step's loss in N-ping units, with `r` packets received: round(N · lost / sent)
    /// from counts (sent at least r), else N times the mean rate, else none.
    fn scaled_loss(&self, data: Loss, r: u64) -> u64 {
        let n = u64::from(self.n);
        if data.counted {
            let sent = data.sent.max(r);
            if sent == 0 {
                return 0;
            }
            // Round half up of N * lost / sent, in integers.
            let lost = data.lost.min(sent);
            ((2 * n as u128 * lost as u128 + sent as u128) / (2 * sent as u128)) as u64
        } else if data.rates > 0 {
            let rate = data.rate_sum / f64::from(data.rates);
            ((rate * n as f64).round() as u64).min(n)
        } else {
            0
        }
    }

    fn finish_step(&mut self, end: i64, buckets: BTreeMap<Micros, u64>) {
        let r: u64 = buckets.values().sum();
        let loss_data = self.loss.get(&end).copied().unwrap_or_default();
        let n = u64::from(self.n);
        if r == 0 {
            // An empty histogram: every packet lost.
            if loss_data.counted || loss_data.rates > 0 {
                self.push(end, self.n, &[]);
            }
            return;
        }
        let mut loss = self.scaled_loss(loss_data, r);
        loss = loss.min(n - 1);
        let k = n - loss;
        let ranked = |rank: u64| -> Micros {
            let mut seen = 0;
            for (&rtt, &c) in &buckets {
                seen += c;
                if rank < seen {
                    return rtt;
                }
            }
            *buckets.keys().next_back().expect("r > 0")
        };
        let values: Vec<Micros> = (1..=k)
            .map(|i| {
                // The packet at quantile (i - 0.5) / k: rank floor((2i - 1) r / 2k).
                let rank = ((2 * i - 1) as u128 * r as u128 / (2 * k) as u128) as u64;
                ranked(rank.min(r - 1))
            })
            .collect();
        let median = ranked(r / 2);
        self.push_with_median(end, loss as u32, median, &values);
    }

    fn push(&mut self, end: i64, loss: u32, values: &[Micros]) {
        self.push_with_median(end, loss, UNKNOWN, values);
    }

    /// One sample: the values laid out as SmokePing's pings around the unknown ones.
    fn push_with_median(&mut self, end: i64, loss: u32, median: Micros, values: &[Micros]) {
        let n = self.n as usize;
        let before = (loss / 2) as usize;
        self.series.slots.push(end);
        self.series.losses.push(loss as u16);
        self.series.values.push(median);
        for slot in 0..n {
            let v = slot
                .checked_sub(before)
                .and_then(|i| values.get(i))
                .copied()
                .unwrap_or(UNKNOWN);
            self.series.values.push(v);
        }
    }

    /// The series: every step with data, in order.
    pub fn finish(mut self) -> Series {
        if let Some((end, done)) = self.open.take() {
            self.finish_step(end, done);
        }
        self.finish_loss_only(i64::MAX);
        self.series
    }
}

/// One (source, destination) of an `esmond-ps-get-bulk -o json` export: its points by event
/// type, from the rows of every file (the rows, not the file names, say source,
/// destination and event type: names may hold `_`).
#[derive(Debug, Default)]
pub struct BulkPair {
    /// Points of each base event type, `(ts, value)`, in `ts` order.
    pub points: BTreeMap<String, Vec<(i64, Value)>>,
}

/// Reads every `*.json` file of `dir` written by `esmond-ps-get-bulk -o json`. Returns the
/// pairs, and per file the error of a file that could not be read (the others are kept).
#[allow(clippy::type_complexity)]
pub fn read_bulk(
    dir: &Path,
) -> (
    BTreeMap<(String, String), BulkPair>,
    Vec<(PathBuf, EsmondError)>,
) {
    let mut pairs: BTreeMap<(String, String), BulkPair> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(e) => {
            errors.push((
                dir.to_path_buf(),
                bad(dir.display().to_string(), e.to_string()),
            ));
            return (pairs, errors);
        }
    };
    files.sort();
    for file in files {
        if let Err(e) = read_bulk_file(&file, &mut pairs) {
            errors.push((file, e));
        }
    }
    for pair in pairs.values_mut() {
        for points in pair.points.values_mut() {
            points.sort_by_key(|p| p.0);
        }
    }
    (pairs, errors)
}

/// The most a bulk file may hold: one key's 120 days of one-minute histograms are well under.
const MAX_BULK_FILE: u64 = 1 << 30;

fn read_bulk_file(
    file: &Path,
    pairs: &mut BTreeMap<(String, String), BulkPair>,
) -> Result<(), EsmondError> {
    let what = file.display().to_string();
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    if size > MAX_BULK_FILE {
        return Err(bad(
            &what,
            format!("{size} bytes: more than a bulk file holds"),
        ));
    }
    let text = std::fs::read(file).map_err(|e| bad(&what, e.to_string()))?;
    let rows: Value =
        serde_json::from_slice(&text).map_err(|e| bad(&what, format!("not JSON: {e}")))?;
    let Value::Array(rows) = rows else {
        return Err(bad(&what, "not a list of rows"));
    };
    for row in rows {
        // `[{"msg": "No data found."}]`: an export without data.
        if row.get("msg").is_some() {
            continue;
        }
        let field = |n: &str| row.get(n).and_then(Value::as_str);
        let (Some(source), Some(destination), Some(et), Some(time)) = (
            field("source"),
            field("destination"),
            field("event_type"),
            field("timestamp"),
        ) else {
            return Err(bad(
                &what,
                "a row without source, destination, event_type or timestamp",
            ));
        };
        if field("summary_type").is_some_and(|s| s != "base") {
            continue;
        }
        let ts = chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S")
            .map_err(|_| {
                bad(
                    &what,
                    format!("timestamp `{time}` is not YYYY-MM-DD HH:MM:SS"),
                )
            })?
            .and_utc()
            .timestamp();
        let value = row.get("value").cloned().unwrap_or(Value::Null);
        pairs
            .entry((source.to_string(), destination.to_string()))
            .or_default()
            .points
            .entry(et.to_string())
            .or_default()
            .push((ts, value));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(n: u32) -> Key {
        Key {
            monitor: "m".into(),
            remote: "r".into(),
            bytes: 100,
            pings: n,
        }
    }

    #[test]
    fn a_point_on_a_step_end_belongs_to_that_step() {
        let s = Steps::new(key(10), 300);
        assert_eq!(s.step_of(600), 600);
        assert_eq!(s.step_of(601), 900);
        assert_eq!(s.step_of(599), 600);
    }

    #[test]
    fn packets_become_quantiles_of_n_slots_with_loss_scaled() {
        let mut s = Steps::new(key(4), 300);
        // 100 sent, 50 lost: loss round(4 * 50 / 100) = 2, k = 2 values.
        s.count("t", 300, &json!(100.0), false).unwrap();
        s.count("t", 300, &json!(50.0), true).unwrap();
        let h: serde_json::Map<String, Value> =
            (1..=50).map(|i| (format!("{}.000", i), json!(1))).collect();
        s.histogram("t", 300, &Value::Object(h)).unwrap();
        // A step whose packets were all lost, then one with no data, then one full.
        s.count("t", 600, &json!(10.0), false).unwrap();
        s.count("t", 600, &json!(10.0), true).unwrap();
        s.histogram("t", 1200, &json!({"7.5": 4})).unwrap();
        let series = s.finish();
        assert_eq!(series.slots, [300, 600, 1200]);
        assert_eq!(series.losses, [2, 4, 0]);
        // Step 300: r = 50, k = 2: ranks floor(0.25 * 50) = 12 and floor(0.75 * 50) = 37, so
        // 13 ms and 38 ms; median rank 25: 26 ms; laid out U, 13, 38, U.
        let u = UNKNOWN;
        assert_eq!(series.values[..5], [26_000, u, 13_000, 38_000, u]);
        assert_eq!(series.values[5..10], [u, u, u, u, u]);
        assert_eq!(series.values[10..], [7_500, 7_500, 7_500, 7_500, 7_500]);
    }

    #[test]
    fn a_step_with_replies_keeps_at_least_one_value() {
        let mut s = Steps::new(key(10), 300);
        s.count("t", 300, &json!(600.0), false).unwrap();
        s.count("t", 300, &json!(599.0), true).unwrap();
        s.histogram("t", 300, &json!({"20.0": 1})).unwrap();
        let series = s.finish();
        assert_eq!(series.losses, [9]);
        assert_eq!(series.values.iter().filter(|&&v| v != UNKNOWN).count(), 2);
    }

    #[test]
    fn hostile_values_are_refused_not_taken() {
        let mut s = Steps::new(key(10), 300);
        for bad_histogram in [
            json!({"-1.0": 3}),
            json!({"abc": 3}),
            json!({"1e99": 3}),
            json!({"NaN": 3}),
            json!({"1.0": -2}),
            json!({"1.0": 2.5}),
            json!([1, 2]),
        ] {
            assert!(
                s.histogram("t", 300, &bad_histogram).is_err(),
                "{bad_histogram}"
            );
        }
        let max = json!({"1.0": u64::MAX - 1});
        s.histogram("t", 300, &max).unwrap();
        assert!(
            s.histogram("t", 300, &json!({"2.0": 2})).is_err(),
            "overflow"
        );
        assert!(s.count("t", 300, &json!(-1.0), true).is_err());
        assert!(s.rate("t", 300, &json!(1.5)).is_err());
    }

    #[test]
    fn esmond_and_elmond_metadata_read_alike() {
        let esmond = json!({
            "metadata-key": "0123456789abcdef0123456789abcdef",
            "source": "a.example.org", "destination": "b.example.org",
            "ip-packet-size": "1000",
            "event-types": [
                {"event-type": "histogram-rtt", "base-uri": "/esmond/perfsonar/archive/k/histogram-rtt/base"},
                {"event-type": "packet-loss-rate", "base-uri": "/esmond/perfsonar/archive/k/packet-loss-rate/base"},
            ]
        });
        let m = measurement(&esmond).unwrap().unwrap();
        assert_eq!(m.bytes, Some(1000));
        assert!(m.importable() && m.loss_rate.is_some() && m.sent.is_none());
        let elmond = json!({
            "metadata-key": "f".repeat(64),
            "source": "10.0.0.1", "destination": "10.0.0.2",
            "ip-packet-size": 512,
            "event-types": [
                {"event-type": "pscheduler-run-href", "base-uri": "/esmond/perfsonar/archive/k/pscheduler-run-href/base/0"},
                {"event-type": "histogram-owdelay", "base-uri": "/esmond/perfsonar/archive/k/histogram-owdelay/base/0"},
            ]
        });
        let m = measurement(&elmond).unwrap().unwrap();
        assert_eq!(m.bytes, Some(512));
        assert_eq!(
            m.histogram.as_deref(),
            Some("/esmond/perfsonar/archive/k/histogram-owdelay/base/0")
        );
    }
}
