//! Each key's last update, kept beside the RRDs in `.pinger-smokeping.updates`, one
//! `<rrd path>\t<Unix seconds>` line per key, so that a reader of the whole tree (the esmond
//! archive's metadata list, with 10,000 keys) need not open every file for it. Each run
//! merges the keys it wrote (under srcdest.txt's lock) and writes the file whole through
//! `atomic`; a reader falls back to the file itself for a key the list lacks.

use crate::rrd::atomic::{self, WriteError};
use std::collections::BTreeMap;
use std::path::Path;

/// The file's name in the RRD directory.
pub const FILE: &str = ".pinger-smokeping.updates";

/// The recorded last updates, by RRD path below the tree's root (missing or unreadable
/// file: none; a line that does not read is skipped, the file is ours and rewritten whole).
pub fn read(rrd_dir: &Path) -> BTreeMap<String, i64> {
    let Ok(text) = std::fs::read_to_string(rrd_dir.join(FILE)) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|line| {
            let (path, last) = line.split_once('\t')?;
            Some((path.to_string(), last.parse().ok()?))
        })
        .collect()
}

/// Sets the last update of each of `new` (path, time) and writes the file, if anything
/// changed.
pub fn merge(
    rrd_dir: &Path,
    new: impl IntoIterator<Item = (String, i64)>,
    options: atomic::Options<'_>,
) -> Result<(), WriteError> {
    let mut all = read(rrd_dir);
    let before = all.clone();
    all.extend(new);
    if all == before {
        return Ok(());
    }
    let mut text = String::with_capacity(all.len() * 64);
    for (path, last) in &all {
        text.push_str(path);
        text.push('\t');
        text.push_str(itoa::Buffer::new().format(*last));
        text.push('\n');
    }
    atomic::replace(&rrd_dir.join(FILE), options, |file, temp| {
        use std::io::Write;
        file.write_all(text.as_bytes())
            .map_err(|e| WriteError::new(temp, "cannot write", e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_updates_replace_a_keys_time_and_keep_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let options = atomic::Options::default();
        merge(
            dir.path(),
            [("m/a.rrd".into(), 1800), ("m/b.rrd".into(), 3600)],
            options,
        )
        .unwrap();
        merge(dir.path(), [("m/a.rrd".into(), 5400)], options).unwrap();
        let all = read(dir.path());
        assert_eq!((all["m/a.rrd"], all["m/b.rrd"]), (5400, 3600));
    }
}
