//! Python types as domain keys, and their display names.

use dioxide_core::{Key, Level, Lifetime};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// Types are keyed by identity. The registry keeps the type object alive
/// (see `State::types`), so its address cannot be reused while the key is.
pub(crate) fn key_of(ty: &Bound<'_, PyAny>) -> Key {
    Key(ty.as_ptr() as usize as u64)
}

/// `True` for objects that can name a dependency: classes.
pub(crate) fn is_type(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyType>()
}

/// `True` for a parametrised generic class (`Repository[User]`), which the
/// Python layer hands over only in its interned, canonical form (see
/// `dioxide._generics`): its address is then a key like a class's.
///
/// A union is not one, although from Python 3.14 `Optional[C]` and
/// `Union[A, B]` have a class (`types.UnionType`) as their `__origin__`.
pub(crate) fn is_generic_key(obj: &Bound<'_, PyAny>) -> bool {
    let py = obj.py();
    !is_type(obj)
        && matches!(
            obj.getattr_opt(pyo3::intern!(py, "__origin__")),
            Ok(Some(o)) if is_type(&o) && !is_union_type(&o)
        )
        && matches!(obj.hasattr(pyo3::intern!(py, "__args__")), Ok(true))
}

static UNION_TYPE: PyOnceLock<Option<Py<PyAny>>> = PyOnceLock::new();

/// Whether `origin` is `types.UnionType` (`typing.Union` from 3.14).
fn is_union_type(origin: &Bound<'_, PyAny>) -> bool {
    let py = origin.py();
    let union = UNION_TYPE.get_or_init(py, || {
        py.import("types")
            .and_then(|types| types.getattr("UnionType"))
            .map(Bound::unbind)
            .ok()
    });
    union.as_ref().is_some_and(|u| origin.is(u.bind(py)))
}

/// The keys of the parametrised generics registrations have mentioned.
/// Their objects are canonical aliases, kept alive by the Python layer for
/// the life of the process, so their addresses are never reused.
static GENERIC_KEYS: std::sync::Mutex<Option<dioxide_core::KeySet>> = std::sync::Mutex::new(None);

/// Remember that `obj` (a key object) is a parametrised generic, if it is.
/// Reads Python attributes: call it with no lock of a container held.
pub(crate) fn note_generic(obj: &Bound<'_, PyAny>) {
    if is_generic_key(obj) {
        let mut guard = super::locks::lock(&GENERIC_KEYS);
        guard
            .get_or_insert_with(Default::default)
            .insert(key_of(obj));
    }
}

/// Whether `key` is a parametrised generic's (see `note_generic`): no
/// Python involved, so it may be asked under a container's lock.
pub(crate) fn is_generic(key: Key) -> bool {
    let guard = super::locks::lock(&GENERIC_KEYS);
    guard.as_ref().is_some_and(|keys| keys.contains(&key))
}

/// `True` for objects that can be a key: a class, or a parametrised generic.
pub(crate) fn is_key(obj: &Bound<'_, PyAny>) -> bool {
    is_type(obj) || is_generic_key(obj)
}

/// The name users see in messages: the class's `__qualname__` without the
/// `<locals>` noise of classes defined inside functions; a parametrised
/// generic as `Repository[User]`.
pub(crate) fn display_name(obj: &Bound<'_, PyAny>) -> String {
    if is_generic_key(obj) {
        return generic_name(obj);
    }
    let name = obj
        .getattr(pyo3::intern!(obj.py(), "__qualname__"))
        .or_else(|_| obj.getattr(pyo3::intern!(obj.py(), "__name__")))
        .and_then(|n| n.extract::<String>());
    match name {
        Ok(name) => name.rsplit("<locals>.").next().unwrap_or(&name).to_owned(),
        Err(_) => obj
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "<unknown>".into()),
    }
}

fn generic_name(obj: &Bound<'_, PyAny>) -> String {
    let py = obj.py();
    let origin = obj
        .getattr(pyo3::intern!(py, "__origin__"))
        .map(|o| display_name(&o))
        .unwrap_or_else(|_| "<generic>".into());
    let args: Vec<String> = obj
        .getattr(pyo3::intern!(py, "__args__"))
        .and_then(|a| a.try_iter().map(|it| it.flatten().collect::<Vec<_>>()))
        .map(|args| {
            args.iter()
                .map(|a| {
                    if is_key(a) {
                        display_name(a)
                    } else {
                        a.repr()
                            .map(|r| r.to_string().replace("typing.", ""))
                            .unwrap_or_else(|_| "?".into())
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{origin}[{}]", args.join(", "))
}

/// Scope level names, interned process-wide so that a registry and every
/// container made from it agree on them; `Level(0)` is `"scoped"`
/// (`Scope.SCOPED`: the first level of whichever container resolves it).
static LEVEL_NAMES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The level called `name`.
pub(crate) fn level_of(name: &str) -> Level {
    let mut names = super::locks::lock(&LEVEL_NAMES);
    if names.is_empty() {
        names.push("scoped".to_owned());
    }
    let index = match names.iter().position(|n| n == name) {
        Some(index) => index,
        None => {
            names.push(name.to_owned());
            names.len() - 1
        }
    };
    Level(u32::try_from(index).unwrap_or(u32::MAX))
}

/// The name of `level`, as the user spelled it.
pub(crate) fn level_name(level: Level) -> String {
    let names = super::locks::lock(&LEVEL_NAMES);
    usize::try_from(level.0)
        .ok()
        .and_then(|i| names.get(i).cloned())
        .unwrap_or_else(|| "scoped".to_owned())
}

/// A lifetime as the Python layer names it: `"singleton"`, `"transient"`,
/// `"scoped"` (the first level) or a scope level's name.
pub(crate) fn parse_lifetime(name: &str) -> PyResult<Lifetime> {
    match name {
        "singleton" => Ok(Lifetime::Singleton),
        "transient" => Ok(Lifetime::Transient),
        "" => Err(PyValueError::new_err(
            "an empty lifetime; expected 'singleton', 'transient', 'scoped' or a scope level's name",
        )),
        level => Ok(Lifetime::Scoped(level_of(level))),
    }
}

pub(crate) fn lifetime_name(lifetime: Lifetime) -> String {
    match lifetime {
        Lifetime::Singleton => "singleton".to_owned(),
        Lifetime::Scoped(level) => level_name(level),
        Lifetime::Transient => "transient".to_owned(),
    }
}

/// What a synthetic key stands for, for messages.
pub(crate) enum Label {
    /// An interface under a name: `Annotated[Cache, Named("local")]`.
    Named(Py<PyAny>, String),
    /// A configuration value: `Annotated[str, Value("db_url")]`.
    Value(String),
    /// Every implementation of an interface: `list[Plugin]`.
    List(Py<PyAny>),
}

#[derive(Default)]
struct SyntheticKeys {
    by_identity: std::collections::HashMap<(u64, u8, String), Key>,
    labels: std::collections::HashMap<Key, Label>,
}

/// Keys for qualified dependencies are interned process-wide so that the
/// decorator registry and every container agree on them. They live in the
/// upper half of the key space, which object addresses never reach.
static SYNTHETIC: std::sync::Mutex<Option<SyntheticKeys>> = std::sync::Mutex::new(None);
const SYNTHETIC_BASE: u64 = 1 << 63;

fn synthetic(identity: (u64, u8, String), label: impl FnOnce() -> Label) -> Key {
    let mut guard = super::locks::lock(&SYNTHETIC);
    let table = guard.get_or_insert_with(SyntheticKeys::default);
    if let Some(key) = table.by_identity.get(&identity) {
        return *key;
    }
    let key = Key(SYNTHETIC_BASE + table.by_identity.len() as u64);
    table.by_identity.insert(identity, key);
    table.labels.insert(key, label());
    key
}

/// The key of `type_` qualified by `name`.
pub(crate) fn named_key(type_: &Bound<'_, PyAny>, name: &str) -> Key {
    synthetic((key_of(type_).0, 0, name.to_owned()), || {
        Label::Named(type_.clone().unbind(), name.to_owned())
    })
}

/// The key of the configuration value `name`.
pub(crate) fn value_key(name: &str) -> Key {
    synthetic((0, 1, name.to_owned()), || Label::Value(name.to_owned()))
}

/// The key of the configuration value `name` converted by `conversion` (a
/// `dioxide._convert.Conversion`, interned for the process, so its address
/// is never reused): shown as the value itself.
pub(crate) fn converted_key(conversion: &Bound<'_, PyAny>, name: &str) -> Key {
    synthetic((key_of(conversion).0, 4, name.to_owned()), || {
        Label::Value(name.to_owned())
    })
}

/// The key of the list of every implementation of `type_`.
pub(crate) fn list_key(type_: &Bound<'_, PyAny>) -> Key {
    synthetic((key_of(type_).0, 2, String::new()), || {
        Label::List(type_.clone().unbind())
    })
}

/// A synthetic key's label, copied out so no lock is held while it is
/// rendered (rendering reads Python attributes).
enum LabelCopy {
    Named(Py<PyAny>, String),
    Value(String),
    List(Py<PyAny>),
}

fn label_of(py: Python<'_>, key: Key) -> Option<LabelCopy> {
    if key.0 < SYNTHETIC_BASE {
        return None;
    }
    let guard = super::locks::lock(&SYNTHETIC);
    let label = guard.as_ref()?.labels.get(&key)?;
    Some(match label {
        Label::Named(t, name) => LabelCopy::Named(t.clone_ref(py), name.clone()),
        Label::Value(name) => LabelCopy::Value(name.clone()),
        Label::List(t) => LabelCopy::List(t.clone_ref(py)),
    })
}

/// The name of a key for messages: a label for synthetic keys, otherwise the
/// name of the type `types` holds for it.
pub(crate) fn key_name(py: Python<'_>, key: Key, types: &KeyMap<Py<PyAny>>) -> String {
    match label_of(py, key) {
        Some(LabelCopy::Named(t, name)) => format!("{}[{name:?}]", display_name(t.bind(py))),
        Some(LabelCopy::Value(name)) => format!("value {name:?}"),
        Some(LabelCopy::List(t)) => format!("list[{}]", display_name(t.bind(py))),
        None => types
            .get(&key)
            .map(|t| display_name(t.bind(py)))
            .unwrap_or_else(|| format!("<type {:#x}>", key.0)),
    }
}

/// The interface and the name of a qualified key
/// (`Annotated[Cache, Named("local")]`), or `None` for other keys.
pub(crate) fn named_parts(py: Python<'_>, key: Key) -> Option<(Py<PyAny>, String)> {
    match label_of(py, key) {
        Some(LabelCopy::Named(interface, name)) => Some((interface, name)),
        _ => None,
    }
}

/// Whether a class can only be provided by an implementation: a Protocol,
/// or an ABC with abstract methods. Reads Python attributes: call it with
/// no lock held.
pub(crate) fn is_interface(type_: &Bound<'_, PyAny>) -> bool {
    let py = type_.py();
    // `getattr_opt`: a missing attribute is the common case here, and
    // building the AttributeError for it only to drop it costs more.
    let flag = |name: &Bound<'_, pyo3::types::PyString>| {
        matches!(
            type_.getattr_opt(name).map(|v| v.map(|v| v.is_truthy())),
            Ok(Some(Ok(true)))
        )
    };
    flag(pyo3::intern!(py, "_is_protocol")) || flag(pyo3::intern!(py, "__abstractmethods__"))
}

/// A key as a graph node: `(key, flavor, name, qualifier or None)`, with
/// flavor "type", "function" (a provider function's own key), "named",
/// "value" or "list".
pub(crate) fn graph_node(
    py: Python<'_>,
    key: Key,
    types: &KeyMap<Py<PyAny>>,
) -> (u64, &'static str, String, Option<String>) {
    match label_of(py, key) {
        Some(LabelCopy::Named(t, name)) => (key.0, "named", display_name(t.bind(py)), Some(name)),
        Some(LabelCopy::Value(name)) => (key.0, "value", name, None),
        Some(LabelCopy::List(t)) => (key.0, "list", display_name(t.bind(py)), None),
        None => match types.get(&key) {
            Some(t) if is_key(t.bind(py)) => (key.0, "type", display_name(t.bind(py)), None),
            Some(t) => (key.0, "function", display_name(t.bind(py)), None),
            None => (key.0, "type", format!("<type {:#x}>", key.0), None),
        },
    }
}

/// Whether `key` names a configuration value, and which.
pub(crate) fn value_name(py: Python<'_>, key: Key) -> Option<String> {
    match label_of(py, key) {
        Some(LabelCopy::Value(name)) => Some(name),
        _ => None,
    }
}

/// The object that stands for a key in an exception's `chain`: the type
/// (the interface for a qualified key), or a value's name.
pub(crate) fn chain_object(py: Python<'_>, key: Key, types: &KeyMap<Py<PyAny>>) -> Py<PyAny> {
    match label_of(py, key) {
        Some(LabelCopy::Named(t, _) | LabelCopy::List(t)) => t,
        Some(LabelCopy::Value(name)) => pyo3::types::PyString::new(py, &name).into_any().unbind(),
        None => types
            .get(&key)
            .map(|t| t.clone_ref(py))
            .unwrap_or_else(|| py.None()),
    }
}

pub(crate) use dioxide_core::KeyMap;

/// `subject` for any provided type or provider function.
pub(crate) fn subject_name(provides: &Bound<'_, PyAny>) -> String {
    let name = super::keys::display_name(provides);
    if super::keys::is_key(provides) {
        name
    } else {
        format!("{name}()")
    }
}
