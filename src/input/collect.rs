//! Read the window once: every selected file is read, parsed and turned into samples in
//! parallel, then the samples are grouped per key with one sample per slot.
//!
//! Dedupe rule (pinger-format.md): per key and slot keep the line with the smallest time;
//! ties go to the earlier file (path order), then the earlier line.

use crate::input::archive::{self, ArchiveError, Piece};
use crate::input::parse::{LineParser, Reject};
use crate::input::sample::Sampler;
use crate::model::key::{Filter, Key};
use crate::model::progress::{Progress, Stage};
use crate::model::series::{slot_end, Micros, Series, Span};
use crate::model::window::Window;
use rayon::prelude::*;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How many `file:line: reason` examples the summary keeps per rejection kind.
pub const EXAMPLES_PER_KIND: usize = 3;

/// What to read and how to cut it into samples.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The data root.
    pub data: PathBuf,
    /// Lines and slots to use.
    pub window: Window,
    /// Ping slots N per sample.
    pub pings: u32,
    /// Which keys to keep.
    pub filter: Filter,
    /// Read only the files an earlier complete run has not read in their current version
    /// (the nightly fast path).
    pub seen: Option<std::sync::Arc<archive::Seen>>,
}

/// Counts of one run's reading stage, for the summary printed at the end.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReadStats {
    /// Files read (fully or partly).
    pub files_read: usize,
    /// Files that failed (unreadable, corrupt, binary); partly read ones count here too.
    pub files_failed: usize,
    /// Files left out by the date in their name.
    pub files_outside_window: usize,
    /// Files left out because the previous run read them and they did not change.
    pub files_unchanged: usize,
    /// Files the previous run read that are gone.
    pub files_gone: usize,
    /// Files left out because they sit in the directory of a monitor the filter drops, and
    /// begin with that monitor's lines (SLAC's `<root>/<monitor>/` layout).
    pub files_other_monitors: usize,
    /// Bytes of text read (after decompression).
    pub bytes_read: u64,
    /// The files' bytes as stored (compressed), for the bench's NFS figures.
    #[serde(skip)]
    pub bytes_stored: u64,
    /// Lines seen, blank and comment lines included.
    pub lines: u64,
    /// Plain files whose last line had no newline yet (left for the next run: the file may
    /// still be being written).
    pub incomplete_last_lines: u64,
    /// Lines accepted by the parser.
    pub lines_parsed: u64,
    /// Accepted lines outside the time window.
    pub lines_outside_window: u64,
    /// Accepted lines dropped by --monitor/--remote/--bytes/--shard.
    pub lines_filtered: u64,
    /// Lines rejected, by reason.
    pub rejected: BTreeMap<String, RejectCount>,
    /// Lines that lost to another line of the same key and slot.
    pub duplicates: u64,
    /// Keys found.
    pub keys: usize,
    /// Samples kept.
    pub samples: u64,
    /// Seconds spent reading and sampling.
    pub seconds: f64,
}

/// How often one rejection reason occurred, with the first few examples.
#[derive(Debug, Default, Clone, Serialize)]
pub struct RejectCount {
    /// Lines rejected for this reason.
    pub count: u64,
    /// `file:line: reason` of the first few.
    pub examples: Vec<String>,
}

impl ReadStats {
    /// Total rejected lines.
    pub fn lines_rejected(&self) -> u64 {
        self.rejected.values().map(|r| r.count).sum()
    }

    fn reject(&mut self, kind: &str, example: impl FnOnce() -> String) {
        let entry = self.rejected.entry(kind.to_string()).or_default();
        entry.count += 1;
        if entry.examples.len() < EXAMPLES_PER_KIND {
            entry.examples.push(example());
        }
    }

    /// Adds another read's figures to these (counts add up; keys and samples too, so a key
    /// read in two parts counts twice).
    pub fn add(&mut self, other: ReadStats) {
        self.files_outside_window += other.files_outside_window;
        self.files_unchanged += other.files_unchanged;
        self.files_gone += other.files_gone;
        self.files_other_monitors += other.files_other_monitors;
        self.incomplete_last_lines += other.incomplete_last_lines;
        self.duplicates += other.duplicates;
        self.keys += other.keys;
        self.samples += other.samples;
        self.seconds += other.seconds;
        self.files_read += other.files_read;
        self.files_failed += other.files_failed;
        self.bytes_read += other.bytes_read;
        self.bytes_stored += other.bytes_stored;
        self.lines += other.lines;
        self.lines_parsed += other.lines_parsed;
        self.lines_outside_window += other.lines_outside_window;
        self.lines_filtered += other.lines_filtered;
        for (kind, r) in other.rejected {
            let entry = self.rejected.entry(kind).or_default();
            entry.count += r.count;
            let room = EXAMPLES_PER_KIND.saturating_sub(entry.examples.len());
            entry.examples.extend(r.examples.into_iter().take(room));
        }
    }
}

/// The result of reading a window: per key, its lines in each file and which of them are its
/// samples (the values stay in the per-file buffers they were computed into, so nothing is
/// copied per key until a key's [`Series`] is asked for), the files that failed, and the
/// counts.
#[derive(Debug, Default)]
pub struct Collection {
    keys: Vec<KeySamples>,
    files: Vec<FileSamples>,
    step: i64,
    pings: u32,
    /// Files and directories that could not be (fully) read.
    pub errors: Vec<ArchiveError>,
    /// Counts for the summary.
    pub stats: ReadStats,
    /// How each file went, in the order of the paths read.
    pub reads: Vec<FileOutcome>,
}

/// How reading one file went, for the record of what a run has read.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileOutcome {
    /// Read to its end without damage.
    pub whole: bool,
    /// The latest time of an accepted line in it.
    pub latest: Option<i64>,
}

impl Collection {
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was found.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The keys, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter().map(|k| &k.key)
    }

    /// The i-th key.
    pub fn key(&self, i: usize) -> &Key {
        &self.keys[i].key
    }

    /// The address the i-th key's lines give its remote, from the last file (in path order)
    /// that gives one.
    pub fn address(&self, i: usize) -> Option<&str> {
        let k = &self.keys[i];
        k.parts
            .iter()
            .rev()
            .find_map(|p| self.part(p).address.as_deref())
    }

    /// The i-th key's first and last slot and sample count.
    pub fn span(&self, i: usize) -> Span {
        let k = &self.keys[i];
        let slot = |part: usize, line: usize| slot_end(self.lines(k, part).times[line], self.step);
        match &k.chosen {
            Chosen::All => {
                let last = k.parts.len() - 1;
                Span {
                    first: slot(0, 0),
                    last: slot(last, self.lines(k, last).times.len() - 1),
                    samples: k.parts.iter().map(|p| self.part(p).times.len()).sum(),
                }
            }
            Chosen::Picks(picks) => {
                let at = |p: &Pick| slot(p.part as usize, p.line as usize);
                Span {
                    first: at(&picks[0]),
                    last: at(&picks[picks.len() - 1]),
                    samples: picks.len(),
                }
            }
        }
    }

    /// The i-th key's samples, copied out of the file buffers.
    pub fn series(&self, i: usize) -> Series {
        let k = &self.keys[i];
        let stride = 1 + self.pings as usize;
        let samples = self.span(i).samples;
        let mut series = Series {
            key: k.key.clone(),
            slots: Vec::with_capacity(samples),
            losses: Vec::with_capacity(samples),
            values: Vec::with_capacity(samples * stride),
        };
        match &k.chosen {
            // Each part whole, in order: its values are one copy.
            Chosen::All => {
                for part in &k.parts {
                    let lines = self.part(part);
                    let slots = lines.times.iter().map(|&t| slot_end(t, self.step));
                    series.slots.extend(slots);
                    series.losses.extend_from_slice(&lines.losses);
                    series.values.extend_from_slice(&lines.values);
                }
            }
            Chosen::Picks(picks) => {
                for p in picks {
                    let lines = self.lines(k, p.part as usize);
                    let line = p.line as usize;
                    series.slots.push(slot_end(lines.times[line], self.step));
                    series.losses.push(lines.losses[line]);
                    series
                        .values
                        .extend_from_slice(&lines.values[line * stride..(line + 1) * stride]);
                }
            }
        }
        series
    }

    /// A key's lines in one file.
    fn part(&self, part: &Part) -> &KeyLines {
        &self.files[part.file as usize].keys[part.local as usize]
    }

    /// The lines of the `part`-th part of key `k`.
    fn lines(&self, k: &KeySamples, part: usize) -> &KeyLines {
        self.part(&k.parts[part])
    }
}

/// One key's lines across the files read, and which of them are its samples.
#[derive(Debug)]
struct KeySamples {
    key: Key,
    /// The files with lines of the key, in path order.
    parts: Vec<Part>,
    chosen: Chosen,
}

/// A key's lines in one file: the file's index and the key's index among the file's keys.
#[derive(Debug, Clone, Copy)]
struct Part {
    file: u32,
    local: u32,
}

/// Which of a key's lines are its samples.
#[derive(Debug)]
enum Chosen {
    /// Every line of every part, in part order: their slots already strictly increase. This
    /// is the usual case, as PingER writes one line per key and slot, in time order.
    All,
    /// The line kept for each slot, in slot order.
    Picks(Vec<Pick>),
}

/// One line of a key: its part, and its index among that part's lines.
#[derive(Debug, Clone, Copy)]
struct Pick {
    part: u32,
    line: u32,
}

/// One key's accepted lines in the window of one file, in line order.
#[derive(Debug)]
struct KeyLines {
    key: Key,
    /// The remote's address as the lines give it (field 3), from the first line that has one.
    address: Option<String>,
    times: Vec<i64>,
    losses: Vec<u16>,
    /// The `1 + N` values of each line, back to back: a key's samples are then read in
    /// order when its series is gathered.
    values: Vec<Micros>,
}

/// Samples of one file, per key in order of first appearance.
#[derive(Debug, Default)]
struct FileSamples {
    keys: Vec<KeyLines>,
    stats: ReadStats,
    errors: Vec<ArchiveError>,
    outcome: FileOutcome,
}

/// Reads every file of the selection and groups the samples per key.
pub fn collect(selection: &Selection, progress: &dyn Progress) -> Collection {
    let (listing, mut stats, mut errors) = list(selection);
    progress.begin(Stage::Reading, listing.files.len() as u64);
    let mut collection = collect_files(selection, &listing.files, progress);
    progress.end(Stage::Reading);
    stats.add(std::mem::take(&mut collection.stats));
    errors.append(&mut collection.errors);
    collection.stats = stats;
    collection.errors = errors;
    collection
}

/// The figures and errors of listing the files (before any is read).
fn listing_figures(listing: &mut archive::Listing) -> (ReadStats, Vec<ArchiveError>) {
    let stats = ReadStats {
        files_outside_window: listing.skipped_by_date,
        files_unchanged: listing.unchanged.len(),
        files_gone: listing.gone.len(),
        files_failed: listing.errors.len(),
        ..ReadStats::default()
    };
    (stats, std::mem::take(&mut listing.errors))
}

/// Reads the files of `listing` one archive directory at a time (one monitor, in SLAC's
/// layout) and hands each directory's collection to `each`, so memory follows one
/// directory's keys. Returns the figures and file errors of all directories together (a key
/// met in several directories counts once per directory in `keys`; callers that care
/// recount), and how each file of `listing.files` went, in its order.
pub fn by_directory(
    selection: &Selection,
    listing: &archive::Listing,
    progress: &dyn Progress,
    mut each: impl FnMut(Collection),
) -> (ReadStats, Vec<ArchiveError>, Vec<FileOutcome>) {
    progress.begin(Stage::Reading, listing.files.len() as u64);
    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let mut reads = Vec::with_capacity(listing.files.len());
    for files in archive::group_by_top_dir(&selection.data, &listing.files) {
        let mut collection = collect_files(selection, files, progress);
        stats.add(std::mem::take(&mut collection.stats));
        errors.append(&mut collection.errors);
        reads.append(&mut collection.reads);
        each(collection);
    }
    progress.end(Stage::Reading);
    (stats, errors, reads)
}

/// Lists the files of the selection, with the figures and errors of listing them.
pub fn list(selection: &Selection) -> (archive::Listing, ReadStats, Vec<ArchiveError>) {
    let mut listing = archive::list_files(
        &selection.data,
        &selection.window,
        selection.seen.as_deref(),
    );
    let (mut stats, errors) = listing_figures(&mut listing);
    if selection.filter.selects_monitors() {
        stats.files_other_monitors = leave_out_other_monitors(selection, &mut listing);
    }
    (listing, stats, errors)
}

/// With a filter that keeps some monitors (`--monitor`, `--shard`), leaves out the files of
/// SLAC's `<root>/<monitor>/` layout that belong to monitors it drops: a file is left out
/// when it sits in a top directory named after a monitor the filter drops and its first line
/// is that monitor's. Keys still come from the lines: a file whose first line is another
/// monitor's, or a directory named otherwise (yearly directories mix monitors), is read.
/// Returns how many files were left out.
fn leave_out_other_monitors(selection: &Selection, listing: &mut archive::Listing) -> usize {
    let filter = &selection.filter;
    let other: Vec<bool> = listing
        .files
        .par_iter()
        .map(|path| {
            let Some(dir) = top_dir(&selection.data, path) else {
                return false;
            };
            !filter.may_keep_monitor(dir) && first_monitor(path).as_deref() == Some(dir)
        })
        .collect();
    let mut keep = other.iter().map(|o| !o);
    let mut versions = other.iter().map(|o| !o);
    listing.files.retain(|_| keep.next().unwrap_or(true));
    listing.versions.retain(|_| versions.next().unwrap_or(true));
    other.iter().filter(|&&o| o).count()
}

/// The name of the directory right below `root` that holds `path`, if any.
fn top_dir<'a>(root: &Path, path: &'a Path) -> Option<&'a str> {
    let mut parts = path.strip_prefix(root).ok()?.components();
    let dir = parts.next()?;
    parts.next()?;
    dir.as_os_str().to_str()
}

/// The monitor of the first accepted line within a file's first 64 KiB of text.
fn first_monitor(path: &Path) -> Option<String> {
    use std::io::{BufRead, Read};
    let reader = archive::open(path).ok()?;
    let mut head = std::io::BufReader::new(reader.take(64 * 1024));
    let mut parser = LineParser::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if head.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        if let Ok(Some(record)) = parser.parse(line.strip_suffix(b"\n").unwrap_or(&line)) {
            return Some(record.monitor.to_string());
        }
    }
}

/// Reads `paths` (in path order) and groups their samples per key; `progress` counts files.
pub fn collect_files(
    selection: &Selection,
    paths: &[PathBuf],
    progress: &dyn Progress,
) -> Collection {
    let started = Instant::now();
    let mut files: Vec<FileSamples> = paths
        .par_iter()
        .map(|path| {
            let samples = sample_file(selection, path);
            progress.advance(Stage::Reading);
            samples
        })
        .collect();

    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let reads = files.iter().map(|f| f.outcome).collect();
    // Each key's parts in path order (the tie-break order).
    let mut index: HashMap<&Key, usize> = HashMap::new();
    let mut parts: Vec<Vec<Part>> = Vec::new();
    for file in &mut files {
        stats.add(std::mem::take(&mut file.stats));
        errors.append(&mut file.errors);
    }
    for (f, file) in files.iter().enumerate() {
        for (local, lines) in file.keys.iter().enumerate() {
            let k = *index.entry(&lines.key).or_insert_with(|| {
                parts.push(Vec::new());
                parts.len() - 1
            });
            parts[k].push(Part {
                file: f as u32,
                local: local as u32,
            });
        }
    }
    let mut keys: Vec<KeySamples> = index
        .into_iter()
        .map(|(key, k)| KeySamples {
            key: key.clone(),
            parts: std::mem::take(&mut parts[k]),
            chosen: Chosen::All,
        })
        .collect();

    // Keep one line per slot: smallest time, then earliest file, then earliest line.
    let step = selection.window.step;
    keys.par_iter_mut().for_each(|k| {
        let lines = |p: &Part| &files[p.file as usize].keys[p.local as usize];
        // The slot grows with the time, so strictly increasing slots need no dedupe: one
        // linear check, usually all that is done.
        let mut previous = i64::MIN;
        let increasing = k.parts.iter().all(|p| {
            lines(p).times.iter().all(|&t| {
                let slot = slot_end(t, step);
                std::mem::replace(&mut previous, slot) < slot
            })
        });
        if increasing {
            return;
        }
        let mut picks: Vec<Pick> = (k.parts.iter().enumerate())
            .flat_map(|(part, p)| {
                (0..lines(p).times.len()).map(move |line| Pick {
                    part: part as u32,
                    line: line as u32,
                })
            })
            .collect();
        let time = |p: &Pick| lines(&k.parts[p.part as usize]).times[p.line as usize];
        // Parts are in path order and a part's lines in line order, so a stable sort by
        // time alone gives the rule's (time, part, line) order. The lines are nearly in
        // order already, which a stable sort finishes in about one pass.
        picks.sort_by_key(time);
        let mut last_slot = None;
        picks.retain(|p| {
            let slot = slot_end(time(p), step);
            last_slot.replace(slot) != Some(slot)
        });
        k.chosen = Chosen::Picks(picks);
    });
    keys.sort_unstable_by(|a, b| a.key.cmp(&b.key));

    let mut collection = Collection {
        keys,
        files,
        step,
        pings: selection.pings,
        errors,
        stats,
        reads,
    };
    let kept: u64 = (0..collection.len())
        .map(|i| collection.span(i).samples as u64)
        .sum();
    let lines: u64 = (collection.files.iter())
        .flat_map(|f| &f.keys)
        .map(|k| k.times.len() as u64)
        .sum();
    let stats = &mut collection.stats;
    stats.duplicates = lines - kept;
    stats.samples = kept;
    stats.keys = collection.keys.len();
    stats.seconds = started.elapsed().as_secs_f64();
    collection
}

/// A file's accepted lines in line order, before they are grouped per key: a worker's
/// buffers, reused from file to file, so that each key's buffers are then made once at their
/// exact size (no growing buffer per key and file, and no room beyond the lines read).
#[derive(Debug, Default)]
struct LineOrder {
    /// File-local key of each line.
    keys: Vec<u32>,
    times: Vec<i64>,
    losses: Vec<u16>,
    /// The `1 + N` values of each line, back to back.
    values: Vec<Micros>,
}

impl LineOrder {
    /// Values kept between files; a longer file's buffers are given back after it.
    const KEEP: usize = 1 << 22;

    fn clear(&mut self) {
        if self.values.capacity() > Self::KEEP {
            *self = LineOrder::default();
        }
        self.keys.clear();
        self.times.clear();
        self.losses.clear();
        self.values.clear();
    }

    /// Moves the lines into their keys' buffers, each sized once, in line order per key.
    fn group_into(&self, keys: &mut [KeyLines], stride: usize) {
        let mut counts = vec![0usize; keys.len()];
        for &k in &self.keys {
            counts[k as usize] += 1;
        }
        for (lines, &n) in keys.iter_mut().zip(&counts) {
            lines.times.reserve_exact(n);
            lines.losses.reserve_exact(n);
            lines.values.reserve_exact(n * stride);
        }
        for (i, &k) in self.keys.iter().enumerate() {
            let lines = &mut keys[k as usize];
            lines.times.push(self.times[i]);
            lines.losses.push(self.losses[i]);
            lines
                .values
                .extend_from_slice(&self.values[i * stride..(i + 1) * stride]);
        }
    }
}

/// Reads, parses and samples one file.
fn sample_file(selection: &Selection, path: &Path) -> FileSamples {
    thread_local! {
        // One set of read and line buffers per worker, reused from file to file.
        static BUFFERS: RefCell<(archive::Buffers, LineOrder)> = RefCell::default();
    }
    BUFFERS.with_borrow_mut(|(buffers, lines)| sample_lines(selection, path, buffers, lines))
}

fn sample_lines(
    selection: &Selection,
    path: &Path,
    buffers: &mut archive::Buffers,
    order: &mut LineOrder,
) -> FileSamples {
    order.clear();
    let mut out = FileSamples::default();
    let window = &selection.window;
    let mut parser = LineParser::new();
    let mut sampler = Sampler::new(selection.pings);
    // One lookup a line: foldhash is several times cheaper than SipHash on these short keys
    // (SipHash was 3% of a scan), and still seeded per process against crafted collisions.
    let mut local: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    let mut lookup = String::new();
    let mut line_no: u32 = 0;
    // Lines with a NUL byte are held back: a file with nothing else is reported once, as a
    // binary file, instead of line by line.
    let mut nul_lines = ReadStats::default();
    let mut latest: Option<i64> = None;
    let result = archive::read_file(path, buffers, |piece| {
        let parsed = match piece {
            // A zeroed tail (a crash, a disk fault) is not a line being written.
            Piece::Incomplete(line) if memchr::memchr(0, line).is_some() => parser.parse(line),
            Piece::Incomplete(_) => {
                out.stats.incomplete_last_lines += 1;
                return;
            }
            Piece::TooLong => Err(Reject::TooLong),
            Piece::Line(line) => parser.parse(line),
        };
        line_no = line_no.saturating_add(1);
        out.stats.lines += 1;
        let record = match parsed {
            Ok(Some(record)) => record,
            Ok(None) => return,
            Err(reason) => {
                let stats = match reason {
                    Reject::Nul { .. } => &mut nul_lines,
                    _ => &mut out.stats,
                };
                stats.reject(reason.kind(), || {
                    format!("{}:{}: {}", path.display(), line_no, reason)
                });
                return;
            }
        };
        out.stats.lines_parsed += 1;
        latest = latest.max(Some(record.time));
        if !window.contains(record.time) {
            out.stats.lines_outside_window += 1;
            return;
        }
        if !selection
            .filter
            .keeps(record.monitor, record.remote, record.bytes)
        {
            out.stats.lines_filtered += 1;
            return;
        }
        lookup.clear();
        lookup.push_str(record.monitor);
        lookup.push(' ');
        lookup.push_str(record.remote);
        lookup.push(' ');
        lookup.push_str(itoa::Buffer::new().format(record.bytes));
        let address = || record.remote_addr.filter(|a| *a != ".").map(str::to_string);
        let key_index = match local.get(lookup.as_str()) {
            Some(&i) => {
                let lines = &mut out.keys[i as usize];
                if lines.address.is_none() {
                    lines.address = address();
                }
                i
            }
            None => {
                let i = out.keys.len() as u32;
                out.keys.push(KeyLines {
                    key: Key {
                        monitor: record.monitor.to_string(),
                        remote: record.remote.to_string(),
                        bytes: record.bytes,
                        pings: selection.pings,
                    },
                    address: address(),
                    times: Vec::new(),
                    losses: Vec::new(),
                    values: Vec::new(),
                });
                local.insert(lookup.clone(), i);
                i
            }
        };
        let loss = sampler.push(&record, &mut order.values) as u16;
        order.keys.push(key_index);
        order.times.push(record.time);
        order.losses.push(loss);
    });
    order.group_into(&mut out.keys, 1 + selection.pings as usize);
    match result {
        Ok(read) => {
            out.stats.files_read = 1;
            out.stats.bytes_read = read.bytes;
            out.stats.bytes_stored = read.stored;
            match read.damage {
                Some(damage) => {
                    out.stats.files_failed = 1;
                    out.errors.push(damage);
                }
                None => out.outcome.whole = true,
            }
        }
        Err(err) => {
            out.stats.files_failed = 1;
            out.errors.push(err);
        }
    }
    if nul_lines.lines_rejected() > 0 && out.stats.lines_parsed == 0 {
        out.stats.files_failed = 1;
        out.outcome.whole = false;
        out.errors.push(ArchiveError::Binary {
            path: path.to_path_buf(),
        });
    } else {
        out.stats.add(nul_lines);
    }
    out.outcome.latest = latest;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::io::Write as _;

    const STEP: i64 = 300;
    const END: i64 = 1_800_000_000;

    /// A line of key `remote` at time `t` whose 10 replies all take `rtt_ms`.
    fn line(remote: usize, t: i64, rtt_ms: u32) -> String {
        let rtts = format!("{rtt_ms}.000 ").repeat(10);
        format!(
            "mon.example.org 192.0.2.1 r{remote}.example.org 198.51.100.1 100 {t} 10 10 \
             {rtt_ms}.000 {rtt_ms}.000 {rtt_ms}.000 0 1 2 3 4 5 6 7 8 9 {}",
            rtts.trim_end()
        )
    }

    /// Every key of `data`, with 10 ping slots.
    fn selection(data: &Path, window: Window) -> Selection {
        Selection {
            data: data.to_path_buf(),
            window,
            pings: 10,
            filter: Filter::default(),
            seen: None,
        }
    }

    /// The dedupe rule done the slow way: per key and slot, the line with the smallest
    /// (time, file, line number). Returns per key the (slot, median) of each kept line.
    fn reference(files: &[Vec<(usize, i64, u32)>]) -> BTreeMap<usize, Vec<(i64, Micros)>> {
        // (key, slot) -> ((time, file, line number), rtt) of the best line so far.
        type Best = BTreeMap<(usize, i64), ((i64, usize, usize), u32)>;
        let mut best = Best::new();
        for (f, lines) in files.iter().enumerate() {
            for (n, &(remote, t, rtt)) in lines.iter().enumerate() {
                let entry = best
                    .entry((remote, slot_end(t, STEP)))
                    .or_insert(((t, f, n), rtt));
                if (t, f, n) < entry.0 {
                    *entry = ((t, f, n), rtt);
                }
            }
        }
        let mut keys: BTreeMap<usize, Vec<(i64, Micros)>> = BTreeMap::new();
        for ((remote, slot), (_, rtt)) in best {
            keys.entry(remote)
                .or_default()
                .push((slot, u64::from(rtt) * 1000));
        }
        keys
    }

    /// A file of many keys with one line each: each key's buffers hold exactly its line, so
    /// memory follows the lines read, whatever their keys.
    #[test]
    fn each_keys_buffers_hold_exactly_its_lines() {
        let dir = tempfile::tempdir().unwrap();
        let window = Window::new(END, 1, STEP as u32);
        let path = dir.path().join("ping-2027-01-01.txt");
        let text: Vec<String> = (0..500).map(|r| line(r, window.start, 1)).collect();
        std::fs::write(&path, text.join("\n") + "\n").unwrap();
        let collection = collect_files(
            &selection(dir.path(), window),
            &[path],
            &crate::model::progress::Silent,
        );
        assert_eq!(collection.len(), 500);
        for lines in &collection.files[0].keys {
            assert_eq!(lines.times.capacity(), 1);
            assert_eq!(lines.losses.capacity(), 1);
            assert_eq!(lines.values.capacity(), 11);
        }
    }

    /// Random archives, some keys in order (the usual case), some shuffled with repeated
    /// slots and times: the collection keeps exactly the reference's lines.
    #[test]
    fn the_dedupe_keeps_the_smallest_time_then_file_then_line() {
        let mut rng = fastrand::Rng::with_seed(3);
        let window = Window::new(END, 1, STEP as u32);
        for round in 0..40 {
            let dir = tempfile::tempdir().unwrap();
            let mut files: Vec<Vec<(usize, i64, u32)>> = Vec::new();
            let mut paths = Vec::new();
            let mut rtt = 1;
            for f in 0..rng.usize(1..4) {
                let mut lines = Vec::new();
                for remote in 0..4 {
                    // Key 0 always in order, one line a slot; the others at random.
                    let ordered = remote == 0 || round % 3 == 0;
                    for i in 0..rng.usize(0..12) {
                        let t = if ordered {
                            window.start + (f * 12 + i) as i64 * STEP + rng.i64(0..STEP)
                        } else {
                            window.start + rng.i64(0..6) * 100
                        };
                        lines.push((remote, t, rtt));
                        rtt += 1;
                    }
                }
                if round % 2 == 1 {
                    rng.shuffle(&mut lines);
                }
                let path = dir.path().join(format!("ping-2027-01-{:02}.txt", f + 1));
                let mut file = std::fs::File::create(&path).unwrap();
                for &(remote, t, rtt) in &lines {
                    writeln!(file, "{}", line(remote, t, rtt)).unwrap();
                }
                paths.push(path);
                files.push(lines);
            }
            let collection = collect_files(
                &selection(dir.path(), window),
                &paths,
                &crate::model::progress::Silent,
            );
            let mut got: BTreeMap<usize, Vec<(i64, Micros)>> = BTreeMap::new();
            for i in 0..collection.len() {
                let series = collection.series(i);
                let remote: usize = series.key.remote[1..]
                    .split('.')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let span = collection.span(i);
                assert_eq!(span.samples, series.len());
                assert_eq!(
                    (span.first, span.last),
                    (series.slots[0], series.slots[series.len() - 1])
                );
                let kept = (0..series.len()).map(|j| (series.slots[j], series.sample(j).median));
                got.insert(remote, kept.collect());
            }
            let expected = reference(&files);
            assert_eq!(got, expected, "round {round}");
            let lines: u64 = files.iter().map(|f| f.len() as u64).sum();
            let kept: u64 = expected.values().map(|k| k.len() as u64).sum();
            assert_eq!(collection.stats.duplicates, lines - kept, "round {round}");
        }
    }
}
