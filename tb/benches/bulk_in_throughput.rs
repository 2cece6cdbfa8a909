//! The full bulk IN path: device engine (gateware: link + protocol layer + bulk IN endpoint, stepped directly)
//! plus host model (intel-b150 and ideal policies, xHCI TD ring, link partner, channels), with and without
//! VCD, and with the engine on the Verilator backend (`verilator`: the generated Verilog, one FFI call per
//! cycle; each iteration also loads the library and makes a model, ~ms). Criterion's "thrpt" (elements/s) is simulated cycles per wall second; the simulated MB per wall second
//! is printed once per configuration (bytes per run x runs per second).
//!
//! Run: `cargo bench -p usb3-tb --bench bulk_in_throughput`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use usb3_sim::host::{HostInConfig, Policy, XhciConfig};
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::bulk_in::{run_in, InBenchConfig, InOutputs};
use usb3_tb::env::engine_tb::{Engine, EngineConfig};

const BYTES: u64 = 64 * 1024;
const SEED: u64 = 1;

fn full_in_path(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("usb3-bulk-in-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create output dir");
    let vcd_path = dir.join("in.vcd");
    let mut g = c.benchmark_group("bulk_in_engine_plus_host");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(2));
    for (name, policy, td) in [
        ("intel-b150", Policy::intel_b150(), 4096),
        ("ideal", Policy::ideal(8), 1 << 20),
    ] {
        let cfg = InBenchConfig::new(policy, td, BYTES, 8, SEED);
        let t = Instant::now();
        let (r, _) = run_in(cfg.clone(), &mut InOutputs::default()).expect("run");
        assert!(r.integrity_ok, "{r:?}");
        let wall = t.elapsed().as_secs_f64();
        eprintln!(
            "{name}: {BYTES} bytes = {} simulated cycles per iteration; one run {:.0} cycles/s, {:.2} simulated MB/s of transfer per wall second",
            r.sim_cycles,
            r.sim_cycles as f64 / wall,
            BYTES as f64 / 1e6 / wall
        );
        g.throughput(Throughput::Elements(r.sim_cycles));
        let cycles = r.sim_cycles;
        g.bench_function(format!("{name}/no_vcd"), |b| {
            b.iter(|| {
                let (r, _) =
                    run_in(black_box(cfg.clone()), &mut InOutputs::default()).expect("run");
                assert!(r.integrity_ok && r.sim_cycles == cycles);
                r
            })
        });
        let mut vcfg = cfg.clone();
        vcfg.backend = Backend::Verilator;
        run_in(vcfg.clone(), &mut InOutputs::default()).expect("build the Verilator engine");
        g.bench_function(format!("{name}/verilator"), |b| {
            b.iter(|| {
                let (r, _) =
                    run_in(black_box(vcfg.clone()), &mut InOutputs::default()).expect("run");
                assert!(r.integrity_ok && r.sim_cycles == cycles);
                r
            })
        });
        g.bench_function(format!("{name}/vcd"), |b| {
            b.iter(|| {
                let mut out = InOutputs {
                    vcd: Some(&vcd_path),
                    ..Default::default()
                };
                let (r, _) = run_in(black_box(cfg.clone()), &mut out).expect("run");
                assert!(r.integrity_ok && r.sim_cycles == cycles);
                r
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

/// The same bulk IN transfer written as cocotb-style tasks on the scheduler ([`usb3_tb::env::engine_tb`]): the
/// application source and the host's bulk IN agent as two tasks, the engine clocked by the scheduler. Against
/// `bulk_in_engine_plus_host/intel-b150/*` (the direct run loop) this is the scheduler's cost.
fn engine_tasks_in_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("bulk_in_engine_tasks");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .warm_up_time(Duration::from_secs(2));
    for (name, backend) in [
        ("native", Backend::Native),
        ("verilator", Backend::Verilator),
    ] {
        let run = || {
            let cfg = EngineConfig {
                backend,
                ..EngineConfig::new(SEED)
            };
            let (mut sim, tb) = Engine::new(&cfg).expect("engine");
            let main = sim.start_soon(async move {
                tb.start_addressed(1).await;
                let _src = tb.start_app_source(SEED, vec![(BYTES, false)]);
                let xhci = XhciConfig::new(4096, BYTES);
                let host =
                    tb.start_bulk_in(HostInConfig::new(Policy::intel_b150(), xhci, 1, 1, 8), SEED);
                let r = host.await;
                r.board.complete(BYTES).expect("scoreboard");
                tb.ctx().cycle()
            });
            sim.run_until_complete(main, 10_000_000).expect("run")
        };
        let cycles = run();
        g.throughput(Throughput::Elements(cycles));
        g.bench_function(format!("intel-b150/{name}"), |b| {
            b.iter(|| black_box(run()))
        });
    }
    g.finish();
}

criterion_group!(benches, full_in_path, engine_tasks_in_path);
criterion_main!(benches);
