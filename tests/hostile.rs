//! Hostile input and faults: one line, one file or one request must not crash, stall or
//! bloat a run, write outside the tree, or lose the good data around it.

use crate::util::{bin, fixture, get, require, run, start_server, ARCHIVE_WINDOW};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// A good line of key `m.org_r.org_100_10` at time `t`.
fn good(t: i64) -> String {
    format!(
        "m.org 1.1.1.1 r.org 2.2.2.2 100 {t} 10 10 1.000 1.500 2.000 0 1 2 3 4 5 6 7 8 9 \
         1 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 2\n"
    )
}

const T0: i64 = 1_200_000_000;

/// Writes `lines` (a good line before and after each) as `<dir>/m/ping-2008-01-10.txt`.
fn archive_with(dir: &Path, hostile: &[u8]) -> std::path::PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("m")).unwrap();
    let mut text = good(T0).into_bytes();
    text.extend_from_slice(hostile);
    text.extend_from_slice(good(T0 + 1800).as_bytes());
    std::fs::write(data.join("m/ping-2008-01-10.txt"), text).unwrap();
    data
}

const WINDOW: [&str; 4] = ["--end", "2008-01-12", "--days", "3"];

/// Runs `scan --format json` on `data`; returns (exit code, keys as JSON, stderr).
fn scan(data: &Path) -> (i32, serde_json::Value, String) {
    let mut args = vec!["scan", "--data", data.to_str().unwrap(), "--format", "json"];
    args.extend(WINDOW);
    let (code, stdout, stderr) = run(&args);
    let json = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (code, json, stderr)
}

/// Backfills `data` into `rrd` over `window`; returns (exit code, stderr).
fn backfill(data: &Path, rrd: &Path, window: [&str; 4]) -> (i32, String) {
    let mut args = vec![
        "backfill",
        "--data",
        data.to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
    ];
    args.extend(window);
    let (code, _, stderr) = run(&args);
    (code, stderr)
}

/// The peak memory the summary reports, in MB.
fn peak_mb(stderr: &str) -> f64 {
    let at = stderr
        .find("peak memory ")
        .expect("summary with peak memory")
        + 12;
    stderr[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The one key's sample count, and that the two good lines around the hostile input count.
fn assert_good_lines_kept(json: &serde_json::Value) {
    let keys = json.as_array().expect("a JSON array of keys");
    assert_eq!(keys.len(), 1, "{json}");
    assert_eq!(keys[0]["samples"], 2, "{json}");
}

#[test]
fn a_summary_line_with_counts_of_four_billion_is_rejected_not_allocated() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "m.org 1.1.1.1 r.org 2.2.2.2 100 {} 4000000000 4000000000 1 2 3\n",
        T0 + 900
    );
    let (code, json, stderr) = scan(&archive_with(dir.path(), line.as_bytes()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("rejected: 1 x value out of bounds"),
        "{stderr}"
    );
    assert!(
        stderr.contains("xmt 4000000000 is out of bounds (at most 100000)"),
        "{stderr}"
    );
    assert_good_lines_kept(&json);
}

#[test]
fn a_three_megabyte_line_of_sequence_pairs_is_rejected_at_once_as_too_long() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = 300_000;
    let mut line = format!(
        "m.org 1.1.1.1 r.org 2.2.2.2 100 {} {pairs} {pairs} 1 1 1",
        T0 + 900
    );
    for i in 0..pairs {
        line.push_str(&format!(" {}", 1_000_000 + i));
    }
    line.push_str(&" 1".repeat(pairs));
    line.push('\n');
    assert!(line.len() > 3_000_000);
    let (code, json, stderr) = scan(&archive_with(dir.path(), line.as_bytes()));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("rejected: 1 x line too long"), "{stderr}");
    assert!(
        stderr.contains("ping-2008-01-10.txt:2: line is longer than 65536 bytes"),
        "{stderr}"
    );
    assert_good_lines_kept(&json);
}

#[test]
fn a_small_gz_holding_one_huge_line_without_newline_stays_small_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/m");
    std::fs::create_dir_all(&data).unwrap();
    // 64 MB of one line and no newline at all, compressed to about 64 KB. Held whole, it
    // took about 11 times its size.
    let gz = std::fs::File::create(data.join("ping-2008-01-10.txt.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
    enc.write_all(good(T0).as_bytes()).unwrap();
    let chunk = vec![b'7'; 1 << 20];
    for _ in 0..64 {
        enc.write_all(&chunk).unwrap();
    }
    enc.finish().unwrap();
    let (code, json, stderr) = scan(&dir.path().join("data"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("rejected: 1 x line too long"), "{stderr}");
    assert_eq!(json.as_array().unwrap()[0]["samples"], 1, "{json}");
    let peak = peak_mb(&stderr);
    assert!(peak < 100.0, "peak memory {peak} MB\n{stderr}");
}

#[test]
fn a_nul_byte_rejects_its_line_only_and_a_binary_file_is_reported_once() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = b"m.org 1.1.1.1 r.org 2.2.2.2 100 1200000900 10\x000\n";
    let data = archive_with(dir.path(), hostile);
    std::fs::write(data.join("m/ping-2008-01-11.txt"), [0u8; 20_000]).unwrap();
    let (code, json, stderr) = scan(&data);
    assert_eq!(code, 1, "the binary file is a failed file\n{stderr}");
    assert!(stderr.contains("rejected: 1 x NUL byte"), "{stderr}");
    assert!(
        stderr.contains("ping-2008-01-10.txt:2: line holds a NUL byte (column 46)"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("ping-2008-01-11.txt").count(),
        1,
        "reported once, not line by line\n{stderr}"
    );
    assert!(stderr.contains("binary file"), "{stderr}");
    assert_good_lines_kept(&json);
}

#[test]
fn times_before_1990_are_rejected_and_do_not_fail_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = archive_with(dir.path(), b"m.org 1.1.1.1 r.org 2.2.2.2 100 1799 10 0\n");
    let rrd = dir.path().join("rrd");
    let (code, stderr) = backfill(&data, &rrd, WINDOW);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("time 1799 is out of bounds (1990-01-01 .. 2100-01-01)"),
        "{stderr}"
    );
    assert!(stderr.contains("1 created"), "{stderr}");
}

#[test]
fn an_rtt_of_4294967_295_ms_is_a_value_not_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!(
        "m.org 1.1.1.1 r.org 2.2.2.2 100 {} 10 1 4294967.295 4294967.295 4294967.295 0 4294967.295\n",
        T0 + 3600
    );
    let data = archive_with(dir.path(), line.as_bytes());
    let rrd = dir.path().join("rrd");
    let (code, stderr) = backfill(&data, &rrd, WINDOW);
    assert_eq!(code, 0, "{stderr}");
    let (code, csv, stderr) = run(&[
        "export",
        "--rrd",
        rrd.to_str().unwrap(),
        "--key",
        "m.org_r.org_100_10",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let slot = (T0 + 3600) / 1800 * 1800 + 1800;
    let row = csv
        .lines()
        .find(|l| l.starts_with(&format!("{slot},")))
        .unwrap_or_else(|| panic!("no row {slot}\n{csv}"));
    // loss 9 of 10, median 4294967.295 ms.
    assert!(row.contains(",9,90,4294967.295,"), "{row}");
}

#[test]
fn wide_or_reversed_export_and_graph_ranges_are_clamped_or_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = crate::graph::fixture_rrds(dir.path());
    let rrd_arg = rrd.to_str().unwrap();
    let key = "monitor.niit.edu.pk_www.niit.edu.pk_1000_10";
    // The widest range: only the rows the file holds (at most its 5760), fast and small.
    let (code, csv, stderr) = run(&[
        "export",
        "--rrd",
        rrd_arg,
        "--key",
        key,
        "--start",
        "1",
        "--end",
        "9999999999",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let rows = csv.lines().count() - 1;
    assert!((100..=5762).contains(&rows), "{rows}");
    for args in [
        vec![
            "export",
            "--rrd",
            rrd_arg,
            "--key",
            key,
            "--start",
            "2007-02-18",
            "--end",
            "2007-02-17",
        ],
        vec![
            "graph",
            "--rrd",
            rrd_arg,
            key,
            "--start",
            "2007-02-18",
            "--end",
            "2007-02-17",
        ],
    ] {
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains("is not before --end"), "{stderr}");
    }
    let (code, _, stderr) = run(&["export", "--rrd", rrd_arg, "--key", key, "--start", "soon"]);
    assert_eq!(code, 2, "{stderr}");

    let server = start_server(&rrd);
    let (status, _, body) = get(&format!(
        "{}/export/{key}.json?start=1&end=9999999999",
        server.url
    ));
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(json["rows"].as_array().unwrap().len() <= 5762);
    for query in [
        "start=2007-02-18&end=2007-02-17",
        "start=soon&end=2007-02-17",
        "start=2007-02-17",
    ] {
        for path in [
            format!("/export/{key}.json?{query}"),
            format!("/export/{key}.csv?{query}"),
            format!("/graph/{key}/custom.png?{query}"),
            format!("/key/{key}?{query}"),
        ] {
            let (status, _, body) = get(&format!("{}{path}", server.url));
            assert_eq!(status, 400, "{path}: {}", String::from_utf8_lossy(&body));
        }
    }
    let (status, _, _) = get(&format!(
        "{}/graph/{key}/custom.png?start=1&end=9999999999",
        server.url
    ));
    assert_eq!(status, 200);
}

#[test]
fn a_closed_stderr_ends_the_run_cleanly_with_srcdest_and_state_written() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let mut child = crate::util::ours()
        .args(["backfill", "--data"])
        .arg(fixture("archive"))
        .arg("--rrd")
        .arg(&rrd)
        .args(ARCHIVE_WINDOW)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Like `2>&1 | head -0`: the reader is gone before the first line.
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(rrd.join("srcdest.txt").exists());
    assert!(rrd.join(".pinger-smokeping.state.json").exists());
    // A closed stdout (`scan | head -1`) stops quietly too.
    let mut child = crate::util::ours()
        .args(["--quiet", "scan", "--data"])
        .arg(fixture("archive"))
        .args(ARCHIVE_WINDOW)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn temporary_files_of_every_kind_left_by_a_killed_run_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    std::fs::create_dir_all(rrd.join("monitor_niit_edu_pk")).unwrap();
    for name in [
        ".srcdest.txt.Ab12Cd.pinger-tmp",
        ".pinger-smokeping.state.json.Ef34Gh.pinger-tmp",
        "monitor_niit_edu_pk/.www_niit_edu_pk_100_10.rrd.Ij56Kl.pinger-tmp",
    ] {
        std::fs::write(rrd.join(name), b"half").unwrap();
    }
    let (code, stderr) = backfill(&fixture("archive"), &rrd, ARCHIVE_WINDOW);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("removed 3 temporary files"), "{stderr}");
    let left: Vec<_> = walkdir::WalkDir::new(&rrd)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_symlink_planted_at_a_lock_writes_nothing_outside_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    std::fs::create_dir_all(&rrd).unwrap();
    let outside = dir.path().join("outside-target");
    std::os::unix::fs::symlink(&outside, rrd.join(".pinger-smokeping.srcdest.lock")).unwrap();
    let (code, stderr) = backfill(&fixture("archive"), &rrd, ARCHIVE_WINDOW);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert!(!outside.exists(), "created a file outside the tree");
}

#[test]
fn a_full_disk_during_create_names_its_cause() {
    if !require(&["/usr/bin/mount", "/usr/bin/umount"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    std::fs::create_dir_all(&rrd).unwrap();
    // A 2 MB file system holds three of the 20 files (600 KB each).
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&rrd)
        .status()
        .unwrap();
    if !mounted.success() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true and tmpfs cannot be mounted (the test needs root)"
        );
        eprintln!("SKIPPED: cannot mount a small tmpfs (needs root)");
        return;
    }
    let mut args = vec![
        "backfill",
        "--data",
        "fixtures/archive",
        "--rrd",
        rrd.to_str().unwrap(),
    ];
    args.extend(ARCHIVE_WINDOW);
    let out = bin().args(&args).output().unwrap();
    let _ = Command::new("umount").arg(&rrd).status();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("key error: "))
        .collect();
    assert!(!errors.is_empty(), "{stderr}");
    for line in errors {
        assert!(
            !line.trim_end().ends_with(':'),
            "an error without its cause: {line}"
        );
        assert!(
            line.contains("No space left on device") || line.contains("librrd"),
            "{line}"
        );
    }
}
