//! The container's built singletons by key, read without a lock: the
//! cached-singleton path of `resolve` (S1 in benchmarks/) on CPython with
//! the GIL.
//!
//! The container's state sits behind a read-write lock, and taking a read
//! lock is two atomic read-modify-write operations: a few instructions, but
//! the costliest part of a cached-singleton resolve in time. With the GIL,
//! this table needs no lock: it is only read and written by a thread
//! holding the GIL (every method takes `Python<'_>`, and the container
//! clears it inside `write()`, which runs attached), and a thread holding
//! the GIL runs no other thread's code between reading a pointer here and
//! taking its reference.
//!
//! Entries borrow: each points at a singleton that a cell of the container
//! owns. They are made under the state's read lock from what it holds, and
//! every change of the state (taking its write lock: closing, registering,
//! overriding, syncing with the registry) empties the table first, before
//! any cell can be dropped. An entry made while the parent registry was at
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

#[cfg(not(Py_GIL_DISABLED))]
use crate::bindings::keys::KeyMap;

#[cfg(not(Py_GIL_DISABLED))]
#[derive(Default)]
struct Table {
    values: KeyMap<*mut ffi::PyObject>,
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
// SAFETY: the pointers are borrowed from cells the container owns; moving
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

    /// A new reference to the singleton built for `key`, if the table has
    /// it and the parent registry has not changed since.
    #[cfg(not(Py_GIL_DISABLED))]
    #[inline(always)]
    pub(crate) fn get(&self, py: Python<'_>, key: Key) -> Option<Py<PyAny>> {
        // SAFETY: the GIL is held (`py`); see the module's documentation.
        let table = unsafe { &*self.table.get() };
        if let Some(parent) = &self.parent {
            if parent.load(Ordering::Acquire) != table.generation {
                return None;
            }
        }
        let value = *table.values.get(&key)?;
        // SAFETY: the entry points at a live singleton (a cell owns it
        // until the table is emptied); the GIL is held.
        Some(unsafe { Bound::from_borrowed_ptr(py, value) }.unbind())
    }

    #[cfg(Py_GIL_DISABLED)]
    #[inline(always)]
    pub(crate) fn get(&self, _py: Python<'_>, _key: Key) -> Option<Py<PyAny>> {
        None
    }

    /// Remember `value`, the singleton a cell of the container owns for
    /// `key`, found under the state's read lock when the parent registry
    /// was at `generation`.
    #[cfg(not(Py_GIL_DISABLED))]
    pub(crate) fn insert(&self, _py: Python<'_>, key: Key, value: &Py<PyAny>, generation: u64) {
        // SAFETY: the GIL is held (`_py`), and no reference from `get`
        // outlives its call.
        let table = unsafe { &mut *self.table.get() };
        if table.generation != generation {
            table.values.clear();
            table.generation = generation;
        }
        table.values.insert(key, value.as_ptr());
    }

    #[cfg(Py_GIL_DISABLED)]
    pub(crate) fn insert(&self, _py: Python<'_>, _key: Key, _value: &Py<PyAny>, _generation: u64) {}

    /// Forget every entry: the state is about to change.
    #[cfg(not(Py_GIL_DISABLED))]
    pub(crate) fn clear(&self, _py: Python<'_>) {
        // SAFETY: as for `insert`.
        let table = unsafe { &mut *self.table.get() };
        if !table.values.is_empty() {
            table.values.clear();
        }
    }

    #[cfg(Py_GIL_DISABLED)]
    pub(crate) fn clear(&self, _py: Python<'_>) {}
}
