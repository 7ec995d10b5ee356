//! `pinger-smokeping bench`: the original authors' NFS-versus-local experiment, as one command.
//!
//! For each directory: create every file; then, in rounds of alternating order, librrd's floor
//! (zlib reading the archive, then create + one raw update call per file with pre-formatted
//! strings) against backfill (with and without fsync), the best of each compared; one nightly
//! update with one new day; and a fetch of every file. Also what a user would do without this
//! tool: one `rrdtool update` process per key, and per sample, measured on a few keys.

use crate::cli::args::BenchArgs;
use crate::cli::{write_file_atomically, Status};
use crate::input::collect::{self, Collection, Selection};
use crate::input::generate::{self, Plan};
use crate::model::key::Filter;
use crate::model::progress::Silent;
use crate::model::window::{parse_time, Window};
use crate::rrd::store::{self, Layout, UpdateBatch};
use crate::run::convert::{format_updates, Target};
use crate::run::tree;
use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchPlan {
    /// Directories to compare (e.g. a local disk and an NFS mount).
    pub dirs: Vec<PathBuf>,
    /// Keys (monitors x remotes x 2 sizes).
    pub keys: u32,
    /// Days of data.
    pub days: u32,
    /// An existing archive to use instead of generating one.
    pub data: Option<PathBuf>,
    /// End of the window (the archive's end).
    pub end: i64,
    /// Keep the generated archive and RRDs.
    pub keep: bool,
    /// Keys measured with the `rrdtool` command line (it is slow).
    pub cli_keys: usize,
    /// Rounds of the floor against the backfill.
    pub rounds: u32,
}

/// Decompresses (or just reads) `files` with zlib streaming on all cores, without parsing.
fn decompress_all(files: &[PathBuf]) -> Reading {
    Reading::timed(|| {
        files.par_iter().for_each(|path| {
            if let Ok(mut reader) = crate::input::archive::open(path) {
                let _ = std::io::copy(&mut reader, &mut std::io::sink());
            }
        })
    })
}

/// Reads `files` with our reader (`archive::read_file`) on all cores, without parsing.
fn read_all(files: &[PathBuf]) -> Reading {
    Reading::timed(|| {
        files
            .par_iter()
            .for_each_init(crate::input::archive::Buffers::default, |buffers, path| {
                let _ = crate::input::archive::read_file(path, buffers, |_| {});
            })
    })
}

/// Puts the archive in the page cache right before a timed stage that reads it, so that
/// every such stage starts alike. The cache cannot be relied on to keep it from one stage to
/// the next: on the VM this was measured on (DAMON pages out memory left unused), a 274 MB
/// archive read whole was read again from storage 20 s later (`read_bytes` 266 MB).
fn warm(files: &[PathBuf]) {
    read_all(files);
}

/// One timed read of the archive.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Reading {
    /// Wall seconds.
    pub seconds: f64,
    /// CPU seconds of all threads.
    pub cpu_seconds: f64,
    /// Bytes read from storage rather than the page cache (Linux's `read_bytes`).
    pub from_storage: Option<u64>,
}

impl Reading {
    fn timed(read: impl FnOnce()) -> Reading {
        let before = crate::cli::report::read_from_storage();
        let cpu = crate::cli::report::cpu_seconds();
        let started = Instant::now();
        read();
        Reading {
            seconds: started.elapsed().as_secs_f64(),
            cpu_seconds: crate::cli::report::cpu_seconds() - cpu,
            from_storage: storage_since(before),
        }
    }
}

/// Bytes read from storage since `before` (a [`crate::cli::report::read_from_storage`]).
fn storage_since(before: Option<u64>) -> Option<u64> {
    crate::cli::report::read_from_storage()
        .zip(before)
        .map(|(now, before)| now.saturating_sub(before))
}

/// Empties `dir` (a stage's output from an earlier round) and creates it.
fn fresh_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("{}: cannot remove", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))
}

/// Writes back every dirty page before a timed stage, so that no stage pays for the
/// writeback of an earlier one's files (timed right after the unsynced backfill, the
/// fsynced one's writing took 4.5-5.4 s, against 3.9-4.4 s in backfills run on their own).
fn settle() {
    rustix::fs::sync();
}

/// The bandwidth the NFS model assumes: 1 Gbit/s, about 110 MB/s of payload.
pub const NFS_BANDWIDTH: f64 = 110e6;

/// One stage's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// Wall seconds.
    pub seconds: f64,
    /// CPU seconds of all threads, for the floor and whole runs.
    pub cpu_seconds: Option<f64>,
    /// Files handled.
    pub files: usize,
    /// Samples written or fetched.
    pub samples: u64,
    /// Bytes the stage dirtied for storage (Linux's `write_bytes`), for whole runs.
    pub dirtied: Option<u64>,
    /// Bytes the stage read from storage rather than the page cache (`read_bytes`), for
    /// whole runs.
    pub from_storage: Option<u64>,
    /// The file operations NFS time depends on, for whole runs.
    pub io: Option<crate::rrd::iocount::Counts>,
}

impl Stage {
    fn files_per_sec(&self) -> f64 {
        self.files as f64 / self.seconds.max(1e-9)
    }
    fn samples_per_sec(&self) -> f64 {
        self.samples as f64 / self.seconds.max(1e-9)
    }
}

/// One round of the floor against the backfill; each stage that reads the archive starts
/// with it in the page cache.
#[derive(Debug, Clone, Serialize)]
pub struct Round {
    /// zlib decompressing the archive alone: the reading half of the floor.
    pub zlib: Reading,
    /// Our reader alone (whole-file libdeflate, lines split, no parsing).
    pub reader: Reading,
    /// librrd's floor: create + one raw update call per file, strings formatted beforehand.
    pub floor: Stage,
    /// Writing the floor's files back to disk after it (one `sync`), seconds.
    pub floor_sync_seconds: f64,
    /// `backfill` end to end (read, sample, write), without fsync.
    pub backfill_no_fsync: Stage,
    /// The same backfill with fsync.
    pub backfill: Stage,
    /// The writing part of that backfill.
    pub backfill_write: Stage,
}

impl Round {
    /// The floor a backfill without fsync compares with: zlib + librrd alone.
    pub fn floor_seconds(&self) -> f64 {
        self.zlib.seconds + self.floor.seconds
    }

    /// The floor an fsynced backfill compares with: that, plus syncing the floor's files.
    pub fn durable_floor_seconds(&self) -> f64 {
        self.floor_seconds() + self.floor_sync_seconds
    }

    /// The CPU time of the floor (zlib + librrd alone), seconds of all threads.
    pub fn floor_cpu_seconds(&self) -> f64 {
        self.zlib.cpu_seconds + self.floor.cpu_seconds.unwrap_or(f64::NAN)
    }
}

/// Everything measured in one directory.
#[derive(Debug, Clone, Serialize)]
pub struct DirResult {
    /// The directory.
    pub dir: PathBuf,
    /// Creating every (empty) file.
    pub create: Stage,
    /// The floor against the backfill, round by round.
    pub rounds: Vec<Round>,
    /// Each stage's best round: the floor.
    pub floor: Stage,
    /// Best floor sync, seconds.
    pub floor_sync_seconds: f64,
    /// Best zlib reading, seconds.
    pub zlib_seconds: f64,
    /// Best reading with our reader, seconds.
    pub reader_seconds: f64,
    /// Best `backfill` end to end, with fsync.
    pub backfill: Stage,
    /// The writing part of the best backfill with fsync.
    pub backfill_write: Stage,
    /// Best backfill without fsync.
    pub backfill_no_fsync: Stage,
    /// `update` with one new day, after a backfill that ended a day earlier (as cron runs it).
    pub update: Stage,
    /// Fetching every file's window.
    pub fetch: Stage,
    /// Bytes of RRD files written by one backfill.
    pub bytes_written: u64,
    /// One `rrdtool update` process per key, on `cli_keys` keys.
    pub rrdtool_per_key: Option<Stage>,
    /// One `rrdtool update` process per sample, on part of one key.
    pub rrdtool_per_sample: Option<Stage>,
}

/// The whole run.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Keys.
    pub keys: usize,
    /// Samples in the window.
    pub samples: u64,
    /// Worker threads.
    pub threads: usize,
    /// Reading and sampling the archive (decompression and parsing), seconds.
    pub read_seconds: f64,
    /// Archive bytes after decompression.
    pub read_bytes: u64,
    /// Decompressing every archive file with zlib alone (no parsing), on all cores, seconds:
    /// the reading half of the backfill's floor (the best round of every directory).
    pub decompress_seconds: f64,
    /// Our reader alone (whole-file libdeflate, lines split, no parsing), on all cores,
    /// seconds: the reading half of a floor that inflates as fast as we do (likewise).
    pub reader_seconds: f64,
    /// One result per directory.
    pub dirs: Vec<DirResult>,
}

/// Runs the benchmark.
pub fn run(plan: &BenchPlan) -> Result<BenchReport> {
    let scratch = tempfile::Builder::new().prefix("pinger-bench-").tempdir()?;
    let data = match &plan.data {
        Some(d) => d.clone(),
        None => {
            let monitors = plan.keys.div_ceil(70).max(1);
            let remotes = (plan.keys / (2 * monitors)).max(1);
            let out = scratch.path().join("archive");
            crate::say!(
                "bench: generating {monitors} x {remotes} x 2 keys over {} days in {}",
                plan.days,
                out.display()
            );
            generate::generate(&Plan {
                out: out.clone(),
                monitors,
                remotes,
                days: plan.days,
                end: plan.end,
                seed: 1,
                plain: false,
            })?;
            out
        }
    };
    let layout = Layout::pinger_default();
    let window = selection(&data, plan, &layout, plan.end).window;
    let files = crate::input::archive::list_files(&data, &window, None).files;
    // Each reading stage starts with the archive in the page cache (see `warm`; the first
    // stage to touch a cold archive otherwise pays for the disk: 6.0 s instead of 0.9).
    warm(&files);
    let started = Instant::now();
    let full = collect::collect(&selection(&data, plan, &layout, plan.end), &Silent);
    let read_seconds = started.elapsed().as_secs_f64();
    let samples = full.stats.samples;

    let mut dirs = Vec::new();
    for dir in &plan.dirs {
        crate::say!("bench: measuring in {}", dir.display());
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
        let work = tempfile::Builder::new()
            .prefix("pinger-bench-")
            .tempdir_in(dir)?;
        let result = measure_dir(work.path(), &full, &files, &data, plan, &layout)?;
        dirs.push(DirResult {
            dir: dir.clone(),
            ..result
        });
        if plan.keep {
            let kept = work.keep();
            crate::say!("bench: kept {}", kept.display());
        }
    }
    if plan.keep && plan.data.is_none() {
        let kept = scratch.keep();
        crate::say!(
            "bench: kept the archive in {}",
            kept.join("archive").display()
        );
    }
    // Reading alone is measured in every round of every directory: the best of them.
    let best = |seconds: fn(&DirResult) -> f64| dirs.iter().map(seconds).fold(f64::MAX, f64::min);
    Ok(BenchReport {
        keys: full.len(),
        samples,
        threads: rayon::current_num_threads(),
        read_seconds,
        read_bytes: full.stats.bytes_read,
        decompress_seconds: best(|d| d.zlib_seconds),
        reader_seconds: best(|d| d.reader_seconds),
        dirs,
    })
}

fn measure_dir(
    work: &Path,
    full: &Collection,
    files: &[PathBuf],
    data: &Path,
    plan: &BenchPlan,
    layout: &Layout,
) -> Result<DirResult> {
    let n = full.len();
    let step = i64::from(layout.step);

    // Create only.
    let create_dir = work.join("create");
    settle();
    let t = Instant::now();
    (0..n).into_par_iter().try_for_each(|i| {
        let key = full.key(i);
        let path = key.rrd_path(&create_dir);
        std::fs::create_dir_all(path.parent().unwrap())?;
        store::create(&path, layout, full.span(i).first - step)?;
        anyhow::Ok(())
    })?;
    let create = Stage {
        seconds: t.elapsed().as_secs_f64(),
        cpu_seconds: None,
        files: n,
        samples: 0,
        dirtied: None,
        from_storage: None,
        io: None,
    };

    // librrd's floor: strings formatted before the clock starts, then create + one update.
    let floor_dir = work.join("floor");
    let batches: Vec<(PathBuf, i64, UpdateBatch)> = (0..n)
        .into_par_iter()
        .map(|i| {
            let series = full.series(i);
            let start = series.slots[0] - step;
            let mut batch = UpdateBatch::new();
            format_updates(&series, 0, start, layout.step, &mut batch);
            (series.key.rrd_path(&floor_dir), start, batch)
        })
        .collect();
    let run_floor = |batches: &mut Vec<(PathBuf, i64, UpdateBatch)>| -> Result<(Stage, f64)> {
        fresh_dir(&floor_dir)?;
        for (path, _, _) in batches.iter() {
            std::fs::create_dir_all(path.parent().unwrap())?;
        }
        settle();
        let cpu = crate::cli::report::cpu_seconds();
        let t = Instant::now();
        batches
            .par_iter_mut()
            .try_for_each(|(path, start, batch)| {
                store::create(path, layout, *start)?;
                store::update(path, batch)?;
                anyhow::Ok(())
            })?;
        let floor = Stage {
            seconds: t.elapsed().as_secs_f64(),
            cpu_seconds: Some(crate::cli::report::cpu_seconds() - cpu),
            files: n,
            samples: full.stats.samples,
            dirtied: None,
            from_storage: None,
            io: None,
        };
        // What putting the floor's files on disk costs: the backfill syncs each file before
        // renaming it into place, the floor alone leaves them in the page cache.
        let t = Instant::now();
        settle();
        Ok((floor, t.elapsed().as_secs_f64()))
    };

    // Backfill end to end, as the command runs it (read, write, srcdest, state).
    let target = |rrd: PathBuf, fsync: bool| Target {
        rrd_dir: rrd,
        layout: layout.clone(),
        fsync,
        temp_tag: String::new(),
        daemon: None,
    };
    let timed_run = |target: &Target, end: i64, backfill: bool| -> Result<(Stage, Stage)> {
        let written = crate::cli::report::written_mb();
        settle();
        if backfill {
            warm(files);
        }
        let counts = crate::rrd::iocount::Counts::now();
        let read = crate::cli::report::read_from_storage();
        let cpu = crate::cli::report::cpu_seconds();
        let t = Instant::now();
        let how = if backfill {
            tree::Run::Backfill
        } else {
            tree::Run::Update
        };
        let run = tree::write_tree(selection(data, plan, layout, end), target, how, &Silent)?;
        let seconds = t.elapsed().as_secs_f64();
        let cpu_seconds = Some(crate::cli::report::cpu_seconds() - cpu);
        anyhow::ensure!(
            !run.failed(),
            "{} keys failed in {}",
            run.write.failed,
            target.rrd_dir.display()
        );
        let samples = run.write.samples_written;
        let dirtied = crate::cli::report::written_mb()
            .zip(written)
            .map(|(after, before)| ((after - before) * 1e6) as u64);
        Ok((
            Stage {
                seconds,
                cpu_seconds,
                files: n,
                samples,
                dirtied,
                from_storage: storage_since(read),
                io: Some(crate::rrd::iocount::Counts::now().since(&counts)),
            },
            Stage {
                seconds: run.write.seconds,
                cpu_seconds: None,
                files: n,
                samples,
                dirtied: None,
                from_storage: None,
                io: None,
            },
        ))
    };

    // The floor against the backfill, in rounds: this is the comparison the tool is held to,
    // and on a shared machine one run of each can differ by a quarter from the next.
    let mut batches = batches;
    let backfill_dir = work.join("backfill");
    let mut rounds = Vec::new();
    for round in 0..plan.rounds {
        // Odd rounds run the backfills first: neither side always runs first on the machine
        // the other side has just left (its page cache, its freed memory).
        let backfills = || -> Result<(Stage, Stage, Stage)> {
            let no_fsync_dir = work.join("backfill-nofsync");
            fresh_dir(&no_fsync_dir)?;
            let (no_fsync, _) = timed_run(&target(no_fsync_dir, false), plan.end, true)?;
            fresh_dir(&backfill_dir)?;
            let (fsync, write) = timed_run(&target(backfill_dir.clone(), true), plan.end, true)?;
            Ok((no_fsync, fsync, write))
        };
        let mut floors = || -> Result<(Reading, Reading, Stage, f64)> {
            warm(files);
            let zlib = decompress_all(files);
            warm(files);
            let reader = read_all(files);
            let (floor, sync) = run_floor(&mut batches)?;
            Ok((zlib, reader, floor, sync))
        };
        let (
            (zlib, reader, floor, floor_sync_seconds),
            (backfill_no_fsync, backfill, backfill_write),
        ) = if round % 2 == 0 {
            let f = floors()?;
            (f, backfills()?)
        } else {
            let b = backfills()?;
            (floors()?, b)
        };
        rounds.push(Round {
            zlib,
            reader,
            floor,
            floor_sync_seconds,
            backfill_no_fsync,
            backfill,
            backfill_write,
        });
    }
    drop(batches);
    // The round where one stage was fastest.
    let fastest = |seconds: fn(&Round) -> f64| -> &Round {
        (rounds.iter())
            .min_by(|a, b| seconds(a).total_cmp(&seconds(b)))
            .expect("at least one round")
    };
    let floor = fastest(|r| r.floor.seconds).floor.clone();
    let backfill_no_fsync = fastest(|r| r.backfill_no_fsync.seconds)
        .backfill_no_fsync
        .clone();
    // The writing part of the best fsynced backfill, not the best writing of any round.
    let best_backfill = fastest(|r| r.backfill.seconds);
    let (backfill, backfill_write) = (
        best_backfill.backfill.clone(),
        best_backfill.backfill_write.clone(),
    );
    let floor_sync_seconds = fastest(|r| r.floor_sync_seconds).floor_sync_seconds;
    let zlib_seconds = fastest(|r| r.zlib.seconds).zlib.seconds;
    let reader_seconds = fastest(|r| r.reader.seconds).reader.seconds;
    let bytes_written = walkdir::WalkDir::new(&backfill_dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();

    // One nightly update as cron runs it: a tree updated up to the day before, then `update`
    // with one new day (it reads only the files that may hold new lines).
    let nightly = target(work.join("nightly"), true);
    timed_run(&nightly, plan.end - 86_400, true)?;
    let (update, _) = timed_run(&nightly, plan.end, false)?;

    // Fetch every file's window, no graphs.
    settle();
    let t = Instant::now();
    let fetched: u64 = (0..n)
        .into_par_iter()
        .map(|i| {
            let span = full.span(i);
            let path = full.key(i).rrd_path(&backfill_dir);
            store::fetch(&path, span.first - step, span.last, layout.step)
                .map_or(0, |f| f.rows.len() as u64)
        })
        .sum();
    let fetch = Stage {
        seconds: t.elapsed().as_secs_f64(),
        cpu_seconds: None,
        files: n,
        samples: fetched,
        dirtied: None,
        from_storage: None,
        io: None,
    };

    let (rrdtool_per_key, rrdtool_per_sample) = if which_rrdtool() {
        (
            Some(rrdtool_per_key(work, full, layout, plan.cli_keys.min(n))?),
            Some(rrdtool_per_sample(work, full, layout, 200)?),
        )
    } else {
        (None, None)
    };
    Ok(DirResult {
        dir: work.to_path_buf(),
        create,
        rounds,
        floor,
        floor_sync_seconds,
        zlib_seconds,
        reader_seconds,
        backfill,
        backfill_write,
        backfill_no_fsync,
        update,
        fetch,
        bytes_written,
        rrdtool_per_key,
        rrdtool_per_sample,
    })
}

fn selection(data: &Path, plan: &BenchPlan, layout: &Layout, end: i64) -> Selection {
    Selection {
        data: data.to_path_buf(),
        window: Window::new(end, plan.days, layout.step),
        pings: layout.pings,
        filter: Filter::default(),
        seen: None,
    }
}

fn which_rrdtool() -> bool {
    std::process::Command::new("rrdtool")
        .arg("--version")
        .output()
        .is_ok()
}

/// `rrdtool create` + one `rrdtool update` process with all of a key's samples, per key.
fn rrdtool_per_key(work: &Path, full: &Collection, layout: &Layout, keys: usize) -> Result<Stage> {
    let dir = work.join("rrdtool-per-key");
    std::fs::create_dir_all(&dir)?;
    let step = i64::from(layout.step);
    let prepared: Vec<(PathBuf, i64, Vec<String>)> = (0..keys)
        .map(|i| {
            let series = full.series(i);
            let start = series.slots[0] - step;
            let mut batch = UpdateBatch::new();
            format_updates(&series, 0, start, layout.step, &mut batch);
            let args = (0..batch.len()).map(|j| batch.get(j).to_string()).collect();
            (dir.join(format!("{i}.rrd")), start, args)
        })
        .collect();
    let t = Instant::now();
    let mut samples = 0;
    for (path, start, args) in &prepared {
        rrdtool_create(path, *start, layout)?;
        let status = std::process::Command::new("rrdtool")
            .arg("update")
            .arg(path)
            .args(args)
            .status()?;
        anyhow::ensure!(
            status.success(),
            "rrdtool update failed on {}",
            path.display()
        );
        samples += args.len() as u64;
    }
    Ok(Stage {
        seconds: t.elapsed().as_secs_f64(),
        cpu_seconds: None,
        files: keys,
        samples,
        dirtied: None,
        from_storage: None,
        io: None,
    })
}

/// One `rrdtool update` process per sample, on the first `count` samples of one key.
fn rrdtool_per_sample(
    work: &Path,
    full: &Collection,
    layout: &Layout,
    count: usize,
) -> Result<Stage> {
    let path = work.join("rrdtool-per-sample.rrd");
    let series = full.series(0);
    let step = i64::from(layout.step);
    let start = series.slots[0] - step;
    let mut batch = UpdateBatch::new();
    format_updates(&series, 0, start, layout.step, &mut batch);
    let count = count.min(batch.len());
    rrdtool_create(&path, start, layout)?;
    let t = Instant::now();
    for j in 0..count {
        let status = std::process::Command::new("rrdtool")
            .arg("update")
            .arg(&path)
            .arg(batch.get(j))
            .status()?;
        anyhow::ensure!(
            status.success(),
            "rrdtool update failed on {}",
            path.display()
        );
    }
    Ok(Stage {
        seconds: t.elapsed().as_secs_f64(),
        cpu_seconds: None,
        files: 1,
        samples: count as u64,
        dirtied: None,
        from_storage: None,
        io: None,
    })
}

fn rrdtool_create(path: &Path, start: i64, layout: &Layout) -> Result<()> {
    let mut cmd = std::process::Command::new("rrdtool");
    cmd.arg("create").arg(path).args([
        "--start",
        &start.to_string(),
        "--step",
        &layout.step.to_string(),
    ]);
    for name in layout.ds_names() {
        let max = if name == "loss" {
            layout.pings.to_string()
        } else {
            "U".into()
        };
        cmd.arg(format!("DS:{name}:GAUGE:{}:0:{max}", 2 * layout.step));
    }
    for a in &layout.archives {
        cmd.arg(format!("RRA:{a}"));
    }
    let status = cmd.status()?;
    anyhow::ensure!(
        status.success(),
        "rrdtool create failed on {}",
        path.display()
    );
    Ok(())
}

/// Prints the report as a table, directories side by side.
pub fn print_table(out: &mut impl std::io::Write, r: &BenchReport) -> std::io::Result<()> {
    writeln!(
        out,
        "{} keys, {} samples, {} threads; reading + sampling the archive: {:.2} s ({:.0} MB/s); \
         decompressing alone: {:.2} s with zlib, {:.2} s with our reader (libdeflate)",
        r.keys,
        r.samples,
        r.threads,
        r.read_seconds,
        r.read_bytes as f64 / 1e6 / r.read_seconds.max(1e-9),
        r.decompress_seconds,
        r.reader_seconds
    )?;
    write!(out, "{:<34}", "")?;
    for d in &r.dirs {
        write!(out, " | {:>34}", shorten(&d.dir.display().to_string(), 34))?;
    }
    writeln!(out)?;
    let row = |out: &mut dyn std::io::Write,
               name: &str,
               f: &dyn Fn(&DirResult) -> String|
     -> std::io::Result<()> {
        write!(out, "{name:<34}")?;
        for d in &r.dirs {
            write!(out, " | {:>34}", f(d))?;
        }
        writeln!(out)
    };
    let stage = |s: &Stage| format!("{:.2} s {:>8.0} files/s", s.seconds, s.files_per_sec());
    let rate = |s: &Stage| format!("{:.2} s {:>9.0} samples/s", s.seconds, s.samples_per_sec());
    row(out, "create all files", &|d| stage(&d.create))?;
    let rounds = r.dirs.first().map_or(0, |d| d.rounds.len());
    writeln!(
        out,
        "floor against backfill: best of {rounds} rounds (alternating order; archive warm)"
    )?;
    row(out, "librrd floor (create + 1 update)", &|d| rate(&d.floor))?;
    row(out, "backfill, end to end", &|d| rate(&d.backfill))?;
    row(out, "  of which writing", &|d| rate(&d.backfill_write))?;
    // Like with like: the floor leaves its files in the page cache, as a backfill without
    // fsync does; a backfill that syncs each file compares with the floor plus its sync.
    let floor = |d: &DirResult, reading: f64| reading + d.floor.seconds;
    let durable = |d: &DirResult, reading: f64| floor(d, reading) + d.floor_sync_seconds;
    let ratio = |a: f64, b: f64| format!("{:.2}x", a / b.max(1e-9));
    row(out, "floor: zlib + librrd alone", &|d| {
        format!("{:.2} s", floor(d, d.zlib_seconds))
    })?;
    row(out, "  backfill without fsync / floor", &|d| {
        ratio(d.backfill_no_fsync.seconds, floor(d, d.zlib_seconds))
    })?;
    row(out, "  with our reader instead of zlib", &|d| {
        ratio(d.backfill_no_fsync.seconds, floor(d, d.reader_seconds))
    })?;
    row(out, "floor + sync of its files", &|d| {
        format!("{:.2} s", durable(d, d.zlib_seconds))
    })?;
    row(out, "  backfill (fsync) / that floor", &|d| {
        ratio(d.backfill.seconds, durable(d, d.zlib_seconds))
    })?;
    row(out, "  with our reader instead of zlib", &|d| {
        ratio(d.backfill.seconds, durable(d, d.reader_seconds))
    })?;
    row(out, "  writing / librrd floor", &|d| {
        ratio(d.backfill_write.seconds, d.floor.seconds)
    })?;
    // Each round's own ratios: how far one measurement can be trusted on this machine.
    let each = |d: &DirResult, f: &dyn Fn(&Round) -> String| {
        let all: Vec<String> = d.rounds.iter().map(f).collect();
        all.join(" ")
    };
    row(out, "  each round, without fsync", &|d| {
        each(d, &|r| {
            format!("{:.2}", r.backfill_no_fsync.seconds / r.floor_seconds())
        })
    })?;
    row(out, "  each round, with fsync", &|d| {
        each(d, &|r| {
            format!("{:.2}", r.backfill.seconds / r.durable_floor_seconds())
        })
    })?;
    // CPU time does not count the waits (the disk, the other tenants of a shared machine)
    // that make wall times swing from round to round; it counts the work.
    let cpu = |s: &Stage| s.cpu_seconds.unwrap_or(f64::NAN);
    row(out, "CPU s: floor (zlib + librrd)", &|d| {
        each(d, &|r| format!("{:.2}", r.floor_cpu_seconds()))
    })?;
    row(out, "  backfill without fsync", &|d| {
        each(d, &|r| format!("{:.2}", cpu(&r.backfill_no_fsync)))
    })?;
    row(out, "  ratio, each round", &|d| {
        each(d, &|r| {
            format!("{:.2}", cpu(&r.backfill_no_fsync) / r.floor_cpu_seconds())
        })
    })?;
    // Whether a round's reading came from the page cache, as meant, or partly from the disk.
    let mb = |bytes: Option<u64>| bytes.map_or("-".into(), |b| format!("{:.0}", b as f64 / 1e6));
    row(out, "  read from storage, MB: zlib", &|d| {
        each(d, &|r| mb(r.zlib.from_storage))
    })?;
    row(out, "  read from storage, MB: backfill", &|d| {
        each(d, &|r| mb(r.backfill_no_fsync.from_storage))
    })?;
    row(out, "backfill without fsync", &|d| {
        rate(&d.backfill_no_fsync)
    })?;
    row(out, "  fsync cost", &|d| {
        format!("{:.2} s", d.backfill.seconds - d.backfill_no_fsync.seconds)
    })?;
    row(out, "nightly update, one new day", &|d| rate(&d.update))?;
    let dirtied = |s: &Stage| {
        s.dirtied
            .map_or("-".into(), |b| format!("{:.1} MB", b as f64 / 1e6))
    };
    row(out, "  bytes dirtied by the update", &|d| {
        dirtied(&d.update)
    })?;
    row(out, "bytes dirtied by a backfill", &|d| {
        dirtied(&d.backfill)
    })?;
    // What NFS time depends on, and a model of it (see the README, Performance).
    let ops = |s: &Stage| {
        s.io.map_or("-".into(), |c| {
            format!(
                "{} opens {} fsyncs {} renames {} rm",
                c.opens, c.fsyncs, c.renames, c.removes
            )
        })
    };
    let bytes = |s: &Stage| {
        s.io.map_or("-".into(), |c| {
            format!(
                "{:.1} MB read, {:.1} MB written",
                c.bytes_read as f64 / 1e6,
                c.bytes_written as f64 / 1e6
            )
        })
    };
    let model = |s: &Stage| {
        s.io.map_or("-".into(), |c| {
            format!(
                "{:.1} s / {:.1} s",
                c.nfs_seconds(0.0002, NFS_BANDWIDTH),
                c.nfs_seconds(0.002, NFS_BANDWIDTH)
            )
        })
    };
    row(out, "backfill: file operations", &|d| ops(&d.backfill))?;
    row(out, "backfill: bytes", &|d| bytes(&d.backfill))?;
    row(out, "  NFS model, 0.2 ms / 2 ms RTT", &|d| {
        model(&d.backfill)
    })?;
    row(out, "nightly update: file operations", &|d| ops(&d.update))?;
    row(out, "nightly update: bytes", &|d| bytes(&d.update))?;
    row(out, "  NFS model, 0.2 ms / 2 ms RTT", &|d| model(&d.update))?;
    row(out, "fetch every file", &|d| stage(&d.fetch))?;
    row(out, "bytes written by backfill", &|d| {
        format!("{:.1} MB", d.bytes_written as f64 / 1e6)
    })?;
    row(out, "rrdtool: 1 process per key", &|d| {
        d.rrdtool_per_key.as_ref().map_or("-".into(), |s| {
            format!(
                "{:.1} ms/key -> {:.1} s for all",
                1e3 * s.seconds / s.files as f64,
                s.seconds / s.files as f64 * r.keys as f64
            )
        })
    })?;
    row(out, "rrdtool: 1 process per sample", &|d| {
        d.rrdtool_per_sample.as_ref().map_or("-".into(), |s| {
            format!(
                "{:.2} ms/sample -> {:.1} h for all",
                1e3 * s.seconds / s.samples as f64,
                s.seconds / s.samples as f64 * r.samples as f64 / 3600.0
            )
        })
    })?;
    Ok(())
}

fn shorten(text: &str, width: usize) -> String {
    if text.len() <= width {
        text.to_string()
    } else {
        format!("...{}", &text[text.len() - (width - 3)..])
    }
}
/// `bench`: runs the plan of the arguments and prints the table.
pub fn run_command(args: &BenchArgs) -> Result<Status> {
    let end = match &args.end {
        Some(text) => parse_time(text)
            .map_err(anyhow::Error::msg)
            .context("--end")?,
        None => chrono::Utc::now().timestamp().div_euclid(86_400) * 86_400,
    };
    let report = run(&BenchPlan {
        dirs: args.dirs.clone(),
        keys: args.keys,
        days: args.days,
        data: args.data.clone(),
        end,
        keep: args.keep,
        cli_keys: args.cli_keys,
        rounds: args.rounds,
    })?;
    print_table(&mut std::io::stdout().lock(), &report)?;
    if let Some(path) = &args.json {
        write_file_atomically(path, &serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(Status::Done)
}
