//! A deterministic synthetic PingER archive in SLAC's layout
//! (`<out>/<monitor>/ping-YYYY-MM-DD.txt.gz`), realistic enough to exercise every rule:
//! both sizes, 0- and 1-based sequences, integer and 3-decimal RTTs, diurnal RTT with jitter,
//! loss bursts, total outages, xmt > 10 from ping's deadline, duplicate replies, lines out of
//! order and in the neighbouring day's file, a few summary-only and mangled lines, and a path
//! that starts part-way through.
//!
//! Every line depends only on (seed, monitor, day, slot, remote, size): a plan with more days
//! reproduces a shorter plan's lines, except for the path that starts part-way through.

use chrono::DateTime;
use flate2::write::GzEncoder;
use rayon::prelude::*;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Output root.
    pub out: PathBuf,
    /// Monitoring hosts.
    pub monitors: u32,
    /// Remote hosts per monitor (each measured at 100 and 1000 bytes).
    pub remotes: u32,
    /// Days of data, ending at `end`.
    pub days: u32,
    /// End of the archive (rounded down to midnight UTC); the last file is the day before.
    pub end: i64,
    /// Seed: the same seed gives the same archive.
    pub seed: u64,
    /// Write plain `.txt` files instead of `.txt.gz`.
    pub plain: bool,
}

/// What was written.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    /// Files written.
    pub files: usize,
    /// Lines written.
    pub lines: u64,
    /// Bytes of text (before compression).
    pub bytes: u64,
}

const STEP: i64 = 1800;
const DAY: i64 = 86_400;
const SIZES: [u32; 2] = [100, 1000];

/// Monitor host name of monitor `m`.
pub fn monitor_name(m: u32) -> String {
    format!("pinger.mon{m:02}.example.edu")
}

/// Remote host name of remote `r` (remote 7 is a bare IP, as in real data).
pub fn remote_name(r: u32) -> String {
    if r == 7 {
        format!("203.0.113.{}", r + 10)
    } else {
        format!("www.site{r:03}.example.org")
    }
}

/// A directory or file of the archive could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot {what}", .path.display())]
pub struct GenerateError {
    /// The directory or file.
    pub path: PathBuf,
    /// `create` or `write`.
    pub what: &'static str,
    /// What the OS said.
    #[source]
    pub source: std::io::Error,
}

/// Writes the archive; files of different (monitor, day) are built in parallel.
pub fn generate(plan: &Plan) -> Result<Written, GenerateError> {
    let last_day = plan.end.div_euclid(DAY) - 1;
    let first_day = last_day - i64::from(plan.days) + 1;
    let jobs: Vec<(u32, i64)> = (0..plan.monitors)
        .flat_map(|m| (first_day..=last_day).map(move |d| (m, d)))
        .collect();
    for m in 0..plan.monitors {
        let dir = plan.out.join(monitor_name(m));
        std::fs::create_dir_all(&dir).map_err(|source| GenerateError {
            path: dir.clone(),
            what: "create",
            source,
        })?;
    }
    let results: Vec<Result<Written, GenerateError>> = jobs
        .par_iter()
        .map(|&(m, day)| write_day(plan, m, day))
        .collect();
    let mut total = Written::default();
    for r in results {
        let w = r?;
        total.files += w.files;
        total.lines += w.lines;
        total.bytes += w.bytes;
    }
    Ok(total)
}

fn write_day(plan: &Plan, m: u32, day: i64) -> Result<Written, GenerateError> {
    // The file of a day: that day's lines that did not spill over, plus the previous day's
    // lines that did (records landing in the neighbouring day's file).
    let mut text = String::with_capacity(plan.remotes as usize * 2 * 48 * 160);
    let mut lines = 0;
    for (d, spilled) in [(day - 1, true), (day, false)] {
        for (line, spill) in day_lines(plan, m, d) {
            if spill == spilled {
                text.push_str(&line);
                text.push('\n');
                lines += 1;
            }
        }
    }
    let date = DateTime::from_timestamp(day * DAY, 0)
        .expect("valid day")
        .format("%Y-%m-%d");
    let dir = plan.out.join(monitor_name(m));
    let path: PathBuf = if plan.plain {
        dir.join(format!("ping-{date}.txt"))
    } else {
        dir.join(format!("ping-{date}.txt.gz"))
    };
    write_file(&path, text.as_bytes(), plan.plain).map_err(|source| GenerateError {
        path: path.clone(),
        what: "write",
        source,
    })?;
    Ok(Written {
        files: 1,
        lines,
        bytes: text.len() as u64,
    })
}

fn write_file(path: &Path, text: &[u8], plain: bool) -> std::io::Result<()> {
    if plain {
        return std::fs::write(path, text);
    }
    let mut enc = GzEncoder::new(
        Vec::with_capacity(text.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(text)?;
    std::fs::write(path, enc.finish()?)
}

/// Per-path character, fixed by (seed, monitor, remote, size).
struct PathModel {
    base_ms: f64,
    diurnal: f64,
    phase_h: f64,
    jitter_ms: f64,
    loss: f64,
    /// Probability per run of entering a loss burst.
    burst: f64,
}

fn path_model(seed: u64, m: u32, r: u32, bytes: u32) -> PathModel {
    let mut rng = fastrand::Rng::with_seed(mix(seed, &[1, u64::from(m), u64::from(r)]));
    let base_ms = match r % 4 {
        0 => rng.f64() * 5.0 + 0.2,     // same campus
        1 => rng.f64() * 60.0 + 10.0,   // same continent
        2 => rng.f64() * 200.0 + 80.0,  // intercontinental
        _ => rng.f64() * 400.0 + 250.0, // satellite / developing regions
    };
    let size_cost = if bytes == 1000 {
        base_ms * 0.02 + 0.1
    } else {
        0.0
    };
    let lossy = r % 5 == 3;
    PathModel {
        base_ms: base_ms + size_cost,
        diurnal: rng.f64() * 0.4,
        phase_h: rng.f64() * 24.0,
        jitter_ms: base_ms * (0.01 + rng.f64() * 0.1),
        loss: if lossy {
            0.05 + rng.f64() * 0.25
        } else {
            rng.f64() * 0.01
        },
        burst: if lossy { 0.03 } else { 0.005 },
    }
}

/// All lines whose time falls on `day` for monitor `m`, each with "spills into the next
/// day's file". Lines are in the order the monitor would append them (not time order).
fn day_lines(plan: &Plan, m: u32, day: i64) -> Vec<(String, bool)> {
    let monitor = monitor_name(m);
    let monitor_addr = format!("192.0.2.{}", m + 1);
    let seq_base = m % 2; // odd monitors' ping counts from 1
    let integer_rtts = m % 3 == 1; // older iputils: RTTs >= 100 ms as integers
    let deadline = m % 4 != 2; // -w deadline: keep sending until 10 replies
    let archive_start_day = plan.end.div_euclid(DAY) - i64::from(plan.days);
    let late_remote = plan.remotes.saturating_sub(1); // starts half-way through
    let late_start_day = archive_start_day + i64::from(plan.days / 2);

    let models: Vec<PathModel> = (0..plan.remotes)
        .flat_map(|r| SIZES.map(|bytes| path_model(plan.seed, m, r, bytes)))
        .collect();
    let mut out = Vec::with_capacity(plan.remotes as usize * 2 * 48);
    let mut batch = Vec::with_capacity(plan.remotes as usize * 2);
    for slot in 0..(DAY / STEP) {
        let mut rng =
            fastrand::Rng::with_seed(mix(plan.seed, &[2, u64::from(m), day as u64, slot as u64]));
        let run_start = day * DAY + slot * STEP + rng.i64(0..1500); // cron's random wait
        batch.clear();
        for r in 0..plan.remotes {
            if r == late_remote && day < late_start_day && plan.remotes > 1 {
                continue;
            }
            for (i, bytes) in SIZES.into_iter().enumerate() {
                // One RNG per line, so leaving a path out does not change the others.
                let mut rng = fastrand::Rng::with_seed(mix(
                    plan.seed,
                    &[
                        3,
                        u64::from(m),
                        day as u64,
                        slot as u64,
                        u64::from(r),
                        u64::from(bytes),
                    ],
                ));
                let model = &models[r as usize * 2 + i];
                // 25 children at a time: later targets wait for a free child.
                let t = run_start + i64::from((2 * r + i as u32) / 25) * 30 + rng.i64(0..20);
                let line = ping_line(
                    &mut rng,
                    model,
                    &monitor,
                    &monitor_addr,
                    r,
                    bytes,
                    t,
                    seq_base,
                    integer_rtts,
                    deadline,
                );
                // Runs finishing after midnight are collected into the next day's file.
                let spill = t + 30 >= (day + 1) * DAY && rng.f64() < 0.7;
                batch.push((line, spill));
                // Now and then the same run is logged twice (as in the 2003 HEP data).
                if rng.f64() < 0.0005 {
                    let later = t + rng.i64(1..30);
                    let again = ping_line(
                        &mut rng,
                        model,
                        &monitor,
                        &monitor_addr,
                        r,
                        bytes,
                        later,
                        seq_base,
                        integer_rtts,
                        deadline,
                    );
                    batch.push((again, spill));
                }
            }
        }
        // Up to 25 children run in parallel and append as they finish: out of order.
        for i in 0..batch.len() {
            if rng.f64() < 0.3 {
                let j = (i + rng.usize(0..8)).min(batch.len() - 1);
                batch.swap(i, j);
            }
        }
        out.append(&mut batch);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn ping_line(
    rng: &mut fastrand::Rng,
    model: &PathModel,
    monitor: &str,
    monitor_addr: &str,
    r: u32,
    bytes: u32,
    t: i64,
    seq_base: u32,
    integer_rtts: bool,
    deadline: bool,
) -> String {
    let remote = remote_name(r);
    let remote_addr = format!("198.51.100.{}", r % 250 + 1);
    let mut line = String::with_capacity(200);
    let _ = write!(line, "{monitor} {monitor_addr} {remote} ");

    // Outages: nothing comes back. Old collectors dropped the remote address (6 tokens).
    let outage = rng.f64() < model.burst * 0.3;
    if outage {
        if rng.f64() < 0.1 {
            let _ = write!(line, "{bytes} {t} 10");
        } else {
            let _ = write!(line, "{remote_addr} {bytes} {t} 10 0");
        }
        return line;
    }
    let _ = write!(line, "{remote_addr} {bytes} {t} ");

    let hour = (t.rem_euclid(DAY) as f64) / 3600.0;
    let diurnal = 1.0
        + model.diurnal
            * ((hour - model.phase_h) / 24.0 * std::f64::consts::TAU)
                .sin()
                .max(0.0);
    let center = model.base_ms * diurnal;
    let in_burst = rng.f64() < model.burst;
    let loss_p = if in_burst {
        0.5 + rng.f64() * 0.4
    } else {
        model.loss
    };

    // ping -c 10 [-w deadline]: send until 10 replies, or 10 sent without a deadline,
    // or 30 sent (the deadline).
    let mut replies: Vec<(u32, f64)> = Vec::with_capacity(12);
    let mut sent = 0u32;
    while sent < 30 && (replies.len() < 10) && (deadline || sent < 10) {
        if rng.f64() >= loss_p {
            let rtt = center + model.jitter_ms * rng.f64() * rng.f64() * 4.0;
            replies.push((sent + seq_base, rtt));
        }
        sent += 1;
    }
    if replies.is_empty() {
        let _ = write!(line, "{sent} 0");
        return line;
    }
    let rcv = replies.len();
    let min = replies.iter().map(|r| r.1).fold(f64::INFINITY, f64::min);
    let max = replies.iter().map(|r| r.1).fold(0.0, f64::max);
    let avg = replies.iter().map(|r| r.1).sum::<f64>() / rcv as f64;
    let _ = write!(line, "{sent} {rcv} {min:.3} {avg:.3} {max:.3}");
    if rng.f64() < 0.0005 {
        return line; // a summary-only line (non-"full" log)
    }
    // Replies arrive mostly in order; a duplicate reply now and then.
    if rng.f64() < 0.1 && rcv > 1 {
        let i = rng.usize(0..rcv - 1);
        replies.swap(i, i + 1);
    }
    if rng.f64() < 0.002 {
        let dup = replies[rng.usize(0..rcv)];
        replies.push((dup.0, dup.1 + 0.5));
    }
    for (seq, _) in &replies {
        let _ = write!(line, " {seq}");
    }
    for (_, rtt) in &replies {
        if integer_rtts && *rtt >= 100.0 {
            let _ = write!(line, " {}", *rtt as u64);
        } else {
            let _ = write!(line, " {rtt:.3}");
        }
    }
    // Rarely, a line gets mangled: a space in the timestamp, or cut short.
    let roll = rng.f64();
    if roll < 0.00005 {
        let ts = t.to_string();
        line = line.replacen(&ts, &format!("{} {}", &ts[..8], &ts[8..]), 1);
    } else if roll < 0.0001 {
        let cut = line.rfind(' ').unwrap_or(line.len());
        line.truncate(cut);
        let cut = line.rfind(' ').unwrap_or(line.len());
        line.truncate(cut);
    }
    line
}

/// Mixes a seed with small integers into one RNG seed (splitmix64 steps).
fn mix(seed: u64, parts: &[u64]) -> u64 {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    for &p in parts {
        x ^= p
            .wrapping_add(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(x << 6)
            .wrapping_add(x >> 2);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^= x >> 31;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse::LineParser;

    fn plan(days: u32, end: i64) -> Plan {
        Plan {
            out: PathBuf::new(),
            monitors: 3,
            remotes: 12,
            days,
            end,
            seed: 7,
            plain: true,
        }
    }

    #[test]
    fn generated_lines_parse_except_the_few_mangled_ones() {
        let p = plan(3, 1_200_009_600);
        let mut parser = LineParser::new();
        let (mut ok, mut bad, mut full, mut seq1, mut over10) = (0, 0, 0, 0, 0);
        for m in 0..3 {
            for (line, _) in day_lines(&p, m, 13_888) {
                match parser.parse(line.as_bytes()) {
                    Ok(Some(r)) => {
                        ok += 1;
                        full += usize::from(!r.pings.is_empty());
                        seq1 += usize::from(r.pings.first().is_some_and(|p| p.seq == 1));
                        over10 += usize::from(r.xmt > 10);
                    }
                    _ => bad += 1,
                }
            }
        }
        assert!(ok > 3000, "{ok}");
        assert!(bad * 1000 < ok, "{bad} of {ok} rejected");
        assert!(full * 10 > ok * 9);
        assert!(seq1 > 0 && over10 > 0);
    }

    #[test]
    fn a_day_depends_only_on_seed_monitor_and_day() {
        let a = day_lines(&plan(3, 1_200_009_600), 1, 13_888);
        let b = day_lines(&plan(30, 1_200_009_600 + 10 * DAY), 1, 13_888);
        // The late remote starts at a different day in the two plans; compare the others.
        let late = remote_name(11);
        let keep = |v: &Vec<(String, bool)>| -> Vec<(String, bool)> {
            let mut kept: Vec<_> = v
                .iter()
                .filter(|(l, _)| !l.contains(&late))
                .cloned()
                .collect();
            kept.sort();
            kept
        };
        assert_eq!(keep(&a), keep(&b));
    }
}
