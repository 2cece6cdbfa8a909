//! Simulated cycles per wall-clock second of the gateware link layer (`usb3_hdl::link::LinkLayer`, stepped
//! directly) plus the software link partner, moving back-to-back 1024-byte packets, with and without VCD, and
//! with the link layer's generated Verilog on the Verilator backend.
//! A small extra group times the CRC-32 step block alone.
//!
//! Run: `cargo bench -p usb3-tb --bench link_throughput`. Criterion's "thrpt" (elements/s) is cycles/s.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rust_hdl::core::prelude::*;
use usb3_hdl::crc::Crc32Step;
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::link::{run, LinkBenchConfig};
use usb3_tb::runtime::rhdl::{settle, DEFAULT_MAX_PASSES};

/// Device->host 1024-byte packets per iteration (plus n/4 header-only host->device).
const PACKETS: usize = 16;
const SEED: u64 = 1;

fn link_layer_plus_partner(c: &mut Criterion) {
    let cfg = LinkBenchConfig::streaming(SEED, PACKETS);
    // One run first to learn the simulated cycle count (deterministic for a fixed seed).
    let report = run(&cfg, None).expect("link bench run");
    assert!(report.ok(), "link bench failed: {report:?}");
    let cycles = report.cycles;
    eprintln!(
        "link_layer_plus_partner: {PACKETS} packets = {cycles} simulated cycles per iteration"
    );

    let vcd_dir = std::env::temp_dir().join(format!("usb3-link-throughput-{}", std::process::id()));
    std::fs::create_dir_all(&vcd_dir).expect("create VCD dir");
    let vcd_path = vcd_dir.join("link.vcd");

    let mut g = c.benchmark_group("link_layer_plus_partner");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(cycles));
    g.bench_function("no_vcd", |b| {
        b.iter(|| {
            let r = run(black_box(&cfg), None).expect("run");
            assert!(r.ok() && r.cycles == cycles);
            r
        })
    });
    g.bench_function("vcd", |b| {
        b.iter(|| {
            let r = run(black_box(&cfg), Some(&vcd_path)).expect("run with VCD");
            assert!(r.ok() && r.cycles == cycles);
            r
        })
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&vcd_dir);

    // The same link layer as its generated Verilog on the Verilator backend. Each run loads the library and
    // builds a model (tens of ms), so a run here is 32x longer than above to measure the simulation, not the
    // loading; the library is built (or found in the cache) by the first run.
    let mut v_cfg = LinkBenchConfig::streaming(SEED, PACKETS * 32);
    v_cfg.backend = Backend::Verilator;
    let report = match run(&v_cfg, None) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("link_layer_plus_partner/verilator skipped: {e}");
            return;
        }
    };
    assert!(report.ok(), "Verilator link bench failed: {report:?}");
    let v_cycles = report.cycles;
    eprintln!(
        "link_layer_plus_partner/verilator: {} packets = {v_cycles} simulated cycles per iteration",
        PACKETS * 32
    );
    let mut g = c.benchmark_group("link_layer_plus_partner");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(2));
    g.throughput(Throughput::Elements(v_cycles));
    g.bench_function("verilator_no_vcd", |b| {
        b.iter(|| {
            let r = run(black_box(&v_cfg), None).expect("run");
            assert!(r.ok() && r.cycles == v_cycles);
            r
        })
    });
    g.finish();
}

/// The CRC-32 step block alone: settle it for a new (state, data) input, 1000 words per iteration.
fn crc_blocks(c: &mut Criterion) {
    const WORDS: u64 = 1000;
    let mut crc = Crc32Step::default();
    crc.connect_all();
    let mut g = c.benchmark_group("crc_blocks");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    g.throughput(Throughput::Elements(WORDS));
    g.bench_function(BenchmarkId::new("crc32_step_settle", WORDS), |b| {
        b.iter(|| {
            let mut state = 0xFFFF_FFFFu32;
            for i in 0..WORDS as u32 {
                crc.state.next = (state as u64).into();
                crc.data.next = (i.wrapping_mul(0x9E37_79B9) as u64).into();
                settle(&mut crc, DEFAULT_MAX_PASSES).expect("settle");
                state = crc.next4.val().to_u32();
            }
            black_box(state)
        })
    });
    g.finish();
}

criterion_group!(benches, link_layer_plus_partner, crc_blocks);
criterion_main!(benches);
