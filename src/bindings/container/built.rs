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
//! A singleton entry borrows what a cell of the container owns; a plan
//! entry holds a strong count of the plan. They are made under the state's
//! read lock from what it holds, and every change of the state (taking its
//! write lock: closing, registering, overriding, syncing with the registry,
//! compiling a plan) empties the table first, before anything can be
//! dropped. A reader takes its own reference of a singleton. A plan is
//! *lent* instead (`Loan`): taking a strong count of its own would be two
//! atomic read-modify-write operations per resolve, and with the GIL a
//! plain counter of the loans out does: while any is out, the plans an
//! emptying of the table lets go of wait in the table (Python code run by
//! a constructor may change the state), and the last loan returned drops
//! them, with no lock held. An entry made while the parent registry was at
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
use pyo3::ffi;
use pyo3::prelude::*;

use super::resolve::Lookup;
use crate::bindings::compiled::ExecPlan;
#[cfg(not(Py_GIL_DISABLED))]
use crate::bindings::keys::KeyMap;

#[cfg(not(Py_GIL_DISABLED))]
enum Entry {
    /// A built singleton, owned by a cell of the container.
    Built(*mut ffi::PyObject),
    /// A compiled plan (the state holds it too).
    Plan(Arc<ExecPlan>),
}

#[cfg(not(Py_GIL_DISABLED))]
#[derive(Default)]
struct Table {
    entries: KeyMap<Entry>,
    /// The parent registry's generation the entries were made at.
    generation: u64,
    /// Plans lent and not returned yet (`Loan`).
    loans: usize,
    /// Plans the table let go of while loans were out: dropped when the
    /// last loan comes back.
    retired: Vec<Arc<ExecPlan>>,
}

#[cfg(not(Py_GIL_DISABLED))]
impl Table {
    /// Empty the table.
    fn empty(&mut self) {
        let entries = std::mem::take(&mut self.entries);
        for (_, entry) in entries {
            if let Entry::Plan(plan) = entry {
                self.let_go(plan);
            }
        }
    }

    /// Stop holding `plan`. With no loan out, the count is just dropped:
    /// the table lets go of a plan only when the state is about to change
    /// (`clear`, under its write lock) or under its read lock (`insert`),
    /// and the state still holds every plan of the table then (it changes
    /// only after emptying the table), so this is never the last count and
    /// no Python code runs. With loans out, a resolve may be running this
    /// very plan after the state lets go of it: it is retired instead.
    fn let_go(&mut self, plan: Arc<ExecPlan>) {
        if self.loans == 0 {
            drop(plan);
        } else {
            self.retired.push(plan);
        }
    }
}

/// A plan lent by the table for one resolve: it stays alive until the loan
/// is returned (dropped), whatever the resolve's constructors do to the
/// container meanwhile. Made and returned by a thread holding the GIL.
pub(crate) struct Loan<'a> {
    plan: *const ExecPlan,
    #[cfg_attr(Py_GIL_DISABLED, allow(dead_code))]
    built: &'a Built,
}

impl Loan<'_> {
    pub(crate) fn plan(&self) -> &ExecPlan {
        // SAFETY: the table keeps the plan alive while the loan is out.
        unsafe { &*self.plan }
    }

    /// The loan as a pointer with its lowest bit set, to hand through a
    /// trampoline's argument (an `Arc::into_raw` pointer has it clear: a
    /// plan is aligned to more than 1); see `Built::take_back`.
    pub(crate) fn into_tagged(self) -> *mut ffi::PyObject {
        let tagged = (self.plan as usize | 1) as *mut ffi::PyObject;
        std::mem::forget(self);
        tagged
    }
}

impl Drop for Loan<'_> {
    fn drop(&mut self) {
        #[cfg(not(Py_GIL_DISABLED))]
        {
            // SAFETY: the GIL is held (a loan is made and returned with it).
            let table = unsafe { &mut *self.built.table.get() };
            table.loans -= 1;
            if table.loans == 0 && !table.retired.is_empty() {
                // Dropping plans drops Python references: Python code may
                // run, and lend again; take them out of the table first.
                let retired = std::mem::take(&mut table.retired);
                drop(retired);
            }
        }
    }
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

    /// What `key` resolves to, if the table has it and the parent registry
    /// has not changed since: a singleton (a reference of the caller's own)
    /// or a plan, lent.
    #[cfg(not(Py_GIL_DISABLED))]
    #[inline(always)]
    pub(crate) fn get(&self, py: Python<'_>, key: Key) -> Option<Lookup<'_>> {
        // SAFETY: the GIL is held (`py`); see the module's documentation.
        let table = unsafe { &mut *self.table.get() };
        if let Some(parent) = &self.parent {
            if parent.load(Ordering::Acquire) != table.generation {
                return None;
            }
        }
        match table.entries.get(&key)? {
            // SAFETY: the entry points at what the container owns until the
            // table is emptied; the GIL is held, so nothing empties it
            // before the reference is taken.
            Entry::Built(value) => Some(Lookup::Built(
                unsafe { Bound::from_borrowed_ptr(py, *value) }.unbind(),
            )),
            Entry::Plan(plan) => Some(match plan.built() {
                // Built since the entry was made.
                Some(value) => Lookup::Built(value.clone_ref(py)),
                None => {
                    let plan = Arc::as_ptr(plan);
                    table.loans += 1;
                    Lookup::Lent(Loan { plan, built: self })
                }
            }),
        }
    }

    #[cfg(Py_GIL_DISABLED)]
    #[inline(always)]
    pub(crate) fn get(&self, _py: Python<'_>, _key: Key) -> Option<Lookup<'_>> {
        None
    }

    /// The loan `Loan::into_tagged` made, back as a loan; `None` for an
    /// untagged pointer (an `Arc::into_raw` plan, the caller's to take).
    ///
    /// SAFETY: `raw` came from `Loan::into_tagged` of this table, or from
    /// `Arc::into_raw`; the GIL is held.
    pub(crate) unsafe fn take_back(&self, raw: *mut ffi::PyObject) -> Option<Loan<'_>> {
        let address = raw as usize;
        (address & 1 == 1).then(|| Loan {
            plan: (address & !1) as *const ExecPlan,
            built: self,
        })
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
            table.empty();
            table.generation = generation;
        }
        let entry = match plan.built() {
            Some(value) => Entry::Built(value.as_ptr()),
            None => Entry::Plan(Arc::clone(plan)),
        };
        if let Some(Entry::Plan(old)) = table.entries.insert(key, entry) {
            table.let_go(old);
        }
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
            table.empty();
        }
    }

    #[cfg(Py_GIL_DISABLED)]
    pub(crate) fn clear(&self, _py: Python<'_>) {}
}
