//! `_RustContainer`: a registry of providers, the plans compiled from it and
//! the container's singletons. The Python `Container` subclasses it, so
//! `container.resolve(T)` reaches `RustContainer::resolve` with no Python
//! frame in between.

mod diagnostics;
mod overrides;
mod registration;
mod sync;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dioxide_core::{ArgSource, DomainError, Key, Lifetime, Provider, Registry, Role};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use crate::bindings::cell::InstanceCell;
use crate::bindings::errors::{keys_of, render, DioxideError, ErrorKind};
use crate::bindings::exec::{refuse_early, run, Ctx, ExecArg, ExecNode, ExecPlan, Kind};
use crate::bindings::keys::{chain_object, is_type, key_of, KeyMap};
use crate::bindings::resume::Resolution;
use overrides::OverrideFrame;
use registration::{not_a_type, Entry, Payload};

use crate::bindings::lifecycle::{
    close_sync, finalize_until_async, raise_together, Finalizer, FinalizerKind, Finalizers,
};
use crate::bindings::scope::ScopeState;

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
    own: Vec<Provider<Payload>>,
    /// Keys registered on this container itself (the rest came from the parent).
    explicit: HashSet<Key>,
    /// The types this container's own registrations mention, kept alive so
    /// keys stay unique (the parent keeps those of its providers).
    types: HashMap<Key, Py<PyAny>>,
    /// In a registry: the snapshot served to containers, per profile, with
    /// the generation it was taken at.
    views: HashMap<Option<String>, (u64, Arc<Registry<Payload>>)>,
    /// In a registry: called with a type whose provider still waits for a
    /// forward reference, to complete what can be completed now.
    completer: Option<Py<PyAny>>,
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
    epochs: HashMap<Key, u64>,
    closed: bool,
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
    providers: Vec<Provider<Payload>>,
}

#[pyclass(
    name = "_RustContainer",
    module = "dioxide._dioxide_core",
    subclass,
    frozen
)]
pub(crate) struct RustContainer {
    state: RwLock<State>,
    /// Bumped on every registration; child containers compare against it.
    generation: AtomicU64,
    pub(crate) finalizers: Finalizers,
}

impl RustContainer {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.read().closed
    }

    pub(crate) fn closed_error(py: Python<'_>) -> PyErr {
        DioxideError::new(ErrorKind::Resolution, "this container is closed")
            .with_hint("create a new Container(); a closed container has released its singletons")
            .into_pyerr(py)
    }

    pub(crate) fn resolve_with(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
        scope: Option<&ScopeState>,
    ) -> PyResult<Py<PyAny>> {
        // Hot path: one read-locked lookup. A built singleton is returned
        // right there, with no plan to clone and nothing to run (S1 in
        // benchmarks/); otherwise the plan is taken out of the lock to run.
        let cached = {
            let state = self.read();
            if !state.closed && Self::in_sync(&state) {
                match state.plans.get(&key_of(type_)) {
                    Some(plan) => match plan
                        .nodes
                        .last()
                        .and_then(|r| r.cell.as_ref())
                        .and_then(|c| c.get())
                    {
                        Some(value) => return Ok(value.clone_ref(py)),
                        None => Some(Arc::clone(plan)),
                    },
                    None => None,
                }
            } else {
                None
            }
        };
        let plan = match cached {
            Some(plan) => plan,
            None => self.plan_for(py, type_)?,
        };
        let ctx = Ctx {
            container_finalizers: &self.finalizers,
            scope,
        };
        run(py, &plan, &ctx)
    }

    /// The awaitable `aresolve` awaits: the same plan as `resolve`, run by
    /// the same executor, suspended on each async provider (see `resume`).
    /// Refused before anything runs when the plan needs a scope it lacks.
    pub(crate) fn aresolve_with(
        slf: &Bound<'_, Self>,
        type_: &Bound<'_, PyAny>,
        scope: Option<Py<crate::bindings::scope::RustScope>>,
        task: u64,
    ) -> PyResult<Resolution> {
        let py = slf.py();
        let this = slf.get();
        let plan = this.plan_for(py, type_)?;
        let scope_state = scope.as_ref().map(|s| s.get().state());
        let ctx = Ctx {
            container_finalizers: &this.finalizers,
            scope: scope_state,
        };
        let root = plan.nodes.len().saturating_sub(1);
        refuse_early(py, &plan, &ctx, root, true)?;
        Ok(Resolution::new(plan, slf.clone().unbind(), scope, task))
    }

    fn in_sync(state: &State) -> bool {
        Self::parent_generation(state).is_none_or(|g| g == state.parent_generation)
    }

    fn parent_generation(state: &State) -> Option<u64> {
        state
            .parent
            .as_ref()
            .map(|p| p.get().generation.load(Ordering::Acquire))
    }

    fn plan_for(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Arc<ExecPlan>> {
        let key = key_of(type_);
        {
            let state = self.read();
            if !state.closed && Self::in_sync(&state) {
                if let Some(plan) = state.plans.get(&key) {
                    return Ok(Arc::clone(plan));
                }
            }
        }
        // Errors are built with no lock held: building one runs Python code,
        // which may switch threads to one that waits for this lock.
        if self.is_closed() {
            return Err(Self::closed_error(py));
        }
        if !is_type(type_) {
            return Err(not_a_type(py, "resolve()", type_));
        }
        self.sync(py)?;
        match self.compile(py, key, type_, true) {
            Err(Refused::Pending(pending)) => {
                // A forward reference may have become resolvable since the
                // registry last looked (a class defined without a
                // decorator): let it complete what it can, then try again.
                self.complete_pending(py, pending.bind(py))?;
                self.sync(py)?;
                self.compile(py, key, type_, false)
                    .map_err(|r| r.into_pyerr(py))
            }
            other => other.map_err(|r| r.into_pyerr(py)),
        }
    }

    /// Ask the parent registry to complete the forward references it waits
    /// for. Its error (the completion of `pending` is refused) is the
    /// resolve's.
    fn complete_pending(&self, py: Python<'_>, pending: &Bound<'_, PyAny>) -> PyResult<()> {
        let completer = {
            let state = self.read();
            let owner = match state.parent.as_ref() {
                Some(parent) => parent
                    .get()
                    .read()
                    .completer
                    .as_ref()
                    .map(|c| c.clone_ref(py)),
                None => state.completer.as_ref().map(|c| c.clone_ref(py)),
            };
            owner
        };
        if let Some(completer) = completer {
            completer.call1(py, (pending,))?;
        }
        Ok(())
    }

    fn compile(
        &self,
        py: Python<'_>,
        key: Key,
        type_: &Bound<'_, PyAny>,
        complete: bool,
    ) -> Result<Arc<ExecPlan>, Refused> {
        let mut state = self.write();
        if let Some(plan) = state.plans.get(&key) {
            return Ok(Arc::clone(plan));
        }
        let plan = match state.registry.plan(key) {
            Ok(plan) => plan,
            Err(err) => {
                let mut types = error_types(py, &state, &err);
                types.entry(key).or_insert_with(|| type_.clone().unbind());
                drop(state);
                if let (DomainError::Pending { chain, .. }, true) = (&err, complete) {
                    if let Some(last) = chain.last() {
                        let pending = chain_object(py, *last, &types);
                        return Err(Refused::Pending(pending));
                    }
                }
                return Err(Refused::Error(
                    self.explain_missing(py, &err, render(py, &err, &types))
                        .into_pyerr(py),
                ));
            }
        };
        let types = types_for(py, &state, plan.nodes.iter().map(|n| n.key));
        let types = &types;
        let State {
            registry,
            singletons,
            plans,
            overrides,
            epochs,
            ..
        } = &mut *state;
        let mut nodes = Vec::with_capacity(plan.nodes.len());
        for node in &plan.nodes {
            let (target, kind, by_position): (Py<PyAny>, Kind, &[bool]) = match node.role {
                Role::Alias => (py.None(), Kind::Alias, &[]),
                Role::Collection => (py.None(), Kind::Collection, &[]),
                Role::Build => {
                    let Some(provider) = registry.get(node.key) else {
                        return Err(Refused::Error(
                            DioxideError::new(
                                ErrorKind::Resolution,
                                "plan refers to an unknown provider",
                            )
                            .into_pyerr(py),
                        ));
                    };
                    (
                        provider.payload.target.clone_ref(py),
                        provider.payload.kind,
                        provider.payload.positional.as_slice(),
                    )
                }
            };
            let provides = if node.key == key {
                type_.clone().unbind()
            } else {
                chain_object(py, node.key, types)
            };
            let cell = (node.lifetime == Lifetime::Singleton && kind != Kind::Instance)
                .then(|| Arc::clone(singletons.entry(node.key).or_default()));
            // Arguments go by position while every parameter before them is
            // passed too (cheaper than a keyword dict), the rest by keyword;
            // parameters left to their defaults are not passed at all.
            let mut positional = 0;
            let mut args = Vec::with_capacity(node.args.len());
            for (index, arg) in node.args.iter().enumerate() {
                let source = match arg.source {
                    ArgSource::Node(index) => ExecArg::Node(index),
                    ArgSource::None => ExecArg::None,
                    ArgSource::EmptyList => ExecArg::EmptyList,
                    ArgSource::Default => continue,
                };
                let in_order = matches!(kind, Kind::Alias | Kind::Collection)
                    || by_position.get(index).copied().unwrap_or(false);
                if in_order && positional == index {
                    positional += 1;
                }
                args.push((
                    pyo3::types::PyString::intern(py, &arg.param).unbind(),
                    source,
                ));
            }
            // While an override affects a scoped node, open scopes keep a
            // separate instance of it for the override's block: a scope then
            // agrees with itself (its dependants and `resolve` see one
            // instance), and gets its earlier instance back afterwards.
            let token = overrides
                .iter()
                .rev()
                .find(|f| f.affects(node.key))
                .map_or(0, |f| f.token);
            let epoch = epochs.get(&node.key).copied().unwrap_or(0);
            let scope_key = Key(node.key.0 ^ token.rotate_left(32) ^ epoch.rotate_left(48));
            nodes.push(ExecNode {
                key: node.key,
                scope_key,
                provides,
                target,
                kind,
                lifetime: node.lifetime,
                cell,
                positional,
                args,
            });
        }
        let compiled = Arc::new(ExecPlan::new(plan, nodes));
        plans.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }
}

/// Why `compile` made no plan.
enum Refused {
    /// The provider of this type waits for a forward reference.
    Pending(Py<PyAny>),
    Error(PyErr),
}

impl Refused {
    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Self::Error(err) => err,
            // Only made when the caller asked to complete pending providers.
            Self::Pending(pending) => DioxideError::new(
                ErrorKind::Resolution,
                format!(
                    "{} waits for a forward reference",
                    crate::bindings::keys::display_name(pending.bind(py))
                ),
            )
            .into_pyerr(py),
        }
    }
}

fn is_closed_scope(scope: &Bound<'_, PyAny>) -> bool {
    scope
        .getattr(pyo3::intern!(scope.py(), "closed"))
        .and_then(|c| c.is_truthy())
        .unwrap_or(true)
}

fn error_types(py: Python<'_>, state: &State, err: &DomainError) -> HashMap<Key, Py<PyAny>> {
    types_for(py, state, keys_of(err))
}

/// The type objects behind `keys`, from this container's own types or its
/// parent registry's, for naming them.
fn types_for(
    py: Python<'_>,
    state: &State,
    keys: impl IntoIterator<Item = Key>,
) -> HashMap<Key, Py<PyAny>> {
    let parent = state.parent.as_ref().map(|p| p.get().read());
    keys.into_iter()
        .filter_map(|k| {
            state
                .types
                .get(&k)
                .or_else(|| parent.as_ref().and_then(|p| p.types.get(&k)))
                .map(|t| (k, t.clone_ref(py)))
        })
        .collect()
}

#[pymethods]
impl RustContainer {
    #[new]
    #[pyo3(signature = (parent=None, profile=None))]
    fn new(parent: Option<Py<RustContainer>>, profile: Option<String>) -> Self {
        let state = State {
            parent,
            profile,
            ..State::default()
        };
        Self {
            state: RwLock::new(state),
            generation: AtomicU64::new(0),
            finalizers: Finalizers::default(),
        }
    }

    /// Build (or fetch) the instance for `type_`.
    pub(crate) fn resolve(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        self.resolve_with(py, type_, None)
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

    /// Set the configuration value `name`.
    fn _register_value(&self, py: Python<'_>, name: &str, value: Py<PyAny>) -> PyResult<()> {
        self.register_value(py, name, value)
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

    /// Close the container: run every finalizer newest first (`error` is
    /// thrown into generator providers so they can roll back), then release
    /// the singletons. Every finalizer runs; failures are raised together.
    #[pyo3(signature = (error=None))]
    fn close(&self, py: Python<'_>, error: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        if !self._begin_close() {
            return Ok(());
        }
        // Scopes still open hold instances built on the singletons: they
        // close first, newest first, and their failures are raised with
        // the container's.
        let mut failures: Vec<PyErr> = Vec::new();
        for scope in self._open_scopes(py) {
            if let Err(err) = scope.call_method1(pyo3::intern!(py, "close"), (error.as_ref(),)) {
                failures.push(err);
            }
        }
        let outcome = close_sync(py, &self.finalizers, error.as_ref(), "container");
        self._release();
        if failures.is_empty() {
            return outcome;
        }
        let mut errors: Vec<Bound<'_, PyAny>> = failures
            .into_iter()
            .map(|e| e.into_value(py).into_bound(py).into_any())
            .collect();
        if let Err(err) = outcome {
            errors.push(err.into_value(py).into_bound(py).into_any());
        }
        raise_together(py, errors, "the container", true)
    }

    /// The scopes opened on this container that are still open, newest
    /// first; the container forgets them (it is closing).
    fn _open_scopes<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyAny>> {
        let weak = std::mem::take(&mut self.write().scopes);
        let scopes: Vec<Bound<'py, PyAny>> = weak
            .iter()
            .rev()
            .filter_map(|w| w.bind(py).call0().ok())
            .filter(|s| !s.is_none() && !is_closed_scope(s))
            .collect();
        drop(weak);
        scopes
    }

    /// Remember a scope opened on this container (weakly), so closing the
    /// container closes it first.
    fn _track_scope(&self, py: Python<'_>, scope: &Bound<'_, PyAny>) -> PyResult<()> {
        let weak = pyo3::types::PyWeakrefReference::new(scope)?
            .into_any()
            .unbind();
        let mut dropped: Vec<Py<PyAny>> = Vec::new();
        {
            let mut state = self.write();
            if state.closed {
                drop(state);
                return Err(Self::closed_error(py));
            }
            state.scopes.push(weak);
            // Forget closed and collected scopes now and then, so a
            // long-lived container does not accumulate them.
            let count = state.scopes.len();
            if count >= 64 && count.is_power_of_two() {
                dropped = std::mem::take(&mut state.scopes);
            }
        }
        if !dropped.is_empty() {
            let live: Vec<Py<PyAny>> = dropped
                .into_iter()
                .filter(|w| {
                    w.bind(py)
                        .call0()
                        .is_ok_and(|s| !s.is_none() && !is_closed_scope(&s))
                })
                .collect();
            let mut state = self.write();
            let newer = std::mem::take(&mut state.scopes);
            state.scopes = live;
            state.scopes.extend(newer);
        }
        Ok(())
    }

    /// The lifetime `type_` is provided with here (`None`: no provider, or
    /// an interface with several): an override keeps it by default.
    fn _lifetime_of(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
    ) -> PyResult<Option<&'static str>> {
        self.sync(py)?;
        Ok(self
            .read()
            .registry
            .lifetime_of(key_of(type_))
            .map(crate::bindings::keys::lifetime_name))
    }

    /// Set the function called with a type whose provider waits for a
    /// forward reference (see `plan_for`); for registries.
    fn _set_completer(&self, completer: Py<PyAny>) {
        let old = self.write().completer.replace(completer);
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
            let mut state = self.write();
            !std::mem::replace(&mut state.closed, true)
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

    /// `True` once the container is closed (`close()`, `aclose()` or the end
    /// of its `with` block); a closed container refuses to resolve.
    #[getter]
    fn closed(&self) -> bool {
        self.read().closed
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
        Ok(self.read().registry.len())
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
            garbage.other.append(&mut state.scopes);
            garbage.other.extend(state.types.drain().map(|(_, t)| t));
            if let Some(parent) = state.parent.take() {
                garbage.other.push(parent.into_any());
            }
            state.explicit.clear();
        }
        drop(self.finalizers.clear());
        drop(garbage);
    }
}
