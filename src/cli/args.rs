//! The command line, as clap derive types: what each subcommand takes, with its help text.
//! Turned into [`Settings`](crate::cli::config::Settings) (with the config file and the
//! environment) and plain library values by the runners in `cli/`.

use crate::cli::config::{Config, FilterConfig, SmokepingConfig};
use crate::model::Choice;
use crate::run::scan::ListFormat;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Turn PingER ping archives into SmokePing-compatible RRD files.
///
/// Settings come from /etc/pinger-smokeping/config.toml (or --config FILE), then the
/// environment (PINGER_SMOKEPING_<KEY>, e.g. PINGER_SMOKEPING_DATA), then the flags; see
/// `pinger-smokeping config show`.
///
/// Exit status: 0 done (rejected input lines are reported, not failures), 1 finished but some
/// files or keys failed, 2 fatal or usage error (also: another run holds the lock).
#[derive(Debug, Parser)]
#[command(name = "pinger-smokeping", version, propagate_version = true)]
pub struct Cli {
    /// The config file (default: /etc/pinger-smokeping/config.toml, if it exists; or the
    /// file PINGER_SMOKEPING_CONFIG names).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Worker threads (default: one per core; config `threads`).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bars (they are already hidden when stderr is not a terminal).
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find every key with data in the window and write srcdest.txt (or a per-key listing).
    ///
    /// Example: pinger-smokeping scan --data /nfs/pinger/data --days 120 -o srcdest.txt
    Scan(ScanArgs),
    /// Build every key's RRD from scratch from the window (one-shot backfill).
    ///
    /// Example: pinger-smokeping backfill --data /nfs/pinger/data --rrd /srv/smokeping/data
    Backfill(WriteArgs),
    /// The nightly job: read the archive files not read before (new, grown or replaced,
    /// whatever their timestamps), append new samples to each key's RRD, create missing ones,
    /// and rebuild a key whose file misses late-arriving data.
    ///
    /// Example: pinger-smokeping update --data /nfs/pinger/data --rrd /srv/smokeping/data
    Update(UpdateArgs),
    /// Draw SmokePing's detail graph of one key (or, with --all, of every key).
    ///
    /// Example: pinger-smokeping graph --rrd /srv/smokeping/data --range 10d -o g.png monitor.niit.edu.pk_www.carnet.hr_100_10
    Graph(GraphArgs),
    /// Write the rows behind the graphs (loss, median, pings in ms) as CSV or JSON.
    ///
    /// Example: pinger-smokeping export --rrd /srv/smokeping/data --monitor pinger.slac.stanford.edu -D export/
    Export(ExportArgs),
    /// Loss, median RTT and samples per key over a period, read from the RRDs (worst first
    /// in the human form, for cron mails).
    ///
    /// Example: pinger-smokeping summary --rrd /srv/smokeping/data --period 7d --format csv
    Summary(SummaryArgs),
    /// Write a SmokePing configuration that shows the RRDs of a tree in a stock SmokePing.
    ///
    /// Never point -o at /etc/smokeping/config, the stock daemon's config: the daemon would ping
    /// the PingER targets and write into the PingER files.
    ///
    /// Example: pinger-smokeping smokeping-config --rrd /var/lib/pinger-smokeping/rrd -o /var/lib/pinger-smokeping/smokeping.conf
    SmokepingConfig(SmokepingConfigArgs),
    /// Import perfSONAR latency into SmokePing RRDs: from an esmond (or perfSONAR 5)
    /// archive, or from the files of esmond-ps-get-bulk.
    ///
    /// Example: pinger-smokeping import esmond --url https://ps-archive.example.org --rrd /srv/ps-rrd
    #[command(subcommand)]
    Import(ImportSource),
    /// Serve the key list, the graphs and the exports as a small web app.
    ///
    /// Example: pinger-smokeping serve --rrd /srv/smokeping/data --listen 127.0.0.1:8080
    Serve(ServeArgs),
    /// Measure create, backfill, nightly update and fetch in one or more directories (local
    /// disk against NFS), against librrd's floor and the rrdtool command line.
    ///
    /// Example: pinger-smokeping bench --dir /tmp/local --dir /nfs/scratch/pinger --keys 630
    Bench(BenchArgs),
    /// Write a deterministic synthetic PingER archive (DIR/<monitor>/ping-YYYY-MM-DD.txt.gz).
    ///
    /// Example: pinger-smokeping generate --out /tmp/archive --monitors 9 --remotes 35 --days 120
    Generate(GenerateArgs),
    /// Check the config file, or print the settings in effect (file, environment, flags).
    ///
    /// Example: pinger-smokeping config check --config /etc/pinger-smokeping/config.toml
    Config(ConfigArgs),
    /// Print a shell completion script.
    ///
    /// Example: pinger-smokeping completions bash > /etc/bash_completion.d/pinger-smokeping
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write every page into a directory.
    ///
    /// Example: pinger-smokeping man | man -l -
    Man(ManArgs),
}

/// Where to read and which window.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Root of the PingER archive, searched recursively for *.txt and *.txt.gz (config `data`).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Days of data to use, ending at --end (default 120; config `days`).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: Option<u32>,

    /// End of the window: `now`, Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC).
    #[arg(long, default_value = "now", value_name = "TIME")]
    pub end: String,

    /// Ping slots N per RRD, part of every key name (default 10; config `pings`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub pings: Option<u32>,

    /// RRD step in seconds; PingER measures every 1800 (default 1800; config `step`).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(60..=86400))]
    pub step: Option<u32>,

    /// Which keys.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Only monitors whose name hashes (FNV-1a 64) to shard I of N, for array jobs.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
}

/// Which keys: empty lists mean all (config `[filter]`; flags replace the file's lists).
#[derive(Debug, Args)]
pub struct FilterArgs {
    /// Keep only this monitor (repeatable).
    #[arg(long = "monitor", value_name = "HOST")]
    pub monitors: Vec<String>,

    /// Keep only this remote host (repeatable).
    #[arg(long = "remote", value_name = "HOST")]
    pub remotes: Vec<String>,

    /// Keep only this packet size (repeatable).
    #[arg(long = "bytes", value_name = "SIZE")]
    pub bytes: Vec<u32>,
}

impl FilterArgs {
    /// The lists given, as a settings layer.
    fn layer(&self) -> FilterConfig {
        let given = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        FilterConfig {
            monitors: given(&self.monitors),
            remotes: given(&self.remotes),
            bytes: (!self.bytes.is_empty()).then(|| self.bytes.clone()),
        }
    }
}

/// `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Where to read and which window.
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, default_value_t = ListFormat::Srcdest, value_parser = choice::<ListFormat>())]
    pub format: ListFormat,

    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `backfill` and `update`.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Where to read and which window.
    #[command(flatten)]
    pub input: InputArgs,

    /// Root of the RRD tree: <monitor>/<remote>_<bytes>_<N>.rrd, plus srcdest.txt (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// An archive CF:xff:steps:rows, repeatable (default AVERAGE:0.5:1:5760, 120 days;
    /// config `rras`).
    #[arg(long = "rra", value_name = "CF:XFF:STEPS:ROWS")]
    pub rras: Vec<String>,

    /// Skip fsync before renaming files into place; faster, but a power loss may lose them
    /// (config `fsync = false`).
    #[arg(long)]
    pub no_fsync: bool,

    /// Also write the run's figures as JSON to this file, for monitoring (config
    /// `log.summary_json`).
    #[arg(long, value_name = "FILE")]
    pub summary_json: Option<PathBuf>,

    /// Append the run's report to this file too, each line stamped with the UTC time
    /// (config `log.file`).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Send appends through rrdcached at this address (unix:/path or host:port); files it
    /// replaces are flushed and forgotten there first (config `daemon`; also
    /// RRDCACHED_ADDRESS).
    #[arg(long, value_name = "ADDR")]
    pub daemon: Option<String>,
}

/// `summary`.
#[derive(Debug, Args)]
pub struct SummaryArgs {
    /// Root of the RRD tree, with its srcdest.txt (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// The period before the end: 1d, 7d, 30d, 120d, 36h, or seconds.
    #[arg(long, default_value = "7d", value_name = "PERIOD")]
    pub period: String,

    /// End of the period (default: each file's last update).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// Output format.
    #[arg(long, default_value_t = crate::show::summary::Format::Human, value_parser = choice::<crate::show::summary::Format>())]
    pub format: crate::show::summary::Format,

    /// Which keys.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// What to read and where to write.
    #[command(flatten)]
    pub write: WriteArgs,

    /// Read the whole window, not only the files not read before, and rebuild every key
    /// whose file differs from the archive (the weekly check); the repaired keys are listed.
    #[arg(long)]
    pub full: bool,

    /// Exit 1 when the newest sample is older than this before the window's end: an archive
    /// that stopped arriving is what cron must mail about (default 2d; `off`; config
    /// `stale_after`).
    #[arg(long, value_name = "PERIOD")]
    pub stale_after: Option<String>,
}

/// `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Root of the RRD tree, with its srcdest.txt (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// The key, `monitor_remote_bytes_N` (see srcdest.txt).
    #[arg(
        value_name = "KEY",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub key: Option<String>,

    /// Time range ending at --end.
    #[arg(long, default_value = "10d", value_parser = ["2d", "10d", "30d", "120d"])]
    pub range: String,

    /// First time shown (instead of --range): same forms as --end.
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,

    /// Last time shown (default: the file's last update).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// Image format.
    #[arg(long, default_value_t = crate::show::graph::Format::Png, value_parser = choice::<crate::show::graph::Format>())]
    pub format: crate::show::graph::Format,

    /// Output file (default: KEY_RANGE.png in the current directory).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Draw the four ranges of every key into --out-dir/<monitor>/<leaf>_<range>.<format>.
    #[arg(long)]
    pub all: bool,

    /// Directory for --all.
    #[arg(long, value_name = "DIR", default_value = "graphs")]
    pub out_dir: PathBuf,

    /// Which keys --all draws.
    #[command(flatten)]
    pub filter: FilterArgs,
}

/// `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Root of the RRD tree, with its srcdest.txt (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// Export this key (repeatable).
    #[arg(long = "key", value_name = "KEY")]
    pub keys: Vec<String>,

    /// Which keys.
    #[command(flatten)]
    pub filter: FilterArgs,

    /// First time (default: 120 days before --end).
    #[arg(long, value_name = "TIME")]
    pub start: Option<String>,

    /// Last time (default: each file's last update).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// Output format.
    #[arg(long, default_value_t = crate::show::export::Format::Csv, value_parser = choice::<crate::show::export::Format>())]
    pub format: crate::show::export::Format,

    /// Write one file per key into this directory (default: standard output, one key only).
    #[arg(short = 'D', long = "dir", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `smokeping-config`.
#[derive(Debug, Args)]
pub struct SmokepingConfigArgs {
    /// Root of the RRD tree, with its srcdest.txt: SmokePing's datadir (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Only the Targets sections, for sites that @include them into their own config.
    #[arg(long)]
    pub targets_only: bool,

    /// SmokePing's image cache, imgcache (default /var/cache/smokeping/images; config
    /// `smokeping.imgcache`).
    #[arg(long, value_name = "DIR")]
    pub imgcache: Option<PathBuf>,

    /// URL of the image cache, imgurl (default ../smokeping/images; config
    /// `smokeping.imgurl`).
    #[arg(long, value_name = "URL")]
    pub imgurl: Option<String>,

    /// SmokePing's pid directory, piddir (default /var/lib/smokeping; config
    /// `smokeping.piddir`). The CGI only checks that it exists; the default is made by
    /// Debian's smokeping package (/var/run/smokeping exists only while SmokePing's daemon
    /// runs, which must never probe these targets).
    #[arg(long, value_name = "DIR")]
    pub piddir: Option<PathBuf>,

    /// The CGI's URL, cgiurl: the wrapper that runs smokeping.cgi with this config (default
    /// http://localhost/cgi-bin/pinger-smokeping.cgi; config `smokeping.cgiurl`).
    #[arg(long, value_name = "URL")]
    pub cgiurl: Option<String>,

    /// The page template (default /etc/smokeping/basepage.html; config
    /// `smokeping.template`).
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Root of the RRD tree, with its srcdest.txt (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free port (default 127.0.0.1:8080; config
    /// `serve.listen`).
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<std::net::SocketAddr>,
}

/// `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A directory to measure in (repeatable; each gets a temporary subdirectory).
    #[arg(long = "dir", value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,

    /// Keys to generate (monitors x remotes x 2 sizes).
    #[arg(long, default_value_t = 630)]
    pub keys: u32,

    /// Days of data.
    #[arg(long, default_value_t = 120)]
    pub days: u32,

    /// Use this archive instead of generating one.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// End of the window: same forms as elsewhere (default: today's midnight UTC).
    #[arg(long, value_name = "TIME")]
    pub end: Option<String>,

    /// Keys to convert with one `rrdtool update` process each (the command line is slow).
    #[arg(long, default_value_t = 20)]
    pub cli_keys: usize,

    /// Rounds of the floor against the backfill (the best of each stage is compared, and each
    /// round's own ratio is shown).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub rounds: u32,

    /// Also write the figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Keep the generated archive and the RRDs written.
    #[arg(long)]
    pub keep: bool,
}

/// `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Output root.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Monitoring hosts.
    #[arg(long, default_value_t = 9)]
    pub monitors: u32,

    /// Remote hosts per monitor (each measured at 100 and 1000 bytes).
    #[arg(long, default_value_t = 35)]
    pub remotes: u32,

    /// Days of data.
    #[arg(long, default_value_t = 120)]
    pub days: u32,

    /// End of the archive (files cover the days before it): same forms as elsewhere.
    #[arg(long, default_value = "now", value_name = "TIME")]
    pub end: String,

    /// Random seed; the same seed gives the same archive.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write plain .txt files instead of .txt.gz.
    #[arg(long)]
    pub plain: bool,
}

/// Where `import` reads.
#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// From an esmond archive's REST API (perfSONAR 4, or perfSONAR 5's elmond), with
    /// esmond-client's filters.
    ///
    /// Example: pinger-smokeping import esmond --url http://archive.example.org -s ps1.example.org -S 2026-11-01 --rrd /srv/ps-rrd
    Esmond(EsmondArgs),
    /// From the JSON files that `esmond-ps-get-bulk -o json` wrote (no packet size in them:
    /// give --bytes).
    ///
    /// Example: pinger-smokeping import esmond-bulk export/ --bytes 1000 --rrd /srv/ps-rrd
    EsmondBulk(BulkArgs),
}

/// `import esmond`.
#[derive(Debug, Args)]
pub struct EsmondArgs {
    /// The archive's root URL (its routes are under /esmond/perfsonar/archive/).
    #[arg(long, short = 'u', value_name = "URL")]
    pub url: String,

    /// Only measurements from this source.
    #[arg(long = "src", short = 's', value_name = "HOST")]
    pub source: Option<String>,

    /// Only measurements to this destination.
    #[arg(long = "dest", short = 'd', value_name = "HOST")]
    pub destination: Option<String>,

    /// Only measurements by this measurement agent.
    #[arg(long, short = 'a', value_name = "HOST")]
    pub agent: Option<String>,

    /// Only measurements of this tool (e.g. pscheduler/powstream).
    #[arg(long, short = 't', value_name = "NAME")]
    pub tool: Option<String>,

    /// Another metadata filter, NAME:VALUE (e.g. metadata_key:0123..., ip-packet-size:1000;
    /// `_` in a name reads as `-`), repeatable.
    #[arg(long = "filter", short = 'F', value_name = "NAME:VALUE")]
    pub filters: Vec<String>,

    /// Seconds an archive request may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,

    /// Times a failed request (no answer, or a 5xx) is tried again, waiting longer each time.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// Where and how to write.
    #[command(flatten)]
    pub import: ImportArgs,
}

/// `import esmond-bulk`.
#[derive(Debug, Args)]
pub struct BulkArgs {
    /// The directory of the export's .json files.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// Where and how to write.
    #[command(flatten)]
    pub import: ImportArgs,
}

/// What both imports take.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Root of the RRD tree to write (config `rrd`).
    #[arg(long, value_name = "DIR")]
    pub rrd: Option<PathBuf>,

    /// RRD step in seconds (default 300, SmokePing's; config `import.step`).
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(60..=86400))]
    pub step: Option<u32>,

    /// Ping slots N per RRD: a step's packets become N values (default 20; config
    /// `import.pings`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub pings: Option<u32>,

    /// The packet size of measurements that do not say theirs (bulk files never do).
    #[arg(long, value_name = "SIZE")]
    pub bytes: Option<u32>,

    /// Data from this time on: `now`, Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC).
    /// Also the metadata filter, as esmond's clients use it.
    #[arg(long, short = 'S', value_name = "TIME")]
    pub start: Option<String>,

    /// Data up to this time (same forms).
    #[arg(long, short = 'E', value_name = "TIME")]
    pub end: Option<String>,

    /// Read again this much before the last point read, so that late points are merged.
    #[arg(long, value_name = "PERIOD", default_value = "2h")]
    pub margin: String,

    /// Skip fsync before renaming files into place (config `fsync = false`).
    #[arg(long)]
    pub no_fsync: bool,
}

/// `config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// `config check` or `config show`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum ConfigAction {
    /// Read the config file and the environment; report the first error with its line, and
    /// warn about a data or rrd directory that does not exist.
    Check,
    /// Print the settings in effect, as TOML: defaults, then the file, the environment and
    /// the flags given here.
    Show,
}

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write pinger-smokeping.1 and one page per subcommand into this directory.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl Cli {
    /// The settings the flags give: the top layer (see `config`).
    pub fn flag_layer(&self) -> Config {
        let mut layer = Config {
            threads: self.threads,
            ..Config::default()
        };
        let input = |layer: &mut Config, i: &InputArgs| {
            layer.data = i.data.clone();
            layer.days = i.days;
            layer.pings = i.pings;
            layer.step = i.step;
            layer.filter = i.filter.layer();
        };
        let write = |layer: &mut Config, w: &WriteArgs| {
            input(layer, &w.input);
            layer.rrd = w.rrd.clone();
            layer.rras = (!w.rras.is_empty()).then(|| w.rras.clone());
            layer.fsync = w.no_fsync.then_some(false);
            layer.daemon = w.daemon.clone();
            layer.log.file = w.log.clone();
            layer.log.summary_json = w.summary_json.clone();
        };
        match &self.command {
            Command::Scan(a) => input(&mut layer, &a.input),
            Command::Backfill(a) => write(&mut layer, a),
            Command::Update(a) => {
                write(&mut layer, &a.write);
                layer.stale_after = a.stale_after.clone();
            }
            Command::Graph(a) => {
                layer.rrd = a.rrd.clone();
                layer.filter = a.filter.layer();
            }
            Command::Export(a) => {
                layer.rrd = a.rrd.clone();
                layer.filter = a.filter.layer();
            }
            Command::Summary(a) => {
                layer.rrd = a.rrd.clone();
                layer.filter = a.filter.layer();
            }
            Command::SmokepingConfig(a) => {
                layer.rrd = a.rrd.clone();
                layer.smokeping = SmokepingConfig {
                    imgcache: a.imgcache.clone(),
                    imgurl: a.imgurl.clone(),
                    piddir: a.piddir.clone(),
                    cgiurl: a.cgiurl.clone(),
                    template: a.template.clone(),
                };
            }
            Command::Serve(a) => {
                layer.rrd = a.rrd.clone();
                layer.serve.listen = a.listen;
            }
            Command::Import(source) => {
                let i = match source {
                    ImportSource::Esmond(a) => &a.import,
                    ImportSource::EsmondBulk(a) => &a.import,
                };
                layer.rrd = i.rrd.clone();
                layer.import.step = i.step;
                layer.import.pings = i.pings;
                layer.fsync = i.no_fsync.then_some(false);
            }
            Command::Bench(_)
            | Command::Generate(_)
            | Command::Config(_)
            | Command::Completions(_)
            | Command::Man(_) => {}
        }
        layer
    }
}

/// A value parser for a library [`Choice`]: clap lists its names in help and completions.
fn choice<T: Choice + Clone + Send + Sync>() -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser as _;
    clap::builder::PossibleValuesParser::new(T::ALL.iter().map(|v| v.name()))
        .map(|name| T::from_name(&name).expect("clap checked the name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
