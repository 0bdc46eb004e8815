//! Python types as domain keys, and their display names.

use dioxide_core::{Key, Lifetime};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
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

/// The name users see in messages: the class's `__qualname__` without the
/// `<locals>` noise of classes defined inside functions.
pub(crate) fn display_name(obj: &Bound<'_, PyAny>) -> String {
    let name = obj
        .getattr(pyo3::intern!(obj.py(), "__qualname__"))
        .or_else(|_| obj.getattr(pyo3::intern!(obj.py(), "__name__")))
        .and_then(|n| n.extract::<String>());
    match name {
        Ok(name) => name.rsplit("<locals>.").next().unwrap_or(&name).to_owned(),
        Err(_) => obj.repr().map(|r| r.to_string()).unwrap_or_else(|_| "<unknown>".into()),
    }
}

pub(crate) fn parse_lifetime(name: &str) -> PyResult<Lifetime> {
    match name {
        "singleton" => Ok(Lifetime::Singleton),
        "scoped" => Ok(Lifetime::Scoped),
        "transient" => Ok(Lifetime::Transient),
        other => Err(PyValueError::new_err(format!(
            "unknown lifetime {other:?}; expected 'singleton', 'scoped' or 'transient'"
        ))),
    }
}

pub(crate) fn lifetime_name(lifetime: Lifetime) -> &'static str {
    match lifetime {
        Lifetime::Singleton => "singleton",
        Lifetime::Scoped => "scoped",
        Lifetime::Transient => "transient",
    }
}
