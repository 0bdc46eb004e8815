use crate::Key;

/// How long an instance built by a provider lives.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Lifetime {
    /// One instance per container, built on first use.
    Singleton,
    /// One instance per scope.
    Scoped,
    /// A new instance for every injection.
    Transient,
}

/// What to do with a parameter whose type has no provider.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Fallback {
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
            payload,
        }
    }

    /// A provider whose dependencies are not known yet.
    pub fn pending(key: Key, lifetime: Lifetime, unresolved: impl Into<String>, payload: P) -> Self {
        Self {
            key,
            lifetime,
            deps: Vec::new(),
            pending: Some(unresolved.into()),
            asynchronous: false,
            payload,
        }
    }

    pub fn with_async(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }
}
