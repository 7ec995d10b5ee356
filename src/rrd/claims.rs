//! Which key owns which RRD file, for the whole tree: two keys whose names map to one path
//! (`a.b` and `a_b`) must never write each other's file, whichever directory, run or shard
//! they come from.
//!
//! The register is a file in the RRD directory with one line per file, `<path>\t<key>`,
//! only ever appended to under a lock that every run and shard takes. A key is written only
//! once its file is registered to it. A tree made before the register existed is registered
//! from its srcdest.txt on first use.
//!
//! Owners are compared by whole key name, never split (host names may hold `_`; see `key`):
//! a line counts when some reading of its name maps to its path, so a line cut by a crash
//! registers nothing.

use crate::model::key::Key;
use crate::rrd::lock;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The register, in the RRD directory.
pub const REGISTER: &str = ".pinger-smokeping.keys";

/// Why a key may not write its file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Another key owns the file, or shares it in the same batch.
    #[error("{}: keys {key} and {other} map to the same file", .file.display())]
    Collision {
        /// The file both keys map to.
        file: PathBuf,
        /// The refused key's name.
        key: String,
        /// The other key's name.
        other: String,
    },
    /// The register could not be read or written.
    #[error("{}: cannot use the key register: {reason}", .dir.display())]
    Register {
        /// The RRD directory.
        dir: PathBuf,
        /// What the OS said.
        reason: String,
    },
}

/// The refused keys, each with why.
pub type Refused = HashMap<Key, Refusal>;

/// Registers the file of every key in `keys` to it, where no other key holds it. Returns
/// the keys refused: those whose file belongs to another key, and every key of `keys` that
/// shares a file with another one of them (neither is written). An I/O error on the
/// register refuses them all, with its reason.
pub fn claim<'a>(rrd_dir: &Path, keys: impl Iterator<Item = &'a Key>) -> Refused {
    let keys: Vec<&Key> = keys.collect();
    let lock_path = rrd_dir.join(format!("{REGISTER}.lock"));
    let result = lock::while_locked(&lock_path, || claim_locked(rrd_dir, &keys));
    match result {
        Ok(Ok(refused)) => refused,
        Ok(Err(e)) | Err(e) => {
            let refusal = Refusal::Register {
                dir: rrd_dir.to_path_buf(),
                reason: e.to_string(),
            };
            keys.into_iter()
                .map(|k| (k.clone(), refusal.clone()))
                .collect()
        }
    }
}

fn claim_locked(rrd_dir: &Path, keys: &[&Key]) -> std::io::Result<Refused> {
    let register = rrd_dir.join(REGISTER);
    let mut owners: HashMap<String, String> = HashMap::new();
    let mut new_lines = String::new();
    match lock::read_no_follow(&register) {
        Ok(text) => {
            // A line cut by a crash registered nothing: it is ended before anything is
            // appended, and a line only counts when its key maps to its path.
            if !text.is_empty() && !text.ends_with('\n') {
                new_lines.push('\n');
            }
            for line in text.lines() {
                if let Some((path, key)) = line.split_once('\t') {
                    if crate::model::key::readings(key).any(|k| relative_path(&k) == path) {
                        owners
                            .entry(path.to_string())
                            .or_insert_with(|| key.to_string());
                    }
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // First use on this tree: the files srcdest.txt lists belong to their keys.
            let listed = crate::rrd::srcdest::read(&rrd_dir.join("srcdest.txt"), None);
            for key in listed {
                let path = relative_path(&key);
                if key.rrd_path(rrd_dir).exists() && !owners.contains_key(&path) {
                    new_lines.push_str(&format!("{path}\t{key}\n"));
                    owners.insert(path, key.to_string());
                }
            }
        }
        Err(e) => return Err(e),
    }

    // Keys of this batch that share a path: none of them is written.
    let mut by_path: HashMap<String, Vec<&Key>> = HashMap::new();
    for &key in keys {
        by_path.entry(relative_path(key)).or_default().push(key);
    }
    let mut refused = Refused::new();
    let mut paths: Vec<_> = by_path.into_iter().collect();
    paths.sort();
    for (path, keys) in paths {
        let shown = |other: &str, key: &Key| Refusal::Collision {
            file: key.rrd_path(rrd_dir),
            key: key.to_string(),
            other: other.to_string(),
        };
        match owners.get(&path) {
            Some(owner) => {
                for key in keys.iter().filter(|k| k.to_string() != *owner) {
                    refused.insert((*key).clone(), shown(owner, key));
                }
            }
            None if keys.len() > 1 => {
                for key in &keys {
                    let other = keys.iter().find(|o| o != &key).expect("two keys");
                    refused.insert((*key).clone(), shown(&other.to_string(), key));
                }
            }
            None => {
                new_lines.push_str(&format!("{path}\t{}\n", keys[0]));
                owners.insert(path, keys[0].to_string());
            }
        }
    }
    if !new_lines.is_empty() {
        let mut file = lock::open_no_follow(&register, true)?;
        file.write_all(new_lines.as_bytes())?;
        file.sync_data()?;
    }
    Ok(refused)
}

/// The key's file below the RRD directory, as registered.
fn relative_path(key: &Key) -> String {
    key.relative_path()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(monitor: &str, remote: &str) -> Key {
        Key {
            monitor: monitor.into(),
            remote: remote.into(),
            bytes: 100,
            pings: 10,
        }
    }

    #[test]
    fn the_first_key_keeps_its_file_and_later_ones_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let first = key("a.b", "r");
        assert!(claim(dir.path(), [&first].into_iter()).is_empty());
        // Another run, another directory or another shard: the register is on disk.
        let second = key("a_b", "r");
        let refused = claim(dir.path(), [&second, &first].into_iter());
        assert_eq!(refused.len(), 1);
        let message = refused[&second].to_string();
        assert!(
            message.contains("keys a_b_r_100_10 and a.b_r_100_10 map to the same file"),
            "{message}"
        );
        // Claiming again changes nothing.
        assert!(claim(dir.path(), [&first].into_iter()).is_empty());
    }

    #[test]
    fn colliding_keys_of_one_batch_are_both_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (key("m", "x.y"), key("m", "x_y"), key("m", "z"));
        let refused = claim(dir.path(), [&a, &b, &c].into_iter());
        assert!(refused.contains_key(&a) && refused.contains_key(&b));
        assert!(!refused.contains_key(&c));
        // Neither was registered: a later run with just one of them may have the file.
        assert!(claim(dir.path(), [&b].into_iter()).is_empty());
    }

    #[test]
    fn a_register_line_of_a_name_with_underscores_is_read_back() {
        // As an earlier build wrote it: the owner's remote holds `_`.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(REGISTER),
            "m_x_org/a_b_example_org_100_10.rrd\tm_x.org_a_b.example.org_100_10\n",
        )
        .unwrap();
        let newcomer = key("m.x.org", "a.b.example.org");
        let refused = claim(dir.path(), [&newcomer].into_iter());
        assert!(
            refused[&newcomer].to_string().contains(
                "keys m.x.org_a.b.example.org_100_10 and m_x.org_a_b.example.org_100_10 map"
            ),
            "{refused:?}"
        );
        let owner = key("m_x.org", "a_b.example.org");
        assert!(claim(dir.path(), [&owner].into_iter()).is_empty());
    }

    #[test]
    fn a_line_cut_by_a_crash_registers_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(REGISTER),
            "m/r_100_10.rrd\tm_r_100_10\nm/s_100_10.rrd\tm_s",
        )
        .unwrap();
        let s = key("m", "s");
        assert!(claim(dir.path(), [&s].into_iter()).is_empty());
        let text = std::fs::read_to_string(dir.path().join(REGISTER)).unwrap();
        assert!(
            text.ends_with("\tm_s\nm/s_100_10.rrd\tm_s_100_10\n"),
            "{text}"
        );
        // The next reader sees s as the owner, not the cut line's `m_s`.
        let other = key("m", "s");
        assert!(claim(dir.path(), [&other].into_iter()).is_empty());
    }
}
