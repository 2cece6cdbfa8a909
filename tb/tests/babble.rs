//! The babble trap (issue 6, field notes first section, babble-overflow-intel.txt): the device sends 2 x 1024
//! bytes into a 1500-byte TD; the xHCI completes the TD with Babble Detected and, as captured on Intel B150 (and
//! Renesas uPD720202), does not halt: the next transfer opens with an ACK at sequence 0 while the device expects
//! 2. The device rightly ignores it, nothing moves, and software's transfer times out.

use usb3_sim::capture::{self, Kind};
use usb3_sim::host::{AfterBabble, CompletionCode, Policy, Recovery};
use usb3_tb::env::bulk_in::{InBench, InBenchConfig, InOutputs};

const CAPTURE: &str = "babble-overflow-intel.txt";

/// The application's pause between the failed transfer and the next one is ~21.3 s in the capture; a
/// simulation cannot cover that, so the next transfer comes 20 us later and its timeout is 100 us (libusb's
/// 1000 ms in the field notes). Both are parameters of `AfterBabble::RestartAtZero`.
const NEXT_TD_AFTER_NS: u64 = 20_000;
const TIMEOUT_NS: u64 = 100_000;

#[test]
fn intel_babble_capture_reproduced_the_restart_at_seq_0_is_ignored_and_the_host_times_out() {
    let path = format!(
        "{}/../sim/tests/captures/{CAPTURE}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let cap = capture::parse(&text).unwrap();
    let mut cfg = InBenchConfig::new(Policy::intel_b150(), 1500, 3000, 8, 3);
    cfg.app_transfers = Some(vec![(2048, false)]);
    cfg.after_babble = AfterBabble::RestartAtZero {
        next_td_after_ns: NEXT_TD_AFTER_NS,
        timeout_ns: TIMEOUT_NS,
    };
    cfg.policy.first_ack_delay_ns = 40_000;
    let mut out = InOutputs {
        keep_log: true,
        ..Default::default()
    };
    let mut b = InBench::new(cfg, &out).unwrap();
    let r = b.run(&mut out).unwrap();
    let events = b.side.log.events().to_vec();

    // The packet sequence of the capture, line for line (kind, seq, NumP, len).
    let key = |k: &Kind, s: Option<u8>, n: Option<u8>, l: Option<u32>| (k.clone(), s, n, l);
    let want: Vec<_> = cap
        .events()
        .map(|e| key(&e.kind, e.seq, e.nump, e.len))
        .collect();
    let got: Vec<_> = events
        .iter()
        .map(|e| key(&e.kind, e.seq, e.nump, e.len))
        .collect();
    assert_eq!(
        got,
        want,
        "packet log:\n{}",
        events
            .iter()
            .map(|e| capture::format_event(e.delta_us.unwrap_or(0.0), e))
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Timing of the captured stretch before the pause: every host interval within 0.1 us.
    let before_pause: String = text
        .lines()
        .take_while(|l| !l.starts_with("21286605"))
        .collect::<Vec<_>>()
        .join("\n");
    let head = capture::parse(&before_pause).unwrap();
    let rep =
        capture::compare(&head, &events[..5], &[Kind::Ack], 0.1).unwrap_or_else(|m| panic!("{m}"));
    println!("{CAPTURE}: {rep:?}");
    // The restart ACK comes the application's pause after the last ACK.
    let gap_us = events[5].delta_us.unwrap();
    assert!(
        (gap_us - NEXT_TD_AFTER_NS as f64 / 1000.0).abs() < 0.1,
        "gap {gap_us} us"
    );

    // The device ignored exactly that ACK, sent nothing more, and the host timed out.
    assert_eq!(r.ignored, 1, "{r:?}");
    assert_eq!(r.packets, 2, "{r:?}");
    let codes: Vec<(CompletionCode, u64)> = b
        .side
        .host
        .completions()
        .iter()
        .map(|c| (c.code, c.bytes))
        .collect();
    assert_eq!(
        codes,
        vec![(CompletionCode::Babble, 1500), (CompletionCode::Stopped, 0)]
    );
    assert_eq!(
        (b.side.host.stats().babbles, b.side.host.stats().timeouts),
        (1, 1)
    );
    let timed_out_at = b.side.host.completions()[1].at_ns;
    let opened_at = timed_out_at - TIMEOUT_NS;
    println!(
        "restart ACK at {:.3} us, transfer cancelled at {:.3} us",
        opened_at as f64 / 1e3,
        timed_out_at as f64 / 1e3
    );
    // What reached the host's memory is the stream's first 1500 bytes (what fitted), nothing else.
    assert_eq!(b.side.host.bytes_received(), 1500);
    assert_eq!(r.mismatched_bytes, 0, "{r:?}");
    // Every byte of the application's 2048 is accounted for: 1500 in the host's buffer, 548 lost to babble.
    assert_eq!(r.babble_dropped_bytes, 548);
    assert!(r.integrity_ok, "{r:?}");
    // Everything on the wire was legal for the device; the host's ACK at seq 0 is ignored by the checker too.
    assert_eq!(r.protocol_violations, 0, "{:?}", r.protocol_first);
}

/// The negative control: with no recovery action (no halt / ClearFeature, no reset), every later transfer opens at
/// seq 0, is ignored by the device and times out; the endpoint stays stuck (the field notes' "only unplugging
/// helps").
#[test]
fn without_recovery_every_later_transfer_is_ignored_and_times_out() {
    let mut cfg = InBenchConfig::new(Policy::renesas_upd720202(), 1500, 4 * 1500, 8, 5);
    cfg.app_transfers = Some(vec![(2048, false), (3000, false)]);
    cfg.after_babble = AfterBabble::RestartAtZero {
        next_td_after_ns: NEXT_TD_AFTER_NS,
        timeout_ns: TIMEOUT_NS,
    };
    let mut b = InBench::new(cfg, &InOutputs::default()).unwrap();
    let r = b.run(&mut InOutputs::default()).unwrap();
    let codes: Vec<CompletionCode> = b.side.host.completions().iter().map(|c| c.code).collect();
    assert_eq!(
        codes,
        vec![
            CompletionCode::Babble,
            CompletionCode::Stopped,
            CompletionCode::Stopped,
            CompletionCode::Stopped
        ]
    );
    assert_eq!(b.side.host.stats().timeouts, 3);
    // Three restart ACKs at seq 0, all ignored; the device never sent the application's second transfer.
    assert_eq!((r.ignored, r.packets), (3, 2), "{r:?}");
    assert_eq!(b.side.host.bytes_received(), 1500);
    assert_eq!(r.protocol_violations, 0, "{:?}", r.protocol_first);
}

/// Every recovery on every host model: the application recovery of the field notes (SET_FEATURE then
/// CLEAR_FEATURE(ENDPOINT_HALT) over EP0), the Linux xHCI way (host endpoint reset, the class driver's
/// CLEAR_FEATURE), and the big hammer (Hot Reset and enumeration again). ClearFeature / SetConfiguration / the Hot
/// Reset reset the device's sequence number, the host endpoint restarts at 0 too, and the next transfers go
/// through: the 548 babble bytes are lost by the xHCI's design, every byte after the recovery arrives once and in
/// order, and the protocol checker stays silent.
#[test]
fn every_recovery_on_every_host_model() {
    for how in [
        Recovery::HaltClear,
        Recovery::ResetClear,
        Recovery::HotReset,
    ] {
        for policy in [
            Policy::intel_b150(),
            Policy::renesas_upd720202(),
            Policy::asmedia_asm1142(),
            Policy::ideal(8),
        ] {
            let name = format!("{} / {}", how.name(), policy.name);
            let mut cfg = InBenchConfig::new(policy, 1500, 3 * 1500, 8, 9);
            cfg.app_transfers = Some(vec![(2048, false), (1500, false), (1500, false)]);
            cfg.after_babble = AfterBabble::Recover(how);
            // Enumeration again takes a while (descriptors, address, configuration).
            cfg.max_cycles = 1_000_000;
            let mut b = InBench::new(cfg, &InOutputs::default()).unwrap();
            let r = b.run(&mut InOutputs::default()).unwrap();
            let codes: Vec<(CompletionCode, u64)> = b
                .side
                .host
                .completions()
                .iter()
                .map(|c| (c.code, c.bytes))
                .collect();
            assert_eq!(
                codes,
                vec![
                    (CompletionCode::Babble, 1500),
                    (CompletionCode::Success, 1500),
                    (CompletionCode::Success, 1500)
                ],
                "{name}: {} cycles, recoveries {:?}, hot resets {}, {r:?}",
                b.wire.cycle,
                b.side.recoveries(),
                b.wire.hot_resets
            );
            assert_eq!(r.babble_dropped_bytes, 548, "{name}");
            assert!(r.passed(), "{name}: {r:?}");
            assert_eq!(
                r.ignored, 0,
                "{name}: nothing out of step after the recovery"
            );
            assert_eq!(b.side.recoveries().len(), 1, "{name}");
            let (start, end) = b.side.recoveries()[0];
            println!("{name}: recovered in {:.2} us", (end - start) as f64 / 1e3);
            assert_eq!(b.wire.hot_resets, (how == Recovery::HotReset) as u64);
        }
    }
}

/// The whole family on one host model (the regression `usb3 regress --filter babble` runs every host): every case
/// with every recovery passes, and the negative control stays stuck.
#[test]
fn babble_family_on_the_intel_model() {
    use usb3_tb::scenarios::babble::{run_babble, table, BabbleSpec};
    let mut rows = vec![];
    for (case, rec) in BabbleSpec::family() {
        let b = BabbleSpec::of(case, rec, "intel-b150").unwrap();
        let o = run_babble(&b, 11, &mut InOutputs::default(), None).unwrap();
        rows.push((b.name(), b.host, o));
    }
    println!("{}", table(&rows));
    for (name, _, o) in &rows {
        assert!(o.passed, "{name}: {}", o.reason);
    }
}

/// The packet sequence of every babble scenario on the Intel model against its expected log
/// (`tb/tests/babble_logs/`, one line per packet: kind, seq, NumP, len; times are checked by the capture test
/// above and by the recovery times of the table). `USB3_UPDATE_BABBLE_LOGS=1` rewrites them after a reviewed
/// change.
#[test]
fn babble_packet_sequences_match_their_expected_logs() {
    use usb3_tb::scenarios::babble::{run_babble, BabbleSpec};
    let dir = format!("{}/tests/babble_logs", env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var("USB3_UPDATE_BABBLE_LOGS").is_ok();
    let mut wrong = vec![];
    for (case, rec) in BabbleSpec::family() {
        let b = BabbleSpec::of(case, rec, "intel-b150").unwrap();
        let o = run_babble(
            &b,
            11,
            &mut InOutputs {
                keep_log: true,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        let mut text = format!(
            "# {}: expected packet sequence (inside the device; kind seq nump len)\n",
            b.name()
        );
        for e in &o.events {
            let f = |k: &str, v: Option<String>| v.map_or(String::new(), |v| format!(" {k}={v}"));
            text += &format!(
                "{}{}{}{}\n",
                e.kind.token(),
                f("seq", e.seq.map(|x| x.to_string())),
                f("nump", e.nump.map(|x| x.to_string())),
                f("len", e.len.map(|x| x.to_string()))
            );
        }
        let path = format!("{dir}/{}-{}.log", case.name(), rec.name());
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            wrong.push(path);
        }
    }
    assert!(wrong.is_empty(), "packet sequences differ from (or missing) {wrong:?}; review, then USB3_UPDATE_BABBLE_LOGS=1");
}

/// The OUT-side analogue: the host sends a 2048-byte transfer where the device's application expects 1500. The
/// application takes its 1500 bytes, refuses the rest and halts the endpoint; the host sees STALL, its software
/// sends CLEAR_FEATURE(ENDPOINT_HALT) (both sides back to sequence 0, the application told by `out_reset`), and
/// the next transfers arrive byte for byte. On every OUT host model.
#[test]
fn out_overflow_is_refused_stalled_and_recovered_with_clear_feature() {
    use usb3_sim::host::OutPolicy;
    use usb3_tb::env::bulk_out::{run_out, OutBenchConfig};
    for (policy, over) in [
        (OutPolicy::intel_b150(), 2048),
        (OutPolicy::renesas_upd720202(), 2048),
        (OutPolicy::ideal(8), 2048),
        (OutPolicy::intel_b150(), 5000),
        (OutPolicy::ideal(8), 5000),
    ] {
        let name = format!("{} ({over} bytes into 1500)", policy.name);
        let mut cfg = OutBenchConfig::new(policy, 1500, 8, 21);
        cfg.preamble = vec![over, 1500];
        cfg.app_expects_first = Some(1500);
        let (r, _) = run_out(&cfg, None, false, None).unwrap();
        assert!(r.passed(), "{name}: {r:?}");
        assert_eq!(r.overflow_dropped_bytes, over - 1500, "{name}: {r:?}");
        assert!(r.stalls >= 1, "{name}: the host saw STALL: {r:?}");
        assert_eq!(r.recoveries.len(), 1, "{name}");
        assert!(
            r.app_endpoint_resets >= 1,
            "{name}: the application was told"
        );
        let (start, end) = r.recoveries[0];
        println!(
            "{name}: overflow at {:.2} us, recovery {:.2} us -> {:.2} us",
            r.overflow_at_ns.unwrap() as f64 / 1e3,
            start as f64 / 1e3,
            end as f64 / 1e3
        );
    }
}
