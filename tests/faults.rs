//! Kills at named points of the write path (see `src/faults.rs`; debug builds honour
//! `PINGER_SMOKEPING_CRASH`), and at 70 seeded random ones (50 of them in `update`): after each, running the same
//! command again gives `rrdtool fetch` output identical to a clean run, the same srcdest.txt,
//! and no temporary file.

use crate::util::{assert_same_trees, fixture};
use pinger_smokeping::rrd::faults::POINTS;
use std::path::Path;
use std::process::Stdio;

/// The fixture archive: backfill two days, then the nightly update adds the third.
const FIRST: [&str; 4] = ["--end", "2007-02-18", "--days", "3"];
const SECOND: [&str; 4] = ["--end", "2007-02-19", "--days", "3"];
const END: i64 = 1_171_843_200;

/// Runs a command on the fixture archive, crashing as `crash` says; returns whether it
/// finished normally.
fn run(rrd: &Path, command: &str, window: &[&str], crash: Option<&str>) -> bool {
    let mut cmd = crate::util::ours();
    cmd.args(["--quiet", command, "--data"])
        .arg(fixture("archive"))
        .arg("--rrd")
        .arg(rrd)
        .args(window)
        .stderr(Stdio::null());
    if let Some(plan) = crash {
        cmd.env("PINGER_SMOKEPING_CRASH", plan);
    }
    let status = cmd.status().unwrap();
    if crash.is_none() {
        assert_eq!(status.code(), Some(0), "{command} {window:?}");
    }
    status.success()
}

fn temp_files(rrd: &Path) -> Vec<String> {
    walkdir::WalkDir::new(rrd)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pinger-tmp"))
        .collect()
}

/// Crashes `command` as `plan` says, runs it again, and compares with `clean`.
fn crash_and_recover(dir: &Path, clean: &Path, command: &str, plan: &str) -> bool {
    let rrd = dir.join(plan.replace(':', "-"));
    let _ = std::fs::remove_dir_all(&rrd);
    if command == "update" {
        run(&rrd, "backfill", &FIRST, None);
    }
    let window = if command == "update" { &SECOND } else { &FIRST };
    let crashed = !run(&rrd, command, window, Some(plan));
    run(&rrd, command, window, None);
    assert!(
        temp_files(&rrd).is_empty(),
        "{command} {plan}: {:?}",
        temp_files(&rrd)
    );
    assert_same_trees(&rrd, clean, END - 5 * 86_400, END);
    std::fs::remove_dir_all(&rrd).unwrap();
    crashed
}

/// The points a command reaches: the in-place append's only in `update`.
fn points(command: &str) -> Vec<&'static str> {
    POINTS
        .into_iter()
        .filter(|p| {
            if command == "update" {
                // Only a backfill stages its files.
                *p != "batch-synced"
            } else {
                !matches!(
                    *p,
                    "before-journal" | "after-journal" | "mid-update" | "before-cleanup"
                )
            }
        })
        .collect()
}

fn clean_runs(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let backfilled = dir.join("clean-backfill");
    run(&backfilled, "backfill", &FIRST, None);
    let updated = dir.join("clean-update");
    run(&updated, "backfill", &FIRST, None);
    run(&updated, "update", &SECOND, None);
    (backfilled, updated)
}

#[test]
fn a_kill_at_every_named_point_is_repaired_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let (backfilled, updated) = clean_runs(dir.path());
    for command in ["backfill", "update"] {
        let clean = if command == "update" {
            &updated
        } else {
            &backfilled
        };
        for point in points(command) {
            // srcdest.txt, the record and a batch's sync happen once a run (the fixture's
            // backfill is one batch per monitor directory); the others once a file.
            let counts: &[u32] = if matches!(point, "srcdest" | "state" | "batch-synced") {
                &[1]
            } else {
                &[1, 3]
            };
            for n in counts {
                let plan = format!("{point}:{n}");
                assert!(
                    crash_and_recover(dir.path(), clean, command, &plan),
                    "{command} never reached {plan}"
                );
            }
        }
    }
}

#[test]
fn a_kill_at_seventy_seeded_random_moments_is_repaired_by_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let (backfilled, updated) = clean_runs(dir.path());
    let mut rng = fastrand::Rng::with_seed(20261122);
    let mut crashed = 0;
    // 50 plans for the nightly update (its in-place appends included), 20 for backfill.
    for i in 0..70 {
        let command = if i % 7 < 2 { "backfill" } else { "update" };
        let clean = if command == "update" {
            &updated
        } else {
            &backfilled
        };
        let reachable = points(command);
        let point = reachable[rng.usize(..reachable.len())];
        // Up to past the last key: some plans never fire, and the run just completes.
        let plan = format!("{point}:{}", rng.u32(1..=25));
        crashed += usize::from(crash_and_recover(dir.path(), clean, command, &plan));
    }
    assert!(crashed >= 35, "only {crashed} of 70 runs were killed");
}
