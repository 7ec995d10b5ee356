//! Figures per key over a period, read back from the RRDs: packet loss, median RTT and the
//! number of samples. They feed `summary`, and `serve`'s matrix and worst-paths pages.
//!
//! For N pings, over the rows in `(end - period, end]` (end: the file's last update unless
//! given): `loss_pct` is 100 x the mean of `loss / N` over the rows whose loss is known;
//! `median_ms` is 1000 x the upper median of the rows' known `median` values (as SmokePing
//! takes medians); `samples` is the number of rows whose loss is known.

use crate::model::key::Key;
use crate::model::window::format_time;
use crate::rrd::store::{self, StoreError};
use rayon::prelude::*;
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// The longest period asked for: a request can never cost more rows than this.
pub const MAX_PERIOD: i64 = 366 * 86_400;

/// One key's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// `monitor_remote_bytes_N`.
    pub key: String,
    /// Monitor host.
    pub monitor: String,
    /// Remote host.
    pub remote: String,
    /// Packet size.
    pub bytes: u32,
    /// Mean packet loss in percent, if any row's loss is known (written with 3 decimals).
    #[serde(serialize_with = "three_decimals")]
    pub loss_pct: Option<f64>,
    /// Upper median of the rows' medians, in ms, if any is known (written with 3 decimals).
    #[serde(serialize_with = "three_decimals")]
    pub median_ms: Option<f64>,
    /// Rows whose loss is known.
    pub samples: u64,
    /// Ping slots N of the key.
    pub pings: u32,
    /// The period's start (exclusive), Unix seconds.
    pub start: i64,
    /// The period's end (inclusive), Unix seconds.
    pub end: i64,
}

/// A figure rounded to 3 decimals, as CSV writes it: `384.676`, not `384.67600000000004`.
fn three_decimals<S: serde::Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_f64((v * 1000.0).round() / 1000.0),
        None => s.serialize_none(),
    }
}

/// Accumulates one key's figures row by row.
#[derive(Debug, Default)]
struct Tally {
    loss_sum: f64,
    samples: u64,
    medians: Vec<f64>,
}

impl Tally {
    /// Adds a row (uptime, loss, median, pings...).
    fn add(&mut self, values: &[f64], pings: f64) {
        if values.len() < 3 {
            return;
        }
        if values[1].is_finite() {
            self.loss_sum += values[1] / pings;
            self.samples += 1;
        }
        if values[2].is_finite() {
            self.medians.push(values[2]);
        }
    }

    fn figures(mut self, key: &Key, start: i64, end: i64) -> Figures {
        self.medians.sort_by(f64::total_cmp);
        Figures {
            key: key.to_string(),
            monitor: key.monitor.clone(),
            remote: key.remote.clone(),
            bytes: key.bytes,
            loss_pct: (self.samples > 0).then(|| 100.0 * self.loss_sum / self.samples as f64),
            median_ms: self.medians.get(self.medians.len() / 2).map(|m| m * 1000.0),
            samples: self.samples,
            pings: key.pings,
            start,
            end,
        }
    }
}

/// One key's figures over `period` seconds ending at `end` (or at the file's last update).
pub fn figures(
    rrd_dir: &Path,
    key: &Key,
    period: i64,
    end: Option<i64>,
) -> Result<Figures, StoreError> {
    let path = key.rrd_path(rrd_dir);
    let end = match end {
        Some(end) => end,
        None => store::last_update(&path)?,
    };
    let start = end - period.clamp(1, MAX_PERIOD);
    let pings = f64::from(key.pings.max(1));
    let mut tally = Tally::default();
    store::for_each_row(&path, start, end, MAX_PERIOD, |_, values| {
        tally.add(values, pings)
    })?;
    Ok(tally.figures(key, start, end))
}

/// The figures of every key, in parallel, in key order; a key whose file cannot be read
/// comes back as its error.
pub fn all(
    rrd_dir: &Path,
    keys: &[Key],
    period: i64,
    end: Option<i64>,
) -> Vec<Result<Figures, StoreError>> {
    keys.par_iter()
        .map(|k| figures(rrd_dir, k, period, end))
        .collect()
}

/// How `summary` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people (and cron mails), worst loss first.
    Human,
    /// An array of objects.
    Json,
    /// A header row, then one row per key; empty cells for unknown values.
    Csv,
}

impl crate::model::Choice for Format {
    const ALL: &'static [Self] = &[Format::Human, Format::Json, Format::Csv];

    fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}
crate::choice_text!(Format);

/// Writes the figures in `format`.
pub fn write(out: &mut impl Write, figures: &[Figures], format: Format) -> io::Result<()> {
    let opt = |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, figures)?;
            writeln!(out)
        }
        Format::Csv => {
            let mut csv = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out);
            csv.write_record([
                "key",
                "monitor",
                "remote",
                "bytes",
                "loss_pct",
                "median_ms",
                "samples",
                "start",
                "end",
            ])?;
            for f in figures {
                csv.serialize((
                    &f.key,
                    &f.monitor,
                    &f.remote,
                    f.bytes,
                    opt(f.loss_pct, 3),
                    opt(f.median_ms, 3),
                    f.samples,
                    f.start,
                    f.end,
                ))?;
            }
            csv.flush()
        }
        Format::Human => {
            writeln!(out, "{}", period_line(figures))?;
            let mut sorted: Vec<&Figures> = figures.iter().collect();
            sorted.sort_by(|a, b| {
                let loss = |f: &Figures| f.loss_pct.unwrap_or(-1.0);
                loss(b).total_cmp(&loss(a)).then_with(|| a.key.cmp(&b.key))
            });
            writeln!(
                out,
                "{:>7}  {:>10}  {:>7}  key",
                "loss %", "median ms", "samples"
            )?;
            for f in sorted {
                let loss = f.loss_pct.map_or("-".into(), |v| format!("{v:.2}"));
                let median = f.median_ms.map_or("-".into(), |v| format!("{v:.3}"));
                writeln!(out, "{loss:>7}  {median:>10}  {:>7}  {}", f.samples, f.key)?;
            }
            Ok(())
        }
    }
}

/// What the human form covers: the period and where it ends (one end for every key, or each
/// key's last sample, between two times).
fn period_line(figures: &[Figures]) -> String {
    let Some(first) = figures.first() else {
        return "no keys".into();
    };
    let days = (first.end - first.start) as f64 / 86_400.0;
    let length = if days.fract() == 0.0 {
        format!("{days} days")
    } else {
        format!("{:.1} hours", days * 24.0)
    };
    let (earliest, latest) = figures.iter().fold((i64::MAX, i64::MIN), |(a, b), f| {
        (a.min(f.end), b.max(f.end))
    });
    let end = if earliest == latest {
        format!("up to {}", format_time(latest))
    } else {
        format!(
            "up to each key's last sample ({} to {})",
            format_time(earliest),
            format_time(latest)
        )
    };
    format!("loss and median RTT over the {length} {end}, worst loss first")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_figures_have_three_decimals_and_the_human_form_says_its_period() {
        let f = Figures {
            key: "m_r_100_10".into(),
            monitor: "m".into(),
            remote: "r".into(),
            bytes: 100,
            loss_pct: Some(12.345_678),
            median_ms: Some(384.676_000_000_000_04),
            samples: 3,
            pings: 10,
            start: 1_171_238_400,
            end: 1_171_843_200,
        };
        let mut out = Vec::new();
        write(&mut out, std::slice::from_ref(&f), Format::Json).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"loss_pct\": 12.346,"), "{text}");
        assert!(text.contains("\"median_ms\": 384.676,"), "{text}");
        let mut out = Vec::new();
        write(&mut out, &[f], Format::Human).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("loss and median RTT over the 7 days up to 2007-02-19T00:00:00Z"),
            "{text}"
        );
    }

    fn key() -> Key {
        Key {
            monitor: "m".into(),
            remote: "r".into(),
            bytes: 100,
            pings: 10,
        }
    }

    /// The figures of `rows` in `(start, end]`, tallied as `figures` tallies librrd's rows.
    fn figures_of(rows: &[(i64, Vec<f64>)], start: i64, end: i64) -> Figures {
        let mut tally = Tally::default();
        for (t, v) in rows {
            if *t > start && *t <= end {
                tally.add(v, 10.0);
            }
        }
        tally.figures(&key(), start, end)
    }

    #[test]
    fn loss_is_a_mean_over_known_rows_and_the_median_is_the_upper_one() {
        let nan = f64::NAN;
        let rows = vec![
            (1800, vec![nan, 0.0, 0.010]),
            (3600, vec![nan, 5.0, 0.030]),
            (5400, vec![nan, nan, nan]),
            (7200, vec![nan, 10.0, nan]),
            (9000, vec![nan, 1.0, 0.020]),
            (10800, vec![nan, 2.0, 0.040]),
        ];
        let f = figures_of(&rows, 1800, 10800);
        // Rows after 1800: losses 5, 10, 1, 2 of 10 -> 45 %; medians 20, 30, 40 ms -> 30.
        assert_eq!(f.samples, 4);
        assert!((f.loss_pct.unwrap() - 45.0).abs() < 1e-9);
        assert!((f.median_ms.unwrap() - 30.0).abs() < 1e-9);
        // An even count takes the upper of the two middle values.
        let f = figures_of(&rows[..2], 0, 3600);
        assert!((f.median_ms.unwrap() - 30.0).abs() < 1e-9);
        let none = figures_of(&[], 0, 3600);
        assert_eq!(
            (none.loss_pct, none.median_ms, none.samples),
            (None, None, 0)
        );
    }
}
