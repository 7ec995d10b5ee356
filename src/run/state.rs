//! The record of what the last run read, kept in the RRD directory so that the nightly
//! `update` reads only what it has not read: every archive file in the version it was read
//! (size, change and modification time, inode), and the latest line time in it.
//!
//! A file is read again when it is new to the record or differs from its entry in any way,
//! whatever its timestamps say (late files arrive by `rsync -a` with old ones), or when a
//! line of it lay at or after the last run's window end. Nothing is compared with a clock.
//!
//! The record is only trusted for the same selection (data root, window length, pings, step,
//! filters) and when the last run wrote every key it meant to; otherwise, or when the file is
//! missing or unreadable, the run reads the whole window.

use crate::input::archive::{Seen, SeenFile};
use crate::input::collect::Selection;
use crate::rrd::atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Name of the state file in the RRD directory (one per shard).
pub fn state_file(shard: Option<(u32, u32)>) -> String {
    match shard {
        None => ".pinger-smokeping.state.json".into(),
        Some((i, n)) => format!(".pinger-smokeping.shard-{i}-of-{n}.state.json"),
    }
}

/// Bumped when the record's meaning changes; an older record means a whole-window read.
const FORMAT: u32 = 2;

/// The record of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// The record's format.
    pub format: u32,
    /// The run's window end.
    pub end: i64,
    /// The selection the run used, as text.
    pub selection: String,
    /// Whether every key the run meant to write was written.
    pub complete: bool,
    /// Every archive file read whole, by path, with its version and latest line time.
    pub files: BTreeMap<String, SeenFile>,
}

/// The text that must match for a record to apply to a selection.
pub fn signature(selection: &Selection) -> String {
    let f = &selection.filter;
    format!(
        "data={} days={} step={} pings={} monitors={:?} remotes={:?} bytes={:?} shard={:?}",
        selection.data.display(),
        (selection.window.end - selection.window.start) / 86_400,
        selection.window.step,
        selection.pings,
        f.monitors,
        f.remotes,
        f.bytes,
        f.shard
    )
}

/// What the last run read, if its record applies to `selection`.
pub fn load(rrd_dir: &Path, shard: Option<(u32, u32)>, selection: &Selection) -> Option<Seen> {
    let text = std::fs::read(rrd_dir.join(state_file(shard))).ok()?;
    let state: RunState = serde_json::from_slice(&text).ok()?;
    if state.format != FORMAT
        || !state.complete
        || state.selection != signature(selection)
        || state.end > selection.window.end
    {
        return None;
    }
    Some(Seen {
        end: state.end,
        files: state.files.into_iter().collect(),
    })
}

/// A record for `selection` (files to be added by the caller).
pub fn new_record(selection: &Selection, complete: bool) -> RunState {
    RunState {
        format: FORMAT,
        end: selection.window.end,
        selection: signature(selection),
        complete,
        files: BTreeMap::new(),
    }
}

/// Records this run (written after its RRDs, atomically).
pub fn save(
    rrd_dir: &Path,
    shard: Option<(u32, u32)>,
    state: &RunState,
    tag: &str,
) -> Result<(), atomic::WriteError> {
    let path = rrd_dir.join(state_file(shard));
    let text = serde_json::to_vec(state).expect("a record serialises");
    let options = atomic::Options { fsync: true, tag };
    atomic::replace(&path, options, |file, temp| {
        use std::io::Write;
        file.write_all(&text)
            .map_err(|e| atomic::WriteError::new(temp, "cannot write", e))?;
        crate::rrd::faults::point("state");
        Ok(())
    })
}
