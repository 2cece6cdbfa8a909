//! The physical layer bench: the hdl physical layer (`usb3_hdl::phy::layer::PhyLayer`, the rust-hdl model) with
//! the device's PIPE PHY model, two lines, and the host port model, from power-on. The link side of each end is
//! a stream of numbered bytes (the device's link layer stands in here; the engine's benches put the real one
//! there), so that what crosses in U0 can be proven byte-exact: nothing lost, duplicated or reordered, SKPs
//! added, removed and stripped, scrambling both ways.
//!
//! Clocks: the device's PCLK is the bench's cycle; the host runs `ppm` parts per million faster (or slower) and
//! steps 0, 1 or 2 times in a device cycle accordingly.

use rust_hdl::prelude::*;
use usb3_hdl::phy::layer::PhyLayer;
use usb3_hdl::phy::ltssm::LtssmState;
use usb3_hdl::phy::timing::PhyTiming;
use usb3_sim::phy::device_phy::{DevicePhy, DevicePhyConfig, PipeRx, PipeTx};
use usb3_sim::phy::host_port::{HostPort, HostPortConfig, HostState, U0Link};
use usb3_sim::phy::line::Line;
use usb3_spec::symbols::{Sym, Word};

/// The host's link side: numbered bytes out, everything received kept.
#[derive(Default)]
pub struct CountingLink {
    next: u32,
    pub received: Vec<Sym>,
    /// Every U0 entry: whether it reset the device, and how much had been received by then.
    pub entries: Vec<(bool, usize)>,
}

impl CountingLink {
    fn word(n: u32) -> Word {
        let b = (n * 4) as u8;
        Word::new(
            u32::from_le_bytes([b, b.wrapping_add(1), b.wrapping_add(2), b.wrapping_add(3)]),
            0,
        )
    }
}

impl U0Link for CountingLink {
    fn step(&mut self, rx: &[Sym]) -> Word {
        self.received.extend_from_slice(rx);
        self.next += 1;
        Self::word(self.next)
    }

    fn u0_entry(&mut self, reset: bool) {
        self.entries.push((reset, self.received.len()));
    }
}

/// Checks that `syms` (logical idle first, then numbered bytes) is one run of consecutive bytes; returns its
/// length, or what broke it.
pub fn counting_run(syms: &[Sym]) -> Result<usize, String> {
    let start = syms
        .iter()
        .position(|s| *s != Sym::IDLE)
        .unwrap_or(syms.len());
    let run = &syms[start..];
    for (i, w) in run.windows(2).enumerate() {
        if w[0].k || w[1].k || w[1].byte != w[0].byte.wrapping_add(1) {
            return Err(format!(
                "byte {} of the run: {:?} then {:?}",
                i + 1,
                w[0],
                w[1]
            ));
        }
    }
    Ok(run.len())
}

#[derive(Clone, Debug)]
pub struct PhyBenchConfig {
    pub timing: PhyTiming,
    pub host: HostPortConfig,
    pub phy: DevicePhyConfig,
    /// The host's clock against the device's, parts per million.
    pub ppm: i32,
    /// Each line's latency, symbol times.
    pub latency: usize,
}

impl PhyBenchConfig {
    /// The spec's timing with the long timeouts divided by `div` on both ends.
    pub fn scaled(div: u64) -> PhyBenchConfig {
        let timing = PhyTiming::scaled(div);
        PhyBenchConfig {
            timing,
            host: HostPortConfig {
                timing,
                ..HostPortConfig::default()
            },
            phy: DevicePhyConfig::default(),
            ppm: 0,
            latency: 40,
        }
    }
}

pub struct PhyBench {
    pub dut: PhyLayer,
    pub phy: DevicePhy,
    pub host: HostPort,
    pub host_link: CountingLink,
    to_host: Line,
    to_device: Line,
    host_phase: f64,
    host_step: f64,
    pub cycle: u64,
    /// The device's link side: the next numbered word to send, and what it received.
    dev_next: u32,
    pub dev_received: Vec<Sym>,
    pub dev_path: Vec<(u64, LtssmState)>,
    /// Every device U0 entry: its cycle, whether it reset the device, how much had been received by then.
    pub dev_u0_entries: Vec<(u64, bool, usize)>,
    rx: PipeRx,
}

impl PhyBench {
    pub fn new(cfg: PhyBenchConfig) -> PhyBench {
        let mut dut = PhyLayer::new(&cfg.timing);
        dut.connect_all();
        let mut b = PhyBench {
            dut,
            phy: DevicePhy::new(cfg.phy),
            host: HostPort::new(cfg.host),
            host_link: CountingLink::default(),
            to_host: Line::new(cfg.latency),
            to_device: Line::new(cfg.latency),
            host_phase: 0.0,
            host_step: 1.0 + cfg.ppm as f64 * 1e-6,
            cycle: 0,
            dev_next: 0,
            dev_received: vec![],
            dev_path: vec![(0, LtssmState::SsDisabled)],
            dev_u0_entries: vec![],
            rx: PipeRx::default(),
        };
        b.dut.reset.next = true;
        b.clock();
        b.clock();
        b.dut.reset.next = false;
        b
    }

    fn clock(&mut self) {
        self.dut.clock.next = false.into();
        settle(&mut self.dut);
        self.dut.clock.next = true.into();
        settle(&mut self.dut);
    }

    pub fn device_state(&self) -> LtssmState {
        self.dut.state.val()
    }

    /// VBUS as the device's PHY reports it.
    pub fn set_vbus(&mut self, on: bool) {
        self.phy.power_present = on;
    }

    /// One device cycle.
    pub fn step(&mut self) {
        let d = &mut self.dut;
        let tx = PipeTx {
            data: d.pipe_tx_data.val().to_u32(),
            k: d.pipe_tx_k.val().to_u32() as u8,
            elec_idle: d.pipe_tx_elec_idle.val(),
            det_rx_lpbk: d.pipe_tx_det_rx_lpbk.val(),
            power_down: d.pipe_power_down.val().to_u32() as u8,
            rx_polarity: d.pipe_rx_polarity.val(),
            rx_termination: d.pipe_rx_termination.val(),
            phy_reset: d.pipe_phy_reset.val(),
        };
        // The device's link side (what it sent this cycle was taken if ready).
        if d.link_tx_ready.val() {
            self.dev_next += 1;
        }
        if d.link_rx_valid.val() {
            let w = Word::new(
                d.link_rx_data.val().to_u32(),
                d.link_rx_k.val().to_u32() as u8,
            );
            self.dev_received.extend(w.syms());
        }
        let (rx, line) = self.phy.step(&tx, self.host.termination());
        self.rx = rx;
        for s in line {
            let arrived = self.to_host.push(s);
            self.host.receive(arrived);
        }
        self.host_phase += self.host_step;
        while self.host_phase >= 1.0 {
            self.host_phase -= 1.0;
            let out = self.host.step(
                tx.rx_termination && self.phy.power_present,
                &mut self.host_link,
            );
            for s in out {
                let arrived = self.to_device.push(s);
                self.phy.receive(arrived);
            }
        }
        let d = &mut self.dut;
        d.pipe_rx_data.next = (self.rx.data as u64).into();
        d.pipe_rx_k.next = (self.rx.k as u64).into();
        d.pipe_rx_valid.next = self.rx.valid;
        d.pipe_rx_status.next = (self.rx.status as u64).into();
        d.pipe_rx_elec_idle.next = self.rx.elec_idle;
        d.pipe_phy_status.next = self.rx.phy_status;
        d.pipe_power_present.next = self.rx.power_present;
        let w = CountingLink::word(self.dev_next);
        d.link_tx_data.next = (w.data as u64).into();
        d.link_tx_k.next = (w.k as u64).into();
        d.link_tx_boundary.next = true;
        d.link_recovery.next = false;
        d.link_rx_heard.next = d.link_rx_valid.val();
        self.clock();
        self.cycle += 1;
        let s = self.dut.state.val();
        if self.dev_path.last().map(|p| p.1) != Some(s) {
            self.dev_path.push((self.cycle, s));
        }
        if self.dut.u0_entry.val() {
            self.dev_u0_entries.push((
                self.cycle,
                self.dut.device_reset.val(),
                self.dev_received.len(),
            ));
        }
    }

    /// Step until both ends are in U0 (at most `limit` more cycles); the cycle it happened.
    pub fn until_u0(&mut self, limit: u64) -> Result<u64, String> {
        let end = self.cycle + limit;
        while !(self.device_state() == LtssmState::U0 && self.host.state() == HostState::U0) {
            if self.cycle >= end {
                return Err(format!(
                    "not in U0 after {limit} cycles: device {:?}, host {:?}",
                    self.dev_path, self.host.path
                ));
            }
            self.step();
        }
        Ok(self.cycle)
    }

    /// What each side received since its last U0 entry is one run of numbered bytes (words in flight when the
    /// link left U0 may be lost: this bench has no link layer to retry them); the two runs' lengths.
    pub fn traffic_since_u0(&self) -> Result<(usize, usize), String> {
        let from_dev = self.dev_u0_entries.last().map_or(0, |e| e.2);
        let from_host = self.host_link.entries.last().map_or(0, |e| e.1);
        let to_device = counting_run(&self.dev_received[from_dev..])
            .map_err(|e| format!("host -> device: {e}"))?;
        let to_host = counting_run(&self.host_link.received[from_host..])
            .map_err(|e| format!("device -> host: {e}"))?;
        Ok((to_device, to_host))
    }

    /// Step until the device is in `s` (at most `limit` more cycles).
    pub fn until_device(&mut self, s: LtssmState, limit: u64) -> Result<u64, String> {
        let end = self.cycle + limit;
        while self.device_state() != s {
            if self.cycle >= end {
                return Err(format!(
                    "device not in {s:?} after {limit} cycles: {:?}; host {:?}",
                    self.dev_path, self.host.path
                ));
            }
            self.step();
        }
        Ok(self.cycle)
    }

    pub fn run(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.step();
        }
    }
}

fn settle<B: Block>(b: &mut B) {
    b.update_all();
    while b.has_changed() {
        b.update_all();
    }
}
