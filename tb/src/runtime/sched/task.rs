//! Started tasks: a handle to await, join or cancel.

use super::*;

#[derive(Default)]
pub(super) struct JoinShared {
    pub(super) done: Cell<bool>,
    pub(super) cancelled: Cell<bool>,
    pub(super) waiters: RefCell<WaitList>,
}

/// A started task: await it (or [`JoinHandle::join`]) for its output, or cancel it.
pub struct JoinHandle<T> {
    pub(super) out: Rc<RefCell<Option<T>>>,
    pub(super) shared: Rc<JoinShared>,
    pub(super) core: Weak<Core>,
    pub(super) slot: u32,
    pub(super) seq: u64,
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
        Join {
            handle: self.clone(),
        }
    }

    /// Stop the task: its future is dropped, it never runs again, joiners are woken (and panic).
    pub fn cancel(&self) {
        if self.shared.done.get() {
            return;
        }
        let Some(core) = self.core.upgrade() else {
            return;
        };
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

    pub(super) fn name_hint(&self) -> String {
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
    pub(super) handle: JoinHandle<T>,
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
