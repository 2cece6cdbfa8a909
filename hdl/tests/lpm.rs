//! The device's side of the LGO_Ux handshake (`usb3_hdl::link::lpm`): which LGO_Ux is accepted (and with
//! Force_LinkPM_Accept), that no header starts once LAU is owed, that the entry comes on LPMA or when
//! PM_ENTRY_TIMER runs out; device-initiated entry: LGO_Ux after the idle time when enabled, LPMA on LAU, U0 again
//! on LXU, Recovery when PM_LC_TIMER expires, cancelled by something to send, yielding to a crossing LGO_Ux.

mod common;

use rust_hdl::prelude::*;
use usb3_hdl::link::lpm::Lpm;

const LAU: u64 = 0x280;
const LXU: u64 = 0x300;
const LPMA: u64 = 0x380;

/// A block with a 20-cycle PM_ENTRY_TIMER, a 30-cycle PM_LC_TIMER and device-initiated entry after
/// `initiate` idle cycles (0: never), after its reset.
fn with(accept_u1_u2: bool, initiate: u32) -> Lpm {
    let mut b = Lpm::new(20, accept_u1_u2, 30, initiate);
    b.connect_all();
    b.reset.next = true;
    tick(&mut b);
    b.reset.next = false;
    tick(&mut b);
    b
}

fn new(accept_u1_u2: bool) -> Lpm {
    with(accept_u1_u2, 0)
}

/// One cycle; the one-cycle inputs drop after it.
fn tick(b: &mut Lpm) {
    common::cycle(b, |b| &mut b.clock);
    b.lgo.next = false;
    b.lpma.next = false;
    b.lau.next = false;
    b.lxu.next = false;
    b.sent.next = false;
    b.u0_entry.next = false;
    common::settle(b);
}

fn lgo(b: &mut Lpm, n: u64, busy: bool) {
    b.lgo.next = true;
    b.lgo_n.next = n.into();
    b.busy.next = busy;
    tick(b);
    b.busy.next = false;
    common::settle(b);
}

#[test]
fn u1_accepted_then_entered_on_lpma_and_held_until_u0_entry() {
    let mut b = new(true);
    lgo(&mut b, 1, false);
    assert!(b.req.val() && b.lc.val().index() as u64 == LAU && b.hold.val());
    b.sent.next = true;
    tick(&mut b);
    assert!(!b.req.val() && b.hold.val() && !b.enter.val());
    tick(&mut b);
    b.lpma.next = true;
    tick(&mut b);
    assert!(b.enter.val());
    assert_eq!(b.ux.val().index(), 1);
    tick(&mut b);
    assert!(!b.enter.val() && b.hold.val(), "one pulse; still no header");
    b.u0_entry.next = true;
    tick(&mut b);
    assert!(!b.hold.val() && !b.req.val());
}

#[test]
fn busy_or_not_allowed_u1_u2_refused_u3_always_accepted() {
    for (accept, n, busy, want) in [
        (true, 1, true, false),
        (true, 2, true, false),
        (false, 1, false, false),
        (false, 3, true, true),
        (true, 2, false, true),
    ] {
        let mut b = new(accept);
        lgo(&mut b, n, busy);
        assert!(b.req.val());
        assert_eq!(
            b.lc.val().index() as u64 == LAU,
            want,
            "accept={accept} U{n} busy={busy}"
        );
        assert_eq!(b.lc.val().index() as u64 == LXU, !want);
        assert_eq!(b.hold.val(), want);
        b.sent.next = true;
        tick(&mut b);
        assert_eq!(b.hold.val(), want);
        assert!(!b.req.val());
        // A refusal leaves nothing behind: no entry ever comes.
        for _ in 0..30 {
            tick(&mut b);
            assert_eq!(b.enter.val() && !want, false);
        }
    }
}

#[test]
fn entry_timer_enters_without_lpma() {
    let mut b = new(true);
    lgo(&mut b, 3, false);
    b.sent.next = true;
    tick(&mut b);
    let at = cycles_until(&mut b, 40, |b| b.enter.val());
    // PM_ENTRY_TIMER of 20 cycles, the output registered.
    assert_eq!(at, Some(20));
    assert_eq!(b.ux.val().index(), 3);
}

#[test]
fn an_lgo_during_an_entry_is_ignored_and_u0_entry_forgets_everything() {
    let mut b = new(true);
    lgo(&mut b, 2, false);
    lgo(&mut b, 1, false);
    b.sent.next = true;
    tick(&mut b);
    assert_eq!(b.ux.val().index(), 2);
    lgo(&mut b, 3, false);
    assert!(
        !b.req.val(),
        "no second answer while the entry is in progress"
    );
    b.u0_entry.next = true;
    tick(&mut b);
    for _ in 0..30 {
        tick(&mut b);
        assert!(!b.enter.val() && !b.hold.val());
    }
}

#[test]
fn force_linkpm_accept_accepts_u1_u2_even_when_busy_or_refusing() {
    for (accept, busy) in [(false, false), (true, true), (false, true)] {
        let mut b = new(accept);
        b.force_accept.next = true;
        lgo(&mut b, 1, busy);
        assert_eq!(
            b.lc.val().index() as u64,
            LAU,
            "accept={accept} busy={busy}"
        );
    }
}

/// Cycles until `done` holds (none within `max`).
fn cycles_until(b: &mut Lpm, max: usize, done: impl Fn(&Lpm) -> bool) -> Option<usize> {
    (0..max).find(|_| {
        let d = done(b);
        if !d {
            tick(b);
        }
        d
    })
}

/// Idle cycles until the block offers an LGO_Ux (none within `max`).
fn until_offer(b: &mut Lpm, max: usize) -> Option<usize> {
    cycles_until(b, max, |b| b.req.val())
}

#[test]
fn device_initiated_needs_the_option_and_the_hosts_enable() {
    let mut off = with(true, 0);
    off.u1_enable.next = true;
    assert_eq!(until_offer(&mut off, 200), None, "option off");
    let mut not_enabled = with(true, 10);
    assert_eq!(
        until_offer(&mut not_enabled, 200),
        None,
        "U1_ENABLE / U2_ENABLE clear"
    );
    let mut u2 = with(true, 10);
    u2.u2_enable.next = true;
    assert!(until_offer(&mut u2, 200).is_some());
    assert_eq!(u2.lc.val().index(), 0x202, "LGO_U2 when only U2 is enabled");
    assert!(u2.hold.val());
}

#[test]
fn device_initiated_lau_then_lpma_then_entry() {
    let mut b = with(true, 10);
    b.u1_enable.next = true;
    b.u2_enable.next = true;
    let at = until_offer(&mut b, 200).expect("an LGO_U1");
    assert!(
        (9..=12).contains(&at),
        "after the idle time (counted from the cycle after reset): {at}"
    );
    assert_eq!(b.lc.val().index(), 0x201);
    b.sent.next = true;
    tick(&mut b);
    assert!(!b.req.val() && b.hold.val());
    tick(&mut b);
    b.lau.next = true;
    tick(&mut b);
    assert!(b.req.val() && b.lc.val().index() as u64 == LPMA);
    b.sent.next = true;
    tick(&mut b);
    let enter = cycles_until(&mut b, 60, |b| b.enter.val());
    assert_eq!(
        enter,
        Some(32),
        "entry once the LPMA has left the physical layer"
    );
    assert_eq!(b.ux.val().index(), 1);
    assert!(b.hold.val() && !b.recover.val());
}

#[test]
fn device_initiated_lxu_waits_another_idle_period_and_no_answer_is_recovery() {
    let mut b = with(true, 10);
    b.u1_enable.next = true;
    until_offer(&mut b, 200).expect("an LGO_U1");
    b.sent.next = true;
    tick(&mut b);
    b.lxu.next = true;
    tick(&mut b);
    assert!(!b.hold.val(), "refused: headers may go");
    let again = until_offer(&mut b, 200).expect("another LGO_U1");
    assert!(again >= 9, "a whole idle period first: {again}");
    b.sent.next = true;
    tick(&mut b);
    let rec = cycles_until(&mut b, 60, |b| b.recover.val());
    assert_eq!(rec, Some(30), "PM_LC_TIMER");
    tick(&mut b);
    assert!(
        !b.recover.val() && !b.enter.val() && b.hold.val(),
        "one pulse; held until U0"
    );
    b.u0_entry.next = true;
    tick(&mut b);
    assert!(!b.hold.val());
}

#[test]
fn device_initiated_is_cancelled_by_work_and_yields_to_the_hosts_lgo() {
    let mut b = with(true, 10);
    b.u1_enable.next = true;
    until_offer(&mut b, 200).expect("an LGO_U1");
    b.busy.next = true;
    tick(&mut b);
    b.busy.next = false;
    common::settle(&mut b);
    assert!(
        !b.req.val() && !b.hold.val(),
        "something to send: no LGO_U1"
    );
    until_offer(&mut b, 200).expect("an LGO_U1 again");
    b.sent.next = true;
    tick(&mut b);
    // The host's LGO_U2 crosses ours: answered, ours forgotten (a late LAU changes nothing).
    lgo(&mut b, 2, false);
    assert!(b.req.val() && b.lc.val().index() as u64 == LAU);
    assert_eq!(b.ux.val().index(), 2);
    b.sent.next = true;
    tick(&mut b);
    b.lpma.next = true;
    tick(&mut b);
    assert!(b.enter.val() && b.ux.val().index() == 2);
}
