//! LFPS generation and detection (`usb3_hdl::phy::{lfps_tx, lfps_rx}`): the transmitter's bursts against the
//! spec's nominal tBurst / tRepeat, and the receiver on bursts and gaps just inside and just outside each window
//! of Table 6-30 (Polling.LFPS 0.6 .. 1.4 us every 6 .. 14 us), Warm Reset after the detection time, nothing while
//! the PHY has symbol lock; the transmitter looped into the receiver.

mod common;

use usb3_hdl::phy::lfps_rx::LfpsRx;
use usb3_hdl::phy::lfps_tx::LfpsTx;
use usb3_hdl::phy::timing::PhyTiming;

fn tx(timing: &PhyTiming) -> LfpsTx {
    let mut t = LfpsTx::new(timing);
    use rust_hdl::prelude::Block;
    t.connect_all();
    t.reset.next = true;
    common::cycle(&mut t, |b| &mut b.clock);
    t.reset.next = false;
    t
}

fn rx(timing: &PhyTiming) -> LfpsRx {
    let mut r = LfpsRx::new(timing);
    use rust_hdl::prelude::Block;
    r.connect_all();
    r.rx_elec_idle.next = true;
    r.reset.next = true;
    common::cycle(&mut r, |b| &mut b.clock);
    r.reset.next = false;
    r
}

#[derive(Default, Debug)]
struct Seen {
    bursts: Vec<u64>,
    polling: usize,
    pairs: usize,
    warm_cycles: u64,
}

/// Drive the receiver with (signal on, cycles) pieces, RxValid as given; collect what it reports.
fn detect(timing: &PhyTiming, pieces: &[(bool, u64)], rx_valid: bool) -> Seen {
    let mut r = rx(timing);
    let mut s = Seen::default();
    for &(on, n) in pieces.iter().chain([(false, 8)].iter()) {
        for _ in 0..n {
            r.rx_elec_idle.next = !on;
            r.rx_valid.next = rx_valid;
            common::cycle(&mut r, |b| &mut b.clock);
            if r.burst_end.val() {
                s.bursts.push(r.burst_cycles.val().to_u64());
            }
            s.polling += r.polling_burst.val() as usize;
            s.pairs += r.polling_pair.val() as usize;
            s.warm_cycles += r.warm_reset.val() as u64;
        }
    }
    s
}

/// `n` bursts of `burst` cycles, starting every `repeat` cycles.
fn pattern(n: usize, burst: u64, repeat: u64) -> Vec<(bool, u64)> {
    (0..n)
        .flat_map(|_| [(true, burst), (false, repeat - burst)])
        .collect()
}

#[test]
fn the_transmitter_sends_1us_bursts_every_10us_and_finishes_a_burst_when_stopped() {
    let timing = PhyTiming::default();
    let mut t = tx(&timing);
    let mut wave = vec![];
    let mut ends = 0;
    for c in 0..5_000 + 60 {
        // Stop 60 cycles into the fifth burst.
        t.polling.next = c < 5_000 + 60 - 55;
        common::cycle(&mut t, |b| &mut b.clock);
        wave.push(t.lfps.val());
        ends += t.burst_end.val() as usize;
    }
    for _ in 0..3_000 {
        t.polling.next = false;
        common::cycle(&mut t, |b| &mut b.clock);
        wave.push(t.lfps.val());
        ends += t.burst_end.val() as usize;
    }
    // Runs of LFPS: where each starts and how long it is.
    let mut runs = vec![];
    let mut i = 0;
    while i < wave.len() {
        if wave[i] {
            let start = i;
            while i < wave.len() && wave[i] {
                i += 1;
            }
            runs.push((start, i - start));
        }
        i += 1;
    }
    assert_eq!(runs.len(), 5, "{runs:?}");
    assert!(
        runs.iter().all(|&(_, n)| n == 125),
        "tBurst 1.0 us = 125 cycles: {runs:?}"
    );
    assert!(
        runs.windows(2).all(|w| w[1].0 - w[0].0 == 1250),
        "tRepeat 10 us = 1250 cycles: {runs:?}"
    );
    assert_eq!(ends, 5);
    // Hold: LFPS for exactly as long as asked.
    let mut n = 0;
    for c in 0..400 {
        t.hold.next = (100..300).contains(&c);
        common::cycle(&mut t, |b| &mut b.clock);
        n += t.lfps.val() as usize;
    }
    assert_eq!(n, 200);
}

#[test]
fn polling_lfps_just_inside_each_window_is_accepted_and_just_outside_is_not() {
    let t = PhyTiming::default();
    // 0.6 us = 75 cycles, 1.4 us = 175; 6 us = 750, 14 us = 1750.
    for (burst, repeat, ok) in [
        (125, 1250, true),
        (75, 1250, true),
        (175, 1250, true),
        (74, 1250, false),
        (176, 1250, false),
        (125, 750, true),
        (125, 1750, true),
        (125, 749, false),
        (125, 1751, false),
    ] {
        let s = detect(&t, &pattern(4, burst, repeat), false);
        assert_eq!(s.bursts, vec![burst; 4], "burst {burst} repeat {repeat}");
        assert_eq!(
            s.polling,
            if (75..=175).contains(&burst) { 4 } else { 0 },
            "burst {burst} repeat {repeat}"
        );
        assert_eq!(
            s.pairs,
            if ok { 3 } else { 0 },
            "burst {burst} repeat {repeat}"
        );
        assert_eq!(s.warm_cycles, 0);
    }
    // One bad burst in the middle: the pair across it does not count.
    let mut p = pattern(2, 125, 1250);
    p.extend(pattern(1, 40, 1250));
    p.extend(pattern(2, 125, 1250));
    assert_eq!(detect(&t, &p, false).pairs, 2);
}

#[test]
fn a_signal_with_symbol_lock_is_not_lfps() {
    let t = PhyTiming::default();
    let s = detect(&t, &pattern(4, 125, 1250), true);
    assert!(s.bursts.is_empty() && s.pairs == 0);
}

#[test]
fn warm_reset_is_reported_once_an_lfps_outlasts_the_detection_time_and_until_it_ends() {
    // Divided by 1000: 30 ms -> 30 us = 3750 cycles.
    let t = PhyTiming::scaled(1000);
    let s = detect(&t, &[(false, 100), (true, 3_749), (false, 100)], false);
    assert_eq!(s.warm_cycles, 0);
    let s = detect(&t, &[(false, 100), (true, 10_000), (false, 100)], false);
    assert_eq!(s.bursts, vec![10_000]);
    // Reported from cycle 3,750 of the burst to its end (registered: give or take one).
    assert!(
        (6_249..=6_251).contains(&s.warm_cycles),
        "{}",
        s.warm_cycles
    );
}

#[test]
fn the_transmitter_looped_into_the_receiver_gives_polling_pairs() {
    let timing = PhyTiming::default();
    let mut t = tx(&timing);
    let mut r = rx(&timing);
    let (mut pairs, mut sent) = (0, 0);
    for _ in 0..16 * 1250 + 300 {
        t.polling.next = true;
        common::cycle(&mut t, |b| &mut b.clock);
        sent += t.burst_end.val() as usize;
        r.rx_elec_idle.next = !t.lfps.val();
        common::cycle(&mut r, |b| &mut b.clock);
        pairs += r.polling_pair.val() as usize;
    }
    assert_eq!(sent, 17);
    assert_eq!(pairs, 16);
}
