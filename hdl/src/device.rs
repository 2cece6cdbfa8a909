//! The device engine: link layer + protocol layer + endpoints, behind the link side of a 32-bit PIPE word interface.
//! The device top for hardware puts the physical layer in front of it (`crate::top::Usb3Device`); the engine benches
//! drive it directly, starting in U0.
//!
//! ```text
//! PIPE rx/tx <-> LinkLayer <-> ProtocolLayer (decode, address, PING) <-> Ep0 (control)  -> address, halts,
//!                    |  ^                                                 |                 seq resets, configured
//!                    |  |                                                 BulkInEp (IN)   <-> app IN stream
//!                    |  +- tx_pl_* <- payload of EP0 or of the IN endpoint (whichever has pl_valid high)
//!                    +-> rx_pl_* ------------------------------------> Ep0 (SETUP, OUT data), BulkOutEp (OUT)
//! ```
//!
//! Routing: DPHs, ACK TPs and STATUS TPs for endpoint 0 (any direction bit) go to EP0; ACKs for the bulk IN
//! endpoint (direction IN) to `ep_in`; DPHs for the bulk OUT endpoint (direction OUT) to `ep_out`. Each
//! endpoint consumes only the payload that follows its own DPH strobe. Transmit priority in the protocol layer:
//! PING_RESPONSE, bulk OUT handshakes, EP0, bulk IN. The link layer takes a header with a DPP only when its
//! payload follows at once, so EP0's and the IN endpoint's payloads never overlap; `tx_pl_*` is EP0's while
//! EP0's `tx_pl_valid` is high, else the IN endpoint's.
//!
//! EP0 answers the standard requests (see `endpoint::ep0`) from a [`DeviceDescription`]: by default the
//! example device built from the bulk endpoints' numbers and bursts. It drives the device address, the halts
//! and the sequence resets of the bulk endpoints. The ports `addr_set`/`addr_value`, `in_halt`/`out_halt` and
//! `in_seq_reset`/`out_seq_reset` remain as a bench shortcut (a bench that skips enumeration sets the address
//! or halts an endpoint directly): each is ORed with what EP0 drives. A Hot Reset (`hot_reset` with
//! `u0_entry`) returns the device to address 0, unconfigured, no halts, every endpoint's sequence 0.

use rust_hdl::prelude::*;
use usb3_spec::control::{BulkEndpointDesc, DeviceDescription};

use crate::endpoint::bulk_in::BulkInEp;
use crate::endpoint::bulk_out::BulkOutEp;
use crate::endpoint::ep0::{Ep0, Ep0Params};
use crate::endpoint::BulkParams;
use crate::link::{LinkLayer, LinkParams};
use crate::protocol::ProtocolLayer;

/// Elaboration-time parameters of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceParams {
    pub link: LinkParams,
    pub bulk_in: BulkParams,
    pub bulk_out: BulkParams,
    /// What EP0's descriptors say. `None`: `DeviceDescription::example` with the bulk endpoints' numbers and
    /// bursts (so `DeviceParams { bulk_in: .., ..DeviceParams::default() }` stays consistent). A description
    /// given here must describe exactly the two bulk endpoints with their numbers and bursts.
    pub desc: Option<DeviceDescription>,
}

impl DeviceParams {
    /// The description EP0 answers with (see `desc`); panics if a given one contradicts the bulk endpoints.
    pub fn description(&self) -> DeviceDescription {
        let (i, o) = (self.bulk_in, self.bulk_out);
        match &self.desc {
            None => DeviceDescription::example(i.ep, i.max_burst, o.ep, o.max_burst),
            Some(d) => {
                let want = [
                    BulkEndpointDesc {
                        number: i.ep,
                        dir_in: true,
                        max_burst: i.max_burst,
                    },
                    BulkEndpointDesc {
                        number: o.ep,
                        dir_in: false,
                        max_burst: o.max_burst,
                    },
                ];
                let mut have = d.endpoints.clone();
                have.sort_by_key(|e| !e.dir_in);
                assert_eq!(
                    have, want,
                    "DeviceParams::desc must describe the bulk IN and OUT endpoints the engine has"
                );
                d.clone()
            }
        }
    }
}

#[derive(LogicBlock)]
pub struct Device {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub pipe_rx_data: Signal<In, Bits<32>>,
    pub pipe_rx_k: Signal<In, Bits<4>>,
    pub pipe_tx_data: Signal<Out, Bits<32>>,
    pub pipe_tx_k: Signal<Out, Bits<4>>,
    /// The physical layer holds the transmit word (it is sending SKPs): the same word again next cycle.
    pub pipe_tx_hold: Signal<In, Bit>,
    /// SKPs may go before the transmit word (logical idle, or the start of a link command or header packet).
    pub pipe_tx_boundary: Signal<Out, Bit>,
    /// LTSSM stand-in: the link entered U0 (with `hot_reset`: after a Hot Reset).
    pub u0_entry: Signal<In, Bit>,
    pub hot_reset: Signal<In, Bit>,
    /// The link was initialised (U0 entry from Polling): the protocol layer sends the Port Capability LMP.
    pub port_cap: Signal<In, Bit>,
    /// Send a Function Wake device notification (the device woke the link: remote wake).
    pub function_wake: Signal<In, Bit>,
    /// Bench shortcut: set the device address without SET_ADDRESS (ORed with EP0's; EP0's value wins when both
    /// strobe in the same cycle).
    pub addr_set: Signal<In, Bit>,
    pub addr_value: Signal<In, Bits<7>>,
    /// Bulk IN application stream.
    pub in_data: Signal<In, Bits<32>>,
    pub in_keep: Signal<In, Bits<4>>,
    pub in_last: Signal<In, Bit>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    /// Bench shortcuts, ORed with EP0's ENDPOINT_HALT level and sequence resets.
    pub in_halt: Signal<In, Bit>,
    pub in_seq_reset: Signal<In, Bit>,
    /// Bulk OUT application stream.
    pub out_data: Signal<Out, Bits<32>>,
    pub out_keep: Signal<Out, Bits<4>>,
    pub out_last: Signal<Out, Bit>,
    pub out_valid: Signal<Out, Bit>,
    pub out_ready: Signal<In, Bit>,
    /// Bench shortcuts, ORed with EP0's ENDPOINT_HALT level and sequence resets.
    pub out_halt: Signal<In, Bit>,
    pub out_seq_reset: Signal<In, Bit>,
    /// SET_CONFIGURATION(1) done (EP0), until SET_CONFIGURATION(0), reset or Hot Reset.
    pub configured: Signal<Out, Bit>,
    /// For the application: the endpoint is halted (SET_FEATURE(ENDPOINT_HALT) or the bench shortcut), and a
    /// one-cycle pulse when the host restarted it (sequence reset by CLEAR_FEATURE(ENDPOINT_HALT),
    /// SET_CONFIGURATION or a Hot Reset): the transfer the host had in progress was abandoned, packets in flight
    /// are sent again from sequence 0 (IN) or expected again (OUT). This is how the application learns of a babble
    /// recovery.
    pub in_halted: Signal<Out, Bit>,
    pub in_reset: Signal<Out, Bit>,
    pub out_halted: Signal<Out, Bit>,
    pub out_reset: Signal<Out, Bit>,
    /// Link status.
    pub recovery: Signal<Out, Bit>,
    pub recovery_cause: Signal<Out, Bits<4>>,
    /// A packet or link command started arriving: for the LTSSM's U0 timeout.
    pub rx_heard: Signal<Out, Bit>,
    /// Link power management, for the LTSSM: enter U1 / U2 / U3 (`lpm_ux`); something waits to be sent.
    pub lpm_enter: Signal<Out, Bit>,
    pub lpm_ux: Signal<Out, Bits<2>>,
    pub tx_pending: Signal<Out, Bit>,
    /// The U2 inactivity timeout the host's LMP set (PORT_U2_TIMEOUT encoding), for the LTSSM.
    pub u2_timeout: Signal<Out, Bits<8>>,
    /// What the host set with SET_FEATURE (EP0): U1 / U2 device-initiated entry allowed, the function suspended,
    /// remote wake enabled.
    pub u1_enable: Signal<Out, Bit>,
    pub u2_enable: Signal<Out, Bit>,
    pub function_suspend: Signal<Out, Bit>,
    pub remote_wake_enable: Signal<Out, Bit>,
    pub link: LinkLayer,
    pub proto: ProtocolLayer,
    pub ep0: Ep0,
    pub ep_in: BulkInEp,
    pub ep_out: BulkOutEp,
}

impl Device {
    pub fn new(p: DeviceParams) -> Device {
        let desc = p.description();
        Device {
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
            port_cap: Default::default(),
            function_wake: Default::default(),
            u2_timeout: Default::default(),
            u1_enable: Default::default(),
            u2_enable: Default::default(),
            function_suspend: Default::default(),
            remote_wake_enable: Default::default(),
            addr_set: Default::default(),
            addr_value: Default::default(),
            in_data: Default::default(),
            in_keep: Default::default(),
            in_last: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_halt: Default::default(),
            in_seq_reset: Default::default(),
            out_data: Default::default(),
            out_keep: Default::default(),
            out_last: Default::default(),
            out_valid: Default::default(),
            out_ready: Default::default(),
            out_halt: Default::default(),
            out_seq_reset: Default::default(),
            configured: Default::default(),
            in_halted: Default::default(),
            in_reset: Default::default(),
            out_halted: Default::default(),
            out_reset: Default::default(),
            recovery: Default::default(),
            recovery_cause: Default::default(),
            rx_heard: Default::default(),
            lpm_enter: Default::default(),
            lpm_ux: Default::default(),
            tx_pending: Default::default(),
            link: LinkLayer::new(p.link),
            proto: ProtocolLayer::new(p.bulk_in.ep, p.bulk_out.ep),
            ep0: Ep0::new(Ep0Params {
                desc,
                in_ep: p.bulk_in.ep,
                out_ep: p.bulk_out.ep,
            }),
            ep_in: BulkInEp::new(p.bulk_in),
            ep_out: BulkOutEp::new(p.bulk_out),
        }
    }
}

impl Default for DeviceParams {
    fn default() -> Self {
        DeviceParams {
            link: LinkParams::default(),
            bulk_in: BulkParams::default_in(),
            bulk_out: BulkParams::default_out(),
            desc: None,
        }
    }
}

impl Default for Device {
    fn default() -> Self {
        Device::new(DeviceParams::default())
    }
}

impl Logic for Device {
    #[hdl_gen]
    fn update(&mut self) {
        self.link.clock.next = self.clock.val();
        self.proto.clock.next = self.clock.val();
        self.ep0.clock.next = self.clock.val();
        self.ep_in.clock.next = self.clock.val();
        self.ep_out.clock.next = self.clock.val();
        self.link.reset.next = self.reset.val();
        self.proto.reset.next = self.reset.val();
        self.ep0.reset.next = self.reset.val();
        self.ep_in.reset.next = self.reset.val();
        self.ep_out.reset.next = self.reset.val();
        // Link layer.
        self.link.pipe_rx_data.next = self.pipe_rx_data.val();
        self.link.pipe_rx_k.next = self.pipe_rx_k.val();
        self.pipe_tx_data.next = self.link.pipe_tx_data.val();
        self.pipe_tx_k.next = self.link.pipe_tx_k.val();
        self.link.pipe_tx_hold.next = self.pipe_tx_hold.val();
        self.pipe_tx_boundary.next = self.link.pipe_tx_boundary.val();
        self.link.u0_entry.next = self.u0_entry.val();
        self.link.hot_reset.next = self.hot_reset.val();
        self.recovery.next = self.link.recovery.val();
        self.recovery_cause.next = self.link.recovery_cause.val();
        self.rx_heard.next = self.link.rx_heard.val();
        self.lpm_enter.next = self.link.lpm_enter.val();
        self.lpm_ux.next = self.link.lpm_ux.val();
        self.tx_pending.next = self.link.tx_pending.val();
        self.u2_timeout.next = self.proto.u2_timeout.val();
        self.link.force_pm_accept.next = self.proto.force_pm_accept.val();
        self.link.u1_enable.next = self.ep0.u1_enable.val();
        self.link.u2_enable.next = self.ep0.u2_enable.val();
        // Protocol layer <-> link layer.
        self.proto.hot_reset.next = self.hot_reset.val();
        self.proto.port_cap.next = self.port_cap.val();
        self.proto.function_wake.next = self.function_wake.val();
        self.u1_enable.next = self.ep0.u1_enable.val();
        self.u2_enable.next = self.ep0.u2_enable.val();
        self.function_suspend.next = self.ep0.function_suspend.val();
        self.remote_wake_enable.next = self.ep0.remote_wake_enable.val();
        self.proto.addr_set.next = self.ep0.addr_set.val() | self.addr_set.val();
        if self.ep0.addr_set.val() {
            self.proto.addr_value.next = self.ep0.addr_value.val();
        } else {
            self.proto.addr_value.next = self.addr_value.val();
        }
        self.proto.rx_valid.next = self.link.rx_hdr_valid.val();
        self.proto.rx_dw0.next = self.link.rx_hdr_dw0.val();
        self.proto.rx_dw1.next = self.link.rx_hdr_dw1.val();
        self.proto.rx_dw2.next = self.link.rx_hdr_dw2.val();
        self.link.rx_hdr_pop.next = self.proto.rx_pop.val();
        self.link.tx_hdr_valid.next = self.proto.tx_valid.val();
        self.link.tx_hdr_dw0.next = self.proto.tx_dw0.val();
        self.link.tx_hdr_dw1.next = self.proto.tx_dw1.val();
        self.link.tx_hdr_dw2.next = self.proto.tx_dw2.val();
        self.link.tx_hdr_dpp.next = self.proto.tx_dpp.val();
        self.proto.tx_ready.next = self.link.tx_hdr_ready.val();
        // EP0: DPHs, ACKs and STATUS TPs for endpoint 0; its payload shares rx_pl_* with the OUT endpoint.
        self.ep0.hot_reset.next = self.hot_reset.val();
        self.ep0.dev_addr.next = self.proto.dev_addr.val();
        self.ep0.dph_valid.next = self.proto.dph0.val();
        self.ep0.dph_seq.next = self.proto.dph_seq.val();
        self.ep0.dph_len.next = self.proto.dph_len.val();
        self.ep0.dph_setup.next = self.proto.dph_setup.val();
        self.ep0.pl_data.next = self.link.rx_pl_data.val();
        self.ep0.pl_valid.next = self.link.rx_pl_valid.val();
        self.ep0.pl_end.next = self.link.rx_pl_end.val();
        self.ep0.pl_status.next = self.link.rx_pl_status.val();
        self.ep0.ack_valid.next = self.proto.ack0.val();
        self.ep0.ack_seq.next = self.proto.ack_seq.val();
        self.ep0.ack_nump.next = self.proto.ack_nump.val();
        self.ep0.ack_rty.next = self.proto.ack_rty.val();
        self.ep0.status_valid.next = self.proto.status0.val();
        self.proto.c0_valid.next = self.ep0.hdr_valid.val();
        self.proto.c0_dw0.next = self.ep0.hdr_dw0.val();
        self.proto.c0_dw1.next = self.ep0.hdr_dw1.val();
        self.proto.c0_dw2.next = self.ep0.hdr_dw2.val();
        self.proto.c0_dpp.next = self.ep0.hdr_dpp.val();
        self.ep0.hdr_ready.next = self.proto.c0_ready.val();
        self.ep0.tx_pl_ready.next = self.link.tx_pl_ready.val();
        self.configured.next = self.ep0.configured.val();
        // Bulk IN endpoint.
        self.ep_in.dev_addr.next = self.proto.dev_addr.val();
        self.ep_in.halt.next = self.ep0.halt_in.val() | self.in_halt.val();
        self.ep_in.seq_reset.next =
            self.ep0.seq_reset_in.val() | self.in_seq_reset.val() | self.hot_reset.val();
        self.ep_in.hot_reset.next = self.hot_reset.val();
        self.in_halted.next = self.ep_in.halt.val();
        self.in_reset.next = self.ep_in.seq_reset.val();
        self.ep_in.ack_valid.next = self.proto.ack_in.val();
        self.ep_in.ack_seq.next = self.proto.ack_seq.val();
        self.ep_in.pre_seq.next = self.proto.pre_dw1.val().get_bits::<5>(21);
        self.ep_in.pre_nump.next = self.proto.pre_dw1.val().get_bits::<5>(16);
        self.ep_in.ack_nump.next = self.proto.ack_nump.val();
        self.ep_in.ack_rty.next = self.proto.ack_rty.val();
        self.proto.ep_valid.next = self.ep_in.hdr_valid.val();
        self.proto.ep_dw0.next = self.ep_in.hdr_dw0.val();
        self.proto.ep_dw1.next = self.ep_in.hdr_dw1.val();
        self.proto.ep_dw2.next = self.ep_in.hdr_dw2.val();
        self.proto.ep_dpp.next = self.ep_in.hdr_dpp.val();
        self.ep_in.hdr_ready.next = self.proto.ep_ready.val();
        // Payload to the link layer: EP0's while it streams one, else the IN endpoint's (never both at once).
        if self.ep0.tx_pl_valid.val() {
            self.link.tx_pl_data.next = self.ep0.tx_pl_data.val();
        } else {
            self.link.tx_pl_data.next = self.ep_in.pl_data.val();
        }
        self.link.tx_pl_valid.next = self.ep0.tx_pl_valid.val() | self.ep_in.pl_valid.val();
        self.ep_in.pl_ready.next = self.link.tx_pl_ready.val();
        self.ep_in.app_data.next = self.in_data.val();
        self.ep_in.app_keep.next = self.in_keep.val();
        self.ep_in.app_last.next = self.in_last.val();
        self.ep_in.app_valid.next = self.in_valid.val();
        self.in_ready.next = self.ep_in.app_ready.val();
        // Bulk OUT endpoint: DPHs routed by endpoint number, payload straight from the link layer.
        self.ep_out.dev_addr.next = self.proto.dev_addr.val();
        self.ep_out.halt.next = self.ep0.halt_out.val() | self.out_halt.val();
        self.ep_out.seq_reset.next =
            self.ep0.seq_reset_out.val() | self.out_seq_reset.val() | self.hot_reset.val();
        self.out_halted.next = self.ep_out.halt.val();
        self.out_reset.next = self.ep_out.seq_reset.val();
        self.ep_out.dph_valid.next = self.proto.dph_out.val();
        self.ep_out.dph_seq.next = self.proto.dph_seq.val();
        self.ep_out.dph_len.next = self.proto.dph_len.val();
        self.ep_out.pl_data.next = self.link.rx_pl_data.val();
        self.ep_out.pl_valid.next = self.link.rx_pl_valid.val();
        self.ep_out.pl_end.next = self.link.rx_pl_end.val();
        self.ep_out.pl_status.next = self.link.rx_pl_status.val();
        self.proto.tp_valid.next = self.ep_out.hdr_valid.val();
        self.proto.tp_dw0.next = self.ep_out.hdr_dw0.val();
        self.proto.tp_dw1.next = self.ep_out.hdr_dw1.val();
        self.proto.tp_dw2.next = self.ep_out.hdr_dw2.val();
        self.ep_out.hdr_ready.next = self.proto.tp_ready.val();
        self.out_data.next = self.ep_out.app_data.val();
        self.out_keep.next = self.ep_out.app_keep.val();
        self.out_last.next = self.ep_out.app_last.val();
        self.out_valid.next = self.ep_out.app_valid.val();
        self.ep_out.app_ready.next = self.out_ready.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_follows_the_bulk_endpoints() {
        let p = DeviceParams {
            bulk_in: BulkParams {
                ep: 3,
                max_burst: 4,
                slots: 8,
            },
            ..DeviceParams::default()
        };
        assert_eq!(p.description(), DeviceDescription::example(3, 4, 2, 8));
        // A given description in either endpoint order is accepted when it matches.
        let mut d = DeviceDescription::example(3, 4, 2, 8);
        d.endpoints.reverse();
        d.product = "custom".into();
        let q = DeviceParams {
            desc: Some(d.clone()),
            ..p.clone()
        };
        assert_eq!(q.description(), d);
    }

    #[test]
    #[should_panic(expected = "must describe the bulk IN and OUT endpoints")]
    fn a_description_that_contradicts_the_endpoints_is_refused() {
        let p = DeviceParams {
            desc: Some(DeviceDescription::example(1, 16, 2, 8)),
            ..DeviceParams::default()
        };
        p.description();
    }
}
