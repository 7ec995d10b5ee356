//! pinger-smokeping: PingER ping archives to SmokePing-compatible RRD files.
//!
//! The pipeline at a glance:
//!
//! ```text
//! archive (find and read files) -> parse (one line -> Record) -> sample (Record -> Sample)
//!   -> collect (group per key, one sample per slot) -> scan (srcdest.txt, listings)
//!                                                   -> convert (write RRDs through store)
//! ```
//!
//! `tree` is one whole backfill or update run (lock, claims, state); `atomic` writes every
//! file we make; `app` holds the subcommand front ends, which no pipeline module imports.

pub mod app;
pub mod archive;
pub mod atomic;
pub mod bench;
pub mod claims;
pub mod cli;
pub mod collect;
pub mod config;
pub mod convert;
pub mod export;
pub mod faults;
pub mod generate;
pub mod graph;
pub mod inflate;
pub mod iocount;
pub mod journal;
pub mod key;
pub mod lock;
pub mod parse;
pub mod progress;
pub mod report;
pub mod sample;
pub mod scan;
pub mod serve;
pub mod smokeping;
pub mod state;
pub mod store;
pub mod summary;
pub mod tree;
pub mod views;
pub mod window;
