//! Reading PingER archives: find the files of a window, read them (gzip or plain), parse each
//! line, turn it into a sample, and group the samples per key. The whole input contract
//! (`pinger-format.md`) lives here; nothing here writes a file.

pub mod archive;
pub mod collect;
pub mod esmond;
pub mod generate;
pub mod inflate;
pub mod parse;
pub mod sample;
