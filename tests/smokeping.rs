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

/// The arguments SmokePing's CGI hands to `RRDs::graph` for a query, read by wrapping that
/// function before the CGI runs (Smokeping.pm calls it by its full name).
fn graph_arguments(config: &Path, query: &str, cwd: &Path) -> String {
    let wrap = format!(
        "use RRDs; {{ no warnings 'redefine'; my $real = \\&RRDs::graph; \
         *RRDs::graph = sub {{ print STDERR join(\"\\n\", 'GRAPH', @_), \"\\n\"; $real->(@_) }}; }} \
         @ARGV = ('{}'); do '{CGI}'; die $@ if $@;",
        config.display()
    );
    let out = std::process::Command::new("perl")
        .args(["-e", &wrap])
        .current_dir(cwd)
        .env("REQUEST_METHOD", "GET")
        .env("QUERY_STRING", query)
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_SOFTWARE", "x")
        .env("SCRIPT_NAME", "/cgi-bin/smokeping.cgi")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn each_graphs_legend_states_its_keys_packet_size() {
    if !require(&[CGI, "/usr/bin/perl"]) {
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
    for bytes in [100, 1000] {
        let query = format!(
            "target=monitor_niit_edu_pk.monalisa_niit_edu_pk_{bytes}_10;displaymode=a;start=1171584000;end=1171843200"
        );
        let args = graph_arguments(&config, &query, dir.path());
        assert!(args.contains("GRAPH"), "the CGI drew nothing: {args}");
        let legend = format!("10 ICMP Echo Pings ({bytes} Bytes)");
        assert!(args.contains(&legend), "{bytes}-byte key: {args}");
        assert!(!args.contains("(56 Bytes)"), "{args}");
    }
    // Each target is named by the address PingER recorded, never by a name to resolve.
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("host  = 161.53.160.25"), "{text}");
    for host in text.lines().filter_map(|l| l.strip_prefix("host  = ")) {
        assert!(
            host == "DYNAMIC" || host.parse::<std::net::IpAddr>().is_ok(),
            "{host}"
        );
    }
}

#[test]
fn the_help_never_shows_writing_the_stock_daemons_config() {
    let (code, stdout, _) = run(&["smokeping-config", "--help"]);
    assert_eq!(code, 0);
    let example = stdout
        .lines()
        .find(|l| l.contains("Example:"))
        .expect("an example");
    assert!(
        example.contains("-o /var/lib/pinger-smokeping/smokeping.conf"),
        "{example}"
    );
    assert!(!example.contains("/etc/smokeping/config"), "{example}");
}
