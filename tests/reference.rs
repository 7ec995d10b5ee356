//! An independent, deliberately plain reading of the contract (pinger-format.md), used to
//! check RRD contents value by value. It shares no code with the crate: floats instead of
//! integer microseconds, string splitting instead of nom.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// One expected RRD row: loss, median and ping1..pingN in seconds (None = unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub loss: f64,
    pub median: Option<f64>,
    pub pings: Vec<Option<f64>>,
}

/// Expected rows per key string `monitor_remote_bytes_N`, per slot end.
pub type Expected = BTreeMap<String, BTreeMap<i64, Row>>;

/// Reads every `*.txt`/`*.txt.gz` below `root` (path order) and computes the rows for lines
/// with `start <= t < end`.
pub fn expected(root: &Path, start: i64, end: i64, n: usize) -> Expected {
    let mut files: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .filter(|p| {
            let s = p.to_string_lossy();
            s.ends_with(".txt") || s.ends_with(".txt.gz")
        })
        .collect();
    files.sort();
    // (key, slot) -> (t, file index, line index, row)
    let mut best: BTreeMap<(String, i64), (i64, usize, usize, Row)> = BTreeMap::new();
    for (fi, path) in files.iter().enumerate() {
        let mut bytes = Vec::new();
        let file = std::fs::File::open(path).unwrap();
        let ok = if path.to_string_lossy().ends_with(".gz") {
            flate2::read::MultiGzDecoder::new(file)
                .read_to_end(&mut bytes)
                .is_ok()
        } else {
            std::io::BufReader::new(file)
                .read_to_end(&mut bytes)
                .is_ok()
        };
        if !ok {
            let cut = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            bytes.truncate(cut);
        }
        let text = String::from_utf8_lossy(&bytes);
        for (li, line) in text.lines().enumerate() {
            let Some((monitor, remote, bytes, t, row)) = line_row(line, n) else {
                continue;
            };
            if t < start || t >= end {
                continue;
            }
            let slot = (t / 1800 + 1) * 1800;
            let key = format!("{monitor}_{remote}_{bytes}_{n}");
            let entry = best.entry((key, slot));
            match entry {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert((t, fi, li, row));
                }
                std::collections::btree_map::Entry::Occupied(mut o) => {
                    if (t, fi, li) < (o.get().0, o.get().1, o.get().2) {
                        o.insert((t, fi, li, row));
                    }
                }
            }
        }
    }
    let mut out = Expected::new();
    for ((key, slot), (_, _, _, row)) in best {
        out.entry(key).or_default().insert(slot, row);
    }
    out
}

fn ms(tok: &str) -> Option<f64> {
    if tok.is_empty() || !tok.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    tok.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn uint(tok: &str) -> Option<u64> {
    if tok.is_empty() || !tok.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    tok.parse().ok()
}

/// (monitor, remote, bytes, time, row) of an accepted line.
fn line_row(line: &str, n: usize) -> Option<(String, String, u64, i64, Row)> {
    let line = line.split(';').next().unwrap();
    let tok: Vec<&str> = line.split_whitespace().collect();
    if tok.is_empty() || tok[0].starts_with('#') {
        return None;
    }
    let name_ok = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c))
    };
    if !name_ok(tok[0]) || !name_ok(tok[2]) {
        return None;
    }
    let lost_all = |bytes_i: usize| -> Option<(String, String, u64, i64, Row)> {
        let bytes = uint(tok[bytes_i])?.max(100);
        let t = uint(tok[bytes_i + 1])? as i64;
        let xmt = uint(tok[bytes_i + 2])?;
        if t == 0 || xmt == 0 || bytes > 65535 {
            return None;
        }
        Some((
            tok[0].to_string(),
            tok[2].to_string(),
            bytes,
            t,
            Row {
                loss: n as f64,
                median: None,
                pings: vec![None; n],
            },
        ))
    };
    match tok.len() {
        6 => return lost_all(3),
        8 => {
            return if uint(tok[7])? == 0 {
                lost_all(4)
            } else {
                None
            };
        }
        c if c < 11 || (c - 11) % 2 == 1 => return None,
        _ => {}
    }
    let bytes = uint(tok[4])?.max(100);
    let t = uint(tok[5])? as i64;
    let xmt = uint(tok[6])? as f64;
    let rcv = uint(tok[7])?;
    let (min, avg, max) = (ms(tok[8])?, ms(tok[9])?, ms(tok[10])?);
    if t == 0 || xmt == 0.0 || rcv as f64 > xmt || bytes > 65535 || !(min <= avg && avg <= max) {
        return None;
    }
    if rcv == 0 {
        return lost_all(4);
    }
    let p = (tok.len() - 11) / 2;
    // Distinct sequence numbers, first appearance wins.
    let mut seen = Vec::new();
    let mut replies = Vec::new();
    for i in 0..p {
        let seq = uint(tok[11 + i])?;
        let rtt = ms(tok[11 + p + i])?;
        if !seen.contains(&seq) {
            seen.push(seq);
            replies.push(rtt / 1000.0);
        }
    }
    let summary_only = p == 0;
    let r = if summary_only {
        rcv as usize
    } else {
        replies.len()
    };
    if !summary_only && r as u64 != rcv {
        return None;
    }
    let nf = n as f64;
    let mut loss = (nf * (xmt - r as f64) / xmt + 0.5).floor();
    if loss > nf - 1.0 {
        loss = nf - 1.0;
    }
    let k = n - loss as usize;
    let (median, values): (f64, Vec<f64>) = if summary_only {
        let (min, avg, max) = (min / 1000.0, avg / 1000.0, max / 1000.0);
        let values = match k {
            1 => vec![avg],
            2 => vec![min, max],
            _ => {
                let mut v = vec![min];
                v.extend(std::iter::repeat_n(avg, k - 2));
                v.push(max);
                v
            }
        };
        (avg, values)
    } else {
        replies.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = replies[r / 2];
        let values = if r == k {
            replies.clone()
        } else if k == 1 {
            vec![replies[r / 2]]
        } else {
            (0..k)
                .map(|j| replies[(2 * j * (r - 1) + (k - 1)) / (2 * (k - 1))])
                .collect()
        };
        (median, values)
    };
    let lost = loss as usize;
    let mut pings = vec![None; lost / 2];
    pings.extend(values.into_iter().map(Some));
    pings.extend(std::iter::repeat_n(None, lost - lost / 2));
    Some((
        tok[0].to_string(),
        tok[2].to_string(),
        bytes,
        t,
        Row {
            loss,
            median: Some(median),
            pings,
        },
    ))
}

/// `rrdtool fetch FILE AVERAGE -s START -e END` as (time, values) rows, NaN for unknown.
pub fn rrdtool_fetch(file: &Path, start: i64, end: i64) -> Vec<(i64, Vec<f64>)> {
    let out = std::process::Command::new("rrdtool")
        .args([
            "fetch",
            file.to_str().unwrap(),
            "AVERAGE",
            "-s",
            &start.to_string(),
            "-e",
        ])
        .arg(end.to_string())
        .output()
        .expect("rrdtool is installed (make test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (t, rest) = l.split_once(':')?;
            let t = t.trim().parse().ok()?;
            let values = rest
                .split_whitespace()
                .map(|v| v.parse::<f64>().unwrap_or(f64::NAN))
                .collect();
            Some((t, values))
        })
        .collect()
}

/// Whether a fetched value equals an expected one (rrdtool prints 10 significant digits).
pub fn same(fetched: f64, expected: Option<f64>) -> bool {
    match expected {
        None => fetched.is_nan(),
        Some(e) => (fetched - e).abs() <= 1e-9 * e.abs().max(1e-6),
    }
}
