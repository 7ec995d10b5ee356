//! `serve`: the pages over HTTP, and an end-to-end run in headless Chromium (through
//! chromedriver) that follows a key and checks that its graphs load.

use crate::graph::fixture_rrds;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `serve` and its base URL; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(rrd: &Path) -> Server {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("pinger-smokeping"))
        .args([
            "serve",
            "--rrd",
            rrd.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line}"))
        .trim_end_matches('/')
        .to_string();
    Server { child, url }
}

fn get(url: &str) -> (u16, String, Vec<u8>) {
    let response = match ureq::get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{url}: {e}"),
    };
    let status = response.status();
    let content_type = response.content_type().to_string();
    let mut body = Vec::new();
    std::io::Read::read_to_end(&mut response.into_reader(), &mut body).unwrap();
    (status, content_type, body)
}

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

/// A free TCP port on loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends a WebDriver command; returns its `value`.
fn webdriver(method: &str, url: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    let request = ureq::request(method, url).timeout(Duration::from_secs(60));
    let response = match body {
        Some(b) => request.send_json(b),
        None => request.call(),
    };
    let response = match response {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => panic!(
            "{method} {url}: {code} {}",
            r.into_string().unwrap_or_default()
        ),
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let json: serde_json::Value = response.into_json().unwrap();
    json["value"].clone()
}

#[test]
fn a_person_follows_a_key_and_sees_its_graphs_in_chromium() {
    let (chromium, driver) = (
        Path::new("/usr/bin/chromium"),
        Path::new("/usr/bin/chromedriver"),
    );
    if !chromium.exists() || !driver.exists() {
        eprintln!(
            "SKIPPED: chromium and chromium-driver are not installed (make test installs them)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let server = start_server(&fixture_rrds(dir.path()));
    let port = free_port();
    let mut chromedriver = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while ureq::get(&format!("{base}/status")).call().is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let profile = dir.path().join("chromium-profile");
    let session = webdriver(
        "POST",
        &format!("{base}/session"),
        Some(
            serde_json::json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=420,900",
                         format!("--user-data-dir={}", profile.display())]
            }}}}),
        ),
    );
    let id = session["sessionId"].as_str().unwrap().to_string();
    let s = format!("{base}/session/{id}");
    let result = std::panic::catch_unwind(|| {
        // The list page, on a phone-sized window; search, then follow the first key.
        webdriver(
            "POST",
            &format!("{s}/url"),
            Some(serde_json::json!({"url": format!("{}/?q=www.niit", server.url)})),
        );
        let link = webdriver(
            "POST",
            &format!("{s}/element"),
            Some(serde_json::json!({"using": "css selector", "value": "a[href^='/key/']"})),
        );
        let element = link
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string();
        webdriver(
            "POST",
            &format!("{s}/element/{element}/click"),
            Some(serde_json::json!({})),
        );
        let title = webdriver("GET", &format!("{s}/title"), None);
        assert_eq!(title, "monitor.niit.edu.pk to www.niit.edu.pk");
        // Every graph image loads (natural width > 0).
        let started = Instant::now();
        loop {
            let widths = webdriver(
                "POST",
                &format!("{s}/execute/sync"),
                Some(
                    serde_json::json!({"script": "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)", "args": []}),
                ),
            );
            let widths: Vec<u64> = widths
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_u64().unwrap())
                .collect();
            if widths.len() == 4 && widths.iter().all(|&w| w > 600) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "images did not load: {widths:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let screenshot = webdriver("GET", &format!("{s}/screenshot"), None);
        let png = base64_decode(screenshot.as_str().unwrap());
        assert_eq!(&png[..4], b"\x89PNG");
        let path = dir.path().join("key-page.png");
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
        if let Some(keep) = std::env::var_os("PINGER_SCREENSHOT") {
            std::fs::copy(&path, keep).unwrap();
        }
    });
    let _ = ureq::delete(&s).call();
    let _ = chromedriver.kill();
    let _ = chromedriver.wait();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

/// Standard base64 (the screenshot), without pulling in a crate for one test.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .map(value)
        .collect();
    bytes
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().fold(0u32, |acc, &v| (acc << 6) | u32::from(v))
                << (6 * (4 - chunk.len()));
            let out = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.into_iter().take(chunk.len() - 1)
        })
        .collect()
}
