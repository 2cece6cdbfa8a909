//! `--backend verilator` on the CLI (issue 8): the same JSON as the native backend for the same seed; bad input
//! and a machine without Verilator exit 2 with a message saying what to do.

use std::process::Command;

mod common;
use common::usb3;

fn json(args: &[&str]) -> serde_json::Value {
    let o = usb3(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

/// `USB3_VERILATOR` may be a relative path: the builds run Verilator inside their own directories, so the path is
/// made absolute first (before, a relative one was reported as "not installed" by the build).
#[test]
fn a_relative_verilator_override_works() {
    let chosen = usb3_flow::verilator::find().expect("a Verilator");
    // Relative to `/`, where the command runs.
    let rel = chosen.program.strip_prefix("/").expect("an absolute path");
    let log = std::env::temp_dir().join(format!("usb3-relative-{}.log", std::process::id()));
    let o = Command::new(env!("CARGO_BIN_EXE_usb3"))
        .current_dir("/")
        .env("USB3_VERILATOR", rel)
        .args([
            "sim",
            "--from-u0",
            "--bytes",
            "65536",
            "--no-vcd",
            "--json",
            "--seed",
            "3",
        ])
        .args(["--backend", "verilator", "--log"])
        .arg(&log)
        .output()
        .expect("run usb3");
    let _ = std::fs::remove_file(&log);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["integrity_ok"], true);
    let used = v["verilator"].as_str().expect("the Verilator named");
    assert!(used.contains("USB3_VERILATOR"), "{used}");
}

#[test]
fn sim_on_verilator_reports_what_native_reports() {
    let log = std::env::temp_dir().join(format!("usb3-backend-{}.log", std::process::id()));
    let log = log.to_str().unwrap();
    for dir in ["in", "out"] {
        let args = [
            "sim",
            "--from-u0",
            "--direction",
            dir,
            "--bytes",
            "65536",
            "--no-vcd",
            "--json",
            "--log",
            log,
            "--seed",
            "3",
        ];
        let n = json(&args);
        let mut v_args = args.to_vec();
        v_args.extend(["--backend", "verilator"]);
        let v = json(&v_args);
        assert_eq!(v["backend"], "verilator");
        for field in [
            "bytes",
            "throughput_mb_s",
            "packets",
            "retries",
            "nrdy",
            "erdy",
            "sim_cycles",
            "integrity_ok",
            "protocol_violations",
        ] {
            assert_eq!(v[field], n[field], "{dir}: {field}");
        }
        assert_eq!(v["integrity_ok"], true);
    }
    let _ = std::fs::remove_file(log);
}

#[test]
fn bad_backend_input_exits_2() {
    let o = usb3(&["sim", "--backend", "icarus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("native, verilator"));

    // Waveform options that cannot be met (issue 21).
    for (args, says) in [
        (
            &[
                "sim",
                "--from-u0",
                "--backend",
                "verilator",
                "--fst",
                "/nonexistent/dir/x.fst",
            ][..],
            "the directory of /nonexistent/dir/x.fst does not exist",
        ),
        (
            &["sim", "--from-u0", "--no-vcd", "--trace-start", "10"][..],
            "give --vcd or --fst",
        ),
        (
            &["sim", "--from-u0", "--fst", "x.fst", "--vcd", "y.vcd"][..],
            "cannot be used with",
        ),
        (
            &["sim", "--from-u0", "--trace-cycles", "0"][..],
            "--trace-cycles",
        ),
        (
            &["babble", "--fst", "/nonexistent/dir/b.fst"][..],
            "does not exist",
        ),
    ] {
        let o = usb3(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    // A window after the run's end: found when the run ends, still exit 2 with the run's length named.
    let dir = std::env::temp_dir().join(format!("usb3-window-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vcd = dir.join("w.vcd");
    let log = dir.join("w.log");
    let o = usb3(&[
        "sim",
        "--from-u0",
        "--bytes",
        "4096",
        "--vcd",
        vcd.to_str().unwrap(),
        "--log",
        log.to_str().unwrap(),
        "--trace-start",
        "50000000",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("the trace window starts at cycle 50000000 but the run ended at cycle"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);

    // No Verilator on PATH: say how to install it.
    for cmd in [
        &["sim", "--from-u0", "--backend", "verilator", "--no-vcd"][..],
        &["regress", "--filter", "smoke", "--backend", "verilator"][..],
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_usb3"))
            .args(cmd)
            .env("PATH", "/nonexistent")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("needs `verilator`") && err.contains("apt-get install verilator"),
            "{err}"
        );
    }
}

/// `sim --resources`: the engine's Yosys figures next to the throughput (issue 8), in the text and the JSON.
#[test]
fn sim_reports_resources_next_to_the_throughput() {
    let log = std::env::temp_dir().join(format!("usb3-res-{}.log", std::process::id()));
    let v = json(&[
        "sim",
        "--from-u0",
        "--bytes",
        "8192",
        "--no-vcd",
        "--json",
        "--resources",
        "--log",
        log.to_str().unwrap(),
    ]);
    let r = &v["resources"];
    assert!(r["registers"].as_u64().unwrap() > 1000, "{r}");
    assert!(r["aluts"].as_u64().unwrap() > 1000, "{r}");
    // 16 packet buffers of 1 KiB per bulk endpoint: 8 M20K each.
    assert_eq!(r["m20k"], 16, "{r}");
    assert!(v["throughput_mb_s"].as_f64().unwrap() > 0.0);
    let o = usb3(&[
        "sim",
        "--from-u0",
        "--bytes",
        "8192",
        "--no-vcd",
        "--resources",
        "--log",
        log.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("resources ") && text.contains("registers") && text.contains("M20K"),
        "{text}"
    );
    let _ = std::fs::remove_file(log);
}

/// `link-demo --backend verilator` (the link layer alone as Verilog): the same run as native, line for line apart
/// from the wall time and the backend's name; `--vcd` with it exits 2.
#[test]
fn link_demo_on_verilator_prints_what_native_prints() {
    let run = |extra: &[&str]| {
        let mut args = vec![
            "link-demo",
            "--packets",
            "64",
            "--error-rate",
            "0.01",
            "--seed",
            "5",
            "--no-vcd",
        ];
        args.extend_from_slice(extra);
        let o = usb3(&args);
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        // The simulated cycles stay, the wall time goes.
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("seed"))
            .map(|l| {
                if l.trim_start().starts_with("simulated") {
                    l.split(" in ").next().unwrap_or(l)
                } else {
                    l
                }
                .to_string()
            })
            .collect();
        (text, lines)
    };
    let (n_text, n) = run(&[]);
    let (v_text, v) = run(&["--backend", "verilator"]);
    assert!(
        n_text.contains("backend native") && v_text.contains("backend verilator"),
        "{v_text}"
    );
    assert!(n_text.contains("integrity            OK"), "{n_text}");
    assert_eq!(v, n);
    common::assert_exit2(
        &["link-demo", "--backend", "verilator", "--vcd", "x.vcd"],
        &["--vcd needs --backend native"],
    );
}

/// The device top (physical layer + engine) on the Verilator backend from power-on (issue 18): the same run as
/// native, field for field (training, link management, enumeration, IN and OUT at once), timeouts scaled.
#[test]
fn power_on_on_verilator_reports_what_native_reports() {
    let (n, v) = native_and_verilator("po", &["--direction", "both", "--bytes", "32768"]);
    for d in ["in", "out"] {
        same_run(&n[d], &v[d], d);
    }
}

/// `sim --phy-scale 1000 ARGS --json` on the native backend and on Verilator (a log file of its own, `tag`).
fn native_and_verilator(tag: &str, extra: &[&str]) -> (serde_json::Value, serde_json::Value) {
    let log = std::env::temp_dir().join(format!("usb3-backend-{tag}-{}.log", std::process::id()));
    let mut args = vec!["sim", "--phy-scale", "1000", "--no-vcd", "--json", "--log"];
    args.push(log.to_str().unwrap());
    args.extend(extra);
    let n = json(&args);
    args.extend(["--backend", "verilator"]);
    (n, json(&args))
}

/// A run from power-on reports the same on Verilator as native, field for field (the power-on summary with its
/// path and power-state timeline included), and passed.
fn same_run(n: &serde_json::Value, v: &serde_json::Value, what: &str) {
    assert_eq!(v["backend"], "verilator");
    assert_eq!(v["start"], "power-on");
    for field in [
        "bytes",
        "throughput_mb_s",
        "packets",
        "retries",
        "sim_cycles",
        "integrity_ok",
        "protocol_violations",
        "power_on",
    ] {
        assert_eq!(v[field], n[field], "{what}: {field}");
    }
    assert_eq!(v["integrity_ok"], true);
    assert_eq!(v["protocol_violations"], 0);
}

/// `sim --backend verilator ARGS --bytes 65536 --json` with the spec's values (no --phy-scale), a log file of its
/// own (`tag`).
fn spec_values_on_verilator(tag: &str, extra: &[&str]) -> serde_json::Value {
    let log = std::env::temp_dir().join(format!("usb3-backend-{tag}-{}.log", std::process::id()));
    let mut args = vec!["sim", "--backend", "verilator"];
    args.extend(extra);
    args.extend(["--bytes", "65536", "--no-vcd", "--json", "--log"]);
    args.push(log.to_str().unwrap());
    json(&args)
}

/// Power-on to U0 with the spec's values (65,536 TSEQ, every timeout unscaled) on the Verilator backend, then
/// a transfer: the one unscaled run of the whole device top.
#[test]
fn power_on_with_the_spec_values_on_verilator() {
    let v = spec_values_on_verilator("spec", &[]);
    let p = &v["power_on"];
    assert_eq!(p["phy_scale"], 1, "{p}");
    // Polling.RxEQ alone is 65,536 TSEQ of 8 cycles (4.19 ms); U0 follows Polling.LFPS (16 bursts 10 us apart).
    let u0 = p["time_to_u0_us"].as_f64().unwrap();
    assert!((4_350.0..4_500.0).contains(&u0), "{p}");
    assert_eq!(p["u0_entries"], 1, "{p}");
    assert_eq!(v["integrity_ok"], true);
    assert_eq!(v["protocol_violations"], 0);
    assert_eq!(v["bytes"], 65536);
}

/// Link power management on the Verilator backend (issue 19): the host's LGO_U1 after 300 ns without a packet, U1
/// entered and left over and over during a transfer from power-on; the same run as native, field for field, the
/// power-state timeline included.
#[test]
fn lpm_on_verilator_reports_what_native_reports() {
    let (n, v) = native_and_verilator("lpm", &["--host-lpm", "u1:300", "--bytes", "32768"]);
    let entries = n["power_on"]["ux_entries"][0].as_u64().unwrap();
    assert!(entries >= 4, "{}", n["power_on"]);
    same_run(&n, &v, "LPM");
}

/// Device-initiated U1 (issue 19, `--device-lpm`): the engine built to send LGO_U1 after 200 ns of an idle link,
/// enabled by the host after the enumeration; U1 entered over and over during a transfer from power-on with no
/// LGO_U1 from the host; the generated Verilog on Verilator reports the same run as native, field for field. Bad
/// values exit 2.
#[test]
fn device_initiated_lpm_on_verilator_reports_what_native_reports() {
    let (n, v) = native_and_verilator("dlpm", &["--device-lpm", "u1:200", "--bytes", "32768"]);
    let p = &n["power_on"];
    assert!(p["ux_entries"][0].as_u64().unwrap() >= 4, "{p}");
    assert_eq!(p["lgo_sent"], 0, "{p}");
    same_run(&n, &v, "device-initiated LPM");
    for (arg, want) in [
        ("u1:9000000", "idle counter reaches 8388608 ns"),
        ("u3:100", "the device may initiate u1 or u2 only"),
        ("u1", "expected u1:NS or u2:NS"),
    ] {
        let o = Command::new(env!("CARGO_BIN_EXE_usb3"))
            .args(["sim", "--device-lpm", arg])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{arg}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(want),
            "{arg}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// U2 with the spec's values on the Verilator backend (the unscaled run of link power management): from
/// power-on (65,536 TSEQ, every timeout unscaled), the host's LGO_U2 after 300 ns without a packet; each exit
/// sends the U2 exit LFPS of 100 us (80 us .. 2 ms), so each finished stay in U2 lasts at least that; every byte exact,
/// the checker silent.
#[test]
fn u2_with_the_spec_values_on_verilator() {
    let v = spec_values_on_verilator("u2", &["--host-lpm", "u2:300"]);
    let p = &v["power_on"];
    assert_eq!(p["phy_scale"], 1, "{p}");
    let entries = p["ux_entries"][1].as_u64().unwrap();
    let in_u2 = p["time_in_u_us"][2].as_f64().unwrap();
    assert!(entries >= 8, "{p}");
    // (The run may end in U2: its last stay is not a whole one.)
    assert!(in_u2 >= 100.0 * (entries - 1) as f64, "{p}");
    assert_eq!(v["integrity_ok"], true);
    assert_eq!(v["protocol_violations"], 0);
    assert_eq!(v["bytes"], 65536);
}
