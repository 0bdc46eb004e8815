//! Calling one provider and applying its lifecycle protocol: generators and
//! context managers are entered, and handed to their owner to finalize.

use pyo3::exceptions::PyStopIteration;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

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

/// Call the provider with `values[base..]` (consumed): by position while
/// allowed, then by keyword.
pub(crate) fn call<'py>(
    py: Python<'py>,
    node: &ExecNode,
    values: &mut Values,
    base: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let target = node.target.bind(py);
    let count = values.len().saturating_sub(base);
    if count == 0 {
        return target.call0();
    }
    if node.positional >= count {
        return target.call1(PyTuple::new(py, values.drain(base..))?);
    }
    let kwargs = PyDict::new(py);
    let keywords = values.drain(base + node.positional..);
    for ((name, _), value) in node.args.iter().skip(node.positional).zip(keywords) {
        kwargs.set_item(name.bind(py), value)?;
    }
    target.call(PyTuple::new(py, values.drain(base..))?, Some(&kwargs))
}
