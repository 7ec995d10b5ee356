//! The web front end: `serve`'s routes and caches, and its HTML pages.

pub mod pages;
pub mod serve;
