//! Taking the binding's Rust locks from a thread attached to the interpreter.
//!
//! A thread that blocks on a Rust lock while attached can deadlock the
//! interpreter even when no Python code runs under the lock: with the GIL,
//! the holder may need the GIL back (a `__del__`, a garbage collection)
//! while the waiter keeps it; without the GIL (free-threaded builds), the
//! holder may meet a stop-the-world pause (garbage collection, a contended
//! per-object lock inside the C API) that waits for every attached thread,
//! the blocked waiter included. So every lock of the binding is taken here:
//! uncontended, it is one `try_lock`; contended, the thread detaches from
//! the interpreter while it waits (PyO3's `*_py_attached`), and attaches
//! again once it holds the lock.
//!
//! This complements the binding's other rule, kept at every call site: no
//! lock is held while Python code runs, or while a Python object may be
//! dropped (anything removed from a locked structure is dropped after the
//! guard).
//!
//! Only for threads that are attached (every `#[pymethods]` call is);
//! the waits inside `Python::detach` (the instance cells' condition
//! variable) lock the plain way.

use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use pyo3::sync::{MutexExt, RwLockExt};
use pyo3::Python;

/// Lock `mutex`, detached from the interpreter while waiting. A poisoned
/// lock still holds consistent data: nothing panics while one is held.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    match mutex.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => Python::attach(|py| mutex.lock_py_attached(py))
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    }
}

/// Lock `rwlock` for reading, detached from the interpreter while waiting.
/// Inlined: every resolve takes it (the wait is out of line).
#[inline(always)]
pub(crate) fn read<T>(rwlock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    match rwlock.try_read() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => read_waiting(rwlock),
    }
}

#[cold]
#[inline(never)]
fn read_waiting<T>(rwlock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    Python::attach(|py| rwlock.read_py_attached(py))
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lock `rwlock` for writing, detached from the interpreter while waiting.
pub(crate) fn write<T>(rwlock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    match rwlock.try_write() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => Python::attach(|py| rwlock.write_py_attached(py))
            .unwrap_or_else(|poisoned| poisoned.into_inner()),
    }
}
