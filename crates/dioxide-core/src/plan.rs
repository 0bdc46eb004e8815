//! Resolution plans: the constructor chain for one requested type, compiled
//! once from the registry and executed many times by the binding layer.

use crate::{Deferral, DomainError, Key, Lifetime, Role};

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
    /// Pass a handle for this key, bound to the owner of the instance being
    /// built (a deferred dependency: not a plan node).
    Deferred(Key, Deferral),
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
    pub lifetime: Lifetime,
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
    /// Some node is scoped: outside a scope the plan may be refused.
    pub scoped: bool,
    /// Some node must be awaited: a synchronous run may be refused.
    pub awaits: bool,
}

impl Plan {
    pub fn new(nodes: Vec<PlanNode>) -> Self {
        let scoped = nodes.iter().any(|n| n.lifetime == Lifetime::Scoped);
        let awaits = nodes.iter().any(|n| n.asynchronous);
        Self {
            nodes,
            scoped,
            awaits,
        }
    }

    /// Why building node `root` (the requested type is the last node) would
    /// be refused, found before anything is built: a scoped node it needs while `in_scope` is false, or a node
    /// to await while `awaiting` is false. `available(index)` says a node's
    /// value exists already (a built singleton): what only it needs is not
    /// needed, so a built async singleton serves a synchronous resolve.
    pub fn refusal(
        &self,
        root: usize,
        in_scope: bool,
        awaiting: bool,
        available: impl Fn(usize) -> bool,
    ) -> Option<DomainError> {
        if (in_scope || !self.scoped) && (awaiting || !self.awaits) {
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
            if node.lifetime == Lifetime::Scoped && !in_scope {
                return Some(DomainError::NeedsScope {
                    chain: self.chain_to(index),
                });
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
