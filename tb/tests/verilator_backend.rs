//! The Verilator backend (issue 8): the same closed loop (host model, wire, checker, scoreboards) with the
//! engine evaluated by the Verilated Verilog reports exactly what the native rust-hdl run reports on the same
//! seed: bytes, cycles, packets, retries, flow control, latency, and the packet log event for event.

use std::time::Instant;

use usb3_sim::capture::Event;
use usb3_sim::host::{OutPolicy, Policy};
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::bulk_in::{run_in, InBenchConfig, InOutputs, InReport};
use usb3_tb::env::bulk_out::{run_out, OutBenchConfig};
use usb3_tb::env::report::TransferReport;
use usb3_tb::wire::errors::ErrorRates;

/// The fields two runs of the same seed must agree on (wall time aside).
fn essentials(t: &TransferReport) -> String {
    format!(
        "bytes {} cycles {} throughput {:.3} packets {} retries {} nrdy {} erdy {} stalls {} ignored {} integrity {} \
         recoveries {} channel errors {} violations {} completed {} mismatched {}",
        t.bytes, t.sim_cycles, t.throughput_mb_s, t.packets, t.retries, t.nrdy, t.erdy, t.stalls, t.ignored,
        t.integrity_ok, t.link_recoveries, t.channel_errors, t.protocol_violations, t.completed, t.mismatched_bytes
    )
}

fn run_in_with(cfg: &InBenchConfig, backend: Backend) -> (InReport, Vec<Event>, f64) {
    let mut c = cfg.clone();
    c.backend = backend;
    let mut out = InOutputs {
        keep_log: true,
        ..InOutputs::default()
    };
    let t = Instant::now();
    let (r, log) = run_in(c, &mut out).unwrap_or_else(|e| panic!("{backend:?}: {e}"));
    (r, log, t.elapsed().as_secs_f64())
}

fn compare_in(cfg: InBenchConfig, what: &str) {
    let (n, n_log, n_s) = run_in_with(&cfg, Backend::Native);
    let (v, v_log, v_s) = run_in_with(&cfg, Backend::Verilator);
    assert!(n.passed(), "{what}: native run failed: {}", essentials(&n));
    assert_eq!(
        essentials(&v),
        essentials(&n),
        "{what}: Verilator vs native"
    );
    assert_eq!(
        (v.ack_to_data_cycles_max, v.ack_to_data_cycles_typical),
        (n.ack_to_data_cycles_max, n.ack_to_data_cycles_typical)
    );
    assert_eq!(v_log.len(), n_log.len(), "{what}: packet log lengths");
    assert!(v_log == n_log, "{what}: packet logs differ");
    println!(
        "{what}: {} cycles; native {n_s:.2} s ({:.0} cycles/s), verilator {v_s:.2} s ({:.0} cycles/s, incl. loading)",
        n.sim_cycles,
        n.sim_cycles as f64 / n_s,
        v.sim_cycles as f64 / v_s
    );
}

#[test]
fn bulk_in_reports_the_same_on_both_backends() {
    compare_in(
        InBenchConfig::new(Policy::intel_b150(), 4096, 256 * 1024, 8, 5),
        "IN intel-b150 256 KiB",
    );
}

#[test]
fn bulk_in_with_errors_reports_the_same_on_both_backends() {
    let mut cfg = InBenchConfig::new(Policy::renesas_upd720202(), 16 * 1024, 128 * 1024, 4, 9);
    let e = ErrorRates {
        header_bit_flip: 0.01,
        dpp_bit_flip: 0.01,
        ..ErrorRates::default()
    };
    (cfg.up_errors, cfg.down_errors) = (e, e);
    cfg.max_cycles *= 4;
    compare_in(cfg, "IN renesas 128 KiB, 1 % header + payload flips");
}

#[test]
fn bulk_out_reports_the_same_on_both_backends() {
    let cfg = OutBenchConfig::new(OutPolicy::intel_b150(), 256 * 1024, 8, 3);
    let (n, n_log) = run_out(&cfg, None, true, None).unwrap();
    let mut v_cfg = cfg.clone();
    v_cfg.backend = Backend::Verilator;
    let (v, v_log) = run_out(&v_cfg, None, true, None).unwrap();
    assert!(n.passed(), "native OUT run failed: {}", essentials(&n));
    assert_eq!(essentials(&v), essentials(&n));
    assert!(v_log == n_log, "OUT packet logs differ");
}

/// The babble recoveries that go through EP0 over the wire and through a Hot Reset (U0 entry, enumeration
/// again) give the same outcome on both backends: every figure and the packet log.
#[test]
fn babble_recoveries_are_the_same_on_both_backends() {
    use usb3_tb::scenarios::babble::{run_babble, BabbleSpec};
    for recovery in ["halt-clear", "hot-reset"] {
        let native = BabbleSpec::named("mid-burst", recovery, "intel-b150").unwrap();
        let verilator = BabbleSpec {
            backend: Backend::Verilator,
            ..native.clone()
        };
        let run = |b: &BabbleSpec| {
            run_babble(
                b,
                11,
                &mut InOutputs {
                    keep_log: true,
                    ..InOutputs::default()
                },
                None,
            )
            .unwrap()
        };
        let (n, v) = (run(&native), run(&verilator));
        assert!(n.passed, "{recovery}: native {}", n.reason);
        assert_eq!(v.summary(), n.summary(), "{recovery}");
        assert_eq!(
            (v.sim_time_ns, v.bytes_lost, v.babble_dropped),
            (n.sim_time_ns, n.bytes_lost, n.babble_dropped)
        );
        assert!(v.events == n.events, "{recovery}: packet logs differ");
    }
}

/// The backend takes the falling edge without an evaluation (one `eval()` per cycle, `FALLING_EDGE` in
/// verilator_backend.rs). Replayed into the engine both ways, a recorded duplex run (64 KiB each way against
/// intel-b150, the link's credits and retries, both endpoints) gives the same outputs and mirrored statistics
/// every cycle, and the same as a run with the falling edge evaluated.
#[test]
fn one_evaluation_per_cycle_equals_two() {
    use usb3_tb::dut::replay::Init;
    use usb3_tb::dut::verilator::VerilatedEngine;
    use usb3_tb::scenarios::cosim::{intel_duplex_configs, run_traced_duplex};
    let (i, o) = intel_duplex_configs(65536, 11);
    let run = run_traced_duplex(i, o).expect("traced duplex run");
    let mut fast = VerilatedEngine::new(&run.params, Init::Zero).expect("engine library");
    let mut slow = VerilatedEngine::with_evaluated_falling_edge(&run.params, Init::Zero)
        .expect("engine library");
    assert!(
        fast.fast_fall,
        "this Verilator has no `__Vtrigrprev__TOP__clock` record: the backend evaluates every falling edge \
         (correct but slower); update FALLING_EDGE for this version"
    );
    assert!(!slow.fast_fall);
    let mut busy = 0u64;
    for c in 0..run.trace.cycles {
        let inputs = run.trace.inputs_at(c);
        let a = fast.cycle_raw(inputs).to_vec();
        let b = slow.cycle_raw(inputs);
        assert_eq!(
            a, b,
            "cycle {c}: one-evaluation and two-evaluation cycles differ"
        );
        busy += a.iter().filter(|&&v| v != 0).count() as u64;
    }
    assert!(busy > 0, "nothing moved");
    println!(
        "{} cycles identical ({busy} non-zero values)",
        run.trace.cycles
    );
}

/// The link layer alone on the Verilator backend (the link bench: the device's link layer against the link
/// partner, with the application's handshakes sampled mid-cycle through a settle): every field of the report
/// equal to the native run, clean and with errors on both channels.
#[test]
fn link_bench_reports_the_same_on_both_backends() {
    use usb3_tb::env::link::{run, LinkBenchConfig};
    use usb3_tb::wire::errors::ErrorRates;
    let mut noisy = LinkBenchConfig::random(7, 40);
    noisy.up_errors = ErrorRates::all(0.02);
    noisy.down_errors = ErrorRates::all(0.02);
    for (what, cfg) in [
        ("streaming", LinkBenchConfig::streaming(1, 16)),
        ("random, 2 % errors", noisy),
    ] {
        let t = Instant::now();
        let n = run(&cfg, None).expect("native link bench");
        let n_s = t.elapsed().as_secs_f64();
        let mut v_cfg = cfg.clone();
        v_cfg.backend = Backend::Verilator;
        let t = Instant::now();
        let v = run(&v_cfg, None).expect("Verilator link bench");
        let v_s = t.elapsed().as_secs_f64();
        assert!(n.ok(), "{what}: native run failed: {n:?}");
        assert_eq!(
            format!("{v:?}"),
            format!("{n:?}"),
            "{what}: Verilator vs native"
        );
        println!(
            "link bench {what}: {} cycles, {} channel errors; native {:.0} cycles/s, verilator {:.0} (incl. loading)",
            n.cycles,
            n.channel_errors,
            n.cycles as f64 / n_s,
            v.cycles as f64 / v_s
        );
    }
    let mut bad = LinkBenchConfig::streaming(1, 1);
    bad.backend = Backend::Verilator;
    let e =
        run(&bad, Some(std::path::Path::new("/tmp/never.vcd"))).expect_err("a VCD needs native");
    assert!(e.to_string().contains("native"), "{e}");
}
