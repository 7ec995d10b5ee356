//! What the last complete run read, kept in the RRD directory so the nightly `update` reads
//! only the files that changed since (see `archive::Since`).
//!
//! The state is only trusted for the same selection (data root, window length, pings, step,
//! filters): anything else, a failed run, or a missing or unreadable file means a full read.

use crate::archive::Since;
use crate::collect::Selection;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Name of the state file in the RRD directory (one per shard).
pub fn state_file(shard: Option<(u32, u32)>) -> String {
    match shard {
        None => ".pinger-smokeping.state.json".into(),
        Some((i, n)) => format!(".pinger-smokeping.shard-{i}-of-{n}.state.json"),
    }
}

/// Files modified up to this long before a run started count as changed after it, for
/// file systems with coarse or skewed timestamps (NFS).
const CLOCK_SLACK: Duration = Duration::from_secs(120);

/// The record of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// Unix seconds when the run started listing files.
    pub started: u64,
    /// The run's window end.
    pub end: i64,
    /// The selection the run used, as text.
    pub selection: String,
    /// Whether every file and key succeeded.
    pub complete: bool,
}

/// The text that must match for a state to apply to a selection.
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

/// What the last run lets this one skip, if anything.
pub fn since(rrd_dir: &Path, shard: Option<(u32, u32)>, selection: &Selection) -> Option<Since> {
    let text = std::fs::read(rrd_dir.join(state_file(shard))).ok()?;
    let state: RunState = serde_json::from_slice(&text).ok()?;
    if !state.complete
        || state.selection != signature(selection)
        || state.end > selection.window.end
    {
        return None;
    }
    Some(Since {
        modified_after: UNIX_EPOCH + Duration::from_secs(state.started) - CLOCK_SLACK,
        after_end: state.end,
    })
}

/// Records this run (written after its RRDs, through a temporary file).
pub fn save(rrd_dir: &Path, shard: Option<(u32, u32)>, state: &RunState) -> std::io::Result<()> {
    let mut temp = tempfile::NamedTempFile::new_in(rrd_dir)?;
    serde_json::to_writer_pretty(&mut temp, state)?;
    temp.persist(rrd_dir.join(state_file(shard)))?;
    Ok(())
}

/// Now, as Unix seconds.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
