//! What a scope owns: its scoped instances, its context values and its
//! finalizers, and the scope it is nested in. Kept apart from the
//! `_RustScope` class so the executor can hold it across awaits without
//! depending on the class.

use std::sync::{Arc, Mutex};

use dioxide_core::{Key, Level};
use pyo3::prelude::*;

use super::cell::InstanceCell;
use super::keys::KeyMap;
use super::lifecycle::Finalizers;
use super::locks;

pub(crate) struct ScopeState {
    pub(crate) cells: Mutex<KeyMap<Arc<InstanceCell>>>,
    pub(crate) finalizers: Finalizers,
    /// The scope this one was opened in: instances of outer levels are
    /// owned there (or further out).
    pub(crate) parent: Option<Arc<ScopeState>>,
    /// This scope's level and its depth (0: the outermost level). A scope
    /// opened in one of the innermost level is of that level too.
    pub(crate) depth: usize,
    pub(crate) level: Level,
    /// The values supplied when the scope opened, by type.
    pub(crate) context: Mutex<KeyMap<Py<PyAny>>>,
}

impl ScopeState {
    pub(crate) fn new(
        parent: Option<Arc<ScopeState>>,
        depth: usize,
        level: Level,
        context: KeyMap<Py<PyAny>>,
    ) -> Self {
        Self {
            cells: Mutex::default(),
            finalizers: Finalizers::for_scope(),
            parent,
            depth,
            level,
            context: Mutex::new(context),
        }
    }

    /// The scope that owns instances of the level at `depth`: this one or
    /// the nearest enclosing one of that level. `None` when the level is
    /// deeper than this scope's.
    pub(crate) fn owner(&self, depth: usize) -> Option<&ScopeState> {
        let mut scope = self;
        loop {
            if scope.depth == depth {
                return Some(scope);
            }
            if scope.depth < depth {
                return None;
            }
            scope = scope.parent.as_deref()?;
        }
    }

    /// The context value supplied for `key` when this scope opened.
    pub(crate) fn context_value(&self, py: Python<'_>, key: Key) -> Option<Py<PyAny>> {
        let context = self.context.lock().unwrap_or_else(|p| p.into_inner());
        context.get(&key).map(|v| v.clone_ref(py))
    }

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

    pub(crate) fn take_context(&self) -> KeyMap<Py<PyAny>> {
        std::mem::take(&mut *self.context.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub(crate) fn visit(&self, visit: &pyo3::gc::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Ok(cells) = self.cells.try_lock() {
            for value in cells.values().filter_map(|c| c.get()) {
                visit.call(value)?;
            }
        }
        if let Ok(context) = self.context.try_lock() {
            for value in context.values() {
                visit.call(value)?;
            }
        }
        self.finalizers.visit(visit)
    }
}
