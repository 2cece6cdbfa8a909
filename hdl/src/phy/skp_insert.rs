//! SKP insertion on transmit (spec 6.4.3): on average one SKP ordered set (2 SKP symbols) per 354 symbols, the
//! remainder carried, never inside a packet, at most 4 sets held back.
//!
//! - The block counts the symbols it sends (`count`, SKPs not counted). Once 708 are owed (two sets), it sends a
//!   word of two SKP ordered sets (4 SKP symbols: the word alignment is kept) before the next word that may be
//!   preceded by one (`boundary`: logical idle, the start of a header packet, a link command or a training set;
//!   never the DPP that follows its DPH, never inside a packet or a TSEQ), and takes 708 off the count.
//! - While it sends SKPs, `ready` is low: the source holds its word for the next cycle (`ready` depends on the
//!   offered word's `boundary` and on registered state only).
//! - The longest stretch without a boundary is a DPH and its 1024-byte DPP, 1056 symbols: 707 + 1056 = 1763
//!   symbols owed at most, 4 sets (floor(1763 / 354)), which the block then sends back to back: never more than
//!   4 held back. (The tests check this bound on random streams.)
//!
//! - `quiet` high (electrical idle, LFPS, the TSEQs of Polling.RxEQ, which carry no SKP): nothing is counted
//!   or inserted, and nothing stays owed: the count starts again from 0 when the training sets begin.
//!
//! Output registered.

use rust_hdl::prelude::*;

/// Symbols owed before a pair of SKP ordered sets is sent.
pub const SYMBOLS_PER_PAIR: u64 = 708;

#[derive(LogicBlock, Default)]
pub struct SkpInsert {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The source's word (one every cycle `ready` is high), and whether SKPs may go before it.
    pub data: Signal<In, Bits<32>>,
    pub k: Signal<In, Bits<4>>,
    pub boundary: Signal<In, Bit>,
    /// No counting, no SKPs, nothing owed.
    pub quiet: Signal<In, Bit>,
    /// The source's word is taken this cycle.
    pub ready: Signal<Out, Bit>,
    pub out_data: Signal<Out, Bits<32>>,
    pub out_k: Signal<Out, Bits<4>>,
    /// Symbols sent since the last SKPs, less 708 per pair sent (status: sets owed = count / 354).
    pub count: Signal<Out, Bits<12>>,
    owed: DFF<Bits<12>>,
    /// 708 or more owed (registered).
    due: DFF<Bit>,
    o_data: DFF<Bits<32>>,
    o_k: DFF<Bits<4>>,
    send_skp: Signal<Local, Bit>,
    owed_next: Signal<Local, Bits<12>>,
}

impl Logic for SkpInsert {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, owed, due, o_data, o_k);
        self.send_skp.next = self.due.q.val() & self.boundary.val() & !self.quiet.val();
        self.ready.next = !self.send_skp.val();
        self.owed_next.next = self.owed.q.val() + 4;
        self.o_data.d.next = self.data.val();
        self.o_k.d.next = self.k.val();
        if self.send_skp.val() {
            // Two SKP ordered sets: SKP (K28.1, 0x3C) in every lane.
            self.o_data.d.next = bits::<32>(0x3C3C_3C3C);
            self.o_k.d.next = bits::<4>(15);
            self.owed_next.next = self.owed.q.val() - 708;
        }
        if self.quiet.val() {
            self.owed_next.next = 0.into();
        }
        self.owed.d.next = self.owed_next.val();
        self.due.d.next = self.owed_next.val() >= 708;
        self.out_data.next = self.o_data.q.val();
        self.out_k.next = self.o_k.q.val();
        self.count.next = self.owed.q.val();
        if self.reset.val() {
            self.owed.d.next = 0.into();
            self.due.d.next = false;
            self.o_data.d.next = 0.into();
            self.o_k.d.next = 0.into();
        }
    }
}
