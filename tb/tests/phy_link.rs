//! The physical layer from power-on against the host port model (`usb3_tb::env::phy_link`): training to U0 with
//! the spec's path on both ends, then numbered bytes both ways, byte-exact through SKP insertion, elastic-buffer
//! compensation, SKP removal and scrambling.

use usb3_hdl::phy::ltssm::LtssmState as S;
use usb3_sim::phy::host_port::HostState as H;
use usb3_tb::env::phy_link::{counting_run, PhyBench, PhyBenchConfig};

#[test]
fn power_on_to_u0_then_bytes_both_ways() {
    let mut b = PhyBench::new(PhyBenchConfig::scaled(1000));
    let t = b.until_u0(200_000).unwrap_or_else(|e| panic!("{e}"));
    let dev: Vec<S> = b.dev_path.iter().map(|p| p.1).collect();
    assert_eq!(
        dev,
        [
            S::SsDisabled,
            S::RxDetectReset,
            S::RxDetectActive,
            S::PollingLfps,
            S::PollingRxEq,
            S::PollingActive,
            S::PollingConfiguration,
            S::PollingIdle,
            S::U0
        ]
    );
    let host: Vec<H> = b.host.path.iter().map(|p| p.1).collect();
    assert_eq!(
        host[host.len() - 6..],
        [
            H::PollingLfps,
            H::PollingRxEq,
            H::PollingActive,
            H::PollingConfiguration,
            H::PollingIdle,
            H::U0
        ]
    );
    println!(
        "U0 at cycle {t}; device {:?}; host {:?}",
        b.dev_path, b.host.path
    );
    b.run(20_000);
    assert_eq!(b.device_state(), S::U0);
    let to_device = counting_run(&b.dev_received).unwrap_or_else(|e| panic!("host -> device: {e}"));
    let to_host =
        counting_run(&b.host_link.received).unwrap_or_else(|e| panic!("device -> host: {e}"));
    println!(
        "bytes: host -> device {to_device}, device -> host {to_host}; host sent {} SKP words",
        b.host.stats.skp_words_sent
    );
    assert!(
        to_device > 70_000 && to_host > 70_000,
        "{to_device} {to_host}"
    );
    let (h, d) = (b.host.stats, b.phy.rx_stats());
    println!("host: {h:?}\ndevice receiver: {d:?}");
    assert!(h.skp_words_sent > 100 && h.skp_symbols_removed > 400);
    assert_eq!(d.overflows + d.underflows + d.decode_errors, 0);
}

#[test]
fn plus_and_minus_300_ppm_are_absorbed_by_skp_compensation() {
    for ppm in [300, -300] {
        let mut cfg = PhyBenchConfig::scaled(1000);
        cfg.ppm = ppm;
        let mut b = PhyBench::new(cfg);
        b.until_u0(200_000)
            .unwrap_or_else(|e| panic!("{ppm} ppm: {e}"));
        b.run(40_000);
        let to_device = counting_run(&b.dev_received)
            .unwrap_or_else(|e| panic!("{ppm} ppm, host -> device: {e}"));
        let to_host = counting_run(&b.host_link.received)
            .unwrap_or_else(|e| panic!("{ppm} ppm, device -> host: {e}"));
        let d = b.phy.rx_stats();
        println!("{ppm} ppm: {to_device} / {to_host} bytes; device receiver {d:?}");
        assert_eq!(d.overflows + d.underflows, 0, "{ppm} ppm");
        // The host's clock is off: the device's elastic buffer added (host slower) or removed (faster) SKPs.
        assert!(
            if ppm > 0 {
                d.skp_removed > 0
            } else {
                d.skp_added > 0
            },
            "{ppm} ppm: {d:?}"
        );
    }
}
