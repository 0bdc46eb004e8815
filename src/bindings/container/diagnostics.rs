//! What a container can tell about itself without building anything:
//! every wiring problem, its providers for the graph, the async steps of a
//! plan, and the hints that make a missing-provider error precise.

use dioxide_core::KeyMap;
use dioxide_core::{DomainError, Key, Lifetime};
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::resolve::types_for;
use super::RustContainer;
use crate::bindings::errors::DioxideError;
use crate::bindings::keys::{display_name, graph_node, key_of, lifetime_name, named_parts};
use crate::bindings::plan::Kind;
use crate::bindings::render::{keys_of, named_only_hint, profile_hint, render};

impl RustContainer {
    /// Say more about a missing provider when the registries know why it
    /// is missing: the decorated registry has it only for profiles this
    /// container is not made for, or the type is an interface whose
    /// implementations all have names. Takes the locks itself; call it with
    /// none held.
    pub(super) fn explain_missing(
        &self,
        py: Python<'_>,
        err: &DomainError,
        error: DioxideError,
    ) -> DioxideError {
        let DomainError::NotRegistered { missing, .. } = err else {
            return error;
        };
        let Some(missing_name) = error.names.last().cloned() else {
            return error;
        };
        let (parent, current, aliases) = {
            let state = self.read();
            let aliases: Vec<Key> = state
                .registry
                .iter()
                .flat_map(|p| p.exposes.iter().filter(|e| !e.collection).map(|e| e.key))
                .collect();
            (
                state.parent.as_ref().map(|p| p.clone_ref(py)),
                state.profile.clone(),
                aliases,
            )
        };
        let mut profiles: Vec<String> = Vec::new();
        if let Some(parent) = parent {
            let theirs = parent.get().read();
            for provider in theirs.registry.iter() {
                let answers = provider.key == *missing
                    || provider
                        .exposes
                        .iter()
                        .any(|e| !e.collection && e.key == *missing);
                if !answers {
                    continue;
                }
                for profile in provider.profiles.iter().flatten() {
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

    /// Every wiring problem, as dioxide exceptions, without building anything.
    pub(super) fn validate<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.sync(py)?;
        let (problems, types) = {
            let state = self.read();
            let problems = state.registry.validate_in(&self.levels);
            let types = types_for(py, &state, problems.iter().flat_map(keys_of));
            (problems, types)
        };
        let errors = PyList::empty(py);
        for problem in &problems {
            let error = self.explain_missing(py, problem, render(py, problem, &types));
            errors.append(error.into_pyerr(py).into_value(py))?;
        }
        Ok(errors)
    }

    /// For every provider, in registration order: `(node, lifetime, kind,
    /// implementation name or None, [(parameter, node, resolvable)],
    /// [(node, is a collection)])` where a node is `(key, flavor, name,
    /// qualifier or None)` and flavor one of "type", "function", "named",
    /// "value", "list". For `container.graph()`.
    pub(super) fn providers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.sync(py)?;
        type Row = (
            Key,
            Lifetime,
            Kind,
            Py<PyAny>,
            Vec<(String, Key, bool)>,
            Vec<(Key, bool)>,
        );
        // Copied out under the lock and named after it: naming reads
        // Python attributes, which may run Python code.
        let (rows, types): (Vec<Row>, KeyMap<Py<PyAny>>) = {
            let state = self.read();
            let rows: Vec<Row> = state
                .registry
                .iter()
                // A conversion shows as the value it converts.
                .filter(|p| p.requires.is_none())
                .map(|p| {
                    let deps = p
                        .deps
                        .iter()
                        .map(|d| {
                            // A converted value is shown as the value itself.
                            let shown = state
                                .registry
                                .get(d.key)
                                .and_then(|c| c.requires)
                                .unwrap_or(d.key);
                            (d.param.clone(), shown, state.registry.available(d.key))
                        })
                        .collect();
                    let exposes = p.exposes.iter().map(|e| (e.key, e.collection)).collect();
                    (
                        p.key,
                        self.levels.canonical_lifetime(p.lifetime),
                        p.payload.kind,
                        p.payload.target.clone_ref(py),
                        deps,
                        exposes,
                    )
                })
                .collect();
            let keys: Vec<Key> = rows
                .iter()
                .flat_map(|row: &Row| {
                    std::iter::once(row.0)
                        .chain(row.4.iter().map(|d| d.1))
                        .chain(row.5.iter().map(|e| e.0))
                })
                .collect();
            let types = types_for(py, &state, keys);
            (rows, types)
        };
        let out = PyList::empty(py);
        for (key, lifetime, kind, target, dep_rows, exposure_rows) in rows {
            let provides = types.get(&key);
            let implementation = (kind != Kind::Instance
                && provides.is_none_or(|t| !t.is(&target)))
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
}
