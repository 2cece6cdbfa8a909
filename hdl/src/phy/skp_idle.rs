//! SKP symbols to logical idle on the link layer's receive path (spec 6.4.3: SKP ordered sets are never inside a
//! packet; 7.2.2: a receiver finds framing at any symbol position).
//!
//! Removing SKP symbols and packing the rest into whole words ([`crate::phy::skp_remove::SkpRemove`], which the
//! training-set receiver still uses) leaves a gap of a whole word whenever the removed symbols add up to four.
//! The link layer gets logical idle in a gap, and a gap falls where the packing runs short, not where the SKPs
//! were: when the received words are not aligned to the partner's (a 16-bit PHY paired freely into 32 bits, or a
//! PHY's elastic buffer that added or dropped one two-symbol SKP set), the SKPs straddle two words and the gap
//! lands before the last two symbols of the packet in front of them, which then arrives broken. Here each SKP
//! symbol is replaced in place by D0.0 (logical idle, after the descrambler, which does not advance its LFSR on a
//! SKP): no gap, the symbols around it keep their order and positions, and the link layer's aligner finds the next
//! packet's framing wherever it starts.
//!
//! `out_skp`: the lanes that were SKP symbols (the LTSSM's idle-symbol counter skips a word with one: a SKP is
//! neither idle nor anything else; a bench counting symbols leaves them out). Output registered: one cycle of
//! latency.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct SkpIdle {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The descrambled word (byte 0 first), its K flags; `valid` low: no word this cycle.
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub valid: Signal<In, Bit>,
    pub out_data: Signal<Out, Bits<32>>,
    pub out_k: Signal<Out, Bits<4>>,
    pub out_valid: Signal<Out, Bit>,
    pub out_skp: Signal<Out, Bits<4>>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    o_valid: DFF<Bit>,
    o_skp: DFF<Bits<4>>,
    /// Lane i is a SKP (K28.1, 0x3C).
    skp: Signal<Local, Bits<4>>,
    /// The data bytes kept (0xFF) or cleared (0x00) by lane.
    keep: Signal<Local, Bits<32>>,
}

impl Logic for SkpIdle {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, o_data, o_k, o_valid, o_skp);
        self.skp.next = 0.into();
        if self.k.val().get_bit(0) & (self.data.val().get_bits::<8>(0) == 0x3C) {
            self.skp.next = self.skp.val() | bits::<4>(1);
        }
        if self.k.val().get_bit(1) & (self.data.val().get_bits::<8>(8) == 0x3C) {
            self.skp.next = self.skp.val() | bits::<4>(2);
        }
        if self.k.val().get_bit(2) & (self.data.val().get_bits::<8>(16) == 0x3C) {
            self.skp.next = self.skp.val() | bits::<4>(4);
        }
        if self.k.val().get_bit(3) & (self.data.val().get_bits::<8>(24) == 0x3C) {
            self.skp.next = self.skp.val() | bits::<4>(8);
        }
        self.keep.next = bits::<32>(0xFFFF_FFFF_u64);
        if self.skp.val().get_bit(0) {
            self.keep.next = self.keep.val() & bits::<32>(0xFFFF_FF00_u64);
        }
        if self.skp.val().get_bit(1) {
            self.keep.next = self.keep.val() & bits::<32>(0xFFFF_00FF_u64);
        }
        if self.skp.val().get_bit(2) {
            self.keep.next = self.keep.val() & bits::<32>(0xFF00_FFFF_u64);
        }
        if self.skp.val().get_bit(3) {
            self.keep.next = self.keep.val() & bits::<32>(0x00FF_FFFF_u64);
        }
        self.o_data.d.next = self.data.val() & self.keep.val();
        self.o_k.d.next = self.k.val() & !self.skp.val();
        self.o_valid.d.next = self.valid.val();
        self.o_skp.d.next = 0.into();
        if self.valid.val() {
            self.o_skp.d.next = self.skp.val();
        }
        if self.reset.val() {
            self.o_data.d.next = 0.into();
            self.o_k.d.next = 0.into();
            self.o_valid.d.next = false;
            self.o_skp.d.next = 0.into();
        }
        self.out_data.next = self.o_data.q.val();
        self.out_k.next = self.o_k.q.val();
        self.out_valid.next = self.o_valid.q.val();
        self.out_skp.next = self.o_skp.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(words: &[(u32, u8, bool)]) -> Vec<(u32, u8, bool, u8)> {
        let mut b = SkpIdle::default();
        b.connect_all();
        let mut out = vec![];
        let step = |b: &mut SkpIdle, d: u32, k: u8, v: bool, reset: bool| {
            b.reset.next = reset;
            b.data.next = (d as u64).into();
            b.k.next = (k as u64).into();
            b.valid.next = v;
            b.clock.next = false.into();
            settle(b);
            b.clock.next = true.into();
            settle(b);
            (
                b.out_data.val().to_u32(),
                b.out_k.val().to_u32() as u8,
                b.out_valid.val(),
                b.out_skp.val().to_u32() as u8,
            )
        };
        step(&mut b, 0, 0, false, true);
        for &(d, k, v) in words {
            out.push(step(&mut b, d, k, v, false));
        }
        out
    }

    fn settle(b: &mut SkpIdle) {
        b.update_all();
        while b.has_changed() {
            b.update_all();
        }
    }

    #[test]
    fn skp_symbols_become_idle_in_place_and_nothing_else_changes() {
        // A header's last word then SKP SKP, SKP SKP then HPSTART's first two symbols (a stream two symbols off the
        // partner's words), a K28.1-valued data byte, a word without a word (valid low).
        let words = [
            (0x4433_2211, 0b0000, true),
            (0x3C3C_6655, 0b1100, true),
            (0xFBFB_3C3C, 0b1111, true),
            (0x0000_003C, 0b0000, true),
            (0x3C3C_3C3C, 0b1111, false),
        ];
        let got = run(&words);
        assert_eq!(
            got,
            vec![
                (0x4433_2211, 0b0000, true, 0b0000),
                (0x0000_6655, 0b0000, true, 0b1100),
                (0xFBFB_0000, 0b1100, true, 0b0011),
                (0x0000_003C, 0b0000, true, 0b0000),
                (0x0000_0000, 0b0000, false, 0b0000),
            ]
        );
    }
}
