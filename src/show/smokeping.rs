//! A SmokePing configuration that makes a stock SmokePing installation show our RRDs: the
//! Database section matches the files (SmokePing refuses files whose step, DS count or
//! archives differ), and the Targets tree maps onto `<rrd>/<monitor>/<leaf>.rrd`.

use crate::model::key::Key;
use crate::rrd::store::{self, Layout, Rra, StoreError};
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

/// The whole configuration (`targets_only`: just the Targets sections, to include).
pub fn config(site: &Site, layout: &Layout, keys: &[Key], targets_only: bool) -> String {
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
             + FPing\n\
             binary = /usr/bin/fping\n\n\
             *** Targets ***\n\
             probe = FPing\n\
             menu  = Top\n\
             title = PingER measurements\n",
            template = site.template.display()
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
                "\n++ {leaf}\nmenu  = {remote} {bytes}\ntitle = {monitor} to {remote}, {bytes} bytes\nhost  = {remote}\n",
                leaf = key.leaf(),
                remote = key.remote,
                bytes = key.bytes,
            );
        }
    }
    c
}
