//! Integration tests: the built binary run on fixtures in fresh temp dirs.

mod bench;
mod config;
mod convert;
mod cron;
mod daemon;
mod deploy;
mod esmond;
mod export;
mod faults;
mod graph;
mod hostile;
mod import;
mod network;
mod owner;
mod package;
mod reference;
mod scan;
mod serve;
mod smokeping;
mod util;
