//! `usb3 board-sim stratix10-gx-devkit` (issue 20): the whole-board simulation from the command line: a summary of
//! every step, a VCD of the board level, exit 0; JSON; an unknown board exits 2 naming the known ones. (The
//! simulation itself, on two power-up seeds, is `tb/tests/board_sim.rs`.)

mod common;
use common::{assert_exit2, usb3};

#[test]
fn board_sim_passes_prints_every_step_and_writes_a_vcd() {
    let dir = std::env::temp_dir().join(format!("usb3-board-sim-{}", std::process::id()));
    let vcd = dir.join("board.vcd");
    let o = usb3(&[
        "board-sim",
        "stratix10-gx-devkit",
        "--vcd",
        vcd.to_str().unwrap(),
        "--vcd-window",
        "0:50",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for step in [
        "power-on:",
        "enumeration:",
        "bulk IN:",
        "bulk OUT:",
        "Warm Reset:",
        "U1:",
        "U3:",
        "loopback:",
        "0 violations",
        "PASS",
    ] {
        assert!(out.contains(step), "no `{step}` in:\n{out}");
    }
    let text = std::fs::read_to_string(&vcd).expect("the VCD is written");
    for signal in [
        "pipe_pclk",
        "clk_50m",
        "pin_reset_n",
        "keeper_state",
        "ltssm_state",
    ] {
        assert!(text.contains(signal), "no {signal} in the VCD's header");
    }
    assert!(text.contains("$enddefinitions") && text.lines().count() > 10_000);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn board_sim_json_and_bad_input() {
    let o = usb3(&[
        "board-sim",
        "stratix10-gx-devkit",
        "--json",
        "--no-vcd",
        "--seed",
        "3",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(v["passed"], true);
    assert_eq!(v["steps"].as_array().map(|s| s.len()), Some(8));
    assert_eq!(v["violations"], 0);
    assert_exit2(
        &["board-sim", "arty-a7"],
        &["unknown board 'arty-a7'", "stratix10-gx-devkit"],
    );
    assert_exit2(
        &["board-sim", "stratix10-gx-devkit", "--vcd-window", "50:10"],
        &["empty"],
    );
}
