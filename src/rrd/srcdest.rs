//! `srcdest.txt`, the original tool's key list, kept in the RRD directory: for every monitor,
//! sorted by name, a line with its name, its keys one a line sorted bytewise, then `****`.
//! The monitor line is what lets a key name be read back when host names hold `_` (see
//! `model::key`).

use crate::model::key::Key;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

/// The file's name in the RRD directory.
pub const FILE: &str = "srcdest.txt";

/// Writes `srcdest.txt`: monitors sorted by name, each followed by its keys sorted bytewise
/// and a `****` line.
pub fn write<'a>(out: &mut impl Write, keys: impl IntoIterator<Item = &'a Key>) -> io::Result<()> {
    let mut by_monitor: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for key in keys {
        by_monitor
            .entry(key.monitor.as_str())
            .or_default()
            .push(key.to_string());
    }
    for (monitor, mut keys) in by_monitor {
        keys.sort_unstable();
        writeln!(out, "{monitor}")?;
        for key in keys {
            writeln!(out, "{key}")?;
        }
        writeln!(out, "****")?;
    }
    Ok(())
}

/// Reads the keys of an existing `srcdest.txt` (missing file: none), those with N = `pings`
/// when given. Lines that do not parse
/// as keys of their monitor are ignored: the file is ours and is rewritten whole.
pub fn read(path: &Path, pings: Option<u32>) -> Vec<Key> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    let mut monitor: Option<&str> = None;
    for line in text.lines() {
        match monitor {
            _ if line == "****" => monitor = None,
            None => monitor = Some(line),
            Some(m) => {
                if let Some(key) = Key::in_monitor(m, line) {
                    if pings.is_none_or(|p| p == key.pings) {
                        keys.push(key);
                    }
                }
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srcdest_orders_bytewise_like_the_original() {
        let key = |m: &str, r: &str, b| Key {
            monitor: m.into(),
            remote: r.into(),
            bytes: b,
            pings: 10,
        };
        let keys = [
            key("monitor.niit.edu.pk", "www.niit.edu.pk", 1000),
            key("monitor.niit.edu.pk", "monalisa.niit.edu.pk", 100),
            key("monitor.niit.edu.pk", "monalisa.niit.edu.pk", 1000),
            key("a.org", "b.org", 100),
        ];
        let mut out = Vec::new();
        write(&mut out, &keys).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a.org\na.org_b.org_100_10\n****\n\
             monitor.niit.edu.pk\n\
             monitor.niit.edu.pk_monalisa.niit.edu.pk_1000_10\n\
             monitor.niit.edu.pk_monalisa.niit.edu.pk_100_10\n\
             monitor.niit.edu.pk_www.niit.edu.pk_1000_10\n****\n"
        );
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;

    #[test]
    fn written_keys_read_back() {
        let keys = vec![
            Key {
                monitor: "a_b.org".into(),
                remote: "c_d.org".into(),
                bytes: 1000,
                pings: 10,
            },
            Key {
                monitor: "2001:db8::1".into(),
                remote: "x.org".into(),
                bytes: 100,
                pings: 10,
            },
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("srcdest.txt");
        let mut out = Vec::new();
        write(&mut out, &keys).unwrap();
        std::fs::write(&path, out).unwrap();
        let mut back = read(&path, Some(10));
        back.sort();
        let mut keys = keys;
        keys.sort();
        assert_eq!(back, keys);
        assert!(read(&path, Some(20)).is_empty());
        assert!(read(&dir.path().join("missing"), Some(10)).is_empty());
    }
}
