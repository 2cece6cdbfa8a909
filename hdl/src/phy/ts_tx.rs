//! Training-set transmitter (spec 6.4.1.2): TS1, TS2 or TSEQ back to back, one PIPE word per cycle, byte 0
//! first (the layouts are `usb3_spec::ordered_sets`, which the tests hold this block to).
//!
//! - `kind` (0 TS1, 1 TS2, 2 TSEQ) and `link_func` (TS1 / TS2 symbol 5: Reset, Loopback, Disable Scrambling) are
//!   taken at the start of each set, so a set is never mixed; a change takes effect at the next set.
//! - With `send` low the block sends logical idle (D0.0) once the set in progress is finished.
//! - `set_end` pulses with the last word of every set on the output: the LTSSM counts sets sent from it (16 TS2
//!   after the first received, 65,536 TSEQ in Polling.RxEQ).
//! - Training sets go out clear: the scrambler after this block runs with `enable` low (its LFSR still
//!   advances). SKP ordered sets are the SKP inserter's business, between sets, never inside a TSEQ.
//!
//! - `advance` low holds everything, the word on the output included (the SKP inserter after this block is
//!   sending SKPs); `set_start` marks a set's first word (where SKPs may go before it).
//!
//! A TS1 / TS2 is 4 words, a TSEQ 8. Output registered.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TsTx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The word on the output is taken (low: hold).
    pub advance: Signal<In, Bit>,
    /// Send training sets (low: logical idle after the set in progress).
    pub send: Signal<In, Bit>,
    /// 0 TS1, 1 TS2, 2 TSEQ.
    pub kind: Signal<In, Bits<2>>,
    /// TS1 / TS2 symbol 5.
    pub link_func: Signal<In, Bits<8>>,
    pub data: Signal<Out, Bits<32>>,
    pub k: Signal<Out, Bits<4>>,
    /// Pulses with the last word of a set.
    pub set_end: Signal<Out, Bit>,
    /// The word on the output is the first of a set; it belongs to a set (not idle).
    pub set_start: Signal<Out, Bit>,
    pub in_set: Signal<Out, Bit>,
    /// A set is in progress (its next word is not the first).
    busy: DFF<Bit>,
    word: DFF<Bits<3>>,
    cur_kind: DFF<Bits<2>>,
    cur_func: DFF<Bits<8>>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    o_end: DFF<Bit>,
    o_start: DFF<Bit>,
    o_in: DFF<Bit>,
    /// The set and word going out this cycle.
    kind_now: Signal<Local, Bits<2>>,
    func_now: Signal<Local, Bits<8>>,
    last: Signal<Local, Bit>,
}

impl Logic for TsTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, busy, word, cur_kind, cur_func, o_data, o_k, o_end, o_start, o_in);
        // A new set takes the inputs; a set in progress keeps its own.
        self.kind_now.next = self.cur_kind.q.val();
        self.func_now.next = self.cur_func.q.val();
        if !self.busy.q.val() {
            self.kind_now.next = self.kind.val();
            self.func_now.next = self.link_func.val();
        }
        self.last.next = self.word.q.val() == 3;
        if self.kind_now.val() == 2 {
            self.last.next = self.word.q.val() == 7;
        }
        if self.advance.val() {
            self.o_end.d.next = false;
            self.o_start.d.next = false;
            self.o_in.d.next = false;
            self.o_data.d.next = 0.into();
            self.o_k.d.next = 0.into();
            if self.busy.q.val() | self.send.val() {
                self.cur_kind.d.next = self.kind_now.val();
                self.cur_func.d.next = self.func_now.val();
                self.busy.d.next = !self.last.val();
                self.word.d.next = self.word.q.val() + 1;
                self.o_start.d.next = self.word.q.val() == 0;
                self.o_in.d.next = true;
                if self.last.val() {
                    self.word.d.next = 0.into();
                    self.o_end.d.next = true;
                }
                if self.kind_now.val() == 2 {
                    // TSEQ: COM FF 17 C0 | 14 B2 E7 02 | 82 72 6E 28 | A6 BE 6D BF | D10.2 x 16.
                    self.o_data.d.next = bits::<32>(0x4A4A_4A4A);
                    if self.word.q.val() == 0 {
                        self.o_data.d.next = bits::<32>(0xC017_FFBC_u64);
                        self.o_k.d.next = bits::<4>(1);
                    }
                    if self.word.q.val() == 1 {
                        self.o_data.d.next = bits::<32>(0x02E7_B214);
                    }
                    if self.word.q.val() == 2 {
                        self.o_data.d.next = bits::<32>(0x286E_7282);
                    }
                    if self.word.q.val() == 3 {
                        self.o_data.d.next = bits::<32>(0xBF6D_BEA6_u64);
                    }
                } else {
                    // TS1 (D10.2) / TS2 (D5.2): COM x 4 | D0.0, link functionality, body x 2 | body x 4 | body x 4.
                    self.o_data.d.next = bits::<32>(0x4A4A_4A4A);
                    if self.kind_now.val() == 1 {
                        self.o_data.d.next = bits::<32>(0x4545_4545);
                    }
                    if self.word.q.val() == 0 {
                        self.o_data.d.next = bits::<32>(0xBCBC_BCBC_u64);
                        self.o_k.d.next = bits::<4>(15);
                    }
                    if self.word.q.val() == 1 {
                        self.o_data.d.next =
                            bits::<32>(0x4A4A_0000) | (bit_cast::<32, 8>(self.func_now.val()) << 8);
                        if self.kind_now.val() == 1 {
                            self.o_data.d.next = bits::<32>(0x4545_0000)
                                | (bit_cast::<32, 8>(self.func_now.val()) << 8);
                        }
                    }
                }
            }
        }
        self.data.next = self.o_data.q.val();
        self.k.next = self.o_k.q.val();
        self.set_end.next = self.o_end.q.val();
        self.set_start.next = self.o_start.q.val();
        self.in_set.next = self.o_in.q.val();
        if self.reset.val() {
            self.busy.d.next = false;
            self.word.d.next = 0.into();
            self.cur_kind.d.next = 0.into();
            self.cur_func.d.next = 0.into();
            self.o_data.d.next = 0.into();
            self.o_k.d.next = 0.into();
            self.o_end.d.next = false;
            self.o_start.d.next = false;
            self.o_in.d.next = false;
        }
    }
}
