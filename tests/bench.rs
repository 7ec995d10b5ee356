//! `bench`: a small run end to end, its table and its JSON report.

use crate::util::run;

#[test]
fn a_small_bench_prints_every_floor_figure_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let work = dir.path().join("work");
    let (code, stdout, stderr) = run(&[
        "bench",
        "--dir",
        work.to_str().unwrap(),
        "--keys",
        "8",
        "--days",
        "2",
        "--cli-keys",
        "1",
        "--rounds",
        "2",
        "--end",
        "2026-11-01",
        "--json",
        json.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for row in [
        "with zlib",
        "with our reader (libdeflate)",
        "floor: zlib + librrd alone",
        "backfill without fsync / floor",
        "floor + sync of its files",
        "backfill (fsync) / that floor",
        "with our reader instead of zlib",
        "writing / librrd floor",
        "each round, without fsync",
        "read from storage, MB: backfill",
        "CPU s: floor (zlib + librrd)",
    ] {
        assert!(stdout.contains(row), "{row}: {stdout}");
    }
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["keys"], 8);
    for field in ["decompress_seconds", "reader_seconds"] {
        assert!(report[field].as_f64().unwrap() > 0.0, "{field}: {report}");
    }
    let measured = &report["dirs"][0];
    // Two rounds, and the best of them is the one reported.
    let rounds = measured["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2, "{measured}");
    let floors: Vec<f64> = (rounds.iter())
        .map(|r| r["floor"]["seconds"].as_f64().unwrap())
        .collect();
    assert_eq!(
        measured["floor"]["seconds"].as_f64().unwrap(),
        floors[0].min(floors[1])
    );
    assert!(measured["floor"]["seconds"].as_f64().unwrap() > 0.0);
    // Syncing the floor's files is a real fsync of each: it always takes some time.
    assert!(
        measured["floor_sync_seconds"].as_f64().unwrap() > 0.0,
        "{measured}"
    );
    assert!(measured["backfill"]["samples"].as_u64().unwrap() > 0);
    // CPU time of the floor's two halves and of the backfill, each round.
    for r in rounds {
        for cpu in [
            &r["zlib"]["cpu_seconds"],
            &r["floor"]["cpu_seconds"],
            &r["backfill_no_fsync"]["cpu_seconds"],
        ] {
            assert!(cpu.as_f64().unwrap() > 0.0, "{r}");
        }
    }
    // Its temporary tree is gone (no --keep).
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
}
