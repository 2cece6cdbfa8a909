//! The command line: bad input gets a message naming the problem and exit code 2; a small `sim` run prints the
//! JSON summary with every documented field.

use std::path::PathBuf;

mod common;
use common::usb3;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("usb3-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn assert_exit2(args: &[&str], needle: &str) {
    let o = usb3(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected `{needle}` in: {err}"
    );
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    assert_exit2(&["sim", "--host", "via-vl805"], "unknown host 'via-vl805'");
    assert_exit2(&["sim", "--bytes", "0"], "--bytes");
    assert_exit2(&["sim", "--bytes", "99999999999999"], "--bytes");
    assert_exit2(&["sim", "--td-bytes", "0"], "--td-bytes");
    assert_exit2(&["sim", "--max-burst", "17"], "--max-burst");
    assert_exit2(&["sim", "--max-burst", "0"], "--max-burst");
    assert_exit2(
        &["sim", "--direction", "sideways"],
        "expected in, out or both",
    );
    assert_exit2(
        &["sim", "--direction", "out", "--host", "asmedia-asm1142"],
        "no bulk OUT model",
    );
    assert_exit2(
        &["sim", "--direction", "out", "--host", "via-vl805"],
        "unknown host 'via-vl805'",
    );
    let cap = |n: &str| format!("{}/sim/tests/captures/{n}", env!("CARGO_MANIFEST_DIR"));
    assert_exit2(
        &["sim", "--host-capture", &cap("intel-b150-out-64k.txt")],
        "an OUT capture",
    );
    assert_exit2(
        &[
            "sim",
            "--direction",
            "out",
            "--host-capture",
            &cap("intel-b150-in-4k.txt"),
        ],
        "an IN capture",
    );
    assert_exit2(
        &[
            "sim",
            "--direction",
            "both",
            "--host-capture",
            &cap("intel-b150-in-4k.txt"),
        ],
        "needs a named --host",
    );
    assert_exit2(
        &["sim", "--log", "/nonexistent-dir/x.log"],
        "does not exist",
    );
    assert_exit2(
        &["sim", "--vcd", "/nonexistent-dir/x.vcd"],
        "does not exist",
    );
    assert_exit2(
        &["sim", "--host-capture", "/nonexistent-file.txt"],
        "/nonexistent-file.txt",
    );
    assert_exit2(&["sim", "--frobnicate"], "--frobnicate");
    // From power-on: the PHY parameters in range, and what needs the engine alone says so.
    assert_exit2(&["sim", "--ppm", "301"], "--ppm");
    assert_exit2(&["sim", "--ppm", "-301"], "--ppm");
    assert_exit2(&["sim", "--phy-scale", "0"], "--phy-scale");
    assert_exit2(&["sim", "--phy-scale", "1001"], "--phy-scale");
    assert_exit2(&["sim", "--from-u0", "--ppm", "100"], "--from-u0");
    assert_exit2(&["no-such-command"], "no-such-command");
}

#[test]
fn a_capture_that_does_not_parse_names_the_line() {
    let p = tmp("bad-capture.txt");
    std::fs::write(
        &p,
        "# direction: in\n0.000 ACK  seq=0 nump=4\n0.040 DATA seq=40 len=1024\n",
    )
    .unwrap();
    assert_exit2(
        &["sim", "--host-capture", &p.display().to_string()],
        "line 3",
    );
}

#[test]
fn sim_json_summary_has_every_field() {
    let log = tmp("sim.log");
    let pipe = tmp("sim-pipe.log");
    let o = usb3(&[
        "sim",
        "--phy-scale",
        "1000",
        "--host",
        "renesas-upd720202",
        "--td-bytes",
        "8192",
        "--bytes",
        "16384",
        "--max-burst",
        "4",
        "--seed",
        "5",
        "--no-vcd",
        "--log",
        &log.display().to_string(),
        "--json",
        "--pipe-log",
        &pipe.display().to_string(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    for k in [
        "host",
        "direction",
        "td_bytes",
        "bytes",
        "max_burst",
        "throughput_mb_s",
        "efficiency",
        "packets",
        "retries",
        "nrdy",
        "erdy",
        "ignored_acks",
        "integrity_ok",
        "protocol_violations",
        "sim_cycles",
        "sim_time_us",
        "wall_s",
    ] {
        assert!(v.get(k).is_some(), "missing {k} in {v}");
    }
    assert_eq!(v["host"], "renesas-upd720202");
    assert_eq!(v["direction"], "in");
    assert_eq!(v["bytes"], 16384);
    assert_eq!(v["integrity_ok"], true);
    // The packet log is in the captures' own format.
    let text = std::fs::read_to_string(&log).unwrap();
    usb3_sim::capture::parse(&text).expect("the packet log parses as a capture");
    assert!(text.contains("ACK  seq=0 nump=4"), "{text}");
    assert_eq!(v["protocol_violations"], 0);
    // The PIPE-level log (both directions at the device's pins) parses too and has every DATA packet sent: the
    // bulk ones are the 1024-byte ones (from power-on the log also has the enumeration's, on EP0, all shorter).
    let cap = usb3_sim::capture::parse(&std::fs::read_to_string(&pipe).unwrap())
        .expect("the PIPE log parses");
    let data = cap
        .events()
        .filter(|e| e.kind == usb3_sim::capture::Kind::Data && e.len == Some(1024))
        .count() as u64;
    assert_eq!(data, v["packets"].as_u64().unwrap());
}

#[test]
fn host_capture_drives_the_simulation() {
    let cap = format!(
        "{}/sim/tests/captures/asmedia-asm1142-in-512k.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let o = usb3(&[
        "sim",
        "--phy-scale",
        "1000",
        "--host-capture",
        &cap,
        "--bytes",
        "32768",
        "--no-vcd",
        "--log",
        &tmp("c.log").display().to_string(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["host"].as_str().unwrap().starts_with("capture:"));
    assert_eq!(
        v["td_bytes"], 524288,
        "the capture's td_bytes is the default"
    );
    assert_eq!(v["integrity_ok"], true);
}

#[test]
fn sim_out_with_the_ideal_host() {
    let log = tmp("out.log");
    let o = usb3(&[
        "sim",
        "--phy-scale",
        "1000",
        "--direction",
        "out",
        "--host",
        "ideal",
        "--bytes",
        "20000",
        "--log",
        &log.display().to_string(),
        "--vcd",
        &tmp("out.vcd").display().to_string(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["direction"], "out");
    assert_eq!(v["bytes"], 20000);
    assert_eq!(v["integrity_ok"], true);
    usb3_sim::capture::parse(&std::fs::read_to_string(&log).unwrap())
        .expect("the OUT packet log parses");
    let vcd = std::fs::read_to_string(tmp("out.vcd")).unwrap();
    assert!(
        vcd.contains("$scope module ep2_out $end") && vcd.contains("dph_seq"),
        "the OUT VCD has the endpoint"
    );
}

#[test]
fn sim_out_with_a_captured_host() {
    let cap = format!(
        "{}/sim/tests/captures/intel-b150-out-64k.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let log = tmp("out-cap.log");
    let o = usb3(&[
        "sim",
        "--phy-scale",
        "1000",
        "--direction",
        "out",
        "--host-capture",
        &cap,
        "--bytes",
        "40000",
        "--no-vcd",
        "--log",
        &log.display().to_string(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["host"].as_str().unwrap().starts_with("capture:"));
    assert_eq!(v["integrity_ok"], true);
}

#[test]
fn sim_both_directions_json_has_in_and_out() {
    let log = tmp("both.log");
    let o = usb3(&[
        "sim",
        "--phy-scale",
        "1000",
        "--direction",
        "both",
        "--host",
        "intel-b150",
        "--bytes",
        "24576",
        "--no-vcd",
        "--log",
        &log.display().to_string(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for (k, dir) in [("in", "in"), ("out", "out")] {
        let m = &v[k];
        assert_eq!(m["direction"], dir, "{v}");
        assert_eq!(m["bytes"], 24576);
        assert_eq!(m["integrity_ok"], true);
        for f in [
            "throughput_mb_s",
            "packets",
            "retries",
            "nrdy",
            "erdy",
            "ignored_acks",
            "log",
        ] {
            assert!(m.get(f).is_some(), "missing {k}.{f}");
        }
    }
    // Two packet logs, each in the captures' format.
    for p in [log.clone(), log.with_file_name("both-out.log")] {
        usb3_sim::capture::parse(&std::fs::read_to_string(&p).unwrap())
            .expect("the packet log parses");
    }
}

/// `sim` starts from power-on (issue 18): the device top trains against the host port, answers the link
/// management exchange, is enumerated, then the transfer runs with SKPs on the wire; the summary says how the link
/// came up. `--from-u0` is the engine alone behind the stand-in: no `power_on` member, no SKP.
#[test]
fn sim_starts_from_power_on() {
    let log = tmp("power-on.log");
    let run = |extra: &[&str]| {
        let mut args = vec!["sim", "--bytes", "16384", "--no-vcd", "--json", "--log"];
        let l = log.display().to_string();
        args.push(&l);
        args.extend_from_slice(extra);
        let o = usb3(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("one JSON object")
    };
    let v = run(&["--phy-scale", "1000", "--ppm", "-300"]);
    assert_eq!(v["start"], "power-on");
    assert_eq!(v["integrity_ok"], true);
    assert_eq!(v["protocol_violations"], 0);
    let p = &v["power_on"];
    let path: Vec<&str> = p["ltssm_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        path[..9],
        [
            "SsDisabled",
            "RxDetectReset",
            "RxDetectActive",
            "PollingLfps",
            "PollingRxEq",
            "PollingActive",
            "PollingConfiguration",
            "PollingIdle",
            "U0"
        ],
        "{p}"
    );
    assert_eq!(p["u0_entries"], 1, "{p}");
    assert_eq!(p["ppm"], -300);
    let u0 = p["time_to_u0_us"].as_f64().unwrap();
    assert!(
        u0 > 100.0 && u0 < p["enumerated_us"].as_f64().unwrap(),
        "{p}"
    );
    // One SKP ordered set (two symbols) per 354 symbols at least: 16 KiB of DATA is ~17 k symbols.
    assert!(
        p["skp_symbols_from_device"].as_u64().unwrap() >= 2 * 17_000 / 354,
        "{p}"
    );
    let u = run(&["--from-u0"]);
    assert_eq!(u["start"], "u0");
    assert!(u["power_on"].is_null());
    assert_eq!(u["integrity_ok"], true);
    // The text summary says the same.
    let o = usb3(&[
        "sim",
        "--phy-scale",
        "1000",
        "--bytes",
        "8192",
        "--no-vcd",
        "--log",
        &log.display().to_string(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("from power-on        U0 after")
            && text.contains("LTSSM path           SsDisabled > "),
        "{text}"
    );
}
