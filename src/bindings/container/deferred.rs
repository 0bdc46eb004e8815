//! The methods of `_RustDeferred` (see `bindings::deferred`): they resolve
//! through the container the handle was made by.

use pyo3::prelude::*;

use super::RustContainer;
use crate::bindings::deferred::RustDeferred;
use crate::bindings::resume::Resolution;

impl RustDeferred {
    fn source<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, RustContainer>> {
        Ok(self.container.bind(py).cast::<RustContainer>()?.clone())
    }
}

#[pymethods]
impl RustDeferred {
    /// Resolve the handle's key now, from the owner that built the holder.
    fn get(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        RustContainer::resolve_key_with(
            &self.source(py)?,
            self.key,
            self.type_.bind(py),
            self.scope.as_ref(),
        )
    }

    /// The awaitable behind `Lazy.aget()`; `task` as for `aresolve`.
    fn _aget(&self, py: Python<'_>, task: u64) -> PyResult<Resolution> {
        self.check_open(py)?;
        RustContainer::aresolve_key_with(
            &self.source(py)?,
            self.key,
            self.type_.bind(py),
            self.scope.clone(),
            task,
        )
    }

    /// Resolve another type from the same owner (a factory's arguments).
    fn resolve(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        RustContainer::resolve_with(&self.source(py)?, type_, self.scope.as_ref())
    }

    /// The container it resolves from.
    #[getter]
    fn _container(&self, py: Python<'_>) -> Py<PyAny> {
        self.container.clone_ref(py)
    }

    /// The type this handle stands for.
    #[getter]
    fn r#type(&self, py: Python<'_>) -> Py<PyAny> {
        self.type_.clone_ref(py)
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.container)?;
        visit.call(&self.type_)
    }
}
