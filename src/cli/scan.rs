//! `scan`: the keys of a window, as srcdest.txt or a listing.

use crate::cli::args::ScanArgs;
use crate::cli::config::Settings;
use crate::cli::progress::Bars;
use crate::cli::report::{self, RunSummary};
use crate::cli::{selection, write_file_atomically, Status};
use crate::run::scan;
use anyhow::Result;
use std::io::Write;
use std::time::Instant;

/// `scan`.
pub fn run(settings: &Settings, args: &ScanArgs, quiet: bool) -> Result<Status> {
    let started = Instant::now();
    let selection = selection(settings, &args.input)?;
    let found = scan::find_keys(&selection, &Bars::new(quiet));
    let mut text = Vec::new();
    scan::write_listing(&mut text, &found.keys, args.format)?;
    match &args.output {
        Some(path) => write_file_atomically(path, &text)?,
        None => std::io::stdout().lock().write_all(&text)?,
    }
    let summary = RunSummary {
        command: "scan",
        read: &found.stats,
        file_errors: report::file_errors(&found.errors),
        rebuild_read: None,
        write: None,
        key_errors: Vec::new(),
        gone: Vec::new(),
        repaired: Vec::new(),
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: report::peak_rss_mb(),
        written_mb: report::written_mb(),
    };
    report::show(&summary);
    Ok(Status::failed_if(!found.errors.is_empty()))
}
