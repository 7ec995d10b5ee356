//! The esmond archive API of `serve`, timed over HTTP on loopback: the metadata list of
//! every key (one page of 1,500) and one key's whole `histogram-rtt` (5,760 points for 120
//! days), each with a cold and a warm cache.
//!
//! - cold: a fresh `serve` process (its caches empty) and, when this process may (root), the
//!   OS page cache dropped first; the first request is timed;
//! - warm: the same request again on a server that has answered it.
//!
//! The tree: `PINGER_BENCH_TREE=/path/to/rrd` (the README's figures: 10,000 keys over 120
//! days, `generate --monitors 50 --remotes 100 --days 120` then `backfill`); without it, a
//! small generated one, so that the bench always runs.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_pinger-smokeping");

/// A `serve` process and its base URL; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(rrd: &Path) -> Server {
    let mut child = Command::new(BIN)
        .env("PINGER_SMOKEPING_CONFIG", "/dev/null")
        .args([
            "serve",
            "--rrd",
            rrd.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("serve: listening on ")
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    Server { child, url }
}

fn get(url: &str) -> Vec<u8> {
    let mut response = ureq::get(url).call().unwrap();
    response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()
        .unwrap()
}

/// Drops the OS page cache when this process may; says whether it did.
fn drop_page_cache() -> bool {
    let _ = Command::new("sync").status();
    std::fs::write("/proc/sys/vm/drop_caches", "3").is_ok()
}

fn tree() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = std::env::var_os("PINGER_BENCH_TREE") {
        return (PathBuf::from(dir), None);
    }
    let dir = tempfile::tempdir().unwrap();
    let (archive, rrd) = (dir.path().join("archive"), dir.path().join("rrd"));
    let run = |args: &[&str]| {
        let ok = Command::new(BIN)
            .env("PINGER_SMOKEPING_CONFIG", "/dev/null")
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "{args:?}");
    };
    run(&[
        "-q",
        "generate",
        "--out",
        archive.to_str().unwrap(),
        "--monitors",
        "4",
        "--remotes",
        "25",
        "--days",
        "5",
        "--end",
        "2026-11-01",
    ]);
    run(&[
        "-q",
        "backfill",
        "--data",
        archive.to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
        "--end",
        "2026-11-01",
        "--days",
        "5",
    ]);
    (rrd, Some(dir))
}

fn esmond(c: &mut Criterion) {
    let (rrd, _dir) = tree();
    let server = start(&rrd);
    let list = format!("{}/esmond/perfsonar/archive/?time-start=0", server.url);
    let metadata: serde_json::Value = serde_json::from_slice(&get(&list)).unwrap();
    let total = metadata[0]["metadata-count-total"].as_u64().unwrap();
    let key = metadata[0]["metadata-key"].as_str().unwrap().to_string();
    drop(server);
    let histogram = format!("/esmond/perfsonar/archive/{key}/histogram-rtt/base?limit=10000");
    let dropped = drop_page_cache();
    eprintln!(
        "esmond bench: {total} keys in {}; OS page cache {} before each cold request",
        rrd.display(),
        if dropped {
            "dropped"
        } else {
            "NOT dropped (not root)"
        }
    );

    let mut group = c.benchmark_group("esmond");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    for (name, path) in [
        (
            "metadata list",
            "/esmond/perfsonar/archive/?time-start=0".to_string(),
        ),
        ("histogram-rtt of one key", histogram),
    ] {
        group.bench_function(format!("{name}, cold"), |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let server = start(&rrd);
                    drop_page_cache();
                    let started = Instant::now();
                    get(&format!("{}{path}", server.url));
                    spent += started.elapsed();
                }
                spent
            })
        });
        let server = start(&rrd);
        let url = format!("{}{path}", server.url);
        get(&url);
        group.bench_function(format!("{name}, warm"), |b| b.iter(|| get(&url)));
    }
    group.finish();
}

criterion_group!(benches, esmond);
criterion_main!(benches);
