//! SmokePing's detail graph of one key, drawn by librrd's graph call (through the `rrd`
//! crate): smoke from the sorted ping slots, the median line with a loss-coloured band, and,
//! unlike SmokePing, a visible bar for 100 % loss.
//! The elements are built here; `store::graph` makes the librrd call.

use crate::model::key::Key;
use crate::rrd::store::{self, StoreError};
use rrd::ops::graph::elements::{
    Area, AreaColor, CDef, ColorWithLegend, Comment, Def, GPrint, GraphElement, Legend, Line, VDef,
    VarName,
};
use rrd::ops::graph::props::{GraphProps, ImageFormat};
use rrd::ops::graph::Color;
use rrd::ConsolidationFn;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// The time ranges of the original PingER pages.
pub const RANGES: [(&str, i64); 4] = [("2d", 2), ("10d", 10), ("30d", 30), ("120d", 120)];

/// PNG or SVG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// PNG image.
    Png,
    /// SVG image.
    Svg,
}

impl crate::model::Choice for Format {
    const ALL: &'static [Self] = &[Format::Png, Format::Svg];

    fn name(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}
crate::choice_text!(Format);

impl Format {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Svg => "svg",
        }
    }
}

/// What to draw.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The key (title, N).
    pub key: &'a Key,
    /// Its RRD file.
    pub file: &'a Path,
    /// First second shown.
    pub start: i64,
    /// Last second shown.
    pub end: i64,
    /// Image format.
    pub format: Format,
    /// Detail, overview or sparkline (and so the size).
    pub style: Style,
}

/// How much around the plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// SmokePing's detail graph: title, axes, legend with statistics.
    Detail,
    /// SmokePing's overview: a small graph with axes, titled with the remote and size.
    Overview,
    /// The plot alone, for a table row.
    Sparkline,
}

impl Style {
    /// The plot area's width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Style::Detail => (600, 200),
            Style::Overview => (500, 60),
            Style::Sparkline => (120, 24),
        }
    }
}

/// A loss colour bucket: loss counts in `(previous, upto]`, with its colour and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossBucket {
    /// Highest loss count in the bucket.
    pub upto: u32,
    /// `#rrggbb`.
    pub color: &'static str,
    /// Legend text.
    pub label: String,
}

/// SmokePing's loss colour (its newer percentage buckets) for a `fraction` of N pings lost:
/// 0, any loss under 5 %, >= 5 %, >= 10 %, >= 25 %, >= 50 %, N-1 of N, N of N. The graphs'
/// band and the web pages' matrix both take their colours from here.
pub fn loss_color(fraction: f64, n: u32) -> &'static str {
    let n = f64::from(n.max(1));
    match fraction {
        f if f <= 0.0 => "#26ff00",
        f if f >= 1.0 => "#a00000",
        f if n > 1.0 && f >= (n - 1.0) / n => "#ff0000",
        f if f >= 0.50 => "#ff5500",
        f if f >= 0.25 => "#ff00ff",
        f if f >= 0.10 => "#7e00ff",
        f if f >= 0.05 => "#0059ff",
        _ => "#00b8ff",
    }
}

/// SmokePing's percentage buckets (0, >=1 %, >=5 %, >=10 %, >=25 %, >=50 %, N-1, N) for N
/// pings, as loss counts; buckets no count falls into are left out.
pub fn loss_buckets(n: u32) -> Vec<LossBucket> {
    let name = |c: u32| -> (&'static str, String) {
        let percent = 100.0 * f64::from(c) / f64::from(n);
        let label = match c {
            0 => "0".into(),
            c if c == n || c + 1 == n => format!("{c}/{n}"),
            _ if percent >= 50.0 => ">=50%".into(),
            _ if percent >= 25.0 => ">=25%".into(),
            _ if percent >= 10.0 => ">=10%".into(),
            _ if percent >= 5.0 => ">=5%".into(),
            _ => ">=1%".into(),
        };
        (loss_color(f64::from(c) / f64::from(n), n), label)
    };
    let mut buckets: Vec<LossBucket> = Vec::new();
    for c in 0..=n {
        let (color, label) = name(c);
        match buckets.last_mut() {
            Some(b) if b.label == label => b.upto = c,
            _ => buckets.push(LossBucket {
                upto: c,
                color,
                label,
            }),
        }
    }
    buckets
}

/// Renders the graph; returns the image bytes.
pub fn render(req: &Request<'_>) -> Result<Vec<u8>, StoreError> {
    let error = |message: String| StoreError {
        path: req.file.to_path_buf(),
        message,
    };
    // librrd sizes the graph's data by its time range: keep it within the file's reach (and
    // as much again on either side, for context).
    let span = store::span(req.file)?;
    let (start, end) = span.clamp(req.start, req.end, span.reach);
    if start >= end {
        return Err(error(format!(
            "nothing to draw between {} and {}",
            crate::model::window::format_time(req.start),
            crate::model::window::format_time(req.end)
        )));
    }
    let req = &Request { start, end, ..*req };
    // SmokePing scales to 1.2 x the highest median shown.
    let fetched = store::fetch_in(req.file, req.start, req.end, 1)?;
    let highest = fetched
        .rows
        .iter()
        .filter_map(|(_, v)| v.get(2).copied())
        .filter(|m| m.is_finite())
        .fold(0.0, f64::max);
    let top = if highest > 0.0 { 1.2 * highest } else { 0.1 };
    let elements = elements(req, top).map_err(|e| error(e.to_string()))?;
    let time = |t: i64| UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
    let mut props = GraphProps::default();
    props.time_range.start = Some(time(req.start));
    props.time_range.end = Some(time(req.end));
    let (width, height) = req.style.size();
    props.size.width = Some(width);
    props.size.height = Some(height);
    match req.style {
        Style::Detail => {
            props.labels.title = Some(format!(
                "{} to {} ({} bytes)",
                req.key.monitor, req.key.remote, req.key.bytes
            ));
            props.labels.vertical_label = Some("Seconds".into());
        }
        Style::Overview => {
            props.labels.title = Some(format!("{} ({} bytes)", req.key.remote, req.key.bytes));
            props.legend.no_legend = true;
        }
        Style::Sparkline => {
            props.size.only_graph = true;
            props.legend.no_legend = true;
        }
    }
    props.limits.rigid = true;
    props.limits.lower_limit = Some(0.0);
    props.limits.upper_limit = Some(top);
    let format = match req.format {
        Format::Png => ImageFormat::Png,
        Format::Svg => ImageFormat::Svg,
    };
    store::graph(req.file, format, &props, &elements)
}

fn var(name: &str) -> Result<VarName, rrd::error::InvalidArgument> {
    VarName::new(name)
}

fn color(hex: &str, alpha: Option<u8>) -> Color {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    Color {
        red: byte(1),
        green: byte(3),
        blue: byte(5),
        alpha,
    }
}

fn def(
    req: &Request<'_>,
    name: &str,
    ds: &str,
) -> Result<GraphElement, rrd::error::InvalidArgument> {
    Ok(Def {
        var_name: var(name)?,
        rrd: req.file.to_path_buf(),
        ds_name: ds.into(),
        consolidation_fn: ConsolidationFn::Avg,
        step: None,
        start: None,
        end: None,
        reduce: None,
    }
    .into())
}

fn cdef(name: &str, rpn: String) -> Result<GraphElement, rrd::error::InvalidArgument> {
    Ok(CDef {
        var_name: var(name)?,
        rpn,
    }
    .into())
}

fn area(
    name: &str,
    fill: Option<(&str, Option<u8>, Option<String>)>,
    stack: bool,
) -> Result<GraphElement, rrd::error::InvalidArgument> {
    Ok(Area {
        value: var(name)?,
        color: fill.map(|(hex, alpha, legend)| ColorWithLegend {
            color: AreaColor::Color(color(hex, alpha)),
            legend: legend.map(Legend::new),
        }),
        stack,
        skip_scale: false,
    }
    .into())
}

fn gprint(name: &str, format: &str) -> Result<GraphElement, rrd::error::InvalidArgument> {
    Ok(GPrint {
        var_name: var(name)?,
        format: format.into(),
    }
    .into())
}

fn vdef(name: &str, rpn: &str) -> Result<GraphElement, rrd::error::InvalidArgument> {
    Ok(VDef {
        var_name: var(name)?,
        rpn: rpn.into(),
    }
    .into())
}

fn comment(text: &str) -> GraphElement {
    Comment { text: text.into() }.into()
}

/// The graph elements, following SmokePing's detail graph (smokeping-contract.md).
fn elements(req: &Request<'_>, top: f64) -> Result<Vec<GraphElement>, rrd::error::InvalidArgument> {
    let n = req.key.pings;
    let mut e = Vec::new();
    // Pings above the top and lost pings become INF: loss shows as light bars to the top.
    for k in 1..=n {
        e.push(def(req, &format!("ping{k}"), &format!("ping{k}"))?);
        e.push(cdef(
            &format!("cp{k}"),
            format!("ping{k},{top},LT,ping{k},INF,IF"),
        )?);
    }
    // Smoke: pairs of sorted slots, outermost (lightest) first.
    let half = n / 2;
    for i in 1..=half {
        let upper = n + 1 - i;
        let grey = (190.0 / f64::from(half) * f64::from(half - i)) as u32 + 50;
        let hex = format!("#{grey:02x}{grey:02x}{grey:02x}");
        e.push(cdef(
            &format!("smoke{i}"),
            format!("cp{i},UN,UNKN,cp{upper},cp{i},-,IF"),
        )?);
        e.push(area(&format!("cp{i}"), None, false)?);
        e.push(area(&format!("smoke{i}"), Some((&hex, None, None)), true)?);
    }
    e.push(def(req, "median", "median")?);
    e.push(def(req, "loss", "loss")?);
    // 100 % loss: the median is unknown, so SmokePing draws nothing; we draw a dark red bar.
    e.push(cdef("alllost", format!("loss,{n},GE,{top},UNKN,IF"))?);
    e.push(area("alllost", Some(("#a00000", Some(0x60), None)), false)?);
    e.push(
        Line {
            width: 1.0,
            value: var("median")?,
            color: Some(ColorWithLegend {
                color: color("#202020", None),
                legend: None,
            }),
            stack: false,
            skip_scale: false,
            dashes: None,
        }
        .into(),
    );
    // A 2-pixel band around the median, coloured by the row's loss.
    let pixel = top / f64::from(req.style.size().1);
    let buckets = loss_buckets(n);
    let mut previous: i64 = -1;
    for (i, b) in buckets.iter().enumerate() {
        let rpn = format!("loss,{previous},GT,loss,{},LE,*,1,UNKN,IF,median,*", b.upto);
        e.push(cdef(&format!("me{i}"), rpn)?);
        e.push(cdef(&format!("meL{i}"), format!("me{i},{pixel},-"))?);
        e.push(cdef(
            &format!("meH{i}"),
            format!("me{i},0,*,{pixel},2,*,+"),
        )?);
        e.push(area(&format!("meL{i}"), None, false)?);
        e.push(area(&format!("meH{i}"), Some((b.color, None, None)), true)?);
        previous = i64::from(b.upto);
    }
    // Legend statistics (GPRINT formats may end a legend line; comments cannot).
    e.push(vdef("medavg", "median,AVERAGE")?);
    e.push(vdef("medmax", "median,MAXIMUM")?);
    e.push(vdef("medmin", "median,MINIMUM")?);
    e.push(vdef("mednow", "median,LAST")?);
    e.push(vdef("medsd", "median,STDEV")?);
    e.push(comment("median rtt:  "));
    e.push(gprint("medavg", "%6.1lf %ss avg")?);
    e.push(gprint("medmax", "%6.1lf %ss max")?);
    e.push(gprint("medmin", "%6.1lf %ss min")?);
    e.push(gprint("mednow", "%6.1lf %ss now")?);
    e.push(gprint("medsd", "%6.1lf %ss sd\\n")?);
    e.push(cdef("lossp", format!("loss,{n},/,100,*"))?);
    e.push(vdef("lossavg", "lossp,AVERAGE")?);
    e.push(vdef("lossmax", "lossp,MAXIMUM")?);
    e.push(vdef("lossmin", "lossp,MINIMUM")?);
    e.push(vdef("lossnow", "lossp,LAST")?);
    e.push(comment("packet loss: "));
    e.push(gprint("lossavg", "%6.2lf %% avg")?);
    e.push(gprint("lossmax", "%6.2lf %% max")?);
    e.push(gprint("lossmin", "%6.2lf %% min")?);
    e.push(gprint("lossnow", "%6.2lf %% now\\n")?);
    // The colour legend, drawn with nothing (an all-unknown series) so it only labels.
    e.push(comment("loss color:  "));
    e.push(cdef("nothing", "loss,POP,UNKN".into())?);
    for b in &buckets {
        e.push(area(
            "nothing",
            Some((b.color, None, Some(b.label.clone()))),
            false,
        )?);
    }
    e.push(area(
        "nothing",
        Some(("#a00000", Some(0x60), Some("100% loss (bar)".into()))),
        false,
    )?);
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_buckets_for_ten_and_twenty_pings() {
        let ten: Vec<(u32, String)> = loss_buckets(10)
            .into_iter()
            .map(|b| (b.upto, b.label))
            .collect();
        assert_eq!(
            ten,
            [
                (0, "0".to_string()),
                (2, ">=10%".into()),
                (4, ">=25%".into()),
                (8, ">=50%".into()),
                (9, "9/10".into()),
                (10, "10/10".into())
            ]
        );
        let twenty = loss_buckets(20);
        assert_eq!(twenty[1].label, ">=5%");
        assert_eq!(twenty[1].upto, 1);
        assert_eq!(twenty.last().unwrap().color, "#a00000");
    }
}
