//! Closing a container: the scopes still open on it first, newest first,
//! then its own finalizers; and keeping track of those scopes.

use pyo3::prelude::*;

use super::RustContainer;
use crate::bindings::lifecycle::{close_sync, raise_together};

impl RustContainer {
    /// Close the container: run every finalizer newest first (`error` is
    /// thrown into generator providers so they can roll back), then release
    /// the singletons. Every finalizer runs; failures are raised together.
    pub(super) fn close_owned(
        &self,
        py: Python<'_>,
        error: Option<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        if !self._begin_close() {
            return Ok(());
        }
        // Scopes still open hold instances built on the singletons: they
        // close first, newest first, and their failures are raised with
        // the container's.
        let mut failures: Vec<PyErr> = Vec::new();
        for scope in self._open_scopes(py) {
            if let Err(err) = scope.call_method1(pyo3::intern!(py, "close"), (error.as_ref(),)) {
                failures.push(err);
            }
        }
        let outcome = close_sync(py, &self.finalizers, error.as_ref(), "container");
        self._release();
        if failures.is_empty() {
            return outcome;
        }
        let mut errors: Vec<Bound<'_, PyAny>> = failures
            .into_iter()
            .map(|e| e.into_value(py).into_bound(py).into_any())
            .collect();
        if let Err(err) = outcome {
            errors.push(err.into_value(py).into_bound(py).into_any());
        }
        raise_together(py, errors, "the container", true)
    }

    /// The scopes opened on this container that are still open, newest
    /// first; the container forgets them (it is closing).
    pub(super) fn open_scopes<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyAny>> {
        let weak = std::mem::take(&mut self.write_scopes().scopes);
        let scopes: Vec<Bound<'py, PyAny>> = weak
            .iter()
            .rev()
            .filter_map(|w| w.bind(py).call0().ok())
            .filter(|s| !s.is_none() && !is_closed_scope(s))
            .collect();
        drop(weak);
        scopes
    }

    /// Remember a scope opened on this container (weakly), so closing the
    /// container closes it first.
    pub(super) fn track_scope(&self, py: Python<'_>, scope: &Bound<'_, PyAny>) -> PyResult<()> {
        let weak = pyo3::types::PyWeakrefReference::new(scope)?
            .into_any()
            .unbind();
        let mut dropped: Vec<Py<PyAny>> = Vec::new();
        {
            let mut state = self.write_scopes();
            if self.is_closed() {
                drop(state);
                return Err(Self::closed_error(py));
            }
            state.scopes.push(weak);
            // Forget closed and collected scopes now and then, so a
            // long-lived container does not accumulate them.
            let count = state.scopes.len();
            if count >= 64 && count.is_power_of_two() {
                dropped = std::mem::take(&mut state.scopes);
            }
        }
        if !dropped.is_empty() {
            let live: Vec<Py<PyAny>> = dropped
                .into_iter()
                .filter(|w| {
                    w.bind(py)
                        .call0()
                        .is_ok_and(|s| !s.is_none() && !is_closed_scope(&s))
                })
                .collect();
            let mut state = self.write_scopes();
            let newer = std::mem::take(&mut state.scopes);
            state.scopes = live;
            state.scopes.extend(newer);
        }
        Ok(())
    }
}

fn is_closed_scope(scope: &Bound<'_, PyAny>) -> bool {
    scope
        .getattr(pyo3::intern!(scope.py(), "closed"))
        .and_then(|c| c.is_truthy())
        .unwrap_or(true)
}
