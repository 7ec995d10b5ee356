//! `serve` as a perfSONAR esmond archive, read by the real esmond clients (PyPI
//! esmond-client 4.2.1, unmodified, under pyenv's Python 2.7; `make test` installs them into
//! target/esmond-client): endpoints, metadata, data and bulk exports, the Python library, and
//! paging, with every value checked against `rrdtool fetch` of the same file.

use crate::reference::rrdtool_fetch;
use crate::util::{require, run, start_server, Server};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where `make test` installs the clients.
fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/esmond-client")
}

fn python27() -> PathBuf {
    let root = Command::new("pyenv")
        .arg("root")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| format!("{}/.pyenv", std::env::var("HOME").unwrap_or_default()));
    Path::new(&root).join("versions/2.7.18/bin/python2.7")
}

/// Whether the clients are there (under CI they must be).
pub(crate) fn clients() -> bool {
    let script = client_dir().join("bin/esmond-ps-get");
    let python = python27();
    require(&[python.to_str().unwrap(), script.to_str().unwrap()])
}

/// Runs an esmond client program; returns (exit code, stdout, stderr).
pub(crate) fn client(program: &str, args: &[&str]) -> (i32, String, String) {
    let site = client_dir().join("lib/python2.7/site-packages");
    let out = Command::new(python27())
        .arg(client_dir().join("bin").join(program))
        .args(args)
        .env("PYTHONPATH", site)
        .env("PYTHONWARNINGS", "ignore")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The window of the generated archive, as the clients' -S/-E.
const S: &str = "2026-10-09";
const E: &str = "2026-11-05";

/// A backfilled tree of 2 monitors x 3 remotes x 2 sizes over 25 days (1,200 slots a key),
/// served.
struct Tree {
    _dir: tempfile::TempDir,
    rrd: PathBuf,
    server: Server,
}

impl Tree {
    fn new() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let (archive, rrd) = (dir.path().join("archive"), dir.path().join("rrd"));
        let (code, _, stderr) = run(&[
            "generate",
            "--out",
            archive.to_str().unwrap(),
            "--monitors",
            "2",
            "--remotes",
            "3",
            "--days",
            "25",
            "--end",
            "2026-11-04",
            "--seed",
            "3",
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
            "25",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let server = start_server(&rrd);
        Tree {
            _dir: dir,
            rrd,
            server,
        }
    }

    /// The metadata list, as the API answers it (one page is all of it here).
    fn metadata(&self) -> Vec<Value> {
        let (status, content_type, body) = get_raw(&format!(
            "{}/esmond/perfsonar/archive/?time-start=0",
            self.server.url
        ));
        assert_eq!(status, 200);
        assert_eq!(content_type, "application/json");
        serde_json::from_slice::<Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// The metadata object of the key with these names and size.
    fn key(&self, source: &str, destination: &str, bytes: u32) -> Value {
        self.metadata()
            .into_iter()
            .find(|m| {
                m["source"] == source
                    && m["destination"] == destination
                    && m["ip-packet-size"].as_str().and_then(|s| s.parse().ok()) == Some(bytes)
            })
            .unwrap_or_else(|| panic!("no metadata for {source} {destination} {bytes}"))
    }

    /// A key's RRD file.
    fn file(&self, source: &str, destination: &str, bytes: u32) -> PathBuf {
        let name = pinger_smokeping::model::key::smokeping_name;
        self.rrd
            .join(name(source))
            .join(format!("{}_{bytes}_10.rrd", name(destination)))
    }
}

/// A GET with the exact Content-Type header.
fn get_raw(url: &str) -> (u16, String, Vec<u8>) {
    let answer = crate::util::http("GET", url, None, std::time::Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let content_type = answer.header("content-type").unwrap_or("").to_string();
    (answer.status, content_type, answer.body)
}

/// A key's slots as `rrdtool fetch` reads them: time -> (loss, pings in ms, 3 decimals).
fn fetched(file: &Path) -> BTreeMap<i64, (f64, Vec<String>)> {
    let end = 1_793_750_400; // 2026-11-04T00:00Z
    rrdtool_fetch(file, end - 26 * 86_400, end)
        .into_iter()
        .filter(|(_, v)| v[1].is_finite())
        .map(|(t, v)| {
            let pings = v[3..]
                .iter()
                .filter(|p| p.is_finite())
                .map(|p| format!("{:.3}", (p * 1e6).round() / 1e3))
                .collect();
            (t, (v[1], pings))
        })
        .collect()
}

/// A client's `timestamp` (`2026-11-03 00:30:00`, UTC) as Unix seconds.
fn ts(text: &str) -> i64 {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .unwrap()
        .and_utc()
        .timestamp()
}

/// A histogram's buckets as sorted (bucket, count) pairs; `from_pings` counts a slot's pings.
fn buckets(histogram: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = histogram
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    out.sort();
    out
}

fn from_pings(pings: &[String]) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for p in pings {
        *counts.entry(p.clone()).or_default() += 1;
    }
    counts.into_iter().collect()
}

/// The lossy path of the generated archive: slots with no loss, partial loss and total loss.
const MONITOR: &str = "pinger.mon01.example.edu";
const REMOTE: &str = "www.site002.example.org";

#[test]
fn endpoints_and_metadata_list_every_key_with_its_size() {
    if !clients() {
        return;
    }
    let tree = Tree::new();
    let url = tree.server.url.as_str();
    // -I: the names as the archive gives them (getfqdn would ask DNS for each).
    let (code, out, err) = client(
        "esmond-ps-get-endpoints",
        &["-u", url, "-S", S, "-E", E, "-I"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("tool_name: pinger/ping").count(), 12, "{out}");
    for m in ["pinger.mon00.example.edu", "pinger.mon01.example.edu"] {
        for r in ["www.site000.example.org", "www.site001.example.org", REMOTE] {
            assert!(
                out.contains(&format!("source: {m}\ndestination: {r}\n")),
                "{m} {r}: {out}"
            );
        }
    }
    assert!(out.contains(
        "event_type: histogram-rtt, packet-count-lost, packet-count-sent, packet-loss-rate"
    ));
    for filter in [["-e", "histogram-rtt"], ["-t", "pinger/ping"]] {
        let (code, out, _) = client(
            "esmond-ps-get-endpoints",
            &["-u", url, "-S", S, "-E", E, "-I", filter[0], filter[1]],
        );
        assert_eq!(code, 0);
        assert_eq!(
            out.matches("tool_name: pinger/ping").count(),
            12,
            "{filter:?}"
        );
    }
    let (_, out, _) = client(
        "esmond-ps-get-endpoints",
        &["-u", url, "-S", S, "-E", E, "-I", "-t", "bwctl/ping"],
    );
    assert!(out.contains("No data found"), "{out}");

    let (code, out, err) = client(
        "esmond-ps-get-metadata",
        &["-u", url, "-S", S, "-E", E, "-M"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("ip_packet_size: 1000\n").count(), 6, "{out}");
    assert_eq!(out.matches("ip_packet_size: 100\n").count(), 6, "{out}");
    assert_eq!(out.matches("sample_size: 10\n").count(), 12, "{out}");
    assert!(out.contains("metadata_count_total: 12"), "{out}");
}

#[test]
fn esmond_ps_get_prints_what_rrdtool_fetch_reads() {
    if !clients() {
        return;
    }
    let tree = Tree::new();
    let url = tree.server.url.as_str();
    let meta = tree.key(MONITOR, REMOTE, 1000);
    let filter = format!("metadata_key:{}", meta["metadata-key"].as_str().unwrap());
    let (source, destination) = (format!("source:{MONITOR}"), format!("destination:{REMOTE}"));
    let slots = fetched(&tree.file(MONITOR, REMOTE, 1000));
    let kinds = |f: fn(f64) -> bool| slots.values().filter(|(l, _)| f(*l)).count();
    assert!(
        kinds(|l| l == 0.0) > 0 && kinds(|l| l > 0.0 && l < 10.0) > 0 && kinds(|l| l == 10.0) > 0
    );
    // The clients need resolvable -s/-d; -F source/destination/metadata_key pick the key.
    let get = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec![
            "-u",
            url,
            "-S",
            S,
            "-E",
            E,
            "-s",
            "127.0.0.1",
            "-d",
            "127.0.0.1",
            "-F",
            &source,
            "-F",
            &destination,
            "-F",
            &filter,
            "-o",
            "json",
        ];
        args.extend(extra);
        let (code, out, err) = client("esmond-ps-get", &args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out)
            .unwrap_or_else(|e| panic!("{e}: {out}"))
            .as_array()
            .unwrap()
            .clone()
    };

    let loss = get(&["-e", "packet-loss-rate"]);
    assert_eq!(loss.len(), slots.len());
    for row in &loss {
        let (l, _) = &slots[&ts(row["timestamp"].as_str().unwrap())];
        assert!(
            (row["value"].as_f64().unwrap() - l / 10.0).abs() < 1e-12,
            "{row}"
        );
    }
    let sent = get(&["-e", "packet-count-sent"]);
    assert!(sent.iter().all(|r| r["value"].as_f64() == Some(10.0)));
    assert_eq!(sent.len(), slots.len());

    // Histograms: every slot with a reply, its pings as `rrdtool fetch` prints them.
    let histograms = get(&["-e", "histogram-rtt"]);
    assert_eq!(histograms.len(), kinds(|l| l < 10.0));
    for row in &histograms {
        let (_, pings) = &slots[&ts(row["timestamp"].as_str().unwrap())];
        assert_eq!(buckets(&row["value"]), from_pings(pings), "{row}");
        assert_eq!(row["bucket"], "0.001");
    }

    // Statistics of each slot: the extremes and the mean of its pings.
    let stats = get(&["-e", "histogram-rtt", "-T", "statistics", "-W", "0"]);
    assert_eq!(stats.len(), histograms.len());
    for row in &stats {
        let (_, pings) = &slots[&ts(row["timestamp"].as_str().unwrap())];
        let ms: Vec<f64> = pings.iter().map(|p| p.parse().unwrap()).collect();
        let min = ms.iter().copied().fold(f64::MAX, f64::min);
        let max = ms.iter().copied().fold(f64::MIN, f64::max);
        let mean = ms.iter().sum::<f64>() / ms.len() as f64;
        assert!((row["min"].as_f64().unwrap() - min).abs() < 1e-9, "{row}");
        assert!((row["max"].as_f64().unwrap() - max).abs() < 1e-9, "{row}");
        assert!((row["mean"].as_f64().unwrap() - mean).abs() < 1e-6, "{row}");
    }
}

#[test]
fn bulk_exports_every_key_and_event_type_with_data() {
    if !clients() {
        return;
    }
    let tree = Tree::new();
    let url = tree.server.url.as_str();
    let out_dir = tempfile::tempdir().unwrap();
    let dir = out_dir.path().to_str().unwrap();
    for format in ["json", "csv"] {
        let (code, out, err) = client(
            "esmond-ps-get-bulk",
            &["-u", url, "-S", S, "-E", E, "-I", "-o", format, "-D", dir],
        );
        assert_eq!(code, 0, "{err}");
        // 12 keys x 4 event types, all with data; a pair's two sizes share a file name.
        let writing: Vec<&str> = out
            .lines()
            .filter_map(|l| l.trim().strip_prefix("* writing "))
            .collect();
        assert_eq!(writing.len(), 48, "{out}");
        let mut files: Vec<&str> = writing.clone();
        files.sort_unstable();
        files.dedup();
        assert_eq!(files.len(), 24, "{files:?}");
        assert!(files.iter().all(|f| Path::new(f).exists()));
    }
    // Each file holds the size written last: the list is in key order, `_1000_` before
    // `_100_`, so the 100-byte key's data.
    let name = format!("{dir}/{MONITOR}_{REMOTE}_packet-loss-rate_{S}_{E}.json");
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&name).unwrap()).unwrap();
    let slots = fetched(&tree.file(MONITOR, REMOTE, 100));
    assert_eq!(rows.len(), slots.len());
    for row in &rows {
        let (l, _) = &slots[&ts(row["timestamp"].as_str().unwrap())];
        assert!(
            (row["value"].as_f64().unwrap() - l / 10.0).abs() < 1e-12,
            "{row}"
        );
    }
    let name = format!("{dir}/{MONITOR}_{REMOTE}_histogram-rtt_{S}_{E}.json");
    let rows: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&name).unwrap()).unwrap();
    for row in &rows {
        let (_, pings) = &slots[&ts(row["timestamp"].as_str().unwrap())];
        assert_eq!(buckets(&row["value"]), from_pings(pings), "{row}");
    }
    // CSV: a header, then one row a slot (histograms are Python 2 reprs, as the client writes
    // them).
    let csv = std::fs::read_to_string(format!(
        "{dir}/{MONITOR}_{REMOTE}_packet-count-lost_{S}_{E}.csv"
    ))
    .unwrap();
    assert_eq!(csv.lines().count(), slots.len() + 1, "{csv}");
}

#[test]
fn the_python_library_walks_metadata_event_types_and_data() {
    if !clients() {
        return;
    }
    let tree = Tree::new();
    let script = format!(
        r#"
from esmond_client.perfsonar.query import ApiConnect, ApiFilters
import datetime
f = ApiFilters()
f.time_start = 1790000000
f.time_end = 1793800000
f.tool_name = 'pinger/ping'
f.input_destination = '{REMOTE}'
conn = ApiConnect('{url}', f)
for md in conn.get_metadata():
    et = md.get_event_type('packet-count-lost')
    d = et.get_data()
    s = et.get_summary('aggregation', 86400)
    # Metadata.get_freeform_key_value is broken in 4.2.1 (a property with an argument).
    size = md._data['ip-packet-size']
    print md.source, md.destination, size, md.metadata_key, len(d.data), len(s.get_data().data)
"#,
        url = tree.server.url
    );
    let site = client_dir().join("lib/python2.7/site-packages");
    let out = Command::new(python27())
        .args(["-c", &script])
        .env("PYTHONPATH", site)
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    // Two monitors x two sizes measure this remote.
    assert_eq!(lines.len(), 4, "{text}");
    for line in lines {
        let f: Vec<&str> = line.split(' ').collect();
        assert_eq!(f[1], REMOTE);
        let slots = fetched(&tree.file(f[0], f[1], f[2].parse().unwrap()));
        assert_eq!(f[4].parse::<usize>().unwrap(), slots.len(), "{line}");
        // One daily sum a day with slots.
        let mut days: Vec<i64> = slots.keys().map(|t| t.div_euclid(86_400)).collect();
        days.dedup();
        assert_eq!(f[5].parse::<usize>().unwrap(), days.len(), "{line}");
    }
}

#[test]
fn more_than_a_thousand_points_are_paged_by_the_client_and_each_comes_once() {
    if !clients() {
        return;
    }
    let tree = Tree::new();
    let url = tree.server.url.as_str();
    // A path measured all 25 days: 1,200 slots.
    let remote = "www.site000.example.org";
    let meta = tree.key(MONITOR, remote, 100);
    let filter = format!("metadata_key:{}", meta["metadata-key"].as_str().unwrap());
    let (source, destination) = (format!("source:{MONITOR}"), format!("destination:{remote}"));
    let (code, out, err) = client(
        "esmond-ps-get",
        &[
            "-u",
            url,
            "-S",
            S,
            "-E",
            E,
            "-s",
            "127.0.0.1",
            "-d",
            "127.0.0.1",
            "-F",
            &source,
            "-F",
            &destination,
            "-F",
            &filter,
            "-e",
            "packet-count-lost",
            "-o",
            "json",
            "-v",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The client's -v lines say how many requests it made: more than one.
    let said: Vec<&str> = out.lines().filter(|l| l.contains("** got ")).collect();
    assert!(
        said.len() >= 2 && said[0].contains("got 1000 results"),
        "{said:?}"
    );
    let json_start = out.rfind("\n[").unwrap() + 1;
    let rows: Vec<Value> = serde_json::from_str(&out[json_start..]).unwrap();
    let slots = fetched(&tree.file(MONITOR, remote, 100));
    assert!(slots.len() > 1000);
    let mut seen: Vec<i64> = rows
        .iter()
        .map(|r| ts(r["timestamp"].as_str().unwrap()))
        .collect();
    assert_eq!(seen.len(), slots.len());
    seen.dedup();
    assert_eq!(seen.len(), slots.len(), "a point came twice");
    assert!(seen.iter().zip(slots.keys()).all(|(a, b)| a == b));
}

#[test]
fn bad_requests_get_esmonds_answers_and_a_flood_leaves_serve_up() {
    let tree = Tree::new();
    let base = format!("{}/esmond/perfsonar/archive", tree.server.url);
    let mkey = tree.key(MONITOR, REMOTE, 1000)["metadata-key"]
        .as_str()
        .unwrap()
        .to_string();
    let detail = |url: &str, status: u16| -> String {
        let (got, content_type, body) = get_raw(url);
        assert_eq!(got, status, "{url}: {}", String::from_utf8_lossy(&body));
        assert_eq!(content_type, "application/json", "{url}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        v["detail"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(
        detail(&format!("{base}/?time-start=yesterday"), 400),
        "Time parameter must be an integer"
    );
    assert_eq!(
        detail(
            &format!("{base}/{mkey}/histogram-rtt/base?time-start=20&time-end=10"),
            400
        ),
        "Requested start time must be less than end time"
    );
    assert_eq!(
        detail(&format!("{base}/{mkey}/histogram-rtt-x/base"), 400),
        "Unsupported event type 'histogram-rtt-x' provided"
    );
    assert_eq!(
        detail(&format!("{base}/{mkey}/histogram-rtt/statistics/x"), 400),
        "Summary window parameter must be an integer"
    );
    assert_eq!(
        detail(&format!("{base}/?summary-window=x"), 400),
        "Summary window parameter must be an integer"
    );
    assert!(detail(
        &format!("{base}/{mkey}/histogram-rtt/base?limit=100000"),
        400
    )
    .contains("at most 10000"));
    assert_eq!(detail(&format!("{base}/0123/"), 404), "Not found.");
    // An event type esmond knows that PingER keys lack, and an unknown key: no data.
    for url in [
        format!("{base}/{mkey}/histogram-owdelay/base"),
        format!("{base}/0123/histogram-rtt/base"),
    ] {
        let (status, _, body) = get_raw(&url);
        assert_eq!((status, body.as_slice()), (200, b"[]".as_slice()), "{url}");
    }
    // Paging: limit and offset, inclusive times, sorted, with a Link header.
    let page = |q: &str| -> Vec<i64> {
        let (_, _, body) = get_raw(&format!("{base}/{mkey}/packet-count-sent/base?{q}"));
        let rows: Vec<Value> = serde_json::from_slice(&body).unwrap();
        rows.iter().map(|r| r["ts"].as_i64().unwrap()).collect()
    };
    let all = page("limit=10000");
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        page(&format!("time-start={}&time-end={}", all[3], all[5])),
        all[3..=5]
    );
    assert_eq!(page("limit=2&offset=4"), all[4..6]);
    let answer = crate::util::http(
        "GET",
        &format!("{base}/?limit=5"),
        None,
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    let link = answer.header("link").unwrap_or_default().to_string();
    assert!(
        link.contains("offset=5") && link.contains("rel=\"next\""),
        "{link}"
    );
    let first: Vec<Value> = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(first.len(), 5);
    assert_eq!(first[0]["metadata-count-total"], 12);

    // A flood of malformed and good requests at once: each is answered, and serve stays up.
    let urls: Vec<String> = (0..300)
        .map(|i| match i % 6 {
            0 => format!("{base}/?time-start=%ff%00{i}"),
            1 => format!("{base}/{mkey}/histogram-rtt/statistics/86400?limit={i}"),
            2 => format!("{base}/{mkey}/histogram-rtt/base?time-end=-{i}&time-start=9"),
            3 => format!(
                "{base}/{}/packet-loss-rate/aggregations/86400",
                "f".repeat(i)
            ),
            4 => format!("{base}/?source=x&destination=&ip-packet-size={i}&limit=abc"),
            _ => format!("{base}/{mkey}/histogram-rtt/base?limit=1000"),
        })
        .collect();
    let threads: Vec<_> = urls
        .into_iter()
        .map(|url| {
            std::thread::spawn(move || {
                crate::util::http("GET", &url, None, std::time::Duration::from_secs(60))
                    .unwrap_or_else(|e| panic!("{url}: {e}"))
                    .status
            })
        })
        .collect();
    for t in threads {
        let status = t.join().unwrap();
        assert!([200, 400, 404, 503].contains(&status), "{status}");
    }
    assert_eq!(get_raw(&format!("{base}/?limit=1")).0, 200);
}
