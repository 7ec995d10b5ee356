//! `export`: CSV and JSON rows equal `rrdtool fetch`, files named like perfSONAR's.

use crate::graph::fixture_rrds;
use crate::reference::rrdtool_fetch;
use crate::util::run;

const KEY: &str = "monitor.niit.edu.pk_www.niit.edu.pk_1000_10";

#[test]
fn csv_round_trips_to_rrdtool_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let (start, end) = (1_171_584_000, 1_171_843_200);
    let (code, stdout, stderr) = run(&[
        "export",
        "--rrd",
        rrd.to_str().unwrap(),
        "--key",
        KEY,
        "--start",
        &start.to_string(),
        "--end",
        &end.to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut lines = stdout.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("time,iso_time,loss,loss_percent,median_ms,ping1_ms"));
    assert!(header.ends_with(",ping10_ms"));
    let fetched = rrdtool_fetch(
        &rrd.join("monitor_niit_edu_pk/www_niit_edu_pk_1000_10.rrd"),
        start,
        end,
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // The rows the file holds in the range: up to its last update, not past it.
    let last = std::process::Command::new("rrdtool")
        .arg("last")
        .arg(rrd.join("monitor_niit_edu_pk/www_niit_edu_pk_1000_10.rrd"))
        .output()
        .unwrap();
    let last: i64 = String::from_utf8_lossy(&last.stdout)
        .trim()
        .parse()
        .unwrap();
    assert!(last < end);
    assert_eq!(rows.len() as i64, (last - start) / 1800);
    let mut known = 0;
    for row in &rows {
        let t: i64 = row[0].parse().unwrap();
        let values = &fetched.iter().find(|f| f.0 == t).unwrap().1;
        let cell = |i: usize| row[i].parse::<f64>().ok();
        // loss is a count, the RTTs are in ms; unknown is an empty cell.
        assert_eq!(cell(2).is_some(), values[1].is_finite(), "{t}");
        if let Some(loss) = cell(2) {
            known += 1;
            assert_eq!(loss, values[1]);
            assert_eq!(cell(3), Some(loss * 10.0));
        }
        for (i, v) in values[2..].iter().enumerate() {
            match cell(4 + i) {
                None => assert!(v.is_nan(), "{t} column {}", 4 + i),
                Some(ms) => assert!((ms - v * 1000.0).abs() < 1e-9, "{t}: {ms} vs {v}"),
            }
        }
    }
    assert_eq!(known, 2);
}

#[test]
fn json_files_per_key_in_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let out = dir.path().join("export");
    let (code, _, stderr) = run(&[
        "export",
        "--rrd",
        rrd.to_str().unwrap(),
        "--monitor",
        "monitor.niit.edu.pk",
        "--format",
        "json",
        "-D",
        out.to_str().unwrap(),
        "--end",
        "2007-02-19",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4);
    assert_eq!(
        names[0],
        "monitor.niit.edu.pk_monalisa.niit.edu.pk_1000_1161475200_1171843200.json"
    );
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(&names[3])).unwrap()).unwrap();
    assert_eq!(doc["remote"], "www.niit.edu.pk");
    let rows = doc["rows"].as_array().unwrap();
    let lost = rows.iter().find(|r| r["time"] == 1_171_760_400).unwrap();
    assert_eq!(lost["loss"], 10.0);
    assert_eq!(lost["loss_percent"], 100.0);
    assert!(lost["median_ms"].is_null());
    let deadline = rows.iter().find(|r| r["time"] == 1_171_758_600).unwrap();
    assert_eq!(deadline["median_ms"], 1.69);
    assert_eq!(deadline["pings_ms"][1], 1.22);

    // Several keys need a directory.
    let (code, _, stderr) = run(&["export", "--rrd", rrd.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("20 keys match"), "{stderr}");
}
