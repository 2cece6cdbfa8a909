//! Co-simulation (issue 7): the generated Verilog of the engine, compiled by Verilator, replays the inputs the
//! rust-hdl model saw in a duplex run against the intel-b150 models and must produce the same outputs in every
//! cycle, hence the same PIPE stream and the same packet log. Proof that what goes to Quartus is what was
//! simulated.

use std::time::Instant;

use usb3_flow::verilog::{engine_verilog, ENGINE_MODULE};
use usb3_tb::dut::replay::{compare, compare_qualified, Init, VerilatorModel, STREAM_QUALIFIERS};
use usb3_tb::observe::events::{event_lines, packet_log, pipe_events};
use usb3_tb::runtime::ports::PortTrace;
use usb3_tb::scenarios::cosim::{intel_duplex_configs, run_traced_duplex, traced_enumeration};

/// The first cycle compared: the trace starts with two reset cycles; the outputs before the first edge are the
/// power-up state, which reset exists to override.
const FROM: usize = 1;

#[test]
fn generated_verilog_matches_rust_hdl_cycle_for_cycle() {
    let t = Instant::now();
    let (i, o) = intel_duplex_configs(64 * 1024, 7);
    let run = run_traced_duplex(i, o).expect("bench");
    assert!(
        run.in_report.passed(),
        "rust-hdl IN run failed: {:?}",
        run.in_report.transfer
    );
    assert!(
        run.out_report.passed(),
        "rust-hdl OUT run failed: {:?}",
        run.out_report.transfer
    );
    assert_eq!((run.in_report.bytes, run.out_report.bytes), (65536, 65536));
    let rust_s = t.elapsed().as_secs_f64();

    let verilog = engine_verilog(&run.params, ENGINE_MODULE);
    assert!(
        !verilog.contains("initial"),
        "register power-up values left in the Verilog"
    );
    let t = Instant::now();
    let model = VerilatorModel::build(&verilog, ENGINE_MODULE, &run.trace)
        .unwrap_or_else(|e| panic!("{e}"));
    let build_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let out = model
        .replay(&run.trace, Init::Zero)
        .unwrap_or_else(|e| panic!("{e}"));
    let replay_s = t.elapsed().as_secs_f64();
    let cmp = compare(&run.trace, &out, FROM);
    println!(
        "co-simulation: {} cycles; rust-hdl {rust_s:.1} s, Verilator build {build_s:.1} s, replay {replay_s:.2} s; {cmp}",
        run.trace.cycles
    );
    assert!(
        cmp.identical(),
        "generated Verilog differs from rust-hdl: {cmp}"
    );

    // The same PIPE stream, read by the protocol monitors: the same events and the same packet log.
    let rust_events = pipe_events(&run.trace, &run.trace.output_values);
    let verilog_events = pipe_events(&run.trace, &out);
    assert_eq!(event_lines(&rust_events), event_lines(&verilog_events));
    let (rust_log, verilog_log) = (packet_log(&rust_events), packet_log(&verilog_events));
    assert_eq!(rust_log, verilog_log);
    // The log is the whole transfer: 64 DATA packets each way, ACKed.
    let data = |dir: &str| {
        rust_log
            .iter()
            .filter(|l| l.contains(dir) && l.contains(" Data "))
            .count()
    };
    assert!(
        data("device->host") >= 64 && data("host->device") >= 64,
        "packet log too short: {} lines",
        rust_log.len()
    );

    // Random power-up state (registers and memories): the synchronous reset alone must make the engine
    // deterministic, as on a Stratix 10 leaving configuration.
    for seed in [1, 0x5EED] {
        let out = model
            .replay(&run.trace, Init::Random(seed))
            .unwrap_or_else(|e| panic!("{e}"));
        let cmp = compare_qualified(&run.trace, &out, FROM, STREAM_QUALIFIERS);
        println!("random power-up state, seed {seed}: {cmp}");
        assert!(
            cmp.identical(),
            "random power-up state (seed {seed}) changes the outputs: {cmp}"
        );
    }
}

/// The comparison can fail: the same replay into Verilog whose bulk IN endpoint number was changed after
/// generation (what a stale or hand-edited file would be) is caught at the first cycle the outputs differ.
#[test]
fn a_verilog_that_differs_from_the_model_is_caught() {
    let (i, o) = intel_duplex_configs(8 * 1024, 3);
    let run = run_traced_duplex(i, o).expect("bench");
    assert!(run.in_report.passed() && run.out_report.passed());
    let verilog = engine_verilog(&run.params, ENGINE_MODULE);
    let original = "localparam  in_ep = 4'h1;";
    assert!(
        verilog.contains(original),
        "the endpoint number constant moved: update this test"
    );
    let tampered = verilog.replacen(original, "localparam  in_ep = 4'h3;", 1);
    let model = VerilatorModel::build(&tampered, ENGINE_MODULE, &run.trace)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = model
        .replay(&run.trace, Init::Zero)
        .unwrap_or_else(|e| panic!("{e}"));
    let cmp = compare(&run.trace, &out, FROM);
    println!("tampered Verilog: {cmp}");
    assert!(!cmp.identical());
    assert!(
        cmp.first.iter().any(|m| m.port == "pipe_tx_data"),
        "the wire should differ: {cmp}"
    );
    assert_ne!(
        packet_log(&pipe_events(&run.trace, &run.trace.output_values)),
        packet_log(&pipe_events(&run.trace, &out))
    );
}

/// The EP0 path over the wire: the enumeration script from U0 entry (Hot Reset) on, replayed into the same
/// Verilator model, zero and random power-up state.
#[test]
fn enumeration_matches_cycle_for_cycle() {
    let trace = traced_enumeration(21);
    let verilog = engine_verilog(&usb3_hdl::device::DeviceParams::default(), ENGINE_MODULE);
    let model =
        VerilatorModel::build(&verilog, ENGINE_MODULE, &trace).unwrap_or_else(|e| panic!("{e}"));
    for init in [Init::Zero, Init::Random(77)] {
        let out = model.replay(&trace, init).unwrap_or_else(|e| panic!("{e}"));
        let cmp = compare_qualified(&trace, &out, FROM, STREAM_QUALIFIERS);
        println!("enumeration, {init:?}: {cmp}");
        assert!(cmp.identical(), "{init:?}: {cmp}");
        assert_eq!(
            packet_log(&pipe_events(&trace, &trace.output_values)),
            packet_log(&pipe_events(&trace, &out))
        );
    }
}

/// A block of the registry on its own: `cycles` cycles driven by `drive(block, random)` after two reset cycles,
/// recorded on the rust-hdl model and replayed into its generated Verilog, from zero and from a random power-up
/// state: every output of every cycle equal.
type ClockOf<B> =
    fn(&mut B) -> &mut rust_hdl::prelude::Signal<rust_hdl::prelude::In, rust_hdl::prelude::Clock>;
type ResetOf<B> =
    fn(&mut B) -> &mut rust_hdl::prelude::Signal<rust_hdl::prelude::In, rust_hdl::prelude::Bit>;

fn block_matches_cycle_for_cycle<B: rust_hdl::prelude::Block + Default>(
    name: &str,
    clock: ClockOf<B>,
    reset: ResetOf<B>,
    cycles: usize,
    drive: impl FnMut(&mut B, &mut dyn FnMut() -> u64),
) {
    block_built_matches_cycle_for_cycle(name, B::default, clock, reset, cycles, drive)
}

/// The same for a block built by `make` (one whose parameters, such as scaled times, are not its default).
fn block_built_matches_cycle_for_cycle<B: rust_hdl::prelude::Block>(
    name: &str,
    make: fn() -> B,
    clock: ClockOf<B>,
    reset: ResetOf<B>,
    cycles: usize,
    mut drive: impl FnMut(&mut B, &mut dyn FnMut() -> u64),
) {
    use usb3_flow::verilog::block_verilog;
    use usb3_tb::runtime::rhdl::HdlDut;
    let mut d = HdlDut::new_unchecked(make(), clock);
    d.trace_ports();
    reset(&mut d.uut).next = true;
    d.clock_cycle();
    d.clock_cycle();
    reset(&mut d.uut).next = false;
    let mut x = 0x5EED_u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..cycles {
        drive(&mut d.uut, &mut next);
        d.clock_cycle();
    }
    let trace = d.take_port_trace().expect("tracing was on");
    let module = format!("usb3_{name}");
    replays_identically(&block_verilog(make(), &module), &module, &trace, 11, false);
}

/// `trace` replayed into `verilog` (top `module`) in Verilator, from zero and from the random power-up state
/// `seed`: every output of every cycle equal to the rust-hdl model's (`qualified`: stream data ports only while
/// their valid is high, as the packet RAMs' outputs mean nothing otherwise).
fn replays_identically(verilog: &str, module: &str, trace: &PortTrace, seed: u32, qualified: bool) {
    let model = VerilatorModel::build(verilog, module, trace).unwrap_or_else(|e| panic!("{e}"));
    for init in [Init::Zero, Init::Random(seed)] {
        let out = model.replay(trace, init).unwrap_or_else(|e| panic!("{e}"));
        let c = if qualified {
            compare_qualified(trace, &out, FROM, STREAM_QUALIFIERS)
        } else {
            compare(trace, &out, FROM)
        };
        println!("{module}, {init:?}: {c}");
        assert!(c.identical(), "{module} {init:?}: {c}");
        assert_eq!(c.cycles, trace.cycles - FROM);
    }
}

/// A random PIPE word: COM, SKP and other K-symbols in any lane among data.
fn random_word(next: &mut dyn FnMut() -> u64) -> (u64, u64) {
    let (mut data, mut k) = (0u64, 0u64);
    for lane in 0..4 {
        let r = next();
        let (byte, is_k) = match r % 16 {
            0 => (0xBC, true),
            1 | 2 => (0x3C, true),
            3 => (0xFB, true),
            _ => ((r >> 8) & 0xFF, false),
        };
        data |= byte << (8 * lane);
        k |= (is_k as u64) << lane;
    }
    (data, k)
}

/// The physical layer's scrambler (issue 18): random words, gaps, scrambling on and off.
#[test]
fn the_scrambler_matches_cycle_for_cycle() {
    use usb3_hdl::phy::scrambler::Scrambler;
    block_matches_cycle_for_cycle::<Scrambler>(
        "scrambler",
        |b| &mut b.clock,
        |b| &mut b.reset,
        4_000,
        |b, next| {
            let (data, k) = random_word(next);
            b.data.next = data.into();
            b.k.next = k.into();
            b.valid.next = next() % 8 != 0;
            b.enable.next = next() % 4 != 0;
        },
    );
}

/// SKP removal (issue 18): random words with SKPs in any lane, and gaps.
#[test]
fn skp_removal_matches_cycle_for_cycle() {
    use usb3_hdl::phy::skp_remove::SkpRemove;
    block_matches_cycle_for_cycle::<SkpRemove>(
        "skp_remove",
        |b| &mut b.clock,
        |b| &mut b.reset,
        4_000,
        |b, next| {
            let (data, k) = random_word(next);
            b.data.next = data.into();
            b.k.next = k.into();
            b.valid.next = next() % 8 != 0;
        },
    );
}

/// The training-set transmitter (issue 18): random set kinds, link functionality bytes and stops.
#[test]
fn the_training_set_transmitter_matches_cycle_for_cycle() {
    use usb3_hdl::phy::ts_tx::TsTx;
    block_matches_cycle_for_cycle::<TsTx>(
        "ts_tx",
        |b| &mut b.clock,
        |b| &mut b.reset,
        4_000,
        |b, next| {
            b.send.next = next() % 8 != 0;
            b.kind.next = (next() % 3).into();
            b.link_func.next = (next() & 0xFF).into();
        },
    );
}

/// SKP insertion (issue 18): random words with and without boundaries.
#[test]
fn skp_insertion_matches_cycle_for_cycle() {
    use usb3_hdl::phy::skp_insert::SkpInsert;
    block_matches_cycle_for_cycle::<SkpInsert>(
        "skp_insert",
        |b| &mut b.clock,
        |b| &mut b.reset,
        4_000,
        |b, next| {
            let (data, k) = random_word(next);
            b.data.next = data.into();
            b.k.next = k.into();
            b.boundary.next = next() % 4 != 0;
            b.quiet.next = next() % 64 == 0;
        },
    );
}

/// The training-set receiver (issue 18): training sets at shifting lanes among random words, gaps.
#[test]
fn the_training_set_receiver_matches_cycle_for_cycle() {
    use usb3_hdl::phy::ts_rx::TsRx;
    let mut set_word = 0usize;
    block_matches_cycle_for_cycle::<TsRx>(
        "ts_rx",
        |b| &mut b.clock,
        |b| &mut b.reset,
        4_000,
        |b, next| {
            // Mostly TS1 / TS2 words (sometimes one lane off or with a bad byte), so sets are found and runs build up.
            let r = next();
            let (mut data, mut k) = match set_word % 4 {
                0 => (0xBCBC_BCBCu64, 0xFu64),
                1 => (if r % 2 == 0 { 0x4A4A_0000 } else { 0x4545_0101 }, 0),
                _ => (if r % 2 == 0 { 0x4A4A_4A4A } else { 0x4545_4545 }, 0),
            };
            if r % 16 == 0 {
                (data, k) = random_word(next);
            }
            if r % 32 == 1 {
                data = (data << 8 | 0xBC) & 0xFFFF_FFFF;
                k = (k << 1 | 1) & 0xF;
            }
            let valid = next() % 8 != 0;
            if valid {
                set_word += 1;
            }
            b.data.next = data.into();
            b.k.next = k.into();
            b.valid.next = valid;
        },
    );
}

/// LFPS generation (issue 18): Polling.LFPS started and stopped at random, hold at random.
#[test]
fn the_lfps_transmitter_matches_cycle_for_cycle() {
    use usb3_hdl::phy::lfps_tx::LfpsTx;
    let mut c = 0u64;
    block_matches_cycle_for_cycle::<LfpsTx>(
        "lfps_tx",
        |b| &mut b.clock,
        |b| &mut b.reset,
        6_000,
        |b, next| {
            c += 1;
            b.polling.next = (c / 1500) % 3 != 2 || next() % 64 == 0;
            b.hold.next = next() % 128 == 0;
        },
    );
}

/// LFPS detection (issue 18): bursts and gaps of random lengths around the Polling.LFPS windows, RxValid at random.
#[test]
fn the_lfps_receiver_matches_cycle_for_cycle() {
    use usb3_hdl::phy::lfps_rx::LfpsRx;
    let (mut left, mut on) = (0u64, false);
    block_matches_cycle_for_cycle::<LfpsRx>(
        "lfps_rx",
        |b| &mut b.clock,
        |b| &mut b.reset,
        8_000,
        |b, next| {
            if left == 0 {
                on = !on;
                left = if on {
                    60 + next() % 130
                } else {
                    600 + next() % 1300
                };
            }
            left -= 1;
            b.rx_elec_idle.next = !on;
            b.rx_valid.next = next() % 512 == 0;
        },
    );
}

/// PIPE 3 control (issue 18): PhyStatus and RxStatus at random, PowerDown requests and detections at random.
#[test]
fn the_pipe_control_matches_cycle_for_cycle() {
    use usb3_hdl::phy::pipe_ctl::PipeCtl;
    block_matches_cycle_for_cycle::<PipeCtl>(
        "pipe_ctl",
        |b| &mut b.clock,
        |b| &mut b.reset,
        6_000,
        |b, next| {
            b.phy_status.next = next() % 24 == 0;
            b.rx_status.next = (next() % 8).into();
            if next() % 64 == 0 {
                b.req_power.next = (next() % 4).into();
            }
            b.detect.next = next() % 4 == 0;
        },
    );
}

/// The LTSSM (issue 18), timeouts divided by 1000 so that they fire within the run: VBUS, receiver detection,
/// LFPS, training sets, idle words and Warm Reset at random, so the states are visited in turn.
#[test]
fn the_ltssm_matches_cycle_for_cycle() {
    use usb3_hdl::phy::ltssm::Ltssm;
    use usb3_hdl::phy::timing::PhyTiming;
    block_built_matches_cycle_for_cycle::<Ltssm>(
        "ltssm",
        || Ltssm::new(&PhyTiming::scaled(1000)),
        |b| &mut b.clock,
        |b| &mut b.reset,
        20_000,
        |b, next| {
            let r = next();
            b.power_present.next = r % 4096 != 0;
            b.pipe_ready.next = r % 8 != 1;
            b.power_now.next = b.req_power.val();
            b.detect_done.next = r % 16 == 2;
            b.detect_present.next = r % 64 != 3;
            b.lfps_burst_sent.next = r % 32 == 4;
            b.lfps_polling_burst.next = r % 64 == 5;
            b.lfps_polling_pair.next = r % 64 == 6;
            b.warm_reset.next = r % 8192 == 7;
            b.ts_set_end.next = r % 4 == 0;
            b.tx_idle_sent.next = (r >> 8) % 16 != 1;
            b.ts_seen.next = (r >> 12) % 4 == 0;
            b.ts_kind.next = (r >> 14) % 2 == 0;
            b.ts_reset.next = (r >> 15) % 32 == 0;
            b.ts_loopback.next = (r >> 20) % 32 == 0;
            b.ts_no_scramble.next = (r >> 25) % 32 == 0;
            b.ts_inverted.next = (r >> 30) % 64 == 0;
            b.ts_run.next = (8 + (r >> 36) % 8).into();
            b.rx_word_valid.next = (r >> 40) % 2 == 0;
            b.rx_word_idle.next = (r >> 41) % 8 != 0;
            b.link_recovery.next = (r >> 44) % 2048 == 0;
            b.rx_heard.next = (r >> 55) % 64 == 0;
            // Link power management: LGO_Ux accepted now and then, the partner's LFPS, something to send, the U2
            // inactivity timeout (issue 19).
            let q = next();
            b.lpm_enter.next = q % 512 == 0;
            b.lpm_ux.next = (1 + (q >> 9) % 3).into();
            b.lfps_active.next = (q >> 12) % 1024 < 40;
            b.ping_rx.next = (q >> 22) % 4096 == 0;
            b.tx_pending.next = (q >> 34) % 4096 < 8;
            b.u3_wake.next = (q >> 46) % 4096 < 8;
            b.u2_timeout.next = ((q >> 58) % 3).into();
        },
    );
}

/// Link power management (issue 19) with device-initiated entry on: LGO_Ux, LAU, LXU, LPMA, busy, U0 entries,
/// Force_LinkPM_Accept and the enables at random.
#[test]
fn link_power_management_matches_cycle_for_cycle() {
    use usb3_hdl::link::lpm::Lpm;
    block_built_matches_cycle_for_cycle::<Lpm>(
        "lpm",
        || Lpm::new(20, true, 30, 10),
        |b| &mut b.clock,
        |b| &mut b.reset,
        20_000,
        |b, next| {
            let r = next();
            b.lgo.next = r % 64 == 0;
            b.lgo_n.next = ((r >> 6) % 4).into();
            b.lpma.next = (r >> 8) % 32 == 0;
            b.lau.next = (r >> 13) % 32 == 0;
            b.lxu.next = (r >> 18) % 64 == 0;
            b.busy.next = (r >> 24) % 8 == 0;
            b.u0_entry.next = (r >> 27) % 256 == 0;
            b.sent.next = (r >> 35) % 4 == 0;
            b.force_accept.next = (r >> 37) % 16 == 0;
            b.u1_enable.next = (r >> 41) % 4 != 0;
            b.u2_enable.next = (r >> 43) % 2 == 0;
        },
    );
}

/// The whole physical layer (issue 18) from power-on: trained against the host port (timeouts and TSEQ count
/// divided by 1000), then numbered bytes both ways with SKPs; the generated Verilog replays the recorded ports and
/// every output of every cycle is equal, from zero and from a random power-up state.
#[test]
fn the_physical_layer_from_power_on_matches_cycle_for_cycle() {
    use usb3_flow::verilog::block_verilog;
    use usb3_hdl::phy::layer::PhyLayer;
    use usb3_hdl::phy::timing::PhyTiming;
    use usb3_tb::env::phy_link::PhyBench;
    use usb3_tb::wire::phy::PhyWireConfig;
    let mut b = PhyBench::new(PhyWireConfig::scaled(1000));
    b.trace_from_reset();
    b.until_u0(200_000).unwrap_or_else(|e| panic!("{e}"));
    b.run(4_000);
    b.traffic_since_u0().unwrap_or_else(|e| panic!("{e}"));
    let trace = b.ports.take().expect("traced");
    let module = "usb3_phy_layer";
    replays_identically(
        &block_verilog(PhyLayer::new(&PhyTiming::scaled(1000)), module),
        module,
        &trace,
        5,
        false,
    );
}

/// The device top (issue 18: physical layer + engine) from power-on: trained against the host port, then the
/// Linux-like enumeration through it; the generated Verilog replays the recorded ports, every output of every
/// cycle equal (the stream data ports while their valid is high), from zero and from a random power-up state.
#[test]
fn the_device_top_from_power_on_through_enumeration_matches_cycle_for_cycle() {
    use usb3_flow::verilog::block_verilog;
    use usb3_hdl::device::DeviceParams;
    use usb3_hdl::phy::timing::PhyTiming;
    use usb3_hdl::top::Usb3Device;
    use usb3_tb::env::power_on::PowerOn;
    use usb3_tb::wire::phy::PhyWireConfig;
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = PowerOn::new(DeviceParams::default(), &cfg, 3);
    b.w.trace_from_reset();
    b.until_u0(200_000).unwrap_or_else(|e| panic!("{e}"));
    b.enumerate(5, 200_000).unwrap_or_else(|e| panic!("{e}"));
    let trace = b.w.ports.take().expect("traced");
    let module = "usb3_top";
    let top = Usb3Device::new(DeviceParams::default(), &PhyTiming::scaled(1000));
    replays_identically(&block_verilog(top, module), module, &trace, 9, true);
}

/// The device top through link power management, Loopback and back (issue 19): trained, enumerated, U1 on the
/// host's LGO_U1 and left by the host's request, U3 and resumed, Loopback and its exit, trained again; the
/// generated Verilog replays the recorded ports, every output of every cycle equal, from zero and from a random
/// power-up state.
#[test]
fn the_device_top_through_u1_u3_and_loopback_matches_cycle_for_cycle() {
    use usb3_flow::verilog::block_verilog;
    use usb3_hdl::device::DeviceParams;
    use usb3_hdl::phy::ltssm::LtssmState as S;
    use usb3_hdl::phy::timing::PhyTiming;
    use usb3_hdl::top::Usb3Device;
    use usb3_sim::host::control::ControlRequest;
    use usb3_sim::phy::host_port::HostState as H;
    use usb3_spec::control::Setup;
    use usb3_tb::env::power_on::PowerOn;
    use usb3_tb::wire::phy::PhyWireConfig;
    let cfg = PhyWireConfig::scaled(1000);
    let mut b = PowerOn::new(DeviceParams::default(), &cfg, 3);
    b.w.trace_from_reset();
    let ok = |r: Result<u64, String>| r.unwrap_or_else(|e| panic!("{e}"));
    ok(b.until_u0(200_000));
    b.enumerate(5, 200_000).unwrap_or_else(|e| panic!("{e}"));
    let until = |b: &mut PowerOn, d: S, h: H| {
        for _ in 0..20_000 {
            if b.w.device_state() == d && b.w.wire.host.state() == h {
                return;
            }
            b.step();
        }
        panic!("not in {d:?} / {h:?}: {}", b.w.paths());
    };
    b.w.link.request_lgo(1);
    until(&mut b, S::U1, H::U1);
    let r = b
        .control(5, ControlRequest::new(Setup::get_configuration()), 20_000)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(r.ok() && r.data == [1], "{r:?}");
    b.w.link.request_lgo(3);
    until(&mut b, S::U3, H::U3);
    b.w.wire.host.request_wake();
    until(&mut b, S::U0, H::U0);
    b.w.wire.host.request_loopback();
    until(&mut b, S::LoopbackActive, H::Loopback);
    for _ in 0..2_000 {
        b.step();
    }
    b.w.wire.host.request_loopback_exit();
    ok(b.until_u0(200_000));
    assert_eq!(b.w.wire.host.stats.loopback_mismatched, 0);
    assert_eq!(
        b.w.watch.checker.total(),
        0,
        "{:?}",
        b.w.watch.checker.violations().first()
    );
    let trace = b.w.ports.take().expect("traced");
    let module = "usb3_top";
    let top = Usb3Device::new(DeviceParams::default(), &PhyTiming::scaled(1000));
    replays_identically(&block_verilog(top, module), module, &trace, 9, true);
}
