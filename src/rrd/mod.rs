//! Every file the tool writes into an RRD tree, and every librrd call: the store (the only
//! `unsafe` besides inflate), atomic replacement, the undo journal, locks, the key register,
//! and the crash points and I/O counts the tests and the bench use.

pub mod addresses;
pub mod atomic;
pub mod claims;
pub mod faults;
pub mod iocount;
pub mod journal;
pub mod lock;
pub mod srcdest;
pub mod store;
pub mod updates;
