//! Training-set receiver (spec 6.4.1.2, 7.5.4 / 7.5.10): finds TS1 and TS2 ordered sets in the received words,
//! at any byte lane, and counts consecutive identical ones for the LTSSM.
//!
//! - Input: the words after SKP removal (`skp_remove`), byte 0 first, `valid` low for a gap. Training sets are
//!   sent clear, so this block sits before the descrambler. The PHY aligns symbols, not sets: a set may start at
//!   any of the four lanes, and the elastic buffer may shift that alignment by adding or removing SKPs. A set
//!   starts where four COMs follow a symbol that is not COM; the block locks to that lane and reads the set's
//!   next three words there.
//! - A set is accepted when symbols 4..15 are data (no K) and symbols 6..15 are all the same identifier: D10.2
//!   (TS1), D5.2 (TS2), or the same as an inverted receive pair shows them, D21.5 / D26.5. Symbol 4 is not
//!   checked (reserved); symbol 5 is the link functionality. Anything else where a set's word is expected breaks
//!   the set, and a set that breaks is not counted.
//! - Per accepted set, one cycle of `set_seen` with `set_kind` (0 TS1, 1 TS2), `set_func` (symbol 5), `inverted`
//!   (the body was D21.5 / D26.5: the LTSSM sets RxPolarity) and `run`: how many consecutive identical sets (same
//!   kind, link functionality and polarity) ended with this one, saturating at 15. A broken set, or a word that is
//!   neither a set nor a set's start where one is expected (logical idle, a packet, a TSEQ), sets `run` to 0;
//!   so does a set that does not start right where the last one ended. SKPs between sets do not break a run: they
//!   are gone before this block, which sees the sets back to back.
//!
//! Outputs registered: `set_seen` comes the cycle after the set's last word arrived (or two, when the set is
//! read one word late because it started in the previous word).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TsRx {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// Received word (byte 0 first), its K flags, and whether there is one this cycle.
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub valid: Signal<In, Bit>,
    /// One cycle per accepted set.
    pub set_seen: Signal<Out, Bit>,
    /// 0 TS1, 1 TS2 (of the last accepted set).
    pub set_kind: Signal<Out, Bit>,
    pub set_func: Signal<Out, Bits<8>>,
    pub inverted: Signal<Out, Bit>,
    /// Consecutive identical sets, saturating at 15; 0 after a break.
    pub run: Signal<Out, Bits<4>>,
    /// The previous valid word.
    prev_data: DFF<Bits<32>>,
    prev_k: DFF<Bits<4>>,
    /// Locked to a set: the lane offset (1..4 symbols into the previous word) and the next word of the set (1..3).
    locked: DFF<Bit>,
    off: DFF<Bits<3>>,
    /// `off` one-hot (bit 0: offset 4 or none, bits 1..3: offsets 1..3): the word's selection as an AND-OR, not
    /// a chain of multiplexers (it starts the block's longest path).
    sel: DFF<Bits<4>>,
    phase: DFF<Bits<2>>,
    /// The set being read: its identifier byte and link functionality.
    cur_id: DFF<Bits<8>>,
    cur_func: DFF<Bits<8>>,
    o_seen: DFF<Bit>,
    o_kind: DFF<Bit>,
    o_func: DFF<Bits<8>>,
    o_inv: DFF<Bit>,
    o_run: DFF<Bits<4>>,
    /// The eight symbols of the previous and this word, and which of them are COM.
    win: Signal<Local, Bits<64>>,
    win_k: Signal<Local, Bits<8>>,
    com: Signal<Local, Bits<8>>,
    /// A set starts at symbol 1, 2, 3 or 4 of the window (the lowest set bit wins; there is at most one).
    start: Signal<Local, Bits<3>>,
    /// The word at the locked offset.
    a: Signal<Local, Bits<32>>,
    a_k: Signal<Local, Bits<4>>,
    /// The set's identifier (from word 1) and whether the word at the offset is the expected part of the set.
    id_now: Signal<Local, Bits<8>>,
    id_ok: Signal<Local, Bit>,
    body_ok: Signal<Local, Bit>,
    done_kind: Signal<Local, Bit>,
    done_inv: Signal<Local, Bit>,
}

impl Logic for TsRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, prev_data, prev_k, locked, off, sel, phase, cur_id, cur_func, o_seen,
            o_kind, o_func, o_inv, o_run
        );
        self.win.next = bit_cast::<64, 32>(self.prev_data.q.val())
            | (bit_cast::<64, 32>(self.data.val()) << 32);
        self.win_k.next =
            bit_cast::<8, 4>(self.prev_k.q.val()) | (bit_cast::<8, 4>(self.k.val()) << 4);
        // COM: K28.5.
        self.com.next = 0.into();
        if self.win_k.val().get_bit(0) & (self.win.val().get_bits::<8>(0) == 0xBC) {
            self.com.next = self.com.val() | 1;
        }
        if self.win_k.val().get_bit(1) & (self.win.val().get_bits::<8>(8) == 0xBC) {
            self.com.next = self.com.val() | 2;
        }
        if self.win_k.val().get_bit(2) & (self.win.val().get_bits::<8>(16) == 0xBC) {
            self.com.next = self.com.val() | 4;
        }
        if self.win_k.val().get_bit(3) & (self.win.val().get_bits::<8>(24) == 0xBC) {
            self.com.next = self.com.val() | 8;
        }
        if self.win_k.val().get_bit(4) & (self.win.val().get_bits::<8>(32) == 0xBC) {
            self.com.next = self.com.val() | 16;
        }
        if self.win_k.val().get_bit(5) & (self.win.val().get_bits::<8>(40) == 0xBC) {
            self.com.next = self.com.val() | 32;
        }
        if self.win_k.val().get_bit(6) & (self.win.val().get_bits::<8>(48) == 0xBC) {
            self.com.next = self.com.val() | 64;
        }
        if self.win_k.val().get_bit(7) & (self.win.val().get_bits::<8>(56) == 0xBC) {
            self.com.next = self.com.val() | 128;
        }
        // Four COMs after a symbol that is not COM.
        self.start.next = 0.into();
        if self.com.val().get_bits::<5>(3) == 0x1E {
            self.start.next = 4.into();
        }
        if self.com.val().get_bits::<5>(2) == 0x1E {
            self.start.next = 3.into();
        }
        if self.com.val().get_bits::<5>(1) == 0x1E {
            self.start.next = 2.into();
        }
        if self.com.val().get_bits::<5>(0) == 0x1E {
            self.start.next = 1.into();
        }
        // The word at the locked offset (one-hot select).
        self.a.next = 0.into();
        self.a_k.next = 0.into();
        if self.sel.q.val().get_bit(0) {
            self.a.next = self.a.val() | self.win.val().get_bits::<32>(32);
            self.a_k.next = self.a_k.val() | self.win_k.val().get_bits::<4>(4);
        }
        if self.sel.q.val().get_bit(1) {
            self.a.next = self.a.val() | self.win.val().get_bits::<32>(8);
            self.a_k.next = self.a_k.val() | self.win_k.val().get_bits::<4>(1);
        }
        if self.sel.q.val().get_bit(2) {
            self.a.next = self.a.val() | self.win.val().get_bits::<32>(16);
            self.a_k.next = self.a_k.val() | self.win_k.val().get_bits::<4>(2);
        }
        if self.sel.q.val().get_bit(3) {
            self.a.next = self.a.val() | self.win.val().get_bits::<32>(24);
            self.a_k.next = self.a_k.val() | self.win_k.val().get_bits::<4>(3);
        }
        // Word 1 brings the identifier (its lane 3); words 2 and 3 must repeat it four times.
        self.id_now.next = self.cur_id.q.val();
        if self.phase.q.val() == 1 {
            self.id_now.next = self.a.val().get_bits::<8>(24);
        }
        self.id_ok.next = (self.id_now.val() == 0x4A)
            | (self.id_now.val() == 0x45)
            | (self.id_now.val() == 0xB5)
            | (self.id_now.val() == 0xBA);
        self.body_ok.next = self.locked.q.val()
            & (self.phase.q.val() != 0)
            & (self.a_k.val() == 0)
            & self.id_ok.val()
            & (self.a.val().get_bits::<8>(24) == self.id_now.val())
            & (self.a.val().get_bits::<8>(16) == self.id_now.val());
        if self.phase.q.val() != 1 {
            self.body_ok.next = self.body_ok.val()
                & (self.a.val().get_bits::<8>(8) == self.id_now.val())
                & (self.a.val().get_bits::<8>(0) == self.id_now.val());
        }
        self.done_kind.next = (self.cur_id.q.val() == 0x45) | (self.cur_id.q.val() == 0xBA);
        self.done_inv.next = (self.cur_id.q.val() == 0xB5) | (self.cur_id.q.val() == 0xBA);

        self.o_seen.d.next = false;
        if self.valid.val() {
            self.prev_data.d.next = self.data.val();
            self.prev_k.d.next = self.k.val();
            if self.body_ok.val() {
                self.phase.d.next = self.phase.q.val() + 1;
                if self.phase.q.val() == 1 {
                    self.cur_id.d.next = self.id_now.val();
                    self.cur_func.d.next = self.a.val().get_bits::<8>(8);
                }
                if self.phase.q.val() == 3 {
                    self.phase.d.next = 0.into();
                    self.o_seen.d.next = true;
                    self.o_kind.d.next = self.done_kind.val();
                    self.o_func.d.next = self.cur_func.q.val();
                    self.o_inv.d.next = self.done_inv.val();
                    self.o_run.d.next = 1.into();
                    if (self.o_run.q.val() != 0)
                        & (self.o_kind.q.val() == self.done_kind.val())
                        & (self.o_func.q.val() == self.cur_func.q.val())
                        & (self.o_inv.q.val() == self.done_inv.val())
                    {
                        self.o_run.d.next = self.o_run.q.val() + 1;
                        if self.o_run.q.val() == 15 {
                            self.o_run.d.next = 15.into();
                        }
                    }
                }
            } else {
                // Not the expected word: a set starting here, or nothing we know. A run goes on only when the
                // next set starts right where the last one ended.
                self.o_run.d.next = 0.into();
                if self.start.val() != 0 {
                    self.locked.d.next = true;
                    self.off.d.next = self.start.val();
                    self.sel.d.next = 1.into();
                    if self.start.val() == 1 {
                        self.sel.d.next = 2.into();
                    }
                    if self.start.val() == 2 {
                        self.sel.d.next = 4.into();
                    }
                    if self.start.val() == 3 {
                        self.sel.d.next = 8.into();
                    }
                    self.phase.d.next = 1.into();
                    if self.locked.q.val()
                        & (self.phase.q.val() == 0)
                        & (self.start.val() == self.off.q.val())
                    {
                        self.o_run.d.next = self.o_run.q.val();
                    }
                } else {
                    self.locked.d.next = false;
                    self.phase.d.next = 0.into();
                }
            }
        }
        self.set_seen.next = self.o_seen.q.val();
        self.set_kind.next = self.o_kind.q.val();
        self.set_func.next = self.o_func.q.val();
        self.inverted.next = self.o_inv.q.val();
        self.run.next = self.o_run.q.val();
        if self.reset.val() {
            self.prev_data.d.next = 0.into();
            self.prev_k.d.next = 0.into();
            self.locked.d.next = false;
            self.off.d.next = 0.into();
            self.sel.d.next = 1.into();
            self.phase.d.next = 0.into();
            self.cur_id.d.next = 0.into();
            self.cur_func.d.next = 0.into();
            self.o_seen.d.next = false;
            self.o_kind.d.next = false;
            self.o_func.d.next = 0.into();
            self.o_inv.d.next = false;
            self.o_run.d.next = 0.into();
        }
    }
}
