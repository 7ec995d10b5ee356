//! The whole network at a glance, as HTML built from [`Figures`]: the loss/RTT matrix (one
//! row per monitor, its remotes as a wrapping strip of coloured cells, so 1,000 remotes
//! stay usable and a phone shows them too), the worst-paths table (every column sorts; CSV
//! export), and a monitor's overview of small graphs. Pure: `serve` fetches the figures.

use crate::show::summary::Figures;
use std::fmt::Write as _;

/// Monitors shown per matrix page.
pub const MONITORS_PER_PAGE: usize = 25;

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a matrix cell's colour shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Packet loss, in SmokePing's loss colours.
    Loss,
    /// Median RTT, on a perceptual (viridis) scale.
    Rtt,
}

impl Metric {
    /// Reads `loss` or `rtt`.
    pub fn parse(text: &str) -> Option<Metric> {
        match text {
            "loss" => Some(Metric::Loss),
            "rtt" => Some(Metric::Rtt),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Metric::Loss => "loss",
            Metric::Rtt => "rtt",
        }
    }

    /// The colour and the legend label of a key's figures.
    pub fn color(self, f: &Figures) -> (&'static str, &'static str) {
        match self {
            Metric::Loss => loss_color(f.loss_pct),
            Metric::Rtt => rtt_color(f.median_ms),
        }
    }

    fn legend(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Metric::Loss => &LOSS_COLORS,
            Metric::Rtt => &RTT_COLORS,
        }
    }
}

/// No data.
const UNKNOWN_COLOR: (&str, &str) = ("#d9d9d9", "no data");

/// SmokePing's loss colours, by mean loss: 0, under 1 %, >= 1 %, >= 5 %, >= 10 %, >= 25 %,
/// >= 50 %, >= 90 % (9 of 10) and 100 %.
const LOSS_COLORS: [(&str, &str); 9] = [
    ("#26ff00", "0"),
    ("#9dff7f", "<1%"),
    ("#00b8ff", ">=1%"),
    ("#0059ff", ">=5%"),
    ("#7e00ff", ">=10%"),
    ("#ff00ff", ">=25%"),
    ("#ff5500", ">=50%"),
    ("#ff0000", ">=90%"),
    ("#a00000", "100%"),
];

/// The colour of a mean loss percentage.
pub fn loss_color(loss_pct: Option<f64>) -> (&'static str, &'static str) {
    let Some(p) = loss_pct else {
        return UNKNOWN_COLOR;
    };
    let i = match p {
        p if p <= 0.0 => 0,
        p if p < 1.0 => 1,
        p if p < 5.0 => 2,
        p if p < 10.0 => 3,
        p if p < 25.0 => 4,
        p if p < 50.0 => 5,
        p if p < 90.0 => 6,
        p if p < 100.0 => 7,
        _ => 8,
    };
    LOSS_COLORS[i]
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

/// The matrix page's body: legend, then one row per monitor of this page, then page links.
/// `query` is the page's query string without `page` (kept in the page links).
pub fn matrix(figures: &[Figures], metric: Metric, page: usize, query: &str) -> String {
    let mut monitors: Vec<&str> = figures.iter().map(|f| f.monitor.as_str()).collect();
    monitors.dedup();
    let pages = monitors.len().div_ceil(MONITORS_PER_PAGE).max(1);
    let page = page.min(pages - 1);
    let shown = &monitors[(page * MONITORS_PER_PAGE).min(monitors.len())
        ..((page + 1) * MONITORS_PER_PAGE).min(monitors.len())];
    let mut body = String::from("<ul class=\"legend\">");
    for (color, label) in metric.legend().iter().chain([&UNKNOWN_COLOR]) {
        let _ = write!(
            body,
            "<li><span class=\"swatch\" style=\"background:{color}\"></span>{label}</li>"
        );
    }
    body.push_str("</ul>");
    for monitor in shown {
        let _ = write!(
            body,
            "<section class=\"mrow\"><h2><a href=\"/monitor/{m}\">{m}</a></h2><div class=\"cells\">",
            m = escape(monitor)
        );
        for f in figures.iter().filter(|f| f.monitor == *monitor) {
            let (color, _) = metric.color(f);
            let _ = write!(
                body,
                "<a class=\"cell\" href=\"/key/{k}\" style=\"background:{color}\" \
                 title=\"{t}\" data-loss=\"{l}\"><span>{r} {b}</span></a>",
                k = escape(&f.key),
                t = escape(&cell_title(f)),
                l = number(f.loss_pct, "", 2),
                r = escape(&f.remote),
                b = f.bytes,
            );
        }
        body.push_str("</div></section>");
    }
    if pages > 1 {
        body.push_str("<nav class=\"pages\">");
        for p in 0..pages {
            if p == page {
                let _ = write!(body, "<strong>{}</strong> ", p + 1);
            } else {
                let _ = write!(
                    body,
                    "<a href=\"/matrix?{query}&amp;page={p}\">{}</a> ",
                    p + 1
                );
            }
        }
        body.push_str("</nav>");
    }
    let _ = write!(
        body,
        "<p class=\"count\">{} monitors, {} keys; colour: {}</p>",
        monitors.len(),
        figures.len(),
        metric.name()
    );
    body
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

impl Column {
    /// Every column, in table order, with its query name and header.
    pub const ALL: [(Column, &'static str, &'static str); 7] = [
        (Column::Monitor, "monitor", "Monitor"),
        (Column::Remote, "remote", "Remote"),
        (Column::Bytes, "bytes", "Size"),
        (Column::Loss, "loss", "Loss %"),
        (Column::Median, "median", "Median ms"),
        (Column::Change, "change", "Loss change (pp)"),
        (Column::Samples, "samples", "Samples"),
    ];

    /// Reads a column's query name.
    pub fn parse(text: &str) -> Option<Column> {
        Column::ALL.iter().find(|c| c.1 == text).map(|c| c.0)
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

/// The worst-paths table; `query` is the page's query string without `sort` and `order`.
pub fn worst_table(rows: &[Worst], sorted: Column, descending: bool, query: &str) -> String {
    let mut body = String::from("<table class=\"worst\"><thead><tr>");
    for (column, name, header) in Column::ALL {
        // A click on the sorted column flips its order; on another, sorts it worst first.
        let order = if column == sorted && descending {
            "asc"
        } else {
            "desc"
        };
        let mark = match (column == sorted, descending) {
            (true, true) => " &darr;",
            (true, false) => " &uarr;",
            _ => "",
        };
        let _ = write!(
            body,
            "<th><a href=\"/worst?{query}&amp;sort={name}&amp;order={order}\">{header}</a>{mark}</th>"
        );
    }
    body.push_str("<th>Last period</th></tr></thead><tbody>");
    for w in rows {
        let f = &w.now;
        let (color, _) = loss_color(f.loss_pct);
        let _ = write!(
            body,
            "<tr><td>{m}</td><td><a href=\"/key/{k}\">{r}</a></td><td>{b}</td>\
             <td><span class=\"swatch\" style=\"background:{color}\"></span>{l}</td><td>{med}</td>\
             <td>{c}</td><td>{s}</td><td><img src=\"/graph/{k}/spark.png?start={start}&amp;end={end}\" \
             width=\"120\" height=\"24\" alt=\"{r} {b} bytes\" loading=\"lazy\"></td></tr>",
            m = escape(&f.monitor),
            k = escape(&f.key),
            r = escape(&f.remote),
            b = f.bytes,
            l = number(f.loss_pct, "", 2),
            med = number(f.median_ms, "", 3),
            c = w.change.map_or("-".into(), |c| format!("{c:+.2}")),
            s = f.samples,
            start = f.start,
            end = f.end,
        );
    }
    body.push_str("</tbody></table>");
    body
}

/// The worst-paths rows as CSV.
pub fn worst_csv(rows: &[Worst]) -> String {
    let mut out =
        String::from("monitor,remote,bytes,loss_pct,median_ms,loss_change_pp,samples,start,end\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    for w in rows {
        let f = &w.now;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            f.monitor,
            f.remote,
            f.bytes,
            opt(f.loss_pct),
            opt(f.median_ms),
            opt(w.change),
            f.samples,
            f.start,
            f.end
        );
    }
    out
}

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
            start: 0,
            end: 86_400,
        }
    }

    #[test]
    fn colours_follow_smokeping_loss_buckets_and_a_viridis_rtt_scale() {
        assert_eq!(loss_color(Some(0.0)).1, "0");
        assert_eq!(loss_color(Some(0.5)).1, "<1%");
        assert_eq!(loss_color(Some(12.0)).1, ">=10%");
        assert_eq!(loss_color(Some(100.0)).1, "100%");
        assert_eq!(loss_color(None).1, "no data");
        assert_eq!(rtt_color(Some(5.0)).0, "#fde725");
        assert_eq!(rtt_color(Some(5000.0)).0, "#440154");
    }

    #[test]
    fn a_cell_links_to_its_key_and_says_its_figures_on_hover() {
        let f = [figures("m.org", "r<x>", Some(12.5), Some(40.0))];
        let html = matrix(&f, Metric::Loss, 0, "period=7d");
        assert!(
            html.contains("href=\"/key/m.org_r&lt;x&gt;_100_10\""),
            "{html}"
        );
        assert!(html.contains("style=\"background:#7e00ff\""), "{html}");
        assert!(
            html.contains("loss 12.50 %, median 40.000 ms, 10 samples"),
            "{html}"
        );
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
        assert!(worst_csv(&rows)
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("a,y,100,,3.000,"));
    }
}
