//! Domain errors rendered as the dioxide exceptions a user sees: the
//! message, the chain of types and a hint that fits the case.

use dioxide_core::KeyMap;
use dioxide_core::{DomainError, Key, Level, Lifetime};
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::errors::{DioxideError, ErrorKind};
use super::keys::{
    chain_object, display_name, is_interface, key_name, level_name, named_parts, value_name,
};

/// The keys an error mentions, so the caller can look up their types while
/// it holds the registry and render after letting go of it.
pub(crate) fn keys_of(err: &DomainError) -> Vec<Key> {
    match err {
        DomainError::NotRegistered { chain, .. }
        | DomainError::Pending { chain, .. }
        | DomainError::Captive { chain, .. }
        | DomainError::AsyncInSync { chain }
        | DomainError::UnknownLevel { chain, .. }
        | DomainError::NeedsScope { chain, .. } => chain.clone(),
        DomainError::Cycle { cycle } => cycle.clone(),
        DomainError::Ambiguous { chain, candidates } => {
            chain.iter().chain(candidates).copied().collect()
        }
        DomainError::Duplicate { key } => vec![*key],
    }
}

/// The error for a scoped provider of level `needed` resolved outside a
/// scope (`open` is `None`) or in a scope of the outer level `open`.
pub(crate) fn outside_level(
    provides: &Bound<'_, PyAny>,
    needed: Level,
    open: Option<Level>,
) -> DioxideError {
    let subject = super::keys::subject_name(provides);
    let name = display_name(provides);
    let needed = level_name(needed);
    match open {
        None => DioxideError::new(
            ErrorKind::Scope,
            format!("{subject} is scoped, so it can only be resolved inside a scope"),
        )
        .with_hint(format!(
            "use `with container.create_scope() as scope: scope.resolve(...)`, \
             or register {name} as a singleton or transient"
        )),
        Some(open) => {
            let open = level_name(open);
            DioxideError::new(
                ErrorKind::Scope,
                format!(
                    "{subject} lives in the scope level {needed:?}, deeper than this {open:?} \
                     scope"
                ),
            )
            .with_hint(format!(
                "open the {needed:?} scope inside this one with `scope.create_scope()` \
                 and resolve {name} there"
            ))
        }
    }
}

/// Turn a domain error into the dioxide exception a user sees.
pub(crate) fn render(py: Python<'_>, err: &DomainError, types: &KeyMap<Py<PyAny>>) -> DioxideError {
    let name = |key: &Key| key_name(py, *key, types);
    let with_chain = |error: DioxideError, chain: &[Key]| {
        error
            .with_chain(chain.iter().map(|k| chain_object(py, *k, types)).collect())
            .with_names(chain.iter().map(name).collect())
    };
    match err {
        DomainError::NotRegistered {
            chain,
            missing,
            param,
        } => {
            let missing_name = name(missing);
            let requested = chain.first().map(name).unwrap_or_default();
            let parent = chain
                .len()
                .checked_sub(2)
                .and_then(|i| chain.get(i))
                .map(name);
            let (message, hint) = match (value_name(py, *missing), parent, param) {
                (Some(value), Some(parent), Some(param)) => (
                    format!("cannot resolve {requested}: {parent} needs the value {value:?} for parameter '{param}', but it is not set"),
                    format!("set it with container.register_value({value:?}, ...)"),
                ),
                (Some(value), _, _) => (
                    format!("the value {value:?} is not set"),
                    format!("set it with container.register_value({value:?}, ...)"),
                ),
                (None, Some(parent), Some(param)) => (
                    format!(
                        "cannot resolve {requested}: {parent} needs {missing_name} for parameter '{param}', \
                         but no provider is registered for it"
                    ),
                    missing_hint(py, *missing, &missing_name, types),
                ),
                (None, Some(parent), None) => (
                    format!("cannot resolve {requested}: {parent} needs {missing_name}, but no provider is registered for it"),
                    missing_hint(py, *missing, &missing_name, types),
                ),
                (None, None, _) => (
                    format!("no provider is registered for {missing_name}"),
                    missing_hint(py, *missing, &missing_name, types),
                ),
            };
            with_chain(DioxideError::new(ErrorKind::NotRegistered, message), chain).with_hint(hint)
        }
        DomainError::Pending { chain, unresolved } => {
            let waiting = chain.last().map(name).unwrap_or_default();
            let requested = chain.first().map(name).unwrap_or_default();
            let function = chain
                .last()
                .is_some_and(|k| !super::keys::is_key(chain_object(py, *k, types).bind(py)));
            let annotated = if function {
                format!("the provider function {waiting}() refers")
            } else {
                format!("the constructor of {waiting} refers")
            };
            with_chain(
                DioxideError::new(
                    ErrorKind::NotRegistered,
                    format!(
                        "cannot resolve {requested}: {annotated} to '{unresolved}', which is not \
                         defined"
                    ),
                ),
                chain,
            )
            .with_hint(format!(
                "define or import '{unresolved}' in the module of {waiting} and decorate it; \
                 dioxide wires {waiting} as soon as the annotation can be evaluated"
            ))
        }
        DomainError::Cycle { cycle } => {
            let names: Vec<String> = cycle.iter().map(name).collect();
            let message = if cycle.len() == 2 {
                format!(
                    "circular dependency: {} depends on itself",
                    names.first().cloned().unwrap_or_default()
                )
            } else {
                format!("circular dependency: {}", names.join(" -> "))
            };
            with_chain(DioxideError::new(ErrorKind::Circular, message), cycle).with_hint(
                "no class in a cycle can be built first: remove one of these dependencies \
                 from its constructor (or provider function), and hand that object over after \
                 construction instead, e.g. set it as an attribute once both exist",
            )
        }
        DomainError::Captive {
            chain,
            holder: Lifetime::Scoped(outer),
            held: Lifetime::Scoped(inner),
        } => {
            let holder = chain.first().map(name).unwrap_or_default();
            let held = chain.last().map(name).unwrap_or_default();
            let (outer, inner) = (level_name(*outer), level_name(*inner));
            with_chain(
                DioxideError::new(
                    ErrorKind::Captive,
                    format!(
                        "{holder} (scope level {outer:?}) depends on {held} of the deeper level \
                         {inner:?}: one {outer:?} instance would keep the first {inner:?} \
                         scope's {held} alive in every later {inner:?} scope"
                    ),
                ),
                chain,
            )
            .with_hint(format!(
                "a provider may depend only on its own level or outer ones: move {holder} to \
                 level {inner:?} (or make it transient), or {held} to level {outer:?}"
            ))
        }
        DomainError::Captive { chain, .. } => {
            let holder = chain.first().map(name).unwrap_or_default();
            let scoped = chain.last().map(name).unwrap_or_default();
            with_chain(
                DioxideError::new(
                    ErrorKind::Captive,
                    format!(
                        "singleton {holder} depends on scoped {scoped}: the singleton would keep \
                         the first scope's {scoped} alive in every later scope"
                    ),
                ),
                chain,
            )
            .with_hint(format!(
                "make {holder} scoped or transient, or make {scoped} a singleton"
            ))
        }
        DomainError::Duplicate { key } => {
            let shown = name(key);
            let hint = match value_name(py, *key) {
                Some(value) => format!(
                    "set each value once per container; for a test, set {value:?} \
                     differently on a new Container()"
                ),
                None => format!(
                    "register {shown} once per container; to swap it in a test, use a new \
                     Container() or container.override({shown}, ...)"
                ),
            };
            DioxideError::new(
                ErrorKind::Duplicate,
                format!("{shown} is already registered in this container"),
            )
            .with_chain(vec![chain_object(py, *key, types)])
            .with_hint(hint)
        }
        DomainError::NeedsScope {
            chain,
            needed,
            open,
        } => {
            let object = chain.last().map(|k| chain_object(py, *k, types));
            let error = match object {
                Some(object) => outside_level(object.bind(py), *needed, *open),
                None => DioxideError::new(ErrorKind::Scope, "a scoped provider needs its scope"),
            };
            with_chain(error, chain)
        }
        DomainError::UnknownLevel { chain, level } => {
            let shown = chain.last().map(name).unwrap_or_default();
            let level = level_name(*level);
            with_chain(
                DioxideError::new(
                    ErrorKind::Scope,
                    format!(
                        "{shown} lives in the scope level {level:?}, which this container \
                         does not declare"
                    ),
                ),
                chain,
            )
            .with_hint(format!(
                "declare the level, e.g. `Container(scopes=(\"request\", {level:?}))`, \
                 or register {shown} with one of the container's levels"
            ))
        }
        DomainError::AsyncInSync { chain } => {
            let what = match chain.last().map(|k| chain_object(py, *k, types)) {
                Some(object) if super::keys::is_key(object.bind(py)) => {
                    format!("{} has an async provider", display_name(object.bind(py)))
                }
                Some(object) => format!(
                    "{} is an async provider",
                    super::keys::subject_name(object.bind(py))
                ),
                None => "an async provider".to_owned(),
            };
            with_chain(
                DioxideError::new(
                    ErrorKind::Resolution,
                    format!("{what}, so it cannot be built by the synchronous resolve()"),
                ),
                chain,
            )
            .with_hint("use `await container.aresolve(...)` (or `await scope.aresolve(...)`)")
        }
        DomainError::Ambiguous { chain, candidates } => {
            let requested = chain.first().map(name).unwrap_or_default();
            let interface = chain.last().map(name).unwrap_or_default();
            let listed: Vec<String> = candidates.iter().map(name).collect();
            let message = if chain.len() > 1 {
                format!(
                    "cannot resolve {requested}: {interface} has {} implementations and nothing says which: {}",
                    candidates.len(),
                    listed.join(", ")
                )
            } else {
                format!(
                    "{interface} has {} implementations and nothing says which: {}",
                    candidates.len(),
                    listed.join(", ")
                )
            };
            let objects: Vec<Py<PyAny>> = candidates
                .iter()
                .map(|k| chain_object(py, *k, types))
                .collect();
            let candidates_list = PyList::new(py, objects.iter().map(|o| o.bind(py)))
                .map(|l| l.into_any().unbind())
                .unwrap_or_else(|_| py.None());
            with_chain(DioxideError::new(ErrorKind::Ambiguous, message), chain)
                .with_extra("candidates", candidates_list)
                .with_hint(format!(
                    "name them (@component(provides={interface}, name=\"...\")) and ask for one with \
                     Annotated[{interface}, Named(\"...\")], register one explicitly with \
                     container.register_class({interface}, ...), or inject list[{interface}] to get them all"
                ))
        }
    }
}

/// What to do about a missing provider: a named implementation or an
/// interface (a Protocol, an ABC) is provided by an implementation, so the
/// hint says how to declare one; a plain class by decorating or registering
/// it.
fn missing_hint(
    py: Python<'_>,
    missing: Key,
    missing_name: &str,
    types: &KeyMap<Py<PyAny>>,
) -> String {
    if let Some((interface, qualifier)) = named_parts(py, missing) {
        let interface = display_name(interface.bind(py));
        return format!(
            "give the implementation of {interface} that name: @component(provides={interface}, name={qualifier:?})"
        );
    }
    match types.get(&missing) {
        Some(type_) if super::keys::is_generic_key(type_.bind(py)) => {
            let origin = type_
                .bind(py)
                .getattr(pyo3::intern!(py, "__origin__"))
                .map(|o| display_name(&o))
                .unwrap_or_default();
            format!(
                "nothing provides {origin}, generic or parametrised: decorate the generic class \
                 {origin} with @component once (it then serves every parametrisation), give a \
                 class provides={missing_name}, or register {missing_name} itself with \
                 container.register_class({missing_name}, ...)"
            )
        }
        Some(type_) if is_interface(type_.bind(py)) => format!(
            "{missing_name} is an interface: decorate an implementation with \
             @component(provides={missing_name}) or @singleton(provides={missing_name}), \
             or register one with container.register_class({missing_name}, Implementation)"
        ),
        _ => register_hint(missing_name),
    }
}

/// The hint for a type that only containers of other profiles see.
pub(crate) fn profile_hint(missing: &str, profiles: &[String], current: Option<&str>) -> String {
    let listed: Vec<String> = profiles.iter().map(|p| format!("{p:?}")).collect();
    let marked = match listed.as_slice() {
        [one] => format!("profile {one}"),
        _ => format!("profiles {}", listed.join(", ")),
    };
    let first = listed.first().cloned().unwrap_or_default();
    match current {
        None => format!(
            "{missing} is provided only in {marked}, and this container has no profile: \
             create it with Container(profile={first})"
        ),
        Some(current) => format!(
            "{missing} is provided only in {marked}, and this container's profile is {current:?}: \
             create it with Container(profile={first}), or provide {missing} for {current:?} too"
        ),
    }
}

/// The hint for an interface whose implementations all have names.
pub(crate) fn named_only_hint(interface: &str, names: &[String]) -> String {
    let listed: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    let first = listed.first().cloned().unwrap_or_default();
    format!(
        "every implementation of {interface} has a name ({}): ask for one with \
         Annotated[{interface}, Named({first})], or inject list[{interface}] to get them all",
        listed.join(", ")
    )
}

fn register_hint(missing: &str) -> String {
    format!(
        "decorate {missing} with @component or @singleton, or register it on the \
         container with register_class({missing}, ...), \
         register_instance({missing}, ...) or register_factory({missing}, ...)"
    )
}
