//! The RRDs read back: graphs, exported rows, per-key figures, and the SmokePing config that
//! shows the files in a stock SmokePing.

pub mod esmond;
pub mod export;
pub mod graph;
pub mod smokeping;
pub mod summary;

use crate::rrd::store::{self, StoreError};
use std::path::Path;

/// The time range a reader shows: `(start, end]`, where a missing end is the file's last
/// update and a missing start is `days` days before the end.
pub fn time_range(
    file: &Path,
    start: Option<i64>,
    end: Option<i64>,
    days: i64,
) -> Result<(i64, i64), StoreError> {
    let end = match end {
        Some(end) => end,
        None => store::last_update(file)?,
    };
    Ok((start.unwrap_or(end - days * 86_400), end))
}
