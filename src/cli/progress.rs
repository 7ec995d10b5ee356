//! The one place progress bars are made: one bar per stage of a run (reading, writing),
//! hidden when stderr is not a terminal or with --quiet, so cron mails get none. Errors the
//! run reports as it goes are printed above the bars (and to the log).

use crate::model::progress::{Progress, Stage};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

/// The terminal's view of a run.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<Stage, ProgressBar>>,
}

impl Bars {
    /// Bars on stderr; none under cron, in pipes and with `quiet`.
    pub fn new(quiet: bool) -> Self {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with(&self, stage: Stage, f: impl FnOnce(&ProgressBar)) {
        let bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bars.get(&stage) {
            f(bar);
        }
    }
}

impl Progress for Bars {
    fn begin(&self, stage: Stage, len: u64) {
        let label = match stage {
            Stage::Reading => "reading",
            Stage::Writing => "writing",
            Stage::Drawing => "drawing",
        };
        let bar = self.multi.add(ProgressBar::new(len));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(label);
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = bars.insert(stage, bar) {
            old.finish_and_clear();
        }
    }

    fn grow(&self, stage: Stage, more: u64) {
        self.with(stage, |bar| bar.inc_length(more));
    }

    fn advance(&self, stage: Stage) {
        self.with(stage, |bar| bar.inc(1));
    }

    fn end(&self, stage: Stage) {
        let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(bar) = bars.remove(&stage) {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    fn error(&self, message: &str) {
        // The keys the file system refuses this user are said once, at the end, with the fix
        // (`cli::write`); a tree made unwritable fails every key the same way.
        if message.contains("Permission denied") || message.contains("Operation not permitted") {
            return;
        }
        self.multi.suspend(|| crate::say!("error: {message}"));
    }
}
