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
/// `phy.lfps` named; the host's Warm Reset brings the link back), a host that never answers the device's LGO_U1
/// (PM_LC_TIMER, Recovery).
#[test]
fn bad_partners_in_link_power_management() {
    run("bad-partner/lgo-owed");
    run("bad-partner/u1-exit-200ns");
    run("bad-partner/lgo-unanswered");
}

/// The host's link management LMPs: the U2 inactivity timer (U1 -> U2 on both ends), Force_LinkPM_Accept.
#[test]
fn u2_inactivity_timer_and_force_linkpm_accept() {
    run("u2/inactivity-timer");
    run("lpm-force-accept");
}

/// Device-initiated U1 entry (an option): only after U1_ENABLE, accepted or refused by the host.
#[test]
fn device_initiated_u1() {
    run("u1/device-initiated");
    run("u1/device-initiated-refused");
}
