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
