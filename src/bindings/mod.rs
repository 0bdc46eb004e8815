//! Adapters between Python objects and the `dioxide-core` domain.
//!
//! Correct with the GIL off (free-threaded CPython): every structure here
//! that threads share has its own synchronisation, listed per object in
//! docs/versions.md ("Correct without the GIL"). No lock is held while
//! Python code runs or a Python object may be dropped, and every lock is
//! taken through `locks`, which waits detached from the interpreter.

pub(crate) mod build;
pub(crate) mod cell;
pub(crate) mod compiled;
pub(crate) mod construct;
pub(crate) mod container;
pub(crate) mod errors;
pub(crate) mod exec;
pub(crate) mod fast;
pub(crate) mod frame;
pub(crate) mod keys;
pub(crate) mod lifecycle;
pub(crate) mod locks;
pub(crate) mod owner;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod resume;
pub(crate) mod scope;
