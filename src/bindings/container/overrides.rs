//! Overrides for tests: a provider replaced for the length of a `with`
//! block, with the singletons built by the old one set aside and restored.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use dioxide_core::{Key, Provider, Shared};
use pyo3::prelude::*;

use super::registration::{parse_entry, value_provider, Entry, Payload, SEQUENCE};
use super::resolve::error_types;
use super::{Garbage, RustContainer};
use crate::bindings::cell::InstanceCell;
use crate::bindings::render::render;

/// What an override replaced, to put back when its block ends.
pub(super) struct OverrideFrame {
    /// Handed to the Python side so it ends this override, not another.
    pub(super) token: u64,
    /// The replacement, replayed when the registry is rebuilt.
    pub(super) provider: Shared<Payload>,
    /// Singletons of the key and its dependants, set aside for the block.
    saved_cells: Vec<(Key, Arc<InstanceCell>)>,
    affected: Vec<Key>,
    /// Its block has ended but a newer override is still active.
    ended: bool,
}

impl OverrideFrame {
    /// Whether instances of `key` may hold the overridden provider's.
    pub(super) fn affects(&self, key: Key) -> bool {
        self.affected.contains(&key)
    }

    pub(super) fn visit(&self, visit: &pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        visit.call(&*self.provider.payload.target)
    }
}

impl RustContainer {
    /// Replace the provider of one type until `_override_pop`: singletons of
    /// the type and of everything depending on it are set aside, so the
    /// block sees instances built with the override, and come back after.
    pub(super) fn override_push(&self, py: Python<'_>, entry: Entry<'_>) -> PyResult<u64> {
        let mut new_types = dioxide_core::KeyMap::default();
        let provider = parse_entry(py, entry, &mut new_types)?;
        self.push_override(py, provider, new_types)
    }

    /// Set the configuration value `name` until `_override_pop`, like an
    /// override of a provider: what was built with the old value (its
    /// conversions and their dependants) is set aside for the block.
    pub(super) fn override_value_push(
        &self,
        py: Python<'_>,
        name: &str,
        value: Py<PyAny>,
    ) -> PyResult<u64> {
        let provider = value_provider(name, value);
        self.push_override(py, provider, dioxide_core::KeyMap::default())
    }

    fn push_override(
        &self,
        py: Python<'_>,
        mut provider: Provider<Payload>,
        new_types: dioxide_core::KeyMap<Py<PyAny>>,
    ) -> PyResult<u64> {
        self.sync(py)?;
        let key = provider.key;
        let mut garbage = Garbage::default();
        let mut state = self.write();
        if self.is_closed() {
            drop(state);
            return Err(Self::closed_error(py));
        }
        let mut affected = vec![key];
        affected.extend(state.registry.dependants_closure(key));
        if let Some(replaced) = state.registry.get(key) {
            // The replacement stands in for the implementation everywhere it
            // was used, including the interfaces and collections it is in.
            provider.exposes.clone_from(&replaced.exposes);
        }
        let provider = Arc::new(provider);
        let copy = Arc::clone(&provider);
        let registry = Arc::make_mut(&mut state.registry);
        match registry.register_in(provider, &self.levels) {
            Ok(previous) => {
                // Only once accepted: a refused override changes nothing.
                registry.mark_explicit(key);
                garbage.providers.extend(previous);
            }
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
        let token = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        state.overrides.push(OverrideFrame {
            token,
            provider: copy,
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
    pub(super) fn override_pop(&self, py: Python<'_>, token: u64) -> PyResult<()> {
        let mut garbage = Garbage::default();
        {
            let mut state = self.write();
            match state.overrides.iter_mut().find(|f| f.token == token) {
                Some(frame) => frame.ended = true,
                None => return Ok(()),
            }
            while state.overrides.last().is_some_and(|f| f.ended) {
                let Some(frame) = state.overrides.pop() else {
                    break;
                };
                garbage.providers.push(frame.provider);
                for key in &frame.affected {
                    if let Some(cell) = state.singletons.remove(key) {
                        garbage.cells.push(cell);
                    }
                }
                state.singletons.extend(frame.saved_cells);
            }
            garbage.plans.extend(state.plans.drain().map(|(_, p)| p));
        }
        drop(garbage);
        // The registry without the ended overrides: the snapshot, this
        // container's own registrations and the overrides still active.
        let outcome = self.rebuild(py, None, false);
        self.generation.fetch_add(1, Ordering::AcqRel);
        outcome
    }
}
