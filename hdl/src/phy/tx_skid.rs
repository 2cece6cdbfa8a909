//! A two-word skid buffer between the link layer's transmitter and the physical layer: the registered handshake
//! that keeps the SKP inserter's same-cycle "not this word" out of the link layer's logic.
//!
//! Without it the physical layer's `link_tx_ready` (a SKP goes out instead of the word) holds the link layer's
//! framer in the same cycle, and through it the payload pull and the endpoint's block RAM address: one long
//! combinational chain across both layers (it set the device top's Fmax). Here the link layer advances on
//! `in_ready`, a register: high while the buffer will have room for the word it presents. The physical layer
//! takes the head word (`pop`); a word a SKP displaced waits in the second slot. One cycle of latency.
//!
//! After the reset the buffer fills with the link layer's first word and never empties again: the link layer
//! presents a word (idle or a packet's) every cycle it advances, and it advances whenever a word has left.
//! While empty the head is logical idle at a boundary.

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct TxSkid {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// The link layer's word, taken at the end of every cycle `in_ready` is high.
    pub in_data: Signal<In, Bits<32>>,
    pub in_k: Signal<In, Bits<4>>,
    pub in_boundary: Signal<In, Bit>,
    /// Registered: the link layer may advance (its word is taken this cycle).
    pub in_ready: Signal<Out, Bit>,
    /// The head word, for the physical layer; `pop` takes it (ignored while empty).
    pub out_data: Signal<Out, Bits<32>>,
    pub out_k: Signal<Out, Bits<4>>,
    pub out_boundary: Signal<Out, Bit>,
    pub pop: Signal<In, Bit>,
    d0: DFF<Bits<32>>,
    k0: DFF<Bits<4>>,
    b0: DFF<Bit>,
    d1: DFF<Bits<32>>,
    k1: DFF<Bits<4>>,
    b1: DFF<Bit>,
    count: DFF<Bits<2>>,
    ready: DFF<Bit>,
    take: Signal<Local, Bit>,
    count_next: Signal<Local, Bits<2>>,
}

impl Logic for TxSkid {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, d0, k0, b0, d1, k1, b1, count, ready);
        self.take.next = self.pop.val() & (self.count.q.val() != 0);
        self.out_data.next = self.d0.q.val();
        self.out_k.next = self.k0.q.val();
        self.out_boundary.next = self.b0.q.val() | (self.count.q.val() == 0);
        self.in_ready.next = self.ready.q.val();
        self.count_next.next = self.count.q.val();
        if self.ready.q.val() & !self.take.val() {
            self.count_next.next = self.count.q.val() + 1;
        }
        if !self.ready.q.val() & self.take.val() {
            self.count_next.next = self.count.q.val() - 1;
        }
        self.count.d.next = self.count_next.val();
        // Room for the next cycle's word: at most one held after this cycle.
        self.ready.d.next = self.count_next.val() < 2;
        // Slot 0 is the head: after a pop it takes slot 1 (or the new word when slot 1 is empty).
        if self.take.val() {
            self.d0.d.next = self.d1.q.val();
            self.k0.d.next = self.k1.q.val();
            self.b0.d.next = self.b1.q.val();
        }
        // The incoming word goes to the first free slot after this cycle's pop.
        if self.ready.q.val() {
            if (self.count.q.val() == 0) | ((self.count.q.val() == 1) & self.take.val()) {
                self.d0.d.next = self.in_data.val();
                self.k0.d.next = self.in_k.val();
                self.b0.d.next = self.in_boundary.val();
            } else {
                self.d1.d.next = self.in_data.val();
                self.k1.d.next = self.in_k.val();
                self.b1.d.next = self.in_boundary.val();
            }
        }
        if self.reset.val() {
            self.d0.d.next = 0.into();
            self.k0.d.next = 0.into();
            self.b0.d.next = true;
            self.d1.d.next = 0.into();
            self.k1.d.next = 0.into();
            self.b1.d.next = true;
            self.count.d.next = 0.into();
            self.ready.d.next = true;
        }
    }
}
