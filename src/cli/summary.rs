//! `summary`: loss, median RTT and samples per key over a period.

use crate::cli::args::SummaryArgs;
use crate::cli::config::Settings;
use crate::cli::{known_keys, optional_time, Status};
use crate::model::key::Key;
use crate::model::window::parse_period;
use crate::show::summary;
use anyhow::{Context, Result};
use std::io::Write;

/// `summary`.
pub fn run(settings: &Settings, args: &SummaryArgs) -> Result<Status> {
    let period = parse_period(&args.period)
        .map_err(anyhow::Error::msg)
        .context("--period")?;
    let end = optional_time(&args.end)?;
    let rrd = settings.rrd()?;
    let filter = settings.filter();
    let keys: Vec<Key> = known_keys(rrd)?
        .into_iter()
        .filter(|k| filter.keeps(&k.monitor, &k.remote, k.bytes))
        .collect();
    let mut figures = Vec::new();
    let mut failed = 0;
    for (key, result) in keys.iter().zip(summary::all(rrd, &keys, period, end)) {
        match result {
            Ok(f) => figures.push(f),
            Err(e) => {
                failed += 1;
                crate::say!("error: {key}: {e}");
            }
        }
    }
    let mut text = Vec::new();
    summary::write(&mut text, &figures, args.format)?;
    std::io::stdout().lock().write_all(&text)?;
    Ok(Status::failed_if(failed > 0))
}
