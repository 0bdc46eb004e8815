//! Opening scopes: `create_scope` of containers (here) and of scopes
//! (scope.rs), in the core so that entering a scope runs no Python frame.
//! The scope class is the Python `ContainerScope`, handed over once when
//! the package is imported (`_set_scope_class`); its `__new__` is called,
//! not its `__init__`, which tracks a scope made by calling the class.

use pyo3::prelude::*;
use pyo3::pyclass_init::PyClassInitializer;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyMapping, PyType};

use super::RustContainer;
use crate::bindings::errors::{DioxideError, ErrorKind};
use crate::bindings::scope::RustScope;

static SCOPE_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Remember the class scopes are made of (`dioxide.ContainerScope`).
#[pyfunction]
pub(crate) fn _set_scope_class(py: Python<'_>, cls: Py<PyAny>) -> PyResult<()> {
    let is_scope_class = cls
        .bind(py)
        .cast::<PyType>()
        .is_ok_and(|c| c.is_subclass_of::<RustScope>().unwrap_or(false));
    if !is_scope_class {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "the scope class must be a subclass of _RustScope",
        ));
    }
    SCOPE_CLASS
        .set(py, cls)
        .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the scope class is set already"))
}

/// Make a scope of `container`, opened in `parent` (`None`: the first
/// level), with `context` (a mapping of types to values, or `None`);
/// `owner` is the container or the scope that opens it, for the error's
/// hint. The scope still has to be tracked by its opener.
pub(crate) fn new_scope<'py>(
    container: &Bound<'py, PyAny>,
    parent: Option<&Bound<'py, PyAny>>,
    context: Option<&Bound<'py, PyAny>>,
    owner: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let py = container.py();
    let context = match context {
        None => None,
        Some(mapping) if mapping.is_none() => None,
        Some(mapping) => {
            let Ok(mapping) = mapping.cast::<PyMapping>() else {
                let shown = mapping
                    .repr()
                    .map_or_else(|_| "an object".to_owned(), |r| r.to_string());
                return Err(DioxideError::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "create_scope(context=...) takes a mapping of types to values, got {shown}"
                    ),
                )
                .with_hint(format!(
                    "e.g. {owner}.create_scope(context={{CurrentUser: user}})"
                ))
                .into_pyerr(py));
            };
            let copy = PyDict::new(py);
            copy.update(mapping)?;
            Some(copy)
        }
    };
    let Some(class) = SCOPE_CLASS.get(py) else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "dioxide: the scope class is not set (import dioxide first)",
        ));
    };
    // An instance of the scope class, made as its `__new__` (inherited
    // from `RustScope`) makes one, without the argument tuple and parsing;
    // not its `__init__`, which tracks a scope made by calling the class:
    // the opener tracks this one itself, with no Python frame.
    let class = class.bind(py).cast::<PyType>()?;
    let value = RustScope::build(
        py,
        container.cast::<RustContainer>()?.clone().unbind(),
        parent
            .map(|p| p.cast::<RustScope>().map(|p| p.clone().unbind()))
            .transpose()?,
        context,
    )?;
    // SAFETY: `class` is a live subclass of `RustScope` (checked when it
    // was set); `tp_new_impl` allocates an instance of it holding `value`
    // and returns a new reference.
    unsafe {
        let object = pyo3::impl_::pymethods::tp_new_impl(
            py,
            PyClassInitializer::from(value),
            class.as_type_ptr(),
        )?;
        Ok(Bound::from_owned_ptr(py, object))
    }
}

impl RustContainer {
    /// `create_scope`: a scope of the first level, tracked so that closing
    /// the container closes it first.
    pub(super) fn open_scope<'py>(
        slf: &Bound<'py, Self>,
        context: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let scope = new_scope(slf.as_any(), None, context, "container")?;
        slf.get().track_scope(slf.py(), &scope)?;
        Ok(scope)
    }
}
