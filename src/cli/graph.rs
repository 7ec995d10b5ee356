//! `graph`: SmokePing's detail graph of one key, or of every key at the four ranges.

use crate::cli::args::GraphArgs;
use crate::cli::config::Settings;
use crate::cli::progress::Bars;
use crate::cli::{check_range, find_key, known_keys, optional_time, write_file_atomically, Status};
use crate::model::key::Key;
use crate::model::progress::{Progress, Stage};
use crate::show::{graph, time_range};
use anyhow::{bail, Context, Result};
use std::path::Path;

/// `graph`.
pub fn run(settings: &Settings, args: &GraphArgs, quiet: bool) -> Result<Status> {
    let rrd = settings.rrd()?;
    let keys = known_keys(rrd)?;
    let (start, end) = (optional_time(&args.start)?, optional_time(&args.end)?);
    check_range(start, end)?;
    let draw = |key: &Key, range: &str, output: &Path| -> Result<()> {
        let file = key.rrd_path(rrd);
        let days = graph::RANGES
            .iter()
            .find(|r| r.0 == range)
            .map_or(10, |r| r.1);
        let (start, end) = time_range(&file, start, end, days)?;
        if start >= end {
            bail!("the start is not before the end of the file's data");
        }
        let image = graph::render(&graph::Request {
            key,
            file: &file,
            start,
            end,
            format: args.format,
            style: graph::Style::Detail,
        })?;
        if let Some(dir) = output.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
        }
        write_file_atomically(output, &image)
    };
    if !args.all {
        let name = args
            .key
            .as_deref()
            .expect("clap requires KEY without --all");
        let key = find_key(&keys, name, rrd)?;
        let output = args
            .output
            .clone()
            .unwrap_or_else(|| format!("{name}_{}.{}", args.range, args.format.extension()).into());
        draw(&key, &args.range, &output)?;
        crate::say!("graph: wrote {}", output.display());
        return Ok(Status::Done);
    }
    let filter = settings.filter();
    let keys: Vec<Key> = keys
        .into_iter()
        .filter(|k| filter.keeps(&k.monitor, &k.remote, k.bytes))
        .collect();
    let bars = Bars::new(quiet);
    bars.begin(Stage::Drawing, keys.len() as u64);
    let mut failed = 0;
    for key in &keys {
        for (range, _) in graph::RANGES {
            let output = args.out_dir.join(key.section()).join(format!(
                "{}_{range}.{}",
                key.leaf(),
                args.format.extension()
            ));
            if let Err(e) = draw(key, range, &output) {
                failed += 1;
                bars.error(&format!("{key}: {e:#}"));
            }
        }
        bars.advance(Stage::Drawing);
    }
    bars.end(Stage::Drawing);
    crate::say!(
        "graph: {} images for {} keys under {}, {failed} failed",
        keys.len() * graph::RANGES.len() - failed,
        keys.len(),
        args.out_dir.display()
    );
    Ok(Status::failed_if(failed > 0))
}
