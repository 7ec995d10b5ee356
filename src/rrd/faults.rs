//! Named crash points on the write path, for the kill tests. A debug build (what the tests
//! run) stops dead, as if killed, the n-th time it reaches the point named by
//! `PINGER_SMOKEPING_CRASH=<point>[:<n>]`; release builds never look at the variable.
//!
//! The points: `after-temp` (a temporary file is filled), `before-rename` (it is synced and
//! about to replace its target), `batch-synced` (backfill: all of a batch's files are synced,
//! none renamed yet), `srcdest` (srcdest.txt's new text is written, not yet in
//! place), `state` (likewise for the run record), `mid-batch` (a key's file is done, others
//! are not), and on the in-place append (see `journal`): `before-journal`, `after-journal`,
//! `mid-update` (librrd has applied part of the night's updates) and `before-cleanup` (all of
//! them, the journal not yet removed).

/// Every point's name.
pub const POINTS: [&str; 10] = [
    "after-temp",
    "before-rename",
    "batch-synced",
    "srcdest",
    "state",
    "mid-batch",
    "before-journal",
    "after-journal",
    "mid-update",
    "before-cleanup",
];

/// Whether the crash plan names `name` (the write path then stops in the middle of work it
/// would otherwise do in one go).
pub fn armed(name: &str) -> bool {
    #[cfg(debug_assertions)]
    return debug::plan().is_some_and(|(point, _)| point == name);
    #[cfg(not(debug_assertions))]
    {
        let _ = name;
        false
    }
}

/// Stops the process here if the crash plan names this point and its count is reached.
#[inline]
pub fn point(name: &'static str) {
    #[cfg(debug_assertions)]
    debug::point(name);
    #[cfg(not(debug_assertions))]
    let _ = name;
}

#[cfg(debug_assertions)]
mod debug {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;

    static PLAN: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static HITS: AtomicU64 = AtomicU64::new(0);

    pub fn plan() -> Option<&'static (String, u64)> {
        PLAN.get_or_init(|| {
            let text = std::env::var("PINGER_SMOKEPING_CRASH").ok()?;
            let (point, n) = text.split_once(':').unwrap_or((&text, "1"));
            Some((point.to_string(), n.parse().unwrap_or(1)))
        })
        .as_ref()
    }

    pub fn point(name: &str) {
        if let Some((point, n)) = plan() {
            if point == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *n {
                // No destructors, no cleanup, no flushing: as close to SIGKILL as we can be.
                std::process::abort();
            }
        }
    }
}
