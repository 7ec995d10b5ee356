//! RRD costs through librrd: create (files/s), one batched update versus one call per sample
//! (samples/s), and an end-to-end backfill of a small generated archive (samples/s).
//!
//! Files go to `$PINGER_BENCH_DIR` when set (to run the same bench on NFS or a local disk),
//! else to a temporary directory.

// criterion_group! generates an undocumented function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pinger_smokeping::input::collect::{collect, Selection};
use pinger_smokeping::input::generate::{generate, Plan};
use pinger_smokeping::model::key::Filter;
use pinger_smokeping::model::progress::Silent;
use pinger_smokeping::model::window::Window;
use pinger_smokeping::rrd::store::{self, Layout, UpdateBatch};
use pinger_smokeping::run::convert::{convert, format_updates, Commits, Mode, Target};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

const END: i64 = 1_200_009_600;

fn bench_dir() -> tempfile::TempDir {
    match std::env::var_os("PINGER_BENCH_DIR") {
        Some(dir) => {
            std::fs::create_dir_all(&dir).unwrap();
            tempfile::tempdir_in(dir).unwrap()
        }
        None => tempfile::tempdir().unwrap(),
    }
}

fn benches(c: &mut Criterion) {
    let dir = bench_dir();
    let archive = dir.path().join("archive");
    generate(&Plan {
        out: archive.clone(),
        monitors: 1,
        remotes: 5,
        days: 120,
        end: END,
        seed: 5,
        plain: false,
    })
    .unwrap();
    let layout = Layout::pinger_default();
    let selection = Selection {
        data: archive.clone(),
        window: Window::new(END, 120, layout.step),
        pings: layout.pings,
        filter: Filter::default(),
        seen: None,
    };
    let collection = collect(&selection, &Silent);
    let series = collection.series(0);
    let start = series.slots[0] - i64::from(layout.step);
    let mut batch = UpdateBatch::new();
    format_updates(&series, 0, start, layout.step, &mut batch);
    let per_sample: Vec<UpdateBatch> = (0..batch.len())
        .map(|i| {
            let mut one = UpdateBatch::new();
            one.begin();
            one.push(batch.get(i).as_bytes());
            one
        })
        .collect();
    let counter = AtomicUsize::new(0);
    let fresh = || -> PathBuf {
        dir.path()
            .join(format!("f{}.rrd", counter.fetch_add(1, Ordering::Relaxed)))
    };

    let mut group = c.benchmark_group("rrd");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    group.bench_function("create (files)", |b| {
        b.iter_batched(
            fresh,
            |path| store::create(&path, &layout, start).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(series.len() as u64));
    group.bench_function("update, one batched call (samples)", |b| {
        b.iter_batched(
            || {
                let path = fresh();
                store::create(&path, &layout, start).unwrap();
                (path, batch.clone())
            },
            |(path, mut batch)| store::update(&path, &mut batch).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(500));
    group.bench_function("update, one call per sample (samples)", |b| {
        b.iter_batched(
            || {
                let path = fresh();
                store::create(&path, &layout, start).unwrap();
                (path, per_sample[..500].to_vec())
            },
            |(path, mut updates)| {
                for u in updates.iter_mut() {
                    store::update(&path, u).unwrap();
                }
            },
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(collection.stats.samples));
    group.bench_function("backfill end to end (samples)", |b| {
        b.iter_batched(
            || Target {
                rrd_dir: fresh(),
                layout: layout.clone(),
                fsync: true,
                temp_tag: String::new(),
                daemon: None,
            },
            |target| {
                let collection = collect(&selection, &Silent);
                let mut commits = Commits::default();
                let (mut outcomes, _) = convert(
                    &collection,
                    &target,
                    Mode::Backfill,
                    &Default::default(),
                    &mut commits,
                    &Silent,
                );
                commits.finish(&mut outcomes, &target.rrd_dir, &Silent);
                assert!(outcomes.iter().all(|o| o.result.is_ok()));
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(rrd, benches);
criterion_main!(rrd);
