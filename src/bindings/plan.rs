//! The binding's form of a resolution plan: for each node of the domain
//! plan, the Python callable to run, how to use what it returns, and its
//! arguments.

use std::sync::Arc;

use dioxide_core::{Key, Lifetime};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use smallvec::SmallVec;

use super::cell::InstanceCell;
use super::construct::Direct;

/// Values built by a run, on one stack; inline capacity chosen so typical
/// graphs never touch the heap.
pub(crate) type Values = SmallVec<[Py<PyAny>; 16]>;

/// How a provider produces its instance.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Call it; the result is the instance (classes and factory functions).
    Call,
    /// It is the instance (`register_instance`).
    Instance,
    /// Call it, take the one value it yields, finalize it on close.
    Generator,
    /// Call it, use `__enter__`'s result, call `__exit__` on close.
    ContextManager,
    /// `async def` provider: only `aresolve` can build it.
    AsyncCall,
    /// Async generator provider: only `aresolve` can build it.
    AsyncGenerator,
    /// An interface answered by its single implementation: forward it.
    Alias,
    /// Every implementation of an interface, as a list.
    Collection,
    /// A value supplied when a scope of its level opens
    /// (`register_context`): taken from that scope, never built.
    Context,
}

impl Kind {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "call" => Self::Call,
            "instance" => Self::Instance,
            "generator" => Self::Generator,
            "context_manager" => Self::ContextManager,
            "async_call" => Self::AsyncCall,
            "async_generator" => Self::AsyncGenerator,
            "context" => Self::Context,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Instance => "instance",
            Self::Generator => "generator",
            Self::ContextManager => "context_manager",
            Self::AsyncCall => "async_call",
            Self::AsyncGenerator => "async_generator",
            Self::Alias => "alias",
            Self::Collection => "collection",
            Self::Context => "context",
        }
    }

    pub(crate) fn is_async(self) -> bool {
        matches!(self, Self::AsyncCall | Self::AsyncGenerator)
    }
}

#[derive(Copy, Clone, Debug)]
pub(crate) enum ExecArg {
    Node(usize),
    None,
    EmptyList,
}

pub(crate) struct ExecNode {
    pub(crate) key: Key,
    /// The key of a scoped node's slot in a scope (see `compile`).
    pub(crate) scope_key: Key,
    pub(crate) provides: Py<PyAny>,
    pub(crate) target: Py<PyAny>,
    pub(crate) kind: Kind,
    pub(crate) lifetime: Lifetime,
    /// A scoped node's level depth (see `PlanNode::depth`).
    pub(crate) depth: usize,
    /// The container's slot for a singleton.
    pub(crate) cell: Option<Arc<InstanceCell>>,
    /// Arguments to pass; parameters left to their defaults are not listed.
    pub(crate) args: Vec<(Py<PyString>, ExecArg)>,
    /// How many leading `args` are passed by position; the rest go by keyword.
    pub(crate) positional: usize,
    /// The names of the keyword arguments (`args` after `positional`), as
    /// the tuple a vectorcall takes; `None` when there are none.
    pub(crate) kwnames: Option<Py<PyTuple>>,
    /// How to build the instance without calling the class, for a plain
    /// class (see `construct.rs`).
    pub(crate) direct: Option<Direct>,
}
