//! `import esmond` and `import esmond-bulk`: perfSONAR latency into SmokePing RRDs
//! (`run::import`), with the run's figures on stderr.

use crate::cli::args::{BulkArgs, EsmondArgs, ImportArgs, ImportSource};
use crate::cli::config::Settings;
use crate::cli::http::HttpArchive;
use crate::cli::progress::Bars;
use crate::cli::{optional_time, Status};
use crate::input::esmond::Filters;
use crate::model::window::parse_period;
use crate::rrd::store::{Layout, Rra};
use crate::run::convert::{self, Target};
use crate::run::import::{self, ImportRun, Options, Source};
use anyhow::{bail, Context, Result};
use std::time::{Duration, Instant};

/// `import`.
pub fn run(settings: &Settings, source: &ImportSource, quiet: bool) -> Result<Status> {
    let started = Instant::now();
    let (args, name) = match source {
        ImportSource::Esmond(a) => (&a.import, "import esmond"),
        ImportSource::EsmondBulk(a) => (&a.import, "import esmond-bulk"),
    };
    let target = target(settings)?;
    let options = options(args)?;
    let bars = Bars::new(quiet);
    let run = match source {
        ImportSource::Esmond(a) => esmond(a, &target, &options, &bars)?,
        ImportSource::EsmondBulk(a) => bulk(a, &target, &options, &bars)?,
    };
    report(name, &run, started.elapsed().as_secs_f64());
    Ok(Status::failed_if(run.failed()))
}

fn esmond(a: &EsmondArgs, target: &Target, options: &Options, bars: &Bars) -> Result<ImportRun> {
    let mut filters = Filters {
        source: a.source.clone(),
        destination: a.destination.clone(),
        agent: a.agent.clone(),
        tool: a.tool.clone(),
        other: Vec::new(),
        start: options.start,
        end: options.end,
    };
    for f in &a.filters {
        let Some((name, value)) = f.split_once(':') else {
            bail!("-F `{f}`: expected NAME:VALUE, e.g. metadata_key:0123abcd");
        };
        let name = name.trim().replace('_', "-");
        match name.as_str() {
            // As esmond-client: -F source:NAME wins over -s.
            "source" => filters.source = Some(value.into()),
            "destination" => filters.destination = Some(value.into()),
            "measurement-agent" => filters.agent = Some(value.into()),
            "tool-name" => filters.tool = Some(value.into()),
            _ => filters.other.push((name, value.into())),
        }
    }
    let archive = HttpArchive::new(&a.url, Duration::from_secs(a.timeout.max(1)), a.retries);
    let source = Source::Archive {
        archive: &archive,
        url: a.url.trim_end_matches('/').to_string(),
        filters,
    };
    Ok(import::import(source, target, options, bars)?)
}

fn bulk(a: &BulkArgs, target: &Target, options: &Options, bars: &Bars) -> Result<ImportRun> {
    if !a.dir.is_dir() {
        bail!("{}: not a directory", a.dir.display());
    }
    if options.bytes.is_none() {
        bail!("bulk files do not say the packet size: give --bytes");
    }
    let dir = std::fs::canonicalize(&a.dir)
        .with_context(|| format!("{}: cannot resolve", a.dir.display()))?;
    Ok(import::import(Source::Bulk { dir }, target, options, bars)?)
}

/// The tree to write: `rrd`, with the import's step and N, and archives that keep `days`
/// at that step (unless `rras` says otherwise).
fn target(settings: &Settings) -> Result<Target> {
    let step = settings.import_step();
    let default_rras = [Rra {
        cf: "AVERAGE".into(),
        xff: 0.5,
        steps: 1,
        rows: 5760,
    }];
    let archives = if settings.rras == default_rras {
        vec![Rra {
            rows: settings.days() * 86_400 / step,
            ..default_rras[0].clone()
        }]
    } else {
        settings.rras.clone()
    };
    Ok(Target {
        rrd_dir: settings.rrd()?.to_path_buf(),
        layout: Layout {
            step,
            pings: settings.import_pings(),
            archives,
        },
        fsync: settings.fsync(),
        temp_tag: convert::temp_tag(None),
        daemon: None,
    })
}

fn options(args: &ImportArgs) -> Result<Options> {
    let (start, end) = (optional_time(&args.start)?, optional_time(&args.end)?);
    crate::cli::check_range(start, end)?;
    let margin = parse_period(&args.margin)
        .map_err(anyhow::Error::msg)
        .context("--margin")?;
    Ok(Options {
        margin,
        bytes: args.bytes,
        start,
        end,
    })
}

/// The run's figures on stderr.
fn report(name: &str, run: &ImportRun, seconds: f64) {
    let w = &run.write;
    crate::say!(
        "{name}: {} measurements, {} points read in {seconds:.2} s ({:.0} points/s)",
        run.measurements,
        run.points,
        run.points as f64 / seconds.max(1e-9)
    );
    crate::say!(
        "  rrd: {} created, {} appended, {} rebuilt, {} unchanged, {} failed; {} samples written",
        w.created,
        w.appended,
        w.rebuilt,
        w.unchanged,
        w.failed,
        w.samples_written
    );
    for (what, why) in &run.skipped {
        crate::say!("  skipped: {what}: {why}");
    }
    for (what, e) in &run.failed {
        crate::say!("  failed: {what}: {e}");
    }
    for o in &run.outcomes {
        if let Err(e) = &o.result {
            crate::say!("  key error: {}: {e}", o.key);
        }
    }
}
