//! Every bulk IN capture of a real host controller, reproduced by the simulation with that host's model: the
//! sequence of host ACKs (seq, NumP) and of device packets over each captured stretch, and every interval
//! between host events within 0.1 us (`usb3_sim::capture::compare`). The device-side packet log is taken where
//! the captures were taken (inside the device), so the two read side by side.

use usb3_sim::capture::{self, Capture, Kind};
use usb3_sim::host::Policy;
use usb3_tb::env::bulk_in::{run_in, InBenchConfig, InOutputs};

fn load(name: &str) -> Capture {
    capture::load(format!(
        "{}/../sim/tests/captures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Run `policy` with TDs of `td` bytes (after `preamble` TDs that bring the sequence number to where the
/// capture starts) and compare with the capture.
fn reproduce(
    name: &str,
    policy: Policy,
    td: u64,
    total: u64,
    tds_queued: usize,
    preamble: Vec<u64>,
) {
    let cap = load(name);
    let mut cfg = InBenchConfig::new(policy, td, total, cap.max_burst.unwrap_or(8), 7);
    cfg.xhci.tds_queued = tds_queued;
    cfg.xhci.preamble = preamble;
    // Arm the endpoint once the application has filled the device's buffer, as in the captures.
    cfg.policy.first_ack_delay_ns = 40_000;
    let (r, events) = run_in(
        cfg,
        &mut InOutputs {
            keep_log: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.passed(), "{name}: {r:?}");
    match capture::compare(&cap, &events, &[Kind::Ack], 0.1) {
        Ok(rep) => println!("{name}: {rep:?}"),
        Err(m) => {
            // The tail of the log, where a failing run usually went wrong.
            for e in events
                .iter()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                println!("{}", capture::format_event(e.delta_us.unwrap_or(0.0), e));
            }
            panic!("{name}: {m}");
        }
    }
}

#[test]
fn intel_b150_in_4k() {
    reproduce(
        "intel-b150-in-4k.txt",
        Policy::intel_b150(),
        4096,
        4 * 4096,
        4,
        vec![],
    );
}

#[test]
fn renesas_upd720202_in_4k() {
    reproduce(
        "renesas-upd720202-in-4k.txt",
        Policy::renesas_upd720202(),
        4096,
        4 * 4096,
        4,
        vec![],
    );
}

#[test]
fn intel_b150_in_512k() {
    // The first TD switch after the endpoint was armed took 2.008 us in the 4 KiB capture (the preset's
    // value) but 1.736 us here (intel-b150-in-512k.txt line 35); what decides it is not in the captures, so
    // this run uses the value this capture shows.
    let mut p = Policy::intel_b150();
    p.td_restart_gap_first_ns = p.td_restart_gap_ns;
    reproduce(
        "intel-b150-in-512k.txt",
        p,
        524_288,
        524_288 + 8192,
        31,
        vec![],
    );
}

#[test]
fn renesas_upd720202_in_512k() {
    // The capture starts at seq 2: a 2-packet TD first.
    reproduce(
        "renesas-upd720202-in-512k.txt",
        Policy::renesas_upd720202(),
        524_288,
        48 * 1024,
        31,
        vec![2048],
    );
}

#[test]
fn asmedia_asm1142_in_512k() {
    // The capture starts at seq 24 with a burst: a 24-packet TD first.
    reproduce(
        "asmedia-asm1142-in-512k.txt",
        Policy::asmedia_asm1142(),
        524_288,
        32 * 1024,
        31,
        vec![24 * 1024],
    );
}

// ------------------------------------------------------------------------------------------------------------
// Bulk OUT: the host's DATA packets are the host events; every DATA -> DATA interval within 0.1 us, every
// device ACK / NRDY / ERDY in order, and the ERDY -> DATA response time within 0.1 us.
// ------------------------------------------------------------------------------------------------------------

use usb3_sim::host::{GapMode, OutPolicy};
use usb3_tb::env::bulk_out::{run_out, OutBenchConfig};

/// The captured device granted NumP 4 on every ACK (its buffer depth; the captures' header says max burst 8).
/// Ours grants min(free buffers, max burst): max burst 4 with 8 buffers grants the same.
/// The captured idles are replayed where they were ([`GapMode::Replay`]).
fn out_cfg(policy: OutPolicy, bytes: u64) -> OutBenchConfig {
    let mut cfg = OutBenchConfig::new(policy, bytes, 4, 7);
    cfg.bulk_out.slots = 8;
    cfg.gap_mode = GapMode::Replay;
    cfg
}

/// Device-side ERDY -> DATA interval of the first ERDY in `events`.
fn erdy_to_data_us(events: &[usb3_sim::capture::Event]) -> Option<f64> {
    let i = events.iter().position(|e| e.kind == Kind::Erdy)?;
    let j = i + 1 + events[i + 1..].iter().position(|e| e.kind == Kind::Data)?;
    Some(
        events[i + 1..=j]
            .iter()
            .map(|e| e.delta_us.unwrap_or(0.0))
            .sum(),
    )
}

fn compare_out(name: &str, events: &[usb3_sim::capture::Event]) {
    let cap = load(name);
    match capture::compare(&cap, events, &[Kind::Data], 0.1) {
        Ok(rep) => println!("{name}: {rep:?}"),
        Err(m) => {
            for e in events.iter().take(120) {
                println!("{}", capture::format_event(e.delta_us.unwrap_or(0.0), e));
            }
            panic!("{name}: {m}");
        }
    }
    if let Some(want) = erdy_to_data_us(&cap.events().cloned().collect::<Vec<_>>()) {
        let got = erdy_to_data_us(events).expect("the simulation sent no ERDY");
        assert!(
            (got - want).abs() <= 0.1,
            "{name}: ERDY -> DATA {got:.3} us, captured {want:.3} us"
        );
    }
}

#[test]
fn intel_b150_out_64k() {
    let (r, events) = run_out(
        &out_cfg(OutPolicy::intel_b150(), 64 * 1024),
        None,
        true,
        None,
    )
    .unwrap();
    assert!(r.passed(), "{r:?}");
    compare_out("intel-b150-out-64k.txt", &events);
}

#[test]
fn renesas_upd720202_out_64k() {
    let (r, events) = run_out(
        &out_cfg(OutPolicy::renesas_upd720202(), 64 * 1024),
        None,
        true,
        None,
    )
    .unwrap();
    assert!(r.passed(), "{r:?}");
    compare_out("renesas-upd720202-out-64k.txt", &events);
}

/// The later segment (host gaps of 11.7 and 20.2 us) with the policy derived from its own capture, as
/// `sim --host-capture` does: the measured transfer starts at seq 25 after a 25-packet preamble.
#[test]
fn renesas_upd720202_out_64k_later_via_derived_policy() {
    let cap = load("renesas-upd720202-out-64k-later.txt");
    let policy = capture::derive_out_policy(&cap, "later", OUT_LOOP_OVERHEAD_NS).unwrap();
    let mut cfg = out_cfg(policy, 16 * 1024);
    cfg.preamble = vec![25 * 1024];
    let (r, events) = run_out(&cfg, None, true, None).unwrap();
    assert!(r.passed(), "{r:?}");
    compare_out("renesas-upd720202-out-64k-later.txt", &events);
}

/// A flow-controlled start and the resume on ERDY, in one run: a preamble leaves the device's 8 buffers full
/// (the application stops reading), the next transfer starts at the captured seq and meets NRDY; the
/// application resumes, the device sends ERDY. The host idle between packets is the two captures' own (their
/// gaps, in order: the preset's gap pattern comes from the streaming capture, and where in a flow a host idles
/// is not in the captures); everything else is the preset's.
fn flow_control(mut policy: OutPolicy, start_seq: u64, nrdy: &str, erdy: &str) {
    let gaps = |n: &str| {
        capture::derive_out_policy(&load(n), n, OUT_LOOP_OVERHEAD_NS)
            .unwrap()
            .gaps_ns
    };
    policy.gaps_ns = [gaps(nrdy), gaps(erdy)].concat();
    let mut cfg = out_cfg(policy, 16 * 1024);
    cfg.preamble = vec![start_seq * 1024];
    cfg.app_pause = Some(((start_seq - 8) * 1024, 40_000 + start_seq * 2_200));
    let (r, events) = run_out(&cfg, None, true, None).unwrap();
    assert!(r.passed(), "{r:?}");
    compare_out(nrdy, &events);
    compare_out(erdy, &events);
}

#[test]
fn intel_b150_out_flow_control() {
    flow_control(
        OutPolicy::intel_b150(),
        39,
        "intel-b150-out-nrdy.txt",
        "intel-b150-out-erdy.txt",
    );
}

#[test]
fn renesas_upd720202_out_flow_control() {
    flow_control(
        OutPolicy::renesas_upd720202(),
        30,
        "renesas-upd720202-out-nrdy.txt",
        "renesas-upd720202-out-erdy.txt",
    );
}

/// Simulated time from a device-side handshake (ERDY / ACK queued) to the host's link layer having it, plus
/// from the host handing over a DATA to its DPH complete at the device: measured with this bench (see
/// `out_loop_overhead_is_what_the_presets_assume`).
const OUT_LOOP_OVERHEAD_NS: u64 = 392;

/// The presets' response times are the captured deltas minus this overhead; a zero-delay host shows it.
#[test]
fn out_loop_overhead_is_what_the_presets_assume() {
    let mut p = OutPolicy::intel_b150();
    p.gaps_ns = vec![0];
    p.erdy_response_ns = 0;
    p.reopen_ns = 0;
    let mut cfg = out_cfg(p, 16 * 1024);
    cfg.preamble = vec![39 * 1024];
    cfg.app_pause = Some((31 * 1024, 40_000 + 39 * 2_200));
    let (_, events) = run_out(&cfg, None, true, None).unwrap();
    let got = erdy_to_data_us(&events).unwrap();
    println!("ERDY -> DATA with a zero-delay host: {got:.3} us");
    assert!(
        (got * 1000.0 - OUT_LOOP_OVERHEAD_NS as f64).abs() <= 8.0,
        "{got}"
    );
}

/// The presets are what `derive_out_policy` reads from their captures.
#[test]
fn out_presets_match_their_captures() {
    let d = |n: &str| capture::derive_out_policy(&load(n), n, OUT_LOOP_OVERHEAD_NS).unwrap();
    let intel = OutPolicy::intel_b150();
    assert_eq!(d("intel-b150-out-64k.txt").gaps_ns, intel.gaps_ns);
    assert_eq!(d("intel-b150-out-nrdy.txt").initial_cap, intel.initial_cap);
    let e = d("intel-b150-out-erdy.txt");
    assert_eq!(
        (e.erdy_response_ns, e.reopen_ns),
        (intel.erdy_response_ns, intel.reopen_ns)
    );
    let renesas = OutPolicy::renesas_upd720202();
    assert_eq!(d("renesas-upd720202-out-64k.txt").gaps_ns, renesas.gaps_ns);
    assert_eq!(
        d("renesas-upd720202-out-nrdy.txt").initial_cap,
        renesas.initial_cap
    );
    let e = d("renesas-upd720202-out-erdy.txt");
    assert_eq!(
        (e.erdy_response_ns, e.reopen_ns),
        (renesas.erdy_response_ns, renesas.reopen_ns)
    );
    // The long run's idle lengths are the captured long idles.
    let later = d("renesas-upd720202-out-64k-later.txt").long_gaps.unwrap();
    let g = renesas.long_gaps.unwrap();
    assert_eq!((later.min_ns, later.max_ns), (g.min_ns, g.max_ns));
    let g = intel.long_gaps.unwrap();
    let captured = intel
        .gaps_ns
        .iter()
        .filter(|&&x| x >= usb3_sim::host::LONG_GAP_NS);
    assert_eq!(
        (captured.clone().min(), captured.max()),
        (Some(&g.min_ns), Some(&g.max_ns))
    );
}

#[test]
#[ignore = "prints what derive_out_policy gives for every OUT capture"]
fn print_derived_out_policies() {
    for n in [
        "intel-b150-out-64k.txt",
        "intel-b150-out-nrdy.txt",
        "intel-b150-out-erdy.txt",
        "renesas-upd720202-out-64k.txt",
        "renesas-upd720202-out-64k-later.txt",
        "renesas-upd720202-out-nrdy.txt",
        "renesas-upd720202-out-erdy.txt",
    ] {
        println!(
            "{n}: {:?}",
            capture::derive_out_policy(&load(n), n, OUT_LOOP_OVERHEAD_NS).unwrap()
        );
    }
}
