//! `_RustContainer`: a registry of providers, the plans compiled from it and
//! the container's singletons. The Python `Container` subclasses it, so
//! `container.resolve(T)` reaches `RustContainer::resolve` with no Python
//! frame in between.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use dioxide_core::{ArgSource, Dependency, DomainError, Exposure, Fallback, Key, Lifetime, Provider, Registry, Role};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::cell::InstanceCell;
use super::errors::{keys_of, named_only_hint, profile_hint, render, DioxideError, ErrorKind};
use super::exec::{run, run_at, Ctx, ExecArg, ExecNode, ExecPlan, Kind};
use super::keys::{
    value_name, KeyMap, chain_object, display_name, graph_node, is_type, key_name, key_of, lifetime_name, list_key, named_key,
    named_parts, parse_lifetime, value_key,
};
use super::lifecycle::{close_sync, finalize_until_async, Finalizer, FinalizerKind, Finalizers};
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
    /// Profiles the provider is limited to; `None` serves every profile.
    profiles: Option<Vec<String>>,
    /// Per dependency: may it be passed by position?
    positional: Vec<bool>,
}

/// One dependency as the Python layer sends it:
/// `(parameter, type, fallback, flavor, name, positional)`. Fallback: 0 = required,
/// 1 = keep the default, 2 = pass `None`, 3 = empty list. Flavor: `"type"`,
/// `"named"` (the type qualified by `name`), `"value"` (the configuration
/// value `name`) or `"list"` (every implementation of the type).
/// The last element says the argument may be passed by position.
type DepEntry<'py> = (String, Bound<'py, PyAny>, u8, String, Option<String>, bool);

/// One registration as the Python layer sends it:
/// `(provides, target, lifetime, kind, deps, pending, exposes, profiles)`
/// with `exposes` a list of `(interface, name or None)`.
type Entry<'py> = (
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    String,
    String,
    Vec<DepEntry<'py>>,
    Option<String>,
    Vec<(Bound<'py, PyAny>, Option<String>)>,
    Option<Vec<String>>,
);

/// What an override replaced, to put back when its block ends.
struct OverrideFrame {
    /// Handed to the Python side so it ends this override, not another.
    token: u64,
    key: Key,
    previous: Option<Provider<Payload>>,
    was_explicit: bool,
    /// Singletons of the key and its dependants, set aside for the block.
    saved_cells: Vec<(Key, Arc<InstanceCell>)>,
    affected: Vec<Key>,
    /// Its block has ended but a newer override is still active.
    ended: bool,
}

#[derive(Default)]
struct State {
    registry: Registry<Payload>,
    /// Keys registered on this container itself (the rest came from the parent).
    explicit: HashSet<Key>,
    /// Every type the registry mentions, kept alive so keys stay unique.
    types: HashMap<Key, Py<PyAny>>,
    plans: KeyMap<Arc<ExecPlan>>,
    singletons: KeyMap<Arc<InstanceCell>>,
    parent: Option<Py<RustContainer>>,
    parent_generation: u64,
    /// The profile this container was made for (`Container(profile=...)`).
    profile: Option<String>,
    overrides: Vec<OverrideFrame>,
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
        // Hot path: one read-locked lookup. A built singleton is returned
        // right there, with no plan to clone and nothing to run (S1 in
        // benchmarks/); otherwise the plan is taken out of the lock to run.
        let cached = {
            let state = self.read();
            if !state.closed && Self::in_sync(&state) {
                match state.plans.get(&key_of(type_)) {
                    Some(plan) => match plan.nodes.last().and_then(|r| r.cell.as_ref()).and_then(|c| c.get()) {
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
            prebuilt,
        };
        run(py, &plan, &ctx)
    }

    pub(crate) fn resolve_prebuilt_in(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
        prebuilt: &Bound<'_, PyDict>,
        index: Option<usize>,
        scope: Option<&ScopeState>,
    ) -> PyResult<Py<PyAny>> {
        let plan = self.plan_for(py, type_)?;
        let mut values = HashMap::new();
        for (i, value) in prebuilt.iter() {
            let i: usize = i.extract()?;
            if let Some(node) = plan.nodes.get(i) {
                values.insert(node.key, value.unbind());
            }
        }
        let ctx = Ctx {
            container_finalizers: &self.finalizers,
            scope,
            prebuilt: Some(&values),
        };
        let root = index.unwrap_or(plan.nodes.len().saturating_sub(1));
        run_at(py, &plan, &ctx, root)
    }

    fn in_sync(state: &State) -> bool {
        Self::parent_generation(state).is_none_or(|g| g == state.parent_generation)
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
            if Self::in_sync(&state) {
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
        // What this container holds of the parent's providers: their
        // registration sequence and exposures, to tell which changed.
        type Copied = HashMap<Key, (u64, Vec<Exposure>)>;
        let (parent, seen, mine): (Py<RustContainer>, u64, Copied) = {
            let state = self.read();
            let Some(parent) = state.parent.as_ref() else { return Ok(()) };
            let mine = state.registry.iter().map(|p| (p.key, (p.payload.seq, p.exposes.clone()))).collect();
            (parent.clone_ref(py), state.parent_generation, mine)
        };
        let parent = parent.get();
        let generation = parent.generation.load(Ordering::Acquire);
        if generation == seen {
            return Ok(());
        }
        let (explicit, profile) = {
            let state = self.read();
            (state.explicit.clone(), state.profile.clone())
        };
        // Providers that are new or changed: the singletons they built are stale.
        let mut changed: Vec<Key> = Vec::new();
        let (batch, types) = {
            let theirs = parent.read();
            let serves = |p: &Provider<Payload>| match (&p.payload.profiles, &profile) {
                (None, _) => true,
                (Some(list), Some(mine)) => list.contains(mine),
                (Some(_), None) => false,
            };
            // An implementation marked for this profile takes an interface
            // over unmarked ones (collections keep them all).
            let claimed: HashSet<Key> = theirs
                .registry
                .iter()
                .filter(|p| p.payload.profiles.is_some() && serves(p))
                .flat_map(|p| p.exposes.iter().filter(|e| !e.collection).map(|e| e.key))
                .collect();
            // An unmarked provider copied before an implementation for this
            // profile was decorated is copied again, without the interface
            // it has lost; its singleton is the same and stays built.
            let batch: Vec<Provider<Payload>> = theirs
                .registry
                .iter()
                .filter(|p| serves(p) && !explicit.contains(&p.key))
                .filter_map(|p| {
                    let mut exposes = p.exposes.clone();
                    if p.payload.profiles.is_none() {
                        exposes.retain(|e| e.collection || !claimed.contains(&e.key));
                    }
                    match mine.get(&p.key) {
                        Some((seq, copied)) if *seq == p.payload.seq && *copied == exposes => return None,
                        Some((seq, _)) if *seq == p.payload.seq => {}
                        _ => changed.push(p.key),
                    }
                    let mut copy = copy_provider(py, p);
                    copy.exposes = exposes;
                    Some(copy)
                })
                .collect();
            let types: Vec<(Key, Py<PyAny>)> = theirs.types.iter().map(|(k, t)| (*k, t.clone_ref(py))).collect();
            (batch, types)
        };
        let mut garbage = Garbage::default();
        let mut state = self.write();
        for (key, ty) in types {
            if let Some(old) = state.types.insert(key, ty) {
                garbage.other.push(old);
            }
        }
        if let Err(err) = state.registry.adopt_all(batch) {
            let types = state.types.iter().map(|(k, t)| (*k, t.clone_ref(py))).collect();
            drop(state);
            return Err(render(py, &err, &types).into_pyerr(py));
        }
        state.parent_generation = generation;
        forget_built(&mut state, &changed, &mut garbage);
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
                return Err(self.explain_missing(py, &err, render(py, &err, &types)).into_pyerr(py));
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
            let (target, kind, by_position): (Py<PyAny>, Kind, &[bool]) = match node.role {
                Role::Alias => (py.None(), Kind::Alias, &[]),
                Role::Collection => (py.None(), Kind::Collection, &[]),
                Role::Build => {
                    let Some(provider) = registry.get(node.key) else {
                        return Err(DioxideError::new(ErrorKind::Resolution, "plan refers to an unknown provider")
                            .into_pyerr(py));
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
                args.push((pyo3::types::PyString::intern(py, &arg.param).unbind(), source));
            }
            nodes.push(ExecNode {
                key: node.key,
                provides,
                target,
                kind,
                lifetime: node.lifetime,
                cell,
                positional,
                args,
            });
        }
        let compiled = Arc::new(ExecPlan::new(nodes));
        plans.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }

    /// Say more about a missing provider when the registries know why it
    /// is missing: the decorated registry has it only for profiles this
    /// container is not made for, or the type is an interface whose
    /// implementations all have names. Takes the locks itself; call it with
    /// none held.
    fn explain_missing(&self, py: Python<'_>, err: &DomainError, error: DioxideError) -> DioxideError {
        let DomainError::NotRegistered { missing, .. } = err else { return error };
        let Some(missing_name) = error.names.last().cloned() else { return error };
        let (parent, current, aliases) = {
            let state = self.read();
            let aliases: Vec<Key> = state
                .registry
                .iter()
                .flat_map(|p| p.exposes.iter().filter(|e| !e.collection).map(|e| e.key))
                .collect();
            (state.parent.as_ref().map(|p| p.clone_ref(py)), state.profile.clone(), aliases)
        };
        let mut profiles: Vec<String> = Vec::new();
        if let Some(parent) = parent {
            let theirs = parent.get().read();
            for provider in theirs.registry.iter() {
                let answers = provider.key == *missing
                    || provider.exposes.iter().any(|e| !e.collection && e.key == *missing);
                if !answers {
                    continue;
                }
                for profile in provider.payload.profiles.iter().flatten() {
                    if !profiles.contains(profile) {
                        profiles.push(profile.clone());
                    }
                }
            }
        }
        if !profiles.is_empty() {
            return error.with_hint(profile_hint(&missing_name, &profiles, current.as_deref()));
        }
        let mut names: Vec<String> = Vec::new();
        for alias in aliases {
            if let Some((interface, name)) = named_parts(py, alias) {
                if key_of(interface.bind(py)) == *missing && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        if names.is_empty() {
            return error;
        }
        error.with_hint(named_only_hint(&missing_name, &names))
    }

    fn register_entries(&self, py: Python<'_>, entries: Vec<Entry<'_>>, explicit: bool) -> PyResult<()> {
        let mut providers = Vec::with_capacity(entries.len());
        let mut new_types: HashMap<Key, Py<PyAny>> = HashMap::new();
        for entry in entries {
            providers.push(parse_entry(py, entry, &mut new_types)?);
        }
        self.register_providers(py, providers, new_types, explicit)
    }

    fn register_providers(
        &self,
        py: Python<'_>,
        providers: Vec<Provider<Payload>>,
        new_types: HashMap<Key, Py<PyAny>>,
        explicit: bool,
    ) -> PyResult<()> {
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
            if let Some(dup) = keys.iter().find(|k| state.explicit.contains(k) || !seen.insert(**k)).copied() {
                // Naming reads Python attributes, which may run Python code
                // that calls back into this container: not under the lock.
                drop(state);
                let name = key_name(py, dup, &new_types);
                let chain = vec![chain_object(py, dup, &new_types)];
                let hint = match value_name(py, dup) {
                    Some(value) => format!(
                        "set each value once per container; for a test, set {value:?} \
                         differently on a new Container()"
                    ),
                    None => format!(
                        "register {name} once per container; to swap it in a test, use a new \
                         Container() or container.override({name}, ...)"
                    ),
                };
                return Err(DioxideError::new(
                    ErrorKind::Duplicate,
                    format!("{name} is already registered in this container"),
                )
                .with_chain(chain)
                .with_hint(hint)
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

/// Turn one registration from Python into a domain provider, collecting the
/// types it mentions.
fn parse_entry(py: Python<'_>, entry: Entry<'_>, types: &mut HashMap<Key, Py<PyAny>>) -> PyResult<Provider<Payload>> {
    let (provides, target, lifetime, kind, deps, pending, exposes, profiles) = entry;
    // A provider function is its own key (it answers for its return type
    // through an exposure); everything else is registered under a class.
    if !(is_type(&provides) || provides.is(&target) && provides.is_callable()) {
        return Err(not_a_type(py, "registration", &provides));
    }
    let kind = Kind::parse(&kind).ok_or_else(|| {
        DioxideError::new(ErrorKind::InvalidInput, format!("unknown provider kind {kind:?}")).into_pyerr(py)
    })?;
    let lifetime = parse_lifetime(&lifetime)?;
    let key = key_of(&provides);
    let mut dependencies = Vec::with_capacity(deps.len());
    let mut positional = Vec::with_capacity(deps.len());
    for (param, dep_type, fallback, flavor, name, by_position) in deps {
        positional.push(by_position);
        let fallback = match fallback {
            0 => Fallback::Required,
            1 => Fallback::UseDefault,
            2 => Fallback::UseNone,
            _ => Fallback::EmptyList,
        };
        let dep_key = match (flavor.as_str(), name.as_deref()) {
            ("value", Some(name)) => value_key(name),
            (_, _) if !is_type(&dep_type) => return Err(not_a_type(py, "a dependency annotation", &dep_type)),
            ("named", Some(name)) => named_key(&dep_type, name),
            ("list", _) => list_key(&dep_type),
            _ => {
                let k = key_of(&dep_type);
                types.entry(k).or_insert_with(|| dep_type.clone().unbind());
                k
            }
        };
        dependencies.push(Dependency::new(param, dep_key, fallback));
    }
    let mut exposures = Vec::with_capacity(exposes.len() * 2);
    for (interface, name) in exposes {
        if !is_type(&interface) {
            return Err(not_a_type(py, "provides=", &interface));
        }
        let alias = match name.as_deref() {
            Some(name) => named_key(&interface, name),
            None => key_of(&interface),
        };
        if alias != key {
            exposures.push(Exposure::alias(alias));
        }
        exposures.push(Exposure::collection(list_key(&interface)));
        types.entry(key_of(&interface)).or_insert_with(|| interface.clone().unbind());
    }
    types.entry(key).or_insert_with(|| provides.clone().unbind());
    let payload = Payload {
        target: target.unbind(),
        kind,
        seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        profiles,
        positional,
    };
    let provider = match pending {
        Some(name) => Provider::pending(key, lifetime, name, payload),
        None => Provider::new(key, lifetime, dependencies, payload),
    };
    Ok(provider.with_async(kind.is_async()).with_exposures(exposures))
}

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
        exposes: p.exposes.clone(),
        payload: Payload {
            target: p.payload.target.clone_ref(py),
            kind: p.payload.kind,
            seq: p.payload.seq,
            profiles: p.payload.profiles.clone(),
            positional: p.payload.positional.clone(),
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
        self.resolve_with(py, type_, None, None)
    }

    /// Register providers as one change: all or none.
    #[pyo3(signature = (entries, *, explicit=true))]
    fn _register(&self, py: Python<'_>, entries: Vec<Entry<'_>>, explicit: bool) -> PyResult<()> {
        self.register_entries(py, entries, explicit)
    }

    /// Build node `index` of `type_`'s plan, with the values `aresolve`
    /// already awaited (`{node index: value}`).
    #[pyo3(signature = (type_, prebuilt, index=None))]
    fn _resolve_prebuilt(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
        prebuilt: &Bound<'_, PyDict>,
        index: Option<usize>,
    ) -> PyResult<Py<PyAny>> {
        self.resolve_prebuilt_in(py, type_, prebuilt, index, None)
    }

    /// The async providers `type_` needs, dependencies first, as
    /// `(index, provides, target, kind, lifetime, args, keeper)` with `args`
    /// a list of `(parameter, node index or None, "node" | "none" | "empty")`
    /// and `keeper` `"container"` for a transient a singleton holds (it is
    /// finalized with the container), else `"owner"`.
    fn _async_plan<'py>(&self, py: Python<'py>, type_: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let plan = self.plan_for(py, type_)?;
        // Only what this resolve will build: nothing below a built singleton.
        let mut needed = vec![false; plan.nodes.len()];
        let mut stack: Vec<usize> = plan.nodes.len().checked_sub(1).into_iter().collect();
        while let Some(index) = stack.pop() {
            let Some(node) = plan.nodes.get(index) else { continue };
            match needed.get_mut(index) {
                Some(flag) if !*flag => *flag = true,
                _ => continue,
            }
            if node.cell.as_ref().is_some_and(|c| c.get().is_some()) {
                continue;
            }
            stack.extend(node.args.iter().filter_map(|(_, a)| match a {
                ExecArg::Node(i) => Some(*i),
                _ => None,
            }));
        }
        // Transients a singleton reaches through other transients live as
        // long as that singleton: their finalizers belong to the container.
        let mut held_by_singleton = vec![false; plan.nodes.len()];
        for node in plan.nodes.iter().filter(|n| n.lifetime == Lifetime::Singleton) {
            let mut stack: Vec<usize> = node
                .args
                .iter()
                .filter_map(|(_, a)| match a {
                    ExecArg::Node(i) => Some(*i),
                    _ => None,
                })
                .collect();
            while let Some(index) = stack.pop() {
                let Some(child) = plan.nodes.get(index) else { continue };
                if child.lifetime != Lifetime::Transient {
                    continue;
                }
                match held_by_singleton.get_mut(index) {
                    Some(flag) if !*flag => *flag = true,
                    _ => continue,
                }
                stack.extend(child.args.iter().filter_map(|(_, a)| match a {
                    ExecArg::Node(i) => Some(*i),
                    _ => None,
                }));
            }
        }
        let steps = PyList::empty(py);
        for (index, node) in plan.nodes.iter().enumerate() {
            if !node.kind.is_async() || !needed.get(index).copied().unwrap_or(false) {
                continue;
            }
            let args = PyList::empty(py);
            for (name, source) in &node.args {
                let (dep, flag) = match source {
                    ExecArg::Node(i) => (Some(*i), "node"),
                    ExecArg::None => (None, "none"),
                    ExecArg::EmptyList => (None, "empty"),
                };
                args.append((name.clone_ref(py), dep, flag))?;
            }
            let keeper = if held_by_singleton.get(index).copied().unwrap_or(false) {
                "container"
            } else {
                "owner"
            };
            steps.append((
                index,
                node.provides.clone_ref(py),
                node.target.clone_ref(py),
                node.kind.name(),
                lifetime_name(node.lifetime),
                args,
                keeper,
            ))?;
        }
        Ok(steps)
    }

    /// Set the configuration value `name` (injected into parameters
    /// annotated `Annotated[T, Value(name)]`).
    fn _register_value(&self, py: Python<'_>, name: &str, value: Py<PyAny>) -> PyResult<()> {
        let payload = Payload {
            target: value,
            kind: Kind::Instance,
            seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            profiles: None,
            positional: Vec::new(),
        };
        let provider = Provider::new(value_key(name), Lifetime::Singleton, Vec::new(), payload);
        self.register_providers(py, vec![provider], HashMap::new(), true)
    }

    /// Replace the provider of one type until `_override_pop`: singletons of
    /// the type and of everything depending on it are set aside, so the
    /// block sees instances built with the override, and come back after.
    fn _override_push(&self, py: Python<'_>, entry: Entry<'_>) -> PyResult<u64> {
        let mut new_types = HashMap::new();
        let mut provider = parse_entry(py, entry, &mut new_types)?;
        self.sync(py)?;
        let key = provider.key;
        let mut garbage = Garbage::default();
        let mut state = self.write();
        if state.closed {
            drop(state);
            return Err(Self::closed_error(py));
        }
        let mut affected = vec![key];
        affected.extend(state.registry.dependants_closure(key));
        let was_explicit = state.explicit.contains(&key);
        if let Some(replaced) = state.registry.get(key) {
            // The replacement stands in for the implementation everywhere it
            // was used, including the interfaces and collections it is in.
            provider.exposes.clone_from(&replaced.exposes);
        }
        let previous = match state.registry.register(provider) {
            Ok(previous) => previous,
            Err(err) => {
                let mut types = error_types(py, &state, &err);
                types.extend(new_types);
                drop(state);
                return Err(render(py, &err, &types).into_pyerr(py));
            }
        };
        let saved_cells = affected
            .iter()
            .filter_map(|k| state.singletons.remove(k).map(|c| (*k, c)))
            .collect();
        for (k, t) in new_types {
            if let Some(old) = state.types.insert(k, t) {
                garbage.other.push(old);
            }
        }
        state.explicit.insert(key);
        let token = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        state.overrides.push(OverrideFrame {
            token,
            key,
            previous,
            was_explicit,
            saved_cells,
            affected,
            ended: false,
        });
        garbage.plans.extend(state.plans.drain().map(|(_, p)| p));
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(state);
        drop(garbage);
        Ok(token)
    }

    /// End the override `token`: put back the previous provider and the
    /// singletons built before the override. Overrides nest like `with`
    /// blocks; one that ends while a newer one is still active (two threads
    /// overriding at once) stays in force until the newer one ends, and is
    /// then undone in its turn, so every restore puts back the state its own
    /// override replaced.
    fn _override_pop(&self, token: u64) {
        let mut garbage = Garbage::default();
        let mut state = self.write();
        match state.overrides.iter_mut().find(|f| f.token == token) {
            Some(frame) => frame.ended = true,
            None => return,
        }
        while state.overrides.last().is_some_and(|f| f.ended) {
            let Some(frame) = state.overrides.pop() else { break };
            let replacement = match frame.previous {
                Some(previous) => state.registry.restore(previous),
                None => state.registry.remove(frame.key),
            };
            garbage.providers.extend(replacement);
            if !frame.was_explicit {
                state.explicit.remove(&frame.key);
            }
            for key in &frame.affected {
                if let Some(cell) = state.singletons.remove(key) {
                    garbage.cells.push(cell);
                }
            }
            state.singletons.extend(frame.saved_cells);
        }
        garbage.plans.extend(state.plans.drain().map(|(_, p)| p));
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(state);
        drop(garbage);
    }

    /// Every wiring problem, as dioxide exceptions, without building anything.
    fn _validate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.sync(py)?;
        let (problems, types) = {
            let state = self.read();
            let problems = state.registry.validate();
            let types: HashMap<Key, Py<PyAny>> = problems
                .iter()
                .flat_map(keys_of)
                .filter_map(|k| state.types.get(&k).map(|t| (k, t.clone_ref(py))))
                .collect();
            (problems, types)
        };
        let errors = PyList::empty(py);
        for problem in &problems {
            let error = self.explain_missing(py, problem, render(py, problem, &types));
            errors.append(error.into_pyerr(py).into_value(py))?;
        }
        Ok(errors)
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

    /// Refused once the container is closed (its finalizers have run or are
    /// running): the caller then finalizes the generator itself.
    fn _push_async_finalizer(&self, py: Python<'_>, type_: Py<PyAny>, handle: Py<PyAny>) -> PyResult<()> {
        if self.is_closed() {
            return Err(Self::closed_error(py));
        }
        self.finalizers.push(Finalizer {
            kind: FinalizerKind::AsyncGenerator,
            handle,
            provides: type_,
        });
        Ok(())
    }

    /// For every provider, in registration order: `(node, lifetime, kind,
    /// implementation name or None, [(parameter, node, resolvable)],
    /// [(node, is a collection)])` where a node is `(key, flavor, name,
    /// qualifier or None)` and flavor one of "type", "function", "named",
    /// "value", "list". For `container.graph()`.
    fn _providers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.sync(py)?;
        type Row = (Key, Lifetime, Kind, Py<PyAny>, Vec<(String, Key, bool)>, Vec<(Key, bool)>);
        // Copied out under the lock and named after it: naming reads
        // Python attributes, which may run Python code.
        let (rows, types): (Vec<Row>, HashMap<Key, Py<PyAny>>) = {
            let state = self.read();
            let rows = state
                .registry
                .iter()
                .map(|p| {
                    let deps = p
                        .deps
                        .iter()
                        .map(|d| (d.param.clone(), d.key, state.registry.contains(d.key)))
                        .collect();
                    let exposes = p.exposes.iter().map(|e| (e.key, e.collection)).collect();
                    (p.key, p.lifetime, p.payload.kind, p.payload.target.clone_ref(py), deps, exposes)
                })
                .collect();
            let types = state.types.iter().map(|(k, t)| (*k, t.clone_ref(py))).collect();
            (rows, types)
        };
        let out = PyList::empty(py);
        for (key, lifetime, kind, target, dep_rows, exposure_rows) in rows {
            let provides = types.get(&key);
            let implementation = (kind != Kind::Instance && provides.is_none_or(|t| !t.is(&target)))
                .then(|| display_name(target.bind(py)));
            let deps = PyList::empty(py);
            for (param, dep, resolvable) in dep_rows {
                deps.append((param, graph_node(py, dep, &types), resolvable))?;
            }
            let exposes = PyList::empty(py);
            for (interface, collection) in exposure_rows {
                exposes.append((graph_node(py, interface, &types), collection))?;
            }
            out.append((
                graph_node(py, key, &types),
                lifetime_name(lifetime),
                kind.name(),
                implementation,
                deps,
                exposes,
            ))?;
        }
        Ok(out)
    }

    /// Close the container: run every finalizer newest first (`error` is
    /// thrown into generator providers so they can roll back), then release
    /// the singletons. Every finalizer runs; failures are raised together.
    #[pyo3(signature = (error=None))]
    fn close(&self, py: Python<'_>, error: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        if !self._begin_close() {
            return Ok(());
        }
        let outcome = close_sync(py, &self.finalizers, error.as_ref(), "container");
        self._release();
        outcome
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
