//! The command-line front end: parse the arguments (`args`), stack the settings (`config`),
//! and hand each subcommand to its runner, one file each, which calls one function of the
//! library and prints what came of it. Only the front ends know about clap, anyhow and the
//! terminal.

pub mod args;
pub mod bench;
pub mod config;
pub mod export;
pub mod generate;
pub mod graph;
pub mod http;
pub mod import;
pub mod log;
pub mod man;
pub mod owner;
pub mod progress;
pub mod report;
pub mod scan;
pub mod smokeping;
pub mod summary;
pub mod write;

use crate::cli::args::{Cli, Command, InputArgs};
use crate::input::collect::Selection;
use crate::model::key::{self, Filter, Key};
use crate::model::window::{parse_time, Window};
use crate::rrd::srcdest;
use crate::rrd::store::Layout;
use anyhow::{bail, Context, Result};
use config::{Config, Settings};
use std::path::Path;

/// An error and its causes on one line, `what: why: why`, each cause said once: an error
/// whose own text already ends with its cause's (`cannot lock: Permission denied (os error
/// 13)`) does not get it again.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.is_empty() {
            text = part;
        } else if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
    }
    text
}

/// How a run ended, when it was not a fatal error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was read and written.
    Done,
    /// Finished, but some files or keys failed (exit status 1).
    SomeFailed,
}

impl Status {
    /// `SomeFailed` when `failed`.
    pub fn failed_if(failed: bool) -> Status {
        if failed {
            Status::SomeFailed
        } else {
            Status::Done
        }
    }
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<Status> {
    // These two describe the command line itself and read no settings.
    match &cli.command {
        Command::Completions(args) => return man::completions(args.shell),
        Command::Man(args) => return man::pages(args.out_dir.as_deref()),
        _ => {}
    }
    let settings = settings(&cli)?;
    // Root writing a tree another account owns acts as that account (see `owner`): before any
    // thread starts.
    if matches!(
        cli.command,
        Command::Backfill(_) | Command::Update(_) | Command::Import(_)
    ) {
        if let Ok(rrd) = settings.rrd() {
            if let Some(owner) = owner::act_as_tree_owner(rrd)? {
                crate::say!(
                    "running as root on a tree owned by {}: acting as {} (uid {}), so that \
                     every file made stays theirs",
                    owner.name,
                    owner.name,
                    owner.uid
                );
            }
        }
    }
    if let Some(threads) = settings.threads() {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let s = &settings;
    let quiet = cli.quiet;
    match cli.command {
        Command::Scan(args) => scan::run(s, &args, quiet),
        Command::Backfill(args) => write::run(s, &args, write::How::Backfill, quiet),
        Command::Update(args) => {
            let how = if args.full {
                write::How::Full
            } else {
                write::How::Update
            };
            write::run(s, &args.write, how, quiet)
        }
        Command::Generate(args) => generate::run(&args),
        Command::Bench(args) => bench::run_command(&args),
        Command::Graph(args) => graph::run(s, &args, quiet),
        Command::Export(args) => export::run(s, &args),
        Command::SmokepingConfig(args) => smokeping::run(s, &args),
        Command::Summary(args) => summary::run(s, &args),
        Command::Serve(_) => serve(s),
        Command::Import(source) => import::run(s, &source, quiet),
        Command::Config(args) => config::run(s, args.action),
        Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
    }
}

/// `serve`: the web front end, until the process is stopped.
fn serve(settings: &Settings) -> Result<Status> {
    let rrd = settings.rrd()?.to_path_buf();
    // A service may start before the first update: the key list fills in when srcdest.txt
    // appears.
    if !rrd.is_dir() {
        bail!("{}: not a directory (rrd)", rrd.display());
    }
    if !rrd.join(srcdest::FILE).exists() {
        crate::say!(
            "serve: no {}/srcdest.txt yet: no keys until the first backfill or update",
            rrd.display()
        );
    }
    crate::web::serve::serve(rrd, settings.listen(), i64::from(settings.days()))?;
    Ok(Status::Done)
}

/// The settings in effect: defaults, the config file, the environment, the flags.
fn settings(cli: &Cli) -> Result<Settings> {
    let source = config::Source::choose(
        cli.config.as_deref(),
        std::env::var(config::PATH_VARIABLE).ok(),
    );
    let (file, found) = source.load()?;
    let env = Config::from_env(|name| std::env::var(name).ok())?;
    for name in config::unknown_variables(std::env::vars().map(|(k, _)| k)) {
        crate::say!(
            "warning: {name} is not a setting (each config key has a variable, e.g. \
             PINGER_SMOKEPING_DATA; see `pinger-smokeping config show`)"
        );
    }
    Settings::new(
        file,
        found.then(|| source.path.clone()),
        env,
        cli.flag_layer(),
    )
}

/// The selection described by the input arguments and the settings.
pub fn selection(settings: &Settings, input: &InputArgs) -> Result<Selection> {
    let end = parse_time(&input.end)
        .map_err(anyhow::Error::msg)
        .context("--end")?;
    let shard = match &input.shard {
        None => None,
        Some(text) => {
            let parsed = text
                .split_once('/')
                .and_then(|(i, n)| Some((i.parse::<u32>().ok()?, n.parse::<u32>().ok()?)));
            match parsed {
                Some((i, n)) if n >= 1 && i < n => Some((i, n)),
                _ => bail!("--shard `{text}`: expected I/N with 0 <= I < N, e.g. 0/4"),
            }
        }
    };
    let data = settings.data()?;
    if !data.is_dir() {
        bail!("{}: not a directory (data)", data.display());
    }
    Ok(Selection {
        data: data.to_path_buf(),
        window: Window::new(end, settings.days(), settings.step()),
        pings: settings.pings(),
        filter: Filter {
            shard,
            ..settings.filter()
        },
        seen: None,
    })
}

/// The RRD layout the settings describe.
pub fn layout(settings: &Settings) -> Layout {
    Layout {
        step: settings.step(),
        pings: settings.pings(),
        archives: settings.rras.clone(),
    }
}

/// Writes a file atomically, with the mode a new file gets (see `rrd::atomic`).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(crate::rrd::atomic::write(path, bytes)?)
}

/// A time given on the command line, if any.
pub fn optional_time(text: &Option<String>) -> Result<Option<i64>> {
    text.as_deref()
        .map(|t| parse_time(t).map_err(anyhow::Error::msg))
        .transpose()
}

/// Refuses a time range whose start is not before its end (a usage error).
pub fn check_range(start: Option<i64>, end: Option<i64>) -> Result<()> {
    if let (Some(s), Some(e)) = (start, end) {
        if s >= e {
            bail!(
                "--start {} is not before --end {}",
                crate::model::window::format_time(s),
                crate::model::window::format_time(e)
            );
        }
    }
    Ok(())
}

/// The keys of an RRD tree, from its srcdest.txt.
pub fn known_keys(rrd: &Path) -> Result<Vec<Key>> {
    let path = rrd.join(srcdest::FILE);
    if !path.exists() {
        bail!(
            "{}: not found (run backfill or update first)",
            path.display()
        );
    }
    Ok(srcdest::read(&path, None))
}

/// Finds `name` (`monitor_remote_bytes_N`) among the known keys.
pub fn find_key(keys: &[Key], name: &str, rrd: &Path) -> Result<Key> {
    key::find(keys, name)
        .cloned()
        .with_context(|| format!("{name}: no such key in {}/srcdest.txt", rrd.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_said_once() {
        let denied = || std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        let lock = crate::rrd::lock::LockError::Io {
            path: "/r/.lock".into(),
            source: denied(),
        };
        let text = error_text(&anyhow::Error::new(lock));
        assert_eq!(text.matches("permission denied").count(), 1, "{text}");
        let wrapped = anyhow::Error::new(denied()).context("/r: cannot write");
        assert_eq!(error_text(&wrapped), "/r: cannot write: permission denied");
    }
}
