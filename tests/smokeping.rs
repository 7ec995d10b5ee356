//! SmokePing's own CGI (Debian's smokeping 2.7.3) shows our RRDs with the configuration that
//! `smokeping-config` writes (`make test` installs smokeping; under CI a missing one fails).

use crate::graph::fixture_rrds;
use crate::util::{require, run};
use std::path::Path;

const CGI: &str = "/usr/share/smokeping/smokeping.cgi";

/// Runs the CGI with a GET query; returns stdout.
fn cgi(config: &Path, query: &str, cwd: &Path) -> Vec<u8> {
    let out = std::process::Command::new(CGI)
        .arg(config)
        .current_dir(cwd)
        .env("REQUEST_METHOD", "GET")
        .env("QUERY_STRING", query)
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_SOFTWARE", "x")
        .env("SCRIPT_NAME", "/cgi-bin/smokeping.cgi")
        .output()
        .unwrap();
    assert!(
        out.status.success() || !out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn smokeping_cgi_shows_fixture_rrds_with_the_generated_config() {
    if !require(&[CGI]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let (cache, var) = (dir.path().join("cache"), dir.path().join("var"));
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::create_dir_all(&var).unwrap();
    let config = dir.path().join("config");
    let (code, _, stderr) = run(&[
        "smokeping-config",
        "--rrd",
        rrd.to_str().unwrap(),
        "-o",
        config.to_str().unwrap(),
        "--imgcache",
        cache.to_str().unwrap(),
        "--piddir",
        var.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("20 keys"), "{stderr}");

    // A leaf: the detail graph as a PNG.
    let png = cgi(
        &config,
        "target=monitor_niit_edu_pk.www_niit_edu_pk_1000_10;displaymode=a;start=1171584000;end=1171843200",
        dir.path(),
    );
    let head = String::from_utf8_lossy(&png[..png.len().min(100)]).into_owned();
    assert!(head.starts_with("Content-Type: image/png"), "{head}");
    let at = png
        .windows(4)
        .position(|w| w == b"\x89PNG")
        .expect("a PNG after the header");
    assert!(png.len() - at > 5000);

    // A monitor: an HTML page that lists its targets.
    let html =
        String::from_utf8_lossy(&cgi(&config, "target=pinger_mon00_example_edu", dir.path()))
            .into_owned();
    let (headers, _) = html
        .split_once("\n\n")
        .or_else(|| html.split_once("\r\n\r\n"))
        .unwrap();
    assert!(headers.contains("Content-Type: text/html"), "{headers}");
    assert!(
        html.contains("pinger.mon00.example.edu"),
        "monitor title missing"
    );
    assert!(
        html.contains("www.site000.example.org 1000"),
        "menu entry of a key missing"
    );
}

#[test]
fn targets_only_for_including() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let (code, stdout, _) = run(&[
        "smokeping-config",
        "--rrd",
        rrd.to_str().unwrap(),
        "--targets-only",
    ]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("*** "));
    assert!(stdout.starts_with("\n+ monitor_niit_edu_pk\n"));
    assert_eq!(stdout.matches("\n++ ").count(), 20);
}
