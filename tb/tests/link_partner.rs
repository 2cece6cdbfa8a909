//! The gateware link layer against the software link partner: framing, header flow control, retry and
//! recovery, with the scoreboard proving nothing lost, duplicated or reordered.

use usb3_tb::env::link::{run, LinkBenchConfig, LinkReport};
use usb3_tb::observe::checker::RuleId;
use usb3_tb::runtime::seed::SeedReport;
use usb3_tb::wire::errors::ErrorRates;

fn check(name: &str, cfg: &LinkBenchConfig) -> LinkReport {
    let r = run(cfg, None).unwrap();
    eprintln!("{name}: {r:?}");
    assert!(
        r.completed,
        "{name}: did not complete in {} cycles: {r:?}",
        cfg.max_cycles
    );
    assert!(
        r.headers_in_order,
        "{name}: headers lost, duplicated or reordered: {r:?}"
    );
    assert!(
        r.delivered_exactly_once,
        "{name}: a packet was not delivered exactly once: {r:?}"
    );
    assert_eq!(r.payload_mismatches, 0, "{name}: {r:?}");
    assert_eq!(
        r.protocol_violations, 0,
        "{name}: the device broke a link rule: {:?}",
        r.protocol_first
    );
    if cfg.host_misbehaviour.is_empty() {
        assert!(
            r.host_rules.is_empty(),
            "{name}: the link partner broke {:?}: {:?}",
            r.host_rules,
            r.protocol_first
        );
    }
    r
}

#[test]
fn clean_streaming_both_ways() {
    let seed = SeedReport::for_test("clean_streaming_both_ways");
    let r = check("clean", &LinkBenchConfig::streaming(seed.seed(), 64));
    assert_eq!(r.recoveries, 0);
    assert_eq!(r.device_resends + r.host_resends, 0);
}

#[test]
fn random_lengths_both_ways() {
    let seed = SeedReport::for_test("random_lengths_both_ways");
    let r = check("random", &LinkBenchConfig::random(seed.seed(), 200));
    assert_eq!(r.recoveries, 0);
}

fn with_errors(name: &str, n: usize, up: ErrorRates, down: ErrorRates) -> LinkReport {
    let seed = SeedReport::for_test(name);
    let mut cfg = LinkBenchConfig::random(seed.seed(), n);
    cfg.up_errors = up;
    cfg.down_errors = down;
    cfg.max_cycles *= 4;
    let r = check(name, &cfg);
    assert!(
        r.channel_errors > 0,
        "{name}: the channel injected nothing: {r:?}"
    );
    r
}

#[test]
fn header_bit_flips_lbad_lrty_recovery() {
    let e = ErrorRates {
        header_bit_flip: 0.05,
        ..Default::default()
    };
    let r = with_errors("header_bit_flips", 200, e, e);
    assert!(r.host_lbad_sent > 0 && r.device_lbad_sent > 0, "{r:?}");
    assert!(r.host_lrty_sent > 0 && r.device_lrty_sent > 0, "{r:?}");
    assert!(
        r.device_headers_resent > 0 && r.host_headers_resent > 0,
        "{r:?}"
    );
}

#[test]
fn payload_bit_flips_are_reported_and_resent() {
    let e = ErrorRates {
        dpp_bit_flip: 0.05,
        ..Default::default()
    };
    let r = with_errors("payload_bit_flips", 200, e, e);
    assert!(r.device_resends > 0 && r.host_resends > 0, "{r:?}");
}

#[test]
fn link_command_bit_flips_recover() {
    let e = ErrorRates {
        lc_bit_flip: 0.03,
        ..Default::default()
    };
    let r = with_errors("link_command_bit_flips", 200, e, e);
    assert!(r.recoveries > 0, "{r:?}");
}

#[test]
fn dropped_and_corrupted_symbols_recover() {
    let e = ErrorRates {
        drop_symbol: 0.02,
        corrupt_symbol: 0.02,
        ..Default::default()
    };
    with_errors("dropped_and_corrupted_symbols", 200, e, e);
}

#[test]
fn every_error_class_at_once() {
    with_errors(
        "every_error_class",
        300,
        ErrorRates::all(0.01),
        ErrorRates::all(0.01),
    );
}

#[test]
fn credit_starvation_and_recovery() {
    // The device application takes received headers slowly: the host runs out of credits and waits.
    let seed = SeedReport::for_test("credit_starvation");
    let mut cfg = LinkBenchConfig::random(seed.seed(), 100);
    cfg.device_pop_rate = 0.01;
    cfg.max_cycles *= 4;
    let r = check("credit_starvation", &cfg);
    assert_eq!(r.recoveries, 0, "{r:?}");
}

/// A link partner that breaks the rules: the device reports it on its status output, never hangs, and good
/// traffic flows again afterwards (every packet still delivered exactly once).
fn misbehaving(name: &str, m: Vec<(u64, usb3_sim::link_partner::Misbehaviour)>) -> LinkReport {
    let seed = SeedReport::for_test(name);
    let mut cfg = LinkBenchConfig::random(seed.seed(), 60);
    cfg.host_misbehaviour = m;
    cfg.max_cycles *= 2;
    check(name, &cfg)
}

use usb3_hdl::link::rx_flow::cause;
use usb3_sim::link_partner::Misbehaviour as M;

#[test]
fn partner_sends_wrong_hsn() {
    let r = misbehaving("wrong_hsn", vec![(3000, M::WrongHsn), (9000, M::WrongHsn)]);
    assert!(
        r.host_rules.contains(&RuleId::LinkHsnOrder),
        "the checker caught it: {:?}",
        r.host_rules
    );
    assert!(
        r.device_recovery_causes.contains(&(cause::RX_HSN as u32)),
        "{r:?}"
    );
}

#[test]
fn partner_sends_lcrd_out_of_order() {
    let r = misbehaving("lcrd_out_of_order", vec![(3000, M::LcrdOutOfOrder)]);
    assert!(
        r.host_rules.contains(&RuleId::LinkLcrdOrder),
        "the checker caught it: {:?}",
        r.host_rules
    );
    assert!(
        r.device_recovery_causes
            .contains(&(cause::TX_LCRD_SEQ as u32)),
        "{r:?}"
    );
}

#[test]
fn partner_sends_garbage_symbols() {
    let r = misbehaving(
        "garbage",
        vec![
            (2000, M::Garbage(7)),
            (5000, M::Garbage(64)),
            (8000, M::Garbage(3)),
        ],
    );
    assert!(
        r.host_rules.contains(&RuleId::FramingGarbage),
        "the checker caught it: {:?}",
        r.host_rules
    );
    assert!(r.device_recovery_reports <= 3, "{r:?}");
}

#[test]
fn partner_sends_dpp_without_dph() {
    let r = misbehaving(
        "dpp_without_dph",
        vec![
            (2500, M::DppWithoutDph(vec![0xAB; 100])),
            (6000, M::DppWithoutDph(vec![])),
        ],
    );
    assert!(
        r.host_rules.contains(&RuleId::DppFollowsDph),
        "the checker caught it: {:?}",
        r.host_rules
    );
    assert_eq!(r.device_recovery_reports, 0, "{r:?}");
}

#[test]
fn partner_overruns_credits_and_skips_lgood() {
    let r = misbehaving(
        "overrun",
        vec![(3000, M::HeaderWithoutCredit), (7000, M::SkipLgood)],
    );
    assert!(
        r.host_rules.contains(&RuleId::LinkCredit),
        "the checker caught it: {:?}",
        r.host_rules
    );
    assert!(r.recoveries > 0, "{r:?}");
}
