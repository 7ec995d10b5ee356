//! From one accepted line to one SmokePing sample: slot, loss, median and the N ping slots.
//!
//! Pure, no I/O. This is the rule of `pinger-format.md` ("From a line to one SmokePing
//! sample"); the converter writes exactly what this module computes. Values stay integer
//! microseconds here; `run::convert` turns them into seconds when it formats an update.

use crate::input::parse::{distinct_replies, Record};
use crate::model::series::{Micros, Sample, UNKNOWN};

/// Computes samples for a fixed number of ping slots N, reusing its scratch buffer.
#[derive(Debug)]
pub struct Sampler {
    n: u32,
    replies: Vec<Micros>,
}

impl Sampler {
    /// A sampler for RRDs with `n` ping slots (`n >= 1`).
    pub fn new(n: u32) -> Self {
        assert!(n >= 1, "an RRD needs at least one ping slot");
        Self {
            n,
            replies: Vec::with_capacity(64),
        }
    }

    /// Appends `1 + N` values (median, ping1..pingN) for `record` to `out` and returns the loss.
    pub fn push(&mut self, record: &Record<'_>, out: &mut Vec<Micros>) -> u32 {
        let n = self.n;
        let r = self.collect_replies(record);
        let xmt = record.xmt;
        if r == 0 {
            out.extend(std::iter::repeat_n(UNKNOWN, 1 + n as usize));
            return n;
        }
        // round_half_up(N * (xmt - r) / xmt) in integers; r can exceed xmt only for summary
        // lines whose rcv was validated against xmt, so this cannot underflow.
        let lost = u64::from(xmt.saturating_sub(r));
        let mut loss = ((2 * u64::from(n) * lost + u64::from(xmt)) / (2 * u64::from(xmt))) as u32;
        loss = loss.min(n - 1);
        let k = n - loss;

        let median;
        let start = out.len();
        out.push(0); // the median, filled below
        out.extend(std::iter::repeat_n(UNKNOWN, (loss / 2) as usize));
        match record.summary.filter(|_| record.pings.is_empty()) {
            // Summary-only lines: an approximation from min/avg/max (the old archives have
            // nothing better).
            Some(s) => {
                median = s.avg;
                match k {
                    1 => out.push(s.avg),
                    2 => out.extend([s.min, s.max]),
                    _ => {
                        out.push(s.min);
                        out.extend(std::iter::repeat_n(s.avg, (k - 2) as usize));
                        out.push(s.max);
                    }
                }
            }
            None => {
                let v = &mut self.replies;
                sort_replies(v);
                median = v[v.len() / 2];
                if r == k {
                    out.extend_from_slice(v);
                } else if k == 1 {
                    out.push(v[(r / 2) as usize]);
                } else {
                    // Pick k of r evenly, ends included.
                    let (r, k) = (u64::from(r), u64::from(k));
                    out.extend(
                        (0..k).map(|j| v[((2 * j * (r - 1) + (k - 1)) / (2 * (k - 1))) as usize]),
                    );
                }
            }
        }
        out.extend(std::iter::repeat_n(UNKNOWN, (loss - loss / 2) as usize));
        out[start] = median;
        loss
    }

    /// Fills `replies` with one RTT per distinct sequence number (first appearance wins) and
    /// returns their count r. Summary-only lines have no RTTs to keep: r is rcv, and nothing
    /// is sized by it.
    fn collect_replies(&mut self, record: &Record<'_>) -> u32 {
        self.replies.clear();
        if record.pings.is_empty() {
            return if record.summary.is_some() {
                record.rcv
            } else {
                0
            };
        }
        self.replies
            .extend(distinct_replies(record.pings).map(|p| p.rtt));
        self.replies.len() as u32
    }

    /// Computes one sample into a fresh buffer (for tests and one-off use).
    pub fn compute<'b>(&mut self, record: &Record<'_>, buf: &'b mut Vec<Micros>) -> Sample<'b> {
        buf.clear();
        let loss = self.push(record, buf);
        Sample {
            loss,
            median: buf[0],
            pings: &buf[1..],
        }
    }
}

/// Sorts the replies. Ten (PingER's usual count) go through a fixed network of 29
/// compare-exchanges with no branch on the values: random RTTs make an insertion sort's
/// branches mispredict about half the time.
fn sort_replies(v: &mut [Micros]) {
    match <&mut [Micros; 10]>::try_from(&mut *v) {
        Ok(ten) => sort_ten(ten),
        Err(_) => v.sort_unstable(),
    }
}

/// Compare-exchanges `v[i]`, `v[j]` for each listed pair, written out one by one so that the
/// values stay in registers and no loop or bounds check is left.
macro_rules! network {
    ($v:ident: $(($i:literal, $j:literal))*) => {
        $(
            let (a, b) = ($v[$i], $v[$j]);
            $v[$i] = a.min(b);
            $v[$j] = a.max(b);
        )*
    };
}

/// An optimal sorting network for 10 inputs: 29 comparators in 8 layers, one a line (Knuth,
/// TAOCP 5.3.4).
fn sort_ten(v: &mut [Micros; 10]) {
    let mut w = *v;
    #[rustfmt::skip]
    network!(w:
        (0, 8) (1, 9) (2, 7) (3, 5) (4, 6)
        (0, 2) (1, 4) (5, 8) (7, 9)
        (0, 3) (2, 4) (5, 7) (6, 9)
        (0, 1) (3, 6) (8, 9)
        (1, 5) (2, 3) (4, 8) (6, 7)
        (1, 2) (3, 5) (4, 6) (7, 8)
        (2, 3) (4, 5) (6, 7)
        (3, 4) (5, 6)
    );
    *v = w;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::parse::LineParser;

    const U: Micros = UNKNOWN;

    /// Parses `line` and computes its sample with N = `n`; returns (loss, median, pings).
    fn sample(line: &str, n: u32) -> (u32, Micros, Vec<Micros>) {
        let mut parser = LineParser::new();
        let record = parser.parse(line.as_bytes()).unwrap().unwrap();
        let mut buf = Vec::new();
        let s = Sampler::new(n).compute(&record, &mut buf);
        (s.loss, s.median, s.pings.to_vec())
    }

    /// A network sorts every input if it sorts every input of 0s and 1s (Knuth's 0-1
    /// principle): all 1,024 of them, then random values with repeats as a second check.
    #[test]
    fn the_network_sorts_ten_values() {
        for bits in 0u32..1 << 10 {
            let mut v: [Micros; 10] = std::array::from_fn(|i| u64::from(bits >> i & 1));
            sort_ten(&mut v);
            assert!(v.is_sorted(), "{bits:010b}: {v:?}");
        }
        let mut rng = fastrand::Rng::with_seed(9);
        for _ in 0..10_000 {
            let mut v: [Micros; 10] = std::array::from_fn(|_| rng.u64(0..20));
            let mut expected = v;
            expected.sort_unstable();
            sort_ten(&mut v);
            assert_eq!(v, expected);
        }
    }

    fn ms(v: &[u32]) -> Vec<Micros> {
        v.iter().map(|&x| u64::from(x) * 1000).collect()
    }

    #[test]
    fn xmt_equal_to_n_keeps_all_replies_sorted() {
        let line = include_str!("../../fixtures/samples/new_format_2006_seq0_3dec.txt");
        let (loss, median, pings) = sample(line.trim_end(), 10);
        assert_eq!(loss, 0);
        assert_eq!(
            pings,
            vec![255, 287, 291, 299, 327, 332, 380, 387, 391, 467]
        );
        assert_eq!(median, 332); // upper median: v[5]
    }

    #[test]
    fn sequence_base_does_not_matter() {
        let seq1 = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 3 1 2 3 1 2 3 3 1 2";
        let seq0 = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 3 1 2 3 0 1 2 3 1 2";
        assert_eq!(sample(seq0, 10), sample(seq1, 10));
        // 7 of 10 lost: loss 7, k 3, 3 unknowns, the values, 4 unknowns.
        assert_eq!(
            sample(seq1, 10),
            (7, 2000, vec![U, U, U, 1000, 2000, 3000, U, U, U, U])
        );
    }

    #[test]
    fn xmt_above_n_is_scaled_and_replies_picked_evenly() {
        // 25 sent, 15 replies: loss = round(10 * 10 / 25) = 4, k = 6 of r = 15.
        let line = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 25 15 1 8 15 \
                    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 \
                    15 14 13 12 11 10 9 8 7 6 5 4 3 2 1";
        let (loss, median, pings) = sample(line, 10);
        assert_eq!(loss, 4);
        assert_eq!(median, 8000); // v[7] of 1..=15
                                  // j -> v[(2j*14 + 5) div 10]: 0, 3, 6, 8, 11, 14 -> values 1, 4, 7, 9, 12, 15
        let mut expected = vec![U, U];
        expected.extend(ms(&[1, 4, 7, 9, 12, 15]));
        expected.extend([U, U]);
        assert_eq!(pings, expected);
    }

    #[test]
    fn any_reply_shows_at_least_one_rtt() {
        // 1 of 30: round(10 * 29 / 30) = 10, capped at N - 1 = 9.
        let line = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 30 1 7 7 7 4 7";
        let (loss, median, pings) = sample(line, 10);
        assert_eq!((loss, median), (9, 7000));
        assert_eq!(pings, vec![U, U, U, U, 7000, U, U, U, U, U]);
    }

    #[test]
    fn duplicates_count_once_with_their_first_rtt() {
        // seq 2 appears twice; the first RTT (5) wins, the duplicate (99) is ignored.
        let line = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 3 1 3 5 1 2 2 3 1 5 99 3";
        let (loss, median, pings) = sample(line, 10);
        assert_eq!((loss, median), (7, 3000));
        assert_eq!(pings, vec![U, U, U, 1000, 3000, 5000, U, U, U, U]);
    }

    #[test]
    fn summary_only_lines_use_min_avg_max() {
        let line = "minos.slac.stanford.edu 134.79.196.100 www.lbl.gov 128.3.7.14 100 870393602 10 10 6 18 125";
        let (loss, median, pings) = sample(line, 10);
        assert_eq!((loss, median), (0, 18000));
        assert_eq!(pings, ms(&[6, 18, 18, 18, 18, 18, 18, 18, 18, 125]));
        // k = 2 and k = 1
        let two = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 2 6 18 125";
        assert_eq!(
            sample(two, 10),
            (8, 18000, vec![U, U, U, U, 6000, 125_000, U, U, U, U])
        );
        let one = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 1 6 18 125";
        assert_eq!(
            sample(one, 10),
            (9, 18000, vec![U, U, U, U, 18000, U, U, U, U, U])
        );
    }

    #[test]
    fn total_loss_lines_are_all_unknown() {
        for line in [
            "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 0",
            "m.org 1.1.1.1 r.org 100 1200000000 10",
            "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 0 0 0 0",
        ] {
            assert_eq!(sample(line, 10), (10, U, vec![U; 10]), "{line}");
        }
    }

    #[test]
    fn more_replies_than_slots_are_thinned() {
        // r = 10 replies, N = 5: loss 0, k = 5 of 10: v[(2j*9 + 4) div 8] = 0, 2, 5, 7, 9.
        let line = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 10 1 5 10 \
                    0 1 2 3 4 5 6 7 8 9 10 9 8 7 6 5 4 3 2 1";
        let (loss, median, pings) = sample(line, 5);
        assert_eq!((loss, median), (0, 6000));
        assert_eq!(pings, ms(&[1, 3, 6, 8, 10]));
    }

    #[test]
    fn loss_rounds_half_up() {
        // 20 sent, 15 back: 10 * 5 / 20 = 2.5 -> 3.
        let seqs: Vec<String> = (0..15).map(|i| i.to_string()).collect();
        let rtts = vec!["1"; 15];
        let line = format!(
            "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 20 15 1 1 1 {} {}",
            seqs.join(" "),
            rtts.join(" ")
        );
        assert_eq!(sample(&line, 10).0, 3);
    }
}
