//! Keeping a container in step with its parent registry.
//!
//! A registry serves each profile one immutable snapshot per generation,
//! shared by every container made for that profile: a new container costs
//! the same whatever the number of decorated providers. A container copies
//! the snapshot only when it registers something itself (copy on write),
//! and replays its own registrations on a newer snapshot when the registry
//! changes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use dioxide_core::{Registry, Shared};
use pyo3::prelude::*;

use super::registration::{forget_built, Payload};
use super::resolve::error_types;
use super::{Garbage, RustContainer};
use crate::bindings::render::render;

impl RustContainer {
    /// Take the parent registry's current snapshot for this container's
    /// profile if it changed since the last look. Singletons built with a
    /// provider that changed (and their dependants) are set aside.
    pub(super) fn sync(&self, py: Python<'_>) -> PyResult<()> {
        let (parent, seen, profile) = {
            let state = self.read();
            let Some(parent) = state.parent.as_ref() else {
                return Ok(());
            };
            (
                parent.clone_ref(py),
                state.parent_generation,
                state.profile.clone(),
            )
        };
        let parent = parent.get();
        let generation = parent.generation.load(Ordering::Acquire);
        if generation == seen {
            return Ok(());
        }
        let view = parent.view(py, profile, generation)?;
        self.rebuild(py, Some((view, generation)), true)
    }

    /// Recompute the registry this container resolves from: the snapshot
    /// (`base`, or the current one when `None`), then its own registrations,
    /// then its active overrides. With `invalidate`, singletons whose
    /// providers changed are set aside.
    pub(super) fn rebuild(
        &self,
        py: Python<'_>,
        base: Option<(Arc<Registry<Payload>>, u64)>,
        invalidate: bool,
    ) -> PyResult<()> {
        let mut garbage = Garbage::default();
        let mut state = self.write();
        let (view, generation) = match base {
            Some(base) => base,
            None => (Arc::clone(&state.base), state.parent_generation),
        };
        let replay: Vec<Shared<Payload>> = state
            .own
            .iter()
            .cloned()
            .chain(state.overrides.iter().map(|f| Arc::clone(&f.provider)))
            .collect();
        let mut registry = Arc::clone(&view);
        if !replay.is_empty() {
            let keys: Vec<_> = replay.iter().map(|p| p.key).collect();
            // Checked when registered; only a cycle with providers decorated
            // since can refuse them now.
            let rebuilt = Arc::make_mut(&mut registry);
            for key in keys {
                rebuilt.mark_explicit(key);
            }
            if let Err(err) = rebuilt.adopt_all(replay) {
                let types = error_types(py, &state, &err);
                garbage.registries.push(registry);
                garbage.registries.push(view);
                drop(state);
                drop(garbage);
                return Err(render(py, &err, &types).into_pyerr(py));
            }
        }
        let built = !state.singletons.is_empty() || !state.scopes.is_empty();
        let stale = if invalidate && built {
            registry.stale_since(&state.registry)
        } else {
            Vec::new()
        };
        garbage
            .registries
            .push(std::mem::replace(&mut state.registry, registry));
        garbage
            .registries
            .push(std::mem::replace(&mut state.base, view));
        state.parent_generation = generation;
        forget_built(&mut state, &stale, &mut garbage);
        drop(state);
        drop(garbage);
        Ok(())
    }

    /// The snapshot of this registry that a container for `profile` sees at
    /// `generation`: providers marked for other profiles left out, and an
    /// implementation marked for the profile taking its interfaces over from
    /// unmarked ones (collections keep them all). Made once per profile and
    /// generation, then shared.
    fn view(
        &self,
        py: Python<'_>,
        profile: Option<String>,
        generation: u64,
    ) -> PyResult<Arc<Registry<Payload>>> {
        let mut garbage = Garbage::default();
        let mut state = self.write();
        if let Some((made, view)) = state.views.get(&profile) {
            if *made == generation {
                return Ok(Arc::clone(view));
            }
        }
        let view = match state.registry.for_profile(profile.as_deref()) {
            None => Arc::clone(&state.registry),
            Some(Ok(view)) => Arc::new(view),
            Some(Err(err)) => {
                let types = error_types(py, &state, &err);
                drop(state);
                return Err(render(py, &err, &types).into_pyerr(py));
            }
        };
        if let Some((_, old)) = state.views.insert(profile, (generation, Arc::clone(&view))) {
            garbage.registries.push(old);
        }
        drop(state);
        drop(garbage);
        Ok(view)
    }
}
