//! What the container's keys resolve to, read without a lock: the built
//! singletons and the compiled plans, for `resolve` on CPython with the GIL
//! (S1 to S6 in benchmarks/).
//!
//! The container's state sits behind a read-write lock, and taking a read
//! lock is two atomic read-modify-write operations: a few instructions, but
//! a large part of a resolve's time. With the GIL, this table needs no
//! lock: it is only read and written by a thread holding the GIL (every
//! method takes `Python<'_>`, and the container empties it inside
//! `write()`, which runs attached), and a thread holding the GIL runs no
//! other thread's code between reading a pointer here and taking its
//! reference.
//!
//! Entries borrow: a singleton that a cell of the container owns, or a
//! plan the state holds. They are made under the state's read lock from
//! what it holds, and every change of the state (taking its write lock:
//! closing, registering, overriding, syncing with the registry, compiling
//! a plan) empties the table first, before anything can be dropped. A
//! reader takes its own reference (a plan is run after Python code may
//! have changed the state). An entry made while the parent registry was at
//! one generation is not read once the registry has moved on: the state
//! may be out of date then, and the locked path syncs it.
//!
//! A free-threaded CPython has no GIL to lean on: there the table stays
//! empty and `resolve` takes the read lock.

#[cfg(not(Py_GIL_DISABLED))]
use std::cell::UnsafeCell;
use std::sync::atomic::AtomicU64;
#[cfg(not(Py_GIL_DISABLED))]
use std::sync::atomic::Ordering;
use std::sync::Arc;

use dioxide_core::Key;
#[cfg(not(Py_GIL_DISABLED))]
use pyo3::ffi;
use pyo3::prelude::*;

use super::resolve::Lookup;
use crate::bindings::compiled::ExecPlan;
#[cfg(not(Py_GIL_DISABLED))]
use crate::bindings::keys::KeyMap;

#[cfg(not(Py_GIL_DISABLED))]
#[derive(Copy, Clone)]
enum Entry {
    /// A built singleton, owned by a cell of the container.
    Built(*mut ffi::PyObject),
    /// A compiled plan, owned by the state (`Arc::as_ptr`).
    Plan(*const ExecPlan),
}

#[cfg(not(Py_GIL_DISABLED))]
#[derive(Default)]
struct Table {
    entries: KeyMap<Entry>,
    /// The parent registry's generation the entries were made at.
    generation: u64,
}

pub(crate) struct Built {
    /// The parent registry's generation counter (`None`: no parent).
    #[cfg_attr(Py_GIL_DISABLED, allow(dead_code))]
    parent: Option<Arc<AtomicU64>>,
    #[cfg(not(Py_GIL_DISABLED))]
    table: UnsafeCell<Table>,
}

// SAFETY: with the GIL, `table` is only touched by the thread holding the
// GIL (see the module's documentation); without it, there is no table.
unsafe impl Sync for Built {}
// SAFETY: the pointers are borrowed from what the container owns; moving
// the table to another thread changes nothing about who may read it.
unsafe impl Send for Built {}

impl Built {
    pub(crate) fn new(parent: Option<Arc<AtomicU64>>) -> Self {
        Self {
            parent,
            #[cfg(not(Py_GIL_DISABLED))]
            table: UnsafeCell::new(Table::default()),
        }
    }

    /// What `key` resolves to, with references of the caller's own, if the
    /// table has it and the parent registry has not changed since.
    #[cfg(not(Py_GIL_DISABLED))]
    #[inline(always)]
    pub(crate) fn get(&self, py: Python<'_>, key: Key) -> Option<Lookup> {
        // SAFETY: the GIL is held (`py`); see the module's documentation.
        let table = unsafe { &*self.table.get() };
        if let Some(parent) = &self.parent {
            if parent.load(Ordering::Acquire) != table.generation {
                return None;
            }
        }
        // SAFETY (both arms): the entry points at what the container owns
        // until the table is emptied; the GIL is held, so nothing empties
        // it before the reference is taken.
        match *table.entries.get(&key)? {
            Entry::Built(value) => Some(Lookup::Built(
                unsafe { Bound::from_borrowed_ptr(py, value) }.unbind(),
            )),
            Entry::Plan(plan) => Some(match unsafe { &*plan }.built() {
                // Built since the entry was made.
                Some(value) => Lookup::Built(value.clone_ref(py)),
                None => Lookup::Plan(unsafe {
                    Arc::increment_strong_count(plan);
                    Arc::from_raw(plan)
                }),
            }),
        }
    }

    #[cfg(Py_GIL_DISABLED)]
    #[inline(always)]
    pub(crate) fn get(&self, _py: Python<'_>, _key: Key) -> Option<Lookup> {
        None
    }

    /// Remember what `key` resolves to, found under the state's read lock
    /// when the parent registry was at `generation`: the singleton a cell
    /// of the container owns, else the plan the state holds.
    #[cfg(not(Py_GIL_DISABLED))]
    pub(crate) fn insert(&self, _py: Python<'_>, key: Key, plan: &Arc<ExecPlan>, generation: u64) {
        // SAFETY: the GIL is held (`_py`), and no reference from `get`
        // outlives its call.
        let table = unsafe { &mut *self.table.get() };
        if table.generation != generation {
            table.entries.clear();
            table.generation = generation;
        }
        let entry = match plan.built() {
            Some(value) => Entry::Built(value.as_ptr()),
            None => Entry::Plan(Arc::as_ptr(plan)),
        };
        table.entries.insert(key, entry);
    }

    #[cfg(Py_GIL_DISABLED)]
    pub(crate) fn insert(
        &self,
        _py: Python<'_>,
        _key: Key,
        _plan: &Arc<ExecPlan>,
        _generation: u64,
    ) {
    }

    /// Forget every entry: the state is about to change.
    #[cfg(not(Py_GIL_DISABLED))]
    pub(crate) fn clear(&self, _py: Python<'_>) {
        // SAFETY: as for `insert`.
        let table = unsafe { &mut *self.table.get() };
        if !table.entries.is_empty() {
            table.entries.clear();
        }
    }

    #[cfg(Py_GIL_DISABLED)]
    pub(crate) fn clear(&self, _py: Python<'_>) {}
}
