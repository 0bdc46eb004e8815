//! The dependency graph: an edge `a -> b` means "building `a` needs `b`".
//!
//! Nodes exist for every key that is registered or depended upon, so an edge
//! to a type that is not registered yet is already in place when it arrives;
//! the registration that completes a cycle is then caught by a path search
//! *before* anything changes.

use std::collections::VecDeque;

use petgraph::graphmap::DiGraphMap;
use petgraph::Direction;

use crate::{Key, KeyBuildHasher, KeyMap, KeySet};

#[derive(Clone, Debug, Default)]
pub(crate) struct DependencyGraph {
    graph: DiGraphMap<Key, (), KeyBuildHasher>,
}

impl DependencyGraph {
    /// Replace the outgoing edges of `key` with edges to `deps`.
    pub(crate) fn set_dependencies(&mut self, key: Key, deps: impl IntoIterator<Item = Key>) {
        self.clear_dependencies(key);
        self.graph.add_node(key);
        for dep in deps {
            self.graph.add_edge(key, dep, ());
        }
    }

    /// Drop the outgoing edges of `key` (its node stays while others point at it).
    pub(crate) fn clear_dependencies(&mut self, key: Key) {
        let old: Vec<Key> = self
            .graph
            .neighbors_directed(key, Direction::Outgoing)
            .collect();
        for dep in old {
            self.graph.remove_edge(key, dep);
        }
        if self.graph.contains_node(key)
            && self
                .graph
                .neighbors_directed(key, Direction::Incoming)
                .next()
                .is_none()
        {
            self.graph.remove_node(key);
        }
    }

    /// Add the edge `from -> to` (an interface or collection pointing at a
    /// member).
    pub(crate) fn add_edge(&mut self, from: Key, to: Key) {
        self.graph.add_edge(from, to, ());
    }

    pub(crate) fn remove_edge(&mut self, from: Key, to: Key) {
        self.graph.remove_edge(from, to);
        for node in [from, to] {
            if self.graph.contains_node(node)
                && self
                    .graph
                    .neighbors_directed(node, Direction::Incoming)
                    .next()
                    .is_none()
                && self
                    .graph
                    .neighbors_directed(node, Direction::Outgoing)
                    .next()
                    .is_none()
            {
                self.graph.remove_node(node);
            }
        }
    }

    /// A cycle through `key` as `key -> ... -> key`, if there is one.
    pub(crate) fn cycle_from(&self, key: Key) -> Option<Vec<Key>> {
        let starts: Vec<Key> = self
            .graph
            .neighbors_directed(key, Direction::Outgoing)
            .collect();
        starts.into_iter().find_map(|next| {
            if next == key {
                return Some(vec![key, key]);
            }
            self.path_avoiding_out_edges_of(next, key).map(|path| {
                let mut cycle = vec![key];
                cycle.extend(path);
                cycle
            })
        })
    }

    /// Some cycle of the whole graph, or `None` when it is acyclic: one
    /// topological sort (linear, iterative), and a path search only when it
    /// fails.
    pub(crate) fn any_cycle(&self) -> Option<Vec<Key>> {
        match petgraph::algo::toposort(&self.graph, None) {
            Ok(_) => None,
            Err(on_cycle) => self.cycle_from(on_cycle.node_id()),
        }
    }

    /// Every key that reaches `key` through dependency edges (its direct and
    /// indirect dependants), breadth first.
    pub(crate) fn dependants_closure(&self, key: Key) -> Vec<Key> {
        let mut seen = KeySet::default();
        seen.insert(key);
        let mut queue = VecDeque::from([key]);
        let mut found = Vec::new();
        while let Some(node) = queue.pop_front() {
            if !self.graph.contains_node(node) {
                continue;
            }
            for user in self.graph.neighbors_directed(node, Direction::Incoming) {
                if seen.insert(user) {
                    found.push(user);
                    queue.push_back(user);
                }
            }
        }
        found
    }

    /// The cycle that giving `key` the dependencies `deps` would close, as
    /// `key -> ... -> key`, or `None`. The current edges of `key` are ignored
    /// because they are the ones being replaced.
    pub(crate) fn cycle_through(
        &self,
        key: Key,
        deps: impl IntoIterator<Item = Key>,
    ) -> Option<Vec<Key>> {
        for dep in deps {
            if dep == key {
                return Some(vec![key, key]);
            }
            if let Some(path) = self.path_avoiding_out_edges_of(dep, key) {
                let mut cycle = Vec::with_capacity(path.len() + 1);
                cycle.push(key);
                cycle.extend(path);
                return Some(cycle);
            }
        }
        None
    }

    /// Shortest path `from -> ... -> to` (both included), breadth first and
    /// iterative so deep graphs cannot overflow the stack.
    fn path_avoiding_out_edges_of(&self, from: Key, to: Key) -> Option<Vec<Key>> {
        if !self.graph.contains_node(from) || !self.graph.contains_node(to) {
            return None;
        }
        let mut came_from: KeyMap<Key> = KeyMap::default();
        let mut queue = VecDeque::from([from]);
        came_from.insert(from, from);
        while let Some(node) = queue.pop_front() {
            if node == to {
                let mut path = vec![to];
                let mut cursor = to;
                while cursor != from {
                    cursor = *came_from.get(&cursor)?;
                    path.push(cursor);
                }
                path.reverse();
                return Some(path);
            }
            for next in self.graph.neighbors_directed(node, Direction::Outgoing) {
                if let std::collections::hash_map::Entry::Vacant(slot) = came_from.entry(next) {
                    slot.insert(node);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// Whether anything depends on `key`: without a dependant, no cycle can
    /// pass through it.
    pub(crate) fn has_dependants(&self, key: Key) -> bool {
        self.graph.contains_node(key)
            && self
                .graph
                .neighbors_directed(key, Direction::Incoming)
                .next()
                .is_some()
    }

    pub(crate) fn dependants(&self, key: Key) -> impl Iterator<Item = Key> + '_ {
        self.graph.neighbors_directed(key, Direction::Incoming)
    }

    #[cfg(test)]
    pub(crate) fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(n: u64) -> Key {
        Key(n)
    }

    #[test]
    fn self_dependency_is_a_cycle_of_one() {
        let g = DependencyGraph::default();
        assert_eq!(g.cycle_through(k(1), [k(1)]), Some(vec![k(1), k(1)]));
    }

    #[test]
    fn cycle_is_reported_whole_and_in_order() {
        let mut g = DependencyGraph::default();
        g.set_dependencies(k(2), [k(3)]);
        g.set_dependencies(k(3), [k(4)]);
        g.set_dependencies(k(4), [k(1)]);
        assert_eq!(
            g.cycle_through(k(1), [k(9), k(2)]),
            Some(vec![k(1), k(2), k(3), k(4), k(1)])
        );
    }

    #[test]
    fn replacing_edges_forgets_old_ones() {
        let mut g = DependencyGraph::default();
        g.set_dependencies(k(1), [k(2)]);
        g.set_dependencies(k(1), [k(3)]);
        assert_eq!(g.cycle_through(k(2), [k(1)]), None);
        assert_eq!(g.edge_count(), 1);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let mut g = DependencyGraph::default();
        for n in 0..50_000 {
            g.set_dependencies(k(n), [k(n + 1)]);
        }
        let cycle = g.cycle_through(k(50_000), [k(0)]).map(|c| c.len());
        assert_eq!(cycle, Some(50_002));
    }
}
