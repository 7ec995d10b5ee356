//! pinger-smokeping: PingER ping archives to SmokePing-compatible RRD files.
//!
//! The folders follow the data:
//!
//! ```text
//! input/  archive (find and read files) -> parse (line -> Record) -> sample (Record -> Sample)
//!         -> collect (group per key, one sample per slot)
//! run/    tree (one backfill or update) -> convert (series -> RRD writes); scan, state
//! rrd/    store (all of librrd), atomic, journal, lock, claims, srcdest: every file we write
//! show/   graph, export, summary, smokeping-config: the RRDs read back
//! model/  key, window, series: the types every stage shares
//! cli/ web/  the front ends: arguments, config, terminal, HTTP
//! ```
//!
//! `input/` and `rrd/` never import each other; they meet in `run/`. Only the front ends use
//! clap, anyhow or axum, or print.

pub mod cli;
pub mod input;
pub mod model;
pub mod rrd;
pub mod run;
pub mod show;
pub mod web;
