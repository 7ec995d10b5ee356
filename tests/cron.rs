//! The nightly wrapper in cron/: logs with timestamps, keeps the tool's exit status.

use crate::util::fixture;
use std::path::Path;

fn wrapper(rrd: &Path, log: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("bash");
    cmd.arg(fixture("../cron/pinger-smokeping-nightly"))
        .env("PINGER_DEFAULTS", "/nonexistent/pinger-defaults")
        .env(
            "PINGER_BIN",
            assert_cmd::cargo::cargo_bin("pinger-smokeping"),
        )
        .env("PINGER_DATA", fixture("archive"))
        .env("PINGER_RRD", rrd)
        .env("PINGER_LOG", log)
        .env("PINGER_ARGS", "--end 2007-02-19 --days 3");
    cmd
}

#[test]
fn nightly_wrapper_logs_with_timestamps_and_keeps_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let (rrd, log) = (dir.path().join("rrd"), dir.path().join("log/update.log"));
    let status = wrapper(&rrd, &log).status().unwrap();
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains(" start: "), "{text}");
    assert!(
        lines.iter().any(|l| l.contains("rrd: 20 created")),
        "{text}"
    );
    assert!(
        lines.last().unwrap().ends_with("end: exit status 0"),
        "{text}"
    );
    // Every line starts with a UTC timestamp.
    assert!(
        lines
            .iter()
            .all(|l| l.len() > 21 && &l[4..5] == "-" && &l[19..21] == "Z "),
        "{text}"
    );
    assert!(dir.path().join("log/update.summary.json").exists());

    // While another wrapper runs, a second one exits 2 and says why.
    let wrapper_lock = std::fs::File::create(rrd.join(".pinger-smokeping-nightly.lock")).unwrap();
    wrapper_lock.lock().unwrap();
    let status = wrapper(&rrd, &log).status().unwrap();
    assert_eq!(status.code(), Some(2));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.trim_end().ends_with("not starting"), "{text}");
    wrapper_lock.unlock().unwrap();

    // While another run of the tool holds its lock, the wrapper exits 2 and says why.
    let _held = pinger_smokeping::lock::acquire(&rrd).unwrap();
    let status = wrapper(&rrd, &log).status().unwrap();
    assert_eq!(status.code(), Some(2));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("another run holds the lock"), "{text}");
    assert!(text.trim_end().ends_with("end: exit status 2"), "{text}");
}
