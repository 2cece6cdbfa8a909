//! The scheduler core, not generic over the DUT: task slots, the ready queue, the next-edge list, the timer
//! heap and wait lists (see the parent module's "Implementation").

use super::*;

/// A task's registration with a trigger: valid while the task's epoch is still `epoch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Reg {
    pub(super) slot: u32,
    pub(super) epoch: u64,
}

pub(super) type TaskFuture = Pin<Box<dyn Future<Output = ()>>>;

/// The per-task waker for futures that are not our own triggers.
pub(super) struct ForeignWake {
    pub(super) flag: AtomicBool,
    pub(super) any: Arc<AtomicBool>,
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

pub(super) struct Slot {
    /// The future and the slot's waker, except while it is being polled (or when the slot is free; the
    /// waker then stays for reuse).
    pub(super) body: Option<TaskFuture>,
    pub(super) waker: Option<Waker>,
    /// A task occupies this slot and has not finished or been cancelled.
    pub(super) live: bool,
    /// Bumped at every poll; registrations carry the epoch they were made in.
    pub(super) epoch: u64,
    /// Already in the ready queue.
    pub(super) queued: bool,
    /// Start order of the task in this slot (unique over the simulation).
    pub(super) seq: u64,
    pub(super) name: Option<Box<str>>,
    pub(super) join: Option<Rc<JoinShared>>,
    pub(super) foreign: Arc<ForeignWake>,
}

impl Slot {
    pub(super) fn accepts(&self, reg: Reg) -> bool {
        self.live && self.epoch == reg.epoch && !self.queued
    }
}

/// A list of tasks waiting on something (an event, a task's completion).
#[derive(Default)]
pub(super) struct WaitList {
    pub(super) regs: Vec<Reg>,
    pub(super) prune_at: usize,
    pub(super) core: Weak<Core>,
}

impl WaitList {
    pub(super) fn register(&mut self, core: &Rc<Core>, reg: Reg) {
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

    pub(super) fn wake_all(&mut self) {
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

pub(super) struct Core {
    pub(super) cycle: Cell<u64>,
    /// The task being polled, as a registration for the current epoch.
    pub(super) current: Cell<Option<Reg>>,
    pub(super) slots: RefCell<Vec<Slot>>,
    pub(super) free: RefCell<Vec<u32>>,
    pub(super) ready: RefCell<VecDeque<u32>>,
    /// Tasks waiting for the next edge (the common case, kept out of the heap).
    pub(super) next_edge: RefCell<Vec<Reg>>,
    /// Tasks waiting for a later cycle: (cycle, registration).
    pub(super) timers: RefCell<BinaryHeap<Reverse<(u64, Reg)>>>,
    pub(super) timers_prune_at: Cell<usize>,
    /// Scratch space for the tasks woken at an edge: (start order, slot).
    pub(super) batch: RefCell<Vec<(u64, u32)>>,
    pub(super) next_seq: Cell<u64>,
    pub(super) live_tasks: Cell<usize>,
    pub(super) any_foreign: Arc<AtomicBool>,
}

thread_local! {
    pub(super) static CURRENT: RefCell<Option<Rc<Core>>> = const { RefCell::new(None) };
}

/// Makes `core` the scheduler that triggers register with, for the lifetime of the guard.
pub(super) struct Enter {
    pub(super) prev: Option<Rc<Core>>,
}

impl Enter {
    pub(super) fn new(core: &Rc<Core>) -> Enter {
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
pub(super) fn current_core() -> Rc<Core> {
    CURRENT
        .with(|c| c.borrow().clone())
        .expect("usb3-tb trigger awaited outside a task of a usb3_tb::runtime::sched::Sim")
}

impl Core {
    pub(super) fn new() -> Core {
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

    pub(super) fn current_reg(&self) -> Reg {
        self.current
            .get()
            .expect("usb3-tb trigger polled outside a task (is it awaited inside a spawned task?)")
    }

    /// Make the task of `reg` runnable, if the registration is still current.
    pub(super) fn wake(&self, reg: Reg) {
        let mut slots = self.slots.borrow_mut();
        let s = &mut slots[reg.slot as usize];
        if s.accepts(reg) {
            s.queued = true;
            drop(slots);
            self.ready.borrow_mut().push_back(reg.slot);
        }
    }

    /// Wake `reg` at the edge that ends cycle `target` (target > now).
    pub(super) fn register_timer(&self, target: u64, reg: Reg) {
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

    pub(super) fn spawn(
        &self,
        name: Option<Box<str>>,
        fut: TaskFuture,
        join: Rc<JoinShared>,
    ) -> (u32, u64) {
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
    pub(super) fn retire(&self, slot: u32, cancelled: bool) {
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

    pub(super) fn task_name(&self, slot: u32) -> String {
        let slots = self.slots.borrow();
        let s = &slots[slot as usize];
        match &s.name {
            Some(n) => format!("'{n}'"),
            None => format!("#{}", s.seq),
        }
    }

    /// Queue the tasks woken from outside (foreign wakers). Returns whether any was queued.
    pub(super) fn collect_foreign(&self) -> bool {
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
    pub(super) fn edge(&self) {
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
    pub(super) fn run_ready(&self) {
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
                (
                    fut,
                    s.waker.take().expect("slot without waker"),
                    s.epoch,
                    s.seq,
                )
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
                    let name = if still_ours {
                        self.task_name(slot)
                    } else {
                        format!("#{seq}")
                    };
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
    pub(super) fn clear(&self) {
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
