//! One import of perfSONAR measurements into an RRD tree (`import esmond`, `import
//! esmond-bulk`), with the same writing machinery as `update`: the tree's lock, the undo
//! journal and atomic files, the key register, srcdest.txt and the tree's lists beside it.
//!
//! Each measurement is read and sampled on its own (`input::esmond`), so memory follows one
//! measurement and one page of the metadata list, never the archive. Then, per batch of keys:
//! - a first pass appends what is newer than each file's last update, leaving alone the
//!   files whose recent rows the new data agrees with;
//! - keys whose files lack, or differ from, the re-read data (a late point within the
//!   margin), and keys without a file, are written again from their file's older rows plus
//!   the new data: a late point is merged, never lost, and nothing is written twice.
//!
//! The record (`.pinger-smokeping.import.json`) keeps, per archive and measurement, the
//! latest `ts` read; the next run reads from there, less the margin.

use crate::input::esmond::{self, Archive, BulkPair, EsmondError, Filters, Measurement, Steps};
use crate::model::key::Key;
use crate::model::progress::{Progress, Stage};
use crate::model::series::{Micros, Series, UNKNOWN};
use crate::rrd::atomic::{self, WriteError};
use crate::rrd::store::{self, StoreError};
use crate::rrd::{claims, lock, updates};
use crate::run::convert::{self, Action, Commits, KeyError, Mode, Outcome, Target, WriteStats};
use crate::run::tree::{self, RunError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The record's file in the RRD directory.
pub const STATE_FILE: &str = ".pinger-smokeping.import.json";

/// Keys written together (one batch's series are held at once).
const BATCH: usize = 16;

/// What to read.
pub enum Source<'a> {
    /// An esmond (or elmond) archive.
    Archive {
        /// The fetcher.
        archive: &'a dyn Archive,
        /// The archive's root URL, naming its part of the record.
        url: String,
        /// The metadata filters.
        filters: Filters,
    },
    /// The JSON files of `esmond-ps-get-bulk -o json`.
    Bulk {
        /// Their directory.
        dir: PathBuf,
    },
}

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Seconds of data read again before the last point read (late data within it is merged).
    pub margin: i64,
    /// The packet size of measurements whose metadata has none (bulk files never do).
    pub bytes: Option<u32>,
    /// Data points from this time on (the first run; later runs start at the record).
    pub start: Option<i64>,
    /// Data points up to this time.
    pub end: Option<i64>,
}

/// What one import did.
#[derive(Debug, Default)]
pub struct ImportRun {
    /// Temporary files of an interrupted run that were removed.
    pub leftovers: usize,
    /// Files put back as they were before an interrupted append.
    pub restored: usize,
    /// Measurements seen.
    pub measurements: usize,
    /// Data points read.
    pub points: u64,
    /// Measurements left out, with why (no histogram, no packet size).
    pub skipped: Vec<(String, String)>,
    /// Measurements that could not be read, with why (the good ones are written).
    pub failed: Vec<(String, EsmondError)>,
    /// One outcome per key written.
    pub outcomes: Vec<Outcome>,
    /// Writing figures.
    pub write: WriteStats,
}

impl ImportRun {
    /// Whether some measurement or key failed.
    pub fn failed(&self) -> bool {
        !self.failed.is_empty() || self.write.failed > 0
    }
}

/// The record: per source, per measurement, the latest `ts` read.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    sources: BTreeMap<String, BTreeMap<String, i64>>,
}

fn load(rrd: &Path) -> Record {
    std::fs::read(rrd.join(STATE_FILE))
        .ok()
        .and_then(|t| serde_json::from_slice(&t).ok())
        .unwrap_or_default()
}

fn save(rrd: &Path, record: &Record, target: &Target) -> Result<(), WriteError> {
    let text = serde_json::to_vec(record).expect("a record serialises");
    let options = atomic::Options {
        fsync: target.fsync,
        tag: &target.temp_tag,
    };
    atomic::replace(&rrd.join(STATE_FILE), options, |file, temp| {
        use std::io::Write;
        file.write_all(&text)
            .map_err(|e| WriteError::new(temp, "cannot write", e))
    })
}

/// One measurement read and sampled: its key, its series and the latest `ts` read.
struct Read {
    id: String,
    series: Series,
    latest: Option<i64>,
}

/// Imports `source` into the tree of `target` (whose layout gives the step and N).
pub fn import(
    source: Source<'_>,
    target: &Target,
    options: &Options,
    progress: &dyn Progress,
) -> Result<ImportRun, RunError> {
    let rrd = &target.rrd_dir;
    let _lock = lock::acquire_for(rrd, None)?;
    let (restored, leftovers) = tree::prepare(target)?;
    let mut run = ImportRun {
        restored,
        leftovers,
        ..ImportRun::default()
    };
    let mut record = load(rrd);
    let source_id = match &source {
        Source::Archive { url, .. } => format!("esmond {url}"),
        Source::Bulk { dir } => format!("esmond-bulk {}", dir.display()),
    };
    let mut writer = Writer::new(target, progress);
    let seen = record.sources.remove(&source_id).unwrap_or_default();
    let mut latest = seen.clone();
    progress.begin(Stage::Reading, 0);
    let mut batch: Vec<Read> = Vec::new();
    // Writes a batch; a key's record moves on only once its file is written.
    let mut flush = |batch: &mut Vec<Read>, latest: &mut BTreeMap<String, i64>| {
        for (read, ok) in writer.write(std::mem::take(batch)) {
            if let (true, Some(ts)) = (ok, read.latest) {
                latest.insert(read.id, ts);
            }
        }
    };
    match source {
        Source::Archive {
            archive, filters, ..
        } => {
            let listed = esmond::list(archive, &filters, |page| {
                progress.grow(Stage::Reading, page.len() as u64);
                for m in page {
                    run.measurements += 1;
                    let since = since(&seen, &m.mkey, options);
                    match read_measurement(archive, &m, since, options, target) {
                        Ok((Some(read), points)) => {
                            run.points += points;
                            batch.push(read);
                        }
                        Ok((None, points)) => {
                            run.points += points;
                            run.skipped.push((describe(&m), skip_reason(&m, options)));
                        }
                        Err(e) => {
                            progress.error(&format!("{}: {e}", describe(&m)));
                            run.failed.push((describe(&m), e));
                        }
                    }
                    progress.advance(Stage::Reading);
                    if batch.len() >= BATCH {
                        flush(&mut batch, &mut latest);
                    }
                }
            });
            if let Err(e) = listed {
                // The list itself failed: what was read is written, and the run fails.
                run.failed.push(("the metadata list".into(), e));
            }
        }
        Source::Bulk { dir } => {
            let (pairs, errors) = esmond::read_bulk(&dir);
            for (file, e) in errors {
                run.failed.push((file.display().to_string(), e));
            }
            progress.grow(Stage::Reading, pairs.len() as u64);
            for ((source, destination), pair) in pairs {
                run.measurements += 1;
                let id = format!("{source}\t{destination}");
                let name = format!("{source} to {destination}");
                let since = since(&seen, &id, options);
                match bulk_series(&id, &source, &destination, &pair, since, options, target) {
                    Ok((Some(read), points)) => {
                        run.points += points;
                        batch.push(read);
                    }
                    Ok((None, points)) => {
                        run.points += points;
                        let why = if options.bytes.is_none() {
                            "no packet size: give --bytes"
                        } else {
                            "no histogram: skipped"
                        };
                        run.skipped.push((name, why.into()));
                    }
                    Err(e) => {
                        progress.error(&format!("{name}: {e}"));
                        run.failed.push((name, e));
                    }
                }
                progress.advance(Stage::Reading);
                if batch.len() >= BATCH {
                    flush(&mut batch, &mut latest);
                }
            }
        }
    }
    flush(&mut batch, &mut latest);
    progress.end(Stage::Reading);
    let Writer {
        mut outcomes,
        seconds,
        ..
    } = writer;
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    run.write = WriteStats::tally(&outcomes);
    run.write.seconds = seconds;

    // srcdest.txt and the last updates beside it, then the record.
    let written: Vec<&Key> = outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| &o.key)
        .collect();
    let last_updates: Vec<(String, i64)> = outcomes
        .iter()
        .filter_map(|o| Some((o.key.relative_path(), o.last?)))
        .collect();
    lock::while_locked(&rrd.join(".pinger-smokeping.srcdest.lock"), || {
        tree::write_srcdest(target, &written)?;
        let options = atomic::Options {
            fsync: target.fsync,
            tag: &target.temp_tag,
        };
        updates::merge(rrd, last_updates, options)
    })
    .map_err(|source| RunError::SrcdestLock {
        dir: rrd.clone(),
        source,
    })?
    .map_err(RunError::Srcdest)?;
    record.sources.insert(source_id, latest);
    save(rrd, &record, target).map_err(|source| RunError::State {
        dir: rrd.clone(),
        source,
    })?;
    run.outcomes = outcomes;
    Ok(run)
}

/// Where a measurement's reading starts: the record's latest point less the margin, or the
/// first run's start.
fn since(seen: &BTreeMap<String, i64>, id: &str, options: &Options) -> i64 {
    let first = options.start.unwrap_or(0);
    match seen.get(id) {
        Some(&ts) => (ts + 1 - options.margin).max(first),
        None => first,
    }
}

fn describe(m: &Measurement) -> String {
    format!("{} to {} ({})", m.source, m.destination, m.mkey)
}

fn skip_reason(m: &Measurement, options: &Options) -> String {
    if m.bytes.or(options.bytes).is_none() {
        "no ip-packet-size: give --bytes".into()
    } else {
        "no histogram: skipped".into()
    }
}

/// The key a measurement is written to, by the tree's N.
fn key_of(source: &str, destination: &str, bytes: u32, target: &Target) -> Key {
    Key {
        monitor: source.to_string(),
        remote: destination.to_string(),
        bytes,
        pings: target.layout.pings,
    }
}

/// Reads one measurement's loss data and histograms since `since`; `None` for one without a
/// packet size or without histograms (perfSONAR 5's `rtt` tests store statistics only).
/// Returns the points read too.
fn read_measurement(
    archive: &dyn Archive,
    m: &Measurement,
    since: i64,
    options: &Options,
    target: &Target,
) -> Result<(Option<Read>, u64), EsmondError> {
    let (Some(histogram), Some(bytes)) = (&m.histogram, m.bytes.or(options.bytes)) else {
        return Ok((None, 0));
    };
    let key = key_of(&m.source, &m.destination, bytes, target);
    let mut steps = Steps::new(key, target.layout.step);
    let mut latest: Option<i64> = None;
    let mut points = 0u64;
    let end = options.end;
    for (uri, kind) in [(&m.sent, 0), (&m.lost, 1), (&m.loss_rate, 2)] {
        let Some(uri) = uri else { continue };
        if kind == 2 && (m.sent.is_some() || m.lost.is_some()) {
            continue;
        }
        points += esmond::points(archive, uri, since, end, |ts, val| {
            latest = latest.max(Some(ts));
            match kind {
                2 => steps.rate(uri, ts, val),
                k => steps.count(uri, ts, val, k == 1),
            }
        })? as u64;
    }
    let mut filled = 0usize;
    points += esmond::points(archive, histogram, since, end, |ts, val| {
        latest = latest.max(Some(ts));
        // An empty histogram (`{}`, or none) from an archive that stores none is not
        // "every packet lost": counted here, and a measurement with no filled one skipped.
        let empty = val.is_null() || val.as_object().is_some_and(|o| o.is_empty());
        if empty {
            return steps.histogram(histogram, ts, &Value::Object(Default::default()));
        }
        filled += 1;
        steps.histogram(histogram, ts, val)
    })? as u64;
    if filled == 0 {
        return Ok((None, points));
    }
    Ok((
        Some(Read {
            id: m.mkey.clone(),
            series: steps.finish(),
            latest,
        }),
        points,
    ))
}

/// Samples one pair of a bulk export.
fn bulk_series(
    id: &str,
    source: &str,
    destination: &str,
    pair: &BulkPair,
    since: i64,
    options: &Options,
    target: &Target,
) -> Result<(Option<Read>, u64), EsmondError> {
    let Some(bytes) = options.bytes else {
        return Ok((None, 0));
    };
    let histogram = ["histogram-rtt", "histogram-owdelay"]
        .iter()
        .find_map(|et| pair.points.get(*et).map(|p| (*et, p)));
    let Some((histogram_type, histogram)) = histogram else {
        return Ok((None, 0));
    };
    let key = key_of(source, destination, bytes, target);
    let mut steps = Steps::new(key, target.layout.step);
    let in_range = |ts: &i64| *ts >= since && options.end.is_none_or(|e| *ts <= e);
    let mut latest = None;
    let mut points = 0u64;
    let counted = pair.points.contains_key("packet-count-sent")
        || pair.points.contains_key("packet-count-lost");
    for (et, kind) in [
        ("packet-count-sent", 0),
        ("packet-count-lost", 1),
        ("packet-loss-rate", 2),
    ] {
        if kind == 2 && counted {
            continue;
        }
        for (ts, val) in pair
            .points
            .get(et)
            .into_iter()
            .flatten()
            .filter(|p| in_range(&p.0))
        {
            points += 1;
            latest = latest.max(Some(*ts));
            match kind {
                2 => steps.rate(et, *ts, val)?,
                k => steps.count(et, *ts, val, k == 1)?,
            }
        }
    }
    let mut filled = 0usize;
    for (ts, val) in histogram.iter().filter(|p| in_range(&p.0)) {
        points += 1;
        latest = latest.max(Some(*ts));
        if val.as_object().is_some_and(|o| !o.is_empty()) {
            filled += 1;
        }
        let val = if val.is_null() {
            &Value::Object(Default::default())
        } else {
            val
        };
        steps.histogram(histogram_type, *ts, val)?;
    }
    if filled == 0 {
        return Ok((None, points));
    }
    Ok((
        Some(Read {
            id: id.to_string(),
            series: steps.finish(),
            latest,
        }),
        points,
    ))
}

/// Writes batches of series (see the module comment).
struct Writer<'a> {
    target: &'a Target,
    progress: &'a dyn Progress,
    commits: Commits,
    outcomes: Vec<Outcome>,
    seconds: f64,
}

impl<'a> Writer<'a> {
    fn new(target: &'a Target, progress: &'a dyn Progress) -> Self {
        Writer {
            target,
            progress,
            commits: Commits::default(),
            outcomes: Vec::new(),
            seconds: 0.0,
        }
    }

    /// Writes a batch; returns each read with whether its key was written.
    fn write(&mut self, batch: Vec<Read>) -> Vec<(Read, bool)> {
        if batch.is_empty() {
            return Vec::new();
        }
        let rrd = &self.target.rrd_dir;
        let series: Vec<Series> = batch.iter().map(|r| r.series.clone()).collect();
        let refused = claims::claim(rrd, series.iter().map(|s| &s.key));
        // First pass: appends, and agreement with what the files hold.
        let partial = Mode::Update { partial: true };
        let (mut first, stats) = convert::convert(
            &series[..],
            self.target,
            partial,
            &refused,
            &mut self.commits,
            self.progress,
        );
        self.seconds += stats.seconds;
        // Second pass: keys without a file, or whose files the re-read data does not match.
        let deferred: Vec<usize> = (0..first.len())
            .filter(|&i| matches!(first[i].result, Ok((Action::Deferred, _))))
            .collect();
        if !deferred.is_empty() {
            let mut merged = Vec::with_capacity(deferred.len());
            let mut failed = Vec::new();
            for &i in &deferred {
                match with_history(&series[i], self.target) {
                    Ok(s) => merged.push((i, s)),
                    Err(e) => failed.push((i, e)),
                }
            }
            let whole: Vec<Series> = merged.iter().map(|(_, s)| s.clone()).collect();
            let mode = Mode::Update { partial: false };
            let (second, stats) = convert::convert(
                &whole[..],
                self.target,
                mode,
                &refused,
                &mut self.commits,
                self.progress,
            );
            self.seconds += stats.seconds;
            for ((i, _), outcome) in merged.iter().zip(second) {
                first[*i] = outcome;
            }
            for (i, e) in failed {
                first[i].result = Err(KeyError::Store(e));
            }
        }
        self.seconds += self.commits.finish(&mut first, rrd, self.progress);
        let oks: Vec<bool> = first.iter().map(|o| o.result.is_ok()).collect();
        self.outcomes.extend(first);
        batch.into_iter().zip(oks).collect()
    }
}

/// A key's series with the older rows its file holds put in front of it: the file's rows
/// with a known loss, from its start to the step before the series' first. Without a file,
/// the series as it is.
fn with_history(series: &Series, target: &Target) -> Result<Series, StoreError> {
    let path = series.key.rrd_path(&target.rrd_dir);
    if !path.exists() || series.slots.is_empty() {
        return Ok(series.clone());
    }
    let step = i64::from(target.layout.step);
    let span = store::span(&path)?;
    let first = series.slots[0];
    let from = span.last - span.finest;
    let until = first - step;
    if until <= from {
        return Ok(series.clone());
    }
    let fetched = store::fetch_in(&path, from, until, target.layout.step)?;
    let n = series.key.pings as usize;
    let mut merged = Series {
        key: series.key.clone(),
        slots: Vec::new(),
        losses: Vec::new(),
        values: Vec::new(),
    };
    let micros = |v: f64| -> Micros {
        if v.is_finite() {
            (v * 1e6).round() as Micros
        } else {
            UNKNOWN
        }
    };
    for (t, v) in &fetched.rows {
        if *t >= first || v.len() < 3 + n || !v[1].is_finite() {
            continue;
        }
        merged.slots.push(*t);
        merged.losses.push(v[1].round() as u16);
        merged.values.push(micros(v[2]));
        merged.values.extend(v[3..3 + n].iter().map(|&p| micros(p)));
    }
    merged.slots.extend_from_slice(&series.slots);
    merged.losses.extend_from_slice(&series.losses);
    merged.values.extend_from_slice(&series.values);
    Ok(merged)
}
