//! Root running a write by hand on a tree another account owns (the package's user): what it
//! makes stays that account's, so the next nightly run as that account works; and when a
//! tree was made unwritable anyway, the run says so once, with the fix.

use crate::util::ours;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

const USER: &str = "nobody";

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Whether the test can run: root, with a `nobody` account. Under CI it must.
fn can_run() -> bool {
    let ok = is_root() && uid_of(USER).is_some();
    if !ok {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true and the owner tests cannot run (root and a nobody account needed)"
        );
        eprintln!("SKIPPED: the owner tests need root and a nobody account");
    }
    ok
}

pub fn uid_of(user: &str) -> Option<u32> {
    let out = Command::new("id").args(["-u", user]).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

/// `update` of `data` into `rrd` up to `end`, as `user` (None: as this process, root).
fn update(user: Option<&str>, data: &Path, rrd: &Path, end: &str) -> (i32, String) {
    let args = [
        "--quiet",
        "update",
        "--data",
        data.to_str().unwrap(),
        "--rrd",
        rrd.to_str().unwrap(),
        "--end",
        end,
        "--days",
        "3",
    ];
    let out = match user {
        None => ours().args(args).output().unwrap(),
        Some(user) => {
            let bin = assert_cmd::cargo::cargo_bin("pinger-smokeping");
            Command::new("runuser")
                .args(["-u", user, "--"])
                .arg(bin)
                .args(args)
                .env("PINGER_SMOKEPING_CONFIG", "/dev/null")
                .output()
                .unwrap()
        }
    };
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A generated archive of two monitors over two days, and an archive directory holding the
/// first day; returns (generated, archive).
fn archive(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let generated = dir.join("generated");
    let out = ours()
        .args(["--quiet", "generate", "--out"])
        .arg(&generated)
        .args(["--monitors", "2", "--remotes", "3", "--days", "2"])
        .args(["--end", "2026-11-03", "--plain"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let archive = dir.join("archive");
    copy_day(&generated, &archive, "2026-11-01");
    (generated, archive)
}

/// Copies every monitor's file of `day` into `archive`, readable by everyone.
fn copy_day(generated: &Path, archive: &Path, day: &str) {
    for monitor in std::fs::read_dir(generated).unwrap().flatten() {
        let to = archive.join(monitor.file_name());
        std::fs::create_dir_all(&to).unwrap();
        let name = format!("ping-{day}.txt");
        std::fs::copy(monitor.path().join(&name), to.join(&name)).unwrap();
    }
    Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(archive)
        .status()
        .unwrap();
}

/// A tree root owned by `nobody`, in a directory everyone may enter.
fn tree(dir: &Path) -> std::path::PathBuf {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rrd = dir.join("rrd");
    std::fs::create_dir(&rrd).unwrap();
    let status = Command::new("chown")
        .args([&format!("{USER}:"), rrd.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    rrd
}

#[test]
fn a_root_run_on_a_tree_owned_by_another_account_leaves_everything_theirs() {
    if !can_run() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (generated, data) = archive(dir.path());
    let rrd = tree(dir.path());
    // Root runs the first night by hand.
    let (code, stderr) = update(None, &data, &rrd, "2026-11-02");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("acting as nobody"), "{stderr}");
    let uid = uid_of(USER).unwrap();
    for entry in walkdir::WalkDir::new(&rrd).into_iter().flatten() {
        assert_eq!(
            entry.metadata().unwrap().uid(),
            uid,
            "{} is not nobody's",
            entry.path().display()
        );
    }
    // The next night runs as the tree's owner, and works.
    copy_day(&generated, &data, "2026-11-02");
    let (code, stderr) = update(Some(USER), &data, &rrd, "2026-11-03");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("8 appended") && stderr.contains(" 0 failed"),
        "{stderr}"
    );
}

#[test]
fn keys_the_file_system_refuses_are_reported_once_with_the_fix() {
    if !can_run() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (generated, data) = archive(dir.path());
    let rrd = tree(dir.path());
    let (code, stderr) = update(Some(USER), &data, &rrd, "2026-11-02");
    assert_eq!(code, 0, "{stderr}");
    // A monitor's directory made root's, as an older build running as root left it.
    let poisoned = rrd.join("pinger_mon01_example_edu");
    Command::new("chown")
        .args(["-R", "root:root"])
        .arg(&poisoned)
        .status()
        .unwrap();
    copy_day(&generated, &data, "2026-11-02");
    let (code, stderr) = update(Some(USER), &data, &rrd, "2026-11-03");
    assert_eq!(code, 1, "{stderr}");
    // Once on the spot and once in the summary, not once per key.
    let said: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("Permission denied"))
        .collect();
    assert_eq!(said.len(), 2, "{stderr}");
    for line in said {
        assert!(
            line.contains("6 keys could not be written as user nobody"),
            "{line}"
        );
        assert!(line.contains(&poisoned.display().to_string()), "{line}");
        assert!(line.contains("(owned by root)"), "{line}");
        assert!(
            line.contains(&format!("chown -R nobody:nogroup {}", rrd.display())),
            "{line}"
        );
        assert_eq!(
            line.matches("Permission denied (os error 13)").count(),
            1,
            "{line}"
        );
    }
}
