//! The nom grammar for one raw PingER line (see `pinger-format.md`, the input contract).
//!
//! Pure: no I/O, and no allocation per accepted line; a [`LineParser`] keeps its per-ping
//! scratch buffer between lines. Each grammar production is one small function with a test.
//! Two things are not nom, for speed: the tokenizer (64-byte bitmasks), and one-pass readers
//! for the usual number tokens, which hand anything unusual to the grammar and are tested to
//! agree with it.
//! RTTs come out as integer **microseconds** (`Micros`): PingER writes at most 3 decimals of a
//! millisecond, so this is exact, sorts exactly, and formats exactly later.

use nom::bytes::complete::take_while1;
use nom::character::complete::char as nom_char;
use nom::character::complete::digit0;
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};
use thiserror::Error;

pub use crate::model::series::Micros;

/// RTTs (and min/avg/max) of 10,000,000 ms or more are rejected (the contract's bound).
pub const MAX_RTT: Micros = 10_000_000 * 1000;

/// Times outside 1990-01-01 .. 2100-01-01 are rejected (the contract's bound).
pub const TIME_RANGE: std::ops::Range<u64> = 631_152_000..4_102_444_800;

/// xmt and rcv above this are rejected (the contract's bound).
pub const MAX_COUNT: u64 = 100_000;

/// The longest accepted line, in bytes (the reader rejects longer ones before they reach
/// the parser, without holding them whole).
pub const MAX_LINE: usize = 65_536;

/// Payload sizes below this are treated as this size (the contract's rule).
pub const MIN_BYTES: u32 = 100;

/// The accepted line shapes of the contract, by token count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// 11 + 2p tokens: summary plus p (seq, rtt) pairs.
    Full,
    /// 11 tokens: summary only (or 100 % loss when rcv = 0).
    Summary,
    /// 8 tokens: nothing came back.
    NoReply,
    /// 6 tokens: early collectors, remote unreachable.
    Unreachable,
}

/// The RTT summary of a line: min, avg, max in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Smallest RTT.
    pub min: Micros,
    /// Mean RTT.
    pub avg: Micros,
    /// Largest RTT.
    pub max: Micros,
}

/// One reply as logged: its sequence number and RTT, in arrival order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ping {
    /// Sequence number (0- or 1-based depending on the monitor's ping).
    pub seq: u32,
    /// Round-trip time.
    pub rtt: Micros,
    /// Whether this is the first reply with its sequence number on the line (a duplicate
    /// reply repeats one).
    pub first: bool,
}

/// One accepted line. Borrows the line's bytes and the parser's scratch buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// Which layout the line had.
    pub shape: Shape,
    /// Monitor host name (field 0).
    pub monitor: &'a str,
    /// Monitor address (field 1).
    pub monitor_addr: &'a str,
    /// Remote host name (field 2).
    pub remote: &'a str,
    /// Remote address (field 3); absent on 6-token lines.
    pub remote_addr: Option<&'a str>,
    /// Payload size, at least [`MIN_BYTES`].
    pub bytes: u32,
    /// Unix time (UTC) at which the ping run started.
    pub time: i64,
    /// Pings sent.
    pub xmt: u32,
    /// Distinct replies received.
    pub rcv: u32,
    /// min/avg/max, on 11-token and full lines with rcv > 0.
    pub summary: Option<Summary>,
    /// Per-ping replies in arrival order, duplicates included (full lines only).
    pub pings: &'a [Ping],
}

/// Writes the record as a line of the contract's layout (no newline): parsing it again
/// gives the same record.
impl std::fmt::Display for Record<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.monitor, self.monitor_addr, self.remote)?;
        if let Some(addr) = self.remote_addr {
            write!(f, " {addr}")?;
        }
        write!(f, " {} {} {}", self.bytes, self.time, self.xmt)?;
        match self.shape {
            Shape::Unreachable => return Ok(()),
            Shape::NoReply => return write!(f, " {}", self.rcv),
            Shape::Summary | Shape::Full => {}
        }
        let s = self.summary.unwrap_or(Summary {
            min: 0,
            avg: 0,
            max: 0,
        });
        write!(f, " {} {} {} {}", self.rcv, Ms(s.min), Ms(s.avg), Ms(s.max))?;
        for p in self.pings {
            write!(f, " {}", p.seq)?;
        }
        for p in self.pings {
            write!(f, " {}", Ms(p.rtt))?;
        }
        Ok(())
    }
}

/// Microseconds written as exact milliseconds (`1500` -> `1.500`).
struct Ms(Micros);

impl std::fmt::Display for Ms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:03}", self.0 / 1000, self.0 % 1000)
    }
}

/// Why a line was rejected. Messages are lowercase and name the offending token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Reject {
    /// The line is not valid UTF-8.
    #[error("line is not valid UTF-8 (bad byte at column {column})")]
    NotUtf8 {
        /// 1-based byte column of the first bad byte.
        column: usize,
    },
    /// Longer than [`MAX_LINE`] bytes.
    #[error("line is longer than {MAX_LINE} bytes")]
    TooLong,
    /// A NUL byte (a damaged file, or not a text file).
    #[error("line holds a NUL byte (column {column})")]
    Nul {
        /// 1-based byte column of the first NUL.
        column: usize,
    },
    /// The token count fits no accepted shape.
    #[error("line has {count} tokens, expected 6, 8, 11 or 11 + 2 per ping")]
    TokenCount {
        /// How many tokens the line had.
        count: usize,
    },
    /// A full line whose per-ping part cannot be split into (seq, rtt) pairs.
    #[error("per-ping part has {count} tokens, expected an even number")]
    OddPingPart {
        /// Tokens after field 10.
        count: usize,
    },
    /// A host name with characters outside `[A-Za-z0-9._:-]`.
    #[error("{field} name `{value}` has characters outside [A-Za-z0-9._:-]")]
    BadName {
        /// `monitor` or `remote`.
        field: &'static str,
        /// The token as read (lossy).
        value: String,
    },
    /// bytes, time, xmt, rcv or a sequence number that is not a non-negative integer.
    #[error("{field} `{value}` is not a non-negative integer")]
    BadInteger {
        /// Which field.
        field: &'static str,
        /// The token as read (lossy).
        value: String,
    },
    /// time = 0.
    #[error("time is 0")]
    ZeroTime,
    /// xmt = 0.
    #[error("xmt is 0 (no pings sent)")]
    ZeroXmt,
    /// bytes > 65535.
    #[error("bytes {bytes} is larger than 65535")]
    BytesTooLarge {
        /// The size read.
        bytes: u64,
    },
    /// More distinct replies than pings sent.
    #[error("rcv {rcv} is larger than xmt {xmt}")]
    RcvExceedsXmt {
        /// Replies.
        rcv: u32,
        /// Sent.
        xmt: u32,
    },
    /// min/avg/max or an RTT that is not a finite non-negative decimal.
    #[error("{field} `{value}` is not a non-negative decimal")]
    BadRtt {
        /// Which field.
        field: &'static str,
        /// The token as read (lossy).
        value: String,
    },
    /// Not min <= avg <= max.
    #[error("min/avg/max {min}/{avg}/{max} are not in order")]
    SummaryOrder {
        /// Tokens as read.
        min: String,
        /// Tokens as read.
        avg: String,
        /// Tokens as read.
        max: String,
    },
    /// A value outside the contract's bounds.
    #[error("{field} {value} is out of bounds ({bound})")]
    OutOfBounds {
        /// Which field.
        field: &'static str,
        /// The token as read (lossy, cut to 40 bytes).
        value: String,
        /// The accepted range, in words.
        bound: &'static str,
    },
    /// A full line whose distinct sequence numbers disagree with rcv (often a truncated line).
    #[error("{distinct} distinct sequence numbers but rcv is {rcv}")]
    SeqCount {
        /// Distinct sequence numbers on the line.
        distinct: usize,
        /// The rcv field.
        rcv: u32,
    },
    /// An 8-token line must mean "nothing came back".
    #[error("8-token line has rcv {rcv}, expected 0")]
    NoReplyWithRcv {
        /// The rcv field.
        rcv: u32,
    },
}

impl Reject {
    /// A short, stable label for grouping rejections in a run summary.
    pub fn kind(&self) -> &'static str {
        match self {
            Reject::TooLong => "line too long",
            Reject::Nul { .. } => "NUL byte",
            Reject::OutOfBounds { .. } => "value out of bounds",
            Reject::NotUtf8 { .. } => "not UTF-8",
            Reject::TokenCount { .. } => "wrong token count",
            Reject::OddPingPart { .. } => "odd per-ping part",
            Reject::BadName { .. } => "bad host name",
            Reject::BadInteger { .. } => "bad integer field",
            Reject::ZeroTime => "time is 0",
            Reject::ZeroXmt => "xmt is 0",
            Reject::BytesTooLarge { .. } => "bytes > 65535",
            Reject::RcvExceedsXmt { .. } => "rcv > xmt",
            Reject::BadRtt { .. } => "bad RTT",
            Reject::SummaryOrder { .. } => "min/avg/max out of order",
            Reject::SeqCount { .. } => "distinct seqs != rcv",
            Reject::NoReplyWithRcv { .. } => "8-token line with rcv > 0",
        }
    }
}

/// Parses lines one at a time, reusing its buffers.
#[derive(Debug, Default)]
pub struct LineParser {
    /// Token edges of the current line: start, end, start, end... (see [`split_tokens`]).
    edges: Vec<usize>,
    pings: Vec<Ping>,
    /// Sequence numbers of 64 and above seen on the current line (the usual 0..64 use a
    /// bitset): counting distinct ones stays linear in the line's length.
    high_seqs: std::collections::HashSet<u32>,
}

impl LineParser {
    /// A parser with empty scratch buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses one line (without its newline). `Ok(None)` for blank and `#` comment lines.
    pub fn parse<'a>(&'a mut self, line: &'a [u8]) -> Result<Option<Record<'a>>, Reject> {
        if line.len() > MAX_LINE {
            return Err(Reject::TooLong);
        }
        // One pass splits the line into tokens and finds its first NUL and first `;`;
        // fields are then read by position.
        let marks = split_tokens(line, &mut self.edges);
        if let Some(i) = marks.nul {
            return Err(Reject::Nul { column: i + 1 });
        }
        // Anything from a `;` on is a comment.
        let line = match marks.semicolon {
            Some(i) => {
                cut_tokens(&mut self.edges, i);
                &line[..i]
            }
            None => line,
        };
        let tokens = self.edges.as_chunks::<2>().0;
        let tok = |i: usize| &line[tokens[i][0]..tokens[i][1]];
        let count = tokens.len();
        if count == 0 || tok(0)[0] == b'#' {
            return Ok(None);
        }
        let shape = match count {
            6 => Shape::Unreachable,
            8 => Shape::NoReply,
            11 => Shape::Summary,
            n if n > 11 && (n - 11) % 2 == 0 => Shape::Full,
            n if n > 11 => return Err(Reject::OddPingPart { count: n - 11 }),
            n => return Err(Reject::TokenCount { count: n }),
        };

        // 6-token lines lack the remote address: later fields sit one place earlier.
        let f = if shape == Shape::Unreachable { 3 } else { 4 };
        // Names and addresses are one UTF-8 check together (they are all ASCII as a rule);
        // when that fails, each is checked alone, for the reason and column.
        let head = std::str::from_utf8(&line[..tokens[f - 1][1]]);
        let (monitor, monitor_addr, remote, remote_addr) = match head {
            Ok(head) => {
                let text = |i: usize| &head[tokens[i][0]..tokens[i][1]];
                (
                    host_name("monitor", text(0))?,
                    text(1),
                    host_name("remote", text(2))?,
                    (f == 4).then(|| text(3)),
                )
            }
            Err(_) => (
                host_name_bytes("monitor", tok(0))?,
                utf8(tok(1), line)?,
                host_name_bytes("remote", tok(2))?,
                match f {
                    4 => Some(utf8(tok(3), line)?),
                    _ => None,
                },
            ),
        };
        let bytes = integer("bytes", tok(f))?;
        if bytes > 65535 {
            return Err(Reject::BytesTooLarge { bytes });
        }
        let time = integer("time", tok(f + 1))?;
        if time == 0 {
            return Err(Reject::ZeroTime);
        }
        if !TIME_RANGE.contains(&time) {
            return Err(out_of_bounds(
                "time",
                tok(f + 1),
                "1990-01-01 .. 2100-01-01",
            ));
        }
        let xmt = bounded_count("xmt", tok(f + 2))?;
        if xmt == 0 {
            return Err(Reject::ZeroXmt);
        }
        let mut record = Record {
            shape,
            monitor,
            monitor_addr,
            remote,
            remote_addr,
            bytes: (bytes as u32).max(MIN_BYTES),
            time: time as i64, // below 2100: fits
            xmt,
            rcv: 0,
            summary: None,
            pings: &[],
        };
        if shape == Shape::Unreachable {
            return Ok(Some(record));
        }

        let rcv = bounded_count("rcv", tok(7))?;
        if rcv > xmt {
            return Err(Reject::RcvExceedsXmt { rcv, xmt });
        }
        record.rcv = rcv;
        if shape == Shape::NoReply {
            if rcv != 0 {
                return Err(Reject::NoReplyWithRcv { rcv });
            }
            return Ok(Some(record));
        }

        let min = rtt("min", tok(8))?;
        let avg = rtt("avg", tok(9))?;
        let max = rtt("max", tok(10))?;
        if !(min <= avg && avg <= max) {
            return Err(Reject::SummaryOrder {
                min: lossy(tok(8)),
                avg: lossy(tok(9)),
                max: lossy(tok(10)),
            });
        }
        // An 11-token line with rcv = 0 is read as 100 % loss: its min/avg/max mean nothing.
        record.summary = (rcv > 0).then_some(Summary { min, avg, max });
        if shape == Shape::Summary {
            return Ok(Some(record));
        }

        // Full lines: all p sequence numbers first, then all p RTTs.
        let p = (count - 11) / 2;
        self.pings.clear();
        self.high_seqs.clear();
        let mut low: u64 = 0;
        let mut distinct = 0;
        let (seq_toks, rtt_toks) = tokens[11..].split_at(p);
        for (&[s, e], &[rtt_start, rtt_end]) in seq_toks.iter().zip(rtt_toks) {
            let seq_tok = &line[s..e];
            let seq = match small_integer(seq_tok) {
                Some(seq) => seq,
                None => u32::try_from(integer("sequence number", seq_tok)?)
                    .map_err(|_| out_of_bounds("sequence number", seq_tok, "below 2^32"))?,
            };
            let first = if seq < 64 {
                let bit = 1u64 << seq;
                let first = low & bit == 0;
                low |= bit;
                first
            } else {
                self.high_seqs.insert(seq)
            };
            distinct += usize::from(first);
            self.pings.push(Ping {
                seq,
                rtt: rtt("RTT", &line[rtt_start..rtt_end])?,
                first,
            });
        }
        if distinct != rcv as usize {
            return Err(Reject::SeqCount { distinct, rcv });
        }
        record.pings = &self.pings;
        Ok(Some(record))
    }
}

/// The replies with a sequence number not seen before on the line (a duplicate reply repeats
/// one), in arrival order.
pub fn distinct_replies(pings: &[Ping]) -> impl Iterator<Item = &Ping> {
    pings.iter().filter(|p| p.first)
}

// ---- grammar productions -------------------------------------------------------------------

/// What the tokenizing pass found besides tokens: the first NUL byte and the first `;`.
#[derive(Debug, Default, PartialEq, Eq)]
struct Marks {
    nul: Option<usize>,
    semicolon: Option<usize>,
}

/// Splits `line` at runs of whitespace, writing each token's start and end to `edges`
/// (cleared first; token i is `edges[2i]..edges[2i + 1]`), and finds its first NUL and `;`
/// on the way. Works 64 bytes at a time: bitmasks of the bytes, then one step per token edge
/// with no branch on its kind, instead of one branch per byte (which made up half of the
/// parser's time).
fn split_tokens(line: &[u8], edges: &mut Vec<usize>) -> Marks {
    // The usual line has no control byte and no `;`: its only whitespace is ` `, one compare
    // a byte (a seed line parses in about 196 ns like this, 206 with every class). Any
    // other line is split again with every class.
    let mut plain = true;
    split_chunks(line, edges, |_, chunk| {
        let (space, chunk_plain) = plain_masks(chunk);
        plain &= chunk_plain;
        space
    });
    let mut marks = Marks::default();
    if plain {
        return marks;
    }
    split_chunks(line, edges, |c, chunk| {
        let masks = byte_masks(chunk);
        let first = |mask: u64| (mask != 0).then(|| c * 64 + mask.trailing_zeros() as usize);
        marks.nul = marks.nul.or_else(|| first(masks.nul));
        marks.semicolon = marks.semicolon.or_else(|| first(masks.semicolon));
        masks.space
    });
    marks
}

/// Writes the token edges of `line` to `edges` (cleared first), given the whitespace mask
/// `space_mask` makes of each 64-byte chunk (with the chunk's index).
#[inline(always)]
fn split_chunks(
    line: &[u8],
    edges: &mut Vec<usize>,
    mut space_mask: impl FnMut(usize, &[u8; 64]) -> u64,
) {
    edges.clear();
    // Whether the byte before the current chunk is whitespace (the line start counts as one).
    let mut after_space = true;
    let mut chunks = line.chunks_exact(64);
    let mut tail = [b' '; 64];
    tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    let full = chunks.by_ref().map(|c| c.try_into().expect("64 bytes"));
    for (c, chunk) in full.chain([&tail]).enumerate() {
        let space = space_mask(c, chunk);
        // A bit set where a byte differs from the one before it: a token starts or ends.
        // Starts and ends alternate, beginning with a start.
        let mut bits = space ^ ((space << 1) | u64::from(after_space));
        while bits != 0 {
            edges.push(c * 64 + bits.trailing_zeros() as usize);
            bits &= bits - 1;
        }
        after_space = space >> 63 == 1;
    }
    // The padding is spaces, so the last token has ended: the edges come in pairs.
}

/// The ` ` bytes of `chunk`, and whether it is plain: no byte below 0x20 (the other
/// whitespace, NUL) and no `;`. Then the ` ` mask is the whitespace mask.
#[inline(always)]
fn plain_masks(chunk: &[u8; 64]) -> (u64, bool) {
    use wide::u8x16;
    let mut space = 0;
    let mut odd = u8x16::splat(0);
    for (i, part) in chunk.as_chunks::<16>().0.iter().enumerate() {
        let v = u8x16::new(*part);
        space |= u64::from(v.simd_eq(u8x16::splat(b' ')).to_bitmask()) << (16 * i);
        odd |= v.min(u8x16::splat(0x1f)).simd_eq(v) | v.simd_eq(u8x16::splat(b';'));
    }
    (space, !odd.any())
}

/// Drops the tokens `split_tokens` found from byte `cut` on (a `;` comment).
fn cut_tokens(edges: &mut Vec<usize>, cut: usize) {
    let kept = edges
        .as_chunks::<2>()
        .0
        .iter()
        .take_while(|t| t[0] < cut)
        .count();
    edges.truncate(2 * kept);
    if let Some(end) = edges.last_mut() {
        *end = (*end).min(cut);
    }
}

/// Bit i of each mask is about byte i of a 64-byte chunk.
#[derive(Debug, Default)]
struct ByteMasks {
    space: u64,
    semicolon: u64,
    nul: u64,
}

/// The whitespace, `;` and NUL bytes of `chunk`, 16 bytes at a time with `wide`'s vectors
/// (SSE2 compares and a movemask on x86-64). A byte loop that built the same masks through a
/// class array made tokenizing a seed line take 90 ns, 54 of them for the masks; this takes
/// 72 and 40. `;` and NUL are rare enough to need their own masks only in parts that have
/// one.
fn byte_masks(chunk: &[u8; 64]) -> ByteMasks {
    use wide::u8x16;
    let mut masks = ByteMasks::default();
    for (i, part) in chunk.as_chunks::<16>().0.iter().enumerate() {
        let v = u8x16::new(*part);
        // `\t`, `\n`, `\x0b`, `\x0c`, `\r` are 9..=13: b - 9 (wrapping) is at most 4.
        let d = v - u8x16::splat(b'\t');
        let space = v.simd_eq(u8x16::splat(b' ')) | d.min(u8x16::splat(4)).simd_eq(d);
        let shift = 16 * i;
        masks.space |= u64::from(space.to_bitmask()) << shift;
        let semicolon = v.simd_eq(u8x16::splat(b';'));
        let nul = v.simd_eq(u8x16::splat(0));
        if (semicolon | nul).any() {
            masks.semicolon |= u64::from(semicolon.to_bitmask()) << shift;
            masks.nul |= u64::from(nul.to_bitmask()) << shift;
        }
    }
    masks
}

/// Integer digits and, after a `.`, fraction digits.
type DecimalParts<'a> = (&'a [u8], Option<&'a [u8]>);

/// A non-negative decimal: digits, optionally `.` and more digits (`12`, `0.255`), as its
/// integer and fraction digits (`Some(empty)` for `223.`, which the caller rejects).
fn decimal_parts(input: &[u8]) -> IResult<&[u8], DecimalParts<'_>> {
    let (input, int_part) = digits(input)?;
    let (input, frac_part) = opt(preceded(nom_char('.'), digit0)).parse(input)?;
    Ok((input, (int_part, frac_part)))
}

/// Digits only.
fn digits(input: &[u8]) -> IResult<&[u8], &[u8]> {
    take_while1(|b: u8| b.is_ascii_digit()).parse(input)
}

/// The bytes a host name may hold: letters, digits and `.`, `_`, `:`, `-` (a table: one load
/// a byte instead of five compares).
static NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b':' | b'-');
        b += 1;
    }
    table
};

fn host_name<'a>(field: &'static str, tok: &'a str) -> Result<&'a str, Reject> {
    // No early exit: one load and one `and` a byte, no branch.
    let ok = tok
        .bytes()
        .fold(true, |ok, b| ok & NAME_BYTES[usize::from(b)]);
    if !ok {
        return Err(Reject::BadName {
            field,
            value: tok.to_string(),
        });
    }
    Ok(tok)
}

/// [`host_name`] of a token not known to be UTF-8.
fn host_name_bytes<'a>(field: &'static str, tok: &'a [u8]) -> Result<&'a str, Reject> {
    host_name(field, &String::from_utf8_lossy(tok))?;
    Ok(std::str::from_utf8(tok).expect("a host name is ASCII"))
}

fn utf8<'a>(tok: &'a [u8], line: &[u8]) -> Result<&'a str, Reject> {
    std::str::from_utf8(tok).map_err(|e| {
        let offset = tok.as_ptr() as usize - line.as_ptr() as usize;
        Reject::NotUtf8 {
            column: offset + e.valid_up_to() + 1,
        }
    })
}

/// Digits only, as a number; a huge one saturates (the bounds then reject it).
#[inline(always)]
fn integer(field: &'static str, tok: &[u8]) -> Result<u64, Reject> {
    match usual_integer(tok) {
        Some(value) => Ok(value),
        None => any_integer(field, tok),
    }
}

/// [`integer`] by the grammar: a huge value saturates, and anything else is rejected.
#[cold]
#[inline(never)]
fn any_integer(field: &'static str, tok: &[u8]) -> Result<u64, Reject> {
    match digits(tok) {
        Ok(([], d)) => Ok(value_of(d)),
        _ => Err(bad_integer(field, tok)),
    }
}

/// The usual integer token, 1 to 19 digits (no overflow possible), in one branch-light
/// pass; `None` for anything else, which the grammar ([`digits`]) then reads. Both give the
/// same value (tested): this only spares the combinators' cost on 12 tokens a line.
#[inline(always)]
fn usual_integer(tok: &[u8]) -> Option<u64> {
    if tok.is_empty() || tok.len() > 19 {
        return None;
    }
    let mut value = 0u64;
    let mut all_digits = true;
    for &b in tok {
        let d = b.wrapping_sub(b'0');
        all_digits &= d <= 9;
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
    }
    all_digits.then_some(value)
}

/// A sequence number of one or two digits (the usual ones), without a loop; `None` for
/// anything else.
#[inline(always)]
fn small_integer(tok: &[u8]) -> Option<u32> {
    match *tok {
        [d] if d.is_ascii_digit() => Some(u32::from(d - b'0')),
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

/// The usual RTT tokens, `D.DDD` or whole milliseconds `D` (the 2007 layout's pings), with
/// 1 to 7 integer digits (always below [`MAX_RTT`]), as microseconds in one pass; `None` for
/// anything else, which the grammar ([`decimal_parts`]) then reads. Both give the same value
/// (tested).
#[inline(always)]
fn usual_millis(tok: &[u8]) -> Option<Micros> {
    let n = tok.len();
    if n >= 5 && tok[n - 4] == b'.' {
        if n > 11 {
            return None;
        }
        let [a, b, c] = [tok[n - 3], tok[n - 2], tok[n - 1]].map(|d| d.wrapping_sub(b'0'));
        if (a > 9) | (b > 9) | (c > 9) {
            return None;
        }
        let frac = u64::from(a) * 100 + u64::from(b) * 10 + u64::from(c);
        // One whole digit is the usual case; `small_integer` here, taking two as well, made
        // a line about 4 ns slower.
        let milli = match &tok[..n - 4] {
            &[d] => d.is_ascii_digit().then(|| u64::from(d - b'0'))?,
            int_part => usual_integer(int_part)?,
        };
        return Some(milli * 1000 + frac);
    }
    if n > 7 {
        return None;
    }
    usual_integer(tok).map(|milli| milli * 1000)
}

/// The value of ASCII digits, saturating at `u64::MAX`.
fn value_of(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    })
}

/// xmt or rcv: an integer of at most [`MAX_COUNT`].
#[inline(always)]
fn bounded_count(field: &'static str, tok: &[u8]) -> Result<u32, Reject> {
    let v = integer(field, tok)?;
    if v > MAX_COUNT {
        return Err(out_of_bounds(field, tok, "at most 100000"));
    }
    Ok(v as u32)
}

fn out_of_bounds(field: &'static str, tok: &[u8], bound: &'static str) -> Reject {
    Reject::OutOfBounds {
        field,
        value: lossy(&tok[..tok.len().min(40)]),
        bound,
    }
}

fn bad_integer(field: &'static str, tok: &[u8]) -> Reject {
    Reject::BadInteger {
        field,
        value: lossy(tok),
    }
}

/// A millisecond decimal as integer microseconds, rounded half up past 3 decimals.
#[inline(always)]
fn rtt(field: &'static str, tok: &[u8]) -> Result<Micros, Reject> {
    match usual_millis(tok) {
        Some(micros) => Ok(micros),
        None => any_rtt(field, tok),
    }
}

/// [`rtt`] by the grammar: every form the contract accepts, and the reason for the rest.
#[cold]
#[inline(never)]
fn any_rtt(field: &'static str, tok: &[u8]) -> Result<Micros, Reject> {
    let bad = || Reject::BadRtt {
        field,
        value: lossy(tok),
    };
    let (rest, (int_part, frac_part)) = decimal_parts(tok).map_err(|_| bad())?;
    // Signs, exponents, `.5` and `5.` are not decimals.
    if !rest.is_empty() || frac_part == Some(&b""[..]) {
        return Err(bad());
    }
    let frac_part = frac_part.unwrap_or(b"");
    // Integer digits, then 3 fraction digits (padded with zeros); the 4th rounds half up.
    let digit = |d: Option<&u8>| d.map_or(0, |&b| u64::from(b - b'0'));
    let mut micros = value_of(int_part);
    for i in 0..3 {
        micros = micros
            .saturating_mul(10)
            .saturating_add(digit(frac_part.get(i)));
    }
    micros = micros.saturating_add(u64::from(frac_part.get(3).is_some_and(|&b| b >= b'5')));
    if micros >= MAX_RTT {
        return Err(out_of_bounds(field, tok, "below 10000000 ms"));
    }
    Ok(micros)
}

fn lossy(tok: &[u8]) -> String {
    String::from_utf8_lossy(tok).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Option<Record<'static>>, Reject> {
        // Leak for test convenience: records borrow the parser.
        let parser = Box::leak(Box::new(LineParser::new()));
        let line: &'static [u8] = Box::leak(line.as_bytes().to_vec().into_boxed_slice());
        parser.parse(line)
    }

    fn ok(line: &str) -> Record<'static> {
        parse(line).expect("accepted").expect("not blank")
    }

    fn rejected(line: &str) -> Reject {
        parse(line).expect_err("rejected")
    }

    /// Fewer than `max_len` bytes drawn from `alphabet` (repeat a byte to make it likelier).
    fn random_bytes(rng: &mut fastrand::Rng, max_len: usize, alphabet: &[u8]) -> Vec<u8> {
        let len = rng.usize(0..max_len);
        (0..len)
            .map(|_| alphabet[rng.usize(..alphabet.len())])
            .collect()
    }

    /// The contract's whitespace, byte by byte.
    fn is_space(b: u8) -> bool {
        matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')
    }

    /// The tokens of `edges`, as (start, end).
    fn pairs(edges: &[usize]) -> Vec<(usize, usize)> {
        let (pairs, rest) = edges.as_chunks::<2>();
        assert!(rest.is_empty(), "edges come in pairs");
        pairs.iter().map(|&[s, e]| (s, e)).collect()
    }

    /// The tokens of `line`, by a plain split, for comparison.
    fn plain_split(line: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, &b) in line.iter().chain([b' '].iter()).enumerate() {
            match (is_space(b), start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    out.push((s, i));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn tokens_split_at_every_whitespace_run_across_64_byte_chunks() {
        let mut edges = Vec::new();
        split_tokens(b" \t x yz\x0b\x0c", &mut edges);
        assert_eq!(pairs(&edges), [(3, 4), (5, 7)]);
        split_tokens(b"", &mut edges);
        assert!(edges.is_empty());
        split_tokens(b" \r\n ", &mut edges);
        assert!(edges.is_empty());
        // Tokens and gaps of every length around the chunk edges, \x01 not whitespace.
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let line = random_bytes(&mut rng, 300, b"ab \t\x01\x0b\x0d\x0e\x081.\xff");
            split_tokens(&line, &mut edges);
            assert_eq!(pairs(&edges), plain_split(&line), "{line:?}");
        }
        // Lines with no byte below 0x20 and no `;` take the one-compare path.
        for _ in 0..2000 {
            let line = random_bytes(&mut rng, 300, b"ab  1.\x7f\xff");
            let marks = split_tokens(&line, &mut edges);
            assert_eq!(pairs(&edges), plain_split(&line), "{line:?}");
            assert_eq!(marks, Marks::default());
        }
    }

    #[test]
    fn the_tokenizing_pass_finds_the_first_nul_and_semicolon_anywhere() {
        let mut edges = Vec::new();
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..2000 {
            let line = random_bytes(&mut rng, 300, b"aaaaaaaa  \t;\x00\x01");
            let marks = split_tokens(&line, &mut edges);
            let first = |byte| line.iter().position(|&b| b == byte);
            assert_eq!(marks.nul, first(0), "{line:?}");
            assert_eq!(marks.semicolon, first(b';'), "{line:?}");
            if let Some(cut) = marks.semicolon {
                cut_tokens(&mut edges, cut);
                assert_eq!(pairs(&edges), plain_split(&line[..cut]), "{line:?}");
            }
        }
    }

    #[test]
    fn the_usual_number_readers_agree_with_the_grammar() {
        // Every token the fast readers take must read the same by the grammar's path, and
        // every token they leave must be one the grammar has to look at.
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..200_000 {
            let tok = random_bytes(&mut rng, 14, b"0123456789999..-e ");
            if let Some(v) = usual_integer(&tok) {
                assert_eq!(any_integer("x", &tok), Ok(v), "{tok:?}");
            }
            if let Some(v) = small_integer(&tok) {
                assert_eq!(any_integer("x", &tok), Ok(u64::from(v)), "{tok:?}");
            }
            if let Some(v) = usual_millis(&tok) {
                assert_eq!(any_rtt("x", &tok), Ok(v), "{tok:?}");
            }
            assert_eq!(integer("x", &tok), any_integer("x", &tok), "{tok:?}");
            assert_eq!(rtt("x", &tok), any_rtt("x", &tok), "{tok:?}");
        }
        for tok in [
            &b"9999999.999"[..],
            b"0.000",
            b"12345678.999",
            b"1.2345",
            b"007",
            b"9999999",
            b"10000000",
            b"226",
        ] {
            assert_eq!(rtt("x", tok), any_rtt("x", tok), "{tok:?}");
        }
        assert_eq!(
            integer("x", b"9999999999999999999"),
            Ok(9_999_999_999_999_999_999)
        );
        assert_eq!(integer("x", b"99999999999999999999"), Ok(u64::MAX));
    }

    #[test]
    fn decimal_takes_digits_and_an_optional_fraction() {
        assert_eq!(
            decimal_parts(b"0.255 "),
            Ok((&b" "[..], (&b"0"[..], Some(&b"255"[..]))))
        );
        assert_eq!(decimal_parts(b"12x"), Ok((&b"x"[..], (&b"12"[..], None))));
        assert_eq!(
            decimal_parts(b"223."),
            Ok((&b""[..], (&b"223"[..], Some(&b""[..]))))
        );
        assert!(decimal_parts(b".5").is_err());
        assert!(decimal_parts(b"-1").is_err());
    }

    #[test]
    fn rtt_converts_milliseconds_to_exact_microseconds() {
        assert_eq!(rtt("RTT", b"0.255"), Ok(255));
        assert_eq!(rtt("RTT", b"226"), Ok(226_000));
        assert_eq!(rtt("RTT", b"223.3"), Ok(223_300));
        assert_eq!(rtt("RTT", b"1.2345"), Ok(1235));
        assert_eq!(rtt("RTT", b"1.2344"), Ok(1234));
        assert!(rtt("RTT", b"nan").is_err());
        assert!(rtt("RTT", b"inf").is_err());
        assert!(rtt("RTT", b"-3").is_err());
        assert!(rtt("RTT", b"1e3").is_err());
        assert!(rtt("RTT", b"99999999999").is_err());
        assert!(rtt("RTT", b"5.").is_err());
        assert!(rtt("RTT", b".5").is_err());
    }

    /// A random line of one of the accepted shapes (valid by construction).
    fn random_line(rng: &mut fastrand::Rng) -> String {
        let name = |rng: &mut fastrand::Rng| {
            let chars = b"abcxyz019.-_:";
            (0..rng.usize(1..12))
                .map(|_| chars[rng.usize(..chars.len())] as char)
                .collect::<String>()
        };
        let ms = |rng: &mut fastrand::Rng| {
            let us = rng.u64(..MAX_RTT);
            match rng.u8(..3) {
                0 => format!("{}", us / 1000),
                1 => format!("{}.{:03}", us / 1000, us % 1000),
                _ => format!("{}.{:04}", us / 1000, rng.u32(..10_000)),
            }
        };
        let time = rng.u64(TIME_RANGE);
        let head = format!("{} {} {}", name(rng), name(rng), name(rng));
        let xmt = rng.u32(1..40);
        match rng.u8(..4) {
            0 => format!("{head} {} {time} {xmt}", rng.u32(..70_000) % 65_536),
            1 => format!("{head} {} {} {time} {xmt} 0", name(rng), rng.u32(..65_536)),
            2 => {
                let mut v = [rng.u64(..MAX_RTT), rng.u64(..MAX_RTT), rng.u64(..MAX_RTT)];
                v.sort_unstable();
                let rcv = rng.u32(0..=xmt);
                let f = |u: u64| format!("{}.{:03}", u / 1000, u % 1000);
                format!(
                    "{head} {} 100 {time} {xmt} {rcv} {} {} {}",
                    name(rng),
                    f(v[0]),
                    f(v[1]),
                    f(v[2])
                )
            }
            _ => {
                let rcv = rng.u32(1..=xmt);
                let mut seqs: Vec<u32> = (0..rcv).map(|i| i * 7 + rng.u32(..7)).collect();
                let dups = rng.usize(..3).min(seqs.len());
                let again: Vec<u32> = seqs[..dups].to_vec();
                seqs.extend(again);
                let rtts: Vec<String> = seqs.iter().map(|_| ms(rng)).collect();
                let seqs: Vec<String> = seqs.iter().map(|s| s.to_string()).collect();
                format!(
                    "{head} {} 1000 {time} {xmt} {rcv} 1 2 3 {} {}",
                    name(rng),
                    seqs.join(" "),
                    rtts.join(" ")
                )
            }
        }
    }

    #[test]
    fn formatting_a_parsed_record_and_parsing_it_again_gives_the_same_record() {
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut first, mut second) = (LineParser::new(), LineParser::new());
        for _ in 0..20_000 {
            let line = random_line(&mut rng);
            let record = first
                .parse(line.as_bytes())
                .unwrap_or_else(|e| panic!("{line}: {e}"))
                .unwrap();
            let text = record.to_string();
            let again = second
                .parse(text.as_bytes())
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(again.as_ref(), Some(&record), "{line}\n{text}");
        }
        // The real lines too.
        for line in include_str!("../../fixtures/samples/new_format_2006_seq0_3dec.txt").lines() {
            if let Ok(Some(record)) = first.parse(line.as_bytes()) {
                let text = record.to_string();
                assert_eq!(
                    second.parse(text.as_bytes()).unwrap().as_ref(),
                    Some(&record)
                );
            }
        }
    }

    #[test]
    fn the_largest_valid_rtt_is_a_value_and_the_bound_is_a_rule() {
        // 4294967.295 ms was u32::MAX microseconds, once also the "unknown" mark.
        assert_eq!(rtt("RTT", b"4294967.295"), Ok(4_294_967_295));
        assert_eq!(rtt("RTT", b"9999999.999"), Ok(MAX_RTT - 1));
        assert_eq!(
            rtt("RTT", b"9999999.9995").unwrap_err().kind(),
            "value out of bounds"
        );
        assert_eq!(
            rtt("RTT", b"10000000").unwrap_err().kind(),
            "value out of bounds"
        );
        assert_eq!(
            rtt("RTT", "9".repeat(5000).as_bytes()).unwrap_err().kind(),
            "value out of bounds"
        );
        const { assert!(MAX_RTT < crate::model::series::UNKNOWN) };
    }

    #[test]
    fn times_outside_1990_to_2100_are_rejected_with_a_reason() {
        let line = |t: &str| format!("m.org 1.1.1.1 r.org 2.2.2.2 100 {t} 10 0");
        for t in [
            "1799",
            "631151999",
            "4102444800",
            "9007199254740993",
            "99999999999999999999999",
        ] {
            let r = rejected(&line(t));
            assert_eq!(r.kind(), "value out of bounds", "{t}");
            assert!(r.to_string().contains("1990-01-01 .. 2100-01-01"), "{r}");
        }
        assert_eq!(ok(&line("631152000")).time, 631_152_000);
        assert_eq!(ok(&line("4102444799")).time, 4_102_444_799);
    }

    #[test]
    fn huge_counts_are_rejected_before_anything_is_sized_by_them() {
        let base = "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000";
        let r = rejected(&format!("{base} 4000000000 4000000000 1 2 3"));
        assert_eq!(
            r.to_string(),
            "xmt 4000000000 is out of bounds (at most 100000)"
        );
        let r = rejected(&format!("{base} 10 100001 1 2 3"));
        assert_eq!(r.kind(), "value out of bounds");
        let accepted = ok(&format!("{base} 100000 100000 1 2 3"));
        assert_eq!(accepted.rcv, 100_000);
        let r = rejected(&format!("{base} 10 1 1 1 1 4294967296 1"));
        assert_eq!(
            r.to_string(),
            "sequence number 4294967296 is out of bounds (below 2^32)"
        );
    }

    #[test]
    fn nul_bytes_and_long_lines_reject_only_that_line() {
        let mut parser = LineParser::new();
        let line = b"m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10\x000";
        assert_eq!(parser.parse(line), Err(Reject::Nul { column: 46 }));
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(parser.parse(&long), Err(Reject::TooLong));
    }

    #[test]
    fn distinct_high_sequence_numbers_are_counted_by_a_set() {
        // Sequence numbers of 64 and above go through a hash set (linear in the line), not
        // a scan of the earlier ones; a full-length line of them still counts exactly.
        let p = 6000;
        let seqs: Vec<String> = (0..p).map(|i| (1_000_000 + i).to_string()).collect();
        let rtts = vec!["1"; p];
        let line = format!(
            "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 {p} {p} 1 1 1 {} {}",
            seqs.join(" "),
            rtts.join(" ")
        );
        assert!(line.len() <= MAX_LINE);
        let record = ok(&line);
        assert_eq!(record.pings.len(), p);
        assert!(record.pings.iter().all(|ping| ping.first));
        let dup = format!(
            "m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 {p} {p} 1 1 1 {} {} {}",
            seqs[1..].join(" "),
            seqs[1],
            rtts.join(" ")
        );
        assert_eq!(rejected(&dup).kind(), "distinct seqs != rcv");
    }

    #[test]
    fn integer_rejects_signs_and_garbage() {
        assert_eq!(integer("time", b"1049155210"), Ok(1_049_155_210));
        assert!(integer("time", b"+1").is_err());
        assert!(integer("time", b"12a").is_err());
        assert!(integer("time", b"1.0").is_err());
    }

    #[test]
    fn full_line_seq0_with_three_decimals() {
        let r = ok(include_str!("../../fixtures/samples/new_format_2006_seq0_3dec.txt").trim_end());
        assert_eq!(r.shape, Shape::Full);
        assert_eq!(r.monitor, "pinger.slac.stanford.edu");
        assert_eq!(r.monitor_addr, "134.79.240.30");
        assert_eq!(r.remote, "ping.slac.stanford.edu");
        assert_eq!(r.remote_addr, Some("134.79.18.21"));
        assert_eq!((r.bytes, r.time, r.xmt, r.rcv), (100, 1152489601, 10, 10));
        assert_eq!(
            r.summary,
            Some(Summary {
                min: 255,
                avg: 341,
                max: 467
            })
        );
        assert_eq!(r.pings.len(), 10);
        assert_eq!(
            r.pings[0],
            Ping {
                seq: 0,
                rtt: 287,
                first: true
            }
        );
        assert_eq!(
            r.pings[9],
            Ping {
                seq: 9,
                rtt: 299,
                first: true
            }
        );
    }

    #[test]
    fn full_line_seq1_with_integer_rtts() {
        let r =
            ok(include_str!("../../fixtures/samples/new_format_2007_seq1_intrtt.txt").trim_end());
        assert_eq!(r.monitor, "monitor.niit.edu.pk");
        assert_eq!(r.pings.first().map(|p| p.seq), Some(1));
        assert_eq!(
            r.pings.last(),
            Some(&Ping {
                seq: 10,
                rtt: 225_000,
                first: true
            })
        );
        assert_eq!(r.summary.map(|s| s.avg), Some(224_978));
    }

    #[test]
    fn every_real_sample_line_is_accepted() {
        let files = [
            include_str!("../../fixtures/samples/hep_data_2003_ipname_dupkeys.txt"),
            include_str!("../../fixtures/samples/new_format_2006_seq0_3dec.txt"),
            include_str!("../../fixtures/samples/new_format_2007_seq1_intrtt.txt"),
            include_str!("../../fixtures/samples/old_format_1997_slac_confluence.txt"),
            include_str!("../../fixtures/samples/perfsonar_conversion_2003.txt"),
            include_str!("../../fixtures/samples/ping_data_help_2011.txt"),
            include_str!("../../fixtures/samples/pinger2_2010_slac.txt"),
        ];
        let mut lines = 0;
        for text in files {
            for line in text.lines() {
                let r = ok(line);
                assert!(r.summary.is_some(), "{line}");
                lines += 1;
            }
        }
        assert_eq!(lines, 16);
    }

    #[test]
    fn old_summary_only_lines_and_bare_ip_names() {
        let r = ok("minos.slac.stanford.edu 134.79.196.100 www.lbl.gov 128.3.7.14 100 870393602 10 10 6 18 125   ");
        assert_eq!(r.shape, Shape::Summary);
        assert_eq!(
            r.summary,
            Some(Summary {
                min: 6000,
                avg: 18000,
                max: 125_000
            })
        );
        assert!(r.pings.is_empty());
        let r = ok(include_str!("../../fixtures/samples/pinger2_2010_slac.txt")
            .lines()
            .nth(1)
            .unwrap());
        assert_eq!(r.remote, "195.24.192.47");
        let r = ok(
            include_str!("../../fixtures/samples/hep_data_2003_ipname_dupkeys.txt")
                .lines()
                .next()
                .unwrap(),
        );
        assert_eq!(r.monitor, "143.108.30.100");
    }

    #[test]
    fn eight_and_six_token_lines_are_total_loss() {
        let r = ok("mon.example.org 1.2.3.4 far.example.org 5.6.7.8 1000 1200000000 10 0");
        assert_eq!((r.shape, r.rcv, r.summary), (Shape::NoReply, 0, None));
        let r = ok("mon.example.org 1.2.3.4 far.example.org 1000 1200000000 10");
        assert_eq!(
            (r.shape, r.remote_addr, r.xmt),
            (Shape::Unreachable, None, 10)
        );
        let r = ok("mon.example.org 1.2.3.4 far.example.org 5.6.7.8 100 1200000000 10 0 0 0 0");
        assert_eq!((r.shape, r.summary), (Shape::Summary, None));
    }

    #[test]
    fn ipv6_names_comments_and_small_sizes() {
        let r =
            ok("2001:db8::1 2001:db8::1 far.example.org . 64 1200000000 10 0 ; trailing comment");
        assert_eq!(r.monitor, "2001:db8::1");
        assert_eq!(r.remote_addr, Some("."));
        assert_eq!(r.bytes, 100);
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   \t"), Ok(None));
        assert_eq!(parse("# a comment"), Ok(None));
        assert_eq!(parse("; only a comment"), Ok(None));
    }

    #[test]
    fn duplicates_make_p_exceed_rcv() {
        let r = ok("m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 10 1 2 3 0 1 2 3 4 5 6 7 8 9 9 1 1 2 2 2 2 2 2 2 3 3");
        assert_eq!(r.pings.len(), 11);
        assert_eq!(distinct_replies(r.pings).count(), 10);
        assert!(!r.pings[10].first, "the repeated 9 is a duplicate");
    }

    #[test]
    fn xmt_above_ten_on_lossy_paths() {
        let r =
            ok("m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 25 3 100 150 200 4 11 20 100 150 200");
        assert_eq!((r.xmt, r.rcv, r.pings.len()), (25, 3, 3));
    }

    #[test]
    fn the_mangled_line_of_the_contract_is_rejected() {
        let line = "143.108.30.100 143.108.30.100 www.al.sp.gov.br 200.144.27.132 1000 10491552 10 10 10 32 32 33 0 1 2 3 4 5 6 7 8 9 33 33 32 32 32 32 32 32 33 33";
        assert_eq!(rejected(line), Reject::OddPingPart { count: 21 });
        assert_eq!(
            rejected(line).to_string(),
            "per-ping part has 21 tokens, expected an even number"
        );
    }

    #[test]
    fn every_rejection_rule() {
        let base = "m.org 1.1.1.1 r.org 2.2.2.2";
        let cases: Vec<(String, &str)> = vec![
            ("No data".into(), "wrong token count"),
            (
                "<html><body>500 Internal Server Error</body></html>".into(),
                "wrong token count",
            ),
            (
                format!("{base} 100 1200000000 10 10 1 2"),
                "wrong token count",
            ),
            (
                format!("{base} 100 1200000000 10 10 1 2 3 0"),
                "odd per-ping part",
            ),
            (
                "m/org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 0".into(),
                "bad host name",
            ),
            (
                "m.org 1.1.1.1 r<org 2.2.2.2 100 1200000000 10 0".into(),
                "bad host name",
            ),
            (format!("{base} 1x0 1200000000 10 0"), "bad integer field"),
            (format!("{base} 100 -5 10 0"), "bad integer field"),
            (format!("{base} 100 1200000000 ten 0"), "bad integer field"),
            (format!("{base} 100 1200000000 10 1.5"), "bad integer field"),
            (format!("{base} 100 0 10 0"), "time is 0"),
            (format!("{base} 100 1200000000 0 0"), "xmt is 0"),
            (format!("{base} 70000 1200000000 10 0"), "bytes > 65535"),
            (format!("{base} 100 1200000000 10 11 1 2 3"), "rcv > xmt"),
            (format!("{base} 100 1200000000 10 10 1 x 3"), "bad RTT"),
            (format!("{base} 100 1200000000 10 10 1 NaN 3"), "bad RTT"),
            (
                format!("{base} 100 1200000000 10 10 3 2 1"),
                "min/avg/max out of order",
            ),
            (format!("{base} 100 1200000000 10 1 1 1 1 0 a"), "bad RTT"),
            (
                format!("{base} 100 1200000000 10 1 1 1 1 x 1"),
                "bad integer field",
            ),
            (
                format!("{base} 100 1200000000 10 2 1 1 1 0 0 1 1"),
                "distinct seqs != rcv",
            ),
            (
                format!("{base} 100 1200000000 10 3 1 1 1 0 1 1 1"),
                "distinct seqs != rcv",
            ),
            (
                format!("{base} 100 1200000000 10 2"),
                "8-token line with rcv > 0",
            ),
        ];
        for (line, kind) in cases {
            assert_eq!(rejected(&line).kind(), kind, "{line}");
        }
    }

    #[test]
    fn non_utf8_bytes_reject_the_line_with_a_column() {
        let mut parser = LineParser::new();
        let line = b"m.org 1.1.1.\xff r.org 2.2.2.2 100 1200000000 10 0";
        assert_eq!(parser.parse(line), Err(Reject::NotUtf8 { column: 13 }));
        let line = b"m.\xc3rg 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 0";
        assert_eq!(parser.parse(line).unwrap_err().kind(), "bad host name");
    }

    #[test]
    fn reasons_read_like_sentences() {
        let r = rejected("m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 2 1 1 1 0 0 1 1");
        assert_eq!(r.to_string(), "1 distinct sequence numbers but rcv is 2");
        let r = rejected("m.org 1.1.1.1 r.org 2.2.2.2 100 1200000000 10 11 1 2 3");
        assert_eq!(r.to_string(), "rcv 11 is larger than xmt 10");
    }
}
