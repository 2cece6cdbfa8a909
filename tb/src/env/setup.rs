//! How an engine run's wire is set up ([`WireSetup`]): the device under test, its simulator, the channels, and
//! where the run starts ([`Start`]): in U0 behind the LTSSM stand-in, or from power-on on the physical wire,
//! brought up to U0 and enumerated ([`bring_up`]) before the bench's sides start.

use std::io;

use usb3_hdl::device::DeviceParams;
use usb3_sim::host::control::ControlRequest;
use usb3_sim::host::{Enumeration, HostControl};
use usb3_spec::control::{request, Setup};

use crate::dut::engine_top::EngineTop;
use crate::dut::verilator::Backend;
use crate::env::control::run_control_observed;
use crate::env::run::step;
use crate::observe::pipe_trace::PipeTraceWriter;
use crate::wire::errors::ErrorRates;
use crate::wire::phy::PhyWireConfig;
use crate::wire::Wire;

/// How the wire of an engine run is set up: the device, its simulator, the channels.
#[derive(Clone, Debug)]
pub struct WireSetup {
    pub params: DeviceParams,
    pub seed: u64,
    /// Channel latency each way, cycles (PHY + cable).
    pub latency: usize,
    pub up_errors: ErrorRates,
    pub down_errors: ErrorRates,
    /// Cycles the LTSSM stand-in keeps the link in Recovery.
    pub recovery_cycles: u64,
    pub backend: Backend,
    /// The run writes waveforms: on the Verilator backend the model mirrors the internal signals they show.
    pub waves: bool,
    /// Record the device's ports from a reset on (co-simulation).
    pub trace_ports: bool,
    /// The PIPE-level packet log (path, header lines).
    pub pipe_log: Option<(std::path::PathBuf, Vec<(&'static str, String)>)>,
    /// The device's PIPE words, every cycle from reset, to this CSV (`PipeTraceWriter`).
    pub pipe_trace: Option<std::path::PathBuf>,
    /// The device's address (from U0: set by the bench shortcut; from power-on: by the enumeration).
    pub addr: u8,
    /// Where the run starts.
    pub start: Start,
}

/// Where an engine run starts.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Start {
    /// The engine alone, put in U0 by the wire's LTSSM stand-in, then given its address by a bench shortcut:
    /// no physical layer (no training, no SKP, no scrambling). Either backend; the channels' error injection.
    #[default]
    U0,
    /// The device top (physical layer + engine) from power-on on the physical wire: Rx.Detect, Polling, U0,
    /// the link management exchange, then the host's Linux-like enumeration (SET_ADDRESS `addr`,
    /// SET_CONFIGURATION ...). Native backend; clean lines.
    PowerOn(PhyWireConfig),
}

/// Cycles a run from power-on allows for training and link management: four times what a first training that
/// succeeds takes (Polling.LFPS ~20 k cycles, the TSEQs 8 cycles each, the rest a few thousand), plus the host's
/// detection delay. A link that does not come up in that time is reported, not waited for (a failed training
/// with the spec's timeouts takes up to 360 ms, 45 M cycles).
fn training_limit(cfg: &PhyWireConfig) -> u64 {
    4 * (25_000 + 8 * cfg.timing.tseq_sets()) + cfg.host.detect_delay.unwrap_or(0) + 100_000
}

/// Cycles the enumeration may take.
const ENUMERATION_LIMIT: u64 = 2_000_000;

impl WireSetup {
    /// The wire, its device in U0 with address `addr` (from power-on: trained and enumerated).
    pub fn build(&self) -> io::Result<Wire<EngineTop>> {
        let mut w = self.build_off()?;
        self.start(&mut w, &mut |_| {})?;
        Ok(w)
    }

    /// Bring the wire of [`WireSetup::build_off`] to where the run starts: U0 with address `addr` (the
    /// stand-in), or from power-on trained and enumerated, `observe` called after every cycle of it (a VCD).
    pub fn start(
        &self,
        w: &mut Wire<EngineTop>,
        observe: &mut dyn FnMut(&Wire<EngineTop>),
    ) -> io::Result<()> {
        match &self.start {
            Start::U0 => {
                w.start_addressed(self.addr);
                Ok(())
            }
            Start::PowerOn(cfg) => bring_up(w, self.addr, training_limit(cfg), observe),
        }
    }

    /// The wire, its device out of reset, the link not yet in U0 (from U0: `Wire::power_on` brings it there;
    /// from power-on: stepping it does).
    pub fn build_off(&self) -> io::Result<Wire<EngineTop>> {
        let mut w = match &self.start {
            Start::U0 => Wire::engine(
                self.params.clone(),
                self.seed,
                self.latency,
                &self.up_errors,
                &self.down_errors,
                self.recovery_cycles,
            ),
            Start::PowerOn(cfg) => Wire::device_top(
                self.params.clone(),
                cfg,
                self.seed,
                &self.up_errors,
                &self.down_errors,
            ),
        };
        w.use_backend(&self.params, self.backend, self.waves)?;
        if self.trace_ports {
            // The record starts with a reset, so a replay starts from it.
            w.dev.trace_ports();
            w.reset_device();
        }
        if let Some(p) = self.pipe_trace.as_ref() {
            w.trace = Some(
                PipeTraceWriter::create(p)
                    .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?,
            );
        }
        if let (Some((p, header)), Some(watch)) = (self.pipe_log.as_ref(), w.watch.as_mut()) {
            watch.log_to(p, header)?;
        }
        Ok(w)
    }
}

/// From power-on: step `w` until the device is in U0 and has answered the host port's Port Configuration (at
/// most `limit` cycles), then enumerate it with address `addr`; `observe` after every cycle. An error names where
/// it stopped.
pub fn bring_up(
    w: &mut Wire<EngineTop>,
    addr: u8,
    limit: u64,
    observe: &mut dyn FnMut(&Wire<EngineTop>),
) -> io::Result<()> {
    let wall = std::time::Instant::now();
    let mut scratch = Vec::new();
    let end = w.cycle + limit;
    loop {
        let p = w.phy.as_ref().expect("bring_up is for the device top");
        if p.lmp.port_config_response.is_some() {
            break;
        }
        if w.cycle >= end {
            return Err(io::Error::other(format!(
                "the link did not come up from power-on in {limit} cycles: device LTSSM path {:?}, host port path {:?}",
                p.path_names(),
                p.wire.host.path
            )));
        }
        step(w, &mut [], &mut scratch)?;
        observe(w);
    }
    let mut e = Enumeration::new(addr);
    if !run_control_observed(w, &mut e, ENUMERATION_LIMIT, observe) || !e.report().ok() {
        return Err(io::Error::other(format!(
            "the enumeration after power-on failed: {:?}",
            e.report()
        )));
    }
    // Device-initiated U1 / U2 entry enabled, as Linux does once it has enabled LPM for the device.
    if let Some(x) = w.phy.as_ref().and_then(|p| p.device_lpm) {
        let selector = if x == 2 {
            request::U2_ENABLE
        } else {
            request::U1_ENABLE
        };
        let mut c = HostControl::new(addr);
        c.submit(ControlRequest::new(Setup::device_feature(selector, true)));
        if !run_control_observed(w, &mut c, ENUMERATION_LIMIT, observe)
            || !c.take_results().iter().all(|r| r.ok())
        {
            return Err(io::Error::other(format!(
                "SET_FEATURE(U{x}_ENABLE) after the enumeration failed"
            )));
        }
    }
    if let Some(p) = w.phy.as_mut() {
        p.enumerated_cycle = w.cycle;
        p.bring_up_wall_s = wall.elapsed().as_secs_f64();
    }
    Ok(())
}
