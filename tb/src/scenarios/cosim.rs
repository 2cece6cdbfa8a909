//! Co-simulation scenarios: runs of the rust-hdl engine with its ports recorded, ready to be replayed into the
//! generated Verilog ([`crate::dut::replay`]).

use usb3_hdl::device::DeviceParams;
use usb3_sim::host::{Enumeration, OutPolicy, Policy};

use crate::env::bulk_in::{InBenchConfig, InOutputs, InReport};
use crate::env::bulk_out::{OutBenchConfig, OutReport};
use crate::env::control::run_control;
use crate::env::duplex::{DuplexBench, OutOutputs};
use crate::runtime::ports::PortTrace;
use crate::runtime::seed::{derive, SeedStream};
use crate::wire::errors::ErrorRates;
use crate::wire::Wire;

/// The co-simulation scenario of issue 7: `bytes` of bulk IN and `bytes` of bulk OUT at once against the
/// intel-b150 models (TDs of 16 KiB, max burst 8), traced from the device's reset on.
pub fn intel_duplex_configs(bytes: u64, seed: u64) -> (InBenchConfig, OutBenchConfig) {
    let mut i = InBenchConfig::new(Policy::intel_b150(), 16 * 1024, bytes, 8, seed);
    i.trace_ports = true;
    let o = OutBenchConfig::new(
        OutPolicy::intel_b150(),
        bytes,
        8,
        derive(seed, SeedStream::DuplexOut),
    );
    (i, o)
}

/// A finished rust-hdl run with its port record, ready to be replayed into the Verilog of `params`' engine.
pub struct TracedRun {
    pub params: DeviceParams,
    pub trace: PortTrace,
    pub in_report: InReport,
    pub out_report: OutReport,
}

/// Runs the duplex bench with the port record on (`in_cfg.trace_ports` is set here).
pub fn run_traced_duplex(
    mut in_cfg: InBenchConfig,
    out_cfg: OutBenchConfig,
) -> std::io::Result<TracedRun> {
    in_cfg.trace_ports = true;
    let (mut in_out, out_out) = (InOutputs::default(), OutOutputs::default());
    let mut bench = DuplexBench::new(in_cfg, out_cfg, &in_out, &out_out)?;
    let (in_report, out_report) = bench.run(&mut in_out)?;
    let trace = bench
        .wire
        .dev
        .take_port_trace()
        .expect("the bench traced its ports");
    Ok(TracedRun {
        params: bench.r#in.cfg.device_params(),
        trace,
        in_report,
        out_report,
    })
}

/// The engine (default parameters) enumerated over the wire by the Linux-like script (GET_DESCRIPTORs,
/// SET_ADDRESS, SET_CONFIGURATION, SET_SEL, SET_ISOCH_DELAY), its ports recorded from a reset on: the EP0 and
/// U0-entry paths, which the duplex scenario skips (it sets the address with the bench shortcut).
pub fn traced_enumeration(seed: u64) -> PortTrace {
    let clean = ErrorRates::default();
    let mut w = Wire::engine(DeviceParams::default(), seed, 16, &clean, &clean, 200);
    w.dev.trace_ports();
    w.reset_device();
    w.power_on();
    let mut e = Enumeration::new(5);
    assert!(
        run_control(&mut w, &mut e, &mut |_, _| {}, 400_000),
        "enumeration did not finish"
    );
    let violations = w.watch.as_ref().map_or(0, |x| x.checker.total());
    assert_eq!(
        violations, 0,
        "protocol violations during the traced enumeration"
    );
    w.dev.take_port_trace().expect("tracing was on")
}
