//! The remotes' addresses as PingER's lines give them (field 3), kept beside the RRDs in
//! `.pinger-smokeping.addresses`, one `<rrd path>\t<address>` line per key, so that the
//! SmokePing config can name each target by its address: SmokePing's CGI checks every
//! target's `host` on every page, and a name that does not resolve costs the resolver's
//! timeout each time (PingER's remotes are often dead or renamed sites).
//!
//! Each run merges what it read into the file (under srcdest.txt's lock) and writes it whole
//! through `atomic`; keys keep their last address when a run did not see them.

use crate::rrd::atomic::{self, WriteError};
use std::collections::BTreeMap;
use std::path::Path;

/// The file's name in the RRD directory.
pub const FILE: &str = ".pinger-smokeping.addresses";

/// The recorded addresses, by RRD path below the tree's root (missing or unreadable file:
/// none; a line that is not `path\taddress` is skipped, the file is ours and rewritten whole).
pub fn read(rrd_dir: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(rrd_dir.join(FILE)) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|line| line.split_once('\t'))
        .filter(|(path, address)| {
            !path.is_empty() && !address.is_empty() && !address.contains('\t')
        })
        .map(|(path, address)| (path.to_string(), address.to_string()))
        .collect()
}

/// Adds `new` (path, address) to the recorded addresses and writes the file, if anything
/// changed.
pub fn merge(
    rrd_dir: &Path,
    new: impl IntoIterator<Item = (String, String)>,
    options: atomic::Options<'_>,
) -> Result<(), WriteError> {
    let mut all = read(rrd_dir);
    let before = all.clone();
    all.extend(new);
    if all == before {
        return Ok(());
    }
    let mut text = String::new();
    for (path, address) in &all {
        text.push_str(path);
        text.push('\t');
        text.push_str(address);
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
    fn merged_addresses_keep_the_old_ones_and_take_the_new() {
        let dir = tempfile::tempdir().unwrap();
        let options = atomic::Options::default();
        merge(
            dir.path(),
            [("m/a.rrd".into(), "192.0.2.1".into())],
            options,
        )
        .unwrap();
        merge(
            dir.path(),
            [
                ("m/b.rrd".into(), "2001:db8::1".into()),
                ("m/a.rrd".into(), "192.0.2.9".into()),
            ],
            options,
        )
        .unwrap();
        let all = read(dir.path());
        assert_eq!(all["m/a.rrd"], "192.0.2.9");
        assert_eq!(all["m/b.rrd"], "2001:db8::1");
        assert!(read(&dir.path().join("missing")).is_empty());
    }
}
