//! Full duplex: bulk IN and bulk OUT at once through one device engine, with the ideal host. Each direction is
//! checked byte for byte by its own scoreboard.
//!
//! The ceiling of each direction in duplex: the device's transmitter carries, per 1024-byte IN packet, the
//! DATA packet (1056 B) plus the OUT direction's ACK (a 20-byte header) and the LGOOD + LCRD the device owes for
//! the host's DPH and for the host's ACK (4 x 8 B): 1108 B; the host's transmitter the same mirrored. So each
//! direction is bounded by 1024 / 1108 x 500 MB/s = 462.1 MB/s, 95.3 % of the 484.8 MB/s of a lone DATA
//! stream (`MAX_MB_S`); issue 4's ">= 99 % of 484.8 MB/s each way" cannot be met by any device, so the test
//! asserts >= 99 % of this ceiling.

use usb3_sim::host::{OutPolicy, Policy};
use usb3_tb::env::bulk_in::{InBenchConfig, InOutputs};
use usb3_tb::env::bulk_out::OutBenchConfig;
use usb3_tb::env::duplex::{run_duplex, OutOutputs};
use usb3_tb::runtime::seed::SeedReport;

const DUPLEX_CEILING_MB_S: f64 = 500.0 * 1024.0 / 1108.0;

#[test]
fn full_duplex_ideal_host_each_way() {
    let seed = SeedReport::for_test("full_duplex_ideal_host_each_way");
    let bytes = 512 * 1024;
    let in_cfg = InBenchConfig::new(Policy::ideal(8), bytes, bytes, 8, seed.seed());
    let out_cfg = OutBenchConfig::new(OutPolicy::ideal(8), bytes, 8, seed.seed() ^ 0x5A5A);
    let (i, o) = run_duplex(
        in_cfg,
        out_cfg,
        &mut InOutputs::default(),
        &OutOutputs::default(),
    )
    .unwrap();
    println!("IN  {:.1} MB/s {i:?}", i.throughput_mb_s);
    println!("OUT {:.1} MB/s {o:?}", o.throughput_mb_s);
    assert!(i.passed() && o.passed(), "IN: {i:?}\nOUT: {o:?}");
    for (what, mb_s) in [("IN", i.throughput_mb_s), ("OUT", o.throughput_mb_s)] {
        assert!(
            mb_s >= 0.99 * DUPLEX_CEILING_MB_S,
            "{what}: {mb_s:.1} MB/s < 99 % of {DUPLEX_CEILING_MB_S:.1}"
        );
    }
}

// `duplex_with_payload_errors_loses_nothing` is written as async tasks in tests/engine_tasks.rs.
