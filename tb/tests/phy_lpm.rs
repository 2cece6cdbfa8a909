//! Link power management from power-on (`usb3_tb::scenarios::phy_lpm`, also `regress --filter phy`): U1, U2 and
//! U3 entered on the host's LGO_Ux and left from either side, remote wake, refusals, and the failure paths.

use usb3_tb::scenarios::phy::run_case as run;

/// Suspend and resume by the host; remote wake by the device.
#[test]
fn u3_and_remote_wake() {
    run("u3");
    run("remote-wake");
}

/// U1 between the bursts of a slow application, IN (the device's ERDY wakes the link) and OUT (the host's next
/// transfer wakes it).
#[test]
fn u1_on_a_slow_application() {
    run("u1/slow-in");
    run("u1/slow-out");
}

/// The exit handshake that gets no answer: SS.Inactive, then a Warm Reset brings the device back.
#[test]
fn u1_exit_without_an_answer() {
    run("u1/no-lfps-answer");
}

/// U2 entered and left like U1; a device that refuses U1 / U2; a long U1 kept alive by the device's Ping.LFPS.
#[test]
fn u2_refusal_and_ping() {
    run("u2");
    run("lpm-reject");
    run("u1/ping");
}

/// Loopback (the host as master, the device's PHY returning every symbol) and Compliance Mode (the first
/// Polling.LFPS timeout, the patterns stepped by Ping.LFPS, left by Warm Reset).
#[test]
fn loopback_and_compliance() {
    run("loopback");
    run("compliance");
}

/// Bad partners: an LGO_U1 with something owed (LXU, `link.lpm` named), an exit LFPS of 200 ns (ignored,
/// `phy.lfps` named; the host's Warm Reset brings the link back).
#[test]
fn bad_partners_in_link_power_management() {
    run("bad-partner/lgo-owed");
    run("bad-partner/u1-exit-200ns");
}
