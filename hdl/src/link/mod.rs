//! The device link layer (spec chapter 7): framing, CRCs, header flow control, behind a 32-bit PIPE interface.
//!
//! ```text
//! PIPE rx -> RxAligner -> HeaderRx ----> RxFlow (HSN check, 4 header buffers, LGOOD/LBAD/LCRD) -> rx_hdr_*
//!                      -> LinkCommandRx -> TxFlow / RxFlow (LGOOD_n, LCRD_x, LRTY, LBAD)
//!                                       -> Lpm (LGO_Ux, LPMA: LAU / LXU, entry to U1 / U2 / U3) -> lpm_enter
//!                      -> DppRx ------------------------------------------------------> rx_pl_*
//! tx_hdr_* -> TxFlow (HSN, 4-entry retry buffer, credits, timers) -> TxFramer -> PIPE tx
//! tx_pl_*  -----------------------------------------------------------> TxFramer
//! ```
//!
//! `u0_entry` (with `hot_reset`) says "the link has just entered U0": the LTSSM of the physical layer drives it
//! in the device top (`crate::top`), a bench's stand-in drives it when the engine runs without the physical
//! layer. `recovery` reports the conditions that send the link to Recovery (`recovery_cause`, see
//! [`rx_flow::cause`]); the layer keeps working after reporting, and the next `u0_entry` re-runs the header
//! sequence number and credit advertisement. `pipe_tx_hold` holds the transmit word while the physical layer sends
//! SKPs; `pipe_tx_boundary` says where they may go. `lpm_enter` tells the LTSSM to enter U1 / U2 / U3 (`lpm_ux`)
//! after an accepted LGO_Ux; `tx_pending` says the link layer has something to send (the LTSSM wakes the link).

pub mod dpp_rx;
pub mod header_rx;
pub mod lc_rx;
pub mod lpm;
pub mod rx_align;
pub mod rx_flow;
pub mod tx_flow;
pub mod tx_framer;

use dpp_rx::DppRx;
use header_rx::HeaderRx;
use lc_rx::LinkCommandRx;
use lpm::Lpm;
use rust_hdl::prelude::*;
use rx_align::RxAligner;
use rx_flow::RxFlow;
use tx_flow::TxFlow;
use tx_framer::TxFramer;

/// Timer parameters, in 125 MHz cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParams {
    /// PENDING_HP_TIMER: 3 us (USB 3.0) = 375 cycles; 10 us in USB 3.2.
    pub pending_hp: u32,
    /// CREDIT_HP_TIMER: 5 ms = 625,000 cycles.
    pub credit_hp: u32,
    /// Idle cycles before an LUP keep-alive: 10 us = 1250 cycles.
    pub keepalive: u16,
    /// PM_ENTRY_TIMER: after LAU, the entry to Ux without LPMA (tPMEntryTimeout 6 us = 750 cycles; **unverified**).
    pub pm_entry: u32,
    /// LGO_U1 / LGO_U2 may be accepted (when the link layer is idle); LGO_U3 always is.
    pub accept_u1_u2: bool,
    /// PM_LC_TIMER: no LAU / LXU this long after the device's LGO_Ux -> Recovery (3 us = 375 cycles, USB 3.0).
    pub pm_lc: u32,
    /// Device-initiated U1 / U2 entry after this many idle cycles, when the host enabled it (U1_ENABLE /
    /// U2_ENABLE); 0 (the default): never. At most 2^20 (8.4 ms).
    pub initiate_u1_u2_after: u32,
}

impl Default for LinkParams {
    fn default() -> Self {
        LinkParams {
            pending_hp: 375,
            credit_hp: 625_000,
            keepalive: 1250,
            pm_entry: 750,
            accept_u1_u2: true,
            pm_lc: 375,
            initiate_u1_u2_after: 0,
        }
    }
}

#[derive(LogicBlock)]
pub struct LinkLayer {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    // PIPE (byte 0 first; K bit i for byte i).
    pub pipe_rx_data: Signal<In, Bits<32>>,
    pub pipe_rx_k: Signal<In, Bits<4>>,
    pub pipe_tx_data: Signal<Out, Bits<32>>,
    pub pipe_tx_k: Signal<Out, Bits<4>>,
    /// The physical layer holds the transmit word (it is sending SKPs): the same word again next cycle.
    pub pipe_tx_hold: Signal<In, Bit>,
    /// SKPs may go before the transmit word (logical idle, or the start of a link command or header packet).
    pub pipe_tx_boundary: Signal<Out, Bit>,
    // LTSSM stand-in.
    pub u0_entry: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    // Protocol layer, transmit: header (valid/ready) and payload (pulled while a DPP is sent).
    pub tx_hdr_valid: Signal<In, Bit>,
    pub tx_hdr_dw0: Signal<In, Bits<32>>,
    pub tx_hdr_dw1: Signal<In, Bits<32>>,
    pub tx_hdr_dw2: Signal<In, Bits<32>>,
    pub tx_hdr_dpp: Signal<In, Bit>,
    pub tx_hdr_ready: Signal<Out, Bit>,
    pub tx_pl_data: Signal<In, Bits<32>>,
    pub tx_pl_valid: Signal<In, Bit>,
    pub tx_pl_ready: Signal<Out, Bit>,
    // Protocol layer, receive: header queue (oldest first) and payload stream.
    pub rx_hdr_valid: Signal<Out, Bit>,
    pub rx_hdr_dw0: Signal<Out, Bits<32>>,
    pub rx_hdr_dw1: Signal<Out, Bits<32>>,
    pub rx_hdr_dw2: Signal<Out, Bits<32>>,
    pub rx_hdr_pop: Signal<In, Bit>,
    pub rx_pl_data: Signal<Out, Bits<32>>,
    pub rx_pl_keep: Signal<Out, Bits<4>>,
    pub rx_pl_valid: Signal<Out, Bit>,
    pub rx_pl_end: Signal<Out, Bit>,
    pub rx_pl_status: Signal<Out, Bits<3>>,
    pub rx_pl_len: Signal<Out, Bits<16>>,
    // Status.
    pub recovery: Signal<Out, Bit>,
    pub recovery_cause: Signal<Out, Bits<4>>,
    /// A packet or link command started arriving (a framing start recognised; registered): for the LTSSM's U0
    /// timeout.
    pub rx_heard: Signal<Out, Bit>,
    /// Enter U1 / U2 / U3 (one cycle; `lpm_ux` 1..3), and: something waits to be sent (registered).
    pub lpm_enter: Signal<Out, Bit>,
    pub lpm_ux: Signal<Out, Bits<2>>,
    pub tx_pending: Signal<Out, Bit>,
    /// Link power management settings: Force_LinkPM_Accept (the protocol layer, from the host's Set Link Function
    /// LMP); U1_ENABLE / U2_ENABLE (EP0: device-initiated entry allowed).
    pub force_pm_accept: Signal<In, Bit>,
    pub u1_enable: Signal<In, Bit>,
    pub u2_enable: Signal<In, Bit>,
    pub st_in_flight: Signal<Out, Bits<3>>,
    pub st_credits: Signal<Out, Bits<3>>,
    pub ev_lbad_rx: Signal<Out, Bit>,
    pub ev_lbad_tx: Signal<Out, Bit>,
    pub ev_lrty_tx: Signal<Out, Bit>,
    pub ev_resend: Signal<Out, Bit>,
    pub ev_realign: Signal<Out, Bit>,
    pub ev_bad_lc: Signal<Out, Bit>,
    pub ev_tx_abort: Signal<Out, Bit>,
    pub aligner: RxAligner,
    pub hdr_rx: HeaderRx,
    pub lc_rx: LinkCommandRx,
    pub dpp_rx: DppRx,
    pub rx_flow: RxFlow,
    pub tx_flow: TxFlow,
    pub framer: TxFramer,
    pub lpm: Lpm,
    heard: DFF<Bit>,
    busy: DFF<Bit>,
    pending: DFF<Bit>,
}

impl LinkLayer {
    pub fn new(p: LinkParams) -> LinkLayer {
        LinkLayer {
            clock: Default::default(),
            reset: Default::default(),
            pipe_rx_data: Default::default(),
            pipe_rx_k: Default::default(),
            pipe_tx_data: Default::default(),
            pipe_tx_k: Default::default(),
            pipe_tx_hold: Default::default(),
            pipe_tx_boundary: Default::default(),
            u0_entry: Default::default(),
            hot_reset: Default::default(),
            tx_hdr_valid: Default::default(),
            tx_hdr_dw0: Default::default(),
            tx_hdr_dw1: Default::default(),
            tx_hdr_dw2: Default::default(),
            tx_hdr_dpp: Default::default(),
            tx_hdr_ready: Default::default(),
            tx_pl_data: Default::default(),
            tx_pl_valid: Default::default(),
            tx_pl_ready: Default::default(),
            rx_hdr_valid: Default::default(),
            rx_hdr_dw0: Default::default(),
            rx_hdr_dw1: Default::default(),
            rx_hdr_dw2: Default::default(),
            rx_hdr_pop: Default::default(),
            rx_pl_data: Default::default(),
            rx_pl_keep: Default::default(),
            rx_pl_valid: Default::default(),
            rx_pl_end: Default::default(),
            rx_pl_status: Default::default(),
            rx_pl_len: Default::default(),
            recovery: Default::default(),
            recovery_cause: Default::default(),
            rx_heard: Default::default(),
            lpm_enter: Default::default(),
            lpm_ux: Default::default(),
            force_pm_accept: Default::default(),
            u1_enable: Default::default(),
            u2_enable: Default::default(),
            tx_pending: Default::default(),
            st_in_flight: Default::default(),
            st_credits: Default::default(),
            ev_lbad_rx: Default::default(),
            ev_lbad_tx: Default::default(),
            ev_lrty_tx: Default::default(),
            ev_resend: Default::default(),
            ev_realign: Default::default(),
            ev_bad_lc: Default::default(),
            ev_tx_abort: Default::default(),
            aligner: Default::default(),
            hdr_rx: Default::default(),
            lc_rx: Default::default(),
            dpp_rx: Default::default(),
            rx_flow: Default::default(),
            tx_flow: TxFlow::new(p.pending_hp, p.credit_hp),
            framer: TxFramer::new(p.keepalive),
            lpm: Lpm::new(p.pm_entry, p.accept_u1_u2, p.pm_lc, p.initiate_u1_u2_after),
            heard: Default::default(),
            busy: Default::default(),
            pending: Default::default(),
        }
    }
}

impl Default for LinkLayer {
    fn default() -> Self {
        LinkLayer::new(LinkParams::default())
    }
}

impl Logic for LinkLayer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, heard, busy, pending);
        // Clock and reset to every block.
        self.aligner.clock.next = self.clock.val();
        self.hdr_rx.clock.next = self.clock.val();
        self.lc_rx.clock.next = self.clock.val();
        self.dpp_rx.clock.next = self.clock.val();
        self.rx_flow.clock.next = self.clock.val();
        self.tx_flow.clock.next = self.clock.val();
        self.framer.clock.next = self.clock.val();
        self.lpm.clock.next = self.clock.val();
        self.aligner.reset.next = self.reset.val();
        self.hdr_rx.reset.next = self.reset.val();
        self.lc_rx.reset.next = self.reset.val();
        self.dpp_rx.reset.next = self.reset.val();
        self.rx_flow.reset.next = self.reset.val();
        self.tx_flow.reset.next = self.reset.val();
        self.framer.reset.next = self.reset.val();
        self.lpm.reset.next = self.reset.val();
        // Receive path.
        self.aligner.in_data.next = self.pipe_rx_data.val();
        self.aligner.in_k.next = self.pipe_rx_k.val();
        self.hdr_rx.data.next = self.aligner.data.val();
        self.hdr_rx.k.next = self.aligner.k.val();
        self.hdr_rx.hp.next = self.aligner.hp.val();
        self.hdr_rx.dpp.next = self.aligner.dpp.val();
        self.hdr_rx.lc.next = self.aligner.lc.val();
        self.lc_rx.data.next = self.aligner.data.val();
        self.lc_rx.k.next = self.aligner.k.val();
        self.lc_rx.hp.next = self.aligner.hp.val();
        self.lc_rx.dpp.next = self.aligner.dpp.val();
        self.lc_rx.lc.next = self.aligner.lc.val();
        self.dpp_rx.data.next = self.aligner.data.val();
        self.dpp_rx.k.next = self.aligner.k.val();
        self.dpp_rx.hp.next = self.aligner.hp.val();
        self.dpp_rx.dpp.next = self.aligner.dpp.val();
        self.dpp_rx.lc.next = self.aligner.lc.val();
        self.dpp_rx.dph_accept.next = self.rx_flow.dph_accept.val();
        self.dpp_rx.dph_len.next = self.rx_flow.dph_len.val();
        // Receive flow control.
        self.rx_flow.u0_entry.next = self.u0_entry.val();
        self.rx_flow.hot_reset.next = self.hot_reset.val();
        self.rx_flow.hdr_strobe.next = self.hdr_rx.strobe.val();
        self.rx_flow.hdr_ok.next = self.hdr_rx.ok.val();
        self.rx_flow.hdr_hsn.next = self.hdr_rx.hsn.val();
        self.rx_flow.hdr_deferred.next = self.hdr_rx.deferred.val();
        self.rx_flow.hdr_dw0.next = self.hdr_rx.dw0.val();
        self.rx_flow.hdr_dw1.next = self.hdr_rx.dw1.val();
        self.rx_flow.hdr_dw2.next = self.hdr_rx.dw2.val();
        self.rx_flow.lrty.next = self.lc_rx.lrty.val();
        self.rx_flow.pop.next = self.rx_hdr_pop.val();
        self.rx_flow.lgood_sent.next = self.framer.lgood_sent.val();
        self.rx_flow.lcrd_sent.next = self.framer.lcrd_sent.val();
        self.rx_flow.lbad_sent.next = self.framer.lbad_sent.val();
        // Transmit flow control.
        self.tx_flow.u0_entry.next = self.u0_entry.val();
        self.tx_flow.hot_reset.next = self.hot_reset.val();
        self.tx_flow.up_valid.next = self.tx_hdr_valid.val();
        self.tx_flow.up_dw0.next = self.tx_hdr_dw0.val();
        self.tx_flow.up_dw1.next = self.tx_hdr_dw1.val();
        self.tx_flow.up_dw2.next = self.tx_hdr_dw2.val();
        self.tx_flow.up_dpp.next = self.tx_hdr_dpp.val();
        self.tx_flow.go.next = self.framer.go.val();
        self.tx_flow.lrty_sent.next = self.framer.lrty_sent.val();
        self.tx_flow.lgood.next = self.lc_rx.lgood.val();
        self.tx_flow.lcrd.next = self.lc_rx.lcrd.val();
        self.tx_flow.lbad.next = self.lc_rx.lbad.val();
        self.tx_flow.lc_n.next = self.lc_rx.n.val();
        // Framer.
        self.framer.lgood_req.next = self.rx_flow.lgood_req.val();
        self.framer.lgood_n.next = self.rx_flow.lgood_n.val();
        self.framer.lbad_req.next = self.rx_flow.lbad_req.val();
        self.framer.lcrd_req.next = self.rx_flow.lcrd_req.val();
        self.framer.lcrd_n.next = self.rx_flow.lcrd_n.val();
        self.framer.lrty_req.next = self.tx_flow.lrty_req.val();
        self.framer.lpm_req.next = self.lpm.req.val();
        self.framer.lpm_lc.next = self.lpm.lc.val();
        self.framer.hold_offers.next = self.lpm.hold.val();
        // Link power management: something to send (a header offered, a link command owed), or to finish (headers
        // unacknowledged, credits out, a received header not yet taken): registered, one cycle late.
        self.pending.d.next = self.tx_flow.offer_valid.val()
            | self.rx_flow.lgood_req.val()
            | self.rx_flow.lcrd_req.val()
            | self.rx_flow.lbad_req.val()
            | self.tx_flow.lrty_req.val();
        self.busy.d.next = self.pending.q.val()
            | self.tx_flow.in_flight.val().any()
            | (self.tx_flow.credits.val() != 4)
            | self.rx_flow.head_valid.val();
        self.lpm.lgo.next = self.lc_rx.lgo.val();
        self.lpm.lgo_n.next = self.lc_rx.n.val().get_bits::<2>(0);
        self.lpm.lpma.next = self.lc_rx.lpma.val();
        self.lpm.lau.next = self.lc_rx.lau.val();
        self.lpm.lxu.next = self.lc_rx.lxu.val();
        self.lpm.force_accept.next = self.force_pm_accept.val();
        self.lpm.u1_enable.next = self.u1_enable.val();
        self.lpm.u2_enable.next = self.u2_enable.val();
        self.lpm.busy.next = self.busy.q.val();
        self.lpm.u0_entry.next = self.u0_entry.val();
        self.lpm.sent.next = self.framer.lpm_sent.val();
        self.framer.offer_valid.next = self.tx_flow.offer_valid.val();
        self.framer.offer_dw0.next = self.tx_flow.offer_dw0.val();
        self.framer.offer_dw1.next = self.tx_flow.offer_dw1.val();
        self.framer.offer_dw2.next = self.tx_flow.offer_dw2.val();
        self.framer.offer_hsn.next = self.tx_flow.offer_hsn.val();
        self.framer.offer_dl.next = self.tx_flow.offer_dl.val();
        self.framer.offer_dpp.next = self.tx_flow.offer_dpp.val();
        self.framer.pl_data.next = self.tx_pl_data.val();
        self.framer.pl_valid.next = self.tx_pl_valid.val();
        // Ports.
        self.pipe_tx_data.next = self.framer.pipe_data.val();
        self.pipe_tx_k.next = self.framer.pipe_k.val();
        self.framer.advance.next = !self.pipe_tx_hold.val();
        self.pipe_tx_boundary.next = self.framer.boundary.val();
        self.tx_hdr_ready.next = self.tx_flow.up_ready.val();
        self.tx_pl_ready.next = self.framer.pl_ready.val();
        self.rx_hdr_valid.next = self.rx_flow.head_valid.val();
        self.rx_hdr_dw0.next = self.rx_flow.head_dw0.val();
        self.rx_hdr_dw1.next = self.rx_flow.head_dw1.val();
        self.rx_hdr_dw2.next = self.rx_flow.head_dw2.val();
        self.rx_pl_data.next = self.dpp_rx.pl_data.val();
        self.rx_pl_keep.next = self.dpp_rx.pl_keep.val();
        self.rx_pl_valid.next = self.dpp_rx.pl_valid.val();
        self.rx_pl_end.next = self.dpp_rx.pl_end.val();
        self.rx_pl_status.next = self.dpp_rx.pl_status.val();
        self.rx_pl_len.next = self.dpp_rx.pl_len.val();
        self.recovery.next =
            self.rx_flow.recovery.val() | self.tx_flow.recovery.val() | self.lpm.recover.val();
        if self.rx_flow.recovery.val() {
            self.recovery_cause.next = self.rx_flow.recovery_cause.val();
        } else if self.lpm.recover.val() {
            self.recovery_cause.next = bits::<4>(9) /* PM_LC_TIMER */;
        } else {
            self.recovery_cause.next = self.tx_flow.recovery_cause.val();
        }
        self.heard.d.next = self.aligner.hp.val() | self.aligner.dpp.val() | self.aligner.lc.val();
        if self.reset.val() {
            self.heard.d.next = false;
            self.busy.d.next = false;
            self.pending.d.next = false;
        }
        self.rx_heard.next = self.heard.q.val();
        self.lpm_enter.next = self.lpm.enter.val();
        self.lpm_ux.next = self.lpm.ux.val();
        self.tx_pending.next = self.pending.q.val();
        self.st_in_flight.next = self.tx_flow.in_flight.val();
        self.st_credits.next = self.tx_flow.credits.val();
        self.ev_lbad_rx.next = self.lc_rx.lbad.val();
        self.ev_lbad_tx.next = self.framer.lbad_sent.val();
        self.ev_lrty_tx.next = self.framer.lrty_sent.val();
        self.ev_resend.next = self.framer.go.val() & self.tx_flow.offer_dl.val();
        self.ev_realign.next = self.aligner.realigned.val();
        self.ev_bad_lc.next = self.lc_rx.invalid.val();
        self.ev_tx_abort.next = self.framer.aborted.val();
    }
}
