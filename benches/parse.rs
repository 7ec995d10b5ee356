//! Parse throughput (MB/s) on generated data, plain and gzip, and sample computation (lines/s).

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pinger_smokeping::input::archive;
use pinger_smokeping::input::generate::{generate, Plan};
use pinger_smokeping::input::parse::LineParser;
use pinger_smokeping::input::sample::Sampler;
use std::hint::black_box;
use std::path::PathBuf;

/// One generated monitor-day file per format: (plain text, path of the .gz file).
fn inputs(dir: &std::path::Path) -> (Vec<u8>, PathBuf) {
    let plan = |plain| Plan {
        out: dir.join(if plain { "plain" } else { "gz" }),
        monitors: 1,
        remotes: 60,
        days: 1,
        end: 1_200_009_600,
        seed: 3,
        plain,
    };
    generate(&plan(true)).unwrap();
    generate(&plan(false)).unwrap();
    let find = |sub: &str| {
        walkdir::WalkDir::new(dir.join(sub))
            .into_iter()
            .filter_map(|e| e.ok())
            .find(|e| e.file_type().is_file())
            .unwrap()
            .into_path()
    };
    (std::fs::read(find("plain")).unwrap(), find("gz"))
}

fn parse_all(text: &[u8], parser: &mut LineParser) -> usize {
    let mut ok = 0;
    for line in text.split(|&b| b == b'\n') {
        ok += usize::from(matches!(parser.parse(line), Ok(Some(_))));
    }
    ok
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (plain, gz_path) = inputs(dir.path());
    let lines = plain.iter().filter(|&&b| b == b'\n').count() as u64;

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(plain.len() as u64));
    group.bench_function("plain", |b| {
        let mut parser = LineParser::new();
        b.iter(|| black_box(parse_all(black_box(&plain), &mut parser)))
    });
    group.bench_function("gzip (read + decompress + parse)", |b| {
        let (mut parser, mut buffers) = (LineParser::new(), archive::Buffers::default());
        b.iter(|| {
            let mut accepted = 0u64;
            archive::read_file(&gz_path, &mut buffers, |piece| {
                if let archive::Piece::Line(line) = piece {
                    accepted += u64::from(matches!(parser.parse(line), Ok(Some(_))));
                }
            })
            .unwrap();
            black_box(accepted)
        })
    });
    group.bench_function("gzip (read + decompress only)", |b| {
        let mut buffers = archive::Buffers::default();
        b.iter(|| {
            let read = archive::read_file(&gz_path, &mut buffers, |_| {}).unwrap();
            black_box(read.bytes)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("sample");
    group.throughput(Throughput::Elements(lines));
    group.bench_function("parse + sample", |b| {
        let mut parser = LineParser::new();
        let mut sampler = Sampler::new(10);
        let mut out = Vec::with_capacity(lines as usize * 11);
        b.iter(|| {
            out.clear();
            for line in plain.split(|&b| b == b'\n') {
                if let Ok(Some(record)) = parser.parse(line) {
                    sampler.push(&record, &mut out);
                }
            }
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group! {
    name = parse;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(parse);
