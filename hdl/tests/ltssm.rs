//! The LTSSM (`usb3_hdl::phy::ltssm`) on its own, its neighbours stood in for at the level of what they report
//! (a PHY that acknowledges PowerDown and answers receiver detection, a partner whose LFPS bursts, training sets
//! and idle symbols arrive as the LFPS and training-set receivers would report them). The symbol-level run
//! against the host port model is in the physical layer's own tests; here every path of the state machine:
//! power-on to U0, the failure paths (8 failed detections, timeouts in Polling, U0 without traffic, a Recovery
//! that never completes), Hot Reset, Warm Reset, VBUS, polarity and scrambling kept or cleared where the spec
//! says. Timeouts are divided by 1000 (`PhyTiming::scaled`), so 12 ms is 1500 cycles; tU0RecoveryTimeout never
//! is (1 ms, 125,000 cycles: it guards the 10 us keep-alive, which is not scaled).

mod common;

use rust_hdl::prelude::Block;
use usb3_hdl::phy::ltssm::{tx_src, Ltssm, LtssmState as S};
use usb3_hdl::phy::timing::PhyTiming;

/// What the partner sends, as the device's receivers would report it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Tx {
    Nothing,
    Lfps,
    Ts1 {
        func: u8,
        inverted: bool,
    },
    Ts2 {
        func: u8,
    },
    Idle,
    /// U0 traffic: words that are not idle, a packet or link command now and then (`heard`).
    Link {
        heard: bool,
    },
    WarmReset,
    /// An LFPS for as long as it lasts (a U1 / U2 / U3 exit): the LFPS receiver's `active`.
    ExitLfps,
    /// A Ping.LFPS every 1,000 cycles (the LFPS receiver's short burst).
    Ping,
}

/// A partner that follows the device like a well-behaved host, unless told otherwise.
fn follow(s: S) -> Tx {
    match s {
        S::PollingLfps => Tx::Lfps,
        S::PollingActive | S::RecoveryActive => Tx::Ts1 {
            func: 0,
            inverted: false,
        },
        S::PollingConfiguration | S::RecoveryConfiguration => Tx::Ts2 { func: 0 },
        S::PollingIdle | S::RecoveryIdle | S::HotResetExit => Tx::Idle,
        S::U0 => Tx::Link { heard: true },
        _ => Tx::Nothing,
    }
}

struct World {
    l: Ltssm,
    cycle: u64,
    vbus: bool,
    receiver: bool,
    /// The partner: `None` follows the device.
    partner: Option<Tx>,
    since: u64,
    sets: u8,
    last_tx: Tx,
    power: u64,
    power_delay: u64,
    detect_in: Option<u64>,
    detections: u64,
    /// The link layer asks for Recovery; has something to send.
    link_recovery: bool,
    tx_pending: bool,
    /// Pulses of `lfps_ping`, cycles of `lfps_hold`.
    pings: u64,
    held: u64,
    path: Vec<S>,
    u0_entries: Vec<bool>,
}

impl World {
    fn new() -> World {
        World::with(&PhyTiming::scaled(1000))
    }

    fn with(t: &PhyTiming) -> World {
        let mut l = Ltssm::new(t);
        l.connect_all();
        l.reset.next = true;
        common::cycle(&mut l, |b| &mut b.clock);
        l.reset.next = false;
        World {
            l,
            cycle: 0,
            vbus: true,
            receiver: true,
            partner: None,
            since: 0,
            sets: 0,
            last_tx: Tx::Nothing,
            power: 2,
            power_delay: 0,
            detect_in: None,
            detections: 0,
            link_recovery: false,
            tx_pending: false,
            pings: 0,
            held: 0,
            path: vec![S::SsDisabled],
            u0_entries: vec![],
        }
    }

    fn state(&self) -> S {
        self.l.state.val()
    }

    fn step(&mut self) {
        let l = &mut self.l;
        let s = l.state.val();
        // The PHY: PowerDown acknowledged 3 cycles after a change; a detection answered 5 cycles after it starts.
        let req = l.req_power.val().to_u64();
        if req != self.power {
            self.power_delay += 1;
            if self.power_delay == 3 {
                self.power = req;
                self.power_delay = 0;
            }
        }
        l.pipe_ready.next = req == self.power && self.detect_in.is_none();
        l.power_now.next = self.power.into();
        l.detect_done.next = false;
        if l.detect.val() {
            self.detect_in = Some(5);
        }
        if let Some(n) = self.detect_in {
            if n == 0 {
                l.detect_done.next = true;
                l.detect_present.next = self.receiver;
                self.detections += 1;
                self.detect_in = None;
            } else {
                self.detect_in = Some(n - 1);
            }
        }
        l.power_present.next = self.vbus;
        // Our transmitter: an LFPS burst every 1250 cycles; a set every 4 cycles (TSEQ 8); every word taken.
        let src = l.tx_src.val().to_u64();
        l.lfps_burst_sent.next = l.lfps_polling.val() && self.cycle % 1250 == 0;
        let set_len = if l.ts_send_kind.val().to_u64() == 2 {
            8
        } else {
            4
        };
        l.ts_set_end.next = src == tx_src::TRAINING && self.cycle % set_len == 0;
        l.tx_idle_sent.next = src == tx_src::LOGICAL_IDLE;
        // The partner.
        let tx = self.partner.unwrap_or_else(|| follow(s));
        if tx != self.last_tx {
            self.since = 0;
            self.sets = 0;
            self.last_tx = tx;
        }
        self.since += 1;
        l.lfps_polling_burst.next = false;
        l.lfps_polling_pair.next = false;
        l.ts_seen.next = false;
        l.rx_word_valid.next = false;
        l.rx_word_idle.next = false;
        l.rx_heard.next = false;
        l.warm_reset.next = false;
        l.link_recovery.next = self.link_recovery;
        l.tx_pending.next = self.tx_pending;
        l.lpm_enter.next = false;
        l.lfps_active.next = false;
        l.ping_rx.next = false;
        match tx {
            Tx::Nothing => {}
            Tx::Lfps => {
                if self.since % 1250 == 0 {
                    l.lfps_polling_burst.next = true;
                    l.lfps_polling_pair.next = self.since > 1250;
                }
            }
            Tx::Ts1 { func, .. } | Tx::Ts2 { func } => {
                if self.since % 4 == 0 {
                    self.sets = (self.sets + 1).min(15);
                    l.ts_seen.next = true;
                    l.ts_kind.next = matches!(tx, Tx::Ts2 { .. });
                    l.ts_inverted.next = matches!(tx, Tx::Ts1 { inverted: true, .. });
                    l.ts_run.next = (self.sets as u64).into();
                    l.ts_reset.next = func & 1 != 0;
                    l.ts_loopback.next = func & 4 != 0;
                    l.ts_no_scramble.next = func & 8 != 0;
                }
            }
            Tx::Idle => {
                l.rx_word_valid.next = true;
                l.rx_word_idle.next = true;
            }
            Tx::Link { heard } => {
                l.rx_word_valid.next = true;
                l.rx_heard.next = heard && self.since % 100 == 0;
            }
            Tx::WarmReset => l.warm_reset.next = self.since > 10,
            Tx::ExitLfps => l.lfps_active.next = true,
            Tx::Ping => l.ping_rx.next = self.since % 1_000 == 0,
        }
        common::cycle(l, |b| &mut b.clock);
        self.cycle += 1;
        let now = self.l.state.val();
        if *self.path.last().unwrap() != now {
            self.path.push(now);
        }
        if self.l.u0_entry.val() {
            self.u0_entries.push(self.l.device_reset.val());
        }
        self.pings += self.l.lfps_ping.val() as u64;
        self.held += self.l.lfps_hold.val() as u64;
    }

    /// In U0: the link layer's accepted LGO_U`x` (one cycle of `lpm_enter`).
    fn lgo(&mut self, x: u64) {
        self.run(10);
        self.l.lpm_enter.next = true;
        self.l.lpm_ux.next = x.into();
        common::cycle(&mut self.l, |b| &mut b.clock);
        self.cycle += 1;
        let now = self.l.state.val();
        if *self.path.last().unwrap() != now {
            self.path.push(now);
        }
        self.l.lpm_enter.next = false;
    }

    /// Run until the state is `s` (at most `limit` cycles); the cycles it took.
    fn until(&mut self, s: S, limit: u64) -> u64 {
        let start = self.cycle;
        while self.state() != s {
            assert!(
                self.cycle - start < limit,
                "not in {s:?} after {limit} cycles; path {:?}",
                self.path
            );
            self.step();
        }
        self.cycle - start
    }

    fn run(&mut self, n: u64) {
        for _ in 0..n {
            self.step();
        }
    }
}

const POWER_ON_PATH: [S; 9] = [
    S::SsDisabled,
    S::RxDetectReset,
    S::RxDetectActive,
    S::PollingLfps,
    S::PollingRxEq,
    S::PollingActive,
    S::PollingConfiguration,
    S::PollingIdle,
    S::U0,
];

#[test]
fn power_on_to_u0_takes_the_spec_path_and_resets_the_device_once() {
    let mut w = World::new();
    w.until(S::U0, 100_000);
    assert_eq!(w.path, POWER_ON_PATH);
    assert_eq!(w.u0_entries, [true]);
    assert!(
        w.l.u0.val() && w.l.scramble.val() && w.l.rx_termination.val() && !w.l.rx_polarity.val()
    );
    assert_eq!(w.l.tx_src.val().to_u64(), tx_src::LINK);
    // In U0 with traffic it stays there.
    w.run(20_000);
    assert_eq!(w.state(), S::U0);
}

#[test]
fn polling_lfps_needs_16_sent_a_received_pair_and_4_sent_after_the_first_received() {
    let mut w = World::new();
    w.until(S::PollingLfps, 1_000);
    // The partner answers late: after 20 of ours.
    w.partner = Some(Tx::Nothing);
    w.run(20 * 1250);
    assert_eq!(w.state(), S::PollingLfps);
    w.partner = Some(Tx::Lfps);
    let t = w.until(S::PollingRxEq, 20_000);
    // Its first burst, then the second (the pair) 1250 later; 4 of ours after the first: about 4 x 1250.
    assert!((3 * 1250..=5 * 1250 + 10).contains(&t), "{t}");
    // A partner that answers at once: still 16 of ours first.
    let mut w = World::new();
    let t = w.until(S::PollingRxEq, 100_000);
    assert!((15 * 1250..=16 * 1250 + 20).contains(&t), "{t}");
    // And the TSEQ count: 65,536 / 1000 = 65 sets of 8 cycles.
    let t = w.until(S::PollingActive, 1_000);
    assert!((65 * 8..=65 * 8 + 10).contains(&t), "{t}");
}

#[test]
fn polling_active_counts_only_the_sets_received_in_it() {
    // The partner's TS1 arrive all through the device's Polling.RxEQ (it finished its own TSEQ first): the device
    // still stays in Polling.Active, sending TS1, until 8 more have arrived there (8 sets of 4 cycles).
    let mut w = World::new();
    w.until(S::PollingRxEq, 100_000);
    w.partner = Some(Tx::Ts1 {
        func: 0,
        inverted: false,
    });
    w.until(S::PollingActive, 1_000);
    w.partner = None;
    let t = w.until(S::PollingConfiguration, 1_000);
    assert!(
        (7 * 4..=8 * 4 + 4).contains(&t),
        "{t} cycles in Polling.Active"
    );
}

#[test]
fn eight_failed_receiver_detections_end_in_ss_disabled_until_vbus_comes_back() {
    let mut w = World::new();
    w.receiver = false;
    w.until(S::RxDetectActive, 100);
    w.until(S::SsDisabled, 20_000);
    assert_eq!(w.detections, 8);
    // Seven Rx.Detect.Quiet periods of 12 ms (1500 cycles) between them.
    assert!((7 * 1500..7 * 1500 + 200).contains(&w.cycle), "{}", w.cycle);
    assert!(!w.l.rx_termination.val());
    assert_eq!(w.l.req_power.val().to_u64(), 3);
    w.run(10_000);
    assert_eq!(w.state(), S::SsDisabled);
    // VBUS off and on: a new attempt, now with a receiver.
    w.receiver = true;
    w.vbus = false;
    w.run(10);
    w.vbus = true;
    w.until(S::U0, 100_000);
}

#[test]
fn training_sets_that_stop_in_polling_time_out_to_rx_detect() {
    for (stop_in, timeout) in [
        (S::PollingActive, 1500),
        (S::PollingConfiguration, 1500),
        (S::PollingIdle, 250),
    ] {
        let mut w = World::new();
        w.until(stop_in, 100_000);
        w.partner = Some(Tx::Nothing);
        let t = w.until(S::RxDetectReset, 10_000);
        assert!((timeout..timeout + 5).contains(&t), "{stop_in:?}: {t}");
        // A good partner after that trains.
        w.partner = None;
        w.until(S::U0, 100_000);
    }
}

#[test]
fn u0_without_traffic_goes_to_recovery_after_1ms_and_recovery_returns_without_a_device_reset() {
    let mut w = World::new();
    w.until(S::U0, 100_000);
    w.partner = Some(Tx::Link { heard: false });
    // tU0RecoveryTimeout is never divided (`PhyTiming::u0_timeout`): 1 ms is 125,000 cycles.
    let t = w.until(S::RecoveryActive, 200_000);
    assert!((125_000..125_005).contains(&t), "{t}");
    assert!(w.l.recovery.val());
    w.partner = None;
    w.until(S::U0, 10_000);
    assert_eq!(
        &w.path[w.path.len() - 4..],
        [
            S::RecoveryActive,
            S::RecoveryConfiguration,
            S::RecoveryIdle,
            S::U0
        ]
    );
    assert_eq!(w.u0_entries, [true, false]);
    // A TS1 from the host in U0 (it entered Recovery) and the link layer's own request do the same.
    w.partner = Some(Tx::Ts1 {
        func: 0,
        inverted: false,
    });
    w.until(S::RecoveryActive, 100);
    w.partner = None;
    w.until(S::U0, 10_000);
    w.link_recovery = true;
    w.until(S::RecoveryActive, 10);
}

#[test]
fn a_recovery_that_never_completes_ends_in_ss_inactive_which_looks_for_a_disconnect() {
    for (stuck, timeout) in [
        (S::RecoveryActive, 1500),
        (S::RecoveryConfiguration, 750),
        (S::RecoveryIdle, 250),
    ] {
        let mut w = World::new();
        w.until(S::U0, 100_000);
        w.partner = Some(Tx::Link { heard: false });
        w.until(S::RecoveryActive, 200_000);
        w.partner = None;
        w.until(stuck, 10_000);
        w.partner = Some(Tx::Nothing);
        let t = w.until(S::SsInactiveQuiet, 10_000);
        assert!((timeout..timeout + 5).contains(&t), "{stuck:?}: {t}");
        // Still connected: Quiet, Disconnect.Detect, Quiet again.
        w.until(S::SsInactiveDisconnectDetect, 2_000);
        w.until(S::SsInactiveQuiet, 100);
        // Unplugged: Rx.Detect.
        w.receiver = false;
        w.until(S::RxDetectReset, 2_000);
    }
}

#[test]
fn hot_reset_from_recovery_resets_the_device_and_returns_to_u0() {
    let mut w = World::new();
    w.until(S::U0, 100_000);
    w.partner = Some(Tx::Ts1 {
        func: 0,
        inverted: false,
    });
    w.until(S::RecoveryConfiguration, 1_000);
    w.partner = Some(Tx::Ts2 { func: 1 });
    w.until(S::HotResetActive, 1_000);
    // The device sends TS2 with Reset.
    assert_eq!(
        (
            w.l.ts_send_kind.val().to_u64(),
            w.l.ts_send_func.val().to_u64()
        ),
        (1, 1)
    );
    w.run(100);
    assert_eq!(w.state(), S::HotResetActive);
    w.partner = Some(Tx::Ts2 { func: 0 });
    w.until(S::HotResetExit, 100);
    w.partner = None;
    w.until(S::U0, 1_000);
    assert_eq!(w.u0_entries, [true, true]);
    // Hot Reset.Active that never sees the Reset bit cleared: SS.Inactive after 12 ms.
    w.partner = Some(Tx::Ts1 {
        func: 0,
        inverted: false,
    });
    w.until(S::RecoveryConfiguration, 1_000);
    w.partner = Some(Tx::Ts2 { func: 1 });
    w.until(S::HotResetActive, 1_000);
    let t = w.until(S::SsInactiveQuiet, 3_000);
    assert!((1500..1505).contains(&t), "{t}");
}

#[test]
fn warm_reset_from_any_state_waits_for_its_end_in_rx_detect_then_trains_again() {
    for from in [
        S::U0,
        S::PollingActive,
        S::RecoveryConfiguration,
        S::SsInactiveQuiet,
    ] {
        let mut w = World::new();
        if from == S::RecoveryConfiguration || from == S::SsInactiveQuiet {
            w.until(S::U0, 100_000);
            w.partner = Some(Tx::Ts1 {
                func: 0,
                inverted: false,
            });
            w.until(S::RecoveryActive, 1_000);
            w.partner = if from == S::SsInactiveQuiet {
                Some(Tx::Nothing)
            } else {
                None
            };
        }
        w.until(from, 100_000);
        w.partner = Some(Tx::WarmReset);
        w.until(S::RxDetectReset, 100);
        w.run(5_000);
        assert_eq!(
            w.state(),
            S::RxDetectReset,
            "{from:?}: waits while the LFPS lasts"
        );
        w.partner = None;
        w.until(S::U0, 100_000);
        assert_eq!(
            *w.u0_entries.last().unwrap(),
            true,
            "{from:?}: a Warm Reset resets the device"
        );
    }
}

#[test]
fn vbus_lost_in_any_state_is_ss_disabled_without_termination() {
    for at in [S::RxDetectQuiet, S::PollingLfps, S::U0, S::RecoveryActive] {
        let mut w = World::new();
        if at == S::RxDetectQuiet {
            w.receiver = false;
        }
        if at == S::RecoveryActive {
            w.until(S::U0, 100_000);
            w.partner = Some(Tx::Link { heard: false });
        }
        w.until(at, 200_000);
        w.vbus = false;
        w.until(S::SsDisabled, 10);
        w.run(3);
        assert!(!w.l.rx_termination.val() && !w.l.u0.val(), "{at:?}");
        w.receiver = true;
        w.partner = None;
        w.vbus = true;
        w.until(S::U0, 100_000);
    }
}

#[test]
fn an_inverted_pair_sets_rx_polarity_kept_through_recovery_and_cleared_by_rx_detect() {
    let mut w = World::new();
    w.until(S::PollingActive, 100_000);
    w.partner = Some(Tx::Ts1 {
        func: 0,
        inverted: true,
    });
    w.run(200);
    // Inverted sets do not count towards the 8.
    assert_eq!(w.state(), S::PollingActive);
    assert!(w.l.rx_polarity.val());
    w.partner = None;
    w.until(S::U0, 10_000);
    w.partner = Some(Tx::Ts1 {
        func: 0,
        inverted: false,
    });
    w.until(S::RecoveryActive, 100);
    w.partner = None;
    w.until(S::U0, 10_000);
    assert!(w.l.rx_polarity.val());
    w.partner = Some(Tx::WarmReset);
    w.until(S::RxDetectReset, 100);
    w.run(2);
    assert!(!w.l.rx_polarity.val());
}

#[test]
fn disable_scrambling_in_the_host_ts2_turns_scrambling_off_until_rx_detect() {
    let mut w = World::new();
    w.until(S::PollingConfiguration, 100_000);
    w.partner = Some(Tx::Ts2 { func: 8 });
    w.until(S::PollingIdle, 1_000);
    w.partner = None;
    w.until(S::U0, 1_000);
    assert!(!w.l.scramble.val());
    w.partner = Some(Tx::WarmReset);
    w.until(S::RxDetectReset, 100);
    w.run(2);
    assert!(w.l.scramble.val());
}

#[test]
fn eight_ts2_received_are_remembered_while_our_16_go_out() {
    let mut w = World::new();
    w.until(S::PollingConfiguration, 100_000);
    // Exactly 8 TS2 (4 cycles each), then the partner is already in Polling.Idle.
    w.partner = Some(Tx::Ts2 { func: 0 });
    w.run(8 * 4 + 1);
    w.partner = Some(Tx::Idle);
    w.until(S::PollingIdle, 200);
    w.until(S::U0, 200);
}

const UX: [(u64, S); 3] = [(1, S::U1), (2, S::U2), (3, S::U3)];

#[test]
fn an_accepted_lgo_enters_ux_in_its_power_state_and_the_partners_lfps_wakes_it_through_recovery() {
    for (x, ux) in UX {
        let mut w = World::new();
        w.until(S::U0, 100_000);
        w.lgo(x);
        assert_eq!(w.state(), ux);
        w.run(10);
        assert_eq!(w.l.req_power.val().to_u64(), x, "P{x} for U{x}");
        assert_eq!(w.l.tx_src.val().to_u64(), tx_src::ELEC_IDLE);
        assert!(w.l.link_hold.val() && !w.l.link_active.val() && w.l.skp_quiet.val());
        // Quiet: it stays (no timeout in U1 while it pings, none in U2 / U3).
        w.run(5_000);
        assert_eq!(w.state(), ux);
        assert_eq!(w.held, 0);
        // The host's exit LFPS: the device answers once it is valid (300 ns = 38 cycles) and sends its own exit
        // burst (U1 1 us = 125 cycles; U2 / U3 100 us, divided by 40 to 2.5 us = 313 cycles here), then Recovery.
        w.partner = Some(Tx::ExitLfps);
        let t = w.until(S::RecoveryActive, 2_000);
        let burst = if x == 1 { 125 } else { 313 };
        assert!(
            (burst..burst + 4).contains(&w.held),
            "U{x}: LFPS {} cycles",
            w.held
        );
        assert!(
            (38 + burst..38 + burst + 12).contains(&t),
            "U{x}: Recovery {t} cycles after the LFPS began"
        );
        w.partner = None;
        w.until(S::U0, 10_000);
        assert_eq!(w.u0_entries, [true, false], "no device reset after U{x}");
    }
}

#[test]
fn in_u1_and_u2_what_waits_to_be_sent_starts_the_exit_in_u3_it_does_not() {
    for (x, ux) in UX {
        let mut w = World::new();
        w.until(S::U0, 100_000);
        w.lgo(x);
        w.run(20);
        w.tx_pending = true;
        w.partner = Some(Tx::Nothing);
        w.run(100);
        if x == 3 {
            // Remote wake is not built: the device waits for the host.
            w.run(5_000);
            assert_eq!((w.state(), w.held), (ux, 0));
            continue;
        }
        assert!(w.l.lfps_hold.val(), "U{x}: the device starts the exit LFPS");
        // The host answers after 1 us: the device has sent its burst, sees 300 ns of the host's LFPS and sends
        // 600 ns (75 cycles) more.
        w.run(25);
        w.partner = Some(Tx::ExitLfps);
        let t = w.until(S::RecoveryActive, 2_000);
        // (U2: its own 313-cycle burst is the longer wait.)
        let want = (38 + 75).max(if x == 1 { 125 } else { 313 } - 125);
        assert!((want..want + 12).contains(&t), "U{x}: {t}");
        w.partner = None;
        w.tx_pending = false;
        w.until(S::U0, 10_000);
    }
}

#[test]
fn an_exit_the_host_never_answers_ends_in_ss_inactive_after_t_no_lfps_response() {
    for (x, _) in UX.iter().take(2) {
        let mut w = World::new();
        w.until(S::U0, 100_000);
        w.lgo(*x);
        w.run(20);
        w.tx_pending = true;
        w.partner = Some(Tx::Nothing);
        // tNoLFPSResponseTimeout 2 ms, divided by 40 to 50 us: 6,250 cycles (less 8: the LFPS stays inside the
        // exit window) of LFPS, then SS.Inactive.
        let t = w.until(S::SsInactiveQuiet, 10_000);
        assert!((6_242..6_260).contains(&t), "U{x}: {t}");
        assert!((6_240..6_250).contains(&w.held), "U{x}: {}", w.held);
    }
}

#[test]
fn u1_sends_a_ping_lfps_every_200_ms_and_a_ping_from_the_host_is_not_an_exit() {
    let mut w = World::new();
    w.until(S::U0, 100_000);
    w.lgo(1);
    // 200 ms divided by 1000: 25,000 cycles.
    w.run(60_000);
    assert_eq!((w.state(), w.pings), (S::U1, 2));
    // A 200 ns LFPS (25 cycles) is shorter than the 300 ns that make an exit.
    w.partner = Some(Tx::ExitLfps);
    w.run(25);
    w.partner = Some(Tx::Nothing);
    w.run(1_000);
    assert_eq!((w.state(), w.held), (S::U1, 0));
}

#[test]
fn remote_wake_leaves_u3_and_a_wake_without_answer_is_tried_again_after_the_retry_delay() {
    let mut w = World::new();
    w.until(S::U0, 100_000);
    w.lgo(3);
    w.run(20);
    w.partner = Some(Tx::Nothing);
    w.l.u3_wake.next = true;
    // No answer: LFPS for tNoLFPSResponseTimeout (10 ms, divided by 40: 250 us = 31,250 cycles, less 8), still
    // U3, then quiet for tU3WakeupRetryDelay (100 ms divided: 100 us = 12,500 cycles), then the next try.
    w.run(31_300);
    assert_eq!(w.state(), S::U3);
    let first = w.held;
    assert!((31_240..31_250).contains(&first), "{first}");
    assert!(!w.l.lfps_hold.val());
    w.run(12_400);
    assert_eq!(w.held, first, "quiet during the retry delay");
    w.run(200);
    assert!(w.l.lfps_hold.val(), "the second try");
    // The host answers this one: Recovery, then U0 without a device reset.
    w.partner = Some(Tx::ExitLfps);
    w.until(S::RecoveryActive, 2_000);
    w.l.u3_wake.next = false;
    w.partner = None;
    w.until(S::U0, 10_000);
    assert_eq!(w.u0_entries, [true, false]);
}

#[test]
fn the_first_polling_lfps_timeout_is_compliance_stepped_by_ping_left_by_warm_reset_the_next_is_rx_detect(
) {
    let mut w = World::new();
    // A compliance load board: terminations, no LFPS.
    w.partner = Some(Tx::Nothing);
    w.until(S::PollingLfps, 10_000);
    // tPollingLFPSTimeout 360 ms / 1000: 45,000 cycles.
    let t = w.until(S::Compliance, 50_000);
    assert!((44_990..45_010).contains(&t), "{t}");
    w.run(10);
    assert_eq!(w.l.tx_src.val().to_u64(), tx_src::COMPLIANCE);
    assert_eq!(w.l.cp.val().to_u64(), 0);
    // Each Ping.LFPS: the next pattern; CP4 is LFPS; after CP8, CP0 again.
    w.partner = Some(Tx::Ping);
    let mut seen = vec![];
    for _ in 0..10 {
        w.run(1_000);
        seen.push(w.l.cp.val().to_u64());
        if w.l.cp.val().to_u64() == 4 {
            assert!(w.l.lfps_hold.val() && w.l.tx_src.val().to_u64() == tx_src::ELEC_IDLE);
        }
    }
    assert_eq!(seen, [1, 2, 3, 4, 5, 6, 7, 8, 0, 1]);
    assert_eq!(w.state(), S::Compliance);
    // A Warm Reset ends it; the next Polling.LFPS timeout goes to Rx.Detect.
    w.partner = Some(Tx::WarmReset);
    w.until(S::RxDetectReset, 100);
    let from = w.path.len();
    w.partner = Some(Tx::Nothing);
    w.until(S::PollingLfps, 10_000);
    w.until(S::RxDetectReset, 50_000);
    assert!(
        !w.path[from..].contains(&S::Compliance),
        "{:?}",
        &w.path[from..]
    );
}

#[test]
fn the_u2_inactivity_timer_takes_u1_to_u2_without_a_handshake_and_u2_leaves_as_u2() {
    // One unit (256 us) divided by 40: 6.4 us = 800 cycles.
    for (timeout, to_u2) in [(3u64, true), (0, false), (255, false)] {
        let mut w = World::new();
        w.until(S::U0, 100_000);
        w.l.u2_timeout.next = timeout.into();
        w.lgo(1);
        assert_eq!(w.state(), S::U1);
        if !to_u2 {
            w.run(10_000);
            assert_eq!(w.state(), S::U1, "timeout {timeout}: off");
            continue;
        }
        let t = w.until(S::U2, 10_000);
        assert!(
            (2_400..2_410).contains(&t),
            "U1 -> U2 after 3 units: {t} cycles"
        );
        assert_eq!(w.held, 0, "no LFPS");
        w.run(10);
        assert_eq!(w.l.req_power.val().to_u64(), 2, "P2");
        // The host's exit: the device answers with a U2 exit burst (313 cycles).
        w.partner = Some(Tx::ExitLfps);
        w.until(S::RecoveryActive, 2_000);
        assert!((313..317).contains(&w.held), "LFPS {} cycles", w.held);
    }
}

#[test]
fn an_exit_from_u1_or_u2_that_does_not_reach_u0_within_ux_exit_timer_ends_in_ss_inactive() {
    // Recovery.Active's own timeout made long (1 s / 1000): Ux_EXIT_TIMER (6 ms / 40 = 18,750 cycles) ends the
    // exit first; from U3 (no Ux_EXIT_TIMER) Recovery.Active waits.
    let t = PhyTiming {
        recovery_active_timeout: 1_000 * usb3_spec::timing::MS,
        ..PhyTiming::scaled(1000)
    };
    for (x, ux) in UX {
        let mut w = World::with(&t);
        w.until(S::U0, 100_000);
        w.lgo(x);
        w.run(20);
        let t0 = w.cycle;
        w.partner = Some(Tx::ExitLfps);
        w.until(S::RecoveryActive, 2_000);
        // The host answers no training set.
        w.partner = Some(Tx::Nothing);
        if x == 3 {
            w.run(25_000);
            assert_eq!(w.state(), S::RecoveryActive, "U3: {ux:?}");
            continue;
        }
        w.until(S::SsInactiveQuiet, 25_000);
        // The exit begins once the host's LFPS is valid (38 cycles).
        let since_exit = w.cycle - t0 - 38;
        assert!(
            (18_749..18_756).contains(&since_exit),
            "U{x}: SS.Inactive {since_exit} cycles after the exit began"
        );
    }
}
