//! Stepping a rust-hdl [`Block`] one clock cycle at a time, without rust-hdl's threaded `Simulation`.
//!
//! # How rust-hdl evaluates a design
//!
//! Every `Signal` has a `next` (written by logic) and a `val` (read by logic). One *pass*,
//! [`Block::update_all`], runs each block's `update()` (its `#[hdl_gen]` logic: reads `val`s, writes `next`s)
//! and then, per signal, copies `next` into `val`, remembering whether it changed and its previous value. A
//! *settle* repeats passes until [`Block::has_changed`] is false (`rust_hdl::core::simulate::simulate`). A
//! `DFF` samples `d` when its clock input shows a rising edge in a pass (`clock.pos_edge()`: changed, now 1,
//! was 0). Because a value moves one level of hierarchy/logic per pass, a settle takes about "clock tree
//! depth + logic depth + 1" passes, and every pass plus every `has_changed` walks the whole design.
//!
//! # One clock cycle
//!
//! The reference sequence ([`ClockMode::Full`], also [`clock_cycle`]) is what rust-hdl's `Simulation` does:
//! settle the inputs the testbench wrote; clock 0→1, settle (the edge); clock 1→0, settle. The falling edge
//! does no work in posedge-only designs (all of rust-hdl's widgets and all of our gateware), so
//! [`ClockMode::MergedFall`] (the default of [`HdlDut`]) drops the clock to 0 *together with* the new inputs
//! in the first settle of the next cycle: two settles per cycle instead of three. It is exactly equivalent as
//! long as no logic uses `neg_edge()` (`tests/harness.rs` checks both modes cycle by cycle).
//!
//! Measured (release, `rust_hdl_adapter_speed` in `tests/harness.rs`, 2-core machine shared with builds): a
//! 32-bit counter with three registers runs at ~4.5 M cycles/s in `Full` (9 passes/cycle) and ~5 M in
//! `MergedFall` (8); a counter feeding a 256-entry rust-hdl FIFO at ~370 k (22.3 passes/cycle) vs ~460 k
//! (18.6); rust-hdl's threaded `Simulation` runs the FIFO design at 8-17 k cycles/s. Skipping the `has_changed`
//! walk on the passes a settle is known to need was tried and gained nothing measurable (that walk
//! short-circuits while things change; only the final, full walk remains), so [`settle`] is rust-hdl's loop.
//!
//! In both modes the state a testbench sees after [`HdlDut::clock_cycle`] is settled, right after the rising
//! edge: registered outputs show the new state. Inputs the testbench writes (`uut.x.next = ..`) are taken at
//! the next edge; call [`HdlDut::settle`] to see combinational outputs respond to them within the cycle.

use std::ops::{Deref, DerefMut};

use rust_hdl::core::check_error::{check_all, CheckError};
use rust_hdl::core::prelude::{Block, Clock, In, Signal};

use crate::runtime::ports::PortTrace;
use crate::runtime::sched::Dut;

/// The default bound on passes per settle before the design is declared oscillating.
pub const DEFAULT_MAX_PASSES: usize = 1000;

/// A settle that did not converge (a combinational loop, or a design deeper than the bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotConverged {
    /// The passes tried.
    pub passes: usize,
}

impl std::fmt::Display for NotConverged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rust-hdl design did not settle within {} update passes (combinational loop?)",
            self.passes
        )
    }
}

impl std::error::Error for NotConverged {}

/// Run update passes until nothing changes; returns the number of passes (the last one changed nothing).
#[inline]
pub fn settle<B: Block>(uut: &mut B, max_passes: usize) -> Result<usize, NotConverged> {
    for pass in 1..=max_passes {
        uut.update_all();
        if !uut.has_changed() {
            return Ok(pass);
        }
    }
    Err(NotConverged { passes: max_passes })
}

/// One full clock cycle in the reference way (settle inputs, rise + settle, fall + settle); panics if the
/// design does not settle within [`DEFAULT_MAX_PASSES`]. `clock` returns the clock input, e.g.
/// `|u| &mut u.clock`.
pub fn clock_cycle<B: Block>(uut: &mut B, mut clock: impl FnMut(&mut B) -> &mut Signal<In, Clock>) {
    let ok = |r: Result<usize, NotConverged>, what: &str| {
        if let Err(e) = r {
            panic!("{e} ({what})");
        }
    };
    ok(settle(uut, DEFAULT_MAX_PASSES), "settling inputs");
    clock(uut).next = Clock::from(true);
    ok(settle(uut, DEFAULT_MAX_PASSES), "after the rising edge");
    clock(uut).next = Clock::from(false);
    ok(settle(uut, DEFAULT_MAX_PASSES), "after the falling edge");
}

/// How [`HdlDut`] sequences a clock cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// settle inputs; 0→1, settle; 1→0, settle (what rust-hdl's `Simulation` does). Three settles.
    Full,
    /// 1→0 together with the new inputs, settle; 0→1, settle. Two settles; requires posedge-only logic.
    #[default]
    MergedFall,
}

/// Counters of the work done by an [`HdlDut`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettleStats {
    /// Clock cycles taken.
    pub cycles: u64,
    /// Settles run.
    pub settles: u64,
    /// Update passes run (each is one `update_all` + one `has_changed` walk of the design).
    pub passes: u64,
    /// The most passes one settle took.
    pub max_passes: usize,
    /// Passes of the settles before the edge (inputs; in `MergedFall` also the falling clock), after the
    /// rising edge, and after the falling edge (`Full` only). Explicit [`HdlDut::settle`]s are not included.
    pub phase_passes: [u64; 3],
}

/// A rust-hdl block as a [`Dut`] for the scheduler: `tick()` is one [`HdlDut::clock_cycle`].
///
/// Derefs to the block, so tasks write `dut.input.next = ..` and read `dut.output.val()`.
pub struct HdlDut<B: Block> {
    /// The design.
    pub uut: B,
    clock: fn(&mut B) -> &mut Signal<In, Clock>,
    mode: ClockMode,
    max_passes: usize,
    stats: SettleStats,
    /// Per-cycle record of the top-level ports, when co-simulation asked for it ([`HdlDut::trace_ports`]).
    ports: Option<Box<PortTrace>>,
    /// A model that evaluates the design instead of rust-hdl (the Verilator backend).
    external: Option<Box<dyn ExternalModel<B>>>,
}

/// Another simulator standing in for rust-hdl's evaluation of the block (`--backend verilator`): each
/// [`HdlDut::clock_cycle`] hands it the block, whose input signals hold what the testbench wrote (`.next`); it
/// takes one clock cycle and writes the outputs back into the block's output signals. Internal signals of the
/// block are not updated (only what the model chooses to mirror).
pub trait ExternalModel<B> {
    fn cycle(&mut self, uut: &mut B);
    /// [`HdlDut::settle`]: the inputs the testbench wrote through the logic, no clock edge; outputs back into the
    /// block.
    fn settle(&mut self, uut: &mut B);
}

const PHASE_BEFORE: usize = 0;
const PHASE_RISE: usize = 1;
const PHASE_FALL: usize = 2;

impl<B: Block> HdlDut<B> {
    /// Wrap `uut`: `connect_all()`, rust-hdl's design checks (all inputs driven, no combinational loops, no
    /// writes to inputs), and a first settle with the clock low. Top-level inputs must be marked as driven
    /// by the testbench first (`uut.clock.connect(); uut.reset.connect(); ...`), as for rust-hdl's own
    /// `Simulation`.
    pub fn new(
        mut uut: B,
        clock: fn(&mut B) -> &mut Signal<In, Clock>,
    ) -> Result<Self, CheckError> {
        uut.connect_all();
        check_all(&uut)?;
        Ok(Self::wrap(uut, clock))
    }

    /// [`HdlDut::new`] without the design checks (`connect_all()` is still called).
    pub fn new_unchecked(mut uut: B, clock: fn(&mut B) -> &mut Signal<In, Clock>) -> Self {
        uut.connect_all();
        Self::wrap(uut, clock)
    }

    fn wrap(uut: B, clock: fn(&mut B) -> &mut Signal<In, Clock>) -> Self {
        let mut d = HdlDut {
            uut,
            clock,
            mode: ClockMode::default(),
            max_passes: DEFAULT_MAX_PASSES,
            stats: SettleStats::default(),
            ports: None,
            external: None,
        };
        (d.clock)(&mut d.uut).next = Clock::from(false);
        d.settle_or_panic("initial settle");
        d
    }

    /// Choose how clock cycles are sequenced (default [`ClockMode::MergedFall`]).
    pub fn with_mode(mut self, mode: ClockMode) -> Self {
        if self.mode == ClockMode::MergedFall && mode == ClockMode::Full {
            // Leave the clock low, as Full expects between cycles.
            (self.clock)(&mut self.uut).next = Clock::from(false);
            self.settle_or_panic("switching clock mode");
        }
        self.mode = mode;
        self
    }

    /// Bound on passes per settle (default [`DEFAULT_MAX_PASSES`]).
    pub fn with_max_passes(mut self, max_passes: usize) -> Self {
        self.max_passes = max_passes;
        self
    }

    /// From now on, `model` evaluates the block instead of rust-hdl (see [`ExternalModel`]).
    pub fn set_external(&mut self, model: Box<dyn ExternalModel<B>>) {
        self.external = Some(model);
    }

    /// Whether an external model evaluates the block.
    pub fn is_external(&self) -> bool {
        self.external.is_some()
    }

    /// From now on, record the top-level ports every cycle (see [`PortTrace`]), for co-simulation.
    pub fn trace_ports(&mut self) {
        self.ports = Some(Box::new(PortTrace::of(&self.uut)));
    }

    /// The port record so far (and stop recording).
    pub fn take_port_trace(&mut self) -> Option<PortTrace> {
        self.ports.take().map(|b| *b)
    }

    #[inline]
    fn sample_ports(&mut self) {
        if let Some(t) = self.ports.as_mut() {
            t.sample(&self.uut);
        }
    }

    /// Work counters so far.
    pub fn stats(&self) -> SettleStats {
        self.stats
    }

    #[inline]
    fn settle_or_panic(&mut self, what: &str) {
        self.settle_phase(None, what);
    }

    /// Settle, counting the passes (per clock phase too).
    #[inline]
    fn settle_phase(&mut self, phase: Option<usize>, what: &str) {
        match settle(&mut self.uut, self.max_passes) {
            Ok(passes) => {
                self.stats.settles += 1;
                self.stats.passes += passes as u64;
                self.stats.max_passes = self.stats.max_passes.max(passes);
                if let Some(p) = phase {
                    self.stats.phase_passes[p] += passes as u64;
                }
            }
            Err(e) => panic!("{e} ({what}, clock cycle {})", self.stats.cycles + 1),
        }
    }

    /// Propagate the inputs written since the last settle through the combinational logic, without a clock
    /// edge.
    pub fn settle(&mut self) {
        if let Some(m) = self.external.as_mut() {
            m.settle(&mut self.uut);
            return;
        }
        self.settle_or_panic("settle");
    }

    /// Take one clock cycle; see [`ClockMode`]. Panics if the design does not settle.
    #[inline]
    pub fn clock_cycle(&mut self) {
        if let Some(m) = self.external.as_mut() {
            m.cycle(&mut self.uut);
            self.stats.cycles += 1;
            return;
        }
        match self.mode {
            ClockMode::Full => {
                self.settle_phase(Some(PHASE_BEFORE), "settling inputs");
                self.sample_ports();
                (self.clock)(&mut self.uut).next = Clock::from(true);
                self.settle_phase(Some(PHASE_RISE), "after the rising edge");
                (self.clock)(&mut self.uut).next = Clock::from(false);
                self.settle_phase(Some(PHASE_FALL), "after the falling edge");
            }
            ClockMode::MergedFall => {
                (self.clock)(&mut self.uut).next = Clock::from(false);
                self.settle_phase(Some(PHASE_BEFORE), "settling inputs with the falling edge");
                self.sample_ports();
                (self.clock)(&mut self.uut).next = Clock::from(true);
                self.settle_phase(Some(PHASE_RISE), "after the rising edge");
            }
        }
        self.stats.cycles += 1;
    }

    /// Give back the design.
    pub fn into_inner(self) -> B {
        self.uut
    }
}

impl<B: Block> Dut for HdlDut<B> {
    #[inline]
    fn tick(&mut self) {
        self.clock_cycle();
    }
}

impl<B: Block> Deref for HdlDut<B> {
    type Target = B;
    fn deref(&self) -> &B {
        &self.uut
    }
}

impl<B: Block> DerefMut for HdlDut<B> {
    fn deref_mut(&mut self) -> &mut B {
        &mut self.uut
    }
}

/// The port record ([`crate::runtime::ports`]) as `HdlDut` takes it.
#[cfg(test)]
mod port_trace_tests {
    use super::HdlDut;
    use crate::runtime::ports::Port;
    use usb3_hdl::blocks::LintProbe;

    #[test]
    fn records_the_top_ports_each_cycle() {
        let mut d = HdlDut::new_unchecked(LintProbe::default(), |b| &mut b.clock);
        d.trace_ports();
        d.uut.reset.next = true;
        d.clock_cycle();
        d.uut.reset.next = false;
        d.uut.enable.next = true;
        for _ in 0..3 {
            d.clock_cycle();
        }
        let t = d.take_port_trace().expect("tracing was on");
        let names: Vec<_> = t.inputs.iter().map(|p| (p.name.as_str(), p.bits)).collect();
        assert_eq!(names, [("reset", 1), ("enable", 1)]);
        assert_eq!(
            t.outputs,
            [Port {
                name: "count".into(),
                bits: 8
            }]
        );
        assert_eq!(t.cycles, 4);
        // Sampled before each rising edge: the count the previous edges made.
        let counts: Vec<u64> = (0..4).map(|c| t.outputs_at(c)[0]).collect();
        assert_eq!(counts, [0, 0, 1, 2]);
        assert_eq!(t.inputs_at(0), [1, 0]);
        assert_eq!(t.inputs_at(3), [0, 1]);
    }
}
