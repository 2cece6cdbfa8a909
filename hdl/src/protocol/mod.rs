//! Protocol layer (spec chapter 8): decodes the headers the link layer delivers, keeps the device address, and
//! merges the endpoints' transmit headers towards the link layer.
//!
//! Receive: every header is taken (`rx_pop`) in the cycle it is offered and decoded into registers: the strobes
//! and fields below appear the cycle after the link layer offers the header (one register between the link
//! layer's flow control and the endpoints' decisions, for timing closure at 125 MHz). A header for another
//! device address (DW0 31:25) or with a non-zero route string is dropped and counted. TPs (type 4) are decoded by
//! subtype: ACK goes out as a one-cycle strobe with its fields (`ack_*`), STATUS likewise (`status_*`, for EP0),
//! a DPH likewise (`dph_*`, with its Setup bit; its payload comes from the link layer); PING is answered with
//! PING_RESPONSE; every other header is counted in `st_unhandled`. Routing by endpoint is done here too, into
//! registered strobes per destination: `ack_in` (ACK, direction IN, the bulk IN endpoint's number), `dph_out` (DPH,
//! direction OUT, the bulk OUT endpoint's number), and EP0's `ack0`, `dph0`, `status0` (endpoint 0, either
//! direction bit).
//!
//! Transmit, in priority order: a pending PING_RESPONSE, the bulk OUT endpoint's handshakes (`tp_*`, TPs),
//! EP0's headers (`c0_*`: TPs, or a DPH whose payload EP0 streams), then the bulk IN endpoint's header
//! (`ep_*`). Each passes straight through, so a DPH reaches the link layer in the cycle its endpoint offers it
//! when nothing before it is pending. Payloads do not pass here (the device top merges EP0's and the bulk IN
//! endpoint's; the link layer takes a header with a DPP only when its payload can follow at once, so the two
//! never overlap).
//!
//! Remote wake: `function_wake` (the device top, after the device woke the link from U3) sends a Function Wake
//! device notification with the PING_RESPONSE's priority (spec 8.5.6: the host then resumes the function).
//!
//! Device address (spec 9.4.6): 0 after reset and Hot Reset, loaded by `addr_set` (SET_ADDRESS, EP0).
//!
//! Link management (spec 8.4.2; usb3-facts section 3): on `port_cap` (the LTSSM's U0 entry from Polling; not
//! after a Hot Reset or a Recovery) the Port Capability LMP goes out first of all (5 Gb/s, 4 header buffers,
//! upstream-capable); the host's Port Configuration LMP is answered with a Port Configuration Response
//! (accepted when it selects 5 Gb/s). LMPs carry no device address and are neither misaddressed nor unhandled.
//! The host's Set Link Function LMP (subtype 1) sets or clears Force_LinkPM_Accept (DW0 bit 10,
//! `force_pm_accept`: the link layer then accepts every LGO_U1 / LGO_U2); its U2 Inactivity Timeout LMP
//! (subtype 2) sets the U2 inactivity timer (DW0 16:9, `u2_timeout`: 0 off, 1..254 that many 256 us in U1 before
//! U2, 255 off; hub spec 10.14.2.9's PORT_U2_TIMEOUT encoding). Field positions from two sources (a USB 3.0 LMP
//! model and Daisho's link layer), not the spec's own table. Both are cleared by reset and by a Hot Reset (the
//! host sends them again after a reset, as Linux does).

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct ProtocolLayer {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    /// The link was initialised (U0 entry from Polling): send the Port Capability LMP.
    pub port_cap: Signal<In, Bit>,
    /// Send a Function Wake device notification (interface 0): the device woke the link (remote wake).
    pub function_wake: Signal<In, Bit>,
    pub addr_set: Signal<In, Bit>,
    pub addr_value: Signal<In, Bits<7>>,
    pub dev_addr: Signal<Out, Bits<7>>,
    /// From the host's LMPs: Force_LinkPM_Accept, and the U2 inactivity timeout (PORT_U2_TIMEOUT encoding).
    pub force_pm_accept: Signal<Out, Bit>,
    pub u2_timeout: Signal<Out, Bits<8>>,
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
    /// DW1 of the header being decoded now (its strobe comes in the next cycle): an endpoint that precomputes
    /// from an ACK's fields (the bulk IN endpoint) reads them here a cycle early.
    pub pre_dw1: Signal<Out, Bits<32>>,
    /// The same strobes routed by endpoint: ACK for the bulk IN endpoint, DPH for the bulk OUT endpoint, and
    /// EP0's ACK, DPH and STATUS.
    pub ack_in: Signal<Out, Bit>,
    pub dph_out: Signal<Out, Bit>,
    pub ack0: Signal<Out, Bit>,
    pub dph0: Signal<Out, Bit>,
    pub status0: Signal<Out, Bit>,
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
    in_ep: Constant<Bits<4>>,
    out_ep: Constant<Bits<4>>,
    /// LMPs to send: Port Capability, and Port Configuration Response with its response code.
    pcap_pending: DFF<Bit>,
    pcfg_pending: DFF<Bit>,
    pcfg_code: DFF<Bits<7>>,
    force_acc: DFF<Bit>,
    u2_to: DFF<Bits<8>>,
    is_lmp: Signal<Local, Bit>,
    mine: Signal<Local, Bit>,
    is_tp: Signal<Local, Bit>,
    is_ack: Signal<Local, Bit>,
    is_dph: Signal<Local, Bit>,
    is_status: Signal<Local, Bit>,
    ep: Signal<Local, Bits<4>>,
    r_hdr: DFF<Bit>,
    r_ack: DFF<Bit>,
    r_dph: DFF<Bit>,
    r_status: DFF<Bit>,
    r_ack_in: DFF<Bit>,
    r_dph_out: DFF<Bit>,
    r_ep0: DFF<Bit>,
    r_dw1: DFF<Bits<32>>,
    r_dw2: DFF<Bits<32>>,
    addr: DFF<Bits<7>>,
    ping_pending: DFF<Bit>,
    fwake_pending: DFF<Bit>,
    c_misaddressed: DFF<Bits<16>>,
    c_unhandled: DFF<Bits<16>>,
    c_pings: DFF<Bits<16>>,
}

impl ProtocolLayer {
    /// `in_ep` / `out_ep`: the numbers of the bulk IN and bulk OUT endpoints (routing).
    pub fn new(in_ep: u8, out_ep: u8) -> ProtocolLayer {
        ProtocolLayer {
            clock: Default::default(),
            reset: Default::default(),
            hot_reset: Default::default(),
            addr_set: Default::default(),
            addr_value: Default::default(),
            dev_addr: Default::default(),
            rx_valid: Default::default(),
            rx_dw0: Default::default(),
            rx_dw1: Default::default(),
            rx_dw2: Default::default(),
            rx_pop: Default::default(),
            hdr_valid: Default::default(),
            hdr_dw1: Default::default(),
            hdr_dw2: Default::default(),
            dph_valid: Default::default(),
            dph_ep: Default::default(),
            dph_dir_in: Default::default(),
            dph_seq: Default::default(),
            dph_len: Default::default(),
            dph_setup: Default::default(),
            ack_valid: Default::default(),
            ack_ep: Default::default(),
            ack_dir_in: Default::default(),
            ack_seq: Default::default(),
            ack_nump: Default::default(),
            ack_rty: Default::default(),
            status_valid: Default::default(),
            status_ep: Default::default(),
            pre_dw1: Default::default(),
            ack_in: Default::default(),
            dph_out: Default::default(),
            ack0: Default::default(),
            dph0: Default::default(),
            status0: Default::default(),
            tp_valid: Default::default(),
            tp_dw0: Default::default(),
            tp_dw1: Default::default(),
            tp_dw2: Default::default(),
            tp_ready: Default::default(),
            c0_valid: Default::default(),
            c0_dw0: Default::default(),
            c0_dw1: Default::default(),
            c0_dw2: Default::default(),
            c0_dpp: Default::default(),
            c0_ready: Default::default(),
            ep_valid: Default::default(),
            ep_dw0: Default::default(),
            ep_dw1: Default::default(),
            ep_dw2: Default::default(),
            ep_dpp: Default::default(),
            ep_ready: Default::default(),
            tx_valid: Default::default(),
            tx_dw0: Default::default(),
            tx_dw1: Default::default(),
            tx_dw2: Default::default(),
            tx_dpp: Default::default(),
            tx_ready: Default::default(),
            st_misaddressed: Default::default(),
            st_unhandled: Default::default(),
            st_pings: Default::default(),
            in_ep: Constant::new((in_ep as u64).into()),
            pcap_pending: Default::default(),
            pcfg_pending: Default::default(),
            pcfg_code: Default::default(),
            force_pm_accept: Default::default(),
            u2_timeout: Default::default(),
            force_acc: Default::default(),
            u2_to: Default::default(),
            is_lmp: Default::default(),
            port_cap: Default::default(),
            out_ep: Constant::new((out_ep as u64).into()),
            mine: Default::default(),
            is_tp: Default::default(),
            is_ack: Default::default(),
            is_dph: Default::default(),
            is_status: Default::default(),
            ep: Default::default(),
            r_hdr: Default::default(),
            r_ack: Default::default(),
            r_dph: Default::default(),
            r_status: Default::default(),
            r_ack_in: Default::default(),
            r_dph_out: Default::default(),
            r_ep0: Default::default(),
            r_dw1: Default::default(),
            r_dw2: Default::default(),
            addr: Default::default(),
            ping_pending: Default::default(),
            fwake_pending: Default::default(),
            function_wake: Default::default(),
            c_misaddressed: Default::default(),
            c_unhandled: Default::default(),
            c_pings: Default::default(),
        }
    }
}

impl Default for ProtocolLayer {
    /// The engine's default endpoints: EP1 IN, EP2 OUT.
    fn default() -> Self {
        ProtocolLayer::new(1, 2)
    }
}

impl Logic for ProtocolLayer {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            r_hdr,
            r_ack,
            r_dph,
            r_status,
            r_ack_in,
            r_dph_out,
            r_ep0,
            r_dw1,
            r_dw2,
            addr,
            ping_pending,
            fwake_pending,
            c_misaddressed,
            c_unhandled,
            c_pings,
            pcap_pending,
            pcfg_pending,
            pcfg_code,
            force_acc,
            u2_to
        );
        self.dev_addr.next = self.addr.q.val();
        if self.addr_set.val() {
            self.addr.d.next = self.addr_value.val();
        }

        // ---- receive: decoded into registers ----------------------------------------------------------------
        self.rx_pop.next = self.rx_valid.val();
        self.pre_dw1.next = self.rx_dw1.val();
        self.mine.next = (self.rx_dw0.val().get_bits::<7>(25) == self.addr.q.val())
            & !self.rx_dw0.val().get_bits::<20>(5).any();
        self.is_tp.next = self.rx_dw0.val().get_bits::<5>(0) == 4;
        self.is_lmp.next = self.rx_dw0.val().get_bits::<5>(0) == 0;
        self.is_ack.next = self.is_tp.val() & (self.rx_dw1.val().get_bits::<4>(0) == 1);
        self.is_dph.next = self.rx_dw0.val().get_bits::<5>(0) == 8;
        self.is_status.next = self.is_tp.val() & (self.rx_dw1.val().get_bits::<4>(0) == 4);
        self.ep.next = self.rx_dw1.val().get_bits::<4>(8);
        self.r_hdr.d.next = self.rx_valid.val() & self.mine.val() & !self.is_lmp.val();
        self.r_ack.d.next = self.rx_valid.val() & self.mine.val() & self.is_ack.val();
        self.r_dph.d.next = self.rx_valid.val() & self.mine.val() & self.is_dph.val();
        self.r_status.d.next = self.rx_valid.val() & self.mine.val() & self.is_status.val();
        // Routing: an ACK for the bulk IN endpoint (direction IN), a DPH for the bulk OUT endpoint (direction
        // OUT), anything for endpoint 0.
        self.r_ack_in.d.next = self.rx_valid.val()
            & self.mine.val()
            & self.is_ack.val()
            & self.rx_dw1.val().get_bit(7)
            & (self.ep.val() == self.in_ep.val());
        self.r_dph_out.d.next = self.rx_valid.val()
            & self.mine.val()
            & self.is_dph.val()
            & !self.rx_dw1.val().get_bit(7)
            & (self.ep.val() == self.out_ep.val());
        self.r_ep0.d.next = !self.ep.val().any();
        // LMPs (type 0) are between the two ports: no device address. Port Configuration (subtype 5) is
        // answered with a Port Configuration Response: accepted (1) when it selects 5 Gb/s (DW0 bit 9), else
        // rejected (2).
        if self.rx_valid.val() & self.is_lmp.val() & (self.rx_dw0.val().get_bits::<4>(5) == 5) {
            self.pcfg_pending.d.next = true;
            self.pcfg_code.d.next = 2.into();
            if self.rx_dw0.val().get_bit(9) {
                self.pcfg_code.d.next = 1.into();
            }
        }
        // Set Link Function (subtype 1): Force_LinkPM_Accept; U2 Inactivity Timeout (subtype 2).
        if self.rx_valid.val() & self.is_lmp.val() & (self.rx_dw0.val().get_bits::<4>(5) == 1) {
            self.force_acc.d.next = self.rx_dw0.val().get_bit(10);
        }
        if self.rx_valid.val() & self.is_lmp.val() & (self.rx_dw0.val().get_bits::<4>(5) == 2) {
            self.u2_to.d.next = self.rx_dw0.val().get_bits::<8>(9);
        }
        self.force_pm_accept.next = self.force_acc.q.val();
        self.u2_timeout.next = self.u2_to.q.val();
        if self.port_cap.val() {
            self.pcap_pending.d.next = true;
        }
        if self.function_wake.val() {
            self.fwake_pending.d.next = true;
        }
        if self.rx_valid.val() {
            self.r_dw1.d.next = self.rx_dw1.val();
            self.r_dw2.d.next = self.rx_dw2.val();
            if self.is_lmp.val() {
                // LMPs are the link's: not misaddressed, not unhandled.
            } else if !self.mine.val() {
                self.c_misaddressed.d.next = self.c_misaddressed.q.val() + 1;
            } else if self.is_tp.val() & (self.rx_dw1.val().get_bits::<4>(0) == 7) {
                self.ping_pending.d.next = true;
                self.c_pings.d.next = self.c_pings.q.val() + 1;
            } else if !self.is_ack.val() & !self.is_dph.val() & !self.is_status.val() {
                self.c_unhandled.d.next = self.c_unhandled.q.val() + 1;
            }
        }
        self.hdr_valid.next = self.r_hdr.q.val();
        self.hdr_dw1.next = self.r_dw1.q.val();
        self.hdr_dw2.next = self.r_dw2.q.val();
        self.ack_valid.next = self.r_ack.q.val();
        self.ack_ep.next = self.r_dw1.q.val().get_bits::<4>(8);
        self.ack_dir_in.next = self.r_dw1.q.val().get_bit(7);
        self.ack_seq.next = self.r_dw1.q.val().get_bits::<5>(21);
        self.ack_nump.next = self.r_dw1.q.val().get_bits::<5>(16);
        self.ack_rty.next = self.r_dw1.q.val().get_bit(6);
        self.dph_valid.next = self.r_dph.q.val();
        self.dph_ep.next = self.r_dw1.q.val().get_bits::<4>(8);
        self.dph_dir_in.next = self.r_dw1.q.val().get_bit(7);
        self.dph_seq.next = self.r_dw1.q.val().get_bits::<5>(0);
        self.dph_len.next = self.r_dw1.q.val().get_bits::<16>(16);
        self.dph_setup.next = self.r_dw1.q.val().get_bit(15);
        self.status_valid.next = self.r_status.q.val();
        self.status_ep.next = self.r_dw1.q.val().get_bits::<4>(8);
        self.ack_in.next = self.r_ack_in.q.val();
        self.dph_out.next = self.r_dph_out.q.val();
        self.ack0.next = self.r_ack.q.val() & self.r_ep0.q.val();
        self.dph0.next = self.r_dph.q.val() & self.r_ep0.q.val();
        self.status0.next = self.r_status.q.val() & self.r_ep0.q.val();

        // ---- transmit -----------------------------------------------------------------------------------------
        // LMPs first: Port Capability (subtype 4; 5 Gb/s; 4 header buffers; upstream-capable), then the Port
        // Configuration Response (subtype 6).
        if self.pcap_pending.q.val() | self.pcfg_pending.q.val() {
            self.tx_valid.next = true;
            self.tx_dw0.next = bits::<32>(0x280);
            self.tx_dw1.next = bits::<32>(0x2_0004);
            if !self.pcap_pending.q.val() {
                self.tx_dw0.next =
                    bits::<32>(0xC0) | (bit_cast::<32, 7>(self.pcfg_code.q.val()) << 9);
                self.tx_dw1.next = 0.into();
            }
            self.tx_dw2.next = 0.into();
            self.tx_dpp.next = false;
            self.ep_ready.next = false;
            self.tp_ready.next = false;
            self.c0_ready.next = false;
            if self.tx_ready.val() {
                if self.pcap_pending.q.val() {
                    self.pcap_pending.d.next = false;
                } else {
                    self.pcfg_pending.d.next = false;
                }
            }
        } else if self.ping_pending.q.val() | self.fwake_pending.q.val() {
            // PING_RESPONSE (subtype 8), or the DEV_NOTIFICATION (6) Function Wake (notification type 1, DW1
            // 7:4) of interface 0 (DW1 15:8) (spec 8.5.6; **unverified**: the field layout from one source).
            self.tx_valid.next = true;
            self.tx_dw0.next = (bit_cast::<32, 7>(self.addr.q.val()) << 25) | 4;
            self.tx_dw1.next = 8.into();
            if !self.ping_pending.q.val() {
                self.tx_dw1.next = 0x16.into();
            }
            self.tx_dw2.next = 0.into();
            self.tx_dpp.next = false;
            self.ep_ready.next = false;
            self.tp_ready.next = false;
            self.c0_ready.next = false;
            if self.tx_ready.val() {
                if self.ping_pending.q.val() {
                    self.ping_pending.d.next = false;
                } else {
                    self.fwake_pending.d.next = false;
                }
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
            self.force_acc.d.next = false;
            self.u2_to.d.next = 0.into();
            self.ping_pending.d.next = false;
            self.fwake_pending.d.next = false;
            self.r_hdr.d.next = false;
            self.r_ack.d.next = false;
            self.r_dph.d.next = false;
            self.r_status.d.next = false;
            self.r_ack_in.d.next = false;
            self.r_dph_out.d.next = false;
        }
        if self.reset.val() {
            self.pcap_pending.d.next = false;
            self.pcfg_pending.d.next = false;
            self.pcfg_code.d.next = 0.into();
            self.c_misaddressed.d.next = 0.into();
            self.c_unhandled.d.next = 0.into();
            self.c_pings.d.next = 0.into();
        }
    }
}
