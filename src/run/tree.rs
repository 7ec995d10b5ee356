//! One run over an RRD tree, as `backfill` and `update` do it: take the lock, remove what an
//! interrupted run left, list the archive (for `update`, leaving out the files the last run
//! read in their current version), register each key's file to it, read and write one
//! archive directory at a time, give the keys that need the whole window a second, filtered
//! read, then rewrite srcdest.txt and record what was read.

use crate::cli::progress;
use crate::input::archive::ArchiveError;
use crate::input::collect::{self, ReadStats, Selection};
use crate::model::key::Key;
use crate::rrd::atomic;
use crate::rrd::claims;
use crate::rrd::lock;
use crate::run::convert::{self, Action, Mode, Outcome, Target, WriteStats};
use crate::run::scan;
use crate::run::state;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// How a run reads the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// Build every key's file anew from the window.
    Backfill,
    /// Bring files up to date, reading only what the last run did not read.
    Update,
    /// Bring files up to date from a read of the whole window, repairing any that differ.
    Full,
}

/// What one run did.
#[derive(Debug)]
pub struct TreeRun {
    /// Temporary files of an interrupted run that were removed.
    pub leftovers: usize,
    /// Files put back as they were before an interrupted in-place append.
    pub restored: usize,
    /// The (possibly incremental) read.
    pub read: ReadStats,
    /// The whole-window read for keys that needed one, if any.
    pub rebuild_read: Option<ReadStats>,
    /// Files that could not be (fully) read.
    pub errors: Vec<ArchiveError>,
    /// Archive files the last run read that are gone.
    pub gone: Vec<PathBuf>,
    /// Keys an update rebuilt because their file lacked or differed from the archive's data.
    pub repaired: Vec<Key>,
    /// One outcome per key.
    pub outcomes: Vec<Outcome>,
    /// Writing figures.
    pub write: WriteStats,
}

impl TreeRun {
    /// Whether some file or key failed.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || self.write.failed > 0
    }
}

/// Backfills or updates the tree of `target` from `selection`.
pub fn write_tree(
    mut selection: Selection,
    target: &Target,
    run: Run,
    quiet: bool,
) -> Result<TreeRun> {
    let rrd = &target.rrd_dir;
    let shard = selection.filter.shard;
    let _lock = lock::acquire_for(rrd, shard)?;
    // An append killed half-way: put the file back as it was before it (the append is made
    // again below), then drop what a killed run left half-written.
    let restored = crate::rrd::journal::recover(rrd, &target.temp_tag)
        .with_context(|| format!("{}: cannot recover an interrupted append", rrd.display()))?;
    let leftovers = atomic::remove_leftovers(rrd, &target.temp_tag);

    // The nightly fast path: read only what the last run did not read; keys that then need
    // the whole window (new files, late data) get a second, filtered read.
    if run == Run::Update {
        selection.seen = state::load(rrd, shard, &selection).map(Arc::new);
    }
    let mode = match run {
        Run::Backfill => Mode::Backfill,
        _ => Mode::Update {
            partial: selection.seen.is_some(),
        },
    };
    let (listing, mut read, mut errors) = collect::list(&selection);

    // One archive directory at a time; keys that need the whole window are redone after:
    // new or late (incremental update), or met in more than one directory.
    let write_bar = progress::bar(0, "writing", quiet);
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut write_seconds = 0.0;
    let mut seen: HashSet<Key> = HashSet::new();
    let mut redo: HashSet<Key> = HashSet::new();
    let mut refused_keys: HashSet<Key> = HashSet::new();
    let mut commits = convert::Commits::default();
    let (first_read, read_errors, reads) =
        collect::by_directory(&selection, &listing, quiet, |collection| {
            write_bar.inc_length(collection.len() as u64);
            let refused = claims::claim(rrd, collection.keys());
            refused_keys.extend(refused.keys().cloned());
            let (done, stats) = convert::convert(
                &collection,
                target,
                mode,
                &refused,
                &mut commits,
                &write_bar,
            );
            write_seconds += stats.seconds;
            for o in done {
                if !seen.insert(o.key.clone()) || matches!(o.result, Ok((Action::Deferred, _))) {
                    redo.insert(o.key.clone());
                }
                outcomes.push(o);
            }
        });
    // The last batch's commit is part of the writing time.
    write_seconds += commits.finish(&mut outcomes, rrd, &write_bar);
    read.add(first_read);
    errors.extend(read_errors);
    read.keys = seen.len();
    write_bar.finish_and_clear();

    // Keys whose file missed data of the archive: rebuilt, or left for the second read.
    let late: HashSet<Key> = outcomes
        .iter()
        .filter(|o| matches!(o.result, Ok((Action::Deferred | Action::Rebuilt, _))))
        .map(|o| o.key.clone())
        .collect();
    let mut rebuild_read = None;
    if !redo.is_empty() {
        let mut whole = selection.clone();
        whole.seen = None;
        whole.filter.keys = Some(
            redo.iter()
                .map(|k| (k.monitor.clone(), k.remote.clone(), k.bytes))
                .collect(),
        );
        let rest = collect::collect(&whole, quiet);
        let refused = claims::claim(rrd, rest.keys());
        refused_keys.extend(refused.keys().cloned());
        let bar = progress::bar(rest.len() as u64, "writing", quiet);
        let (mut more, stats) =
            convert::convert(&rest, target, Mode::Backfill, &refused, &mut commits, &bar);
        let waited = commits.finish(&mut more, rrd, &bar);
        bar.finish_and_clear();
        write_seconds += stats.seconds + waited;
        outcomes.retain(|o| !redo.contains(&o.key));
        outcomes.extend(more);
        errors.extend(rest.errors);
        // The second read meets the same broken files as the first: report each once.
        let mut reported = HashSet::new();
        errors.retain(|e| reported.insert(e.to_string()));
        rebuild_read = Some(rest.stats);
    }
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    let mut write = WriteStats::tally(&outcomes);
    write.seconds = write_seconds;
    let written: Vec<&Key> = outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| &o.key)
        .collect();
    // Keys an update rebuilt because their file lacked or differed from the archive's data
    // (a key whose file did not exist was created, not repaired).
    let repaired: Vec<Key> = match run {
        Run::Backfill => Vec::new(),
        _ => outcomes
            .iter()
            .filter(|o| matches!(o.result, Ok((Action::Rebuilt, _))) && late.contains(&o.key))
            .map(|o| o.key.clone())
            .collect(),
    };
    // Shards of one tree share srcdest.txt: merge under a short lock.
    lock::while_locked(&rrd.join(".pinger-smokeping.srcdest.lock"), || {
        write_srcdest(target, &written)
    })
    .with_context(|| format!("{}: cannot lock srcdest.txt", rrd.display()))??;

    // The record: files left out as unchanged keep their entries; files read whole get new
    // ones; files that failed get none, so the next run reads them again. Keys refused for
    // a collision do not make the run incomplete: reading again would not change that.
    let complete = outcomes
        .iter()
        .all(|o| o.result.is_ok() || refused_keys.contains(&o.key));
    let mut record = state::new_record(&selection, complete);
    for (path, file) in &listing.unchanged {
        record
            .files
            .insert(path.to_string_lossy().into_owned(), *file);
    }
    for ((path, version), outcome) in listing.files.iter().zip(&listing.versions).zip(&reads) {
        if outcome.whole {
            let file = crate::input::archive::SeenFile {
                version: *version,
                latest: outcome.latest,
            };
            record
                .files
                .insert(path.to_string_lossy().into_owned(), file);
        }
    }
    state::save(rrd, shard, &record, &target.temp_tag)
        .with_context(|| format!("{}: cannot write the run state", rrd.display()))?;
    Ok(TreeRun {
        leftovers,
        restored,
        read,
        rebuild_read,
        errors,
        gone: listing.gone,
        repaired,
        outcomes,
        write,
    })
}

/// Rewrites `<rrd>/srcdest.txt`: the keys just written plus those already listed whose RRD
/// still exists, so a filtered or sharded run does not drop the others.
fn write_srcdest(target: &Target, written: &[&Key]) -> Result<()> {
    let path = target.rrd_dir.join("srcdest.txt");
    let mut keys: Vec<Key> = scan::read_srcdest(&path, Some(target.layout.pings))
        .into_iter()
        .filter(|k| k.rrd_path(&target.rrd_dir).exists())
        .collect();
    keys.extend(written.iter().map(|k| (*k).clone()));
    keys.sort();
    keys.dedup();
    let mut text = Vec::new();
    scan::write_srcdest(&mut text, &keys)?;
    let options = atomic::Options {
        fsync: target.fsync,
        tag: &target.temp_tag,
    };
    atomic::replace(&path, options, |file, temp| {
        use std::io::Write;
        file.write_all(&text)
            .map_err(|e| atomic::WriteError::new(temp, "cannot write", e))?;
        crate::rrd::faults::point("srcdest");
        Ok::<_, atomic::WriteError>(())
    })?;
    Ok(())
}
