//! Where the front ends write what a run has to say: stderr, and the run's log file when
//! the config names one (`say!`). A closed or full stderr never ends a run.

use std::io::Write;

/// Writes a line to standard error, like `eprintln!`, but a closed or full stderr (`backfill
/// ... 2>&1 | head -1`) never ends the run: the files and the run's record still get written.
/// With a log file open (`log_to`), the line is also appended there, stamped with the time.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        $crate::cli::log::say(&format!($($arg)*));
    }};
}

/// The run's log file, once `log_to` opened it.
static LOG: std::sync::Mutex<Option<std::fs::File>> = std::sync::Mutex::new(None);

/// What `say!` does: stderr, then the log file.
pub fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
    log_only(text);
}

/// Appends every later report line to `path` (made with its directory if missing).
pub fn log_to(path: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("{}: cannot open the log", path.display()))?;
    *LOG.lock().unwrap_or_else(|e| e.into_inner()) = Some(file);
    Ok(())
}

/// Appends lines to the log file only (nothing when none is open). Each line is stamped with
/// the UTC time; a failed write is ignored, as for stderr.
pub fn log_only(text: &str) {
    let mut log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(file) = log.as_mut() {
        let stamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
        let mut out = String::new();
        for line in text.lines() {
            out.push_str(&format!("{stamp} {line}\n"));
        }
        // One write per call, so lines from two threads never interleave mid-line.
        let _ = file.write_all(out.as_bytes());
    }
}

/// The process's umask, as the kernel reports it (Linux), e.g. `0022`.
pub fn umask() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| v.trim().to_string())
}
