//! Context values: types declared with `register_context(T, scope=level)`
//! and supplied when a scope of that level opens
//! (`create_scope(context={T: value})`).

use dioxide_core::{Level, Lifetime};
use pyo3::prelude::*;

use super::RustContainer;
use crate::bindings::errors::{DioxideError, ErrorKind};
use crate::bindings::keys::{display_name, key_of, level_name};
use crate::bindings::plan::Kind;

impl RustContainer {
    /// Refuse `value` for `type_` in a scope of `level` unless `type_` is
    /// declared a context value of that level and `value` is one.
    pub(crate) fn check_context(
        &self,
        py: Python<'_>,
        type_: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        level: Level,
    ) -> PyResult<()> {
        self.sync(py)?;
        let declared = {
            let state = self.read();
            state
                .registry
                .get(key_of(type_))
                .filter(|p| p.payload.kind == Kind::Context)
                .map(|p| self.levels.canonical_lifetime(p.lifetime))
        };
        let name = display_name(type_);
        let here = level_name(level);
        let error = match declared {
            Some(Lifetime::Scoped(own)) if own == level => {
                if value.is_instance(type_).unwrap_or(true) {
                    return Ok(());
                }
                DioxideError::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "context value for {name} is an instance of {}, not of {name}",
                        display_name(&value.get_type().into_any())
                    ),
                )
                .with_hint(format!("pass a {name} instance"))
            }
            Some(Lifetime::Scoped(own)) => {
                let theirs = level_name(own);
                DioxideError::new(
                    ErrorKind::Scope,
                    format!(
                        "{name} is a context value of the {theirs:?} scope level, \
                         not of this {here:?} scope"
                    ),
                )
                .with_hint(format!(
                    "supply it when the {theirs:?} scope opens: \
                     `create_scope(context={{{name}: ...}})` on the scope that opens it"
                ))
            }
            _ => DioxideError::new(
                ErrorKind::InvalidInput,
                format!("{name} is not declared as a context value"),
            )
            .with_hint(format!(
                "declare it first: `container.register_context({name}, scope={here:?})`"
            )),
        };
        Err(error
            .with_chain(vec![type_.clone().unbind()])
            .into_pyerr(py))
    }
}
