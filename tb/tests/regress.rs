//! Regression scenarios: the same seed reproduces a run bit for bit (same VCD, same packet log), and a failing
//! scenario leaves its VCD and packet log behind.

use usb3_tb::scenarios::regress::{matrix, run_and_capture, run_scenario, Artifacts, Scenario};

fn scenario(name: &str) -> Scenario {
    matrix().into_iter().find(|s| s.name == name).expect(name)
}

fn dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("usb3-regress-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn same_seed_same_vcd_and_log_bit_for_bit() {
    // With errors injected, so the seed decides which packets are hit.
    let s = scenario("out/renesas-upd720202/td4k/mb16/err0.01");
    let d = dir("repro");
    let run = |seed: u64, tag: &str| {
        let (vcd, log) = (d.join(format!("{tag}.vcd")), d.join(format!("{tag}.log")));
        let o = run_scenario(
            &s,
            seed,
            Artifacts {
                vcd: Some(&vcd),
                log: Some(&log),
                pipe_log: None,
                ..Artifacts::default()
            },
        )
        .unwrap();
        assert!(o.passed, "{}", o.reason);
        (std::fs::read(vcd).unwrap(), std::fs::read(log).unwrap())
    };
    let (a_vcd, a_log) = run(42, "a");
    let (b_vcd, b_log) = run(42, "b");
    let (c_vcd, _) = run(43, "c");
    assert!(a_vcd.len() > 10_000);
    assert!(a_vcd == b_vcd, "same seed, different VCD");
    assert!(a_log == b_log, "same seed, different packet log");
    assert!(a_vcd != c_vcd, "another seed gave the same VCD");
}

#[test]
fn a_failing_scenario_writes_its_vcd_and_packet_log() {
    // A cycle budget far too small for the transfer: the scenario fails honestly (not completed).
    let mut s = scenario("in/intel-b150/td4k/mb4/clean");
    s.max_cycles = Some(3_000);
    let d = dir("fail");
    let o = run_and_capture(
        &s,
        7,
        &d,
        usb3_tb::dut::verilator::Backend::Native,
        Default::default(),
    )
    .unwrap();
    assert!(!o.passed);
    assert!(o.reason.contains("did not complete"), "{}", o.reason);
    assert_eq!(o.artifacts.len(), 3, "{:?}", o.artifacts);
    for a in &o.artifacts {
        let len = std::fs::metadata(a).unwrap().len();
        assert!(len > 100, "{} is {len} bytes", a.display());
    }
}
