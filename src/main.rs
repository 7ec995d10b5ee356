//! The `pinger-smokeping` command: parse the command line, run, map the outcome to an exit code.

use clap::Parser;
use pinger_smokeping::app::{self, Status};
use pinger_smokeping::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match app::run(cli) {
        Ok(Status::Done) => ExitCode::SUCCESS,
        Ok(Status::SomeFailed) => ExitCode::from(1),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
