//! EP0 through the whole engine: the Linux-like enumeration script against the device (descriptors generated
//! from the Rust description, SET_ADDRESS, SET_CONFIGURATION, SET_SEL, SET_ISOCH_DELAY), endpoint halt and
//! clear-halt over EP0 resetting the sequence numbers on both sides, and the bad-input cases of issue 4.

use usb3_hdl::device::DeviceParams;
use usb3_sim::host::{
    ControlRequest, Enumeration, HostBulkOut, HostControl, HostOutConfig, OutPolicy, Outcome,
};
use usb3_sim::link_partner::RxPacket;
use usb3_spec::control::{desc_type, DeviceDescription, Setup};
use usb3_spec::protocol::Dph;
use usb3_spec::CYCLE_NS;
use usb3_tb::agents::app::stream_byte;
use usb3_tb::dut::engine_top::EngineTop;
use usb3_tb::env::control::run_control;
use usb3_tb::observe::monitor::Dir;
use usb3_tb::wire::errors::ErrorRates;
use usb3_tb::wire::Wire;

const ADDR: u8 = 5;

/// A device just out of a Hot Reset (address 0, not configured).
fn fresh_device(errors: &ErrorRates, seed: u64) -> Wire<EngineTop> {
    let mut w = Wire::engine(DeviceParams::default(), seed, 16, errors, errors, 200);
    w.power_on();
    for _ in 0..100 {
        w.exchange();
        w.edge();
    }
    w
}

/// The protocol checker on the device's PIPE interface found nothing so far.
fn assert_protocol_clean(w: &Wire<EngineTop>) {
    let c = &w
        .watch
        .as_ref()
        .expect("engine benches are watched")
        .checker;
    assert_eq!(c.total(), 0, "protocol violations: {:#?}", c.violations());
}

fn enumerate(w: &mut Wire<EngineTop>) -> usb3_sim::host::EnumerationReport {
    let mut e = Enumeration::new(ADDR);
    assert!(
        run_control(w, &mut e, &mut |_, _| {}, 400_000),
        "enumeration did not finish"
    );
    assert_protocol_clean(w);
    e.into_report()
}

/// Run control requests; their results in order.
fn control(
    w: &mut Wire<EngineTop>,
    reqs: Vec<ControlRequest>,
) -> Vec<usb3_sim::host::ControlResult> {
    let mut h = HostControl::new(w.dev.core().proto.dev_addr.val().to_u32() as u8);
    let n = reqs.len();
    for r in reqs {
        h.submit(r);
    }
    assert!(
        run_control(w, &mut h, &mut |_, _| {}, 200_000),
        "control requests did not finish"
    );
    assert_protocol_clean(w);
    let res = h.take_results();
    assert_eq!(res.len(), n);
    res
}

// `enumeration_against_the_engine` is written as async tasks in tests/engine_tasks.rs.

#[test]
fn enumeration_survives_payload_errors() {
    let e = ErrorRates {
        dpp_bit_flip: 0.1,
        header_bit_flip: 0.02,
        ..ErrorRates::default()
    };
    let mut w = fresh_device(&e, 11);
    let r = enumerate(&mut w);
    assert!(r.ok(), "{:?}", r.errors);
    assert_eq!(r.device, DeviceDescription::example(1, 8, 2, 8).device());
}

/// An OUT transfer of `packets` full packets starting at `start_seq` through the engine; returns the host.
fn out_transfer(w: &mut Wire<EngineTop>, start_seq: u8, packets: u64, offset: u64) -> HostBulkOut {
    let mut host = HostBulkOut::new(HostOutConfig::new(
        ADDR,
        2,
        packets * 1024,
        start_seq,
        8,
        OutPolicy::ideal(8),
    ));
    let mut got = 0u64;
    for _ in 0..(packets * 600 + 5_000) {
        let now = w.cycle * CYCLE_NS;
        if w.host.tx_pending() == 0 {
            if let Some((dw, pl)) = host.poll(now, |o| stream_byte(9, offset + o)) {
                w.host.send(dw, Some(pl));
            }
        }
        w.exchange();
        w.dev.app().out_ready.next = true;
        if w.dev.core().out_valid.val() {
            let (d, keep) = (
                w.dev.core().out_data.val().to_u32(),
                w.dev.core().out_keep.val().to_u32(),
            );
            for i in 0..4 {
                if keep >> i & 1 == 1 {
                    assert_eq!(
                        (d >> (8 * i)) as u8,
                        stream_byte(9, offset + got),
                        "byte {got}"
                    );
                    got += 1;
                }
            }
        }
        w.edge();
        let now = w.cycle * CYCLE_NS;
        let mut rx: Vec<RxPacket> = vec![];
        while let Some(p) = w.host.pop_received() {
            rx.push(p);
        }
        for p in &rx {
            host.on_packet(now, p);
        }
        if host.done() && (host.halted() || got == packets * 1024) {
            break;
        }
    }
    if !host.halted() {
        assert_eq!(got, packets * 1024, "every byte through the application");
    }
    assert_protocol_clean(w);
    host
}

#[test]
fn halt_and_clear_halt_over_ep0_reset_the_sequence_on_both_sides() {
    let mut w = fresh_device(&ErrorRates::default(), 5);
    assert!(enumerate(&mut w).ok());
    // 5 packets: the device expects seq 5 next.
    let h = out_transfer(&mut w, 0, 5, 0);
    assert!(h.done() && !h.halted());
    assert_eq!(w.dev.core().ep_out.st_expected_seq.val().to_u32(), 5);
    // Halt EP2 OUT: GET_STATUS shows it, the application sees it, a DATA packet gets STALL.
    let r = control(
        &mut w,
        vec![
            ControlRequest::new(Setup::set_halt(0x02)),
            ControlRequest::new(Setup::get_status(2, 0x02)),
        ],
    );
    assert!(r.iter().all(|x| x.ok()), "{r:?}");
    assert_eq!(r[1].data, vec![1, 0]);
    assert!(w.dev.core().ep0.halt_out.val());
    let h = out_transfer(&mut w, 5, 2, 5 * 1024);
    assert!(h.halted(), "the host saw STALL");
    assert_eq!(
        w.dev.core().ep_out.st_packets.val().to_u32(),
        5,
        "nothing stored while halted"
    );
    // ClearFeature: not halted, the device's sequence back to 0; the host restarts at 0 too (spec 8.12.1.3) and
    // the transfer goes through.
    let r = control(
        &mut w,
        vec![
            ControlRequest::new(Setup::clear_halt(0x02)),
            ControlRequest::new(Setup::get_status(2, 0x02)),
        ],
    );
    assert!(r.iter().all(|x| x.ok()), "{r:?}");
    assert_eq!(r[1].data, vec![0, 0]);
    assert_eq!(w.dev.core().ep_out.st_expected_seq.val().to_u32(), 0);
    let h = out_transfer(&mut w, 0, 3, 5 * 1024);
    assert!(h.done() && !h.halted());
    // ClearFeature on an endpoint that is not halted still resets its sequence number.
    assert_eq!(w.dev.core().ep_out.st_expected_seq.val().to_u32(), 3);
    assert!(control(&mut w, vec![ControlRequest::new(Setup::clear_halt(0x02))])[0].ok());
    assert_eq!(w.dev.core().ep_out.st_expected_seq.val().to_u32(), 0);
    // The IN endpoint: halt shows in GET_STATUS and on the application side (the endpoint's halt input).
    let r = control(
        &mut w,
        vec![
            ControlRequest::new(Setup::set_halt(0x81)),
            ControlRequest::new(Setup::get_status(2, 0x81)),
        ],
    );
    assert_eq!(r[1].data, vec![1, 0]);
    assert!(w.dev.core().ep0.halt_in.val() && w.dev.core().ep_in.halt.val());
    assert!(control(&mut w, vec![ControlRequest::new(Setup::clear_halt(0x81))])[0].ok());
    assert!(!w.dev.core().ep_in.halt.val());
}

#[test]
fn bad_requests_get_the_specs_answer_and_the_engine_keeps_working() {
    let mut w = fresh_device(&ErrorRates::default(), 7);
    assert!(enumerate(&mut w).ok());
    let ignored0 = w.dev.core().ep0.st_ignored.val().to_u32();
    // SETUP with seq != 0, and with length != 8: ignored, nothing stored, no answer.
    for (seq, len) in [(3u8, 8u16), (0, 7)] {
        let dph = Dph {
            addr: ADDR,
            ep: 0,
            dir_in: false,
            seq,
            eob: false,
            setup: true,
            len,
            pp: false,
        };
        let payload = Setup::set_address(9).to_bytes()[..len as usize].to_vec();
        w.host.send(dph.encode(), Some(payload));
        for _ in 0..2_000 {
            w.exchange();
            w.edge();
            while w.host.pop_received().is_some() {
                panic!("the device answered an invalid SETUP");
            }
        }
    }
    assert_eq!(w.dev.core().ep0.st_ignored.val().to_u32(), ignored0 + 2);
    assert_eq!(
        w.dev.core().proto.dev_addr.val().to_u32(),
        ADDR as u32,
        "nothing taken from them"
    );
    // Endpoints that do not exist, an unknown descriptor, a non-standard request: STALL.
    let r = control(
        &mut w,
        vec![
            ControlRequest::new(Setup::set_halt(0x85)),
            ControlRequest::new(Setup::get_status(2, 0x83)),
            ControlRequest::new(Setup::get_descriptor(7, 0, 64)),
            ControlRequest::new(Setup::get_descriptor(desc_type::STRING, 9, 255)),
            ControlRequest::new(Setup {
                request_type: 0xC0,
                request: 0x51,
                value: 0,
                index: 0,
                length: 4,
            }),
        ],
    );
    for x in &r {
        assert_eq!(x.outcome, Outcome::Stalled, "{x:?}");
    }
    // Descriptor requests shorter and longer than the descriptor: wLength bytes / the whole descriptor.
    let d = DeviceDescription::example(1, 8, 2, 8);
    let r = control(
        &mut w,
        vec![
            ControlRequest::new(Setup::get_descriptor(desc_type::DEVICE, 0, 4)),
            ControlRequest::new(Setup::get_descriptor(desc_type::DEVICE, 0, 300)),
            ControlRequest::new(Setup::get_descriptor(desc_type::CONFIGURATION, 0, 1000)),
        ],
    );
    assert!(r.iter().all(|x| x.ok()), "{r:?}");
    assert_eq!(r[0].data, d.device()[..4]);
    assert_eq!(r[1].data, d.device());
    assert_eq!(r[2].data, d.configuration());
    // An OUT DATA packet longer than 1024: rejected, nothing stored; the next transfer goes through.
    let big = Dph {
        addr: ADDR,
        ep: 2,
        dir_in: false,
        seq: 0,
        eob: false,
        setup: false,
        len: 1100,
        pp: false,
    };
    w.host.send(big.encode(), Some(vec![0xAA; 1100]));
    for _ in 0..1_000 {
        w.exchange();
        w.edge();
        while w.host.pop_received().is_some() {}
    }
    assert_eq!(w.dev.core().ep_out.st_rejected.val().to_u32(), 1);
    assert_eq!(w.dev.core().ep_out.st_packets.val().to_u32(), 0);
    // The protocol checker charged that packet to the host (the DPP runs past 1024 + CRC bytes), nothing to the
    // device.
    let v = w.watch.as_mut().unwrap().checker.take_violations();
    assert!(
        !v.is_empty() && v.iter().all(|x| x.dir == Dir::Down),
        "{v:#?}"
    );
    assert!(
        v.iter()
            .any(|x| x.rule == usb3_tb::observe::checker::RuleId::CrcDpp32),
        "{v:#?}"
    );
    let h = out_transfer(&mut w, 0, 2, 0);
    assert!(h.done() && !h.halted());
}
