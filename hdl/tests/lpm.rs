//! The device's side of the LGO_Ux handshake (`usb3_hdl::link::lpm`): which LGO_Ux is accepted, that no header
//! starts once LAU is owed, and that the entry comes on LPMA or when PM_ENTRY_TIMER runs out.

mod common;

use rust_hdl::prelude::*;
use usb3_hdl::link::lpm::Lpm;

/// A block with a 20-cycle PM_ENTRY_TIMER, after its reset.
fn new(accept_u1_u2: bool) -> Lpm {
    let mut b = Lpm::new(20, accept_u1_u2);
    b.connect_all();
    b.reset.next = true;
    tick(&mut b);
    b.reset.next = false;
    tick(&mut b);
    b
}

/// One cycle; the one-cycle inputs drop after it.
fn tick(b: &mut Lpm) {
    common::cycle(b, |b| &mut b.clock);
    b.lgo.next = false;
    b.lpma.next = false;
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
    assert!(b.req.val() && b.accept.val() && b.hold.val());
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
        assert_eq!(b.accept.val(), want, "accept={accept} U{n} busy={busy}");
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
    let at = (0..40).find(|_| {
        let e = b.enter.val();
        if !e {
            tick(&mut b);
        }
        e
    });
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
