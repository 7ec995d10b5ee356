//! `serve`'s request parameters: a custom range's `start` and `end`, and the download name
//! made from a key. Never a panic; a range is either refused or ordered.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinger_smokeping::web::serve::{custom_range, key_file_stem};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (start, end) = text.split_once('&').unwrap_or((&text, ""));
    fn given(s: &str) -> Option<&str> {
        (!s.is_empty()).then_some(s)
    }
    if let Ok(Some((s, e))) = custom_range(given(start), given(end)) {
        assert!(s < e);
    }
    let stem = key_file_stem(&text);
    assert!(stem
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
});
