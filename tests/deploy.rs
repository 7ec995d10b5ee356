//! A real site, end to end (`../shared/docs/deployment.md`): the archive arrives night by
//! night through `rsync -a` (one monitor six days late with its old mtimes, one monthly file
//! that grows every night and is sometimes copied mid-append), the nightly job runs through
//! the cron wrapper as root, Debian's smokeping.cgi runs as www-data under lighttpd through
//! the CGI wrapper and the generated config, `serve` runs beside it, and headless Chromium
//! loads SmokePing's page with its graphs.

use crate::util::{
    assert_same_trees, fixture, get, nightly_wrapper, require, run, start_server, Browser, CHROMIUM,
};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const LIGHTTPD: &str = "/usr/sbin/lighttpd";
const RSYNC: &str = "/usr/bin/rsync";
const CGI: &str = "/usr/share/smokeping/smokeping.cgi";
const DAY: i64 = 86_400;
const LATE: &str = "pinger.mon01.example.edu";
const MONTHLY: &str = "pinger.mon02.example.edu";

/// lighttpd, killed when dropped.
struct WebServer(Child);

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn set_mtime(path: &Path, t: i64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(UNIX_EPOCH + Duration::from_secs(t as u64))
        .unwrap();
}

/// The window end of the first of the ten nights: the last ten days end at today's midnight,
/// so SmokePing's pages, which end now, show them.
fn first_end() -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    now.div_euclid(DAY) * DAY - 9 * DAY
}

/// The day (1..=10) a generated `ping-YYYY-MM-DD.txt` holds.
fn day_of(path: &Path) -> u32 {
    let name = path.file_name().unwrap().to_string_lossy();
    let (from, _) = pinger_smokeping::input::archive::name_dates(&name).unwrap();
    ((from - (first_end() - DAY)) / DAY + 1) as u32
}

/// What the monitors have delivered by night `night`, written into `staging` with the
/// monitors' own timestamps.
fn stage_night(generated: &Path, staging: &Path, night: u32) {
    let mut monthly = Vec::new();
    let mut next_day_line = None;
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(generated)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    for file in files {
        let monitor = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let day = day_of(&file);
        let day_end = first_end() + i64::from(day - 1) * DAY;
        if monitor == MONTHLY {
            // pinger2.pl appends to one file a month.
            let text = std::fs::read(&file).unwrap();
            if day <= night {
                monthly.extend_from_slice(&text);
            } else if day == night + 1 {
                next_day_line = text.split(|&b| b == b'\n').next().map(<[u8]>::to_vec);
            }
            continue;
        }
        // The late monitor's days 2-7 only reach the collector on night 9, after its day 8.
        let delivered = if monitor == LATE && (2..=7).contains(&day) {
            night >= 9
        } else {
            day <= night
        };
        if delivered {
            let dest = staging.join(&monitor).join(file.file_name().unwrap());
            if !dest.exists() {
                std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
                std::fs::copy(&file, &dest).unwrap();
                set_mtime(&dest, day_end + 300);
            }
        }
    }
    // On odd nights the collector copies the monthly file while a line is being appended.
    if night % 2 == 1 {
        if let Some(line) = next_day_line {
            monthly.extend_from_slice(&line[..line.len() / 2]);
        }
    }
    let month = &pinger_smokeping::model::window::format_time(first_end() - DAY)[..7];
    let dest = staging.join(MONTHLY).join(format!("ping-{month}.txt"));
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    std::fs::write(&dest, &monthly).unwrap();
    set_mtime(&dest, first_end() + i64::from(night - 1) * DAY + 600);
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The uid and gid of the web server's user.
fn www_data() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "www-data"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

/// Starts lighttpd; with `resolv_conf`, in a mount namespace of its own where that file is
/// /etc/resolv.conf (for it and the CGIs it runs).
fn start_lighttpd(dir: &Path, port: u16, cgi_bin: &Path, resolv_conf: Option<&Path>) -> WebServer {
    let conf = dir.join("lighttpd.conf");
    // lighttpd opens its log after dropping to www-data.
    let (uid, gid) = www_data();
    let error_log = dir.join("lighttpd-error.log");
    std::fs::write(&error_log, b"").unwrap();
    std::os::unix::fs::chown(&error_log, Some(uid), Some(gid)).unwrap();
    std::fs::write(
        &conf,
        format!(
            r#"server.modules = ("mod_alias", "mod_cgi", "mod_staticfile")
server.document-root = "{root}"
server.bind = "127.0.0.1"
server.port = {port}
server.username = "www-data"
server.groupname = "www-data"
server.errorlog = "{log}"
alias.url = ( "/cgi-bin/" => "{cgi}/",
              "/smokeping/images/" => "/var/cache/smokeping/images/",
              "/smokeping/" => "/usr/share/smokeping/www/" )
$HTTP["url"] =~ "^/cgi-bin/" {{ cgi.assign = ( ".cgi" => "" ) }}
mimetype.assign = ( ".png" => "image/png", ".html" => "text/html", ".css" => "text/css",
                    ".js" => "text/javascript" )
"#,
            root = dir.display(),
            log = dir.join("lighttpd-error.log").display(),
            cgi = cgi_bin.display(),
        ),
    )
    .unwrap();
    let mut command = match resolv_conf {
        None => {
            let mut c = Command::new(LIGHTTPD);
            c.args(["-D", "-f", conf.to_str().unwrap()]);
            c
        }
        Some(resolv) => {
            let mut c = Command::new("unshare");
            c.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
                .arg(format!(
                    "mount --bind '{}' /etc/resolv.conf && exec {LIGHTTPD} -D -f '{}'",
                    resolv.display(),
                    conf.display()
                ));
            c
        }
    };
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let server = WebServer(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "lighttpd did not start: {}",
            std::fs::read_to_string(dir.join("lighttpd-error.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

#[test]
fn a_site_fed_by_rsync_every_night_shows_its_rrds_in_smokeping_under_lighttpd() {
    let mut tools = vec![LIGHTTPD, RSYNC, CGI, "/usr/bin/rrdtool"];
    tools.extend(CHROMIUM);
    if !require(&tools) {
        return;
    }
    // lighttpd drops to www-data, as on a real site; that needs root (CI runs as root).
    if !is_root() {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true and not root"
        );
        eprintln!("SKIPPED: the deployment test starts lighttpd as root (it drops to www-data)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // www-data walks into this tree, as into /var/lib on a real site.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (generated, staging, archive, rrd) = (
        dir.join("generated"),
        dir.join("monitors"),
        dir.join("archive"),
        dir.join("rrd"),
    );
    let (code, _, stderr) = run(&[
        "generate",
        "--out",
        generated.to_str().unwrap(),
        "--monitors",
        "3",
        "--remotes",
        "3",
        "--days",
        "10",
        "--end",
        &(first_end() + 9 * DAY).to_string(),
        "--seed",
        "5",
        "--plain",
    ]);
    assert_eq!(code, 0, "{stderr}");

    let log = dir.join("log/update.log");
    for night in 1..=10u32 {
        stage_night(&generated, &staging, night);
        let status = Command::new(RSYNC)
            .args([
                "-a",
                &format!("{}/", staging.display()),
                archive.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
        let end = first_end() + i64::from(night - 1) * DAY;
        // The wrapper sets umask 022 itself, whatever cron hands it.
        let status = nightly_wrapper(&archive, &rrd, &log)
            .env("PINGER_ARGS", format!("--end {end} --days 120"))
            .status()
            .unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert_eq!(status.code(), Some(0), "night {night}:\n{text}");
        let this_night = &text[text.rfind(" start: ").unwrap()..];
        if night == 9 {
            // Days late, with old mtimes: read all the same, and the keys repaired.
            assert!(this_night.contains("repaired: 6 keys"), "{this_night}");
        }
        if night % 2 == 0 && night > 1 {
            // Last night's copy ended mid-line; tonight that line is complete and read.
            assert!(
                !this_night.contains("incomplete last lines"),
                "{this_night}"
            );
        } else {
            assert!(
                this_night.contains("incomplete last lines: 1"),
                "{this_night}"
            );
        }
    }

    // Night by night equals one backfill of the final archive, value by value.
    let reference = dir.join("reference");
    let last_end = first_end() + 9 * DAY;
    let (code, _, stderr) = run(&[
        "backfill",
        "--data",
        archive.to_str().unwrap(),
        "--rrd",
        reference.to_str().unwrap(),
        "--end",
        &last_end.to_string(),
        "--days",
        "120",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_same_trees(&rrd, &reference, last_end - 12 * DAY, last_end);

    // Everything the nightly job wrote is readable by the web server's user.
    for entry in walkdir::WalkDir::new(&rrd)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        let mode = entry.metadata().unwrap().mode() & 0o777;
        let name = entry.file_name().to_string_lossy();
        if entry.file_type().is_file() && (name.ends_with(".rrd") || name == "srcdest.txt") {
            assert_eq!(mode, 0o644, "{}", entry.path().display());
        }
    }

    // SmokePing's CGI, through the package's wrapper, with the config the nightly wrapper
    // wrote after the last update (`smokeping-config --rrd DIR -o FILE`, paths defaulted).
    let config = dir.join("smokeping.conf");
    assert!(
        config.exists(),
        "the nightly wrapper wrote no SmokePing config"
    );
    let cgi_bin = dir.join("cgi-bin");
    std::fs::create_dir_all(&cgi_bin).unwrap();
    let wrapper = std::fs::read_to_string(fixture("../cron/pinger-smokeping.cgi"))
        .unwrap()
        .replace(
            "/var/lib/pinger-smokeping/smokeping.conf",
            config.to_str().unwrap(),
        );
    assert!(wrapper.contains(config.to_str().unwrap()), "{wrapper}");
    let wrapper_path = cgi_bin.join("pinger-smokeping.cgi");
    std::fs::write(&wrapper_path, wrapper).unwrap();
    std::fs::set_permissions(&wrapper_path, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The CGI parses the whole config on every request and checks every target's host: with
    // a resolver that never answers, a name would cost its timeout every time. The targets
    // are named by address, so a page takes what drawing it takes.
    let _silent_resolver = std::net::UdpSocket::bind("127.0.0.2:53").expect("bind 127.0.0.2:53");
    let resolv_conf = dir.join("resolv.conf");
    std::fs::write(
        &resolv_conf,
        "nameserver 127.0.0.2\noptions timeout:2 attempts:1\n",
    )
    .unwrap();
    let port = crate::util::free_port();
    let _web = start_lighttpd(dir, port, &cgi_bin, Some(&resolv_conf));
    let section = "pinger_mon01_example_edu";
    let leaf = "www_site000_example_org_1000_10";
    let page =
        format!("http://127.0.0.1:{port}/cgi-bin/pinger-smokeping.cgi?target={section}.{leaf}");
    let started = Instant::now();
    let (status, content_type, body) = get(&page);
    let seconds = started.elapsed().as_secs_f64();
    let html = String::from_utf8_lossy(&body);
    assert_eq!(status, 200, "{html}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(html.contains("<img"), "{html}");
    eprintln!(
        "bench: SmokePing's page of a key with a resolver that does not answer: {seconds:.2} s \
         (target: under 2 s)"
    );
    assert!(
        seconds < 2.0,
        "the page took {seconds:.2} s: a name was looked up?"
    );

    // Our own web app, beside it.
    let server = start_server(&rrd);
    let (status, _, body) = get(&format!("{}/", server.url));
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("pinger.mon01.example.edu"));

    // A person opens SmokePing's page: its graphs, drawn by the CGI as www-data, load.
    let browser = Browser::start(dir, 1280, 1000).expect("Chromium was checked above");
    browser.open(&page);
    let widths = browser.wait_for_images(1, true, 0);
    browser.screenshot(&dir.join("smokeping-cgi.png"));
    let images = Path::new("/var/cache/smokeping/images").join(section);
    let owner = std::fs::metadata(&images).map(|m| m.uid());
    // Images of this test's targets do not stay in the system's cache.
    let _ = std::fs::remove_dir_all(&images);
    assert!(widths.iter().all(|&w| w > 0), "{widths:?}");
    assert_eq!(owner.ok(), Some(www_data().0), "the CGI ran as www-data");
}
