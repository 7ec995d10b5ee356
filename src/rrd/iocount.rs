//! Counts of the file operations that cost a round trip on NFS (opens, fsyncs, renames,
//! removals) and the bytes that cross the wire, for `bench`'s NFS model. Process-wide;
//! `bench` takes the difference around each stage.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

static OPENS: AtomicU64 = AtomicU64::new(0);
static FSYNCS: AtomicU64 = AtomicU64::new(0);
static RENAMES: AtomicU64 = AtomicU64::new(0);
static REMOVES: AtomicU64 = AtomicU64::new(0);
static BYTES_READ: AtomicU64 = AtomicU64::new(0);
static BYTES_WRITTEN: AtomicU64 = AtomicU64::new(0);

/// A file (or directory) was opened.
pub fn open() {
    OPENS.fetch_add(1, Ordering::Relaxed);
}

/// A file or directory was fsynced.
pub fn fsync() {
    FSYNCS.fetch_add(1, Ordering::Relaxed);
}

/// A file was renamed into place.
pub fn rename() {
    RENAMES.fetch_add(1, Ordering::Relaxed);
}

/// A file was removed.
pub fn remove() {
    REMOVES.fetch_add(1, Ordering::Relaxed);
}

/// Archive files were read: `files` opens and `bytes` as stored.
pub fn files_read(files: u64, bytes: u64) {
    OPENS.fetch_add(files, Ordering::Relaxed);
    BYTES_READ.fetch_add(bytes, Ordering::Relaxed);
}

/// Bytes written to a file.
pub fn written(bytes: u64) {
    BYTES_WRITTEN.fetch_add(bytes, Ordering::Relaxed);
}

/// The counts so far, or the counts of a stage (see [`Counts::since`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Files and directories opened (librrd's opens of RRDs included).
    pub opens: u64,
    /// fsyncs of files and directories.
    pub fsyncs: u64,
    /// Renames into place.
    pub renames: u64,
    /// Files removed.
    pub removes: u64,
    /// Bytes read from files (archive files as stored, compressed or not).
    pub bytes_read: u64,
    /// Bytes written to files (whole files written, journals, and appended rows).
    pub bytes_written: u64,
}

impl Counts {
    /// The counts so far.
    pub fn now() -> Counts {
        Counts {
            opens: OPENS.load(Ordering::Relaxed),
            fsyncs: FSYNCS.load(Ordering::Relaxed),
            renames: RENAMES.load(Ordering::Relaxed),
            removes: REMOVES.load(Ordering::Relaxed),
            bytes_read: BYTES_READ.load(Ordering::Relaxed),
            bytes_written: BYTES_WRITTEN.load(Ordering::Relaxed),
        }
    }

    /// What happened since `before`.
    pub fn since(&self, before: &Counts) -> Counts {
        Counts {
            opens: self.opens - before.opens,
            fsyncs: self.fsyncs - before.fsyncs,
            renames: self.renames - before.renames,
            removes: self.removes - before.removes,
            bytes_read: self.bytes_read - before.bytes_read,
            bytes_written: self.bytes_written - before.bytes_written,
        }
    }

    /// Operations that each wait for the server: opens (a lookup and an open), fsyncs
    /// (a commit), renames and removes.
    pub fn round_trips(&self) -> u64 {
        2 * self.opens + self.fsyncs + self.renames + self.removes
    }

    /// Seconds this would cost on NFS: round trips times the RTT, plus the bytes at a
    /// bandwidth (bytes per second).
    pub fn nfs_seconds(&self, rtt_seconds: f64, bandwidth: f64) -> f64 {
        self.round_trips() as f64 * rtt_seconds
            + (self.bytes_read + self.bytes_written) as f64 / bandwidth
    }
}
