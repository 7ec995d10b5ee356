//! `backfill` and `update`: RRD contents value by value, layout, late data, equivalence of
//! daily updates and one backfill, the lock, and per-key failures.

use crate::reference::{expected, rrdtool_fetch, same, Expected};
use crate::util::{assert_same_trees, fetch_all, fixture, run, ARCHIVE_WINDOW};
use pinger_smokeping::model::key::smokeping_name;
use std::path::{Path, PathBuf};

const END_2007_02_19: i64 = 1_171_843_200;
const STEP: i64 = 1800;

fn rrd_file(rrd: &Path, key: &str, monitor: &str) -> PathBuf {
    let leaf = key
        .strip_prefix(monitor)
        .unwrap()
        .strip_prefix('_')
        .unwrap();
    rrd.join(smokeping_name(monitor)).join(format!(
        "{}.rrd",
        // remote_bytes_N: only the remote part needs mapping, bytes and N are digits.
        smokeping_name(leaf)
    ))
}

/// Runs `backfill` or `update` from `data` into `rrd`; returns (exit code, stderr). The RRD
/// root exists, as the package makes it (`update` does not).
fn convert_run(command: &str, data: &Path, rrd: &Path, extra: &[&str]) -> (i32, String) {
    std::fs::create_dir_all(rrd).unwrap();
    let mut args = vec![
        command,
        "--data",
        data.to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
    ];
    args.extend(extra);
    let (code, _, stderr) = run(&args);
    (code, stderr)
}

fn backfill(data: &Path, rrd: &Path, extra: &[&str]) -> (i32, String) {
    convert_run("backfill", data, rrd, extra)
}

fn update(data: &Path, rrd: &Path, extra: &[&str]) -> (i32, String) {
    convert_run("update", data, rrd, extra)
}

/// Checks every file against the reference rows over the window `(end - days, end]`.
fn assert_matches_reference(
    rrd: &Path,
    expected: &Expected,
    monitors: &[&str],
    start: i64,
    end: i64,
) {
    let mut checked = 0;
    for (key, rows) in expected {
        let monitor = monitors
            .iter()
            .find(|m| key.starts_with(&format!("{m}_")))
            .unwrap();
        let file = rrd_file(rrd, key, monitor);
        assert!(file.exists(), "{key}: {} missing", file.display());
        for (t, values) in rrdtool_fetch(&file, start, end - STEP) {
            assert!(t > start && t <= end, "{t}");
            assert!(values[0].is_nan(), "{key} {t}: uptime must be unknown");
            match rows.get(&t) {
                None => assert!(
                    values.iter().all(|v| v.is_nan()),
                    "{key} {t}: expected unknown, got {values:?}"
                ),
                Some(row) => {
                    assert!(
                        same(values[1], Some(row.loss)),
                        "{key} {t}: loss {} vs {:?}",
                        values[1],
                        row
                    );
                    assert!(
                        same(values[2], row.median),
                        "{key} {t}: median {} vs {:?}",
                        values[2],
                        row
                    );
                    for (i, p) in row.pings.iter().enumerate() {
                        assert!(
                            same(values[3 + i], *p),
                            "{key} {t}: ping{} {} vs {:?}",
                            i + 1,
                            values[3 + i],
                            row
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0);
}

#[test]
fn backfill_writes_exactly_the_samples_of_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let (code, stderr) = backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("rrd: 20 created, 0 appended, 0 rebuilt, 0 unchanged, 0 failed"),
        "{stderr}"
    );
    let start = END_2007_02_19 - 3 * 86_400;
    let exp = expected(&fixture("archive"), start, END_2007_02_19, 10);
    assert_eq!(exp.len(), 20);
    let monitors = [
        "monitor.niit.edu.pk",
        "pinger.mon00.example.edu",
        "pinger.mon01.example.edu",
    ];
    assert_matches_reference(&rrd, &exp, &monitors, start, END_2007_02_19);

    // srcdest.txt next to the RRDs is the scan's.
    let srcdest = std::fs::read_to_string(rrd.join("srcdest.txt")).unwrap();
    let mut args = vec!["scan", "--data", "fixtures/archive"];
    args.extend(ARCHIVE_WINDOW);
    assert_eq!(srcdest, run(&args).1);
}

#[test]
fn total_loss_and_deadline_rows_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let (code, _) = backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0);
    let file = rrd.join("monitor_niit_edu_pk/www_niit_edu_pk_1000_10.rrd");
    let rows = rrdtool_fetch(&file, 1_171_756_800 - STEP, 1_171_760_400);
    let row = |t: i64| &rows.iter().find(|r| r.0 == t).unwrap().1;
    // 00:00:15, xmt 14, 10 replies: loss round(10*4/14) = 3, 7 of 10 RTTs picked evenly
    // (indices 0 2 3 5 6 8 9 of the sorted RTTs), 1 unknown first, 2 last.
    let r = row(1_171_758_600);
    assert_eq!(r[1], 3.0);
    assert!(
        (r[2] - 0.001690).abs() < 1e-12,
        "upper median of the 10 RTTs: {}",
        r[2]
    );
    assert!(r[3].is_nan() && r[11].is_nan() && r[12].is_nan());
    let sorted = [
        1.220, 1.305, 1.388, 1.402, 1.551, 1.690, 1.693, 1.710, 1.774, 2.447,
    ];
    for (j, idx) in [0, 2, 3, 5, 6, 8, 9].iter().enumerate() {
        assert!(
            (r[4 + j] - sorted[*idx] / 1000.0).abs() < 1e-12,
            "{j}: {}",
            r[4 + j]
        );
    }
    // 00:30:20: nothing came back (8-token line): loss 10, everything else unknown.
    let r = row(1_171_760_400);
    assert_eq!(r[1], 10.0);
    assert!(r[2..].iter().all(|v| v.is_nan()));
}

#[test]
fn rrd_layout_is_smokepings() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    let file = rrd.join("monitor_niit_edu_pk/www_carnet_hr_100_10.rrd");
    let out = std::process::Command::new("rrdtool")
        .arg("info")
        .arg(&file)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&out.stdout);
    let has = |line: &str| {
        assert!(
            info.lines().any(|l| l == line),
            "missing `{line}` in\n{info}"
        )
    };
    has("step = 1800");
    let names: Vec<&str> = info
        .lines()
        .filter_map(|l| l.strip_prefix("ds[")?.split_once("].index = "))
        .map(|(name, _)| name)
        .collect();
    let mut expected_names = vec!["uptime".to_string(), "loss".into(), "median".into()];
    expected_names.extend((1..=10).map(|i| format!("ping{i}")));
    for (i, name) in expected_names.iter().enumerate() {
        has(&format!("ds[{name}].index = {i}"));
        has(&format!("ds[{name}].type = \"GAUGE\""));
        has(&format!("ds[{name}].minimal_heartbeat = 3600"));
        has(&format!("ds[{name}].min = 0.0000000000e+00"));
        let max = if name == "loss" {
            "1.0000000000e+01"
        } else {
            "NaN"
        };
        has(&format!("ds[{name}].max = {max}"));
    }
    assert_eq!(names.len(), 13);
    has("rra[0].cf = \"AVERAGE\"");
    has("rra[0].rows = 5760");
    has("rra[0].pdp_per_row = 1");
    has("rra[0].xff = 5.0000000000e-01");
    assert!(!info.contains("rra[1]"));
    // The file starts one step before its first sample (00:30 on 2007-02-18).
    let first = rrdtool_fetch(&file, 1_171_756_800 - 2 * STEP, 1_171_756_800);
    let before: Vec<_> = first.iter().filter(|r| r.0 <= 1_171_756_800).collect();
    assert!(!before.is_empty());
    assert!(
        before.iter().all(|r| r.1.iter().all(|v| v.is_nan())),
        "{before:?}"
    );
}

#[test]
fn custom_layout_flags_change_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let mut window = ARCHIVE_WINDOW.to_vec();
    window.extend([
        "--pings",
        "5",
        "--rra",
        "AVERAGE:0.5:1:600",
        "--rra",
        "MAX:0.5:12:100",
        "--monitor",
        "monitor.niit.edu.pk",
    ]);
    let (code, stderr) = backfill(&fixture("archive"), &rrd, &window);
    assert_eq!(code, 0, "{stderr}");
    let file = rrd.join("monitor_niit_edu_pk/www_carnet_hr_100_5.rrd");
    let out = std::process::Command::new("rrdtool")
        .arg("info")
        .arg(&file)
        .output()
        .unwrap();
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(info.contains("ds[loss].max = 5.0000000000e+00"));
    assert!(info.contains("ds[ping5].index = 7") && !info.contains("ping6"));
    assert!(info.contains("rra[1].cf = \"MAX\"") && info.contains("rra[1].pdp_per_row = 12"));
    let exp = expected(
        &fixture("archive"),
        END_2007_02_19 - 3 * 86_400,
        END_2007_02_19,
        5,
    );
    let exp: Expected = exp
        .into_iter()
        .filter(|(k, _)| k.starts_with("monitor.niit"))
        .collect();
    assert_matches_reference(
        &rrd,
        &exp,
        &["monitor.niit.edu.pk"],
        END_2007_02_19 - 3 * 86_400,
        END_2007_02_19,
    );
}

#[test]
fn duplicate_lines_keep_the_first_one() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    // The HEP 2003 lines: two lines per key with the same timestamp; the first line wins.
    let window = ["--end", "2003-04-02", "--days", "1"];
    let (code, stderr) = backfill(&fixture("cases"), &rrd, &window);
    assert_eq!(
        code, 1,
        "the corrupt .gz cases count as failed files: {stderr}"
    );
    assert!(stderr.contains("duplicates dropped"));
    let file = rrd.join("143_108_30_100/stromboli_incor_usp_br_1000_10.rrd");
    let rows = rrdtool_fetch(&file, 1_049_155_200, 1_049_157_000);
    let r = &rows.iter().find(|r| r.0 == 1_049_157_000).unwrap().1;
    // First line: RTTs 8 7 7 7 7 7 10 7 9 9 -> median 7 ms, max 10 ms (second line has 20 ms).
    assert_eq!(r[2], 0.007);
    assert_eq!(r[12], 0.010);
}

fn generate(out: &Path, days: u32, end: &str) {
    let (code, _, stderr) = run(&[
        "generate",
        "--out",
        out.to_str().unwrap(),
        "--monitors",
        "3",
        "--remotes",
        "5",
        "--days",
        &days.to_string(),
        "--end",
        end,
        "--seed",
        "11",
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn daily_updates_over_a_growing_archive_equal_one_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    generate(&full, 6, "2020-01-07");
    let growing = dir.path().join("growing");
    let daily = dir.path().join("daily");
    let late_monitor = "pinger.mon01.example.edu";
    for day in 1..=6 {
        // Files of 2020-01-01 .. 2020-01-0<day> have arrived; the late monitor's files of days
        // 2 and 3 arrive only with day 5 (collected days late).
        for entry in walkdir::WalkDir::new(&full)
            .into_iter()
            .filter_map(|e| e.ok())
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(d) = name
                .strip_prefix("ping-2020-01-0")
                .and_then(|s| s[..1].parse::<u32>().ok())
            else {
                continue;
            };
            let is_late =
                entry.path().to_string_lossy().contains(late_monitor) && (2..=3).contains(&d);
            let arrived = if is_late { day >= 5 } else { d <= day };
            let dest = growing.join(entry.path().strip_prefix(&full).unwrap());
            if arrived && !dest.exists() {
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::copy(entry.path(), &dest).unwrap();
            }
        }
        let end = format!("2020-01-0{}", day + 1);
        let (code, stderr) = update(&growing, &daily, &["--end", &end]);
        assert_eq!(code, 0, "{stderr}");
        if day == 6 {
            // Only the new day's files are read; the 15 read before are not, though their
            // names date them within two days of the window's end.
            assert!(
                stderr.contains("update: 3 files read (0 failed, 0 left out by the date in their name, 15 unchanged since the last run)"),
                "{stderr}"
            );
        }
        if day == 5 {
            // The late monitor's files of days 2 and 3 arrive with old dates and are read
            // all the same; its keys miss those days: rebuilt from the raw window. Its 5th
            // remote starts on day 4 (the generator's late path), so 8 of its 10 keys.
            assert!(stderr.contains("22 appended, 8 rebuilt"), "{stderr}");
            assert!(stderr.contains("repaired: 8 keys"), "{stderr}");
        }
    }
    let once = dir.path().join("once");
    let (code, stderr) = backfill(&full, &once, &["--end", "2020-01-07"]);
    assert_eq!(code, 0, "{stderr}");
    let (start, end) = (1_577_836_800 - 120 * 86_400, 1_578_355_200);
    assert_eq!(fetch_all(&daily, start, end).len(), 30);
    assert_same_trees(&daily, &once, start, end);
}

#[test]
fn update_after_backfill_or_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    let before = fetch_all(&rrd, END_2007_02_19 - 4 * 86_400, END_2007_02_19);
    let mtimes = |rrd: &Path| -> Vec<std::time::SystemTime> {
        let mut v: Vec<_> = walkdir::WalkDir::new(rrd)
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "rrd"))
            .map(|e| e.metadata().unwrap().modified().unwrap())
            .collect();
        v.sort();
        v
    };
    let m0 = mtimes(&rrd);
    for _ in 0..2 {
        // Every file was read by the backfill, in this very version: nothing to read.
        let (code, stderr) = update(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.contains("update: 0 files read (0 failed, 0 left out by the date in their name, 8 unchanged since the last run)"),
            "{stderr}"
        );
        assert!(
            stderr.contains("0 created, 0 appended, 0 rebuilt, 0 unchanged, 0 failed"),
            "{stderr}"
        );
    }
    // The weekly full check reads everything and finds nothing to repair.
    let full: Vec<&str> = ARCHIVE_WINDOW.iter().copied().chain(["--full"]).collect();
    let (code, stderr) = update(&fixture("archive"), &rrd, &full);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("update --full: 8 files read"), "{stderr}");
    assert!(
        stderr.contains("0 created, 0 appended, 0 rebuilt, 20 unchanged, 0 failed"),
        "{stderr}"
    );
    assert!(!stderr.contains("repaired"), "{stderr}");
    assert_eq!(mtimes(&rrd), m0);
    assert_eq!(
        fetch_all(&rrd, END_2007_02_19 - 4 * 86_400, END_2007_02_19),
        before
    );
}

#[test]
fn a_second_run_is_refused_while_the_lock_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let _held = pinger_smokeping::rrd::lock::acquire(&rrd).unwrap();
    let (code, stderr) = update(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("another run holds the lock (pid "),
        "{stderr}"
    );
    assert!(!rrd.join("monitor_niit_edu_pk").exists());
}

#[test]
fn a_corrupt_rrd_or_a_blocked_directory_fails_only_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    let corrupt = rrd.join("monitor_niit_edu_pk/www_carnet_hr_100_10.rrd");
    std::fs::write(&corrupt, b"garbage, not an RRD").unwrap();
    // A file where a monitor's directory should be: nothing can be written below it.
    std::fs::remove_dir_all(rrd.join("pinger_mon00_example_edu")).unwrap();
    std::fs::write(rrd.join("pinger_mon00_example_edu"), b"in the way").unwrap();
    // The archive did not change since the backfill: only a full update reads it again.
    let full: Vec<&str> = ARCHIVE_WINDOW.iter().copied().chain(["--full"]).collect();
    let (code, stderr) = update(&fixture("archive"), &rrd, &full);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("key error: pinger.mon00.example.edu_www.site000.example.org_100_10: "),
        "{stderr}"
    );
    // The corrupt file cannot be read: the whole-window update rebuilds its key, and keeps
    // the garbage aside for a person to look at.
    assert!(
        stderr.contains("0 created, 0 appended, 1 rebuilt, 11 unchanged, 8 failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("repaired: 1 keys") && stderr.contains("www.carnet.hr_100_10"),
        "{stderr}"
    );
    let aside: Vec<_> = std::fs::read_dir(corrupt.parent().unwrap())
        .unwrap()
        .flatten()
        .filter(|e| {
            (e.file_name().to_string_lossy()).starts_with("www_carnet_hr_100_10.rrd.damaged-")
        })
        .collect();
    assert_eq!(aside.len(), 1);
    assert_eq!(
        std::fs::read(aside[0].path()).unwrap(),
        b"garbage, not an RRD"
    );
    std::fs::remove_file(rrd.join("pinger_mon00_example_edu")).unwrap();
    let (code, stderr) = backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_backfilled_file_that_cannot_be_put_in_place_fails_only_its_key() {
    // A directory where a key's file should go: its staged file cannot be renamed over it.
    // One in the first archive directory written (its batch is committed while the next is
    // written) and one in the last (committed at the end).
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let blocked = [
        "monitor_niit_edu_pk/www_carnet_hr_100_10.rrd",
        "pinger_mon01_example_edu/www_site001_example_org_1000_10.rrd",
    ];
    for path in blocked {
        std::fs::create_dir_all(rrd.join(path).join("in-the-way")).unwrap();
    }
    let (code, stderr) = backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 1, "{stderr}");
    let srcdest = std::fs::read_to_string(rrd.join("srcdest.txt")).unwrap();
    for key in [
        "monitor.niit.edu.pk_www.carnet.hr_100_10",
        "pinger.mon01.example.edu_www.site001.example.org_1000_10",
    ] {
        assert!(stderr.contains(&format!("key error: {key}: ")), "{stderr}");
        assert!(!srcdest.lines().any(|l| l == key), "{srcdest}");
    }
    assert!(
        stderr.contains("18 created, 0 appended, 0 rebuilt, 0 unchanged, 2 failed"),
        "{stderr}"
    );
    let written = rrd.join("pinger_mon01_example_edu/www_site001_example_org_100_10.rrd");
    assert!(written.is_file());
}

#[test]
fn summary_json_has_the_figures() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let json = dir.path().join("summary.json");
    let mut window = ARCHIVE_WINDOW.to_vec();
    window.extend(["--summary-json", json.to_str().unwrap()]);
    let (code, _) = backfill(&fixture("archive"), &rrd, &window);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["command"], "backfill");
    assert_eq!(v["read"]["keys"], 20);
    assert_eq!(v["read"]["rejected"]["odd per-ping part"]["count"], 2);
    assert_eq!(v["write"]["created"], 20);
    assert_eq!(v["write"]["samples_written"], v["read"]["samples"]);
}

#[test]
fn shards_write_one_tree_together_and_equal_a_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let (code, _) = backfill(&fixture("archive"), &whole, &ARCHIVE_WINDOW);
    assert_eq!(code, 0);
    let sharded = dir.path().join("sharded");
    std::fs::create_dir_all(&sharded).unwrap();
    // Three array jobs at once, all writing into one tree.
    let children: Vec<_> = (0..3)
        .map(|i| {
            crate::util::ours()
                .args([
                    "--quiet",
                    "update",
                    "--data",
                    "fixtures/archive",
                    "--rrd",
                    sharded.to_str().unwrap(),
                ])
                .args(ARCHIVE_WINDOW)
                .args(["--shard", &format!("{i}/3")])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_same_trees(
        &sharded,
        &whole,
        END_2007_02_19 - 4 * 86_400,
        END_2007_02_19,
    );
}

#[test]
fn keys_that_map_to_one_file_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // `far.example.org` and `far_example.org` both become far_example_org_100_10.rrd.
    std::fs::write(
        data.join("ping-2007-02-18.txt"),
        "m.org 1.1.1.1 far.example.org 2.2.2.2 100 1171756802 10 0\n\
         m.org 1.1.1.1 far_example.org 2.2.2.3 100 1171756802 10 0\n\
         m.org 1.1.1.1 near.example.org 2.2.2.4 100 1171756802 10 0\n",
    )
    .unwrap();
    let rrd = dir.path().join("rrd");
    let (code, stderr) = backfill(&data, &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("keys m.org_far.example.org_100_10 and m.org_far_example.org_100_10 map to the same file")
            || stderr.contains("keys m.org_far_example.org_100_10 and m.org_far.example.org_100_10 map to the same file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 created, 0 appended, 0 rebuilt, 0 unchanged, 2 failed"),
        "{stderr}"
    );
    assert!(!rrd.join("m_org/far_example_org_100_10.rrd").exists());
    assert!(rrd.join("m_org/near_example_org_100_10.rrd").exists());
}

#[test]
fn a_key_whose_file_belongs_to_another_from_another_directory_or_run_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Monitors `a.b` and `a_b` share the directory `a_b`; their lines sit in two archive
    // directories, read one after the other, and arrive on two nights.
    std::fs::create_dir_all(data.join("first")).unwrap();
    std::fs::write(
        data.join("first/ping-2007-02-17.txt"),
        "a.b 1.1.1.1 r.org 2.2.2.2 100 1171670402 10 0\n",
    )
    .unwrap();
    let rrd = dir.path().join("rrd");
    let (code, stderr) = update(&data, &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    let (start, end) = (END_2007_02_19 - 4 * 86_400, END_2007_02_19);
    let before = fetch_all(&rrd, start, end);
    assert_eq!(before.len(), 1);

    std::fs::create_dir_all(data.join("second")).unwrap();
    std::fs::write(
        data.join("second/ping-2007-02-18.txt"),
        "a_b 1.1.1.1 r.org 2.2.2.2 100 1171756802 10 0\n",
    )
    .unwrap();
    for command in ["update", "backfill"] {
        let (code, stderr) = convert_run(command, &data, &rrd, &ARCHIVE_WINDOW);
        assert_eq!(code, 1, "{command}: {stderr}");
        assert!(
            stderr.contains("keys a_b_r.org_100_10 and a.b_r.org_100_10 map to the same file"),
            "{command}: {stderr}"
        );
        // The owner's file holds the owner's samples only (a backfill rebuilds it from its own
        // lines, which are the same): the newcomer's sample of 2007-02-18 is not in it.
        assert_eq!(fetch_all(&rrd, start, end), before, "{command}");
        let srcdest = std::fs::read_to_string(rrd.join("srcdest.txt")).unwrap();
        assert!(!srcdest.contains("a_b_r.org"), "{srcdest}");
    }
}

#[test]
fn a_key_spread_over_directories_is_read_whole() {
    // Older archives keep yearly directories that mix monitors: a key's lines can sit in
    // several directories. Directories are read one at a time, so such keys get a second,
    // whole-window read.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let text =
        std::fs::read_to_string(fixture("archive/monitor.niit.edu.pk/ping-2007-02.txt")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (name, part) in [("2006", &lines[..4]), ("2007", &lines[4..])] {
        std::fs::create_dir_all(data.join(name)).unwrap();
        std::fs::write(
            data.join(name).join("ping-2007-02.txt"),
            part.join("\n") + "\n",
        )
        .unwrap();
    }
    let rrd = dir.path().join("rrd");
    let (code, stderr) = backfill(&data, &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    // www.carnet.hr has lines in both directories: written from the first, then rebuilt.
    assert!(stderr.contains("whole-window read for 1 keys"), "{stderr}");
    assert!(
        stderr.contains("rrd: 3 created, 0 appended, 1 rebuilt"),
        "{stderr}"
    );
    let start = END_2007_02_19 - 3 * 86_400;
    let exp = expected(&data, start, END_2007_02_19, 10);
    assert_matches_reference(&rrd, &exp, &["monitor.niit.edu.pk"], start, END_2007_02_19);
}

/// Host names may hold `_`, so a key name such as `m_x.org_a_b.org_100_10` cannot always be
/// split back into its monitor and remote. Whichever of two colliding keys comes first, on
/// whichever night, the second is refused by name, the owner's file keeps its values, and
/// srcdest.txt never lists the refused key.
#[test]
fn colliding_keys_with_underscores_are_refused_in_both_orders_and_across_runs() {
    // (monitor, remote) pairs that map to one file: `_` in the monitor, the remote, both.
    let cases = [
        (("m_x.org", "r.org"), ("m.x.org", "r.org")),
        (("m.org", "a_b.example.org"), ("m.org", "a.b.example.org")),
        (("m_x.org", "a_b.org"), ("m.x.org", "a.b.org")),
    ];
    for (one, two) in cases {
        for (first, second) in [(one, two), (two, one)] {
            let dir = tempfile::tempdir().unwrap();
            let data = dir.path().join("data");
            std::fs::create_dir_all(&data).unwrap();
            let line = |(m, r): (&str, &str), t: i64, rtt: &str| {
                format!(
                    "{m} 1.1.1.1 {r} 2.2.2.2 100 {t} 10 10 {rtt} {rtt} {rtt} \
                     0 1 2 3 4 5 6 7 8 9{}\n",
                    format!(" {rtt}").repeat(10)
                )
            };
            std::fs::write(
                data.join("ping-2007-02-17.txt"),
                line(first, 1_171_670_402, "10.000"),
            )
            .unwrap();
            let rrd = dir.path().join("rrd");
            let (code, stderr) = update(&data, &rrd, &ARCHIVE_WINDOW);
            assert_eq!(code, 0, "{first:?}: {stderr}");
            let (start, end) = (END_2007_02_19 - 4 * 86_400, END_2007_02_19);
            let before = fetch_all(&rrd, start, end);
            assert_eq!(before.len(), 1, "{first:?}");

            // The next night brings the other host, one slot later, with other values.
            std::fs::write(
                data.join("ping-2007-02-18.txt"),
                line(second, 1_171_756_802, "99.000"),
            )
            .unwrap();
            let name = |(m, r): (&str, &str)| format!("{m}_{r}_100_10");
            for command in ["update", "backfill"] {
                let (code, stderr) = convert_run(command, &data, &rrd, &ARCHIVE_WINDOW);
                assert_eq!(code, 1, "{first:?} then {second:?}, {command}: {stderr}");
                let refused = format!(
                    "keys {} and {} map to the same file",
                    name(second),
                    name(first)
                );
                assert!(stderr.contains(&refused), "{command}: {stderr}");
                assert_eq!(
                    fetch_all(&rrd, start, end),
                    before,
                    "{first:?} then {second:?}, {command}: the owner's file changed"
                );
                let srcdest = std::fs::read_to_string(rrd.join("srcdest.txt")).unwrap();
                assert!(
                    !srcdest.lines().any(|l| l == name(second)),
                    "{command}: {srcdest}"
                );
                assert!(srcdest.lines().any(|l| l == name(first)), "{srcdest}");
            }
        }
    }
}

#[test]
fn update_does_not_make_a_missing_rrd_root_and_backfill_does() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("typo/rrd");
    let (code, _, stderr) = run(&[
        "update",
        "--data",
        fixture("archive").to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
        "--end",
        "2007-02-19",
        "--days",
        "3",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("the RRD tree does not exist: update does not make it"),
        "{stderr}"
    );
    assert!(!rrd.exists() && !rrd.parent().unwrap().exists());
    let (code, stderr) = backfill(&fixture("archive"), &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn an_update_that_reads_nothing_new_warns_and_a_stale_archive_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let data = fixture("archive");
    // The fixtures end on 2007-02-18: a night later, the newest sample is a day old.
    let (code, stderr) = update(&data, &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning: no archive file"), "{stderr}");
    let (code, stderr) = update(&data, &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: no archive file under") && stderr.contains("was new or changed"),
        "{stderr}"
    );
    // Three nights on, nothing arrived: the newest sample is over two days old.
    let later = ["--end", "2007-02-21T12:00", "--days", "5"];
    let (code, stderr) = update(&data, &rrd, &later);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the newest sample is from 2007-02-18T")
            && stderr.contains("stopped arriving"),
        "{stderr}"
    );
    // The limit is a setting.
    let mut relaxed = later.to_vec();
    relaxed.extend(["--stale-after", "4d"]);
    let (code, stderr) = update(&data, &rrd, &relaxed);
    assert_eq!(code, 0, "{stderr}");
    let mut off = later.to_vec();
    off.extend(["--stale-after", "off"]);
    let (code, stderr) = update(&data, &rrd, &off);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_damaged_rrd_is_named_by_the_nightly_run_and_rebuilt_by_full() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let data = fixture("archive");
    let first_night = ["--end", "2007-02-18", "--days", "3"];
    let (code, stderr) = update(&data, &rrd, &first_night);
    assert_eq!(code, 0, "{stderr}");
    // Bit rot: 3,000 random bytes over the header and the first rows.
    let file = rrd.join("pinger_mon00_example_edu/www_site001_example_org_1000_10.rrd");
    let mut bytes = std::fs::read(&file).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    for b in &mut bytes[100..3100] {
        *b = rng.u8(..);
    }
    std::fs::write(&file, &bytes).unwrap();

    let (code, stderr) = update(&data, &rrd, &ARCHIVE_WINDOW);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the file cannot be read: `pinger-smokeping update --full` rebuilds it"),
        "{stderr}"
    );
    let (code, stderr) = update(&data, &rrd, &[&ARCHIVE_WINDOW[..], &["--full"]].concat());
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("repaired: 1 keys")
            && stderr.contains("pinger.mon00.example.edu_www.site001.example.org_1000_10"),
        "{stderr}"
    );
    // The damaged file is kept aside, under a name that says so; the key equals a backfill.
    let aside: Vec<String> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("www_site001_example_org_1000_10.rrd.damaged-"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let reference = dir.path().join("reference");
    let (code, stderr) = backfill(&data, &reference, &ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    assert_same_trees(
        &rrd,
        &reference,
        END_2007_02_19 - 4 * 86_400,
        END_2007_02_19,
    );
}
