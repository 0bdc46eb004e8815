//! Exposes PyO3's configuration flags to the binding's code; the one it
//! uses is `Py_GIL_DISABLED` (a free-threaded CPython), which decides how
//! built singletons are read (see `src/bindings/container/built.rs`).
fn main() {
    pyo3_build_config::use_pyo3_cfgs();
}
