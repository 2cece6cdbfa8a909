//! The physical layer's times reach the Verilog unscaled: the blocks built with the default `PhyTiming` carry the
//! spec's values as localparams (a simulation may divide the long timeouts; the generated Verilog for hardware
//! never is). Values at the 125 MHz PIPE word clock.

use std::collections::HashMap;

use usb3_hdl::blocks::verilog_of;
use usb3_hdl::phy::lfps_rx::LfpsRx;
use usb3_hdl::phy::lfps_tx::LfpsTx;
use usb3_hdl::phy::pipe_ctl::PipeCtl;
use usb3_hdl::phy::timing::PhyTiming;

/// `localparam name = W'hX;` of the generated text, by name.
fn localparams(verilog: &str) -> HashMap<String, u64> {
    verilog
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("localparam")?.trim();
            let (name, value) = l.split_once('=')?;
            let hex = value.trim().trim_end_matches(';').split_once("'h")?.1;
            Some((name.trim().to_string(), u64::from_str_radix(hex, 16).ok()?))
        })
        .collect()
}

#[test]
fn lfps_windows_and_the_warm_reset_time_are_the_spec_values() {
    let p = localparams(&verilog_of(&mut LfpsRx::default()));
    // 0.6 / 1.4 us, 6 / 14 us (Table 6-30); 30 ms Warm Reset detection (unverified choice, see phy::timing).
    assert_eq!(
        (
            p["burst_min"],
            p["burst_max"],
            p["repeat_min"],
            p["repeat_max"]
        ),
        (75, 175, 750, 1_750)
    );
    assert_eq!(p["warm_min"], 3_750_000);
    let p = localparams(&verilog_of(&mut LfpsTx::default()));
    // 1.0 us every 10 us, less one.
    assert_eq!((p["burst_m1"], p["repeat_m1"]), (124, 1_249));
    // And a scaled timing really is different (so the checks above can fail).
    let p = localparams(&verilog_of(&mut LfpsRx::new(&PhyTiming::scaled(100))));
    assert_eq!(p["warm_min"], 37_500);
}

#[test]
fn phy_reset_hold_and_phystatus_timeout_are_the_chosen_values() {
    // 10 us of PHY reset, 10 ms for any PhyStatus answer (both unverified choices, see phy::timing).
    let p = localparams(&verilog_of(&mut PipeCtl::default()));
    assert_eq!((p["hold"], p["limit"]), (1_250, 1_250_000));
}
