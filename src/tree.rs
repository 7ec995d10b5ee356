//! One run over an RRD tree, as `backfill` and `update` do it: take the lock, remove what an
//! interrupted run left, read (for `update`, only what changed since the last complete run)
//! and write one archive directory at a time, give the keys that need the whole window a
//! second, filtered read, then rewrite srcdest.txt and record the run.

use crate::app::write_file_atomically;
use crate::archive::ArchiveError;
use crate::collect::{self, ReadStats, Selection};
use crate::convert::{self, Action, Mode, Outcome, Target, WriteStats, TEMP_SUFFIX};
use crate::key::Key;
use crate::lock;
use crate::progress;
use crate::scan;
use crate::state::{self, RunState};
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::path::Path;

/// What one run did.
#[derive(Debug)]
pub struct TreeRun {
    /// Temporary files of an interrupted run that were removed.
    pub leftovers: usize,
    /// The (possibly incremental) read.
    pub read: ReadStats,
    /// The whole-window read for keys that needed one, if any.
    pub rebuild_read: Option<ReadStats>,
    /// Files that could not be (fully) read.
    pub errors: Vec<ArchiveError>,
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

/// Backfills (`backfill` true) or updates the tree of `target` from `selection`.
pub fn write_tree(
    mut selection: Selection,
    target: &Target,
    backfill: bool,
    quiet: bool,
) -> Result<TreeRun> {
    let rrd = &target.rrd_dir;
    let shard = selection.filter.shard;
    let _lock = lock::acquire_for(rrd, shard)?;
    let leftovers = remove_leftover_temp_files(rrd, &target.temp_tag);

    // The nightly fast path: read only what changed since the last complete run; keys that
    // then need the whole window (new files, late data) get a second, filtered read.
    let listed_at = state::now();
    if !backfill {
        selection.since = state::since(rrd, shard, &selection);
    }
    let mode = match (backfill, selection.since.is_some()) {
        (true, _) => Mode::Backfill,
        (false, partial) => Mode::Update { partial },
    };

    // One archive directory at a time; keys that need the whole window are redone after:
    // new or late (incremental update), or met in more than one directory.
    let write_bar = progress::bar(0, "writing", quiet);
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut write_seconds = 0.0;
    let mut seen: HashSet<Key> = HashSet::new();
    let mut redo: HashSet<Key> = HashSet::new();
    let (mut read, mut errors) = collect::by_directory(&selection, quiet, |collection| {
        write_bar.inc_length(collection.len() as u64);
        let (done, stats) = convert::convert(&collection, target, mode, &write_bar);
        write_seconds += stats.seconds;
        for o in done {
            if !seen.insert(o.key.clone()) || matches!(o.result, Ok((Action::Deferred, _))) {
                redo.insert(o.key.clone());
            }
            outcomes.push(o);
        }
    });
    read.keys = seen.len();
    write_bar.finish_and_clear();

    let mut rebuild_read = None;
    if !redo.is_empty() {
        let mut whole = selection.clone();
        whole.since = None;
        whole.filter.keys = Some(
            redo.iter()
                .map(|k| (k.monitor.clone(), k.remote.clone(), k.bytes))
                .collect(),
        );
        let rest = collect::collect(&whole, quiet);
        let bar = progress::bar(rest.len() as u64, "writing", quiet);
        let (more, stats) = convert::convert(&rest, target, Mode::Backfill, &bar);
        bar.finish_and_clear();
        write_seconds += stats.seconds;
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
    // Shards of one tree share srcdest.txt: merge under a short lock.
    lock::while_locked(&rrd.join(".pinger-smokeping.srcdest.lock"), || {
        write_srcdest(target, &written)
    })
    .with_context(|| format!("{}: cannot lock srcdest.txt", rrd.display()))??;

    let run = TreeRun {
        leftovers,
        read,
        rebuild_read,
        errors,
        outcomes,
        write,
    };
    let record = RunState {
        started: listed_at,
        end: selection.window.end,
        selection: state::signature(&selection),
        complete: !run.failed(),
    };
    state::save(rrd, shard, &record)
        .with_context(|| format!("{}: cannot write the run state", rrd.display()))?;
    Ok(run)
}

/// Removes our temporary files below `rrd_dir` (the lock says none is in use): all of them
/// for a whole-tree run, only the shard's own (tagged) for a shard.
fn remove_leftover_temp_files(rrd_dir: &Path, tag: &str) -> usize {
    walkdir::WalkDir::new(rrd_dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            e.file_type().is_file() && name.ends_with(TEMP_SUFFIX) && name.contains(tag)
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
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
    write_file_atomically(&path, &text)
}
