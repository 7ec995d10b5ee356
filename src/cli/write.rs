//! `backfill` and `update`: one run over the RRD tree (`run::tree`), with its log and summary.

use crate::cli::args::WriteArgs;
use crate::cli::config::Settings;
use crate::cli::owner;
use crate::cli::progress::Bars;
use crate::cli::report::{self, RunSummary};
use crate::cli::{layout, log, selection, write_file_atomically, Status};
use crate::model::key::Key;
use crate::run::convert::{self, Target};
use crate::run::tree;
pub use crate::run::tree::Run as How;
use anyhow::{Context, Result};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
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
    let rrd = settings.rrd()?;
    if how != How::Backfill && !rrd.is_dir() {
        anyhow::bail!(
            "{}: the RRD tree does not exist: update does not make it (the package does, and a \
             first backfill may); check `rrd`, or run backfill",
            rrd.display()
        );
    }
    let window_end = selection.window.end;
    let shard = selection.filter.shard;
    let data = selection.data.clone();
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
    // Keys the file system refused this user are said once, with what to do about it.
    let failed = || {
        run.outcomes
            .iter()
            .filter_map(|o| Some((o, o.result.as_ref().err()?)))
    };
    let mut key_errors: Vec<String> = failed()
        .filter(|(_, e)| !e.permission_denied())
        .map(|(o, e)| format!("{}: {e}", o.key))
        .collect();
    let denied: Vec<(&Key, String)> = failed()
        .filter(|(_, e)| e.permission_denied())
        .map(|(o, e)| (&o.key, e.to_string()))
        .collect();
    if !denied.is_empty() {
        let advice = denied_advice(&target.rrd_dir, &denied);
        crate::say!("error: {advice}");
        key_errors.push(advice);
    }
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
    // A nightly job that finds nothing new is what cron must mail about.
    let mut stale = false;
    if how != How::Backfill {
        if how == How::Update && run.read.files_read == 0 {
            crate::say!(
                "{command}: warning: no archive file under {} was new or changed since the last \
                 run: is the archive still delivered?",
                data.display()
            );
        }
        // A shard sees a part of the archive only: the tree as a whole is checked by the run
        // that finishes the shards' work, or by the next whole run.
        if let Some(limit) = settings.stale_after().filter(|_| shard.is_none()) {
            if let Some(message) = staleness(run.newest, window_end, limit, &data) {
                crate::say!("{command}: error: {message}");
                stale = true;
            }
        }
    }
    Ok(Status::failed_if(run.failed() || stale))
}

/// Why the newest sample is too old, if it is: more than `limit` seconds before the window's
/// end, or none at all.
fn staleness(newest: Option<i64>, end: i64, limit: i64, data: &Path) -> Option<String> {
    let setting = "(set `stale_after` or --stale-after, `off` for none)";
    match newest {
        None => Some(format!(
            "no sample at all under {}: is this the archive? {setting}",
            data.display()
        )),
        Some(t) if end - t > limit => Some(format!(
            "the newest sample is from {}, {:.1} days before the window's end {}: the archive \
             under {} has stopped arriving? {setting}",
            crate::model::window::format_time(t),
            (end - t) as f64 / 86_400.0,
            crate::model::window::format_time(end),
            data.display()
        )),
        Some(_) => None,
    }
}

/// One message for every key whose file or directory this user may not write: who runs, who
/// owns the tree and the directories in the way, and the command that fixes it.
fn denied_advice(rrd: &Path, denied: &[(&Key, String)]) -> String {
    let owner_of = |path: &Path| {
        std::fs::metadata(path).ok().map(|m| {
            let name = owner::user_name(m.uid()).unwrap_or_else(|| m.uid().to_string());
            let group = owner::group_name(m.gid()).unwrap_or_else(|| m.gid().to_string());
            (name, group)
        })
    };
    let mut dirs: Vec<&Path> = Vec::new();
    let paths: Vec<std::path::PathBuf> = denied.iter().map(|(k, _)| k.rrd_path(rrd)).collect();
    for p in &paths {
        let dir = p.parent().unwrap_or(rrd);
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    let me = owner::current_user();
    let in_the_way: Vec<String> = dirs
        .iter()
        .take(3)
        .map(|d| match owner_of(d) {
            Some((name, _)) => format!("{} (owned by {name})", d.display()),
            None => d.display().to_string(),
        })
        .collect();
    let more = if dirs.len() > 3 {
        format!(" and {} more directories", dirs.len() - 3)
    } else {
        String::new()
    };
    let (first_key, first_error) = &denied[0];
    let fix = match owner_of(rrd) {
        Some((tree_owner, gid)) if tree_owner == me => format!(
            "the tree belongs to {me}: give it back with `chown -R {me}:{gid} {}` (as root)",
            rrd.display()
        ),
        Some((tree_owner, _)) => format!(
            "the tree belongs to {tree_owner}: run as {tree_owner} (`runuser -u {tree_owner} -- \
             pinger-smokeping ...`; root acts as the tree's owner by itself)"
        ),
        None => format!("check the permissions of {}", rrd.display()),
    };
    format!(
        "{} keys could not be written as user {me}: permission denied in {}{more} \
         (first: {first_key}: {first_error}); {fix}",
        denied.len(),
        in_the_way.join(", ")
    )
}
