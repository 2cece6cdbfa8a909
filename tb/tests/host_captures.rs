//! Every pacing capture of a real host controller, reproduced by the simulation with that host's model
//! (`usb3_tb::scenarios::fidelity`, which `usb3 fidelity` also runs): IN, the sequence of host ACKs (seq, NumP)
//! and of device packets over each captured stretch, every interval between host ACKs within 0.1 us; OUT, the
//! host's DATA packets and the device's handshakes in order, every DATA -> DATA interval within 0.1 us and the
//! ERDY -> DATA response within 0.1 us, the captured idles replayed. The device-side packet log is taken where
//! the captures were taken (inside the device), so the two read side by side.

use usb3_sim::capture::{self, Capture, Kind};
use usb3_sim::host::{GapMode, OutPolicy};
use usb3_tb::dut::verilator::Backend;
use usb3_tb::env::bulk_out::run_out;
use usb3_tb::scenarios::fidelity::{
    self, erdy_to_data_us, out_capture_bench, CASES, OUT_LOOP_OVERHEAD_NS,
};

fn load(name: &str) -> Capture {
    fidelity::capture(name).unwrap()
}

/// Run the reproduction of `file` (natively) and check every capture it is compared with.
fn reproduce(file: &str) {
    let case = *CASES
        .iter()
        .find(|c| c.files().contains(&file))
        .unwrap_or_else(|| panic!("no reproduction of {file}"));
    let (rows, events) = fidelity::reproduce(case, Backend::Native);
    for row in &rows {
        if row.passed() {
            println!("{}: {:?} {:?}", row.file, row.result, row.erdy_to_data_us);
            continue;
        }
        // The log, where a failing run usually went wrong.
        for e in events.iter().take(120) {
            println!("{}", capture::format_event(e.delta_us.unwrap_or(0.0), e));
        }
        panic!(
            "{}: {:?}, ERDY -> DATA (simulated, captured) {:?}",
            row.file, row.result, row.erdy_to_data_us
        );
    }
}

#[test]
fn intel_b150_in_4k() {
    reproduce("intel-b150-in-4k.txt");
}

#[test]
fn renesas_upd720202_in_4k() {
    reproduce("renesas-upd720202-in-4k.txt");
}

#[test]
fn intel_b150_in_512k() {
    reproduce("intel-b150-in-512k.txt");
}

#[test]
fn renesas_upd720202_in_512k() {
    reproduce("renesas-upd720202-in-512k.txt");
}

#[test]
fn asmedia_asm1142_in_512k() {
    reproduce("asmedia-asm1142-in-512k.txt");
}

#[test]
fn intel_b150_out_64k() {
    reproduce("intel-b150-out-64k.txt");
}

#[test]
fn renesas_upd720202_out_64k() {
    reproduce("renesas-upd720202-out-64k.txt");
}

/// The later segment (host idles of 11.7 and 20.2 us) with the policy derived from its own capture, as
/// `sim --host-capture` does.
#[test]
fn renesas_upd720202_out_64k_later_via_derived_policy() {
    reproduce("renesas-upd720202-out-64k-later.txt");
}

#[test]
fn intel_b150_out_flow_control() {
    reproduce("intel-b150-out-nrdy.txt");
}

#[test]
fn renesas_upd720202_out_flow_control() {
    reproduce("renesas-upd720202-out-nrdy.txt");
}

/// The long-run model keeps the Renesas capture's stretch: its rhythm is the capture's and its data path starts
/// full, so the first long idle comes far later than the capture's ten packets.
#[test]
fn renesas_upd720202_out_64k_in_the_long_run_model() {
    let mut cfg = out_capture_bench(OutPolicy::renesas_upd720202(), 64 * 1024, Backend::Native);
    cfg.gap_mode = GapMode::Model;
    let (r, events) = run_out(&cfg, None, true, None).unwrap();
    assert!(r.passed(), "{r:?}");
    let rep = capture::compare(
        &load("renesas-upd720202-out-64k.txt"),
        &events,
        &[Kind::Data],
        fidelity::TOLERANCE_US,
    )
    .unwrap_or_else(|m| panic!("{m}"));
    println!("{rep:?}");
}

/// Every capture is some reproduction's.
#[test]
fn every_pacing_capture_is_reproduced() {
    for (file, _) in fidelity::CAPTURES {
        assert!(CASES.iter().any(|c| c.files().contains(&file)), "{file}");
    }
}

/// The presets' response times are the captured deltas minus this overhead; a zero-delay host shows it.
#[test]
fn out_loop_overhead_is_what_the_presets_assume() {
    let mut p = OutPolicy::intel_b150();
    p.gaps_ns = vec![0];
    p.erdy_response_ns = 0;
    p.reopen_ns = 0;
    let mut cfg = out_capture_bench(p, 16 * 1024, Backend::Native);
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
