//! Opening scopes: `create_scope` of containers (here) and of scopes
//! (scope.rs), in the core so that entering a scope runs no Python frame.
//! The scope class is the Python `ContainerScope`, handed over once when
//! the package is imported (`_set_scope_class`); its `__new__` is called,
//! not its `__init__`, which tracks a scope made by calling the class.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyMapping, PyType};

use super::RustContainer;
use crate::bindings::errors::{DioxideError, ErrorKind};

static SCOPE_CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Makes an instance of the scope class (its first argument) for a
/// container, a parent scope or `None`, and a context dict: `scope.rs`'s
/// `make_scope`, handed over when the module is set up (`set_scope_maker`),
/// since the scope module builds on this one and not the other way round.
pub(crate) type ScopeMaker = for<'py> fn(
    &Bound<'py, PyType>,
    &Bound<'py, PyAny>,
    Option<&Bound<'py, PyAny>>,
    Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>>;

static SCOPE_MAKER: std::sync::OnceLock<ScopeMaker> = std::sync::OnceLock::new();

/// Set how scopes are made (once, when the module is set up).
pub(crate) fn set_scope_maker(maker: ScopeMaker) {
    let _ = SCOPE_MAKER.set(maker);
}

/// Remember the class scopes are made of (`dioxide.ContainerScope`).
#[pyfunction]
pub(crate) fn _set_scope_class(py: Python<'_>, cls: Py<PyAny>) -> PyResult<()> {
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
    // Made as the class's `__new__` (inherited from `RustScope`) makes an
    // instance, without calling its `__init__`, which tracks a scope made
    // by calling the class: the opener tracks this one itself.
    let class = class.bind(py).cast::<PyType>()?;
    let Some(make) = SCOPE_MAKER.get() else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "dioxide: scopes cannot be made (the module is not set up)",
        ));
    };
    make(class, container, parent, context)
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
