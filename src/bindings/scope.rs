//! `_RustScope`: the instances of one scope (a request, an action inside
//! it) and their finalizers. Scopes nest: a scope opened in another is of
//! the next level, finds instances of outer levels in its ancestors, and
//! closes before its parent. Singletons and plans stay with the container.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::pyclass_init::PyClassInitializer;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use super::compiled::ExecPlan;
use super::container::{new_scope, Lookup, RustContainer};
use super::errors::{DioxideError, ErrorKind};
use super::keys::{is_type, key_of, level_name, KeyMap};
use super::lifecycle::{close_sync, finalize_until_async, raise_together};
use super::owner::ScopeState;

#[pyclass(
    name = "_RustScope",
    module = "dioxide._dioxide_core",
    subclass,
    frozen
)]
pub(crate) struct RustScope {
    container: Py<RustContainer>,
    /// The scope this one was opened in.
    parent: Option<Py<RustScope>>,
    state: Arc<ScopeState>,
    closed: AtomicBool,
    /// The scopes opened in this one, oldest first: closing this scope
    /// closes those still open first, newest first.
    children: Mutex<Vec<Py<PyAny>>>,
    /// Set once a child is tracked: closing a scope that never had one
    /// skips the lock (each lock is two atomic operations, S6's main cost).
    had_children: AtomicBool,
}

/// Whether `scope` (a `_RustScope`) is closed; read without calling Python.
fn is_closed(scope: &Bound<'_, PyAny>) -> bool {
    scope
        .cast::<RustScope>()
        .map_or(true, |s| s.get().closed.load(Ordering::Acquire))
}

impl RustScope {
    /// Mark the scope closed and seal its finalizers: `None` when it was
    /// closed already, else whether no finalizer waits (none can be added
    /// once sealed).
    fn begin_close(&self) -> Option<bool> {
        if self.closed.swap(true, Ordering::AcqRel) {
            self.state.finalizers.seal();
            return None;
        }
        Some(self.state.finalizers.seal_empty())
    }

    fn children(&self) -> std::sync::MutexGuard<'_, Vec<Py<PyAny>>> {
        super::locks::lock(&self.children)
    }

    fn closed_parent_error(py: Python<'_>) -> PyErr {
        DioxideError::new(
            ErrorKind::Scope,
            "cannot open a nested scope: this scope is closed",
        )
        .with_hint(
            "open nested scopes inside the parent's `with` block, \
             or open a new scope with `container.create_scope()`",
        )
        .into_pyerr(py)
    }

    pub(crate) fn resolve_in_scope(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        RustContainer::resolve_with(self.container.bind(py), type_, Some(&self.state))
    }

    /// The container this scope belongs to.
    pub(crate) fn container(&self) -> &RustContainer {
        self.container.get()
    }

    /// What `key` resolves to in the container, while the scope is open
    /// (see `RustContainer::lookup`).
    #[inline(always)]
    pub(crate) fn lookup(&self, py: Python<'_>, key: dioxide_core::Key) -> Lookup<'_> {
        if self.closed.load(Ordering::Acquire) {
            return Lookup::Miss;
        }
        self.container.get().lookup(py, key)
    }

    /// Run a plan `lookup` found, in this scope.
    pub(crate) fn run_found(&self, py: Python<'_>, plan: &ExecPlan) -> PyResult<Py<PyAny>> {
        self.check_open(py)?;
        RustContainer::run_found(self.container.bind(py), plan, Some(&self.state))
    }

    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(DioxideError::new(ErrorKind::Scope, "this scope is closed")
                .with_hint(
                    "create a new scope with `container.create_scope()` for the next unit of work",
                )
                .into_pyerr(py));
        }
        Ok(())
    }
}

#[pymethods]
impl RustScope {
    /// A scope of the container's first level (`parent` is `None`) or one
    /// opened in `parent`: of the level after its parent's, or of the
    /// innermost level again when the parent is of that one. `context`
    /// supplies the context values of the new scope's level, by type.
    #[new]
    #[pyo3(signature = (container, parent=None, context=None))]
    fn py_new(
        py: Python<'_>,
        container: Py<RustContainer>,
        parent: Option<Py<RustScope>>,
        context: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        Self::build(py, container, parent, context)
    }

    /// The name of this scope's level.
    #[getter]
    fn level(&self) -> String {
        level_name(self.state.level)
    }

    /// The scope this one was opened in (`None`: opened on the container).
    #[getter]
    fn parent(&self, py: Python<'_>) -> Option<Py<RustScope>> {
        self.parent.as_ref().map(|p| p.clone_ref(py))
    }

    /// Open a scope of the next level inside this one (see
    /// `ContainerScope.create_scope`).
    #[pyo3(signature = (context=None))]
    fn create_scope<'py>(
        slf: &Bound<'py, Self>,
        context: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let this = slf.get();
        let scope = new_scope(
            this.container.bind(py).as_any(),
            Some(slf.as_any()),
            context,
            "scope",
        )?;
        this._track_scope(py, &scope)?;
        Ok(scope)
    }

    /// Remember a scope opened in this one, so closing this one closes
    /// it first (if it is still open then). Held strongly: a nested scope
    /// nobody holds any more is still closed, finalizers and all, with its
    /// parent. Refused once this scope is closed.
    fn _track_scope(&self, py: Python<'_>, scope: &Bound<'_, PyAny>) -> PyResult<()> {
        let closed_ones = {
            let mut children = self.children();
            // Checked under the lock that closing takes the children with:
            // a child tracked after that would never be closed.
            if self.closed.load(Ordering::Acquire) {
                None
            } else {
                children.push(scope.clone().unbind());
                self.had_children.store(true, Ordering::Release);
                // Forget closed children now and then, so a long-lived
                // scope does not accumulate them; they are dropped below,
                // with the lock released.
                let count = children.len();
                let mut closed_ones = Vec::new();
                if count >= 64 && count.is_power_of_two() {
                    let (open, closed): (Vec<_>, Vec<_>) = std::mem::take(&mut *children)
                        .into_iter()
                        .partition(|c| !is_closed(c.bind(py)));
                    *children = open;
                    closed_ones = closed;
                }
                Some(closed_ones)
            }
        };
        match closed_ones {
            Some(closed_ones) => {
                drop(closed_ones);
                Ok(())
            }
            None => Err(Self::closed_parent_error(py)),
        }
    }

    /// The scopes opened in this one that are still open, newest first;
    /// this scope forgets them (it is closing).
    fn _open_scopes<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyAny>> {
        if !self.had_children.load(Ordering::Acquire) {
            return Vec::new();
        }
        let children = std::mem::take(&mut *self.children());
        children
            .into_iter()
            .rev()
            .map(|c| c.into_bound(py))
            .filter(|c| !is_closed(c))
            .collect()
    }

    /// The awaitable behind `ContainerScope.aresolve` (see the container's).
    fn _aresolve(
        slf: &Bound<'_, Self>,
        type_: &Bound<'_, PyAny>,
        task: u64,
    ) -> PyResult<crate::bindings::resume::Resolution> {
        let py = slf.py();
        let this = slf.get();
        this.check_open(py)?;
        RustContainer::aresolve_with(
            this.container.bind(py),
            type_,
            Some(Arc::clone(&this.state)),
            task,
        )
    }

    /// Resolve `type_` in this scope: scoped instances are cached here,
    /// singletons come from the container.
    fn resolve(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.resolve_in_scope(py, type_)
    }

    /// `scope[T]`: `scope.resolve(T)` (the slot runs fast.rs's function).
    fn __getitem__(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.resolve_in_scope(py, type_)
    }

    /// Register an async generator to be finalized when the scope closes.
    /// Refused once the scope has closed (its finalizers have run or are
    /// running): the caller then finalizes the generator itself.
    fn _push_async_finalizer(
        &self,
        py: Python<'_>,
        type_: Py<PyAny>,
        handle: Py<PyAny>,
    ) -> PyResult<()> {
        self.check_open(py)?;
        let finalizer = super::lifecycle::Finalizer {
            kind: super::lifecycle::FinalizerKind::AsyncGenerator,
            handle,
            provides: type_,
        };
        if self.state.finalizers.push(finalizer).is_err() {
            self.check_open(py)?;
        }
        Ok(())
    }

    #[getter]
    fn _container(&self, py: Python<'_>) -> Py<RustContainer> {
        self.container.clone_ref(py)
    }

    /// `True` once the scope is closed; a closed scope refuses to resolve.
    #[getter]
    fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Close the scope: the scopes still open in it first (newest first),
    /// then its finalizers newest first (`error` is thrown into generator
    /// providers so they can roll back), then drop its instances. Every
    /// finalizer runs; failures are raised together.
    #[pyo3(signature = (error=None))]
    fn close(&self, py: Python<'_>, error: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        let Some(no_finalizers) = self.begin_close() else {
            return Ok(());
        };
        let mut failures: Vec<Bound<'_, PyAny>> = Vec::new();
        for child in self._open_scopes(py) {
            if let Err(err) = child.call_method1(pyo3::intern!(py, "close"), (error.as_ref(),)) {
                failures.push(err.into_value(py).into_bound(py).into_any());
            }
        }
        let outcome = if no_finalizers {
            Ok(()) // sealed: none can be added any more
        } else {
            close_sync(py, &self.state.finalizers, error.as_ref(), "scope")
        };
        self._release();
        if failures.is_empty() {
            return outcome;
        }
        if let Err(err) = outcome {
            failures.push(err.into_value(py).into_bound(py).into_any());
        }
        raise_together(py, failures, "a scope", py.version_info() >= (3, 11))
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leaving the `with` block closes the scope, handing its exception to
    /// generator providers.
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: &Bound<'_, PyAny>,
        exc: &Bound<'_, PyAny>,
        _traceback: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        self.close(py, (!exc.is_none()).then(|| exc.clone()))?;
        Ok(false)
    }

    /// Mark the scope closed; `False` when it already was.
    fn _begin_close(&self) -> bool {
        self.begin_close().is_some()
    }

    /// Run finalizers newest first up to the next async one; see
    /// `lifecycle::finalize_until_async`.
    #[pyo3(signature = (error=None))]
    fn _finalize<'py>(
        &self,
        py: Python<'py>,
        error: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        finalize_until_async(py, &self.state.finalizers, error.as_ref())
    }

    /// How many finalizers wait for the scope's close (an integration
    /// closes a scope with none inline, else in a worker thread).
    fn _finalizer_count(&self) -> usize {
        self.state.finalizers.len()
    }

    /// Drop the scope's instances and context values.
    fn _release(&self) {
        drop(self.state.take_cells());
        drop(self.state.take_context());
    }

    /// `T in scope`: whether `T` has a provider in the scope's container.
    fn __contains__(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.container.get().__contains__(py, type_)
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&self.container)?;
        if let Some(parent) = &self.parent {
            visit.call(parent)?;
        }
        if let Ok(children) = self.children.try_lock() {
            for child in children.iter() {
                visit.call(child)?;
            }
        }
        self.state.visit(&visit)
    }

    fn __clear__(&self) {
        drop(self.state.take_cells());
        drop(self.state.take_context());
        drop(self.state.finalizers.clear());
        let children = std::mem::take(&mut *self.children());
        drop(children);
    }
}

/// The class scopes are made of (`dioxide.ContainerScope`), a subclass of
/// `RustScope`, handed over once when the package is imported.
static SCOPE_CLASS: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Remember the class scopes are made of.
#[pyfunction]
pub(crate) fn _set_scope_class(py: Python<'_>, cls: Bound<'_, PyType>) -> PyResult<()> {
    if !cls.is_subclass_of::<RustScope>()? {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "dioxide: the scope class must be a subclass of _RustScope",
        ));
    }
    SCOPE_CLASS
        .set(py, cls.unbind())
        .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the scope class is set already"))
}

/// An instance of the scope class holding a new scope: what the class's
/// `__new__` makes, without the argument tuple and its parsing
/// (`container::new_scope`, through `set_scope_maker`).
pub(crate) fn make_scope<'py>(
    container: &Bound<'py, PyAny>,
    parent: Option<&Bound<'py, PyAny>>,
    context: Option<Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = container.py();
    let Some(class) = SCOPE_CLASS.get(py) else {
        return Err(pyo3::exceptions::PyRuntimeError::new_err(
            "dioxide: the scope class is not set (import dioxide first)",
        ));
    };
    let value = RustScope::build(
        py,
        container.cast::<RustContainer>()?.clone().unbind(),
        parent
            .map(|p| p.cast::<RustScope>().map(|p| p.clone().unbind()))
            .transpose()?,
        context,
    )?;
    // SAFETY: `class` is a live subclass of `RustScope` (checked when set);
    // `tp_new_impl` allocates an instance of it holding `value` and returns
    // a new reference.
    unsafe {
        let object = pyo3::impl_::pymethods::tp_new_impl(
            py,
            PyClassInitializer::from(value),
            class.bind(py).as_type_ptr(),
        )?;
        Ok(Bound::from_owned_ptr(py, object))
    }
}

impl RustScope {
    /// A scope of `container`, opened in `parent` (`None`: the first
    /// level), with the values of `context`: what `__new__` makes, and
    /// what `create_scope` puts in an instance of the scope class directly.
    pub(crate) fn build(
        py: Python<'_>,
        container: Py<RustContainer>,
        parent: Option<Py<RustScope>>,
        context: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        if parent
            .as_ref()
            .is_some_and(|p| p.get().closed.load(Ordering::Acquire))
        {
            return Err(Self::closed_parent_error(py));
        }
        if container.get().is_closed() {
            return Err(RustContainer::closed_error(py));
        }
        let levels = container.get().levels();
        let (parent_state, depth) = match &parent {
            None => (None, 0),
            Some(parent) => {
                let parent = parent.get();
                if !parent.container.is(&container) {
                    return Err(DioxideError::new(
                        ErrorKind::Scope,
                        "a nested scope must belong to its parent's container",
                    )
                    .into_pyerr(py));
                }
                let depth = (parent.state.depth + 1).min(levels.order().len().saturating_sub(1));
                (Some(Arc::clone(&parent.state)), depth)
            }
        };
        let level = levels.at(depth).unwrap_or(dioxide_core::Level::FIRST);
        let mut values: KeyMap<Py<PyAny>> = KeyMap::default();
        if let Some(context) = context {
            for (type_, value) in context.iter() {
                if !is_type(&type_) {
                    return Err(super::container::registration_not_a_type(
                        py,
                        "create_scope(context=...)",
                        &type_,
                    ));
                }
                container.get().check_context(py, &type_, &value, level)?;
                values.insert(key_of(&type_), value.unbind());
            }
        }
        Ok(Self {
            container,
            parent,
            state: Arc::new(ScopeState::new(parent_state, depth, level, values)),
            closed: AtomicBool::new(false),
            children: Mutex::default(),
            had_children: AtomicBool::new(false),
        })
    }
}
