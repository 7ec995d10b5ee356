//! Series keys (`monitor_remote_bytes_N`), key filters, and where a key's RRD file lives.
//!
//! The one place where a key becomes text and text becomes a key. The rule:
//! - A key's name is `monitor_remote_bytes_N` ([`Display`](fmt::Display)), as in the original
//!   tool's srcdest.txt.
//! - Host names may hold `_` (the input contract allows it), so a name cannot always be split
//!   back: `a_b_c_1000_10` is monitor `a_b` and remote `c`, or `a` and `b_c`. The last two
//!   fields are always bytes and N; the monitor/remote boundary is only known when one `_`
//!   is left ([`FromStr`] refuses the others as ambiguous).
//! - So a reader never guesses: srcdest.txt gives the monitor on its own line
//!   ([`Key::in_monitor`]); the key register compares whole names, and checks that a name has
//!   some reading that maps to its file ([`readings`]).
//! - Two different keys can share a name (`a_b`+`c` and `a`+`b_c`), never a name and a file:
//!   the file keeps the monitor's length in its directory name.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// One series: a (monitor, remote, bytes) path measured with N ping slots.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Monitor host name as written in the lines.
    pub monitor: String,
    /// Remote host name as written in the lines.
    pub remote: String,
    /// Ping payload size.
    pub bytes: u32,
    /// Ping slots of the RRD.
    pub pings: u32,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}_{}_{}_{}",
            self.monitor, self.remote, self.bytes, self.pings
        )
    }
}

/// Why a key name could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `monitor_remote_bytes_N` with digits for bytes and N.
    #[error("`{0}` is not a key name (monitor_remote_bytes_N)")]
    Malformed(String),
    /// Host names with `_`: more than one monitor/remote split is possible.
    #[error("`{0}` is ambiguous: its host names hold `_`, so the monitor cannot be told from the remote")]
    Ambiguous(String),
}

impl FromStr for Key {
    type Err = KeyError;

    /// Reads a name whose monitor/remote boundary is the only `_` left once bytes and N are
    /// taken off the end.
    fn from_str(name: &str) -> Result<Key, KeyError> {
        let mut all = readings(name);
        match (all.next(), all.next()) {
            (Some(key), None) => Ok(key),
            (Some(_), Some(_)) => Err(KeyError::Ambiguous(name.to_string())),
            (None, _) => Err(KeyError::Malformed(name.to_string())),
        }
    }
}

/// Every key a name can be read as: one per `_` that may split monitor from remote.
pub fn readings(name: &str) -> impl Iterator<Item = Key> + '_ {
    let parts = split_numbers(name);
    let hosts = parts.map_or("", |p| p.0);
    hosts.match_indices('_').filter_map(move |(at, _)| {
        let (bytes, pings) = parts?.1;
        let (monitor, remote) = (&hosts[..at], &hosts[at + 1..]);
        (!monitor.is_empty() && !remote.is_empty()).then(|| Key {
            monitor: monitor.to_string(),
            remote: remote.to_string(),
            bytes,
            pings,
        })
    })
}

/// `hosts_bytes_N` -> (`hosts`, (bytes, N)).
fn split_numbers(name: &str) -> Option<(&str, (u32, u32))> {
    let number = |t: &str| {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse::<u32>().ok())
            .flatten()
    };
    let (rest, pings) = name.rsplit_once('_')?;
    let (hosts, bytes) = rest.rsplit_once('_')?;
    Some((hosts, (number(bytes)?, number(pings)?)))
}

impl Key {
    /// Reads the name of a key whose monitor is known (srcdest.txt's monitor line).
    pub fn in_monitor(monitor: &str, name: &str) -> Option<Key> {
        let rest = name.strip_prefix(monitor)?.strip_prefix('_')?;
        let (remote, (bytes, pings)) = split_numbers(rest)?;
        (!monitor.is_empty() && !remote.is_empty()).then(|| Key {
            monitor: monitor.to_string(),
            remote: remote.to_string(),
            bytes,
            pings,
        })
    }

    /// The RRD path below `rrd_dir`: `<monitor>/<remote>_<bytes>_<N>.rrd`, with every
    /// character outside `[-_0-9a-zA-Z]` replaced by `_` so SmokePing accepts the names.
    pub fn rrd_path(&self, rrd_dir: &Path) -> PathBuf {
        rrd_dir
            .join(self.section())
            .join(format!("{}.rrd", self.leaf()))
    }

    /// The RRD path below the tree's root, as the tree's own files (the key register, the
    /// address list) name it: `<monitor>/<remote>_<bytes>_<N>.rrd`.
    pub fn relative_path(&self) -> String {
        self.rrd_path(Path::new("")).to_string_lossy().into_owned()
    }

    /// The SmokePing section name of the monitor (the RRD's directory).
    pub fn section(&self) -> String {
        smokeping_name(&self.monitor)
    }

    /// The SmokePing leaf name of the key (the RRD's file stem).
    pub fn leaf(&self) -> String {
        format!(
            "{}_{}_{}",
            smokeping_name(&self.remote),
            self.bytes,
            self.pings
        )
    }
}

/// The key named `name` among `keys` (the first, in the rare case of two keys sharing a
/// name; see the module comment).
pub fn find<'a>(keys: &'a [Key], name: &str) -> Option<&'a Key> {
    keys.iter().find(|k| k.to_string() == name)
}

/// Replaces every character outside `[-_0-9a-zA-Z]` by `_`.
pub fn smokeping_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Which keys a run works on: empty lists mean "all".
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Monitor names to keep.
    pub monitors: Vec<String>,
    /// Remote names to keep.
    pub remotes: Vec<String>,
    /// Sizes to keep.
    pub bytes: Vec<u32>,
    /// Only monitors hashing to shard `index` of `count` (see [`shard_of`]).
    pub shard: Option<(u32, u32)>,
    /// Only these (monitor, remote, bytes), when set.
    pub keys: Option<std::collections::HashSet<(String, String, u32)>>,
}

impl Filter {
    /// Whether a line of this monitor, remote and size is kept.
    pub fn keeps(&self, monitor: &str, remote: &str, bytes: u32) -> bool {
        (self.monitors.is_empty() || self.monitors.iter().any(|m| m == monitor))
            && (self.remotes.is_empty() || self.remotes.iter().any(|r| r == remote))
            && (self.bytes.is_empty() || self.bytes.contains(&bytes))
            && self
                .shard
                .is_none_or(|(index, count)| shard_of(monitor, count) == index)
            && self
                .keys
                .as_ref()
                .is_none_or(|keys| keys.contains(&(monitor.to_string(), remote.to_string(), bytes)))
    }
}

impl Filter {
    /// Whether some line of `monitor` may be kept (its remote and size unknown yet).
    pub fn may_keep_monitor(&self, monitor: &str) -> bool {
        (self.monitors.is_empty() || self.monitors.iter().any(|m| m == monitor))
            && self
                .shard
                .is_none_or(|(index, count)| shard_of(monitor, count) == index)
            && self
                .keys
                .as_ref()
                .is_none_or(|keys| keys.iter().any(|(m, _, _)| m == monitor))
    }

    /// Whether the filter keeps only some monitors.
    pub fn selects_monitors(&self) -> bool {
        !self.monitors.is_empty() || self.shard.is_some() || self.keys.is_some()
    }
}

/// The shard (0-based, of `count`) a monitor belongs to: FNV-1a 64 of its name, mod `count`.
/// Stable across runs, machines and versions, so array jobs agree on who owns what.
pub fn shard_of(monitor: &str, count: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in monitor.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % u64::from(count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(monitor: &str, remote: &str, bytes: u32) -> Key {
        Key {
            monitor: monitor.into(),
            remote: remote.into(),
            bytes,
            pings: 10,
        }
    }

    #[test]
    fn key_names_and_paths_follow_the_contract() {
        let k = key("monitor.niit.edu.pk", "monalisa.niit.edu.pk", 1000);
        assert_eq!(
            k.to_string(),
            "monitor.niit.edu.pk_monalisa.niit.edu.pk_1000_10"
        );
        assert_eq!(
            k.rrd_path(Path::new("/r")),
            Path::new("/r/monitor_niit_edu_pk/monalisa_niit_edu_pk_1000_10.rrd")
        );
        assert_eq!(smokeping_name("2001:db8::1"), "2001_db8__1");
    }

    #[test]
    fn names_with_underscores_are_read_only_where_they_split_one_way() {
        // One `_` left: one reading.
        let k: Key = "m.org_r.org_1000_10".parse().unwrap();
        assert_eq!(k, key("m.org", "r.org", 1000));
        // `_` in the monitor, the remote, or both: every reading, and FromStr refuses.
        for (m, r) in [("m_x.org", "r.org"), ("m.org", "a_b.org"), ("m_x", "a_b")] {
            let k = key(m, r, 100);
            let name = k.to_string();
            assert_eq!(name.parse::<Key>(), Err(KeyError::Ambiguous(name.clone())));
            let all: Vec<Key> = readings(&name).collect();
            assert!(all.contains(&k), "{name}: {all:?}");
            assert_eq!(all.len(), name.matches('_').count() - 2, "{name}");
            assert_eq!(Key::in_monitor(m, &name), Some(k));
        }
        for bad in [
            "",
            "m_r",
            "m_r_100",
            "m_r_x_10",
            "_r_100_10",
            "m__100_10",
            "m_r_100_+1",
        ] {
            assert!(bad.parse::<Key>().is_err(), "{bad}");
        }
        assert_eq!(Key::in_monitor("m", "mx_r_100_10"), None);
    }

    #[test]
    fn filters_combine_with_and() {
        let f = Filter {
            monitors: vec!["a".into()],
            bytes: vec![100],
            ..Filter::default()
        };
        assert!(f.keeps("a", "x", 100));
        assert!(!f.keeps("a", "x", 1000));
        assert!(!f.keeps("b", "x", 100));
        assert!(Filter::default().keeps("b", "y", 1000));
    }

    #[test]
    fn shards_are_stable_and_cover_everything() {
        // Fixed values: changing the hash would silently reassign monitors between array jobs.
        assert_eq!(
            shard_of("pinger.slac.stanford.edu", 4),
            shard_of("pinger.slac.stanford.edu", 4)
        );
        assert_eq!(shard_of("", 7), (0xcbf2_9ce4_8422_2325u64 % 7) as u32);
        let names: Vec<String> = (0..100).map(|i| format!("mon{i}.example.org")).collect();
        let mut seen = [0; 4];
        for n in &names {
            seen[shard_of(n, 4) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 10), "{seen:?}");
    }
}
