//! Registrations as the Python layer sends them, turned into domain
//! providers and added to a container (checked, all or nothing).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use dioxide_core::KeyMap;
use dioxide_core::{Deferral, Dependency, Exposure, Fallback, Key, Lifetime, Provider, Shared};
use pyo3::prelude::*;

use super::resolve::error_types;
use super::{Garbage, RustContainer, State};
use crate::bindings::errors::{DioxideError, ErrorKind};
use crate::bindings::keys::{
    converted_key, display_name, is_key, key_of, list_key, named_key, parse_lifetime, value_key,
};
use crate::bindings::plan::Kind;
use crate::bindings::render::render;

/// Two payloads are the same registration when their sequence numbers are.
impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.seq == other.seq
    }
}

/// Registration order across all containers, so a container can tell which
/// of its parent's providers it has already copied.
pub(super) static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// What the registry stores for a provider: the Python callable (or the
/// instance itself) and how to use it.
///
/// Cloning shares the Python reference (an `Arc`, no reference count
/// change), so containers can share a registry snapshot; the registry that
/// made the payload is the one that reports it to the garbage collector.
#[derive(Clone)]
pub(crate) struct Payload {
    pub(super) target: Arc<Py<PyAny>>,
    pub(super) kind: Kind,
    pub(super) seq: u64,
    /// Per dependency: may it be passed by position?
    pub(super) positional: Vec<bool>,
}

/// One dependency as the Python layer sends it (`dioxide._introspect.
/// Dependency`, read by field name).
#[derive(FromPyObject)]
pub(super) struct DependencySpec<'py> {
    param: String,
    /// The annotated class (for a value, `object`).
    annotation: Bound<'py, PyAny>,
    /// 0 = required, 1 = keep the default, 2 = pass `None`, 3 = empty list
    /// (`dioxide._introspect.Fallback`).
    fallback: u8,
    /// "type", "named" (the class qualified by `name`), "value" (the
    /// configuration value `name`), "list" (every implementation), "lazy"
    /// (a `Lazy` handle for the class, qualified by `name` when given) or
    /// "factory" (a `Factory` of the class).
    flavor: String,
    name: Option<String>,
    /// The argument may be passed by position.
    positional: bool,
}

/// One registration as the Python layer sends it (`dioxide._registry.Entry`,
/// read by field name).
#[derive(FromPyObject)]
pub(super) struct Entry<'py> {
    /// The key: a class, or the provider function itself.
    provides: Bound<'py, PyAny>,
    target: Bound<'py, PyAny>,
    lifetime: String,
    kind: String,
    dependencies: Vec<DependencySpec<'py>>,
    /// The forward reference the provider still waits for.
    pending: Option<String>,
    /// `(interface, name or None)` it also answers for.
    exposes: Vec<(Bound<'py, PyAny>, Option<String>)>,
    profiles: Option<Vec<String>>,
}

impl RustContainer {
    pub(super) fn register_entries(
        &self,
        py: Python<'_>,
        entries: Vec<Entry<'_>>,
        explicit: bool,
    ) -> PyResult<()> {
        let mut providers = Vec::with_capacity(entries.len());
        let mut new_types: KeyMap<Py<PyAny>> = KeyMap::default();
        for entry in entries {
            providers.push(parse_entry(py, entry, &mut new_types)?);
        }
        if providers.iter().any(|p| p.requires.is_some()) {
            // A conversion is the same wherever it is declared: one per key.
            if explicit {
                self.sync(py)?;
            }
            let state = self.read();
            let mut seen = Vec::new();
            providers.retain(|p| {
                p.requires.is_none()
                    || !state.registry.contains(p.key) && {
                        let first = !seen.contains(&p.key);
                        seen.push(p.key);
                        first
                    }
            });
        }
        if providers.is_empty() {
            return Ok(());
        }
        self.register_providers(py, providers, new_types, explicit, false)
    }

    pub(super) fn register_providers(
        &self,
        py: Python<'_>,
        providers: Vec<Provider<Payload>>,
        new_types: KeyMap<Py<PyAny>>,
        explicit: bool,
        replace: bool,
    ) -> PyResult<()> {
        if explicit {
            // Check explicit registrations against the decorated providers too.
            self.sync(py)?;
        }
        let keys: Vec<Key> = providers.iter().map(|p| p.key).collect();
        // Shared: the registry and, for a replay, `own` hold the same ones.
        let providers: Vec<Shared<Payload>> = providers.into_iter().map(Arc::new).collect();
        let mut garbage = Garbage::default();
        let mut state = self.write();
        if self.is_closed() {
            drop(state);
            return Err(DioxideError::new(
                ErrorKind::Resolution,
                "cannot register on a closed container",
            )
            .with_hint("create a new Container()")
            .into_pyerr(py));
        }
        // Keys that had a provider: what was built with it is stale.
        let replaced: Vec<Key> = keys
            .iter()
            .copied()
            .filter(|k| state.registry.contains(*k))
            .collect();
        // Kept to replay on top of a newer snapshot of the registry.
        let copies = if explicit {
            providers.clone()
        } else {
            Vec::new()
        };
        if replace {
            // Configuration loaded again: the newer value takes the key over.
            state.own.retain(|p| !keys.contains(&p.key));
        }
        let registry = Arc::make_mut(&mut state.registry);
        if replace {
            for key in &keys {
                registry.unmark_explicit(*key);
            }
        }
        let registered = if explicit {
            registry.register_explicit_in(providers, &self.levels)
        } else {
            registry.register_all_in(providers, &self.levels)
        };
        if let Err(err) = registered {
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
            state.own.extend(copies);
        }
        // Singletons built with a provider this one replaces, and those
        // built on them, are stale.
        let mut stale = keys.clone();
        for key in &replaced {
            stale.extend(state.registry.dependants_closure(*key));
        }
        forget_built(&mut state, &stale, &mut garbage);
        self.generation.fetch_add(1, Ordering::AcqRel);
        drop(state);
        drop(garbage);
        Ok(())
    }

    /// Set the configuration value `name` (injected into parameters
    /// annotated `Annotated[T, Value(name)]`).
    pub(super) fn register_value(
        &self,
        py: Python<'_>,
        name: &str,
        value: Py<PyAny>,
    ) -> PyResult<()> {
        self.register_providers(
            py,
            vec![value_provider(name, value)],
            KeyMap::default(),
            true,
            false,
        )
    }

    /// Set several configuration values as one change, each replacing the
    /// value its key had (loading configuration again: later sources win).
    pub(super) fn set_values(
        &self,
        py: Python<'_>,
        values: Vec<(String, Py<PyAny>)>,
    ) -> PyResult<()> {
        let providers = values
            .into_iter()
            .map(|(name, value)| value_provider(&name, value))
            .collect();
        self.register_providers(py, providers, KeyMap::default(), true, true)
    }
}

/// The provider of the configuration value `name`: the object itself.
pub(super) fn value_provider(name: &str, value: Py<PyAny>) -> Provider<Payload> {
    let payload = Payload {
        target: Arc::new(value),
        kind: Kind::Instance,
        seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        positional: Vec::new(),
    };
    Provider::new(value_key(name), Lifetime::Singleton, Vec::new(), payload)
}

/// Turn one registration from Python into a domain provider, collecting the
/// types it mentions.
pub(super) fn parse_entry(
    py: Python<'_>,
    entry: Entry<'_>,
    types: &mut KeyMap<Py<PyAny>>,
) -> PyResult<Provider<Payload>> {
    let Entry {
        provides,
        target,
        lifetime,
        kind,
        dependencies: deps,
        pending,
        exposes,
        profiles,
    } = entry;
    // A provider function is its own key (it answers for its return type
    // through an exposure); everything else is registered under a class.
    if !(is_key(&provides) || provides.is(&target) && provides.is_callable()) {
        return Err(not_a_type(py, "registration", &provides));
    }
    // A conversion ("convert") calls its target with the raw value, and
    // exists only while the value is set.
    let derived = kind == "convert";
    let kind = Kind::parse(if derived { "call" } else { &kind }).ok_or_else(|| {
        DioxideError::new(
            ErrorKind::InvalidInput,
            format!("unknown provider kind {kind:?}"),
        )
        .into_pyerr(py)
    })?;
    let lifetime = parse_lifetime(&lifetime)?;
    let mut key = key_of(&provides);
    let mut dependencies = Vec::with_capacity(deps.len());
    let mut positional = Vec::with_capacity(deps.len());
    for DependencySpec {
        param,
        annotation: dep_type,
        fallback,
        flavor,
        name,
        positional: by_position,
    } in deps
    {
        positional.push(by_position);
        let fallback = match fallback {
            0 => Fallback::Required,
            1 => Fallback::UseDefault,
            2 => Fallback::UseNone,
            _ => Fallback::EmptyList,
        };
        let deferred = match flavor.as_str() {
            "lazy" => Some(Deferral::Lazy),
            "factory" => Some(Deferral::Factory),
            _ => None,
        };
        let dep_key = match (flavor.as_str(), name.as_deref()) {
            ("value", Some(name)) => value_key(name),
            ("converted", Some(name)) => converted_key(&dep_type, name),
            (_, _) if !is_key(&dep_type) => {
                return Err(not_a_type(py, "a dependency annotation", &dep_type))
            }
            ("named" | "lazy", Some(name)) => named_key(&dep_type, name),
            ("list", _) => list_key(&dep_type),
            _ => {
                let k = key_of(&dep_type);
                crate::bindings::keys::note_generic(&dep_type);
                types.entry(k).or_insert_with(|| dep_type.clone().unbind());
                k
            }
        };
        dependencies.push(match deferred {
            Some(how) => Dependency::deferred(param, dep_key, fallback, how),
            None => Dependency::new(param, dep_key, fallback),
        });
    }
    let mut requires = None;
    if derived {
        let raw = dependencies.first().map(|d| d.key);
        let name = raw.and_then(|k| crate::bindings::keys::value_name(py, k));
        let Some(name) = name else {
            return Err(DioxideError::new(
                ErrorKind::InvalidInput,
                "a conversion takes the value it converts first",
            )
            .into_pyerr(py));
        };
        key = converted_key(&provides, &name);
        requires = raw;
    }
    let mut exposures = Vec::with_capacity(exposes.len() * 2);
    for (interface, name) in exposes {
        if !is_key(&interface) {
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
        types
            .entry(key_of(&interface))
            .or_insert_with(|| interface.clone().unbind());
    }
    if !derived {
        types
            .entry(key)
            .or_insert_with(|| provides.clone().unbind());
    }
    let payload = Payload {
        target: Arc::new(target.unbind()),
        kind,
        seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
        positional,
    };
    let provider = match pending {
        Some(name) => Provider::pending(key, lifetime, name, payload),
        None => Provider::new(key, lifetime, dependencies, payload),
    };
    Ok(provider
        .with_requires(requires)
        .with_async(kind.is_async())
        .with_exposures(exposures)
        .with_profiles(profiles))
}

pub(super) fn forget_built(state: &mut State, keys: &[Key], garbage: &mut Garbage) {
    garbage
        .plans
        .extend(state.plans.drain().map(|(_, plan)| plan));
    // Scoped instances in open scopes are stale too: the plans compiled from
    // now on look for them under a new key (see `compile`). Without a scope
    // (a registry, or a container before its first scope) there are none.
    let scopes = !state.scopes.is_empty();
    for key in keys {
        if scopes {
            state
                .epochs
                .insert(*key, SEQUENCE.fetch_add(1, Ordering::Relaxed));
        }
        if let Some(cell) = state.singletons.remove(key) {
            garbage.cells.push(cell);
        }
    }
}

pub(crate) fn not_a_type(py: Python<'_>, context: &str, obj: &Bound<'_, PyAny>) -> PyErr {
    let shown = obj
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "<object>".into());
    let kind = display_name(&obj.get_type().into_any());
    DioxideError::new(
        ErrorKind::InvalidInput,
        format!("{context} expects a class, got {shown} (an instance of {kind})"),
    )
    .with_hint(
        "pass the class itself, e.g. resolve(UserService), not an instance or a generic alias",
    )
    .into_pyerr(py)
}
