//! One run at a time per RRD tree: an advisory lock on a file in the RRD directory, so an
//! overlapping cron job exits instead of writing the same files. The OS drops the lock when
//! the process ends, however it ends, so a killed run never leaves a stale lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Name of the lock file in the RRD directory.
pub const LOCK_FILE: &str = ".pinger-smokeping.lock";

/// Why the lock could not be taken.
#[derive(Debug, Error)]
pub enum LockError {
    /// Another run holds it.
    #[error("{path}: another run holds the lock ({holder}); not starting a second one")]
    Held {
        /// The lock file.
        path: PathBuf,
        /// What the holder wrote into it (pid and start time).
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("{path}: cannot lock: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// Held for the whole run; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Takes the lock of `rrd_dir` (created if missing) without waiting.
pub fn acquire(rrd_dir: &Path) -> Result<RunLock, LockError> {
    let path = rrd_dir.join(LOCK_FILE);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(rrd_dir).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Held {
                path,
                holder: if holder.is_empty() {
                    "unknown holder".into()
                } else {
                    holder.into()
                },
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let note = format!(
        "pid {} since {}",
        std::process::id(),
        crate::window::format_time(chrono::Utc::now().timestamp())
    );
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    file.write_all(note.as_bytes()).map_err(io)?;
    Ok(RunLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = acquire(dir.path()).unwrap();
        let err = acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains("another run holds the lock (pid "), "{err}");
        drop(first);
        acquire(dir.path()).unwrap();
    }
}
