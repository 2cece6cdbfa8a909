//! The physical layer from power-on against the host port model: every scenario of the `phy` family
//! (`usb3_tb::scenarios::phy`, also `regress --filter phy`), one test each. The physical layer alone with numbered
//! bytes both ways (byte-exact after every U0 entry), and the whole device through the enumeration.

use usb3_tb::scenarios::phy::{cases, run_case as run};

#[test]
fn every_case_has_a_test_here() {
    let here = [include_str!("phy_link.rs"), include_str!("phy_lpm.rs")].concat();
    for c in cases() {
        assert!(
            here.contains(&format!("run(\"{}\")", c.name)),
            "phy/{} has no test in phy_link.rs or phy_lpm.rs",
            c.name
        );
    }
}

#[test]
fn power_on() {
    run("power-on");
}

#[test]
fn power_on_enumeration() {
    run("power-on-enumeration/ppm0");
    run("power-on-enumeration/ppm+300");
    run("power-on-enumeration/ppm-300");
}

#[test]
fn ppm() {
    run("ppm/+300");
    run("ppm/-300");
}

#[test]
fn polarity() {
    run("polarity");
}

#[test]
fn recovery() {
    run("recovery");
    run("recovery/cut-packet");
}

#[test]
fn hot_reset() {
    run("hot-reset");
}

#[test]
fn warm_reset() {
    run("warm-reset");
}

#[test]
fn vbus() {
    run("vbus");
}

#[test]
fn polling_stop() {
    run("polling-stop/rxeq");
    run("polling-stop/active");
    run("polling-stop/configuration");
    run("polling-stop/idle");
}

/// A host that breaks the physical layer's rules: the device never wedges, the checker names the breach, a good
/// host then trains.
#[test]
fn bad_partners() {
    run("bad-partner/ts-identifier");
    run("bad-partner/garbage-in-training");
    run("bad-partner/lfps-100ns");
    run("bad-partner/lfps-5us");
    run("bad-partner/skp-inside-packets");
}

#[test]
fn rx_detect_fail() {
    run("rx-detect-fail");
}

#[test]
fn recovery_never() {
    run("recovery-never");
}

#[test]
fn lfps_windows() {
    run("lfps/burst-min");
    run("lfps/burst-max");
    run("lfps/repeat-min");
    run("lfps/repeat-max");
    run("lfps/burst-too-short");
    run("lfps/burst-too-long");
    run("lfps/repeat-too-short");
    run("lfps/repeat-too-long");
}

#[test]
fn late_detect() {
    run("late-detect");
}

#[test]
fn spec_values() {
    run("spec-values");
}

/// Bulk IN from power-on on every IN host model (the scoreboard and the checker, SKPs both ways).
#[test]
fn transfer_in_every_host() {
    run("transfer/in/intel-b150");
    run("transfer/in/renesas-upd720202");
    run("transfer/in/asmedia-asm1142");
    run("transfer/in/ideal");
}

/// Bulk OUT from power-on on every OUT host model.
#[test]
fn transfer_out_every_host() {
    run("transfer/out/intel-b150");
    run("transfer/out/renesas-upd720202");
    run("transfer/out/ideal");
}

/// Both directions at once, and a transfer each way with the host's clock 300 ppm off.
#[test]
fn transfer_duplex_and_ppm() {
    run("transfer/both/intel-b150");
    run("transfer/both/rotated-rx");
    run("transfer/in/ppm+300");
    run("transfer/out/ppm-300");
}

/// The babble `hot-reset` recovery through the real LTSSMs: a Hot Reset mid-transfer, enumeration again, every
/// byte accounted.
#[test]
fn hot_reset_mid_transfer() {
    run("hot-reset/mid-transfer");
}

/// The same with a Warm Reset: LFPS of tReset, training again from Rx.Detect, enumeration again.
#[test]
fn warm_reset_mid_transfer() {
    run("warm-reset/mid-transfer");
}

/// Every error class at 1 % each way mid-transfer from power-on: retries and Recoveries through the real LTSSMs,
/// every byte exact.
#[test]
fn recovery_under_errors_mid_transfer() {
    run("recovery/errors-mid-transfer/in");
    run("recovery/errors-mid-transfer/out");
}
