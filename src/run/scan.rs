//! The key list: `srcdest.txt` in the original tool's format, and per-key listings
//! (human, JSON, CSV) with first and last sample times, like perfSONAR's endpoint listing.

use crate::input::archive::ArchiveError;
use crate::input::collect::{self, ReadStats, Selection};
use crate::model::key::Key;
use crate::model::progress::Progress;
use crate::model::series::Span;
use crate::model::window::format_time;
use crate::rrd::srcdest;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How `scan` prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// The original `srcdest.txt`: monitor, its keys, `****`.
    Srcdest,
    /// An aligned table for people.
    Human,
    /// A JSON array of objects.
    Json,
    /// CSV with a header row.
    Csv,
}

impl crate::model::Choice for ListFormat {
    const ALL: &'static [Self] = &[
        ListFormat::Srcdest,
        ListFormat::Human,
        ListFormat::Json,
        ListFormat::Csv,
    ];

    fn name(self) -> &'static str {
        match self {
            ListFormat::Srcdest => "srcdest",
            ListFormat::Human => "human",
            ListFormat::Json => "json",
            ListFormat::Csv => "csv",
        }
    }
}
crate::choice_text!(ListFormat);

/// The keys with data in a window, with their spans; read one archive directory at a time.
#[derive(Debug, Default)]
pub struct Found {
    /// Every key and its first/last slot and sample count, sorted by key.
    pub keys: Vec<(Key, Span)>,
    /// The reading figures.
    pub stats: ReadStats,
    /// Files that could not be (fully) read.
    pub errors: Vec<ArchiveError>,
}

/// Finds every key of `selection`. A key met in several archive directories is counted from
/// a second read of its own lines (duplicates across directories are then dropped right).
pub fn find_keys(selection: &Selection, progress: &dyn Progress) -> Found {
    let mut spans: BTreeMap<Key, Span> = BTreeMap::new();
    let mut spread: Vec<Key> = Vec::new();
    let (listing, mut stats, mut errors) = collect::list(selection);
    let (read, read_errors, _) = collect::by_directory(selection, &listing, progress, |c| {
        for (i, key) in c.keys().enumerate() {
            if spans.insert(key.clone(), c.span(i)).is_some() {
                spread.push(key.clone());
            }
        }
    });
    stats.add(read);
    errors.extend(read_errors);
    if !spread.is_empty() {
        let mut whole = selection.clone();
        whole.filter.keys = Some(
            spread
                .iter()
                .map(|k| (k.monitor.clone(), k.remote.clone(), k.bytes))
                .collect(),
        );
        let c = collect::collect(&whole, progress);
        for (i, key) in c.keys().enumerate() {
            spans.insert(key.clone(), c.span(i));
        }
        // Its file errors were reported by the first read already.
    }
    stats.keys = spans.len();
    stats.samples = spans.values().map(|s| s.samples as u64).sum();
    let candidates = stats.lines_parsed - stats.lines_outside_window - stats.lines_filtered;
    stats.duplicates = candidates - stats.samples;
    Found {
        keys: spans.into_iter().collect(),
        stats,
        errors,
    }
}

/// One key's entry in a listing.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// `monitor_remote_bytes_N`.
    pub key: String,
    /// Monitor host.
    pub monitor: String,
    /// Remote host.
    pub remote: String,
    /// Payload size.
    pub bytes: u32,
    /// First sample's slot end, ISO 8601 UTC.
    pub first: String,
    /// Last sample's slot end, ISO 8601 UTC.
    pub last: String,
    /// Samples in the window.
    pub samples: usize,
}

/// Writes the listing of `keys` in `format`.
pub fn write_listing(
    out: &mut impl Write,
    keys: &[(Key, Span)],
    format: ListFormat,
) -> io::Result<()> {
    if format == ListFormat::Srcdest {
        return srcdest::write(out, keys.iter().map(|(k, _)| k));
    }
    let entries: Vec<Entry> = keys
        .iter()
        .map(|(key, span)| Entry {
            key: key.to_string(),
            monitor: key.monitor.clone(),
            remote: key.remote.clone(),
            bytes: key.bytes,
            first: format_time(span.first),
            last: format_time(span.last),
            samples: span.samples,
        })
        .collect();
    match format {
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &entries)?;
            writeln!(out)
        }
        ListFormat::Csv => {
            let mut csv = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out);
            csv.write_record([
                "monitor", "remote", "bytes", "first", "last", "samples", "key",
            ])?;
            for e in &entries {
                csv.serialize((
                    &e.monitor, &e.remote, e.bytes, &e.first, &e.last, e.samples, &e.key,
                ))?;
            }
            csv.flush()
        }
        ListFormat::Human => {
            let wm = entries
                .iter()
                .map(|e| e.monitor.len())
                .max()
                .unwrap_or(0)
                .max(7);
            let wr = entries
                .iter()
                .map(|e| e.remote.len())
                .max()
                .unwrap_or(0)
                .max(6);
            writeln!(
                out,
                "{:wm$}  {:wr$}  {:>5}  {:20}  {:20}  {:>7}",
                "MONITOR", "REMOTE", "BYTES", "FIRST", "LAST", "SAMPLES"
            )?;
            for e in &entries {
                writeln!(
                    out,
                    "{:wm$}  {:wr$}  {:>5}  {:20}  {:20}  {:>7}",
                    e.monitor, e.remote, e.bytes, e.first, e.last, e.samples
                )?;
            }
            Ok(())
        }
        ListFormat::Srcdest => unreachable!("handled above"),
    }
}
