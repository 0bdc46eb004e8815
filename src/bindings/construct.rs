//! Constructing plain classes directly (S2 to S5 in benchmarks/, measured
//! with `make bench-instructions`).
//!
//! Calling a class runs `type.__call__`: an argument tuple is built, the
//! class's `__new__` runs, `__init__` is looked up, a second argument
//! vector with the new instance in front is built to call it, and its result
//! is checked. For a *plain* class, whose metaclass keeps `type.__call__`,
//! which keeps `object.__new__` and whose `__init__` is a Python function (or
//! `object.__init__`), dioxide takes the same steps itself, without the
//! tuple and the lookup: `tp_new` with no arguments, then `__init__` called
//! by vectorcall on the arguments already on the stack. This saves a few
//! hundred instructions per object (more than hand-written `Cls(...)` pays).
//!
//! The `__init__` found when the plan is compiled is kept with the class's
//! version tag, which CPython changes on any change to the class or to one of
//! its bases: after `Cls.__init__ = f` (or a new `__new__`, or new bases) the
//! tag differs and the class is called the normal way, as it is whenever
//! the metaclass or `__new__` is not the plain one at the time of the call.

use std::sync::atomic::{AtomicU32, Ordering};

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

/// How to build instances of one plain class directly.
pub(crate) struct Direct {
    /// The class's `__init__`; `None` when it is `object.__init__` (then the
    /// class is built with no arguments only).
    init: Option<Py<PyAny>>,
    /// The class's version tag when `init` was looked up.
    version: u32,
}

/// The vector of a call's arguments, with two slots in front: one CPython may
/// use (`PY_VECTORCALL_ARGUMENTS_OFFSET`), and one for the new instance.
pub(crate) type ArgVector = smallvec::SmallVec<[*mut ffi::PyObject; 18]>;

/// Where the arguments start in an `ArgVector`.
pub(crate) const FIRST_ARG: usize = 2;

impl Direct {
    /// The direct way to build `class` with `args` arguments, if it is plain.
    pub(crate) fn of(class: &Bound<'_, PyAny>, args: usize) -> PyResult<Option<Self>> {
        let py = class.py();
        let Ok(class) = class.cast::<PyType>() else {
            return Ok(None);
        };
        // SAFETY: a live type object.
        if !unsafe { plain(class.as_type_ptr()) } {
            return Ok(None);
        }
        // Looking the attribute up also gives the class a version tag.
        let init = class.getattr(pyo3::intern!(py, "__init__"))?;
        // The function the class calls: the first `__init__` along the MRO,
        // itself (a `staticmethod` or other wrapper in a class dict is not).
        let mut defined = None;
        for base in class.mro().iter() {
            let namespace = base.getattr(pyo3::intern!(py, "__dict__"))?;
            if let Ok(found) = namespace.get_item(pyo3::intern!(py, "__init__")) {
                defined = Some((base, found));
                break;
            }
        }
        let Some((owner, found)) = defined else {
            return Ok(None);
        };
        let init = if std::ptr::eq(owner.as_ptr(), (&raw mut ffi::PyBaseObject_Type).cast())
            && args == 0
        {
            None
        } else if found.is(&init)
            // SAFETY: a type check on a live object.
            && unsafe { ffi::PyFunction_Check(init.as_ptr()) } != 0
        {
            Some(init.unbind())
        } else {
            return Ok(None);
        };
        // SAFETY: a live type object.
        let version = unsafe { version_tag(class.as_type_ptr()) };
        Ok((version != 0).then_some(Self { init, version }))
    }

    /// Build an instance of `class` from the arguments in `argv` (from
    /// `FIRST_ARG`: `nargs` positional ones, then the keywords `kwnames`
    /// names); `None` when the class is no longer plain or has changed, to
    /// be called the normal way.
    pub(crate) fn construct<'py>(
        &self,
        class: &Bound<'py, PyAny>,
        argv: &mut ArgVector,
        nargs: usize,
        kwnames: *mut ffi::PyObject,
    ) -> Option<PyResult<Bound<'py, PyAny>>> {
        // SAFETY: `argv` holds live references from `FIRST_ARG` on, with
        // the two slots in front.
        unsafe { self.construct_at(class, argv.as_mut_ptr(), nargs, kwnames) }
    }

    /// `construct` on a raw argument vector: `argv[FIRST_ARG..]` holds the
    /// `nargs` positional arguments and the keyword ones, and the slot
    /// before them is free for the instance.
    ///
    /// SAFETY: as described; `kwnames` is null or names the last arguments.
    #[inline(always)]
    unsafe fn construct_at<'py>(
        &self,
        class: &Bound<'py, PyAny>,
        argv: *mut *mut ffi::PyObject,
        nargs: usize,
        kwnames: *mut ffi::PyObject,
    ) -> Option<PyResult<Bound<'py, PyAny>>> {
        let py = class.py();
        let type_ = class.as_ptr().cast::<ffi::PyTypeObject>();
        // SAFETY: `class` is the type object `of` accepted (plans keep it
        // alive); `argv` as described above.
        unsafe {
            if version_tag(type_) != self.version || !plain(type_) {
                return None;
            }
            let new = (*type_).tp_new?;
            let empty = PyTuple::empty(py);
            let instance = match Bound::from_owned_ptr_or_err(
                py,
                new(type_, empty.as_ptr(), std::ptr::null_mut()),
            ) {
                Ok(instance) => instance,
                Err(err) => return Some(Err(err)),
            };
            let Some(init) = &self.init else {
                return Some(Ok(instance));
            };
            *argv.add(FIRST_ARG - 1) = instance.as_ptr();
            let returned = Bound::from_owned_ptr_or_err(
                py,
                ffi::PyObject_Vectorcall(
                    init.as_ptr(),
                    argv.add(FIRST_ARG - 1),
                    (nargs + 1) | ffi::PY_VECTORCALL_ARGUMENTS_OFFSET,
                    kwnames,
                ),
            );
            Some(match returned {
                Err(err) => Err(err),
                Ok(none) if none.is_none() => Ok(instance),
                // As `type.__call__` words it.
                Ok(other) => Err(match other.get_type().name() {
                    Ok(name) => {
                        PyTypeError::new_err(format!("__init__() should return None, not '{name}'"))
                    }
                    Err(err) => err,
                }),
            })
        }
    }

    /// `construct` with no arguments.
    #[inline]
    pub(crate) fn construct0<'py>(
        &self,
        class: &Bound<'py, PyAny>,
    ) -> Option<PyResult<Bound<'py, PyAny>>> {
        let mut argv: [*mut ffi::PyObject; FIRST_ARG] = [std::ptr::null_mut(); FIRST_ARG];
        // SAFETY: as for `construct`; the vector has its two slots in front.
        unsafe { self.construct_at(class, argv.as_mut_ptr(), 0, std::ptr::null_mut()) }
    }

    /// Report the reference it holds to the garbage collector.
    pub(crate) fn visit(&self, visit: &pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Some(init) = &self.init {
            visit.call(init)?;
        }
        Ok(())
    }
}

/// Whether calling `type_` runs `type.__call__` and `object.__new__`.
///
/// SAFETY: `type_` is a live type object.
unsafe fn plain(type_: *mut ffi::PyTypeObject) -> bool {
    // Compared by address: these are the C functions of `type` and `object`.
    unsafe {
        let call = |t: *mut ffi::PyTypeObject| (*t).tp_call.map(|f| f as usize);
        let new = |t: *mut ffi::PyTypeObject| (*t).tp_new.map(|f| f as usize);
        call(ffi::Py_TYPE(type_.cast())) == call(&raw mut ffi::PyType_Type)
            && new(type_) == new(&raw mut ffi::PyBaseObject_Type)
    }
}

/// The type's version tag (0: none), read atomically: without the GIL
/// another thread may be changing the class.
///
/// SAFETY: `type_` is a live type object.
unsafe fn version_tag(type_: *mut ffi::PyTypeObject) -> u32 {
    unsafe {
        AtomicU32::from_ptr(std::ptr::addr_of_mut!((*type_).tp_version_tag)).load(Ordering::Acquire)
    }
}
