//! The protocol layer on its own: header decode and routing, device address, PING -> PING_RESPONSE, and the
//! transmit merge.

use rust_hdl::prelude::*;
use usb3_hdl::protocol::ProtocolLayer;
use usb3_spec::protocol::{Dph, Tp};

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

#[test]
fn acks_are_decoded_for_this_address_only() {
    let mut p = new();
    p.addr_set.next = true;
    p.addr_value.next = 9.into();
    cycle(&mut p);
    p.addr_set.next = false;
    assert_eq!(p.dev_addr.val().to_u32(), 9);
    let ack = Tp::Ack { addr: 9, ep: 3, dir_in: true, seq: 17, nump: 5, retry: true, host_error: false, pp: false };
    offer(&mut p, ack.encode());
    assert!(p.rx_pop.val() && p.ack_valid.val() && p.hdr_valid.val());
    assert_eq!(
        (p.ack_ep.val().to_u32(), p.ack_dir_in.val(), p.ack_seq.val().to_u32(), p.ack_nump.val().to_u32(), p.ack_rty.val()),
        (3, true, 17, 5, true)
    );
    cycle(&mut p);
    // Another device's ACK: taken off the link layer, not decoded, counted.
    offer(&mut p, Tp::Ack { addr: 8, ep: 3, dir_in: true, seq: 1, nump: 1, retry: false, host_error: false, pp: false }.encode());
    assert!(p.rx_pop.val() && !p.ack_valid.val() && !p.hdr_valid.val());
    cycle(&mut p);
    // A DPH: decoded for the OUT endpoints.
    offer(&mut p, Dph { addr: 9, ep: 1, seq: 30, len: 1000, ..Dph::default() }.encode());
    assert!(!p.ack_valid.val() && p.hdr_valid.val() && p.dph_valid.val());
    assert_eq!(
        (p.dph_ep.val().to_u32(), p.dph_dir_in.val(), p.dph_seq.val().to_u32(), p.dph_len.val().to_u32()),
        (1, false, 30, 1000)
    );
    cycle(&mut p);
    // A STATUS TP is not answered yet (EP0): counted.
    offer(&mut p, Tp::Status { addr: 9, ep: 0 }.encode());
    assert!(!p.ack_valid.val() && !p.dph_valid.val());
    cycle(&mut p);
    p.rx_valid.next = false;
    cycle(&mut p);
    assert_eq!((p.st_misaddressed.val().to_u32(), p.st_unhandled.val().to_u32()), (1, 1));
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
    let dw = [p.tx_dw0.val().to_u32(), p.tx_dw1.val().to_u32(), p.tx_dw2.val().to_u32()];
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
