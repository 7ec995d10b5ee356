//! Read the window once: every selected file is read, parsed and turned into samples in
//! parallel, then the samples are grouped per key with one sample per slot.
//!
//! Dedupe rule (pinger-format.md): per key and slot keep the line with the smallest time;
//! ties go to the earlier file (path order), then the earlier line.

use crate::archive::{self, ArchiveError};
use crate::key::{Filter, Key};
use crate::parse::{LineParser, Micros};
use crate::progress;
use crate::sample::{slot_end, Sample, Sampler};
use crate::window::Window;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
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
    /// Bytes of text read (after decompression).
    pub bytes_read: u64,
    /// Lines seen, blank and comment lines included.
    pub lines: u64,
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

    fn add(&mut self, other: ReadStats) {
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

/// The result of reading a window: the series, the files that failed, and the counts.
#[derive(Debug, Default)]
pub struct Collection {
    /// One series per key, sorted by key.
    pub series: Vec<Series>,
    /// Files and directories that could not be (fully) read.
    pub errors: Vec<ArchiveError>,
    /// Counts for the summary.
    pub stats: ReadStats,
}

/// One candidate line for a slot, before the dedupe.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    slot: i64,
    time: i64,
    file: u32,
    line: u32,
    loss: u16,
    /// Offset of its `1 + N` values in the owning arena.
    offset: u32,
}

/// Samples of one file, keyed by a file-local key index.
#[derive(Default)]
struct FileSamples {
    keys: Vec<Key>,
    candidates: Vec<(u32, Candidate)>,
    values: Vec<Micros>,
    stats: ReadStats,
    errors: Vec<ArchiveError>,
}

/// Reads every file of the selection and returns one series per key.
pub fn collect(selection: &Selection, quiet: bool) -> Collection {
    let started = Instant::now();
    let listing = archive::list_files(&selection.data, &selection.window);
    let bar = progress::bar(listing.files.len() as u64, "reading", quiet);
    let per_file: Vec<FileSamples> = listing
        .files
        .par_iter()
        .enumerate()
        .map(|(i, path)| {
            let samples = sample_file(selection, i as u32, path);
            bar.inc(1);
            samples
        })
        .collect();
    bar.finish_and_clear();

    let mut collection = Collection {
        errors: listing.errors,
        ..Collection::default()
    };
    collection.stats.files_outside_window = listing.skipped_by_date;
    collection.stats.files_failed = collection.errors.len();
    let stride = 1 + selection.pings as usize;

    // Merge in path order so each key's candidates keep file order.
    let mut index: HashMap<Key, usize> = HashMap::new();
    let mut groups: Vec<(Key, Vec<Candidate>, Vec<Micros>)> = Vec::new();
    for file in per_file {
        collection.stats.add(file.stats);
        collection.errors.extend(file.errors);
        let global: Vec<usize> = file
            .keys
            .into_iter()
            .map(|key| {
                let next = groups.len();
                let g = *index.entry(key.clone()).or_insert(next);
                if g == next {
                    groups.push((key, Vec::new(), Vec::new()));
                }
                g
            })
            .collect();
        for (local, mut c) in file.candidates {
            let (_, candidates, values) = &mut groups[global[local as usize]];
            let from = c.offset as usize;
            c.offset = values.len() as u32;
            values.extend_from_slice(&file.values[from..from + stride]);
            candidates.push(c);
        }
    }

    let mut series: Vec<Series> = groups
        .into_par_iter()
        .map(|(key, candidates, values)| dedupe(key, candidates, &values, stride))
        .collect();
    series.sort_by(|a, b| a.key.cmp(&b.key));
    let kept: u64 = series.iter().map(|s| s.len() as u64).sum();
    let candidates = collection.stats.lines_parsed
        - collection.stats.lines_outside_window
        - collection.stats.lines_filtered;
    collection.stats.duplicates = candidates - kept;
    collection.stats.samples = kept;
    collection.stats.keys = series.len();
    collection.stats.seconds = started.elapsed().as_secs_f64();
    collection.series = series;
    collection
}

/// Keeps one candidate per slot: smallest time, then earliest file, then earliest line.
fn dedupe(key: Key, mut candidates: Vec<Candidate>, values: &[Micros], stride: usize) -> Series {
    candidates.sort_unstable_by_key(|c| (c.slot, c.time, c.file, c.line));
    candidates.dedup_by_key(|c| c.slot);
    let mut series = Series {
        key,
        slots: Vec::with_capacity(candidates.len()),
        losses: Vec::with_capacity(candidates.len()),
        values: Vec::with_capacity(candidates.len() * stride),
    };
    for c in candidates {
        series.slots.push(c.slot);
        series.losses.push(c.loss);
        let from = c.offset as usize;
        series
            .values
            .extend_from_slice(&values[from..from + stride]);
    }
    series
}

/// Reads, parses and samples one file.
fn sample_file(selection: &Selection, file_index: u32, path: &Path) -> FileSamples {
    let mut out = FileSamples::default();
    let contents = match archive::read_file(path) {
        Ok(contents) => contents,
        Err(err) => {
            out.stats.files_failed = 1;
            out.errors.push(err);
            return out;
        }
    };
    out.stats.files_read = 1;
    out.stats.bytes_read = contents.bytes.len() as u64;
    if let Some(damage) = contents.damage {
        out.stats.files_failed = 1;
        out.errors.push(damage);
    }

    let window = &selection.window;
    let mut parser = LineParser::new();
    let mut sampler = Sampler::new(selection.pings);
    let mut local: HashMap<String, u32> = HashMap::new();
    let mut lookup = String::new();
    // The empty piece after a final newline is not a line.
    let text = contents
        .bytes
        .strip_suffix(b"\n")
        .unwrap_or(&contents.bytes);
    let lines = text.split(|&b| b == b'\n').take_while(|_| !text.is_empty());
    for (n, line) in lines.enumerate() {
        out.stats.lines += 1;
        let line_no = n as u32 + 1;
        let record = match parser.parse(line) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(reason) => {
                out.stats.reject(reason.kind(), || {
                    format!("{}:{}: {}", path.display(), line_no, reason)
                });
                continue;
            }
        };
        out.stats.lines_parsed += 1;
        if !window.contains(record.time) {
            out.stats.lines_outside_window += 1;
            continue;
        }
        if !selection
            .filter
            .keeps(record.monitor, record.remote, record.bytes)
        {
            out.stats.lines_filtered += 1;
            continue;
        }
        lookup.clear();
        lookup.push_str(record.monitor);
        lookup.push(' ');
        lookup.push_str(record.remote);
        // Writing into a reused String does not allocate.
        let _ = write!(lookup, " {}", record.bytes);
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
                local.insert(lookup.clone(), i);
                i
            }
        };
        let offset = out.values.len() as u32;
        let loss = sampler.push(&record, &mut out.values) as u16;
        out.candidates.push((
            key_index,
            Candidate {
                slot: slot_end(record.time, window.step),
                time: record.time,
                file: file_index,
                line: line_no,
                loss,
                offset,
            },
        ));
    }
    out
}
