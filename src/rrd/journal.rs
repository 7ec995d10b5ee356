//! The nightly append, in place and crash-safe: a 120-day RRD is a ring buffer, and a night
//! touches its header and about 48 rows, so copying the whole 600 KB file to append 5 KB
//! costs the disk (or NFS) a hundred times what the night brings.
//!
//! Before librrd touches a file, every byte it may change is saved in an undo journal next to
//! it (`.<name>.<tag>pinger-journal`), fsynced: the header (static part, live head, PDP and CDP
//! preparation, row pointers) and, per archive, the rows the new samples can reach after its
//! current row. Then librrd updates the file in place; then the file is fsynced and the
//! journal removed. A run that finds a journal (the last one was killed) puts the saved bytes
//! back before anything else, so the file is exactly as before that append, and the append is
//! made again. A journal cut short by the kill is ignored: the file was not touched yet.
//!
//! Only files this can describe exactly are appended in place (the binary layout of librrd
//! 1.7 on 64-bit Linux, format version 3 or later, AVERAGE/MIN/MAX/LAST archives); any other
//! is appended through a copy renamed into place, as before.

use crate::rrd::store::StoreError;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Every journal's name ends with this.
pub const JOURNAL_SUFFIX: &str = ".pinger-journal";

/// First bytes of a journal.
const MAGIC: &[u8; 8] = b"PSJRNL01";

/// Sizes of librrd's on-disk structures (`rrd_format.h`, x86-64).
const STAT_HEAD: u64 = 128;
const DS_DEF: u64 = 120;
const RRA_DEF: u64 = 120;
const LIVE_HEAD: u64 = 16;
const PDP_PREP: u64 = 112;
const CDP_PREP: u64 = 80;
const RRA_PTR: u64 = 8;
const VALUE: u64 = 8;

/// The byte ranges of a file that an append of samples up to `until` may change, or `None`
/// when the file is not one this module can describe.
pub fn ranges(file: &File, until: i64) -> std::io::Result<Option<Vec<(u64, u64)>>> {
    let mut stat = [0u8; STAT_HEAD as usize];
    file.read_exact_at(&mut stat, 0)?;
    let word = |b: &[u8], at: usize| u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"));
    let version: u32 = std::str::from_utf8(&stat[4..8])
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if &stat[0..4] != b"RRD\0"
        || version < 3
        || f64::from_ne_bytes(stat[16..24].try_into().unwrap()) != 8.642135e130
    {
        return Ok(None);
    }
    let (ds, rra, step) = (word(&stat, 24), word(&stat, 32), word(&stat, 40));
    if ds == 0 || rra == 0 || ds > 10_000 || rra > 1_000 || step == 0 {
        return Ok(None);
    }
    let mut defs = vec![0u8; (rra * RRA_DEF) as usize];
    file.read_exact_at(&mut defs, STAT_HEAD + ds * DS_DEF)?;
    let live = STAT_HEAD + ds * DS_DEF + rra * RRA_DEF;
    let mut head = [0u8; LIVE_HEAD as usize];
    file.read_exact_at(&mut head, live)?;
    let last_up = word(&head, 0) as i64;
    let ptr_at = live + LIVE_HEAD + ds * PDP_PREP + rra * ds * CDP_PREP;
    let header = ptr_at + rra * RRA_PTR;
    let mut ptrs = vec![0u8; (rra * RRA_PTR) as usize];
    file.read_exact_at(&mut ptrs, ptr_at)?;

    // Steps the append advances, with one to spare for a partly filled one.
    let steps = (until - last_up).max(0) as u64 / step + 2;
    let mut out = vec![(0, header)];
    let mut data = header;
    for i in 0..rra as usize {
        let def = &defs[i * RRA_DEF as usize..(i + 1) * RRA_DEF as usize];
        let cf = std::str::from_utf8(&def[..20])
            .unwrap_or("")
            .trim_end_matches('\0');
        if !matches!(cf, "AVERAGE" | "MIN" | "MAX" | "LAST") {
            return Ok(None);
        }
        let (rows, per_row) = (word(def, 24), word(def, 32).max(1));
        let cur = word(&ptrs, i * 8);
        if rows == 0 || cur >= rows {
            return Ok(None);
        }
        let row = ds * VALUE;
        let touched = (steps / per_row + 2).min(rows);
        // Rows cur+1 .. cur+touched, wrapping at the end of the archive.
        let first = (cur + 1) % rows;
        let before_wrap = touched.min(rows - first);
        out.push((data + first * row, before_wrap * row));
        if touched > before_wrap {
            out.push((data, (touched - before_wrap) * row));
        }
        data += rows * row;
    }
    if file.metadata()?.len() != data {
        return Ok(None);
    }
    Ok(Some(out))
}

/// Where the journal of `path` lives (next to it; `tag` marks a shard's).
pub fn journal_path(path: &Path, tag: &str) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    path.with_file_name(format!(".{name}{tag}{JOURNAL_SUFFIX}"))
}

/// FNV-1a 64 of the journal's contents, so a journal cut short is recognised.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Saves `ranges` of `path` in its journal, fsynced with its directory when `fsync` (a kill
/// needs no fsync, a power loss does).
pub fn save(
    path: &Path,
    tag: &str,
    ranges: &[(u64, u64)],
    fsync: bool,
) -> std::io::Result<PathBuf> {
    let file = File::open(path)?;
    let name = path
        .file_name()
        .map_or_else(Default::default, |n| n.to_string_lossy());
    let mut text = Vec::new();
    text.extend_from_slice(MAGIC);
    text.extend_from_slice(&(name.len() as u64).to_le_bytes());
    text.extend_from_slice(name.as_bytes());
    text.extend_from_slice(&(ranges.len() as u64).to_le_bytes());
    for &(offset, len) in ranges {
        text.extend_from_slice(&offset.to_le_bytes());
        text.extend_from_slice(&len.to_le_bytes());
        let at = text.len();
        text.resize(at + len as usize, 0);
        file.read_exact_at(&mut text[at..], offset)?;
    }
    let sum = checksum(&text);
    text.extend_from_slice(&sum.to_le_bytes());
    let journal = journal_path(path, tag);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&journal)?;
    out.write_all(&text)?;
    crate::rrd::iocount::open();
    crate::rrd::iocount::written(text.len() as u64);
    if fsync {
        out.sync_all()?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        crate::rrd::iocount::fsync();
        crate::rrd::iocount::fsync();
    }
    Ok(journal)
}

/// A journal's contents: the file's name, and each saved range's offset and bytes.
type Saved = (String, Vec<(u64, Vec<u8>)>);

/// What a journal holds; `None` if it is incomplete or damaged (the file it names was not
/// touched yet).
fn read(journal: &Path) -> std::io::Result<Option<Saved>> {
    let mut text = Vec::new();
    File::open(journal)?.read_to_end(&mut text)?;
    let Some(body_len) = text.len().checked_sub(8) else {
        return Ok(None);
    };
    let (body, sum) = text.split_at(body_len);
    if !body.starts_with(MAGIC) || checksum(body).to_le_bytes() != sum {
        return Ok(None);
    }
    let mut at = MAGIC.len();
    let mut next = |n: usize| -> Option<&[u8]> {
        let piece = body.get(at..at.checked_add(n)?)?;
        at += n;
        Some(piece)
    };
    let number = |b: Option<&[u8]>| b.map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")));
    let mut parse = || -> Option<Saved> {
        let name_len = number(next(8))? as usize;
        let name = String::from_utf8(next(name_len)?.to_vec()).ok()?;
        let count = number(next(8))?;
        let mut ranges = Vec::new();
        for _ in 0..count {
            let offset = number(next(8))?;
            let len = number(next(8))? as usize;
            ranges.push((offset, next(len)?.to_vec()));
        }
        Some((name, ranges))
    };
    Ok(parse())
}

/// Puts back what every journal below `dir` saved (only this run's `tag`; "" for all), then
/// removes the journals. Returns how many files were restored.
pub fn recover(dir: &Path, tag: &str) -> Result<usize, StoreError> {
    let mut restored = 0;
    let journals: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name().to_string_lossy();
            e.file_type().is_file() && name.ends_with(JOURNAL_SUFFIX) && name.contains(tag)
        })
        .map(|e| e.into_path())
        .collect();
    for journal in journals {
        restored += usize::from(restore(&journal)?);
    }
    Ok(restored)
}

/// Puts back what one journal saved (if it is whole) and removes it; returns whether it
/// restored anything.
pub fn restore(journal: &Path) -> Result<bool, StoreError> {
    let error = |e: std::io::Error| StoreError {
        path: journal.to_path_buf(),
        message: format!("cannot recover from this journal: {e}"),
    };
    let mut restored = false;
    if let Some((name, ranges)) = read(journal).map_err(error)? {
        let target = journal.with_file_name(&name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .map_err(error)?;
        for (offset, bytes) in &ranges {
            file.write_all_at(bytes, *offset).map_err(error)?;
        }
        file.sync_all().map_err(error)?;
        restored = true;
    }
    std::fs::remove_file(journal).map_err(error)?;
    Ok(restored)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rrd::store::{self, Layout, UpdateBatch};

    fn updates(batch: &mut UpdateBatch, from: i64, count: i64) {
        for i in 0..count {
            let t = from + i * 1800;
            batch.begin();
            batch.push(
                format!(
                    "{t}:U:{}:0.01:0.01:0.01:0.01:0.01:0.01:0.01:0.01:0.01:0.01:0.02",
                    i % 10
                )
                .as_bytes(),
            );
        }
    }

    /// Every byte an append changes lies in the ranges saved before it, wherever the ring's
    /// current row is (including across its end), with several archives.
    #[test]
    fn the_saved_ranges_cover_every_byte_librrd_changes() {
        let dir = tempfile::tempdir().unwrap();
        let mut layout = Layout::pinger_default();
        layout.archives[0].rows = 100;
        layout.archives.push("MAX:0.5:4:30".parse().unwrap());
        layout.archives.push("LAST:0.5:1:7".parse().unwrap());
        let path = dir.path().join("k.rrd");
        let start = 1_200_000_600;
        store::create(&path, &layout, start).unwrap();
        let mut last = start;
        for (round, count) in [(0, 48), (1, 48), (2, 60), (3, 1), (4, 130)] {
            let until = last + count * 1800;
            let before = std::fs::read(&path).unwrap();
            let saved = ranges(&File::open(&path).unwrap(), until)
                .unwrap()
                .expect("described");
            let mut batch = UpdateBatch::new();
            updates(&mut batch, last + 1800, count);
            store::update(&path, &mut batch).unwrap();
            let after = std::fs::read(&path).unwrap();
            assert_eq!(before.len(), after.len());
            for (i, (a, b)) in before.iter().zip(&after).enumerate() {
                if a != b {
                    let i = i as u64;
                    assert!(
                        saved.iter().any(|&(o, l)| (o..o + l).contains(&i)),
                        "round {round}: byte {i} changed outside {saved:?}"
                    );
                }
            }
            last = until;
        }
    }

    #[test]
    fn a_journal_restores_the_file_and_a_cut_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.rrd");
        store::create(&path, &Layout::pinger_default(), 1_200_000_600).unwrap();
        let before = std::fs::read(&path).unwrap();
        let saved = ranges(&File::open(&path).unwrap(), 1_200_000_600 + 48 * 1800)
            .unwrap()
            .unwrap();
        let journal = save(&path, "", &saved, true).unwrap();
        let mut batch = UpdateBatch::new();
        updates(&mut batch, 1_200_002_400, 48);
        store::update(&path, &mut batch).unwrap();
        assert_ne!(std::fs::read(&path).unwrap(), before);
        assert!(journal.exists());
        assert_eq!(recover(dir.path(), "").unwrap(), 1);
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(!journal.exists());

        // Cut short: ignored and removed, the file left alone.
        let journal = save(&path, "", &saved, true).unwrap();
        let text = std::fs::read(&journal).unwrap();
        std::fs::write(&journal, &text[..text.len() / 2]).unwrap();
        store::update(&path, &mut batch).unwrap();
        let updated = std::fs::read(&path).unwrap();
        assert_eq!(recover(dir.path(), "").unwrap(), 0);
        assert_eq!(std::fs::read(&path).unwrap(), updated);
        assert!(!journal.exists());
    }
}
