//! A slot that holds one shared instance (a singleton, or a scoped instance
//! inside its scope) and makes sure concurrent resolvers build it once.
//!
//! The slot's own lock is only held for bookkeeping, never while Python code
//! runs: the thread that claims the slot builds the instance with the lock
//! released, and other threads wait with the interpreter detached so the
//! builder can make progress.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::{self, ThreadId};

use pyo3::prelude::*;

#[derive(Default)]
pub(crate) struct InstanceCell {
    value: OnceLock<Py<PyAny>>,
    builder: Mutex<Option<ThreadId>>,
    built: Condvar,
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
}

impl InstanceCell {
    pub(crate) fn get(&self) -> Option<&Py<PyAny>> {
        self.value.get()
    }

    fn lock(&self) -> MutexGuard<'_, Option<ThreadId>> {
        // Nothing panics while this lock is held; a poisoned lock still
        // holds consistent data.
        self.builder.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn claim(&self, py: Python<'_>) -> Claim {
        let me = thread::current().id();
        loop {
            if let Some(value) = self.value.get() {
                return Claim::Ready(value.clone_ref(py));
            }
            {
                let mut builder = self.lock();
                if self.value.get().is_some() {
                    continue;
                }
                match *builder {
                    None => {
                        *builder = Some(me);
                        return Claim::Build;
                    }
                    Some(owner) if owner == me => return Claim::Reentrant,
                    Some(_) => {}
                }
            }
            // Another thread is building: wait without the interpreter.
            py.detach(|| {
                let guard = self.lock();
                let _unused = self
                    .built
                    .wait_while(guard, |owner| owner.is_some() && self.value.get().is_none())
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            });
        }
    }

    /// Store the built instance and wake the waiters.
    pub(crate) fn fill(&self, py: Python<'_>, value: Py<PyAny>) -> Py<PyAny> {
        let stored = match self.value.set(value) {
            Ok(()) => self.value.get().map(|v| v.clone_ref(py)),
            Err(rejected) => Some(rejected),
        };
        self.release();
        stored.unwrap_or_else(|| py.None())
    }

    /// Give up a claim (the build failed); a waiter will try again.
    pub(crate) fn release(&self) {
        *self.lock() = None;
        self.built.notify_all();
    }
}
