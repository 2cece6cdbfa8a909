//! Bulk IN: the device engine (gateware) against the host models. Every run ends with the scoreboard: every
//! byte the host accepted equals the application's byte at that offset, none missing (`integrity_ok`).

use usb3_sim::host::{CompletionCode, Policy};
use usb3_spec::protocol::Tp;
use usb3_tb::agents::app::AppPacing;
use usb3_tb::env::bulk_in::{run_in, InBench, InBenchConfig, InOutputs, InReport, MAX_MB_S};
use usb3_tb::runtime::seed::SeedReport;
use usb3_tb::wire::errors::ErrorRates;

fn run(cfg: InBenchConfig) -> InReport {
    let (r, _) = run_in(cfg, &mut InOutputs::default()).unwrap();
    println!("{r:?}");
    r
}

/// Every ACK costs the device an LGOOD and an LCRD (8 symbols each) on its transmit side, between DATA packets:
/// 1024 payload bytes per 1056 + 16 bytes of wire, 477.6 MB/s. This is the ceiling of a bulk IN stream; the
/// 484.8 MB/s of the field notes counts the DATA packets only.
const CEILING_MB_S: f64 = 500.0 * 1024.0 / 1072.0;

#[test]
fn ideal_host_reaches_the_link_ceiling() {
    let seed = SeedReport::for_test("ideal_host_reaches_the_link_ceiling");
    let r = run(InBenchConfig::new(
        Policy::ideal(8),
        1 << 20,
        512 * 1024,
        8,
        seed.seed(),
    ));
    assert!(r.passed(), "{r:?}");
    println!(
        "ideal: {:.2} MB/s = {:.2} % of {MAX_MB_S:.1}, {:.2} % of the {CEILING_MB_S:.1} MB/s ceiling",
        r.throughput_mb_s,
        r.efficiency * 100.0,
        r.throughput_mb_s / CEILING_MB_S * 100.0
    );
    assert!(
        r.throughput_mb_s >= 0.995 * CEILING_MB_S,
        "{:.2} MB/s",
        r.throughput_mb_s
    );
    assert_eq!((r.retries, r.ignored), (0, 0));
}

#[test]
fn intel_4k_tds_match_the_capture_arithmetic() {
    // Field notes: 4 packets per TD, a 2.748 us gap per TD: 75.4 % of 500 MB/s = 377 MB/s.
    let seed = SeedReport::for_test("intel_4k_tds_match_the_capture_arithmetic");
    let r = run(InBenchConfig::new(
        Policy::intel_b150(),
        4096,
        256 * 1024,
        8,
        seed.seed(),
    ));
    assert!(r.passed());
    let expected = 0.754 * 500.0;
    assert!(
        (r.throughput_mb_s / expected - 1.0).abs() <= 0.05,
        "{:.1} MB/s vs {expected:.1}",
        r.throughput_mb_s
    );
    // Every TD opens a burst on a waiting endpoint: from the last symbol of that ACK on PIPE rx to the HPSTART of
    // the DATA it allows on PIPE tx, at most 6 cycles (a cycle count, not a wall-clock time: the budget of the
    // pipeline that closes timing at 125 MHz; 6 measured).
    let lat = r
        .ack_to_data_cycles_max
        .expect("burst starts were measured");
    assert!(lat <= 6, "ACK -> DATA latency {lat} cycles");
}

#[test]
fn payload_and_header_errors_are_retried_and_nothing_is_lost() {
    let seed = SeedReport::for_test("payload_and_header_errors_are_retried_and_nothing_is_lost");
    for policy in [Policy::ideal(8), Policy::intel_b150()] {
        let mut cfg = InBenchConfig::new(policy, 65536, 192 * 1024, 8, seed.seed());
        cfg.up_errors = ErrorRates {
            dpp_bit_flip: 0.05,
            header_bit_flip: 0.02,
            ..ErrorRates::default()
        };
        cfg.down_errors = ErrorRates {
            header_bit_flip: 0.02,
            ..ErrorRates::default()
        };
        cfg.max_cycles *= 4;
        let r = run(cfg);
        assert!(r.passed(), "{r:?}");
        assert!(
            r.retries > 0 && r.host_packets_bad > 0,
            "no retry was exercised: {r:?}"
        );
        assert!(r.channel_errors > 0);
    }
}

#[test]
fn starved_application_gets_nrdy_then_erdy() {
    let seed = SeedReport::for_test("starved_application_gets_nrdy_then_erdy");
    let mut cfg = InBenchConfig::new(Policy::intel_b150(), 65536, 64 * 1024, 8, seed.seed());
    // A quarter of a packet, then 3 us of nothing: far slower than the wire.
    cfg.app = Some(AppPacing {
        words_on: 64,
        cycles_off: 375,
    });
    let r = run(cfg);
    assert!(r.passed(), "{r:?}");
    assert!(r.nrdy > 0 && r.erdy > 0, "{r:?}");
}

// `short_packet_and_zero_length_packet_end_transfers` is written as async tasks in tests/engine_tasks.rs (both
// backends).

#[test]
fn ack_with_an_unexpected_sequence_number_is_ignored_and_counted() {
    let seed =
        SeedReport::for_test("ack_with_an_unexpected_sequence_number_is_ignored_and_counted");
    let cfg = InBenchConfig::new(Policy::intel_b150(), 65536, 64 * 1024, 8, seed.seed());
    let mut b = InBench::new(cfg, &InOutputs::default()).unwrap();
    let mut injected = 0;
    while b.wire.cycle < 20_000 {
        b.step();
        // In the middle of the transfer, a stale ACK (seq 10 behind) and one far ahead, as a confused host
        // (or the babble trap of the field notes) would send.
        if b.wire.cycle == 3000 || b.wire.cycle == 6000 {
            let seq = b
                .side
                .host
                .seq()
                .wrapping_add(if injected == 0 { 22 } else { 12 })
                & 31;
            let ack = Tp::Ack {
                addr: 1,
                ep: 1,
                dir_in: true,
                seq,
                nump: 4,
                retry: false,
                host_error: false,
                pp: false,
            };
            b.wire.host.send(ack.encode(), None);
            injected += 1;
        }
    }
    let r = b.run(&mut InOutputs::default()).unwrap();
    assert!(r.passed(), "{r:?}");
    assert_eq!(r.ignored, 2, "{r:?}");
}

#[test]
fn halted_endpoint_answers_stall() {
    let seed = SeedReport::for_test("halted_endpoint_answers_stall");
    let mut cfg = InBenchConfig::new(Policy::intel_b150(), 4096, 4096, 8, seed.seed());
    cfg.halted = true;
    let mut b = InBench::new(cfg, &InOutputs::default()).unwrap();
    let r = b.run(&mut InOutputs::default()).unwrap();
    assert_eq!(r.stalls, 1, "{r:?}");
    assert_eq!(r.packets, 0, "a halted endpoint sends no DATA");
    assert!(b.side.host.halted());
    assert_eq!(b.side.host.completions()[0].code, CompletionCode::Stall);
}

#[test]
fn every_max_burst_and_a_small_buffer_stream_correctly() {
    let seed = SeedReport::for_test("every_max_burst_and_a_small_buffer_stream_correctly");
    for (mb, slots) in [(1, 2), (2, 4), (16, 32), (16, 8)] {
        let mut cfg = InBenchConfig::new(Policy::ideal(mb), 16384, 32 * 1024, mb, seed.seed());
        cfg.bulk_in.slots = slots;
        let r = run(cfg);
        assert!(r.passed(), "max burst {mb}, {slots} buffers: {r:?}");
    }
}

#[test]
fn every_link_error_class_recovers_without_loss() {
    // Header, payload and link-command bit flips, dropped and corrupted symbols, both ways: link-level retry,
    // Recovery (the LTSSM stand-in) and protocol-level retry all happen; the scoreboard still balances.
    let seed = SeedReport::for_test("every_link_error_class_recovers_without_loss");
    let mut cfg = InBenchConfig::new(Policy::intel_b150(), 16384, 128 * 1024, 8, seed.seed());
    cfg.up_errors = ErrorRates::all(0.01);
    cfg.down_errors = ErrorRates::all(0.01);
    cfg.max_cycles *= 8;
    let r = run(cfg);
    assert!(r.passed(), "{r:?}");
    assert!(r.channel_errors > 0);
}
