//! Nightly updates through Debian's real rrdcached: the appends travel through the daemon
//! (nothing reaches the files until it writes them), and after FLUSHALL the files equal
//! direct writes, value by value; a backfill through the same daemon flushes and forgets
//! each file before replacing it.

use crate::util::{assert_same_trees, fetch_all, require, run};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RRDCACHED: &str = "/usr/bin/rrdcached";
const FIRST: [&str; 4] = ["--end", "2007-02-18", "--days", "3"];
const SECOND: [&str; 4] = ["--end", "2007-02-19", "--days", "3"];
const END: i64 = 1_171_843_200;

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn write(command: &str, rrd: &Path, window: &[&str], daemon: Option<&str>) -> String {
    let mut args = vec![
        command,
        "--data",
        "fixtures/archive",
        "--rrd",
        rrd.to_str().unwrap(),
    ];
    args.extend(window);
    if let Some(address) = daemon {
        args.extend(["--daemon", address]);
    }
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 0, "{command} {window:?}: {stderr}");
    stderr
}

/// Sends one command to the daemon; returns its status line.
fn tell(socket: &Path, command: &str) -> String {
    let mut stream = UnixStream::connect(socket).unwrap();
    stream.write_all(format!("{command}\n").as_bytes()).unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

#[test]
fn nightly_updates_through_a_real_rrdcached_equal_direct_writes_after_flushall() {
    if !require(&[RRDCACHED, "/usr/bin/rrdtool"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (direct, cached) = (dir.path().join("direct"), dir.path().join("cached"));
    write("backfill", &direct, &FIRST, None);
    write("update", &direct, &SECOND, None);
    write("backfill", &cached, &FIRST, None);
    let before = fetch_all(&cached, END - 5 * 86_400, END);

    let socket = dir.path().join("rrdcached.sock");
    let journal = dir.path().join("journal");
    std::fs::create_dir_all(&journal).unwrap();
    let child = Command::new(RRDCACHED)
        .arg("-g") // foreground
        .arg("-l")
        .arg(format!("unix:{}", socket.display()))
        .arg("-b")
        .arg(&cached)
        .arg("-B") // only files below the base directory
        .arg("-j")
        .arg(&journal)
        .arg("-p")
        .arg(dir.path().join("rrdcached.pid"))
        .args(["-w", "3600", "-z", "1", "-f", "7200"]) // hold updates: only a flush writes
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _daemon = Daemon(child);
    let started = Instant::now();
    while UnixStream::connect(&socket).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "rrdcached did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let address = format!("unix:{}", socket.display());
    let stderr = write("update", &cached, &SECOND, Some(&address));
    assert!(stderr.contains(" appended, 0 rebuilt"), "{stderr}");
    // The daemon holds the appended samples: the files that existed have not changed yet
    // (new keys' files are created directly, and are complete).
    let now = fetch_all(&cached, END - 5 * 86_400, END);
    for (name, text) in &before {
        let current = now.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        assert_eq!(current, Some(text), "{name} changed before the flush");
    }

    let answer = tell(&socket, "FLUSHALL");
    assert!(answer.starts_with("0 "), "{answer}");
    let started = Instant::now();
    while fetch_all(&cached, END - 5 * 86_400, END) != fetch_all(&direct, END - 5 * 86_400, END) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "FLUSHALL did not reach the files"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_same_trees(&cached, &direct, END - 5 * 86_400, END);

    // Nothing new: nothing sent. A backfill through the daemon replaces every file, each
    // flushed and forgotten there first, and still equals the direct tree.
    let stderr = write("update", &cached, &SECOND, Some(&address));
    assert!(stderr.contains("0 appended"), "{stderr}");
    write("backfill", &cached, &SECOND, Some(&address));
    tell(&socket, "FLUSHALL");
    assert_same_trees(&cached, &direct, END - 5 * 86_400, END);
}
