use std::fmt;

use crate::{Key, Level, Lifetime};

/// Everything that can go wrong in the domain, as data.
///
/// Chains run from the requested type to the offending one, both included.
/// The binding layer renders these into Python exceptions with names and hints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainError {
    /// `missing` has no provider, and the parameter `param` of the last
    /// provider in `chain` needs it (`param` is `None` when `missing` was
    /// requested directly).
    NotRegistered {
        chain: Vec<Key>,
        missing: Key,
        param: Option<String>,
    },
    /// The provider for the last key of `chain` still waits for a forward
    /// reference named `unresolved`.
    Pending { chain: Vec<Key>, unresolved: String },
    /// Registering would close the dependency cycle `cycle` (first == last).
    Cycle { cycle: Vec<Key> },
    /// The first key of `chain` (a `holder`: a singleton, or a scoped
    /// provider of an outer level) would capture the shorter-lived instance
    /// of the last (`held`: a scoped provider of a deeper level).
    Captive {
        chain: Vec<Key>,
        holder: Lifetime,
        held: Lifetime,
    },
    /// The last key of `chain` is an interface with several unnamed
    /// implementations, `candidates`, and nothing says which one to use.
    Ambiguous {
        chain: Vec<Key>,
        candidates: Vec<Key>,
    },
    /// The plan needs an async provider (the last key of `chain`) but was
    /// asked to run synchronously.
    AsyncInSync { chain: Vec<Key> },
    /// The plan needs a scoped provider (the last key of `chain`) of level
    /// `needed`, but runs outside a scope (`open` is `None`) or in a scope
    /// of the outer level `open`.
    NeedsScope {
        chain: Vec<Key>,
        needed: Level,
        open: Option<Level>,
    },
    /// The provider of the last key of `chain` lives in `level`, which the
    /// container does not declare.
    UnknownLevel { chain: Vec<Key>, level: Level },
    /// `key` is registered explicitly already (or twice in one batch).
    Duplicate { key: Key },
}

impl fmt::Display for DomainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |keys: &[Key]| {
            keys.iter()
                .map(|k| k.0.to_string())
                .collect::<Vec<_>>()
                .join(" -> ")
        };
        match self {
            Self::NotRegistered { chain, missing, .. } => {
                write!(f, "no provider for {} (chain {})", missing.0, join(chain))
            }
            Self::Pending { chain, unresolved } => {
                write!(
                    f,
                    "forward reference {unresolved:?} unresolved (chain {})",
                    join(chain)
                )
            }
            Self::Cycle { cycle } => write!(f, "dependency cycle {}", join(cycle)),
            Self::Captive { chain, .. } => write!(f, "captive dependency {}", join(chain)),
            Self::AsyncInSync { chain } => write!(f, "async provider in sync plan {}", join(chain)),
            Self::NeedsScope { chain, .. } => {
                write!(f, "scoped provider outside its scope {}", join(chain))
            }
            Self::UnknownLevel { chain, level } => {
                write!(f, "unknown scope level {} ({})", level.0, join(chain))
            }
            Self::Duplicate { key } => write!(f, "{} is registered explicitly already", key.0),
            Self::Ambiguous { chain, candidates } => {
                write!(f, "ambiguous {} among {}", join(chain), join(candidates))
            }
        }
    }
}

impl std::error::Error for DomainError {}
