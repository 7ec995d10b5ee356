//! A whole archive file, plain or gzip, through the line reader and the parser: never a
//! panic, never a piece longer than the line limit, and the bytes read add up. A gzip file
//! that libdeflate inflates whole must give exactly zlib's text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinger_smokeping::input::archive::{read_lines, Piece, MAX_LINE};
use pinger_smokeping::input::inflate::Inflater;
use pinger_smokeping::input::parse::LineParser;
use std::io::BufReader;

fuzz_target!(|data: &[u8]| {
    let Some((&how, bytes)) = data.split_first() else {
        return;
    };
    let gzip = how & 1 == 1;
    // A small buffer makes lines span fills, as big files do (not too small for gzip, where
    // every fill is a call into the decoder).
    let capacity = 1 + usize::from(how >> 1) * 64 + if gzip { 4096 } else { 0 };
    // A small input can inflate to gigabytes; 80 KiB of text is plenty to find reader bugs
    // (lines over the 64 KiB limit included) without spending the run in zlib.
    let mut reader: Box<dyn std::io::BufRead> = if gzip {
        Box::new(BufReader::with_capacity(
            capacity,
            std::io::Read::take(flate2::read::MultiGzDecoder::new(bytes), 80 * 1024),
        ))
    } else {
        Box::new(BufReader::with_capacity(capacity, bytes))
    };
    let mut parser = LineParser::new();
    let mut scratch = Vec::new();
    let result = read_lines(&mut reader, &mut scratch, gzip, gzip, |piece| match piece {
        Piece::Line(line) | Piece::Incomplete(line) => {
            assert!(line.len() <= MAX_LINE);
            let _ = parser.parse(line);
        }
        Piece::TooLong => {}
    });
    if gzip {
        let mut text = Vec::new();
        if Inflater::new().gunzip(bytes, &mut text, 80 * 1024) {
            let mut zlib = Vec::new();
            let read = std::io::Read::read_to_end(
                &mut std::io::Read::take(flate2::read::MultiGzDecoder::new(bytes), 80 * 1024 + 1),
                &mut zlib,
            );
            assert!(
                read.is_ok(),
                "zlib refuses what libdeflate inflated: {read:?}"
            );
            assert_eq!(text, zlib);
        }
    }
    if let (Ok(total), false) = (result, gzip) {
        assert_eq!(total, bytes.len() as u64);
    }
    assert!(scratch.capacity() <= 2 * MAX_LINE + capacity);
});
