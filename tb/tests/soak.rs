//! The error-injection soak (issue 5): over 100,000 DATA packets in CI, every error class at once (header and
//! payload bit flips, dropped link commands, lost ACKs, stale ACKs), nothing lost, duplicated or reordered and
//! no protocol rule breached. Two halves with their own seeds, so the test harness runs them on both cores; each
//! carries at least 50,000 DATA packets. The numbers go to stdout (`-- --nocapture`).

use usb3_tb::runtime::seed::SeedReport;
use usb3_tb::scenarios::soak::{run_soak, SoakConfig};

const TRANSFERS_EACH_WAY: usize = 22_700;

fn half(name: &str) {
    let seed = SeedReport::for_test(name);
    let r = run_soak(&SoakConfig::new(seed.seed(), TRANSFERS_EACH_WAY)).unwrap();
    println!(
        "{name}: {} DATA packets ({} headers, {} link commands) in {} cycles; header flips {}, payload flips {}, \
         link commands dropped {}, ACKs lost {}, stale ACKs {} (ignored by the device {}); retries {}, recoveries {}; \
         IN {} B, OUT {} B, integrity IN {} OUT {}, protocol violations {}",
        r.data_packets, r.headers, r.link_commands, r.cycles, r.header_bit_flips, r.payload_bit_flips,
        r.link_commands_dropped, r.acks_dropped, r.stale_acks_sent, r.stale_acks_ignored, r.retries, r.recoveries,
        r.r#in.bytes, r.out.bytes, r.r#in.integrity_ok, r.out.integrity_ok, r.violations
    );
    assert!(r.passed(), "IN: {:?}\nOUT: {:?}", r.r#in, r.out);
    assert!(
        r.data_packets >= 50_000,
        "only {} DATA packets",
        r.data_packets
    );
    for (class, n) in [
        ("header bit flips", r.header_bit_flips),
        ("payload bit flips", r.payload_bit_flips),
        ("dropped link commands", r.link_commands_dropped),
        ("lost ACKs", r.acks_dropped),
        ("stale ACKs", r.stale_acks_sent),
    ] {
        assert!(n >= 10, "{class}: only {n} injected");
    }
    assert_eq!(
        r.stale_acks_ignored, r.stale_acks_sent,
        "every stale ACK ignored and counted by the device"
    );
    assert!(r.retries > 0 && r.recoveries > 0);
}

#[test]
fn soak_first_half() {
    half("soak_first_half");
}

#[test]
fn soak_second_half() {
    half("soak_second_half");
}
