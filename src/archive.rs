//! Finding and reading input files: walk a data root, pick the files whose name dates may
//! hold lines of the window, and read them (gzip or plain) into memory.
//!
//! Never decides what a line means: that is `parse`. A file that cannot be read is an
//! [`ArchiveError`] naming the path; the caller reports it and goes on with the others.

use crate::window::{Window, MARGIN};
use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;
use thiserror::Error;
use walkdir::WalkDir;

/// Why a file (or a directory of the data root) could not be read.
#[derive(Debug, Error)]
pub enum ArchiveError {
    /// Opening, listing or reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// NUL bytes near the start: not a text archive.
    #[error("{path}: binary file (NUL byte in the first 8 KiB), skipped")]
    Binary {
        /// The file.
        path: PathBuf,
    },
    /// A gzip stream broke off; the complete lines before the break were kept.
    #[error("{path}: gzip stream is damaged ({source}); kept the {kept_lines} complete lines before the damage")]
    Gzip {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        source: std::io::Error,
        /// Lines still read.
        kept_lines: usize,
    },
}

/// What the data root holds for a window: the files to read, in path order, and the
/// directories or entries that could not be listed.
#[derive(Debug, Default)]
pub struct Listing {
    /// Files to read, sorted by path (the tie-break order for duplicate lines).
    pub files: Vec<PathBuf>,
    /// Text files left out because their name dates lie outside the window.
    pub skipped_by_date: usize,
    /// Files left out because an earlier run read them and they have not changed since.
    pub unchanged: usize,
    /// Entries that could not be listed.
    pub errors: Vec<ArchiveError>,
}

/// What an earlier complete run read: files not modified since it started and dated before
/// its window end (less the margin) hold nothing it did not see.
#[derive(Debug, Clone, Copy)]
pub struct Since {
    /// When the earlier run started listing files (less a safety margin).
    pub modified_after: SystemTime,
    /// The earlier run's window end.
    pub after_end: i64,
}

/// Lists the `*.txt` and `*.txt.gz` files under `root` that may hold lines of `window`
/// (and, with `since`, that may hold lines an earlier run did not see).
pub fn list_files(root: &Path, window: &Window, since: Option<&Since>) -> Listing {
    let mut listing = Listing::default();
    for entry in WalkDir::new(root).follow_links(true) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let source = err
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
                listing.errors.push(ArchiveError::Io { path, source });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        if !(name.ends_with(".txt") || name.ends_with(".txt.gz")) {
            continue;
        }
        let dates = name_dates(name);
        if dates.is_some_and(|(from, to)| !window.may_overlap(from, to)) {
            listing.skipped_by_date += 1;
            continue;
        }
        if let Some(since) = since {
            let modified = entry.metadata().ok().and_then(|m| m.modified().ok());
            let seen = modified.is_some_and(|m| m < since.modified_after)
                && dates.is_some_and(|(_, to)| to + MARGIN <= since.after_end);
            if seen {
                listing.unchanged += 1;
                continue;
            }
        }
        listing.files.push(entry.into_path());
    }
    listing.files.sort();
    listing
}

/// Splits path-sorted files into runs that share their first directory below `root` (in
/// SLAC's layout, one run per monitor), keeping path order.
pub fn group_by_top_dir<'a>(root: &Path, files: &'a [PathBuf]) -> Vec<&'a [PathBuf]> {
    let top = |p: &PathBuf| {
        p.strip_prefix(root).ok().and_then(|r| {
            let mut parts = r.components();
            let first = parts.next()?;
            // A file directly under the root has no directory of its own.
            parts.next().map(|_| first.as_os_str().to_owned())
        })
    };
    let mut groups = Vec::new();
    let mut start = 0;
    for i in 1..=files.len() {
        if i == files.len() || top(&files[i]) != top(&files[start]) {
            groups.push(&files[start..i]);
            start = i;
        }
    }
    groups
}

/// The time range a `ping-YYYY-MM-DD.txt[.gz]` or `ping-YYYY-MM.txt[.gz]` name covers.
pub fn name_dates(name: &str) -> Option<(i64, i64)> {
    let stem = name.strip_prefix("ping-")?;
    let stem = stem
        .strip_suffix(".txt.gz")
        .or_else(|| stem.strip_suffix(".txt"))?;
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    if let Ok(day) = NaiveDate::parse_from_str(stem, "%Y-%m-%d") {
        let from = midnight(day)?;
        return Some((from, from + 86_400));
    }
    let first = NaiveDate::parse_from_str(&format!("{stem}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((midnight(first)?, midnight(next)?))
}

/// The bytes of one file, decompressed when its name ends in `.gz`.
#[derive(Debug)]
pub struct Contents {
    /// The text, ending after the last complete line when the file was damaged.
    pub bytes: Vec<u8>,
    /// Set when only part of the file could be read; the part in `bytes` is good.
    pub damage: Option<ArchiveError>,
}

/// Reads a whole file; gzip files are decompressed (multi-member streams included).
pub fn read_file(path: &Path) -> Result<Contents, ArchiveError> {
    let mut bytes = Vec::new();
    let damage = read_into(path, &mut bytes)?;
    Ok(Contents { bytes, damage })
}

/// Like [`read_file`], into a buffer the caller reuses (cleared first): reading hundreds of
/// files then costs no fresh memory per file. Returns the damage, if only part was read.
pub fn read_into(path: &Path, bytes: &mut Vec<u8>) -> Result<Option<ArchiveError>, ArchiveError> {
    let io = |source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    };
    bytes.clear();
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut damage = None;
    if path.extension().is_some_and(|e| e == "gz") {
        let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
        bytes.reserve(size.saturating_mul(6));
        if let Err(source) = MultiGzDecoder::new(file).read_to_end(bytes) {
            // Keep every complete line before the damage; drop the torn last line.
            let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            bytes.truncate(keep);
            if bytes.is_empty() {
                return Err(ArchiveError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::new(
                        source.kind(),
                        format!("not a readable gzip file ({source})"),
                    ),
                });
            }
            damage = Some(ArchiveError::Gzip {
                path: path.to_path_buf(),
                source,
                kept_lines: bytes.iter().filter(|&&b| b == b'\n').count(),
            });
        }
    } else {
        file.read_to_end(bytes).map_err(io)?;
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(ArchiveError::Binary {
            path: path.to_path_buf(),
        });
    }
    Ok(damage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn name_dates_for_daily_and_monthly_files() {
        assert_eq!(
            name_dates("ping-2007-02-18.txt.gz"),
            Some((1_171_756_800, 1_171_843_200))
        );
        assert_eq!(
            name_dates("ping-2007-02.txt"),
            Some((1_170_288_000, 1_172_707_200))
        );
        assert_eq!(
            name_dates("ping-2007-12.txt").map(|(a, b)| b - a),
            Some(31 * 86_400)
        );
        assert_eq!(name_dates("hep_data_2003.txt"), None);
        assert_eq!(name_dates("ping-2007-13.txt"), None);
    }

    #[test]
    fn files_group_by_their_first_directory() {
        let root = Path::new("/data");
        let files: Vec<PathBuf> = [
            "/data/a.txt",
            "/data/m1/x.txt",
            "/data/m1/y/z.txt",
            "/data/m2/x.txt",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let groups = group_by_top_dir(root, &files);
        let sizes: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        assert_eq!(sizes, [1, 2, 1]);
        assert!(group_by_top_dir(root, &[]).is_empty());
    }

    #[test]
    fn truncated_gzip_keeps_the_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ping-2007-02-18.txt.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        for i in 0..2000 {
            writeln!(
                enc,
                "line {i} with some text to make the stream long enough"
            )
            .unwrap();
        }
        let gz = enc.finish().unwrap();
        std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let contents = read_file(&path).unwrap();
        let kept = contents.bytes.iter().filter(|&&b| b == b'\n').count();
        assert!(kept > 100 && kept < 2000, "{kept}");
        assert!(contents.bytes.ends_with(b"\n"));
        assert!(
            matches!(contents.damage, Some(ArchiveError::Gzip { kept_lines, .. }) if kept_lines == kept)
        );
    }

    #[test]
    fn garbage_named_gz_and_binary_text_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("ping-2007-02-18.txt.gz");
        std::fs::write(&gz, b"this is not gzip at all\n").unwrap();
        let err = read_file(&gz).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: ", gz.display())), "{err}");
        let bin = dir.path().join("ping-2007-02-19.txt");
        std::fs::write(&bin, b"\x7fELF\0\0\0\x01").unwrap();
        assert!(matches!(read_file(&bin), Err(ArchiveError::Binary { .. })));
    }
}
