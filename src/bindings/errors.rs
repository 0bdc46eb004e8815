//! Rendering domain errors as dioxide exceptions.
//!
//! The exception classes are defined in Python (`dioxide/exceptions.py`, so
//! they can inherit from both `DioxideError` and a builtin) and handed to
//! this module once at import through `install_exceptions`.

use std::collections::HashMap;

use dioxide_core::{DomainError, Key};
use pyo3::exceptions::{PyAttributeError, PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use super::keys::{chain_object, display_name, is_interface, key_name, named_parts, value_name};

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
        .map(|t| display_name(t.bind(py)))
        .collect::<Vec<_>>()
        .join(" -> ")
}

/// The keys an error mentions, so the caller can look up their types while
/// it holds the registry and render after letting go of it.
pub(crate) fn keys_of(err: &DomainError) -> Vec<Key> {
    match err {
        DomainError::NotRegistered { chain, .. }
        | DomainError::Pending { chain, .. }
        | DomainError::Captive { chain }
        | DomainError::AsyncInSync { chain }
        | DomainError::NeedsScope { chain } => chain.clone(),
        DomainError::Cycle { cycle } => cycle.clone(),
        DomainError::Ambiguous { chain, candidates } => {
            chain.iter().chain(candidates).copied().collect()
        }
    }
}

/// Turn a domain error into the dioxide exception a user sees.
pub(crate) fn render(
    py: Python<'_>,
    err: &DomainError,
    types: &HashMap<Key, Py<PyAny>>,
) -> DioxideError {
    let name = |key: &Key| key_name(py, *key, types);
    let with_chain = |error: DioxideError, chain: &[Key]| {
        error
            .with_chain(chain.iter().map(|k| chain_object(py, *k, types)).collect())
            .with_names(chain.iter().map(name).collect())
    };
    match err {
        DomainError::NotRegistered {
            chain,
            missing,
            param,
        } => {
            let missing_name = name(missing);
            let requested = chain.first().map(name).unwrap_or_default();
            let parent = chain
                .len()
                .checked_sub(2)
                .and_then(|i| chain.get(i))
                .map(name);
            let (message, hint) = match (value_name(py, *missing), parent, param) {
                (Some(value), Some(parent), Some(param)) => (
                    format!("cannot resolve {requested}: {parent} needs the value {value:?} for parameter '{param}', but it is not set"),
                    format!("set it with container.register_value({value:?}, ...)"),
                ),
                (Some(value), _, _) => (
                    format!("the value {value:?} is not set"),
                    format!("set it with container.register_value({value:?}, ...)"),
                ),
                (None, Some(parent), Some(param)) => (
                    format!(
                        "cannot resolve {requested}: {parent} needs {missing_name} for parameter '{param}', \
                         but no provider is registered for it"
                    ),
                    missing_hint(py, *missing, &missing_name, types),
                ),
                (None, Some(parent), None) => (
                    format!("cannot resolve {requested}: {parent} needs {missing_name}, but no provider is registered for it"),
                    missing_hint(py, *missing, &missing_name, types),
                ),
                (None, None, _) => (
                    format!("no provider is registered for {missing_name}"),
                    missing_hint(py, *missing, &missing_name, types),
                ),
            };
            with_chain(DioxideError::new(ErrorKind::NotRegistered, message), chain).with_hint(hint)
        }
        DomainError::Pending { chain, unresolved } => {
            let waiting = chain.last().map(name).unwrap_or_default();
            let requested = chain.first().map(name).unwrap_or_default();
            let function = chain
                .last()
                .is_some_and(|k| !super::keys::is_type(chain_object(py, *k, types).bind(py)));
            let annotated = if function {
                format!("the provider function {waiting}() refers")
            } else {
                format!("the constructor of {waiting} refers")
            };
            with_chain(
                DioxideError::new(
                    ErrorKind::NotRegistered,
                    format!(
                        "cannot resolve {requested}: {annotated} to '{unresolved}', which is not \
                         defined"
                    ),
                ),
                chain,
            )
            .with_hint(format!(
                "define or import '{unresolved}' in the module of {waiting} and decorate it; \
                 dioxide wires {waiting} as soon as the annotation can be evaluated"
            ))
        }
        DomainError::Cycle { cycle } => {
            let names: Vec<String> = cycle.iter().map(name).collect();
            let message = if cycle.len() == 2 {
                format!(
                    "circular dependency: {} depends on itself",
                    names.first().cloned().unwrap_or_default()
                )
            } else {
                format!("circular dependency: {}", names.join(" -> "))
            };
            with_chain(DioxideError::new(ErrorKind::Circular, message), cycle).with_hint(
                "no class in a cycle can be built first: remove one of these dependencies \
                 from its constructor (or provider function), and hand that object over after \
                 construction instead, e.g. set it as an attribute once both exist",
            )
        }
        DomainError::Captive { chain } => {
            let holder = chain.first().map(name).unwrap_or_default();
            let scoped = chain.last().map(name).unwrap_or_default();
            with_chain(
                DioxideError::new(
                    ErrorKind::Captive,
                    format!(
                        "singleton {holder} depends on scoped {scoped}: the singleton would keep \
                         the first scope's {scoped} alive in every later scope"
                    ),
                ),
                chain,
            )
            .with_hint(format!(
                "make {holder} scoped or transient, or make {scoped} a singleton"
            ))
        }
        DomainError::NeedsScope { chain } => {
            let scoped = chain.last().map(name).unwrap_or_default();
            let subject = match chain.last().map(|k| chain_object(py, *k, types)) {
                Some(object) => super::keys::subject_name(object.bind(py)),
                None => scoped.clone(),
            };
            with_chain(
                DioxideError::new(
                    ErrorKind::Scope,
                    format!("{subject} is scoped, so it can only be resolved inside a scope"),
                ),
                chain,
            )
            .with_hint(format!(
                "use `with container.create_scope() as scope: scope.resolve(...)`, \
                 or register {scoped} as a singleton or transient"
            ))
        }
        DomainError::AsyncInSync { chain } => {
            let what = match chain.last().map(|k| chain_object(py, *k, types)) {
                Some(object) if super::keys::is_type(object.bind(py)) => {
                    format!("{} has an async provider", display_name(object.bind(py)))
                }
                Some(object) => format!(
                    "{} is an async provider",
                    super::keys::subject_name(object.bind(py))
                ),
                None => "an async provider".to_owned(),
            };
            with_chain(
                DioxideError::new(
                    ErrorKind::Resolution,
                    format!("{what}, so it cannot be built by the synchronous resolve()"),
                ),
                chain,
            )
            .with_hint("use `await container.aresolve(...)` (or `await scope.aresolve(...)`)")
        }
        DomainError::Ambiguous { chain, candidates } => {
            let requested = chain.first().map(name).unwrap_or_default();
            let interface = chain.last().map(name).unwrap_or_default();
            let listed: Vec<String> = candidates.iter().map(name).collect();
            let message = if chain.len() > 1 {
                format!(
                    "cannot resolve {requested}: {interface} has {} implementations and nothing says which: {}",
                    candidates.len(),
                    listed.join(", ")
                )
            } else {
                format!(
                    "{interface} has {} implementations and nothing says which: {}",
                    candidates.len(),
                    listed.join(", ")
                )
            };
            let objects: Vec<Py<PyAny>> = candidates
                .iter()
                .map(|k| chain_object(py, *k, types))
                .collect();
            let candidates_list = PyList::new(py, objects.iter().map(|o| o.bind(py)))
                .map(|l| l.into_any().unbind())
                .unwrap_or_else(|_| py.None());
            with_chain(DioxideError::new(ErrorKind::Ambiguous, message), chain)
                .with_extra("candidates", candidates_list)
                .with_hint(format!(
                    "name them (@component(provides={interface}, name=\"...\")) and ask for one with \
                     Annotated[{interface}, Named(\"...\")], register one explicitly with \
                     container.register_class({interface}, ...), or inject list[{interface}] to get them all"
                ))
        }
    }
}

/// What to do about a missing provider: a named implementation or an
/// interface (a Protocol, an ABC) is provided by an implementation, so the
/// hint says how to declare one; a plain class by decorating or registering
/// it.
fn missing_hint(
    py: Python<'_>,
    missing: Key,
    missing_name: &str,
    types: &HashMap<Key, Py<PyAny>>,
) -> String {
    if let Some((interface, qualifier)) = named_parts(py, missing) {
        let interface = display_name(interface.bind(py));
        return format!(
            "give the implementation of {interface} that name: @component(provides={interface}, name={qualifier:?})"
        );
    }
    match types.get(&missing) {
        Some(type_) if is_interface(type_.bind(py)) => format!(
            "{missing_name} is an interface: decorate an implementation with \
             @component(provides={missing_name}) or @singleton(provides={missing_name}), \
             or register one with container.register_class({missing_name}, Implementation)"
        ),
        _ => register_hint(missing_name),
    }
}

/// The hint for a type that only containers of other profiles see.
pub(crate) fn profile_hint(missing: &str, profiles: &[String], current: Option<&str>) -> String {
    let listed: Vec<String> = profiles.iter().map(|p| format!("{p:?}")).collect();
    let marked = match listed.as_slice() {
        [one] => format!("profile {one}"),
        _ => format!("profiles {}", listed.join(", ")),
    };
    let first = listed.first().cloned().unwrap_or_default();
    match current {
        None => format!(
            "{missing} is provided only in {marked}, and this container has no profile: \
             create it with Container(profile={first})"
        ),
        Some(current) => format!(
            "{missing} is provided only in {marked}, and this container's profile is {current:?}: \
             create it with Container(profile={first}), or provide {missing} for {current:?} too"
        ),
    }
}

/// The hint for an interface whose implementations all have names.
pub(crate) fn named_only_hint(interface: &str, names: &[String]) -> String {
    let listed: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    let first = listed.first().cloned().unwrap_or_default();
    format!(
        "every implementation of {interface} has a name ({}): ask for one with \
         Annotated[{interface}, Named({first})], or inject list[{interface}] to get them all",
        listed.join(", ")
    )
}

fn register_hint(missing: &str) -> String {
    format!(
        "decorate {missing} with @component or @singleton, or register it on the \
         container with register_class({missing}, ...), \
         register_instance({missing}, ...) or register_factory({missing}, ...)"
    )
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
