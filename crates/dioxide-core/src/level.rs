//! Scope levels: the nested lifetimes a container declares, outermost
//! first (`("request", "action")`: an action scope opens inside a request
//! scope and closes before it).
//!
//! A provider names its level; the order comes from the container, so one
//! registry of decorated providers can serve containers with different
//! levels. A level is compared with another only through a [`Levels`]
//! order: a level the order does not know has no depth.

/// One scope level, by name; the binding interns the names. `FIRST` is
/// the first level of whatever container resolves it (`Scope.SCOPED`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Level(pub u32);

impl Level {
    /// "The first level", whatever it is called.
    pub const FIRST: Level = Level(0);
}

/// A container's levels, outermost first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Levels(Vec<Level>);

impl Default for Levels {
    /// One unnamed level: the scopes of a container that declares none.
    fn default() -> Self {
        Self(vec![Level::FIRST])
    }
}

impl Levels {
    /// The levels in order, outermost first; `None` when there are none or
    /// one repeats.
    pub fn new(order: Vec<Level>) -> Option<Self> {
        let mut seen = std::collections::HashSet::new();
        if order.is_empty() || !order.iter().all(|l| seen.insert(*l)) {
            return None;
        }
        Some(Self(order))
    }

    /// Outermost first.
    pub fn order(&self) -> &[Level] {
        &self.0
    }

    /// How deep `level` is: 0 for the outermost. `None` for a level this
    /// order does not have.
    pub fn depth(&self, level: Level) -> Option<usize> {
        if level == Level::FIRST {
            return Some(0);
        }
        self.0.iter().position(|l| *l == level)
    }

    /// The level at `depth`, if there is one.
    pub fn at(&self, depth: usize) -> Option<Level> {
        self.0.get(depth).copied()
    }

    /// `level` under its own name (`FIRST` is the outermost level).
    pub fn canonical(&self, level: Level) -> Option<Level> {
        self.depth(level).and_then(|d| self.at(d))
    }

    /// `lifetime` with its level under its own name (see `canonical`).
    pub fn canonical_lifetime(&self, lifetime: crate::Lifetime) -> crate::Lifetime {
        match lifetime {
            crate::Lifetime::Scoped(level) => {
                crate::Lifetime::Scoped(self.canonical(level).unwrap_or(level))
            }
            other => other,
        }
    }

    /// How long an instance of `lifetime` is kept, as a rank: singletons 0,
    /// the outermost level 1, each deeper level one more. `None` for a
    /// transient (kept by nobody) or a level this order does not have.
    pub fn rank(&self, lifetime: crate::Lifetime) -> Option<usize> {
        match lifetime {
            crate::Lifetime::Singleton => Some(0),
            crate::Lifetime::Scoped(level) => self.depth(level).map(|d| d + 1),
            crate::Lifetime::Transient => None,
        }
    }

    /// Whether an instance of `holder` keeping one of `held` would outlive
    /// it: `held` is a scope level deeper than `holder`'s (a singleton is
    /// above every level). Levels this order does not know are not judged.
    pub fn captive(&self, holder: crate::Lifetime, held: crate::Lifetime) -> bool {
        match (self.rank(holder), held) {
            (Some(h), crate::Lifetime::Scoped(_)) => {
                self.rank(held).is_some_and(|d| d > h) || (h == 0 && self.rank(held).is_none())
            }
            _ => false,
        }
    }
}
