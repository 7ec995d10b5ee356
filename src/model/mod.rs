//! The types every stage shares: series keys, the time window, a key's samples. Imports
//! nothing of the crate.

pub mod key;
pub mod window;
