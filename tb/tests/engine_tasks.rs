//! Engine tests written as cocotb-style async tasks ([`usb3_tb::env::engine_tb`]): the engine starts, a host
//! enumerates it, then the application's stream source and sink and the host's bulk transfers run as concurrent
//! tasks, and the test awaits them (with timeouts). The scoreboards in the agents judge the bytes, the protocol
//! checker the wire. These three were callback-bench tests before (enumeration.rs, bulk_in.rs, duplex.rs); the
//! README's "Write your own test" walks through the second.

use usb3_hdl::device::DeviceParams;
use usb3_sim::host::control::SET_SEL_DATA;
use usb3_sim::host::{CompletionCode, HostInConfig, HostOutConfig, OutPolicy, Policy, XhciConfig};
use usb3_spec::control::DeviceDescription;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::engine_tb::{Engine, EngineConfig};
use usb3_tb::observe::monitor::{Dir, HeaderKind, Packet};
use usb3_tb::runtime::sched::first_of;
use usb3_tb::runtime::seed::{derive, SeedReport, SeedStream};
use usb3_tb::wire::errors::ErrorRates;

const ADDR: u8 = 5;

#[test]
fn enumeration_against_the_engine() {
    let seed = SeedReport::for_test("enumeration_against_the_engine");
    let (mut sim, tb) = Engine::new(&EngineConfig::new(seed.seed())).unwrap();
    let t = tb.clone();
    let main = sim.start_soon_named("test", async move {
        t.start().await;
        t.enumerate(ADDR).await
    });
    let r = sim
        .run_until_complete(main, 1_000_000)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}; {}", seed.replay_command()));
    let d = DeviceDescription::example(1, 8, 2, 8);
    assert_eq!(r.device, d.device());
    assert_eq!(r.bos, d.bos());
    assert_eq!(r.config.as_ref().unwrap().endpoints, d.endpoints);
    assert_eq!(
        r.strings,
        vec![d.manufacturer.clone(), d.product.clone(), d.serial.clone()]
    );
    sim.with(|w| {
        let dev = w.wire.dev.core();
        assert_eq!(
            dev.proto.dev_addr.val().to_u32(),
            ADDR as u32,
            "SET_ADDRESS took effect"
        );
        assert!(dev.configured.val(), "SET_CONFIGURATION(1) took effect");
        assert_eq!(dev.ep0.isoch_delay.val().to_u32(), 40);
        let sel = dev.ep0.sel.val().to_u64();
        assert_eq!(
            (0..6).map(|i| (sel >> (8 * i)) as u8).collect::<Vec<_>>(),
            SET_SEL_DATA
        );
        assert_eq!(dev.ep0.st_stalls.val().to_u32(), 0);
    });
    assert_eq!(tb.violations(), Vec::<String>::new());
}

/// Three 8 KiB TDs; the application sends 5000 bytes (ends with a 904-byte packet), 4096 bytes + ZLP, 0 bytes (a
/// ZLP alone): each transfer ends its TD with a short packet. Also shows the monitor trigger: the test waits for
/// the device's first DATA header on the wire.
fn short_packet_and_zero_length_packet_end_transfers(backend: Backend) {
    let seed = SeedReport::for_test("short_packet_and_zero_length_packet_end_transfers");
    let s = seed.seed();
    let cfg = EngineConfig {
        backend,
        ..EngineConfig::new(s)
    };
    let (mut sim, tb) = Engine::new(&cfg).unwrap();
    let t = tb.clone();
    let main = sim.start_soon_named("test", async move {
        t.start().await;
        t.enumerate(ADDR).await?;
        let transfers = vec![(5000, false), (4096, true), (0, true)];
        let source = t.start_app_source(s, transfers);
        let xhci = XhciConfig::new(8192, 3 * 8192);
        let host = t.start_bulk_in(HostInConfig::new(Policy::intel_b150(), xhci, ADDR, 1, 8), s);
        // A monitor event: the first DATA packet header the device sends.
        let first = t.packet(|e| e.dir == Dir::Up && matches!(e.packet, Packet::Header(ref h) if matches!(h.kind, HeaderKind::Dph(_)))).await;
        let done = t.ctx().with_timeout(host.join(), 200_000).await.map_err(|e| format!("bulk IN: {e}"))?;
        let offered = source.await;
        Ok::<_, String>((first.cycle, offered, done))
    });
    let (first_data, offered, r) = sim
        .run_until_complete(main, 2_000_000)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}; {}", seed.replay_command()));
    assert!(first_data > 0);
    assert_eq!(offered, 9096);
    r.board
        .complete(9096)
        .unwrap_or_else(|e| panic!("{e}; {}", seed.replay_command()));
    let got: Vec<(u64, CompletionCode)> = r
        .host
        .completions()
        .iter()
        .map(|c| (c.bytes, c.code))
        .collect();
    assert_eq!(
        got,
        vec![
            (5000, CompletionCode::ShortPacket),
            (4096, CompletionCode::ShortPacket),
            (0, CompletionCode::ShortPacket)
        ]
    );
    assert_eq!(tb.violations(), Vec::<String>::new());
}

#[test]
fn short_packet_and_zero_length_packet_end_transfers_native() {
    short_packet_and_zero_length_packet_end_transfers(Backend::Native);
}

#[test]
fn short_packet_and_zero_length_packet_end_transfers_verilator() {
    short_packet_and_zero_length_packet_end_transfers(Backend::Verilator);
}

/// Bulk IN (intel-b150, 4 KiB TDs) and bulk OUT (renesas-upd720202) at once after enumeration, 3 % of the
/// payloads corrupted each way: retries on both, nothing lost, duplicated or reordered either way.
#[test]
fn duplex_with_payload_errors_loses_nothing() {
    let seed = SeedReport::for_test("duplex_with_payload_errors_loses_nothing");
    let s = seed.seed();
    let e = ErrorRates {
        dpp_bit_flip: 0.03,
        ..Default::default()
    };
    let cfg = EngineConfig {
        up_errors: e,
        down_errors: e,
        params: DeviceParams::default(),
        ..EngineConfig::new(s)
    };
    let (mut sim, tb) = Engine::new(&cfg).unwrap();
    let bytes = 96 * 1024 + 300;
    let out_seed = derive(s, SeedStream::DuplexOut);
    let t = tb.clone();
    let main = sim.start_soon_named("test", async move {
        t.start().await;
        t.enumerate(ADDR).await?;
        let _source = t.start_app_source(s, vec![(bytes, false)]);
        let sink = t.start_app_sink(out_seed, bytes);
        let xhci = XhciConfig::new(4096, bytes);
        let host_in = t.start_bulk_in(HostInConfig::new(Policy::intel_b150(), xhci, ADDR, 1, 8), s);
        let out = HostOutConfig::new(ADDR, 2, bytes, 0, 8, OutPolicy::renesas_upd720202());
        let host_out = t.start_bulk_out(out, out_seed, 0);
        // Both directions at once; whichever ends first, the other is awaited too. 1,500,000 cycles = 12 ms.
        let (r_in, r_out) = t
            .ctx()
            .with_timeout(
                async {
                    let r_in = host_in.await;
                    let r_out = host_out.await;
                    (r_in, r_out)
                },
                1_500_000,
            )
            .await
            .map_err(|e| format!("transfers: {e}"))?;
        // The OUT sink has every byte once the host's last packet is acknowledged, or soon after.
        let board = match first_of(sink.join(), t.ctx().cycles(10_000)).await {
            usb3_tb::runtime::sched::Either::Left(b) => b,
            usb3_tb::runtime::sched::Either::Right(()) => {
                return Err("the OUT sink did not get every byte".into())
            }
        };
        Ok::<_, String>((r_in, r_out, board))
    });
    let (r_in, r_out, out_board) = sim
        .run_until_complete(main, 3_000_000)
        .unwrap()
        .unwrap_or_else(|e| panic!("{e}; {}", seed.replay_command()));
    r_in.board
        .complete(bytes)
        .unwrap_or_else(|e| panic!("IN: {e}; {}", seed.replay_command()));
    out_board
        .complete(bytes)
        .unwrap_or_else(|e| panic!("OUT: {e}; {}", seed.replay_command()));
    assert!(!r_out.halted(), "OUT endpoint halted");
    let retries = r_in.host.stats().packets_bad + r_out.stats().resends;
    assert!(retries > 0, "no retry exercised");
    assert_eq!(tb.violations(), Vec::<String>::new());
}
