//! Bindings of `repscope::measures`: one measure on one pair, and the
//! registry's list.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, params_from_dict};
use crate::errors::enter_core;
use repscope::RepRef;

/// Similarity of two representations with one measure, and the measure's
/// caveats.
#[pyfunction]
#[pyo3(signature = (x, y, measure, params=None))]
fn similarity(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    measure: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<(f64, Vec<String>)> {
    let params = params_from_dict(params)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    enter_core(py, move || {
        let m = repscope::measures::build(measure, &params)?;
        repscope::measures::similarity_with_warnings(
            RepRef { name: "X", x: xv },
            RepRef { name: "Y", x: yv },
            m.as_ref(),
        )
    })
}

/// Seconds per call of the core's one-pair similarity, timed inside Rust
/// over `repeats` calls (no Python in the loop): the baseline that
/// bench/overhead.py subtracts from a Python call to get the binding's cost.
#[pyfunction]
#[pyo3(signature = (x, y, measure, repeats, params=None))]
fn time_similarity_in_core(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    measure: &str,
    repeats: usize,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<f64> {
    let params = params_from_dict(params)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    enter_core(py, move || {
        let m = repscope::measures::build(measure, &params)?;
        let start = std::time::Instant::now();
        for _ in 0..repeats.max(1) {
            std::hint::black_box(repscope::measures::similarity(
                RepRef { name: "X", x: xv },
                RepRef { name: "Y", x: yv },
                m.as_ref(),
            )?);
        }
        Ok(start.elapsed().as_secs_f64() / repeats.max(1) as f64)
    })
}

/// The measures the registry knows: name, kind, invariances, summary,
/// reference, range (the registry's own serialisation).
#[pyfunction]
fn measures(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    repscope::measures()
        .into_iter()
        .map(|m| {
            let d = PyDict::new(py);
            d.set_item("name", m.name)?;
            d.set_item("kind", m.kind.name())?;
            d.set_item("needs_same_dim", m.needs_same_dim)?;
            d.set_item("symmetric", m.symmetric)?;
            let inv: Vec<&str> = m.invariances.iter().map(|i| i.name()).collect();
            d.set_item("invariances", inv)?;
            d.set_item("summary", m.summary)?;
            d.set_item("reference", m.reference)?;
            d.set_item("range", m.range)?;
            Ok(d)
        })
        .collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(similarity, m)?)?;
    m.add_function(wrap_pyfunction!(time_similarity_in_core, m)?)?;
    m.add_function(wrap_pyfunction!(measures, m)?)?;
    Ok(())
}
