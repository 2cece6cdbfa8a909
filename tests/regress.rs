//! `usb3 regress`: the smoke set passes and writes JUnit XML with one testcase per scenario and its seed; `--jobs`
//! and `--shard` + `--merge` give a serial run's output and JUnit file; bad input (a filter matching nothing, an
//! unwritable JUnit path, `--jobs 0`, an impossible shard, shards that do not make a whole) exits 2 before anything
//! runs.

mod common;
use common::{assert_exit2, usb3};

/// A JUnit file without its times (wall clock).
fn untimed(path: &std::path::Path) -> String {
    let x = std::fs::read_to_string(path).unwrap();
    x.lines()
        .map(|l| {
            l.split(' ')
                .filter(|w| !w.starts_with("time=") && !w.starts_with("ratio_time="))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn jobs_and_shards_give_a_serial_runs_results() {
    let dir = std::env::temp_dir().join(format!("usb3-regress-jobs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = |n: &str| dir.join(n);
    let run = |extra: &[&str], junit: &std::path::Path| {
        let mut args = vec![
            "regress",
            "--filter",
            "phy/lfps/burst",
            "--junit",
            junit.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = usb3(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // The output without the wall times and the JUnit path.
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with("JUnit XML"))
            .map(|l| l.split(" s: ").last().unwrap_or(l).to_string())
            .collect::<Vec<_>>()
    };
    let serial = run(&["--jobs", "1"], &f("serial.xml"));
    let parallel = run(&["--jobs", "2"], &f("parallel.xml"));
    assert_eq!(
        serial, parallel,
        "--jobs 2 prints what --jobs 1 does, in the same order"
    );
    assert_eq!(untimed(&f("serial.xml")), untimed(&f("parallel.xml")));
    run(&["--shard", "2/3"], &f("s2.xml"));
    run(&["--shard", "1/3"], &f("s1.xml"));
    run(&["--shard", "3/3"], &f("s3.xml"));
    let o = usb3(&[
        "regress",
        "--merge",
        f("merged.xml").to_str().unwrap(),
        f("s3.xml").to_str().unwrap(),
        f("s1.xml").to_str().unwrap(),
        f("s2.xml").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(untimed(&f("serial.xml")), untimed(&f("merged.xml")));
    // A missing shard, a shard twice, a file that is no shard's: named, exit 2.
    let (s1, s2, serial_xml) = (
        f("s1.xml").display().to_string(),
        f("s2.xml").display().to_string(),
        f("serial.xml").display().to_string(),
    );
    let out = f("x.xml").display().to_string();
    assert_exit2(
        &["regress", "--merge", &out, &s1, &s2],
        &["shard 3/3 missing"],
    );
    assert_exit2(
        &["regress", "--merge", &out, &s1, &s1],
        &["shard 1/3 given twice"],
    );
    assert_exit2(
        &["regress", "--merge", &out, &serial_xml, &s1],
        &["not a shard's results"],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_jobs_and_shards_exit_2() {
    assert_exit2(&["regress", "--jobs", "0"], &["--jobs"]);
    assert_exit2(&["regress", "--shard", "3/2"], &["K must be 1..=N"]);
    assert_exit2(&["regress", "--shard", "0/0"], &["K must be 1..=N"]);
    assert_exit2(&["regress", "--shard", "two"], &["is not K/N"]);
    assert_exit2(
        &["regress", "--filter", "phy/lfps/burst", "--shard", "5/5"],
        &["shard 5/5 of the selection is empty"],
    );
}

#[test]
fn smoke_set_passes_and_writes_junit() {
    let dir = std::env::temp_dir().join(format!("usb3-regress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junit = dir.join("results.xml");
    let o = usb3(&[
        "regress",
        "--filter",
        "smoke",
        "--junit",
        junit.to_str().unwrap(),
        "--out-dir",
        dir.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("7 scenarios: 7 passed, 0 failed"), "{out}");
    // Every scenario prints its seed; the babble one its row of the table.
    assert_eq!(out.matches(" seed=").count(), 7, "{out}");
    assert!(
        out.contains("babble/mid-burst/halt-clear/intel-b150") && out.contains("recovered"),
        "{out}"
    );
    let x = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(x.matches("<testcase ").count(), 7, "{x}");
    assert_eq!(x.matches("<property name=\"seed\"").count(), 7);
    assert!(x.contains("failures=\"0\""));
}

#[test]
fn list_shows_names_sets_and_seeds() {
    let o = usb3(&[
        "regress",
        "--list",
        "--filter",
        "out/*/mb16/clean",
        "--seed",
        "0x10",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.contains("out/intel-b150/td4k/mb16/clean") && out.contains("seed=16"),
        "{out}"
    );
    assert!(out.contains("6 scenarios"), "{out}");
}

#[test]
fn bad_input_exits_2_before_running() {
    let o = usb3(&["regress", "--filter", "no-such-scenario"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("matches no scenario"));
    let o = usb3(&[
        "regress",
        "--filter",
        "smoke",
        "--junit",
        "/nonexistent-dir/results.xml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("cannot write --junit /nonexistent-dir/results.xml"));
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("[1/"),
        "nothing may run before the JUnit path is checked"
    );
    let o = usb3(&["regress", "--seed", "twelve"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn babble_runs_one_scenario_and_rejects_impossible_parameters() {
    let dir = std::env::temp_dir().join(format!("usb3-babble-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (vcd, log) = (dir.join("b.vcd"), dir.join("b.log"));
    let o = usb3(&[
        "babble",
        "--case",
        "retry-pending",
        "--recovery",
        "reset-clear",
        "--host",
        "asmedia-asm1142",
        "--vcd",
        vcd.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("babble/retry-pending/reset-clear/asmedia-asm1142") && out.contains("PASS"),
        "{out}"
    );
    for f in [&vcd, &log, &dir.join("b.pipe.log")] {
        assert!(std::fs::metadata(f).unwrap().len() > 100, "{}", f.display());
    }
    for (args, needle) in [
        (vec!["babble", "--td-bytes", "0"], "a TD of 0 bytes"),
        (
            vec![
                "babble",
                "--case",
                "first-packet",
                "--transfer-bytes",
                "400",
            ],
            "overflow point is beyond the transfer",
        ),
        (vec!["babble", "--case", "sideways"], "unknown babble case"),
        (vec!["babble", "--recovery", "unplug"], "unknown recovery"),
        (vec!["babble", "--host", "via-vl805"], "unknown host"),
    ] {
        let o = usb3(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
