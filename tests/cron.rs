//! The nightly wrapper in cron/ (which the package's systemd units run too): logs with
//! timestamps, keeps the tool's exit status, and writes SmokePing's config after the update.

use crate::util::{fixture, nightly_wrapper};
use std::path::Path;

/// The wrapper on the fixture archive's window.
fn wrapper(rrd: &Path, log: &Path) -> std::process::Command {
    let mut cmd = nightly_wrapper(&fixture("archive"), rrd, log);
    cmd.env("PINGER_ARGS", "--end 2007-02-19 --days 3");
    cmd
}

#[test]
fn nightly_wrapper_logs_with_timestamps_and_keeps_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let (rrd, log) = (dir.path().join("rrd"), dir.path().join("log/update.log"));
    // The wrapper sets umask 022 whatever it is started with; the tool logs it.
    let out = wrapper(&rrd, &log).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // A normal night prints nothing, so cron mails nothing.
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains(" start: update") && lines[0].contains("umask 0022"),
        "{text}"
    );
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

    // While another run holds the tree's lock, the wrapper exits 2 and says why, in the log
    // and on stderr (for cron's mail).
    let _held = pinger_smokeping::rrd::lock::acquire(&rrd).unwrap();
    let out = wrapper(&rrd, &log).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("another run holds the lock"), "{said}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("another run holds the lock"), "{text}");
    assert!(text.trim_end().ends_with("end: exit status 2"), "{text}");
}

#[test]
fn nightly_wrapper_prints_the_report_when_some_files_failed() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    crate::util::copy_tree(&fixture("archive"), &archive);
    // A corrupt gzip file in the window: the run finishes with status 1.
    let bad = archive.join("monitor.niit.edu.pk/ping-2007-02-17.txt.gz");
    std::fs::write(&bad, b"\x1f\x8b\x08\x00not gzip at all").unwrap();
    let (rrd, log) = (dir.path().join("rrd"), dir.path().join("update.log"));
    let out = wrapper(&rrd, &log)
        .env("PINGER_DATA", &archive)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("ping-2007-02-17.txt.gz"), "{said}");
}

#[test]
fn nightly_wrapper_writes_smokepings_config_with_tonights_new_monitors() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    std::fs::create_dir_all(&archive).unwrap();
    crate::util::copy_tree(
        &fixture("archive/monitor.niit.edu.pk"),
        &archive.join("monitor.niit.edu.pk"),
    );
    let (rrd, log) = (dir.path().join("rrd"), dir.path().join("update.log"));
    let conf = dir.path().join("smokeping.conf");
    let night = || {
        let out = wrapper(&rrd, &log)
            .env("PINGER_DATA", &archive)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        std::fs::read_to_string(&conf).unwrap()
    };
    let first = night();
    assert!(first.contains("\n+ monitor_niit_edu_pk\n"), "{first}");
    assert!(!first.contains("pinger_mon00_example_edu"), "{first}");
    // The next night brings a new monitor: SmokePing's menu has it, without systemd.
    crate::util::copy_tree(
        &fixture("archive/pinger.mon00.example.edu"),
        &archive.join("pinger.mon00.example.edu"),
    );
    let second = night();
    assert!(
        second.contains("\n+ pinger_mon00_example_edu\n"),
        "{second}"
    );
    assert!(
        second.contains("\n++ FPing1000\npacketsize = 1000\n"),
        "{second}"
    );
}
