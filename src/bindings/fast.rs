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

use pyo3::ffi;
use pyo3::impl_::trampoline::get_trampoline_function;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::PyTypeInfo;

use super::container::RustContainer;
use super::scope::RustScope;

// The C functions are made by PyO3's own trampoline for `(self, arg)`
// slots (`binaryfunc`, the shape of `METH_O`), as for every method PyO3
// generates: it tells PyO3 the thread is attached, so that references
// dropped during the call are released at once (a bare
// `Python::assume_attached` does not: they were queued for the next PyO3
// method call, so a loop of resolves leaked every temporary reference), and
// it turns a panic into a `PanicException`.

/// SAFETY: CPython calls it with the thread attached and borrowed `slf`
/// and `arg` that outlive the call.
unsafe fn container_resolve(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see above.
    let (slf, arg) = unsafe {
        (
            Bound::from_borrowed_ptr(py, slf),
            Bound::from_borrowed_ptr(py, arg),
        )
    };
    let container = slf.cast::<RustContainer>()?;
    Ok(RustContainer::resolve_with(container, &arg, None)?.into_ptr())
}

/// SAFETY: as for `container_resolve`.
unsafe fn scope_resolve(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see above.
    let (slf, arg) = unsafe {
        (
            Bound::from_borrowed_ptr(py, slf),
            Bound::from_borrowed_ptr(py, arg),
        )
    };
    let scope = slf.cast::<RustScope>()?;
    Ok(scope.get().resolve_in_scope(py, &arg)?.into_ptr())
}

const RESOLVE_DOC: &CStr =
    c"resolve(type_, /)\n--\n\nBuild or fetch the instance of `type_`, with its dependencies.";

/// A method descriptor for `function` on `owner` (leaked: it lives as long
/// as the class, i.e. the process).
fn method_descriptor<'py>(
    py: Python<'py>,
    owner: &Bound<'py, PyType>,
    function: unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> *mut ffi::PyObject,
) -> PyResult<Bound<'py, PyAny>> {
    let definition = Box::leak(Box::new(ffi::PyMethodDef {
        ml_name: c"resolve".as_ptr(),
        ml_meth: ffi::PyMethodDefPointer {
            PyCFunction: function,
        },
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
pub(crate) fn _fast_resolve_methods(
    py: Python<'_>,
) -> PyResult<(Bound<'_, PyAny>, Bound<'_, PyAny>)> {
    Ok((
        method_descriptor(
            py,
            &RustContainer::type_object(py),
            get_trampoline_function!(binaryfunc, container_resolve),
        )?,
        method_descriptor(
            py,
            &RustScope::type_object(py),
            get_trampoline_function!(binaryfunc, scope_resolve),
        )?,
    ))
}
