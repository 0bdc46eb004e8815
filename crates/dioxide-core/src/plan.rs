//! Resolution plans: the constructor chain for one requested type, compiled
//! once from the registry and executed many times by the binding layer.

use crate::{Key, Lifetime, Role};

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
}

impl Plan {
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
