//! The time window of a run: `--end` rounded down to the step, `--days` back from there.
//!
//! A run over D days uses lines with `E - D*86400 <= t < E`, i.e. slots `E - D*86400 < T <= E`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// How far a record may sit from the file its name dates: two days (the neighbouring day's
/// or month's file, with room for clocks and late collection).
pub const MARGIN: i64 = 2 * 86_400;

/// The lines and slots a run works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First line time included (`E - D*86400`).
    pub start: i64,
    /// `E`: the end, a multiple of the step; lines at or after it are left out.
    pub end: i64,
    /// RRD step S in seconds.
    pub step: i64,
}

impl Window {
    /// The window of `days` days ending at `end` rounded down to a multiple of `step`.
    pub fn new(end: i64, days: u32, step: u32) -> Self {
        let step = i64::from(step);
        let end = end.div_euclid(step) * step;
        Window {
            start: end - i64::from(days) * 86_400,
            end,
            step,
        }
    }

    /// Whether a line started at `t` belongs to this window.
    pub fn contains(&self, t: i64) -> bool {
        self.start <= t && t < self.end
    }

    /// Whether a file covering `[from, to)` may hold lines of the window. Records can sit in
    /// the neighbouring day's or month's file, so a margin of two days is kept on both sides.
    pub fn may_overlap(&self, from: i64, to: i64) -> bool {
        from < self.end + MARGIN && to > self.start - MARGIN
    }
}

/// A time or a period that could not be read; the message says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimeError(String);

/// Reads a time given on the command line: `now`, Unix seconds, `YYYY-MM-DD`,
/// `YYYY-MM-DDTHH:MM[:SS]` (optionally with `Z` or an offset). All times are UTC.
pub fn parse_time(text: &str) -> Result<i64, TimeError> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("now") {
        return Ok(Utc::now().timestamp());
    }
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|e| TimeError(format!("`{text}`: {e}")));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text.trim_end_matches('Z'), format) {
            return Ok(t.and_utc().timestamp());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp());
    }
    Err(TimeError(format!(
        "`{text}` is not a time: use `now`, Unix seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z]"
    )))
}

/// Reads a period: `<n>d` days, `<n>h` hours or plain seconds (`7d`, `36h`, `86400`), from
/// one hour to a year.
pub fn parse_period(text: &str) -> Result<i64, TimeError> {
    let text = text.trim();
    let (digits, unit) = match text.as_bytes().last() {
        Some(b'd') => (&text[..text.len() - 1], 86_400),
        Some(b'h') => (&text[..text.len() - 1], 3_600),
        _ => (text, 1),
    };
    let bad = || {
        TimeError(format!(
            "`{text}` is not a period: use e.g. 1d, 7d, 30d, 120d or 36h"
        ))
    };
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let seconds = digits.parse::<i64>().map_err(|_| bad())? * unit;
    if !(3_600..=366 * 86_400).contains(&seconds) {
        return Err(TimeError(format!("`{text}`: a period is from 1h to 366d")));
    }
    Ok(seconds)
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_time(t: i64) -> String {
    DateTime::<Utc>::from_timestamp(t, 0)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_is_rounded_down_to_the_step() {
        let w = Window::new(1_200_000_000, 1, 1800);
        assert_eq!(w.end, 1_199_998_800);
        assert_eq!(w.start, w.end - 86_400);
        assert!(w.contains(w.start));
        assert!(!w.contains(w.end));
        assert!(w.contains(w.end - 1));
        assert!(!w.contains(w.start - 1));
    }

    #[test]
    fn times_in_every_accepted_form() {
        assert_eq!(parse_time("1200000000"), Ok(1_200_000_000));
        assert_eq!(parse_time("2007-01-10"), Ok(1_168_387_200));
        assert_eq!(parse_time("2007-01-10T00:30"), Ok(1_168_389_000));
        assert_eq!(parse_time("2007-01-10T00:30:00Z"), Ok(1_168_389_000));
        assert_eq!(parse_time("2007-01-10T01:30:00+01:00"), Ok(1_168_389_000));
        assert!(parse_time("yesterday").is_err());
        assert!((parse_time("now").unwrap() - Utc::now().timestamp()).abs() < 5);
        assert_eq!(format_time(1_168_389_000), "2007-01-10T00:30:00Z");
    }

    #[test]
    fn periods_in_days_hours_or_seconds() {
        assert_eq!(parse_period("7d"), Ok(7 * 86_400));
        assert_eq!(parse_period("36h"), Ok(36 * 3_600));
        assert_eq!(parse_period("86400"), Ok(86_400));
        for bad in ["", "d", "7x", "-1d", "0d", "367d", "99999999999d", "1.5d"] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_overlap_keeps_a_two_day_margin() {
        let w = Window::new(10 * 86_400, 2, 1800);
        assert!(w.may_overlap(10 * 86_400, 11 * 86_400)); // the day after the end
        assert!(w.may_overlap(11 * 86_400, 12 * 86_400));
        assert!(!w.may_overlap(12 * 86_400, 13 * 86_400));
        assert!(w.may_overlap(6 * 86_400, 7 * 86_400));
        assert!(!w.may_overlap(5 * 86_400, 6 * 86_400));
    }
}
