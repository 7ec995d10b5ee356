//! Writing RRDs: build each key's file from scratch (backfill), or bring it up to date
//! (the nightly update: append what is new, rebuild a key whose file misses late data).
//!
//! Readers and crashed runs never see a half-written RRD: a file built whole goes to a
//! temporary file renamed into place when complete (`rrd::atomic`; a backfill stages a
//! directory's files and commits them together, see [`Commits`]), and the nightly append
//! writes in place under an undo journal (`rrd::journal`), or, for a file the journal cannot
//! describe, to a copy renamed into place. Keys are processed in parallel; each file is owned
//! by exactly one worker (librrd's locks are per process, not per thread).

use crate::input::collect::Collection;
use crate::model::key::Key;
use crate::model::progress::{Progress, Stage};
use crate::model::series::Micros;
use crate::model::series::{Series, UNKNOWN};
use crate::rrd::atomic;
use crate::rrd::claims::{Refusal, Refused};
use crate::rrd::journal;
use crate::rrd::store::{self, Layout, StoreError, UpdateBatch};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Backfill rebuilds every key; update appends and rebuilds only what needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Build every key's file from the window.
    Backfill,
    /// Append samples newer than each file's last update; rebuild on late data.
    Update {
        /// The samples come from the changed files only: a key that needs building (no
        /// file yet, or late data) is [`Action::Deferred`] to a read of the whole window.
        partial: bool,
    },
}

/// How to write.
#[derive(Debug, Clone)]
pub struct Target {
    /// Root of the RRD tree.
    pub rrd_dir: PathBuf,
    /// File layout.
    pub layout: Layout,
    /// Make each file durable before it is renamed into place (crash safety; a backfill syncs
    /// a directory's files at once, see `atomic::Staging` and [`Commits`]).
    pub fsync: bool,
    /// Marks this run's temporary files (see [`temp_tag`]).
    pub temp_tag: String,
    /// Send appends through rrdcached; files are flushed there before they are read and
    /// flushed and forgotten before they are replaced, so direct and daemon writes never
    /// mix on one file.
    pub daemon: Option<store::Daemon>,
}

/// The tag in a run's temporary file names: empty for a whole-tree run, `.sIofN.` for a
/// shard, so a shard cleaning up after itself never removes another shard's files.
pub fn temp_tag(shard: Option<(u32, u32)>) -> String {
    shard.map_or(String::new(), |(i, n)| format!(".s{i}of{n}."))
}

/// What happened to one key's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// The file did not exist and was built.
    Created,
    /// New samples were appended.
    Appended,
    /// The file was built again from the window (backfill, or late data).
    Rebuilt,
    /// Nothing new: the file was not touched.
    Unchanged,
    /// Needs the whole window to be built (incremental update only); not touched yet.
    Deferred,
}

/// Why a key's file was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The register gives the file to another key (or could not be used).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// librrd or the file system failed on the key's file.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl KeyError {
    /// Whether the file system refused this process the key's file or directory.
    pub fn permission_denied(&self) -> bool {
        // librrd says it with strerror, as the file operations do (EACCES, EPERM).
        let text = self.to_string();
        text.contains("Permission denied") || text.contains("Operation not permitted")
    }
}

/// One key's result.
#[derive(Debug)]
pub struct Outcome {
    /// The key.
    pub key: Key,
    /// The action and the samples written, or why it failed.
    pub result: Result<(Action, u64), KeyError>,
    /// The file's last update after this run, when the run wrote it (its last sample's
    /// slot).
    pub last: Option<i64>,
}

/// Counts of the writing stage.
#[derive(Debug, Default, Clone, Serialize)]
pub struct WriteStats {
    /// Files built that did not exist.
    pub created: usize,
    /// Files with samples appended.
    pub appended: usize,
    /// Files rebuilt.
    pub rebuilt: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Keys that failed.
    pub failed: usize,
    /// Keys left for a read of the whole window (incremental update).
    #[serde(skip)]
    pub deferred: usize,
    /// Samples written (all-unknown gap markers not counted).
    pub samples_written: u64,
    /// Seconds spent writing.
    pub seconds: f64,
}

/// Keys' series to write, one at a time: what `convert` takes. A read of the archive
/// ([`Collection`], whose series are copied out of its file buffers as they are asked for),
/// or series made whole elsewhere (an import).
pub trait Batch: Sync {
    /// Number of keys.
    fn keys(&self) -> usize;
    /// The i-th key's series.
    fn series(&self, i: usize) -> Series;
}

impl Batch for Collection {
    fn keys(&self) -> usize {
        Collection::len(self)
    }
    fn series(&self, i: usize) -> Series {
        Collection::series(self, i)
    }
}

impl Batch for [Series] {
    fn keys(&self) -> usize {
        self.len()
    }
    fn series(&self, i: usize) -> Series {
        self[i].clone()
    }
}

/// Writes the RRD of every key but the `refused` ones (see `claims`); returns one outcome
/// per key, in key order.
///
/// A backfill's files are staged and handed to `commits`, which syncs and renames them
/// while the caller goes on: their outcomes are final once [`Commits::finish`] has said which
/// files it could not put in place.
pub fn convert(
    collection: &(impl Batch + ?Sized),
    target: &Target,
    mode: Mode,
    refused: &Refused,
    commits: &mut Commits,
    progress: &dyn Progress,
) -> (Vec<Outcome>, WriteStats) {
    let started = Instant::now();
    // A backfill replaces every file: they are synced and renamed together at the end.
    let staging = (mode == Mode::Backfill).then(atomic::Staging::default);
    let outcomes: Vec<Outcome> = (0..collection.keys())
        .into_par_iter()
        .map(|i| {
            // One key's samples at a time per worker: memory follows the keys in flight.
            let s = collection.series(i);
            let result = match refused.get(&s.key) {
                Some(refusal) => Err(KeyError::Refused(refusal.clone())),
                None => written_series(&s, target, mode, staging.as_ref()).map_err(KeyError::Store),
            };
            crate::rrd::faults::point("mid-batch");
            progress.advance(Stage::Writing);
            if let Err(message) = &result {
                progress.error(&format!("{}: {message}", s.key));
            }
            let (result, last) = match result {
                Ok((action, written, last)) => (Ok((action, written)), last),
                Err(e) => (Err(e), None),
            };
            Outcome {
                key: s.key,
                result,
                last,
            }
        })
        .collect();
    if let Some(staging) = staging {
        commits.start(staging, target.fsync);
    }
    let mut stats = WriteStats::tally(&outcomes);
    stats.seconds = started.elapsed().as_secs_f64();
    (outcomes, stats)
}

/// The commits of a backfill's batches (see `atomic::Staging`), each made on a thread of its
/// own while the next archive directory is read and written: a commit mostly waits for the
/// disk (its `syncfs`), and the CPU has the next directory to work on meanwhile. Seed
/// backfill, 4 alternating runs: 3.46-3.91 s synced in line, 3.39-3.53 s like this,
/// 3.39-3.61 s without fsync.
///
/// One commit runs at a time, so at most two batches of staged files exist at once, and
/// batches are put in place in the order they were written.
#[derive(Debug, Default)]
pub struct Commits {
    running: Option<std::thread::JoinHandle<Vec<atomic::WriteError>>>,
    failed: Vec<atomic::WriteError>,
}

impl Commits {
    /// Commits `staging` once the commit before it is done.
    fn start(&mut self, staging: atomic::Staging, fsync: bool) {
        self.wait();
        self.running = Some(std::thread::spawn(move || staging.commit(fsync)));
    }

    fn wait(&mut self) {
        if let Some(running) = self.running.take() {
            match running.join() {
                Ok(failed) => self.failed.extend(failed),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    }

    /// Waits for the commits started so far, and marks the outcome of each file one of them
    /// could not put in place as failed. Returns the seconds this took (writing time).
    pub fn finish(
        &mut self,
        outcomes: &mut [Outcome],
        rrd_dir: &Path,
        progress: &dyn Progress,
    ) -> f64 {
        let started = Instant::now();
        self.wait();
        mark_failed(
            outcomes,
            &std::mem::take(&mut self.failed),
            rrd_dir,
            progress,
        );
        started.elapsed().as_secs_f64()
    }
}

/// Turns the outcome of each key whose file `failed` names into that error.
fn mark_failed(
    outcomes: &mut [Outcome],
    failed: &[atomic::WriteError],
    rrd_dir: &Path,
    progress: &dyn Progress,
) {
    if failed.is_empty() {
        return;
    }
    for outcome in outcomes {
        let path = outcome.key.rrd_path(rrd_dir);
        if let Some(e) = failed.iter().find(|e| e.path == path) {
            progress.error(&format!("{}: {e}", outcome.key));
            outcome.result = Err(KeyError::Store(StoreError {
                path: e.path.clone(),
                message: format!("{}: {}", e.what, e.source),
            }));
        }
    }
}

impl WriteStats {
    /// The counts of a set of outcomes (seconds left at 0).
    pub fn tally(outcomes: &[Outcome]) -> WriteStats {
        let mut stats = WriteStats::default();
        for o in outcomes {
            match o.result {
                Ok((action, written)) => {
                    stats.samples_written += written;
                    match action {
                        Action::Created => stats.created += 1,
                        Action::Appended => stats.appended += 1,
                        Action::Rebuilt => stats.rebuilt += 1,
                        Action::Unchanged => stats.unchanged += 1,
                        Action::Deferred => stats.deferred += 1,
                    }
                }
                Err(_) => stats.failed += 1,
            }
        }
        stats
    }
}

/// Writes one key's series; returns the action, the samples written and the file's last
/// update afterwards, when known (not for a key deferred to a whole-window read).
fn written_series(
    series: &Series,
    target: &Target,
    mode: Mode,
    staging: Option<&atomic::Staging>,
) -> Result<(Action, u64, Option<i64>), StoreError> {
    let (action, written) = write_series(series, target, mode, staging)?;
    let last = match action {
        Action::Deferred => None,
        // Unchanged: nothing was newer than the file's last update, which is read again
        // (from the page cache: write_series just read it).
        Action::Unchanged => store::last_update(&series.key.rrd_path(&target.rrd_dir)).ok(),
        _ => series.slots.last().copied(),
    };
    Ok((action, written, last))
}

fn write_series(
    series: &Series,
    target: &Target,
    mode: Mode,
    staging: Option<&atomic::Staging>,
) -> Result<(Action, u64), StoreError> {
    let path = series.key.rrd_path(&target.rrd_dir);
    let exists = path.exists();
    let partial = mode == Mode::Update { partial: true };
    if partial && !exists {
        return Ok((Action::Deferred, 0));
    }
    if let (Some(daemon), true) = (&target.daemon, exists) {
        // What the daemon holds goes to the file first: it is read, or replaced, next.
        daemon.flush(&path)?;
    }
    if mode == Mode::Backfill || !exists {
        let written = build(series, &path, target, staging)?;
        let action = if exists {
            Action::Rebuilt
        } else {
            Action::Created
        };
        return Ok((action, written));
    }
    let late = store::last_update(&path)
        .and_then(|last| Ok((last, misses_late_data(series, &path, last, &target.layout)?)));
    let (last, late) = match late {
        Ok(found) => found,
        Err(e) if !permission_denied(&e) && store::info(&path).is_err() => {
            return damaged(series, &path, target, partial, e);
        }
        Err(e) => return Err(e),
    };
    if late {
        if partial {
            return Ok((Action::Deferred, 0));
        }
        return Ok((Action::Rebuilt, build(series, &path, target, None)?));
    }
    let from = series.first_after(last);
    if from == series.len() {
        return Ok((Action::Unchanged, 0));
    }
    if let Some(daemon) = &target.daemon {
        let mut batch = UpdateBatch::new();
        let written = format_updates(series, from, last, target.layout.step, &mut batch);
        daemon.update(&path, &mut batch)?;
        return Ok((Action::Appended, written));
    }
    if let Some(written) = append_in_place(series, from, last, &path, target)? {
        return Ok((Action::Appended, written));
    }
    // A file the journal cannot describe: append to a copy renamed into place.
    let written = replace_atomically(&path, target, |temp| {
        std::fs::copy(&path, temp).map_err(|e| io_error(&path, "cannot copy", e))?;
        let mut batch = UpdateBatch::new();
        let written = format_updates(series, from, last, target.layout.step, &mut batch);
        store::update(temp, &mut batch)?;
        Ok(written)
    })?;
    Ok((Action::Appended, written))
}

/// Whether the file system refused this process (librrd says it with strerror too).
fn permission_denied(e: &StoreError) -> bool {
    e.message.contains("Permission denied") || e.message.contains("Operation not permitted")
}

/// A file librrd cannot read (bit rot, a bad copy). The nightly append cannot help it: its
/// error says what does. `update --full` has the key's whole window: it keeps the damaged file
/// aside, as `<name>.rrd.damaged-<UTC time>`, and builds the key anew.
fn damaged(
    series: &Series,
    path: &Path,
    target: &Target,
    partial: bool,
    error: StoreError,
) -> Result<(Action, u64), StoreError> {
    if partial {
        return Err(StoreError {
            path: error.path,
            message: format!(
                "{}; the file cannot be read: `pinger-smokeping update --full` rebuilds it from \
                 the archive and keeps this one aside",
                error.message
            ),
        });
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".damaged-{stamp}"));
    std::fs::rename(path, &aside)
        .map_err(|e| io_error(path, "cannot set the damaged file aside", e))?;
    Ok((Action::Rebuilt, build(series, path, target, None)?))
}

/// Appends samples `from..` in place under an undo journal (see [`journal`]); `None` when the
/// file is not one the journal can describe.
fn append_in_place(
    series: &Series,
    from: usize,
    last: i64,
    path: &Path,
    target: &Target,
) -> Result<Option<u64>, StoreError> {
    let io = |what| move |e| io_error(path, what, e);
    let file = std::fs::File::open(path).map_err(io("cannot open"))?;
    // The kernel writes back a dirty page cache folio whole, and a file that was just
    // written whole sits in the cache in large folios (64 KiB here): an append that touches
    // the header and a few rows would then write ~180 KB instead of ~20 KB. The file is
    // clean (the last run synced it), so dropping its cached pages costs one small re-read;
    // measured on the seed tree right after a backfill: 111.7 MB written before, 19 MB after.
    // Only advice: where the kernel ignores it, the append is the same.
    let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
    let until = series.slots[series.len() - 1];
    let Some(ranges) = journal::ranges(&file, until).map_err(io("cannot read the header"))? else {
        return Ok(None);
    };
    let mut batch = UpdateBatch::new();
    let written = format_updates(series, from, last, target.layout.step, &mut batch);
    crate::rrd::faults::point("before-journal");
    let saved = journal::save(path, &target.temp_tag, &ranges, target.fsync)
        .map_err(io("cannot write the journal"))?;
    crate::rrd::faults::point("after-journal");
    let mut result = if crate::rrd::faults::armed("mid-update") && batch.len() >= 2 {
        let mut rest = batch.split_off(batch.len() / 2);
        store::update(path, &mut batch).and_then(|()| {
            crate::rrd::faults::point("mid-update");
            store::update(path, &mut rest)
        })
    } else {
        store::update(path, &mut batch)
    };
    crate::rrd::iocount::open();
    // The rows and header librrd rewrites: at most what the journal saved.
    crate::rrd::iocount::written(ranges.iter().map(|r| r.1).sum());
    if result.is_ok() {
        crate::rrd::faults::point("before-cleanup");
        if target.fsync {
            result = file.sync_all().map_err(io("cannot sync"));
            crate::rrd::iocount::fsync();
        }
    }
    match result {
        Ok(()) => {
            std::fs::remove_file(&saved).map_err(io("cannot remove the journal"))?;
            crate::rrd::iocount::remove();
            Ok(Some(written))
        }
        Err(e) => {
            // Leave the file as it was before this append.
            journal::restore(&saved)?;
            Err(e)
        }
    }
}

/// Builds the whole file from the series, starting one step before the first sample; with
/// `staging`, the file replaces `path` only when the staging is committed.
fn build(
    series: &Series,
    path: &Path,
    target: &Target,
    staging: Option<&atomic::Staging>,
) -> Result<u64, StoreError> {
    if let (Some(daemon), true) = (&target.daemon, path.exists()) {
        daemon.flush_and_forget(path)?;
    }
    let step = i64::from(target.layout.step);
    let start = series.slots[0] - step;
    let fill = |temp: &Path| {
        store::create(temp, &target.layout, start)?;
        let mut batch = UpdateBatch::new();
        let written = format_updates(series, 0, start, target.layout.step, &mut batch);
        store::update(temp, &mut batch)?;
        Ok(written)
    };
    match staging {
        Some(staging) => staging.stage(path, options(target), |_, temp| fill(temp)),
        None => replace_atomically(path, target, fill),
    }
}

/// Whether the file lacks (or holds a different) sample for a slot at or before its last
/// update that the window has: late data, which appending cannot add.
fn misses_late_data(
    series: &Series,
    path: &Path,
    last: i64,
    layout: &Layout,
) -> Result<bool, StoreError> {
    let step = i64::from(layout.step);
    // Only slots the file can still hold (its finest archive's span) are compared.
    let retention = layout
        .archives
        .iter()
        .filter(|a| a.steps == 1)
        .map(|a| i64::from(a.rows) * step)
        .max()
        .unwrap_or(0);
    let from = series.first_after(last - retention);
    let to = series.first_after(last);
    if from >= to {
        return Ok(false);
    }
    // Bounded by the finest archive's reach before the last update: no header read needed.
    let fetched = store::fetch_in(path, series.slots[from] - step, last, layout.step)?;
    if fetched.step != step || fetched.names.len() != 3 + layout.pings as usize {
        return Err(StoreError {
            path: path.to_path_buf(),
            message: format!(
                "file has step {} and {} data sources, expected step {} and {} (rebuild it with backfill)",
                fetched.step,
                fetched.names.len(),
                step,
                3 + layout.pings
            ),
        });
    }
    let rows: HashMap<i64, &[f64]> = fetched
        .rows
        .iter()
        .map(|(t, v)| (*t, v.as_slice()))
        .collect();
    for i in from..to {
        let Some(row) = rows.get(&series.slots[i]) else {
            return Ok(true);
        };
        let sample = series.sample(i);
        let same = |stored: f64, micros: Micros| {
            if micros == UNKNOWN {
                stored.is_nan()
            } else {
                (stored - micros as f64 / 1e6).abs() <= 1e-9 * stored.abs().max(1e-3)
            }
        };
        let loss_same = row[1] == f64::from(sample.loss);
        if !loss_same
            || !same(row[2], sample.median)
            || !sample
                .pings
                .iter()
                .zip(&row[3..])
                .all(|(&p, &v)| same(v, p))
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Appends the update strings for samples `from..` to `batch`, given the time of the file's
/// last update. Before a sample whose previous slot was not written, an all-unknown update
/// at `T - S` keeps librrd from spreading the sample over the gap. Returns the samples added.
pub fn format_updates(
    series: &Series,
    from: usize,
    last: i64,
    step: u32,
    batch: &mut UpdateBatch,
) -> u64 {
    let step = i64::from(step);
    let unknowns = ":U".repeat(3 + series.key.pings as usize);
    let mut prev = last;
    let mut gap = Vec::new();
    // One sample's text, written in place: the time, `:U:`, the loss, and 1 + N values, each
    // after a `:` (no capacity check a digit; the buffer is sized once for the longest).
    let mut text = vec![0; 20 + 3 + 10 + (1 + series.key.pings as usize) * (1 + VALUE_MAX)];
    for i in from..series.len() {
        let t = series.slots[i];
        if t - step > prev {
            batch.begin();
            gap.clear();
            let _ = write!(gap, "{}{unknowns}", t - step);
            batch.push(&gap);
        }
        let sample = series.sample(i);
        let mut ints = itoa::Buffer::new();
        let mut at = put(&mut text, 0, ints.format(t).as_bytes());
        at = put(&mut text, at, b":U:");
        at = put(&mut text, at, ints.format(sample.loss).as_bytes());
        for &value in std::iter::once(&sample.median).chain(sample.pings) {
            text[at] = b':';
            at = put_seconds(&mut text, at + 1, value);
        }
        batch.begin();
        batch.push(&text[..at]);
        prev = t;
    }
    (series.len() - from) as u64
}

/// Copies `bytes` into `buf` at `at`; returns where they end.
fn put(buf: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
    at + bytes.len()
}

/// The longest text [`put_seconds`] writes: `u64::MAX - 1` microseconds, `18446744073709.551614`.
pub const VALUE_MAX: usize = 21;

/// Writes microseconds as exact decimal seconds (`255` -> `0.000255`), or `U` if unknown,
/// into `buf` at `at` (room for [`VALUE_MAX`] bytes); returns where the text ends. No float
/// formatting: librrd's strtod turns the text into the nearest double. About 12 values a
/// sample: the fraction is written two digits at a time.
pub fn put_seconds(buf: &mut [u8], at: usize, micros: Micros) -> usize {
    if micros == UNKNOWN {
        buf[at] = b'U';
        return at + 1;
    }
    let seconds = micros / 1_000_000;
    let frac = (micros % 1_000_000) as usize;
    let at = if seconds < 10 {
        buf[at] = b'0' + seconds as u8;
        at + 1
    } else {
        // Rare (an RTT of 10 s or more): the general integer writer.
        put(buf, at, itoa::Buffer::new().format(seconds).as_bytes())
    };
    if frac == 0 {
        return at;
    }
    let text = &mut buf[at..at + 7];
    text[0] = b'.';
    for (i, pair) in [frac / 10_000, frac / 100 % 100, frac % 100]
        .into_iter()
        .enumerate()
    {
        text[1 + 2 * i..3 + 2 * i].copy_from_slice(&DIGIT_PAIRS[2 * pair..2 * pair + 2]);
    }
    // Trailing zeros dropped (frac != 0, so a digit stays).
    let zeros = text.iter().rev().take_while(|&&d| d == b'0').count();
    at + 7 - zeros
}

/// "00" to "99", back to back.
static DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0; 200];
    let mut i = 0;
    while i < 100 {
        pairs[2 * i] = b'0' + (i / 10) as u8;
        pairs[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    pairs
};

/// Runs `fill` on a fresh temporary file next to `path`, then renames it over `path`
/// (see [`crate::rrd::atomic`]). On any error `path` is left as it was.
fn replace_atomically(
    path: &Path,
    target: &Target,
    fill: impl FnOnce(&Path) -> Result<u64, StoreError>,
) -> Result<u64, StoreError> {
    atomic::replace(path, options(target), |_, temp| fill(temp))
}

fn options(target: &Target) -> atomic::Options<'_> {
    atomic::Options {
        fsync: target.fsync,
        tag: &target.temp_tag,
    }
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> StoreError {
    StoreError {
        path: path.to_path_buf(),
        message: format!("{what}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_the_commit_cannot_put_in_place_fails_its_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = |remote: &str| Key {
            monitor: "mon.example.edu".into(),
            remote: remote.into(),
            bytes: 100,
            pings: 10,
        };
        let (good, blocked) = (key("a.example.org"), key("b.example.org"));
        // A directory where the blocked key's file goes: its rename fails.
        std::fs::create_dir_all(blocked.rrd_path(dir.path()).join("in-the-way")).unwrap();
        let staging = atomic::Staging::default();
        let mut outcomes = Vec::new();
        for key in [&good, &blocked] {
            let path = key.rrd_path(dir.path());
            let result = staging.stage(&path, atomic::Options::default(), |file, temp| {
                file.write_all(b"rrd")
                    .map_err(|e| atomic::WriteError::new(temp, "cannot write", e))
            });
            result.unwrap();
            outcomes.push(Outcome {
                key: key.clone(),
                result: Ok((Action::Created, 1)),
                last: None,
            });
        }
        let failed = staging.commit(true);
        mark_failed(
            &mut outcomes,
            &failed,
            dir.path(),
            &crate::model::progress::Silent,
        );
        assert_eq!(outcomes[0].result, Ok((Action::Created, 1)));
        assert_eq!(std::fs::read(good.rrd_path(dir.path())).unwrap(), b"rrd");
        let error = outcomes[1].result.clone().unwrap_err().to_string();
        assert!(error.contains("cannot rename into place"), "{error}");
    }

    #[test]
    fn seconds_are_written_exactly() {
        let text = |us| {
            let mut buf = [b'x'; 1 + VALUE_MAX];
            let end = put_seconds(&mut buf, 1, us);
            assert_eq!(buf[0], b'x', "nothing written before `at`");
            String::from_utf8(buf[1..end].to_vec()).unwrap()
        };
        assert_eq!(text(255), "0.000255");
        assert_eq!(text(226_000), "0.226");
        assert_eq!(text(1_500_000), "1.5");
        assert_eq!(text(2_000_000), "2");
        assert_eq!(text(0), "0");
        assert_eq!(text(UNKNOWN), "U");
        assert_eq!(text(10), "0.00001");
        assert_eq!(text(123_456_789), "123.456789");
        assert_eq!(text(9_999_999_999), "9999.999999");
        assert_eq!(text(u64::MAX - 1), "18446744073709.551614");
        // Every fraction once (under each whole second up to 10 in turn), and 10 s and more
        // now and then, against plain formatting with the zeros trimmed.
        for us in (0..1_000_000)
            .map(|f| f % 11 * 1_000_000 + f)
            .chain((2_000_000..12_000_000).step_by(997))
        {
            let plain = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
            let plain = plain.trim_end_matches('0').trim_end_matches('.');
            assert_eq!(text(us), plain);
        }
    }

    #[test]
    fn gaps_get_an_unknown_update_before_the_next_sample() {
        let series = Series {
            key: Key {
                monitor: "m".into(),
                remote: "r".into(),
                bytes: 100,
                pings: 2,
            },
            slots: vec![3600, 5400, 10800],
            losses: vec![0, 2, 1],
            values: vec![
                1000, 500, 1500, UNKNOWN, UNKNOWN, UNKNOWN, 7000, 7000, UNKNOWN,
            ],
        };
        let mut batch = UpdateBatch::new();
        assert_eq!(format_updates(&series, 0, 1800, 1800, &mut batch), 3);
        let all: Vec<&str> = (0..batch.len()).map(|i| batch.get(i)).collect();
        assert_eq!(
            all,
            [
                "3600:U:0:0.001:0.0005:0.0015",
                "5400:U:2:U:U:U",
                "9000:U:U:U:U:U",
                "10800:U:1:0.007:0.007:U",
            ]
        );
        let mut batch = UpdateBatch::new();
        format_updates(&series, 2, 5400, 1800, &mut batch);
        assert_eq!(batch.len(), 2);
    }
}
