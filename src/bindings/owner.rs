//! What a scope owns: its scoped instances, its context values and its
//! finalizers, and the scope it is nested in. Kept apart from the
//! `_RustScope` class so the executor can hold it across awaits without
//! depending on the class.

use std::sync::{Arc, Mutex};

use dioxide_core::{Key, Level};
use pyo3::prelude::*;
use smallvec::SmallVec;

use super::cell::InstanceCell;
use super::keys::KeyMap;
use super::lifecycle::Finalizers;
use super::locks;

/// A scope's cells by key. A scope usually holds a few scoped instances:
/// up to `INLINE` are kept in the scope itself and found by comparing keys
/// (no allocation per scope); more move to a hash map.
#[derive(Default)]
pub(crate) struct Cells {
    few: SmallVec<[(Key, Arc<InstanceCell>); Cells::INLINE]>,
    many: KeyMap<Arc<InstanceCell>>,
}

impl Cells {
    const INLINE: usize = 4;

    fn get(&self, key: Key) -> Option<&Arc<InstanceCell>> {
        if self.many.is_empty() {
            self.few.iter().find(|(k, _)| *k == key).map(|(_, c)| c)
        } else {
            self.many.get(&key)
        }
    }

    fn get_or_insert(&mut self, key: Key) -> &Arc<InstanceCell> {
        if self.many.is_empty() {
            if let Some(index) = self.few.iter().position(|(k, _)| *k == key) {
                return &self.few[index].1;
            }
            if self.few.len() < Self::INLINE {
                self.few.push((key, Arc::default()));
                return &self.few[self.few.len() - 1].1;
            }
            self.many = self.few.drain(..).collect();
        }
        self.many.entry(key).or_default()
    }

    /// Every cell, in no particular order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Arc<InstanceCell>> {
        self.few.iter().map(|(_, c)| c).chain(self.many.values())
    }
}

pub(crate) struct ScopeState {
    pub(crate) cells: Mutex<Cells>,
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
    /// Whether it opened with none (then `context` is never locked).
    no_context: bool,
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
            no_context: context.is_empty(),
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
        if self.no_context {
            return None;
        }
        let context = self.context.lock().unwrap_or_else(|p| p.into_inner());
        context.get(&key).map(|v| v.clone_ref(py))
    }

    /// This scope's slot for a scoped provider, created on first use.
    pub(crate) fn cell(&self, key: Key) -> Arc<InstanceCell> {
        let mut cells = locks::lock(&self.cells);
        Arc::clone(cells.get_or_insert(key))
    }

    /// Whether this scope holds a built instance for `key`.
    pub(crate) fn has_built(&self, key: Key) -> bool {
        let cells = locks::lock(&self.cells);
        cells.get(key).is_some_and(|c| c.get().is_some())
    }

    pub(crate) fn take_cells(&self) -> Cells {
        std::mem::take(&mut *locks::lock(&self.cells))
    }

    pub(crate) fn take_context(&self) -> KeyMap<Py<PyAny>> {
        if self.no_context {
            return KeyMap::default();
        }
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
