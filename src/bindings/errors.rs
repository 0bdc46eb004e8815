//! Rendering domain errors as dioxide exceptions.
//!
//! The exception classes are defined in Python (`dioxide/exceptions.py`, so
//! they can inherit from both `DioxideError` and a builtin) and handed to
//! this module once at import through `install_exceptions`.

use pyo3::exceptions::{PyAttributeError, PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use super::keys::display_name;

/// The dioxide exception classes, by role.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    NotRegistered,
    Duplicate,
    Circular,
    Resolution,
    InvalidInput,
    Scope,
    Captive,
    Ambiguous,
}

impl ErrorKind {
    fn python_name(self) -> &'static str {
        match self {
            Self::NotRegistered => "DependencyNotRegisteredError",
            Self::Duplicate => "DuplicateRegistrationError",
            Self::Circular => "CircularDependencyError",
            Self::Resolution => "ResolutionError",
            Self::InvalidInput => "DioxideTypeError",
            Self::Scope => "ScopeError",
            Self::Captive => "CaptiveDependencyError",
            Self::Ambiguous => "AmbiguousProviderError",
        }
    }

    fn builtin(self, message: String) -> PyErr {
        match self {
            Self::NotRegistered => PyKeyError::new_err(message),
            Self::Duplicate | Self::Circular | Self::Ambiguous => PyValueError::new_err(message),
            Self::InvalidInput => PyTypeError::new_err(message),
            Self::Resolution | Self::Scope | Self::Captive => PyRuntimeError::new_err(message),
        }
    }
}

static EXCEPTIONS: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// Called by `dioxide.exceptions` at import with `{class name: class}`.
#[pyfunction]
pub(crate) fn install_exceptions(py: Python<'_>, classes: Bound<'_, PyDict>) -> PyResult<()> {
    let owned = classes.unbind();
    let _ = EXCEPTIONS.set(py, owned);
    Ok(())
}

/// A dioxide exception with its structured fields.
pub(crate) struct DioxideError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    pub(crate) chain: Vec<Py<PyAny>>,
    /// How to show each `chain` entry; computed from the objects when empty.
    pub(crate) names: Vec<String>,
    pub(crate) hint: Option<String>,
    /// Further attributes of the exception (`candidates`, ...).
    pub(crate) extra: Vec<(&'static str, Py<PyAny>)>,
}

impl DioxideError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            chain: Vec::new(),
            names: Vec::new(),
            hint: None,
            extra: Vec::new(),
        }
    }

    pub(crate) fn with_names(mut self, names: Vec<String>) -> Self {
        self.names = names;
        self
    }

    pub(crate) fn with_extra(mut self, name: &'static str, value: Py<PyAny>) -> Self {
        self.extra.push((name, value));
        self
    }

    fn chain_names(&self, py: Python<'_>) -> Vec<String> {
        if self.names.len() == self.chain.len() {
            return self.names.clone();
        }
        self.chain
            .iter()
            .map(|t| display_name(t.bind(py)))
            .collect()
    }

    pub(crate) fn with_chain(mut self, chain: Vec<Py<PyAny>>) -> Self {
        self.chain = chain;
        self
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn into_pyerr(self, py: Python<'_>) -> PyErr {
        let Some(classes) = EXCEPTIONS.get(py) else {
            return self.kind.builtin(self.plain_text(py));
        };
        // The Python class renders chain and hint itself (one formatter for
        // errors raised on both sides of the boundary).
        let build = || -> PyResult<PyErr> {
            let class = classes
                .bind(py)
                .get_item(self.kind.python_name())?
                .ok_or_else(|| PyRuntimeError::new_err("dioxide exception class missing"))?;
            let kwargs = PyDict::new(py);
            let chain = PyList::new(py, self.chain.iter().map(|t| t.bind(py)))?;
            kwargs.set_item("requested", chain.get_item(0).ok())?;
            kwargs.set_item("chain", chain)?;
            kwargs.set_item("hint", self.hint.as_deref())?;
            kwargs.set_item("names", self.chain_names(py))?;
            let instance = class.call((self.message.as_str(),), Some(&kwargs))?;
            for (name, value) in &self.extra {
                instance.setattr(*name, value.bind(py))?;
            }
            Ok(PyErr::from_value(instance))
        };
        build().unwrap_or_else(|err| err)
    }

    /// The message for builtin exceptions, used only before
    /// `dioxide.exceptions` has installed its classes.
    fn plain_text(&self, py: Python<'_>) -> String {
        let mut text = self.message.clone();
        if self.chain.len() > 1 {
            text.push_str("\n  chain: ");
            text.push_str(&self.chain_names(py).join(" -> "));
        }
        if let Some(hint) = &self.hint {
            text.push_str("\n  hint: ");
            text.push_str(hint);
        }
        text
    }
}

pub(crate) fn render_chain(py: Python<'_>, chain: &[Py<PyAny>]) -> String {
    chain
        .iter()
        .map(|t| {
            // A configuration value stands in a chain as its name.
            match t.bind(py).cast::<pyo3::types::PyString>() {
                Ok(name) => format!("value {:?}", name.to_string()),
                Err(_) => display_name(t.bind(py)),
            }
        })
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// `BaseException.add_note`, with the `__notes__` fallback of Python < 3.11.
pub(crate) fn add_note(py: Python<'_>, err: &PyErr, note: &str) {
    let value = err.value(py);
    match value.call_method1(pyo3::intern!(py, "add_note"), (note,)) {
        Ok(_) => {}
        Err(e) if e.is_instance_of::<PyAttributeError>(py) => {
            let notes = match value.getattr(pyo3::intern!(py, "__notes__")) {
                Ok(existing) => existing,
                Err(_) => {
                    let fresh = PyList::empty(py).into_any();
                    let _ = value.setattr(pyo3::intern!(py, "__notes__"), &fresh);
                    fresh
                }
            };
            let _ = notes.call_method1(pyo3::intern!(py, "append"), (note,));
        }
        Err(_) => {}
    }
}
