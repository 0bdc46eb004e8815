//! The dioxide domain: providers, the dependency graph, the registry that keeps
//! both consistent, and the resolution plans the binding layer executes.
//!
//! Nothing here knows about Python. A provider carries an opaque payload `P`
//! (the binding layer stores owned Python references there), and types are
//! identified by [`Key`]s the binding layer hands out. Keeping this crate free
//! of `pyo3` lets the compiler enforce the layering and lets `cargo test`
//! exercise every rule without an interpreter.

mod error;
mod graph;
mod key;
mod level;
mod plan;
mod provider;
mod registry;

pub use error::DomainError;
pub use key::{Key, KeyBuildHasher, KeyHasher, KeyMap, KeySet};
pub use level::{Level, Levels};
pub use plan::{ArgSource, Plan, PlanArg, PlanNode};
pub use provider::{Deferral, Dependency, Exposure, Fallback, Lifetime, Provider, Role};
pub use registry::{Registry, Shared};
