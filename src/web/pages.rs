//! The HTML of `serve`'s pages, built with maud (text is escaped by construction): the key
//! list, a key's page of graphs, the whole network at a glance (the loss/RTT matrix: one row
//! per monitor, its remotes as a wrapping strip of coloured cells, so 1,000 remotes stay
//! usable and a phone shows them too), the worst-paths table (every column sorts; CSV
//! export), and a monitor's overview of small graphs. Pure: `serve` reads the figures.

use crate::model::key::Key;
use crate::model::Choice;
use crate::show::graph;
use crate::show::summary::Figures;
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// Monitors shown per matrix page.
pub const MONITORS_PER_PAGE: usize = 25;

/// A whole page: header with the navigation, then `body`; `wide` pages may use the whole
/// window (the matrix and the table).
pub fn page(title: &str, body: Markup, wide: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    a href="/" { "PingER smoke graphs" } " "
                    nav { a href="/matrix" { "matrix" } " " a href="/worst" { "worst paths" } }
                }
                main class=[wide.then_some("wide")] { (body) }
            }
        }
    }
}

/// A page that says what was not found.
pub fn not_found(what: &str) -> Markup {
    page("Not found", html! { p { (what) } }, false)
}

/// The key list, grouped by monitor, filtered by the search `q`.
pub fn index(keys: &[Key], q: &str) -> Markup {
    let needle = q.to_lowercase();
    let mut by_monitor: Vec<(&str, Vec<&Key>)> = Vec::new();
    for key in keys
        .iter()
        .filter(|k| needle.is_empty() || k.to_string().to_lowercase().contains(&needle))
    {
        match by_monitor.last_mut() {
            Some((m, list)) if *m == key.monitor => list.push(key),
            _ => by_monitor.push((&key.monitor, vec![key])),
        }
    }
    let shown: usize = by_monitor.iter().map(|(_, l)| l.len()).sum();
    let body = html! {
        form class="search" action="/" method="get" {
            input type="search" name="q" value=(q) placeholder="monitor, remote or size"
                aria-label="search";
            button { "Search" }
        }
        @if by_monitor.is_empty() { p { "No key matches." } }
        p class="count" { (shown) " of " (keys.len()) " keys" }
        @for (monitor, list) in &by_monitor {
            section {
                h2 { (monitor) }
                ul {
                    @for key in list {
                        li {
                            a href={ "/key/" (key) } { (key.remote) } " "
                            span class="size" { (key.bytes) " bytes" }
                        }
                    }
                }
            }
        }
    };
    page("PingER smoke graphs", body, false)
}

/// One graph on a key page: caption, image URL, and the time span for its export links.
pub struct Figure {
    /// What it shows.
    pub caption: String,
    /// The image's URL.
    pub src: String,
    /// Its time span, for the export links.
    pub span: Option<(i64, i64)>,
}

/// A key's page: its graphs (a custom range first, if asked for), each with links to save it
/// and to export its rows; `error` explains a custom range that could not be drawn.
pub fn key_page(
    key: &Key,
    last: Option<&str>,
    form: (&str, &str),
    error: Option<&str>,
    figures: &[Figure],
) -> Markup {
    let name = key.to_string();
    let body = html! {
        h1 { (key.monitor) " → " (key.remote) " " span class="size" { (key.bytes) " bytes" } }
        @if let Some(last) = last { p class="count" { "last sample " (last) } }
        form class="range" action={ "/key/" (name) } method="get" {
            label { "From " input type="date" name="start" value=(form.0); }
            label { "to " input type="date" name="end" value=(form.1); }
            button { "Show" }
        }
        @if let Some(error) = error {
            p class="error" { (error) ": give a start before the end, as dates." }
        }
        @for f in figures {
            @let query = f.span.map_or(String::new(), |(s, e)| format!("?start={s}&end={e}"));
            @let save = if f.src.contains('?') { format!("{}&download=1", f.src) } else { format!("{}?download=1", f.src) };
            figure {
                figcaption { (f.caption) }
                img src=(f.src) alt={ (f.caption) " graph" } width="697";
                p class="links" {
                    a href=(save) { "save image" } " "
                    a href={ "/export/" (name) ".csv" (query) } { "CSV" } " "
                    a href={ "/export/" (name) ".json" (query) } { "JSON" }
                }
            }
        }
    };
    page(&format!("{} to {}", key.monitor, key.remote), body, false)
}

/// A monitor's overview: one small graph per key, each linking to the key's page.
pub fn monitor_page(monitor: &str, keys: &[Key]) -> Markup {
    let body = html! {
        h1 { (monitor) " " span class="size" { "overview, last 10 days" } }
        @for key in keys {
            figure {
                a href={ "/key/" (key) } {
                    img src={ "/graph/" (key) "/overview.png" } width="597"
                        alt={ (key.remote) " " (key.bytes) " bytes" } loading="lazy";
                }
            }
        }
    };
    page(&format!("{monitor} overview"), body, false)
}

/// The period/range/size form of the network pages, as the user filled it in.
pub struct NetForm<'a> {
    /// The page's path.
    pub action: &'a str,
    /// The period chosen (`7d`).
    pub period: &'a str,
    /// The custom range's start and end, as given.
    pub start: &'a str,
    /// See `start`.
    pub end: &'a str,
    /// The packet size chosen, if one.
    pub bytes: Option<u32>,
}

fn net_form(form: &NetForm<'_>, extra: Markup) -> Markup {
    html! {
        form class="range" action=(form.action) method="get" {
            label { "Last " select name="period" {
                @for p in ["1d", "7d", "30d", "120d"] { option selected[p == form.period] { (p) } }
            } }
            label { "or from " input type="date" name="start" value=(form.start); }
            label { "to " input type="date" name="end" value=(form.end); }
            label { select name="bytes" {
                option value="" { "all sizes" }
                @for b in [100, 1000] {
                    option value=(b) selected[form.bytes == Some(b)] { (b) " bytes" }
                }
            } }
            (extra)
            button { "Show" }
        }
    }
}

/// What a matrix cell's colour shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Packet loss, in SmokePing's loss colours.
    Loss,
    /// Median RTT, on a perceptual (viridis) scale.
    Rtt,
}

impl Choice for Metric {
    const ALL: &'static [Self] = &[Metric::Loss, Metric::Rtt];

    fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Rtt => "rtt",
        }
    }
}
crate::choice_text!(Metric);

impl Metric {
    /// The colour and the legend label of a key's figures.
    pub fn color(self, f: &Figures) -> (&'static str, &'static str) {
        match self {
            Metric::Loss => loss_color(f.loss_pct, f.pings),
            Metric::Rtt => rtt_color(f.median_ms),
        }
    }

    fn legend(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Metric::Loss => &LOSS_COLORS,
            Metric::Rtt => &RTT_COLORS,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Rtt => "median RTT",
        }
    }
}

/// No data.
const UNKNOWN_COLOR: (&str, &str) = ("#d9d9d9", "no data");

/// The legend of the loss colours: SmokePing's buckets, as the graphs draw them
/// (`graph::loss_color`), for 10 pings: 0, any loss under 5 %, >= 5 %, >= 10 %, >= 25 %,
/// >= 50 %, 9 of 10 and 10 of 10.
const LOSS_COLORS: [(&str, &str); 8] = [
    ("#26ff00", "0"),
    ("#00b8ff", ">0"),
    ("#0059ff", ">=5%"),
    ("#7e00ff", ">=10%"),
    ("#ff00ff", ">=25%"),
    ("#ff5500", ">=50%"),
    ("#ff0000", ">=90%"),
    ("#a00000", "100%"),
];

/// The colour and legend label of a mean loss percentage of N pings: the graphs' colour.
pub fn loss_color(loss_pct: Option<f64>, pings: u32) -> (&'static str, &'static str) {
    let Some(p) = loss_pct else {
        return UNKNOWN_COLOR;
    };
    let color = graph::loss_color(p / 100.0, pings);
    LOSS_COLORS
        .iter()
        .copied()
        .find(|(c, _)| *c == color)
        .unwrap_or((color, ""))
}

/// Viridis, light (near) to dark (far), by median RTT.
const RTT_COLORS: [(&str, &str); 6] = [
    ("#fde725", "<10 ms"),
    ("#7ad151", "<30 ms"),
    ("#22a884", "<100 ms"),
    ("#2a788e", "<300 ms"),
    ("#414487", "<1 s"),
    ("#440154", ">=1 s"),
];

/// The colour of a median RTT.
pub fn rtt_color(median_ms: Option<f64>) -> (&'static str, &'static str) {
    let Some(ms) = median_ms else {
        return UNKNOWN_COLOR;
    };
    let i = [10.0, 30.0, 100.0, 300.0, 1000.0]
        .iter()
        .position(|&limit| ms < limit)
        .unwrap_or(5);
    RTT_COLORS[i]
}

/// A figure as text: `3.21 %`, `45.120 ms`, or `-`.
fn number(v: Option<f64>, unit: &str, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}{unit}"))
}

/// The hover text of a cell: every figure as plain text.
pub fn cell_title(f: &Figures) -> String {
    format!(
        "{} to {}, {} bytes: loss {}, median {}, {} samples",
        f.monitor,
        f.remote,
        f.bytes,
        number(f.loss_pct, " %", 2),
        number(f.median_ms, " ms", 3),
        f.samples
    )
}

/// The matrix page. `query` is the page's query string without `page` (kept in the page
/// links); `seconds` is how long reading the figures took.
pub fn matrix_page(
    form: &NetForm<'_>,
    figures: &[Figures],
    metric: Metric,
    page_no: usize,
    query: &str,
    seconds: f64,
) -> Markup {
    let choose = html! {
        label { "colour " select name="metric" {
            @for &m in Metric::ALL {
                option value=(m) selected[m == metric] { (m.label()) }
            }
        } }
    };
    let body = html! {
        h1 { "Loss and RTT matrix" }
        (net_form(form, choose))
        (matrix(figures, metric, page_no, query))
        p class="count" { "figures read in " (format!("{:.0}", seconds * 1e3)) " ms" }
    };
    page("PingER matrix", body, true)
}

/// The matrix: legend, then one row per monitor of this page, then page links.
pub fn matrix(figures: &[Figures], metric: Metric, page: usize, query: &str) -> Markup {
    let mut monitors: Vec<&str> = figures.iter().map(|f| f.monitor.as_str()).collect();
    monitors.dedup();
    let pages = monitors.len().div_ceil(MONITORS_PER_PAGE).max(1);
    let page = page.min(pages - 1);
    let shown = &monitors[(page * MONITORS_PER_PAGE).min(monitors.len())
        ..((page + 1) * MONITORS_PER_PAGE).min(monitors.len())];
    html! {
        ul class="legend" {
            @for (color, label) in metric.legend().iter().chain([&UNKNOWN_COLOR]) {
                li { span class="swatch" style={ "background:" (color) } {} (label) }
            }
        }
        @for monitor in shown {
            section class="mrow" {
                h2 { a href={ "/monitor/" (monitor) } { (monitor) } }
                div class="cells" {
                    @for f in figures.iter().filter(|f| f.monitor == *monitor) {
                        // Labelled for screen readers, and on hover or focus (a tap on a
                        // phone) with the remote and size; the figures in the title.
                        a class="cell" href={ "/key/" (f.key) }
                            style={ "background:" (metric.color(f).0) }
                            title=(cell_title(f)) aria-label=(cell_title(f))
                            data-loss=(number(f.loss_pct, "", 2)) {
                            span { (f.remote) " " (f.bytes) }
                        }
                    }
                }
            }
        }
        @if pages > 1 {
            nav class="pages" {
                @for p in 0..pages {
                    @if p == page { strong { (p + 1) } " " }
                    @else { a href={ "/matrix?" (query) "&page=" (p) } { (p + 1) } " " }
                }
            }
        }
        p class="count" {
            (monitors.len()) " monitors, " (figures.len()) " keys; colour: " (metric)
        }
    }
}

/// One row of the worst-paths table: the figures now and the loss change against the
/// previous period of the same length.
#[derive(Debug, Clone)]
pub struct Worst {
    /// This period's figures.
    pub now: Figures,
    /// Loss now less loss before, in percentage points.
    pub change: Option<f64>,
}

/// A worst-paths column to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// Monitor name.
    Monitor,
    /// Remote name.
    Remote,
    /// Packet size.
    Bytes,
    /// Mean loss.
    Loss,
    /// Median RTT.
    Median,
    /// Loss change against the previous period.
    Change,
    /// Samples.
    Samples,
}

impl Choice for Column {
    const ALL: &'static [Self] = &[
        Column::Monitor,
        Column::Remote,
        Column::Bytes,
        Column::Loss,
        Column::Median,
        Column::Change,
        Column::Samples,
    ];

    fn name(self) -> &'static str {
        match self {
            Column::Monitor => "monitor",
            Column::Remote => "remote",
            Column::Bytes => "bytes",
            Column::Loss => "loss",
            Column::Median => "median",
            Column::Change => "change",
            Column::Samples => "samples",
        }
    }
}
crate::choice_text!(Column);

impl Column {
    /// The column's header.
    fn header(self) -> &'static str {
        match self {
            Column::Monitor => "Monitor",
            Column::Remote => "Remote",
            Column::Bytes => "Size",
            Column::Loss => "Loss %",
            Column::Median => "Median ms",
            Column::Change => "Loss change (pp)",
            Column::Samples => "Samples",
        }
    }
}

/// Sorts rows by `column`, descending or not; unknown figures always go last.
pub fn sort(rows: &mut [Worst], column: Column, descending: bool) {
    let value = |w: &Worst| -> Option<f64> {
        match column {
            Column::Loss => w.now.loss_pct,
            Column::Median => w.now.median_ms,
            Column::Change => w.change,
            Column::Samples => Some(w.now.samples as f64),
            Column::Bytes => Some(f64::from(w.now.bytes)),
            Column::Monitor | Column::Remote => None,
        }
    };
    rows.sort_by(|a, b| {
        let order = match column {
            Column::Monitor => a.now.monitor.cmp(&b.now.monitor),
            Column::Remote => a.now.remote.cmp(&b.now.remote),
            _ => match (value(a), value(b)) {
                (Some(x), Some(y)) => {
                    let o = x.total_cmp(&y);
                    return if descending { o.reverse() } else { o }
                        .then_with(|| a.now.key.cmp(&b.now.key));
                }
                (Some(_), None) => return std::cmp::Ordering::Less,
                (None, Some(_)) => return std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            },
        };
        if descending { order.reverse() } else { order }.then_with(|| a.now.key.cmp(&b.now.key))
    });
}

/// The worst-paths page; `query` is the page's query string without `sort`, `order`,
/// `limit` and `format`.
pub fn worst_page(
    form: &NetForm<'_>,
    rows: &[Worst],
    sorted: Column,
    descending: bool,
    limit: usize,
    query: &str,
) -> Markup {
    let order = if descending { "desc" } else { "asc" };
    let body = html! {
        h1 { "Worst paths" }
        (net_form(form, html! {}))
        p class="links" {
            a href={ "/worst?" (query) "&sort=" (sorted) "&order=" (order) "&limit=" (limit) "&format=csv" } { "CSV" }
        }
        div class="scroll" { (worst_table(rows, sorted, descending, query)) }
    };
    page("PingER worst paths", body, true)
}

/// The worst-paths table; `query` is the page's query string without `sort` and `order`.
pub fn worst_table(rows: &[Worst], sorted: Column, descending: bool, query: &str) -> Markup {
    html! {
        table class="worst" {
            thead { tr {
                @for &column in Column::ALL {
                    // A click on the sorted column flips its order; on another, sorts it
                    // worst first.
                    @let order = if column == sorted && descending { "asc" } else { "desc" };
                    th {
                        a href={ "/worst?" (query) "&sort=" (column) "&order=" (order) } { (column.header()) }
                        @if column == sorted { (PreEscaped(if descending { " &darr;" } else { " &uarr;" })) }
                    }
                }
                th { "Last period" }
            } }
            tbody {
                @for w in rows {
                    @let f = &w.now;
                    tr {
                        td { (f.monitor) }
                        td { a href={ "/key/" (f.key) } { (f.remote) } }
                        td { (f.bytes) }
                        td { span class="swatch" style={ "background:" (loss_color(f.loss_pct, f.pings).0) } {} (number(f.loss_pct, "", 2)) }
                        td { (number(f.median_ms, "", 3)) }
                        td { (w.change.map_or("-".into(), |c| format!("{c:+.2}"))) }
                        td { (f.samples) }
                        td { img src={ "/graph/" (f.key) "/spark.png?start=" (f.start) "&end=" (f.end) }
                            width=(graph::Style::Sparkline.size().0) height=(graph::Style::Sparkline.size().1)
                            alt={ (f.remote) " " (f.bytes) " bytes" } loading="lazy"; }
                    }
                }
            }
        }
    }
}

/// The worst-paths rows as CSV.
pub fn worst_csv(rows: &[Worst]) -> Vec<u8> {
    let mut csv = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    let header = [
        "monitor",
        "remote",
        "bytes",
        "loss_pct",
        "median_ms",
        "loss_change_pp",
        "samples",
        "start",
        "end",
    ];
    let mut write = || -> csv::Result<()> {
        csv.write_record(header)?;
        for w in rows {
            let f = &w.now;
            csv.serialize((
                &f.monitor,
                &f.remote,
                f.bytes,
                opt(f.loss_pct),
                opt(f.median_ms),
                opt(w.change),
                f.samples,
                f.start,
                f.end,
            ))?;
        }
        Ok(())
    };
    write().expect("writing to memory");
    csv.into_inner().expect("writing to memory")
}

/// The style sheet of every page.
pub const STYLE: &str = "\
body{margin:0;font:16px/1.4 system-ui,sans-serif;color:#222;background:#fafafa}\
header{background:#234;padding:.6em 1em}header a{color:#fff;text-decoration:none;font-weight:600}\
main{max-width:760px;margin:0 auto;padding:0 .8em 2em}\
h1{font-size:1.25em;margin:1em 0 .2em}h2{font-size:1.05em;margin:1.2em 0 .3em}\
ul{list-style:none;padding:0;margin:0}li{padding:.35em 0;border-bottom:1px solid #e4e4e4}\
a{color:#0645ad}.size,.count{color:#666;font-size:.9em}\
form{display:flex;flex-wrap:wrap;gap:.5em;margin:1em 0}\
input,button{font:inherit;padding:.4em .6em;border:1px solid #bbb;border-radius:4px}\
input[type=search]{flex:1;min-width:10em}button{background:#234;color:#fff;border-color:#234}\
figure{margin:1.2em 0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:.5em}\
figcaption{font-weight:600;margin-bottom:.3em}img{max-width:100%;height:auto;display:block}\
.links a{margin-right:1em;font-size:.9em}.error{color:#a00}\
header nav{display:inline;margin-left:1em}header nav a{font-weight:400;margin-right:.8em}\
main.wide{max-width:none}select{font:inherit;padding:.35em}\
.legend{display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:.85em}.legend li{border:0;padding:0}\
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em;border:1px solid #999}\
.mrow h2{font-size:.95em;margin:.8em 0 .2em}.cells{display:flex;flex-wrap:wrap;gap:2px}\
.cell{width:14px;height:14px;border:1px solid rgba(0,0,0,.25);position:relative}.cell span{display:none}\
.cell:hover,.cell:focus{outline:2px solid #000}\
.cell:hover span,.cell:focus span{display:block;position:absolute;left:0;top:17px;z-index:1;\
background:#fff;color:#222;border:1px solid #999;padding:0 .3em;font-size:.8em;white-space:nowrap}\
.scroll{overflow-x:auto}table.worst{border-collapse:collapse;font-size:.9em;background:#fff}\
.worst th,.worst td{padding:.3em .5em;border-bottom:1px solid #e4e4e4;text-align:left;white-space:nowrap}\
.worst img{display:block}";

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(monitor: &str, remote: &str, loss: Option<f64>, median: Option<f64>) -> Figures {
        Figures {
            key: format!("{monitor}_{remote}_100_10"),
            monitor: monitor.into(),
            remote: remote.into(),
            bytes: 100,
            loss_pct: loss,
            median_ms: median,
            samples: 10,
            pings: 10,
            start: 0,
            end: 86_400,
        }
    }

    #[test]
    fn colours_follow_smokeping_loss_buckets_and_a_viridis_rtt_scale() {
        assert_eq!(loss_color(Some(0.0), 10).1, "0");
        assert_eq!(loss_color(Some(0.5), 10).1, ">0");
        assert_eq!(loss_color(Some(12.0), 10).1, ">=10%");
        assert_eq!(loss_color(Some(92.0), 10).1, ">=90%");
        assert_eq!(loss_color(Some(100.0), 10).1, "100%");
        assert_eq!(loss_color(None, 10).1, "no data");
        // The same colours as the graphs' band, bucket by bucket.
        for c in 0..=10 {
            let pct = 10.0 * f64::from(c);
            assert_eq!(
                loss_color(Some(pct), 10).0,
                graph::loss_color(f64::from(c) / 10.0, 10)
            );
        }
        assert_eq!(rtt_color(Some(5.0)).0, "#fde725");
        assert_eq!(rtt_color(Some(5000.0)).0, "#440154");
    }

    #[test]
    fn a_cell_links_to_its_key_and_says_its_figures_on_hover() {
        let f = [figures("m.org", "r<x>", Some(12.5), Some(40.0))];
        let html = matrix(&f, Metric::Loss, 0, "period=7d").into_string();
        assert!(
            html.contains("href=\"/key/m.org_r&lt;x&gt;_100_10\""),
            "{html}"
        );
        assert!(html.contains("style=\"background:#7e00ff\""), "{html}");
        assert!(
            html.contains("loss 12.50 %, median 40.000 ms, 10 samples"),
            "{html}"
        );
        assert!(
            html.contains("aria-label=\"m.org to r&lt;x&gt;, 100 bytes: loss 12.50 %"),
            "{html}"
        );
    }

    #[test]
    fn text_is_escaped_in_every_page() {
        let key = Key {
            monitor: "<m>".into(),
            remote: "\"r\"&".into(),
            bytes: 100,
            pings: 10,
        };
        let html = index(std::slice::from_ref(&key), "<script>").into_string();
        assert!(
            !html.contains("<script>") && !html.contains("<m>"),
            "{html}"
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
        let html = key_page(&key, None, ("\"><x", ""), Some("<bad>"), &[]).into_string();
        assert!(!html.contains("\"><x") && !html.contains("<bad>"), "{html}");
    }

    #[test]
    fn every_column_sorts_with_unknown_figures_last() {
        let mut rows: Vec<Worst> = [
            figures("b", "x", Some(5.0), None),
            figures("a", "y", None, Some(3.0)),
            figures("c", "z", Some(50.0), Some(1.0)),
        ]
        .into_iter()
        .map(|now| Worst { now, change: None })
        .collect();
        sort(&mut rows, Column::Loss, true);
        let order: Vec<&str> = rows.iter().map(|w| w.now.monitor.as_str()).collect();
        assert_eq!(order, ["c", "b", "a"]);
        sort(&mut rows, Column::Median, false);
        let order: Vec<&str> = rows.iter().map(|w| w.now.monitor.as_str()).collect();
        assert_eq!(order, ["c", "a", "b"]);
        sort(&mut rows, Column::Monitor, false);
        let order: Vec<&str> = rows.iter().map(|w| w.now.monitor.as_str()).collect();
        assert_eq!(order, ["a", "b", "c"]);
        let csv = String::from_utf8(worst_csv(&rows)).unwrap();
        assert!(
            csv.lines().nth(1).unwrap().starts_with("a,y,100,,3.000,"),
            "{csv}"
        );
    }
}
