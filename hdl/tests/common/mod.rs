#![allow(dead_code)] // each test file uses its own part of it

//! Stepping a block in the per-block tests of the physical layer: settle, one clock cycle, a reset, a small
//! deterministic random source.

use rust_hdl::prelude::*;

/// Evaluate until nothing changes.
pub fn settle<B: Block>(b: &mut B) {
    b.update_all();
    while b.has_changed() {
        b.update_all();
    }
}

/// One clock cycle: low, settle, high (the rising edge), settle.
pub fn cycle<B: Block>(b: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    clock(b).next = false.into();
    settle(b);
    clock(b).next = true.into();
    settle(b);
}

/// A connected block after one cycle of its synchronous reset.
pub fn reset_block<B: Block + Default>(
    clock: fn(&mut B) -> &mut Signal<In, Clock>,
    reset: fn(&mut B) -> &mut Signal<In, Bit>,
) -> B {
    let mut b = B::default();
    b.connect_all();
    reset(&mut b).next = true;
    cycle(&mut b, clock);
    reset(&mut b).next = false;
    b
}

/// xorshift64: the tests' random words, reproducible.
pub fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}
