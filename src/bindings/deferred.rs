//! `_RustDeferred`: the handle behind `dioxide.Lazy[T]` and an injected
//! `dioxide.Factory[T]`. A plan hands it the owner that built the dependant
//! (its container, and its scope unless a singleton holds it), so what it
//! resolves later is resolved where the dependant lives. Its methods, which
//! resolve through the container, are in `container::deferred`.

use std::sync::Arc;

use dioxide_core::{Deferral, Key};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use super::errors::{DioxideError, ErrorKind};
use super::keys::display_name;
use super::owner::ScopeState;

#[pyclass(name = "_RustDeferred", module = "dioxide._dioxide_core", frozen)]
pub(crate) struct RustDeferred {
    /// The `_RustContainer` it resolves from.
    pub(crate) container: Py<PyAny>,
    pub(crate) scope: Option<Arc<ScopeState>>,
    /// What it stands for: `type_`, or a qualified key of it (`Named`).
    pub(crate) key: Key,
    pub(crate) type_: Py<PyAny>,
}

impl RustDeferred {
    /// Refused once the scope that built the holder has closed.
    pub(crate) fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self
            .scope
            .as_ref()
            .is_some_and(|s| s.finalizers.is_sealed())
        {
            let name = display_name(self.type_.bind(py));
            return Err(DioxideError::new(
                ErrorKind::Scope,
                format!(
                    "the handle for {name} cannot resolve: the scope that built its holder \
                     is closed"
                ),
            )
            .with_chain(vec![self.type_.clone_ref(py)])
            .with_hint("use it while the scope is open, or inject the instance itself")
            .into_pyerr(py));
        }
        Ok(())
    }
}

/// The classes users see, which wrap the handle.
static LAZY_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FACTORY_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A `dioxide.Lazy` or `dioxide.Factory` for `key` (of `type_`), bound to
/// `container` (and `scope`).
pub(crate) fn deferred_handle(
    py: Python<'_>,
    container: Py<PyAny>,
    scope: Option<Arc<ScopeState>>,
    key: Key,
    type_: Py<PyAny>,
    how: Deferral,
) -> PyResult<Py<PyAny>> {
    let class = match how {
        Deferral::Lazy => LAZY_CLASS.import(py, "dioxide._deferred", "Lazy")?,
        Deferral::Factory => FACTORY_CLASS.import(py, "dioxide._factory", "Factory")?,
    };
    let core = Py::new(
        py,
        RustDeferred {
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
