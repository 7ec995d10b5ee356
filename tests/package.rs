//! The Debian package that `make deb` builds, installed on this machine with `dpkg -i`: the
//! binary and its man pages work, the units verify, the nightly unit's ExecStart run by hand
//! as the package's user writes RRDs the web server's user can read (and SmokePing's CGI
//! shows them), the serve unit answers, and removing the package leaves the RRD data alone
//! and both web servers able to start with its snippets enabled before.
//!
//! `make test` builds the package first. Outside CI a missing package or a non-root user skips
//! this test, saying so; under CI it fails.

use crate::util::{free_port, get, require};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const STATE: &str = "/var/lib/pinger-smokeping";
const RRD: &str = "/var/lib/pinger-smokeping/rrd";
/// Written by this test into STATE: a tree without it is a real site's, never touched.
const MARKER: &str = "/var/lib/pinger-smokeping/.made-by-the-package-test";
const UNITS: [&str; 5] = [
    "pinger-smokeping-update.service",
    "pinger-smokeping-update.timer",
    "pinger-smokeping-full.service",
    "pinger-smokeping-full.timer",
    "pinger-smokeping-serve.service",
];

fn sh(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .env_remove("PINGER_SMOKEPING_CONFIG")
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

fn ok(program: &str, args: &[&str]) -> String {
    let out = sh(program, args);
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The .deb `make deb` left in target/debian.
fn built_package() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/debian");
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|e| e == "deb")
                && p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .contains(env!("CARGO_PKG_VERSION"))
        })
}

/// A unit's `Key=` lines (ExecStart, ExecStartPost, UMask, User), from the installed file.
fn unit_values(unit: &str, key: &str) -> Vec<String> {
    std::fs::read_to_string(Path::new("/usr/lib/systemd/system").join(unit))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(str::to_string)
        .collect()
}

/// Runs a unit's command line as its user with its umask, as systemd would, plus `env`.
fn as_unit(unit: &str, line: &str, env: &[(&str, &str)]) -> Output {
    let user = &unit_values(unit, "User")[0];
    let umask = &unit_values(unit, "UMask")[0];
    // A leading `-` only tells systemd to ignore the exit status.
    let line = line.trim_start_matches('-');
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", user, "--", "sh", "-c"])
        .arg(format!("umask {umask}; exec {line}"))
        .env_remove("PINGER_SMOKEPING_CONFIG")
        .current_dir("/");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

const LIGHTTPD_LINK: &str = "/etc/lighttpd/conf-enabled/50-pinger-smokeping.conf";
const APACHE_LINK: &str = "/etc/apache2/conf-enabled/pinger-smokeping.conf";

/// The web servers' CGI modules and the package's snippets, enabled by the test; the modules
/// it enabled are disabled again when dropped.
struct WebSnippets {
    lighttpd_cgi: bool,
    apache_cgi: bool,
}

impl WebSnippets {
    fn enable() -> Self {
        let lighttpd_cgi = !Path::new("/etc/lighttpd/conf-enabled/10-cgi.conf").exists();
        let apache_cgi = !Path::new("/etc/apache2/mods-enabled/cgi.load").exists();
        // lighty-enable-mod exits 2 when it has nothing to enable (cgi already on).
        let _ = sh("lighty-enable-mod", &["cgi", "pinger-smokeping"]);
        ok("a2enmod", &["-q", "cgi"]);
        ok("a2enconf", &["-q", "pinger-smokeping"]);
        WebSnippets {
            lighttpd_cgi,
            apache_cgi,
        }
    }

    /// Both servers' full configs pass their checks.
    fn servers_start(&self, when: &str) {
        let lighttpd = sh("lighttpd", &["-tt", "-f", "/etc/lighttpd/lighttpd.conf"]);
        assert!(
            lighttpd.status.success(),
            "{when}: lighttpd -tt: {}",
            String::from_utf8_lossy(&lighttpd.stderr)
        );
        let apache = sh("apache2ctl", &["configtest"]);
        assert!(
            apache.status.success(),
            "{when}: apache2ctl configtest: {}",
            String::from_utf8_lossy(&apache.stderr)
        );
    }
}

impl Drop for WebSnippets {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(LIGHTTPD_LINK);
        let _ = std::fs::remove_file(APACHE_LINK);
        if self.lighttpd_cgi {
            let _ = sh("lighty-disable-mod", &["cgi"]);
        }
        if self.apache_cgi {
            let _ = sh("a2dismod", &["-q", "-f", "cgi"]);
        }
    }
}

/// Removes what an earlier run of this test left; refuses to touch a real installation.
fn clean_up_earlier_runs() {
    if Path::new(STATE).exists() {
        assert!(
            Path::new(MARKER).exists(),
            "{STATE} exists and was not made by this test: a real installation is here, \
             and this test will not touch it"
        );
    }
    let _ = sh("dpkg", &["--purge", "pinger-smokeping"]);
    let _ = std::fs::remove_dir_all(STATE);
}

#[test]
fn the_debian_package_installs_runs_as_its_user_and_leaves_the_data_on_removal() {
    let package = built_package();
    let root = sh("id", &["-u"]).stdout == b"0\n";
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if package.is_none() || !root {
        let why = if root {
            "no .deb in target/debian (run make deb)"
        } else {
            "not root"
        };
        assert!(!ci, "the package test cannot run: {why}");
        eprintln!("SKIPPED: the package test: {why}");
        return;
    }
    if !require(&[
        "/usr/bin/dpkg",
        "/usr/bin/man",
        "/usr/sbin/runuser",
        "/usr/bin/systemd-analyze",
        "/usr/sbin/logrotate",
        "/usr/sbin/lighttpd",
        "/usr/sbin/lighty-enable-mod",
        "/usr/sbin/apache2ctl",
        "/usr/sbin/a2enconf",
        "/usr/share/smokeping/smokeping.cgi",
    ]) {
        return;
    }
    let package = package.unwrap();
    clean_up_earlier_runs();

    // Install.
    ok("dpkg", &["-i", package.to_str().unwrap()]);
    std::fs::write(MARKER, "").unwrap();
    let version = ok("/usr/bin/pinger-smokeping", &["--version"]);
    assert_eq!(
        version.trim(),
        format!("pinger-smokeping {}", env!("CARGO_PKG_VERSION"))
    );
    let page = Command::new("man")
        .arg("pinger-smokeping")
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let page = String::from_utf8_lossy(&page.stdout);
    assert!(page.contains("/etc/pinger-smokeping/config.toml"), "{page}");
    assert!(page.contains("EXIT STATUS"), "{page}");
    let update_page = ok("man", &["-w", "pinger-smokeping-update"]);
    assert!(
        update_page.trim().ends_with("pinger-smokeping-update.1.gz"),
        "{update_page}"
    );
    let completion = ok(
        "bash",
        &["-c", "source /usr/share/bash-completion/completions/pinger-smokeping && complete -p pinger-smokeping"],
    );
    assert!(completion.contains("pinger-smokeping"), "{completion}");

    // The installed README and the pages it links: every relative link leads to a file the
    // package ships.
    let doc = Path::new("/usr/share/doc/pinger-smokeping");
    let mut pages = vec![doc.join("README.md")];
    let mut seen = std::collections::HashSet::new();
    let mut checked = 0;
    while let Some(page) = pages.pop() {
        let page = page.canonicalize().unwrap_or(page);
        if !seen.insert(page.clone()) {
            continue;
        }
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        for link in text
            .split("](")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
        {
            let target = link.split('#').next().unwrap();
            if target.is_empty() || target.starts_with("http") {
                continue;
            }
            let file = page.parent().unwrap().join(target);
            assert!(
                file.exists(),
                "{} links {target}, which the package does not ship",
                page.display()
            );
            checked += 1;
            if target.ends_with(".md") {
                pages.push(file);
            }
        }
    }
    assert!(checked >= 10, "{checked} links checked");

    // The package's user: a system user, owning the state and log directories.
    let passwd = ok("getent", &["passwd", "pinger-smokeping"]);
    let fields: Vec<&str> = passwd.trim().split(':').collect();
    assert!(fields[2].parse::<u32>().unwrap() < 1000, "{passwd}");
    assert_eq!(fields[5], STATE, "{passwd}");
    for dir in [RRD, "/var/log/pinger-smokeping"] {
        let owner = ok("stat", &["-c", "%U %a", dir]);
        assert_eq!(owner.trim(), "pinger-smokeping 755", "{dir}");
    }

    // The units: systemd's own checker (no systemd runs here as PID 1; verify needs none),
    // and the timers enabled by the package.
    let paths: Vec<String> = UNITS
        .iter()
        .map(|u| format!("/usr/lib/systemd/system/{u}"))
        .collect();
    let mut args = vec!["verify"];
    args.extend(paths.iter().map(String::as_str));
    let verify = sh("systemd-analyze", &args);
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    for unit in [
        "pinger-smokeping-update.timer",
        "pinger-smokeping-full.timer",
    ] {
        assert!(
            Path::new("/etc/systemd/system/timers.target.wants")
                .join(unit)
                .exists(),
            "{unit}"
        );
    }
    assert!(Path::new(
        "/etc/systemd/system/multi-user.target.wants/pinger-smokeping-serve.service"
    )
    .exists());
    // logrotate's dry run parses the snippet; lighttpd checks its snippet.
    ok("logrotate", &["-d", "/etc/logrotate.d/pinger-smokeping"]);
    let dir = tempfile::tempdir().unwrap();
    let lighttpd_conf = dir.path().join("lighttpd.conf");
    std::fs::write(
        &lighttpd_conf,
        format!(
            "server.document-root = \"{}\"\nserver.port = {}\nserver.modules = (\"mod_alias\")\ninclude \"/etc/lighttpd/conf-available/50-pinger-smokeping.conf\"\n",
            dir.path().display(),
            free_port()
        ),
    )
    .unwrap();
    ok("lighttpd", &["-tt", "-f", lighttpd_conf.to_str().unwrap()]);
    // The shipped config checks clean (it only warns that the archive root is not there).
    let check = sh("/usr/bin/pinger-smokeping", &["config", "check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("/etc/pinger-smokeping/config.toml: ok")
    );

    // An archive the package's user can read; the site would set `data` in the config file.
    let archive = dir.path().join("archive");
    ok(
        "/usr/bin/pinger-smokeping",
        &[
            "--quiet",
            "generate",
            "--out",
            archive.to_str().unwrap(),
            "--monitors",
            "2",
            "--remotes",
            "3",
            "--days",
            "3",
        ],
    );
    ok("chmod", &["-R", "a+rX", dir.path().to_str().unwrap()]);
    let data = [("PINGER_SMOKEPING_DATA", archive.to_str().unwrap())];

    // The nightly unit's command lines, by hand, as its user and with its umask.
    let unit = "pinger-smokeping-update.service";
    for line in unit_values(unit, "ExecStart")
        .iter()
        .chain(&unit_values(unit, "ExecStartPost"))
    {
        let out = as_unit(unit, line, &data);
        assert!(
            out.status.success(),
            "{line}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = std::fs::read_to_string("/var/log/pinger-smokeping/update.log").unwrap();
    assert!(
        log.contains("start: update with /etc/pinger-smokeping/config.toml"),
        "{log}"
    );
    assert!(log.contains("umask 0022"), "{log}");
    assert!(log.contains("rrd: 12 created"), "{log}");
    assert!(log.trim_end().ends_with("end: exit status 0"), "{log}");

    // What it wrote belongs to the package's user and is readable by the web server's.
    let srcdest = std::fs::read_to_string(Path::new(RRD).join("srcdest.txt")).unwrap();
    let rrds: Vec<PathBuf> = walkdir::WalkDir::new(RRD)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rrd"))
        .map(|e| e.into_path())
        .collect();
    assert_eq!(rrds.len(), 12, "{srcdest}");
    for file in &rrds {
        assert_eq!(
            ok("stat", &["-c", "%U %a", file.to_str().unwrap()]).trim(),
            "pinger-smokeping 644"
        );
        ok(
            "runuser",
            &[
                "-u",
                "www-data",
                "--",
                "rrdtool",
                "fetch",
                file.to_str().unwrap(),
                "AVERAGE",
            ],
        );
    }
    ok(
        "runuser",
        &["-u", "www-data", "--", "cat", &format!("{RRD}/srcdest.txt")],
    );

    // SmokePing's CGI, as installed, shows a key's page as www-data with the config the
    // unit wrote.
    let keys = pinger_smokeping::rrd::srcdest::read(&Path::new(RRD).join("srcdest.txt"), None);
    let key = keys[0].to_string();
    let (section, leaf) = (keys[0].section(), keys[0].leaf());
    let cgi = Command::new("runuser")
        .args([
            "-u",
            "www-data",
            "--",
            "/usr/lib/cgi-bin/pinger-smokeping.cgi",
        ])
        .current_dir("/")
        .env("REQUEST_METHOD", "GET")
        .env("QUERY_STRING", format!("target={section}.{leaf}"))
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_SOFTWARE", "x")
        .env("SCRIPT_NAME", "/cgi-bin/pinger-smokeping.cgi")
        .output()
        .unwrap();
    let html = String::from_utf8_lossy(&cgi.stdout);
    assert!(
        html.contains("<img") && html.contains(&leaf),
        "{html}\n{}",
        String::from_utf8_lossy(&cgi.stderr)
    );

    // The serve unit's ExecStart, as its user, on a free port.
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let serve_line = &unit_values("pinger-smokeping-serve.service", "ExecStart")[0];
    let mut server = Command::new("runuser")
        .args(["-u", "pinger-smokeping", "--", "sh", "-c"])
        .arg(format!("exec {serve_line}"))
        .env("PINGER_SMOKEPING_SERVE_LISTEN", &listen)
        .env_remove("PINGER_SMOKEPING_CONFIG")
        .spawn()
        .unwrap();
    let mut page = None;
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if std::net::TcpStream::connect(&listen).is_ok() {
            page = Some(get(&format!("http://{listen}/")));
            break;
        }
    }
    let _ = Command::new("pkill")
        .args(["-u", "pinger-smokeping", "-f", "pinger-smokeping serve"])
        .status();
    let _ = server.wait();
    let (status, _, body) = page.expect("serve did not listen");
    assert_eq!(status, 200);
    assert!(
        String::from_utf8_lossy(&body).contains(&key),
        "{}",
        String::from_utf8_lossy(&body)
    );

    // The web-server snippets, enabled as the README says; removing and purging the package
    // must leave both servers able to start.
    let enabled = WebSnippets::enable();
    assert!(Path::new(LIGHTTPD_LINK).exists() && Path::new(APACHE_LINK).exists());
    enabled.servers_start("installed");

    // Removing the package leaves the data; purging too (only the log goes).
    ok("dpkg", &["-r", "pinger-smokeping"]);
    enabled.servers_start("after dpkg -r");
    assert!(!Path::new("/usr/bin/pinger-smokeping").exists());
    assert!(
        Path::new("/etc/pinger-smokeping/config.toml").exists(),
        "a conffile stays until purge"
    );
    for file in &rrds {
        ok("rrdtool", &["fetch", file.to_str().unwrap(), "AVERAGE"]);
    }
    ok("dpkg", &["--purge", "pinger-smokeping"]);
    enabled.servers_start("after dpkg --purge");
    assert!(!Path::new(LIGHTTPD_LINK).exists() && !Path::new(APACHE_LINK).exists());
    assert!(!Path::new("/etc/pinger-smokeping/config.toml").exists());
    assert!(!Path::new("/var/log/pinger-smokeping").exists());
    assert!(rrds.iter().all(|f| f.exists()));
    assert!(Path::new(RRD).join("srcdest.txt").exists());
    let _ = std::fs::remove_dir_all(STATE);
}
