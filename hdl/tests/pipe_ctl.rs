//! PIPE 3 control (`usb3_hdl::phy::pipe_ctl`) against a PHY model: the reset sequence (PhyStatus high, then low),
//! a PHY that was ready first, one stuck in reset; PowerDown changes answered by one PhyStatus pulse each;
//! receiver detection in P2 with and without a receiver (RxStatus 011), never outside P2; a PHY that never
//! answers is a fault, not a hang.

mod common;

use rust_hdl::prelude::Block;
use usb3_hdl::phy::pipe_ctl::PipeCtl;
use usb3_hdl::phy::timing::PhyTiming;

/// A PIPE PHY as far as this block sees it.
struct Phy {
    /// PhyStatus high until this many cycles after reset is released (`u64::MAX`: stuck).
    ready_after: u64,
    since_reset: u64,
    /// Cycles from a request to its PhyStatus pulse (`None`: never answers).
    answer_after: Option<u64>,
    pending: Option<(u64, bool)>,
    power: u64,
    receiver: bool,
    pulses: usize,
}

impl Phy {
    fn new() -> Phy {
        Phy {
            ready_after: 200,
            since_reset: 0,
            answer_after: Some(5),
            pending: None,
            power: 2,
            receiver: true,
            pulses: 0,
        }
    }

    /// One cycle: look at the block's outputs, drive its inputs.
    fn step(&mut self, c: &mut PipeCtl) {
        let mut status = false;
        let mut rx_status = 0;
        if c.phy_reset.val() {
            self.since_reset = 0;
            status = true;
        } else {
            self.since_reset += 1;
            if self.since_reset < self.ready_after {
                status = true;
            } else {
                let power = c.power_down.val().to_u64();
                if power != self.power && self.pending.is_none() {
                    self.power = power;
                    self.pending = self.answer_after.map(|d| (d, false));
                } else if c.tx_det_rx.val() && power == 2 && self.pending.is_none() {
                    self.pending = self.answer_after.map(|d| (d, true));
                }
                if let Some((d, det)) = self.pending {
                    if d == 0 {
                        status = true;
                        self.pulses += 1;
                        if det && self.receiver {
                            rx_status = 3;
                        }
                        self.pending = None;
                    } else {
                        self.pending = Some((d - 1, det));
                    }
                }
            }
        }
        c.phy_status.next = status;
        c.rx_status.next = rx_status.into();
        common::cycle(c, |b| &mut b.clock);
    }
}

fn ctl() -> PipeCtl {
    let mut c = PipeCtl::new(&PhyTiming::scaled(1000));
    c.connect_all();
    c.req_power.next = 2.into();
    c.reset.next = true;
    common::cycle(&mut c, |b| &mut b.clock);
    c.reset.next = false;
    c
}

/// Step until `done` or `limit` cycles; the cycles it took.
fn until(
    c: &mut PipeCtl,
    phy: &mut Phy,
    limit: u64,
    mut done: impl FnMut(&PipeCtl) -> bool,
) -> Option<u64> {
    (1..=limit).find(|_| {
        phy.step(c);
        done(c)
    })
}

#[test]
fn reset_waits_for_phystatus_to_fall_then_power_changes_and_detection_are_answered() {
    let mut c = ctl();
    let mut phy = Phy::new();
    let mut reset_cycles = 0;
    let t = until(&mut c, &mut phy, 10_000, |c| {
        reset_cycles += c.phy_reset.val() as u64;
        c.ready.val()
    })
    .expect("ready");
    // 10 us of PHY reset (1250 cycles), then PhyStatus high for 200 more.
    assert_eq!(reset_cycles, 1_250);
    assert!((1_450..1_470).contains(&t), "{t}");
    assert_eq!(c.power_now.val().to_u64(), 2);
    // Receiver detection in P2: present.
    c.detect.next = true;
    until(&mut c, &mut phy, 100, |c| c.tx_det_rx.val()).expect("TxDetRx");
    c.detect.next = false;
    until(&mut c, &mut phy, 100, |c| c.detect_done.val()).expect("detection done");
    assert!(c.detect_present.val() && !c.tx_det_rx.val());
    // And absent.
    phy.receiver = false;
    c.detect.next = true;
    until(&mut c, &mut phy, 100, |c| c.detect_done.val()).expect("detection done");
    c.detect.next = false;
    assert!(!c.detect_present.val());
    // P0: one PhyStatus pulse, then acknowledged.
    let pulses = phy.pulses;
    c.req_power.next = 0.into();
    until(&mut c, &mut phy, 100, |c| c.power_now.val().to_u64() == 0).expect("P0");
    until(&mut c, &mut phy, 4, |c| c.ready.val()).expect("ready");
    assert_eq!(phy.pulses, pulses + 1);
    // No detection outside P2.
    c.detect.next = true;
    assert!(until(&mut c, &mut phy, 200, |c| c.tx_det_rx.val()
        || c.detect_done.val())
    .is_none());
    assert!(!c.phy_fault.val());
}

#[test]
fn a_phy_ready_before_the_engine_is_accepted_and_one_stuck_in_reset_is_reset_again() {
    let mut c = ctl();
    let mut phy = Phy::new();
    phy.ready_after = 0;
    let t = until(&mut c, &mut phy, 10_000, |c| c.ready.val()).expect("ready");
    assert!(t < 1_250 + 30, "{t}");
    let mut c = ctl();
    let mut phy = Phy::new();
    phy.ready_after = u64::MAX;
    let (mut faults, mut resets, mut was) = (0, 0, false);
    assert!(until(&mut c, &mut phy, 40_000, |c| {
        faults += c.phy_fault.val() as u64;
        resets += (c.phy_reset.val() && !was) as u64;
        was = c.phy_reset.val();
        c.ready.val()
    })
    .is_none());
    // 10 ms / 1000 = 1250 cycles of waiting each time: reset over and over, a fault each time.
    assert!(
        faults >= 10 && resets >= faults,
        "faults {faults}, resets {resets}"
    );
}

#[test]
fn a_phy_that_never_answers_is_a_fault_not_a_hang() {
    let mut c = ctl();
    let mut phy = Phy::new();
    until(&mut c, &mut phy, 10_000, |c| c.ready.val()).expect("ready");
    phy.answer_after = None;
    c.req_power.next = 0.into();
    let mut faults = 0;
    until(&mut c, &mut phy, 2_000, |c| {
        faults += c.phy_fault.val() as u64;
        c.power_now.val().to_u64() == 0
    })
    .expect("the change ends");
    until(&mut c, &mut phy, 4, |c| c.ready.val()).expect("ready again");
    c.req_power.next = 2.into();
    until(&mut c, &mut phy, 2_000, |c| {
        faults += c.phy_fault.val() as u64;
        c.power_now.val().to_u64() == 2 && c.ready.val()
    })
    .expect("back in P2");
    c.detect.next = true;
    until(&mut c, &mut phy, 2_000, |c| {
        faults += c.phy_fault.val() as u64;
        c.detect_done.val()
    })
    .expect("the detection ends");
    assert!(!c.detect_present.val());
    assert_eq!(faults, 3);
}
