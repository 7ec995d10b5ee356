//! `export`: the rows behind the graphs, per key, as CSV or JSON.

use crate::cli::args::ExportArgs;
use crate::cli::config::Settings;
use crate::cli::{check_range, find_key, known_keys, optional_time, write_file_atomically, Status};
use crate::model::key::Key;
use crate::show::{export, time_range};
use anyhow::{bail, Result};
use std::io::Write;

/// `export`.
pub fn run(settings: &Settings, args: &ExportArgs) -> Result<Status> {
    let rrd = settings.rrd()?;
    let known = known_keys(rrd)?;
    let filter = settings.filter();
    let keys: Vec<Key> = if args.keys.is_empty() {
        known
            .into_iter()
            .filter(|k| filter.keeps(&k.monitor, &k.remote, k.bytes))
            .collect()
    } else {
        args.keys
            .iter()
            .map(|name| find_key(&known, name, rrd))
            .collect::<Result<_>>()?
    };
    if keys.is_empty() {
        bail!("no key matches the filters");
    }
    if args.dir.is_none() && keys.len() > 1 {
        bail!(
            "{} keys match: name one with --key, or write them all with -D DIR",
            keys.len()
        );
    }
    let (start, end) = (optional_time(&args.start)?, optional_time(&args.end)?);
    check_range(start, end)?;
    let days = i64::from(settings.days());
    let mut failed = 0;
    for key in &keys {
        let file = key.rrd_path(rrd);
        let result = (|| -> Result<()> {
            let (start, end) = time_range(&file, start, end, days)?;
            if start >= end {
                bail!("--start is not before the file's last update");
            }
            let rows = export::rows(key, &file, start, end)?;
            let mut text = Vec::new();
            export::write(&mut text, key, &rows, args.format)?;
            match &args.dir {
                Some(dir) => {
                    let name = export::file_name(key, start, end, args.format);
                    write_file_atomically(&dir.join(name), &text)
                }
                None => Ok(std::io::stdout().lock().write_all(&text)?),
            }
        })();
        if let Err(e) = result {
            failed += 1;
            crate::say!("error: {key}: {e:#}");
        }
    }
    if let Some(dir) = &args.dir {
        crate::say!(
            "export: {} files in {}, {failed} failed",
            keys.len() - failed,
            dir.display()
        );
    }
    Ok(Status::failed_if(failed > 0))
}
