use crate::{Key, Level};

/// How long an instance built by a provider lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// One instance per container, built on first use.
    Singleton,
    /// One instance per scope of this level (see `Levels`).
    Scoped(Level),
    /// A new instance for every injection.
    Transient,
}

impl Lifetime {
    /// `Scope.SCOPED`: the first level of the container.
    pub const SCOPED: Lifetime = Lifetime::Scoped(Level::FIRST);

    pub fn is_scoped(self) -> bool {
        matches!(self, Lifetime::Scoped(_))
    }
}

/// What to do with a parameter whose type has no provider.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fallback {
    /// A collection parameter with no members gets an empty list.
    EmptyList,
    /// The parameter must be injected; a missing provider is an error.
    Required,
    /// Leave the parameter out of the call so its default value applies.
    UseDefault,
    /// Pass `None` explicitly (an `Optional[...]` parameter without default).
    UseNone,
}

/// One constructor parameter to be filled from the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dependency {
    pub param: String,
    pub key: Key,
    pub fallback: Fallback,
}

impl Dependency {
    pub fn new(param: impl Into<String>, key: Key, fallback: Fallback) -> Self {
        Self {
            param: param.into(),
            key,
            fallback,
        }
    }

    pub fn required(param: impl Into<String>, key: Key) -> Self {
        Self::new(param, key, Fallback::Required)
    }
}

/// A further key under which a provider's instance is available.
///
/// An *alias* exposure makes the provider the implementation of an
/// interface (or of a qualified interface, `Cache` named `"local"`): one
/// implementation answers for the interface, several make it ambiguous.
/// A *collection* exposure adds it to the list for that key, in
/// registration order.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exposure {
    pub key: Key,
    pub collection: bool,
}

impl Exposure {
    pub fn alias(key: Key) -> Self {
        Self {
            key,
            collection: false,
        }
    }

    pub fn collection(key: Key) -> Self {
        Self {
            key,
            collection: true,
        }
    }
}

/// How a plan node produces its value.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// Call the registered provider.
    Build,
    /// Forward the value of the single implementation.
    Alias,
    /// A list of every member's value.
    Collection,
}

/// A registered way of building the value for `key`.
#[derive(Clone, Debug)]
pub struct Provider<P> {
    pub key: Key,
    pub lifetime: Lifetime,
    pub deps: Vec<Dependency>,
    /// Set while a constructor annotation cannot be evaluated yet (a forward
    /// reference to a class that is not defined). Holds the unresolved name.
    pub pending: Option<String>,
    /// The provider must be awaited (`async def` or async generator).
    pub asynchronous: bool,
    /// Interfaces and collections this provider also answers for.
    pub exposes: Vec<Exposure>,
    /// The profiles this provider is limited to; `None` serves every
    /// profile (see `Registry::for_profile`).
    pub profiles: Option<Vec<String>>,
    /// A derived provider (a configuration value converted to a type)
    /// exists only while this key has a provider: without it, dependants
    /// fall back as for a missing provider (see `Registry::available`).
    pub requires: Option<Key>,
    pub payload: P,
}

impl<P> Provider<P> {
    pub fn new(key: Key, lifetime: Lifetime, deps: Vec<Dependency>, payload: P) -> Self {
        Self {
            key,
            lifetime,
            deps,
            pending: None,
            asynchronous: false,
            exposes: Vec::new(),
            profiles: None,
            requires: None,
            payload,
        }
    }

    /// A provider whose dependencies are not known yet.
    pub fn pending(
        key: Key,
        lifetime: Lifetime,
        unresolved: impl Into<String>,
        payload: P,
    ) -> Self {
        Self {
            key,
            lifetime,
            deps: Vec::new(),
            pending: Some(unresolved.into()),
            asynchronous: false,
            exposes: Vec::new(),
            profiles: None,
            requires: None,
            payload,
        }
    }

    pub fn with_async(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }

    pub fn with_exposures(mut self, exposes: Vec<Exposure>) -> Self {
        self.exposes = exposes;
        self
    }

    /// Make this provider exist only while `key` has a provider.
    pub fn with_requires(mut self, key: Option<Key>) -> Self {
        self.requires = key;
        self
    }

    pub fn with_profiles(mut self, profiles: Option<Vec<String>>) -> Self {
        self.profiles = profiles;
        self
    }
}
