//! The whole board from power-on ([`BoardBench`]): the Verilated board ([`BoardModel`]: board top, generated device
//! top, IP models) against the TUSB1310A pin model, the lines and the host port ([`BoardWire`]), with the host's link
//! layer and software behind the port, in closed loop.
//!
//! Time moves in 2 ns ticks: PCLK (250 MHz, from the chip model, only while it runs) has an edge at every tick, the
//! kit's 50 MHz oscillator every fifth; the engine's 125 MHz clock comes out of the PLL model inside the board. Each
//! PCLK period the chip takes the pins the board drives and gives what it drives for the board's next PCLK edge;
//! every 8 ns the host port steps, the host's software first ([`BoardSoftware`]). The protocol checker (the same
//! rules as the engine benches from power-on) takes each direction where its sender's words are whole: the device's
//! at the device top's PIPE and link layer (sampled at each rising edge of the engine's clock, with its LTSSM's
//! state), the host's on the wire at the chip (the 32-bit PIPE words of its PHY every 8 ns, nothing while PCLK is
//! stopped: the board's receive gearbox pairs 16-bit halves freely, so a set may straddle a word the engine gets
//! with RxValid low) and at the engine's link layer. Cycle numbers are time (ns / 8), one timeline when the
//! engine's clock is gated.

use usb3_hdl::device::DeviceParams;
use usb3_hdl::phy::ltssm::LtssmState;
use usb3_hdl::phy::timing::PhyTiming;
use usb3_sim::host::control::{ControlRequest, Enumeration, HostControl};
use usb3_sim::link_partner::{LinkConfig, LinkPartner, RxPacket};
use usb3_sim::phy::device_phy::DevicePhyConfig;
use usb3_sim::phy::device_phy::{PipeRx, PipeTx};
use usb3_sim::phy::host_port::{HostPortConfig, HostState, U0Link};
use usb3_sim::phy::tusb1310a::{Tusb1310aConfig, Tusb1310aIn, Tusb1310aOut};
use usb3_spec::control::Setup;
use usb3_spec::symbols::{Sym, DPPEND};
use usb3_spec::Word;

use crate::dut::board::{BoardBuild, BoardIn, BoardModel, BoardOut};
use crate::env::power_on::HostSoftware;
use crate::observe::monitor::Dir;
use crate::observe::watch::Watch;
use crate::wire::board::{BoardWire, BoardWireConfig};
use crate::wire::device_top_watch;
use crate::wire::phy::{on_the_wire, LinkManagement};

/// The device's address after the bench's enumeration.
pub const ADDR: u8 = 5;
/// Upper bounds on a training and on any other step (simulated time, ns), generous: a step that hangs fails with
/// the LTSSM paths.
pub const TRAIN_NS: u64 = 4_000_000;
pub const STEP_NS: u64 = 4_000_000;

fn ensure(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

/// How the board bench is built.
#[derive(Clone, Debug, PartialEq)]
pub struct BoardConfig {
    /// The device top (generated into the board) and its LTSSM's timing; the host port runs the same timing.
    pub build: BoardBuild,
    /// The Verilated model's random register start values, and the host's link layer's seed.
    pub seed: u64,
    /// When the Reset Release IP's ninit_done falls (the fabric in user mode), ns from power-on.
    pub ninit_release_ns: u64,
    /// DIP switch 0 at power-on: the application (0 pattern, 1 loopback).
    pub loopback: bool,
    pub wire: BoardWireConfig,
}

impl BoardConfig {
    /// The spec's timing with the long timeouts (and the TSEQ count) divided by `div` on both ends, as the
    /// physical-layer scenarios run it; lines of 40 symbol times, both clocks equal.
    pub fn scaled(div: u64) -> BoardConfig {
        let timing = PhyTiming::scaled(div);
        BoardConfig {
            build: BoardBuild {
                params: DeviceParams::default(),
                timing,
                recovery_led_bits: 8,
            },
            seed: 1,
            ninit_release_ns: 1_000,
            loopback: false,
            wire: BoardWireConfig {
                chip: Tusb1310aConfig {
                    phy: DevicePhyConfig::default(),
                    ..Tusb1310aConfig::default()
                },
                host: HostPortConfig {
                    timing,
                    ..HostPortConfig::default()
                },
                latency: 40,
                ppm: 0,
            },
        }
    }
}

/// The host's software as the board bench drives it: called every 8 ns before the host port steps (hand the
/// link layer what to send), with every packet the host received for it, and when the host's link layer has sent
/// the end of a DATA packet (the OUT pacing).
pub trait BoardSoftware {
    fn poll(&mut self, now_ns: u64, link: &mut LinkPartner);
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket);
    fn on_wire_end(&mut self, _now_ns: u64) {}
}

/// No software: the link alone.
pub struct NoSoftware;

impl BoardSoftware for NoSoftware {
    fn poll(&mut self, _now_ns: u64, _link: &mut LinkPartner) {}
    fn on_packet(&mut self, _now_ns: u64, _p: &RxPacket) {}
}

/// The control software of the other benches (requests, the enumeration).
impl<T: HostSoftware> BoardSoftware for T {
    fn poll(&mut self, now_ns: u64, link: &mut LinkPartner) {
        while let Some((dw, payload)) = HostSoftware::poll(self, now_ns) {
            link.send(dw, payload);
        }
    }
    fn on_packet(&mut self, now_ns: u64, p: &RxPacket) {
        HostSoftware::on_packet(self, now_ns, p)
    }
}

/// The host's link layer behind the port, noting when it sent the end of a DATA packet.
pub struct HostLink {
    pub link: LinkPartner,
    dppend_sent: bool,
}

impl U0Link for HostLink {
    fn step(&mut self, rx: &[Sym]) -> Word {
        let w = self.link.step_symbols(rx);
        self.dppend_sent |= w.k == 0xF && w.data == DPPEND;
        w
    }
    fn u0_entry(&mut self, reset: bool) {
        self.link.u0_entry(reset)
    }
    fn recovery_requested(&self) -> bool {
        self.link.recovery_requested()
    }
    fn at_boundary(&self) -> bool {
        self.link.tx_at_boundary()
    }
    fn take_ux(&mut self) -> Option<u8> {
        self.link.take_ux()
    }
    fn wants_exit(&self) -> bool {
        self.link.wants_exit()
    }
}

/// The board, the chip, the wire, the host.
pub struct BoardBench {
    pub model: BoardModel,
    pub wire: BoardWire,
    pub host: HostLink,
    /// The host port's side of link management.
    pub lm: LinkManagement,
    /// The protocol checker over the device top's words (physical-layer, link and protocol rules).
    pub watch: Box<Watch>,
    pub inp: BoardIn,
    pub out: BoardOut,
    cfg: BoardConfig,
    /// 2 ns ticks since power-on.
    pub ticks: u64,
    /// Rising edges of the engine's clock.
    pub engine_cycles: u64,
    /// PCLK periods the board was clocked, and the times PCLK stopped after running.
    pub pclk_cycles: u64,
    pub pclk_stops: u64,
    /// The device's LTSSM states, each with the time (ns) it began; every U0 entry (time, device reset).
    pub dev_path: Vec<(u64, LtssmState)>,
    pub dev_u0_entries: Vec<(u64, bool)>,
    /// When (ns) the board released the PHY's RESETN and PHY_RESETN, and the engine left reset (first time).
    pub reset_n_at: Option<u64>,
    pub phy_reset_n_at: Option<u64>,
    pub engine_out_of_reset_at: Option<u64>,
    /// A strap pin was driven by the board while the chip drove it (the chip out of reset, the board still
    /// strapping): the time it was first seen.
    pub strap_contention_at: Option<u64>,
    cut_pending: bool,
    pclk_was_running: bool,
    chip_drives: bool,
    /// The chip's PHY completed a pair (its PIPE words) in the current 8 ns.
    pair: Option<(PipeTx, PipeRx)>,
    /// LFPS went to the host since the last engine edge.
    lfps_up: bool,
}

/// One direction's raw word (or none: electrical idle, RxValid low) and its LFPS, at time `now`.
fn phy_lane(watch: &mut Watch, now: u64, dir: Dir, w: Option<Word>, lfps: bool) {
    let cycle = now / usb3_spec::CYCLE_NS;
    let c = &mut watch.checker;
    match w {
        Some(w) => c.phy_word(cycle, dir, w),
        None => c.phy_quiet(cycle, dir),
    }
    c.lfps(cycle, dir, lfps);
}

impl BoardBench {
    /// Builds (or finds in the cache) the board model and powers everything on: ninit_done high, the chip in its
    /// power-on reset, the host port looking for a device.
    pub fn new(cfg: BoardConfig) -> Result<BoardBench, String> {
        let model = BoardModel::new(&cfg.build, cfg.seed as u32)
            .map_err(|e| format!("board model: {e}"))?;
        let mut link_cfg = LinkConfig::host();
        link_cfg.seed = cfg.seed;
        let watch = device_top_watch(&cfg.build.params, &cfg.build.timing, true, true);
        let inp = BoardIn {
            ninit_done_in: 1,
            user_dipsw: cfg.loopback as u64,
            user_pb: 0b111,
            ..BoardIn::default()
        };
        Ok(BoardBench {
            model,
            wire: BoardWire::new(&cfg.wire),
            host: HostLink {
                link: LinkPartner::new(link_cfg),
                dppend_sent: false,
            },
            lm: LinkManagement::default(),
            watch,
            inp,
            out: BoardOut::default(),
            cfg,
            ticks: 0,
            engine_cycles: 0,
            pclk_cycles: 0,
            pclk_stops: 0,
            dev_path: vec![(0, LtssmState::SsDisabled)],
            dev_u0_entries: vec![],
            reset_n_at: None,
            phy_reset_n_at: None,
            engine_out_of_reset_at: None,
            strap_contention_at: None,
            cut_pending: false,
            pclk_was_running: false,
            chip_drives: false,
            pair: None,
            lfps_up: false,
        })
    }

    pub fn config(&self) -> &BoardConfig {
        &self.cfg
    }

    /// Simulated time, ns.
    pub fn now_ns(&self) -> u64 {
        self.ticks * 2
    }

    pub fn device_state(&self) -> LtssmState {
        LtssmState::from_code(self.out.ltssm_state)
    }

    pub fn both_in(&self, d: LtssmState, h: HostState) -> bool {
        self.device_state() == d && self.wire.host.state() == h
    }

    pub fn both_in_u0(&self) -> bool {
        self.both_in(LtssmState::U0, HostState::U0)
    }

    /// The paths both ends took, for a failure message (the last 12 states of each).
    pub fn paths(&self) -> String {
        let tail = |n: usize| n.saturating_sub(12);
        let d: Vec<String> = self.dev_path[tail(self.dev_path.len())..]
            .iter()
            .map(|(t, s)| format!("{s:?}@{t}"))
            .collect();
        let hp = &self.wire.host.path;
        let h: Vec<String> = hp[tail(hp.len())..]
            .iter()
            .map(|(c, s)| format!("{s:?}@{}", c * 8))
            .collect();
        format!("device [{}]; host [{}] (ns)", d.join(" "), h.join(" "))
    }

    /// A user LED is lit (the kit's LEDs are lit when low): green `g` (else red) number `i`.
    pub fn led(&self, green: bool, i: u32) -> bool {
        let leds = if green {
            self.out.led_g
        } else {
            self.out.led_r
        };
        leds >> i & 1 == 0
    }

    /// The pins the board drives, as the chip sees them.
    fn pins(&self) -> Tusb1310aIn {
        let o = &self.out;
        Tusb1310aIn {
            reset_n: o.reset_n != 0,
            phy_reset_n: o.phy_reset_n != 0,
            tx_data: o.tx_data as u16,
            tx_datak: o.tx_datak as u8,
            tx_elecidle: o.tx_elecidle != 0,
            tx_detrx_lpbk: o.tx_detrx_lpbk != 0,
            power_down: o.power_down as u8,
            rx_polarity: o.rx_polarity != 0,
            rx_termination: o.rx_termination != 0,
            strap_phy_status: (o.strap_oe != 0).then_some(o.strap_phy_status != 0),
            strap_rx_elecidle: (o.strap_oe != 0).then_some(o.strap_rx_elecidle != 0),
            strap_tx_margin: Some(o.tx_margin as u8),
        }
    }

    fn apply(&mut self, c: &Tusb1310aOut, chip_drives: bool) {
        let i = &mut self.inp;
        i.rx_data = c.rx_data as u64;
        i.rx_datak = c.rx_datak as u64;
        i.rx_valid = c.rx_valid as u64;
        i.rx_status = c.rx_status as u64;
        i.rx_elecidle = c.rx_elecidle as u64;
        i.phy_status = c.phy_status as u64;
        i.pwr_present = c.pwr_present as u64;
        i.phy_drives = chip_drives as u64;
    }

    /// One 2 ns tick with the host's software `sw`.
    pub fn tick(&mut self, sw: &mut dyn BoardSoftware) {
        let t = self.ticks;
        self.ticks += 1;
        let now = t * 2;
        if t % 5 == 0 {
            self.inp.clk_50m ^= 1;
        }
        self.inp.ninit_done_in = (now < self.cfg.ninit_release_ns) as u64;
        if t % 2 == 0 {
            let pins = self.pins();
            let running = self.wire.chip.pclk_running();
            if self.pclk_was_running && !running {
                self.pclk_stops += 1;
            }
            self.pclk_was_running = running;
            if self.wire.host_steps_next() {
                sw.poll(now, &mut self.host.link);
            }
            let c = self.wire.step(&pins, &mut self.host);
            while let Some(p) = self.host.link.pop_received() {
                if !self.lm.on_packet(&p, &mut self.host.link) {
                    sw.on_packet(now, &p);
                }
            }
            if std::mem::take(&mut self.host.dppend_sent) {
                sw.on_wire_end(now);
            }
            // The chip drives its PIPE outputs (PHY_STATUS and RX_ELECIDLE among them) once its PCLK has started
            // after RESETN rose, until RESETN falls again (in P3 too: the squelch works without PCLK).
            self.chip_drives = pins.reset_n && (self.chip_drives || self.wire.chip.pclk_running());
            if pins.strap_phy_status.is_some() && self.chip_drives {
                self.strap_contention_at.get_or_insert(now);
            }
            self.apply(&c, self.chip_drives);
            self.inp.pipe_pclk = running as u64;
            self.pclk_cycles += running as u64;
            if let Some(p) = self.wire.chip.take_pair() {
                self.pair = Some(p);
            }
            if t % 4 == 2 {
                self.wire_cycle(now);
            }
        } else {
            self.inp.pipe_pclk = 0;
        }
        let rose = self.out.engine_clk == 0;
        self.out = self.model.eval(&self.inp, now * 1000);
        if self.out.reset_n != 0 {
            self.reset_n_at.get_or_insert(now);
        }
        if self.out.phy_reset_n != 0 {
            self.phy_reset_n_at.get_or_insert(now);
        }
        if rose && self.out.engine_clk != 0 {
            self.engine_edge(now);
        }
    }

    /// The end of an 8 ns period: the host's words on the wire at the chip's PIPE (none while PCLK is stopped) and
    /// the LFPS reaching the device, for the physical-layer rules.
    fn wire_cycle(&mut self, now: u64) {
        let down = self
            .pair
            .take()
            .and_then(|(tx, rx)| on_the_wire(&tx, &rx).1);
        let (lfps_up, lfps_down) = self.wire.take_lfps();
        self.lfps_up |= lfps_up;
        phy_lane(&mut self.watch, now, Dir::Down, down, lfps_down);
    }

    /// A rising edge of the engine's clock: the LTSSM's state, its U0 entries, the link layer's words for the
    /// checker (the values of the cycle that begins: every register of the engine's domain has just taken its new
    /// value).
    fn engine_edge(&mut self, now: u64) {
        self.engine_cycles += 1;
        let o = self.out;
        if o.engine_reset != 0 {
            return;
        }
        self.engine_out_of_reset_at.get_or_insert(now);
        let s = LtssmState::from_code(o.ltssm_state);
        let last = self.dev_path.last().map(|p| p.1);
        if last != Some(s) {
            self.cut_pending |= last == Some(LtssmState::U0);
            self.dev_path.push((now, s));
        }
        if o.u0_entry != 0 {
            self.dev_u0_entries.push((now, o.device_reset != 0));
            self.watch.u0_entry(o.device_reset != 0);
        }
        // The device's raw words (its PIPE below the physical layer; in electrical idle, P1 .. P3 or PIPE loopback
        // none of them is on the wire) and the LFPS it sent.
        let up = (o.dev_tx_elec_idle == 0 && o.dev_tx_det_rx_lpbk == 0 && o.dev_power_down == 0)
            .then(|| Word::new(o.dev_tx_data as u32, o.dev_tx_k as u8));
        let lfps_up = std::mem::take(&mut self.lfps_up);
        phy_lane(&mut self.watch, now, Dir::Up, up, lfps_up);
        let link_tx =
            (o.link_tx_sent != 0).then(|| Word::new(o.link_tx_data as u32, o.link_tx_k as u8));
        // The words the physical layer gave the link layer (none in a cycle it gave none: with the receive gearbox's
        // free pairing, a SKP removed off a word boundary leaves a gap the link layer skips).
        let link_rx =
            (o.link_rx_valid != 0).then(|| Word::new(o.link_rx_data as u32, o.link_rx_k as u8));
        // The LTSSM left U0: the cut comes once the physical layer has stopped sending the link layer's words.
        if self.cut_pending && link_tx.is_none() {
            self.watch.link_left_u0();
            self.cut_pending = false;
        }
        self.watch
            .cycle_words(now / usb3_spec::CYCLE_NS, link_tx, link_rx);
    }

    /// Ticks with `sw` until `done` (checked every PCLK period), at most `limit_ns` more; the time it took (ns).
    pub fn run<S: BoardSoftware>(
        &mut self,
        sw: &mut S,
        limit_ns: u64,
        what: &str,
        done: impl Fn(&BoardBench, &S) -> bool,
    ) -> Result<u64, String> {
        let start = self.now_ns();
        loop {
            self.tick(sw);
            if self.ticks % 2 == 0 && done(self, sw) {
                return Ok(self.now_ns() - start);
            }
            if self.now_ns() - start >= limit_ns {
                return Err(format!(
                    "{what}: not done after {:.1} us; {}",
                    limit_ns as f64 / 1000.0,
                    self.paths()
                ));
            }
        }
    }

    /// Ticks for `ns` with `sw`.
    pub fn idle<S: BoardSoftware>(&mut self, sw: &mut S, ns: u64) {
        let end = self.now_ns() + ns;
        while self.now_ns() < end {
            self.tick(sw);
        }
    }

    /// Both ends in U0 (at most [`TRAIN_NS`]); the time it took.
    pub fn trained(&mut self, what: &str) -> Result<u64, String> {
        self.run(&mut NoSoftware, TRAIN_NS, what, |b, _| b.both_in_u0())
    }

    /// The link management exchange after a U0 entry with reset: the device's Port Capability answered, its
    /// Port Configuration Response received.
    pub fn link_management(&mut self, what: &str) -> Result<(), String> {
        self.lm = Default::default();
        self.run(&mut NoSoftware, STEP_NS, what, |b, _| {
            b.lm.port_config_response.is_some()
        })?;
        Ok(())
    }

    /// The Linux-like enumeration (address [`ADDR`]), the board then configured (its LED too); the time it took.
    pub fn enumerate(&mut self, what: &str) -> Result<u64, String> {
        let mut e = Enumeration::new(ADDR);
        let t = self.run(&mut e, STEP_NS, what, |_, e| e.done())?;
        let r = e.into_report();
        ensure(r.ok(), || {
            format!("{what}: enumeration failed: {:?}", r.errors)
        })?;
        ensure(self.out.configured != 0 && self.led(true, 3), || {
            format!("{what}: enumerated, but the board is not configured (or its LED is off)")
        })?;
        Ok(t)
    }

    /// Power-on to configured: trained, link management, enumerated.
    pub fn bring_up(&mut self) -> Result<(), String> {
        self.trained("power-on")?;
        self.link_management("link management")?;
        self.enumerate("enumeration")?;
        Ok(())
    }

    /// One control request to the board; its data.
    pub fn control(&mut self, setup: Setup, what: &str) -> Result<Vec<u8>, String> {
        let mut c = HostControl::new(ADDR);
        c.submit(ControlRequest::new(setup));
        self.run(&mut c, STEP_NS, what, |_, c| c.idle())?;
        let r = c
            .take_results()
            .pop()
            .ok_or_else(|| format!("{what}: no result"))?;
        ensure(r.ok(), || format!("{what}: {:?}", r.outcome))?;
        Ok(r.data)
    }

    /// The device still answers at its address and is configured (GET_CONFIGURATION = 1).
    pub fn still_configured(&mut self, what: &str) -> Result<(), String> {
        let d = self.control(Setup::get_configuration(), what)?;
        ensure(d == [1], || format!("{what}: GET_CONFIGURATION {d:?}"))
    }

    /// Writes a VCD of the board level, from `from_us` to `until_us` of simulated time.
    pub fn trace_to(
        &mut self,
        path: &std::path::Path,
        from_us: u64,
        until_us: u64,
    ) -> Result<(), String> {
        self.model
            .trace_to(path, from_us * 1_000_000, until_us * 1_000_000)
    }
}
