//! `generate`: a synthetic archive for tests, demos and benchmarks.

use crate::cli::args::GenerateArgs;
use crate::cli::Status;
use crate::input::generate::{self, Plan};
use crate::model::window::parse_time;
use anyhow::{Context, Result};
use std::time::Instant;

/// `generate`.
pub fn run(args: &GenerateArgs) -> Result<Status> {
    let started = Instant::now();
    let end = parse_time(&args.end)
        .map_err(anyhow::Error::msg)
        .context("--end")?;
    let plan = Plan {
        out: args.out.clone(),
        monitors: args.monitors,
        remotes: args.remotes,
        days: args.days,
        end,
        seed: args.seed,
        plain: args.plain,
    };
    let written = generate::generate(&plan)?;
    crate::say!(
        "generate: {} files, {} lines, {:.1} MB of text, {} keys, in {:.2} s under {}",
        written.files,
        written.lines,
        written.bytes as f64 / 1e6,
        args.monitors * args.remotes * 2,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(Status::Done)
}
