//! Benches from power-on: a device top with a PIPE 3 interface (the physical layer alone, or the whole device)
//! with the device's PIPE PHY model, two lines, and the host port model with a link layer behind it
//! ([`PhyWorld`]).
//!
//! [`PhyBench`]: the hdl physical layer (`usb3_hdl::phy::layer::PhyLayer`, the rust-hdl model) with a stream of
//! numbered bytes as the link side of each end, so that what crosses in U0 can be proven byte-exact: nothing
//! lost, duplicated or reordered, SKPs added, removed and stripped, scrambling both ways. The whole device with
//! the host's link layer and software is `env::power_on`.
//!
//! Clocks: the device's PCLK is the bench's cycle; the host runs `ppm` parts per million faster (or slower) and
//! steps 0, 1 or 2 times in a device cycle accordingly.

use rust_hdl::prelude::*;
use usb3_hdl::phy::layer::PhyLayer;
use usb3_hdl::phy::ltssm::LtssmState;
use usb3_sim::phy::host_port::{HostState, U0Link};

use crate::dut::pipe::PipePhyDut;
use crate::observe::checker::{CheckerConfig, LfpsWindows};
use crate::observe::watch::Watch;
use crate::runtime::ports::PortTrace;
use crate::wire::phy::{on_the_wire, PhyWire, PhyWireConfig};
use usb3_spec::symbols::{Sym, Word};

/// The host's link side: numbered bytes out, everything received kept.
#[derive(Default)]
pub struct CountingLink {
    next: u32,
    pub received: Vec<Sym>,
    /// Every U0 entry: whether it reset the device, how much had been received by then, and the first byte
    /// this side sends after it.
    pub entries: Vec<(bool, usize, u8)>,
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
        self.entries.push((
            reset,
            self.received.len(),
            Self::word(self.next + 1).data as u8,
        ));
    }
}

/// Checks that `syms` (logical idle first, then numbered bytes) is one run of consecutive bytes starting with
/// `first`; returns its length, or what broke it.
pub fn counting_run(syms: &[Sym], first: u8) -> Result<usize, String> {
    let start = syms
        .iter()
        .position(|s| *s != Sym::IDLE)
        .unwrap_or(syms.len());
    let run = &syms[start..];
    if let Some(s) = run.first() {
        // A numbered byte 0 looks like logical idle (D0.0): a run that should start with it starts with 1.
        let expected = if first == 0 { 1 } else { first };
        if s.k || s.byte != expected {
            return Err(format!(
                "the run starts with {s:?}, not byte {first}: the first words after U0 entry were lost"
            ));
        }
    }
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

/// A device top, its PIPE PHY, two lines, the host port and the link layer `L` behind it, from power-on.
pub struct PhyWorld<D: PipePhyDut, L: U0Link> {
    pub dut: D,
    /// The device's PHY, the lines, the host port.
    pub wire: PhyWire,
    pub link: L,
    pub cycle: u64,
    pub dev_path: Vec<(u64, LtssmState)>,
    /// Every device U0 entry: its cycle and whether it reset the device.
    pub dev_u0_entries: Vec<(u64, bool)>,
    /// The device's ports, cycle by cycle, for co-simulation (see [`PhyWorld::trace_from_reset`]).
    pub ports: Option<PortTrace>,
    /// The checker over the raw words and LFPS both ways (its physical-layer rules), and, for a device with a
    /// link layer (`PipePhyDut::link_words`: the device top), the protocol monitors over the link layer's words
    /// feeding its link and protocol rules, as in the engine benches.
    pub watch: Watch,
    /// The device's LTSSM left U0 and its link layer's words have not stopped yet (the physical layer switches
    /// its source a cycle later): the watch's cut comes when they have.
    cut_pending: bool,
}

impl<D: PipePhyDut, L: U0Link> PhyWorld<D, L> {
    /// `dut` connected and out of its reset (two cycles).
    pub fn new(mut dut: D, link: L, cfg: &PhyWireConfig) -> Self {
        dut.connect_all();
        let mut w = PhyWorld {
            dut,
            wire: PhyWire::new(cfg),
            link,
            cycle: 0,
            dev_path: vec![(0, LtssmState::SsDisabled)],
            dev_u0_entries: vec![],
            ports: None,
            watch: Watch::new(CheckerConfig {
                tseq_count: cfg.timing.tseq_sets(),
                lfps: LfpsWindows::of(&cfg.timing),
                // As the engine benches from power-on: the physical layer may hold a packet for SKPs.
                grace_cycles: 16,
                ..CheckerConfig::default()
            }),
            cut_pending: false,
        };
        w.reset();
        w
    }

    fn reset(&mut self) {
        self.dut.reset_mut().next = true;
        self.clock();
        self.clock();
        self.dut.reset_mut().next = false;
    }

    /// Record the device's ports from a reset on (two more reset cycles, recorded): what a co-simulation replays
    /// into the generated Verilog. Call before the first step.
    pub fn trace_from_reset(&mut self) {
        self.ports = Some(PortTrace::of(&self.dut));
        self.reset();
    }

    fn clock(&mut self) {
        self.clock_observed(|_| {});
    }

    /// A clock edge; `before_edge` sees the device with this cycle's inputs applied and settled.
    fn clock_observed(&mut self, before_edge: impl FnOnce(&D)) {
        self.dut.clock_mut().next = false.into();
        settle(&mut self.dut);
        // The inputs of this cycle applied and settled, just before the edge (as `HdlDut` samples).
        if let Some(t) = self.ports.as_mut() {
            t.sample(&self.dut);
        }
        before_edge(&self.dut);
        self.dut.clock_mut().next = true.into();
        settle(&mut self.dut);
    }

    pub fn device_state(&self) -> LtssmState {
        self.dut.ltssm_state()
    }

    /// One device cycle: the PHY and the lines move, the host port (and its link layer) steps as often as its
    /// clock says, then `hook` sets the device's other inputs and the clock edge comes.
    pub fn step(&mut self, hook: impl FnOnce(&mut D)) {
        self.step_observed(hook, |_| {});
    }

    /// [`PhyWorld::step`], with `before_edge` seeing the device's settled outputs just before the clock edge
    /// (a handshake that depends on this cycle's inputs, e.g. `link_tx_ready` on the offered word's boundary).
    pub fn step_observed(&mut self, hook: impl FnOnce(&mut D), before_edge: impl FnOnce(&D)) {
        let tx = self.dut.pipe_tx();
        let rx = self.wire.step(&tx, &mut self.link);
        self.dut.set_pipe_rx(&rx);
        let (up, down) = on_the_wire(&tx, &rx);
        let w = &self.wire;
        self.watch.phy_cycle(
            self.cycle,
            (up, down),
            (w.lfps_to_host, w.lfps_to_device),
            self.dut.link_words(),
            &mut self.cut_pending,
        );
        hook(&mut self.dut);
        self.clock_observed(before_edge);
        self.cycle += 1;
        let s = self.dut.ltssm_state();
        let last = self.dev_path.last().map(|p| p.1);
        if last != Some(s) {
            self.cut_pending |= last == Some(LtssmState::U0);
            self.dev_path.push((self.cycle, s));
        }
        if let Some(reset) = self.dut.u0_entry() {
            self.dev_u0_entries.push((self.cycle, reset));
            self.watch.u0_entry(reset);
        }
    }

    /// Both ends in U0.
    pub fn both_in_u0(&self) -> bool {
        self.device_state() == LtssmState::U0 && self.wire.host.state() == HostState::U0
    }

    /// The paths both ends took, for a failure message.
    pub fn paths(&self) -> String {
        format!("device {:?}; host {:?}", self.dev_path, self.wire.host.path)
    }
}

/// The physical layer alone, with numbered bytes as the link side of both ends.
pub struct PhyBench {
    pub w: PhyWorld<PhyLayer, CountingLink>,
    /// The device's link side: the next numbered word to send, what it received, how much by each U0 entry.
    dev_next: u32,
    /// The device's link side sends packets of this many words: a word is at a boundary when its number is a
    /// multiple of it (1: every word; the physical layer starts the link layer's words at a boundary).
    pub dev_packet: u32,
    /// Words the device's physical layer took but did not send (a cut packet's tail after a U0 entry).
    pub dev_dropped: u64,
    /// Checker violations a scenario expected (a misbehaving host's, named already): later checks judge only
    /// what came after them.
    pub expected_violations: u64,
    pub dev_received: Vec<Sym>,
    /// At each device U0 entry: how much it had received, and the first byte it sends after it.
    dev_marks: Vec<(usize, u8)>,
}

impl std::ops::Deref for PhyBench {
    type Target = PhyWorld<PhyLayer, CountingLink>;
    fn deref(&self) -> &Self::Target {
        &self.w
    }
}

impl std::ops::DerefMut for PhyBench {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.w
    }
}

impl PhyBench {
    pub fn new(cfg: PhyWireConfig) -> PhyBench {
        let dut = PhyLayer::new(&cfg.timing);
        PhyBench {
            w: PhyWorld::new(dut, CountingLink::default(), &cfg),
            dev_next: 0,
            dev_packet: 1,
            dev_dropped: 0,
            expected_violations: 0,
            dev_received: vec![],
            dev_marks: vec![],
        }
    }

    /// VBUS as the device's PHY reports it.
    pub fn set_vbus(&mut self, on: bool) {
        self.w.wire.phy.power_present = on;
    }

    /// One device cycle.
    pub fn step(&mut self) {
        let d = &self.w.dut;
        // The device's link side: what arrived in U0; what it offers is taken if ready, just before the edge.
        if d.link_rx_valid.val() {
            let w = Word::new(
                d.link_rx_data.val().to_u32(),
                d.link_rx_k.val().to_u32() as u8,
            );
            // The symbols the host sent: the SKPs the physical layer turned into logical idle are not among them.
            let skp = d.link_rx_skp.val().to_u32();
            self.dev_received.extend(
                w.syms()
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| skp >> i & 1 == 0)
                    .map(|(_, s)| s),
            );
        }
        let next = CountingLink::word(self.dev_next);
        let (mut taken, mut sent) = (false, false);
        self.w.step_observed(
            |d| {
                d.link_tx_data.next = (next.data as u64).into();
                d.link_tx_k.next = (next.k as u64).into();
                d.link_tx_boundary.next = self.dev_next % self.dev_packet == 0;
                d.link_recovery.next = false;
                d.link_rx_heard.next = d.link_rx_valid.val();
            },
            |d| (taken, sent) = (d.link_tx_ready.val(), d.link_tx_sent.val()),
        );
        if taken {
            self.dev_next += 1;
            self.dev_dropped += u64::from(!sent);
        }
        if self.w.dev_u0_entries.len() > self.dev_marks.len() {
            self.dev_marks.push((
                self.dev_received.len(),
                // The next word offered is the next number; the first sent, the first at a boundary from there.
                CountingLink::word(self.dev_next.div_ceil(self.dev_packet) * self.dev_packet).data
                    as u8,
            ));
        }
    }

    /// Step until both ends are in U0 (at most `limit` more cycles); the cycle it happened.
    pub fn until_u0(&mut self, limit: u64) -> Result<u64, String> {
        let end = self.cycle + limit;
        while !self.both_in_u0() {
            if self.cycle >= end {
                return Err(format!("not in U0 after {limit} cycles: {}", self.paths()));
            }
            self.step();
        }
        Ok(self.cycle)
    }

    /// Step until the device is in `s` (at most `limit` more cycles).
    pub fn until_device(&mut self, s: LtssmState, limit: u64) -> Result<u64, String> {
        let end = self.cycle + limit;
        while self.device_state() != s {
            if self.cycle >= end {
                return Err(format!(
                    "device not in {s:?} after {limit} cycles: {}",
                    self.paths()
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

    /// What each side received since its last U0 entry is one run of numbered bytes that starts with the first
    /// byte the other side sent after its own U0 entry: nothing lost as the link came up, nothing lost, doubled
    /// or reordered after (words in flight when the link left U0 before may be lost: this bench has no link
    /// layer to retry them); the two runs' lengths.
    pub fn traffic_since_u0(&self) -> Result<(usize, usize), String> {
        let (from_dev, dev_first) = self.dev_marks.last().copied().unwrap_or((0, 0));
        let (from_host, host_first) = self.link.entries.last().map_or((0, 0), |e| (e.1, e.2));
        let to_device = counting_run(&self.dev_received[from_dev..], host_first)
            .map_err(|e| format!("host -> device: {e}"))?;
        let to_host = counting_run(&self.link.received[from_host..], dev_first)
            .map_err(|e| format!("device -> host: {e}"))?;
        Ok((to_device, to_host))
    }
}

fn settle<B: Block>(b: &mut B) {
    b.update_all();
    while b.has_changed() {
        b.update_all();
    }
}
