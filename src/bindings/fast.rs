//! `resolve` and `[]` on the fastest call path CPython has (S1 in
//! benchmarks/, measured with `make bench-instructions`).
//!
//! Two costs are cut from every `container.resolve(T)`:
//!
//! - **The call itself.** CPython calls a `METH_O` method descriptor with
//!   no bound-method object and no argument parsing, but only *specializes*
//!   the call (CPython 3.11+) when the instance's type is exactly the
//!   descriptor's owner. PyO3's `resolve` is owned by `_RustContainer`,
//!   while callers hold a `Container`: every call took the generic path
//!   (about 230 instructions more). So each class gets a descriptor of its
//!   own: the Python layer installs one on `Container`, `ContainerScope`
//!   and, from `__init_subclass__`, on every subclass (`_fast_resolve_for`).
//! - **The trampoline.** PyO3 wraps every method in a trampoline that
//!   records that the thread is attached (so references dropped during the
//!   call are released at once) and turns panics into `PanicException`:
//!   about 130 instructions. The cached-singleton lookup drops no Python
//!   reference, so it runs without the trampoline; it still catches panics
//!   itself, and hands one to a trampolined function to raise. Everything
//!   else (building, errors) goes through the trampolined method as before.
//!
//! `container[T]` is the same function in the mapping-subscript slot: no
//! method lookup at all.

use std::any::Any;
use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use pyo3::ffi;
use pyo3::impl_::trampoline::get_trampoline_function;
use pyo3::prelude::*;
use pyo3::types::PyType;
use pyo3::{Borrowed, PyTypeInfo};

use super::compiled::ExecPlan;
use super::container::{Built, Loan, Lookup, RustContainer};
use super::keys::key_of;
use super::scope::RustScope;

/// Armed by `_debug_panic(in_resolve=True)`: the next cached-singleton
/// lookup panics, so tests can check that the untrampolined path still
/// turns a panic into an exception.
static PANIC_ARMED: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// A panic caught on the untrampolined path, on its way to `rethrow`.
    static CAUGHT: Cell<Option<Box<dyn Any + Send>>> = const { Cell::new(None) };
}

/// Run `lookup` (untrampolined); a built singleton is returned at once. A
/// compiled plan is run by `run` and anything else by `slow`, both
/// trampolined: they build, so they drop references and may raise. A panic
/// is raised as PyO3 raises any panic.
///
/// `run` receives the plan as its third argument (the trampoline hands its
/// arguments over as they are): an `Arc<ExecPlan>` made raw with
/// `Arc::into_raw`, or a plan the lock-free table lent, made raw with
/// `Loan::into_tagged`. It takes either back (`found_plan`), so the plan is
/// released, or the loan returned, inside the trampoline.
///
/// SAFETY: `slf` and `arg` are borrowed from CPython, which called with the
/// thread attached; `lookup` must not drop a Python reference.
#[inline(always)]
unsafe fn lookup_or<'a>(
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
    lookup: impl FnOnce(Python<'a>) -> Lookup<'a>,
    run: unsafe extern "C" fn(
        *mut ffi::PyObject,
        *mut ffi::PyObject,
        *mut ffi::PyObject,
    ) -> *mut ffi::PyObject,
    slow: unsafe extern "C" fn(*mut ffi::PyObject, *mut ffi::PyObject) -> *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let found = panic::catch_unwind(AssertUnwindSafe(|| {
        if PANIC_ARMED.load(Ordering::Relaxed) && PANIC_ARMED.swap(false, Ordering::Relaxed) {
            panic!("dioxide: deliberate panic in the cached-singleton path");
        }
        // SAFETY: CPython called with the thread attached (see above).
        lookup(unsafe { Python::assume_attached() })
    }));
    match found {
        Ok(Lookup::Built(value)) => value.into_ptr(),
        // SAFETY: `run` takes the plan back (see above); the same
        // arguments otherwise, to functions of the same contract.
        Ok(Lookup::Plan(plan)) => unsafe { run(slf, arg, Arc::into_raw(plan).cast_mut().cast()) },
        Ok(Lookup::Lent(loan)) => unsafe { run(slf, arg, loan.into_tagged()) },
        Ok(Lookup::Miss) => unsafe { slow(slf, arg) },
        // SAFETY: as above.
        Err(payload) => unsafe { raise_caught(slf, arg, payload) },
    }
}

/// Raise a panic `lookup_or` caught (see `rethrow`).
///
/// SAFETY: as for `lookup_or`.
#[cold]
#[inline(never)]
unsafe fn raise_caught(
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
    payload: Box<dyn Any + Send>,
) -> *mut ffi::PyObject {
    CAUGHT.with(|c| c.set(Some(payload)));
    // SAFETY: as above.
    unsafe { get_trampoline_function!(binaryfunc, rethrow)(slf, arg) }
}

/// The plan `lookup_or` passed to `run`, owned again, or lent by `built`.
enum FoundPlan<'a> {
    Owned(Arc<ExecPlan>),
    Lent(Loan<'a>),
}

impl FoundPlan<'_> {
    fn plan(&self) -> &ExecPlan {
        match self {
            FoundPlan::Owned(plan) => plan,
            FoundPlan::Lent(loan) => loan.plan(),
        }
    }
}

/// SAFETY: `raw` came from `lookup_or`, once: from `Arc::into_raw`, or from
/// `Loan::into_tagged` of `built`'s table (the container the lookup used).
unsafe fn found_plan(built: &Built, raw: *mut ffi::PyObject) -> FoundPlan<'_> {
    match unsafe { built.take_back(raw) } {
        Some(loan) => FoundPlan::Lent(loan),
        None => FoundPlan::Owned(unsafe { Arc::from_raw(raw.cast_const().cast::<ExecPlan>()) }),
    }
}

/// Resume the caught panic inside PyO3's trampoline, which raises it as a
/// `PanicException`, exactly as for a panic in any PyO3 method.
fn rethrow(
    _py: Python<'_>,
    _slf: *mut ffi::PyObject,
    _arg: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    match CAUGHT.with(Cell::take) {
        Some(payload) => panic::resume_unwind(payload),
        None => Err(pyo3::exceptions::PySystemError::new_err(
            "dioxide: no panic to raise",
        )),
    }
}

/// `resolve` and `[]` of containers.
///
/// SAFETY: `slf` is an instance of `_RustContainer` or a subclass: the
/// descriptor checks it is an instance of its owner (`_fast_resolve_for`
/// makes descriptors for such owners only), and the subscript slot is only
/// reached through types that inherit it from `_RustContainer`.
unsafe extern "C" fn container_resolve(
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let cached = |py: Python<'_>| {
        // SAFETY: see above; both are borrowed for the whole call.
        let (container, type_) = unsafe {
            (
                Borrowed::from_ptr(py, slf).cast_unchecked::<RustContainer>(),
                Borrowed::from_ptr(py, arg),
            )
        };
        container.get().lookup(py, key_of(&type_))
    };
    // SAFETY: see above; the lookup only adds references.
    unsafe {
        lookup_or(
            slf,
            arg,
            cached,
            get_trampoline_function!(ternaryfunc, container_run),
            get_trampoline_function!(binaryfunc, container_resolve_slow),
        )
    }
}

/// `resolve` and `[]` of scopes: a singleton cached in the container is
/// found the same way once the scope is known to be open.
///
/// SAFETY: as for `container_resolve`, with `_RustScope`.
unsafe extern "C" fn scope_resolve(
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> *mut ffi::PyObject {
    let cached = |py: Python<'_>| {
        // SAFETY: see above.
        let (scope, type_) = unsafe {
            (
                Borrowed::from_ptr(py, slf).cast_unchecked::<RustScope>(),
                Borrowed::from_ptr(py, arg),
            )
        };
        scope.get().lookup(py, key_of(&type_))
    };
    // SAFETY: see above.
    unsafe {
        lookup_or(
            slf,
            arg,
            cached,
            get_trampoline_function!(ternaryfunc, scope_run),
            get_trampoline_function!(binaryfunc, scope_resolve_slow),
        )
    }
}

/// Run the plan `container_resolve` found.
///
/// SAFETY: as for `container_resolve`; `plan` as for `found_plan`.
unsafe fn container_run(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    _arg: *mut ffi::PyObject,
    plan: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see above.
    let container = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<RustContainer>() };
    let plan = unsafe { found_plan(container.get().built(), plan) };
    Ok(RustContainer::run_found(&container, plan.plan(), None)?.into_ptr())
}

/// Run the plan `scope_resolve` found.
///
/// SAFETY: as for `scope_resolve`; `plan` as for `found_plan` (the
/// scope's container made it).
unsafe fn scope_run(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    _arg: *mut ffi::PyObject,
    plan: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see above.
    let scope = unsafe { Borrowed::from_ptr(py, slf).cast_unchecked::<RustScope>() };
    let scope = scope.get();
    let plan = unsafe { found_plan(scope.container().built(), plan) };
    Ok(scope.run_found(py, plan.plan())?.into_ptr())
}

/// SAFETY: as for `container_resolve`.
unsafe fn container_resolve_slow(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see above.
    let (container, type_) = unsafe {
        (
            Borrowed::from_ptr(py, slf).cast_unchecked::<RustContainer>(),
            Borrowed::from_ptr(py, arg),
        )
    };
    Ok(RustContainer::resolve_with(&container, &type_, None)?.into_ptr())
}

/// SAFETY: as for `scope_resolve`.
unsafe fn scope_resolve_slow(
    py: Python<'_>,
    slf: *mut ffi::PyObject,
    arg: *mut ffi::PyObject,
) -> PyResult<*mut ffi::PyObject> {
    // SAFETY: see above.
    let (scope, type_) = unsafe {
        (
            Borrowed::from_ptr(py, slf).cast_unchecked::<RustScope>(),
            Borrowed::from_ptr(py, arg),
        )
    };
    Ok(scope.get().resolve_in_scope(py, &type_)?.into_ptr())
}

/// A `PyMethodDef` CPython may keep a pointer to: it never writes to it.
struct MethodDef(ffi::PyMethodDef);

// SAFETY: immutable after construction; its pointers are to 'static data.
unsafe impl Sync for MethodDef {}

const RESOLVE_DOC: &std::ffi::CStr =
    c"resolve(type_, /)\n--\n\nBuild or fetch the instance of `type_`, with its dependencies.";

static CONTAINER_RESOLVE: MethodDef = MethodDef(ffi::PyMethodDef {
    ml_name: c"resolve".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer {
        PyCFunction: container_resolve,
    },
    ml_flags: ffi::METH_O,
    ml_doc: RESOLVE_DOC.as_ptr(),
});

static SCOPE_RESOLVE: MethodDef = MethodDef(ffi::PyMethodDef {
    ml_name: c"resolve".as_ptr(),
    ml_meth: ffi::PyMethodDefPointer {
        PyCFunction: scope_resolve,
    },
    ml_flags: ffi::METH_O,
    ml_doc: RESOLVE_DOC.as_ptr(),
});

/// Whether `method` is a `resolve` descriptor made here.
fn is_fast_resolve(method: &Bound<'_, PyAny>) -> bool {
    // SAFETY: the type check comes first; the layout is CPython's.
    unsafe {
        if ffi::Py_TYPE(method.as_ptr()) != std::ptr::addr_of_mut!(ffi::PyMethodDescr_Type) {
            return false;
        }
        let definition = (*method.as_ptr().cast::<ffi::PyMethodDescrObject>()).d_method;
        std::ptr::eq(definition, &CONTAINER_RESOLVE.0) || std::ptr::eq(definition, &SCOPE_RESOLVE.0)
    }
}

/// A `resolve` descriptor owned by `owner`, a container or scope class,
/// for it to call on the specialized path; `None` when `owner` has a
/// `resolve` of its own (a subclass that overrides it keeps its override).
#[pyfunction]
pub(crate) fn _fast_resolve_for<'py>(
    owner: &Bound<'py, PyType>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = owner.py();
    let definition = if owner.is_subclass_of::<RustContainer>()? {
        &CONTAINER_RESOLVE.0
    } else if owner.is_subclass_of::<RustScope>()? {
        &SCOPE_RESOLVE.0
    } else {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "_fast_resolve_for() takes a container or scope class",
        ));
    };
    let current = owner.getattr(pyo3::intern!(py, "resolve"))?;
    let inherited_from_core = current
        .getattr(pyo3::intern!(py, "__objclass__"))
        .is_ok_and(|o| o.is(RustContainer::type_object(py)) || o.is(RustScope::type_object(py)));
    if !(is_fast_resolve(&current) || inherited_from_core) {
        return Ok(None);
    }
    // SAFETY: `definition` is 'static and never written to; `owner` is a
    // live type object.
    unsafe {
        let descriptor = ffi::PyDescr_NewMethod(
            owner.as_type_ptr(),
            std::ptr::from_ref(definition).cast_mut(),
        );
        Bound::from_owned_ptr_or_err(py, descriptor).map(Some)
    }
}

/// Put the untrampolined lookup in the subscript slots of `_RustContainer`
/// and `_RustScope`. PyO3 declares `__getitem__` but has no way to declare a
/// slot without its trampoline, so the function is swapped in while the
/// module initializes, before any subclass exists: in the slot, and in the
/// `__getitem__` wrapper of the class dict, which is where CPython takes a
/// subclass's slot from (`Container[...]` then runs it too).
pub(crate) fn install_subscripts(py: Python<'_>) -> PyResult<()> {
    for (class, function) in [
        (
            RustContainer::type_object(py),
            container_resolve as ffi::binaryfunc,
        ),
        (RustScope::type_object(py), scope_resolve as ffi::binaryfunc),
    ] {
        let wrapper = class.getattr(pyo3::intern!(py, "__getitem__"))?;
        // SAFETY: both are heap types made by PyO3 with `__getitem__`:
        // `tp_as_mapping` points into the type object itself, and the class
        // attribute is checked to be a slot wrapper (CPython's layout)
        // before its wrapped function is replaced by one of the same
        // signature.
        unsafe {
            if ffi::Py_TYPE(wrapper.as_ptr()) != std::ptr::addr_of_mut!(ffi::PyWrapperDescr_Type) {
                return Err(pyo3::exceptions::PySystemError::new_err(
                    "dioxide: __getitem__ is not a slot wrapper",
                ));
            }
            (*wrapper.as_ptr().cast::<ffi::PyWrapperDescrObject>()).d_wrapped =
                function as *mut std::ffi::c_void;
            let mapping = (*class.as_type_ptr()).tp_as_mapping;
            if !mapping.is_null() {
                (*mapping).mp_subscript = Some(function);
            }
        }
    }
    Ok(())
}

/// Panic in the next cached-singleton lookup of `resolve` or `[]` (tests).
pub(crate) fn arm_panic() {
    PANIC_ARMED.store(true, Ordering::Relaxed);
}
