//! Integration tests: the built binary run on fixtures in fresh temp dirs.

mod scan;
mod util;
