//! The engine under the cocotb-style scheduler: write a test as `async` tasks awaiting triggers.
//!
//! The whole device engine (gateware: link + protocol layer + EP0 + bulk IN + bulk OUT) sits on the wire
//! (channels, the host's link layer, the LTSSM stand-in) as in every bench, but instead of the fixed sides of
//! [`crate::env::run`] the test drives it with tasks on [`crate::runtime::sched`], the scheduler the link bench
//! uses: the engine's clock is the scheduler's clock, one 125 MHz cycle per edge.
//!
//! | cocotb / cocotb-bus                       | here                                                        |
//! |-------------------------------------------|-------------------------------------------------------------|
//! | `dut` handle                              | [`Engine::ctx`] `.with(|w| w.wire.dev...)` ([`EngineWorld`]) |
//! | reset + link up                           | [`Engine::start`] ([`Engine::start_addressed`]: with an address, no enumeration) |
//! | a host's enumeration                      | [`Engine::enumerate`]`(addr).await`                          |
//! | `AxiStreamSource` on the app's IN port    | [`Engine::start_app_source`]                                |
//! | `AxiStreamSink` on the app's OUT port     | [`Engine::start_app_sink`]                                  |
//! | a host driver's transfers                 | [`Engine::start_bulk_in`], [`Engine::start_bulk_out`], [`Engine::control`] |
//! | `RisingEdge`, `ClockCycles`, `First`, `with_timeout` | [`Ctx::rising_edge`], [`Ctx::cycles`], [`crate::runtime::sched::first_of`], [`Ctx::with_timeout`] |
//! | a monitor's event                         | [`Engine::packet`]`(|e| ...).await`                          |
//! | scoreboard                                | [`StreamScoreboard`] (in the IN host and the OUT sink tasks) |
//! | the protocol checker                      | [`Engine::violations`], always on                           |
//!
//! Each host agent reads the packets its link layer completed in the last cycle ([`EngineWorld::received`]) after
//! every edge, so it must await every edge while it runs (they all do). An application agent drives the
//! device's stream ports after the edge, for the next one, as the benches' applications do.
//!
//! Either backend: [`EngineConfig::backend`] (`Native`, rust-hdl; `Verilator`, the generated Verilog).
//! "Write your own test" in the README walks through `tests/engine_tasks.rs`.

use std::io;

use usb3_hdl::device::DeviceParams;
use usb3_sim::host::{
    ControlRequest, ControlResult, Enumeration, EnumerationReport, HostBulkIn, HostBulkOut,
    HostControl, HostInConfig, HostOutConfig,
};
use usb3_sim::link_partner::RxPacket;
use usb3_spec::symbols::DPPEND;
use usb3_spec::CYCLE_NS;

use crate::agents::app::{stream_beat, stream_byte, AppPlan, StreamScoreboard};
use crate::agents::software::ControlDriver;
use crate::dut::engine_top::EngineTop;
use crate::dut::verilator::Backend;
use crate::env::setup::{Start, WireSetup};
use crate::observe::monitor::PacketEvent;
use crate::runtime::sched::{Ctx, Dut, JoinHandle, Sim};
use crate::wire::errors::ErrorRates;
use crate::wire::Wire;

/// Cycles [`Engine::start`] gives the link after U0 entry: both sides advertise their header sequence number
/// and credits (LGOOD_n, LCRD_A..D each way through 2 x `latency` cycles of channel) before the first packet.
pub const START_CYCLES: u64 = 100;

/// What the scheduler clocks: the wire with the engine, and what the host's link layer completed in the last
/// cycle.
pub struct EngineWorld {
    pub wire: Wire<EngineTop>,
    /// Packets the host's link layer completed in the last cycle (every host agent sees every one).
    pub received: Vec<RxPacket>,
}

impl Dut for EngineWorld {
    #[inline]
    fn tick(&mut self) {
        self.wire.exchange();
        self.wire.edge();
        self.received.clear();
        while let Some(p) = self.wire.pop_received() {
            self.received.push(p);
        }
    }
}

/// The engine and its wire.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub params: DeviceParams,
    pub seed: u64,
    /// Channel latency each way, cycles.
    pub latency: usize,
    pub up_errors: ErrorRates,
    pub down_errors: ErrorRates,
    pub backend: Backend,
}

impl EngineConfig {
    /// The default engine (bulk IN EP1, bulk OUT EP2, max burst 8), clean 16-cycle channels, native backend.
    pub fn new(seed: u64) -> EngineConfig {
        EngineConfig {
            params: DeviceParams::default(),
            seed,
            latency: 16,
            up_errors: ErrorRates::default(),
            down_errors: ErrorRates::default(),
            backend: Backend::Native,
        }
    }
}

/// What a host bulk IN agent did: the host model (completions, statistics) and its scoreboard.
pub struct BulkInResult {
    pub host: HostBulkIn,
    pub board: StreamScoreboard,
}

/// A handle on the engine for tasks: cheap to clone, one per task.
#[derive(Clone)]
pub struct Engine {
    ctx: Ctx<EngineWorld>,
}

impl Engine {
    /// The scheduler with the engine (reset, link not yet up) and a handle on it. The protocol checker watches
    /// the PIPE interface from the first cycle; monitor events are kept for [`Engine::packet`].
    pub fn new(cfg: &EngineConfig) -> io::Result<(Sim<EngineWorld>, Engine)> {
        let setup = WireSetup {
            params: cfg.params.clone(),
            seed: cfg.seed,
            latency: cfg.latency,
            up_errors: cfg.up_errors,
            down_errors: cfg.down_errors,
            recovery_cycles: 200,
            backend: cfg.backend,
            waves: false,
            trace_ports: false,
            pipe_log: None,
            pipe_trace: None,
            addr: 0,
            start: Start::U0,
        };
        let mut wire = setup.build_off()?;
        if let Some(w) = wire.watch.as_mut() {
            w.tap();
        }
        let sim = Sim::new(EngineWorld {
            wire,
            received: Vec::new(),
        });
        let engine = Engine { ctx: sim.ctx() };
        Ok((sim, engine))
    }

    /// The scheduler's context: `with(|w| ...)` reaches the engine's ports (`w.wire.dev`), the triggers.
    pub fn ctx(&self) -> &Ctx<EngineWorld> {
        &self.ctx
    }

    /// Power on: both link partners enter U0 (as after a Hot Reset: address 0, not configured), then
    /// [`START_CYCLES`] for the link's advertisements.
    pub async fn start(&self) {
        self.ctx.with(|w| w.wire.power_on());
        self.ctx.cycles(START_CYCLES).await;
    }

    /// The benches' shortcut instead of enumeration: power on, then the device gets address `addr` as SET_ADDRESS
    /// would give it (not configured; the bulk endpoints answer at once), then [`START_CYCLES`].
    pub async fn start_addressed(&self, addr: u8) {
        self.ctx.with(|w| w.wire.power_on());
        self.ctx.rising_edge().await;
        let set = |w: &mut EngineWorld, on: bool| {
            let d = w
                .wire
                .dev
                .engine_mut()
                .expect("the engine benches run the engine alone");
            d.addr_set.next = on;
            d.addr_value.next = (addr as u64).into();
        };
        self.ctx.with(|w| set(w, true));
        self.ctx.rising_edge().await;
        self.ctx.with(|w| set(w, false));
        self.ctx.cycles(START_CYCLES).await;
    }

    /// Run an EP0 driver to its end (every request answered, or given up); returns whether it succeeded.
    pub async fn control(&self, driver: &mut dyn ControlDriver) -> bool {
        loop {
            self.ctx.with(|w| {
                let now = w.wire.cycle * CYCLE_NS;
                while let Some((dw, payload)) = driver.poll(now) {
                    w.wire.host.send(dw, payload);
                }
            });
            self.ctx.rising_edge().await;
            self.ctx.with(|w| {
                let now = w.wire.cycle * CYCLE_NS;
                for p in &w.received {
                    driver.on_packet(now, p);
                }
            });
            if driver.finished() {
                return driver.succeeded();
            }
        }
    }

    /// `requests` on EP0, one after the other; their results in order.
    pub async fn control_requests(
        &self,
        addr: u8,
        requests: Vec<ControlRequest>,
    ) -> Vec<ControlResult> {
        let mut h = HostControl::new(addr);
        for r in requests {
            h.submit(r);
        }
        self.control(&mut h).await;
        h.take_results()
    }

    /// The Linux-like enumeration (descriptors, SET_ADDRESS `addr`, SET_CONFIGURATION, SET_SEL,
    /// SET_ISOCH_DELAY); `Err` with the failures (or a timeout after 400,000 cycles).
    pub async fn enumerate(&self, addr: u8) -> Result<EnumerationReport, String> {
        let mut e = Enumeration::new(addr);
        match self.ctx.with_timeout(self.control(&mut e), 400_000).await {
            Ok(true) => Ok(e.into_report()),
            Ok(false) => Err(format!("enumeration failed: {:?}", e.report().errors)),
            Err(t) => Err(format!("enumeration did not finish: {t}")),
        }
    }

    /// The application source on the bulk IN endpoint's stream port: `transfers` (bytes, whether a zero-length
    /// packet follows a multiple of 1024) of the stream seeded `seed`, a beat every cycle the endpoint takes
    /// one. The task ends when the last beat is taken; it returns the bytes offered.
    pub fn start_app_source(&self, seed: u64, transfers: Vec<(u64, bool)>) -> JoinHandle<u64> {
        let ctx = self.ctx.clone();
        let total = transfers.iter().map(|t| t.0).sum();
        let mut plan = AppPlan {
            transfers,
            t: 0,
            sent: 0,
            base: 0,
        };
        self.ctx.start_soon_named("app_source", async move {
            loop {
                let more = ctx.with(|w| {
                    let d = w.wire.dev.app();
                    if d.in_valid.val() && d.in_ready.val() {
                        plan.advance();
                    }
                    let beat = plan.peek();
                    d.in_valid.next = beat.is_some();
                    if let Some((off, n, last)) = beat {
                        let word = stream_beat(seed, off, n);
                        d.in_data.next = (word as u64).into();
                        d.in_last.next = last;
                        d.in_keep.next = ((1u64 << n) - 1).into();
                    }
                    beat.is_some()
                });
                if !more {
                    return total;
                }
                ctx.rising_edge().await;
            }
        })
    }

    /// The application sink on the bulk OUT endpoint's stream port: always ready; every byte is checked against
    /// the stream seeded `seed`. The task ends once `bytes` have arrived (or at the first wrong byte); it returns
    /// its scoreboard.
    pub fn start_app_sink(&self, seed: u64, bytes: u64) -> JoinHandle<StreamScoreboard> {
        let ctx = self.ctx.clone();
        self.ctx.start_soon_named("app_sink", async move {
            let mut board = StreamScoreboard::new(seed);
            while board.checked() < bytes && board.mismatched() == 0 {
                ctx.with(|w| {
                    let d = w.wire.dev.app();
                    d.out_ready.next = true;
                    if d.out_valid.val() {
                        let (data, keep) = (d.out_data.val().to_u32(), d.out_keep.val().to_u32());
                        let got: Vec<u8> = (0..4)
                            .filter(|i| keep >> i & 1 == 1)
                            .map(|i| (data >> (8 * i)) as u8)
                            .collect();
                        board.push(&got);
                    }
                });
                ctx.rising_edge().await;
            }
            board
        })
    }

    /// A host bulk IN agent: the xHCI model `cfg` (TDs, a controller policy) runs until its transfer is done;
    /// its scoreboard checks every delivered byte against the stream seeded `seed`.
    pub fn start_bulk_in(&self, cfg: HostInConfig, seed: u64) -> JoinHandle<BulkInResult> {
        let ctx = self.ctx.clone();
        self.ctx.start_soon_named("host_bulk_in", async move {
            let mut host = HostBulkIn::new(cfg);
            let mut board = StreamScoreboard::new(seed);
            loop {
                ctx.with(|w| {
                    while let Some(dw) = host.poll(w.wire.cycle) {
                        w.wire.host.send(dw, None);
                    }
                });
                ctx.rising_edge().await;
                ctx.with(|w| {
                    for p in &w.received {
                        host.on_packet(w.wire.cycle, p);
                    }
                });
                for d in host.take_delivered() {
                    board.push(&d.payload);
                    // Babble: the rest of the packet is lost by the xHCI's design.
                    board.skip(d.dropped as u64);
                }
                if host.done() {
                    return BulkInResult { host, board };
                }
            }
        })
    }

    /// A host bulk OUT agent: the host model `cfg` sends `cfg.total_bytes` of the stream seeded `seed` (from
    /// byte `offset` on), a DATA packet whenever its link layer has nothing queued, until every packet is
    /// acknowledged (or the endpoint is halted). Returns the host model.
    pub fn start_bulk_out(
        &self,
        cfg: HostOutConfig,
        seed: u64,
        offset: u64,
    ) -> JoinHandle<HostBulkOut> {
        let ctx = self.ctx.clone();
        self.ctx.start_soon_named("host_bulk_out", async move {
            let mut host = HostBulkOut::new(cfg);
            loop {
                ctx.with(|w| {
                    let now = w.wire.cycle * CYCLE_NS;
                    if w.wire.host.tx_pending() == 0 {
                        if let Some((dw, payload)) =
                            host.poll(now, |o| stream_byte(seed, offset + o))
                        {
                            w.wire.host.send(dw, Some(payload));
                        }
                    }
                });
                ctx.rising_edge().await;
                ctx.with(|w| {
                    // The cycle just taken: its DPPEND left the host's transmitter.
                    if w.wire.host_tx.k == 0xF && w.wire.host_tx.data == DPPEND {
                        host.on_wire_end((w.wire.cycle - 1) * CYCLE_NS);
                    }
                    let now = w.wire.cycle * CYCLE_NS;
                    for p in &w.received {
                        host.on_packet(now, p);
                    }
                });
                if host.done() || host.halted() {
                    return host;
                }
            }
        })
    }

    /// A monitor trigger: resume at the first edge after which the protocol monitors at the device's PIPE pins
    /// report an event matching `pred` (cocotb: awaiting a monitor's event); returns it.
    pub async fn packet(&self, pred: impl Fn(&PacketEvent) -> bool) -> PacketEvent {
        loop {
            self.ctx.rising_edge().await;
            let hit = self.ctx.with(|w| {
                w.wire
                    .watch
                    .as_ref()
                    .and_then(|x| x.tapped().iter().find(|e| pred(e)).cloned())
            });
            if let Some(e) = hit {
                return e;
            }
        }
    }

    /// The protocol checker's violations so far, one line each.
    pub fn violations(&self) -> Vec<String> {
        self.ctx.with(|w| {
            w.wire.watch.as_ref().map_or(vec![], |x| {
                x.checker
                    .violations()
                    .iter()
                    .map(|v| v.to_string())
                    .collect()
            })
        })
    }
}
