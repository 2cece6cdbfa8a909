//! SKP removal on receive (spec 6.4.3): the PHY's elastic buffer adds or removes whole SKP ordered sets to match
//! the two ends' clocks; whatever SKP symbols reach the MAC are stripped here, at any byte lane, before the
//! descrambler sees the word (SKPs do not advance the LFSR, so removing them first changes nothing there) and
//! before the link layer's aligner.
//!
//! The remaining symbols are packed back into whole words in arrival order: a word with k SKPs leaves 4 - k
//! symbols, which wait in a buffer of up to 3 symbols until 4 are there, so the output has a gap (`out_valid` low)
//! whenever the SKPs removed so far add up to another word. A word with `valid` low carries nothing. Nothing is
//! lost, duplicated or reordered (`hdl/tests/skp_remove.rs`). Output registered: one cycle of latency, plus the
//! symbols held back.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct SkpRemove {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The word from the PHY (byte 0 first) and its K flags; `valid` low: no word this cycle.
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub valid: Signal<In, Bit>,
    /// Whole words without SKP symbols.
    pub out_data: Signal<Out, Bits<32>>,
    pub out_k: Signal<Out, Bits<4>>,
    pub out_valid: Signal<Out, Bit>,
    /// Symbols held back (0..3), for status.
    pub held: Signal<Out, Bits<2>>,
    buf_data: DFF<Bits<32>>,
    buf_k: DFF<Bits<4>>,
    count: DFF<Bits<3>>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    o_valid: DFF<Bit>,
    /// Lanes kept (a valid word's non-SKP symbols), and each kept lane's slot among them.
    keep: Signal<Local, Bits<4>>,
    pos1: Signal<Local, Bits<3>>,
    pos2: Signal<Local, Bits<3>>,
    pos3: Signal<Local, Bits<3>>,
    n_in: Signal<Local, Bits<3>>,
    /// The kept symbols packed from slot 0 up.
    slots: Signal<Local, Bits<32>>,
    slots_k: Signal<Local, Bits<4>>,
    /// Held symbols, then the packed ones after them.
    all: Signal<Local, Bits<64>>,
    all_k: Signal<Local, Bits<8>>,
    total: Signal<Local, Bits<3>>,
}

impl Logic for SkpRemove {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, buf_data, buf_k, count, o_data, o_k, o_valid);
        // A lane is kept unless it is SKP (K28.1, 0x3C).
        self.keep.next = 0.into();
        if self.valid.val() {
            self.keep.next = bits::<4>(15);
            if self.k.val().get_bit(0) & (self.data.val().get_bits::<8>(0) == 0x3C) {
                self.keep.next = self.keep.val() & bits::<4>(14);
            }
            if self.k.val().get_bit(1) & (self.data.val().get_bits::<8>(8) == 0x3C) {
                self.keep.next = self.keep.val() & bits::<4>(13);
            }
            if self.k.val().get_bit(2) & (self.data.val().get_bits::<8>(16) == 0x3C) {
                self.keep.next = self.keep.val() & bits::<4>(11);
            }
            if self.k.val().get_bit(3) & (self.data.val().get_bits::<8>(24) == 0x3C) {
                self.keep.next = self.keep.val() & bits::<4>(7);
            }
        }
        self.pos1.next = bit_cast::<3, 1>(self.keep.val().get_bits::<1>(0));
        self.pos2.next = self.pos1.val() + bit_cast::<3, 1>(self.keep.val().get_bits::<1>(1));
        self.pos3.next = self.pos2.val() + bit_cast::<3, 1>(self.keep.val().get_bits::<1>(2));
        self.n_in.next = self.pos3.val() + bit_cast::<3, 1>(self.keep.val().get_bits::<1>(3));
        // Pack: lane i goes to slot pos_i (lane 0 to slot 0) when kept.
        self.slots.next = 0.into();
        self.slots_k.next = 0.into();
        if self.keep.val().get_bit(0) {
            self.slots.next = bit_cast::<32, 8>(self.data.val().get_bits::<8>(0));
            self.slots_k.next = bit_cast::<4, 1>(self.k.val().get_bits::<1>(0));
        }
        if self.keep.val().get_bit(1) {
            if self.pos1.val() == 0 {
                self.slots.next =
                    self.slots.val() | bit_cast::<32, 8>(self.data.val().get_bits::<8>(8));
                self.slots_k.next =
                    self.slots_k.val() | bit_cast::<4, 1>(self.k.val().get_bits::<1>(1));
            } else {
                self.slots.next =
                    self.slots.val() | (bit_cast::<32, 8>(self.data.val().get_bits::<8>(8)) << 8);
                self.slots_k.next =
                    self.slots_k.val() | (bit_cast::<4, 1>(self.k.val().get_bits::<1>(1)) << 1);
            }
        }
        if self.keep.val().get_bit(2) {
            if self.pos2.val() == 0 {
                self.slots.next =
                    self.slots.val() | bit_cast::<32, 8>(self.data.val().get_bits::<8>(16));
                self.slots_k.next =
                    self.slots_k.val() | bit_cast::<4, 1>(self.k.val().get_bits::<1>(2));
            }
            if self.pos2.val() == 1 {
                self.slots.next =
                    self.slots.val() | (bit_cast::<32, 8>(self.data.val().get_bits::<8>(16)) << 8);
                self.slots_k.next =
                    self.slots_k.val() | (bit_cast::<4, 1>(self.k.val().get_bits::<1>(2)) << 1);
            }
            if self.pos2.val() == 2 {
                self.slots.next =
                    self.slots.val() | (bit_cast::<32, 8>(self.data.val().get_bits::<8>(16)) << 16);
                self.slots_k.next =
                    self.slots_k.val() | (bit_cast::<4, 1>(self.k.val().get_bits::<1>(2)) << 2);
            }
        }
        if self.keep.val().get_bit(3) {
            if self.pos3.val() == 0 {
                self.slots.next =
                    self.slots.val() | bit_cast::<32, 8>(self.data.val().get_bits::<8>(24));
                self.slots_k.next =
                    self.slots_k.val() | bit_cast::<4, 1>(self.k.val().get_bits::<1>(3));
            }
            if self.pos3.val() == 1 {
                self.slots.next =
                    self.slots.val() | (bit_cast::<32, 8>(self.data.val().get_bits::<8>(24)) << 8);
                self.slots_k.next =
                    self.slots_k.val() | (bit_cast::<4, 1>(self.k.val().get_bits::<1>(3)) << 1);
            }
            if self.pos3.val() == 2 {
                self.slots.next =
                    self.slots.val() | (bit_cast::<32, 8>(self.data.val().get_bits::<8>(24)) << 16);
                self.slots_k.next =
                    self.slots_k.val() | (bit_cast::<4, 1>(self.k.val().get_bits::<1>(3)) << 2);
            }
            if self.pos3.val() == 3 {
                self.slots.next =
                    self.slots.val() | (bit_cast::<32, 8>(self.data.val().get_bits::<8>(24)) << 24);
                self.slots_k.next =
                    self.slots_k.val() | (bit_cast::<4, 1>(self.k.val().get_bits::<1>(3)) << 3);
            }
        }
        // Held symbols first, the packed ones after them.
        self.all.next =
            bit_cast::<64, 32>(self.buf_data.q.val()) | bit_cast::<64, 32>(self.slots.val());
        self.all_k.next =
            bit_cast::<8, 4>(self.buf_k.q.val()) | bit_cast::<8, 4>(self.slots_k.val());
        if self.count.q.val() == 1 {
            self.all.next = bit_cast::<64, 32>(self.buf_data.q.val())
                | (bit_cast::<64, 32>(self.slots.val()) << 8);
            self.all_k.next =
                bit_cast::<8, 4>(self.buf_k.q.val()) | (bit_cast::<8, 4>(self.slots_k.val()) << 1);
        }
        if self.count.q.val() == 2 {
            self.all.next = bit_cast::<64, 32>(self.buf_data.q.val())
                | (bit_cast::<64, 32>(self.slots.val()) << 16);
            self.all_k.next =
                bit_cast::<8, 4>(self.buf_k.q.val()) | (bit_cast::<8, 4>(self.slots_k.val()) << 2);
        }
        if self.count.q.val() == 3 {
            self.all.next = bit_cast::<64, 32>(self.buf_data.q.val())
                | (bit_cast::<64, 32>(self.slots.val()) << 24);
            self.all_k.next =
                bit_cast::<8, 4>(self.buf_k.q.val()) | (bit_cast::<8, 4>(self.slots_k.val()) << 3);
        }
        self.total.next = self.count.q.val() + self.n_in.val();
        // Four or more: a whole word out, the rest held; fewer: all held.
        self.o_valid.d.next = false;
        self.buf_data.d.next = self.all.val().get_bits::<32>(0);
        self.buf_k.d.next = self.all_k.val().get_bits::<4>(0);
        self.count.d.next = self.total.val();
        if self.total.val().get_bit(2) {
            self.o_valid.d.next = true;
            self.o_data.d.next = self.all.val().get_bits::<32>(0);
            self.o_k.d.next = self.all_k.val().get_bits::<4>(0);
            self.buf_data.d.next = self.all.val().get_bits::<32>(32);
            self.buf_k.d.next = self.all_k.val().get_bits::<4>(4);
            self.count.d.next = self.total.val() - 4;
        }
        self.out_data.next = self.o_data.q.val();
        self.out_k.next = self.o_k.q.val();
        self.out_valid.next = self.o_valid.q.val();
        self.held.next = self.count.q.val().get_bits::<2>(0);
        if self.reset.val() {
            self.count.d.next = 0.into();
            self.buf_data.d.next = 0.into();
            self.buf_k.d.next = 0.into();
            self.o_valid.d.next = false;
            self.o_data.d.next = 0.into();
            self.o_k.d.next = 0.into();
        }
    }
}
