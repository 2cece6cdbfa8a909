//! Triggers: what a task awaits (cycles, events, the first of several, a timeout).

use super::*;

/// Trigger: resume `n` clock edges after the first poll. See [`Ctx::cycles`], [`Ctx::rising_edge`].
#[derive(Debug)]
#[must_use = "triggers do nothing unless awaited"]
pub struct Cycles {
    pub(super) n: u64,
    pub(super) target: Option<u64>,
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
    pub(super) inner: Rc<EventInner>,
}

#[derive(Default)]
pub(super) struct EventInner {
    pub(super) is_set: Cell<bool>,
    pub(super) fired: Cell<u64>,
    pub(super) waiters: RefCell<WaitList>,
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
    pub(super) event: Event,
    pub(super) seen: Option<u64>,
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
        inner
            .waiters
            .borrow_mut()
            .register(&core, core.current_reg());
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
