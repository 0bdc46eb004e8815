//! The registry: providers in registration order plus the graph of their
//! dependencies, changed only through checks that keep it acyclic.

use indexmap::IndexMap;

use crate::graph::DependencyGraph;
use crate::plan::{ArgSource, Plan, PlanArg, PlanNode};
use crate::{DomainError, Fallback, Key, Lifetime, Provider};

#[derive(Clone, Debug)]
pub struct Registry<P> {
    providers: IndexMap<Key, Provider<P>>,
    graph: DependencyGraph,
    generation: u64,
}

impl<P> Default for Registry<P> {
    fn default() -> Self {
        Self {
            providers: IndexMap::new(),
            graph: DependencyGraph::default(),
            generation: 0,
        }
    }
}

impl<P> Registry<P> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, key: Key) -> Option<&Provider<P>> {
        self.providers.get(&key)
    }

    pub fn contains(&self, key: Key) -> bool {
        self.providers.contains_key(&key)
    }

    pub fn len(&self) -> usize {
        self.providers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Providers in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Provider<P>> {
        self.providers.values()
    }

    /// Bumped by every change; callers cache plans against it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Keys of the registered providers that depend on `key` directly.
    pub fn dependants(&self, key: Key) -> Vec<Key> {
        self.graph
            .dependants(key)
            .filter(|k| self.providers.contains_key(k))
            .collect()
    }

    /// Add `provider`, replacing any provider for the same key (it is
    /// returned). Refused, with the registry untouched, when it would close a
    /// dependency cycle or make a singleton capture a scoped instance.
    pub fn register(&mut self, provider: Provider<P>) -> Result<Option<Provider<P>>, DomainError> {
        let deps = provider.deps.iter().map(|d| d.key);
        if let Some(cycle) = self.graph.cycle_through(provider.key, deps) {
            return Err(DomainError::Cycle { cycle });
        }
        if let Some(chain) = self.captive_chain(&provider, &[]) {
            return Err(DomainError::Captive { chain });
        }
        Ok(self.insert(provider))
    }

    /// Register several providers as one change: either all of them are
    /// added or, on the first refusal, none is. The first provider is taken
    /// as the one being registered: a cycle through it is reported from it.
    pub fn register_all(&mut self, providers: Vec<Provider<P>>) -> Result<(), DomainError> {
        if providers.len() == 1 {
            return self.register_iter(providers).map(|_| ());
        }
        let focus = providers.first().map(|p| p.key);
        let mut scratch = self.graph.clone();
        for (index, provider) in providers.iter().enumerate() {
            let deps = provider.deps.iter().map(|d| d.key);
            if let Some(cycle) = scratch.cycle_through(provider.key, deps) {
                return Err(DomainError::Cycle { cycle: rotate_to(cycle, focus) });
            }
            scratch.set_dependencies(provider.key, provider.deps.iter().map(|d| d.key));
            let batch: Vec<&Provider<P>> = providers.iter().take(index).collect();
            if let Some(chain) = self.captive_chain(provider, &batch) {
                return Err(DomainError::Captive { chain });
            }
        }
        self.register_iter(providers).map(|_| ())
    }

    fn register_iter(&mut self, providers: Vec<Provider<P>>) -> Result<(), DomainError> {
        for provider in providers {
            self.register(provider)?;
        }
        Ok(())
    }

    fn insert(&mut self, provider: Provider<P>) -> Option<Provider<P>> {
        self.graph
            .set_dependencies(provider.key, provider.deps.iter().map(|d| d.key));
        self.generation += 1;
        self.providers.insert(provider.key, provider)
    }

    /// Remove the provider for `key`, keeping the order of the others.
    pub fn remove(&mut self, key: Key) -> Option<Provider<P>> {
        let removed = self.providers.shift_remove(&key)?;
        self.graph.clear_dependencies(key);
        self.generation += 1;
        Some(removed)
    }

    /// For a singleton, the chain to the first scoped provider it would hold
    /// on to (through any number of transients), looking up providers in
    /// `batch` first and then in the registry.
    fn captive_chain(&self, start: &Provider<P>, batch: &[&Provider<P>]) -> Option<Vec<Key>> {
        if start.lifetime != Lifetime::Singleton {
            return None;
        }
        let lookup = |key: Key| -> Option<&Provider<P>> {
            if key == start.key {
                return Some(start);
            }
            batch
                .iter()
                .rev()
                .find(|p| p.key == key)
                .copied()
                .or_else(|| self.providers.get(&key))
        };
        // Depth-first with an explicit stack of (key, next dependency).
        let mut stack: Vec<(Key, usize)> = vec![(start.key, 0)];
        let mut seen = std::collections::HashSet::from([start.key]);
        while let Some((key, cursor)) = stack.last().copied() {
            let deps = lookup(key).map(|p| p.deps.as_slice()).unwrap_or(&[]);
            let Some(dep) = deps.get(cursor) else {
                stack.pop();
                continue;
            };
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            let Some(target) = lookup(dep.key) else { continue };
            if target.lifetime == Lifetime::Scoped {
                let mut chain: Vec<Key> = stack.iter().map(|(k, _)| *k).collect();
                chain.push(dep.key);
                return Some(chain);
            }
            if seen.insert(dep.key) {
                stack.push((dep.key, 0));
            }
        }
        None
    }

    /// Compile the plan that builds `root`: every provider it needs, once,
    /// dependencies first. Missing providers, pending forward references and
    /// captive scoped instances are reported with the chain that needs them.
    pub fn plan(&self, root: Key) -> Result<Plan, DomainError> {
        let mut nodes: Vec<PlanNode> = Vec::new();
        let mut index_of: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
        let mut stack: Vec<(Key, usize)> = Vec::new();
        self.enter(root, None, &stack, &index_of)?;
        stack.push((root, 0));
        while let Some((key, cursor)) = stack.last().copied() {
            let provider = self.providers.get(&key).ok_or_else(|| DomainError::NotRegistered {
                chain: chain_of(&stack),
                missing: key,
                param: None,
            })?;
            if let Some(dep) = provider.deps.get(cursor) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if index_of.contains_key(&dep.key) || !self.providers.contains_key(&dep.key) {
                    if !self.providers.contains_key(&dep.key) && dep.fallback == Fallback::Required {
                        let mut chain = chain_of(&stack);
                        chain.push(dep.key);
                        return Err(DomainError::NotRegistered {
                            chain,
                            missing: dep.key,
                            param: Some(dep.param.clone()),
                        });
                    }
                    continue;
                }
                self.enter(dep.key, Some(&dep.param), &stack, &index_of)?;
                stack.push((dep.key, 0));
                continue;
            }
            stack.pop();
            let args = provider
                .deps
                .iter()
                .map(|dep| PlanArg {
                    param: dep.param.clone(),
                    source: match index_of.get(&dep.key) {
                        Some(&index) => ArgSource::Node(index),
                        None if dep.fallback == Fallback::UseNone => ArgSource::None,
                        None => ArgSource::Default,
                    },
                })
                .collect();
            index_of.insert(key, nodes.len());
            nodes.push(PlanNode {
                key,
                lifetime: provider.lifetime,
                asynchronous: provider.asynchronous,
                args,
            });
        }
        let plan = Plan { nodes };
        check_captive(&plan)?;
        Ok(plan)
    }

    /// Checks made as `key` joins the plan's depth-first walk.
    fn enter(
        &self,
        key: Key,
        param: Option<&String>,
        stack: &[(Key, usize)],
        index_of: &std::collections::HashMap<Key, usize>,
    ) -> Result<(), DomainError> {
        let mut chain = chain_of(stack);
        chain.push(key);
        let Some(provider) = self.providers.get(&key) else {
            return Err(DomainError::NotRegistered {
                chain,
                missing: key,
                param: param.cloned(),
            });
        };
        if let Some(unresolved) = &provider.pending {
            return Err(DomainError::Pending {
                chain,
                unresolved: unresolved.clone(),
            });
        }
        if !index_of.contains_key(&key) && stack.iter().any(|(k, _)| *k == key) {
            // Registration keeps the graph acyclic; this guards the walk anyway.
            let start = stack.iter().position(|(k, _)| *k == key).unwrap_or(0);
            let mut cycle: Vec<Key> = stack.iter().skip(start).map(|(k, _)| *k).collect();
            cycle.push(key);
            return Err(DomainError::Cycle { cycle });
        }
        Ok(())
    }
}

/// Rotate a cycle (`a -> b -> c -> a`) so it starts at `focus` when `focus`
/// is on it.
fn rotate_to(cycle: Vec<Key>, focus: Option<Key>) -> Vec<Key> {
    let Some(start) = focus.and_then(|f| cycle.iter().position(|k| *k == f)) else {
        return cycle;
    };
    let ring = &cycle[..cycle.len().saturating_sub(1)];
    let mut rotated: Vec<Key> = ring.iter().cycle().skip(start).take(ring.len()).copied().collect();
    if let Some(first) = rotated.first().copied() {
        rotated.push(first);
    }
    rotated
}

fn chain_of(stack: &[(Key, usize)]) -> Vec<Key> {
    stack.iter().map(|(k, _)| *k).collect()
}

/// A singleton in the plan must not reach a scoped node; report the chain.
fn check_captive(plan: &Plan) -> Result<(), DomainError> {
    // For each node, the shortest known chain down to a scoped node.
    let mut to_scoped: Vec<Option<Vec<Key>>> = Vec::with_capacity(plan.nodes.len());
    for node in &plan.nodes {
        let found = if node.lifetime == Lifetime::Scoped {
            Some(vec![node.key])
        } else {
            node.args.iter().find_map(|arg| match arg.source {
                ArgSource::Node(i) => to_scoped.get(i).cloned().flatten().map(|tail| {
                    let mut chain = vec![node.key];
                    chain.extend(tail);
                    chain
                }),
                _ => None,
            })
        };
        if node.lifetime == Lifetime::Singleton {
            if let Some(chain) = found {
                return Err(DomainError::Captive { chain });
            }
            to_scoped.push(None);
        } else {
            to_scoped.push(found);
        }
    }
    Ok(())
}
