//! A single-threaded, cycle-based scheduler: cocotb's coroutine model in Rust `async`.
//!
//! # The cocotb mapping
//!
//! | cocotb                                | here                                                        |
//! |---------------------------------------|-------------------------------------------------------------|
//! | `dut` handle                          | [`Ctx::with`] / [`Ctx::dut`] (the DUT lives in an `Rc<RefCell>`) |
//! | `cocotb.start_soon(coro)`             | [`Sim::start_soon`], [`Ctx::start_soon`] → [`JoinHandle`]   |
//! | `await task` / `task.join()`          | `handle.await` / [`JoinHandle::join`]                       |
//! | `task.kill()` / `task.cancel()`       | [`JoinHandle::cancel`]                                      |
//! | `await RisingEdge(dut.clk)`           | [`Ctx::rising_edge`]                                        |
//! | `await ClockCycles(dut.clk, n)`       | [`Ctx::cycles`]                                             |
//! | `await Timer(t, "ns")`                | [`Ctx::timer_ns`] (rounded up to whole cycles of [`CYCLE_NS`]) |
//! | `Event()`, `.set()`, `.clear()`, `.wait()` | [`Event`]                                              |
//! | `First(a, b)`                         | [`first_of`] (→ [`Either`]), [`first_of_many`]              |
//! | `with_timeout(coro, t)`               | [`with_timeout`] / [`Ctx::with_timeout`] → `Err(`[`Timeout`]`)` |
//! | the test's main coroutine             | [`Sim::run_until_complete`]                                  |
//!
//! # Example
//!
//! ```
//! use usb3_tb::runtime::sched::{with_timeout, Dut, Event, Sim};
//!
//! #[derive(Default)]
//! struct Reg { d: u32, q: u32 }
//! impl Dut for Reg { fn tick(&mut self) { self.q = self.d; } }
//!
//! let mut sim = Sim::new(Reg::default());
//! let ctx = sim.ctx();
//! let seen = Event::new();
//! // A monitor: sets `seen` in the cycle q shows 3.
//! let (c, s) = (ctx.clone(), seen.clone());
//! sim.start_soon_named("monitor", async move {
//!     loop {
//!         c.rising_edge().await;
//!         if c.with(|d| d.q) == 3 { s.set(); }
//!     }
//! });
//! // The test: drive d = 0, 1, 2, ... and wait for the monitor.
//! let main = sim.start_soon(async move {
//!     let c = ctx.clone();
//!     ctx.start_soon(async move {
//!         for i in 0.. { c.with(|d| d.d = i); c.rising_edge().await; }
//!     });
//!     with_timeout(seen.wait(), 100).await.expect("q never reached 3");
//!     ctx.cycle()
//! });
//! assert_eq!(sim.run_until_complete(main, 1000).unwrap(), 4);
//! ```
//!
//! # Time and ordering
//!
//! Time is counted in clock cycles of the single engine clock (125 MHz, [`CYCLE_NS`] = 8 ns). One simulated
//! cycle is:
//!
//! 1. [`Dut::tick`]: the DUT applies the inputs the tasks wrote, takes one rising clock edge and settles;
//!    the cycle counter goes up by one;
//! 2. every task whose trigger fired at this edge is woken, and the woken tasks are polled *in the order they
//!    were started*; then every task made runnable meanwhile (an [`Event`] set, a task finished, a task
//!    started) is polled, in FIFO order, until nothing is runnable (cocotb's delta cycles). Events set during
//!    the cycle therefore wake their waiters in the same cycle;
//! 3. the per-cycle hooks run ([`Sim::add_hook`]; e.g. a VCD sampler), seeing the DUT as the tasks left it.
//!
//! Tasks started before the first cycle (or between two `run_*` calls) first run "soon": at the start of the
//! next `run_*` call, before any clock edge. The hooks also run once at cycle 0, before the first edge.
//!
//! A task that awaits [`Ctx::rising_edge`] at cycle `c` resumes at cycle `c + 1`; [`Ctx::cycles`]`(n)`
//! resumes at `c + n`. Values a task writes into the DUT are taken by the DUT at the next edge: this is the
//! usual "drive after the edge, sample at the edge" testbench discipline.
//!
//! A panic inside a task (a failed assertion in a checker) propagates out of the `run_*` call, with the
//! task's name and the cycle number in the message. So does a panic inside [`Dut::tick`].
//!
//! # Implementation
//!
//! A minimal executor: tasks live in a slab of boxed futures. The built-in triggers do not use
//! [`std::task::Waker`]s: while a task is polled, a thread-local points at the scheduler, and a trigger
//! registers the task's *(slot, epoch)* directly in a next-edge list, a timer heap, or an event's wait list.
//! Every poll of a task bumps its epoch, so registrations left behind by a trigger that lost a
//! [`first_of`] race are recognised as stale and ignored (and pruned from the lists amortised). No allocation
//! happens per cycle in the steady state. Futures from elsewhere (a channel from some other crate) still work:
//! each task also has a real [`Waker`], which sets an atomic flag the scheduler checks when it runs out of
//! work.
//!
//! Tasks are `'static` and not `Send`; they capture a clone of the [`Ctx`].
//!
//! # Files
//!
//! - this file: the public face ([`Dut`], [`Sim`], [`Ctx`]);
//! - `executor.rs`: the core (task slots, the ready queue, the next-edge list, the timer heap, wait lists);
//! - `task.rs`: started tasks ([`JoinHandle`], [`Join`]);
//! - `triggers.rs`: what a task awaits ([`Cycles`], [`Event`], [`first_of`], [`with_timeout`], [`now`]).

use std::cell::{Cell, RefCell, RefMut};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// Nanoseconds per clock cycle of the engine clock (125 MHz), from `usb3_spec`.
pub use usb3_spec::CYCLE_NS;

/// A device under test that the scheduler can clock.
pub trait Dut {
    /// Advance exactly one clock cycle: apply the inputs, take the rising edge, settle.
    fn tick(&mut self);
}

mod executor;
mod task;
mod triggers;

use executor::*;
use task::JoinShared;
pub use task::{Join, JoinHandle};
pub use triggers::{
    first_of, first_of_many, now, with_timeout, Cycles, Either, Event, EventWait, Timeout,
};

struct Shared<D> {
    dut: RefCell<D>,
    core: Rc<Core>,
}

/// The handle tasks use to reach the DUT, the clock and the scheduler. Cheap to clone (one `Rc`).
pub struct Ctx<D> {
    shared: Rc<Shared<D>>,
}

impl<D> Clone for Ctx<D> {
    fn clone(&self) -> Self {
        Ctx {
            shared: self.shared.clone(),
        }
    }
}

impl<D: 'static> Ctx<D> {
    /// Run `f` with the DUT borrowed mutably (read outputs, write inputs).
    #[inline]
    pub fn with<R>(&self, f: impl FnOnce(&mut D) -> R) -> R {
        f(&mut self.dut())
    }

    /// Borrow the DUT. Never hold the borrow across an `.await`: the scheduler needs the DUT to clock it.
    #[inline]
    pub fn dut(&self) -> RefMut<'_, D> {
        self.shared
            .dut
            .try_borrow_mut()
            .expect("DUT already borrowed (a RefMut from Ctx::dut held across an await?)")
    }

    /// The number of clock edges so far (0 before the first).
    #[inline]
    pub fn cycle(&self) -> u64 {
        self.shared.core.cycle.get()
    }

    /// The simulated time in ns (`cycle * CYCLE_NS`).
    pub fn time_ns(&self) -> u64 {
        self.cycle() * CYCLE_NS
    }

    /// Resume after the next clock edge (cocotb `RisingEdge(clk)`).
    #[inline]
    pub fn rising_edge(&self) -> Cycles {
        Cycles::new(1)
    }

    /// Resume `n` clock edges later (cocotb `ClockCycles(clk, n)`); `n == 0` resumes at once.
    #[inline]
    pub fn cycles(&self, n: u64) -> Cycles {
        Cycles::new(n)
    }

    /// Resume after at least `ns` nanoseconds, rounded up to whole cycles (cocotb `Timer(ns, "ns")`).
    pub fn timer_ns(&self, ns: u64) -> Cycles {
        Cycles::new(ns.div_ceil(CYCLE_NS))
    }

    /// [`with_timeout`]: `fut`, or `Err(Timeout)` if it is not done within `cycles` cycles.
    pub fn with_timeout<F: Future>(
        &self,
        fut: F,
        cycles: u64,
    ) -> impl Future<Output = Result<F::Output, Timeout>> {
        with_timeout(fut, cycles)
    }

    /// Start a task; it first runs in the current cycle, after the running task yields.
    pub fn start_soon<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn(&self.shared.core, None, fut)
    }

    /// [`Ctx::start_soon`] with a name that panics and timeouts report.
    pub fn start_soon_named<F>(&self, name: impl Into<String>, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        spawn(&self.shared.core, Some(name.into().into_boxed_str()), fut)
    }
}

fn spawn<F>(core: &Rc<Core>, name: Option<Box<str>>, fut: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let out: Rc<RefCell<Option<F::Output>>> = Rc::new(RefCell::new(None));
    let shared = Rc::new(JoinShared::default());
    let out2 = out.clone();
    let body: TaskFuture = Box::pin(async move {
        let v = fut.await;
        *out2.borrow_mut() = Some(v);
    });
    let (slot, seq) = core.spawn(name, body, shared.clone());
    JoinHandle {
        out,
        shared,
        core: Rc::downgrade(core),
        slot,
        seq,
    }
}

/// Why a `run_*` call stopped before the awaited task finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimError {
    /// `max_cycles` elapsed first.
    MaxCycles {
        /// The cycle at which the run stopped.
        cycle: u64,
        /// The name of the task that was awaited.
        task: String,
    },
    /// The awaited task was cancelled.
    Cancelled {
        /// The cycle at which the run noticed.
        cycle: u64,
        /// The name of the task that was awaited.
        task: String,
    },
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::MaxCycles { cycle, task } => {
                write!(
                    f,
                    "task {task} still running when the cycle limit was reached at cycle {cycle}"
                )
            }
            SimError::Cancelled { cycle, task } => {
                write!(f, "task {task} was cancelled (noticed at cycle {cycle})")
            }
        }
    }
}

impl std::error::Error for SimError {}

type Hook<D> = Box<dyn FnMut(u64, &mut D)>;

/// A simulation: owns the DUT, the tasks, the cycle counter and the per-cycle hooks.
pub struct Sim<D> {
    ctx: Ctx<D>,
    hooks: Vec<Hook<D>>,
    hooks_ran_at: Option<u64>,
}

impl<D: Dut + 'static> Sim<D> {
    /// A simulation at cycle 0 around `dut`.
    pub fn new(dut: D) -> Sim<D> {
        Sim {
            ctx: Ctx {
                shared: Rc::new(Shared {
                    dut: RefCell::new(dut),
                    core: Rc::new(Core::new()),
                }),
            },
            hooks: Vec::new(),
            hooks_ran_at: None,
        }
    }

    /// A context handle, as tasks get (to build drivers and monitors before starting them).
    pub fn ctx(&self) -> Ctx<D> {
        self.ctx.clone()
    }

    /// The number of clock edges so far.
    pub fn cycle(&self) -> u64 {
        self.ctx.cycle()
    }

    /// Borrow the DUT between runs.
    pub fn dut(&self) -> RefMut<'_, D> {
        self.ctx.dut()
    }

    /// Run `f` with the DUT borrowed mutably.
    pub fn with<R>(&self, f: impl FnOnce(&mut D) -> R) -> R {
        self.ctx.with(f)
    }

    /// Tasks started and not yet finished.
    pub fn live_tasks(&self) -> usize {
        self.ctx.shared.core.live_tasks.get()
    }

    /// Start a task; it first runs at the beginning of the next `run_*` call, before the next edge.
    pub fn start_soon<F>(&mut self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.ctx.start_soon(fut)
    }

    /// [`Sim::start_soon`] with a name that panics and timeouts report.
    pub fn start_soon_named<F>(&mut self, name: impl Into<String>, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.ctx.start_soon_named(name, fut)
    }

    /// Call `hook(cycle, dut)` at the end of every cycle, after the tasks (and once at cycle 0).
    pub fn add_hook(&mut self, hook: impl FnMut(u64, &mut D) + 'static) {
        self.hooks.push(Box::new(hook));
    }

    fn run_hooks(&mut self) {
        let cycle = self.cycle();
        self.hooks_ran_at = Some(cycle);
        if self.hooks.is_empty() {
            return;
        }
        let mut dut = self.ctx.dut();
        for h in &mut self.hooks {
            h(cycle, &mut dut);
        }
    }

    /// Run what became runnable since the last run (tasks just started), at the current cycle.
    fn begin(&mut self) {
        self.ctx.shared.core.run_ready();
        if self.hooks_ran_at.is_none() {
            self.run_hooks();
        }
    }

    /// One cycle: tick the DUT, wake and run the tasks, run the hooks.
    #[inline]
    fn step(&mut self) {
        let core = &self.ctx.shared.core;
        {
            let mut dut =
                self.ctx.shared.dut.try_borrow_mut().expect(
                    "DUT still borrowed at the clock edge (a RefMut held across an await?)",
                );
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| dut.tick())) {
                panic!(
                    "DUT panicked during the clock edge ending cycle {}: {}",
                    core.cycle.get() + 1,
                    panic_message(&*payload)
                );
            }
        }
        core.edge();
        core.run_ready();
        self.run_hooks();
    }

    /// Run exactly `n` cycles.
    pub fn run_cycles(&mut self, n: u64) {
        let core = self.ctx.shared.core.clone();
        let _enter = Enter::new(&core);
        self.begin();
        for _ in 0..n {
            self.step();
        }
    }

    /// Run until the task of `handle` finishes and return its output, or stop after `max_cycles` cycles.
    pub fn run_until_complete<T>(
        &mut self,
        handle: JoinHandle<T>,
        max_cycles: u64,
    ) -> Result<T, SimError> {
        let core = self.ctx.shared.core.clone();
        let _enter = Enter::new(&core);
        let start = self.cycle();
        self.begin();
        loop {
            if handle.shared.done.get() {
                return match handle.try_take() {
                    Some(v) => Ok(v),
                    None => Err(SimError::Cancelled {
                        cycle: self.cycle(),
                        task: handle.name_hint(),
                    }),
                };
            }
            if self.cycle() - start >= max_cycles {
                return Err(SimError::MaxCycles {
                    cycle: self.cycle(),
                    task: handle.name_hint(),
                });
            }
            self.step();
        }
    }

    /// Run until `done(dut)` holds after a cycle (checked at the current cycle first); returns the cycle, or
    /// `None` after `max_cycles` cycles.
    pub fn run_until(
        &mut self,
        max_cycles: u64,
        mut done: impl FnMut(&mut D) -> bool,
    ) -> Option<u64> {
        let core = self.ctx.shared.core.clone();
        let _enter = Enter::new(&core);
        let start = self.cycle();
        self.begin();
        loop {
            if done(&mut self.ctx.dut()) {
                return Some(self.cycle());
            }
            if self.cycle() - start >= max_cycles {
                return None;
            }
            self.step();
        }
    }
}

impl<D> Drop for Sim<D> {
    fn drop(&mut self) {
        self.ctx.shared.core.clear();
    }
}
