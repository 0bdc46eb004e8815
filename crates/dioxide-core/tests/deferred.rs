//! Deferred dependencies (`Lazy[T]`, `Factory[T]`): handles, never a cycle edge.

use dioxide_core::{
    ArgSource, Deferral, Dependency, DomainError, Fallback, Key, Level, Lifetime, Provider,
    Registry,
};

const NODE: Key = Key(1);
const A: Key = Key(2);
const B: Key = Key(3);
const MISSING: Key = Key(4);
const REQUEST: Key = Key(5);

fn with_deps(key: Key, lifetime: Lifetime, deps: Vec<Dependency>) -> Provider<&'static str> {
    Provider::new(key, lifetime, deps, "payload")
}

fn lazy(param: &str, key: Key) -> Dependency {
    Dependency::deferred(param, key, Fallback::Required, Deferral::Lazy)
}

#[test]
fn a_deferred_self_reference_is_not_a_cycle() {
    let mut r = Registry::new();
    r.register(with_deps(
        NODE,
        Lifetime::Transient,
        vec![lazy("parent", NODE)],
    ))
    .unwrap();
    let plan = r.plan(NODE).unwrap();
    assert_eq!(plan.nodes.len(), 1);
    assert_eq!(
        plan.nodes[0].args[0].source,
        ArgSource::Deferred(NODE, Deferral::Lazy)
    );
    assert!(r.validate().is_empty());
}

#[test]
fn mutual_deferred_references_register_and_validate() {
    let mut r = Registry::new();
    r.register(with_deps(A, Lifetime::Singleton, vec![lazy("b", B)]))
        .unwrap();
    r.register(with_deps(
        B,
        Lifetime::Singleton,
        vec![Dependency::required("a", A)],
    ))
    .unwrap();
    assert_eq!(r.plan(B).unwrap().nodes.len(), 2);
    assert!(r.validate().is_empty());
}

#[test]
fn a_plain_edge_back_still_closes_a_cycle() {
    let mut r = Registry::new();
    r.register(with_deps(
        A,
        Lifetime::Transient,
        vec![lazy("b", B), Dependency::required("x", B)],
    ))
    .unwrap();
    let refused = r.register(with_deps(
        B,
        Lifetime::Transient,
        vec![Dependency::required("a", A)],
    ));
    assert!(matches!(refused, Err(DomainError::Cycle { .. })));
}

#[test]
fn a_deferred_dependency_must_still_be_registered() {
    let mut r = Registry::new();
    r.register(with_deps(
        A,
        Lifetime::Transient,
        vec![lazy("later", MISSING)],
    ))
    .unwrap();
    match r.plan(A) {
        Err(DomainError::NotRegistered {
            chain,
            missing,
            param,
        }) => {
            assert_eq!(chain, vec![A, MISSING]);
            assert_eq!(missing, MISSING);
            assert_eq!(param.as_deref(), Some("later"));
        }
        other => panic!("expected NotRegistered, got {other:?}"),
    }
    let problems = r.validate();
    assert!(matches!(
        problems.as_slice(),
        [DomainError::NotRegistered {
            missing: MISSING,
            ..
        }]
    ));
}

#[test]
fn a_singleton_deferring_to_a_scoped_provider_is_captive() {
    let mut r = Registry::new();
    r.register(with_deps(REQUEST, Lifetime::Scoped(Level::FIRST), vec![]))
        .unwrap();
    let refused = r.register(with_deps(
        A,
        Lifetime::Singleton,
        vec![lazy("request", REQUEST)],
    ));
    assert!(
        matches!(refused, Err(DomainError::Captive { chain, .. }) if chain == vec![A, REQUEST])
    );
}

#[test]
fn a_factory_target_need_not_be_registered_and_is_no_edge() {
    let mut r = Registry::new();
    let factory = Dependency::deferred("make", A, Fallback::Required, Deferral::Factory);
    r.register(with_deps(B, Lifetime::Singleton, vec![factory]))
        .unwrap();
    let plan = r.plan(B).unwrap();
    assert_eq!(plan.nodes.len(), 1);
    assert_eq!(
        plan.nodes[0].args[0].source,
        ArgSource::Deferred(A, Deferral::Factory)
    );
    assert!(r.validate().is_empty());
    // A factory of its own holder is no cycle either.
    r.register(with_deps(
        A,
        Lifetime::Transient,
        vec![Dependency::deferred(
            "again",
            A,
            Fallback::Required,
            Deferral::Factory,
        )],
    ))
    .unwrap();
}
