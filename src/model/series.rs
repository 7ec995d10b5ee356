//! A key's samples as every stage sees them: values in integer microseconds, one sample per
//! 30-minute slot, and the series of one key. Produced by `input`, written by `run::convert`,
//! read back by `show`.

use crate::model::key::Key;

/// An RTT in integer microseconds (1 ms = 1000). PingER writes at most 3 decimals of a
/// millisecond, so this is exact, sorts exactly, and formats exactly later. Valid RTTs stay
/// below `input::parse::MAX_RTT`, so no valid value is ever [`UNKNOWN`].
pub type Micros = u64;

/// Marks an unknown value (a lost ping, or the median of a 100 % loss line). No valid RTT
/// comes near it: the parser rejects RTTs from `input::parse::MAX_RTT` on.
pub const UNKNOWN: Micros = Micros::MAX;

/// The slot a line at time `t` belongs to, written as the slot's end `T = (t div S + 1) * S`.
pub fn slot_end(t: i64, step: i64) -> i64 {
    (t.div_euclid(step) + 1) * step
}

/// One computed sample, borrowed from the sampler's output buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample<'a> {
    /// Lost pings, 0..=N.
    pub loss: u32,
    /// Upper median of all replies, or [`UNKNOWN`].
    pub median: Micros,
    /// ping1..pingN: `loss div 2` unknowns, the k values ascending, then the other unknowns.
    pub pings: &'a [Micros],
}

/// One key's samples, one per slot, in increasing slot order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// The key.
    pub key: Key,
    /// Slot ends T, increasing.
    pub slots: Vec<i64>,
    /// Loss per slot.
    pub losses: Vec<u16>,
    /// Per slot `1 + N` values: median, ping1..pingN ([`UNKNOWN`] if unknown).
    pub values: Vec<Micros>,
}

impl Series {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The i-th sample.
    pub fn sample(&self, i: usize) -> Sample<'_> {
        let stride = 1 + self.key.pings as usize;
        let v = &self.values[i * stride..(i + 1) * stride];
        Sample {
            loss: u32::from(self.losses[i]),
            median: v[0],
            pings: &v[1..],
        }
    }

    /// The index of the first sample with a slot after `t`.
    pub fn first_after(&self, t: i64) -> usize {
        self.slots.partition_point(|&s| s <= t)
    }
}

/// First slot, last slot and number of samples of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First slot end.
    pub first: i64,
    /// Last slot end.
    pub last: i64,
    /// Samples.
    pub samples: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_end_is_the_next_step_boundary() {
        assert_eq!(slot_end(0, 1800), 1800);
        assert_eq!(slot_end(1799, 1800), 1800);
        assert_eq!(slot_end(1800, 1800), 3600);
        assert_eq!(slot_end(1_152_489_601, 1800), 1_152_491_400);
    }
}
