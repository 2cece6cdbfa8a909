//! Receive-side header flow control (spec 7.2.4.1): header sequence check, four receive header buffers,
//! LGOOD_n / LBAD generation, LCRD_x on buffer release, and the U0-entry advertisement.
//!
//! - A good header with HSN == RxHSN and a free buffer is stored; LGOOD_HSN is requested; RxHSN advances.
//! - A bad header (CRC-5, CRC-16, K-symbol, cut short): one LBAD, then headers are ignored until LRTY.
//!   Three bad headers in a row: Recovery.
//! - A good header with the wrong HSN, or with no free buffer (the partner overran its credits): Recovery;
//!   the header is dropped.
//! - The protocol layer pops the oldest header (`pop`); the freed buffer is advertised with the next LCRD
//!   letter (A, B, C, D, A, ...).
//! - On U0 entry: LGOOD_(RxHSN-1) then one LCRD per free buffer, letters from A (after Hot Reset RxHSN is 0
//!   and the buffers are flushed, so LGOOD_7 + LCRD_A..D). (The LCRD letter restarting at A after Recovery is
//!   the project's reading: unverified against the spec text.)
//!
//! LGOOD bookkeeping: `lgood_next` is the HSN of the next LGOOD to send; LGOODs are pending while it differs
//! from RxHSN. The advertisement is just `lgood_next := RxHSN - 1`.

use rust_hdl::prelude::*;

/// Recovery causes reported by the link layer (`recovery_cause`).
pub mod cause {
    pub const RX_HSN: u64 = 1;
    pub const RX_OVERRUN: u64 = 2;
    pub const RX_BAD_RUN: u64 = 3;
    pub const TX_LGOOD_SEQ: u64 = 4;
    pub const TX_LCRD_SEQ: u64 = 5;
    pub const TX_PENDING_HP: u64 = 6;
    pub const TX_CREDIT_HP: u64 = 7;
    pub const TX_BAD_ADVERTISEMENT: u64 = 8;
    /// No LAU / LXU within PM_LC_TIMER of the device's LGO_Ux (`link::lpm`).
    pub const PM_LC_TIMER: u64 = 9;
}

#[derive(LogicBlock, Default)]
pub struct RxFlow {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    /// Link entered U0 (pulse from the LTSSM, or its stand-in); with `hot_reset` after a Hot Reset.
    pub u0_entry: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    /// From `HeaderRx`.
    pub hdr_strobe: Signal<In, Bit>,
    pub hdr_ok: Signal<In, Bit>,
    pub hdr_hsn: Signal<In, Bits<3>>,
    pub hdr_deferred: Signal<In, Bit>,
    pub hdr_dw0: Signal<In, Bits<32>>,
    pub hdr_dw1: Signal<In, Bits<32>>,
    pub hdr_dw2: Signal<In, Bits<32>>,
    /// LRTY received.
    pub lrty: Signal<In, Bit>,
    /// Protocol layer takes the oldest header.
    pub pop: Signal<In, Bit>,
    pub head_valid: Signal<Out, Bit>,
    pub head_dw0: Signal<Out, Bits<32>>,
    pub head_dw1: Signal<Out, Bits<32>>,
    pub head_dw2: Signal<Out, Bits<32>>,
    /// A DPH was accepted this cycle (combinational, for `DppRx`), with its Data Length.
    pub dph_accept: Signal<Out, Bit>,
    pub dph_len: Signal<Out, Bits<16>>,
    /// Link command requests to the transmitter, and its acknowledgements.
    pub lgood_req: Signal<Out, Bit>,
    pub lgood_n: Signal<Out, Bits<3>>,
    pub lgood_sent: Signal<In, Bit>,
    pub lcrd_req: Signal<Out, Bit>,
    pub lcrd_n: Signal<Out, Bits<2>>,
    pub lcrd_sent: Signal<In, Bit>,
    pub lbad_req: Signal<Out, Bit>,
    pub lbad_sent: Signal<In, Bit>,
    /// A condition that sends the link to Recovery (pulse) and its cause.
    pub recovery: Signal<Out, Bit>,
    pub recovery_cause: Signal<Out, Bits<4>>,
    accept: Signal<Local, Bit>,
    popped: Signal<Local, Bit>,
    rx_hsn: DFF<Bits<3>>,
    lgood_next: DFF<Bits<3>>,
    lcrd_idx: DFF<Bits<2>>,
    lcrd_pend: DFF<Bits<3>>,
    lbad_pend: DFF<Bit>,
    ignore: DFF<Bit>,
    bad_run: DFF<Bits<2>>,
    count: DFF<Bits<3>>,
    wr: DFF<Bits<2>>,
    rd: DFF<Bits<2>>,
    o_rec: DFF<Bit>,
    o_cause: DFF<Bits<4>>,
    lgood_q: DFF<Bit>,
    lcrd_q: DFF<Bit>,
    lbad_q: DFF<Bit>,
    rd_p1: Signal<Local, Bits<2>>,
    to_head: Signal<Local, Bit>,
    h_stay0: Signal<Local, Bits<32>>,
    h_stay1: Signal<Local, Bits<32>>,
    h_stay2: Signal<Local, Bits<32>>,
    h_next0: Signal<Local, Bits<32>>,
    h_next1: Signal<Local, Bits<32>>,
    h_next2: Signal<Local, Bits<32>>,
    hq0: DFF<Bits<32>>,
    hq1: DFF<Bits<32>>,
    hq2: DFF<Bits<32>>,
    b0_0: DFF<Bits<32>>,
    b0_1: DFF<Bits<32>>,
    b0_2: DFF<Bits<32>>,
    b1_0: DFF<Bits<32>>,
    b1_1: DFF<Bits<32>>,
    b1_2: DFF<Bits<32>>,
    b2_0: DFF<Bits<32>>,
    b2_1: DFF<Bits<32>>,
    b2_2: DFF<Bits<32>>,
    b3_0: DFF<Bits<32>>,
    b3_1: DFF<Bits<32>>,
    b3_2: DFF<Bits<32>>,
}

impl Logic for RxFlow {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, rx_hsn, lgood_next, lcrd_idx, lcrd_pend, lbad_pend, ignore, bad_run,
            count, wr, rd, o_rec, o_cause, lgood_q, lcrd_q, lbad_q, hq0, hq1, hq2, b0_0, b0_1,
            b0_2, b1_0, b1_1, b1_2, b2_0, b2_1, b2_2, b3_0, b3_1, b3_2
        );
        self.accept.next = self.hdr_strobe.val()
            & self.hdr_ok.val()
            & !self.ignore.q.val()
            & (self.hdr_hsn.val() == self.rx_hsn.q.val())
            & (self.count.q.val() != 4);
        self.dph_accept.next = self.accept.val()
            & (self.hdr_dw0.val().get_bits::<5>(0) == 8)
            & !self.hdr_deferred.val();
        self.dph_len.next = self.hdr_dw1.val().get_bits::<16>(16);
        self.o_rec.d.next = false;
        // Headers in.
        if self.hdr_strobe.val() & !self.ignore.q.val() {
            if !self.hdr_ok.val() {
                self.lbad_pend.d.next = true;
                self.ignore.d.next = true;
                self.bad_run.d.next = self.bad_run.q.val() + 1;
                if self.bad_run.q.val() == 2 {
                    self.o_rec.d.next = true;
                    self.o_cause.d.next = bits::<4>(3) /* RX_BAD_RUN */;
                    self.bad_run.d.next = bits::<2>(0);
                }
            } else if self.hdr_hsn.val() != self.rx_hsn.q.val() {
                self.o_rec.d.next = true;
                self.o_cause.d.next = bits::<4>(1) /* RX_HSN */;
            } else if self.count.q.val() == 4 {
                self.o_rec.d.next = true;
                self.o_cause.d.next = bits::<4>(2) /* RX_OVERRUN */;
            } else {
                self.rx_hsn.d.next = self.rx_hsn.q.val() + 1;
                self.wr.d.next = self.wr.q.val() + 1;
                self.bad_run.d.next = bits::<2>(0);
            }
        }
        if self.accept.val() {
            match self.wr.q.val().index() {
                0 => {
                    self.b0_0.d.next = self.hdr_dw0.val();
                    self.b0_1.d.next = self.hdr_dw1.val();
                    self.b0_2.d.next = self.hdr_dw2.val();
                }
                1 => {
                    self.b1_0.d.next = self.hdr_dw0.val();
                    self.b1_1.d.next = self.hdr_dw1.val();
                    self.b1_2.d.next = self.hdr_dw2.val();
                }
                2 => {
                    self.b2_0.d.next = self.hdr_dw0.val();
                    self.b2_1.d.next = self.hdr_dw1.val();
                    self.b2_2.d.next = self.hdr_dw2.val();
                }
                _ => {
                    self.b3_0.d.next = self.hdr_dw0.val();
                    self.b3_1.d.next = self.hdr_dw1.val();
                    self.b3_2.d.next = self.hdr_dw2.val();
                }
            }
        }
        if self.lrty.val() {
            self.ignore.d.next = false;
        }
        // Occupancy: +1 on accept, -1 on pop. With the buffers empty, an accepted header is offered in its own
        // cycle (bypass); popped at once, it never occupies a buffer (its LCRD is still owed: the partner spent
        // a credit on it).
        self.head_valid.next = self.count.q.val().any() | self.accept.val();
        self.popped.next = self.pop.val() & self.head_valid.val();
        if self.accept.val() & !self.popped.val() {
            self.count.d.next = self.count.q.val() + 1;
        } else if !self.accept.val() & self.popped.val() {
            self.count.d.next = self.count.q.val() - 1;
        }
        // LCRD owed: +1 per popped header, -1 per LCRD sent.
        if self.popped.val() {
            self.rd.d.next = self.rd.q.val() + 1;
            if !self.lcrd_sent.val() {
                self.lcrd_pend.d.next = self.lcrd_pend.q.val() + 1;
            }
        } else if self.lcrd_sent.val() {
            self.lcrd_pend.d.next = self.lcrd_pend.q.val() - 1;
        }
        if self.lcrd_sent.val() {
            self.lcrd_idx.d.next = self.lcrd_idx.q.val() + 1;
        }
        if self.lgood_sent.val() {
            self.lgood_next.d.next = self.lgood_next.q.val() + 1;
        }
        if self.lbad_sent.val() {
            self.lbad_pend.d.next = false;
        }
        // The requests come from registers a cycle behind the counts (the framer decides from registers). A
        // request stays up for one cycle after its link command was chosen, while the framer is still sending
        // that command (two cycles each), so no command is sent twice; a new request is seen a cycle later.
        // No request in the U0-entry cycle: a link command chosen then would go out after the entry with the
        // numbering of before it (the advertisement restarts LGOOD and LCRD numbering).
        self.lgood_q.d.next = self.lgood_next.q.val() != self.rx_hsn.q.val();
        self.lcrd_q.d.next = self.lcrd_pend.q.val().any();
        self.lbad_q.d.next = self.lbad_pend.q.val();
        self.lgood_req.next = self.lgood_q.q.val() & !self.u0_entry.val();
        self.lgood_n.next = self.lgood_next.q.val();
        self.lcrd_req.next = self.lcrd_q.q.val() & !self.u0_entry.val();
        self.lcrd_n.next = self.lcrd_idx.q.val();
        self.lbad_req.next = self.lbad_q.q.val() & !self.u0_entry.val();
        // The head: the header just accepted when the buffers are empty (bypass), else the oldest buffered one,
        // which is kept in its own registers (`hq*` = the buffer `rd` will point at after this cycle's writes),
        // so the protocol layer's decode starts from registers and one multiplexer.
        if !self.count.q.val().any() {
            self.head_dw0.next = self.hdr_dw0.val();
            self.head_dw1.next = self.hdr_dw1.val();
            self.head_dw2.next = self.hdr_dw2.val();
        } else {
            self.head_dw0.next = self.hq0.q.val();
            self.head_dw1.next = self.hq1.q.val();
            self.head_dw2.next = self.hq2.q.val();
        }
        // U0 entry: the advertisement.
        if self.u0_entry.val() {
            self.lcrd_idx.d.next = bits::<2>(0);
            self.lbad_pend.d.next = false;
            self.ignore.d.next = false;
            self.bad_run.d.next = bits::<2>(0);
            if self.hot_reset.val() {
                self.rx_hsn.d.next = bits::<3>(0);
                self.lgood_next.d.next = bits::<3>(7);
                self.count.d.next = bits::<3>(0);
                self.wr.d.next = bits::<2>(0);
                self.rd.d.next = bits::<2>(0);
                self.lcrd_pend.d.next = bits::<3>(4);
            } else {
                self.lgood_next.d.next = self.rx_hsn.q.val() - 1;
                self.lcrd_pend.d.next = bits::<3>(4) - self.count.q.val();
            }
        }
        if self.reset.val() {
            self.rx_hsn.d.next = bits::<3>(0);
            self.lgood_next.d.next = bits::<3>(0);
            self.lcrd_idx.d.next = bits::<2>(0);
            self.lcrd_pend.d.next = bits::<3>(0);
            self.lbad_pend.d.next = false;
            self.ignore.d.next = false;
            self.bad_run.d.next = bits::<2>(0);
            self.count.d.next = bits::<3>(0);
            self.wr.d.next = bits::<2>(0);
            self.rd.d.next = bits::<2>(0);
            self.o_rec.d.next = false;
            self.o_cause.d.next = bits::<4>(0);
            self.lgood_q.d.next = false;
            self.lcrd_q.d.next = false;
            self.lbad_q.d.next = false;
        }
        // The head after this cycle: the buffer at `rd`, or at `rd + 1` when a header is popped now (chosen last,
        // the pop being the late signal), or the header being accepted now when that is where it goes.
        self.rd_p1.next = self.rd.q.val() + 1;
        match self.rd.q.val().index() {
            0 => {
                self.h_stay0.next = self.b0_0.q.val();
                self.h_stay1.next = self.b0_1.q.val();
                self.h_stay2.next = self.b0_2.q.val();
            }
            1 => {
                self.h_stay0.next = self.b1_0.q.val();
                self.h_stay1.next = self.b1_1.q.val();
                self.h_stay2.next = self.b1_2.q.val();
            }
            2 => {
                self.h_stay0.next = self.b2_0.q.val();
                self.h_stay1.next = self.b2_1.q.val();
                self.h_stay2.next = self.b2_2.q.val();
            }
            _ => {
                self.h_stay0.next = self.b3_0.q.val();
                self.h_stay1.next = self.b3_1.q.val();
                self.h_stay2.next = self.b3_2.q.val();
            }
        }
        match self.rd_p1.val().index() {
            0 => {
                self.h_next0.next = self.b0_0.q.val();
                self.h_next1.next = self.b0_1.q.val();
                self.h_next2.next = self.b0_2.q.val();
            }
            1 => {
                self.h_next0.next = self.b1_0.q.val();
                self.h_next1.next = self.b1_1.q.val();
                self.h_next2.next = self.b1_2.q.val();
            }
            2 => {
                self.h_next0.next = self.b2_0.q.val();
                self.h_next1.next = self.b2_1.q.val();
                self.h_next2.next = self.b2_2.q.val();
            }
            _ => {
                self.h_next0.next = self.b3_0.q.val();
                self.h_next1.next = self.b3_1.q.val();
                self.h_next2.next = self.b3_2.q.val();
            }
        }
        // Where the accepted header goes (`wr`) is where the head will be when the buffers were empty (popped at
        // once or not) or held one header that is popped now.
        self.to_head.next = self.accept.val()
            & (!self.count.q.val().any() | ((self.count.q.val() == 1) & self.popped.val()));
        if self.to_head.val() {
            self.hq0.d.next = self.hdr_dw0.val();
            self.hq1.d.next = self.hdr_dw1.val();
            self.hq2.d.next = self.hdr_dw2.val();
        } else if self.popped.val() {
            self.hq0.d.next = self.h_next0.val();
            self.hq1.d.next = self.h_next1.val();
            self.hq2.d.next = self.h_next2.val();
        } else {
            self.hq0.d.next = self.h_stay0.val();
            self.hq1.d.next = self.h_stay1.val();
            self.hq2.d.next = self.h_stay2.val();
        }
        self.recovery.next = self.o_rec.q.val();
        self.recovery_cause.next = self.o_cause.q.val();
    }
}
