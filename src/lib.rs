//! `dioxide._dioxide_core`: the PyO3 adapter between the Python package and
//! the pure-Rust domain in `dioxide-core`.
//!
//! The binding layer turns Python types into keys, keeps owned references to
//! Python objects, runs resolution plans by calling Python constructors and
//! renders domain errors as dioxide exceptions. Graph rules live in the domain.

use pyo3::prelude::*;

mod bindings;

#[pymodule]
fn _dioxide_core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<bindings::container::RustContainer>()?;
    m.add_class::<bindings::scope::RustScope>()?;
    m.add_class::<bindings::deferred::RustDeferred>()?;
    m.add_function(wrap_pyfunction!(bindings::errors::install_exceptions, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::lifecycle::raise_together_py, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::fast::_fast_resolve_methods, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Panics on purpose. No path from Python should panic, but if one ever
/// does, the panic must reach Python as an exception (pyo3's
/// `PanicException`) rather than abort the interpreter; `tests/test_panics.py`
/// calls this to check that the build keeps it so (`panic = "unwind"`).
#[pyfunction]
fn _debug_panic() {
    panic!("dioxide: deliberate panic from _dioxide_core._debug_panic()");
}
