//! The whole device (`usb3_hdl::top::Usb3Device`: physical layer + engine) from power-on against the host port
//! with the host's link layer and software behind it: training to U0, then the Linux-like enumeration through
//! scrambling, SKP insertion and removal and the elastic buffers, with the device's own descriptors back.

use usb3_hdl::device::DeviceParams;
use usb3_tb::env::phy_link::PhyBenchConfig;
use usb3_tb::env::power_on::PowerOn;

#[test]
fn power_on_training_then_enumeration() {
    for ppm in [0, 300, -300] {
        let mut cfg = PhyBenchConfig::scaled(1000);
        cfg.ppm = ppm;
        let params = DeviceParams::default();
        let mut b = PowerOn::new(params.clone(), &cfg, 7);
        let t = b
            .until_u0(400_000)
            .unwrap_or_else(|e| panic!("{ppm} ppm: {e}"));
        let r = b
            .enumerate(5, 400_000)
            .unwrap_or_else(|e| panic!("{ppm} ppm: {e}"));
        assert_eq!(r.device, params.description().device(), "{ppm} ppm");
        assert!(b.w.dut.configured.val(), "{ppm} ppm: not configured");
        let s = b.w.link.stats();
        println!(
            "{ppm} ppm: U0 at {t}, enumerated at {}; host link {s:?}; host port {:?}",
            b.w.cycle, b.w.host.stats
        );
        assert_eq!(b.w.link.stats().recovery_total(), 0, "{ppm} ppm");
        assert_eq!(b.w.host.stats.recoveries, 0, "{ppm} ppm");
        assert_eq!(b.w.dev_u0_entries.len(), 1, "{ppm} ppm");
    }
}
