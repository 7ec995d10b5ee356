//! Finding and reading input files: walk a data root, pick the files whose name dates may
//! hold lines of the window (and, for the nightly update, that an earlier run has not read in
//! their current version), and read them line by line, gzip or plain. A gzip file of up to
//! [`WHOLE_GZIP_MAX`] bytes of text is inflated whole with libdeflate (see `inflate`); any
//! other file is streamed, never holding more than one line ([`MAX_LINE`]) and one read
//! buffer in memory.
//!
//! Never decides what a line means: that is `parse`. A file that cannot be read is an
//! [`ArchiveError`] naming the path; the caller reports it and goes on with the others.

use crate::input::inflate::Inflater;
use crate::model::window::Window;
use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
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
    /// No line could be read, and lines held NUL bytes: not a text archive.
    #[error("{path}: binary file (NUL bytes and not one readable line), skipped")]
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
    /// The version of each file of `files` when it was listed (same order).
    pub versions: Vec<FileVersion>,
    /// Text files left out because their name dates lie outside the window.
    pub skipped_by_date: usize,
    /// Files left out because an earlier run read this very version of them, with what that
    /// run recorded (carried into the next record).
    pub unchanged: Vec<(PathBuf, SeenFile)>,
    /// Files an earlier run read that are gone (and could still hold lines of the window).
    pub gone: Vec<PathBuf>,
    /// Entries that could not be listed.
    pub errors: Vec<ArchiveError>,
}

/// What identifies one version of a file's contents without reading it. Any write changes
/// the size, the change time or (for a replaced file) the inode; `rsync -a`, `cp -p` and
/// `tar x` set the modification time back, but cannot set the change time. Versions are only
/// ever compared for equality, never with a clock, so clock skew between the file server and
/// this host changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileVersion {
    /// Size in bytes.
    pub len: u64,
    /// Modification time, nanoseconds since 1970.
    pub mtime_ns: i128,
    /// Status change time, nanoseconds since 1970.
    pub ctime_ns: i128,
    /// Inode number.
    pub ino: u64,
    /// Device number.
    pub dev: u64,
}

impl FileVersion {
    /// The version described by a file's metadata.
    pub fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        FileVersion {
            len: meta.len(),
            mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
            ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }
}

/// What a run recorded of a file it read whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenFile {
    /// The version read.
    pub version: FileVersion,
    /// The latest time of an accepted line in it, if any.
    pub latest: Option<i64>,
}

/// What an earlier complete run read: a file it read whole, unchanged since, holds nothing it
/// did not see, unless a line of it lay at or after that run's window end.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The earlier run's window end.
    pub end: i64,
    /// Per file path (as listed), what was read.
    pub files: HashMap<String, SeenFile>,
}

impl Seen {
    /// Whether `path` at `version` was read whole and holds no line this window adds.
    fn has_all_of(&self, path: &Path, version: &FileVersion) -> Option<SeenFile> {
        let seen = self.files.get(path.to_string_lossy().as_ref())?;
        let nothing_new = seen.latest.is_none_or(|t| t < self.end);
        (seen.version == *version && nothing_new).then_some(*seen)
    }
}

/// Lists the `*.txt` and `*.txt.gz` files under `root` that may hold lines of `window`;
/// with `seen`, leaves out those an earlier run read in this very version.
pub fn list_files(root: &Path, window: &Window, seen: Option<&Seen>) -> Listing {
    let mut listing = Listing::default();
    let mut found: Vec<(PathBuf, FileVersion)> = Vec::new();
    let mut present: HashSet<String> = HashSet::new();
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
        let version = match entry.metadata() {
            Ok(meta) => FileVersion::of(&meta),
            Err(err) => {
                let source = err
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("cannot stat"));
                listing.errors.push(ArchiveError::Io {
                    path: entry.into_path(),
                    source,
                });
                continue;
            }
        };
        if let Some(seen) = seen {
            present.insert(entry.path().to_string_lossy().into_owned());
            if let Some(file) = seen.has_all_of(entry.path(), &version) {
                listing.unchanged.push((entry.into_path(), file));
                continue;
            }
        }
        found.push((entry.into_path(), version));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    (listing.files, listing.versions) = found.into_iter().unzip();
    if let Some(seen) = seen {
        // Gone, unless the window simply moved past the file's name dates.
        listing.gone = seen
            .files
            .keys()
            .filter(|p| !present.contains(*p))
            .map(PathBuf::from)
            .filter(|p| {
                let dates = p.file_name().and_then(|n| name_dates(&n.to_string_lossy()));
                dates.is_none_or(|(from, to)| window.may_overlap(from, to))
            })
            .collect();
        listing.gone.sort();
    }
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

/// The longest line read (the contract's limit); a longer one is rejected without being
/// held whole in memory.
pub const MAX_LINE: usize = 65_536;

/// Size of the read buffer: lines that fit in it are parsed where they lie, without a copy.
const BUFFER: usize = 256 * 1024;

/// What [`read_lines`] hands over, in file order.
#[derive(Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A line, without its newline.
    Line(&'a [u8]),
    /// A line longer than [`MAX_LINE`] bytes (skipped, whatever its length).
    TooLong,
    /// A plain file's last line with no newline after it: perhaps still being written.
    Incomplete(&'a [u8]),
}

/// Why a file stopped being readable part-way.
#[derive(Debug)]
pub struct Broken {
    /// What the OS or the decoder said.
    pub source: std::io::Error,
    /// Whether it is the gzip stream that broke.
    pub gzip: bool,
}

/// Opens a file for [`read_lines`]: gzip files (multi-member streams included) are
/// decompressed as they are read, so memory never depends on a file's size.
pub fn open(path: &Path) -> Result<Box<dyn BufRead + Send>, ArchiveError> {
    let (file, _) = open_counted(path)?;
    Ok(streamed(file, is_gzip(path)))
}

/// Opens a file; returns it with its size as stored (what crosses the wire from a file
/// server, reported in [`FileRead::stored`]).
fn open_counted(path: &Path) -> Result<(std::fs::File, u64), ArchiveError> {
    let file = std::fs::File::open(path).map_err(|source| ArchiveError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file.metadata().map_or(0, |m| m.len());
    Ok((file, size))
}

/// A file read through a buffer, decompressed as it is read when `gzip`.
fn streamed(file: std::fs::File, gzip: bool) -> Box<dyn BufRead + Send> {
    if gzip {
        Box::new(gzip_stream(BufReader::with_capacity(64 * 1024, file)))
    } else {
        Box::new(BufReader::with_capacity(BUFFER, file))
    }
}

fn gzip_stream<R: BufRead>(packed: R) -> BufReader<MultiGzDecoder<R>> {
    BufReader::with_capacity(BUFFER, MultiGzDecoder::new(packed))
}

/// Whether the file is read as gzip (its name ends in `.gz`).
pub fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

/// Reads `reader` line by line into `each`, holding at most [`MAX_LINE`] bytes of a line
/// (`scratch` keeps a line that spans two buffer fills). A last line without a newline is a
/// line when `complete_at_end` (a gzip stream that ended), else [`Piece::Incomplete`].
/// Returns the bytes read, or what broke the file after the pieces already handed over.
pub fn read_lines(
    reader: &mut dyn BufRead,
    scratch: &mut Vec<u8>,
    complete_at_end: bool,
    gzip: bool,
    mut each: impl FnMut(Piece<'_>),
) -> Result<u64, (u64, Broken)> {
    scratch.clear();
    let mut too_long = false;
    let mut total = 0u64;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(source) => return Err((total, Broken { source, gzip })),
        };
        if buf.is_empty() {
            if too_long {
                each(Piece::TooLong);
            } else if !scratch.is_empty() {
                each(if complete_at_end {
                    Piece::Line(scratch)
                } else {
                    Piece::Incomplete(scratch)
                });
            }
            return Ok(total);
        }
        let (used, ends_line) = match memchr::memchr(b'\n', buf) {
            Some(i) => (i + 1, Some(i)),
            None => (buf.len(), None),
        };
        let chunk = &buf[..ends_line.unwrap_or(used)];
        if !too_long && scratch.len() + chunk.len() > MAX_LINE {
            too_long = true;
            scratch.clear();
        }
        match ends_line {
            Some(_) if too_long => each(Piece::TooLong),
            Some(_) if scratch.is_empty() => each(Piece::Line(chunk)),
            Some(_) => {
                scratch.extend_from_slice(chunk);
                each(Piece::Line(scratch));
            }
            None if !too_long => scratch.extend_from_slice(chunk),
            None => {}
        }
        if ends_line.is_some() {
            scratch.clear();
            too_long = false;
        }
        total += used as u64;
        reader.consume(used);
    }
}

/// [`read_lines`] for a text held whole in memory (an inflated gzip file): the same pieces,
/// found with one scan for newlines instead of a buffer refill per line. Its last line needs
/// no newline (the stream ended). Returns the bytes read.
fn text_lines(text: &[u8], mut each: impl FnMut(Piece<'_>)) -> u64 {
    let mut piece = |line: &[u8]| {
        each(if line.len() > MAX_LINE {
            Piece::TooLong
        } else {
            Piece::Line(line)
        })
    };
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text) {
        piece(&text[start..end]);
        start = end + 1;
    }
    if start < text.len() {
        piece(&text[start..]);
    }
    text.len() as u64
}

/// How reading a whole file went.
#[derive(Debug)]
pub struct FileRead {
    /// Bytes of text read (after decompression).
    pub bytes: u64,
    /// The file's size as stored (compressed), read whole or not.
    pub stored: u64,
    /// Set when only the first part could be read; every piece handed over is good.
    pub damage: Option<ArchiveError>,
}

/// The most text a gzip file may inflate to and still be read whole: a day of one monitor
/// is 2 MB at 200 keys (the 10,000-key archive), so daily files fit up to about 1,600 keys a
/// monitor. Larger files are streamed. At most twice this is held per worker.
pub const WHOLE_GZIP_MAX: usize = 16 << 20;

/// Buffers [`read_file`] reuses from file to file (one set per worker).
#[derive(Default)]
pub struct Buffers {
    /// A line that spans two buffer fills (streamed files only).
    line: Vec<u8>,
    /// A gzip file as stored.
    packed: Vec<u8>,
    /// Its text.
    text: Vec<u8>,
    inflater: Option<Inflater>,
}

/// Opens and reads a whole file line by line into `each` (see [`read_lines`]). A gzip
/// stream that breaks off keeps the complete lines before the break, as does a plain file
/// whose reading fails part-way; a file of which nothing could be read is an error.
pub fn read_file(
    path: &Path,
    buffers: &mut Buffers,
    mut each: impl FnMut(Piece<'_>),
) -> Result<FileRead, ArchiveError> {
    let (mut file, size) = open_counted(path)?;
    let gzip = is_gzip(path);
    let mut lines = 0usize;
    let counted = |piece: Piece<'_>| {
        if !matches!(piece, Piece::Incomplete(_)) {
            lines += 1;
        }
        each(piece)
    };
    let Buffers {
        line,
        packed,
        text,
        inflater,
    } = buffers;
    let whole = gzip
        && read_packed(&mut file, size, packed).map_err(|source| ArchiveError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let result = if whole {
        let inflater = inflater.get_or_insert_with(Inflater::new);
        if inflater.gunzip(packed, text, WHOLE_GZIP_MAX) {
            Ok(text_lines(text, counted))
        } else {
            // Damaged, or too much text: zlib streams it and keeps the lines before damage.
            read_lines(&mut gzip_stream(&packed[..]), line, true, true, counted)
        }
    } else {
        read_lines(&mut *streamed(file, gzip), line, gzip, gzip, counted)
    };
    match result {
        Ok(bytes) => Ok(FileRead {
            bytes,
            stored: size,
            damage: None,
        }),
        Err((_, broken)) if broken.gzip && lines == 0 => Err(ArchiveError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(
                broken.source.kind(),
                format!("not a readable gzip file ({})", broken.source),
            ),
        }),
        Err((bytes, broken)) => Ok(FileRead {
            bytes,
            stored: size,
            damage: Some(if broken.gzip {
                ArchiveError::Gzip {
                    path: path.to_path_buf(),
                    source: broken.source,
                    kept_lines: lines,
                }
            } else {
                ArchiveError::Io {
                    path: path.to_path_buf(),
                    source: broken.source,
                }
            }),
        }),
    }
}

/// Reads a gzip file of `size` bytes whole into `packed` if it is no larger than
/// [`WHOLE_GZIP_MAX`]. False, with the file rewound, when it is larger (or has grown past
/// it) or reading failed: streaming it then meets the failure where it lies, after the lines
/// before it.
fn read_packed(file: &mut std::fs::File, size: u64, packed: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::io::{Read, Seek};
    const MAX: u64 = WHOLE_GZIP_MAX as u64;
    packed.clear();
    let fits = size <= MAX && {
        packed.reserve(size as usize);
        Read::by_ref(file)
            .take(MAX + 1)
            .read_to_end(packed)
            .is_ok_and(|n| n as u64 <= MAX)
    };
    if !fits {
        packed.clear();
        file.rewind()?;
    }
    Ok(fits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The pieces of `text` as strings (`<too long>`, `<incomplete>`).
    fn pieces(text: &[u8], complete_at_end: bool, capacity: usize) -> Vec<String> {
        let mut reader = BufReader::with_capacity(capacity, text);
        let mut out = Vec::new();
        read_lines(&mut reader, &mut Vec::new(), complete_at_end, false, |p| {
            out.push(match p {
                Piece::Line(l) => String::from_utf8_lossy(l).into_owned(),
                Piece::TooLong => "<too long>".into(),
                Piece::Incomplete(_) => "<incomplete>".into(),
            })
        })
        .unwrap();
        out
    }

    #[test]
    fn lines_split_across_buffer_fills_come_out_whole() {
        for capacity in [1, 3, 7, 64] {
            assert_eq!(
                pieces(b"ab\ncdef\n\ng\n", true, capacity),
                ["ab", "cdef", "", "g"]
            );
        }
    }

    #[test]
    fn a_plain_last_line_without_newline_is_incomplete_but_a_gzip_one_is_a_line() {
        assert_eq!(pieces(b"a\nb c", false, 64), ["a", "<incomplete>"]);
        assert_eq!(pieces(b"a\nb c", true, 64), ["a", "b c"]);
        assert_eq!(pieces(b"a\n", false, 64), ["a"]);
    }

    #[test]
    fn lines_over_the_limit_are_rejected_without_being_held_whole() {
        let mut text = vec![b'x'; MAX_LINE];
        text.push(b'\n');
        text.extend(std::iter::repeat_n(b'y', 3 * MAX_LINE + 5));
        text.extend_from_slice(b"\nok\n");
        text.extend(std::iter::repeat_n(b'z', MAX_LINE + 1)); // no newline at all
        let mut scratch = Vec::new();
        let mut reader = BufReader::with_capacity(4096, &text[..]);
        let mut got = Vec::new();
        read_lines(&mut reader, &mut scratch, false, false, |p| {
            got.push(match p {
                Piece::Line(l) => l.len().to_string(),
                other => format!("{other:?}"),
            })
        })
        .unwrap();
        assert_eq!(
            got,
            [
                MAX_LINE.to_string(),
                "TooLong".into(),
                "2".into(),
                "TooLong".into()
            ]
        );
        assert!(scratch.capacity() <= 2 * MAX_LINE, "{}", scratch.capacity());
    }

    /// Random texts of short, empty and over-long lines, with or without a last newline:
    /// read whole from memory, they give the pieces the buffered reader gives.
    #[test]
    fn a_text_in_memory_splits_into_the_same_pieces_as_a_stream() {
        let mut rng = fastrand::Rng::with_seed(13);
        for _ in 0..200 {
            let mut text = Vec::new();
            for _ in 0..rng.usize(0..12) {
                let len = match rng.u8(0..10) {
                    0 => MAX_LINE + rng.usize(0..3) - 1,
                    1 => 0,
                    _ => rng.usize(1..80),
                };
                text.extend(std::iter::repeat_with(|| rng.u8(b' '..b'~')).take(len));
                text.push(b'\n');
            }
            if rng.bool() {
                text.pop();
            }
            let streamed = {
                let mut reader = BufReader::with_capacity(4096, &text[..]);
                let mut got = Vec::new();
                read_lines(&mut reader, &mut Vec::new(), true, true, |p| {
                    got.push(format!("{p:?}"))
                })
                .map_err(|(_, b)| b.source)
                .unwrap();
                got
            };
            let mut whole = Vec::new();
            let bytes = text_lines(&text, |p| whole.push(format!("{p:?}")));
            assert_eq!(whole, streamed);
            assert_eq!(bytes, text.len() as u64);
        }
    }

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

    /// Reads a file; returns (lines, result).
    fn read(path: &Path) -> (Vec<String>, Result<FileRead, ArchiveError>) {
        let mut lines = Vec::new();
        let result = read_file(path, &mut Buffers::default(), |p| {
            if let Piece::Line(l) = p {
                lines.push(String::from_utf8_lossy(l).into_owned());
            }
        });
        (lines, result)
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
        let (lines, result) = read(&path);
        let kept = lines.len();
        assert!(kept > 100 && kept < 2000, "{kept}");
        assert!(lines.iter().all(|l| l.ends_with("long enough")));
        let damage = result.unwrap().damage;
        assert!(
            matches!(damage, Some(ArchiveError::Gzip { kept_lines, .. }) if kept_lines == kept),
            "{damage:?}"
        );
    }

    fn gzip(text: &str) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(text.as_bytes()).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn every_member_of_a_multi_member_gzip_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ping-2007-02-18.txt.gz");
        let mut gz = gzip("a 1\nb 2\n");
        gz.extend(gzip("c 3\nd 4"));
        std::fs::write(&path, &gz).unwrap();
        let (lines, result) = read(&path);
        assert_eq!(lines, ["a 1", "b 2", "c 3", "d 4"]);
        let read = result.unwrap();
        assert!(read.damage.is_none());
        assert_eq!(read.bytes, 15);
    }

    #[test]
    fn garbage_after_a_good_member_keeps_its_lines_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ping-2007-02-18.txt.gz");
        let mut gz = gzip("a 1\nb 2\n");
        gz.extend_from_slice(b"\x1f\x8b garbage");
        std::fs::write(&path, &gz).unwrap();
        let (lines, result) = read(&path);
        assert_eq!(lines, ["a 1", "b 2"]);
        let damage = result.unwrap().damage;
        assert!(
            matches!(damage, Some(ArchiveError::Gzip { kept_lines: 2, .. })),
            "{damage:?}"
        );
    }

    #[test]
    fn garbage_named_gz_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("ping-2007-02-18.txt.gz");
        std::fs::write(&gz, b"this is not gzip at all\n").unwrap();
        let err = read(&gz).1.unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: ", gz.display())), "{err}");
    }
}
