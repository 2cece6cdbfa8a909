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

// ------------------------------------------------------------------------------------------------
// The scheduler core (not generic over the DUT)
// ------------------------------------------------------------------------------------------------

/// A task's registration with a trigger: valid while the task's epoch is still `epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Reg {
    slot: u32,
    epoch: u64,
}

type TaskFuture = Pin<Box<dyn Future<Output = ()>>>;

/// The per-task waker for futures that are not our own triggers.
struct ForeignWake {
    flag: AtomicBool,
    any: Arc<AtomicBool>,
}

impl Wake for ForeignWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.flag.store(true, Ordering::Release);
        self.any.store(true, Ordering::Release);
    }
}

struct Slot {
    /// The future and the slot's waker, except while it is being polled (or when the slot is free; the
    /// waker then stays for reuse).
    body: Option<TaskFuture>,
    waker: Option<Waker>,
    /// A task occupies this slot and has not finished or been cancelled.
    live: bool,
    /// Bumped at every poll; registrations carry the epoch they were made in.
    epoch: u64,
    /// Already in the ready queue.
    queued: bool,
    /// Start order of the task in this slot (unique over the simulation).
    seq: u64,
    name: Option<Box<str>>,
    join: Option<Rc<JoinShared>>,
    foreign: Arc<ForeignWake>,
}

impl Slot {
    fn accepts(&self, reg: Reg) -> bool {
        self.live && self.epoch == reg.epoch && !self.queued
    }
}

/// A list of tasks waiting on something (an event, a task's completion).
#[derive(Default)]
struct WaitList {
    regs: Vec<Reg>,
    prune_at: usize,
    core: Weak<Core>,
}

impl WaitList {
    fn register(&mut self, core: &Rc<Core>, reg: Reg) {
        if self.core.as_ptr() != Rc::as_ptr(core) {
            self.core = Rc::downgrade(core);
        }
        if self.regs.len() >= self.prune_at.max(16) {
            let slots = core.slots.borrow();
            self.regs.retain(|r| {
                let s = &slots[r.slot as usize];
                s.live && s.epoch == r.epoch
            });
            self.prune_at = self.regs.len() * 2;
        }
        self.regs.push(reg);
    }

    fn wake_all(&mut self) {
        if self.regs.is_empty() {
            return;
        }
        if let Some(core) = self.core.upgrade() {
            for reg in self.regs.drain(..) {
                core.wake(reg);
            }
        } else {
            self.regs.clear();
        }
    }
}

struct Core {
    cycle: Cell<u64>,
    /// The task being polled, as a registration for the current epoch.
    current: Cell<Option<Reg>>,
    slots: RefCell<Vec<Slot>>,
    free: RefCell<Vec<u32>>,
    ready: RefCell<VecDeque<u32>>,
    /// Tasks waiting for the next edge (the common case, kept out of the heap).
    next_edge: RefCell<Vec<Reg>>,
    /// Tasks waiting for a later cycle: (cycle, registration).
    timers: RefCell<BinaryHeap<Reverse<(u64, Reg)>>>,
    timers_prune_at: Cell<usize>,
    /// Scratch space for the tasks woken at an edge: (start order, slot).
    batch: RefCell<Vec<(u64, u32)>>,
    next_seq: Cell<u64>,
    live_tasks: Cell<usize>,
    any_foreign: Arc<AtomicBool>,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Makes `core` the scheduler that triggers register with, for the lifetime of the guard.
struct Enter {
    prev: Option<Rc<Core>>,
}

impl Enter {
    fn new(core: &Rc<Core>) -> Enter {
        let prev = CURRENT.with(|c| c.replace(Some(core.clone())));
        Enter { prev }
    }
}

impl Drop for Enter {
    fn drop(&mut self) {
        let prev = self.prev.take();
        CURRENT.with(|c| *c.borrow_mut() = prev);
    }
}

/// The scheduler running the current task. Panics when called outside a task of a [`Sim`].
fn current_core() -> Rc<Core> {
    CURRENT
        .with(|c| c.borrow().clone())
        .expect("usb3-tb trigger awaited outside a task of a usb3_tb::runtime::sched::Sim")
}

impl Core {
    fn new() -> Core {
        Core {
            cycle: Cell::new(0),
            current: Cell::new(None),
            slots: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            ready: RefCell::new(VecDeque::new()),
            next_edge: RefCell::new(Vec::new()),
            timers: RefCell::new(BinaryHeap::new()),
            timers_prune_at: Cell::new(64),
            batch: RefCell::new(Vec::new()),
            next_seq: Cell::new(0),
            live_tasks: Cell::new(0),
            any_foreign: Arc::new(AtomicBool::new(false)),
        }
    }

    fn current_reg(&self) -> Reg {
        self.current
            .get()
            .expect("usb3-tb trigger polled outside a task (is it awaited inside a spawned task?)")
    }

    /// Make the task of `reg` runnable, if the registration is still current.
    fn wake(&self, reg: Reg) {
        let mut slots = self.slots.borrow_mut();
        let s = &mut slots[reg.slot as usize];
        if s.accepts(reg) {
            s.queued = true;
            drop(slots);
            self.ready.borrow_mut().push_back(reg.slot);
        }
    }

    /// Wake `reg` at the edge that ends cycle `target` (target > now).
    fn register_timer(&self, target: u64, reg: Reg) {
        let now = self.cycle.get();
        debug_assert!(target > now);
        if target == now + 1 {
            self.next_edge.borrow_mut().push(reg);
            return;
        }
        let mut timers = self.timers.borrow_mut();
        if timers.len() >= self.timers_prune_at.get() {
            let slots = self.slots.borrow();
            timers.retain(|Reverse((_, r))| {
                let s = &slots[r.slot as usize];
                s.live && s.epoch == r.epoch
            });
            self.timers_prune_at.set((timers.len() * 2).max(64));
        }
        timers.push(Reverse((target, reg)));
    }

    fn spawn(&self, name: Option<Box<str>>, fut: TaskFuture, join: Rc<JoinShared>) -> (u32, u64) {
        let seq = self.next_seq.get();
        self.next_seq.set(seq + 1);
        let free = self.free.borrow_mut().pop();
        let mut slots = self.slots.borrow_mut();
        let slot = match free {
            Some(i) => i,
            None => {
                let foreign = Arc::new(ForeignWake {
                    flag: AtomicBool::new(false),
                    any: self.any_foreign.clone(),
                });
                let waker = Waker::from(foreign.clone());
                slots.push(Slot {
                    body: None,
                    waker: Some(waker),
                    live: false,
                    epoch: 0,
                    queued: false,
                    seq: 0,
                    name: None,
                    join: None,
                    foreign,
                });
                u32::try_from(slots.len() - 1).expect("too many tasks")
            }
        };
        let s = &mut slots[slot as usize];
        s.body = Some(fut);
        s.live = true;
        s.epoch += 1;
        s.queued = true;
        s.seq = seq;
        s.name = name;
        s.join = Some(join);
        s.foreign.flag.store(false, Ordering::Relaxed);
        drop(slots);
        self.live_tasks.set(self.live_tasks.get() + 1);
        self.ready.borrow_mut().push_back(slot);
        (slot, seq)
    }

    /// Retire the task in `slot` (finished or cancelled): free the slot and wake its joiners.
    fn retire(&self, slot: u32, cancelled: bool) {
        let join = {
            let mut slots = self.slots.borrow_mut();
            let s = &mut slots[slot as usize];
            s.live = false;
            s.epoch += 1;
            s.name = None;
            s.join.take()
        };
        self.free.borrow_mut().push(slot);
        self.live_tasks.set(self.live_tasks.get() - 1);
        if let Some(join) = join {
            join.done.set(true);
            join.cancelled.set(cancelled);
            join.waiters.borrow_mut().wake_all();
        }
    }

    fn task_name(&self, slot: u32) -> String {
        let slots = self.slots.borrow();
        let s = &slots[slot as usize];
        match &s.name {
            Some(n) => format!("'{n}'"),
            None => format!("#{}", s.seq),
        }
    }

    /// Queue the tasks woken from outside (foreign wakers). Returns whether any was queued.
    fn collect_foreign(&self) -> bool {
        if !self.any_foreign.swap(false, Ordering::AcqRel) {
            return false;
        }
        let mut slots = self.slots.borrow_mut();
        let mut batch = self.batch.borrow_mut();
        batch.clear();
        for (i, s) in slots.iter_mut().enumerate() {
            if s.foreign.flag.swap(false, Ordering::AcqRel) && s.live && !s.queued {
                s.queued = true;
                batch.push((s.seq, i as u32));
            }
        }
        batch.sort_unstable();
        self.ready.borrow_mut().extend(batch.iter().map(|b| b.1));
        !batch.is_empty()
    }

    /// Advance the cycle counter and queue every task whose trigger fired at this edge, in start order.
    fn edge(&self) {
        let now = self.cycle.get() + 1;
        self.cycle.set(now);
        let mut batch = self.batch.borrow_mut();
        batch.clear();
        let mut slots = self.slots.borrow_mut();
        let mut take = |reg: Reg| {
            let s = &mut slots[reg.slot as usize];
            if s.accepts(reg) {
                s.queued = true;
                batch.push((s.seq, reg.slot));
            }
        };
        for reg in self.next_edge.borrow_mut().drain(..) {
            take(reg);
        }
        {
            let mut timers = self.timers.borrow_mut();
            while let Some(&Reverse((t, reg))) = timers.peek() {
                if t > now {
                    break;
                }
                timers.pop();
                take(reg);
            }
        }
        drop(slots);
        if batch.len() > 1 {
            batch.sort_unstable();
        }
        self.ready.borrow_mut().extend(batch.iter().map(|b| b.1));
    }

    /// Poll runnable tasks until none is runnable. Must run inside an [`Enter`] for this core.
    fn run_ready(&self) {
        loop {
            let next = self.ready.borrow_mut().pop_front();
            let slot = match next {
                Some(s) => s,
                None if self.collect_foreign() => continue,
                None => break,
            };
            let (mut fut, waker, epoch, seq) = {
                let mut slots = self.slots.borrow_mut();
                let s = &mut slots[slot as usize];
                s.queued = false;
                if !s.live {
                    continue;
                }
                s.epoch += 1;
                let fut = s.body.take().expect("task polled re-entrantly");
                (fut, s.waker.take().expect("slot without waker"), s.epoch, s.seq)
            };
            self.current.set(Some(Reg { slot, epoch }));
            let mut cx = Context::from_waker(&waker);
            let res = catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx)));
            self.current.set(None);
            // A task may have cancelled itself while running: then its slot is retired (maybe even reused).
            let still_ours = {
                let mut slots = self.slots.borrow_mut();
                let s = &mut slots[slot as usize];
                s.waker = Some(waker);
                let ours = s.live && s.seq == seq;
                if ours && matches!(res, Ok(Poll::Pending)) {
                    s.body = Some(fut);
                    continue;
                }
                ours
            };
            match res {
                Ok(_) => {
                    drop(fut);
                    if still_ours {
                        self.retire(slot, false);
                    }
                }
                Err(payload) => {
                    let name = if still_ours { self.task_name(slot) } else { format!("#{seq}") };
                    drop(fut);
                    if still_ours {
                        self.retire(slot, true);
                    }
                    panic!(
                        "task {name} panicked at cycle {}: {}",
                        self.cycle.get(),
                        panic_message(&*payload)
                    );
                }
            }
        }
    }

    /// Drop every task (breaks the Rc cycles task -> Ctx -> Core -> task).
    fn clear(&self) {
        let bodies: Vec<TaskFuture> = {
            let mut slots = self.slots.borrow_mut();
            slots.iter_mut().filter_map(|s| s.body.take()).collect()
        };
        drop(bodies);
        self.ready.borrow_mut().clear();
        self.next_edge.borrow_mut().clear();
        self.timers.borrow_mut().clear();
    }
}

/// The text of a panic payload.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

// ------------------------------------------------------------------------------------------------
// Sim and Ctx
// ------------------------------------------------------------------------------------------------

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
    pub fn with_timeout<F: Future>(&self, fut: F, cycles: u64) -> impl Future<Output = Result<F::Output, Timeout>> {
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
                write!(f, "task {task} still running when the cycle limit was reached at cycle {cycle}")
            }
            SimError::Cancelled { cycle, task } => write!(f, "task {task} was cancelled (noticed at cycle {cycle})"),
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
            let mut dut = self
                .ctx
                .shared
                .dut
                .try_borrow_mut()
                .expect("DUT still borrowed at the clock edge (a RefMut held across an await?)");
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
    pub fn run_until_complete<T>(&mut self, handle: JoinHandle<T>, max_cycles: u64) -> Result<T, SimError> {
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
    pub fn run_until(&mut self, max_cycles: u64, mut done: impl FnMut(&mut D) -> bool) -> Option<u64> {
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

// ------------------------------------------------------------------------------------------------
// Tasks
// ------------------------------------------------------------------------------------------------

#[derive(Default)]
struct JoinShared {
    done: Cell<bool>,
    cancelled: Cell<bool>,
    waiters: RefCell<WaitList>,
}

/// A started task: await it (or [`JoinHandle::join`]) for its output, or cancel it.
pub struct JoinHandle<T> {
    out: Rc<RefCell<Option<T>>>,
    shared: Rc<JoinShared>,
    core: Weak<Core>,
    slot: u32,
    seq: u64,
}

impl<T> Clone for JoinHandle<T> {
    fn clone(&self) -> Self {
        JoinHandle {
            out: self.out.clone(),
            shared: self.shared.clone(),
            core: self.core.clone(),
            slot: self.slot,
            seq: self.seq,
        }
    }
}

impl<T> JoinHandle<T> {
    /// The task has finished (or was cancelled).
    pub fn is_done(&self) -> bool {
        self.shared.done.get()
    }

    /// The task was cancelled before it finished.
    pub fn is_cancelled(&self) -> bool {
        self.shared.cancelled.get()
    }

    /// Take the output of a finished task (once).
    pub fn try_take(&self) -> Option<T> {
        self.out.borrow_mut().take()
    }

    /// A trigger that resolves to the task's output when it finishes. Panics if the task was cancelled or its
    /// output was already taken.
    pub fn join(&self) -> Join<T> {
        Join { handle: self.clone() }
    }

    /// Stop the task: its future is dropped, it never runs again, joiners are woken (and panic).
    pub fn cancel(&self) {
        if self.shared.done.get() {
            return;
        }
        let Some(core) = self.core.upgrade() else { return };
        let body = {
            let mut slots = core.slots.borrow_mut();
            let s = &mut slots[self.slot as usize];
            if !s.live || s.seq != self.seq {
                return;
            }
            s.body.take()
        };
        core.retire(self.slot, true);
        drop(body);
    }

    fn name_hint(&self) -> String {
        match self.core.upgrade() {
            Some(core) if !self.shared.done.get() => core.task_name(self.slot),
            _ => format!("#{}", self.seq),
        }
    }
}

impl<T> IntoFuture for JoinHandle<T> {
    type Output = T;
    type IntoFuture = Join<T>;
    fn into_future(self) -> Join<T> {
        Join { handle: self }
    }
}

/// The trigger returned by [`JoinHandle::join`].
pub struct Join<T> {
    handle: JoinHandle<T>,
}

impl<T> Future for Join<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        let h = &self.handle;
        if h.shared.done.get() {
            if h.shared.cancelled.get() {
                panic!("joined task #{} was cancelled", h.seq);
            }
            return Poll::Ready(h.try_take().expect("task output already taken"));
        }
        let core = current_core();
        let reg = core.current_reg();
        h.shared.waiters.borrow_mut().register(&core, reg);
        Poll::Pending
    }
}

// ------------------------------------------------------------------------------------------------
// Triggers
// ------------------------------------------------------------------------------------------------

/// Trigger: resume `n` clock edges after the first poll. See [`Ctx::cycles`], [`Ctx::rising_edge`].
#[derive(Debug)]
#[must_use = "triggers do nothing unless awaited"]
pub struct Cycles {
    n: u64,
    target: Option<u64>,
}

impl Cycles {
    /// `n` cycles from when it is first awaited.
    pub fn new(n: u64) -> Cycles {
        Cycles { n, target: None }
    }
}

impl Future for Cycles {
    type Output = ();
    #[inline]
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        CURRENT.with(|c| {
            let c = c.borrow();
            let core = c
                .as_ref()
                .expect("usb3-tb trigger awaited outside a task of a usb3_tb::runtime::sched::Sim");
            let now = core.cycle.get();
            let n = self.n;
            let target = *self.target.get_or_insert(now + n);
            if now >= target {
                return Poll::Ready(());
            }
            core.register_timer(target, core.current_reg());
            Poll::Pending
        })
    }
}

/// The current cycle, from inside a task (without a [`Ctx`]).
pub fn now() -> u64 {
    current_core().cycle.get()
}

/// A cocotb-style event: tasks [`wait`](Event::wait) for it to be [`set`](Event::set). Cloning shares the event.
///
/// `wait()` on an event that is set resolves at once. `set()` wakes every waiter in the same cycle; a waiter
/// woken by `set()` resolves even if the event was cleared again before it ran (`set(); clear();` is a pulse).
#[derive(Clone, Default)]
pub struct Event {
    inner: Rc<EventInner>,
}

#[derive(Default)]
struct EventInner {
    is_set: Cell<bool>,
    fired: Cell<u64>,
    waiters: RefCell<WaitList>,
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("is_set", &self.inner.is_set.get())
            .field("fired", &self.inner.fired.get())
            .finish()
    }
}

impl Event {
    /// A new, clear event.
    pub fn new() -> Event {
        Event::default()
    }

    /// Set the event and wake every waiter (they run later in this same cycle).
    pub fn set(&self) {
        self.inner.is_set.set(true);
        self.inner.fired.set(self.inner.fired.get() + 1);
        self.inner.waiters.borrow_mut().wake_all();
    }

    /// Clear the event: later `wait()`s block until the next `set()`.
    pub fn clear(&self) {
        self.inner.is_set.set(false);
    }

    /// Whether the event is set.
    pub fn is_set(&self) -> bool {
        self.inner.is_set.get()
    }

    /// How many times the event has been set.
    pub fn times_set(&self) -> u64 {
        self.inner.fired.get()
    }

    /// A trigger that resolves when the event is set (at once if it is set already).
    pub fn wait(&self) -> EventWait {
        EventWait {
            event: self.clone(),
            seen: None,
        }
    }
}

/// The trigger returned by [`Event::wait`].
#[must_use = "triggers do nothing unless awaited"]
pub struct EventWait {
    event: Event,
    seen: Option<u64>,
}

impl Future for EventWait {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.event.inner;
        let fired = inner.fired.get();
        if inner.is_set.get() || self.seen.is_some_and(|s| s != fired) {
            return Poll::Ready(());
        }
        let core = current_core();
        inner.waiters.borrow_mut().register(&core, core.current_reg());
        self.seen = Some(fired);
        Poll::Pending
    }
}

/// Which of two triggers fired first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Either<A, B> {
    /// The first argument of [`first_of`] fired.
    Left(A),
    /// The second argument of [`first_of`] fired.
    Right(B),
}

impl<A, B> Either<A, B> {
    /// Whether the first argument fired.
    pub fn is_left(&self) -> bool {
        matches!(self, Either::Left(_))
    }
}

/// cocotb `First(a, b)`: resolves with whichever of `a`, `b` resolves first; `a` wins a tie (both ready in
/// the same poll). The other one is dropped; dropping a [`Join`] only stops waiting, it never cancels the task.
pub async fn first_of<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        if let Poll::Ready(x) = b.as_mut().poll(cx) {
            return Poll::Ready(Either::Right(x));
        }
        Poll::Pending
    })
    .await
}

/// cocotb `First(*triggers)` for any number of triggers of one type: `(index, output)` of the first to
/// resolve; the lowest index wins a tie. Panics on an empty list.
pub async fn first_of_many<F: Future>(futs: impl IntoIterator<Item = F>) -> (usize, F::Output) {
    let mut futs: Vec<Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    assert!(!futs.is_empty(), "first_of_many of no triggers");
    std::future::poll_fn(move |cx| {
        for (i, f) in futs.iter_mut().enumerate() {
            if let Poll::Ready(x) = f.as_mut().poll(cx) {
                return Poll::Ready((i, x));
            }
        }
        Poll::Pending
    })
    .await
}

/// A [`with_timeout`] ran out of cycles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeout {
    /// The cycle at which the timeout fired.
    pub cycle: u64,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out at cycle {}", self.cycle)
    }
}

impl std::error::Error for Timeout {}

/// cocotb `with_timeout`: `Ok(output)` of `fut`, or `Err(Timeout)` if `fut` has not resolved `cycles` cycles
/// after the first poll (`fut` wins a tie). `fut` is dropped on timeout.
pub async fn with_timeout<F: Future>(fut: F, cycles: u64) -> Result<F::Output, Timeout> {
    match first_of(fut, Cycles::new(cycles)).await {
        Either::Left(v) => Ok(v),
        Either::Right(()) => Err(Timeout { cycle: now() }),
    }
}
