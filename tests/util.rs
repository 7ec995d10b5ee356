//! Helpers shared by the integration tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The built `pinger-smokeping` binary, with `--quiet`.
pub fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(ours());
    cmd.arg("--quiet");
    cmd
}

/// The built binary, blind to a system-wide config file: the package test installs
/// /etc/pinger-smokeping/config.toml while the other tests run.
pub fn ours() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("pinger-smokeping"));
    cmd.env("PINGER_SMOKEPING_CONFIG", "/dev/null");
    cmd
}

/// cron/'s nightly wrapper running the built binary on `data`, started under umask 077 (the
/// wrapper must set 022 itself), blind to the environment's defaults and a system config. It
/// writes SmokePing's config to `smokeping.conf` beside `rrd`.
pub fn nightly_wrapper(data: &Path, rrd: &Path, log: &Path) -> Command {
    // The package makes the RRD root; `update` does not.
    std::fs::create_dir_all(rrd).unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "umask 077; exec bash \"$0\""])
        .arg(fixture("../cron/pinger-smokeping-nightly"))
        .env("PINGER_DEFAULTS", "/nonexistent/pinger-defaults")
        .env("PINGER_SMOKEPING_CONFIG", "/dev/null")
        .env(
            "PINGER_BIN",
            assert_cmd::cargo::cargo_bin("pinger-smokeping"),
        )
        .env("PINGER_DATA", data)
        .env("PINGER_RRD", rrd)
        .env("PINGER_LOG", log)
        .env(
            "PINGER_CGI_CONF",
            rrd.parent().unwrap().join("smokeping.conf"),
        );
    cmd
}

/// A path below `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(rel)
}

/// The window of the bundled archive: 2007-02-16 .. 2007-02-18.
pub const ARCHIVE_WINDOW: [&str; 4] = ["--end", "2007-02-19", "--days", "3"];

/// A window wide enough for every case file (1997 .. 2011).
pub const ALL_TIME: [&str; 4] = ["--end", "2026-01-01", "--days", "12000"];

/// Runs the binary and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Whether the system tools a test needs are installed. Outside CI a missing tool skips the
/// test, saying so; under CI (`CI=true`) it fails it: a test never passes by skipping there.
pub fn require(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| !Path::new(t).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{} not installed (make test installs every tool the tests need)",
        missing.join(", ")
    );
    assert!(
        std::env::var("CI").map_or(true, |v| v != "true"),
        "CI=true and {message}"
    );
    eprintln!("SKIPPED: {message}");
    false
}

/// The file names of every RRD below `rrd`, with their `rrdtool fetch` text over a window.
pub fn fetch_all(rrd: &Path, start: i64, end: i64) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(rrd)
        .into_iter()
        .filter_map(|e| e.ok())
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rrd"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let out = std::process::Command::new("rrdtool")
                .args([
                    "fetch",
                    f.to_str().unwrap(),
                    "AVERAGE",
                    "-s",
                    &start.to_string(),
                    "-e",
                    &end.to_string(),
                ])
                .output()
                .unwrap();
            (
                f.strip_prefix(rrd).unwrap().display().to_string(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
        .collect()
}

/// Two RRD trees hold the same files with the same `rrdtool fetch` output, and the same
/// srcdest.txt.
pub fn assert_same_trees(a: &Path, b: &Path, start: i64, end: i64) {
    assert_eq!(fetch_all(a, start, end), fetch_all(b, start, end));
    assert_eq!(
        std::fs::read_to_string(a.join("srcdest.txt")).unwrap(),
        std::fs::read_to_string(b.join("srcdest.txt")).unwrap()
    );
}

/// A running `serve` and its base URL; killed when dropped.
pub struct Server {
    child: Child,
    /// Base URL, without a trailing slash.
    pub url: String,
}

impl Server {
    /// The server's peak resident memory so far, in MB.
    pub fn peak_rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<f64>()
            .unwrap()
            / 1000.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` on a free loopback port.
pub fn start_server(rrd: &Path) -> Server {
    // PINGER_SMOKEPING_BIN measures another build (a release one) with the same test.
    let bin = std::env::var_os("PINGER_SMOKEPING_BIN").map_or_else(
        || assert_cmd::cargo::cargo_bin("pinger-smokeping"),
        PathBuf::from,
    );
    let mut child = Command::new(bin)
        .env("PINGER_SMOKEPING_CONFIG", "/dev/null")
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

/// An HTTP answer: status, headers (names in lower case) and body.
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A header's value, if it is there.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends a request (4xx and 5xx answers are answers, not errors); `Err` when no answer came.
pub fn http(
    method: &str,
    url: &str,
    body: Option<(&str, Vec<u8>)>,
    timeout: Duration,
) -> Result<Answer, ureq::Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into();
    let mut response = match (method, body) {
        ("GET", _) => agent.get(url).call()?,
        ("DELETE", _) => agent.delete(url).call()?,
        (_, Some((content_type, bytes))) => agent
            .post(url)
            .header("content-type", content_type)
            .send(&bytes[..])?,
        (_, None) => agent.post(url).send_empty()?,
    };
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_vec()?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// GETs a URL: (status, content type without parameters, body).
pub fn get(url: &str) -> (u16, String, Vec<u8>) {
    let answer =
        http("GET", url, None, Duration::from_secs(120)).unwrap_or_else(|e| panic!("{url}: {e}"));
    let content_type = answer.header("content-type").unwrap_or("");
    let content_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    (answer.status, content_type, answer.body)
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends a WebDriver command; returns its `value`.
pub fn webdriver(method: &str, url: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    let body = body.map(|b| ("application/json", serde_json::to_vec(&b).unwrap()));
    let answer = http(method, url, body, Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    assert!(
        answer.status < 400,
        "{method} {url}: {} {}",
        answer.status,
        String::from_utf8_lossy(&answer.body)
    );
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    json["value"].clone()
}

/// Headless Chromium through chromedriver, with one session; both stop when dropped.
pub struct Browser {
    driver: Child,
    /// The session's WebDriver URL.
    session: String,
}

/// Where Debian's chromium and chromium-driver put their binaries.
pub const CHROMIUM: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromedriver"];

impl Browser {
    /// Starts chromedriver and a headless session with a `width`x`height` window and its
    /// profile in `dir`. `None` when Chromium is missing outside CI (see [`require`]).
    pub fn start(dir: &Path, width: u32, height: u32) -> Option<Browser> {
        if !require(&CHROMIUM) {
            return None;
        }
        let port = free_port();
        let driver = Command::new(CHROMIUM[1])
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = std::time::Instant::now();
        while http(
            "GET",
            &format!("{base}/status"),
            None,
            Duration::from_secs(5),
        )
        .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = dir.join("chromium-profile");
        let session = webdriver(
            "POST",
            &format!("{base}/session"),
            Some(
                serde_json::json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
                    "binary": CHROMIUM[0],
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                             "--disable-quic", "--no-first-run", "--disable-background-networking",
                             "--disable-component-update", "--disable-sync",
                             format!("--window-size={width},{height}"),
                             format!("--user-data-dir={}", profile.display())]
                }}}}),
            ),
        );
        let id = session["sessionId"].as_str().unwrap();
        Some(Browser {
            driver,
            session: format!("{base}/session/{id}"),
        })
    }

    /// Opens a URL.
    pub fn open(&self, url: &str) {
        webdriver(
            "POST",
            &format!("{}/url", self.session),
            Some(serde_json::json!({ "url": url })),
        );
    }

    /// The first element matching a CSS selector.
    pub fn find(&self, css: &str) -> String {
        let found = webdriver(
            "POST",
            &format!("{}/element", self.session),
            Some(serde_json::json!({"using": "css selector", "value": css})),
        );
        found
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Clicks an element found by [`Browser::find`].
    pub fn click(&self, element: &str) {
        webdriver(
            "POST",
            &format!("{}/element/{element}/click", self.session),
            Some(serde_json::json!({})),
        );
    }

    /// Runs a script in the page; returns its value.
    pub fn script(&self, script: &str) -> serde_json::Value {
        webdriver(
            "POST",
            &format!("{}/execute/sync", self.session),
            Some(serde_json::json!({ "script": script, "args": [] })),
        )
    }

    /// The page's title.
    pub fn title(&self) -> String {
        let title = webdriver("GET", &format!("{}/title", self.session), None);
        title.as_str().unwrap_or_default().to_string()
    }

    /// Waits until the page has `count` images (at least `count` with `at_least`), all
    /// loaded with a natural width above `min_width`; returns their widths.
    pub fn wait_for_images(&self, count: usize, at_least: bool, min_width: u64) -> Vec<u64> {
        let started = std::time::Instant::now();
        loop {
            let widths: Vec<u64> = self
                .script(
                    "return Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)",
                )
                .as_array()
                .unwrap()
                .iter()
                .map(|w| w.as_u64().unwrap_or(0))
                .collect();
            let enough = if at_least {
                widths.len() >= count
            } else {
                widths.len() == count
            };
            if enough && widths.iter().all(|&w| w > min_width) {
                return widths;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "images did not load: {widths:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Saves a screenshot of the window as PNG (also to `$PINGER_SCREENSHOT_DIR`, if set).
    pub fn screenshot(&self, path: &Path) {
        let shot = webdriver("GET", &format!("{}/screenshot", self.session), None);
        let png = base64_decode(shot.as_str().unwrap());
        assert_eq!(&png[..4], b"\x89PNG");
        std::fs::write(path, &png).unwrap();
        eprintln!("screenshot: {}", path.display());
        if let Some(keep) = std::env::var_os("PINGER_SCREENSHOT_DIR") {
            std::fs::copy(path, Path::new(&keep).join(path.file_name().unwrap())).unwrap();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = http("DELETE", &self.session, None, Duration::from_secs(30));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Standard base64 (the screenshot), without pulling in a crate for one test.
pub fn base64_decode(text: &str) -> Vec<u8> {
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
