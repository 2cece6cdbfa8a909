//! The skid buffer between the link layer's transmitter and the physical layer (`usb3_hdl::phy::tx_skid`): under
//! a random taker every word arrives once and in order, the source advances only on the registered ready, and
//! with a taker that always takes, one word a cycle goes through with one cycle of latency.

mod common;

use common::xorshift;
use rust_hdl::prelude::*;
use usb3_hdl::phy::tx_skid::TxSkid;

fn new() -> TxSkid {
    common::reset_block(|b: &mut TxSkid| &mut b.clock, |b| &mut b.reset)
}

/// Run `cycles` with a source that numbers its words (boundary on every third) and a taker that takes when
/// `take(cycle)`; the words taken, in order, and the source's count.
fn run(cycles: u64, mut take: impl FnMut(u64) -> bool) -> (Vec<u32>, u32) {
    let mut s = new();
    let mut next = 1u32;
    let mut got = vec![];
    for c in 0..cycles {
        s.in_data.next = (next as u64).into();
        s.in_k.next = 0.into();
        s.in_boundary.next = next % 3 == 0;
        let pop = take(c);
        s.pop.next = pop;
        s.update_all();
        while s.has_changed() {
            s.update_all();
        }
        let (ready, head, boundary) = (
            s.in_ready.val(),
            s.out_data.val().to_u32(),
            s.out_boundary.val(),
        );
        if pop && head != 0 {
            got.push(head);
            assert_eq!(
                boundary,
                head % 3 == 0,
                "the boundary travels with its word"
            );
        }
        common::cycle(&mut s, |b| &mut b.clock);
        if ready {
            next += 1;
        }
    }
    (got, next - 1)
}

#[test]
fn a_random_taker_gets_every_word_once_in_order() {
    for seed in [1u64, 5, 99] {
        let mut x = seed;
        let (got, sent) = run(20_000, |_| xorshift(&mut x) % 4 != 0);
        let want: Vec<u32> = (1..=got.len() as u32).collect();
        assert_eq!(got, want, "seed {seed}");
        // At most two words are inside the buffer.
        assert!(
            sent as usize - got.len() <= 2,
            "{sent} sent, {} taken",
            got.len()
        );
    }
}

#[test]
fn a_taker_that_always_takes_gets_a_word_every_cycle() {
    let (got, _) = run(1_000, |_| true);
    // The first word is taken in the second cycle (one of latency), then one every cycle.
    assert_eq!(got.len(), 999);
}

#[test]
fn ready_is_a_register() {
    // A taker that stops: the source is told a cycle later, nothing is lost.
    let (got, sent) = run(100, |c| c < 50);
    assert_eq!(got.len(), 49);
    assert_eq!(sent, 51, "two words held when the taker stopped");
}
