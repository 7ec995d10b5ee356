//! `import esmond` and `import esmond-bulk`: PingER's own RRDs back through `serve`'s esmond
//! API (and through the real `esmond-ps-get-bulk`'s files) into equal RRDs; perfSONAR 5
//! (elmond) answers; hostile archives, each with its per-key error while the good keys are
//! written; and SmokePing's CGI drawing an imported file.

use crate::reference::rrdtool_fetch;
use crate::util::{require, run, start_server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The generated archive's last slot, 2026-11-04T00:00Z.
const END: i64 = 1_793_750_400;

/// A generated archive of 2 monitors x 3 remotes over 6 days, backfilled into `dir/rrd`.
fn pinger_tree(dir: &Path) -> PathBuf {
    let (archive, rrd) = (dir.join("archive"), dir.join("rrd"));
    let (code, _, stderr) = run(&[
        "generate",
        "--out",
        archive.to_str().unwrap(),
        "--monitors",
        "2",
        "--remotes",
        "3",
        "--days",
        "6",
        "--end",
        "2026-11-04",
        "--seed",
        "4",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = run(&[
        "backfill",
        "--data",
        archive.to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
        "--end",
        "2026-11-04",
        "--days",
        "6",
    ]);
    assert_eq!(code, 0, "{stderr}");
    rrd
}

/// Every RRD below `rrd`, by path.
fn rrds(rrd: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(rrd)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rrd"))
        .map(|e| e.path().strip_prefix(rrd).unwrap().to_path_buf())
        .collect();
    files.sort();
    files
}

/// Asserts that an imported file equals the original value by value, but for the median of
/// rows whose line had more replies than ping slots: PingER's median came from all its
/// replies, the RRD keeps N of them, and an import can only take the median of those (it
/// must then be their upper median). Returns how many rows were such.
fn assert_equal_rrds(original: &Path, imported: &Path) -> usize {
    let a = rrdtool_fetch(original, END - 7 * 86_400, END);
    let b = rrdtool_fetch(imported, END - 7 * 86_400, END);
    assert_eq!(a.len(), b.len(), "{}", imported.display());
    let same = |x: f64, y: f64| (x.is_nan() && y.is_nan()) || x == y;
    let mut picked = 0;
    for ((t, x), (u, y)) in a.iter().zip(&b) {
        assert_eq!(t, u);
        for (i, (vx, vy)) in x.iter().zip(y).enumerate() {
            if i == 2 && !same(*vx, *vy) {
                let mut kept: Vec<f64> = x[3..].iter().copied().filter(|v| !v.is_nan()).collect();
                kept.sort_by(f64::total_cmp);
                assert_eq!(
                    *vy,
                    kept[kept.len() / 2],
                    "{} {t}: median",
                    imported.display()
                );
                let inside = kept[0] <= *vx && *vx <= kept[kept.len() - 1];
                assert!(
                    inside,
                    "{} {t}: median {vx} outside the kept replies",
                    imported.display()
                );
                picked += 1;
                continue;
            }
            assert!(
                same(*vx, *vy),
                "{} {t} column {i}: {vx} vs {vy}",
                imported.display()
            );
        }
    }
    picked
}

fn import(args: &[&str]) -> (i32, String) {
    let (code, _, stderr) = run(&[&["import"], args].concat());
    (code, stderr)
}

#[test]
fn pinger_through_the_esmond_api_imports_back_to_equal_rrds_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let original = pinger_tree(dir.path());
    let server = start_server(&original);
    let imported = dir.path().join("imported");
    let args = [
        "esmond",
        "--url",
        &server.url,
        "--rrd",
        imported.to_str().unwrap(),
        "--step",
        "1800",
        "--pings",
        "10",
    ];
    let (code, stderr) = import(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("12 measurements") && stderr.contains("12 created"),
        "{stderr}"
    );
    assert_eq!(rrds(&original), rrds(&imported));
    let mut picked = 0;
    for f in rrds(&original) {
        picked += assert_equal_rrds(&original.join(&f), &imported.join(&f));
    }
    eprintln!("rows whose median PingER took from replies the RRD does not keep: {picked}");
    assert_eq!(
        std::fs::read_to_string(original.join("srcdest.txt")).unwrap(),
        std::fs::read_to_string(imported.join("srcdest.txt")).unwrap()
    );
    // Again: the record says what was read; the margin is read again and agrees.
    let before: Vec<_> = rrds(&imported)
        .iter()
        .map(|f| std::fs::read(imported.join(f)).unwrap())
        .collect();
    let (code, stderr) = import(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 created, 0 appended, 0 rebuilt, 12 unchanged"),
        "{stderr}"
    );
    let after: Vec<_> = rrds(&imported)
        .iter()
        .map(|f| std::fs::read(imported.join(f)).unwrap())
        .collect();
    assert!(before == after, "a second import changed a file");
}

#[test]
fn the_real_esmond_bulk_files_import_to_the_same_rrds() {
    let python = crate::esmond::clients();
    if !python {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let original = pinger_tree(dir.path());
    let server = start_server(&original);
    let export = dir.path().join("export");
    std::fs::create_dir_all(&export).unwrap();
    let (code, _, err) = crate::esmond::client(
        "esmond-ps-get-bulk",
        &[
            "-u",
            &server.url,
            "-S",
            "2026-10-28",
            "-E",
            "2026-11-05",
            "-I",
            "-o",
            "json",
            "-D",
            export.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let imported = dir.path().join("imported");
    // The files hold the size written last: the 100-byte keys (see the esmond tests).
    let (code, stderr) = import(&[
        "esmond-bulk",
        export.to_str().unwrap(),
        "--bytes",
        "100",
        "--rrd",
        imported.to_str().unwrap(),
        "--step",
        "1800",
        "--pings",
        "10",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("6 measurements") && stderr.contains("6 created"),
        "{stderr}"
    );
    let hundreds: Vec<PathBuf> = rrds(&original)
        .into_iter()
        .filter(|f| f.to_string_lossy().ends_with("_100_10.rrd"))
        .collect();
    assert_eq!(rrds(&imported), hundreds);
    for f in hundreds {
        assert_equal_rrds(&original.join(&f), &imported.join(&f));
    }
}

/// A tiny HTTP archive on loopback: answers each path (query cut off) with its route, until
/// dropped.
struct Mock {
    url: String,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

/// How the mock answers a path.
#[derive(Clone)]
enum Answer {
    Json(Value),
    Raw(&'static str),
    /// An endless body.
    Endless,
    /// Nothing, ever.
    Silence,
    /// A page of 1,000 points all at this time, whatever is asked.
    Stuck(i64),
}

impl Mock {
    fn start(routes: BTreeMap<String, Answer>) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let routes = Arc::new(routes);
        let stopping = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let routes = routes.clone();
                std::thread::spawn(move || answer(stream, &routes));
            }
        });
        Mock { url, stop }
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
    }
}

fn answer(stream: TcpStream, routes: &BTreeMap<String, Answer>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).map_or(true, |n| n == 0) || header == "\r\n" {
            break;
        }
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap();
    let mut out = stream;
    let send = |out: &mut TcpStream, body: &[u8]| {
        let _ = write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = out.write_all(body);
    };
    match routes.get(path).cloned() {
        None => send(&mut out, b"[]"),
        Some(Answer::Json(v)) => send(&mut out, &serde_json::to_vec(&v).unwrap()),
        Some(Answer::Raw(text)) => send(&mut out, text.as_bytes()),
        Some(Answer::Stuck(ts)) => {
            let page: Vec<Value> = (0..1000)
                .map(|_| json!({"ts": ts, "val": {"10.0": 1}}))
                .collect();
            send(&mut out, &serde_json::to_vec(&page).unwrap());
        }
        Some(Answer::Endless) => {
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n["
            );
            let chunk = vec![b' '; 1 << 20];
            while out.write_all(&chunk).is_ok() {}
        }
        Some(Answer::Silence) => {
            let mut sink = [0u8; 1];
            let _ = out.set_read_timeout(Some(Duration::from_secs(30)));
            let _ = out.read(&mut sink);
        }
    }
}

/// A metadata object in elmond's shape (perfSONAR 5): 64-hex key, integer values and
/// windows, base URIs ending `/base/0`, the pscheduler-run-href event type.
fn elmond_metadata(key: &str, source: &str, ets: &[&str]) -> Value {
    let ets: Vec<Value> = ets
        .iter()
        .map(|et| {
            json!({
                "event-type": et,
                "base-uri": format!("/esmond/perfsonar/archive/{key}/{et}/base/0"),
                "summaries": [{"summary-type": "statistics", "summary-window": 0,
                               "uri": format!("/esmond/perfsonar/archive/{key}/{et}/statistics/0")}],
                "time-updated": 1_793_750_000,
            })
        })
        .collect();
    json!({
        "metadata-key": key, "subject-type": "point-to-point",
        "source": source, "destination": "10.1.1.1", "measurement-agent": source,
        "tool-name": "pscheduler/powstream", "ip-packet-size": 512,
        "event-types": ets,
    })
}

fn base(key: &str, et: &str) -> String {
    format!("/esmond/perfsonar/archive/{key}/{et}/base/0")
}

#[test]
fn perfsonar_5_answers_import_and_statistics_only_keys_are_skipped() {
    let (good, rtt) = ("a".repeat(64), "b".repeat(64));
    let mut routes = BTreeMap::new();
    routes.insert(
        "/esmond/perfsonar/archive/".to_string(),
        Answer::Json(json!([
            elmond_metadata(
                &good,
                "10.0.0.1",
                &[
                    "pscheduler-run-href",
                    "histogram-owdelay",
                    "packet-count-sent",
                    "packet-count-lost"
                ]
            ),
            elmond_metadata(
                &rtt,
                "10.0.0.2",
                &["pscheduler-run-href", "histogram-rtt", "packet-loss-rate"]
            ),
        ])),
    );
    // latencybg: a histogram a minute, 600 packets each, 6 of them lost.
    let t0 = 1_793_700_000;
    let minutes: Vec<i64> = (0..30).map(|m| t0 + 60 * m).collect();
    let hist: Vec<Value> = minutes
        .iter()
        .map(|t| json!({"ts": t, "val": {"20.00": 300, "21.50": 200, "35.10": 94}}))
        .collect();
    let sent: Vec<Value> = minutes
        .iter()
        .map(|t| json!({"ts": t, "val": 600}))
        .collect();
    let lost: Vec<Value> = minutes.iter().map(|t| json!({"ts": t, "val": 6})).collect();
    routes.insert(base(&good, "histogram-owdelay"), Answer::Json(json!(hist)));
    routes.insert(base(&good, "packet-count-sent"), Answer::Json(json!(sent)));
    routes.insert(base(&good, "packet-count-lost"), Answer::Json(json!(lost)));
    // An rtt test in perfSONAR 5: empty histograms, statistics only.
    let empty: Vec<Value> = minutes
        .iter()
        .map(|t| json!({"ts": t, "val": {}}))
        .collect();
    routes.insert(base(&rtt, "histogram-rtt"), Answer::Json(json!(empty)));
    routes.insert(
        base(&rtt, "packet-loss-rate"),
        Answer::Json(json!([{"ts": t0, "val": 0.0}])),
    );
    let mock = Mock::start(routes);
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let (code, stderr) = import(&["esmond", "--url", &mock.url, "--rrd", rrd.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("2 measurements"), "{stderr}");
    assert!(stderr.contains("1 created"), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "skipped: 10.0.0.2 to 10.1.1.1 ({rtt}): no histogram: skipped"
        )),
        "{stderr}"
    );
    // 300-second steps of 5 minutes' packets: 3000 sent, 30 lost: loss round(20 * 30 / 3000)
    // = 0, and 20 values at the quantiles (i - 0.5) / 20 of the 2,970 received.
    let file = rrd.join("10_0_0_1/10_1_1_1_512_20.rrd");
    let rows = rrdtool_fetch(&file, t0 - 600, t0 + 1800);
    let full: Vec<&(i64, Vec<f64>)> = rows
        .iter()
        .filter(|(t, v)| *t > t0 && *t <= t0 + 1500 && !v[1].is_nan())
        .collect();
    assert!(!full.is_empty(), "{rows:?}");
    for (_, v) in full {
        assert_eq!(v[1], 0.0);
        // 300 of 594 a minute at 20.00 ms: more than half, so the median is 20 ms.
        assert_eq!(v[2], 0.02, "the upper median");
        // Quantiles 0.025..0.475 fall in the first 300 of 594 a minute: 20 ms; then 21.5; the
        // last three above 84 %: 35.1.
        let pings: Vec<f64> = v[3..].to_vec();
        assert_eq!(
            pings.iter().filter(|&&p| p == 0.02).count(),
            10,
            "{pings:?}"
        );
        assert_eq!(
            pings.iter().filter(|&&p| p == 0.0351).count(),
            3,
            "{pings:?}"
        );
    }
}

#[test]
fn hostile_archives_fail_their_keys_only() {
    let good = "0".repeat(32);
    let bad_keys: Vec<(String, &str, Answer)> = vec![
        (
            "1".repeat(32),
            "not JSON",
            Answer::Raw("<html>Internal error</html>"),
        ),
        (
            "2".repeat(32),
            "negative bucket",
            Answer::Json(json!([{"ts": 1_793_700_000, "val": {"-3.0": 4}}])),
        ),
        (
            "3".repeat(32),
            "not a number",
            Answer::Json(json!([{"ts": 1_793_700_000, "val": {"fast": 4}}])),
        ),
        (
            "4".repeat(32),
            "overflow",
            Answer::Json(json!([
            {"ts": 1_793_699_990, "val": {"3.0": u64::MAX - 1}},
            {"ts": 1_793_700_000, "val": {"3.0": 2}}])),
        ),
        ("5".repeat(32), "stuck page", Answer::Stuck(1_793_700_000)),
        ("6".repeat(32), "endless body", Answer::Endless),
        ("7".repeat(32), "silence", Answer::Silence),
    ];
    let esmond_meta = |key: &str, n: usize| {
        json!({
            "metadata-key": key, "source": format!("s{n}.example.org"),
            "destination": "d.example.org", "ip-packet-size": "100",
            "event-types": [
                {"event-type": "histogram-rtt", "base-uri": format!("/esmond/perfsonar/archive/{key}/histogram-rtt/base")},
                {"event-type": "packet-count-sent", "base-uri": format!("/esmond/perfsonar/archive/{key}/packet-count-sent/base")},
            ]
        })
    };
    let mut list = vec![esmond_meta(&good, 0)];
    let mut routes = BTreeMap::new();
    for (n, (key, _, answer)) in bad_keys.iter().enumerate() {
        list.push(esmond_meta(key, n + 1));
        routes.insert(
            format!("/esmond/perfsonar/archive/{key}/histogram-rtt/base"),
            answer.clone(),
        );
    }
    routes.insert(
        "/esmond/perfsonar/archive/".to_string(),
        Answer::Json(json!(list)),
    );
    routes.insert(
        format!("/esmond/perfsonar/archive/{good}/histogram-rtt/base"),
        Answer::Json(json!([{"ts": 1_793_700_000, "val": {"12.5": 10}}])),
    );
    let mock = Mock::start(routes);
    let dir = tempfile::tempdir().unwrap();
    let rrd = dir.path().join("rrd");
    let started = std::time::Instant::now();
    let (code, stderr) = import(&[
        "esmond",
        "--url",
        &mock.url,
        "--rrd",
        rrd.to_str().unwrap(),
        "--timeout",
        "3",
        "--retries",
        "1",
    ]);
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(code, 1, "{stderr}");
    // The good key is written; each bad one fails with its reason.
    assert!(stderr.contains("1 created"), "{stderr}");
    assert!(rrd.join("s0_example_org/d_example_org_100_20.rrd").exists());
    for (n, (key, why, _)) in bad_keys.iter().enumerate() {
        let line = stderr
            .lines()
            .find(|l| l.contains("failed: ") && l.contains(key.as_str()))
            .unwrap_or_else(|| panic!("{why}: no failure line in {stderr}"));
        let expected = [
            "not JSON",
            "bucket `-3.0` is not an RTT",
            "bucket `fast` is not a number",
            "the counts of a step overflow",
            "outside or out of order",
            "more than 64 MB",
            "timed out",
        ][n];
        assert!(
            line.to_lowercase().contains(&expected.to_lowercase()),
            "{why}: {line}"
        );
    }
    // Silence waits out its time-out twice (one retry): nothing hangs past it.
    assert!(seconds < 30.0, "{seconds} s");
}

#[test]
fn smokepings_cgi_draws_an_imported_rrd() {
    let cgi = "/usr/share/smokeping/smokeping.cgi";
    if !require(&[cgi]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let original = pinger_tree(dir.path());
    let server = start_server(&original);
    let imported = dir.path().join("imported");
    // SmokePing's own layout: 300-second steps, 20 pings.
    let (code, stderr) = import(&[
        "esmond",
        "--url",
        &server.url,
        "--rrd",
        imported.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (cache, var) = (dir.path().join("cache"), dir.path().join("var"));
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::create_dir_all(&var).unwrap();
    let config = dir.path().join("config");
    let (code, _, stderr) = run(&[
        "smokeping-config",
        "--rrd",
        imported.to_str().unwrap(),
        "-o",
        config.to_str().unwrap(),
        "--imgcache",
        cache.to_str().unwrap(),
        "--piddir",
        var.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("step  = 300") && text.contains("pings = 20"),
        "{text}"
    );
    let out = std::process::Command::new(cgi)
        .arg(&config)
        .current_dir(dir.path())
        .env("REQUEST_METHOD", "GET")
        .env(
            "QUERY_STRING",
            "target=pinger_mon00_example_edu.www_site000_example_org_1000_20;displaymode=a;start=1793300000;end=1793750400",
        )
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_SOFTWARE", "x")
        .env("SCRIPT_NAME", "/cgi-bin/smokeping.cgi")
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout[..out.stdout.len().min(200)]).into_owned();
    assert!(
        head.starts_with("Content-Type: image/png"),
        "{head}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.windows(4).any(|w| w == b"\x89PNG"));
}
