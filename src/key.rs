//! Series keys (`monitor_remote_bytes_N`), key filters, and where a key's RRD file lives.

use std::fmt;
use std::path::{Path, PathBuf};

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

impl Key {
    /// The RRD path below `rrd_dir`: `<monitor>/<remote>_<bytes>_<N>.rrd`, with every
    /// character outside `[-_0-9a-zA-Z]` replaced by `_` so SmokePing accepts the names.
    pub fn rrd_path(&self, rrd_dir: &Path) -> PathBuf {
        rrd_dir
            .join(self.section())
            .join(format!("{}.rrd", self.leaf()))
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
