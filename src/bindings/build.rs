//! Calling one provider and applying its lifecycle protocol: generators and
//! context managers are entered, and handed to their owner to finalize.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::construct::{ArgVector, FIRST_ARG};
use super::errors::{DioxideError, ErrorKind};
use super::keys::subject_name;
use super::lifecycle::{Finalizer, FinalizerKind, Finalizers};
use super::plan::{ExecNode, Kind, Values};

/// Call the provider with its arguments and apply its lifecycle protocol;
/// generators and context managers are handed to `owner` to finalize.
/// The node's arguments are `values[base..]`; they are consumed.
pub(crate) fn build<'f>(
    py: Python<'_>,
    node: &ExecNode,
    values: &mut Values,
    base: usize,
    owner: impl FnOnce() -> &'f Finalizers,
) -> PyResult<Py<PyAny>> {
    match node.kind {
        Kind::Alias => return Ok(values.pop().unwrap_or_else(|| py.None())),
        Kind::Collection => return Ok(PyList::new(py, values.drain(base..))?.into_any().unbind()),
        _ => {}
    }
    let produced = call(py, node, values, base)?;
    match node.kind {
        Kind::Generator => {
            let value = match produced.call_method0(pyo3::intern!(py, "__next__")) {
                Ok(value) => value,
                Err(err) if err.is_instance_of::<PyStopIteration>(py) => {
                    let what = if super::keys::is_key(node.provides.bind(py)) {
                        format!(
                            "the generator provider of {}",
                            subject_name(node.provides.bind(py))
                        )
                    } else {
                        format!(
                            "the generator provider {}",
                            subject_name(node.provides.bind(py))
                        )
                    };
                    return Err(DioxideError::new(
                        ErrorKind::Resolution,
                        format!("{what} returned without yielding an instance"),
                    )
                    .with_hint("a generator provider must `yield` exactly one instance")
                    .into_pyerr(py));
                }
                Err(err) => return Err(err),
            };
            keep(
                py,
                owner(),
                Finalizer {
                    kind: FinalizerKind::Generator,
                    handle: produced.unbind(),
                    provides: node.provides.clone_ref(py),
                },
            )?;
            Ok(value.unbind())
        }
        Kind::ContextManager => {
            let value = produced.call_method0(pyo3::intern!(py, "__enter__"))?;
            keep(
                py,
                owner(),
                Finalizer {
                    kind: FinalizerKind::ContextManager,
                    handle: produced.unbind(),
                    provides: node.provides.clone_ref(py),
                },
            )?;
            Ok(value.unbind())
        }
        _ => Ok(produced.unbind()),
    }
}

/// Hand a built resource's finalizer to its owner. When the owner began
/// closing while the resource was being built, nobody would finalize it
/// later: it is finalized now and the resolve fails.
fn keep(py: Python<'_>, owner: &Finalizers, finalizer: Finalizer) -> PyResult<()> {
    let Err(refused) = owner.push(finalizer) else {
        return Ok(());
    };
    let cleanup = super::lifecycle::finalize_now(py, &refused);
    let error = owner.closing_error(py, &refused.provides);
    if let Err(failed) = cleanup {
        error.set_cause(py, Some(failed));
    }
    Err(error)
}

/// Call the provider with no arguments (a plain class is built directly).
#[inline]
pub(crate) fn call0<'py>(py: Python<'py>, node: &ExecNode) -> PyResult<Bound<'py, PyAny>> {
    let target = node.target.bind(py);
    match node.direct.as_ref().and_then(|d| d.construct0(target)) {
        Some(result) => result,
        None => target.call0(),
    }
}

/// Call the provider with `values[base..]` (consumed): by position while
/// allowed, then by keyword, as one vectorcall on the values where they are
/// (no argument tuple or keyword dict); a plain class is built directly.
pub(crate) fn call<'py>(
    py: Python<'py>,
    node: &ExecNode,
    values: &mut Values,
    base: usize,
) -> PyResult<Bound<'py, PyAny>> {
    if values.len() <= base {
        // No arguments: nothing to gather or to consume.
        return call0(py, node);
    }
    let target = node.target.bind(py);
    let mut argv: ArgVector = smallvec::smallvec![std::ptr::null_mut(); FIRST_ARG];
    argv.extend(
        values
            .get(base..)
            .unwrap_or_default()
            .iter()
            .map(Py::as_ptr),
    );
    let count = argv.len() - FIRST_ARG;
    let keywords = match &node.kwnames {
        Some(names) if node.positional < count => names.bind(py).len(),
        _ => 0,
    };
    let kwnames = if keywords > 0 {
        node.kwnames
            .as_ref()
            .map_or(std::ptr::null_mut(), Py::as_ptr)
    } else {
        std::ptr::null_mut()
    };
    let nargs = count - keywords.min(count);
    let direct = node
        .direct
        .as_ref()
        .and_then(|d| d.construct(target, &mut argv, nargs, kwnames));
    let result = match direct {
        Some(result) => result,
        // SAFETY: `argv` holds live references from `FIRST_ARG` on, with a
        // writable slot before them; `kwnames` is null or a tuple of the
        // last `keywords` arguments' names.
        None => unsafe {
            Bound::from_owned_ptr_or_err(
                py,
                pyo3::ffi::PyObject_Vectorcall(
                    target.as_ptr(),
                    argv.as_ptr().add(FIRST_ARG),
                    nargs | pyo3::ffi::PY_VECTORCALL_ARGUMENTS_OFFSET,
                    kwnames,
                ),
            )
        },
    };
    values.truncate(base);
    result
}
