//! Decorating a plain class without the Python introspection layer.
//!
//! Nearly every decorated class is plain: made by a `class` statement with
//! the default metaclass, built by `object.__new__` and an `__init__` whose
//! parameters are all annotated with classes (or, under `from __future__
//! import annotations`, with the names of classes). For those, reading the
//! dependencies here, straight from the code object, the defaults and the
//! annotations, gives exactly what `dioxide._introspect.class_dependencies`
//! gives, at a fraction of the cost. Anything else — a metaclass, a
//! `__signature__`, a generic, a decorated `__init__`, `*args`, an
//! annotation that is not a plain class, a name not defined yet — answers
//! `None`, and the caller takes the general path, which explains problems.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use dioxide_core::{Dependency, Fallback, KeyMap, Provider};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyString, PyTuple, PyType};

use super::registration::{Payload, SEQUENCE};
use super::RustContainer;
use crate::bindings::keys::{key_of, parse_lifetime};
use crate::bindings::plan::Kind;

/// `CO_VARARGS | CO_VARKEYWORDS`.
const VARIADIC: u32 = 0x04 | 0x08;
/// `Py_TPFLAGS_HEAPTYPE`: set on classes made by a `class` statement.
const HEAP_TYPE: std::os::raw::c_ulong = 1 << 9;

/// One dependency of a plain constructor.
pub(crate) struct PlainDependency<'py> {
    pub(crate) param: Bound<'py, PyString>,
    pub(crate) annotation: Bound<'py, PyAny>,
    pub(crate) has_default: bool,
    pub(crate) positional: bool,
}

/// The objects the checks compare against, looked up once per process.
struct Known {
    function: Py<PyAny>,
    object_init: Py<PyAny>,
    generic: Py<PyAny>,
    /// Classes injected as values, never by type (`_introspect._PRIMITIVES`).
    primitives: Vec<Py<PyAny>>,
}

/// Python's keywords: identifiers that `eval` gives a meaning of its own.
const KEYWORDS: [&str; 36] = [
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "__debug__",
];

static KNOWN: PyOnceLock<Known> = PyOnceLock::new();

fn known(py: Python<'_>) -> PyResult<&Known> {
    KNOWN.get_or_try_init(py, || {
        let builtins = py.import("builtins")?;
        let object = builtins.getattr("object")?;
        let primitives = [
            "str",
            "int",
            "float",
            "bool",
            "bytes",
            "bytearray",
            "complex",
            "object",
            "type",
        ]
        .iter()
        .map(|name| builtins.getattr(*name).map(Bound::unbind))
        .collect::<PyResult<Vec<_>>>()?;
        Ok(Known {
            function: py.import("types")?.getattr("FunctionType")?.unbind(),
            object_init: object.getattr("__init__")?.unbind(),
            generic: py.import("typing")?.getattr("Generic")?.unbind(),
            primitives,
        })
    })
}

/// What the classes of an MRO define, for the checks below.
struct Defined<'py> {
    /// The first `__init__`, and whether `object` is the class defining it.
    init: Option<(Bound<'py, PyAny>, bool)>,
    /// Some class before `object` defines `__new__`.
    own_new: bool,
    /// Some class defines `__signature__`.
    signature: bool,
}

fn defined<'py>(mro: &Bound<'py, PyTuple>) -> PyResult<Defined<'py>> {
    let py = mro.py();
    let (init, new, signature) = (
        pyo3::intern!(py, "__init__"),
        pyo3::intern!(py, "__new__"),
        pyo3::intern!(py, "__signature__"),
    );
    let last = mro.len().saturating_sub(1);
    let mut found = Defined {
        init: None,
        own_new: false,
        signature: false,
    };
    for (index, base) in mro.iter().enumerate() {
        // (`in` on the mapping proxy: no KeyError made for the usual miss.)
        let namespace = base.getattr(pyo3::intern!(py, "__dict__"))?;
        if found.init.is_none() && namespace.contains(init)? {
            found.init = Some((namespace.get_item(init)?, index == last));
        }
        if index != last && namespace.contains(new)? {
            found.own_new = true;
        }
        if namespace.contains(signature)? {
            found.signature = true;
        }
    }
    Ok(found)
}

/// The dependencies of the plain class `cls`, or `None` when it is not
/// plain (see the module docs). `module_level`: the class was decorated at
/// module level, where a string annotation names the class itself or a
/// global (or builtin); elsewhere the caller's locals count too, and the
/// general path reads them.
pub(crate) fn plain_dependencies<'py>(
    cls: &Bound<'py, PyAny>,
    module_level: bool,
) -> PyResult<Option<Vec<PlainDependency<'py>>>> {
    let py = cls.py();
    let Ok(class) = cls.cast::<PyType>() else {
        return Ok(None);
    };
    // The default metaclass, a class statement, not a tuple (NamedTuple).
    if !class.get_type().is(py.get_type::<PyType>())
        || unsafe { pyo3::ffi::PyType_GetFlags(class.as_type_ptr()) } & HEAP_TYPE == 0
        || class.is_subclass_of::<PyTuple>()?
    {
        return Ok(None);
    }
    let known = known(py)?;
    let mro = class.getattr(pyo3::intern!(py, "__mro__"))?;
    let mro = mro.cast::<PyTuple>()?;
    if mro.iter().any(|base| base.is(known.generic.bind(py))) {
        return Ok(None);
    }
    let defined = defined(mro)?;
    if defined.signature || defined.own_new {
        return Ok(None);
    }
    let init = match defined.init {
        Some((init, false)) => init,
        Some((init, true)) if init.is(known.object_init.bind(py)) => return Ok(Some(Vec::new())),
        _ => return Ok(None),
    };
    if !init.get_type().is(known.function.bind(py)) {
        return Ok(None);
    }
    // `__wrapped__`, `__no_type_check__`, ...: the general path.
    let attributes = init.getattr(pyo3::intern!(py, "__dict__"))?;
    if attributes.len()? != 0 {
        return Ok(None);
    }
    // (Functions have `__type_params__` from Python 3.12 on.)
    if py.version_info() >= (3, 12)
        && init.getattr(pyo3::intern!(py, "__type_params__"))?.len()? != 0
    {
        return Ok(None);
    }
    let code = init.getattr(pyo3::intern!(py, "__code__"))?;
    let flags: u32 = code.getattr(pyo3::intern!(py, "co_flags"))?.extract()?;
    let posonly: usize = code
        .getattr(pyo3::intern!(py, "co_posonlyargcount"))?
        .extract()?;
    if flags & VARIADIC != 0 || posonly != 0 {
        return Ok(None);
    }
    let positional: usize = code.getattr(pyo3::intern!(py, "co_argcount"))?.extract()?;
    let keyword_only: usize = code
        .getattr(pyo3::intern!(py, "co_kwonlyargcount"))?
        .extract()?;
    let names = code.getattr(pyo3::intern!(py, "co_varnames"))?;
    let names = names.cast::<PyTuple>()?;
    let defaults = init.getattr(pyo3::intern!(py, "__defaults__"))?;
    let defaults = if defaults.is_none() {
        0
    } else {
        defaults.len()?
    };
    let keyword_defaults = init.getattr(pyo3::intern!(py, "__kwdefaults__"))?;
    let annotations = init.getattr(pyo3::intern!(py, "__annotations__"))?;
    let Ok(annotations) = annotations.cast::<PyDict>() else {
        return Ok(None);
    };
    let globals = init.getattr(pyo3::intern!(py, "__globals__"))?;
    let Ok(globals) = globals.cast::<PyDict>() else {
        return Ok(None);
    };
    let own_name = class.getattr(pyo3::intern!(py, "__name__"))?;
    let first_default = positional.saturating_sub(defaults);
    let mut found = Vec::with_capacity(positional + keyword_only);
    for index in 1..positional + keyword_only {
        let param = names.get_item(index)?.cast_into::<PyString>()?;
        let Some(annotation) = annotations.get_item(&param)? else {
            return Ok(None);
        };
        let annotation = if let Ok(text) = annotation.cast::<PyString>() {
            if !module_level {
                return Ok(None);
            }
            match lookup(text, &own_name, class.as_any(), globals)? {
                Some(found) => found,
                None => return Ok(None),
            }
        } else {
            annotation
        };
        if !annotation.is_instance_of::<PyType>()
            || known.primitives.iter().any(|p| annotation.is(p.bind(py)))
            || annotation.is(known.generic.bind(py))
        {
            return Ok(None);
        }
        let has_default = if index < positional {
            index >= first_default
        } else {
            !keyword_defaults.is_none() && keyword_defaults.contains(&param)?
        };
        found.push(PlainDependency {
            param,
            annotation,
            has_default,
            positional: index < positional,
        });
    }
    Ok(Some(found))
}

/// What the string annotation `text` names at module level, when it is a
/// plain identifier: the class being decorated, a global, or a builtin.
fn lookup<'py>(
    text: &Bound<'py, PyString>,
    own_name: &Bound<'py, PyAny>,
    class: &Bound<'py, PyAny>,
    globals: &Bound<'py, PyDict>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let py = text.py();
    let name = text.to_cow()?;
    let mut chars = name.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !identifier || KEYWORDS.contains(&&*name) {
        return Ok(None);
    }
    if text.as_any().eq(own_name)? {
        return Ok(Some(class.clone()));
    }
    if let Some(found) = globals.get_item(text)? {
        return Ok(Some(found));
    }
    let builtins = match globals.get_item(pyo3::intern!(py, "__builtins__"))? {
        Some(b) if b.is_instance_of::<PyDict>() => b,
        Some(b) => match b.getattr(pyo3::intern!(py, "__dict__")) {
            Ok(namespace) => namespace,
            Err(_) => return Ok(None),
        },
        None => py
            .import("builtins")?
            .getattr(pyo3::intern!(py, "__dict__"))?,
    };
    let Ok(builtins) = builtins.cast::<PyDict>() else {
        return Ok(None);
    };
    builtins.get_item(text)
}

impl RustContainer {
    /// Register the plain class `cls` (built by calling it) with the
    /// dependencies read by [`plain_dependencies`]; `false`, registering
    /// nothing, when it is not plain.
    pub(super) fn register_plain(
        &self,
        py: Python<'_>,
        cls: &Bound<'_, PyAny>,
        lifetime: &str,
        module_level: bool,
    ) -> PyResult<bool> {
        let Some(found) = plain_dependencies(cls, module_level)? else {
            return Ok(false);
        };
        let lifetime = parse_lifetime(lifetime)?;
        let key = key_of(cls);
        let mut types: KeyMap<Py<PyAny>> = KeyMap::default();
        let mut dependencies = Vec::with_capacity(found.len());
        let mut positional = Vec::with_capacity(found.len());
        for dep in found {
            let dep_key = key_of(&dep.annotation);
            types
                .entry(dep_key)
                .or_insert_with(|| dep.annotation.unbind());
            let fallback = if dep.has_default {
                Fallback::UseDefault
            } else {
                Fallback::Required
            };
            dependencies.push(Dependency::new(
                dep.param.to_cow()?.into_owned(),
                dep_key,
                fallback,
            ));
            positional.push(dep.positional);
        }
        types.entry(key).or_insert_with(|| cls.clone().unbind());
        let payload = Payload {
            target: Arc::new(cls.clone().unbind()),
            kind: Kind::Call,
            seq: SEQUENCE.fetch_add(1, Ordering::Relaxed),
            positional,
        };
        let provider = Provider::new(key, lifetime, dependencies, payload);
        self.register_providers(py, vec![provider], types, false, false)?;
        Ok(true)
    }
}
