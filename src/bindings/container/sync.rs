//! Keeping a container in step with its parent, the registry of decorated
//! providers: what the parent gained since the last look is copied in,
//! filtered by the container's profile.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;

use dioxide_core::{Exposure, Key, Provider};
use pyo3::prelude::*;

use super::registration::{copy_provider, forget_built, Payload};
use super::{Garbage, RustContainer};
use crate::bindings::errors::render;

impl RustContainer {
    /// Copy providers the parent (the decorator registry) gained since the
    /// last sync, unless this container registered the same type itself.
    pub(super) fn sync(&self, py: Python<'_>) -> PyResult<()> {
        // What this container holds of the parent's providers: their
        // registration sequence and exposures, to tell which changed.
        type Copied = HashMap<Key, (u64, Vec<Exposure>)>;
        let (parent, seen, mine): (Py<RustContainer>, u64, Copied) = {
            let state = self.read();
            let Some(parent) = state.parent.as_ref() else {
                return Ok(());
            };
            let mine = state
                .registry
                .iter()
                .map(|p| (p.key, (p.payload.seq, p.exposes.clone())))
                .collect();
            (parent.clone_ref(py), state.parent_generation, mine)
        };
        let parent = parent.get();
        let generation = parent.generation.load(Ordering::Acquire);
        if generation == seen {
            return Ok(());
        }
        let (explicit, profile) = {
            let state = self.read();
            (state.explicit.clone(), state.profile.clone())
        };
        // Providers that are new or changed: the singletons they built are stale.
        let mut changed: Vec<Key> = Vec::new();
        let (batch, types) = {
            let theirs = parent.read();
            let serves = |p: &Provider<Payload>| match (&p.payload.profiles, &profile) {
                (None, _) => true,
                (Some(list), Some(mine)) => list.contains(mine),
                (Some(_), None) => false,
            };
            // An implementation marked for this profile takes an interface
            // over unmarked ones (collections keep them all).
            let claimed: HashSet<Key> = theirs
                .registry
                .iter()
                .filter(|p| p.payload.profiles.is_some() && serves(p))
                .flat_map(|p| p.exposes.iter().filter(|e| !e.collection).map(|e| e.key))
                .collect();
            // An unmarked provider copied before an implementation for this
            // profile was decorated is copied again, without the interface
            // it has lost; its singleton is the same and stays built.
            let batch: Vec<Provider<Payload>> = theirs
                .registry
                .iter()
                .filter(|p| serves(p) && !explicit.contains(&p.key))
                .filter_map(|p| {
                    let mut exposes = p.exposes.clone();
                    if p.payload.profiles.is_none() {
                        exposes.retain(|e| e.collection || !claimed.contains(&e.key));
                    }
                    match mine.get(&p.key) {
                        Some((seq, copied)) if *seq == p.payload.seq && *copied == exposes => {
                            return None
                        }
                        Some((seq, _)) if *seq == p.payload.seq => {}
                        _ => changed.push(p.key),
                    }
                    let mut copy = copy_provider(py, p);
                    copy.exposes = exposes;
                    Some(copy)
                })
                .collect();
            let types: Vec<(Key, Py<PyAny>)> = theirs
                .types
                .iter()
                .map(|(k, t)| (*k, t.clone_ref(py)))
                .collect();
            (batch, types)
        };
        let mut garbage = Garbage::default();
        let mut state = self.write();
        for (key, ty) in types {
            if let Some(old) = state.types.insert(key, ty) {
                garbage.other.push(old);
            }
        }
        if let Err(err) = state.registry.adopt_all(batch) {
            let types = state
                .types
                .iter()
                .map(|(k, t)| (*k, t.clone_ref(py)))
                .collect();
            drop(state);
            return Err(render(py, &err, &types).into_pyerr(py));
        }
        state.parent_generation = generation;
        forget_built(&mut state, &changed, &mut garbage);
        drop(state);
        drop(garbage);
        Ok(())
    }
}
