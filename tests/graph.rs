//! `graph`: SmokePing-style images of fixture keys.

use crate::util::{run, ARCHIVE_WINDOW};
use std::path::Path;

/// Backfills the bundled archive into `dir/rrd` and returns that path.
pub fn fixture_rrds(dir: &Path) -> std::path::PathBuf {
    let rrd = dir.join("rrd");
    let mut args = vec![
        "backfill",
        "--data",
        "fixtures/archive",
        "--rrd",
        rrd.to_str().unwrap(),
    ];
    args.extend(ARCHIVE_WINDOW);
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    rrd
}

/// Width and height from a PNG header.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn one_key_as_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let png = dir.path().join("g.png");
    let key = "monitor.niit.edu.pk_www.niit.edu.pk_1000_10";
    let (code, _, stderr) = run(&[
        "graph",
        "--rrd",
        rrd.to_str().unwrap(),
        "--range",
        "2d",
        "-o",
        png.to_str().unwrap(),
        key,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (w, h) = png_size(&std::fs::read(&png).unwrap());
    assert!(
        w > 600 && h > 200,
        "{w}x{h}: the plot area is 600x200 plus axes and legend"
    );

    let svg = dir.path().join("g.svg");
    let (code, _, _) = run(&[
        "graph",
        "--rrd",
        rrd.to_str().unwrap(),
        "--format",
        "svg",
        "-o",
        svg.to_str().unwrap(),
        key,
    ]);
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&svg).unwrap();
    // librrd draws SVG text as glyph outlines, so only the document itself can be checked.
    assert!(
        text.contains("<svg") && text.contains("viewBox=\"0 0 "),
        "{}",
        &text[..200]
    );
}

#[test]
fn unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let (code, _, stderr) = run(&[
        "graph",
        "--rrd",
        rrd.to_str().unwrap(),
        "../../etc/passwd_x_100_10",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no such key"), "{stderr}");
}

#[test]
fn all_keys_all_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let out = dir.path().join("graphs");
    let (code, _, stderr) = run(&[
        "graph",
        "--rrd",
        rrd.to_str().unwrap(),
        "--all",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("80 images for 20 keys"), "{stderr}");
    for range in ["2d", "10d", "30d", "120d"] {
        let f = out.join(format!(
            "monitor_niit_edu_pk/www_carnet_hr_100_10_{range}.png"
        ));
        png_size(&std::fs::read(&f).unwrap());
    }
}

#[test]
fn all_keys_of_one_monitor_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let rrd = fixture_rrds(dir.path());
    let out = dir.path().join("graphs");
    let (code, _, stderr) = run(&[
        "graph",
        "--rrd",
        rrd.to_str().unwrap(),
        "--all",
        "--monitor",
        "monitor.niit.edu.pk",
        "--bytes",
        "100",
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("8 images for 2 keys"), "{stderr}");
    let drawn: Vec<_> = walkdir::WalkDir::new(&out)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(drawn.iter().all(|n| n.contains("_100_10_")), "{drawn:?}");
}
