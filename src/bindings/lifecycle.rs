//! Finalizers: what must run when the owner of an instance (a container or
//! a scope) closes, kept in creation order and run in reverse.

use std::sync::Mutex;

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

/// How an instance is cleaned up.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum FinalizerKind {
    /// A generator provider suspended at its `yield`.
    Generator,
    /// A context-manager class entered on creation.
    ContextManager,
    /// An async generator provider, finalized by `aclose` on the Python side.
    AsyncGenerator,
}

pub(crate) struct Finalizer {
    pub(crate) kind: FinalizerKind,
    pub(crate) handle: Py<PyAny>,
    pub(crate) provides: Py<PyAny>,
}

#[derive(Default)]
pub(crate) struct Finalizers {
    items: Mutex<Items>,
    /// A scope's (else the container's): errors name the owner.
    pub(crate) in_scope: bool,
}

#[derive(Default)]
struct Items {
    list: Vec<Finalizer>,
    /// Set when the owner starts closing: a finalizer pushed after that
    /// would never run, so it is handed back instead.
    sealed: bool,
}

impl Finalizers {
    pub(crate) fn for_scope() -> Self {
        Self {
            items: Mutex::default(),
            in_scope: true,
        }
    }

    /// The error for a resource built while this owner was closing (it has
    /// been finalized, or is being).
    pub(crate) fn closing_error(&self, py: Python<'_>, provides: &Py<PyAny>) -> PyErr {
        let subject = super::keys::subject_name(provides.bind(py));
        let (kind, owner, hint) = if self.in_scope {
            (
                super::errors::ErrorKind::Scope,
                "its scope",
                "resolve inside the scope's block, before it closes, or in a new scope",
            )
        } else {
            (
                super::errors::ErrorKind::Resolution,
                "the container",
                "resolve before closing the container, or from a new one",
            )
        };
        super::errors::DioxideError::new(
            kind,
            format!("{subject} was built while {owner} was closing; it has been finalized"),
        )
        .with_chain(vec![provides.clone_ref(py)])
        .with_hint(hint)
        .into_pyerr(py)
    }

    fn items(&self) -> std::sync::MutexGuard<'_, Items> {
        super::locks::lock(&self.items)
    }

    /// Keep `finalizer` to run at close; handed back when the owner has
    /// begun closing (the caller finalizes it at once).
    pub(crate) fn push(&self, finalizer: Finalizer) -> Result<(), Finalizer> {
        let mut items = self.items();
        if items.sealed {
            return Err(finalizer);
        }
        items.list.push(finalizer);
        Ok(())
    }

    /// Refuse every later `push`: the owner is closing.
    pub(crate) fn seal(&self) {
        self.items().sealed = true;
    }

    /// `seal`, and whether no finalizer waits (none can be added after).
    pub(crate) fn seal_empty(&self) -> bool {
        let mut items = self.items();
        items.sealed = true;
        items.list.is_empty()
    }

    /// Whether the owner has begun closing.
    pub(crate) fn is_sealed(&self) -> bool {
        self.items().sealed
    }

    /// Accept pushes again: the owner, closed and finalized, is reopened.
    pub(crate) fn unseal(&self) {
        self.items().sealed = false;
    }

    /// How many finalizers wait for the owner's close.
    pub(crate) fn len(&self) -> usize {
        self.items().list.len()
    }

    /// Take the newest finalizer out.
    pub(crate) fn pop(&self) -> Option<Finalizer> {
        self.items().list.pop()
    }

    /// Forget every finalizer without running it (`__clear__`).
    pub(crate) fn clear(&self) -> Vec<Finalizer> {
        std::mem::take(&mut self.items().list)
    }

    pub(crate) fn visit(&self, visit: &pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Ok(items) = self.items.try_lock() {
            for f in items.list.iter() {
                visit.call(&f.handle)?;
                visit.call(&f.provides)?;
            }
        }
        Ok(())
    }
}

/// What one round of finalizing left: the failures, and the async
/// finalizer that stopped it (`(provides, handle)`), if one did.
struct Finalized<'py> {
    errors: Vec<Bound<'py, PyAny>>,
    pending: Option<(Bound<'py, PyAny>, Bound<'py, PyAny>)>,
}

/// Run finalizers newest first until an async one comes up, which is
/// handed back (with the type it provides) for the Python side to await
/// before it calls again. `error` (the exception that ended the owner's
/// `with` block, if any) is thrown into generators so they can roll back.
/// Every finalizer runs even when one fails; the failures are returned.
pub(crate) fn finalize_until_async<'py>(
    py: Python<'py>,
    finalizers: &Finalizers,
    error: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let round = finalize_round(py, finalizers, error);
    let errors = PyList::new(py, round.errors)?.into_any();
    match round.pending {
        Some(pending) => PyTuple::new(
            py,
            [errors, PyTuple::new(py, [pending.0, pending.1])?.into_any()],
        ),
        None => PyTuple::new(py, [errors, py.None().into_bound(py)]),
    }
}

/// `finalize_until_async` in Rust values (no tuples to build and read for
/// a synchronous close, which usually finds nothing to finalize).
fn finalize_round<'py>(
    py: Python<'py>,
    finalizers: &Finalizers,
    error: Option<&Bound<'py, PyAny>>,
) -> Finalized<'py> {
    let mut errors = Vec::new();
    while let Some(finalizer) = finalizers.pop() {
        let handle = finalizer.handle.bind(py);
        let outcome = match finalizer.kind {
            FinalizerKind::Generator => finish_generator(py, handle, error),
            FinalizerKind::ContextManager => exit_context(py, handle, error),
            FinalizerKind::AsyncGenerator => {
                return Finalized {
                    errors,
                    pending: Some((
                        finalizer.provides.into_bound(py),
                        finalizer.handle.into_bound(py),
                    )),
                };
            }
        };
        if let Err(err) = outcome {
            super::errors::add_note(
                py,
                &err,
                &format!(
                    "dioxide: raised while finalizing {}",
                    super::keys::subject_name(finalizer.provides.bind(py))
                ),
            );
            errors.push(err.into_value(py).into_bound(py).into_any());
        }
    }
    Finalized {
        errors,
        pending: None,
    }
}

/// Run one synchronous finalizer now: its owner closed while the instance
/// was being built, so the owner will not run it.
pub(crate) fn finalize_now(py: Python<'_>, finalizer: &Finalizer) -> PyResult<()> {
    let handle = finalizer.handle.bind(py);
    match finalizer.kind {
        FinalizerKind::Generator => finish_generator(py, handle, None),
        FinalizerKind::ContextManager => exit_context(py, handle, None),
        FinalizerKind::AsyncGenerator => Ok(()),
    }
}

fn finish_generator(
    py: Python<'_>,
    generator: &Bound<'_, PyAny>,
    error: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let step = match error {
        Some(exc) => generator.call_method1(pyo3::intern!(py, "throw"), (exc,)),
        None => generator.call_method0(pyo3::intern!(py, "__next__")),
    };
    match step {
        Ok(_) => {
            let _ = generator.call_method0(pyo3::intern!(py, "close"));
            Err(pyo3::exceptions::PyRuntimeError::new_err(
                "a generator provider yielded more than once; it must yield exactly one instance",
            ))
        }
        Err(err) if err.is_instance_of::<PyStopIteration>(py) => Ok(()),
        Err(err) => match error {
            // The generator re-raised the error it was given: nothing new to report.
            Some(exc) if err.value(py).is(exc) => Ok(()),
            _ => Err(err),
        },
    }
}

fn exit_context(
    py: Python<'_>,
    manager: &Bound<'_, PyAny>,
    error: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let args = match error {
        Some(exc) => (
            exc.get_type().into_any(),
            exc.clone(),
            exc.getattr(pyo3::intern!(py, "__traceback__"))?,
        ),
        None => (
            py.None().into_bound(py),
            py.None().into_bound(py),
            py.None().into_bound(py),
        ),
    };
    manager.call_method1(pyo3::intern!(py, "__exit__"), args)?;
    Ok(())
}

/// Close an owner (container or scope) synchronously: every finalizer runs
/// newest first, an async one that a synchronous close cannot await counts
/// as a failure, and the failures are raised together at the end.
/// `variable` names the owner in hints (`container`, `scope`).
pub(crate) fn close_sync(
    py: Python<'_>,
    finalizers: &Finalizers,
    error: Option<&Bound<'_, PyAny>>,
    variable: &str,
) -> PyResult<()> {
    let mut errors: Vec<Bound<'_, PyAny>> = Vec::new();
    loop {
        let round = finalize_round(py, finalizers, error);
        errors.extend(round.errors);
        let Some((provides, _)) = round.pending else {
            break;
        };
        let subject = super::keys::subject_name(&provides);
        let refused = super::errors::DioxideError::new(
            super::errors::ErrorKind::Resolution,
            format!("{subject} has an async finalizer, which a synchronous close() cannot run"),
        )
        .with_chain(vec![provides.unbind()])
        .with_hint(format!(
            "close with `await {variable}.aclose()` or `async with`"
        ));
        errors.push(
            refused
                .into_pyerr(py)
                .into_value(py)
                .into_bound(py)
                .into_any(),
        );
    }
    if errors.is_empty() {
        return Ok(());
    }
    let what = if variable == "scope" {
        "a scope"
    } else {
        "the container"
    };
    let outcome = raise_together(py, errors, what, py.version_info() >= (3, 11));
    if let (Err(raised), Some(original)) = (&outcome, error) {
        // Raised from Python, this would chain to the exception that ended
        // the `with` block by itself; raised from here, it is done by hand.
        if raised
            .value(py)
            .getattr(pyo3::intern!(py, "__context__"))
            .is_ok_and(|c| c.is_none())
        {
            raised.set_context(py, Some(PyErr::from_value(original.clone())));
        }
    }
    outcome
}

/// Raise finalizer failures as one: an `ExceptionGroup` when `group` (Python
/// 3.11+); before that, the first failure with the others listed in its notes.
pub(crate) fn raise_together(
    py: Python<'_>,
    errors: Vec<Bound<'_, PyAny>>,
    what: &str,
    group: bool,
) -> PyResult<()> {
    let Some(first) = errors.first() else {
        return Ok(());
    };
    let message = format!("{} finalizer(s) failed while closing {what}", errors.len());
    // Ctrl-C and `sys.exit()` stay what they are once every finalizer ran:
    // the first of them is raised itself, the other failures noted on it.
    let interrupt = errors.iter().position(|e| {
        e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>()
            || e.is_instance_of::<pyo3::exceptions::PySystemExit>()
    });
    if let Some(index) = interrupt {
        let raised = PyErr::from_value(errors[index].clone());
        for (i, other) in errors.iter().enumerate() {
            if i != index {
                let shown = other.repr().map(|r| r.to_string()).unwrap_or_default();
                super::errors::add_note(
                    py,
                    &raised,
                    &format!("dioxide: another finalizer failed while closing {what}: {shown}"),
                );
            }
        }
        return Err(raised);
    }
    if group {
        let group = py
            .import(pyo3::intern!(py, "builtins"))?
            .getattr(pyo3::intern!(py, "BaseExceptionGroup"))?
            .call1((message, PyList::new(py, &errors)?))?;
        return Err(PyErr::from_value(group));
    }
    let others: Vec<String> = errors
        .iter()
        .skip(1)
        .map(|e| e.repr().map(|r| r.to_string()).unwrap_or_default())
        .collect();
    let err = PyErr::from_value(first.clone());
    super::errors::add_note(py, &err, &format!("{message}: {}", others.join(", ")));
    Err(err)
}

/// `raise_together` for the Python side (`aclose`); `group` defaults to
/// what the running Python supports (tests force the older behaviour).
#[pyfunction]
#[pyo3(name = "_raise_together", signature = (errors, what, group=None))]
pub(crate) fn raise_together_py(
    py: Python<'_>,
    errors: Vec<Bound<'_, PyAny>>,
    what: &str,
    group: Option<bool>,
) -> PyResult<()> {
    let group = group.unwrap_or_else(|| py.version_info() >= (3, 11));
    raise_together(py, errors, what, group)
}
