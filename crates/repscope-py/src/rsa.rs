//! Bindings of `repscope::rsa`: RDMs, comparisons, transforms, inference.

use faer::Mat;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, matrix_to_numpy};
use crate::errors::enter_core;
use repscope::data::labels::labels_to_codes;
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::inference::{self, BootstrapOptions, Resample, Sample};
use repscope::rsa::{RdmMethod, RdmSpec};
use repscope::stats::covariance::{self, CovarianceMethod};

/// Rows of a C-contiguous 2-D array as slices.
fn rows<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<Vec<&'a [f64]>> {
    let width = a.shape()[1].max(1);
    let flat = a.as_slice().map_err(|_| {
        pyo3::exceptions::PyValueError::new_err("RDM stacks must be C-contiguous float64 arrays")
    })?;
    Ok(flat.chunks(width).collect())
}

fn vec_to_numpy<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// Condensed RDM of the rows of `x`.
#[pyfunction]
#[pyo3(signature = (x, method, precision=None, conditions=None, folds=None, prior_lambda=1.0, prior_weight=0.1))]
#[allow(clippy::too_many_arguments)]
pub fn rdm<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    method: &str,
    precision: Option<&Bound<'py, PyAny>>,
    conditions: Option<Vec<String>>,
    folds: Option<Vec<String>>,
    prior_lambda: f64,
    prior_weight: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let x = Input::from_py(x)?;
    let precision = precision.map(Input::from_py).transpose()?;
    let (xv, pv) = (x.view(), precision.as_ref().map(Input::view));
    let result = enter_core(py, move || {
        let method = RdmMethod::from_name(method)?;
        let condition_codes = conditions.map(|c| labels_to_codes(&c).1);
        let fold_codes = folds.map(|f| labels_to_codes(&f).1);
        let spec = RdmSpec {
            method,
            precision: pv,
            conditions: condition_codes.as_deref(),
            folds: fold_codes.as_deref(),
            prior_lambda,
            prior_weight,
        };
        repscope::rsa::rdm(xv, &spec)
    })?;
    Ok(vec_to_numpy(py, result))
}

/// Every RDM of `a` (k₁ × pairs) against every RDM of `b` (k₂ × pairs).
#[pyfunction]
#[pyo3(signature = (a, b, method, sigma_k=None))]
pub fn compare_rdms<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
    method: &str,
    sigma_k: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (ra, rb) = (rows(&a)?, rows(&b)?);
    let sigma: Option<Vec<f64>> = sigma_k.map(|s| s.as_array().to_vec());
    let values = enter_core(py, move || {
        let method = CompareMethod::from_name(method)?;
        repscope::rsa::compare(&ra, &rb, method, sigma.as_deref())
    })?;
    Ok(matrix_to_numpy(py, values.as_ref()))
}

/// Geo-topological transform of one condensed RDM.
#[pyfunction]
pub fn geotopological<'py>(
    py: Python<'py>,
    rdm: PyReadonlyArray1<'py, f64>,
    low: f64,
    up: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let v = rdm.as_array().to_vec();
    let out = enter_core(py, move || repscope::rsa::geotopological(&v, low, up))?;
    Ok(vec_to_numpy(py, out))
}

/// Geodesic transform of one condensed RDM.
#[pyfunction]
pub fn geodesic<'py>(
    py: Python<'py>,
    rdm: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let v = rdm.as_array().to_vec();
    let out = enter_core(py, move || repscope::rsa::geodesic(&v))?;
    Ok(vec_to_numpy(py, out))
}

/// Noise covariance (`precision=False`) or precision of residuals.
#[pyfunction]
#[pyo3(signature = (residuals, method, dof=None, precision=false))]
pub fn noise_covariance<'py>(
    py: Python<'py>,
    residuals: &Bound<'py, PyAny>,
    method: &str,
    dof: Option<f64>,
    precision: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let r = Input::from_py(residuals)?;
    let view = r.view();
    let out: Mat<f64> = enter_core(py, move || {
        let method = CovarianceMethod::from_name(method)?;
        if precision {
            covariance::noise_precision(view, method, dof)
        } else {
            covariance::noise_covariance(view, method, dof)
        }
    })?;
    Ok(matrix_to_numpy(py, out.as_ref()))
}

/// (lower, upper) noise ceiling of data RDMs (subjects × pairs).
#[pyfunction]
pub fn noise_ceiling(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    method: &str,
) -> PyResult<(f64, f64)> {
    let d = rows(&data)?;
    enter_core(py, move || {
        inference::noise_ceiling(&d, CompareMethod::from_name(method)?)
    })
}

fn summary_dict<'py>(
    py: Python<'py>,
    evaluations: &inference::SampleEvaluations,
    summary: &inference::EvaluationSummary,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("mean", summary.mean.clone())?;
    d.set_item("sem", summary.sem.clone())?;
    d.set_item("ci_low", summary.ci_low.clone())?;
    d.set_item("ci_high", summary.ci_high.clone())?;
    d.set_item("noise_ceiling", summary.noise_ceiling)?;
    d.set_item(
        "p_pairwise",
        matrix_to_numpy(py, summary.p_pairwise.as_ref()),
    )?;
    d.set_item("p_zero", summary.p_zero.clone())?;
    d.set_item("p_noise_ceiling", summary.p_noise_ceiling.clone())?;
    d.set_item(
        "p_pairwise_bootstrap",
        matrix_to_numpy(py, summary.p_pairwise_bootstrap.as_ref()),
    )?;
    d.set_item("p_zero_bootstrap", summary.p_zero_bootstrap.clone())?;
    d.set_item("dof", summary.dof)?;
    d.set_item("n_valid", summary.n_valid)?;
    d.set_item(
        "evaluations",
        matrix_to_numpy(py, evaluations.evaluations.as_ref()),
    )?;
    let nc = Mat::from_fn(2, evaluations.noise_ceiling.len(), |b, i| {
        let (lo, up) = evaluations.noise_ceiling[i];
        if b == 0 { lo } else { up }
    });
    d.set_item("noise_ceiling_samples", matrix_to_numpy(py, nc.as_ref()))?;
    Ok(d)
}

/// Bootstrap evaluation of model RDMs (models × pairs) against data RDMs
/// (subjects × pairs).
#[pyfunction]
#[pyo3(signature = (models, data, method, n, over, seed, ci))]
#[allow(clippy::too_many_arguments)]
pub fn rsa_bootstrap<'py>(
    py: Python<'py>,
    models: PyReadonlyArray2<'py, f64>,
    data: PyReadonlyArray2<'py, f64>,
    method: &str,
    n: usize,
    over: &str,
    seed: u64,
    ci: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, d) = (rows(&models)?, rows(&data)?);
    let (evaluations, summary) = enter_core(py, move || {
        let options = BootstrapOptions {
            method: CompareMethod::from_name(method)?,
            n,
            over: Resample::from_name(over)?,
            seed,
            ci,
        };
        inference::rsa_bootstrap(&m, &d, &options)
    })?;
    summary_dict(py, &evaluations, &summary)
}

/// Evaluates models on given samples (condition indices and/or RDM
/// indices per sample) and summarises with `n_effective` resampled units;
/// for reproducing another tool's draws exactly.
#[pyfunction]
#[pyo3(signature = (models, data, method, patterns, rdms, n_effective, ci=0.95))]
#[allow(clippy::too_many_arguments)]
pub fn rsa_evaluate_samples<'py>(
    py: Python<'py>,
    models: PyReadonlyArray2<'py, f64>,
    data: PyReadonlyArray2<'py, f64>,
    method: &str,
    patterns: Option<Vec<Vec<usize>>>,
    rdms: Option<Vec<Vec<usize>>>,
    n_effective: usize,
    ci: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let (m, d) = (rows(&models)?, rows(&data)?);
    let count = patterns.as_ref().or(rdms.as_ref()).map_or(0, Vec::len);
    let samples: Vec<Sample> = (0..count)
        .map(|i| Sample {
            patterns: patterns.as_ref().map(|p| {
                let mut s = p[i].clone();
                s.sort_unstable();
                s
            }),
            rdms: rdms.as_ref().map(|r| r[i].clone()),
        })
        .collect();
    let (evaluations, summary) = enter_core(py, move || {
        let method = CompareMethod::from_name(method)?;
        let evaluations = inference::evaluate_samples(&m, &d, method, &samples)?;
        let summary = inference::summarize(&evaluations, n_effective, ci)?;
        Ok((evaluations, summary))
    })?;
    summary_dict(py, &evaluations, &summary)
}

/// Classical MDS coordinates (conditions × dims) of one condensed RDM.
#[pyfunction]
#[pyo3(signature = (rdm, dims=2))]
pub fn mds<'py>(
    py: Python<'py>,
    rdm: PyReadonlyArray1<'py, f64>,
    dims: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let v = rdm.as_array().to_vec();
    let out = enter_core(py, move || repscope::rsa::mds::classical_mds(&v, dims))?;
    Ok(matrix_to_numpy(py, out.as_ref()))
}

/// Bar chart of model evaluations with error bars and a noise-ceiling band.
#[pyfunction]
#[pyo3(signature = (path, names, values, low, high, noise_ceiling, title, value_label))]
#[allow(clippy::too_many_arguments)]
pub fn plot_bars(
    py: Python<'_>,
    path: std::path::PathBuf,
    names: Vec<String>,
    values: Vec<f64>,
    low: Vec<f64>,
    high: Vec<f64>,
    noise_ceiling: Option<(f64, f64)>,
    title: String,
    value_label: String,
) -> PyResult<()> {
    enter_core(py, move || {
        repscope_plot::bars(
            &path,
            &repscope_plot::Bars {
                names: &names,
                values: &values,
                error_low: &low,
                error_high: &high,
                noise_ceiling,
                title: &title,
                value_label: &value_label,
            },
        )
    })
}

/// Weights of component RDMs (components × pairs) fitted to data RDMs.
#[pyfunction]
pub fn fit_weights(
    py: Python<'_>,
    components: PyReadonlyArray2<'_, f64>,
    data: PyReadonlyArray2<'_, f64>,
    method: &str,
    nonnegative: bool,
) -> PyResult<Vec<f64>> {
    let (c, d) = (rows(&components)?, rows(&data)?);
    enter_core(py, move || {
        repscope::rsa::models::fit_weights(&c, &d, CompareMethod::from_name(method)?, nonnegative)
    })
}

/// Cross-validated evaluation; each model is a 2-D array (one row for a
/// fixed model, components for a weighted one, as `weighted` says).
#[pyfunction]
pub fn rsa_crossval<'py>(
    py: Python<'py>,
    models: Vec<PyReadonlyArray2<'py, f64>>,
    weighted: Vec<bool>,
    data: PyReadonlyArray2<'py, f64>,
    method: &str,
    k: usize,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    use repscope::rsa::models::{ModelRdm, crossvalidate};
    let specs: Vec<ModelRdm> = models
        .iter()
        .zip(&weighted)
        .map(|(m, &w)| {
            let r = rows(m)?;
            Ok(if w {
                ModelRdm::Weighted(r.iter().map(|v| v.to_vec()).collect())
            } else {
                ModelRdm::Fixed(r.first().map(|v| v.to_vec()).unwrap_or_default())
            })
        })
        .collect::<PyResult<_>>()?;
    let d = rows(&data)?;
    let cv = enter_core(py, move || {
        crossvalidate(&specs, &d, CompareMethod::from_name(method)?, k, seed)
    })?;
    let out = PyDict::new(py);
    out.set_item("evaluations", cv.evaluations)?;
    out.set_item("weights", cv.weights)?;
    out.set_item("mean", cv.mean)?;
    out.set_item("sem", cv.sem)?;
    Ok(out)
}

/// Distinct labels (sorted as numbers when all are numbers) and codes.
#[pyfunction]
pub fn label_codes(labels: Vec<String>) -> (Vec<String>, Vec<usize>) {
    labels_to_codes(&labels)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rdm, m)?)?;
    m.add_function(wrap_pyfunction!(compare_rdms, m)?)?;
    m.add_function(wrap_pyfunction!(geotopological, m)?)?;
    m.add_function(wrap_pyfunction!(geodesic, m)?)?;
    m.add_function(wrap_pyfunction!(noise_covariance, m)?)?;
    m.add_function(wrap_pyfunction!(noise_ceiling, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_evaluate_samples, m)?)?;
    m.add_function(wrap_pyfunction!(label_codes, m)?)?;
    m.add_function(wrap_pyfunction!(mds, m)?)?;
    m.add_function(wrap_pyfunction!(plot_bars, m)?)?;
    m.add_function(wrap_pyfunction!(fit_weights, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_crossval, m)?)?;
    Ok(())
}
