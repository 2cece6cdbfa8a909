//! Every bulk IN capture of a real host controller, reproduced by the simulation with that host's model: the
//! sequence of host ACKs (seq, NumP) and of device packets over each captured stretch, and every interval
//! between host events within 0.1 us (`usb3_sim::capture::compare`). The device-side packet log is taken where
//! the captures were taken (inside the device), so the two read side by side.

use usb3_sim::capture::{self, Capture, Kind};
use usb3_sim::host::Policy;
use usb3_tb::bulk_in_bench::{run_in, InBenchConfig, InOutputs};

fn load(name: &str) -> Capture {
    capture::load(format!("{}/../sim/tests/captures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Run `policy` with TDs of `td` bytes (after `preamble` TDs that bring the sequence number to where the
/// capture starts) and compare with the capture.
fn reproduce(name: &str, policy: Policy, td: u64, total: u64, tds_queued: usize, preamble: Vec<u64>) {
    let cap = load(name);
    let mut cfg = InBenchConfig::new(policy, td, total, cap.max_burst.unwrap_or(8), 7);
    cfg.xhci.tds_queued = tds_queued;
    cfg.xhci.preamble = preamble;
    // Arm the endpoint once the application has filled the device's buffer, as in the captures.
    cfg.policy.first_ack_delay_ns = 40_000;
    let (r, events) = run_in(cfg, &mut InOutputs { keep_log: true, ..Default::default() }).unwrap();
    assert!(r.integrity_ok, "{name}: {r:?}");
    match capture::compare(&cap, &events, &[Kind::Ack], 0.1) {
        Ok(rep) => println!("{name}: {rep:?}"),
        Err(m) => {
            // The tail of the log, where a failing run usually went wrong.
            for e in events.iter().rev().take(60).collect::<Vec<_>>().into_iter().rev() {
                println!("{}", capture::format_event(e.delta_us.unwrap_or(0.0), e));
            }
            panic!("{name}: {m}");
        }
    }
}

#[test]
fn intel_b150_in_4k() {
    reproduce("intel-b150-in-4k.txt", Policy::intel_b150(), 4096, 4 * 4096, 4, vec![]);
}

#[test]
fn renesas_upd720202_in_4k() {
    reproduce("renesas-upd720202-in-4k.txt", Policy::renesas_upd720202(), 4096, 4 * 4096, 4, vec![]);
}

#[test]
fn intel_b150_in_512k() {
    // The first TD switch after the endpoint was armed took 2.008 us in the 4 KiB capture (the preset's
    // value) but 1.736 us here (intel-b150-in-512k.txt line 35); what decides it is not in the captures, so
    // this run uses the value this capture shows.
    let mut p = Policy::intel_b150();
    p.td_restart_gap_first_ns = p.td_restart_gap_ns;
    reproduce("intel-b150-in-512k.txt", p, 524_288, 524_288 + 8192, 31, vec![]);
}

#[test]
fn renesas_upd720202_in_512k() {
    // The capture starts at seq 2: a 2-packet TD first.
    reproduce("renesas-upd720202-in-512k.txt", Policy::renesas_upd720202(), 524_288, 48 * 1024, 31, vec![2048]);
}

#[test]
fn asmedia_asm1142_in_512k() {
    // The capture starts at seq 24 with a burst: a 24-packet TD first.
    reproduce("asmedia-asm1142-in-512k.txt", Policy::asmedia_asm1142(), 524_288, 32 * 1024, 31, vec![24 * 1024]);
}
