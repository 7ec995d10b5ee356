//! `scan`: srcdest.txt, listings, the run summary and exit codes.

use crate::util::{bin, copy_tree, fixture, run, ALL_TIME, ARCHIVE_WINDOW};

// Cargo runs integration tests from the package root.
const ARCHIVE: &str = "fixtures/archive";
const CASES: &str = "fixtures/cases";

/// The srcdest.txt the bundled archive must give, written out from what the fixture holds.
fn expected_srcdest() -> String {
    let mut text = String::from(
        "monitor.niit.edu.pk\n\
         monitor.niit.edu.pk_monalisa.niit.edu.pk_1000_10\n\
         monitor.niit.edu.pk_monalisa.niit.edu.pk_100_10\n\
         monitor.niit.edu.pk_www.carnet.hr_100_10\n\
         monitor.niit.edu.pk_www.niit.edu.pk_1000_10\n****\n",
    );
    for m in ["pinger.mon00.example.edu", "pinger.mon01.example.edu"] {
        text.push_str(m);
        text.push('\n');
        for r in 0..4 {
            for bytes in [1000, 100] {
                text.push_str(&format!("{m}_www.site{r:03}.example.org_{bytes}_10\n"));
            }
        }
        text.push_str("****\n");
    }
    text
}

#[test]
fn srcdest_of_the_bundled_archive() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("srcdest.txt");
    let mut args = vec!["scan", "--data", ARCHIVE, "-o", out.to_str().unwrap()];
    args.extend(ARCHIVE_WINDOW);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), expected_srcdest());
    // The summary counts the generated mangled line and the hand-made one, with examples.
    assert!(
        stderr.contains("rejected: 2 x odd per-ping part"),
        "{stderr}"
    );
    assert!(
        stderr.contains("monitor.niit.edu.pk/ping-2007-02.txt:9: per-ping part has 21 tokens"),
        "{stderr}"
    );
    // The 1997-2003 lines in old/ are read but fall outside the window.
    assert!(stderr.contains("11 outside the window"), "{stderr}");
}

#[test]
fn default_output_is_srcdest_on_stdout() {
    let mut args = vec!["scan", "--data", ARCHIVE];
    args.extend(ARCHIVE_WINDOW);
    let (code, stdout, _) = run(&args);
    assert_eq!(code, 0);
    assert_eq!(stdout, expected_srcdest());
}

#[test]
fn json_and_csv_listings_give_first_last_and_counts() {
    let mut args = vec![
        "scan",
        "--data",
        ARCHIVE,
        "--format",
        "json",
        "--monitor",
        "monitor.niit.edu.pk",
    ];
    args.extend(ARCHIVE_WINDOW);
    let (code, stdout, _) = run(&args);
    assert_eq!(code, 0);
    let entries: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let carnet = entries
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["remote"] == "www.carnet.hr")
        .unwrap();
    // Lines at 00:00:02, 00:30:02 and 01:00:02 on 2007-02-18 (the mangled one is rejected).
    assert_eq!(carnet["key"], "monitor.niit.edu.pk_www.carnet.hr_100_10");
    assert_eq!(carnet["bytes"], 100);
    assert_eq!(carnet["first"], "2007-02-18T00:30:00Z");
    assert_eq!(carnet["last"], "2007-02-18T01:30:00Z");
    assert_eq!(carnet["samples"], 3);
    assert_eq!(entries.as_array().unwrap().len(), 4);

    let mut args = vec![
        "scan", "--data", ARCHIVE, "--format", "csv", "--bytes", "1000",
    ];
    args.extend(ARCHIVE_WINDOW);
    let (_, stdout, _) = run(&args);
    let mut lines = stdout.lines();
    assert_eq!(
        lines.next(),
        Some("monitor,remote,bytes,first,last,samples,key")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2 + 8);
    assert!(rows.iter().all(|r| r.split(',').nth(2) == Some("1000")));
}

#[test]
fn rejected_lines_are_counted_and_the_good_lines_around_them_kept() {
    let mut args = vec!["scan", "--data", CASES, "--format", "json"];
    args.extend(ALL_TIME);
    let (code, stdout, stderr) = run(&args);
    // A corrupt and a truncated .gz: finished, but some files failed.
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("not_gzip_at_all.txt.gz: not a readable gzip file"),
        "{stderr}"
    );
    assert!(
        stderr.contains("truncated_gzip_keeps_complete_lines.txt.gz: gzip stream is damaged"),
        "{stderr}"
    );
    assert!(
        stderr.contains("rejected: 3 x wrong token count"),
        "{stderr}"
    );
    assert!(
        stderr.contains("html_error_page_saved_by_fetcher.txt:3: line has 2 tokens"),
        "{stderr}"
    );
    assert!(
        stderr.contains("non_utf8_byte_rejects_only_its_line.txt:2: line is not valid UTF-8"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "truncated_line_even_token_count.txt:2: 8 distinct sequence numbers but rcv is 10"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("mangled_timestamp_should_be_rejected.txt:2: per-ping part has 21 tokens"),
        "{stderr}"
    );

    let entries: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let samples = |key: &str| {
        entries
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .map(|e| e["samples"].as_u64().unwrap())
    };
    // Lines 1 and 3 of the non-UTF-8 file, plus the duplicate-replies file (same slot as 1).
    assert_eq!(
        samples("pinger.slac.stanford.edu_ping.slac.stanford.edu_100_10"),
        Some(2)
    );
    // Both good lines around the mangled one.
    assert_eq!(samples("143.108.30.100_www.al.sp.gov.br_1000_10"), Some(2));
    // The complete lines before the damage in the truncated gzip were read.
    assert_eq!(
        samples("pinger.slac.stanford.edu_195.24.192.47_1000_10"),
        Some(1)
    );
}

#[test]
fn usage_and_fatal_errors_exit_2() {
    let (code, _, stderr) = run(&["scan", "--data", "/nonexistent/pinger"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("/nonexistent/pinger: not a directory"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["scan", "--data", ARCHIVE, "--end", "yesterday"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`yesterday` is not a time"), "{stderr}");
    let (code, _, _) = run(&["scan", "--data", ARCHIVE, "--shard", "2/2"]);
    assert_eq!(code, 2);
    let (code, _, _) = run(&["scan", "--no-such-flag"]);
    assert_eq!(code, 2);
}

#[test]
fn shards_split_the_monitors_without_overlap() {
    let listing = |extra: &[&str]| {
        let mut args = vec!["scan", "--data", ARCHIVE, "--format", "csv"];
        args.extend(ARCHIVE_WINDOW);
        args.extend(extra);
        let (code, stdout, _) = run(&args);
        assert_eq!(code, 0);
        stdout
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let all = listing(&[]);
    let mut union = listing(&["--shard", "0/2"]);
    let other = listing(&["--shard", "1/2"]);
    assert!(union.iter().all(|k| !other.contains(k)));
    union.extend(other);
    union.sort();
    let mut all_sorted = all.clone();
    all_sorted.sort();
    assert_eq!(union, all_sorted);
}

#[test]
fn files_are_selected_by_name_date_but_keys_come_from_the_lines() {
    // A monitor's record sitting in another monitor's directory still counts for its own key.
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        &fixture("archive/monitor.niit.edu.pk"),
        &dir.path().join("elsewhere"),
    );
    std::fs::write(
        dir.path().join("elsewhere/ping-2001-01-01.txt"),
        "monitor.niit.edu.pk 1.1.1.1 far.example.org 2.2.2.2 100 1171756802 10 0\n",
    )
    .unwrap();
    let data = dir.path().display().to_string();
    let mut args = vec!["scan", "--data", &data, "--format", "csv"];
    args.extend(ARCHIVE_WINDOW);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0);
    // The 2001 file is skipped by its name, without being read.
    assert!(!stdout.contains("far.example.org"));
    assert!(
        stderr.contains("1 left out by the date in their name"),
        "{stderr}"
    );
    assert!(stdout.contains("monitor.niit.edu.pk,www.carnet.hr,100"));
}

#[test]
fn every_subcommand_explains_itself_with_an_example() {
    for sub in [
        "scan",
        "backfill",
        "update",
        "graph",
        "export",
        "smokeping-config",
        "serve",
        "bench",
        "generate",
    ] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success());
        assert!(help.contains("Example: pinger-smokeping"), "{sub}: {help}");
    }
}

#[test]
fn a_key_in_several_directories_is_counted_once_per_slot() {
    // The same monthly file split over two directories, and one line kept in both.
    let dir = tempfile::tempdir().unwrap();
    let text =
        std::fs::read_to_string(fixture("archive/monitor.niit.edu.pk/ping-2007-02.txt")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (name, part) in [("2006", &lines[..5]), ("2007", &lines[4..])] {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        std::fs::write(
            dir.path().join(name).join("ping-2007-02.txt"),
            part.join("\n") + "\n",
        )
        .unwrap();
    }
    let data = dir.path().display().to_string();
    let mut args = vec!["scan", "--data", &data, "--format", "csv"];
    args.extend(ARCHIVE_WINDOW);
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(
            "monitor.niit.edu.pk,www.carnet.hr,100,2007-02-18T00:30:00Z,2007-02-18T01:30:00Z,3,"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "monitor.niit.edu.pk,www.niit.edu.pk,1000,2007-02-18T00:30:00Z,2007-02-18T01:00:00Z,2,"
        ),
        "{stdout}"
    );
    // The www.niit.edu.pk line kept in both directories is one duplicate.
    assert!(stderr.contains("1 duplicates dropped"), "{stderr}");
    assert!(stderr.contains("keys: 4 with 7 samples"), "{stderr}");
}

#[test]
fn scan_of_one_monitor_reads_only_its_files() {
    let (code, stdout, stderr) = run(&[
        "scan",
        "--data",
        "fixtures/archive",
        "--end",
        "2007-02-19",
        "--days",
        "3",
        "--monitor",
        "pinger.mon00.example.edu",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // Its three daily files and `old/` (a directory not named after a monitor: read); the
    // other two monitors' four files are left out unread.
    assert!(stderr.contains("scan: 4 files read"), "{stderr}");
    assert!(
        stderr.contains("left out: 4 files in the directories of monitors the filter drops"),
        "{stderr}"
    );
    assert!(stdout.starts_with("pinger.mon00.example.edu\n"), "{stdout}");
    assert_eq!(stdout.matches("****").count(), 1, "{stdout}");
}
