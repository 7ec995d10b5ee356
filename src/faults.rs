//! Named crash points on the write path, for the kill tests. A debug build (what the tests
//! run) stops dead, as if killed, the n-th time it reaches the point named by
//! `PINGER_SMOKEPING_CRASH=<point>[:<n>]`; release builds never look at the variable.
//!
//! The points: `after-temp` (a temporary file is filled), `before-rename` (it is synced and
//! about to replace its target), `srcdest` (srcdest.txt's new text is written, not yet in
//! place), `state` (likewise for the run record) and `mid-batch` (a key's file is done, others
//! are not).

/// Every point's name.
pub const POINTS: [&str; 5] = [
    "after-temp",
    "before-rename",
    "srcdest",
    "state",
    "mid-batch",
];

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

    pub fn point(name: &str) {
        let plan = PLAN.get_or_init(|| {
            let text = std::env::var("PINGER_SMOKEPING_CRASH").ok()?;
            let (point, n) = text.split_once(':').unwrap_or((&text, "1"));
            Some((point.to_string(), n.parse().unwrap_or(1)))
        });
        if let Some((point, n)) = plan {
            if point == name && HITS.fetch_add(1, Ordering::SeqCst) + 1 == *n {
                // No destructors, no cleanup, no flushing: as close to SIGKILL as we can be.
                std::process::abort();
            }
        }
    }
}
