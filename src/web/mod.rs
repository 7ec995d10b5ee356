//! The web front end: `serve`'s routes and caches, its HTML pages, and the perfSONAR esmond
//! archive API over the same tree.

pub mod esmond;
pub mod pages;
pub mod serve;
