//! The protocol layer on its own: header decode and routing, device address, PING -> PING_RESPONSE, and the
//! transmit merge.

use rust_hdl::prelude::*;
use usb3_hdl::protocol::ProtocolLayer;
use usb3_spec::protocol::{lmp, Dph, Tp};

fn settle(p: &mut ProtocolLayer) {
    p.update_all();
    while p.has_changed() {
        p.update_all();
    }
}

fn cycle(p: &mut ProtocolLayer) {
    p.clock.next = false.into();
    settle(p);
    p.clock.next = true.into();
    settle(p);
}

fn offer(p: &mut ProtocolLayer, dw: [u32; 3]) {
    p.rx_valid.next = true;
    p.rx_dw0.next = (dw[0] as u64).into();
    p.rx_dw1.next = (dw[1] as u64).into();
    p.rx_dw2.next = (dw[2] as u64).into();
    settle(p);
}

fn new() -> ProtocolLayer {
    let mut p = ProtocolLayer::default();
    p.connect_all();
    p.reset.next = true;
    cycle(&mut p);
    p.reset.next = false;
    p
}

/// Offer `dw` for one cycle: the header is popped at once and its decode appears, registered, after the edge.
fn take(p: &mut ProtocolLayer, dw: [u32; 3]) {
    offer(p, dw);
    assert!(p.rx_pop.val());
    cycle(p);
    p.rx_valid.next = false;
    settle(p);
}

#[test]
fn acks_are_decoded_for_this_address_only() {
    // EP3 is the bulk IN endpoint, EP1 the bulk OUT endpoint.
    let mut p = ProtocolLayer::new(3, 1);
    p.connect_all();
    p.reset.next = true;
    cycle(&mut p);
    p.reset.next = false;
    p.addr_set.next = true;
    p.addr_value.next = 9.into();
    cycle(&mut p);
    p.addr_set.next = false;
    assert_eq!(p.dev_addr.val().to_u32(), 9);
    let ack = Tp::Ack {
        addr: 9,
        ep: 3,
        dir_in: true,
        seq: 17,
        nump: 5,
        retry: true,
        host_error: false,
        pp: false,
    };
    offer(&mut p, ack.encode());
    // Nothing is decoded combinationally: the strobes are registered.
    assert!(p.rx_pop.val() && !p.ack_valid.val());
    cycle(&mut p);
    p.rx_valid.next = false;
    settle(&mut p);
    assert!(p.ack_valid.val() && p.hdr_valid.val() && p.ack_in.val() && !p.ack0.val());
    assert_eq!(
        (
            p.ack_ep.val().to_u32(),
            p.ack_dir_in.val(),
            p.ack_seq.val().to_u32(),
            p.ack_nump.val().to_u32(),
            p.ack_rty.val()
        ),
        (3, true, 17, 5, true)
    );
    // One cycle only.
    cycle(&mut p);
    assert!(!p.ack_valid.val() && !p.ack_in.val());
    // An ACK for endpoint 3 OUT, or for another IN endpoint: decoded, not routed to the bulk IN endpoint.
    take(
        &mut p,
        Tp::Ack {
            addr: 9,
            ep: 3,
            dir_in: false,
            seq: 1,
            nump: 1,
            retry: false,
            host_error: false,
            pp: false,
        }
        .encode(),
    );
    assert!(p.ack_valid.val() && !p.ack_in.val());
    take(
        &mut p,
        Tp::Ack {
            addr: 9,
            ep: 4,
            dir_in: true,
            seq: 1,
            nump: 1,
            retry: false,
            host_error: false,
            pp: false,
        }
        .encode(),
    );
    assert!(p.ack_valid.val() && !p.ack_in.val());
    // EP0's ACK (either direction bit).
    take(
        &mut p,
        Tp::Ack {
            addr: 9,
            ep: 0,
            dir_in: true,
            seq: 1,
            nump: 1,
            retry: false,
            host_error: false,
            pp: false,
        }
        .encode(),
    );
    assert!(p.ack_valid.val() && p.ack0.val() && !p.ack_in.val());
    // Another device's ACK: taken off the link layer, not decoded, counted.
    take(
        &mut p,
        Tp::Ack {
            addr: 8,
            ep: 3,
            dir_in: true,
            seq: 1,
            nump: 1,
            retry: false,
            host_error: false,
            pp: false,
        }
        .encode(),
    );
    assert!(!p.ack_valid.val() && !p.hdr_valid.val() && !p.ack_in.val());
    // A DPH for the bulk OUT endpoint.
    take(
        &mut p,
        Dph {
            addr: 9,
            ep: 1,
            seq: 30,
            len: 1000,
            ..Dph::default()
        }
        .encode(),
    );
    assert!(!p.ack_valid.val() && p.hdr_valid.val() && p.dph_valid.val() && !p.dph_setup.val());
    assert!(p.dph_out.val() && !p.dph0.val());
    assert_eq!(
        (
            p.dph_ep.val().to_u32(),
            p.dph_dir_in.val(),
            p.dph_seq.val().to_u32(),
            p.dph_len.val().to_u32()
        ),
        (1, false, 30, 1000)
    );
    // A DPH for another OUT endpoint: decoded, not routed.
    take(
        &mut p,
        Dph {
            addr: 9,
            ep: 2,
            seq: 0,
            len: 10,
            ..Dph::default()
        }
        .encode(),
    );
    assert!(p.dph_valid.val() && !p.dph_out.val() && !p.dph0.val());
    // A SETUP DPH (EP0): the Setup bit is passed on.
    take(
        &mut p,
        Dph {
            addr: 9,
            ep: 0,
            seq: 0,
            len: 8,
            setup: true,
            ..Dph::default()
        }
        .encode(),
    );
    assert!(
        p.dph_valid.val()
            && p.dph0.val()
            && p.dph_setup.val()
            && !p.status_valid.val()
            && !p.dph_out.val()
    );
    assert_eq!((p.dph_ep.val().to_u32(), p.dph_len.val().to_u32()), (0, 8));
    // A STATUS TP (EP0): a strobe with its endpoint, not counted as unhandled.
    take(&mut p, Tp::Status { addr: 9, ep: 0 }.encode());
    assert!(!p.ack_valid.val() && !p.dph_valid.val() && p.status_valid.val() && p.status0.val());
    assert_eq!(p.status_ep.val().to_u32(), 0);
    // Anything else is counted (a DEV_NOTIFICATION TP, which only a device sends).
    take(
        &mut p,
        Tp::Other {
            addr: 9,
            subtype: 6,
        }
        .encode(),
    );
    assert!(!p.ack_valid.val() && !p.dph_valid.val() && !p.status_valid.val());
    cycle(&mut p);
    assert_eq!(
        (
            p.st_misaddressed.val().to_u32(),
            p.st_unhandled.val().to_u32()
        ),
        (1, 1)
    );
    // Hot Reset returns the device to address 0.
    p.hot_reset.next = true;
    cycle(&mut p);
    assert_eq!(p.dev_addr.val().to_u32(), 0);
}

#[test]
fn ping_then_out_handshakes_then_in_headers() {
    let mut p = new();
    p.tx_ready.next = true;
    p.ep_valid.next = true;
    p.ep_dw0.next = 0x1234_0008_u64.into();
    p.ep_dpp.next = true;
    offer(&mut p, Tp::Ping { addr: 0 }.encode());
    cycle(&mut p);
    p.rx_valid.next = false;
    settle(&mut p);
    // PING_RESPONSE goes first; the endpoint is held off.
    let dw = [
        p.tx_dw0.val().to_u32(),
        p.tx_dw1.val().to_u32(),
        p.tx_dw2.val().to_u32(),
    ];
    assert_eq!(Tp::decode(dw), Some(Tp::PingResponse { addr: 0 }));
    assert!(p.tx_valid.val() && !p.tx_dpp.val() && !p.ep_ready.val());
    cycle(&mut p);
    // An OUT endpoint's handshake goes before the IN endpoint's header.
    p.tp_valid.next = true;
    p.tp_dw0.next = 0x0000_0004_u64.into();
    settle(&mut p);
    assert!(p.tx_valid.val() && !p.tx_dpp.val() && p.tp_ready.val() && !p.ep_ready.val());
    p.tp_valid.next = false;
    settle(&mut p);
    assert!(p.tx_valid.val() && p.tx_dpp.val() && p.ep_ready.val() && !p.tp_ready.val());
    assert_eq!(p.tx_dw0.val().to_u32(), 0x1234_0008);
    assert_eq!(p.st_pings.val().to_u32(), 1);
}

#[test]
fn ep0_headers_go_after_out_handshakes_and_before_in_headers() {
    let mut p = new();
    p.tx_ready.next = true;
    p.ep_valid.next = true;
    p.ep_dw0.next = 0x1234_0008_u64.into();
    p.ep_dpp.next = true;
    p.c0_valid.next = true;
    p.c0_dw0.next = 0x0600_0008_u64.into();
    p.c0_dw1.next = 0x0012_0000_u64.into();
    p.c0_dpp.next = true;
    p.tp_valid.next = true;
    p.tp_dw0.next = 0x0000_0004_u64.into();
    settle(&mut p);
    // The bulk OUT handshake first.
    assert!(
        p.tx_valid.val()
            && !p.tx_dpp.val()
            && p.tp_ready.val()
            && !p.c0_ready.val()
            && !p.ep_ready.val()
    );
    assert_eq!(p.tx_dw0.val().to_u32(), 4);
    // Then EP0's DPH (with its payload flag), ahead of the IN endpoint.
    p.tp_valid.next = false;
    settle(&mut p);
    assert!(
        p.tx_valid.val()
            && p.tx_dpp.val()
            && p.c0_ready.val()
            && !p.ep_ready.val()
            && !p.tp_ready.val()
    );
    assert_eq!(
        (p.tx_dw0.val().to_u32(), p.tx_dw1.val().to_u32()),
        (0x0600_0008, 0x0012_0000)
    );
    // Nothing from EP0: the IN endpoint's header passes straight through; ready follows the link layer.
    p.c0_valid.next = false;
    settle(&mut p);
    assert!(p.tx_valid.val() && p.ep_ready.val() && !p.c0_ready.val());
    assert_eq!(p.tx_dw0.val().to_u32(), 0x1234_0008);
    p.tx_ready.next = false;
    p.c0_valid.next = true;
    settle(&mut p);
    assert!(p.tx_valid.val() && !p.c0_ready.val() && !p.ep_ready.val());
}

/// The header the transmit merge offers now.
fn offered(p: &ProtocolLayer) -> Option<[u32; 3]> {
    p.tx_valid.val().then(|| {
        [
            p.tx_dw0.val().to_u32(),
            p.tx_dw1.val().to_u32(),
            p.tx_dw2.val().to_u32(),
        ]
    })
}

#[test]
fn link_management_port_capability_first_then_port_configuration_answered() {
    let mut p = new();
    p.addr_set.next = true;
    p.addr_value.next = 5.into();
    cycle(&mut p);
    p.addr_set.next = false;
    // A PING is pending and an endpoint offers a TP: on link initialisation the Port Capability goes first.
    take(&mut p, Tp::Ping { addr: 5 }.encode());
    p.port_cap.next = true;
    cycle(&mut p);
    p.port_cap.next = false;
    p.tp_valid.next = true;
    p.tx_ready.next = false;
    settle(&mut p);
    // Port Capability: subtype 4, 5 Gb/s (DW0 bit 9), 4 header buffers, upstream-capable (DW1 bit 17).
    assert_eq!(offered(&p), Some(lmp::DEVICE_PORT_CAPABILITY));
    assert!(!p.tp_ready.val());
    p.tx_ready.next = true;
    cycle(&mut p);
    // Then the PING_RESPONSE, then the TP.
    assert_eq!(offered(&p).map(|d| d[1] & 0xF), Some(8));
    cycle(&mut p);
    assert!(p.tp_ready.val());
    p.tp_valid.next = false;
    settle(&mut p);
    assert_eq!(offered(&p), None);
    // The host's Port Configuration (5 Gb/s): accepted (response code 1); another speed: rejected (2). LMPs have
    // no device address: neither misaddressed nor unhandled.
    let (mis, unh) = (
        p.st_misaddressed.val().to_u32(),
        p.st_unhandled.val().to_u32(),
    );
    let other_speed = [(lmp::PORT_CONFIGURATION << 5) | (1 << 10), 0, 0];
    for (cfg, code) in [
        (lmp::PORT_CONFIGURATION_5G, lmp::ACCEPT),
        (other_speed, lmp::REJECT),
    ] {
        take(&mut p, cfg);
        assert!(!p.hdr_valid.val(), "an LMP is not an endpoint's header");
        assert_eq!(offered(&p), Some(lmp::port_configuration_response(code)));
        cycle(&mut p);
        assert_eq!(offered(&p), None);
    }
    assert_eq!(
        (
            p.st_misaddressed.val().to_u32(),
            p.st_unhandled.val().to_u32()
        ),
        (mis, unh)
    );
    // Never again without a new link initialisation (a Hot Reset does not send it).
    p.hot_reset.next = true;
    cycle(&mut p);
    p.hot_reset.next = false;
    settle(&mut p);
    assert_eq!(offered(&p), None);
}

#[test]
fn set_link_function_and_u2_inactivity_timeout_lmps_are_kept_until_a_hot_reset() {
    let mut p = new();
    assert!(!p.force_pm_accept.val() && p.u2_timeout.val().to_u32() == 0);
    take(&mut p, lmp::set_link_function(true));
    take(&mut p, lmp::u2_inactivity_timeout(0x21));
    assert!(p.force_pm_accept.val());
    assert_eq!(p.u2_timeout.val().to_u32(), 0x21);
    assert!(
        !p.hdr_valid.val() && offered(&p).is_none(),
        "no answer to either"
    );
    take(&mut p, lmp::set_link_function(false));
    assert!(!p.force_pm_accept.val());
    assert_eq!(p.u2_timeout.val().to_u32(), 0x21);
    take(&mut p, lmp::set_link_function(true));
    p.hot_reset.next = true;
    cycle(&mut p);
    p.hot_reset.next = false;
    settle(&mut p);
    assert!(!p.force_pm_accept.val() && p.u2_timeout.val().to_u32() == 0);
}
