//! The numbers behind the graphs: one key's rows (time, loss, loss %, median, ping1..pingN in
//! milliseconds) as CSV or JSON, named like perfSONAR's bulk export files.

use crate::model::key::Key;
use crate::model::window::format_time;
use crate::rrd::store::{self, StoreError};
use serde::Serialize;
use std::io::{self, Write};
use std::path::Path;

/// CSV or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, a header row, empty cells for unknown values.
    Csv,
    /// A JSON object with the key and an array of rows, null for unknown values.
    Json,
}

impl crate::model::Choice for Format {
    const ALL: &'static [Self] = &[Format::Csv, Format::Json];

    fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}
crate::choice_text!(Format);

impl Format {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// One exported row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Row end, Unix seconds.
    pub time: i64,
    /// Row end, ISO 8601 UTC.
    pub iso_time: String,
    /// Lost pings (0..N).
    pub loss: Option<f64>,
    /// Lost pings in percent.
    pub loss_percent: Option<f64>,
    /// Median RTT, ms.
    pub median_ms: Option<f64>,
    /// ping1..pingN, ms.
    pub pings_ms: Vec<Option<f64>>,
}

/// Reads the rows of `key` in `(start, end]`.
pub fn rows(key: &Key, file: &Path, start: i64, end: i64) -> Result<Vec<Row>, StoreError> {
    let fetched = store::fetch(file, start, end, 1)?;
    let known = |v: f64| v.is_finite().then_some(v);
    let ms = |v: f64| known(v).map(|s| (s * 1e6).round() / 1e3);
    Ok(fetched
        .rows
        .iter()
        .filter(|(t, _)| *t > start && *t <= end)
        .map(|(t, v)| Row {
            time: *t,
            iso_time: format_time(*t),
            loss: known(v[1]),
            loss_percent: known(v[1]).map(|l| 100.0 * l / f64::from(key.pings)),
            median_ms: ms(v[2]),
            pings_ms: v[3..].iter().map(|&p| ms(p)).collect(),
        })
        .collect())
}

/// The perfSONAR-style file name: `<monitor>_<remote>_<bytes>_<start>_<end>.<ext>`.
pub fn file_name(key: &Key, start: i64, end: i64, format: Format) -> String {
    format!(
        "{}_{}_{}_{start}_{end}.{}",
        key.monitor,
        key.remote,
        key.bytes,
        format.extension()
    )
}

/// Writes rows in `format`.
pub fn write(out: &mut impl Write, key: &Key, rows: &[Row], format: Format) -> io::Result<()> {
    match format {
        Format::Csv => {
            let mut csv = csv::Writer::from_writer(out);
            let mut header: Vec<String> = ["time", "iso_time", "loss", "loss_percent", "median_ms"]
                .map(String::from)
                .into();
            header.extend((1..=key.pings).map(|i| format!("ping{i}_ms")));
            csv.write_record(&header)?;
            let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
            for r in rows {
                let mut record = vec![
                    r.time.to_string(),
                    r.iso_time.clone(),
                    cell(r.loss),
                    cell(r.loss_percent),
                    cell(r.median_ms),
                ];
                record.extend(r.pings_ms.iter().map(|&p| cell(p)));
                csv.write_record(&record)?;
            }
            csv.flush()
        }
        Format::Json => {
            #[derive(Serialize)]
            struct Document<'a> {
                key: String,
                monitor: &'a str,
                remote: &'a str,
                bytes: u32,
                pings: u32,
                rows: &'a [Row],
            }
            let doc = Document {
                key: key.to_string(),
                monitor: &key.monitor,
                remote: &key.remote,
                bytes: key.bytes,
                pings: key.pings,
                rows,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
    }
}
