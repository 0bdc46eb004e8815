//! The registry: providers in registration order plus the graph of their
//! dependencies, changed only through checks that keep it acyclic.
//!
//! Besides the providers registered under their own key, the registry
//! answers for *exposed* keys: an interface implemented by one provider
//! (an alias to it), by several (ambiguous), and collections of every
//! member. These synthetic nodes take part in the graph like any other, so
//! a class that depends on its own interface is a cycle like any other.

use std::collections::HashSet;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::graph::DependencyGraph;
use crate::plan::{ArgSource, Plan, PlanArg, PlanNode};
use crate::{
    Deferral, Dependency, DomainError, Fallback, Key, KeyBuildHasher, KeyMap, KeySet, Levels,
    Lifetime, Provider, Role,
};

/// A registered provider, shared: a copy of a registry (a container's view,
/// a profile's selection) and a container keeping its own registrations to
/// replay share each provider instead of copying it.
pub type Shared<P> = Arc<Provider<P>>;

#[derive(Clone, Debug)]
pub struct Registry<P> {
    providers: IndexMap<Key, Shared<P>, KeyBuildHasher>,
    /// Exposed key -> (is a collection, member provider keys in order).
    members: IndexMap<Key, (bool, Vec<Key>), KeyBuildHasher>,
    graph: DependencyGraph,
    generation: u64,
    /// How many providers are scoped: with none, no singleton can capture
    /// one, and registrations skip that search.
    scoped: usize,
    /// Keys registered explicitly (a container's own registrations): each
    /// once. Decorated providers may be replaced by one of these.
    explicit: KeySet,
}

impl<P> Default for Registry<P> {
    fn default() -> Self {
        Self {
            providers: IndexMap::default(),
            members: IndexMap::default(),
            graph: DependencyGraph::default(),
            generation: 0,
            scoped: 0,
            explicit: KeySet::default(),
        }
    }
}

/// What the plan compiler sees for one key: a registered provider or a
/// synthetic interface/collection node.
struct View<'a> {
    lifetime: Lifetime,
    role: Role,
    deps: std::borrow::Cow<'a, [Dependency]>,
    pending: Option<&'a str>,
    asynchronous: bool,
    ambiguous: Option<Vec<Key>>,
}

impl<P> Registry<P> {
    pub fn new() -> Self {
        Self::default()
    }

    /// The provider registered under `key` itself (not an exposed key).
    pub fn get(&self, key: Key) -> Option<&Provider<P>> {
        self.providers.get(&key).map(|p| &**p)
    }

    /// `get`, as the shared handle the registry holds.
    pub fn get_shared(&self, key: Key) -> Option<&Shared<P>> {
        self.providers.get(&key)
    }

    /// Whether `key` can be resolved: a provider or an exposed key.
    pub fn contains(&self, key: Key) -> bool {
        self.providers.contains_key(&key) || self.members.contains_key(&key)
    }

    /// Whether a dependency on `key` can be filled: `contains`, and for a
    /// derived provider, the key it requires too.
    pub fn available(&self, key: Key) -> bool {
        match self.providers.get(&key) {
            Some(provider) => provider.requires.is_none_or(|r| self.contains(r)),
            None => self.members.contains_key(&key),
        }
    }

    pub fn len(&self) -> usize {
        self.providers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// Providers in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &Provider<P>> {
        self.providers.values().map(|p| &**p)
    }

    /// The providers behind an exposed key, in registration order.
    pub fn members_of(&self, key: Key) -> &[Key] {
        self.members
            .get(&key)
            .map(|(_, m)| m.as_slice())
            .unwrap_or(&[])
    }

    /// The lifetime of what `key` resolves to: its provider's, or for an
    /// interface with one implementation, that implementation's.
    pub fn lifetime_of(&self, key: Key) -> Option<Lifetime> {
        if let Some(provider) = self.providers.get(&key) {
            return Some(provider.lifetime);
        }
        match self.members.get(&key) {
            Some((false, members)) if members.len() == 1 => members
                .first()
                .and_then(|m| self.providers.get(m))
                .map(|p| p.lifetime),
            _ => None,
        }
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

    /// Every key whose instances may hold one built by `key`'s provider:
    /// its direct and indirect dependants, interfaces and collections included.
    pub fn dependants_closure(&self, key: Key) -> Vec<Key> {
        self.graph.dependants_closure(key)
    }

    fn view(&self, key: Key) -> Option<View<'_>> {
        if let Some(p) = self.providers.get(&key) {
            return Some(View {
                lifetime: p.lifetime,
                role: Role::Build,
                deps: std::borrow::Cow::Borrowed(&p.deps),
                pending: p.pending.as_deref(),
                asynchronous: p.asynchronous,
                ambiguous: None,
            });
        }
        let (collection, members) = self.members.get(&key)?;
        let deps: Vec<Dependency> = members
            .iter()
            .enumerate()
            .map(|(i, m)| Dependency::required(format!("#{i}"), *m))
            .collect();
        let (role, ambiguous) = match (collection, members.len()) {
            (true, _) => (Role::Collection, None),
            (false, 1) => (Role::Alias, None),
            (false, _) => (Role::Alias, Some(members.clone())),
        };
        Some(View {
            lifetime: Lifetime::Transient,
            role,
            deps: std::borrow::Cow::Owned(deps),
            pending: None,
            asynchronous: false,
            ambiguous,
        })
    }

    /// `register_in` with one unnamed scope level.
    pub fn register(
        &mut self,
        provider: impl Into<Shared<P>>,
    ) -> Result<Option<Shared<P>>, DomainError> {
        self.register_in(provider, &Levels::default())
    }

    /// Add `provider`, replacing any provider for the same key (it is
    /// returned). Refused, with the registry untouched, when it would close a
    /// dependency cycle or make a singleton (or a scoped provider of an
    /// outer level of `levels`) capture an instance of a deeper level.
    pub fn register_in(
        &mut self,
        provider: impl Into<Shared<P>>,
        levels: &Levels,
    ) -> Result<Option<Shared<P>>, DomainError> {
        let provider: Shared<P> = provider.into();
        // The path search below sees the current graph: only right when the
        // provider it replaces (if any) has no interface edges to drop.
        let replaces_exposed = self
            .providers
            .get(&provider.key)
            .is_some_and(|old| !old.exposes.is_empty());
        // A cycle through the new provider needs something that depends on
        // it, or on an interface it joins. The common registration (a class
        // nothing refers to yet) skips the search: registering n classes
        // stays linear instead of searching the graph n times.
        let reachable = self.graph.has_dependants(provider.key)
            || provider
                .exposes
                .iter()
                .any(|e| self.graph.has_dependants(e.key))
            || edges(&provider.deps)
                .any(|d| d == provider.key || provider.exposes.iter().any(|e| e.key == d));
        if !reachable && !replaces_exposed {
            // Nothing to search.
        } else if provider.exposes.is_empty() && !replaces_exposed {
            let deps = edges(&provider.deps);
            if let Some(cycle) = self.graph.cycle_through(provider.key, deps) {
                return Err(DomainError::Cycle { cycle });
            }
        } else {
            let mut scratch = self.graph.clone();
            self.stage(&mut scratch, &provider);
            if let Some(cycle) = scratch.cycle_from(provider.key) {
                return Err(DomainError::Cycle { cycle });
            }
        }
        if let Some(err) = self.captive_chain(&provider, &[], levels) {
            return Err(err);
        }
        Ok(self.insert(provider))
    }

    /// Register several providers as one change: either all of them are
    /// added or, on the first refusal, none is. The first provider is taken
    /// as the one being registered: a cycle through it is reported from it.
    pub fn register_all<Q: Into<Shared<P>>>(
        &mut self,
        providers: Vec<Q>,
    ) -> Result<(), DomainError> {
        self.register_all_in(providers, &Levels::default())
    }

    /// `register_all`, judging captive dependencies by `levels`.
    pub fn register_all_in<Q: Into<Shared<P>>>(
        &mut self,
        providers: Vec<Q>,
        levels: &Levels,
    ) -> Result<(), DomainError> {
        let providers = shared(providers);
        if providers.len() == 1 {
            return self.register_iter(providers, levels);
        }
        let focus = providers.first().map(|p| p.key);
        let mut scratch = self.graph.clone();
        for (index, provider) in providers.iter().enumerate() {
            self.stage(&mut scratch, provider);
            if let Some(cycle) = scratch.cycle_from(provider.key) {
                return Err(DomainError::Cycle {
                    cycle: rotate_to(cycle, focus),
                });
            }
            let batch: Vec<&Provider<P>> = providers.iter().take(index).map(|p| &**p).collect();
            if let Some(err) = self.captive_chain(provider, &batch, levels) {
                return Err(err);
            }
        }
        // Checked as staged above; checking each again while inserting could
        // refuse a later one (its interfaces now have members) after earlier
        // ones went in, leaving half a batch.
        for provider in providers {
            self.insert(provider);
        }
        Ok(())
    }

    /// Register providers explicitly, as one change: refused when a key is
    /// registered explicitly already or twice in the batch (a decorated
    /// provider may be replaced), and on the same grounds as `register_all`.
    pub fn register_explicit<Q: Into<Shared<P>>>(
        &mut self,
        providers: Vec<Q>,
    ) -> Result<(), DomainError> {
        self.register_explicit_in(providers, &Levels::default())
    }

    /// `register_explicit`, judging captive dependencies by `levels`.
    pub fn register_explicit_in<Q: Into<Shared<P>>>(
        &mut self,
        providers: Vec<Q>,
        levels: &Levels,
    ) -> Result<(), DomainError> {
        let providers = shared(providers);
        let mut seen = HashSet::new();
        if let Some(key) = providers
            .iter()
            .map(|p| p.key)
            .find(|k| self.explicit.contains(k) || !seen.insert(*k))
        {
            return Err(DomainError::Duplicate { key });
        }
        self.register_all_in(providers, levels)?;
        self.explicit.extend(seen);
        Ok(())
    }

    /// Count `key` as registered explicitly (an override in force).
    pub fn mark_explicit(&mut self, key: Key) {
        self.explicit.insert(key);
    }

    /// Stop counting `key` as registered explicitly: a configuration value
    /// loaded again is replaced, not refused.
    pub fn unmark_explicit(&mut self, key: Key) {
        self.explicit.remove(&key);
    }

    /// Put the edges `provider` would have into `graph`.
    /// An interface that has a provider of its own is built by it, so its
    /// members are not edges of it (see `refresh_edges`).
    fn stage(&self, graph: &mut DependencyGraph, provider: &Provider<P>) {
        let member_edge = |interface: Key| !self.providers.contains_key(&interface);
        if let Some(old) = self.providers.get(&provider.key) {
            for exposure in old.exposes.iter().filter(|e| member_edge(e.key)) {
                graph.remove_edge(exposure.key, provider.key);
            }
        }
        graph.set_dependencies(provider.key, edges(&provider.deps));
        for exposure in provider.exposes.iter().filter(|e| member_edge(e.key)) {
            graph.add_edge(exposure.key, provider.key);
        }
    }

    fn register_iter(
        &mut self,
        providers: Vec<Shared<P>>,
        levels: &Levels,
    ) -> Result<(), DomainError> {
        for provider in providers {
            self.register_in(provider, levels)?;
        }
        Ok(())
    }

    /// Replacing a provider keeps its place in the registration order, and
    /// in every interface and collection it still belongs to.
    ///
    /// Edges follow `refresh_edges`: an interface points at its members
    /// unless it has a provider of its own.
    fn insert(&mut self, provider: Shared<P>) -> Option<Shared<P>> {
        let key = provider.key;
        if let Some(old) = self.providers.get(&key) {
            let left: Vec<Key> = old
                .exposes
                .iter()
                .filter(|e| !provider.exposes.contains(e))
                .map(|e| e.key)
                .collect();
            for interface in left {
                self.leave(interface, key);
                if !self.providers.contains_key(&interface) {
                    self.graph.remove_edge(interface, key);
                }
            }
        }
        for exposure in &provider.exposes {
            let entry = self
                .members
                .entry(exposure.key)
                .or_insert((exposure.collection, Vec::new()));
            if !entry.1.contains(&key) {
                entry.1.push(key);
            }
            if !self.providers.contains_key(&exposure.key) {
                self.graph.add_edge(exposure.key, key);
            }
        }
        self.generation += 1;
        let scoped = provider.lifetime.is_scoped();
        let old = self.providers.insert(key, provider);
        let was_scoped = old.as_ref().is_some_and(|o| o.lifetime.is_scoped());
        self.scoped = self.scoped + usize::from(scoped) - usize::from(was_scoped);
        self.refresh_edges(key);
        old
    }

    /// Take `member` out of the interface or collection `interface`.
    fn leave(&mut self, interface: Key, member: Key) {
        if let Some((_, members)) = self.members.get_mut(&interface) {
            members.retain(|m| *m != member);
            if members.is_empty() {
                self.members.shift_remove(&interface);
            }
        }
    }

    /// Make the graph's edges out of `key` say how `key` is built now: its
    /// own provider's dependencies when it has one (a provider registered
    /// for an interface shadows the interface's members), else the members
    /// of the interface or collection it is.
    fn refresh_edges(&mut self, key: Key) {
        if let Some(provider) = self.providers.get(&key) {
            self.graph.set_dependencies(key, edges(&provider.deps));
        } else if let Some((_, members)) = self.members.get(&key) {
            self.graph.set_dependencies(key, members.iter().copied());
        } else {
            self.graph.clear_dependencies(key);
        }
    }

    /// The keys whose instances built from `old` may differ from those this
    /// registry would build: providers added, removed or changed, interfaces
    /// and collections whose members changed, and everything depending on
    /// any of them (in either registry). A provider that only answers for
    /// other interfaces now builds the same instances: the interfaces it
    /// joined or left are what changed. Singletons cached for these keys
    /// are stale.
    pub fn stale_since(&self, old: &Self) -> Vec<Key>
    where
        P: PartialEq,
    {
        let same = |a: &Provider<P>, b: &Provider<P>| {
            a.lifetime == b.lifetime
                && a.deps == b.deps
                && a.pending == b.pending
                && a.payload == b.payload
        };
        let mut changed: Vec<Key> = Vec::new();
        for (key, provider) in &self.providers {
            if !old
                .providers
                .get(key)
                .is_some_and(|o| Arc::ptr_eq(provider, o) || same(provider, o))
            {
                changed.push(*key);
            }
        }
        for key in old.providers.keys() {
            if !self.providers.contains_key(key) {
                changed.push(*key);
            }
        }
        for (key, members) in &self.members {
            if old.members.get(key) != Some(members) {
                changed.push(*key);
            }
        }
        for key in old.members.keys() {
            if !self.members.contains_key(key) {
                changed.push(*key);
            }
        }
        let mut stale: KeySet = changed.iter().copied().collect();
        for key in &changed {
            stale.extend(self.graph.dependants_closure(*key));
            stale.extend(old.graph.dependants_closure(*key));
        }
        stale.into_iter().collect()
    }

    /// What a container made for `profile` resolves from: providers limited
    /// to other profiles left out, and an implementation marked for this
    /// profile taking its interfaces over from unmarked ones (collections
    /// keep them all). `None` when every provider serves every profile: the
    /// registry itself is the answer.
    pub fn for_profile(&self, profile: Option<&str>) -> Option<Result<Self, DomainError>>
    where
        P: Clone,
    {
        if self.providers.values().all(|p| p.profiles.is_none()) {
            return None;
        }
        let serves = |p: &Provider<P>| match (&p.profiles, profile) {
            (None, _) => true,
            (Some(list), Some(mine)) => list.iter().any(|p| p == mine),
            (Some(_), None) => false,
        };
        let claimed: KeySet = self
            .providers
            .values()
            .filter(|p| p.profiles.is_some() && serves(p))
            .flat_map(|p| p.exposes.iter().filter(|e| !e.collection).map(|e| e.key))
            .collect();
        let batch: Vec<Shared<P>> = self
            .providers
            .values()
            .filter(|p| serves(p))
            .map(|p| {
                let gives_up = |e: &crate::Exposure| !e.collection && claimed.contains(&e.key);
                if p.profiles.is_none() && p.exposes.iter().any(gives_up) {
                    let mut copy = Provider::clone(p);
                    copy.exposes.retain(|e| !gives_up(e));
                    Arc::new(copy)
                } else {
                    Arc::clone(p)
                }
            })
            .collect();
        let mut view = Self::new();
        Some(view.adopt_all(batch).map(|()| view))
    }

    /// Remove the provider for `key`, keeping the order of the others.
    pub fn remove(&mut self, key: Key) -> Option<Shared<P>> {
        let removed = self.providers.shift_remove(&key)?;
        if removed.lifetime.is_scoped() {
            self.scoped = self.scoped.saturating_sub(1);
        }
        self.refresh_edges(key);
        for exposure in &removed.exposes {
            self.leave(exposure.key, key);
            self.refresh_edges(exposure.key);
        }
        self.generation += 1;
        Some(removed)
    }

    /// Put back a provider that a temporary replacement (a test override)
    /// took the place of, without the registration checks: it passed them
    /// when it was registered, and the replacement's block is over whatever
    /// was registered meanwhile. Returns the replacement.
    pub fn restore(&mut self, provider: impl Into<Shared<P>>) -> Option<Shared<P>> {
        self.insert(provider.into())
    }

    /// Add providers copied from a registry that already checked them (a
    /// container taking in the decorated providers), all or none. Only
    /// cycles are checked, since this registry's own providers may close
    /// one with them. Captive dependencies are left to `plan`: a copy can
    /// bring a singleton together with a dependency that was pending when
    /// the singleton was checked, and refusing the copy would refuse every
    /// later one too, failing every resolve of the container.
    pub fn adopt_all<Q: Into<Shared<P>>>(&mut self, providers: Vec<Q>) -> Result<(), DomainError> {
        let providers = shared(providers);
        let focus = providers.first().map(|p| p.key);
        let mut scratch = self.graph.clone();
        for provider in &providers {
            self.stage(&mut scratch, provider);
        }
        // One sort of the whole graph rather than a search per provider (a
        // container's first resolve adopts every decorated provider at once);
        // only when it finds a cycle, look for one through the batch. Cycles
        // the registry already had (left by an unchecked restore) are not
        // this batch's to refuse.
        if scratch.any_cycle().is_some() {
            if let Some(cycle) = providers.iter().find_map(|p| scratch.cycle_from(p.key)) {
                return Err(DomainError::Cycle {
                    cycle: rotate_to(cycle, focus),
                });
            }
        }
        for provider in providers {
            self.insert(provider);
        }
        Ok(())
    }

    /// For a singleton or a scoped provider, the chain to the first
    /// provider of a deeper level it would hold on to (through any number
    /// of transients), looking up providers in `batch` first and then in
    /// the registry.
    fn captive_chain(
        &self,
        start: &Provider<P>,
        batch: &[&Provider<P>],
        levels: &Levels,
    ) -> Option<DomainError> {
        levels.rank(start.lifetime)?;
        let staged_scoped = batch.iter().any(|p| p.lifetime.is_scoped());
        if self.scoped == 0 && !staged_scoped {
            return None;
        }
        let lookup = |key: Key| -> Option<(Lifetime, Vec<Key>)> {
            let provider = if key == start.key {
                Some(start)
            } else {
                batch.iter().rev().find(|p| p.key == key).copied()
            };
            match provider {
                Some(p) => Some((p.lifetime, p.deps.iter().map(|d| d.key).collect())),
                None if self.providers.contains_key(&key) => self
                    .view(key)
                    .map(|v| (v.lifetime, v.deps.iter().map(|d| d.key).collect())),
                // An interface or collection, with the members the batch
                // leaves it: a provider the batch replaces may have left it.
                None => {
                    let staged: Vec<&Provider<P>> = batch.iter().copied().chain([start]).collect();
                    let exposes = |p: &Provider<P>| p.exposes.iter().any(|e| e.key == key);
                    let mut members: Vec<Key> = self
                        .members_of(key)
                        .iter()
                        .copied()
                        .filter(|m| {
                            staged
                                .iter()
                                .rev()
                                .find(|p| p.key == *m)
                                .is_none_or(|p| exposes(p))
                        })
                        .collect();
                    for p in &staged {
                        if exposes(p) && !members.contains(&p.key) {
                            members.push(p.key);
                        }
                    }
                    (!members.is_empty()).then_some((Lifetime::Transient, members))
                }
            }
        };
        // Depth-first with an explicit stack of (key, its dependencies, next).
        let mut stack: Vec<(Key, Vec<Key>, usize)> = vec![(start.key, lookup(start.key)?.1, 0)];
        let mut seen = KeySet::default();
        seen.insert(start.key);
        while let Some((_, deps, cursor)) = stack.last_mut() {
            let Some(dep) = deps.get(*cursor).copied() else {
                stack.pop();
                continue;
            };
            *cursor += 1;
            let Some((lifetime, next_deps)) = lookup(dep) else {
                continue;
            };
            if levels.captive(start.lifetime, lifetime) {
                let mut chain: Vec<Key> = stack.iter().map(|(k, _, _)| *k).collect();
                chain.push(dep);
                return Some(DomainError::Captive {
                    chain,
                    holder: levels.canonical_lifetime(start.lifetime),
                    held: levels.canonical_lifetime(lifetime),
                });
            }
            // Holders are walked through too: a singleton registered while
            // its scoped dependency was missing holds it once that is
            // registered.
            if seen.insert(dep) {
                stack.push((dep, next_deps, 0));
            }
        }
        None
    }

    /// Compile the plan that builds `root`: every provider it needs, once,
    /// dependencies first. Missing providers, ambiguous interfaces, pending
    /// forward references and captive scoped instances are reported with the
    /// chain that needs them.
    pub fn plan(&self, root: Key) -> Result<Plan, DomainError> {
        self.plan_in(root, &Levels::default())
    }

    /// `plan` for a container with scope levels `levels`: a scoped node
    /// carries its level's depth, and a level `levels` lacks is refused.
    pub fn plan_in(&self, root: Key, levels: &Levels) -> Result<Plan, DomainError> {
        let mut nodes: Vec<PlanNode> = Vec::new();
        let mut index_of: KeyMap<usize> = KeyMap::default();
        let mut stack: Vec<(Key, usize)> = Vec::new();
        self.enter(root, None, &stack, &index_of, levels)?;
        stack.push((root, 0));
        while let Some((key, cursor)) = stack.last().copied() {
            let view = self.view(key).ok_or_else(|| DomainError::NotRegistered {
                chain: chain_of(&stack),
                missing: key,
                param: None,
            })?;
            if let Some(dep) = view.deps.get(cursor) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                if index_of.contains_key(&dep.key) {
                    continue;
                }
                if let Some(how) = dep.deferred {
                    // Not built with the dependant: only a Lazy's provider must exist.
                    if how == Deferral::Lazy
                        && !self.available(dep.key)
                        && dep.fallback == Fallback::Required
                    {
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
                if !self.available(dep.key) {
                    if dep.fallback == Fallback::Required {
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
                self.enter(dep.key, Some(&dep.param), &stack, &index_of, levels)?;
                stack.push((dep.key, 0));
                continue;
            }
            stack.pop();
            let args = view
                .deps
                .iter()
                .map(|dep| PlanArg {
                    param: dep.param.clone(),
                    source: match (dep.deferred, index_of.get(&dep.key), dep.fallback) {
                        (Some(Deferral::Factory), _, _) => {
                            ArgSource::Deferred(dep.key, Deferral::Factory)
                        }
                        (Some(Deferral::Lazy), _, _) if self.available(dep.key) => {
                            ArgSource::Deferred(dep.key, Deferral::Lazy)
                        }
                        (None, Some(&index), _) => ArgSource::Node(index),
                        (_, _, Fallback::UseNone) => ArgSource::None,
                        (_, _, Fallback::EmptyList) => ArgSource::EmptyList,
                        (_, _, _) => ArgSource::Default,
                    },
                })
                .collect();
            index_of.insert(key, nodes.len());
            // `enter` refused levels `levels` lacks.
            let (lifetime, depth) = match view.lifetime {
                Lifetime::Scoped(level) => (
                    Lifetime::Scoped(levels.canonical(level).unwrap_or(level)),
                    levels.depth(level).unwrap_or(0),
                ),
                other => (other, 0),
            };
            nodes.push(PlanNode {
                key,
                lifetime,
                depth,
                role: view.role,
                asynchronous: view.asynchronous,
                args,
            });
        }
        let plan = Plan::new(nodes);
        check_captive(&plan, levels)?;
        Ok(plan)
    }

    /// Checks made as `key` joins the plan's depth-first walk.
    fn enter(
        &self,
        key: Key,
        param: Option<&String>,
        stack: &[(Key, usize)],
        index_of: &KeyMap<usize>,
        levels: &Levels,
    ) -> Result<(), DomainError> {
        let mut chain = chain_of(stack);
        chain.push(key);
        let Some(view) = self.view(key) else {
            return Err(DomainError::NotRegistered {
                chain,
                missing: key,
                param: param.cloned(),
            });
        };
        if let Some(unresolved) = view.pending {
            return Err(DomainError::Pending {
                chain,
                unresolved: unresolved.to_owned(),
            });
        }
        if let Some(candidates) = view.ambiguous {
            return Err(DomainError::Ambiguous { chain, candidates });
        }
        if let Lifetime::Scoped(level) = view.lifetime {
            if levels.depth(level).is_none() {
                return Err(DomainError::UnknownLevel { chain, level });
            }
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

    /// Every problem that resolving any registered provider would run into,
    /// without building anything: missing providers, ambiguous interfaces,
    /// unresolved forward references and captive dependencies. Each problem
    /// is reported once, with the first chain that reaches it; providers
    /// nothing depends on (the application's entry points) are walked
    /// first, so that chain starts where the application would start.
    ///
    /// Unlike `plan`, which stops at the first problem, the walk goes on
    /// past each one, so one missing sibling does not hide another. An
    /// interface is checked only where something depends on it: one with
    /// several implementations that is injected only as `list[...]` is a
    /// plugin point, not a problem.
    pub fn validate(&self) -> Vec<DomainError> {
        self.validate_in(&Levels::default())
    }

    /// `validate` for a container with scope levels `levels`: providers of
    /// a level it lacks, and holders of instances of deeper levels, are
    /// problems too.
    pub fn validate_in(&self, levels: &Levels) -> Vec<DomainError> {
        let (roots, inner): (Vec<Key>, Vec<Key>) = self
            .providers
            .keys()
            .filter(|k| self.available(**k))
            .partition(|k| self.graph.dependants(**k).next().is_none());
        let mut found: Vec<DomainError> = Vec::new();
        let mut explored: HashSet<(Key, Option<usize>)> = HashSet::new();
        for key in roots.iter().chain(&inner) {
            self.walk(*key, &mut explored, &mut found, levels);
        }
        let mut seen: HashSet<(u8, Key, Key)> = HashSet::new();
        found.retain(|problem| seen.insert(identity(problem)));
        found
    }

    /// Depth first from `root`, iteratively (user chains can be deep),
    /// reporting every problem below it. `explored` holds the keys already
    /// walked, with the rank of the holder above them then (see
    /// `Levels::rank`): below a holder a deeper level is a problem, so a
    /// key is walked once under each.
    fn walk(
        &self,
        root: Key,
        explored: &mut HashSet<(Key, Option<usize>)>,
        found: &mut Vec<DomainError>,
        levels: &Levels,
    ) {
        let mut stack: Vec<WalkFrame<'_>> = Vec::new();
        self.step_into(root, false, &mut stack, explored, found, levels);
        while let Some(top) = stack.last_mut() {
            let Some(dep) = top.deps.get(top.cursor) else {
                stack.pop();
                continue;
            };
            top.cursor += 1;
            let (key, fallback, param) = (dep.key, dep.fallback, dep.param.clone());
            let deferred = dep.deferred.is_some();
            if dep.deferred == Some(Deferral::Factory) {
                // What a factory needs depends on the arguments of each call.
                continue;
            }
            if self.available(key) {
                self.step_into(key, deferred, &mut stack, explored, found, levels);
            } else if fallback == Fallback::Required {
                let mut chain: Vec<Key> = stack.iter().map(|f| f.key).collect();
                chain.push(key);
                found.push(DomainError::NotRegistered {
                    chain,
                    missing: key,
                    param: Some(param),
                });
            }
        }
    }

    /// Report what is wrong with `key` itself, reached through `stack`, and
    /// push it to be walked further unless that would repeat work.
    /// A key reached through a `deferred` edge starts a resolve of its own
    /// (later, from the same owner): what is above it cannot make a cycle
    /// with what is below it.
    fn step_into<'a>(
        &'a self,
        key: Key,
        deferred: bool,
        stack: &mut Vec<WalkFrame<'a>>,
        explored: &mut HashSet<(Key, Option<usize>)>,
        found: &mut Vec<DomainError>,
        levels: &Levels,
    ) {
        let Some(view) = self.view(key) else { return };
        let mut chain: Vec<Key> = stack.iter().map(|f| f.key).collect();
        chain.push(key);
        let since = stack.iter().rposition(|f| f.deferred).unwrap_or(0);
        let on_stack = stack
            .iter()
            .skip(since)
            .position(|f| f.key == key)
            .map(|i| i + since);
        if let (Some(start), false) = (on_stack, deferred) {
            found.push(DomainError::Cycle {
                cycle: chain.split_off(start),
            });
            return;
        }
        if on_stack.is_some() {
            // A deferred edge back to a provider being walked: nothing new below.
            return;
        }
        if let Some(unresolved) = view.pending {
            found.push(DomainError::Pending {
                chain,
                unresolved: unresolved.to_owned(),
            });
            return;
        }
        if let Some(candidates) = view.ambiguous {
            found.push(DomainError::Ambiguous { chain, candidates });
            return;
        }
        if let Lifetime::Scoped(level) = view.lifetime {
            if levels.depth(level).is_none() {
                found.push(DomainError::UnknownLevel { chain, level });
                return;
            }
        }
        // The nearest provider above that keeps its instance: a singleton
        // holding a scoped one is a captive, and so is a scoped one holding
        // one of a deeper level; one of its own level or an outer one is
        // fine.
        let holder = stack
            .iter()
            .rposition(|f| f.lifetime != Lifetime::Transient);
        let held = holder.and_then(|i| stack.get(i)).map(|f| f.lifetime);
        if let (Some(start), Some(holder)) = (holder, held) {
            if levels.captive(holder, view.lifetime) {
                found.push(DomainError::Captive {
                    chain: chain.split_off(start),
                    holder: levels.canonical_lifetime(holder),
                    held: levels.canonical_lifetime(view.lifetime),
                });
            }
        }
        if !explored.insert((key, held.and_then(|h| levels.rank(h)))) {
            return;
        }
        stack.push(WalkFrame {
            key,
            lifetime: view.lifetime,
            deps: view.deps,
            cursor: 0,
            deferred,
        });
    }
}

/// One provider on the validation walk's stack.
struct WalkFrame<'a> {
    key: Key,
    lifetime: Lifetime,
    deps: std::borrow::Cow<'a, [Dependency]>,
    cursor: usize,
    /// Reached through a deferred edge.
    deferred: bool,
}

/// What makes two reports the same problem: its kind and the keys at fault
/// (for a missing provider: the missing type and the provider that needs it).
fn identity(problem: &DomainError) -> (u8, Key, Key) {
    let last_two = |chain: &[Key]| {
        let last = chain.last().copied().unwrap_or(Key(0));
        let before = chain
            .len()
            .checked_sub(2)
            .and_then(|i| chain.get(i))
            .copied()
            .unwrap_or(last);
        (before, last)
    };
    match problem {
        DomainError::NotRegistered { chain, missing, .. } => (0, last_two(chain).0, *missing),
        DomainError::Pending { chain, .. } => (1, last_two(chain).1, Key(0)),
        DomainError::Ambiguous { chain, .. } => (2, last_two(chain).1, Key(0)),
        DomainError::Captive { chain, .. } => (
            3,
            chain.first().copied().unwrap_or(Key(0)),
            last_two(chain).1,
        ),
        DomainError::Cycle { cycle } => (4, cycle.first().copied().unwrap_or(Key(0)), Key(0)),
        DomainError::AsyncInSync { chain } => (5, last_two(chain).1, Key(0)),
        DomainError::NeedsScope { chain, .. } => (6, last_two(chain).1, Key(0)),
        DomainError::Duplicate { key } => (7, *key, Key(0)),
        DomainError::UnknownLevel { chain, .. } => (8, last_two(chain).1, Key(0)),
    }
}

/// Rotate a cycle (`a -> b -> c -> a`) so it starts at `focus` when `focus`
/// is on it.
/// Providers as the registry holds them (a `Provider` is moved into its
/// `Arc`, a shared one taken as it is).
fn shared<P, Q: Into<Shared<P>>>(providers: Vec<Q>) -> Vec<Shared<P>> {
    providers.into_iter().map(Into::into).collect()
}

fn rotate_to(cycle: Vec<Key>, focus: Option<Key>) -> Vec<Key> {
    let Some(start) = focus.and_then(|f| cycle.iter().position(|k| *k == f)) else {
        return cycle;
    };
    let ring = &cycle[..cycle.len().saturating_sub(1)];
    let mut rotated: Vec<Key> = ring
        .iter()
        .cycle()
        .skip(start)
        .take(ring.len())
        .copied()
        .collect();
    if let Some(first) = rotated.first().copied() {
        rotated.push(first);
    }
    rotated
}

/// The keys of the dependency graph's edges out of a provider: every
/// dependency but the deferred ones.
fn edges(deps: &[Dependency]) -> impl Iterator<Item = Key> + '_ {
    deps.iter().filter(|d| d.deferred.is_none()).map(|d| d.key)
}

fn chain_of(stack: &[(Key, usize)]) -> Vec<Key> {
    stack.iter().map(|(k, _)| *k).collect()
}

/// No holder in the plan (a singleton, or a scoped node) may reach a node
/// of a deeper level through transients; report the chain.
fn check_captive(plan: &Plan, levels: &Levels) -> Result<(), DomainError> {
    // For each transient node, the chain down to the deepest scoped node it
    // reaches through transients (the first such chain on a tie).
    let mut reach: Vec<Option<(Vec<Key>, Lifetime)>> = Vec::with_capacity(plan.nodes.len());
    for node in &plan.nodes {
        let mut deepest: Option<(Vec<Key>, Lifetime)> = None;
        for arg in &node.args {
            let ArgSource::Node(i) = arg.source else {
                continue;
            };
            let Some(child) = plan.nodes.get(i) else {
                continue;
            };
            let found = match child.lifetime {
                Lifetime::Transient => reach.get(i).cloned().flatten(),
                Lifetime::Scoped(_) => Some((vec![child.key], child.lifetime)),
                Lifetime::Singleton => None,
            };
            if let Some((tail, held)) = found {
                if deepest
                    .as_ref()
                    .is_none_or(|(_, best)| levels.rank(held) > levels.rank(*best))
                {
                    deepest = Some((tail, held));
                }
            }
        }
        if node.lifetime == Lifetime::Transient {
            reach.push(deepest.map(|(tail, held)| {
                let mut chain = vec![node.key];
                chain.extend(tail);
                (chain, held)
            }));
            continue;
        }
        if let Some((tail, held)) = deepest {
            if levels.captive(node.lifetime, held) {
                let mut chain = vec![node.key];
                chain.extend(tail);
                return Err(DomainError::Captive {
                    chain,
                    holder: node.lifetime,
                    held,
                });
            }
        }
        reach.push(None);
    }
    Ok(())
}
