//! `_RustScope`: the instances of one scope (a request, a job) and their
//! finalizers. Singletons and plans stay with the container.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::container::RustContainer;
use super::errors::{DioxideError, ErrorKind};
use super::lifecycle::{close_sync, finalize_until_async};
use super::owner::ScopeState;

#[pyclass(
    name = "_RustScope",
    module = "dioxide._dioxide_core",
    subclass,
    frozen
)]
pub(crate) struct RustScope {
    container: Py<RustContainer>,
    state: Arc<ScopeState>,
    closed: AtomicBool,
}

impl RustScope {
    pub(crate) fn new(container: Py<RustContainer>) -> Self {
        Self {
            container,
            state: Arc::default(),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn resolve_in_scope(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        RustContainer::resolve_with(self.container.bind(py), type_, Some(&self.state))
    }

    /// A singleton built in the container, while the scope is open (see
    /// `RustContainer::cached`).
    pub(crate) fn cached(&self, py: Python<'_>, key: dioxide_core::Key) -> Option<Py<PyAny>> {
        if self.closed.load(Ordering::Acquire) {
            return None;
        }
        self.container.get().cached(py, key)
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(DioxideError::new(ErrorKind::Scope, "this scope is closed")
                .with_hint(
                    "create a new scope with `container.create_scope()` for the next unit of work",
                )
                .into_pyerr(py));
        }
        Ok(())
    }
}

#[pymethods]
impl RustScope {
    #[new]
    fn py_new(py: Python<'_>, container: Py<RustContainer>) -> PyResult<Self> {
        if container.get().is_closed() {
            return Err(RustContainer::closed_error(py));
        }
        Ok(Self::new(container))
    }

    /// The awaitable behind `ContainerScope.aresolve` (see the container's).
    fn _aresolve(
        slf: &Bound<'_, Self>,
        type_: &Bound<'_, PyAny>,
        task: u64,
    ) -> PyResult<crate::bindings::resume::Resolution> {
        let py = slf.py();
        let this = slf.get();
        this.check_open(py)?;
        RustContainer::aresolve_with(
            this.container.bind(py),
            type_,
            Some(Arc::clone(&this.state)),
            task,
        )
    }

    /// Resolve `type_` in this scope: scoped instances are cached here,
    /// singletons come from the container.
    fn resolve(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.resolve_in_scope(py, type_)
    }

    /// `scope[T]`: `scope.resolve(T)` (the slot runs fast.rs's function).
    fn __getitem__(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.resolve_in_scope(py, type_)
    }

    /// Register an async generator to be finalized when the scope closes.
    /// Refused once the scope has closed (its finalizers have run or are
    /// running): the caller then finalizes the generator itself.
    fn _push_async_finalizer(
        &self,
        py: Python<'_>,
        type_: Py<PyAny>,
        handle: Py<PyAny>,
    ) -> PyResult<()> {
        self.check_open(py)?;
        let finalizer = super::lifecycle::Finalizer {
            kind: super::lifecycle::FinalizerKind::AsyncGenerator,
            handle,
            provides: type_,
        };
        if self.state.finalizers.push(finalizer).is_err() {
            self.check_open(py)?;
        }
        Ok(())
    }

    #[getter]
    fn _container(&self, py: Python<'_>) -> Py<RustContainer> {
        self.container.clone_ref(py)
    }

    /// `True` once the scope is closed; a closed scope refuses to resolve.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Close the scope: run its finalizers newest first (`error` is thrown
    /// into generator providers so they can roll back), then drop its
    /// instances. Every finalizer runs; failures are raised together.
    #[pyo3(signature = (error=None))]
    fn close(&self, py: Python<'_>, error: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        if !self._begin_close() {
            return Ok(());
        }
        let outcome = close_sync(py, &self.state.finalizers, error.as_ref(), "scope");
        drop(self.state.take_cells());
        outcome
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leaving the `with` block closes the scope, handing its exception to
    /// generator providers.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        self.close(py, (!exc.is_none()).then(|| exc.clone()))?;
        Ok(false)
    }

    /// Mark the scope closed; `False` when it already was.
    fn _begin_close(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::AcqRel);
        self.state.finalizers.seal();
        first
    }

    /// Run finalizers newest first up to the next async one; see
    /// `lifecycle::finalize_until_async`.
    #[pyo3(signature = (error=None))]
    fn _finalize<'py>(
        &self,
        py: Python<'py>,
        error: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        finalize_until_async(py, &self.state.finalizers, error.as_ref())
    }

    /// How many finalizers wait for the scope's close (an integration
    /// closes a scope with none inline, else in a worker thread).
    fn _finalizer_count(&self) -> usize {
        self.state.finalizers.len()
    }

    /// Drop the scope's instances.
    fn _release(&self) {
        drop(self.state.take_cells());
    }

    /// `T in scope`: whether `T` has a provider in the scope's container.
    fn __contains__(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.container.get().__contains__(py, type_)
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.container)?;
        if let Ok(cells) = self.state.cells.try_lock() {
            for value in cells.values().filter_map(|c| c.get()) {
                visit.call(value)?;
            }
        }
        self.state.finalizers.visit(&visit)
    }

    fn __clear__(&self) {
        drop(self.state.take_cells());
        drop(self.state.finalizers.clear());
    }
}
