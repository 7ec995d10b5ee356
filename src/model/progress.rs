//! How a long run tells its caller how far it is, without printing: the front end hands a
//! [`Progress`] down (bars on a terminal, nothing under cron), and the library reports
//! through it. Nothing below the front ends writes to the terminal.

/// A stage of a run with progress to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Archive files read.
    Reading,
    /// Keys written.
    Writing,
    /// Keys drawn.
    Drawing,
}

/// What a run reports as it goes; every method does nothing unless the caller wants it.
pub trait Progress: Sync {
    /// `stage` begins with `len` steps (more may come with [`Progress::grow`]).
    fn begin(&self, _stage: Stage, _len: u64) {}
    /// `stage` has `more` steps than said so far.
    fn grow(&self, _stage: Stage, _more: u64) {}
    /// One step of `stage` is done.
    fn advance(&self, _stage: Stage) {}
    /// `stage` is over.
    fn end(&self, _stage: Stage) {}
    /// A failure worth telling at once (a key that could not be written); the run's
    /// summary has it too.
    fn error(&self, _message: &str) {}
}

/// Reports nothing: for tests, benches and callers without a terminal.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
