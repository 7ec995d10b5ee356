//! `smokeping-config`: the SmokePing config that shows a tree's RRDs in a stock SmokePing.

use crate::cli::args::SmokepingConfigArgs;
use crate::cli::config::Settings;
use crate::cli::{known_keys, write_file_atomically, Status};
use crate::model::key::Key;
use crate::show::smokeping;
use anyhow::{bail, Context, Result};
use std::io::Write;

/// `smokeping-config`.
pub fn run(settings: &Settings, args: &SmokepingConfigArgs) -> Result<Status> {
    let rrd = settings.rrd()?;
    let keys = known_keys(rrd)?;
    let Some(first) = keys.iter().map(|k| k.rrd_path(rrd)).find(|p| p.exists()) else {
        bail!("{}: no RRD of srcdest.txt exists", rrd.display());
    };
    // SmokePing has one Database section: list the keys whose files have its layout.
    let layout = smokeping::layout_of(&first)?;
    let (shown, other): (Vec<Key>, Vec<Key>) = keys.into_iter().partition(|k| {
        let path = k.rrd_path(rrd);
        path.exists() && smokeping::layout_of(&path).is_ok_and(|l| l == layout)
    });
    for k in &other {
        crate::say!(
            "smokeping-config: left out {k}: no file, or a layout other than {}",
            first.display()
        );
    }
    let datadir =
        std::fs::canonicalize(rrd).with_context(|| format!("{}: cannot resolve", rrd.display()))?;
    let site = settings.smokeping_site(datadir);
    let addresses = crate::rrd::addresses::read(rrd);
    let text = smokeping::config(&site, &layout, &shown, &addresses, args.targets_only);
    if !args.targets_only {
        // SmokePing's CGI refuses a config naming a directory that does not exist.
        for dir in [&site.imgcache, &site.piddir] {
            if !dir.is_dir() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("{}: cannot create", dir.display()))?;
                crate::say!(
                    "smokeping-config: created {} (the web server's user must be able to \
                     write the image cache)",
                    dir.display()
                );
            }
        }
    }
    match &args.output {
        Some(path) => {
            write_file_atomically(path, text.as_bytes())?;
            crate::say!(
                "smokeping-config: {} keys in {}",
                shown.len(),
                path.display()
            );
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(Status::failed_if(!other.is_empty()))
}
