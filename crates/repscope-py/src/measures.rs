//! Bindings of `repscope::measures`: one measure on one pair, and the
//! registry's list.

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, params_from_dict};
use crate::errors::{core_error, enter_core};
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

/// The measures the registry knows, each as its property sheet: name,
/// kind, invariances, summary, reference, range, identical, cost, params,
/// axioms.
#[pyfunction]
fn measures(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    repscope::measures::sheets()
        .iter()
        .map(|s| sheet_dict(py, s))
        .collect()
}

/// The property sheet of one measure (an unknown name lists the known ones).
#[pyfunction]
fn measure_info<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
    let sheet = repscope::measures::sheet(name).map_err(|e| core_error(py, e))?;
    sheet_dict(py, &sheet)
}

fn sheet_dict<'py>(py: Python<'py>, s: &repscope::measures::Sheet) -> PyResult<Bound<'py, PyDict>> {
    let m = &s.info;
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
    d.set_item("identical", m.identical)?;
    d.set_item("cost", m.cost)?;
    d.set_item("params", s.params.to_vec())?;
    d.set_item("axioms", s.axioms.clone())?;
    Ok(d)
}

/// statistic, threshold, passed, settings, scores.
type GroundingParts = (f64, f64, bool, Vec<f64>, Vec<f64>);

/// A grounding check of one measure (`repscope::measures::grounding`):
/// `check` is "correlation" (seeded n × d data at ρ `levels`) or
/// "layer_order" (the `layers` of one network in depth order). Returns
/// (statistic, threshold, passed, settings, scores).
#[pyfunction]
#[pyo3(signature = (measure, check, params=None, layers=None, n=200, d=16, levels=None, seed=0))]
#[allow(clippy::too_many_arguments)]
fn check_measure(
    py: Python<'_>,
    measure: &str,
    check: &str,
    params: Option<&Bound<'_, PyDict>>,
    layers: Option<Vec<Bound<'_, PyAny>>>,
    n: usize,
    d: usize,
    levels: Option<Vec<f64>>,
    seed: u64,
) -> PyResult<GroundingParts> {
    use repscope::measures::grounding::{correlation_check, layer_order_check};
    let params = params_from_dict(params)?;
    let inputs = layers.as_deref().map(crate::convert::inputs).transpose()?;
    let views: Option<Vec<_>> = inputs.as_ref().map(|i| i.iter().map(Input::view).collect());
    let check = check.to_string();
    let g = enter_core(py, move || {
        let m = repscope::measures::build(measure, &params)?;
        match (check.as_str(), views) {
            ("correlation", _) => {
                let levels = levels.unwrap_or_else(|| vec![0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0]);
                correlation_check(m.as_ref(), n, d, &levels, seed)
            }
            ("layer_order", Some(views)) => layer_order_check(m.as_ref(), &views),
            ("layer_order", None) => Err(repscope::Error::Invalid {
                what: "check_measure".into(),
                detail:
                    "the layer-order check needs layers=[...] (one network's layers in depth order)"
                        .into(),
            }),
            (other, _) => Err(repscope::Error::UnknownChoice {
                what: "grounding check",
                given: other.to_string(),
                known: vec!["correlation", "layer_order"],
            }),
        }
    })?;
    Ok((g.statistic, g.threshold, g.passed, g.settings, g.scores))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(check_measure, m)?)?;
    m.add_function(wrap_pyfunction!(similarity, m)?)?;
    m.add_function(wrap_pyfunction!(time_similarity_in_core, m)?)?;
    m.add_function(wrap_pyfunction!(measures, m)?)?;
    m.add_function(wrap_pyfunction!(measure_info, m)?)?;
    Ok(())
}
