//! Bindings of `repscope::sdr`: sparse distributed representations, their
//! codes and the false-match combinatorics of Ahmad & Hawkins (2016).

use numpy::PyArray2;
use pyo3::prelude::*;

use crate::convert::{Input, grid};
use crate::data::check_finite;
use crate::errors::enter_core;

/// Probability that a random SDR (`a` of `n` bits on) matches a segment of
/// `s` synapses in at least `theta`.
#[pyfunction]
fn sdr_false_match(py: Python<'_>, n: u64, a: u64, s: u64, theta: u64) -> PyResult<f64> {
    enter_core(py, move || repscope::sdr::false_match(n, a, s, theta))
}

/// The SDR of every row: `k` active units (by default the `sparsity` rule
/// of the core), as a stimuli × units bool array.
#[pyfunction]
#[pyo3(signature = (x, k=None, sparsity=0.02))]
fn sdr_encode<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    k: Option<usize>,
    sparsity: f64,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let x = Input::from_py(x)?;
    let view = x.view();
    let (rows, units) = (view.nrows(), view.ncols());
    let on = enter_core(py, move || {
        check_finite(view)?;
        let k = k.unwrap_or_else(|| repscope::sdr::active_units(units, sparsity));
        repscope::sdr::check_active(k)?;
        Ok(repscope::sdr::encode(view, k))
    })?;
    let mut codes = vec![false; rows * units];
    for (i, row) in on.iter().enumerate() {
        row.iter()
            .for_each(|&j| codes[i * units + j as usize] = true);
    }
    grid(py, rows, units, codes)
}

/// Expected fraction of bits on in a union of `m` SDRs of `w` of `n` bits.
#[pyfunction]
fn sdr_union_density(py: Python<'_>, n: u64, w: u64, m: u64) -> PyResult<f64> {
    enter_core(py, move || repscope::sdr::union_density(n, w, m))
}

/// Probability that a random SDR matches a union of `m` SDRs in at least
/// `theta` bits.
#[pyfunction]
fn sdr_union_false_match(py: Python<'_>, n: u64, w: u64, m: u64, theta: u64) -> PyResult<f64> {
    enter_core(py, move || repscope::sdr::union_false_match(n, w, m, theta))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sdr_false_match, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_encode, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_union_density, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_union_false_match, m)?)?;
    Ok(())
}
