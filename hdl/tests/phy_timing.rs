//! The physical layer's times reach the Verilog unscaled: the blocks built with the default `PhyTiming` carry the
//! spec's values as localparams (a simulation may divide the long timeouts; the generated Verilog for hardware
//! never is). Values at the 125 MHz PIPE word clock.

use std::collections::HashMap;

use usb3_hdl::blocks::verilog_of;
use usb3_hdl::phy::lfps_rx::LfpsRx;
use usb3_hdl::phy::lfps_tx::LfpsTx;
use usb3_hdl::phy::ltssm::Ltssm;
use usb3_hdl::phy::pipe_ctl::PipeCtl;
use usb3_hdl::phy::timing::PhyTiming;

/// `localparam name = W'hX;` (or `'b`, `'d`) of the generated text, by name.
fn localparams(verilog: &str) -> HashMap<String, u64> {
    verilog
        .lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("localparam")?.trim();
            let (name, value) = l.split_once('=')?;
            let literal = value.trim().trim_end_matches(';').split_once('\'')?.1;
            let (radix, digits) = match literal.split_at(1) {
                ("h", d) => (16, d),
                ("b", d) => (2, d),
                ("d", d) => (10, d),
                _ => return None,
            };
            Some((
                name.trim().to_string(),
                u64::from_str_radix(digits, radix).ok()?,
            ))
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

#[test]
fn the_ltssm_timeouts_and_counts_are_the_spec_values() {
    let p = localparams(&verilog_of(&mut Ltssm::default()));
    let ms = 125_000;
    // Table 7-12 at 125 MHz.
    for (name, want) in [
        ("t_rx_detect_quiet", 12 * ms),
        ("t_polling_lfps", 360 * ms),
        ("t_polling_active", 12 * ms),
        ("t_polling_config", 12 * ms),
        ("t_polling_idle", 2 * ms),
        ("t_u0_recovery", ms),
        ("t_recovery_active", 12 * ms),
        ("t_recovery_config", 6 * ms),
        ("t_recovery_idle", 2 * ms),
        ("t_hot_reset_active", 12 * ms),
        ("t_hot_reset_exit", 2 * ms),
        ("t_ss_inactive_quiet", 12 * ms),
        ("n_tseq", 65_536),
        ("n_detect", 8),
    ] {
        assert_eq!(p[name], want, "{name}");
    }
    let scaled = localparams(&verilog_of(&mut Ltssm::new(&PhyTiming::scaled(1000))));
    assert_eq!(
        (
            scaled["t_polling_lfps"],
            scaled["n_tseq"],
            scaled["n_detect"]
        ),
        (45_000, 65, 8)
    );
}

#[test]
fn the_low_power_times_are_the_spec_values() {
    let p = localparams(&verilog_of(&mut Ltssm::default()));
    let (us, ms) = (125, 125_000);
    for (name, want) in [
        // The exit LFPS sent: U1 1 us, U2 / U3 100 us (Table 6-29); valid after 300 ns, 600 ns more after it.
        ("t_u1_burst", us),
        ("t_u23_burst", 100 * us),
        ("t_lfps_valid", 38),
        ("t_lfps_after", 75),
        // tNoLFPSResponseTimeout 2 ms / 10 ms (less the 8 cycles that keep the LFPS inside its window),
        // Ping.LFPS every 200 ms, tU3WakeupRetryDelay 100 ms, Loopback.Exit 2 ms (Table 7-12).
        ("t_no_lfps_u12", 2 * ms - 8),
        ("t_no_lfps_u3", 10 * ms - 8),
        ("t_ping", 200 * ms),
        ("t_u3_retry", 100 * ms),
        ("t_loopback_exit", 2 * ms),
        // The U2 inactivity timer's unit 256 us, Ux_EXIT_TIMER 6 ms (each less one: the last count, the
        // registered compare).
        ("t_u2_unit", 256 * us - 1),
        ("t_ux_exit", 6 * ms - 1),
    ] {
        assert_eq!(p[name], want, "{name}");
    }
    // Ping.LFPS 100 ns (40 .. 200 ns).
    let p = localparams(&verilog_of(&mut LfpsTx::default()));
    assert_eq!(p["ping_len"], 13);
    // PM_ENTRY_TIMER 6 us (unverified value, see link::LinkParams), PM_LC_TIMER 3 us; device-initiated entry off.
    let p = localparams(&verilog_of(&mut usb3_hdl::link::lpm::Lpm::default()));
    assert_eq!(p["entry_m1"], 749);
    assert_eq!(p["lc_m1"], 374);
    assert_eq!(p["initiate"], 0);
}
