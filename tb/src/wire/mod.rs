//! The wire between a device under test and the host's link layer, in one of two forms the device's face
//! chooses ([`crate::dut::pipe::Face`]):
//!
//! - **Link face** (the engine or the link layer alone, started in U0): two channels (latency, error
//!   injection) and a stand-in for the LTSSM.
//!
//!   ```text
//!   device (rust-hdl, PIPE words) --up Channel--> LinkPartner (host role) --down Channel--> device
//!   ```
//!
//!   LTSSM stand-in: when either side reports a condition that sends the link to Recovery, both receivers see
//!   logical idle for `recovery_cycles` (the link is retraining; whatever was on the wire is lost), then both
//!   sides get `u0_entry` and re-run the header sequence number and credit advertisement.
//! - **Phy face** (the device top, from power-on): the physical wire ([`phy::PhyWire`]: the device's PIPE PHY
//!   model, the lines, the host port with the same `LinkPartner` behind it). The device's LTSSM and the host
//!   port train, retrain and reset the link; the host port answers the device's Port Capability LMP
//!   ([`phy::LinkManagement`]). The protocol monitors watch the engine's words between its physical layer and
//!   its link layer: the words the physical layer took, the words it delivered.

use rust_hdl::core::prelude::{Clock, In, Signal};
use usb3_hdl::device::DeviceParams;
use usb3_hdl::phy::ltssm::LtssmState;
use usb3_hdl::top::Usb3Device;
use usb3_sim::channel::{Channel, ChannelConfig};
use usb3_sim::link_partner::{LinkConfig, LinkPartner, RxPacket};
use usb3_spec::symbols::Sym;
use usb3_spec::Word;

use crate::observe::checker::CheckerConfig;
use crate::observe::pipe_trace::PipeTraceWriter;
use crate::observe::watch::Watch;
pub mod board;
pub mod errors;
pub mod phy;

use crate::dut::engine_top::{EngineModel, EngineTop};
use crate::dut::pipe::{Face, PipeDut, PipePhyDut};
use crate::dut::replay::Init;
use crate::dut::verilator::{Backend, VerilatedModel, VerilatedTop};
use crate::runtime::rhdl::HdlDut;
use crate::runtime::seed::{derive, SeedStream};
use errors::ErrorRates;

/// What both forms of an engine bench's wire check: the protocol checker with the device's bursts.
fn engine_watch(params: &DeviceParams, host_check: bool, rx_exact: bool) -> Box<Watch> {
    let mut cc = CheckerConfig {
        check_host: host_check,
        rx_exact,
        ..CheckerConfig::default()
    };
    cc = cc.with_max_burst(params.bulk_in.ep, true, params.bulk_in.max_burst);
    cc = cc.with_max_burst(params.bulk_out.ep, false, params.bulk_out.max_burst);
    Box::new(Watch::new(cc))
}

/// The checker of a device top from power-on (the whole device on the physical wire, or on the board): the engine
/// benches' with the LTSSM's TSEQ count and LFPS windows of `timing`.
pub(crate) fn device_top_watch(
    params: &DeviceParams,
    timing: &usb3_hdl::phy::timing::PhyTiming,
    host_check: bool,
    rx_exact: bool,
) -> Box<Watch> {
    let mut watch = engine_watch(params, host_check, rx_exact);
    watch.checker.cfg.tseq_count = timing.tseq_sets();
    watch.checker.cfg.lfps = crate::observe::checker::LfpsWindows::of(timing);
    // The physical layer holds the engine's words while SKPs go out: a packet committed before an ACK with Rty
    // arrived can start later than with the stand-in. 16 cycles: measured 13 (a DPH ending 13 cycles after the
    // ACK, 256 KiB duplex at 2 % payload errors, seed 1), with margin; unverified as a bound.
    watch.checker.cfg.grace_cycles = 16;
    watch
}

impl Wire<EngineTop> {
    /// The engine alone with `params` behind channels of `latency` cycles with `up` / `down` errors (seeded from
    /// `seed + 1` / `seed + 2`), the host's link layer seeded with `seed`; out of reset, not yet in U0 (the
    /// stand-in brings it there: [`Wire::power_on`]).
    pub fn engine(
        params: DeviceParams,
        seed: u64,
        latency: usize,
        up: &ErrorRates,
        down: &ErrorRates,
        recovery_cycles: u64,
    ) -> Wire<EngineTop> {
        let mut host_cfg = LinkConfig::host();
        host_cfg.seed = seed;
        let (up, down) = (
            up.channel(latency, derive(seed, SeedStream::ChannelUp)),
            down.channel(latency, derive(seed, SeedStream::ChannelDown)),
        );
        let rx_exact = down.errors.drop_symbol == 0.0 && down.errors.corrupt_symbol == 0.0;
        let watch = engine_watch(&params, up.is_clean() && down.is_clean(), rx_exact);
        let mut w = Wire::new(
            EngineTop::engine(params),
            host_cfg,
            up,
            down,
            recovery_cycles,
        );
        w.watch = Some(watch);
        w
    }

    /// The device top (the physical layer in front of the engine with `params`, LTSSM timing `cfg.timing`) on
    /// the physical wire `cfg`, the host's link layer seeded with `seed`; out of reset, powered: the LTSSM starts
    /// from SS.Disabled and trains as the wire is stepped.
    ///
    /// `up` / `down` errors are injected between the host port and the host's link layer (zero-latency channels
    /// seeded from `seed + 1` / `seed + 2`; [`phy::ErrorLink`]).
    pub fn device_top(
        params: DeviceParams,
        cfg: &phy::PhyWireConfig,
        seed: u64,
        up: &ErrorRates,
        down: &ErrorRates,
    ) -> Wire<EngineTop> {
        let mut host_cfg = LinkConfig::host();
        host_cfg.seed = seed;
        host_cfg.lgo_after_idle = cfg.host_lgo;
        host_cfg.device_lgo = cfg.device_lgo;
        let (up, down) = (
            up.channel(0, derive(seed, SeedStream::ChannelUp)),
            down.channel(0, derive(seed, SeedStream::ChannelDown)),
        );
        let rx_exact = down.errors.drop_symbol == 0.0 && down.errors.corrupt_symbol == 0.0;
        let watch = device_top_watch(
            &params,
            &cfg.timing,
            up.is_clean() && down.is_clean(),
            rx_exact,
        );
        let top = Usb3Device::new(params, &cfg.timing);
        let mut w = Wire::new(EngineTop::Top(Box::new(top)), host_cfg, up, down, 0);
        let mut path = PhyPath::new(cfg);
        path.inject = !(w.up.config().is_clean() && w.down.config().is_clean());
        w.phy = Some(Box::new(path));
        w.watch = Some(watch);
        w
    }

    /// Evaluate the engine (or the device top) with `backend` from now on, and reset it (a Verilated model starts
    /// from zero). `params` must be the ones it was built with. `waves`: the run writes waveforms (a Verilated
    /// model then mirrors the internal signals they show, [`VerilatedModel::for_waves`]).
    pub fn use_backend(
        &mut self,
        params: &DeviceParams,
        backend: Backend,
        waves: bool,
    ) -> std::io::Result<()> {
        if backend == Backend::Verilator {
            let err = |e: crate::dut::build::CosimError| std::io::Error::other(e.to_string());
            fn make<T: VerilatedTop>(
                p: &T::Params,
                waves: bool,
            ) -> Result<VerilatedModel<T>, crate::dut::build::CosimError> {
                if waves {
                    VerilatedModel::<T>::for_waves(p, Init::Zero)
                } else {
                    VerilatedModel::<T>::new(p, Init::Zero)
                }
            }
            let model = match self.phy.as_ref() {
                Some(p) => EngineModel::Top(Box::new(
                    make::<Usb3Device>(&(params.clone(), p.timing), waves).map_err(err)?,
                )),
                None => EngineModel::Engine(Box::new(
                    make::<usb3_hdl::device::Device>(params, waves).map_err(err)?,
                )),
            };
            self.dev.set_external(Box::new(model));
            self.reset_device();
        }
        Ok(())
    }

    /// Both sides enter U0 as after a Hot Reset (which clears the device address), then the device gets address
    /// `addr` as SET_ADDRESS would give it (the engine alone: a bench shortcut; EP0 comes with its issue).
    pub fn start_addressed(&mut self, addr: u8) {
        self.power_on();
        self.exchange();
        self.edge();
        if let Some(d) = self.dev.engine_mut() {
            d.addr_set.next = true;
            d.addr_value.next = (addr as u64).into();
        }
        self.exchange();
        self.edge();
        if let Some(d) = self.dev.engine_mut() {
            d.addr_set.next = false;
        }
    }
}

impl<D: PipeDut + VerilatedTop> Wire<D> {
    /// Evaluate the device (the link layer alone) with `backend` from now on, and reset it (a Verilated model
    /// starts from zero). `params` must be the ones the device was built with.
    pub fn use_backend_of(&mut self, params: &D::Params, backend: Backend) -> std::io::Result<()> {
        if backend == Backend::Verilator {
            let m = VerilatedModel::<D>::new(params, Init::Zero)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            self.dev.set_external(Box::new(m));
            self.reset_device();
        }
        Ok(())
    }
}

/// The physical path of a wire whose device has the physical layer, and what it saw.
pub struct PhyPath {
    pub wire: phy::PhyWire,
    /// The device's LTSSM timing (the Verilator backend builds the top with it).
    pub timing: usb3_hdl::phy::timing::PhyTiming,
    /// The host port's side of link management.
    pub lmp: phy::LinkManagement,
    /// The device's LTSSM states, each with the cycle it began.
    pub dev_path: Vec<(u64, LtssmState)>,
    /// Every device U0 entry: its cycle and whether it reset the device.
    pub dev_u0_entries: Vec<(u64, bool)>,
    /// The cycle the bench's enumeration finished (0: none yet).
    pub enumerated_cycle: u64,
    /// Wall seconds the bring-up (training, link management, enumeration) took.
    pub bring_up_wall_s: f64,
    /// The host enables device-initiated U`x` entry after the enumeration (`PhyWireConfig::device_lpm`).
    pub device_lpm: Option<u8>,
    /// The channels inject errors: the host's link layer sits behind them ([`phy::ErrorLink`]).
    inject: bool,
    /// Symbols the host port received not yet through the error-injecting channel (a word at a time).
    pending: Vec<Sym>,
    /// The device's LTSSM left U0 and its link layer's words have not stopped yet (the physical layer switches
    /// its source a cycle later): the watch's cut comes when they have.
    cut_pending: bool,
}

impl PhyPath {
    fn new(cfg: &phy::PhyWireConfig) -> PhyPath {
        PhyPath {
            wire: phy::PhyWire::new(cfg),
            timing: cfg.timing,
            lmp: Default::default(),
            dev_path: vec![(0, LtssmState::SsDisabled)],
            dev_u0_entries: vec![],
            enumerated_cycle: 0,
            bring_up_wall_s: 0.0,
            device_lpm: cfg.device_lpm,
            inject: false,
            pending: Vec::with_capacity(8),
            cut_pending: false,
        }
    }

    /// The first U0 entry's cycle.
    pub fn first_u0(&self) -> Option<u64> {
        self.dev_u0_entries.first().map(|e| e.0)
    }

    /// Cycles the device's LTSSM spent in `s` up to cycle `now`.
    pub fn cycles_in(&self, s: LtssmState, now: u64) -> u64 {
        let ends = self.dev_path.iter().skip(1).map(|e| e.0).chain([now]);
        self.dev_path
            .iter()
            .zip(ends)
            .filter(|(e, _)| e.1 == s)
            .map(|(e, end)| end.saturating_sub(e.0))
            .sum()
    }

    /// The device's LTSSM entered `s` this many times.
    pub fn entries(&self, s: LtssmState) -> u64 {
        self.dev_path.iter().filter(|e| e.1 == s).count() as u64
    }

    /// The LTSSM states the device took, in order, each once per visit ("SsDisabled > RxDetectReset > ...").
    pub fn path_names(&self) -> Vec<String> {
        self.dev_path
            .iter()
            .map(|(_, s)| format!("{s:?}"))
            .collect()
    }
}

/// Device, channels, host link layer and LTSSM stand-in (or the physical wire), stepped one 125 MHz cycle at a
/// time.
pub struct Wire<D: PipeDut> {
    pub dev: HdlDut<D>,
    pub host: LinkPartner,
    pub up: Channel,
    pub down: Channel,
    /// Cycles the stand-in LTSSM spends in Recovery before U0 entry.
    pub recovery_cycles: u64,
    /// Cycles left in the current Recovery (0 = in U0).
    pub recovery_left: u64,
    pub recoveries: u64,
    pub device_recovery_reports: u64,
    /// `recovery_cause` of every device report, in order (see `usb3_hdl::link::rx_flow::cause`).
    pub device_recovery_causes: Vec<u32>,
    /// The words each side transmitted in the last cycle, and the word the device received (the stand-in; on
    /// the physical wire: the engine's words, IDLE when its physical layer took or gave none).
    pub dev_tx: Word,
    pub dev_rx: Word,
    pub host_tx: Word,
    pub cycle: u64,
    /// Protocol monitors on the device's PIPE interface and the protocol checker (engine benches).
    pub watch: Option<Box<Watch>>,
    /// The Recovery in progress ends in a Hot Reset (U0 entry with `hot_reset`).
    pending_hot: bool,
    pub hot_resets: u64,
    /// Warm Resets the host's software asked for (through the host port's LFPS).
    pub warm_resets: u64,
    /// The physical wire, when the device has the physical layer.
    pub phy: Option<Box<PhyPath>>,
    /// The device's PIPE words, cycle by cycle, to a CSV (`sim --pipe-trace`): at the PHY's pins on the physical
    /// wire (training sets, SKPs, scrambled), the engine's words with the stand-in.
    pub trace: Option<PipeTraceWriter>,
    trace_error: Option<std::io::Error>,
}

fn clock_of<D: PipeDut>(d: &mut D) -> &mut Signal<In, Clock> {
    d.clock_mut()
}

impl<D: PipeDut> Wire<D> {
    /// Reset the device for two cycles; the host link layer gets `host_cfg`.
    pub fn new(
        dev: D,
        host_cfg: LinkConfig,
        up: ChannelConfig,
        down: ChannelConfig,
        recovery_cycles: u64,
    ) -> Self {
        let mut w = Wire {
            dev: HdlDut::new_unchecked(dev, clock_of::<D>),
            host: LinkPartner::new(host_cfg),
            up: Channel::new(up),
            down: Channel::new(down),
            recovery_cycles,
            recovery_left: 0,
            recoveries: 0,
            device_recovery_reports: 0,
            device_recovery_causes: vec![],
            dev_tx: Word::IDLE,
            dev_rx: Word::IDLE,
            host_tx: Word::IDLE,
            cycle: 0,
            watch: None,
            pending_hot: false,
            hot_resets: 0,
            warm_resets: 0,
            phy: None,
            trace: None,
            trace_error: None,
        };
        w.reset_device();
        w
    }

    /// Two cycles of the device's synchronous reset (the wire and the host are not stepped).
    pub fn reset_device(&mut self) {
        self.dev.reset_mut().next = true;
        self.dev.clock_cycle();
        self.dev.clock_cycle();
        self.dev.reset_mut().next = false;
    }

    /// The stand-in: both sides enter U0 as after a Hot Reset (LGOOD_7, LCRD_A..D each way). On the physical
    /// wire the LTSSMs do this themselves: nothing to do.
    pub fn power_on(&mut self) {
        if let Face::Link(f) = self.dev.face() {
            f.u0_entry.next = true;
            f.hot_reset.next = true;
            self.host.u0_entry(true);
            if let Some(w) = self.watch.as_mut() {
                w.u0_entry(true);
            }
        }
    }

    /// The host resets the device (a Hot Reset, spec 7.4.2). On the physical wire the host port sends TS1s with
    /// the Reset bit and both LTSSMs go through Hot Reset; with the stand-in the link retrains
    /// (`recovery_cycles` of idle on both receivers, whatever was on the wire is lost), then both sides enter
    /// U0 as after a Hot Reset: sequence numbers, credits, the device's address and its endpoints' sequence
    /// numbers start afresh.
    /// The host's software resets the port with a Warm Reset (the host port's LFPS of tReset; both LTSSMs
    /// train again from Rx.Detect). Behind the LTSSM stand-in, which has no LFPS, it is a Hot Reset: the engine
    /// sees the same U0 entry with a device reset.
    pub fn warm_reset(&mut self) {
        if let Some(p) = self.phy.as_mut() {
            self.warm_resets += 1;
            p.wire.host.request_warm_reset();
            return;
        }
        self.hot_reset();
    }

    /// The host's port is up: its LTSSM in U0 (the end of a port reset, as an xHCI reports it to software);
    /// behind the stand-in, no Recovery in progress.
    pub fn port_ready(&self) -> bool {
        match self.phy.as_ref() {
            Some(p) => p.wire.host.state() == usb3_sim::phy::host_port::HostState::U0,
            None => self.recovery_left == 0,
        }
    }

    pub fn hot_reset(&mut self) {
        self.hot_resets += 1;
        if let Some(p) = self.phy.as_mut() {
            p.wire.host.request_hot_reset();
            return;
        }
        self.pending_hot = true;
        if self.recovery_left == 0 {
            self.recovery_left = self.recovery_cycles.max(1);
            self.host.enter_recovery();
        }
    }

    /// Flush the PIPE trace; the first write error, if any.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.trace_error.take() {
            return Err(e);
        }
        match self.trace.as_mut() {
            Some(t) => t.finish(),
            None => Ok(()),
        }
    }

    /// The next packet the host's link layer completed for the host's software; link management packets are
    /// the host port's and answered here.
    pub fn pop_received(&mut self) -> Option<RxPacket> {
        loop {
            let p = self.host.pop_received()?;
            let port = self.phy.as_mut().map(|ph| &mut ph.lmp);
            if !port.is_some_and(|lm| lm.on_packet(&p, &mut self.host)) {
                return Some(p);
            }
        }
    }

    /// First half of a cycle: move this cycle's words through the wire and the host link layer. The caller then
    /// sets the device's other inputs and calls [`Wire::edge`].
    pub fn exchange(&mut self) {
        match self.dev.face() {
            Face::Link(_) => self.exchange_stand_in(),
            Face::Phy(_) => self.exchange_phy(),
        }
    }

    fn exchange_phy(&mut self) {
        let Face::Phy(top) = self.dev.face() else {
            unreachable!("the physical wire carries a device top")
        };
        let p = self
            .phy
            .as_mut()
            .expect("a device top has the physical wire");
        // The engine's words this cycle: the one its physical layer sends, the one it delivers.
        let link = PipePhyDut::link_words(top);
        let (tx, rx) = link.expect("a device top has a link layer");
        let (taken, given) = (tx.is_some(), top.phy.link_rx_valid.val());
        let tx = tx.unwrap_or(Word::IDLE);
        let pipe_tx = top.pipe_tx();
        let pipe_rx = if !p.inject {
            p.wire.step(&pipe_tx, &mut self.host)
        } else {
            let mut link = phy::ErrorLink {
                link: &mut self.host,
                up: &mut self.up,
                down: &mut self.down,
                pending: &mut p.pending,
            };
            p.wire.step(&pipe_tx, &mut link)
        };
        top.set_pipe_rx(&pipe_rx);
        // What the host's link layer sent this cycle (the host models time their packets' ends by it).
        self.host_tx = self.host.take_last_tx();
        // What is on the wire: nothing in electrical idle (the data bus is don't-care then) or with RxValid low.
        let (up, down) = phy::on_the_wire(&pipe_tx, &pipe_rx);
        if let Some(t) = self.trace.as_mut() {
            let (up, down) = (up.unwrap_or(Word::IDLE), down.unwrap_or(Word::IDLE));
            if let Err(e) = t.push(self.cycle, up, down) {
                self.trace_error.get_or_insert(e);
            }
        }
        self.dev_tx = if taken { tx } else { Word::IDLE };
        self.dev_rx = if given { rx } else { Word::IDLE };
        if let Some(w) = self.watch.as_mut() {
            // The engine's receive words every cycle, as it sees them: a cycle the physical layer gives nothing
            // (outside U0, a gap SKP removal left) is logical idle to the engine, inside a packet too.
            let lfps = (p.wire.lfps_to_host, p.wire.lfps_to_device);
            w.phy_cycle(self.cycle, (up, down), lfps, link, &mut p.cut_pending);
        }
    }

    fn exchange_stand_in(&mut self) {
        let Face::Link(f) = self.dev.face() else {
            unreachable!("the stand-in carries a link face")
        };
        self.dev_tx = Word::new(f.tx_data.val().to_u32(), f.tx_k.val().to_u32() as u8);
        let at_host = self.up.step(self.dev_tx);
        let in_recovery = self.recovery_left > 0;
        self.host_tx = self
            .host
            .step(if in_recovery { Word::IDLE } else { at_host });
        let at_dev = self.down.step(self.host_tx);
        let at_dev = if in_recovery { Word::IDLE } else { at_dev };
        self.dev_rx = at_dev;
        if let Some(t) = self.trace.as_mut() {
            if let Err(e) = t.push(self.cycle, self.dev_tx, at_dev) {
                self.trace_error.get_or_insert(e);
            }
        }
        f.rx_data.next = (at_dev.data as u64).into();
        f.rx_k.next = (at_dev.k as u64).into();
        if let Some(w) = self.watch.as_mut() {
            w.cycle(self.cycle, self.dev_tx, at_dev);
        }
        if self.recovery_left > 0 {
            self.recovery_left -= 1;
            if self.recovery_left == 0 {
                let hot = std::mem::take(&mut self.pending_hot);
                f.u0_entry.next = true;
                f.hot_reset.next = hot;
                self.host.u0_entry(hot);
                if let Some(w) = self.watch.as_mut() {
                    w.u0_entry(hot);
                }
            }
        } else if self.host.recovery_requested() {
            self.recovery_left = self.recovery_cycles;
            self.recoveries += 1;
        }
    }

    /// Second half: the clock edge; then the device's recovery report is taken (and on the physical wire, its
    /// LTSSM's state).
    pub fn edge(&mut self) {
        self.dev.clock_cycle();
        self.cycle += 1;
        match self.dev.face() {
            Face::Link(f) => {
                f.u0_entry.next = false;
                f.hot_reset.next = false;
                if f.recovery.val() {
                    let c = f.recovery_cause.val().to_u32();
                    self.device_recovery_reports += 1;
                    self.device_recovery_causes.push(c);
                    if self.recovery_left == 0 {
                        self.recovery_left = self.recovery_cycles;
                        self.recoveries += 1;
                        self.host.enter_recovery();
                    }
                }
            }
            Face::Phy(top) => {
                let p = self
                    .phy
                    .as_mut()
                    .expect("a device top has the physical wire");
                if top.core.recovery.val() {
                    self.device_recovery_reports += 1;
                    self.device_recovery_causes
                        .push(top.core.recovery_cause.val().to_u32());
                }
                let s = PipePhyDut::ltssm_state(top);
                let last = p.dev_path.last().map(|e| e.1);
                if last != Some(s) {
                    if s == LtssmState::RecoveryActive && last == Some(LtssmState::U0) {
                        self.recoveries += 1;
                    }
                    if last == Some(LtssmState::U0) {
                        p.cut_pending = true;
                    }
                    p.dev_path.push((self.cycle, s));
                }
                if let Some(reset) = PipePhyDut::u0_entry(top) {
                    p.dev_u0_entries.push((self.cycle, reset));
                    if let Some(w) = self.watch.as_mut() {
                        w.u0_entry(reset);
                    }
                }
            }
        }
    }
}
