//! The config file: real runs take their paths from it, the environment overrides it, flags
//! override both; `config check` names the line of a bad value; `config show` prints it all.

use crate::util::{fixture, ours};
use std::path::Path;
use std::process::Output;

/// Runs the binary with `config` as its config file and `env` set.
fn with_config(config: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = ours();
    cmd.env("PINGER_SMOKEPING_CONFIG", config).arg("--quiet");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_backfill_takes_every_path_from_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let log = dir.path().join("log/update.log");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "data = {:?}\nrrd = {:?}\ndays = 3\n\n[filter]\nbytes = [1000]\n\n[log]\nfile = {:?}\nsummary_json = {:?}\n",
            fixture("archive"),
            rrd,
            log,
            dir.path().join("log/update.summary.json"),
        ),
    )
    .unwrap();
    let out = with_config(&config, &[], &["backfill", "--end", "2007-02-19"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The file's filter: only the 1000-byte keys.
    let keys = keys_of(&rrd);
    assert_eq!(keys.len(), 10, "{keys:?}");
    assert!(keys.iter().all(|k| k.contains("_1000_")), "{keys:?}");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains(" start: backfill with "), "{logged}");
    assert!(logged.contains("rrd: 10 created"), "{logged}");
    assert!(
        logged.trim_end().ends_with("end: exit status 0"),
        "{logged}"
    );
    assert!(dir.path().join("log/update.summary.json").exists());
    // graph, export, summary and serve read the same rrd.
    let out = with_config(&config, &[], &["summary", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 11);
}

#[test]
fn the_environment_overrides_the_file_and_flags_override_both() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "data = \"/from/file\"\nrrd = \"/from/file/rrd\"\ndays = 30\npings = 10\n\n[serve]\nlisten = \"127.0.0.1:9000\"\n",
    )
    .unwrap();
    let env = [
        ("PINGER_SMOKEPING_DAYS", "40"),
        ("PINGER_SMOKEPING_RRD", "/from/env/rrd"),
        ("PINGER_SMOKEPING_FILTER_MONITORS", "a.example,b.example"),
        ("RRDCACHED_ADDRESS", "unix:/run/rrdcached.sock"),
    ];
    let out = with_config(&config, &env, &["config", "show"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown: toml::Table = text(&out.stdout).parse().unwrap();
    assert_eq!(shown["data"].as_str(), Some("/from/file"));
    assert_eq!(shown["rrd"].as_str(), Some("/from/env/rrd"));
    assert_eq!(shown["days"].as_integer(), Some(40));
    assert_eq!(shown["step"].as_integer(), Some(1800), "a default");
    assert_eq!(shown["daemon"].as_str(), Some("unix:/run/rrdcached.sock"));
    assert_eq!(
        shown["filter"]["monitors"].as_array().unwrap().len(),
        2,
        "{shown}"
    );
    assert_eq!(shown["serve"]["listen"].as_str(), Some("127.0.0.1:9000"));
    assert!(text(&out.stdout).starts_with(&format!("# read from {}", config.display())));

    // A real run: the flag's days and data win over the environment's and the file's; the
    // environment's rrd over the file's.
    let rrd = dir.path().join("rrd");
    let rrd_env = rrd.to_str().unwrap();
    let out = with_config(
        &config,
        &[
            ("PINGER_SMOKEPING_DAYS", "1"),
            ("PINGER_SMOKEPING_RRD", rrd_env),
        ],
        &[
            "backfill",
            "--data",
            fixture("archive").to_str().unwrap(),
            "--days",
            "3",
            "--end",
            "2007-02-19",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(keys_of(&rrd).len(), 20);
    // The same with the environment's one day: fewer samples, so --days 3 won above.
    let samples = |out: &Output| {
        let err = text(&out.stderr);
        let line = err
            .lines()
            .find(|l| l.contains("samples written"))
            .unwrap()
            .to_string();
        line.split(';')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let one_day = with_config(
        &config,
        &[("PINGER_SMOKEPING_DAYS", "1")],
        &[
            "backfill",
            "--data",
            fixture("archive").to_str().unwrap(),
            "--rrd",
            dir.path().join("rrd1").to_str().unwrap(),
            "--end",
            "2007-02-19",
        ],
    );
    assert!(
        samples(&one_day) < samples(&out),
        "{}",
        text(&one_day.stderr)
    );
}

/// The key lines of a tree's srcdest.txt (it also has monitor lines and `****`).
fn keys_of(rrd: &Path) -> Vec<String> {
    std::fs::read_to_string(rrd.join("srcdest.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.matches('_').count() >= 3)
        .map(str::to_string)
        .collect()
}

#[test]
fn config_check_names_the_file_line_and_column_of_a_bad_value() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let check = |body: &str| {
        std::fs::write(&config, body).unwrap();
        let out = with_config(&config, &[], &["config", "check"]);
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, _, err) = check("data = \"/d\"\n\n[serve]\nlisten = \"somewhere\"\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains(&format!("{}:4:10: ", config.display())),
        "{err}"
    );
    let (code, _, err) = check("data = \"/d\"\nrdd = \"/r\"\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains(":2:1: ") && err.contains("unknown field `rdd`"),
        "{err}"
    );
    let (code, _, err) = check("[filter]\nbytes = [100, -1]\n");
    assert_eq!(code, Some(2));
    assert!(err.contains(":2:"), "{err}");
    let (code, _, err) = check("days = 0\n");
    assert_eq!(code, Some(2));
    assert!(err.contains(":1:8: ") && err.contains("1..=36500"), "{err}");
    let (code, _, err) = check("days = [\n");
    assert_eq!(code, Some(2));
    assert!(err.contains(":1:") || err.contains(":2:"), "{err}");

    // A good file: ok, with a warning for a data directory that is not there.
    let (code, out, err) = check("data = \"/nonexistent/pinger\"\ndays = 120\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains(": ok"), "{out}");
    assert!(err.contains("warning: data: /nonexistent/pinger"), "{err}");

    // A bad environment variable is named as well.
    std::fs::write(&config, "").unwrap();
    let out = with_config(
        &config,
        &[("PINGER_SMOKEPING_STEP", "ten")],
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("PINGER_SMOKEPING_STEP=ten"));

    // Every subcommand refuses a bad file, before doing anything.
    std::fs::write(&config, "days = 0\n").unwrap();
    let out = with_config(&config, &[], &["scan", "--data", "fixtures/archive"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains(":1:8: "));

    // A config file named but missing is an error; the default one may be absent.
    let out = with_config(&dir.path().join("missing.toml"), &[], &["config", "show"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("missing.toml: cannot read"));
}

#[test]
fn a_missing_path_says_where_to_set_it() {
    let out = with_config(Path::new("/dev/null"), &[], &["update"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--data DIR") && err.contains("PINGER_SMOKEPING_DATA"),
        "{err}"
    );
}

#[test]
fn the_shipped_config_file_checks_clean() {
    let out = with_config(
        &fixture("../cron/debian/config.toml"),
        &[],
        &["config", "check"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_misspelt_variable_gets_a_warning() {
    let out = crate::util::ours()
        .args(["config", "show"])
        .env("PINGER_SMOKEPING_DTA", "/nfs/pinger/data")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: PINGER_SMOKEPING_DTA is not a setting"),
        "{stderr}"
    );
}
