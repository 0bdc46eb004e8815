//! Resolving: a type's plan, compiled once from the registry snapshot into
//! the binding's form, then run by the executor (synchronously, or as an
//! awaitable for `aresolve`).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use dioxide_core::KeyMap;
use dioxide_core::{ArgSource, DomainError, Key, Lifetime, Role};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::built::{Built, Loan};
use super::registration::not_a_type;
use super::{RustContainer, State};
use crate::bindings::compiled::ExecPlan;
use crate::bindings::construct::Direct;
use crate::bindings::errors::{DioxideError, ErrorKind};
use crate::bindings::exec::run;
use crate::bindings::frame::{refuse_early, Ctx};
use crate::bindings::keys::{
    chain_object, converted_key, is_generic, is_type, key_of, list_key, named_key, value_key,
};
use crate::bindings::owner::ScopeState;
use crate::bindings::plan::{ExecArg, ExecNode, Kind};
use crate::bindings::render::{keys_of, render};
use crate::bindings::resume::Resolution;

/// What one lookup of a key found (see `RustContainer::lookup`).
pub(crate) enum Lookup<'a> {
    /// The singleton, built.
    Built(Py<PyAny>),
    /// The plan, compiled: running it builds the instance.
    Plan(Arc<ExecPlan>),
    /// The plan, lent by the lock-free table (see `built.rs`; never on a
    /// free-threaded build, which has no table).
    #[cfg_attr(Py_GIL_DISABLED, allow(dead_code))]
    Lent(Loan<'a>),
    /// No usable plan yet (or the container is closed, or out of date):
    /// the whole resolve decides.
    Miss,
}

impl RustContainer {
    pub(crate) fn resolve_with(
        slf: &Bound<'_, Self>,
        type_: &Bound<'_, PyAny>,
        scope: Option<&Arc<ScopeState>>,
    ) -> PyResult<Py<PyAny>> {
        Self::resolve_key_with(slf, key_of(type_), type_, scope)
    }

    /// Resolve `key` (`type_`, or a qualified key of it) in `scope`.
    pub(crate) fn resolve_key_with(
        slf: &Bound<'_, Self>,
        key: Key,
        type_: &Bound<'_, PyAny>,
        scope: Option<&Arc<ScopeState>>,
    ) -> PyResult<Py<PyAny>> {
        let this = slf.get();
        // The lookup fast.rs's `resolve` makes: a built singleton is
        // returned right there; otherwise the plan found (or compiled now)
        // runs.
        let plan = match this.lookup(slf.py(), key) {
            Lookup::Built(value) => return Ok(value),
            Lookup::Plan(plan) => plan,
            Lookup::Lent(loan) => return Self::run_found(slf, loan.plan(), scope),
            Lookup::Miss => this.plan_for(slf.py(), key, type_)?,
        };
        Self::run_found(slf, &plan, scope)
    }

    /// The awaitable `aresolve` awaits: the same plan as `resolve`, run by
    /// the same executor, suspended on each async provider (see `resume`).
    /// Refused before anything runs when the plan needs a scope it lacks.
    pub(crate) fn aresolve_with(
        slf: &Bound<'_, Self>,
        type_: &Bound<'_, PyAny>,
        scope: Option<Arc<ScopeState>>,
        task: u64,
    ) -> PyResult<Resolution> {
        Self::aresolve_key_with(slf, key_of(type_), type_, scope, task)
    }

    /// `aresolve_with` for `key` (`type_`, or a qualified key of it).
    pub(crate) fn aresolve_key_with(
        slf: &Bound<'_, Self>,
        key: Key,
        type_: &Bound<'_, PyAny>,
        scope: Option<Arc<ScopeState>>,
        task: u64,
    ) -> PyResult<Resolution> {
        let py = slf.py();
        let this = slf.get();
        let plan = this.plan_for(py, key, type_)?;
        let ctx = Ctx {
            container_finalizers: &this.finalizers,
            scope: scope.as_ref(),
            source: slf.as_any().as_unbound(),
        };
        let root = plan.nodes.len().saturating_sub(1);
        refuse_early(py, &plan, &ctx, root, true)?;
        Ok(Resolution::new(
            plan,
            Arc::clone(&this.finalizers),
            scope,
            slf.as_any().as_unbound().clone_ref(py),
            task,
        ))
    }

    /// The lock-free table `lookup` reads first (see `built.rs`).
    pub(crate) fn built(&self) -> &Built {
        &self.built
    }

    /// What `key` resolves to, from the lock-free table or else one
    /// read-locked lookup; it builds nothing and drops no Python reference,
    /// which is what lets `fast.rs` run it without PyO3's trampoline: the
    /// singleton when it is built, else the compiled plan to run.
    #[inline(always)]
    pub(crate) fn lookup(&self, py: Python<'_>, key: Key) -> Lookup<'_> {
        if let Some(found) = self.built.get(py, key) {
            return found;
        }
        self.lookup_locked(py, key)
    }

    /// `lookup` under the state's read lock; what it finds is entered in
    /// the lock-free table for the next time.
    #[inline(never)]
    fn lookup_locked(&self, py: Python<'_>, key: Key) -> Lookup<'_> {
        let state = self.read();
        if !self.usable(&state) {
            return Lookup::Miss;
        }
        match state.plans.get(&key) {
            Some(plan) => {
                self.built.insert(py, key, plan, state.parent_generation);
                match plan.built() {
                    Some(value) => Lookup::Built(value.clone_ref(py)),
                    None => Lookup::Plan(Arc::clone(plan)),
                }
            }
            None => Lookup::Miss,
        }
    }

    /// Run a plan `lookup` found for `slf` (in `scope`, when given).
    pub(crate) fn run_found(
        slf: &Bound<'_, Self>,
        plan: &ExecPlan,
        scope: Option<&Arc<ScopeState>>,
    ) -> PyResult<Py<PyAny>> {
        let ctx = Ctx {
            container_finalizers: &slf.get().finalizers,
            scope,
            source: slf.as_any().as_unbound(),
        };
        run(slf.py(), plan, &ctx)
    }

    /// Whether the compiled plans can be used as they are: the container is
    /// open and has seen its parent registry's last change.
    fn usable(&self, state: &State) -> bool {
        !self.is_closed() && Self::in_sync(state)
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

    fn plan_for(
        &self,
        py: Python<'_>,
        key: Key,
        type_: &Bound<'_, PyAny>,
    ) -> PyResult<Arc<ExecPlan>> {
        {
            let state = self.read();
            if self.usable(&state) {
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
        let hook = self.read().generics.as_ref().map(|h| h.clone_ref(py));
        if is_type(type_) {
            return self.plan_key(py, key, type_, hook.as_ref());
        }
        // Not a class: the Python layer says what it stands for (a
        // parametrised generic, `list[P]`, `Annotated[C, Named(..)]`), or
        // raises why it cannot be resolved.
        let Some(hook) = hook else {
            return Err(not_a_type(py, "resolve()", type_));
        };
        let (flavor, target, name): (String, Bound<'_, PyAny>, Option<String>) =
            hook.call1(py, (type_,))?.into_bound(py).extract()?;
        let key = match (flavor.as_str(), name.as_deref()) {
            ("list", _) => list_key(&target),
            ("named", Some(name)) => named_key(&target, name),
            ("value", Some(name)) => value_key(name),
            ("converted", Some(name)) => converted_key(&target, name),
            _ => key_of(&target),
        };
        {
            let state = self.read();
            if self.usable(&state) {
                if let Some(plan) = state.plans.get(&key) {
                    return Ok(Arc::clone(plan));
                }
            }
        }
        self.plan_key(py, key, &target, Some(&hook))
    }

    /// Compile the plan of `key`, completing forward references and
    /// registering parametrisations of open generics the plan needs first
    /// (each missing one is offered to `hook` once).
    fn plan_key(
        &self,
        py: Python<'_>,
        key: Key,
        type_: &Bound<'_, PyAny>,
        hook: Option<&Py<PyAny>>,
    ) -> PyResult<Arc<ExecPlan>> {
        self.sync(py)?;
        let mut completed = false;
        let mut offered: Vec<Key> = Vec::new();
        loop {
            match self.compile(py, key, type_, !completed, hook.is_some(), &offered) {
                Err(Refused::Pending(pending)) => {
                    // A forward reference may have become resolvable since the
                    // registry last looked (a class defined without a
                    // decorator): let it complete what it can, then try again.
                    completed = true;
                    self.complete_pending(py, pending.bind(py))?;
                    self.sync(py)?;
                }
                Err(Refused::Generic(missing, missing_key)) => {
                    offered.push(missing_key);
                    if let Some(hook) = hook {
                        hook.call1(py, (missing,))?;
                    }
                    self.sync(py)?;
                }
                other => return other.map_err(|r| r.into_pyerr(py)),
            }
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
        generics: bool,
        offered: &[Key],
    ) -> Result<Arc<ExecPlan>, Refused> {
        let mut state = self.write();
        if let Some(plan) = state.plans.get(&key) {
            return Ok(Arc::clone(plan));
        }
        let plan = match state.registry.plan_in(key, &self.levels) {
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
                if let (DomainError::NotRegistered { missing, .. }, true) = (&err, generics) {
                    if !offered.contains(missing) {
                        if let (Some(object), true) = (types.get(missing), is_generic(*missing)) {
                            return Err(Refused::Generic(object.clone_ref(py), *missing));
                        }
                    }
                }
                return Err(Refused::Error(
                    self.explain_missing(py, &err, render(py, &err, &types))
                        .into_pyerr(py),
                ));
            }
        };
        if generics {
            // An optional parameter (a default, `Optional[...]`, a list) left
            // unfilled may be a parametrisation an open generic serves.
            let unfilled = plan
                .nodes
                .iter()
                .filter(|node| node.role == Role::Build)
                .filter_map(|node| state.registry.get(node.key))
                .flat_map(|provider| provider.deps.iter())
                .map(|dep| dep.key)
                .find(|k| is_generic(*k) && !offered.contains(k) && !state.registry.contains(*k));
            if let Some(k) = unfilled {
                if let Some(object) = types_for(py, &state, [k]).remove(&k) {
                    drop(state);
                    return Err(Refused::Generic(object, k));
                }
            }
        }
        let deferred = plan
            .nodes
            .iter()
            .flat_map(|n| &n.args)
            .filter_map(|a| match a.source {
                ArgSource::Deferred(key, _) => Some(key),
                _ => None,
            });
        let types = types_for(py, &state, plan.nodes.iter().map(|n| n.key).chain(deferred));
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
        let mut deferred = Vec::new();
        let mut unknown = false;
        for node in &plan.nodes {
            let (target, kind, by_position): (Py<PyAny>, Kind, &[bool]) = match node.role {
                Role::Alias => (py.None(), Kind::Alias, &[]),
                Role::Collection => (py.None(), Kind::Collection, &[]),
                Role::Build => {
                    let Some(provider) = registry.get(node.key) else {
                        unknown = true;
                        break;
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
                    ArgSource::Deferred(key, how) => {
                        deferred.push((key, chain_object(py, key, types), how));
                        ExecArg::Deferred(deferred.len() - 1)
                    }
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
            let kwnames = if positional < args.len() {
                let names = args[positional..].iter().map(|(name, _)| name.bind(py));
                Some(PyTuple::new(py, names).map_err(Refused::Error)?.unbind())
            } else {
                None
            };
            let direct = match kind {
                Kind::Call => Direct::of(target.bind(py), args.len()).map_err(Refused::Error)?,
                _ => None,
            };
            nodes.push(ExecNode {
                key: node.key,
                scope_key,
                provides,
                target,
                kind,
                lifetime: node.lifetime,
                depth: node.depth,
                cell,
                positional,
                args,
                kwnames,
                direct,
            });
        }
        if unknown {
            // The error is built with the lock released (it runs Python
            // code), and so are the half-made nodes dropped.
            drop(state);
            drop(nodes);
            drop(deferred);
            return Err(Refused::Error(
                DioxideError::new(ErrorKind::Resolution, "plan refers to an unknown provider")
                    .into_pyerr(py),
            ));
        }
        let compiled = Arc::new(ExecPlan::new(plan, nodes, deferred));
        plans.insert(key, Arc::clone(&compiled));
        Ok(compiled)
    }
}

/// Why `compile` made no plan.
enum Refused {
    /// The provider of this type waits for a forward reference.
    Pending(Py<PyAny>),
    /// A parametrised generic the plan needs has no provider (yet).
    Generic(Py<PyAny>, Key),
    Error(PyErr),
}

impl Refused {
    fn into_pyerr(self, py: Python<'_>) -> PyErr {
        match self {
            Self::Error(err) => err,
            Self::Generic(missing, _) => DioxideError::new(
                ErrorKind::Resolution,
                format!(
                    "{} has no provider",
                    crate::bindings::keys::display_name(missing.bind(py))
                ),
            )
            .into_pyerr(py),
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

pub(super) fn error_types(py: Python<'_>, state: &State, err: &DomainError) -> KeyMap<Py<PyAny>> {
    types_for(py, state, keys_of(err))
}

/// The type objects behind `keys`, from this container's own types or its
/// parent registry's, for naming them.
pub(super) fn types_for(
    py: Python<'_>,
    state: &State,
    keys: impl IntoIterator<Item = Key>,
) -> KeyMap<Py<PyAny>> {
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
