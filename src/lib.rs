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
    m.add_function(wrap_pyfunction!(bindings::errors::install_exceptions, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
