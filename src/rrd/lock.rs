//! One run at a time per RRD tree: an advisory lock on a file in the RRD directory, so an
//! overlapping cron job exits instead of writing the same files. The OS drops the lock when
//! the process ends, however it ends, so a killed run never leaves a stale lock.
//!
//! Lock files and the key register are opened without following symlinks and must be plain
//! files: the RRD tree may be writable by a less trusted account than the one cron runs as,
//! and a planted link must not make us write, or create, a file outside the tree.

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
    _files: Vec<File>,
}

/// Which runs may share an RRD tree: a whole-tree run excludes every other run; a shard
/// (`--shard I/N`) excludes whole-tree runs and the same shard, so array jobs run together.
pub fn acquire_for(rrd_dir: &Path, shard: Option<(u32, u32)>) -> Result<RunLock, LockError> {
    std::fs::create_dir_all(rrd_dir).map_err(|source| LockError::Io {
        path: rrd_dir.to_path_buf(),
        source,
    })?;
    let main = rrd_dir.join(LOCK_FILE);
    match shard {
        None => Ok(RunLock {
            _files: vec![lock_file(&main, true)?],
        }),
        Some((index, count)) => {
            let whole = lock_file(&main, false)?;
            let own = lock_file(&rrd_dir.join(shard_lock_name(index, count)), true)?;
            Ok(RunLock {
                _files: vec![whole, own],
            })
        }
    }
}

/// Takes the whole-tree lock of `rrd_dir` (created if missing) without waiting.
pub fn acquire(rrd_dir: &Path) -> Result<RunLock, LockError> {
    acquire_for(rrd_dir, None)
}

/// The lock file of one shard.
pub fn shard_lock_name(index: u32, count: u32) -> String {
    format!(".pinger-smokeping.shard-{index}-of-{count}.lock")
}

/// Locks `path` without waiting, exclusively (and then notes our pid in it) or shared.
fn lock_file(path: &Path, exclusive: bool) -> Result<File, LockError> {
    let io = |source| LockError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = open_no_follow(path, false).map_err(io)?;
    let attempt = if exclusive {
        file.try_lock()
    } else {
        file.try_lock_shared()
    };
    match attempt {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            return Err(LockError::Held {
                path: path.to_path_buf(),
                holder: if holder.is_empty() {
                    "unknown holder".into()
                } else {
                    holder.into()
                },
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    if exclusive {
        let note = format!(
            "pid {} since {}",
            std::process::id(),
            crate::model::window::format_time(chrono::Utc::now().timestamp())
        );
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(note.as_bytes()).map_err(io)?;
    }
    Ok(file)
}

/// Runs `f` while holding a short, blocking lock on `path` (for files that several shards
/// rewrite, such as srcdest.txt).
pub fn while_locked<T>(path: &Path, f: impl FnOnce() -> T) -> std::io::Result<T> {
    let file = open_no_follow(path, false)?;
    file.lock()?;
    let result = f();
    file.unlock()?;
    Ok(result)
}

/// Opens (creating it if missing, mode `0666 & ~umask`) a plain file for reading and
/// writing, or appending, without following a symlink; anything but a plain file is refused.
pub fn open_no_follow(path: &Path, append: bool) -> std::io::Result<File> {
    open_plain(
        OpenOptions::new()
            .read(true)
            .write(!append)
            .append(append)
            .create(true)
            .truncate(false),
        path,
    )
}

/// Reads a plain file without following a symlink.
pub fn read_no_follow(path: &Path) -> std::io::Result<String> {
    let mut file = open_plain(OpenOptions::new().read(true), path)?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// Opens with `options`, refusing a symlink (O_NOFOLLOW) and anything but a plain file.
fn open_plain(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = options
        // O_NONBLOCK: opening a planted FIFO must not hang the run.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| refuse_link(path, e))?;
    if !file.metadata()?.file_type().is_file() {
        return Err(std::io::Error::other(
            "not a plain file; refusing to use it",
        ));
    }
    Ok(file)
}

/// ELOOP from O_NOFOLLOW, said plainly.
fn refuse_link(path: &Path, e: std::io::Error) -> std::io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        std::io::Error::other(format!(
            "{} is a symbolic link; refusing to follow it",
            path.display()
        ))
    } else {
        e
    }
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

    #[test]
    fn a_symlink_planted_at_the_lock_is_refused_and_its_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let missing = outside.path().join("created-by-us");
        std::os::unix::fs::symlink(&victim, dir.path().join(LOCK_FILE)).unwrap();
        let err = acquire(dir.path()).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let srcdest_lock = dir.path().join(".pinger-smokeping.srcdest.lock");
        std::os::unix::fs::symlink(&missing, &srcdest_lock).unwrap();
        assert!(while_locked(&srcdest_lock, || ()).is_err());
        assert!(!missing.exists(), "no file may be created outside the tree");
    }

    #[test]
    fn shards_run_together_but_not_with_a_whole_tree_run() {
        let dir = tempfile::tempdir().unwrap();
        let a = acquire_for(dir.path(), Some((0, 2))).unwrap();
        let _b = acquire_for(dir.path(), Some((1, 2))).unwrap();
        assert!(acquire_for(dir.path(), Some((0, 2))).is_err());
        assert!(acquire(dir.path()).is_err());
        drop(a);
        let whole_blocked = acquire(dir.path());
        assert!(whole_blocked.is_err(), "shard 1 still runs");
    }
}
