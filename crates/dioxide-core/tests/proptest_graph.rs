//! Property tests of the registry over random graphs.
//!
//! Random sequences of registrations (single, batched, copied with
//! `adopt_all`), removals and pending providers, over a small key space so
//! that cycles, interfaces, collections and captive dependencies are common.
//! After every step:
//!
//! - a refused change leaves the registry identical (`Debug` output and
//!   generation), and the error is a real cycle (first key == last, along
//!   edges of the graph as staged) or a real captive chain;
//! - the registry holds exactly the providers accepted so far, in order;
//! - the graph stays acyclic: every key plans, or fails with an error that
//!   is not a cycle;
//! - a plan lists dependencies before dependants, each key once, the
//!   requested one last, with arguments that match the provider.
//!
//! `PROPTEST_CASES` sets the number of cases (256 by default, `make fuzz`
//! runs many more). The seed is fixed so that `cargo test` is deterministic;
//! `PROPTEST_RNG_SEED` picks another (`make fuzz` uses a random one).

use std::collections::HashSet;

use dioxide_core::{
    ArgSource, Dependency, DomainError, Exposure, Fallback, Key, Lifetime, Plan, Provider,
    Registry, Role,
};
use proptest::prelude::*;
use proptest::test_runner::{RngSeed, TestCaseError};

/// Concrete types are keys 0..TYPES; interface `i` is `INTERFACE + i` and
/// the collection of its implementations `COLLECTION + i`, as the binding
/// layer exposes them.
const TYPES: u64 = 14;
const INTERFACES: u64 = 3;
const INTERFACE: u64 = 100;
const COLLECTION: u64 = 200;

#[derive(Clone, Debug)]
struct Spec {
    key: u64,
    lifetime: Lifetime,
    deps: Vec<(u64, Fallback)>,
    pending: bool,
    /// Interfaces (0..INTERFACES) the provider implements.
    implements: Vec<u64>,
}

impl Spec {
    fn provider(&self, id: u32) -> Provider<u32> {
        let exposes = self
            .implements
            .iter()
            .flat_map(|i| {
                [
                    Exposure::alias(Key(INTERFACE + i)),
                    Exposure::collection(Key(COLLECTION + i)),
                ]
            })
            .collect();
        let provider = if self.pending {
            Provider::pending(Key(self.key), self.lifetime, "Later", id)
        } else {
            let deps = self
                .deps
                .iter()
                .enumerate()
                .map(|(n, (key, fallback))| Dependency::new(format!("p{n}"), Key(*key), *fallback))
                .collect();
            Provider::new(Key(self.key), self.lifetime, deps, id)
        };
        provider.with_exposures(exposes)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Register(Spec),
    RegisterAll(Vec<Spec>),
    Adopt(Vec<Spec>),
    Remove(u64),
    /// Put a provider back without checks (what ending a test override does).
    Restore(Spec),
}

fn lifetime() -> impl Strategy<Value = Lifetime> {
    prop_oneof![
        Just(Lifetime::Transient),
        Just(Lifetime::Singleton),
        Just(Lifetime::SCOPED)
    ]
}

fn fallback() -> impl Strategy<Value = Fallback> {
    prop_oneof![
        6 => Just(Fallback::Required),
        1 => Just(Fallback::UseDefault),
        1 => Just(Fallback::UseNone),
        1 => Just(Fallback::EmptyList),
    ]
}

fn dependency_key() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => 0..TYPES,
        1 => (0..INTERFACES).prop_map(|i| INTERFACE + i),
        1 => (0..INTERFACES).prop_map(|i| COLLECTION + i),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0..TYPES,
        lifetime(),
        prop::collection::vec((dependency_key(), fallback()), 0..4),
        prop::bool::weighted(0.1),
        prop::collection::btree_set(0..INTERFACES, 0..2),
    )
        .prop_map(|(key, lifetime, deps, pending, implements)| Spec {
            key,
            lifetime,
            deps,
            pending,
            implements: implements.into_iter().collect(),
        })
}

/// Up to four specs with distinct keys.
fn batch() -> impl Strategy<Value = Vec<Spec>> {
    prop::collection::vec(spec(), 1..5).prop_map(|specs| {
        let mut seen = HashSet::new();
        specs.into_iter().filter(|s| seen.insert(s.key)).collect()
    })
}

fn op(with_restore: bool) -> BoxedStrategy<Op> {
    let checked = prop_oneof![
        6 => spec().prop_map(Op::Register),
        2 => batch().prop_map(Op::RegisterAll),
        2 => batch().prop_map(Op::Adopt),
        1 => (0..TYPES).prop_map(Op::Remove),
    ];
    if with_restore {
        prop_oneof![8 => checked, 1 => spec().prop_map(Op::Restore)].boxed()
    } else {
        checked.boxed()
    }
}

/// Every key a plan may be asked for.
fn all_keys() -> impl Iterator<Item = Key> {
    (0..TYPES)
        .chain((0..INTERFACES).map(|i| INTERFACE + i))
        .chain((0..INTERFACES).map(|i| COLLECTION + i))
        .map(Key)
}

/// `a -> b` as the registry's public view shows it: `a`'s provider needs
/// `b`, or `a` is an interface or collection (with no provider of its own)
/// that `b` implements.
fn has_edge(r: &Registry<u32>, a: Key, b: Key) -> bool {
    match r.get(a) {
        Some(p) => p.deps.iter().any(|d| d.key == b),
        None => r.members_of(a).contains(&b),
    }
}

fn is_path(r: &Registry<u32>, keys: &[Key]) -> bool {
    keys.windows(2)
        .all(|w| matches!(w, [a, b] if has_edge(r, *a, *b)))
}

/// The states a batch goes through while it is staged, one provider at a
/// time: a refusal happens in one of them.
fn staged_states(before: &Registry<u32>, batch: &[Provider<u32>]) -> Vec<(Registry<u32>, Key)> {
    let mut staged = before.clone();
    batch
        .iter()
        .map(|p| {
            staged.restore(p.clone());
            (staged.clone(), p.key)
        })
        .collect()
}

/// A refusal names a real cycle through, or a captive chain from, a
/// provider of the batch, in the state the batch was staged to.
fn check_refusal(
    err: &DomainError,
    before: &Registry<u32>,
    batch: &[Provider<u32>],
) -> Result<(), TestCaseError> {
    let states = staged_states(before, batch);
    match err {
        DomainError::Cycle { cycle } => {
            prop_assert!(cycle.len() >= 2, "short cycle {:?}", cycle);
            prop_assert_eq!(
                cycle.first(),
                cycle.last(),
                "cycle does not close: {:?}",
                cycle
            );
            let real = states
                .iter()
                .any(|(r, key)| cycle.contains(key) && is_path(r, cycle));
            prop_assert!(real, "{:?} is not a cycle of the staged graph", cycle);
        }
        DomainError::Captive { chain, .. } => {
            let real = states.iter().any(|(r, key)| {
                chain.first() == Some(key)
                    && r.get(*key)
                        .is_some_and(|p| p.lifetime == Lifetime::Singleton)
                    && chain
                        .last()
                        .and_then(|k| r.get(*k))
                        .is_some_and(|p| p.lifetime == Lifetime::SCOPED)
                    && is_path(r, chain)
            });
            prop_assert!(
                real,
                "{:?} is not a captive chain of the staged graph",
                chain
            );
        }
        other => prop_assert!(false, "registration refused with {:?}", other),
    }
    Ok(())
}

/// What the registry should hold: `(key, lifetime, dependency keys, pending)`
/// in registration order (a replacement keeps its place).
type Expected = Vec<(Key, Lifetime, Vec<Key>, bool)>;

fn summary(p: &Provider<u32>) -> (Key, Lifetime, Vec<Key>, bool) {
    (
        p.key,
        p.lifetime,
        p.deps.iter().map(|d| d.key).collect(),
        p.pending.is_some(),
    )
}

fn accept(expected: &mut Expected, batch: &[Provider<u32>]) {
    for p in batch {
        let row = summary(p);
        match expected.iter_mut().find(|r| r.0 == p.key) {
            Some(slot) => *slot = row,
            None => expected.push(row),
        }
    }
}

/// Apply one step; a refused one must leave the registry as it was.
fn apply(
    r: &mut Registry<u32>,
    expected: &mut Expected,
    op: &Op,
    id: u32,
) -> Result<(), TestCaseError> {
    let before = r.clone();
    let shown = format!("{r:?}");
    let generation = r.generation();
    let (batch, result): (Vec<Provider<u32>>, Result<(), DomainError>) = match op {
        Op::Register(spec) => {
            let p = spec.provider(id);
            (vec![p.clone()], r.register(p).map(|_| ()))
        }
        Op::RegisterAll(specs) => {
            let batch: Vec<_> = specs.iter().map(|s| s.provider(id)).collect();
            (batch.clone(), r.register_all(batch))
        }
        Op::Adopt(specs) => {
            let batch: Vec<_> = specs.iter().map(|s| s.provider(id)).collect();
            (batch.clone(), r.adopt_all(batch))
        }
        Op::Remove(key) => {
            let removed = r.remove(Key(*key));
            prop_assert_eq!(
                removed.is_some(),
                expected.iter().any(|row| row.0 == Key(*key))
            );
            expected.retain(|row| row.0 != Key(*key));
            return Ok(());
        }
        Op::Restore(spec) => {
            let p = spec.provider(id);
            r.restore(p.clone());
            accept(expected, &[p]);
            return Ok(());
        }
    };
    match result {
        Ok(()) => accept(expected, &batch),
        Err(err) => {
            prop_assert_eq!(
                format!("{r:?}"),
                shown,
                "a refused registration changed the registry"
            );
            prop_assert_eq!(r.generation(), generation);
            check_refusal(&err, &before, &batch)?;
        }
    }
    Ok(())
}

/// Dependencies before dependants, each key once, the root last, arguments
/// as the provider declares them.
fn check_plan(r: &Registry<u32>, root: Key, plan: &Plan) -> Result<(), TestCaseError> {
    prop_assert_eq!(plan.root().map(|n| n.key), Some(root));
    let mut seen = HashSet::new();
    for (index, node) in plan.nodes.iter().enumerate() {
        prop_assert!(seen.insert(node.key), "{:?} twice in the plan", node.key);
        prop_assert!(r.contains(node.key));
        for arg in &node.args {
            if let ArgSource::Node(i) = arg.source {
                prop_assert!(i < index, "node {} needs the later node {}", index, i);
            }
        }
        if node.role != Role::Build {
            continue;
        }
        let provider = r
            .get(node.key)
            .ok_or_else(|| TestCaseError::fail("plan builds an unknown key"))?;
        prop_assert_eq!(node.lifetime, provider.lifetime);
        prop_assert_eq!(node.args.len(), provider.deps.len());
        for (arg, dep) in node.args.iter().zip(&provider.deps) {
            prop_assert_eq!(&arg.param, &dep.param);
            match arg.source {
                ArgSource::Node(i) => {
                    prop_assert_eq!(plan.nodes.get(i).map(|n| n.key), Some(dep.key))
                }
                other => {
                    prop_assert!(
                        !r.contains(dep.key),
                        "{:?} is registered but not built",
                        dep.key
                    );
                    let wanted = match dep.fallback {
                        Fallback::UseNone => ArgSource::None,
                        Fallback::EmptyList => ArgSource::EmptyList,
                        Fallback::UseDefault | Fallback::Required => ArgSource::Default,
                    };
                    prop_assert_eq!(other, wanted);
                    prop_assert!(
                        dep.fallback != Fallback::Required,
                        "a required dependency was left out"
                    );
                }
            }
        }
    }
    Ok(())
}

fn check_registry(
    r: &Registry<u32>,
    expected: &Expected,
    acyclic: bool,
) -> Result<(), TestCaseError> {
    let actual: Expected = r.iter().map(summary).collect();
    prop_assert_eq!(&actual, expected);
    prop_assert_eq!(r.len(), expected.len());
    for key in all_keys() {
        match r.plan(key) {
            Ok(plan) => check_plan(r, key, &plan)?,
            Err(DomainError::Cycle { cycle }) => {
                // Only a provider put back without checks can close one,
                // and then the plan must still name a real cycle.
                prop_assert!(!acyclic, "the graph has a cycle: {:?}", cycle);
                prop_assert_eq!(cycle.first(), cycle.last());
                prop_assert!(is_path(r, &cycle), "{:?} is not a cycle", cycle);
            }
            Err(_) => {}
        }
    }
    if acyclic {
        let cycles: Vec<_> = r
            .validate()
            .into_iter()
            .filter(|e| matches!(e, DomainError::Cycle { .. }))
            .collect();
        prop_assert!(cycles.is_empty(), "validate found {:?}", cycles);
    }
    Ok(())
}

fn run(ops: &[Op], acyclic: bool) -> Result<(), TestCaseError> {
    let mut r: Registry<u32> = Registry::new();
    let mut expected = Expected::new();
    for (id, op) in (0u32..).zip(ops) {
        apply(&mut r, &mut expected, op, id)?;
        check_registry(&r, &expected, acyclic)?;
    }
    Ok(())
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(0xD10_C1DE);
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn registry_invariants_hold_for_checked_changes(ops in prop::collection::vec(op(false), 1..40)) {
        run(&ops, true)?;
    }

    #[test]
    fn plans_stay_sound_when_unchecked_restores_close_cycles(ops in prop::collection::vec(op(true), 1..40)) {
        run(&ops, false)?;
    }
}
