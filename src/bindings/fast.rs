//! `resolve` as a `METH_O` method.
//!
//! With the abi3 floor of Python 3.9, PyO3 must declare methods as
//! `METH_VARARGS | METH_KEYWORDS`: every `container.resolve(T)` would build
//! an argument tuple and parse it. `METH_O` is in the stable ABI and passes
//! the one argument straight through; measured, it takes about 15 ns off
//! every resolve (S1 to S6 in benchmarks/). The descriptors made here are
//! installed on the Python `Container` and `ContainerScope` classes, where
//! they shadow the PyO3-generated `resolve`; both run the same Rust code.

use std::ffi::CStr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::ffi;
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::PyTypeInfo;

use super::container::RustContainer;
use super::scope::RustScope;

/// Run `body` as the implementation of a C-level method: the interpreter is
/// attached (CPython only calls methods with it), Python errors are raised,
/// and a panic becomes a `PanicException` instead of unwinding into C.
fn trampoline(body: impl FnOnce(Python<'_>) -> PyResult<Py<PyAny>>) -> *mut ffi::PyObject {
    // SAFETY: CPython calls `METH_O` functions with the thread attached.
    let py = unsafe { Python::assume_attached() };
    match catch_unwind(AssertUnwindSafe(|| body(py))) {
        Ok(Ok(value)) => value.into_ptr(),
        Ok(Err(err)) => {
            err.restore(py);
            std::ptr::null_mut()
        }
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic in the dioxide core".to_owned());
            PanicException::new_err(message).restore(py);
            std::ptr::null_mut()
        }
    }
}

unsafe extern "C" fn container_resolve(slf: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: CPython passes borrowed references that outlive the call.
        let (slf, arg) = unsafe { (Bound::from_borrowed_ptr(py, slf), Bound::from_borrowed_ptr(py, arg)) };
        let container = slf.cast::<RustContainer>()?;
        container.get().resolve_with(py, &arg, None, None)
    })
}

unsafe extern "C" fn scope_resolve(slf: *mut ffi::PyObject, arg: *mut ffi::PyObject) -> *mut ffi::PyObject {
    trampoline(|py| {
        // SAFETY: as above.
        let (slf, arg) = unsafe { (Bound::from_borrowed_ptr(py, slf), Bound::from_borrowed_ptr(py, arg)) };
        let scope = slf.cast::<RustScope>()?;
        scope.get().resolve_in_scope(py, &arg)
    })
}

const RESOLVE_DOC: &CStr = c"resolve(type_, /)\n--\n\nBuild or fetch the instance of `type_`, with its dependencies.";

/// A method descriptor for `function` on `owner` (leaked: it lives as long
/// as the class, i.e. the process).
fn method_descriptor<'py>(
    py: Python<'py>,
    owner: &Bound<'py, PyType>,
    function: unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> *mut ffi::PyObject,
) -> PyResult<Bound<'py, PyAny>> {
    let definition = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"resolve".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer { PyCFunction: function },
        ml_flags: ffi::METH_O,
        ml_doc: RESOLVE_DOC.as_ptr(),
    }));
    // SAFETY: `definition` is 'static; the type pointer is a live type object.
    unsafe {
        let descriptor = ffi::PyDescr_NewMethod(owner.as_type_ptr(), definition);
        Bound::from_owned_ptr_or_err(py, descriptor)
    }
}

/// `(container_resolve, scope_resolve)` descriptors for the Python layer to
/// put on `Container` and `ContainerScope`.
#[pyfunction]
pub(crate) fn _fast_resolve_methods(py: Python<'_>) -> PyResult<(Bound<'_, PyAny>, Bound<'_, PyAny>)> {
    Ok((
        method_descriptor(py, &RustContainer::type_object(py), container_resolve)?,
        method_descriptor(py, &RustScope::type_object(py), scope_resolve)?,
    ))
}
