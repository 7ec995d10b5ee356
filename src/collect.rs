//! Read the window once: every selected file is read, parsed and turned into samples in
//! parallel, then the samples are grouped per key with one sample per slot.
//!
//! Dedupe rule (pinger-format.md): per key and slot keep the line with the smallest time;
//! ties go to the earlier file (path order), then the earlier line.

use crate::archive::{self, ArchiveError, Piece};
use crate::key::{Filter, Key};
use crate::parse::{LineParser, Micros, Reject};
use crate::progress;
use crate::sample::{slot_end, Sample, Sampler};
use crate::window::Window;
use indicatif::ProgressBar;
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

/// One key's samples, one per slot, in increasing slot order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The key.
    pub key: Key,
    /// Slot ends T, increasing.
    pub slots: Vec<i64>,
    /// Loss per slot.
    pub losses: Vec<u16>,
    /// Per slot `1 + N` values: median, ping1..pingN ([`crate::sample::UNKNOWN`] if unknown).
    pub values: Vec<Micros>,
}

impl Series {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The i-th sample.
    pub fn sample(&self, i: usize) -> Sample<'_> {
        let stride = 1 + self.key.pings as usize;
        let v = &self.values[i * stride..(i + 1) * stride];
        Sample {
            loss: u32::from(self.losses[i]),
            median: v[0],
            pings: &v[1..],
        }
    }

    /// The index of the first sample with a slot after `t`.
    pub fn first_after(&self, t: i64) -> usize {
        self.slots.partition_point(|&s| s <= t)
    }
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
    /// Bytes of text read (after decompression).
    pub bytes_read: u64,
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
        self.incomplete_last_lines += other.incomplete_last_lines;
        self.duplicates += other.duplicates;
        self.keys += other.keys;
        self.samples += other.samples;
        self.seconds += other.seconds;
        self.files_read += other.files_read;
        self.files_failed += other.files_failed;
        self.bytes_read += other.bytes_read;
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

/// The result of reading a window: per key, the chosen line of every slot (the values stay in
/// the per-file buffers they were computed into, so nothing is copied per key until a key's
/// [`Series`] is asked for), the files that failed, and the counts.
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

/// First slot, last slot and number of samples of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First slot end.
    pub first: i64,
    /// Last slot end.
    pub last: i64,
    /// Samples.
    pub samples: usize,
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

    /// The i-th key's first and last slot and sample count.
    pub fn span(&self, i: usize) -> Span {
        let picks = &self.keys[i].picks;
        let slot = |p: &Pick| slot_end(self.candidate(p).time, self.step);
        Span {
            first: slot(&picks[0]),
            last: slot(&picks[picks.len() - 1]),
            samples: picks.len(),
        }
    }

    /// The i-th key's samples, copied out of the file buffers.
    pub fn series(&self, i: usize) -> Series {
        let k = &self.keys[i];
        let stride = 1 + self.pings as usize;
        let mut series = Series {
            key: k.key.clone(),
            slots: Vec::with_capacity(k.picks.len()),
            losses: Vec::with_capacity(k.picks.len()),
            values: Vec::with_capacity(k.picks.len() * stride),
        };
        for p in &k.picks {
            let c = self.candidate(p);
            series.slots.push(slot_end(c.time, self.step));
            series.losses.push(c.loss);
            let from = c.offset as usize;
            series.values.extend_from_slice(
                &self.files[p.file as usize].values[c.key as usize][from..from + stride],
            );
        }
        series
    }

    fn candidate(&self, p: &Pick) -> &Candidate {
        &self.files[p.file as usize].candidates[p.candidate as usize]
    }
}

/// One key's chosen lines, one per slot, in slot order.
#[derive(Debug)]
struct KeySamples {
    key: Key,
    picks: Vec<Pick>,
}

/// Where a candidate line lives: file index and position in that file's candidates.
#[derive(Debug, Clone, Copy)]
struct Pick {
    file: u32,
    candidate: u32,
}

/// One accepted line in the window, before the dedupe.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    time: i64,
    line: u32,
    /// File-local key index.
    key: u32,
    /// Offset of its `1 + N` values in its key's buffer of the file.
    offset: u32,
    loss: u16,
}

/// Samples of one file, keyed by a file-local key index.
#[derive(Debug, Default)]
struct FileSamples {
    keys: Vec<Key>,
    candidates: Vec<Candidate>,
    /// Per file-local key, the `1 + N` values of each of its lines, back to back: a key's
    /// samples are then read in order when its series is gathered, not one cache miss each.
    values: Vec<Vec<Micros>>,
    stats: ReadStats,
    errors: Vec<ArchiveError>,
    outcome: FileOutcome,
}

/// Reads every file of the selection and groups the samples per key.
pub fn collect(selection: &Selection, quiet: bool) -> Collection {
    let (listing, mut stats, mut errors) = list(selection);
    let bar = progress::bar(listing.files.len() as u64, "reading", quiet);
    let mut collection = collect_files(selection, &listing.files, &bar);
    bar.finish_and_clear();
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
    quiet: bool,
    mut each: impl FnMut(Collection),
) -> (ReadStats, Vec<ArchiveError>, Vec<FileOutcome>) {
    let bar = progress::bar(listing.files.len() as u64, "reading", quiet);
    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let mut reads = Vec::with_capacity(listing.files.len());
    for files in archive::group_by_top_dir(&selection.data, &listing.files) {
        let mut collection = collect_files(selection, files, &bar);
        stats.add(std::mem::take(&mut collection.stats));
        errors.append(&mut collection.errors);
        reads.append(&mut collection.reads);
        bar.suspend(|| each(collection));
    }
    bar.finish_and_clear();
    (stats, errors, reads)
}

/// Lists the files of the selection, with the figures and errors of listing them.
pub fn list(selection: &Selection) -> (archive::Listing, ReadStats, Vec<ArchiveError>) {
    let mut listing = archive::list_files(
        &selection.data,
        &selection.window,
        selection.seen.as_deref(),
    );
    let (stats, errors) = listing_figures(&mut listing);
    (listing, stats, errors)
}

/// Reads `paths` (in path order) and groups their samples per key; `bar` counts files.
pub fn collect_files(selection: &Selection, paths: &[PathBuf], bar: &ProgressBar) -> Collection {
    let started = Instant::now();
    let mut files: Vec<FileSamples> = paths
        .par_iter()
        .map(|path| {
            let samples = sample_file(selection, path);
            bar.inc(1);
            samples
        })
        .collect();

    let mut stats = ReadStats::default();
    let mut errors = Vec::new();
    let reads = files.iter().map(|f| f.outcome).collect();
    // Group candidates per key in path order (the tie-break order).
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut keys: Vec<KeySamples> = Vec::new();
    for (f, file) in files.iter_mut().enumerate() {
        stats.add(std::mem::take(&mut file.stats));
        errors.append(&mut file.errors);
        let global: Vec<usize> = std::mem::take(&mut file.keys)
            .into_iter()
            .map(|key| {
                let next = keys.len();
                *index.entry(key.clone()).or_insert_with(|| {
                    keys.push(KeySamples {
                        key,
                        picks: Vec::new(),
                    });
                    next
                })
            })
            .collect();
        for (c, candidate) in file.candidates.iter().enumerate() {
            keys[global[candidate.key as usize]].picks.push(Pick {
                file: f as u32,
                candidate: c as u32,
            });
        }
    }
    drop(index);

    // Keep one line per slot: smallest time, then earliest file, then earliest line.
    let step = selection.window.step;
    keys.par_iter_mut().for_each(|k| {
        // The slot grows with the time, so time order is slot order.
        let order = |p: &Pick| {
            let c = &files[p.file as usize].candidates[p.candidate as usize];
            (c.time, p.file, c.line)
        };
        // Picks arrive in file and line order, which is time order in an archive written as
        // PingER writes it: one linear check usually spares the sort, and the sort reads
        // each pick's line once instead of at every comparison.
        if !k.picks.is_sorted_by_key(order) {
            k.picks.sort_by_cached_key(order);
        }
        k.picks.dedup_by_key(|p| {
            slot_end(
                files[p.file as usize].candidates[p.candidate as usize].time,
                step,
            )
        });
    });
    keys.sort_unstable_by(|a, b| a.key.cmp(&b.key));

    let kept: u64 = keys.iter().map(|k| k.picks.len() as u64).sum();
    let candidates: u64 = files.iter().map(|f| f.candidates.len() as u64).sum();
    stats.duplicates = candidates - kept;
    stats.samples = kept;
    stats.keys = keys.len();
    stats.seconds = started.elapsed().as_secs_f64();
    Collection {
        keys,
        files,
        step,
        pings: selection.pings,
        errors,
        stats,
        reads,
    }
}

/// Reads, parses and samples one file.
fn sample_file(selection: &Selection, path: &Path) -> FileSamples {
    thread_local! {
        // One set of read buffers per worker, reused from file to file.
        static BUFFERS: RefCell<archive::Buffers> = RefCell::new(archive::Buffers::default());
    }
    BUFFERS.with_borrow_mut(|buffers| sample_lines(selection, path, buffers))
}

fn sample_lines(selection: &Selection, path: &Path, buffers: &mut archive::Buffers) -> FileSamples {
    let mut out = FileSamples::default();
    let window = &selection.window;
    let mut parser = LineParser::new();
    let mut sampler = Sampler::new(selection.pings);
    let mut local: HashMap<String, u32> = HashMap::new();
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
        let key_index = match local.get(lookup.as_str()) {
            Some(&i) => i,
            None => {
                let i = out.keys.len() as u32;
                out.keys.push(Key {
                    monitor: record.monitor.to_string(),
                    remote: record.remote.to_string(),
                    bytes: record.bytes,
                    pings: selection.pings,
                });
                out.values.push(Vec::new());
                local.insert(lookup.clone(), i);
                i
            }
        };
        let values = &mut out.values[key_index as usize];
        let offset = values.len() as u32;
        let loss = sampler.push(&record, values) as u16;
        out.candidates.push(Candidate {
            time: record.time,
            line: line_no,
            key: key_index,
            offset,
            loss,
        });
    });
    match result {
        Ok(read) => {
            out.stats.files_read = 1;
            out.stats.bytes_read = read.bytes;
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
