//! `_RustContainer`: a registry of providers, the plans compiled from it and
//! the container's singletons. The Python `Container` subclasses it, so
//! `container.resolve(T)` reaches the Rust core with no Python frame in
//! between (through fast.rs's descriptor, owned by each class).

mod built;
mod closing;
mod context;
mod deferred;
mod diagnostics;
mod open;
mod overrides;
mod plain;
mod registration;
mod resolve;
mod sync;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dioxide_core::{Levels, Registry, Shared};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::bindings::cell::InstanceCell;
use crate::bindings::compiled::ExecPlan;
use crate::bindings::errors::{DioxideError, ErrorKind};
use crate::bindings::keys::{key_of, KeyMap};
use crate::bindings::locks;
use crate::bindings::resume::Resolution;
pub(crate) use built::{Built, Loan};
pub(crate) use open::{new_scope, set_scope_maker};
use overrides::OverrideFrame;
pub(crate) use registration::not_a_type as registration_not_a_type;
use registration::{Entry, Payload};
pub(crate) use resolve::Lookup;

use crate::bindings::lifecycle::{finalize_until_async, Finalizer, FinalizerKind, Finalizers};

#[derive(Default)]
struct State {
    /// What this container resolves from: the parent registry's snapshot for
    /// this container's profile (`base`, shared with every container made
    /// from the same snapshot), plus this container's own registrations and
    /// active overrides, copied on the first write.
    registry: Arc<Registry<Payload>>,
    base: Arc<Registry<Payload>>,
    /// This container's own registrations, in order, replayed on a newer
    /// snapshot when the parent registry changes.
    own: Vec<Shared<Payload>>,
    /// The types this container's own registrations mention, kept alive so
    /// keys stay unique (the parent keeps those of its providers).
    types: KeyMap<Py<PyAny>>,
    /// In a registry: the snapshot served to containers, per profile, with
    /// the generation it was taken at.
    views: HashMap<Option<String>, (u64, Arc<Registry<Payload>>)>,
    /// In a registry: called with a type whose provider still waits for a
    /// forward reference, to complete what can be completed now.
    completer: Option<Py<PyAny>>,
    /// In a container: called with what `resolve` got when it is not a
    /// class (a parametrised generic, `list[P]`, `Annotated[C, Named(..)]`),
    /// and with a parametrised generic a plan misses; it returns
    /// `(flavor, key object, name)` and registers the parametrisation of an
    /// open generic provider when one serves it (see `dioxide._generics`).
    generics: Option<Py<PyAny>>,
    /// Weak references to the scopes opened on this container, oldest
    /// first: closing the container closes those still open, newest first.
    scopes: Vec<Py<PyAny>>,
    plans: KeyMap<Arc<ExecPlan>>,
    singletons: KeyMap<Arc<InstanceCell>>,
    parent: Option<Py<RustContainer>>,
    parent_generation: u64,
    /// The profile this container was made for (`Container(profile=...)`).
    profile: Option<String>,
    overrides: Vec<OverrideFrame>,
    /// Per key, the registration that last made its instances stale (its
    /// provider or one it depends on was replaced): scoped instances are
    /// kept per epoch, so open scopes build them again.
    epochs: KeyMap<u64>,
}

/// Things removed from the state that must be dropped after its lock is
/// released: dropping a Python object can run arbitrary code (`__del__`),
/// which may call back into this container.
#[derive(Default)]
struct Garbage {
    registries: Vec<Arc<Registry<Payload>>>,
    plans: Vec<Arc<ExecPlan>>,
    cells: Vec<Arc<InstanceCell>>,
    other: Vec<Py<PyAny>>,
    providers: Vec<Shared<Payload>>,
}

#[pyclass(
    name = "_RustContainer",
    module = "dioxide._dioxide_core",
    subclass,
    frozen
)]
pub(crate) struct RustContainer {
    state: RwLock<State>,
    /// The scope levels, outermost first (`Container(scopes=...)`).
    levels: Levels,
    /// Bumped on every registration; child containers compare against it
    /// (and their `built` tables read it).
    generation: Arc<AtomicU64>,
    /// The built singletons, read without the state's lock (with the GIL).
    built: built::Built,
    /// Whether the container is closed (no more resolves or
    /// registrations): changed only under the state's write lock, so a
    /// holder of the lock sees it steady; read without it too.
    closed: AtomicBool,
    pub(crate) finalizers: Arc<Finalizers>,
}

impl RustContainer {
    #[inline(always)]
    fn read(&self) -> RwLockReadGuard<'_, State> {
        locks::read(&self.state)
    }

    /// The state, to change: the table of built singletons read without
    /// the lock is emptied first (see `built.rs`).
    fn write(&self) -> RwLockWriteGuard<'_, State> {
        let guard = locks::write(&self.state);
        Python::attach(|py| self.built.clear(py));
        guard
    }

    /// The state, to change its list of open scopes only: no plan, cell or
    /// flag the table of built singletons depends on, which is kept (every
    /// scope opened would empty it otherwise).
    fn write_scopes(&self) -> RwLockWriteGuard<'_, State> {
        locks::write(&self.state)
    }

    pub(crate) fn levels(&self) -> &Levels {
        &self.levels
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn closed_error(py: Python<'_>) -> PyErr {
        DioxideError::new(ErrorKind::Resolution, "this container is closed")
            .with_hint("create a new Container(); a closed container has released its singletons")
            .into_pyerr(py)
    }
}

#[pymethods]
impl RustContainer {
    /// `scopes` names the scope levels, outermost first (default
    /// `["request"]`); the Python layer has checked them.
    #[new]
    #[pyo3(signature = (parent=None, profile=None, scopes=None))]
    fn new(
        parent: Option<Py<RustContainer>>,
        profile: Option<String>,
        scopes: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let names = scopes.unwrap_or_else(|| vec!["request".to_owned()]);
        let order = names
            .iter()
            .map(|n| crate::bindings::keys::level_of(n))
            .collect();
        let levels = Levels::new(order).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(
                "scope levels must be distinct and at least one",
            )
        })?;
        let built = built::Built::new(parent.as_ref().map(|p| Arc::clone(&p.get().generation)));
        let state = State {
            parent,
            profile,
            ..State::default()
        };
        Ok(Self {
            levels,
            state: RwLock::new(state),
            generation: Arc::default(),
            built,
            closed: AtomicBool::new(false),
            finalizers: Arc::default(),
        })
    }

    /// The scope levels' names, outermost first.
    #[getter]
    fn _levels(&self) -> Vec<String> {
        self.levels
            .order()
            .iter()
            .map(|l| crate::bindings::keys::level_name(*l))
            .collect()
    }

    /// Build (or fetch) the instance for `type_`.
    pub(crate) fn resolve(slf: &Bound<'_, Self>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Self::resolve_with(slf, type_, None)
    }

    /// `container[T]`: `container.resolve(T)` (the slot runs fast.rs's
    /// function).
    fn __getitem__(slf: &Bound<'_, Self>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Self::resolve_with(slf, type_, None)
    }

    /// The awaitable behind `Container.aresolve`; `task` identifies the
    /// running task (a task waiting for itself is a cycle, not a wait).
    fn _aresolve(
        slf: &Bound<'_, Self>,
        type_: &Bound<'_, PyAny>,
        task: u64,
    ) -> PyResult<Resolution> {
        Self::aresolve_with(slf, type_, None, task)
    }

    /// Register providers as one change: all or none.
    #[pyo3(signature = (entries, *, explicit=true))]
    fn _register(&self, py: Python<'_>, entries: Vec<Entry<'_>>, explicit: bool) -> PyResult<()> {
        self.register_entries(py, entries, explicit)
    }

    /// Register the plain class `cls` (see `plain.rs`); `False`, and
    /// nothing registered, when it is not plain.
    #[pyo3(signature = (cls, lifetime, module_level))]
    fn _register_plain(
        &self,
        py: Python<'_>,
        cls: &Bound<'_, PyAny>,
        lifetime: &str,
        module_level: bool,
    ) -> PyResult<bool> {
        self.register_plain(py, cls, lifetime, module_level)
    }

    /// Set the configuration value `name`.
    fn _register_value(&self, py: Python<'_>, name: &str, value: Py<PyAny>) -> PyResult<()> {
        self.register_value(py, name, value)
    }

    /// Set configuration values as one change, each replacing the value its
    /// key had.
    fn _set_values(&self, py: Python<'_>, values: Vec<(String, Py<PyAny>)>) -> PyResult<()> {
        self.set_values(py, values)
    }

    /// Set the configuration value `name` until `_override_pop(token)`.
    fn _override_value_push(&self, py: Python<'_>, name: &str, value: Py<PyAny>) -> PyResult<u64> {
        self.override_value_push(py, name, value)
    }

    /// Replace the provider of one type until `_override_pop(token)`; see
    /// `overrides.rs`.
    fn _override_push(&self, py: Python<'_>, entry: Entry<'_>) -> PyResult<u64> {
        self.override_push(py, entry)
    }

    /// End the override `token`; see `overrides.rs`.
    fn _override_pop(&self, py: Python<'_>, token: u64) -> PyResult<()> {
        self.override_pop(py, token)
    }

    /// Every wiring problem, as dioxide exceptions, without building anything.
    fn _validate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.validate(py)
    }

    /// Every provider, in registration order, for the graph; see
    /// `diagnostics.rs`.
    fn _providers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.providers(py)
    }

    /// Refused once the container is closed (its finalizers have run or are
    /// running): the caller then finalizes the generator itself.
    fn _push_async_finalizer(
        &self,
        py: Python<'_>,
        type_: Py<PyAny>,
        handle: Py<PyAny>,
    ) -> PyResult<()> {
        let finalizer = Finalizer {
            kind: FinalizerKind::AsyncGenerator,
            handle,
            provides: type_,
        };
        if self.finalizers.push(finalizer).is_err() {
            return Err(Self::closed_error(py));
        }
        Ok(())
    }

    /// Close the container: the scopes still open on it first (newest
    /// first), then every finalizer newest first (`error` is thrown into
    /// generator providers so they can roll back), then release the
    /// singletons. Every finalizer runs; failures are raised together.
    #[pyo3(signature = (error=None))]
    fn close(&self, py: Python<'_>, error: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        self.close_owned(py, error)
    }

    /// The scopes opened on this container that are still open, newest
    /// first; the container forgets them (it is closing).
    fn _open_scopes<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyAny>> {
        self.open_scopes(py)
    }

    /// Open a scope of the first level (see `Container.create_scope`).
    #[pyo3(signature = (context=None))]
    fn create_scope<'py>(
        slf: &Bound<'py, Self>,
        context: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        Self::open_scope(slf, context)
    }

    /// Remember a scope opened on this container (weakly), so closing the
    /// container closes it first.
    fn _track_scope(&self, py: Python<'_>, scope: &Bound<'_, PyAny>) -> PyResult<()> {
        self.track_scope(py, scope)
    }

    /// The lifetime `type_` is provided with here (`None`: no provider, or
    /// an interface with several): an override keeps it by default.
    fn _lifetime_of(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        self.sync(py)?;
        let lifetime = self.read().registry.lifetime_of(key_of(type_));
        Ok(lifetime
            .map(|l| crate::bindings::keys::lifetime_name(self.levels.canonical_lifetime(l))))
    }

    /// Set the function called with a type whose provider waits for a
    /// forward reference (see `plan_for`); for registries.
    fn _set_completer(&self, completer: Py<PyAny>) {
        let old = self.write().completer.replace(completer);
        drop(old);
    }

    /// Set the function that canonicalises and materialises parametrised
    /// generics for this container (see `State::generics`).
    fn _set_generics(&self, hook: Py<PyAny>) {
        let old = self.write().generics.replace(hook);
        drop(old);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Leaving the `with` block closes the container, handing its exception
    /// to generator providers.
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

    /// Mark the container closed (no more resolves or registrations);
    /// `False` when it already was.
    fn _begin_close(&self) -> bool {
        let first = {
            let _state = self.write();
            !self.closed.swap(true, Ordering::AcqRel)
        };
        self.finalizers.seal();
        first
    }

    /// Run finalizers newest first up to the next async one; see
    /// `lifecycle::finalize_until_async`.
    #[pyo3(signature = (error=None))]
    fn _finalize<'py>(
        &self,
        py: Python<'py>,
        error: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        finalize_until_async(py, &self.finalizers, error.as_ref())
    }

    /// Drop the singletons and compiled plans.
    fn _release(&self) {
        let mut garbage = Garbage::default();
        {
            let mut state = self.write();
            garbage.plans.extend(state.plans.drain().map(|(_, p)| p));
            garbage
                .cells
                .extend(state.singletons.drain().map(|(_, c)| c));
        }
        drop(garbage);
    }

    /// How many finalizers wait for the container's close.
    fn _finalizer_count(&self) -> usize {
        self.finalizers.len()
    }

    /// Open a closed container again, with no singletons: an app whose
    /// lifespan runs more than once (tests start an app many times) gets
    /// fresh singletons each run, finalized at the end of that run. `False`
    /// (nothing done) when the container is open; refused while scopes or
    /// finalizers of the last run remain (it has not finished closing).
    fn _reopen(&self, py: Python<'_>) -> PyResult<bool> {
        let state = self.write();
        if !self.is_closed() {
            return Ok(false);
        }
        if self.finalizers.len() > 0 || !state.singletons.is_empty() {
            drop(state);
            return Err(DioxideError::new(
                ErrorKind::Resolution,
                "this container is still closing; it cannot be reopened yet",
            )
            .with_hint("wait for close() or aclose() to return before starting the app again")
            .into_pyerr(py));
        }
        self.closed.store(false, Ordering::Release);
        self.finalizers.unseal();
        Ok(true)
    }

    /// `True` once the container is closed (`close()`, `aclose()` or the end
    /// of its `with` block); a closed container refuses to resolve.
    #[getter]
    fn closed(&self) -> bool {
        self.is_closed()
    }

    /// `T in container`: whether `T` has a provider here (registered on the
    /// container, decorated, or an interface with an implementation).
    pub(crate) fn __contains__(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.sync(py)?;
        Ok(self.read().registry.contains(key_of(type_)))
    }

    /// The number of providers this container can use.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.sync(py)?;
        // Conversions of configuration values are not providers of their own.
        let state = self.read();
        Ok(state
            .registry
            .iter()
            .filter(|p| p.requires.is_none())
            .count())
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Ok(state) = self.state.try_read() {
            // A parent registry reports its providers; a container only its
            // own registrations (the snapshot it shares is its parent's).
            if state.parent.is_none() {
                for p in state.registry.iter() {
                    visit.call(&*p.payload.target)?;
                }
            }
            for p in &state.own {
                visit.call(&*p.payload.target)?;
            }
            for frame in &state.overrides {
                frame.visit(&visit)?;
            }
            if let Some(completer) = &state.completer {
                visit.call(completer)?;
            }
            if let Some(generics) = &state.generics {
                visit.call(generics)?;
            }
            for scope in &state.scopes {
                visit.call(scope)?;
            }
            for t in state.types.values() {
                visit.call(t)?;
            }
            for plan in state.plans.values() {
                plan.visit(&visit)?;
            }
            for value in state.singletons.values().filter_map(|c| c.get()) {
                visit.call(value)?;
            }
            if let Some(parent) = &state.parent {
                visit.call(parent)?;
            }
        }
        self.finalizers.visit(&visit)
    }

    fn __clear__(&self) {
        let mut garbage = Garbage::default();
        if let Ok(mut state) = self.state.try_write() {
            Python::attach(|py| self.built.clear(py));
            garbage.plans.extend(state.plans.drain().map(|(_, p)| p));
            garbage
                .cells
                .extend(state.singletons.drain().map(|(_, c)| c));
            garbage.registries.push(std::mem::take(&mut state.registry));
            garbage.registries.push(std::mem::take(&mut state.base));
            garbage
                .registries
                .extend(state.views.drain().map(|(_, (_, v))| v));
            garbage.providers.append(&mut state.own);
            garbage.other.extend(state.completer.take());
            garbage.other.extend(state.generics.take());
            garbage.other.append(&mut state.scopes);
            garbage.other.extend(state.types.drain().map(|(_, t)| t));
            if let Some(parent) = state.parent.take() {
                garbage.other.push(parent.into_any());
            }
        }
        drop(self.finalizers.clear());
        drop(garbage);
    }
}
