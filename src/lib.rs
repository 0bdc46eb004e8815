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
    m.add_function(wrap_pyfunction!(bindings::fast::_fast_resolve_for, m)?)?;
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add_function(wrap_pyfunction!(bindings::scope::_set_scope_class, m)?)?;
    bindings::fast::install_subscripts(m.py())?;
    bindings::container::set_scope_maker(bindings::scope::make_scope);
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

/// Panics on purpose. No path from Python should panic, but if one ever
/// does, the panic must reach Python as an exception (pyo3's
/// `PanicException`) rather than abort the interpreter; `tests/test_panics.py`
/// calls this to check that the build keeps it so (`panic = "unwind"`).
///
/// With `in_resolve=True` it panics later instead: in the next
/// cached-singleton lookup of `resolve` or `[]`, which runs outside PyO3's
/// trampoline (see `bindings/fast.rs`) and must catch panics itself.
#[pyfunction]
#[pyo3(signature = (in_resolve=false))]
fn _debug_panic(in_resolve: bool) {
    if in_resolve {
        bindings::fast::arm_panic();
        return;
    }
    panic!("dioxide: deliberate panic from _dioxide_core._debug_panic()");
}
