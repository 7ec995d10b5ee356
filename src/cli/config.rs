//! Settings, in four layers, each overriding the one before: built-in defaults, the config
//! file (`/etc/pinger-smokeping/config.toml`, or `--config FILE`), the environment
//! (`PINGER_SMOKEPING_<KEY>`), and command-line flags.
//!
//! Every layer is a [`Config`] whose unset keys are `None`; [`Config::over`] stacks two of them
//! and [`Settings::new`] turns the stack into the values the subcommands use.

use crate::cli::args::ConfigAction;
use crate::cli::Status;
use crate::model::key::Filter;
use crate::model::window::parse_period;
use crate::rrd::store::Rra;
use anyhow::{Context, Result};
use serde::{Deserialize, Deserializer, Serialize};
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the config file is when neither `--config` nor `PINGER_SMOKEPING_CONFIG` names one.
pub const DEFAULT_PATH: &str = "/etc/pinger-smokeping/config.toml";

/// The environment variable naming the config file.
pub const PATH_VARIABLE: &str = "PINGER_SMOKEPING_CONFIG";

/// One layer of settings. The field names are the config file's keys.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Root of the PingER archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    /// Root of the RRD tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rrd: Option<PathBuf>,
    /// Days in the window.
    #[serde(
        default,
        deserialize_with = "days",
        skip_serializing_if = "Option::is_none"
    )]
    pub days: Option<u32>,
    /// Ping slots per RRD.
    #[serde(
        default,
        deserialize_with = "pings",
        skip_serializing_if = "Option::is_none"
    )]
    pub pings: Option<u32>,
    /// RRD step in seconds.
    #[serde(
        default,
        deserialize_with = "step",
        skip_serializing_if = "Option::is_none"
    )]
    pub step: Option<u32>,
    /// Archives, `CF:xff:steps:rows`.
    #[serde(
        default,
        deserialize_with = "rras",
        skip_serializing_if = "Option::is_none"
    )]
    pub rras: Option<Vec<String>>,
    /// Worker threads; 0 is one per core.
    #[serde(
        default,
        deserialize_with = "threads",
        skip_serializing_if = "Option::is_none"
    )]
    pub threads: Option<usize>,
    /// fsync files before renaming them into place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fsync: Option<bool>,
    /// rrdcached's address for nightly appends; empty is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemon: Option<String>,
    /// `update` fails (exit 1) when its newest sample is older than this before the window's
    /// end (`2d`, `36h`), or never (`off`).
    #[serde(
        default,
        deserialize_with = "stale_after",
        skip_serializing_if = "Option::is_none"
    )]
    pub stale_after: Option<String>,
    /// Which keys.
    #[serde(default, skip_serializing_if = "FilterConfig::is_empty")]
    pub filter: FilterConfig,
    /// The web app.
    #[serde(default, skip_serializing_if = "ServeConfig::is_empty")]
    pub serve: ServeConfig,
    /// Where backfill and update report.
    #[serde(default, skip_serializing_if = "LogConfig::is_empty")]
    pub log: LogConfig,
    /// What `smokeping-config` writes into SmokePing's General section.
    #[serde(default, skip_serializing_if = "SmokepingConfig::is_empty")]
    pub smokeping: SmokepingConfig,
    /// The layout of the trees `import` writes.
    #[serde(default, skip_serializing_if = "ImportConfig::is_empty")]
    pub import: ImportConfig,
}

/// `[import]`: the step and the pings N of the RRDs that `import` writes (perfSONAR
/// measures every few minutes: SmokePing's own defaults, 300 s and 20).
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportConfig {
    /// RRD step in seconds.
    #[serde(
        default,
        deserialize_with = "step",
        skip_serializing_if = "Option::is_none"
    )]
    pub step: Option<u32>,
    /// Ping slots per RRD.
    #[serde(
        default,
        deserialize_with = "pings",
        skip_serializing_if = "Option::is_none"
    )]
    pub pings: Option<u32>,
}

impl ImportConfig {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `[filter]`: empty or absent lists keep every key.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    /// Monitors to keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub monitors: Option<Vec<String>>,
    /// Remote hosts to keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remotes: Option<Vec<String>>,
    /// Packet sizes to keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<Vec<u32>>,
}

/// `[serve]`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}

/// `[log]`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// backfill and update append their report here, each line stamped with the time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// backfill and update write their figures here as JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_json: Option<PathBuf>,
}

/// `[smokeping]`: see `smokeping-config --help`.
#[derive(Debug, Default, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmokepingConfig {
    /// SmokePing's image cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imgcache: Option<PathBuf>,
    /// The image cache's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imgurl: Option<String>,
    /// SmokePing's pid directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub piddir: Option<PathBuf>,
    /// The CGI's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cgiurl: Option<String>,
    /// The page template.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<PathBuf>,
}

impl FilterConfig {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
impl ServeConfig {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
impl LogConfig {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
impl SmokepingConfig {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A whole number in `lo..=hi`; toml puts the value's line and column on the error.
fn bounded<'de, D: Deserializer<'de>, T: TryFrom<i64>>(
    d: D,
    lo: i64,
    hi: i64,
) -> Result<Option<T>, D::Error> {
    let n = i64::deserialize(d)?;
    match T::try_from(n) {
        Ok(v) if (lo..=hi).contains(&n) => Ok(Some(v)),
        _ => Err(serde::de::Error::custom(format!(
            "{n} is out of range: use {lo}..={hi}"
        ))),
    }
}

fn days<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    bounded(d, 1, 36_500)
}
fn pings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    bounded(d, 1, 100)
}
fn step<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    bounded(d, 60, 86_400)
}
fn threads<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    bounded(d, 0, 1024)
}

/// A period, or `off`; checked as it is read, so a bad one is reported at its line.
fn stale_after<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = String::deserialize(d)?;
    if text != "off" {
        parse_period(&text).map_err(serde::de::Error::custom)?;
    }
    Ok(Some(text))
}

/// Archives are checked as they are read, so a bad one is reported at its line.
fn rras<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let list = Vec::<String>::deserialize(d)?;
    if list.is_empty() {
        return Err(serde::de::Error::custom(
            "at least one archive, e.g. [\"AVERAGE:0.5:1:5760\"]",
        ));
    }
    for text in &list {
        text.parse::<Rra>().map_err(serde::de::Error::custom)?;
    }
    Ok(Some(list))
}

/// Sets `$top.$field` over `$base.$field` for each field named.
macro_rules! stack {
    ($base:expr, $top:expr; $($field:ident),*) => {
        $( if $top.$field.is_some() { $base.$field = $top.$field; } )*
    };
}

impl Config {
    /// `top` over `self`: every key `top` sets wins.
    pub fn over(mut self, top: Config) -> Config {
        stack!(self, top; data, rrd, days, pings, step, rras, threads, fsync, daemon, stale_after);
        stack!(self.filter, top.filter; monitors, remotes, bytes);
        stack!(self.serve, top.serve; listen);
        stack!(self.log, top.log; file, summary_json);
        stack!(self.smokeping, top.smokeping; imgcache, imgurl, piddir, cgiurl, template);
        stack!(self.import, top.import; step, pings);
        self
    }

    /// The built-in defaults: every key that has one.
    pub fn defaults() -> Config {
        Config {
            days: Some(120),
            pings: Some(10),
            step: Some(1800),
            rras: Some(vec!["AVERAGE:0.5:1:5760".into()]),
            threads: Some(0),
            fsync: Some(true),
            stale_after: Some("2d".into()),
            serve: ServeConfig {
                listen: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            },
            smokeping: SmokepingConfig {
                imgcache: Some("/var/cache/smokeping/images".into()),
                imgurl: Some("../smokeping/images".into()),
                piddir: Some("/var/lib/smokeping".into()),
                cgiurl: Some("http://localhost/cgi-bin/pinger-smokeping.cgi".into()),
                template: Some("/etc/smokeping/basepage.html".into()),
            },
            import: ImportConfig {
                step: Some(300),
                pings: Some(20),
            },
            ..Config::default()
        }
    }

    /// Reads a config file's text. Errors name the file, line and column.
    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(span) => {
                    let (line, column) = line_column(text, span.start);
                    format!("{}:{line}:{column}", path.display())
                }
                None => path.display().to_string(),
            };
            anyhow::anyhow!("{at}: {}", e.message().trim_end())
        })
    }

    /// The settings the environment gives (`PINGER_SMOKEPING_<KEY>`, and rrdcached's own
    /// `RRDCACHED_ADDRESS` for `daemon`). An empty variable counts as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let mut layer = Config::default();
        for (key, kind) in KEYS {
            let names = [
                Some(env_name(key)),
                (*key == "daemon").then(|| "RRDCACHED_ADDRESS".into()),
            ];
            // The first name set wins: our own variable before rrdcached's.
            let Some((name, value)) = names
                .into_iter()
                .flatten()
                .find_map(|n| get(&n).filter(|v| !v.is_empty()).map(|v| (n, v)))
            else {
                continue;
            };
            let one = kind
                .value(&value)
                .and_then(|v| {
                    let mut table = toml::Table::new();
                    insert(&mut table, key, v);
                    Config::deserialize(table).map_err(|e| e.message().trim_end().to_string())
                })
                .map_err(|reason| anyhow::anyhow!("{name}={value}: {reason}"))?;
            layer = layer.over(one);
        }
        Ok(layer)
    }
}

/// Variables with our prefix that are not settings: the config file's path, and the test
/// suite's crash points and binary.
const OTHER_VARIABLES: [&str; 3] = [
    "PINGER_SMOKEPING_CONFIG",
    "PINGER_SMOKEPING_CRASH",
    "PINGER_SMOKEPING_BIN",
];

/// The `PINGER_SMOKEPING_*` variables of `vars` that are no setting: a typo there would
/// otherwise be ignored without a word.
pub fn unknown_variables(vars: impl Iterator<Item = String>) -> Vec<String> {
    let known: Vec<String> = KEYS.iter().map(|(key, _)| env_name(key)).collect();
    let mut unknown: Vec<String> = vars
        .filter(|v| v.starts_with("PINGER_SMOKEPING_"))
        .filter(|v| !known.contains(v) && !OTHER_VARIABLES.contains(&v.as_str()))
        .collect();
    unknown.sort();
    unknown
}

/// The environment variable for a key: `serve.listen` is `PINGER_SMOKEPING_SERVE_LISTEN`.
pub fn env_name(key: &str) -> String {
    format!("PINGER_SMOKEPING_{}", key.replace('.', "_").to_uppercase())
}

/// How an environment variable's text becomes a value.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Number,
    Flag,
    /// Comma-separated.
    Texts,
    /// Comma-separated.
    Numbers,
}

impl Kind {
    fn value(self, text: &str) -> Result<toml::Value, String> {
        let number = |t: &str| {
            t.trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| format!("`{}` is not a whole number", t.trim()))
        };
        let items = || text.split(',').map(str::trim).filter(|t| !t.is_empty());
        Ok(match self {
            Kind::Text => toml::Value::String(text.to_string()),
            Kind::Number => number(text)?,
            Kind::Flag => match text.trim() {
                "true" | "yes" | "1" => toml::Value::Boolean(true),
                "false" | "no" | "0" => toml::Value::Boolean(false),
                other => return Err(format!("`{other}` is not true or false")),
            },
            Kind::Texts => toml::Value::Array(items().map(|t| t.into()).collect()),
            Kind::Numbers => toml::Value::Array(items().map(number).collect::<Result<_, _>>()?),
        })
    }
}

/// Every key a config file may set, with how its environment variable is read.
const KEYS: &[(&str, Kind)] = &[
    ("data", Kind::Text),
    ("rrd", Kind::Text),
    ("days", Kind::Number),
    ("pings", Kind::Number),
    ("step", Kind::Number),
    ("rras", Kind::Texts),
    ("threads", Kind::Number),
    ("fsync", Kind::Flag),
    ("daemon", Kind::Text),
    ("stale_after", Kind::Text),
    ("filter.monitors", Kind::Texts),
    ("filter.remotes", Kind::Texts),
    ("filter.bytes", Kind::Numbers),
    ("serve.listen", Kind::Text),
    ("log.file", Kind::Text),
    ("log.summary_json", Kind::Text),
    ("smokeping.imgcache", Kind::Text),
    ("smokeping.imgurl", Kind::Text),
    ("smokeping.piddir", Kind::Text),
    ("smokeping.cgiurl", Kind::Text),
    ("smokeping.template", Kind::Text),
    ("import.step", Kind::Number),
    ("import.pings", Kind::Number),
];

/// Puts `value` at a dotted key.
fn insert(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        Some((section, rest)) => {
            let inner = table
                .entry(section)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = inner {
                insert(inner, rest, value);
            }
        }
        None => {
            table.insert(key.to_string(), value);
        }
    }
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Which config file to read, and whether it must exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Named by `--config` or the environment (so a missing file is an error).
    pub explicit: bool,
}

impl Source {
    /// `--config`, else `PINGER_SMOKEPING_CONFIG`, else the default path.
    pub fn choose(flag: Option<&Path>, env: Option<String>) -> Source {
        match (flag, env.filter(|e| !e.is_empty())) {
            (Some(path), _) => Source {
                path: path.to_path_buf(),
                explicit: true,
            },
            (None, Some(path)) => Source {
                path: path.into(),
                explicit: true,
            },
            (None, None) => Source {
                path: DEFAULT_PATH.into(),
                explicit: false,
            },
        }
    }

    /// The file's layer: empty when the default file does not exist.
    pub fn load(&self) -> Result<(Config, bool)> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", self.path.display()))?;
                Ok((Config::parse(&text, &self.path)?, true))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.explicit => {
                Ok((Config::default(), false))
            }
            Err(e) => Err(e).with_context(|| format!("{}: cannot read", self.path.display())),
        }
    }
}

/// The effective settings: every layer stacked, defaults filled in.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The stacked layers (what `config show` prints).
    pub merged: Config,
    /// The config file, if one was read.
    pub file: Option<PathBuf>,
    /// Archives, parsed.
    pub rras: Vec<Rra>,
}

impl Settings {
    /// Stacks defaults < file < environment < flags.
    pub fn new(
        file: Config,
        file_path: Option<PathBuf>,
        env: Config,
        flags: Config,
    ) -> Result<Self> {
        let merged = Config::defaults().over(file).over(env).over(flags);
        let rras = merged
            .rras
            .iter()
            .flatten()
            .map(|t| t.parse::<Rra>().map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()
            .context("rras")?;
        Ok(Settings {
            merged,
            file: file_path,
            rras,
        })
    }

    /// A setting every layer left unset, for the error message.
    fn missing(&self, key: &str, flag: &str) -> anyhow::Error {
        let file = self
            .file
            .as_ref()
            .map_or(format!("a config file ({DEFAULT_PATH})"), |p| {
                p.display().to_string()
            });
        anyhow::anyhow!(
            "no `{key}` set: give {flag}, set {}, or put `{key} = ...` in {file}",
            env_name(key)
        )
    }

    /// The archive root.
    pub fn data(&self) -> Result<&Path> {
        match &self.merged.data {
            Some(p) => Ok(p),
            None => Err(self.missing("data", "--data DIR")),
        }
    }

    /// The RRD tree's root.
    pub fn rrd(&self) -> Result<&Path> {
        match &self.merged.rrd {
            Some(p) => Ok(p),
            None => Err(self.missing("rrd", "--rrd DIR")),
        }
    }

    /// Days in the window.
    pub fn days(&self) -> u32 {
        defaulted(&self.merged.days)
    }
    /// Ping slots per RRD.
    pub fn pings(&self) -> u32 {
        defaulted(&self.merged.pings)
    }
    /// RRD step.
    pub fn step(&self) -> u32 {
        defaulted(&self.merged.step)
    }
    /// Worker threads, if not one per core.
    pub fn threads(&self) -> Option<usize> {
        self.merged.threads.filter(|&n| n > 0)
    }
    /// fsync before renames.
    pub fn fsync(&self) -> bool {
        defaulted(&self.merged.fsync)
    }
    /// The step of imported RRDs.
    pub fn import_step(&self) -> u32 {
        defaulted(&self.merged.import.step)
    }
    /// The pings N of imported RRDs.
    pub fn import_pings(&self) -> u32 {
        defaulted(&self.merged.import.pings)
    }
    /// How old `update`'s newest sample may be before the window's end, in seconds (`None`:
    /// no check).
    pub fn stale_after(&self) -> Option<i64> {
        match self.merged.stale_after.as_deref() {
            None | Some("off") => None,
            Some(text) => parse_period(text).ok(),
        }
    }
    /// rrdcached's address, if any.
    pub fn daemon(&self) -> Option<&str> {
        self.merged.daemon.as_deref().filter(|a| !a.is_empty())
    }
    /// Which keys (no shard).
    pub fn filter(&self) -> Filter {
        let f = &self.merged.filter;
        Filter {
            monitors: f.monitors.clone().unwrap_or_default(),
            remotes: f.remotes.clone().unwrap_or_default(),
            bytes: f.bytes.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
    /// serve's address.
    pub fn listen(&self) -> SocketAddr {
        defaulted(&self.merged.serve.listen)
    }

    /// What `smokeping-config` writes into SmokePing's General section.
    pub fn smokeping_site(&self, datadir: PathBuf) -> crate::show::smokeping::Site {
        let sp = &self.merged.smokeping;
        crate::show::smokeping::Site {
            datadir,
            imgcache: defaulted(&sp.imgcache),
            imgurl: defaulted(&sp.imgurl),
            piddir: defaulted(&sp.piddir),
            cgiurl: defaulted(&sp.cgiurl),
            template: defaulted(&sp.template),
        }
    }

    /// The whole effective configuration as TOML, with where it came from.
    pub fn show(&self) -> Result<String> {
        let from = match &self.file {
            Some(p) => format!("# read from {}, then the environment and flags\n", p.display()),
            None => format!("# no config file ({DEFAULT_PATH} does not exist): defaults, the environment and flags\n"),
        };
        Ok(from + &toml::to_string(&self.merged).context("cannot print the settings")?)
    }
}

/// A key [`Config::defaults`] sets: no layer stacked over the defaults can unset it.
fn defaulted<T: Clone>(value: &Option<T>) -> T {
    value.clone().expect("Config::defaults sets this key")
}

/// Checks `data` and `rrd` name usable places: the warnings `config check` prints.
pub fn warnings(settings: &Settings) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(data) = &settings.merged.data {
        if !data.is_dir() {
            out.push(format!("data: {}: not a directory (yet)", data.display()));
        }
    }
    if let Some(rrd) = &settings.merged.rrd {
        if !rrd.is_dir() && !rrd.parent().is_some_and(Path::is_dir) {
            out.push(format!(
                "rrd: {}: neither it nor its parent is a directory",
                rrd.display()
            ));
        }
    }
    out
}

/// `config check` and `config show`.
pub fn run(settings: &Settings, action: ConfigAction) -> Result<Status> {
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
                    DEFAULT_PATH
                ),
            }
            for warning in warnings(settings) {
                crate::say!("warning: {warning}");
            }
        }
    }
    Ok(Status::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("c.toml"))
    }

    #[test]
    fn a_full_file_reads_and_prints_back() {
        let text = r#"
data = "/nfs/pinger/data"
rrd = "/var/lib/pinger-smokeping/rrd"
days = 30
pings = 10
step = 1800
rras = ["AVERAGE:0.5:1:1440", "MAX:0.5:12:100"]
threads = 4
fsync = false
daemon = "unix:/run/rrdcached.sock"
stale_after = "36h"

[filter]
monitors = ["pinger.slac.stanford.edu"]
remotes = []
bytes = [100]

[serve]
listen = "0.0.0.0:8080"

[log]
file = "/var/log/pinger-smokeping/update.log"
summary_json = "/var/log/pinger-smokeping/update.summary.json"

[smokeping]
imgcache = "/var/cache/smokeping/images"
imgurl = "../smokeping/images"
piddir = "/var/lib/smokeping"
cgiurl = "http://localhost/cgi-bin/pinger-smokeping.cgi"
template = "/etc/smokeping/basepage.html"

[import]
step = 300
pings = 20
"#;
        let config = parse(text).unwrap();
        assert_eq!(config.days, Some(30));
        // Every key stacks: a full layer over the defaults is that layer.
        assert_eq!(Config::defaults().over(config.clone()), config);
        assert_eq!(config.filter.bytes, Some(vec![100]));
        let printed = toml::to_string(&config).unwrap();
        assert_eq!(parse(&printed).unwrap(), config);
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let err = parse("data = \"/d\"\n\ndays = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:3:8: "), "{err}");
        assert!(err.contains("1..=36500"), "{err}");
        let err = parse("data = \"/d\"\ndat = \"/x\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.toml:2:1: ") && err.contains("unknown field `dat`"),
            "{err}"
        );
        let err = parse("[serve]\nlisten = \"localhost\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml:2:10: "), "{err}");
        let err = parse("rras = [\"AVERAGE:0.5:1:10\", \"SUM:1:1:1\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.toml:1:8: ") && err.contains("SUM"),
            "{err}"
        );
        let err = parse("days = \"120\"\n").unwrap_err().to_string();
        assert!(err.starts_with("c.toml:1:8: "), "{err}");
        let err = parse("days = 12\ndays = 13\n").unwrap_err().to_string();
        assert!(err.starts_with("c.toml:2:1: "), "{err}");
    }

    #[test]
    fn layers_stack_in_order() {
        let file = parse(
            "data = \"/file\"\nrrd = \"/file-rrd\"\ndays = 30\n[serve]\nlisten = \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let env = Config::from_env(|name| match name {
            "PINGER_SMOKEPING_DAYS" => Some("40".into()),
            "PINGER_SMOKEPING_RRD" => Some("/env-rrd".into()),
            "PINGER_SMOKEPING_FILTER_BYTES" => Some("100, 1000".into()),
            "RRDCACHED_ADDRESS" => Some("unix:/r.sock".into()),
            _ => None,
        })
        .unwrap();
        let flags = Config {
            days: Some(50),
            ..Config::default()
        };
        let s = Settings::new(file, None, env, flags).unwrap();
        assert_eq!(s.data().unwrap(), Path::new("/file"));
        assert_eq!(s.rrd().unwrap(), Path::new("/env-rrd"));
        assert_eq!(s.days(), 50);
        assert_eq!(s.pings(), 10);
        assert_eq!(s.filter().bytes, vec![100, 1000]);
        assert_eq!(s.daemon(), Some("unix:/r.sock"));
        assert_eq!(s.listen().port(), 1);
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let err = Config::from_env(|n| (n == "PINGER_SMOKEPING_STEP").then(|| "5".into()))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("PINGER_SMOKEPING_STEP=5: ") && err.contains("60..=86400"),
            "{err}"
        );
        let err = Config::from_env(|n| (n == "PINGER_SMOKEPING_FSYNC").then(|| "maybe".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not true or false"), "{err}");
    }

    #[test]
    fn unknown_variables_with_our_prefix_are_named() {
        let vars = [
            "PINGER_SMOKEPING_DATA",
            "PINGER_SMOKEPING_DTA",
            "PINGER_SMOKEPING_CONFIG",
            "PINGER_SMOKEPING_SERVE_LISTEN",
            "PATH",
            "PINGER_DATA",
        ];
        let unknown = unknown_variables(vars.iter().map(|v| v.to_string()));
        assert_eq!(unknown, ["PINGER_SMOKEPING_DTA"]);
    }

    #[test]
    fn every_key_has_its_variable_and_a_missing_one_says_how_to_set_it() {
        for (key, kind) in KEYS {
            let sample = match kind {
                Kind::Number if key.ends_with("step") => "60",
                Kind::Number | Kind::Numbers => "1",
                Kind::Flag => "true",
                Kind::Texts if *key == "rras" => "AVERAGE:0.5:1:10",
                Kind::Text if *key == "serve.listen" => "127.0.0.1:9",
                Kind::Text if *key == "stale_after" => "3d",
                _ => "x",
            };
            let name = env_name(key);
            let layer = Config::from_env(|n| (n == name).then(|| sample.to_string())).unwrap();
            assert_ne!(layer, Config::default(), "{key}");
        }
        let s = Settings::new(
            Config::default(),
            None,
            Config::default(),
            Config::default(),
        )
        .unwrap();
        let err = s.data().unwrap_err().to_string();
        assert!(
            err.contains("--data DIR") && err.contains("PINGER_SMOKEPING_DATA"),
            "{err}"
        );
    }
}
