//! What a scope owns: its scoped instances and its finalizers. Kept apart
//! from the `_RustScope` class so the executor can hold it across awaits
//! without depending on the class.

use std::sync::{Arc, Mutex};

use dioxide_core::Key;

use super::cell::InstanceCell;
use super::keys::KeyMap;
use super::lifecycle::Finalizers;
use super::locks;

pub(crate) struct ScopeState {
    pub(crate) cells: Mutex<KeyMap<Arc<InstanceCell>>>,
    pub(crate) finalizers: Finalizers,
}

impl Default for ScopeState {
    fn default() -> Self {
        Self {
            cells: Mutex::default(),
            finalizers: Finalizers::for_scope(),
        }
    }
}

impl ScopeState {
    /// This scope's slot for a scoped provider, created on first use.
    pub(crate) fn cell(&self, key: Key) -> Arc<InstanceCell> {
        let mut cells = locks::lock(&self.cells);
        Arc::clone(cells.entry(key).or_default())
    }

    /// Whether this scope holds a built instance for `key`.
    pub(crate) fn has_built(&self, key: Key) -> bool {
        let cells = locks::lock(&self.cells);
        cells.get(&key).is_some_and(|c| c.get().is_some())
    }

    pub(crate) fn take_cells(&self) -> KeyMap<Arc<InstanceCell>> {
        std::mem::take(&mut *locks::lock(&self.cells))
    }
}
