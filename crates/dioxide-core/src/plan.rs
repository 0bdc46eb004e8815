//! Resolution plans: the constructor chain for one requested type, compiled
//! once from the registry and executed many times by the binding layer.

use crate::{DomainError, Key, Level, Lifetime, Role};

/// Where one constructor argument comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ArgSource {
    /// The value built by the plan node at this index.
    Node(usize),
    /// Leave the parameter out so the callee's default applies.
    Default,
    /// Pass `None`.
    None,
    /// Pass a new empty list (a collection nobody contributes to).
    EmptyList,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanArg {
    pub param: String,
    pub source: ArgSource,
}

/// One provider call inside a plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanNode {
    pub key: Key,
    /// A scoped node's level under its container's own name for it.
    pub lifetime: Lifetime,
    /// A scoped node's level depth (0: outermost); 0 for the others.
    pub depth: usize,
    pub role: Role,
    pub asynchronous: bool,
    /// Arguments in the provider's parameter order; `Node` sources always
    /// point at earlier nodes.
    pub args: Vec<PlanArg>,
}

/// The providers needed for one type, dependencies first, the requested type
/// last. Each key appears once; the executor decides per lifetime whether a
/// node is built once (singleton, scoped) or again for every use (transient).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub nodes: Vec<PlanNode>,
    /// The deepest level of a scoped node, if any: outside a scope, or in
    /// a scope of an outer level, the plan may be refused.
    pub deepest: Option<usize>,
    /// Some node must be awaited: a synchronous run may be refused.
    pub awaits: bool,
}

impl Plan {
    pub fn new(nodes: Vec<PlanNode>) -> Self {
        let deepest = nodes
            .iter()
            .filter(|n| n.lifetime.is_scoped())
            .map(|n| n.depth)
            .max();
        let awaits = nodes.iter().any(|n| n.asynchronous);
        Self {
            nodes,
            deepest,
            awaits,
        }
    }

    /// Whether a run in a scope of depth `open` (`None`: no scope) may meet
    /// a scoped node it cannot place.
    pub fn may_need_scope(&self, open: Option<usize>) -> bool {
        self.deepest.is_some_and(|d| open.is_none_or(|o| d > o))
    }

    /// Why building node `root` (the requested type is the last node) would
    /// be refused, found before anything is built: a scoped node deeper
    /// than the scope it runs in (`open`: its depth and level; `None`
    /// outside a scope), or a node to await while `awaiting` is false. `available(index)` says a node's
    /// value exists already (a built singleton): what only it needs is not
    /// needed, so a built async singleton serves a synchronous resolve.
    pub fn refusal(
        &self,
        root: usize,
        open: Option<(usize, Level)>,
        awaiting: bool,
        available: impl Fn(usize) -> bool,
    ) -> Option<DomainError> {
        let open_depth = open.map(|(d, _)| d);
        if !self.may_need_scope(open_depth) && (awaiting || !self.awaits) {
            return None;
        }
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![root];
        while let Some(index) = stack.pop() {
            match seen.get_mut(index) {
                Some(flag) if !*flag => *flag = true,
                _ => continue,
            }
            let Some(node) = self.nodes.get(index) else {
                continue;
            };
            if available(index) {
                continue;
            }
            if let Lifetime::Scoped(needed) = node.lifetime {
                if open_depth.is_none_or(|d| node.depth > d) {
                    return Some(DomainError::NeedsScope {
                        chain: self.chain_to(index),
                        needed,
                        open: open.map(|(_, level)| level),
                    });
                }
            }
            if node.asynchronous && !awaiting {
                return Some(DomainError::AsyncInSync {
                    chain: self.chain_to(index),
                });
            }
            // Pushed last-first so the first parameters are looked at first.
            for arg in node.args.iter().rev() {
                if let ArgSource::Node(child) = arg.source {
                    stack.push(child);
                }
            }
        }
        None
    }

    pub fn root(&self) -> Option<&PlanNode> {
        self.nodes.last()
    }

    /// The keys from the requested type down to node `target`, both included.
    /// Used to tell users which chain led to a failing constructor.
    pub fn chain_to(&self, target: usize) -> Vec<Key> {
        let Some(root) = self.nodes.len().checked_sub(1) else {
            return Vec::new();
        };
        // Depth-first from the root, first parameters first, so the chain shown
        // is the one a reader of the constructors would follow.
        let mut parent: Vec<Option<usize>> = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![root];
        if let Some(flag) = seen.get_mut(root) {
            *flag = true;
        }
        while let Some(index) = stack.pop() {
            if index == target {
                break;
            }
            let Some(node) = self.nodes.get(index) else {
                continue;
            };
            for arg in node.args.iter().rev() {
                if let ArgSource::Node(child) = arg.source {
                    if let Some(flag) = seen.get_mut(child) {
                        if !*flag {
                            *flag = true;
                            if let Some(slot) = parent.get_mut(child) {
                                *slot = Some(index);
                            }
                            stack.push(child);
                        }
                    }
                }
            }
        }
        let mut chain = Vec::new();
        let mut cursor = Some(target);
        while let Some(index) = cursor {
            if let Some(node) = self.nodes.get(index) {
                chain.push(node.key);
            }
            cursor = parent.get(index).copied().flatten();
        }
        chain.reverse();
        chain
    }
}
