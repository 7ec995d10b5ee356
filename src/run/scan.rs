//! The key list: `srcdest.txt` in the original tool's format, and per-key listings
//! (human, JSON, CSV) with first and last sample times, like perfSONAR's endpoint listing.

use crate::input::archive::ArchiveError;
use crate::input::collect::{self, ReadStats, Selection, Span};
use crate::model::key::Key;
use crate::model::window::format_time;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// How `scan` prints what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
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
pub fn find_keys(selection: &Selection, quiet: bool) -> Found {
    let mut spans: BTreeMap<Key, Span> = BTreeMap::new();
    let mut spread: Vec<Key> = Vec::new();
    let (listing, mut stats, mut errors) = collect::list(selection);
    let (read, read_errors, _) = collect::by_directory(selection, &listing, quiet, |c| {
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
        let c = collect::collect(&whole, quiet);
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

/// Writes `srcdest.txt`: monitors sorted by name, each followed by its keys sorted bytewise
/// and a `****` line.
pub fn write_srcdest<'a>(
    out: &mut impl Write,
    keys: impl IntoIterator<Item = &'a crate::model::key::Key>,
) -> io::Result<()> {
    let mut by_monitor: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for key in keys {
        by_monitor
            .entry(key.monitor.as_str())
            .or_default()
            .push(key.to_string());
    }
    for (monitor, mut keys) in by_monitor {
        keys.sort_unstable();
        writeln!(out, "{monitor}")?;
        for key in keys {
            writeln!(out, "{key}")?;
        }
        writeln!(out, "****")?;
    }
    Ok(())
}

/// Writes the listing of `keys` in `format`.
pub fn write_listing(
    out: &mut impl Write,
    keys: &[(Key, Span)],
    format: ListFormat,
) -> io::Result<()> {
    if format == ListFormat::Srcdest {
        return write_srcdest(out, keys.iter().map(|(k, _)| k));
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
            writeln!(out, "monitor,remote,bytes,first,last,samples,key")?;
            for e in &entries {
                writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    e.monitor, e.remote, e.bytes, e.first, e.last, e.samples, e.key
                )?;
            }
            Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::key::Key;

    #[test]
    fn srcdest_orders_bytewise_like_the_original() {
        let key = |m: &str, r: &str, b| Key {
            monitor: m.into(),
            remote: r.into(),
            bytes: b,
            pings: 10,
        };
        let keys = [
            key("monitor.niit.edu.pk", "www.niit.edu.pk", 1000),
            key("monitor.niit.edu.pk", "monalisa.niit.edu.pk", 100),
            key("monitor.niit.edu.pk", "monalisa.niit.edu.pk", 1000),
            key("a.org", "b.org", 100),
        ];
        let mut out = Vec::new();
        write_srcdest(&mut out, &keys).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a.org\na.org_b.org_100_10\n****\n\
             monitor.niit.edu.pk\n\
             monitor.niit.edu.pk_monalisa.niit.edu.pk_1000_10\n\
             monitor.niit.edu.pk_monalisa.niit.edu.pk_100_10\n\
             monitor.niit.edu.pk_www.niit.edu.pk_1000_10\n****\n"
        );
    }
}

/// Reads the keys of an existing `srcdest.txt` (missing file: none), those with N = `pings`
/// when given. Lines that do not parse
/// as keys of their monitor are ignored: the file is ours and is rewritten whole.
pub fn read_srcdest(path: &std::path::Path, pings: Option<u32>) -> Vec<crate::model::key::Key> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    let mut monitor: Option<&str> = None;
    for line in text.lines() {
        match monitor {
            _ if line == "****" => monitor = None,
            None => monitor = Some(line),
            Some(m) => {
                if let Some(key) = Key::in_monitor(m, line) {
                    if pings.is_none_or(|p| p == key.pings) {
                        keys.push(key);
                    }
                }
            }
        }
    }
    keys
}

#[cfg(test)]
mod srcdest_round_trip {
    use super::*;
    use crate::model::key::Key;

    #[test]
    fn written_keys_read_back() {
        let keys = vec![
            Key {
                monitor: "a_b.org".into(),
                remote: "c_d.org".into(),
                bytes: 1000,
                pings: 10,
            },
            Key {
                monitor: "2001:db8::1".into(),
                remote: "x.org".into(),
                bytes: 100,
                pings: 10,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("srcdest.txt");
        let mut out = Vec::new();
        write_srcdest(&mut out, &keys).unwrap();
        std::fs::write(&path, out).unwrap();
        let mut back = read_srcdest(&path, Some(10));
        back.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(back, keys);
        assert!(read_srcdest(&path, Some(20)).is_empty());
        assert!(read_srcdest(&dir.path().join("missing"), Some(10)).is_empty());
    }
}
