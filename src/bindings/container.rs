//! `_RustContainer`: a registry of providers, the plans compiled from it and
//! the container's singletons. The Python `Container` subclasses it, so
//! `container.resolve(T)` reaches `RustContainer::resolve` with no Python
//! frame in between.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dioxide_core::{ArgSource, Dependency, DomainError, Fallback, Key, Lifetime, Provider, Registry};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::cell::InstanceCell;
use super::errors::{keys_of, render, DioxideError, ErrorKind};
use super::exec::{run, Ctx, ExecArg, ExecNode, ExecPlan, Kind};
use super::keys::{display_name, is_type, key_of, lifetime_name, parse_lifetime};
use super::lifecycle::{finalize_until_async, Finalizer, FinalizerKind, Finalizers};
use super::scope::ScopeState;

/// Registration order across all containers, so a container can tell which
/// of its parent's providers it has already copied.
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// What the registry stores for a provider: the Python callable (or the
/// instance itself) and how to use it.
pub(crate) struct Payload {
    target: Py<PyAny>,
    kind: Kind,
    seq: u64,
}

/// One registration as the Python layer sends it:
/// `(provides, target, lifetime, kind, deps, pending)` with `deps` a list of
/// `(parameter, type, fallback)` and fallback 0 = required, 1 = keep the
/// default, 2 = pass `None`.
type Entry<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    String,
    String,
    Vec<(String, Bound<'py, PyAny>, u8)>,
    Option<String>,
);

#[derive(Default)]
struct State {
    registry: Registry<Payload>,
    /// Keys registered on this container itself (the rest came from the parent).
    explicit: HashSet<Key>,
    /// Every type the registry mentions, kept alive so keys stay unique.
    types: HashMap<Key, Py<PyAny>>,
    plans: HashMap<Key, Arc<ExecPlan>>,
    singletons: HashMap<Key, Arc<InstanceCell>>,
    parent: Option<Py<RustContainer>>,
    parent_generation: u64,
    closed: bool,
}

/// Things removed from the state that must be dropped after its lock is
/// released: dropping a Python object can run arbitrary code (`__del__`),
/// which may call back into this container.
#[derive(Default)]
struct Garbage {
    plans: Vec<Arc<ExecPlan>>,
    cells: Vec<Arc<InstanceCell>>,
    other: Vec<Py<PyAny>>,
    providers: Vec<Provider<Payload>>,
}

#[pyclass(name = "_RustContainer", module = "dioxide._dioxide_core", subclass, frozen)]
pub(crate) struct RustContainer {
    state: RwLock<State>,
    /// Bumped on every registration; child containers compare against it.
    generation: AtomicU64,
    finalizers: Finalizers,
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
        prebuilt: Option<&HashMap<Key, Py<PyAny>>>,
    ) -> PyResult<Py<PyAny>> {
        let plan = self.plan_for(py, type_)?;
        let ctx = Ctx {
            container_finalizers: &self.finalizers,
            scope,
            prebuilt,
        };
        run(py, &plan, &ctx)
    }

    fn parent_generation(state: &State) -> Option<u64> {
        state.parent.as_ref().map(|p| p.get().generation.load(Ordering::Acquire))
    }

    fn plan_for(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<Arc<ExecPlan>> {
        let key = key_of(type_);
        {
            let state = self.read();
            if state.closed {
                return Err(Self::closed_error(py));
            }
            let in_sync = Self::parent_generation(&state).is_none_or(|g| g == state.parent_generation);
            if in_sync {
                if let Some(plan) = state.plans.get(&key) {
                    return Ok(Arc::clone(plan));
                }
            }
        }
        if !is_type(type_) {
            return Err(not_a_type(py, "resolve()", type_));
        }
        self.sync(py)?;
        self.compile(py, key, type_)
    }

    /// Copy providers the parent (the decorator registry) gained since the
    /// last sync, unless this container registered the same type itself.
    fn sync(&self, py: Python<'_>) -> PyResult<()> {
        let (parent, seen, mine): (Py<RustContainer>, u64, HashMap<Key, u64>) = {
            let state = self.read();
            let Some(parent) = state.parent.as_ref() else { return Ok(()) };
            let mine = state.registry.iter().map(|p| (p.key, p.payload.seq)).collect();
            (parent.clone_ref(py), state.parent_generation, mine)
        };
        let parent = parent.get();
        let generation = parent.generation.load(Ordering::Acquire);
        if generation == seen {
            return Ok(());
        }
        let (batch, types) = {
            let theirs = parent.read();
            let explicit = &self.read().explicit.clone();
            let batch: Vec<Provider<Payload>> = theirs
                .registry
                .iter()
                .filter(|p| !explicit.contains(&p.key) && mine.get(&p.key) != Some(&p.payload.seq))
                .map(|p| copy_provider(py, p))
                .collect();
            let types: Vec<(Key, Py<PyAny>)> = theirs.types.iter().map(|(k, t)| (*k, t.clone_ref(py))).collect();
            (batch, types)
        };
        let keys: Vec<Key> = batch.iter().map(|p| p.key).collect();
        let mut garbage = Garbage::default();
        let mut state = self.write();
        for (key, ty) in types {
            if let Some(old) = state.types.insert(key, ty) {
                garbage.other.push(old);
            }
        }
        if let Err(err) = state.registry.register_all(batch) {
            let types = state.types.iter().map(|(k, t)| (*k, t.clone_ref(py))).collect();
            drop(state);
            return Err(render(py, &err, &types).into_pyerr(py));
        }
        state.parent_generation = generation;
        forget_built(&mut state, &keys, &mut garbage);
        drop(state);
        drop(garbage);
        Ok(())
    }

    fn compile(&self, py: Python<'_>, key: Key, type_: &Bound<'_, PyAny>) -> PyResult<Arc<ExecPlan>> {
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
                return Err(render(py, &err, &types).into_pyerr(py));
            }
        };
        let State {
            registry,
            types,
            singletons,
            plans,
            ..
        } = &mut *state;
        let mut nodes = Vec::with_capacity(plan.nodes.len());
        for node in &plan.nodes {
            let Some(provider) = registry.get(node.key) else {
                return Err(DioxideError::new(ErrorKind::Resolution, "plan refers to an unknown provider").into_pyerr(py));
            };
            let provides = types
                .get(&node.key)
                .map(|t| t.clone_ref(py))
                .unwrap_or_else(|| type_.clone().unbind());
            let cell = (node.lifetime == Lifetime::Singleton && provider.payload.kind != Kind::Instance)
                .then(|| Arc::clone(singletons.entry(node.key).or_default()));
            let args = node
                .args
                .iter()
                .filter_map(|arg| {
                    let source = match arg.source {
                        ArgSource::Node(index) => ExecArg::Node(index),
                        ArgSource::None => ExecArg::None,
                        ArgSource::Default => return None,
                    };
                    Some((pyo3::types::PyString::intern(py, &arg.param).unbind(), source))
                })
                .collect();
            nodes.push(ExecNode {
                key: node.key,
                provides,
                target: provider.payload.target.clone_ref(py),
                kind: provider.payload.kind,
                lifetime: node.lifetime,
                cell,
                args,
            });
        }
        let compiled = Arc::new(ExecPlan { nodes });
        plans.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }

    fn register_entries(&self, py: Python<'_>, entries: Vec<Entry<'_>>, explicit: bool) -> PyResult<()> {
        let mut providers = Vec::with_capacity(entries.len());
        let mut new_types: HashMap<Key, Py<PyAny>> = HashMap::new();
        for (provides, target, lifetime, kind, deps, pending) in entries {
            if !is_type(&provides) {
                return Err(not_a_type(py, "registration", &provides));
            }
            let kind = Kind::parse(&kind).ok_or_else(|| {
                DioxideError::new(ErrorKind::InvalidInput, format!("unknown provider kind {kind:?}")).into_pyerr(py)
            })?;
            let lifetime = parse_lifetime(&lifetime)?;
            let key = key_of(&provides);
            let mut dependencies = Vec::with_capacity(deps.len());
            for (param, dep_type, fallback) in deps {
                if !is_type(&dep_type) {
                    return Err(not_a_type(py, "a dependency annotation", &dep_type));
                }
                let fallback = match fallback {
                    0 => Fallback::Required,
                    1 => Fallback::UseDefault,
                    _ => Fallback::UseNone,
                };
                let dep_key = key_of(&dep_type);
                new_types.entry(dep_key).or_insert_with(|| dep_type.unbind());
                dependencies.push(Dependency::new(param, dep_key, fallback));
            }
            new_types.entry(key).or_insert_with(|| provides.clone().unbind());
            let payload = Payload {
                target: target.unbind(),
                kind,
                seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            };
            let provider = match pending {
                Some(name) => Provider::pending(key, lifetime, name, payload),
                None => Provider::new(key, lifetime, dependencies, payload),
            };
            providers.push(provider.with_async(kind.is_async()));
        }
        if explicit {
            // Check explicit registrations against the decorated providers too.
            self.sync(py)?;
        }
        let keys: Vec<Key> = providers.iter().map(|p| p.key).collect();
        let mut garbage = Garbage::default();
        let mut state = self.write();
        if state.closed {
            drop(state);
            return Err(DioxideError::new(ErrorKind::Resolution, "cannot register on a closed container")
                .with_hint("create a new Container()")
                .into_pyerr(py));
        }
        if explicit {
            let mut seen = HashSet::new();
            if let Some(dup) = keys.iter().find(|k| state.explicit.contains(k) || !seen.insert(**k)) {
                let name = new_types.get(dup).map(|t| display_name(t.bind(py))).unwrap_or_default();
                let chain = new_types.get(dup).map(|t| vec![t.clone_ref(py)]).unwrap_or_default();
                drop(state);
                return Err(DioxideError::new(
                    ErrorKind::Duplicate,
                    format!("{name} is already registered in this container"),
                )
                .with_chain(chain)
                .with_hint(format!(
                    "register {name} once per container; to swap it in a test, use a new Container() \
                     or override it"
                ))
                .into_pyerr(py));
            }
        }
        if let Err(err) = state.registry.register_all(providers) {
            let mut types = error_types(py, &state, &err);
            for (k, t) in &new_types {
                types.entry(*k).or_insert_with(|| t.clone_ref(py));
            }
            drop(state);
            return Err(render(py, &err, &types).into_pyerr(py));
        }
        for (key, ty) in new_types {
            if let Some(old) = state.types.insert(key, ty) {
                garbage.other.push(old);
            }
        }
        if explicit {
            state.explicit.extend(keys.iter().copied());
        }
        forget_built(&mut state, &keys, &mut garbage);
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(state);
        drop(garbage);
        Ok(())
    }
}

/// After providers for `keys` changed: drop every compiled plan and the
/// singletons built by the old providers.
fn forget_built(state: &mut State, keys: &[Key], garbage: &mut Garbage) {
    garbage.plans.extend(state.plans.drain().map(|(_, plan)| plan));
    for key in keys {
        if let Some(cell) = state.singletons.remove(key) {
            garbage.cells.push(cell);
        }
    }
}

fn copy_provider(py: Python<'_>, p: &Provider<Payload>) -> Provider<Payload> {
    Provider {
        key: p.key,
        lifetime: p.lifetime,
        deps: p.deps.clone(),
        pending: p.pending.clone(),
        asynchronous: p.asynchronous,
        payload: Payload {
            target: p.payload.target.clone_ref(py),
            kind: p.payload.kind,
            seq: p.payload.seq,
        },
    }
}

fn error_types(py: Python<'_>, state: &State, err: &DomainError) -> HashMap<Key, Py<PyAny>> {
    keys_of(err)
        .into_iter()
        .filter_map(|k| state.types.get(&k).map(|t| (k, t.clone_ref(py))))
        .collect()
}

fn not_a_type(py: Python<'_>, context: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    let shown = obj.repr().map(|r| r.to_string()).unwrap_or_else(|_| "<object>".into());
    let kind = display_name(&obj.get_type().into_any());
    DioxideError::new(
        ErrorKind::InvalidInput,
        format!("{context} expects a class, got {shown} (an instance of {kind})"),
    )
    .with_hint("pass the class itself, e.g. resolve(UserService), not an instance or a generic alias")
    .into_pyerr(py)
}

pub(crate) fn prebuilt_map(prebuilt: &Bound<'_, PyDict>) -> PyResult<HashMap<Key, Py<PyAny>>> {
    Ok(prebuilt
        .iter()
        .map(|(k, v)| (key_of(&k), v.unbind()))
        .collect())
}

#[pymethods]
impl RustContainer {
    #[new]
    #[pyo3(signature = (parent=None))]
    fn new(parent: Option<Py<RustContainer>>) -> Self {
        let state = State {
            parent,
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
        self.resolve_with(py, type_, None, None)
    }

    /// Register providers as one change: all or none.
    #[pyo3(signature = (entries, *, explicit=true))]
    fn _register(&self, py: Python<'_>, entries: Vec<Entry<'_>>, explicit: bool) -> PyResult<()> {
        self.register_entries(py, entries, explicit)
    }

    fn _resolve_prebuilt(&self, py: Python<'_>, type_: &Bound<'_, PyAny>, prebuilt: &Bound<'_, PyDict>) -> PyResult<Py<PyAny>> {
        let prebuilt = prebuilt_map(prebuilt)?;
        self.resolve_with(py, type_, None, Some(&prebuilt))
    }

    /// The async providers `type_` needs, dependencies first, as
    /// `(provides, target, kind, lifetime, [(parameter, type or None)])`.
    fn _async_plan<'py>(&self, py: Python<'py>, type_: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let plan = self.plan_for(py, type_)?;
        let steps = PyList::empty(py);
        for node in plan.nodes.iter().filter(|n| n.kind.is_async()) {
            let args = PyList::empty(py);
            for (name, source) in &node.args {
                let dep = match source {
                    ExecArg::Node(index) => plan.nodes.get(*index).map(|n| n.provides.clone_ref(py)),
                    ExecArg::None => None,
                };
                args.append((name.clone_ref(py), dep))?;
            }
            steps.append((
                node.provides.clone_ref(py),
                node.target.clone_ref(py),
                node.kind.name(),
                lifetime_name(node.lifetime),
                args,
            ))?;
        }
        Ok(steps)
    }

    /// The built singleton for `type_`, or `None`.
    fn _cached(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
        let state = self.read();
        state
            .singletons
            .get(&key_of(type_))
            .and_then(|c| c.get())
            .map(|v| v.clone_ref(py))
    }

    /// Store a singleton built by `aresolve`; returns the stored instance.
    fn _store(&self, py: Python<'_>, type_: &Bound<'_, PyAny>, value: Py<PyAny>) -> Py<PyAny> {
        let cell = Arc::clone(self.write().singletons.entry(key_of(type_)).or_default());
        match cell.get() {
            Some(existing) => existing.clone_ref(py),
            None => cell.fill(py, value),
        }
    }

    fn _push_async_finalizer(&self, type_: Py<PyAny>, handle: Py<PyAny>) {
        self.finalizers.push(Finalizer {
            kind: FinalizerKind::AsyncGenerator,
            handle,
            provides: type_,
        });
    }

    /// `(provides, target, lifetime, kind, [(parameter, type)], explicit)`
    /// for every provider, in registration order.
    fn _providers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.sync(py)?;
        let state = self.read();
        let out = PyList::empty(py);
        for p in state.registry.iter() {
            let provides = state.types.get(&p.key).map(|t| t.clone_ref(py));
            let deps = PyList::empty(py);
            for dep in &p.deps {
                deps.append((dep.param.as_str(), state.types.get(&dep.key).map(|t| t.clone_ref(py))))?;
            }
            out.append((
                provides,
                p.payload.target.clone_ref(py),
                lifetime_name(p.lifetime),
                p.payload.kind.name(),
                deps,
                state.explicit.contains(&p.key),
            ))?;
        }
        Ok(out)
    }

    /// Mark the container closed (no more resolves or registrations);
    /// `False` when it already was.
    fn _begin_close(&self) -> bool {
        let mut state = self.write();
        !std::mem::replace(&mut state.closed, true)
    }

    /// Run finalizers newest first up to the next async one; see
    /// `lifecycle::finalize_until_async`.
    #[pyo3(signature = (error=None))]
    fn _finalize<'py>(&self, py: Python<'py>, error: Option<Bound<'py, PyAny>>) -> PyResult<Bound<'py, PyTuple>> {
        finalize_until_async(py, &self.finalizers, error.as_ref())
    }

    /// Drop the singletons and compiled plans.
    fn _release(&self) {
        let mut garbage = Garbage::default();
        {
            let mut state = self.write();
            garbage.plans.extend(state.plans.drain().map(|(_, p)| p));
            garbage.cells.extend(state.singletons.drain().map(|(_, c)| c));
        }
        drop(garbage);
    }

    #[getter]
    fn closed(&self) -> bool {
        self.read().closed
    }

    pub(crate) fn __contains__(&self, py: Python<'_>, type_: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.sync(py)?;
        Ok(self.read().registry.contains(key_of(type_)))
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.sync(py)?;
        Ok(self.read().registry.len())
    }

    fn __traverse__(&self, visit: pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Ok(state) = self.state.try_read() {
            for p in state.registry.iter() {
                visit.call(&p.payload.target)?;
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
            garbage.cells.extend(state.singletons.drain().map(|(_, c)| c));
            let keys: Vec<Key> = state.registry.iter().map(|p| p.key).collect();
            for key in keys {
                if let Some(p) = state.registry.remove(key) {
                    garbage.providers.push(p);
                }
            }
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
