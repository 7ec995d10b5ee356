//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};

/// The built `pinger-smokeping` binary.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("pinger-smokeping").unwrap();
    cmd.arg("--quiet");
    cmd
}

/// A path below `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The window of the bundled archive: 2007-02-16 .. 2007-02-18.
pub const ARCHIVE_WINDOW: [&str; 4] = ["--end", "2007-02-19", "--days", "3"];

/// A window wide enough for every case file (1997 .. 2011).
pub const ALL_TIME: [&str; 4] = ["--end", "2026-01-01", "--days", "12000"];

/// Runs the binary and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}
