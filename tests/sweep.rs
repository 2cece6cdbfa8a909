//! `usb3 sweep` (issue 8): a small sweep writes the CSV (one row per point, every point passing its scoreboard
//! and checker), the SVG chart and its PNG; bad input exits 2.

mod common;
use common::usb3;

#[test]
fn a_small_sweep_writes_csv_svg_and_png() {
    let dir = std::env::temp_dir().join(format!("usb3-sweep-{}", std::process::id()));
    let o = usb3(&[
        "sweep",
        "--max-td",
        "2048",
        "--max-burst",
        "1",
        "--max-queued",
        "2",
        "--host",
        "ideal",
        "--out",
        dir.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    // (TD 1 KiB, 2 KiB; max burst 1; 1, 2 TDs queued) x (IN, OUT).
    assert_eq!(rows.len(), 10, "{csv}");
    for r in &rows {
        assert_eq!(r[11], "true", "point failed: {r:?}");
        let mb_s: f64 = r[7].parse().unwrap();
        assert!(mb_s > 50.0 && mb_s < 484.8, "{r:?}");
    }
    let at = |axis: &str, dir: &str, col: usize, v: &str| -> f64 {
        rows.iter()
            .find(|r| r[0] == axis && r[1] == dir && r[col] == v)
            .unwrap()[7]
            .parse()
            .unwrap()
    };
    // Bigger TDs go faster on IN (the ideal host's per-TD overhead: the burst ends with each TD); the ideal OUT
    // host has no TD switch, so 16 queued TDs of any size stream back to back.
    assert!(
        at("td_bytes", "in", 3, "2048") > at("td_bytes", "in", 3, "1024"),
        "{csv}"
    );
    assert_eq!(
        at("td_bytes", "out", 3, "2048"),
        at("td_bytes", "out", 3, "1024"),
        "{csv}"
    );
    // One TD queued waits for software's refill after every TD; two hide it, in both directions.
    for dir in ["in", "out"] {
        assert!(
            at("tds_queued", dir, 5, "2") > 1.1 * at("tds_queued", dir, 5, "1"),
            "{dir}: {csv}"
        );
    }
    let svg = std::fs::read_to_string(dir.join("sweep.svg")).unwrap();
    assert_eq!(
        svg.matches("<polyline").count(),
        6,
        "two series in each of the three charts"
    );
    let png = std::fs::read(dir.join("sweep.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_sweep_input_exits_2() {
    for (args, msg) in [
        (&["sweep", "--max-td", "3000"][..], "power of two"),
        (&["sweep", "--max-burst", "17"][..], "1..=16"),
        (&["sweep", "--host", "nope"][..], "expected one of"),
        (&["sweep", "--jobs", "0"][..], "at least 1"),
        (
            &["sweep", "--max-queued", "3"][..],
            "power of two from 1 to 32",
        ),
    ] {
        let o = usb3(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(msg),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
