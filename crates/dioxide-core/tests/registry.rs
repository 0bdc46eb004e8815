//! The registry's rules, exercised without Python.

use dioxide_core::{
    ArgSource, Dependency, DomainError, Fallback, Key, Level, Levels, Lifetime, Provider, Registry,
};

const CONFIG: Key = Key(1);
const DATABASE: Key = Key(2);
const REPOSITORY: Key = Key(3);
const SERVICE: Key = Key(4);
const REQUEST: Key = Key(5);

fn provider(key: Key, lifetime: Lifetime, deps: &[Key]) -> Provider<&'static str> {
    let deps = deps
        .iter()
        .enumerate()
        .map(|(i, k)| Dependency::required(format!("p{i}"), *k))
        .collect();
    Provider::new(key, lifetime, deps, "payload")
}

fn transient(key: Key, deps: &[Key]) -> Provider<&'static str> {
    provider(key, Lifetime::Transient, deps)
}

fn keys_of(registry: &Registry<&'static str>) -> Vec<Key> {
    registry.iter().map(|p| p.key).collect()
}

#[test]
fn plan_lists_dependencies_before_dependants() {
    let mut r = Registry::new();
    r.register(provider(CONFIG, Lifetime::Singleton, &[]))
        .unwrap();
    r.register(transient(DATABASE, &[CONFIG])).unwrap();
    r.register(transient(SERVICE, &[DATABASE, CONFIG])).unwrap();
    let plan = r.plan(SERVICE).unwrap();
    let order: Vec<Key> = plan.nodes.iter().map(|n| n.key).collect();
    assert_eq!(order, vec![CONFIG, DATABASE, SERVICE]);
    let root = plan.root().unwrap();
    assert_eq!(root.args[0].source, ArgSource::Node(1));
    assert_eq!(root.args[1].source, ArgSource::Node(0));
}

#[test]
fn diamond_appears_once_in_the_plan() {
    let mut r = Registry::new();
    r.register(provider(CONFIG, Lifetime::Singleton, &[]))
        .unwrap();
    r.register(transient(DATABASE, &[CONFIG])).unwrap();
    r.register(transient(REPOSITORY, &[CONFIG])).unwrap();
    r.register(transient(SERVICE, &[DATABASE, REPOSITORY]))
        .unwrap();
    let plan = r.plan(SERVICE).unwrap();
    assert_eq!(plan.nodes.len(), 4);
    assert_eq!(plan.chain_to(0), vec![SERVICE, DATABASE, CONFIG]);
}

#[test]
fn missing_dependency_reports_chain_and_parameter() {
    let mut r = Registry::new();
    r.register(transient(DATABASE, &[CONFIG])).unwrap();
    r.register(transient(SERVICE, &[DATABASE])).unwrap();
    assert_eq!(
        r.plan(SERVICE),
        Err(DomainError::NotRegistered {
            chain: vec![SERVICE, DATABASE, CONFIG],
            missing: CONFIG,
            param: Some("p0".into()),
        })
    );
    assert_eq!(
        r.plan(REQUEST),
        Err(DomainError::NotRegistered {
            chain: vec![REQUEST],
            missing: REQUEST,
            param: None
        })
    );
}

#[test]
fn missing_dependency_with_fallback_uses_default_or_none() {
    let mut r = Registry::new();
    let deps = vec![
        Dependency::new("cfg", CONFIG, Fallback::UseDefault),
        Dependency::new("db", DATABASE, Fallback::UseNone),
    ];
    r.register(Provider::new(SERVICE, Lifetime::Transient, deps, "svc"))
        .unwrap();
    let plan = r.plan(SERVICE).unwrap();
    let sources: Vec<ArgSource> = plan.nodes[0].args.iter().map(|a| a.source).collect();
    assert_eq!(sources, vec![ArgSource::Default, ArgSource::None]);
}

#[test]
fn cycles_are_refused_and_leave_the_registry_unchanged() {
    for length in [1_u64, 2, 4] {
        let mut r = Registry::new();
        // k1 -> k2 -> ... -> k_length, then k_length -> k1 closes it.
        for n in 1..length {
            r.register(transient(Key(n), &[Key(n + 1)])).unwrap();
        }
        let before = keys_of(&r);
        let generation = r.generation();
        let err = r.register(transient(Key(length), &[Key(1)])).unwrap_err();
        let mut expected: Vec<Key> = vec![Key(length)];
        expected.extend((1..=length).map(Key));
        assert_eq!(err, DomainError::Cycle { cycle: expected });
        assert_eq!(keys_of(&r), before);
        assert_eq!(r.generation(), generation);
        assert!(
            r.plan(Key(1)).is_err(),
            "the refused provider must not be registered"
        );
    }
}

#[test]
fn batch_registration_is_all_or_nothing() {
    let mut r = Registry::new();
    r.register(transient(CONFIG, &[])).unwrap();
    let err = r
        .register_all(vec![
            transient(DATABASE, &[SERVICE]),
            transient(SERVICE, &[DATABASE]),
        ])
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::Cycle {
            cycle: vec![DATABASE, SERVICE, DATABASE]
        }
    );
    assert_eq!(keys_of(&r), vec![CONFIG]);
    r.register_all(vec![
        transient(DATABASE, &[CONFIG]),
        transient(SERVICE, &[DATABASE]),
    ])
    .unwrap();
    assert_eq!(keys_of(&r), vec![CONFIG, DATABASE, SERVICE]);
}

#[test]
fn replacing_a_pending_provider_wires_and_checks_it() {
    let mut r = Registry::new();
    r.register(Provider::pending(
        SERVICE,
        Lifetime::Transient,
        "Database",
        "svc",
    ))
    .unwrap();
    assert_eq!(
        r.plan(SERVICE),
        Err(DomainError::Pending {
            chain: vec![SERVICE],
            unresolved: "Database".into()
        })
    );
    r.register(transient(DATABASE, &[SERVICE])).unwrap();
    let err = r.register(transient(SERVICE, &[DATABASE])).unwrap_err();
    assert_eq!(
        err,
        DomainError::Cycle {
            cycle: vec![SERVICE, DATABASE, SERVICE]
        }
    );
}

#[test]
fn singleton_capturing_a_scoped_provider_is_refused() {
    let mut r = Registry::new();
    r.register(provider(REQUEST, Lifetime::SCOPED, &[]))
        .unwrap();
    r.register(transient(REPOSITORY, &[REQUEST])).unwrap();
    let err = r
        .register(provider(SERVICE, Lifetime::Singleton, &[REPOSITORY]))
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::Captive {
            chain: vec![SERVICE, REPOSITORY, REQUEST],
            holder: Lifetime::Singleton,
            held: Lifetime::SCOPED,
        }
    );
    assert!(!r.contains(SERVICE));
}

#[test]
fn captive_dependency_registered_later_is_caught_by_the_plan() {
    let mut r = Registry::new();
    r.register(provider(SERVICE, Lifetime::Singleton, &[REQUEST]))
        .unwrap();
    r.register(provider(REQUEST, Lifetime::SCOPED, &[]))
        .unwrap();
    assert_eq!(
        r.plan(SERVICE),
        Err(DomainError::Captive {
            chain: vec![SERVICE, REQUEST],
            holder: Lifetime::Singleton,
            held: Lifetime::SCOPED,
        })
    );
}

#[test]
fn remove_keeps_registration_order() {
    let mut r = Registry::new();
    for key in [CONFIG, DATABASE, SERVICE] {
        r.register(transient(key, &[])).unwrap();
    }
    assert!(r.remove(DATABASE).is_some());
    assert_eq!(keys_of(&r), vec![CONFIG, SERVICE]);
    assert!(r.remove(DATABASE).is_none());
}

#[test]
fn dependants_are_the_registered_direct_users() {
    let mut r = Registry::new();
    r.register(transient(DATABASE, &[CONFIG])).unwrap();
    r.register(transient(REPOSITORY, &[CONFIG])).unwrap();
    let mut users = r.dependants(CONFIG);
    users.sort();
    assert_eq!(users, vec![DATABASE, REPOSITORY]);
}

#[test]
fn batch_cycle_is_reported_from_the_first_provider() {
    let mut r = Registry::new();
    // A waits for D (pending); registering D (-> A) together with the now
    // complete A, B, C closes D -> A -> B -> C -> D.
    r.register(Provider::pending(Key(1), Lifetime::Transient, "B", "a"))
        .unwrap();
    let err = r
        .register_all(vec![
            transient(Key(4), &[Key(1)]),
            transient(Key(1), &[Key(2)]),
            transient(Key(2), &[Key(3)]),
            transient(Key(3), &[Key(4)]),
        ])
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::Cycle {
            cycle: vec![Key(4), Key(1), Key(2), Key(3), Key(4)]
        }
    );
    assert_eq!(keys_of(&r), vec![Key(1)]);
}

const PORT: Key = Key(10);
const PLUGINS: Key = Key(11);

fn implementing(key: Key, exposes: Vec<dioxide_core::Exposure>) -> Provider<&'static str> {
    transient(key, &[]).with_exposures(exposes)
}

#[test]
fn interface_with_one_implementation_aliases_it() {
    use dioxide_core::{Exposure, Role};
    let mut r = Registry::new();
    r.register(implementing(DATABASE, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(transient(SERVICE, &[PORT])).unwrap();
    let plan = r.plan(SERVICE).unwrap();
    let roles: Vec<(Key, Role)> = plan.nodes.iter().map(|n| (n.key, n.role)).collect();
    assert_eq!(
        roles,
        vec![
            (DATABASE, Role::Build),
            (PORT, Role::Alias),
            (SERVICE, Role::Build)
        ]
    );
}

#[test]
fn interface_with_two_implementations_is_ambiguous() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    r.register(implementing(DATABASE, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(implementing(REPOSITORY, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(transient(SERVICE, &[PORT])).unwrap();
    assert_eq!(
        r.plan(SERVICE),
        Err(DomainError::Ambiguous {
            chain: vec![SERVICE, PORT],
            candidates: vec![DATABASE, REPOSITORY]
        })
    );
}

#[test]
fn collection_lists_members_in_registration_order_and_follows_removal() {
    use dioxide_core::{ArgSource, Exposure};
    let mut r = Registry::new();
    for key in [REPOSITORY, CONFIG, DATABASE] {
        r.register(implementing(key, vec![Exposure::collection(PLUGINS)]))
            .unwrap();
    }
    let members = |r: &Registry<&'static str>| {
        let plan = r.plan(PLUGINS).unwrap();
        plan.root()
            .unwrap()
            .args
            .iter()
            .map(|a| match a.source {
                ArgSource::Node(i) => plan.nodes[i].key,
                other => panic!("unexpected {other:?}"),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(members(&r), vec![REPOSITORY, CONFIG, DATABASE]);
    r.remove(CONFIG);
    assert_eq!(members(&r), vec![REPOSITORY, DATABASE]);
}

#[test]
fn empty_collection_parameter_gets_an_empty_list() {
    use dioxide_core::ArgSource;
    let mut r = Registry::new();
    let deps = vec![Dependency::new("plugins", PLUGINS, Fallback::EmptyList)];
    r.register(Provider::new(SERVICE, Lifetime::Transient, deps, "svc"))
        .unwrap();
    assert_eq!(
        r.plan(SERVICE).unwrap().nodes[0].args[0].source,
        ArgSource::EmptyList
    );
}

#[test]
fn depending_on_your_own_interface_is_a_cycle() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    let err = r
        .register(transient(DATABASE, &[PORT]).with_exposures(vec![Exposure::alias(PORT)]))
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::Cycle {
            cycle: vec![DATABASE, PORT, DATABASE]
        }
    );
    assert!(!r.contains(PORT));
}

#[test]
fn validate_reports_every_problem_once() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    r.register(implementing(DATABASE, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(implementing(REPOSITORY, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(transient(SERVICE, &[PORT, CONFIG])).unwrap();
    r.register(provider(Key(20), Lifetime::Singleton, &[REQUEST]))
        .unwrap();
    r.register(provider(REQUEST, Lifetime::SCOPED, &[]))
        .unwrap();
    r.register(transient(Key(21), &[CONFIG])).unwrap();
    let problems = r.validate();
    assert!(problems.contains(&DomainError::Ambiguous {
        chain: vec![SERVICE, PORT],
        candidates: vec![DATABASE, REPOSITORY]
    }));
    assert!(problems.contains(&DomainError::NotRegistered {
        chain: vec![SERVICE, CONFIG],
        missing: CONFIG,
        param: Some("p1".into())
    }));
    assert!(problems.contains(&DomainError::NotRegistered {
        chain: vec![Key(21), CONFIG],
        missing: CONFIG,
        param: Some("p0".into())
    }));
    assert!(problems.contains(&DomainError::Captive {
        chain: vec![Key(20), REQUEST],
        holder: Lifetime::Singleton,
        held: Lifetime::SCOPED,
    }));
    assert_eq!(problems.len(), 4, "{problems:?}");
}

#[test]
fn dependants_closure_follows_interfaces() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    r.register(implementing(DATABASE, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(transient(REPOSITORY, &[PORT])).unwrap();
    r.register(transient(SERVICE, &[REPOSITORY])).unwrap();
    let mut users = r.dependants_closure(DATABASE);
    users.sort();
    assert_eq!(users, vec![REPOSITORY, SERVICE, PORT]);
}

/// The members of the collection `key`, in the order its plan lists them.
fn members_of(r: &Registry<&'static str>, key: Key) -> Vec<Key> {
    let plan = r.plan(key).unwrap();
    plan.root()
        .unwrap()
        .args
        .iter()
        .map(|a| match a.source {
            ArgSource::Node(i) => plan.nodes[i].key,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

#[test]
fn replacing_a_provider_keeps_its_place_in_order_and_in_collections() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    let exposes = || vec![Exposure::alias(PORT), Exposure::collection(PLUGINS)];
    for key in [REPOSITORY, CONFIG, DATABASE] {
        r.register(implementing(key, exposes())).unwrap();
    }
    let previous = r.register(implementing(CONFIG, exposes())).unwrap();
    assert!(previous.is_some());
    assert_eq!(keys_of(&r), vec![REPOSITORY, CONFIG, DATABASE]);
    assert_eq!(members_of(&r, PLUGINS), vec![REPOSITORY, CONFIG, DATABASE]);
    assert_eq!(r.members_of(PORT), &[REPOSITORY, CONFIG, DATABASE]);
}

#[test]
fn restore_puts_a_replaced_provider_back_in_place() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    for key in [REPOSITORY, CONFIG, DATABASE] {
        r.register(implementing(key, vec![Exposure::collection(PLUGINS)]))
            .unwrap();
    }
    let original =
        r.register(transient(CONFIG, &[]).with_exposures(vec![Exposure::collection(PLUGINS)]));
    let replacement = r.restore(original.unwrap().unwrap());
    assert!(replacement.is_some());
    assert_eq!(keys_of(&r), vec![REPOSITORY, CONFIG, DATABASE]);
    assert_eq!(members_of(&r, PLUGINS), vec![REPOSITORY, CONFIG, DATABASE]);
}

#[test]
fn a_provider_for_an_interface_shadows_its_members_until_removed() {
    use dioxide_core::{Exposure, Role};
    let mut r = Registry::new();
    r.register(implementing(DATABASE, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(transient(SERVICE, &[PORT])).unwrap();
    r.register(transient(PORT, &[])).unwrap();
    assert_eq!(r.plan(PORT).unwrap().nodes.len(), 1);
    assert_eq!(r.dependants_closure(DATABASE), Vec::<Key>::new());
    r.remove(PORT);
    let root = r.plan(PORT).unwrap();
    assert_eq!(root.root().map(|n| n.role), Some(Role::Alias));
    let mut users = r.dependants_closure(DATABASE);
    users.sort();
    assert_eq!(users, vec![SERVICE, PORT]);
}

#[test]
fn a_provider_for_an_interface_may_depend_on_a_member() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    r.register(implementing(DATABASE, vec![Exposure::alias(PORT)]))
        .unwrap();
    r.register(transient(PORT, &[DATABASE])).unwrap();
    r.register(transient(REPOSITORY, &[PORT]).with_exposures(vec![Exposure::alias(PORT)]))
        .unwrap();
    assert_eq!(r.plan(PORT).unwrap().nodes.len(), 2);
}

#[test]
fn validate_ignores_an_interface_injected_only_as_a_collection() {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    let exposes = || vec![Exposure::alias(PORT), Exposure::collection(PLUGINS)];
    r.register(implementing(DATABASE, exposes())).unwrap();
    r.register(implementing(REPOSITORY, exposes())).unwrap();
    let deps = vec![Dependency::new("plugins", PLUGINS, Fallback::EmptyList)];
    r.register(Provider::new(SERVICE, Lifetime::Transient, deps, "svc"))
        .unwrap();
    assert_eq!(r.validate(), vec![]);
}

#[test]
fn validate_reports_a_missing_provider_with_the_chain_from_the_entry_point() {
    let mut r = Registry::new();
    r.register(transient(REPOSITORY, &[CONFIG])).unwrap();
    r.register(transient(DATABASE, &[REPOSITORY])).unwrap();
    r.register(transient(SERVICE, &[DATABASE])).unwrap();
    assert_eq!(
        r.validate(),
        vec![DomainError::NotRegistered {
            chain: vec![SERVICE, DATABASE, REPOSITORY, CONFIG],
            missing: CONFIG,
            param: Some("p0".into())
        }]
    );
}

#[test]
fn validate_reports_a_captive_next_to_a_missing_sibling() {
    let mut r = Registry::new();
    r.register(provider(SERVICE, Lifetime::Singleton, &[CONFIG, REQUEST]))
        .unwrap();
    r.register(provider(REQUEST, Lifetime::SCOPED, &[]))
        .unwrap();
    let problems = r.validate();
    assert_eq!(
        problems,
        vec![
            DomainError::NotRegistered {
                chain: vec![SERVICE, CONFIG],
                missing: CONFIG,
                param: Some("p0".into())
            },
            DomainError::Captive {
                chain: vec![SERVICE, REQUEST],
                holder: Lifetime::Singleton,
                held: Lifetime::SCOPED,
            },
        ]
    );
}

#[test]
fn validate_accepts_a_scoped_provider_holding_another_below_a_transient() {
    let mut r = Registry::new();
    r.register(provider(REQUEST, Lifetime::SCOPED, &[]))
        .unwrap();
    r.register(provider(REPOSITORY, Lifetime::SCOPED, &[REQUEST]))
        .unwrap();
    r.register(transient(SERVICE, &[REPOSITORY])).unwrap();
    assert_eq!(r.validate(), vec![]);
}

#[test]
fn a_plan_says_before_building_that_it_needs_a_scope() {
    let mut r = Registry::new();
    r.register(provider(CONFIG, Lifetime::Singleton, &[]))
        .unwrap();
    r.register(provider(REQUEST, Lifetime::SCOPED, &[]))
        .unwrap();
    r.register(transient(SERVICE, &[CONFIG, REQUEST])).unwrap();
    let plan = r.plan(SERVICE).unwrap();
    assert!(plan.deepest == Some(0) && !plan.awaits);
    let root = plan.nodes.len() - 1;
    let refusal = plan.refusal(root, None, false, |_| false);
    assert_eq!(
        refusal,
        Some(DomainError::NeedsScope {
            chain: vec![SERVICE, REQUEST],
            needed: Level::FIRST,
            open: None,
        })
    );
    assert_eq!(
        plan.refusal(root, Some((0, Level::FIRST)), false, |_| false),
        None
    );
}

#[test]
fn a_built_instance_hides_what_only_it_needs_from_the_refusal() {
    let mut r = Registry::new();
    r.register(Provider::new(DATABASE, Lifetime::Singleton, vec![], "db").with_async(true))
        .unwrap();
    r.register(transient(SERVICE, &[DATABASE])).unwrap();
    let plan = r.plan(SERVICE).unwrap();
    let root = plan.nodes.len() - 1;
    assert!(matches!(
        plan.refusal(root, None, false, |_| false),
        Some(DomainError::AsyncInSync { .. })
    ));
    assert_eq!(plan.refusal(root, None, true, |_| false), None);
    let database = plan.nodes.iter().position(|n| n.key == DATABASE).unwrap();
    assert_eq!(plan.refusal(root, None, false, |i| i == database), None);
}

#[test]
fn replacing_a_provider_makes_it_and_its_dependants_stale() {
    let mut r = Registry::new();
    r.register(provider(CONFIG, Lifetime::Singleton, &[]))
        .unwrap();
    r.register(provider(DATABASE, Lifetime::Singleton, &[CONFIG]))
        .unwrap();
    r.register(provider(SERVICE, Lifetime::Singleton, &[DATABASE]))
        .unwrap();
    r.register(provider(REPOSITORY, Lifetime::Singleton, &[]))
        .unwrap();
    let old = r.clone();
    assert!(r.stale_since(&old).is_empty());
    r.register(Provider::new(CONFIG, Lifetime::Singleton, vec![], "other"))
        .unwrap();
    let mut stale = r.stale_since(&old);
    stale.sort();
    assert_eq!(stale, vec![CONFIG, DATABASE, SERVICE]);
}

#[test]
fn a_self_dependency_is_refused_without_any_dependant() {
    let mut r = Registry::new();
    assert_eq!(
        r.register(transient(SERVICE, &[SERVICE])).map(|_| ()),
        Err(DomainError::Cycle {
            cycle: vec![SERVICE, SERVICE]
        })
    );
    assert!(r.is_empty());
}

#[test]
fn the_lifetime_of_an_interface_is_its_implementation_s() {
    let mut r = Registry::new();
    r.register(
        provider(DATABASE, Lifetime::SCOPED, &[])
            .with_exposures(vec![dioxide_core::Exposure::alias(REPOSITORY)]),
    )
    .unwrap();
    assert_eq!(r.lifetime_of(DATABASE), Some(Lifetime::SCOPED));
    assert_eq!(r.lifetime_of(REPOSITORY), Some(Lifetime::SCOPED));
    assert_eq!(r.lifetime_of(CONFIG), None);
}

/// REPOSITORY implemented by CONFIG (every profile) and by DATABASE
/// (profile "test" only); SERVICE depends on REPOSITORY.
fn profiled() -> Registry<&'static str> {
    use dioxide_core::Exposure;
    let mut r = Registry::new();
    r.register(transient(CONFIG, &[]).with_exposures(vec![Exposure::alias(REPOSITORY)]))
        .unwrap();
    r.register(
        transient(DATABASE, &[])
            .with_exposures(vec![Exposure::alias(REPOSITORY)])
            .with_profiles(Some(vec!["test".into()])),
    )
    .unwrap();
    r.register(transient(SERVICE, &[REPOSITORY])).unwrap();
    r
}

#[test]
fn a_profile_s_view_keeps_its_implementations_and_the_unmarked_ones() {
    let r = profiled();
    let test = r.for_profile(Some("test")).unwrap().unwrap();
    assert_eq!(test.members_of(REPOSITORY), &[DATABASE]);
    assert!(test.plan(SERVICE).is_ok());
    let plain = r.for_profile(None).unwrap().unwrap();
    assert_eq!(plain.members_of(REPOSITORY), &[CONFIG]);
    assert!(plain.get(DATABASE).is_none());
    let unmarked: Registry<&'static str> = Registry::new();
    assert!(unmarked.for_profile(Some("test")).is_none());
}

#[test]
fn an_explicit_registration_may_replace_a_decorated_one_but_not_another_explicit_one() {
    let mut r = Registry::new();
    r.register(transient(CONFIG, &[])).unwrap();
    r.register_explicit(vec![Provider::new(
        CONFIG,
        Lifetime::Singleton,
        vec![],
        "mine",
    )])
    .unwrap();
    assert_eq!(r.get(CONFIG).map(|p| p.payload), Some("mine"));
    assert_eq!(
        r.register_explicit(vec![transient(CONFIG, &[])]),
        Err(DomainError::Duplicate { key: CONFIG })
    );
    assert_eq!(
        r.register_explicit(vec![transient(DATABASE, &[]), transient(DATABASE, &[])]),
        Err(DomainError::Duplicate { key: DATABASE })
    );
    assert!(r.get(DATABASE).is_none());
}

// Scope levels: `("request", "action")`, outermost first.
const REQUEST_LEVEL: Level = Level(1);
const ACTION_LEVEL: Level = Level(2);
const ACTION: Key = Key(30);

fn two_levels() -> Levels {
    Levels::new(vec![REQUEST_LEVEL, ACTION_LEVEL]).unwrap()
}

#[test]
fn levels_refuse_repeats_and_emptiness() {
    assert_eq!(Levels::new(vec![]), None);
    assert_eq!(Levels::new(vec![REQUEST_LEVEL, REQUEST_LEVEL]), None);
    let levels = two_levels();
    assert_eq!(levels.depth(Level::FIRST), Some(0));
    assert_eq!(levels.canonical(Level::FIRST), Some(REQUEST_LEVEL));
    assert_eq!(levels.depth(ACTION_LEVEL), Some(1));
    assert_eq!(levels.depth(Level(9)), None);
}

#[test]
fn an_outer_level_holding_a_deeper_one_is_refused_at_registration() {
    let mut r = Registry::new();
    let levels = two_levels();
    r.register_in(
        provider(ACTION, Lifetime::Scoped(ACTION_LEVEL), &[]),
        &levels,
    )
    .unwrap();
    r.register_in(transient(REPOSITORY, &[ACTION]), &levels)
        .unwrap();
    let err = r
        .register_in(
            provider(REQUEST, Lifetime::Scoped(REQUEST_LEVEL), &[REPOSITORY]),
            &levels,
        )
        .unwrap_err();
    assert_eq!(
        err,
        DomainError::Captive {
            chain: vec![REQUEST, REPOSITORY, ACTION],
            holder: Lifetime::Scoped(REQUEST_LEVEL),
            held: Lifetime::Scoped(ACTION_LEVEL),
        }
    );
    assert!(!r.contains(REQUEST));
}

#[test]
fn a_deeper_level_may_hold_an_outer_one() {
    let mut r = Registry::new();
    let levels = two_levels();
    r.register_in(provider(REQUEST, Lifetime::SCOPED, &[]), &levels)
        .unwrap();
    r.register_in(
        provider(ACTION, Lifetime::Scoped(ACTION_LEVEL), &[REQUEST]),
        &levels,
    )
    .unwrap();
    let plan = r.plan_in(ACTION, &levels).unwrap();
    assert_eq!(plan.deepest, Some(1));
    let request = plan.nodes.iter().find(|n| n.key == REQUEST).unwrap();
    assert_eq!(request.lifetime, Lifetime::Scoped(REQUEST_LEVEL));
    assert_eq!(request.depth, 0);
    assert_eq!(r.validate_in(&levels), vec![]);
    let root = plan.nodes.len() - 1;
    assert_eq!(
        plan.refusal(root, Some((0, REQUEST_LEVEL)), false, |_| false),
        Some(DomainError::NeedsScope {
            chain: vec![ACTION],
            needed: ACTION_LEVEL,
            open: Some(REQUEST_LEVEL),
        })
    );
    assert_eq!(
        plan.refusal(root, Some((1, ACTION_LEVEL)), false, |_| false),
        None
    );
}

#[test]
fn captives_across_levels_found_by_plan_and_validate() {
    let mut r = Registry::new();
    let levels = two_levels();
    // Registered in this order, no registration sees the captive.
    r.register_in(
        provider(REQUEST, Lifetime::Scoped(REQUEST_LEVEL), &[ACTION]),
        &levels,
    )
    .unwrap();
    r.register_in(
        provider(ACTION, Lifetime::Scoped(ACTION_LEVEL), &[]),
        &levels,
    )
    .unwrap();
    let captive = DomainError::Captive {
        chain: vec![REQUEST, ACTION],
        holder: Lifetime::Scoped(REQUEST_LEVEL),
        held: Lifetime::Scoped(ACTION_LEVEL),
    };
    assert_eq!(r.plan_in(REQUEST, &levels), Err(captive.clone()));
    assert_eq!(r.validate_in(&levels), vec![captive]);
}

#[test]
fn a_level_the_container_lacks_is_reported() {
    let mut r = Registry::new();
    r.register(provider(ACTION, Lifetime::Scoped(ACTION_LEVEL), &[]))
        .unwrap();
    r.register(transient(SERVICE, &[ACTION])).unwrap();
    let unknown = DomainError::UnknownLevel {
        chain: vec![SERVICE, ACTION],
        level: ACTION_LEVEL,
    };
    assert_eq!(r.plan(SERVICE), Err(unknown.clone()));
    assert_eq!(r.validate(), vec![unknown]);
    assert!(r.plan_in(SERVICE, &two_levels()).is_ok());
}

/// A derived provider (a configuration value converted to a type) exists
/// only while the key it requires has a provider: without it, a parameter
/// falls back as for a missing provider, and validation does not walk it.
#[test]
fn a_derived_provider_exists_only_with_what_it_requires() {
    const RAW: Key = Key(10);
    const CONVERTED: Key = Key(11);
    let mut r = Registry::new();
    r.register(provider(CONVERTED, Lifetime::Singleton, &[RAW]).with_requires(Some(RAW)))
        .unwrap();
    r.register(Provider::new(
        SERVICE,
        Lifetime::Transient,
        vec![Dependency::new("size", CONVERTED, Fallback::UseDefault)],
        "payload",
    ))
    .unwrap();
    r.register(transient(REPOSITORY, &[CONVERTED])).unwrap();

    assert!(r.contains(CONVERTED) && !r.available(CONVERTED));
    let plan = r.plan(SERVICE).unwrap();
    assert_eq!(plan.root().unwrap().args[0].source, ArgSource::Default);
    match r.plan(REPOSITORY) {
        Err(DomainError::NotRegistered { chain, missing, .. }) => {
            assert_eq!((chain, missing), (vec![REPOSITORY, CONVERTED], CONVERTED));
        }
        other => panic!("expected a missing value, got {other:?}"),
    }
    let problems = r.validate();
    assert_eq!(problems.len(), 1, "{problems:?}");

    r.register(provider(RAW, Lifetime::Singleton, &[])).unwrap();
    assert!(r.available(CONVERTED));
    let order: Vec<Key> = r
        .plan(SERVICE)
        .unwrap()
        .nodes
        .iter()
        .map(|n| n.key)
        .collect();
    assert_eq!(order, vec![RAW, CONVERTED, SERVICE]);
    assert!(r.validate().is_empty());
}

#[test]
fn copies_of_a_registry_share_its_providers() {
    use std::sync::Arc;
    let r = profiled();
    let shared = |a: &Registry<&'static str>, b: &Registry<&'static str>, key: Key| {
        Arc::ptr_eq(a.get_shared(key).unwrap(), b.get_shared(key).unwrap())
    };

    // A clone (a container's copy on write) and a profile's view share
    // what they do not change; the view copies the one provider it changes
    // (CONFIG gives REPOSITORY up to the profile's DATABASE).
    let copy = r.clone();
    assert!(shared(&r, &copy, CONFIG) && shared(&r, &copy, SERVICE));
    let test = r.for_profile(Some("test")).unwrap().unwrap();
    assert!(shared(&r, &test, SERVICE) && shared(&r, &test, DATABASE));
    assert!(!shared(&r, &test, CONFIG));
    assert!(test.get(CONFIG).unwrap().exposes.is_empty());
    assert_eq!(r.get(CONFIG).unwrap().exposes.len(), 1);

    // A provider taken back (an override's end) is the one registered.
    let mine = Arc::new(transient(REQUEST, &[]));
    let mut other = Registry::new();
    other.register_all(vec![Arc::clone(&mine)]).unwrap();
    assert!(Arc::ptr_eq(other.get_shared(REQUEST).unwrap(), &mine));
    assert!(Arc::ptr_eq(&other.remove(REQUEST).unwrap(), &mine));
}
