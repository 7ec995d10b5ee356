//! Writing a file so that readers and crashed runs only ever see the whole old file or the
//! whole new one: RRDs, srcdest.txt, the run state, configs, exports and graphs all go
//! through [`replace`] (or [`write`] for bytes).
//!
//! The steps: a temporary file in the same directory (one name pattern for all, so the next
//! run can remove what a killed one left), filled by the caller, given the mode a Unix tool
//! would give it, fsynced, renamed over the target, and the directory fsynced.
//!
//! A backfill writes thousands of files at once: it stages them in a [`Staging`] instead, and
//! commits them together: one sync of their file system, then the renames, then one fsync a
//! directory. No rename happens before the data it exposes is durable, as with [`replace`].
//!
//! Modes: a new file gets `0666 & ~umask`, as `rrdtool create`, `cp` or a shell redirection
//! would make it; a replaced file keeps its mode, owner and group (where the process may set
//! them), so a site that made its tree group-writable or handed it to www-data keeps that.

use std::fs::{File, Permissions};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
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

/// Writes `bytes` to `path` atomically (fsynced, untagged). A `path` that is there and not a
/// plain file (`/dev/null`, `/dev/stdout`, a FIFO) is written to as it is: renaming a file
/// over it would replace the device itself (as root, `-o /dev/null` did).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        use std::io::Write;
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut file| file.write_all(bytes))
            .map_err(|e| WriteError::new(path, "cannot write", e));
    }
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
    let (value, staged) = prepare(path, options, options.fsync, fill)?;
    staged.rename()?;
    if options.fsync {
        sync_dir(parent_dir(path))?;
    }
    Ok(value)
}

/// A filled temporary file waiting to replace its target.
#[derive(Debug)]
struct Staged {
    /// Removed when dropped, unless renamed.
    temp: tempfile::TempPath,
    path: PathBuf,
}

impl Staged {
    fn dir(&self) -> &Path {
        parent_dir(&self.path)
    }

    fn rename(self) -> Result<(), WriteError> {
        crate::rrd::faults::point("before-rename");
        self.temp
            .persist(&self.path)
            .map_err(|e| WriteError::new(&self.path, "cannot rename into place", e.error))?;
        crate::rrd::iocount::rename();
        Ok(())
    }
}

/// Files filled by many workers and committed together (see the module comment).
#[derive(Debug, Default)]
pub struct Staging {
    staged: Mutex<Vec<Staged>>,
}

impl Staging {
    /// Like [`replace`], but the file is only filled; it replaces `path` at [`Staging::commit`].
    pub fn stage<T, E: From<WriteError>>(
        &self,
        path: &Path,
        options: Options<'_>,
        fill: impl FnOnce(&mut File, &Path) -> Result<T, E>,
    ) -> Result<T, E> {
        let (value, staged) = prepare(path, options, false, fill)?;
        self.staged
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(staged);
        Ok(value)
    }

    /// Makes every staged file durable (with `fsync`: one `syncfs` a file system), renames
    /// each over its target, and fsyncs each directory once. Returns the targets that were not
    /// replaced, or whose rename may not be durable, with the reason; the others are done.
    pub fn commit(self, fsync: bool) -> Vec<WriteError> {
        let staged = self
            .staged
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The directories, each once: a batch is usually one archive directory's files.
        let mut dirs: Vec<PathBuf> = Vec::new();
        for s in &staged {
            if !dirs.iter().any(|d| d == s.dir()) {
                dirs.push(s.dir().to_path_buf());
            }
        }
        // Each directory's file system synced (once per device), or why not.
        let mut unsynced: Vec<(&Path, (std::io::ErrorKind, String))> = Vec::new();
        if fsync {
            let mut devices = Vec::new();
            for dir in &dirs {
                if let Err(reason) = sync_file_system(dir, &mut devices) {
                    unsynced.push((dir, reason));
                }
            }
        }
        crate::rrd::faults::point("batch-synced");
        let mut failed = Vec::new();
        let mut renamed = Vec::new();
        for staged in staged {
            if let Some((_, reason)) = unsynced.iter().find(|(d, _)| *d == staged.dir()) {
                // Dropped unrenamed: its temporary file goes, the target stays as it was.
                let error = std::io::Error::new(reason.0, reason.1.clone());
                failed.push(WriteError::new(&staged.path, "cannot sync", error));
                continue;
            }
            let path = staged.path.clone();
            match staged.rename() {
                Ok(()) => renamed.push(path),
                Err(e) => failed.push(e),
            }
        }
        if fsync {
            for dir in &dirs {
                let in_dir = || renamed.iter().filter(|p| parent_dir(p) == dir);
                if in_dir().next().is_none() {
                    continue;
                }
                if let Err(e) = sync_dir(dir) {
                    let (kind, reason) = (e.source.kind(), e.to_string());
                    failed.extend(in_dir().map(|p| {
                        let error = std::io::Error::new(kind, reason.clone());
                        WriteError::new(p, "cannot sync its directory", error)
                    }));
                }
            }
        }
        failed
    }
}

/// A file system's sync, as [`sync_file_system`] remembers it: the error's kind and text,
/// so that every file of a failed sync gets it.
type Synced = Result<(), (std::io::ErrorKind, String)>;

/// One `syncfs` for the file system holding `dir`, unless `done` has it already (by device).
fn sync_file_system(dir: &Path, done: &mut Vec<(u64, Synced)>) -> Synced {
    let failed = |e: std::io::Error| (e.kind(), format!("{}: {e}", dir.display()));
    let handle = File::open(dir).map_err(failed)?;
    let device = handle.metadata().map_err(failed)?.dev();
    if let Some((_, result)) = done.iter().find(|(d, _)| *d == device) {
        return result.clone();
    }
    let result = rustix::fs::syncfs(&handle).map_err(|e| {
        (
            std::io::Error::from(e).kind(),
            format!("{}: syncfs: {e}", dir.display()),
        )
    });
    crate::rrd::iocount::fsync();
    done.push((device, result.clone()));
    result
}

/// The rename itself is only durable once the directory is.
fn sync_dir(dir: &Path) -> Result<(), WriteError> {
    crate::rrd::iocount::fsync();
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| WriteError::new(dir, "cannot sync directory", e))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Everything of [`replace`] before the rename: the temporary file, filled, given its mode,
/// and fsynced if `sync_file`.
fn prepare<T, E: From<WriteError>>(
    path: &Path,
    options: Options<'_>,
    sync_file: bool,
    fill: impl FnOnce(&mut File, &Path) -> Result<T, E>,
) -> Result<(T, Staged), E> {
    let dir = parent_dir(path);
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
    crate::rrd::iocount::open();
    crate::rrd::faults::point("after-temp");

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
    if sync_file {
        written.sync_all().map_err(io("cannot sync"))?;
        crate::rrd::iocount::fsync();
    }
    crate::rrd::iocount::written(written.metadata().map_or(0, |m| m.len()));
    drop(written);
    Ok((
        value,
        Staged {
            temp,
            path: path.to_path_buf(),
        },
    ))
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
    fn writing_to_a_fifo_writes_through_it_and_leaves_it_in_place() {
        use std::io::Read;
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        // A reader that does not wait for a writer: the write below then cannot block, and a
        // rename over the FIFO would leave this reader with nothing.
        let mut reader = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
            .open(&fifo)
            .unwrap();
        write(&fifo, b"through the pipe").unwrap();
        let mut got = [0u8; 64];
        let n = reader.read(&mut got).unwrap_or(0);
        assert_eq!(&got[..n], b"through the pipe");
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "still a FIFO: {kind:?}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }

    #[test]
    fn staged_files_replace_their_targets_only_at_the_commit() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            dir.path().join("m1/a.rrd"),
            dir.path().join("m2/b.rrd"),
            dir.path().join("m2/c.rrd"),
        );
        write(&a, b"old").unwrap();
        std::fs::set_permissions(&a, Permissions::from_mode(0o640)).unwrap();
        // A directory where a file should go: its rename fails, and only its own.
        std::fs::create_dir_all(c.join("in-the-way")).unwrap();
        let staging = Staging::default();
        for (path, text) in [(&a, b"new a"), (&b, b"new b"), (&c, b"new c")] {
            staging
                .stage(path, Options::default(), |file, temp| {
                    use std::io::Write;
                    file.write_all(text)
                        .map_err(|e| WriteError::new(temp, "cannot write", e))
                })
                .unwrap();
        }
        let failed: Result<(), WriteError> = staging.stage(&b, Options::default(), |_, temp| {
            Err(WriteError::new(
                temp,
                "cannot write",
                std::io::Error::other("full"),
            ))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&a).unwrap(), b"old", "nothing replaced yet");
        assert!(!b.exists());

        let errors = staging.commit(true);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].path, c);
        assert_eq!(std::fs::read(&a).unwrap(), b"new a");
        assert_eq!(mode(&a), 0o640, "a replaced file keeps its mode");
        assert_eq!(std::fs::read(&b).unwrap(), b"new b");
        assert_eq!(
            remove_leftovers(dir.path(), ""),
            0,
            "no temporary file left"
        );
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
