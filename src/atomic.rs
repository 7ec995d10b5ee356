//! Writing a file so that readers and crashed runs only ever see the whole old file or the
//! whole new one: RRDs, srcdest.txt, the run state, configs, exports and graphs all go
//! through [`replace`] (or [`write`] for bytes).
//!
//! The steps: a temporary file in the same directory (one name pattern for all, so the next
//! run can remove what a killed one left), filled by the caller, given the mode a Unix tool
//! would give it, fsynced, renamed over the target, and the directory fsynced.
//!
//! Modes: a new file gets `0666 & ~umask`, as `rrdtool create`, `cp` or a shell redirection
//! would make it; a replaced file keeps its mode, owner and group (where the process may set
//! them), so a site that made its tree group-writable or handed it to www-data keeps that.

use std::fs::{File, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Every temporary file ends with this; nothing else we write does.
pub const TEMP_SUFFIX: &str = ".pinger-tmp";

/// A step of writing a file failed.
#[derive(Debug, Error)]
#[error("{}: {what}: {source}", path.display())]
pub struct WriteError {
    /// The file or directory concerned.
    pub path: PathBuf,
    /// What was being done.
    pub what: &'static str,
    /// What the OS said.
    #[source]
    pub source: std::io::Error,
}

impl WriteError {
    /// An error of `what` on `path`.
    pub fn new(path: &Path, what: &'static str, source: std::io::Error) -> Self {
        WriteError {
            path: path.to_path_buf(),
            what,
            source,
        }
    }
}

/// How to write.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// fsync the file before the rename and the directory after it.
    pub fsync: bool,
    /// Put into temporary file names (shards tag theirs, so each cleans only its own).
    pub tag: &'a str,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            fsync: true,
            tag: "",
        }
    }
}

/// Writes `bytes` to `path` atomically (fsynced, untagged).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    replace(path, Options::default(), |file, temp| {
        use std::io::Write;
        file.write_all(bytes)
            .map_err(|e| WriteError::new(temp, "cannot write", e))
    })
}

/// Creates a temporary file next to `path`, lets `fill` write it (through the open file, or
/// by path: librrd writes by name), and renames it over `path`. On any error the temporary
/// file is removed and `path` is left as it was.
pub fn replace<T, E: From<WriteError>>(
    path: &Path,
    options: Options<'_>,
    fill: impl FnOnce(&mut File, &Path) -> Result<T, E>,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| WriteError::new(dir, "cannot create directory", e))?;
    // What the file had before, if it is a plain file we replace.
    let previous = std::fs::symlink_metadata(path)
        .ok()
        .filter(|m| m.file_type().is_file());
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    // The OS applies the umask to 0666, exactly as for any new file.
    let (mut file, temp) = tempfile::Builder::new()
        .prefix(&format!(".{name}{}.", options.tag))
        .suffix(TEMP_SUFFIX)
        .permissions(Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| WriteError::new(dir, "cannot create a temporary file", e))?
        .into_parts();
    let new_mode = file
        .metadata()
        .map_err(|e| WriteError::new(&temp, "cannot read the temporary file", e))?
        .mode()
        & 0o7777;
    let value = fill(&mut file, &temp)?;
    drop(file);
    crate::iocount::open();
    crate::faults::point("after-temp");

    // librrd may have replaced the file at `temp`: work on what is there now.
    let temp_path = temp.to_path_buf();
    let io = |what| {
        let path = temp_path.clone();
        move |e| WriteError::new(&path, what, e)
    };
    let written = File::open(&temp).map_err(io("cannot reopen"))?;
    match &previous {
        Some(old) => {
            let meta = written.metadata().map_err(io("cannot stat"))?;
            if (meta.uid(), meta.gid()) != (old.uid(), old.gid()) {
                // Only root (or the owner, for the group) may; otherwise the file is ours.
                let _ = std::os::unix::fs::fchown(&written, Some(old.uid()), Some(old.gid()));
            }
            written
                .set_permissions(Permissions::from_mode(old.mode() & 0o7777))
                .map_err(io("cannot set the mode"))?;
        }
        None => written
            .set_permissions(Permissions::from_mode(new_mode))
            .map_err(io("cannot set the mode"))?,
    }
    if options.fsync {
        written.sync_all().map_err(io("cannot sync"))?;
        crate::iocount::fsync();
    }
    crate::iocount::written(written.metadata().map_or(0, |m| m.len()));
    drop(written);
    crate::faults::point("before-rename");
    temp.persist(path)
        .map_err(|e| WriteError::new(path, "cannot rename into place", e.error))?;
    crate::iocount::rename();
    if options.fsync {
        crate::iocount::fsync();
        // The rename itself is only durable once the directory is.
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| WriteError::new(dir, "cannot sync directory", e))?;
    }
    Ok(value)
}

/// Whether `name` is one of our temporary files (of the run tagged `tag`; "" matches all).
pub fn is_temp_file(name: &str, tag: &str) -> bool {
    name.ends_with(TEMP_SUFFIX) && name.contains(tag)
}

/// Removes our temporary files below `dir` (left by a killed run: the caller holds the lock
/// that says none is in use). Symlinks are never followed. Returns how many were removed.
pub fn remove_leftovers(dir: &Path, tag: &str) -> usize {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && is_temp_file(&e.file_name().to_string_lossy(), tag))
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn new_files_get_0666_less_the_umask_and_replaced_files_keep_their_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write(&path, b"one").unwrap();
        // The umask of this process, from a file the OS creates plainly.
        let probe = dir.path().join("probe");
        std::fs::write(&probe, b"").unwrap();
        assert_eq!(mode(&path), mode(&probe));
        assert_ne!(mode(&path) & 0o044, 0, "readable by others under umask 022");

        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        write(&path, b"old").unwrap();
        let result: Result<(), WriteError> = replace(&path, Options::default(), |_, temp| {
            Err(WriteError::new(
                temp,
                "cannot write",
                std::io::Error::other("disk full"),
            ))
        });
        let err = result.unwrap_err().to_string();
        assert!(err.contains("cannot write: disk full"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn leftovers_are_found_by_their_one_pattern() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            ".a.rrd.x1.pinger-tmp",
            ".srcdest.txt.s0of2.x2.pinger-tmp",
            "b.rrd",
        ] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        assert_eq!(remove_leftovers(dir.path(), ".s1of2."), 0);
        assert_eq!(remove_leftovers(dir.path(), ""), 2);
        assert!(dir.path().join("b.rrd").exists());
    }
}
