//! The HTTP client of the front end (ureq): an esmond archive for `import`, with a time-out
//! per request, bounded retries with growing waits for requests that got no answer or a
//! 5xx, and a bound on what one answer may hold.

use crate::input::esmond::{Archive, FetchError};
use std::time::Duration;

/// The most one answer may hold: a page of 1,000 histograms of 600 packets is a few MB.
pub const MAX_BODY: u64 = 64 << 20;

/// An esmond archive at `root` (`http://host[:port]`, with or without a path prefix).
pub struct HttpArchive {
    agent: ureq::Agent,
    root: String,
    timeout: Duration,
    retries: u32,
}

impl HttpArchive {
    /// The archive at `root`; each request may take `timeout`, and is tried `retries` more
    /// times when it got no answer or a 5xx.
    pub fn new(root: &str, timeout: Duration, retries: u32) -> Self {
        // esmond's clients take the host root and add the prefix; a pasted prefix is cut.
        let root = root
            .trim_end_matches('/')
            .trim_end_matches("/esmond/perfsonar/archive")
            .to_string();
        HttpArchive {
            agent: agent(timeout),
            root,
            timeout,
            retries,
        }
    }
}

/// An agent whose 4xx and 5xx answers are answers, with `timeout` for the whole request.
pub fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("pinger-smokeping/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// What one attempt came to.
enum Attempt {
    Done(Vec<u8>),
    /// Worth another try (no answer, a 5xx).
    Again(String),
    /// Not (a 4xx, an oversized body).
    Fail(String),
}

impl HttpArchive {
    fn attempt(&self, url: &str) -> Attempt {
        let mut response = match self.agent.get(url).call() {
            Ok(r) => r,
            Err(e) => return Attempt::Again(reason(&e, self.timeout)),
        };
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec();
        match (status, body) {
            (200, Ok(body)) => Attempt::Done(body),
            (200, Err(ureq::Error::BodyExceedsLimit(_))) => {
                Attempt::Fail(format!("an answer of more than {} MB", MAX_BODY >> 20))
            }
            (200, Err(e)) => Attempt::Again(reason(&e, self.timeout)),
            (s, body) => {
                let text =
                    body.map(|b| String::from_utf8_lossy(&b[..b.len().min(200)]).into_owned());
                let detail = text.unwrap_or_default();
                let why = format!("HTTP {s}: {}", detail.trim());
                if s >= 500 {
                    Attempt::Again(why)
                } else {
                    Attempt::Fail(why)
                }
            }
        }
    }
}

/// ureq's error in a reader's words: its timeouts say which timer ran out, not how long.
fn reason(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("timed out after {} s", timeout.as_secs_f64()),
        e => e.to_string(),
    }
}

impl Archive for HttpArchive {
    fn get(&self, path_and_query: &str) -> Result<Vec<u8>, FetchError> {
        let url = format!("{}{path_and_query}", self.root);
        let mut wait = Duration::from_millis(500);
        let mut tries = 0;
        loop {
            match self.attempt(&url) {
                Attempt::Done(body) => return Ok(body),
                Attempt::Fail(reason) => return Err(FetchError { url, reason }),
                Attempt::Again(reason) if tries >= self.retries => {
                    let reason = format!("{reason} (after {} tries)", tries + 1);
                    return Err(FetchError { url, reason });
                }
                Attempt::Again(_) => {
                    std::thread::sleep(wait);
                    wait *= 2;
                    tries += 1;
                }
            }
        }
    }
}
