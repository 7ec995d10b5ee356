//! The subcommands: turn validated arguments into a run of the pipeline and a status.

pub mod args;
pub mod bench;
pub mod config;
pub mod progress;
pub mod report;

use crate::cli::args::{
    BenchArgs, Cli, Command, ConfigAction, ExportArgs, GenerateArgs, GraphArgs, InputArgs,
    ScanArgs, SmokepingConfigArgs, SummaryArgs, WriteArgs,
};
use crate::input::collect::Selection;
use crate::input::generate::{self, Plan};
use crate::model::key::{Filter, Key};
use crate::model::window::{parse_time, Window};
use crate::rrd::store::Layout;
use crate::run::convert::{self, Target};
use crate::run::scan;
use crate::run::tree::{self, Run};
use crate::show::graph;
use anyhow::{bail, Context, Result};
use bench::BenchPlan;
use config::{Config, Settings};
use report::RunSummary;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// How a run ended, when it was not a fatal error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything was read and written.
    Done,
    /// Finished, but some files or keys failed (exit status 1).
    SomeFailed,
}

/// Runs the command line.
pub fn run(cli: Cli) -> Result<Status> {
    // These two describe the command line itself and read no settings.
    match &cli.command {
        Command::Completions(args) => {
            let mut text = Vec::new();
            clap_complete::generate(
                args.shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "pinger-smokeping",
                &mut text,
            );
            std::io::stdout().lock().write_all(&text)?;
            return Ok(Status::Done);
        }
        Command::Man(args) => {
            write_man_pages(args.out_dir.as_deref())?;
            return Ok(Status::Done);
        }
        _ => {}
    }
    let settings = settings(&cli)?;
    if let Some(threads) = settings.threads() {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let s = &settings;
    match cli.command {
        Command::Scan(args) => run_scan(s, &args, cli.quiet),
        Command::Backfill(args) => run_write(s, &args, Run::Backfill, cli.quiet),
        Command::Update(args) => {
            let run = if args.full { Run::Full } else { Run::Update };
            run_write(s, &args.write, run, cli.quiet)
        }
        Command::Generate(args) => run_generate(&args),
        Command::Bench(args) => run_bench(&args),
        Command::Graph(args) => run_graph(s, &args, cli.quiet),
        Command::Export(args) => run_export(s, &args),
        Command::SmokepingConfig(args) => run_smokeping_config(s, &args),
        Command::Summary(args) => run_summary(s, &args),
        Command::Serve(_) => {
            let rrd = s.rrd()?.to_path_buf();
            // A service may start before the first update: the key list fills in when
            // srcdest.txt appears.
            if !rrd.is_dir() {
                bail!("{}: not a directory (rrd)", rrd.display());
            }
            if !rrd.join("srcdest.txt").exists() {
                crate::say!(
                    "serve: no {}/srcdest.txt yet: no keys until the first backfill or update",
                    rrd.display()
                );
            }
            crate::web::serve::serve(rrd, s.listen())?;
            Ok(Status::Done)
        }
        Command::Config(args) => run_config(s, args.action),
        Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
    }
}

/// The settings in effect: defaults, the config file, the environment, the flags.
fn settings(cli: &Cli) -> Result<Settings> {
    let source = config::Source::choose(
        cli.config.as_deref(),
        std::env::var(config::PATH_VARIABLE).ok(),
    );
    let (file, found) = source.load()?;
    let env = Config::from_env(|name| std::env::var(name).ok())?;
    Settings::new(
        file,
        found.then(|| source.path.clone()),
        env,
        cli.flag_layer(),
    )
}

fn run_config(settings: &Settings, action: ConfigAction) -> Result<Status> {
    match action {
        ConfigAction::Show => {
            std::io::stdout()
                .lock()
                .write_all(settings.show()?.as_bytes())?;
        }
        ConfigAction::Check => {
            // Reading the settings already refused a bad file or variable, with its line.
            match &settings.file {
                Some(path) => println!("{}: ok", path.display()),
                None => println!(
                    "no config file ({} does not exist); the environment is ok",
                    config::DEFAULT_PATH
                ),
            }
            for warning in config::warnings(settings) {
                crate::say!("warning: {warning}");
            }
        }
    }
    Ok(Status::Done)
}

/// The man pages: the main one on stdout, or all of them (one per subcommand too) into `dir`.
fn write_man_pages(dir: Option<&Path>) -> Result<()> {
    let mut command = <Cli as clap::CommandFactory>::command();
    // Building gives each subcommand its full name, pinger-smokeping-<name>.
    command.build();
    let render = |command: &clap::Command, extra: &str| -> Result<Vec<u8>> {
        let mut page = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut page)?;
        page.extend_from_slice(extra.as_bytes());
        Ok(page)
    };
    let Some(dir) = dir else {
        std::io::stdout()
            .lock()
            .write_all(&render(&command, MAN_EXTRA)?)?;
        return Ok(());
    };
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut pages = vec![(command.get_name().to_string(), render(&command, MAN_EXTRA)?)];
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_display_name().unwrap_or(sub.get_name()).to_string();
        pages.push((name, render(sub, MAN_SEE_MAIN)?));
    }
    for (name, page) in pages {
        write_file_atomically(&dir.join(format!("{name}.1")), &page)?;
    }
    Ok(())
}

/// The subcommands' pages point to the main one for settings and exit status.
const MAN_SEE_MAIN: &str = ".SH \"SEE ALSO\"\n\\fBpinger\\-smokeping\\fR(1): the config file, the environment and the exit status.\n";

/// What clap does not know: appended to the man page in roff.
const MAN_EXTRA: &str = r#".SH FILES
.TP
\fI/etc/pinger-smokeping/config.toml\fR
The settings every subcommand reads (another file with \fB\-\-config\fR or
\fBPINGER_SMOKEPING_CONFIG\fR). Keys: data, rrd, days, pings, step, rras, threads, fsync,
daemon, [filter] monitors, remotes, bytes, [serve] listen, [log] file, summary_json,
[smokeping] imgcache, imgurl, piddir, cgiurl, template. Check it with
\fBpinger\-smokeping config check\fR; print what is in effect with
\fBpinger\-smokeping config show\fR.
.TP
\fIRRD/srcdest.txt\fR
The keys of an RRD tree, one per line; each key's file is
\fIRRD/<monitor>/<remote>_<bytes>_<N>.rrd\fR.
.SH ENVIRONMENT
Settings are stacked: built\-in defaults, the config file, the environment, then flags.
Each config key has a variable \fBPINGER_SMOKEPING_\fR followed by the key in capitals with
dots as underscores, e.g. \fBPINGER_SMOKEPING_DATA\fR, \fBPINGER_SMOKEPING_SERVE_LISTEN\fR,
\fBPINGER_SMOKEPING_FILTER_BYTES\fR=100,1000. \fBRRDCACHED_ADDRESS\fR also sets daemon.
.SH "EXIT STATUS"
0 done (rejected input lines are reported, not failures); 1 finished, but some files or keys
failed; 2 fatal or usage error, also when another run holds the RRD tree's lock.
.SH "SEE ALSO"
\fBsmokeping\fR(1), \fBrrdtool\fR(1), \fBrrdcached\fR(1)
"#;

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

fn run_scan(settings: &Settings, args: &ScanArgs, quiet: bool) -> Result<Status> {
    let started = Instant::now();
    let selection = selection(settings, &args.input)?;
    let found = scan::find_keys(&selection, quiet);
    let mut text = Vec::new();
    scan::write_listing(&mut text, &found.keys, args.format)?;
    match &args.output {
        Some(path) => write_file_atomically(path, &text)?,
        None => std::io::stdout().lock().write_all(&text)?,
    }
    let summary = RunSummary {
        command: "scan",
        read: &found.stats,
        file_errors: report::file_errors(&found.errors),
        rebuild_read: None,
        write: None,
        key_errors: Vec::new(),
        gone: Vec::new(),
        repaired: Vec::new(),
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: report::peak_rss_mb(),
        written_mb: report::written_mb(),
    };
    report::show(&summary);
    Ok(if found.errors.is_empty() {
        Status::Done
    } else {
        Status::SomeFailed
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

fn run_write(settings: &Settings, args: &WriteArgs, how: Run, quiet: bool) -> Result<Status> {
    let started = Instant::now();
    let command = match how {
        Run::Backfill => "backfill",
        Run::Update => "update",
        Run::Full => "update --full",
    };
    if let Some(log) = &settings.merged.log.file {
        // Someone running a backfill by hand with the site's config may not own the log:
        // the report still goes to stderr.
        if let Err(e) = report::log_to(log) {
            crate::say!("warning: {e:#}; reporting on stderr only");
        }
        report::log_only(&format!(
            "start: {command}{} (pid {}, umask {})",
            settings
                .file
                .as_ref()
                .map_or(String::new(), |p| format!(" with {}", p.display())),
            std::process::id(),
            report::umask().unwrap_or_else(|| "?".into())
        ));
    }
    let selection = selection(settings, &args.input)?;
    let target = Target {
        rrd_dir: settings.rrd()?.to_path_buf(),
        layout: layout(settings),
        fsync: settings.fsync(),
        temp_tag: convert::temp_tag(selection.filter.shard),
        daemon: match settings.daemon() {
            Some(address) => Some(
                crate::rrd::store::Daemon::new(address)
                    .map_err(anyhow::Error::msg)
                    .context("daemon")?,
            ),
            None => None,
        },
    };
    let run = tree::write_tree(selection, &target, how, quiet)?;
    if run.restored > 0 {
        crate::say!(
            "{command}: put back {} files as they were before an interrupted append",
            run.restored
        );
    }
    if run.leftovers > 0 {
        crate::say!(
            "{command}: removed {} temporary files left by an interrupted run",
            run.leftovers
        );
    }
    let key_errors: Vec<String> = run
        .outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().err().map(|e| format!("{}: {e}", o.key)))
        .collect();
    let summary = RunSummary {
        command,
        read: &run.read,
        rebuild_read: run.rebuild_read.as_ref(),
        file_errors: report::file_errors(&run.errors),
        write: Some(&run.write),
        key_errors,
        gone: run.gone.iter().map(|p| p.display().to_string()).collect(),
        repaired: run.repaired.iter().map(|k| k.to_string()).collect(),
        seconds: started.elapsed().as_secs_f64(),
        peak_rss_mb: report::peak_rss_mb(),
        written_mb: report::written_mb(),
    };
    report::show(&summary);
    if let Some(path) = &settings.merged.log.summary_json {
        let json = serde_json::to_vec_pretty(&summary)?;
        write_file_atomically(path, &json)?;
    }
    Ok(if run.failed() {
        Status::SomeFailed
    } else {
        Status::Done
    })
}

/// Writes a file atomically, with the mode a new file gets (see `atomic`).
fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(crate::rrd::atomic::write(path, bytes)?)
}

fn run_generate(args: &GenerateArgs) -> Result<Status> {
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

fn run_bench(args: &BenchArgs) -> Result<Status> {
    let end = match &args.end {
        Some(text) => parse_time(text)
            .map_err(anyhow::Error::msg)
            .context("--end")?,
        None => chrono::Utc::now().timestamp().div_euclid(86_400) * 86_400,
    };
    let report = bench::run(&BenchPlan {
        dirs: args.dirs.clone(),
        keys: args.keys,
        days: args.days,
        data: args.data.clone(),
        end,
        keep: args.keep,
        cli_keys: args.cli_keys,
        rounds: args.rounds,
    })?;
    bench::print_table(&mut std::io::stdout().lock(), &report)?;
    if let Some(path) = &args.json {
        write_file_atomically(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(Status::Done)
}

/// A time given on the command line, if any.
fn optional_time(text: &Option<String>) -> Result<Option<i64>> {
    text.as_deref()
        .map(|t| parse_time(t).map_err(anyhow::Error::msg))
        .transpose()
}

/// The keys of an RRD tree, from its srcdest.txt.
pub fn known_keys(rrd: &Path) -> Result<Vec<Key>> {
    let path = rrd.join("srcdest.txt");
    if !path.exists() {
        bail!(
            "{}: not found (run backfill or update first)",
            path.display()
        );
    }
    Ok(scan::read_srcdest(&path, None))
}

/// Finds `name` (`monitor_remote_bytes_N`) among the known keys.
pub fn find_key(keys: &[Key], name: &str, rrd: &Path) -> Result<Key> {
    keys.iter()
        .find(|k| k.to_string() == name)
        .cloned()
        .with_context(|| format!("{name}: no such key in {}/srcdest.txt", rrd.display()))
}

/// Refuses a time range whose start is not before its end (a usage error).
fn check_range(start: Option<i64>, end: Option<i64>) -> Result<()> {
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

fn run_graph(settings: &Settings, args: &GraphArgs, quiet: bool) -> Result<Status> {
    let rrd = settings.rrd()?;
    let keys = known_keys(rrd)?;
    let (start, end) = (optional_time(&args.start)?, optional_time(&args.end)?);
    check_range(start, end)?;
    let draw = |key: &Key, range: &str, output: &Path| -> Result<()> {
        let file = key.rrd_path(rrd);
        let end = match end {
            Some(e) => e,
            None => crate::rrd::store::last_update(&file)?,
        };
        let days = graph::RANGES
            .iter()
            .find(|r| r.0 == range)
            .map_or(10, |r| r.1);
        let start = start.unwrap_or(end - days * 86_400);
        if start >= end {
            bail!("the start is not before the end of the file's data");
        }
        let image = graph::render(&graph::Request {
            key,
            file: &file,
            start,
            end,
            format: args.format,
            width: 600,
            height: 200,
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
    let bar = crate::cli::progress::bar(keys.len() as u64, "drawing", quiet);
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
                bar.suspend(|| crate::say!("error: {key}: {e:#}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    crate::say!(
        "graph: {} images for {} keys under {}, {failed} failed",
        keys.len() * graph::RANGES.len() - failed,
        keys.len(),
        args.out_dir.display()
    );
    Ok(if failed == 0 {
        Status::Done
    } else {
        Status::SomeFailed
    })
}

fn run_export(settings: &Settings, args: &ExportArgs) -> Result<Status> {
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
    let mut failed = 0;
    for key in &keys {
        let file = key.rrd_path(rrd);
        let result = (|| -> Result<()> {
            let end = match end {
                Some(e) => e,
                None => crate::rrd::store::last_update(&file)?,
            };
            let start = start.unwrap_or(end - 120 * 86_400);
            if start >= end {
                bail!("--start is not before the file's last update");
            }
            let rows = crate::show::export::rows(key, &file, start, end)?;
            let mut text = Vec::new();
            crate::show::export::write(&mut text, key, &rows, args.format)?;
            match &args.dir {
                Some(dir) => {
                    let name = crate::show::export::file_name(key, start, end, args.format);
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
    Ok(if failed == 0 {
        Status::Done
    } else {
        Status::SomeFailed
    })
}

fn run_summary(settings: &Settings, args: &SummaryArgs) -> Result<Status> {
    let period = crate::model::window::parse_period(&args.period)
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
    for result in crate::show::summary::all(rrd, &keys, period, end) {
        match result {
            Ok(f) => figures.push(f),
            Err(e) => {
                failed += 1;
                crate::say!("error: {e}");
            }
        }
    }
    let mut text = Vec::new();
    crate::show::summary::write(&mut text, &figures, args.format)?;
    std::io::stdout().lock().write_all(&text)?;
    Ok(if failed == 0 {
        Status::Done
    } else {
        Status::SomeFailed
    })
}

fn run_smokeping_config(settings: &Settings, args: &SmokepingConfigArgs) -> Result<Status> {
    let rrd = settings.rrd()?;
    let keys = known_keys(rrd)?;
    let Some(first) = keys.iter().map(|k| k.rrd_path(rrd)).find(|p| p.exists()) else {
        bail!("{}: no RRD of srcdest.txt exists", rrd.display());
    };
    // SmokePing has one Database section: list the keys whose files have its layout.
    let layout = crate::show::smokeping::layout_of(&first)?;
    let (shown, other): (Vec<Key>, Vec<Key>) = keys.into_iter().partition(|k| {
        let path = k.rrd_path(rrd);
        path.exists() && crate::show::smokeping::layout_of(&path).is_ok_and(|l| l == layout)
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
    let text = crate::show::smokeping::config(&site, &layout, &shown, args.targets_only);
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
    Ok(if other.is_empty() {
        Status::Done
    } else {
        Status::SomeFailed
    })
}
