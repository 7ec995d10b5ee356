//! One line through the parser and the sample mapping: never a panic, and every accepted
//! line gives a sample within the contract (loss 0..=N, 1 + N values, each unknown or a
//! valid RTT) and formats back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pinger_smokeping::input::parse::{LineParser, MAX_RTT};
use pinger_smokeping::input::sample::Sampler;
use pinger_smokeping::model::series::UNKNOWN;

fuzz_target!(|data: &[u8]| {
    let Some((&n, line)) = data.split_first() else {
        return;
    };
    let n = u32::from(n % 20) + 1;
    let mut parser = LineParser::new();
    let Ok(Some(record)) = parser.parse(line) else {
        return;
    };
    let mut values = Vec::new();
    let loss = Sampler::new(n).push(&record, &mut values);
    assert!(loss <= n);
    assert_eq!(values.len(), 1 + n as usize);
    assert!(values.iter().all(|&v| v == UNKNOWN || v < MAX_RTT));
    let text = record.to_string();
    let mut again = LineParser::new();
    assert_eq!(
        again.parse(text.as_bytes()),
        Ok(Some(record.clone())),
        "{text}"
    );
});
