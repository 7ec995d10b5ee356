//! The `pinger-smokeping` command: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use pinger_smokeping::cli::args::Cli;
use pinger_smokeping::cli::{self, Status};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let status = match cli::run(cli) {
        Ok(Status::Done) => 0,
        Ok(Status::SomeFailed) => 1,
        // The reader went away (`scan | head`): stop quietly, as other Unix tools do.
        Err(err) if is_broken_pipe(&err) => 0,
        Err(err) => {
            pinger_smokeping::say!("error: {}", cli::error_text(&err));
            2
        }
    };
    // Only a run with a log file (backfill, update) has something to close.
    pinger_smokeping::cli::log::log_only(&format!("end: exit status {status}"));
    ExitCode::from(status)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
