//! The run summary on stderr (and as JSON for monitoring): what was read, rejected, written;
//! and the process's own figures (memory, CPU, bytes dirtied) that the summary and the bench
//! report.

use crate::input::archive::ArchiveError;
use crate::input::collect::ReadStats;
use crate::run::convert::WriteStats;
use serde::Serialize;
use std::io::Write;

/// Prints a run's summary (stderr and the log). A closed stderr never fails the run.
pub fn show(summary: &RunSummary<'_>) {
    let mut text = Vec::new();
    let _ = print(&mut text, summary);
    crate::cli::log::say(String::from_utf8_lossy(&text).trim_end());
}

/// Everything a run reports.
#[derive(Debug, Serialize)]
pub struct RunSummary<'a> {
    /// The subcommand.
    pub command: &'a str,
    /// Reading figures.
    pub read: &'a ReadStats,
    /// The second, whole-window read for keys an incremental update had to rebuild.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rebuild_read: Option<&'a ReadStats>,
    /// Files that failed, as `path: reason`.
    pub file_errors: Vec<String>,
    /// Writing figures (backfill and update).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write: Option<&'a WriteStats>,
    /// Keys that failed, as `key: path: reason`.
    pub key_errors: Vec<String>,
    /// Archive files the last run read that are gone (their samples stay in the RRDs).
    pub gone: Vec<String>,
    /// Keys an update rebuilt because their file lacked or differed from the archive's data.
    pub repaired: Vec<String>,
    /// Wall time of the whole run.
    pub seconds: f64,
    /// The process's peak resident memory, in MB (Linux).
    pub peak_rss_mb: Option<f64>,
    /// Bytes the process dirtied for storage, in MB (Linux's `write_bytes`): what a run
    /// costs the disk, or the network for an NFS tree.
    pub written_mb: Option<f64>,
}

/// How many repaired keys or gone files the summary names (the JSON has them all).
const LISTED: usize = 20;

/// Prints the summary for people.
pub fn print(out: &mut impl Write, s: &RunSummary<'_>) -> std::io::Result<()> {
    let r = s.read;
    let mb = r.bytes_read as f64 / 1e6;
    writeln!(
        out,
        "{}: {} files read ({} failed, {} left out by the date in their name, {} unchanged \
         since the last run), {:.1} MB in {:.2} s ({:.0} MB/s)",
        s.command,
        r.files_read,
        r.files_failed,
        r.files_outside_window,
        r.files_unchanged,
        mb,
        r.seconds,
        if r.seconds > 0.0 { mb / r.seconds } else { 0.0 }
    )?;
    writeln!(
        out,
        "  lines: {} ({} parsed, {} rejected, {} outside the window, {} filtered out, \
         {} duplicates dropped)",
        r.lines,
        r.lines_parsed,
        r.lines_rejected(),
        r.lines_outside_window,
        r.lines_filtered,
        r.duplicates
    )?;
    writeln!(out, "  keys: {} with {} samples", r.keys, r.samples)?;
    if r.files_other_monitors > 0 {
        writeln!(
            out,
            "  left out: {} files in the directories of monitors the filter drops",
            r.files_other_monitors
        )?;
    }
    if r.incomplete_last_lines > 0 {
        writeln!(
            out,
            "  incomplete last lines: {} (no newline yet; read once the file has grown)",
            r.incomplete_last_lines
        )?;
    }
    for (kind, count) in &r.rejected {
        writeln!(out, "  rejected: {} x {kind}", count.count)?;
        for example in &count.examples {
            writeln!(out, "    {example}")?;
        }
    }
    if let Some(w) = s.rebuild_read {
        writeln!(
            out,
            "  whole-window read for {} keys to rebuild (new files or late data): {} files, \
             {:.1} MB in {:.2} s",
            w.keys,
            w.files_read,
            w.bytes_read as f64 / 1e6,
            w.seconds
        )?;
    }
    for e in &s.file_errors {
        writeln!(out, "  file error: {e}")?;
    }
    if let Some(w) = s.write {
        let per_sec = if w.seconds > 0.0 {
            w.samples_written as f64 / w.seconds
        } else {
            0.0
        };
        writeln!(
            out,
            "  rrd: {} created, {} appended, {} rebuilt, {} unchanged, {} failed; \
             {} samples written in {:.2} s ({:.0} samples/s)",
            w.created,
            w.appended,
            w.rebuilt,
            w.unchanged,
            w.failed,
            w.samples_written,
            w.seconds,
            per_sec
        )?;
    }
    for e in &s.key_errors {
        writeln!(out, "  key error: {e}")?;
    }
    list(
        out,
        &s.repaired,
        &format!(
            "repaired: {} keys (rebuilt from the archive)",
            s.repaired.len()
        ),
    )?;
    list(
        out,
        &s.gone,
        &format!(
            "warning: {} archive files read by the last run are gone; their samples stay in \
             the RRDs (a backfill drops them)",
            s.gone.len()
        ),
    )?;
    write!(out, "  total: {:.2} s", s.seconds)?;
    if let Some(mb) = s.peak_rss_mb {
        write!(out, ", peak memory {mb:.0} MB")?;
    }
    if let Some(mb) = s.written_mb {
        write!(out, ", {mb:.1} MB written")?;
    }
    writeln!(out)
}

/// A heading and the first [`LISTED`] items, if there are any.
fn list(out: &mut impl Write, items: &[String], heading: &str) -> std::io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "  {heading}")?;
    for item in items.iter().take(LISTED) {
        writeln!(out, "    {item}")?;
    }
    if items.len() > LISTED {
        writeln!(
            out,
            "    ... and {} more (all in --summary-json)",
            items.len() - LISTED
        )?;
    }
    Ok(())
}

/// The process's peak resident memory so far (`VmHWM`), in MB; `None` where the OS does not
/// say.
pub fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1000.0)
}

/// The CPU time this process has used so far, all threads, user and system, in seconds.
pub fn cpu_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The bytes this process has dirtied for storage so far (`write_bytes` of
/// `/proc/self/io`), in MB; `None` where the OS does not say.
pub fn written_mb() -> Option<f64> {
    io_bytes("write_bytes:").map(|bytes| bytes as f64 / 1e6)
}

/// The bytes this process has had read from storage so far, not from the page cache
/// (`read_bytes` of `/proc/self/io`); `None` where the OS does not say.
pub fn read_from_storage() -> Option<u64> {
    io_bytes("read_bytes:")
}

fn io_bytes(field: &str) -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let line = io.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The `path: reason` lines of file errors.
pub fn file_errors(errors: &[ArchiveError]) -> Vec<String> {
    errors.iter().map(|e| e.to_string()).collect()
}
