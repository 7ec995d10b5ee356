//! PingER's keys as perfSONAR esmond archive objects: the metadata of a key, and its event
//! types' data computed from the RRD's 30-minute slots, as esmond's REST API shapes them
//! (`interop-facts.md`, section A). HTTP is `web::esmond`'s; this is the mapping.
//!
//! One key `monitor_remote_bytes_N` is one `point-to-point` metadata object: the monitor is
//! `source`, `measurement-agent` and `input-source`; the remote `destination` and
//! `input-destination`; `tool-name` is `pinger/ping`; `ip-packet-size` is the bytes and
//! `sample-size` N, as strings like esmond's; `time-interval` the step. Its `metadata-key` is
//! 32 hex digits of FNV-1a 128 over the key's parts, the same for the same key forever.
//!
//! A slot (an RRD row whose loss is known) at its end T (`rrdtool fetch`'s time) gives:
//! - `histogram-rtt`: the slot's received pings, `{"<RTT in ms, 3 decimals>": count}` (the
//!   RRD keeps microseconds, so 3 decimals of a millisecond are exact); no point when every
//!   ping was lost;
//! - `packet-count-sent` N and `packet-count-lost` the loss count (as floats, like esmond's
//!   integers), `packet-loss-rate` lost/N;
//! - summaries, as esmond computes them at write time: `statistics` of each histogram
//!   (window 0) and of each hour's and day's merged histogram (windows 3600 and 86400),
//!   `aggregation` of the histograms (bucket-wise sums), the counts (sums) and the loss rate
//!   (Σlost/Σsent) per hour or day; a summary's `ts` is `floor(T / window) * window`.
//!
//! No slot, no point: a row with unknown loss gives nothing.

use crate::model::key::Key;
use crate::model::Choice;
use crate::rrd::store::{self, StoreError};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The tool name of every PingER metadata object.
pub const TOOL_NAME: &str = "pinger/ping";

/// The URL prefix esmond's clients hard-wire.
pub const PREFIX: &str = "/esmond/perfsonar/archive";

/// Every event type esmond 4.4.6 knows (`types.py`): a data request for another one is a
/// 400, for one of these that a key does not have an empty list.
pub const ESMOND_EVENT_TYPES: [&str; 49] = [
    "failures",
    "histogram-owdelay",
    "histogram-rtt",
    "histogram-ttl",
    "histogram-ttl-reverse",
    "iostat",
    "mpstat",
    "ntp-offset",
    "ntp-jitter",
    "ntp-wander",
    "ntp-polling-interval",
    "ntp-stratum",
    "ntp-reach",
    "ntp-delay",
    "ntp-dispersion",
    "packet-duplicates",
    "packet-duplicates-bidir",
    "packet-loss-rate",
    "packet-loss-rate-bidir",
    "packet-trace",
    "packet-trace-multi",
    "packet-count-lost",
    "packet-count-lost-bidir",
    "packet-count-sent",
    "packet-reorders",
    "packet-reorders-bidir",
    "packet-retransmits",
    "packet-retransmits-subintervals",
    "packet-rtt",
    "packet-rtt-subintervals",
    "tcp-windowsize",
    "tcp-windowsize-subintervals",
    "path-mtu",
    "pscheduler-raw",
    "pscheduler-run-href",
    "rusage",
    "streams-packet-retransmits",
    "streams-packet-retransmits-subintervals",
    "streams-packet-rtt",
    "streams-packet-rtt-subintervals",
    "streams-tcp-windowsize",
    "streams-tcp-windowsize-subintervals",
    "streams-tcpinfo",
    "streams-throughput",
    "streams-throughput-subintervals",
    "tcpinfo",
    "throughput",
    "throughput-subintervals",
    "time-error-estimates",
];

/// The event types a PingER key has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// The received pings' RTTs.
    HistogramRtt,
    /// Pings sent (N a slot).
    PacketCountSent,
    /// Pings lost.
    PacketCountLost,
    /// Lost / sent.
    PacketLossRate,
}

impl Choice for EventType {
    const ALL: &'static [Self] = &[
        EventType::HistogramRtt,
        EventType::PacketCountLost,
        EventType::PacketCountSent,
        EventType::PacketLossRate,
    ];

    fn name(self) -> &'static str {
        match self {
            EventType::HistogramRtt => "histogram-rtt",
            EventType::PacketCountSent => "packet-count-sent",
            EventType::PacketCountLost => "packet-count-lost",
            EventType::PacketLossRate => "packet-loss-rate",
        }
    }
}
crate::choice_text!(EventType);

/// esmond's summary types, as JSON names them (URLs use the plural).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SummaryType {
    /// The data itself.
    Base,
    /// Sums (histograms bucket-wise; loss rate Σlost/Σsent).
    Aggregation,
    /// Statistics of histograms.
    Statistics,
}

impl Choice for SummaryType {
    const ALL: &'static [Self] = &[
        SummaryType::Base,
        SummaryType::Aggregation,
        SummaryType::Statistics,
    ];

    fn name(self) -> &'static str {
        match self {
            SummaryType::Base => "base",
            SummaryType::Aggregation => "aggregation",
            SummaryType::Statistics => "statistics",
        }
    }
}
crate::choice_text!(SummaryType);

impl SummaryType {
    /// The name in a URL (`aggregations`, `statistics`, `base`).
    pub fn plural(self) -> &'static str {
        match self {
            SummaryType::Base => "base",
            SummaryType::Aggregation => "aggregations",
            SummaryType::Statistics => "statistics",
        }
    }

    /// Reads a URL's summary type; `averages` is esmond's too, but no PingER event type has it.
    pub fn from_plural(text: &str) -> Option<Result<SummaryType, ()>> {
        match text {
            "base" => Some(Ok(SummaryType::Base)),
            "aggregations" => Some(Ok(SummaryType::Aggregation)),
            "statistics" => Some(Ok(SummaryType::Statistics)),
            "averages" => Some(Err(())),
            _ => None,
        }
    }
}

impl EventType {
    /// The summaries this event type declares, (type, window in seconds).
    pub fn summaries(self) -> &'static [(SummaryType, i64)] {
        match self {
            EventType::HistogramRtt => &[
                (SummaryType::Statistics, 0),
                (SummaryType::Aggregation, 3600),
                (SummaryType::Statistics, 3600),
                (SummaryType::Aggregation, 86_400),
                (SummaryType::Statistics, 86_400),
            ],
            EventType::PacketCountSent | EventType::PacketCountLost | EventType::PacketLossRate => {
                &[(SummaryType::Aggregation, 86_400)]
            }
        }
    }

    /// Whether this event type has `summary` over `window` (base: window 0).
    pub fn has(self, summary: SummaryType, window: i64) -> bool {
        match summary {
            SummaryType::Base => window == 0,
            _ => self.summaries().contains(&(summary, window)),
        }
    }
}

/// The metadata key of a key: FNV-1a 128 over its parts, as 32 lowercase hex digits.
pub fn metadata_key(key: &Key) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let text = format!(
        "{}\t{}\t{}\t{}",
        key.monitor, key.remote, key.bytes, key.pings
    );
    let mut hash = OFFSET;
    for b in text.bytes() {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:032x}")
}

/// What the metadata object of a key says, besides its event types.
pub fn metadata_fields(key: &Key, step: i64) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_string(), v);
    };
    put("subject-type", json!("point-to-point"));
    put("source", json!(key.monitor));
    put("destination", json!(key.remote));
    put("measurement-agent", json!(key.monitor));
    put("input-source", json!(key.monitor));
    put("input-destination", json!(key.remote));
    put("tool-name", json!(TOOL_NAME));
    put("ip-packet-size", json!(key.bytes.to_string()));
    put("sample-size", json!(key.pings.to_string()));
    put("time-interval", json!(step.to_string()));
    put("ip-transport-protocol", json!("icmp"));
    put("sample-bucket-width", json!("0.001"));
    put("metadata-key", json!(metadata_key(key)));
    m
}

/// The `event-types` list of a metadata object (URIs absolute, below `uri`, which ends in
/// `/`), each updated at `time_updated`.
pub fn event_type_list(uri: &str, time_updated: i64) -> Vec<Value> {
    EventType::ALL
        .iter()
        .map(|&et| event_type_object(uri, et, time_updated))
        .collect()
}

/// One event type's object: its base URI and its summaries, `summary-window` as a string
/// (esmond's clients match it as one).
pub fn event_type_object(uri: &str, et: EventType, time_updated: i64) -> Value {
    let summaries: Vec<Value> = et
        .summaries()
        .iter()
        .map(|&(s, w)| summary_object(uri, et, s, w, time_updated))
        .collect();
    json!({
        "base-uri": format!("{uri}{et}/base"),
        "event-type": et.name(),
        "summaries": summaries,
        "time-updated": time_updated,
    })
}

/// One summary's object.
pub fn summary_object(
    uri: &str,
    et: EventType,
    s: SummaryType,
    window: i64,
    time_updated: i64,
) -> Value {
    json!({
        "summary-type": s.name(),
        "summary-window": window.to_string(),
        "time-updated": time_updated,
        "uri": format!("{uri}{et}/{}/{window}", s.plural()),
    })
}

/// One RRD row whose loss is known: its end, the loss count of N, and the received pings'
/// RTTs in seconds, as the file holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Slot {
    /// The row's time (the slot's end).
    pub ts: i64,
    /// Ping slots N.
    pub sent: u32,
    /// Lost pings.
    pub lost: u32,
    /// The known ping slots, seconds.
    pub rtts: Vec<f64>,
}

/// The slots of a key's file: every row of its finest archive with a known loss, in time
/// order. Reads that archive's whole reach once (at most one key's window).
pub fn slots(key: &Key, file: &Path) -> Result<Vec<Slot>, StoreError> {
    let span = store::span(file)?;
    if span.finest == 0 {
        return Ok(Vec::new());
    }
    let fetched = store::fetch_in(file, span.last - span.finest, span.last, 1)?;
    Ok(fetched
        .rows
        .iter()
        .filter(|(_, v)| v.len() >= 3 && v[1].is_finite())
        .map(|(t, v)| Slot {
            ts: *t,
            sent: key.pings,
            lost: v[1].round().clamp(0.0, f64::from(key.pings)) as u32,
            rtts: v[3..].iter().copied().filter(|x| x.is_finite()).collect(),
        })
        .collect())
}

/// A histogram: bucket (RTT in ms, 3 decimals) to count, in bucket order.
pub type Histogram = BTreeMap<Bucket, u64>;

/// A histogram bucket: the RTT in microseconds, written as milliseconds with 3 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bucket(pub u64);

impl Bucket {
    /// The bucket of `seconds`, to the microsecond.
    pub fn of_seconds(seconds: f64) -> Bucket {
        Bucket((seconds * 1e6).round().max(0.0) as u64)
    }

    /// Its key in esmond's JSON: milliseconds with 3 decimals (`41.100`).
    pub fn key(self) -> String {
        format!("{}.{:03}", self.0 / 1000, self.0 % 1000)
    }

    /// Its value in milliseconds.
    pub fn ms(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// The histogram of one slot's received pings.
pub fn histogram(slot: &Slot) -> Histogram {
    let mut h = Histogram::new();
    for &rtt in &slot.rtts {
        *h.entry(Bucket::of_seconds(rtt)).or_default() += 1;
    }
    h
}

/// A histogram as esmond's JSON object.
pub fn histogram_value(h: &Histogram) -> Value {
    let map: Map<String, Value> = h.iter().map(|(b, &n)| (b.key(), json!(n))).collect();
    Value::Object(map)
}

/// esmond's statistics of a histogram (`validators.py`), over its buckets as numbers: mean
/// and population variance, NIST percentiles (p·(N+1)), mode (every bucket with the highest
/// count, in bucket order), minimum and maximum. `None` for an empty histogram (esmond would
/// divide by zero).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    /// Smallest bucket.
    pub minimum: f64,
    /// Largest bucket.
    pub maximum: f64,
    /// Mean.
    pub mean: f64,
    /// NIST 50th percentile.
    pub median: f64,
    /// The buckets with the highest count.
    pub mode: Vec<f64>,
    /// NIST 25th percentile.
    #[serde(rename = "percentile-25")]
    pub percentile_25: f64,
    /// NIST 75th percentile.
    #[serde(rename = "percentile-75")]
    pub percentile_75: f64,
    /// NIST 95th percentile.
    #[serde(rename = "percentile-95")]
    pub percentile_95: f64,
    /// Square root of the variance.
    #[serde(rename = "standard-deviation")]
    pub standard_deviation: f64,
    /// Population variance (divided by the count).
    pub variance: f64,
}

/// The statistics of `buckets` (value, count), in increasing value order.
pub fn statistics(buckets: &[(f64, u64)]) -> Option<Statistics> {
    let total: u64 = buckets.iter().map(|b| b.1).sum();
    if total == 0 {
        return None;
    }
    let n = total as f64;
    let mean = buckets.iter().map(|(v, c)| v * *c as f64).sum::<f64>() / n;
    let top = buckets.iter().map(|b| b.1).max().unwrap_or(0);
    let mode = buckets.iter().filter(|b| b.1 == top).map(|b| b.0).collect();
    let variance = buckets
        .iter()
        .map(|(v, c)| (v - mean).powi(2) * *c as f64)
        .sum::<f64>()
        / n;
    let [p25, p50, p75, p95] = nist_percentiles(buckets, total, [25.0, 50.0, 75.0, 95.0]);
    Some(Statistics {
        minimum: buckets[0].0,
        maximum: buckets[buckets.len() - 1].0,
        mean,
        median: p50,
        mode,
        percentile_25: p25,
        percentile_75: p75,
        percentile_95: p95,
        standard_deviation: variance.sqrt(),
        variance,
    })
}

/// esmond's percentile walk (its `Percentile` class): for p, the position n = p/100·(N+1),
/// k = ⌊n⌋, d = n − k; the value at rank k, moved d of the way to the next bucket when rank k
/// is the last of its bucket.
fn nist_percentiles(buckets: &[(f64, u64)], total: u64, ps: [f64; 4]) -> [f64; 4] {
    struct P {
        k: f64,
        d: f64,
        value: Option<f64>,
        done: bool,
    }
    let size = total as f64;
    let mut all: Vec<P> = ps
        .iter()
        .map(|p| {
            let n = p / 100.0 * (size + 1.0);
            P {
                k: n.floor(),
                d: n - n.floor(),
                value: None,
                done: false,
            }
        })
        .collect();
    let mut next = 0;
    let mut count = 0u64;
    for &(value, c) in buckets {
        count += c;
        let count_f = count as f64;
        while next < all.len() && count_f >= all[next].k {
            let p = &mut all[next];
            if let Some(v) = p.value {
                p.value = Some(v + p.d * (value - v));
                p.done = true;
            } else if p.k == 0.0 || (count_f >= size && p.k >= size) || p.k + p.d < count_f {
                p.value = Some(value);
                p.done = true;
            } else {
                // The position lies between this bucket and the next: wait for it.
                p.value = Some(value);
            }
            if !p.done {
                break;
            }
            next += 1;
        }
    }
    let mut out = [0.0; 4];
    for (o, p) in out.iter_mut().zip(&all) {
        *o = p.value.unwrap_or(f64::NAN);
    }
    out
}

/// The statistics of a histogram.
pub fn histogram_statistics(h: &Histogram) -> Option<Statistics> {
    let buckets: Vec<(f64, u64)> = h.iter().map(|(b, &n)| (b.ms(), n)).collect();
    statistics(&buckets)
}

/// The points of `et`'s `summary` over `window` computed from `slots`, in `ts` order: `(ts,
/// value)`. Empty when the event type has no such summary.
pub fn points(
    slots: &[Slot],
    et: EventType,
    summary: SummaryType,
    window: i64,
) -> Vec<(i64, Value)> {
    if !et.has(summary, window) {
        return Vec::new();
    }
    match (summary, window) {
        (SummaryType::Base, _) | (SummaryType::Statistics, 0) => slots
            .iter()
            .filter_map(|s| Some((s.ts, slot_value(s, et, summary)?)))
            .collect(),
        _ => windows(slots, window)
            .into_iter()
            .filter_map(|(ts, group)| Some((ts, merged_value(&group, et, summary)?)))
            .collect(),
    }
}

/// One slot's base value (or, for statistics, its histogram's statistics).
fn slot_value(s: &Slot, et: EventType, summary: SummaryType) -> Option<Value> {
    match et {
        EventType::HistogramRtt => {
            let h = histogram(s);
            if h.is_empty() {
                return None;
            }
            match summary {
                SummaryType::Statistics => Some(json!(histogram_statistics(&h)?)),
                _ => Some(histogram_value(&h)),
            }
        }
        EventType::PacketCountSent => Some(json!(f64::from(s.sent))),
        EventType::PacketCountLost => Some(json!(f64::from(s.lost))),
        EventType::PacketLossRate => {
            (s.sent > 0).then(|| json!(f64::from(s.lost) / f64::from(s.sent)))
        }
    }
}

/// The slots grouped by `floor(ts / window) * window`, in order.
fn windows(slots: &[Slot], window: i64) -> Vec<(i64, Vec<&Slot>)> {
    let mut out: Vec<(i64, Vec<&Slot>)> = Vec::new();
    for s in slots {
        let ts = s.ts.div_euclid(window) * window;
        match out.last_mut() {
            Some((t, group)) if *t == ts => group.push(s),
            _ => out.push((ts, vec![s])),
        }
    }
    out
}

/// A window's summary value.
fn merged_value(group: &[&Slot], et: EventType, summary: SummaryType) -> Option<Value> {
    let sent: u64 = group.iter().map(|s| u64::from(s.sent)).sum();
    let lost: u64 = group.iter().map(|s| u64::from(s.lost)).sum();
    match et {
        EventType::HistogramRtt => {
            let mut h = Histogram::new();
            for s in group {
                for (b, n) in histogram(s) {
                    *h.entry(b).or_default() += n;
                }
            }
            if h.is_empty() {
                return None;
            }
            match summary {
                SummaryType::Statistics => Some(json!(histogram_statistics(&h)?)),
                _ => Some(histogram_value(&h)),
            }
        }
        EventType::PacketCountSent => Some(json!(sent as f64)),
        EventType::PacketCountLost => Some(json!(lost as f64)),
        EventType::PacketLossRate => (sent > 0).then(|| json!(lost as f64 / sent as f64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_equal_esmonds_golden_vector() {
        // esmond's test_api.py histogram, recomputed with its validators (interop-facts A.2).
        let buckets = [(41.0, 98), (41.1, 98), (41.2, 3), (50.0, 1)];
        let s = statistics(&buckets).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
        assert!(close(s.minimum, 41.0) && close(s.maximum, 50.0), "{s:?}");
        assert!(close(s.mean, 41.097), "{s:?}");
        assert!(close(s.median, 41.1), "{s:?}");
        assert!(close(s.percentile_25, 41.0), "{s:?}");
        assert!(close(s.percentile_75, 41.1), "{s:?}");
        assert!(close(s.percentile_95, 41.1), "{s:?}");
        assert!(close(s.variance, 0.401_091_000_000_000_03), "{s:?}");
        assert!(
            close(s.standard_deviation, 0.633_317_455_941_331_3),
            "{s:?}"
        );
        // Python 2's dict order gave [41.1, 41.0]; as a set, the same.
        assert_eq!(s.mode, vec![41.0, 41.1]);
        assert!(statistics(&[]).is_none());
    }

    #[test]
    fn percentiles_between_buckets_move_toward_the_next() {
        // 1, 2, 3, 4: the median's position is 2.5, half way from 2 to 3.
        let s = statistics(&[(1.0, 1), (2.0, 1), (3.0, 1), (4.0, 1)]).unwrap();
        assert_eq!(s.median, 2.5);
        assert_eq!(s.percentile_25, 1.25);
        // One value: every percentile is it.
        let one = statistics(&[(7.0, 1)]).unwrap();
        assert_eq!(
            (one.percentile_25, one.median, one.percentile_95),
            (7.0, 7.0, 7.0)
        );
    }

    fn slot(ts: i64, lost: u32, rtts: &[f64]) -> Slot {
        Slot {
            ts,
            sent: 10,
            lost,
            rtts: rtts.to_vec(),
        }
    }

    #[test]
    fn slots_become_histograms_counts_and_summaries() {
        let slots = [
            slot(
                3600,
                0,
                &[
                    0.0412, 0.0412, 0.041, 0.0415, 0.0412, 0.043, 0.041, 0.0412, 0.0412, 0.05,
                ],
            ),
            slot(5400, 10, &[]),
            slot(7200, 2, &[0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]),
        ];
        let h = points(&slots, EventType::HistogramRtt, SummaryType::Base, 0);
        // Total loss: no histogram point.
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].1["41.200"], 5);
        assert_eq!(h[0].1["50.000"], 1);
        let lost = points(&slots, EventType::PacketCountLost, SummaryType::Base, 0);
        assert_eq!(
            lost.iter()
                .map(|p| p.1.as_f64().unwrap())
                .collect::<Vec<_>>(),
            [0.0, 10.0, 2.0]
        );
        let rate = points(
            &slots,
            EventType::PacketLossRate,
            SummaryType::Aggregation,
            86_400,
        );
        assert_eq!(rate, vec![(0, json!(12.0 / 30.0))]);
        let hourly = points(
            &slots,
            EventType::HistogramRtt,
            SummaryType::Aggregation,
            3600,
        );
        assert_eq!(hourly.iter().map(|p| p.0).collect::<Vec<_>>(), [3600, 7200]);
        // 3600's window holds 3600 and 5400 (no pings back): only the first's.
        assert_eq!(hourly[0].1["41.200"], 5);
        let stats = points(&slots, EventType::HistogramRtt, SummaryType::Statistics, 0);
        assert_eq!(stats[1].1["median"], 100.0);
        // A summary the event type does not have: nothing.
        assert!(points(
            &slots,
            EventType::PacketCountSent,
            SummaryType::Statistics,
            0
        )
        .is_empty());
    }

    #[test]
    fn metadata_keys_are_stable_hex() {
        let key = Key {
            monitor: "pinger.slac.stanford.edu".into(),
            remote: "www.cern.ch".into(),
            bytes: 100,
            pings: 10,
        };
        let mk = metadata_key(&key);
        assert_eq!(mk.len(), 32);
        assert!(mk.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(mk, metadata_key(&key.clone()));
        let other = Key { bytes: 1000, ..key };
        assert_ne!(mk, metadata_key(&other));
        assert_eq!(Bucket::of_seconds(0.000255).key(), "0.255");
        assert_eq!(Bucket::of_seconds(0.0411).key(), "41.100");
        assert_eq!(Bucket::of_seconds(1.5).key(), "1500.000");
    }
}
