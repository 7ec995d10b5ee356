//! A SmokePing configuration that makes a stock SmokePing installation show our RRDs: the
//! Database section matches the files (SmokePing refuses files whose step, DS count or
//! archives differ), and the Targets tree maps onto `<rrd>/<monitor>/<leaf>.rrd`.
//!
//! Two things keep SmokePing's pages honest and fast:
//! - every target's `host` is something SmokePing takes without a DNS lookup (its CGI checks
//!   every host on every page, and each name that does not resolve costs the resolver's
//!   timeout): the remote's address from PingER's lines (`rrd::addresses`) when it is an IPv4
//!   or IPv6 literal, the remote's name when that is one, else `DYNAMIC`;
//! - one FPing probe per packet size, with `packetsize` set, so that each graph's legend
//!   (`10 ICMP Echo Pings (1000 Bytes)`) states the key's real size. The probes are never run.

use crate::model::key::Key;
use crate::rrd::store::{self, Layout, Rra, StoreError};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The site-specific paths of the General section.
#[derive(Debug, Clone)]
pub struct Site {
    /// Where our RRDs are (`datadir`).
    pub datadir: PathBuf,
    /// Where SmokePing's CGI caches images (`imgcache`).
    pub imgcache: PathBuf,
    /// URL of that cache as seen by browsers (`imgurl`).
    pub imgurl: String,
    /// SmokePing's pid directory (`piddir`).
    pub piddir: PathBuf,
    /// The CGI's URL (`cgiurl`).
    pub cgiurl: String,
    /// The page template (`template`).
    pub template: PathBuf,
}

/// Reads the layout of an existing RRD file (step, pings, archives).
pub fn layout_of(file: &Path) -> Result<Layout, StoreError> {
    let info = store::info(file)?;
    let bad = |what: &str| StoreError {
        path: file.to_path_buf(),
        message: format!("not one of our RRDs ({what})"),
    };
    let step = info
        .get("step")
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no step"))?;
    let ds = info
        .keys()
        .filter(|k| k.starts_with("ds[") && k.ends_with("].index"))
        .count() as u32;
    let mut archives = Vec::new();
    for i in 0.. {
        let field = |name: &str| info.get(&format!("rra[{i}].{name}"));
        let (Some(cf), Some(xff), Some(steps), Some(rows)) = (
            field("cf"),
            field("xff"),
            field("pdp_per_row"),
            field("rows"),
        ) else {
            break;
        };
        let text = format!("{}:{}:{}:{}", cf.trim_matches('"'), xff, steps, rows);
        archives.push(text.parse::<Rra>().map_err(|e| bad(&e.to_string()))?);
    }
    if ds < 4 || archives.is_empty() {
        return Err(bad("too few data sources or no archive"));
    }
    Ok(Layout {
        step,
        pings: ds - 3,
        archives,
    })
}

/// FPing takes packet sizes from 12 to 64000 bytes; a key of another size gets the probe
/// without one (its legend then says FPing's default of 56 bytes).
const FPING_SIZES: std::ops::RangeInclusive<u32> = 12..=64_000;

/// The probe that draws `bytes`-byte keys.
fn probe_name(bytes: u32) -> String {
    if FPING_SIZES.contains(&bytes) {
        format!("FPing{bytes}")
    } else {
        "FPing".into()
    }
}

/// Whether SmokePing takes `host` without a lookup: an IPv4 or IPv6 literal, by the same
/// patterns as its `host` check (Smokeping.pm 2.7.3).
pub fn is_address_literal(host: &str) -> bool {
    let v4 = {
        let parts: Vec<&str> = host.split('.').collect();
        parts.len() == 4
            && parts
                .iter()
                .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let v6 = {
        let groups: Vec<&str> = host.split(':').collect();
        (2..=8).contains(&groups.len())
            && groups
                .iter()
                .all(|g| g.len() <= 4 && g.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    v4 || v6
}

/// The `host` of a key's target: see the module comment.
pub fn target_host<'a>(key: &'a Key, address: Option<&'a str>) -> &'a str {
    match address {
        Some(a) if is_address_literal(a) => a,
        _ if is_address_literal(&key.remote) => &key.remote,
        _ => "DYNAMIC",
    }
}

/// The whole configuration (`targets_only`: just the Targets sections, to include).
/// `addresses` maps a key's RRD path below the tree to its remote's address.
pub fn config(
    site: &Site,
    layout: &Layout,
    keys: &[Key],
    addresses: &BTreeMap<String, String>,
    targets_only: bool,
) -> String {
    let mut c = String::new();
    if !targets_only {
        let _ = write!(
            c,
            "# SmokePing configuration written by pinger-smokeping for the RRDs in {datadir}.\n\
             # The Database section must match the files; the probe is never run by the CGI.\n\n\
             *** General ***\n\
             owner    = PingER\n\
             contact  = nobody@example.org\n\
             cgiurl   = {cgiurl}\n\
             imgcache = {imgcache}\n\
             imgurl   = {imgurl}\n\
             datadir  = {datadir}\n\
             piddir   = {piddir}\n\
             smokemail = /etc/smokeping/smokemail\n\
             tmail    = /etc/smokeping/tmail\n\
             display_name = PingER\n\n\
             *** Database ***\n\
             step  = {step}\n\
             pings = {pings}\n\n\
             # cons   xff steps rows (the archives of the files, in their order)\n",
            datadir = site.datadir.display(),
            cgiurl = site.cgiurl,
            imgcache = site.imgcache.display(),
            imgurl = site.imgurl,
            piddir = site.piddir.display(),
            step = layout.step,
            pings = layout.pings,
        );
        for a in &layout.archives {
            let _ = writeln!(c, "{:>7}  {} {:>5} {:>6}", a.cf, a.xff, a.steps, a.rows);
        }
        let _ = write!(
            c,
            "\n*** Presentation ***\n\
             template = {template}\n\
             htmltitle = yes\n\
             graphborders = no\n\n\
             + overview\n\
             width = 600\n\
             height = 50\n\
             range = 10d\n\n\
             + detail\n\
             width = 600\n\
             height = 200\n\
             unison_tolerance = 2\n\
             \"Last 2 Days\"    2d\n\
             \"Last 10 Days\"   10d\n\
             \"Last 30 Days\"   30d\n\
             \"Last 120 Days\"  120d\n\n\
             *** Probes ***\n\
             # One per packet size, so each legend states its key's size. Never run.\n",
            template = site.template.display()
        );
        // Instances of one FPing probe (SmokePing's `++` subsections), each with its size.
        let mut probes: Vec<String> = keys.iter().map(|k| probe_name(k.bytes)).collect();
        probes.sort_unstable();
        probes.dedup();
        let _ = write!(c, "\n+ FPing\nbinary = /usr/bin/fping\n");
        for probe in probes.iter().filter(|p| *p != "FPing") {
            let size = probe.trim_start_matches("FPing");
            let _ = write!(c, "\n++ {probe}\npacketsize = {size}\n");
        }
        if probes.is_empty() {
            probes.push("FPing".into());
        }
        let _ = write!(
            c,
            "\n*** Targets ***\n\
             probe = {}\n\
             menu  = Top\n\
             title = PingER measurements\n",
            probes[0]
        );
    }
    let mut monitors: Vec<&str> = keys.iter().map(|k| k.monitor.as_str()).collect();
    monitors.sort_unstable();
    monitors.dedup();
    for monitor in monitors {
        let section = crate::model::key::smokeping_name(monitor);
        let _ = write!(
            c,
            "\n+ {section}\nmenu  = {monitor}\ntitle = PingER monitor {monitor}\n"
        );
        for key in keys.iter().filter(|k| k.monitor == monitor) {
            let _ = write!(
                c,
                "\n++ {leaf}\nmenu  = {remote} {bytes}\ntitle = {monitor} to {remote}, {bytes} bytes\n\
                 probe = {probe}\nhost  = {host}\n",
                leaf = key.leaf(),
                remote = key.remote,
                bytes = key.bytes,
                probe = probe_name(key.bytes),
                host = target_host(key, addresses.get(&key.relative_path()).map(String::as_str)),
            );
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_addresses_smokeping_takes_without_a_lookup() {
        for literal in [
            "192.0.2.1",
            "10.0.0.255",
            "2001:db8::1",
            "::1",
            "fe80::1:2:3",
        ] {
            assert!(is_address_literal(literal), "{literal}");
        }
        for name in [
            "www.example.org",
            "1.2.3",
            "1.2.3.4.5",
            "::ffff:1.2.3.4",
            "",
            "dynamic",
        ] {
            assert!(!is_address_literal(name), "{name}");
        }
        let key = |remote: &str| Key {
            monitor: "m".into(),
            remote: remote.into(),
            bytes: 100,
            pings: 10,
        };
        let k = key("www.example.org");
        assert_eq!(target_host(&k, Some("192.0.2.7")), "192.0.2.7");
        assert_eq!(target_host(&k, Some("www.example.org")), "DYNAMIC");
        assert_eq!(target_host(&k, None), "DYNAMIC");
        let ip = key("198.51.100.3");
        assert_eq!(target_host(&ip, None), "198.51.100.3");
    }
}
