//! A slot that holds one shared instance (a singleton, or a scoped instance
//! inside its scope) and makes sure concurrent resolvers build it once.
//!
//! The slot's own lock is only held for bookkeeping, never while Python code
//! runs: the thread that claims the slot builds the instance with the lock
//! released, and other threads wait with the interpreter detached so the
//! builder can make progress.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, ThreadId};

use pyo3::prelude::*;

#[derive(Default)]
pub(crate) struct InstanceCell {
    value: OnceLock<Py<PyAny>>,
    builder: Mutex<Builder>,
    built: Condvar,
}

/// Who builds an instance: a thread (a synchronous resolve), or an async
/// task (`aresolve`, identified by the task), several of which may take
/// turns on one thread.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Owner {
    Thread(ThreadId),
    Task(u64),
}

/// Who builds the instance, and who waits for it.
#[derive(Default)]
struct Builder {
    owner: Option<Owner>,
    /// Waking waiters is a system call; counting them lets the common case
    /// (nobody waits) skip it.
    waiters: usize,
    /// Async waiters: callables that wake their task (thread-safely), called
    /// once the build ends either way.
    wakers: Vec<Py<PyAny>>,
}

thread_local! {
    /// `thread::current()` clones an `Arc` on every call; the id never changes.
    static THREAD_ID: ThreadId = thread::current().id();
}

fn current_thread() -> ThreadId {
    THREAD_ID.with(|id| *id)
}

/// The slot each waiting thread waits for. Two threads whose constructors
/// resolve singletons the other one is building would wait for each other
/// forever; with this list the thread that closes the circle sees it and
/// fails instead, which frees the other.
static WAITING: Mutex<Vec<(ThreadId, Arc<InstanceCell>)>> = Mutex::new(Vec::new());

fn waiting() -> MutexGuard<'static, Vec<(ThreadId, Arc<InstanceCell>)>> {
    super::locks::lock(&WAITING)
}

/// What a resolver may do with a slot.
pub(crate) enum Claim {
    /// The instance exists already.
    Ready(Py<PyAny>),
    /// This thread now builds it and must call `fill` or `release`.
    Build,
    /// This thread is already building it further up its own stack: a
    /// constructor asked for its own dependant.
    Reentrant,
    /// Its builder waits, directly or through other threads, for something
    /// this thread is building: waiting would never end.
    Deadlock,
    /// A signal handler raised (Ctrl-C) while this thread waited.
    Interrupted(PyErr),
    /// (Async claims only.) Another task or thread is building it: wait with
    /// `subscribe` and claim again.
    Busy,
}

/// How long a waiting thread sleeps between looks at pending signals: a
/// `KeyboardInterrupt` reaches it within this time.
const SIGNAL_CHECK: std::time::Duration = std::time::Duration::from_millis(20);

impl InstanceCell {
    pub(crate) fn get(&self) -> Option<&Py<PyAny>> {
        self.value.get()
    }

    /// The slot's bookkeeping, from an attached thread (see `locks`).
    fn lock(&self) -> MutexGuard<'_, Builder> {
        super::locks::lock(&self.builder)
    }

    /// The same, from a thread detached from the interpreter (waiting for
    /// the build). Nothing panics while this lock is held; a poisoned lock
    /// still holds consistent data.
    fn lock_detached(&self) -> MutexGuard<'_, Builder> {
        self.builder
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn claim(self: &Arc<Self>, py: Python<'_>) -> Claim {
        let me = current_thread();
        loop {
            if let Some(value) = self.value.get() {
                return Claim::Ready(value.clone_ref(py));
            }
            {
                let mut builder = self.lock();
                if self.value.get().is_some() {
                    continue;
                }
                match builder.owner {
                    None => {
                        builder.owner = Some(Owner::Thread(me));
                        return Claim::Build;
                    }
                    Some(Owner::Thread(owner)) if owner == me => return Claim::Reentrant,
                    Some(_) => {}
                }
            }
            // Another thread is building: wait without the interpreter,
            // unless that thread is waiting for this one.
            if !self.enter_wait(me) {
                return Claim::Deadlock;
            }
            let settled = py.detach(|| {
                let mut guard = self.lock_detached();
                guard.waiters += 1;
                let (mut guard, timeout) = self
                    .built
                    .wait_timeout_while(guard, SIGNAL_CHECK, |b| {
                        b.owner.is_some() && self.value.get().is_none()
                    })
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                guard.waiters -= 1;
                !timeout.timed_out()
            });
            waiting().retain(|(thread, _)| *thread != me);
            if !settled {
                // Still building: run signal handlers (Ctrl-C raises
                // `KeyboardInterrupt` here, on the main thread), then wait on.
                if let Err(err) = py.check_signals() {
                    return Claim::Interrupted(err);
                }
            }
        }
    }

    /// Record that thread `me` is about to wait for this slot; `false`,
    /// recording nothing, when its builder waits for `me`: following who
    /// builds each slot and which slot that thread waits for comes back here.
    fn enter_wait(self: &Arc<Self>, me: ThreadId) -> bool {
        // Lock order: the list, then a slot's own lock (never the reverse).
        let mut waits = waiting();
        let mut slot = Arc::clone(self);
        // Every step goes through another waiting thread; a longer walk is
        // going round a circle that does not pass through `me`.
        for _ in 0..=waits.len() {
            let Some(Owner::Thread(owner)) = slot.lock().owner else {
                break;
            };
            if owner == me {
                return false;
            }
            match waits.iter().find(|(thread, _)| *thread == owner) {
                Some((_, next)) => slot = Arc::clone(next),
                None => break,
            }
        }
        waits.push((me, Arc::clone(self)));
        true
    }

    /// Claim the slot for the async task `task`, never blocking: `Busy`
    /// when another task or thread builds it.
    pub(crate) fn claim_async(&self, py: Python<'_>, task: u64) -> Claim {
        if let Some(value) = self.value.get() {
            return Claim::Ready(value.clone_ref(py));
        }
        let mut builder = self.lock();
        if let Some(value) = self.value.get() {
            return Claim::Ready(value.clone_ref(py));
        }
        match builder.owner {
            None => {
                builder.owner = Some(Owner::Task(task));
                Claim::Build
            }
            Some(Owner::Task(owner)) if owner == task => Claim::Reentrant,
            Some(_) => Claim::Busy,
        }
    }

    /// Call `waker` once the current build ends; handed back when it has
    /// ended already (claim again at once).
    pub(crate) fn subscribe(&self, waker: Py<PyAny>) -> Result<(), Py<PyAny>> {
        let mut builder = self.lock();
        if builder.owner.is_none() || self.value.get().is_some() {
            return Err(waker);
        }
        builder.wakers.push(waker);
        Ok(())
    }

    /// Store the built instance and wake the waiters.
    pub(crate) fn fill(&self, py: Python<'_>, value: Py<PyAny>) -> Py<PyAny> {
        let stored = match self.value.set(value) {
            Ok(()) => self.value.get().map(|v| v.clone_ref(py)),
            Err(rejected) => Some(rejected),
        };
        self.release(py);
        stored.unwrap_or_else(|| py.None())
    }

    /// Give up a claim (the build failed); a waiter will try again.
    pub(crate) fn release(&self, py: Python<'_>) {
        let (waiting, wakers) = {
            let mut builder = self.lock();
            builder.owner = None;
            (builder.waiters > 0, std::mem::take(&mut builder.wakers))
        };
        if waiting {
            self.built.notify_all();
        }
        // Python code runs only now, with no lock held. A waker whose event
        // loop is gone cannot be woken; its task went with the loop.
        for waker in wakers {
            let _ = waker.call0(py);
        }
    }
}
