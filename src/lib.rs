//! pinger-smokeping: PingER ping archives to SmokePing-compatible RRD files.
//!
//! The pipeline at a glance:
//!
//! ```text
//! archive (find and read files) -> parse (one line -> Record) -> sample (Record -> Sample)
//!   -> collect (group per key, one sample per slot) -> scan (srcdest.txt, listings)
//!                                                   -> convert (write RRDs through store)
//! ```

pub mod app;
pub mod archive;
pub mod bench;
pub mod cli;
pub mod collect;
pub mod convert;
pub mod export;
pub mod generate;
pub mod graph;
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
pub mod tree;
pub mod window;
