//! `backfill` and `update`: one run over the RRD tree (`run::tree`), with its log and summary.

use crate::cli::args::WriteArgs;
use crate::cli::config::Settings;
use crate::cli::progress::Bars;
use crate::cli::report::{self, RunSummary};
use crate::cli::{layout, log, selection, write_file_atomically, Status};
use crate::run::convert::{self, Target};
use crate::run::tree;
pub use crate::run::tree::Run as How;
use anyhow::{Context, Result};
use std::time::Instant;

/// `backfill`, `update` and `update --full`.
pub fn run(settings: &Settings, args: &WriteArgs, how: How, quiet: bool) -> Result<Status> {
    let started = Instant::now();
    let command = match how {
        How::Backfill => "backfill",
        How::Update => "update",
        How::Full => "update --full",
    };
    if let Some(log) = &settings.merged.log.file {
        // Someone running a backfill by hand with the site's config may not own the log:
        // the report still goes to stderr.
        if let Err(e) = log::log_to(log) {
            crate::say!("warning: {e:#}; reporting on stderr only");
        }
        log::log_only(&format!(
            "start: {command}{} (pid {}, umask {})",
            settings
                .file
                .as_ref()
                .map_or(String::new(), |p| format!(" with {}", p.display())),
            std::process::id(),
            log::umask().unwrap_or_else(|| "?".into())
        ));
    }
    let selection = selection(settings, &args.input)?;
    let target = Target {
        rrd_dir: settings.rrd()?.to_path_buf(),
        layout: layout(settings),
        fsync: settings.fsync(),
        temp_tag: convert::temp_tag(selection.filter.shard),
        daemon: match settings.daemon() {
            Some(address) => Some(
                crate::rrd::store::Daemon::new(address)
                    .map_err(anyhow::Error::msg)
                    .context("daemon")?,
            ),
            None => None,
        },
    };
    let run = tree::write_tree(selection, &target, how, &Bars::new(quiet))?;
    if run.restored > 0 {
        crate::say!(
            "{command}: put back {} files as they were before an interrupted append",
            run.restored
        );
    }
    if run.leftovers > 0 {
        crate::say!(
            "{command}: removed {} temporary files left by an interrupted run",
            run.leftovers
        );
    }
    let key_errors: Vec<String> = run
        .outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().err().map(|e| format!("{}: {e}", o.key)))
        .collect();
    let summary = RunSummary {
        command,
        read: &run.read,
        rebuild_read: run.rebuild_read.as_ref(),
        file_errors: report::file_errors(&run.errors),
        write: Some(&run.write),
        key_errors,
        gone: run.gone.iter().map(|p| p.display().to_string()).collect(),
        repaired: run.repaired.iter().map(|k| k.to_string()).collect(),
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: report::peak_rss_mb(),
        written_mb: report::written_mb(),
    };
    report::show(&summary);
    if let Some(path) = &settings.merged.log.summary_json {
        let json = serde_json::to_vec_pretty(&summary)?;
        write_file_atomically(path, &json)?;
    }
    Ok(Status::failed_if(run.failed()))
}
