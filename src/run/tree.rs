//! One run over an RRD tree, as `backfill` and `update` do it, in four steps:
//!
//! 1. [`prepare`]: take the lock, put back files an interrupted append left half-written, and
//!    remove what a killed run left;
//! 2. the directory pass: list the archive (for `update`, leaving out the files the last run
//!    read in their current version) and read and write one archive directory at a time,
//!    each key's file registered to it first ([`Writer::write`]);
//! 3. the whole-window pass: keys that need the whole window (new files and late data in an
//!    incremental update, keys met in several directories) get a second, filtered read
//!    ([`Writer::rewrite`]);
//! 4. [`finish`]: rewrite srcdest.txt, the remotes' addresses and the keys' last updates, and
//!    record what was read.

use crate::input::archive::{ArchiveError, Listing, SeenFile};
use crate::input::collect::{self, Collection, FileOutcome, ReadStats, Selection};
use crate::model::key::Key;
use crate::model::progress::{Progress, Stage};
use crate::rrd::atomic::{self, WriteError};
use crate::rrd::lock::{self, LockError};
use crate::rrd::store::StoreError;
use crate::rrd::{addresses, claims, iocount, journal, srcdest, updates};
use crate::run::convert::{self, Action, Commits, Mode, Outcome, Target, WriteStats};
use crate::run::state;
use std::collections::{HashMap, HashSet};
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

/// Why a run stopped before its end (per-file and per-key failures do not stop it; they are
/// in [`TreeRun`]).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Another run holds the tree, or the lock file cannot be used.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A file of an interrupted append could not be put back.
    #[error("{}: cannot recover an interrupted append", .dir.display())]
    Recover {
        /// The RRD directory.
        dir: PathBuf,
        /// What went wrong.
        #[source]
        source: StoreError,
    },
    /// srcdest.txt's lock could not be taken.
    #[error("{}: cannot lock srcdest.txt", .dir.display())]
    SrcdestLock {
        /// The RRD directory.
        dir: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// srcdest.txt could not be written.
    #[error(transparent)]
    Srcdest(WriteError),
    /// The record of what was read could not be written.
    #[error("{}: cannot write the run state", .dir.display())]
    State {
        /// The RRD directory.
        dir: PathBuf,
        /// What went wrong.
        #[source]
        source: WriteError,
    },
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
    /// The latest line time in the archive files of the window, as the record of what was
    /// read has them (files read now and files left out as unchanged).
    pub newest: Option<i64>,
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
    progress: &dyn Progress,
) -> Result<TreeRun, RunError> {
    let rrd = &target.rrd_dir;
    let shard = selection.filter.shard;
    let _lock = lock::acquire_for(rrd, shard)?;
    let (restored, leftovers) = prepare(target)?;

    // The nightly fast path: read only what the last run did not read.
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
    let mut writer = Writer::new(target, progress);
    progress.begin(Stage::Writing, 0);
    let (first, read_errors, reads) =
        collect::by_directory(&selection, &listing, progress, |c| writer.write(&c, mode));
    writer.commit();
    progress.end(Stage::Writing);
    iocount::files_read(first.files_read as u64, first.bytes_stored);
    read.add(first);
    read.keys = writer.seen.len();
    errors.extend(read_errors);

    // Keys whose file missed data of the archive: rebuilt, or left for the second read.
    let late: HashSet<Key> = writer
        .outcomes
        .iter()
        .filter(|o| matches!(o.result, Ok((Action::Deferred | Action::Rebuilt, _))))
        .map(|o| o.key.clone())
        .collect();
    let rebuild_read = (!writer.redo.is_empty()).then(|| {
        let (stats, rest_errors) = writer.rewrite(&selection);
        errors.extend(rest_errors);
        stats
    });
    // The second read meets the same broken files as the first: report each once.
    let mut reported = HashSet::new();
    errors.retain(|e| reported.insert(e.to_string()));

    let Writer {
        mut outcomes,
        refused,
        seconds,
        addresses,
        ..
    } = writer;
    outcomes.sort_by(|a, b| a.key.cmp(&b.key));
    let mut write = WriteStats::tally(&outcomes);
    write.seconds = seconds;
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
    let done = Done {
        outcomes: &outcomes,
        refused: &refused,
        addresses: &addresses,
    };
    let newest = finish(&selection, target, &listing, &reads, &done)?;
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
        newest,
    })
}

/// Step 1: an append killed half-way is undone (the append is made again by this run), then
/// the temporary files a killed run left are removed. Returns (files put back, files
/// removed).
pub(crate) fn prepare(target: &Target) -> Result<(usize, usize), RunError> {
    let rrd = &target.rrd_dir;
    let restored = journal::recover(rrd, &target.temp_tag).map_err(|source| RunError::Recover {
        dir: rrd.clone(),
        source,
    })?;
    Ok((restored, atomic::remove_leftovers(rrd, &target.temp_tag)))
}

/// Writes collections of keys as they are read, and remembers what each key needs next.
struct Writer<'a> {
    target: &'a Target,
    progress: &'a dyn Progress,
    commits: Commits,
    outcomes: Vec<Outcome>,
    /// Keys written so far.
    seen: HashSet<Key>,
    /// Keys refused by the register (a collision does not make a run incomplete: reading
    /// again would not change it).
    refused: HashSet<Key>,
    /// Keys to write again from a read of the whole window: new or late (incremental
    /// update), or met in more than one archive directory.
    redo: HashSet<Key>,
    /// Seconds spent writing.
    seconds: f64,
    /// The remote's address each key's lines give.
    addresses: HashMap<Key, String>,
}

impl<'a> Writer<'a> {
    fn new(target: &'a Target, progress: &'a dyn Progress) -> Self {
        Writer {
            target,
            progress,
            commits: Commits::default(),
            outcomes: Vec::new(),
            seen: HashSet::new(),
            refused: HashSet::new(),
            redo: HashSet::new(),
            seconds: 0.0,
            addresses: HashMap::new(),
        }
    }

    /// Step 2, for one archive directory's keys.
    fn write(&mut self, collection: &Collection, mode: Mode) {
        self.progress.grow(Stage::Writing, collection.len() as u64);
        let (done, seconds) = self.convert(collection, mode);
        self.seconds += seconds;
        for o in done {
            if !self.seen.insert(o.key.clone()) || matches!(o.result, Ok((Action::Deferred, _))) {
                self.redo.insert(o.key.clone());
            }
            self.outcomes.push(o);
        }
    }

    /// Registers the keys' files, then writes them; returns the outcomes and the seconds.
    fn convert(&mut self, collection: &Collection, mode: Mode) -> (Vec<Outcome>, f64) {
        for i in 0..collection.len() {
            if let Some(address) = collection.address(i) {
                let key = collection.key(i).clone();
                self.addresses.insert(key, address.to_string());
            }
        }
        let refused = claims::claim(&self.target.rrd_dir, collection.keys());
        self.refused.extend(refused.keys().cloned());
        let (outcomes, stats) = convert::convert(
            collection,
            self.target,
            mode,
            &refused,
            &mut self.commits,
            self.progress,
        );
        (outcomes, stats.seconds)
    }

    /// Waits for the staged files to be put in place (part of the writing time).
    fn commit(&mut self) {
        let rrd = &self.target.rrd_dir;
        self.seconds += self.commits.finish(&mut self.outcomes, rrd, self.progress);
    }

    /// Step 3: reads the whole window for the keys to redo and builds their files anew; their
    /// outcomes replace the first pass's. Returns that read's figures and file errors.
    fn rewrite(&mut self, selection: &Selection) -> (ReadStats, Vec<ArchiveError>) {
        let mut whole = selection.clone();
        whole.seen = None;
        whole.filter.keys = Some(
            (self.redo.iter())
                .map(|k| (k.monitor.clone(), k.remote.clone(), k.bytes))
                .collect(),
        );
        let rest = collect::collect(&whole, self.progress);
        iocount::files_read(rest.stats.files_read as u64, rest.stats.bytes_stored);
        self.progress.begin(Stage::Writing, rest.len() as u64);
        let (mut more, seconds) = self.convert(&rest, Mode::Backfill);
        let rrd = &self.target.rrd_dir;
        self.seconds += seconds + self.commits.finish(&mut more, rrd, self.progress);
        self.progress.end(Stage::Writing);
        let redo = &self.redo;
        self.outcomes.retain(|o| !redo.contains(&o.key));
        self.outcomes.extend(more);
        (rest.stats, rest.errors)
    }
}

/// What the passes wrote, for [`finish`].
struct Done<'a> {
    outcomes: &'a [Outcome],
    refused: &'a HashSet<Key>,
    addresses: &'a HashMap<Key, String>,
}

/// Step 4: srcdest.txt and the addresses, then the record of what was read: files left out
/// as unchanged keep their entries; files read whole get new ones; files that failed get
/// none, so the next run reads them again. Returns the latest line time the record holds.
fn finish(
    selection: &Selection,
    target: &Target,
    listing: &Listing,
    reads: &[FileOutcome],
    done: &Done<'_>,
) -> Result<Option<i64>, RunError> {
    let rrd = &target.rrd_dir;
    let (outcomes, refused) = (done.outcomes, done.refused);
    let written: Vec<&Key> = outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| &o.key)
        .collect();
    // Only the written keys' addresses: a refused key's file belongs to another.
    let addresses: Vec<(String, String)> = written
        .iter()
        .filter_map(|k| Some((k.relative_path(), done.addresses.get(*k)?.clone())))
        .collect();
    let last_updates: Vec<(String, i64)> = outcomes
        .iter()
        .filter_map(|o| Some((o.key.relative_path(), o.last?)))
        .collect();
    // Shards of one tree share srcdest.txt and the key lists beside it: merge under a short
    // lock.
    lock::while_locked(&rrd.join(".pinger-smokeping.srcdest.lock"), || {
        write_srcdest(target, &written)?;
        let options = atomic::Options {
            fsync: target.fsync,
            tag: &target.temp_tag,
        };
        addresses::merge(rrd, addresses, options)?;
        updates::merge(rrd, last_updates, options)
    })
    .map_err(|source| RunError::SrcdestLock {
        dir: rrd.clone(),
        source,
    })?
    .map_err(RunError::Srcdest)?;

    let complete = outcomes
        .iter()
        .all(|o| o.result.is_ok() || refused.contains(&o.key));
    let mut record = state::new_record(selection, complete);
    for (path, file) in &listing.unchanged {
        record
            .files
            .insert(path.to_string_lossy().into_owned(), *file);
    }
    for ((path, version), outcome) in listing.files.iter().zip(&listing.versions).zip(reads) {
        if outcome.whole {
            let file = SeenFile {
                version: *version,
                latest: outcome.latest,
            };
            record
                .files
                .insert(path.to_string_lossy().into_owned(), file);
        }
    }
    let newest = record.files.values().filter_map(|f| f.latest).max();
    state::save(rrd, selection.filter.shard, &record, &target.temp_tag).map_err(|source| {
        RunError::State {
            dir: rrd.clone(),
            source,
        }
    })?;
    Ok(newest)
}

/// Rewrites `<rrd>/srcdest.txt`: the keys just written plus those already listed whose RRD
/// still exists, so a filtered or sharded run does not drop the others.
pub(crate) fn write_srcdest(target: &Target, written: &[&Key]) -> Result<(), WriteError> {
    let path = target.rrd_dir.join(srcdest::FILE);
    let mut keys: Vec<Key> = srcdest::read(&path, Some(target.layout.pings))
        .into_iter()
        .filter(|k| k.rrd_path(&target.rrd_dir).exists())
        .collect();
    keys.extend(written.iter().map(|k| (*k).clone()));
    keys.sort();
    keys.dedup();
    let mut text = Vec::new();
    srcdest::write(&mut text, &keys).expect("writing to memory");
    let options = atomic::Options {
        fsync: target.fsync,
        tag: &target.temp_tag,
    };
    atomic::replace(&path, options, |file, temp| {
        use std::io::Write;
        file.write_all(&text)
            .map_err(|e| WriteError::new(temp, "cannot write", e))?;
        crate::rrd::faults::point("srcdest");
        Ok::<_, WriteError>(())
    })
}
