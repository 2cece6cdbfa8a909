//! Protocol layer (spec chapter 8): decodes the headers the link layer delivers, keeps the device address, and
//! merges the endpoints' transmit headers towards the link layer.
//!
//! Receive: every header is taken (`rx_pop`) in the cycle it is offered. A header for another device address
//! (DW0 31:25) or with a non-zero route string is dropped and counted. TPs (type 4) are decoded by subtype: ACK
//! goes out as a one-cycle strobe with its fields (`ack_*`), STATUS likewise (`status_*`, for EP0), a DPH
//! likewise (`dph_*`, with its Setup bit; its payload comes from the link layer), all routed by endpoint
//! number (and direction) in the device top; PING is answered with PING_RESPONSE; every other header is
//! counted in `st_unhandled`.
//!
//! Transmit, in priority order: a pending PING_RESPONSE, the bulk OUT endpoint's handshakes (`tp_*`, TPs),
//! EP0's headers (`c0_*`: TPs, or a DPH whose payload EP0 streams), then the bulk IN endpoint's header
//! (`ep_*`). Each passes straight through, so a DPH reaches the link layer in the cycle its endpoint offers it
//! when nothing before it is pending. Payloads do not pass here (the device top merges EP0's and the bulk IN
//! endpoint's; the link layer takes a header with a DPP only when its payload can follow at once, so the two
//! never overlap).
//!
//! Device address (spec 9.4.6): 0 after reset and Hot Reset, loaded by `addr_set` (SET_ADDRESS, EP0).

use rust_hdl::prelude::*;

#[derive(LogicBlock, Default)]
pub struct ProtocolLayer {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    pub addr_set: Signal<In, Bit>,
    pub addr_value: Signal<In, Bits<7>>,
    pub dev_addr: Signal<Out, Bits<7>>,
    /// From the link layer.
    pub rx_valid: Signal<In, Bit>,
    pub rx_dw0: Signal<In, Bits<32>>,
    pub rx_dw1: Signal<In, Bits<32>>,
    pub rx_dw2: Signal<In, Bits<32>>,
    pub rx_pop: Signal<Out, Bit>,
    /// Every header addressed to this device (strobe), whole, for endpoints that decode more than ACKs.
    pub hdr_valid: Signal<Out, Bit>,
    pub hdr_dw1: Signal<Out, Bits<32>>,
    pub hdr_dw2: Signal<Out, Bits<32>>,
    /// A decoded DPH (strobe) and its fields; its payload comes from the link layer's `rx_pl_*`.
    pub dph_valid: Signal<Out, Bit>,
    pub dph_ep: Signal<Out, Bits<4>>,
    pub dph_dir_in: Signal<Out, Bit>,
    pub dph_seq: Signal<Out, Bits<5>>,
    pub dph_len: Signal<Out, Bits<16>>,
    pub dph_setup: Signal<Out, Bit>,
    /// A decoded ACK TP (strobe) and its fields.
    pub ack_valid: Signal<Out, Bit>,
    pub ack_ep: Signal<Out, Bits<4>>,
    pub ack_dir_in: Signal<Out, Bit>,
    pub ack_seq: Signal<Out, Bits<5>>,
    pub ack_nump: Signal<Out, Bits<5>>,
    pub ack_rty: Signal<Out, Bit>,
    /// A decoded STATUS TP (strobe) and its endpoint (for EP0).
    pub status_valid: Signal<Out, Bit>,
    pub status_ep: Signal<Out, Bits<4>>,
    /// Handshakes (TPs, no payload) of a bulk OUT endpoint: they go before the IN endpoint's headers.
    pub tp_valid: Signal<In, Bit>,
    pub tp_dw0: Signal<In, Bits<32>>,
    pub tp_dw1: Signal<In, Bits<32>>,
    pub tp_dw2: Signal<In, Bits<32>>,
    pub tp_ready: Signal<Out, Bit>,
    /// EP0's header (TP, or DPH with payload): after the bulk OUT handshakes, before the IN endpoint's headers.
    pub c0_valid: Signal<In, Bit>,
    pub c0_dw0: Signal<In, Bits<32>>,
    pub c0_dw1: Signal<In, Bits<32>>,
    pub c0_dw2: Signal<In, Bits<32>>,
    pub c0_dpp: Signal<In, Bit>,
    pub c0_ready: Signal<Out, Bit>,
    /// The IN endpoint's header (DPH with payload, or TP).
    pub ep_valid: Signal<In, Bit>,
    pub ep_dw0: Signal<In, Bits<32>>,
    pub ep_dw1: Signal<In, Bits<32>>,
    pub ep_dw2: Signal<In, Bits<32>>,
    pub ep_dpp: Signal<In, Bit>,
    pub ep_ready: Signal<Out, Bit>,
    /// To the link layer.
    pub tx_valid: Signal<Out, Bit>,
    pub tx_dw0: Signal<Out, Bits<32>>,
    pub tx_dw1: Signal<Out, Bits<32>>,
    pub tx_dw2: Signal<Out, Bits<32>>,
    pub tx_dpp: Signal<Out, Bit>,
    pub tx_ready: Signal<In, Bit>,
    /// Status counters (wrap).
    pub st_misaddressed: Signal<Out, Bits<16>>,
    pub st_unhandled: Signal<Out, Bits<16>>,
    pub st_pings: Signal<Out, Bits<16>>,
    mine: Signal<Local, Bit>,
    is_tp: Signal<Local, Bit>,
    addr: DFF<Bits<7>>,
    ping_pending: DFF<Bit>,
    c_misaddressed: DFF<Bits<16>>,
    c_unhandled: DFF<Bits<16>>,
    c_pings: DFF<Bits<16>>,
}

impl Logic for ProtocolLayer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, addr, ping_pending, c_misaddressed, c_unhandled, c_pings);
        self.dev_addr.next = self.addr.q.val();
        if self.addr_set.val() {
            self.addr.d.next = self.addr_value.val();
        }

        // ---- receive ------------------------------------------------------------------------------------------
        self.rx_pop.next = self.rx_valid.val();
        self.mine.next = (self.rx_dw0.val().get_bits::<7>(25) == self.addr.q.val())
            & !self.rx_dw0.val().get_bits::<20>(5).any();
        self.is_tp.next = self.rx_dw0.val().get_bits::<5>(0) == 4;
        self.ack_ep.next = self.rx_dw1.val().get_bits::<4>(8);
        self.ack_dir_in.next = self.rx_dw1.val().get_bit(7);
        self.ack_seq.next = self.rx_dw1.val().get_bits::<5>(21);
        self.ack_nump.next = self.rx_dw1.val().get_bits::<5>(16);
        self.ack_rty.next = self.rx_dw1.val().get_bit(6);
        self.dph_ep.next = self.rx_dw1.val().get_bits::<4>(8);
        self.dph_dir_in.next = self.rx_dw1.val().get_bit(7);
        self.dph_seq.next = self.rx_dw1.val().get_bits::<5>(0);
        self.dph_len.next = self.rx_dw1.val().get_bits::<16>(16);
        self.dph_setup.next = self.rx_dw1.val().get_bit(15);
        self.status_ep.next = self.rx_dw1.val().get_bits::<4>(8);
        self.dph_valid.next = false;
        self.ack_valid.next = false;
        self.status_valid.next = false;
        self.hdr_valid.next = self.rx_valid.val() & self.mine.val();
        self.hdr_dw1.next = self.rx_dw1.val();
        self.hdr_dw2.next = self.rx_dw2.val();
        if self.rx_valid.val() {
            if !self.mine.val() {
                self.c_misaddressed.d.next = self.c_misaddressed.q.val() + 1;
            } else if self.is_tp.val() & (self.rx_dw1.val().get_bits::<4>(0) == 1) {
                self.ack_valid.next = true;
            } else if self.rx_dw0.val().get_bits::<5>(0) == 8 {
                self.dph_valid.next = true;
            } else if self.is_tp.val() & (self.rx_dw1.val().get_bits::<4>(0) == 4) {
                self.status_valid.next = true;
            } else if self.is_tp.val() & (self.rx_dw1.val().get_bits::<4>(0) == 7) {
                self.ping_pending.d.next = true;
                self.c_pings.d.next = self.c_pings.q.val() + 1;
            } else {
                self.c_unhandled.d.next = self.c_unhandled.q.val() + 1;
            }
        }

        // ---- transmit -----------------------------------------------------------------------------------------
        if self.ping_pending.q.val() {
            self.tx_valid.next = true;
            self.tx_dw0.next = (bit_cast::<32, 7>(self.addr.q.val()) << 25) | 4;
            self.tx_dw1.next = 8.into();
            self.tx_dw2.next = 0.into();
            self.tx_dpp.next = false;
            self.ep_ready.next = false;
            self.tp_ready.next = false;
            self.c0_ready.next = false;
            if self.tx_ready.val() {
                self.ping_pending.d.next = false;
            }
        } else if self.tp_valid.val() {
            self.tx_valid.next = true;
            self.tx_dw0.next = self.tp_dw0.val();
            self.tx_dw1.next = self.tp_dw1.val();
            self.tx_dw2.next = self.tp_dw2.val();
            self.tx_dpp.next = false;
            self.ep_ready.next = false;
            self.tp_ready.next = self.tx_ready.val();
            self.c0_ready.next = false;
        } else if self.c0_valid.val() {
            self.tx_valid.next = true;
            self.tx_dw0.next = self.c0_dw0.val();
            self.tx_dw1.next = self.c0_dw1.val();
            self.tx_dw2.next = self.c0_dw2.val();
            self.tx_dpp.next = self.c0_dpp.val();
            self.ep_ready.next = false;
            self.tp_ready.next = false;
            self.c0_ready.next = self.tx_ready.val();
        } else {
            self.tx_valid.next = self.ep_valid.val();
            self.tx_dw0.next = self.ep_dw0.val();
            self.tx_dw1.next = self.ep_dw1.val();
            self.tx_dw2.next = self.ep_dw2.val();
            self.tx_dpp.next = self.ep_dpp.val();
            self.ep_ready.next = self.tx_ready.val();
            self.tp_ready.next = false;
            self.c0_ready.next = false;
        }
        self.st_misaddressed.next = self.c_misaddressed.q.val();
        self.st_unhandled.next = self.c_unhandled.q.val();
        self.st_pings.next = self.c_pings.q.val();
        if self.reset.val() | self.hot_reset.val() {
            self.addr.d.next = 0.into();
            self.ping_pending.d.next = false;
        }
        if self.reset.val() {
            self.c_misaddressed.d.next = 0.into();
            self.c_unhandled.d.next = 0.into();
            self.c_pings.d.next = 0.into();
        }
    }
}
