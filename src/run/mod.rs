//! One backfill or update over an RRD tree, where the input meets the RRDs: the run itself
//! (`tree`), writing each key's file (`convert`), the record of what was read (`state`), and
//! finding the keys of a window (`scan`).

pub mod convert;
pub mod import;
pub mod scan;
pub mod state;
pub mod tree;
