//! Python bindings: one file per core module with a Python face, each
//! converting numpy ↔ faer ([`convert`]), calling the core through
//! [`errors::enter_core`] (GIL released, Ctrl-C honoured, errors mapped)
//! and handing the core's result structs back as Python classes
//! ([`results`]). No formula lives here.

mod alignment;
mod bids;
mod compress;
mod convert;
mod data;
mod encode;
mod errors;
mod extract;
mod graph;
mod linalg;
mod measures;
mod pairwise;
mod preflight;
mod probe;
mod report;
mod results;
mod rsa;
mod sdr;
mod shape_space;
mod stats;
mod taskvec;
mod units;

use std::collections::HashMap;

use pyo3::prelude::*;

/// Runs the `repscope` command line (`argv[0]` is the program name) and
/// returns its exit status; the GIL is released while it runs.
#[pyfunction]
fn cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| repscope_cli::run_from_args(argv))
}

/// Version and build facts, for bug reports.
#[pyfunction]
fn build_info() -> HashMap<&'static str, String> {
    HashMap::from([
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("threads", rayon::current_num_threads().to_string()),
    ])
}

#[pymodule]
fn _repscope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::record_main_thread(m.py())?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_function(wrap_pyfunction!(build_info, m)?)?;
    alignment::register(m)?;
    bids::register(m)?;
    compress::register(m)?;
    data::register(m)?;
    encode::register(m)?;
    extract::register(m)?;
    graph::register(m)?;
    linalg::register(m)?;
    measures::register(m)?;
    pairwise::register(m)?;
    preflight::register(m)?;
    probe::register(m)?;
    report::register(m)?;
    rsa::register(m)?;
    sdr::register(m)?;
    shape_space::register(m)?;
    stats::register(m)?;
    taskvec::register(m)?;
    units::register(m)?;
    Ok(())
}
