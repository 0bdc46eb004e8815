//! Adapters between Python objects and the `dioxide-core` domain.

pub(crate) mod build;
pub(crate) mod cell;
pub(crate) mod compiled;
pub(crate) mod container;
pub(crate) mod deferred;
pub(crate) mod errors;
pub(crate) mod exec;
pub(crate) mod fast;
pub(crate) mod frame;
pub(crate) mod keys;
pub(crate) mod lifecycle;
pub(crate) mod owner;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod resume;
pub(crate) mod scope;
