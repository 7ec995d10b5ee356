//! `serve`: the pages over HTTP, and an end-to-end run in headless Chromium (through
//! chromedriver) that follows a key and checks that its graphs load.

use crate::graph::fixture_rrds;
use crate::util::{get, start_server, Browser};

const KEY: &str = "monitor.niit.edu.pk_www.niit.edu.pk_1000_10";

#[test]
fn pages_images_and_exports_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    let (status, _, body) = get(&format!("{}/?q=niit.edu", server.url));
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    assert!(html.contains(&format!("href=\"/key/{KEY}\"")), "{html}");
    assert!(html.contains("4 of 20 keys"), "{html}");

    let (status, _, body) = get(&format!("{}/key/{KEY}", server.url));
    let html = String::from_utf8(body).unwrap();
    assert_eq!(status, 200);
    for range in ["2d", "10d", "30d", "120d"] {
        assert!(
            html.contains(&format!("/graph/{KEY}/{range}.png")),
            "{range}"
        );
    }
    let (status, content_type, png) = get(&format!("{}/graph/{KEY}/10d.png", server.url));
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    assert_eq!(&png[..4], b"\x89PNG");
    let (status, _, custom) = get(&format!(
        "{}/graph/{KEY}/custom.png?start=2007-02-17&end=2007-02-19",
        server.url
    ));
    assert_eq!(status, 200);
    assert_ne!(custom, png);

    let (status, content_type, csv) = get(&format!(
        "{}/export/{KEY}.csv?start=2007-02-18&end=2007-02-19",
        server.url
    ));
    assert_eq!((status, content_type.as_str()), (200, "text/csv"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.contains("\n1171760400,2007-02-18T01:00:00Z,10,100,,"),
        "{csv}"
    );

    // Only keys of srcdest.txt reach a file.
    for bad in [
        "/key/..%2F..%2Fetc%2Fpasswd",
        "/graph/x_y_100_10/10d.png",
        "/export/..%2Fsrcdest.txt.csv",
        "/graph/{KEY}/5d.png",
    ] {
        let (status, _, _) = get(&format!("{}{}", server.url, bad.replace("{KEY}", KEY)));
        assert_eq!(status, 404, "{bad}");
    }
}

#[test]
fn a_person_follows_a_key_and_sees_its_graphs_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    // A phone-sized window: search, then follow the first key.
    let Some(browser) = Browser::start(dir.path(), 420, 900) else {
        return;
    };
    browser.open(&format!("{}/?q=www.niit", server.url));
    browser.click(&browser.find("a[href^='/key/']"));
    assert_eq!(browser.title(), "monitor.niit.edu.pk to www.niit.edu.pk");
    // Every graph image loads (natural width > 600).
    browser.wait_for_images(4, false, 600);
    browser.screenshot(&dir.path().join("key-page.png"));
}

#[test]
fn five_hundred_concurrent_requests_get_answers_and_overload_gets_503() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    let base = server.url.clone();
    let started = std::time::Instant::now();
    // Custom ranges are all different: every image is a render, none comes from the cache.
    let threads: Vec<_> = (0..500)
        .map(|i| {
            let url = match i % 3 {
                0 => format!(
                    "{base}/graph/{KEY}/custom.png?start={}&end=1171843200",
                    1_171_500_000 + i * 60
                ),
                1 => format!(
                    "{base}/export/{KEY}.json?start={}&end=1171843200",
                    1_171_500_000 + i
                ),
                _ => format!("{base}/key/{KEY}"),
            };
            std::thread::spawn(move || {
                let t = std::time::Instant::now();
                let answer =
                    crate::util::http("GET", &url, None, std::time::Duration::from_secs(120))
                        .unwrap_or_else(|e| panic!("{url}: {e}"));
                if answer.status == 503 {
                    assert_eq!(answer.header("Retry-After"), Some("2"));
                }
                let status = answer.status;
                (status, t.elapsed().as_secs_f64() * 1e3, i % 3 == 2)
            })
        })
        .collect();
    let mut results: Vec<(u16, f64, bool)> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let wall = started.elapsed().as_secs_f64();
    // Pages need no librrd work: always served. Renders and exports beyond the slots are
    // refused at once with 503, never queued without bound, never a 500.
    assert!(
        results
            .iter()
            .all(|(s, _, page)| *s == 200 || (*s == 503 && !page)),
        "{results:?}"
    );
    let ok = results.iter().filter(|(s, _, _)| *s == 200).count();
    let heavy_ok = results
        .iter()
        .filter(|(s, _, page)| *s == 200 && !page)
        .count();
    assert!(
        heavy_ok >= 16,
        "only {heavy_ok} renders and exports answered 200"
    );
    results.sort_by(|a, b| a.1.total_cmp(&b.1));
    let pct = |p: f64| results[((results.len() - 1) as f64 * p) as usize].1;
    eprintln!(
        "load: 500 concurrent requests in {wall:.2} s: {ok} x 200, {} x 503; p50 {:.0} ms, p99 {:.0} ms; server peak RSS {:.0} MB",
        500 - ok,
        pct(0.5),
        pct(0.99),
        server.peak_rss_mb()
    );
    // Still serving.
    assert_eq!(get(&format!("{base}/")).0, 200);
}
