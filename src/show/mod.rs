//! The RRDs read back: graphs, exported rows, per-key figures, and the SmokePing config that
//! shows the files in a stock SmokePing.

pub mod export;
pub mod graph;
pub mod smokeping;
pub mod summary;
