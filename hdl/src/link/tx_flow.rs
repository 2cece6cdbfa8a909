//! Transmit-side header flow control (spec 7.2.4.1): header sequence numbers, the 4-entry retry buffer,
//! remote receive-buffer credits, LGOOD_n matching, LBAD -> LRTY + resend, and the PENDING_HP / CREDIT_HP
//! timers.
//!
//! HSN pointers (mod 8): `ack_hsn` = oldest unacknowledged, `send_hsn` = next to (re)send, `tx_hsn` = next
//! fresh HSN. Entries `ack_hsn..tx_hsn` (at most 4) hold the headers sent and not yet acknowledged; entries
//! `send_hsn..tx_hsn` must be resent, each with DL set, HSN and CRC-16 unchanged (the framer recomputes CRC-5).
//! Link-level retry resends headers only: a DPP is never held here; the protocol layer retries data.
//!
//! A fresh header from the protocol layer is taken into an input register (the slot) when the slot is free and
//! the header can go out soon: a remote credit is held, fewer than 4 headers are unacknowledged, no LRTY and no
//! advertisement are awaited. `up_ready` is a function of registers only, so the protocol layer and the
//! endpoints learn that their header was taken without waiting for the framer's decision, and the framer
//! decides from registers (timing closure at 125 MHz: no combinational path runs from an endpoint through the
//! framer and back). The header leaves the slot when the framer sends it (resends go first); its DPP is pulled
//! then. A Hot Reset (U0 entry with `hot_reset`) empties the slot: what it held was chosen before the reset.
//!
//! - LGOOD_n must name `ack_hsn`; anything else: Recovery, ignored.
//! - LCRD_x must be the next letter and leave at most 4 credits; anything else: Recovery, ignored.
//! - LBAD: request one LRTY, then resend from `ack_hsn`. The partner ignored every header since the bad one,
//!   so the credits those took are given back.
//! - On U0 entry: credits 0, next letter A, wait for the partner's advertisement LGOOD_n, which retires the
//!   entries up to n; the rest are resent. Hot Reset also clears the HSNs.
//! - Timers run from the first U0 entry after reset (not while the physical layer trains).
//! - PENDING_HP: from U0 entry, no advertisement LGOOD, or headers unacknowledged with no LGOOD, for
//!   `pending_hp` cycles: Recovery (a lost advertisement must not leave the link waiting forever). CREDIT_HP:
//!   fewer than 4 credits and no LCRD for `credit_hp` cycles: Recovery.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct TxFlow {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub u0_entry: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    /// Header from the protocol layer (valid/ready); `up_dpp` = a DPP follows it.
    pub up_valid: Signal<In, Bit>,
    pub up_dw0: Signal<In, Bits<32>>,
    pub up_dw1: Signal<In, Bits<32>>,
    pub up_dw2: Signal<In, Bits<32>>,
    pub up_dpp: Signal<In, Bit>,
    pub up_ready: Signal<Out, Bit>,
    /// The header offered to the framer, and its acceptance (`go`).
    pub offer_valid: Signal<Out, Bit>,
    pub offer_dw0: Signal<Out, Bits<32>>,
    pub offer_dw1: Signal<Out, Bits<32>>,
    pub offer_dw2: Signal<Out, Bits<32>>,
    pub offer_hsn: Signal<Out, Bits<3>>,
    pub offer_dl: Signal<Out, Bit>,
    pub offer_dpp: Signal<Out, Bit>,
    pub go: Signal<In, Bit>,
    pub lrty_req: Signal<Out, Bit>,
    pub lrty_sent: Signal<In, Bit>,
    /// Decoded link commands received.
    pub lgood: Signal<In, Bit>,
    pub lcrd: Signal<In, Bit>,
    pub lbad: Signal<In, Bit>,
    pub lc_n: Signal<In, Bits<3>>,
    pub recovery: Signal<Out, Bit>,
    pub recovery_cause: Signal<Out, Bits<4>>,
    /// Headers sent and not yet acknowledged (status).
    pub in_flight: Signal<Out, Bits<3>>,
    /// Remote credits (status).
    pub credits: Signal<Out, Bits<3>>,
    pending_hp: Constant<Bits<24>>,
    credit_hp: Constant<Bits<24>>,
    count: Signal<Local, Bits<3>>,
    resend: Signal<Local, Bit>,
    can_send: Signal<Local, Bit>,
    st_dw0: Signal<Local, Bits<32>>,
    st_dw1: Signal<Local, Bits<32>>,
    st_dw2: Signal<Local, Bits<32>>,
    /// Headers the partner's advertisement acknowledges (3-bit wrap, kept in a signal so Verilog wraps too).
    adv_acked: Signal<Local, Bits<3>>,
    tx0: Signal<Local, Bits<3>>,
    tx1: Signal<Local, Bits<3>>,
    snd0: Signal<Local, Bits<3>>,
    snd1: Signal<Local, Bits<3>>,
    cr0: Signal<Local, Bits<3>>,
    cr1: Signal<Local, Bits<3>>,
    sv0: Signal<Local, Bit>,
    sv1: Signal<Local, Bit>,
    sent0: Signal<Local, Bits<3>>,
    sent1: Signal<Local, Bits<3>>,
    count0: Signal<Local, Bits<3>>,
    count1: Signal<Local, Bits<3>>,
    lcrd_ok: Signal<Local, Bit>,
    /// The input slot: a fresh header waiting for the framer.
    s_valid: DFF<Bit>,
    s_dw0: DFF<Bits<32>>,
    s_dw1: DFF<Bits<32>>,
    s_dw2: DFF<Bits<32>>,
    s_dpp: DFF<Bit>,
    admit: Signal<Local, Bit>,
    resend_q: DFF<Bit>,
    room_q: DFF<Bit>,
    cred_any_q: DFF<Bit>,
    tx_hsn: DFF<Bits<3>>,
    ack_hsn: DFF<Bits<3>>,
    send_hsn: DFF<Bits<3>>,
    cred: DFF<Bits<3>>,
    lcrd_exp: DFF<Bits<2>>,
    adv_wait: DFF<Bit>,
    /// A U0 entry since reset: the timers run only after one (before it the link is not up: a device behind a
    /// physical layer spends milliseconds training).
    entered: DFF<Bit>,
    lrty_pend: DFF<Bit>,
    pend_timer: DFF<Bits<24>>,
    credit_timer: DFF<Bits<24>>,
    o_rec: DFF<Bit>,
    o_cause: DFF<Bits<4>>,
    e0_0: DFF<Bits<32>>,
    e0_1: DFF<Bits<32>>,
    e0_2: DFF<Bits<32>>,
    e1_0: DFF<Bits<32>>,
    e1_1: DFF<Bits<32>>,
    e1_2: DFF<Bits<32>>,
    e2_0: DFF<Bits<32>>,
    e2_1: DFF<Bits<32>>,
    e2_2: DFF<Bits<32>>,
    e3_0: DFF<Bits<32>>,
    e3_1: DFF<Bits<32>>,
    e3_2: DFF<Bits<32>>,
}

impl TxFlow {
    /// `pending_hp` and `credit_hp` in 125 MHz cycles (spec: 3 us = 375, 5 ms = 625,000).
    pub fn new(pending_hp: u32, credit_hp: u32) -> TxFlow {
        TxFlow {
            clock: Default::default(),
            reset: Default::default(),
            u0_entry: Default::default(),
            hot_reset: Default::default(),
            up_valid: Default::default(),
            up_dw0: Default::default(),
            up_dw1: Default::default(),
            up_dw2: Default::default(),
            up_dpp: Default::default(),
            up_ready: Default::default(),
            offer_valid: Default::default(),
            offer_dw0: Default::default(),
            offer_dw1: Default::default(),
            offer_dw2: Default::default(),
            offer_hsn: Default::default(),
            offer_dl: Default::default(),
            offer_dpp: Default::default(),
            go: Default::default(),
            lrty_req: Default::default(),
            lrty_sent: Default::default(),
            lgood: Default::default(),
            lcrd: Default::default(),
            lbad: Default::default(),
            lc_n: Default::default(),
            recovery: Default::default(),
            recovery_cause: Default::default(),
            in_flight: Default::default(),
            credits: Default::default(),
            pending_hp: Constant::new((pending_hp as u64).into()),
            credit_hp: Constant::new((credit_hp as u64).into()),
            count: Default::default(),
            resend: Default::default(),
            can_send: Default::default(),
            st_dw0: Default::default(),
            st_dw1: Default::default(),
            st_dw2: Default::default(),
            adv_acked: Default::default(),
            tx0: Default::default(),
            tx1: Default::default(),
            snd0: Default::default(),
            snd1: Default::default(),
            cr0: Default::default(),
            cr1: Default::default(),
            sv0: Default::default(),
            sv1: Default::default(),
            sent0: Default::default(),
            sent1: Default::default(),
            count0: Default::default(),
            count1: Default::default(),
            lcrd_ok: Default::default(),
            s_valid: Default::default(),
            s_dw0: Default::default(),
            s_dw1: Default::default(),
            s_dw2: Default::default(),
            s_dpp: Default::default(),
            admit: Default::default(),
            resend_q: Default::default(),
            room_q: Default::default(),
            cred_any_q: Default::default(),
            tx_hsn: Default::default(),
            ack_hsn: Default::default(),
            send_hsn: Default::default(),
            cred: Default::default(),
            lcrd_exp: Default::default(),
            adv_wait: Default::default(),
            entered: Default::default(),
            lrty_pend: Default::default(),
            pend_timer: Default::default(),
            credit_timer: Default::default(),
            o_rec: Default::default(),
            o_cause: Default::default(),
            e0_0: Default::default(),
            e0_1: Default::default(),
            e0_2: Default::default(),
            e1_0: Default::default(),
            e1_1: Default::default(),
            e1_2: Default::default(),
            e2_0: Default::default(),
            e2_1: Default::default(),
            e2_2: Default::default(),
            e3_0: Default::default(),
            e3_1: Default::default(),
            e3_2: Default::default(),
        }
    }
}

impl Logic for TxFlow {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            s_valid,
            s_dw0,
            s_dw1,
            s_dw2,
            s_dpp,
            resend_q,
            room_q,
            cred_any_q,
            tx_hsn,
            ack_hsn,
            send_hsn,
            cred,
            lcrd_exp,
            adv_wait,
            entered,
            lrty_pend,
            pend_timer,
            credit_timer,
            o_rec,
            o_cause,
            e0_0,
            e0_1,
            e0_2,
            e1_0,
            e1_1,
            e1_2,
            e2_0,
            e2_1,
            e2_2,
            e3_0,
            e3_1,
            e3_2
        );
        self.count.next = self.tx_hsn.q.val() - self.ack_hsn.q.val();
        // A resend pending, room for a fresh header, a credit: registered flags (kept equal to what the HSN
        // pointers and the credit count say; computed from their next values at the end), so the offer to the
        // framer is one gate from them and from the protocol layer's valid.
        self.resend.next = self.resend_q.q.val();
        // Nothing goes in the U0-entry cycle (the credits and the advertisement start afresh there).
        self.can_send.next = self.cred_any_q.q.val()
            & !self.adv_wait.q.val()
            & !self.lrty_pend.q.val()
            & !self.u0_entry.val();
        match self.send_hsn.q.val().get_bits::<2>(0).index() {
            0 => {
                self.st_dw0.next = self.e0_0.q.val();
                self.st_dw1.next = self.e0_1.q.val();
                self.st_dw2.next = self.e0_2.q.val();
            }
            1 => {
                self.st_dw0.next = self.e1_0.q.val();
                self.st_dw1.next = self.e1_1.q.val();
                self.st_dw2.next = self.e1_2.q.val();
            }
            2 => {
                self.st_dw0.next = self.e2_0.q.val();
                self.st_dw1.next = self.e2_1.q.val();
                self.st_dw2.next = self.e2_2.q.val();
            }
            _ => {
                self.st_dw0.next = self.e3_0.q.val();
                self.st_dw1.next = self.e3_1.q.val();
                self.st_dw2.next = self.e3_2.q.val();
            }
        }
        // The offer: a pending resend first, else the protocol layer's header.
        if self.resend.val() {
            self.offer_valid.next = self.can_send.val();
            self.offer_dw0.next = self.st_dw0.val();
            self.offer_dw1.next = self.st_dw1.val();
            self.offer_dw2.next = self.st_dw2.val();
            self.offer_hsn.next = self.send_hsn.q.val();
            self.offer_dl.next = true;
            self.offer_dpp.next = false;
        } else {
            self.offer_valid.next =
                self.can_send.val() & self.s_valid.q.val() & self.room_q.q.val();
            self.offer_dw0.next = self.s_dw0.q.val();
            self.offer_dw1.next = self.s_dw1.q.val();
            self.offer_dw2.next = self.s_dw2.q.val();
            self.offer_hsn.next = self.tx_hsn.q.val();
            self.offer_dl.next = false;
            self.offer_dpp.next = self.s_dpp.q.val();
        }
        // The slot takes a header when it is free and the header could go out soon.
        self.admit.next = !self.s_valid.q.val()
            & self.cred_any_q.q.val()
            & self.room_q.q.val()
            & !self.adv_wait.q.val()
            & !self.lrty_pend.q.val()
            & !self.u0_entry.val();
        self.up_ready.next = self.admit.val();
        self.s_dw0.d.next = self.up_dw0.val();
        self.s_dw1.d.next = self.up_dw1.val();
        self.s_dw2.d.next = self.up_dw2.val();
        self.s_dpp.d.next = self.up_dpp.val();
        if !self.admit.val() {
            self.s_dw0.d.next = self.s_dw0.q.val();
            self.s_dw1.d.next = self.s_dw1.q.val();
            self.s_dw2.d.next = self.s_dw2.q.val();
            self.s_dpp.d.next = self.s_dpp.q.val();
        }
        self.lrty_req.next = self.lrty_pend.q.val() & !self.u0_entry.val();
        self.in_flight.next = self.count.val();
        self.credits.next = self.cred.q.val();
        self.adv_acked.next = self.lc_n.val() + 1 - self.ack_hsn.q.val();
        self.o_rec.d.next = false;
        // The retry buffer entry of the next fresh HSN is free while fewer than 4 headers are unacknowledged: it
        // follows the slot in every such cycle, so it holds the header that went when `go` came (no write enable
        // from the accept decision).
        if self.count.val() != 4 {
            match self.tx_hsn.q.val().get_bits::<2>(0).index() {
                0 => {
                    self.e0_0.d.next = self.s_dw0.q.val();
                    self.e0_1.d.next = self.s_dw1.q.val();
                    self.e0_2.d.next = self.s_dw2.q.val();
                }
                1 => {
                    self.e1_0.d.next = self.s_dw0.q.val();
                    self.e1_1.d.next = self.s_dw1.q.val();
                    self.e1_2.d.next = self.s_dw2.q.val();
                }
                2 => {
                    self.e2_0.d.next = self.s_dw0.q.val();
                    self.e2_1.d.next = self.s_dw1.q.val();
                    self.e2_2.d.next = self.s_dw2.q.val();
                }
                _ => {
                    self.e3_0.d.next = self.s_dw0.q.val();
                    self.e3_1.d.next = self.s_dw1.q.val();
                    self.e3_2.d.next = self.s_dw2.q.val();
                }
            }
        }
        // The HSN pointers, the credits and the slot for both values of the framer's `go` (computed from registers
        // and the received link commands), chosen by `go` last: the accept decision is one multiplexer away from
        // the registers it moves (and from the registered flags below).
        // - go = 0:
        self.tx0.next = self.tx_hsn.q.val();
        self.snd0.next = self.send_hsn.q.val();
        self.cr0.next = self.cred.q.val();
        // - go = 1 (a resend, or the fresh header of the slot):
        if self.resend.val() {
            self.tx1.next = self.tx_hsn.q.val();
        } else {
            self.tx1.next = self.tx_hsn.q.val() + 1;
        }
        self.snd1.next = self.send_hsn.q.val() + 1;
        self.cr1.next = self.cred.q.val() - 1;
        // Credits: -1 per header sent, +1 per good LCRD.
        self.lcrd_ok.next = self.lc_n.val().get_bits::<2>(0) == self.lcrd_exp.q.val();
        if self.lcrd.val() {
            if self.lcrd_ok.val() & ((self.cred.q.val() != 4) | self.go.val()) {
                self.lcrd_exp.d.next = self.lcrd_exp.q.val() + 1;
                self.credit_timer.d.next = bits::<24>(0);
            } else {
                self.o_rec.d.next = true;
                self.o_cause.d.next = bits::<4>(5) /* TX_LCRD_SEQ */;
            }
            if self.lcrd_ok.val() & (self.cred.q.val() != 4) {
                self.cr0.next = self.cred.q.val() + 1;
            }
            if self.lcrd_ok.val() {
                self.cr1.next = self.cred.q.val();
            }
        }
        // LGOOD: the advertisement after U0 entry, or the acknowledgement of the oldest header.
        if self.lgood.val() {
            if self.adv_wait.q.val() {
                self.adv_wait.d.next = false;
                if self.adv_acked.val() <= self.count.val() {
                    self.ack_hsn.d.next = self.lc_n.val() + 1;
                    self.snd0.next = self.lc_n.val() + 1;
                    self.snd1.next = self.lc_n.val() + 1;
                } else {
                    self.o_rec.d.next = true;
                    self.o_cause.d.next = bits::<4>(8) /* TX_BAD_ADVERTISEMENT */;
                    self.snd0.next = self.ack_hsn.q.val();
                    self.snd1.next = self.ack_hsn.q.val();
                }
            } else if (self.count.val() != 0) & (self.lc_n.val() == self.ack_hsn.q.val()) {
                self.ack_hsn.d.next = self.ack_hsn.q.val() + 1;
                self.pend_timer.d.next = bits::<24>(0);
                if self.send_hsn.q.val() == self.ack_hsn.q.val() {
                    self.snd0.next = self.send_hsn.q.val() + 1;
                    self.snd1.next = self.send_hsn.q.val() + 1;
                }
            } else {
                self.o_rec.d.next = true;
                self.o_cause.d.next = bits::<4>(4) /* TX_LGOOD_SEQ */;
            }
        }
        // LBAD: LRTY, then resend everything unacknowledged; those headers' credits come back.
        self.sent0.next = self.send_hsn.q.val() - self.ack_hsn.q.val();
        self.sent1.next = self.send_hsn.q.val() + 1 - self.ack_hsn.q.val();
        if self.lbad.val() & !self.adv_wait.q.val() {
            self.lrty_pend.d.next = true;
            self.snd0.next = self.ack_hsn.q.val();
            self.snd1.next = self.ack_hsn.q.val();
            self.cr0.next = self.cred.q.val() + self.sent0.val();
            self.cr1.next = self.cred.q.val() - 1 + self.sent1.val();
        }
        // The slot: filled when it admits a header, emptied when the fresh header goes.
        self.sv0.next = self.s_valid.q.val();
        self.sv1.next = self.s_valid.q.val() & self.resend.val();
        if self.admit.val() & self.up_valid.val() {
            self.sv0.next = true;
            self.sv1.next = true;
        }
        if self.u0_entry.val() {
            self.cr0.next = bits::<3>(0);
            self.cr1.next = bits::<3>(0);
            if self.hot_reset.val() {
                self.tx0.next = bits::<3>(0);
                self.tx1.next = bits::<3>(0);
                self.snd0.next = bits::<3>(0);
                self.snd1.next = bits::<3>(0);
                self.sv0.next = false;
                self.sv1.next = false;
            }
        }
        if self.reset.val() {
            self.tx0.next = bits::<3>(0);
            self.tx1.next = bits::<3>(0);
            self.snd0.next = bits::<3>(0);
            self.snd1.next = bits::<3>(0);
            self.cr0.next = bits::<3>(0);
            self.cr1.next = bits::<3>(0);
            self.sv0.next = false;
            self.sv1.next = false;
        }
        if self.lrty_sent.val() {
            self.lrty_pend.d.next = false;
        }
        // Timers (spec 7.2.4.1): both start at U0 entry. PENDING_HP runs while the partner's advertisement is
        // awaited or headers are unacknowledged, and restarts on every LGOOD; CREDIT_HP runs while fewer than 4
        // credits are held, and restarts on every LCRD.
        if ((self.count.val() != 0) | self.adv_wait.q.val()) & self.entered.q.val() {
            if self.pend_timer.q.val() == self.pending_hp.val() {
                self.o_rec.d.next = true;
                self.o_cause.d.next = bits::<4>(6) /* TX_PENDING_HP */;
                self.pend_timer.d.next = bits::<24>(0);
            } else if self.lgood.val() {
                self.pend_timer.d.next = bits::<24>(0);
            } else {
                self.pend_timer.d.next = self.pend_timer.q.val() + 1;
            }
        } else {
            self.pend_timer.d.next = bits::<24>(0);
        }
        if (self.cred.q.val() != 4) & self.entered.q.val() {
            if self.credit_timer.q.val() == self.credit_hp.val() {
                self.o_rec.d.next = true;
                self.o_cause.d.next = bits::<4>(7) /* TX_CREDIT_HP */;
                self.credit_timer.d.next = bits::<24>(0);
            } else if self.lcrd.val() {
                self.credit_timer.d.next = bits::<24>(0);
            } else {
                self.credit_timer.d.next = self.credit_timer.q.val() + 1;
            }
        } else {
            self.credit_timer.d.next = bits::<24>(0);
        }
        if self.u0_entry.val() {
            self.entered.d.next = true;
            self.lcrd_exp.d.next = bits::<2>(0);
            self.adv_wait.d.next = true;
            self.lrty_pend.d.next = false;
            self.pend_timer.d.next = bits::<24>(0);
            self.credit_timer.d.next = bits::<24>(0);
            if self.hot_reset.val() {
                self.ack_hsn.d.next = bits::<3>(0);
            }
        }
        if self.reset.val() {
            self.entered.d.next = false;
            self.ack_hsn.d.next = bits::<3>(0);
            self.lcrd_exp.d.next = bits::<2>(0);
            self.adv_wait.d.next = true;
            self.lrty_pend.d.next = false;
            self.pend_timer.d.next = bits::<24>(0);
            self.credit_timer.d.next = bits::<24>(0);
            self.o_rec.d.next = false;
            self.o_cause.d.next = bits::<4>(0);
        }
        // Chosen by `go`, with the flags of each choice.
        self.count0.next = self.tx0.val() - self.ack_hsn.d.val();
        self.count1.next = self.tx1.val() - self.ack_hsn.d.val();
        if self.go.val() {
            self.tx_hsn.d.next = self.tx1.val();
            self.send_hsn.d.next = self.snd1.val();
            self.cred.d.next = self.cr1.val();
            self.s_valid.d.next = self.sv1.val();
            self.resend_q.d.next = self.snd1.val() != self.tx1.val();
            self.room_q.d.next = self.count1.val() != 4;
            self.cred_any_q.d.next = self.cr1.val().any();
        } else {
            self.tx_hsn.d.next = self.tx0.val();
            self.send_hsn.d.next = self.snd0.val();
            self.cred.d.next = self.cr0.val();
            self.s_valid.d.next = self.sv0.val();
            self.resend_q.d.next = self.snd0.val() != self.tx0.val();
            self.room_q.d.next = self.count0.val() != 4;
            self.cred_any_q.d.next = self.cr0.val().any();
        }
        self.recovery.next = self.o_rec.q.val();
        self.recovery_cause.next = self.o_cause.q.val();
    }
}
