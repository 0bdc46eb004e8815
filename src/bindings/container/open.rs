//! Opening scopes: `create_scope` of containers (here) and of scopes
//! (scope.rs), in the core so that entering a scope runs no Python frame.
//! The scope object itself is made by `scope.rs` (`make_scope`): an
//! instance of the Python `ContainerScope`, without its `__init__`, which
//! tracks a scope made by calling the class.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};

use super::RustContainer;
use crate::bindings::errors::{DioxideError, ErrorKind};

/// Makes a scope object for a container, a parent scope or `None`, and a
/// context dict: `scope.rs`'s `make_scope`, handed over when the module is
/// set up (`set_scope_maker`), since the scope module builds on this one
/// and not the other way round.
pub(crate) type ScopeMaker = for<'py> fn(
    &Bound<'py, PyAny>,
    Option<&Bound<'py, PyAny>>,
    Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>>;

static SCOPE_MAKER: std::sync::OnceLock<ScopeMaker> = std::sync::OnceLock::new();

/// Set how scopes are made (once, when the module is set up).
pub(crate) fn set_scope_maker(maker: ScopeMaker) {
    let _ = SCOPE_MAKER.set(maker);
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
    let Some(make) = SCOPE_MAKER.get() else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "dioxide: scopes cannot be made (the module is not set up)",
        ));
    };
    make(container, parent, context)
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
