//! `_RustLazy`: the handle behind `dioxide.Lazy[T]`. A plan hands it the
//! owner that built the dependant (its container, and its scope unless a
//! singleton holds it), so `get()` resolves `T` where the dependant lives.

use std::sync::Arc;

use dioxide_core::Key;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use super::container::RustContainer;
use super::errors::{DioxideError, ErrorKind};
use super::keys::display_name;
use super::owner::ScopeState;
use super::resume::Resolution;

#[pyclass(name = "_RustLazy", module = "dioxide._dioxide_core", frozen)]
pub(crate) struct RustLazy {
    container: Py<RustContainer>,
    scope: Option<Arc<ScopeState>>,
    /// What it resolves: `type_`, or a qualified key of it (`Named`).
    key: Key,
    type_: Py<PyAny>,
}

impl RustLazy {
    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self
            .scope
            .as_ref()
            .is_some_and(|s| s.finalizers.is_sealed())
        {
            let name = display_name(self.type_.bind(py));
            return Err(DioxideError::new(
                ErrorKind::Scope,
                format!("Lazy[{name}] cannot resolve: the scope that built its holder is closed"),
            )
            .with_chain(vec![self.type_.clone_ref(py)])
            .with_hint("call .get() while the scope is open, or inject the instance itself")
            .into_pyerr(py));
        }
        Ok(())
    }
}

#[pymethods]
impl RustLazy {
    /// Resolve the type now, from the owner that built the holder.
    fn get(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        RustContainer::resolve_key_with(
            self.container.bind(py),
            self.key,
            self.type_.bind(py),
            self.scope.as_ref(),
        )
    }

    /// The awaitable behind `Lazy.aget()`; `task` as for `aresolve`.
    fn _aget(&self, py: Python<'_>, task: u64) -> PyResult<Resolution> {
        self.check_open(py)?;
        RustContainer::aresolve_key_with(
            self.container.bind(py),
            self.key,
            self.type_.bind(py),
            self.scope.clone(),
            task,
        )
    }

    /// The type this handle resolves.
    #[getter]
    fn r#type(&self, py: Python<'_>) -> Py<PyAny> {
        self.type_.clone_ref(py)
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.container)?;
        visit.call(&self.type_)
    }
}

/// The class users see (`dioxide.Lazy`), which wraps the handle.
static LAZY_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A `dioxide.Lazy` resolving `key` (of `type_`) from `container` (and `scope`).
pub(crate) fn deferred_handle(
    py: Python<'_>,
    container: Py<RustContainer>,
    scope: Option<Arc<ScopeState>>,
    key: Key,
    type_: Py<PyAny>,
) -> PyResult<Py<PyAny>> {
    let class = LAZY_CLASS.import(py, "dioxide._deferred", "Lazy")?;
    let core = Py::new(
        py,
        RustLazy {
            container,
            scope,
            key,
            type_,
        },
    )?;
    Ok(class
        .call_method1(pyo3::intern!(py, "_bind"), (core,))?
        .unbind())
}
