//! The whole network at a glance: `summary`'s figures against `rrdtool fetch`, the matrix,
//! worst-paths and overview pages over HTTP (bad parameters get 400), and a person finding a
//! lossy path in the matrix in Chromium.

use crate::graph::fixture_rrds;
use crate::reference::rrdtool_fetch;
use crate::util::{get, run, start_server, Browser};

/// The fixture archive's window end.
const END: i64 = 1_171_843_200;

#[test]
fn summary_figures_equal_a_computation_from_rrdtool_fetch() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let (code, stdout, stderr) = run(&[
        "summary",
        "--rrd",
        rrd.to_str().unwrap(),
        "--period",
        "2d",
        "--end",
        &END.to_string(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let all: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 20);
    let mut lossy = 0;
    for f in all {
        let file = rrd
            .join(pinger_smokeping::model::key::smokeping_name(
                f["monitor"].as_str().unwrap(),
            ))
            .join(format!(
                "{}_{}_10.rrd",
                pinger_smokeping::model::key::smokeping_name(f["remote"].as_str().unwrap()),
                f["bytes"]
            ));
        let start = END - 2 * 86_400;
        let rows: Vec<(i64, Vec<f64>)> = rrdtool_fetch(&file, start, END)
            .into_iter()
            .filter(|(t, _)| *t > start && *t <= END)
            .collect();
        // Independently: loss and median columns of rrdtool's own output.
        let losses: Vec<f64> = rows
            .iter()
            .map(|r| r.1[1])
            .filter(|v| !v.is_nan())
            .collect();
        let mut medians: Vec<f64> = rows
            .iter()
            .map(|r| r.1[2])
            .filter(|v| !v.is_nan())
            .collect();
        medians.sort_by(f64::total_cmp);
        assert_eq!(f["samples"], losses.len(), "{f}");
        match f["loss_pct"].as_f64() {
            Some(pct) => {
                let want =
                    100.0 * losses.iter().map(|l| l / 10.0).sum::<f64>() / losses.len() as f64;
                // Written with 3 decimals.
                assert!((pct - want).abs() <= 5e-4, "{f}: {want}");
                lossy += usize::from(pct > 10.0);
            }
            None => assert!(losses.is_empty(), "{f}"),
        }
        match f["median_ms"].as_f64() {
            Some(ms) => assert!(
                (ms - 1000.0 * medians[medians.len() / 2]).abs() <= 5e-4,
                "{f}"
            ),
            None => assert!(medians.is_empty(), "{f}"),
        }
        assert_eq!(f["end"], END);
        assert_eq!(f["start"], start);
    }
    assert!(lossy >= 2, "the generated lossy paths show");

    // CSV and the human form carry the same keys (after a header, and for the human form a
    // line saying the period).
    for (format, lines) in [("csv", 21), ("human", 22)] {
        let (code, stdout, _) = run(&[
            "summary",
            "--rrd",
            rrd.to_str().unwrap(),
            "--format",
            format,
        ]);
        assert_eq!(code, 0);
        assert_eq!(stdout.lines().count(), lines, "{stdout}");
    }
    let (code, _, stderr) = run(&["summary", "--rrd", rrd.to_str().unwrap(), "--period", "2x"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a period"), "{stderr}");
}

#[test]
fn matrix_worst_paths_and_overview_pages_and_their_bad_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    let lossy = "pinger.mon01.example.edu_www.site003.example.org_100_10";
    let (status, _, body) = get(&format!("{}/matrix?period=7d", server.url));
    let html = String::from_utf8_lossy(&body);
    assert_eq!(status, 200);
    assert!(html.contains(&format!("href=\"/key/{lossy}\"")), "{html}");
    assert_eq!(html.matches("class=\"cell\"").count(), 20);
    let (status, _, body) = get(&format!("{}/matrix?metric=rtt&bytes=1000", server.url));
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8_lossy(&body)
            .matches("class=\"cell\"")
            .count(),
        10
    );

    // Worst paths: the lossy path first by loss, every column a sort link, CSV export.
    let (status, _, body) = get(&format!("{}/worst?period=7d&sort=loss", server.url));
    let html = String::from_utf8_lossy(&body);
    assert_eq!(status, 200);
    let first_row = html.split("<tbody><tr>").nth(1).unwrap();
    assert!(first_row.contains("www.site003.example.org"), "{first_row}");
    for column in [
        "monitor", "remote", "bytes", "loss", "median", "change", "samples",
    ] {
        assert!(
            html.contains(&format!("sort={column}&amp;order=")),
            "{column}"
        );
    }
    let (status, content_type, body) = get(&format!(
        "{}/worst?sort=median&order=asc&format=csv",
        server.url
    ));
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"));
    let csv = String::from_utf8_lossy(&body);
    assert!(csv.starts_with("monitor,remote,bytes,loss_pct,median_ms,loss_change_pp,samples"));
    assert_eq!(csv.lines().count(), 21);
    let (status, content_type, png) = get(&format!("{}/graph/{lossy}/spark.png", server.url));
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert_eq!(&png[..4], b"\x89PNG");

    // A monitor's overview: one small graph per key.
    let (status, _, body) = get(&format!("{}/monitor/pinger.mon01.example.edu", server.url));
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8_lossy(&body)
            .matches("/overview.png")
            .count(),
        8
    );
    let (status, content_type, _) = get(&format!("{}/graph/{lossy}/overview.png", server.url));
    assert_eq!((status, content_type.as_str()), (200, "image/png"));

    for bad in [
        "/matrix?period=9x",
        "/matrix?period=0d",
        "/matrix?metric=jitter",
        "/matrix?page=-1",
        "/matrix?bytes=big",
        "/matrix?start=2007-02-17&end=2007-02-16",
        "/matrix?start=1990-01-01&end=2007-02-16",
        "/worst?sort=nope",
        "/worst?order=sideways",
        "/worst?limit=0",
        "/worst?format=xml",
        "/worst?start=2007-02-17",
    ] {
        let (status, _, body) = get(&format!("{}{bad}", server.url));
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
    }
    assert_eq!(
        get(&format!("{}/monitor/nobody.example", server.url)).0,
        404
    );
}

#[test]
fn the_matrix_and_the_worst_paths_show_the_same_period_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    for page in ["matrix", "worst"] {
        let (status, _, body) = get(&format!("{}/{page}", server.url));
        assert_eq!(status, 200);
        let html = String::from_utf8_lossy(&body);
        assert!(
            html.contains("<option selected>7d</option>"),
            "{page}: {html}"
        );
    }
}

#[test]
fn a_person_finds_a_lossy_path_in_the_matrix_and_follows_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    let Some(browser) = Browser::start(dir.path(), 1280, 900) else {
        return;
    };
    let lossy = "pinger.mon01.example.edu_www.site003.example.org_1000_10";
    browser.open(&format!("{}/matrix?period=7d&bytes=1000", server.url));
    // The lossy cell has the loss colour of its figures, and says them on hover.
    let cell = browser.script(&format!(
        "const a = document.querySelector(\"a.cell[href='/key/{lossy}']\");\
         return [getComputedStyle(a).backgroundColor, a.title, a.dataset.loss];"
    ));
    let loss: f64 = cell[2].as_str().unwrap().parse().unwrap();
    assert!((10.0..25.0).contains(&loss), "{cell}");
    assert_eq!(
        cell[0], "rgb(126, 0, 255)",
        ">=10 % is SmokePing's violet: {cell}"
    );
    assert!(cell[1].as_str().unwrap().contains("loss "), "{cell}");
    browser.screenshot(&dir.path().join("matrix-desktop.png"));
    browser.click(&browser.find(&format!("a.cell[href='/key/{lossy}']")));
    assert_eq!(
        browser.title(),
        "pinger.mon01.example.edu to www.site003.example.org"
    );
    browser.wait_for_images(4, false, 600);
    drop(browser);

    // On a phone: the rows wrap and every cell is still there.
    let phone = Browser::start(dir.path(), 420, 900).expect("Chromium started above");
    phone.open(&format!("{}/matrix?period=7d", server.url));
    let fits = phone.script(
        "return [document.querySelectorAll('a.cell').length, document.documentElement.scrollWidth <= window.innerWidth];",
    );
    assert_eq!(fits[0], 20);
    assert_eq!(fits[1], true, "no sideways scrolling on a phone");
    phone.screenshot(&dir.path().join("matrix-phone.png"));
}
