//! Bindings of `repscope::rsa`: RDMs, comparisons, transforms, inference
//! and model RDMs; space and time in [`searchlight`] and [`movie`].

pub mod movie;
pub mod searchlight;

use faer::Mat;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::{
    Input, Pick, ToPy, descriptors_from, matrix_to_numpy, row_major, rows, vector,
};
use crate::errors::enter_core;
use crate::preflight::preflight;
use crate::results::{data_frame, py_result};
use repscope::data::labels::labels_to_codes;
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::files::{RdmSet, load_rdms, save_rdms};
use repscope::rsa::inference::{
    self, BootstrapOptions, EvaluationSummary, Resample, Sample, SampleEvaluations,
};
use repscope::rsa::models::{Crossval, ModelKind, ModelRdm, crossvalidate};
use repscope::rsa::{RdmMethod, RdmSpec};

py_result! {
    /// RDMs read from a file (``.npz`` or rsatoolbox's HDF5), with what the
    /// file said about them.
    PyRdmFile(RdmSet) as "RDMFile" in "repscope.rsa" {
        /// list of str: one name per RDM.
        names,
        /// ndarray (n_rdms, n_pairs): condensed RDMs, one per row.
        rdms,
        /// list of str or None: the condition labels.
        conditions,
        /// dict: rsatoolbox's ``descriptors``.
        descriptors,
        /// dict: rsatoolbox's ``rdm_descriptors`` other than ``name``/``index``.
        rdm_descriptors,
        /// dict: rsatoolbox's ``pattern_descriptors`` other than ``conditions``/``index``.
        pattern_descriptors,
        /// str or None: the dissimilarity measure.
        dissimilarity_measure,
    }
}

/// Reads RDMs from ``.npz``/``.npy`` or rsatoolbox's HDF5.
#[pyfunction]
fn read_rdms(py: Python<'_>, path: std::path::PathBuf) -> PyResult<PyRdmFile> {
    enter_core(py, || load_rdms(&path)).map(PyRdmFile)
}

/// Writes RDMs as ``.npz`` or rsatoolbox's HDF5.
#[pyfunction]
#[pyo3(signature = (path, rdms, names, conditions=None, dissimilarity_measure=None, descriptors=None, rdm_descriptors=None, pattern_descriptors=None))]
#[allow(clippy::too_many_arguments)]
fn write_rdms(
    py: Python<'_>,
    path: std::path::PathBuf,
    rdms: PyReadonlyArray2<'_, f64>,
    names: Vec<String>,
    conditions: Option<Vec<String>>,
    dissimilarity_measure: Option<String>,
    descriptors: Option<&Bound<'_, pyo3::types::PyDict>>,
    rdm_descriptors: Option<&Bound<'_, pyo3::types::PyDict>>,
    pattern_descriptors: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<()> {
    let set = RdmSet {
        names,
        rdms: rdms.as_array().outer_iter().map(|r| r.to_vec()).collect(),
        conditions,
        descriptors: descriptors_from(descriptors)?,
        rdm_descriptors: descriptors_from(rdm_descriptors)?,
        pattern_descriptors: descriptors_from(pattern_descriptors)?,
        dissimilarity_measure,
    };
    enter_core(py, || save_rdms(&path, &set))
}

/// Condition or fold labels as codes.
pub fn codes(labels: Option<Vec<String>>) -> Option<Vec<usize>> {
    labels.map(|l| labels_to_codes(&l).1)
}

/// Condensed RDM of the rows of `x`; with `estimate`, its predicted peak
/// memory and time instead (an `Estimate`), and without `force` a refusal
/// when the prediction exceeds the memory available.
#[pyfunction]
#[pyo3(signature = (x, method, precision=None, conditions=None, folds=None, prior_lambda=1.0, prior_weight=0.1, estimate=false, force=false, undefined_as_nan=false, fold_precisions=None))]
#[allow(clippy::too_many_arguments)]
fn rdm<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    method: Pick<RdmMethod>,
    precision: Option<&Bound<'py, PyAny>>,
    conditions: Option<Vec<String>>,
    folds: Option<Vec<String>>,
    prior_lambda: f64,
    prior_weight: f64,
    estimate: bool,
    force: bool,
    undefined_as_nan: bool,
    fold_precisions: Option<numpy::PyReadonlyArray3<'py, f64>>,
) -> PyResult<Bound<'py, PyAny>> {
    // One precision per fold: folds × channels × channels.
    let per_fold: Option<Vec<Mat<f64>>> = fold_precisions.map(|a| {
        a.as_array()
            .outer_iter()
            .map(|m| Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)]))
            .collect()
    });
    let per_fold_refs: Option<Vec<faer::MatRef<'_, f64>>> = per_fold
        .as_ref()
        .map(|v| v.iter().map(Mat::as_ref).collect());
    let x = Input::from_py(x)?;
    let precision = precision.map(Input::from_py).transpose()?;
    let (xv, pv) = (x.view(), precision.as_ref().map(Input::view));
    let (condition_codes, fold_codes) = (codes(conditions), codes(folds));
    let spec = RdmSpec {
        method: method.0,
        precision: pv,
        conditions: condition_codes.as_deref(),
        folds: fold_codes.as_deref(),
        prior_lambda,
        prior_weight,
        fold_precisions: per_fold_refs.as_deref(),
        undefined_as_nan,
    };
    let mut prediction = repscope::rsa::estimate_rdm(xv.nrows(), xv.ncols(), &spec);
    for (what, input) in [("data", Some(&x)), ("precision", precision.as_ref())] {
        if let Some(bytes) = input.map(Input::copy_bytes).filter(|&b| b > 0) {
            prediction.add(format!("float64 copy of the {what}"), bytes);
        }
    }
    if let Some(e) = preflight(py, prediction, estimate, force)? {
        return Ok(e);
    }
    let result = enter_core(py, move || repscope::rsa::rdm(xv, &spec))?;
    Ok(vector(py, result).into_any())
}

/// The k_a × k_b matrix of dissimilarities between the patterns of two
/// sets (rows of `a` and of `b`).
#[pyfunction]
#[pyo3(signature = (a, b, method, precision=None))]
fn cross_rdm<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
    method: Pick<RdmMethod>,
    precision: Option<PyReadonlyArray2<'py, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (av, bv) = (row_major(&a)?, row_major(&b)?);
    let pv = precision.as_ref().map(row_major).transpose()?;
    let out = enter_core(py, move || {
        repscope::rsa::cross::cross_rdm(av, bv, method.0, pv)
    })?;
    Ok(matrix_to_numpy(py, out.as_ref()))
}

/// The RDM of an unbalanced design (rows of `x` with condition codes, any
/// number per condition, NaN for missing channels).
#[pyfunction]
#[pyo3(signature = (x, conditions, precision=None, folds=None, equal_weighting=false, similarity="inner", prior_lambda=1.0, prior_weight=0.1))]
#[allow(clippy::too_many_arguments)]
fn rdm_unbalanced<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    conditions: Vec<String>,
    precision: Option<PyReadonlyArray2<'py, f64>>,
    folds: Option<Vec<String>>,
    equal_weighting: bool,
    similarity: &str,
    prior_lambda: f64,
    prior_weight: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    use repscope::rsa::unbalanced::{Similarity, UnbalancedSpec, Weighting};
    let similarity = match similarity {
        "correlation" => Similarity::Correlation,
        "poisson" => Similarity::Poisson {
            prior_lambda,
            prior_weight,
        },
        _ => Similarity::Inner,
    };
    let xv = row_major(&x)?;
    let pv = precision.as_ref().map(row_major).transpose()?;
    let fold_codes = codes(folds);
    let (names, condition_codes) = labels_to_codes(&conditions);
    let out = enter_core(py, move || {
        let spec = UnbalancedSpec {
            similarity,
            precision: pv,
            folds: fold_codes.as_deref(),
            weighting: if equal_weighting {
                Weighting::Equal
            } else {
                Weighting::Number
            },
        };
        repscope::rsa::unbalanced::rdm_unbalanced(xv, &condition_codes, names.len(), &spec)
    })?;
    Ok(vector(py, out))
}

/// Every RDM of `a` (k₁ × pairs) against every RDM of `b` (k₂ × pairs).
#[pyfunction]
#[pyo3(signature = (a, b, compare, sigma_k=None))]
fn compare_rdms<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f64>,
    b: PyReadonlyArray2<'py, f64>,
    compare: Pick<CompareMethod>,
    sigma_k: Option<PyReadonlyArray1<'py, f64>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (ra, rb) = (rows(&a)?, rows(&b)?);
    let sigma: Option<Vec<f64>> = sigma_k.map(|s| s.as_array().to_vec());
    let values = enter_core(py, move || {
        repscope::rsa::compare(&ra, &rb, compare.0, sigma.as_deref())
    })?;
    Ok(matrix_to_numpy(py, values.as_ref()))
}

/// Geo-topological transform of one condensed RDM.
#[pyfunction]
fn geotopological<'py>(
    py: Python<'py>,
    rdm: PyReadonlyArray1<'py, f64>,
    low: f64,
    up: f64,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let v = rdm.as_array().to_vec();
    let out = enter_core(py, move || repscope::rsa::geotopological(&v, low, up))?;
    Ok(vector(py, out))
}

/// One of the elementwise transforms of one condensed RDM: "rank",
/// "sqrt", "positive" or "minmax".
#[pyfunction]
fn rdm_transform<'py>(
    py: Python<'py>,
    kind: &str,
    rdm: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    use repscope::rsa::transform::{
        minmax_transform, positive_transform, rank_transform, sqrt_transform,
    };
    let v = rdm.as_array().to_vec();
    let kind = kind.to_string();
    let out = enter_core(py, move || match kind.as_str() {
        "rank" => rank_transform(&v),
        "sqrt" => sqrt_transform(&v),
        "positive" => positive_transform(&v),
        "minmax" => minmax_transform(&v),
        other => Err(repscope::Error::InvalidParameter {
            measure: "RDM transform".into(),
            detail: format!("unknown transform '{other}'; use rank, sqrt, positive or minmax"),
        }),
    })?;
    Ok(vector(py, out))
}

/// The pooled RDM of `rdms` (k × pairs) for a comparison method (`None`:
/// the plain mean).
#[pyfunction]
#[pyo3(signature = (rdms, compare=None))]
fn pool_rdm<'py>(
    py: Python<'py>,
    rdms: PyReadonlyArray2<'py, f64>,
    compare: Option<Pick<CompareMethod>>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let r = rows(&rdms)?;
    let method = compare.map(|c| c.0);
    let out = enter_core(py, move || repscope::rsa::pool::pool_rdms(&r, method))?;
    Ok(vector(py, out))
}

/// Geodesic transform of one condensed RDM.
#[pyfunction]
fn geodesic<'py>(
    py: Python<'py>,
    rdm: PyReadonlyArray1<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let v = rdm.as_array().to_vec();
    let out = enter_core(py, move || repscope::rsa::geodesic(&v))?;
    Ok(vector(py, out))
}

/// (lower, upper) noise ceiling of data RDMs (subjects × pairs).
#[pyfunction]
fn noise_ceiling(
    py: Python<'_>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
) -> PyResult<(f64, f64)> {
    let d = rows(&data)?;
    enter_core(py, move || inference::noise_ceiling(&d, compare.0))
}

/// Bootstrap evaluation of models, as returned by :func:`repscope.rsa_bootstrap`.
///
/// ``to_pandas()`` gives one row per model (needs pandas); ``plot(path)``
/// draws the evaluations with the noise ceiling.
///
/// Attributes: ``mean``, ``sem``, ``ci_low``, ``ci_high`` (n_models,);
/// ``noise_ceiling`` (lower, upper); ``p_pairwise`` (n_models, n_models),
/// two-sided t-tests; ``p_zero`` (n_models,), one-sided against 0;
/// ``p_noise_ceiling`` (n_models,), two-sided against the lower bound;
/// ``p_pairwise_bootstrap``, ``p_zero_bootstrap`` (rsatoolbox's
/// ``test_type="bootstrap"``); ``p_noise_ceiling_zero`` and
/// ``p_noise_ceiling_zero_bootstrap``, one-sided p-values of the lower noise
/// ceiling against 0 (is there reliable structure to explain?); ``evaluations`` (n_samples, n_models), NaN
/// rows for invalid samples; ``noise_ceiling_samples`` (2, n_samples);
/// ``dof``, ``n_valid``; ``names`` (the models); ``method`` (the comparison).
#[pyclass(frozen, name = "RSAResult", module = "repscope.rsa")]
pub struct PyRsaResult {
    evaluations: SampleEvaluations,
    summary: EvaluationSummary,
    names: Vec<String>,
    method: CompareMethod,
}

/// One `#[pymethods]` block (pyo3 allows one per class): a getter per
/// summary field, then the hand-written methods.
macro_rules! rsa_result_methods {
    ([$($field:ident),*] $($methods:tt)*) => {
        #[pymethods]
        impl PyRsaResult {
            $(
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    self.summary.$field.to_py(py)
                }
            )*
            $($methods)*
        }
    };
}

rsa_result_methods!([
    mean,
    sem,
    ci_low,
    ci_high,
    noise_ceiling,
    p_pairwise,
    p_zero,
    p_noise_ceiling,
    p_pairwise_bootstrap,
    p_zero_bootstrap,
    p_noise_ceiling_zero,
    p_noise_ceiling_zero_bootstrap,
    dof,
    n_valid
]
    #[getter]
    fn evaluations<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        matrix_to_numpy(py, self.evaluations.evaluations.as_ref())
    }

    #[getter]
    fn noise_ceiling_samples<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        let nc = &self.evaluations.noise_ceiling;
        let m = Mat::from_fn(2, nc.len(), |b, i| if b == 0 { nc[i].0 } else { nc[i].1 });
        matrix_to_numpy(py, m.as_ref())
    }

    #[getter]
    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    #[getter]
    fn method(&self) -> &'static str {
        self.method.name()
    }

    fn __repr__(&self) -> String {
        let s = &self.summary;
        let mut lines = vec![format!(
            "RSAResult({}, {} models, {} valid samples)",
            self.method.name(),
            self.names.len(),
            s.n_valid
        )];
        let (lo, up) = s.noise_ceiling;
        lines.push(format!("  noise ceiling: [{lo:.4}, {up:.4}]"));
        for (i, n) in self.names.iter().enumerate() {
            lines.push(format!(
                "  {n}: {:.4} +/- {:.4}  CI [{:.4}, {:.4}]  p(>0) = {:.3}",
                s.mean[i], s.sem[i], s.ci_low[i], s.ci_high[i], s.p_zero[i]
            ));
        }
        lines.join("\n")
    }

    /// One row per model: mean, sem, CI, p-values (needs pandas).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = &self.summary;
        data_frame(
            py,
            vec![
                ("model", self.names.to_py(py)?),
                ("mean", s.mean.to_py(py)?),
                ("sem", s.sem.to_py(py)?),
                ("ci_low", s.ci_low.to_py(py)?),
                ("ci_high", s.ci_high.to_py(py)?),
                ("p_zero", s.p_zero.to_py(py)?),
                ("p_zero_bootstrap", s.p_zero_bootstrap.to_py(py)?),
                ("p_noise_ceiling", s.p_noise_ceiling.to_py(py)?),
                (
                    "noise_ceiling_lower",
                    vec![s.noise_ceiling.0; self.names.len()].to_py(py)?,
                ),
                (
                    "noise_ceiling_upper",
                    vec![s.noise_ceiling.1; self.names.len()].to_py(py)?,
                ),
                ("n_valid", vec![s.n_valid; self.names.len()].to_py(py)?),
            ],
        )
    }

    /// Bars of the model evaluations with their confidence intervals,
    /// stars for the test against zero, and the noise ceiling as a grey
    /// band (``.png`` or ``.svg``).
    fn plot(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let chart = self.chart();
        enter_core(py, || chart.write(&path))
    }

    /// The bar chart as JSON (for ``rs.report``).
    fn _chart_json(&self) -> String {
        serde_json::to_string(&self.chart()).unwrap_or_default()
    }

    /// The notebook view: the bar chart and its table.
    fn _repr_html_(&self, py: Python<'_>) -> PyResult<String> {
        crate::report::chart_html(py, "RSA model evaluation", self.chart())
    }

);

impl PyRsaResult {
    fn chart(&self) -> repscope_plot::Chart {
        repscope_plot::results::model_evaluation(
            &self.names,
            &self.summary,
            self.method.name(),
            self.summary.n_valid,
        )
    }
}

fn model_names(names: Option<Vec<String>>, n: usize) -> Vec<String> {
    names.unwrap_or_else(|| (0..n).map(|i| format!("model{i}")).collect())
}

/// Bootstrap evaluation of model RDMs (models × pairs) against data RDMs
/// (subjects × pairs).
#[pyfunction]
#[pyo3(signature = (models, data, compare, n_boot, over, seed, ci, names=None))]
#[allow(clippy::too_many_arguments)]
fn rsa_bootstrap(
    py: Python<'_>,
    models: PyReadonlyArray2<'_, f64>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
    n_boot: usize,
    over: Pick<Resample>,
    seed: u64,
    ci: f64,
    names: Option<Vec<String>>,
) -> PyResult<PyRsaResult> {
    let (m, d) = (rows(&models)?, rows(&data)?);
    let n_models = m.len();
    let options = BootstrapOptions {
        method: compare.0,
        n_boot,
        over: over.0,
        seed,
        ci,
    };
    let (evaluations, summary) =
        enter_core(py, move || inference::rsa_bootstrap(&m, &d, &options))?;
    Ok(PyRsaResult {
        evaluations,
        summary,
        names: model_names(names, n_models),
        method: compare.0,
    })
}

/// Evaluates models on given samples (condition indices and/or RDM
/// indices per sample) and summarises with `n_effective` resampled units;
/// for reproducing another tool's draws exactly.
#[pyfunction]
#[pyo3(signature = (models, data, compare, patterns, rdms, n_effective, ci=0.95))]
#[allow(clippy::too_many_arguments)]
fn rsa_evaluate_samples(
    py: Python<'_>,
    models: PyReadonlyArray2<'_, f64>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
    patterns: Option<Vec<Vec<usize>>>,
    rdms: Option<Vec<Vec<usize>>>,
    n_effective: usize,
    ci: f64,
) -> PyResult<PyRsaResult> {
    let (m, d) = (rows(&models)?, rows(&data)?);
    let n_models = m.len();
    let count = patterns.as_ref().or(rdms.as_ref()).map_or(0, Vec::len);
    let samples: Vec<Sample> = (0..count)
        .map(|i| {
            Sample::new(
                patterns.as_ref().map(|p| p[i].clone()),
                rdms.as_ref().map(|r| r[i].clone()),
            )
        })
        .collect();
    let method = compare.0;
    let (evaluations, summary) = enter_core(py, move || {
        let evaluations = inference::evaluate_samples(&m, &d, method, &samples)?;
        // The per-sample values stand on their own: with fewer than 2 valid
        // samples the summary is NaN instead of an error.
        let valid = (0..evaluations.evaluations.nrows())
            .filter(|&i| evaluations.evaluations[(i, 0)].is_finite())
            .count();
        let summary = if valid < 2 {
            inference::EvaluationSummary::undefined(&evaluations)
        } else {
            inference::summarize(&evaluations, n_effective, ci)?
        };
        Ok((evaluations, summary))
    })?;
    Ok(PyRsaResult {
        evaluations,
        summary,
        names: model_names(None, n_models),
        method,
    })
}

/// Classical MDS coordinates (conditions × dims) of one condensed RDM.
#[pyfunction]
#[pyo3(signature = (rdm, dims=2))]
fn mds<'py>(
    py: Python<'py>,
    rdm: PyReadonlyArray1<'py, f64>,
    dims: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let v = rdm.as_array().to_vec();
    let out = enter_core(py, move || repscope::rsa::mds::classical_mds(&v, dims))?;
    Ok(matrix_to_numpy(py, out.as_ref()))
}

/// Weights of component RDMs (components × pairs) fitted to data RDMs.
#[pyfunction]
#[pyo3(signature = (components, data, compare, nonnegative, normalize=true, sigma_k=None))]
fn fit_weights(
    py: Python<'_>,
    components: PyReadonlyArray2<'_, f64>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
    nonnegative: bool,
    normalize: bool,
    sigma_k: Option<Vec<f64>>,
) -> PyResult<Vec<f64>> {
    let (c, d) = (rows(&components)?, rows(&data)?);
    enter_core(py, move || {
        let options = repscope::rsa::models::FitOptions {
            nonnegative,
            normalize,
            sigma_k: sigma_k.as_deref(),
        };
        repscope::rsa::fitting::fit_weighted(&c, &d, compare.0, &options)
    })
}

/// The parameters of an interpolation (`kind` "interpolate") or selection
/// ("select") model over `rdms`, fitted to the data RDMs.
#[pyfunction]
fn fit_flexible(
    py: Python<'_>,
    kind: Pick<ModelKind>,
    rdms: PyReadonlyArray2<'_, f64>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
) -> PyResult<Vec<f64>> {
    let (r, d) = (rows(&rdms)?, rows(&data)?);
    enter_core(py, move || match kind.0 {
        ModelKind::Interpolate => repscope::rsa::fitting::fit_interpolate(&r, &d, compare.0),
        ModelKind::Select => repscope::rsa::fitting::fit_select(&r, &d, compare.0),
        other => Err(repscope::Error::InvalidParameter {
            measure: "fit_flexible".into(),
            detail: format!("'{}' models are not fitted here", other.name()),
        }),
    })
}

/// Cross-validated evaluation of models over condition folds, from
/// :func:`repscope.rsa_crossval`: ``names``, ``evaluations`` (folds,
/// models), ``mean`` and ``sem`` (models,), and ``weights`` (per fold, the
/// fitted weights of each model; empty for fixed models).
#[pyclass(frozen, name = "CrossValidation", module = "repscope.rsa")]
pub struct PyCrossValidation {
    cv: Crossval,
    names: Vec<String>,
}

#[pymethods]
impl PyCrossValidation {
    #[getter]
    fn names(&self) -> Vec<String> {
        self.names.clone()
    }

    #[getter]
    fn evaluations<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let e = &self.cv.evaluations;
        let cols = self.names.len();
        let flat: Vec<f64> = e.iter().flatten().copied().collect();
        Ok(crate::convert::grid(py, e.len(), cols, flat)?.into_any())
    }

    #[getter]
    fn mean<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.cv.mean.to_py(py)
    }

    #[getter]
    fn sem<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.cv.sem.to_py(py)
    }

    #[getter]
    fn weights(&self) -> Vec<Vec<Vec<f64>>> {
        self.cv.weights.clone()
    }

    /// (lower, upper) noise ceiling, averaged over the folds' held-out
    /// conditions.
    #[getter]
    fn noise_ceiling(&self) -> (f64, f64) {
        let nc = &self.cv.noise_ceiling;
        let k = nc.len().max(1) as f64;
        (
            nc.iter().map(|c| c.0).sum::<f64>() / k,
            nc.iter().map(|c| c.1).sum::<f64>() / k,
        )
    }

    /// The noise ceiling of each fold, folds × 2 (lower, upper).
    #[getter]
    fn noise_ceiling_folds(&self) -> Vec<(f64, f64)> {
        self.cv.noise_ceiling.clone()
    }

    /// The held-out conditions of each fold.
    #[getter]
    fn test_conditions(&self) -> Vec<Vec<usize>> {
        self.cv.test_conditions.clone()
    }

    /// The result as a dict (``names``, ``mean``, ``sem``, ``evaluations``,
    /// ``weights``), the form repscope returned before this class.
    fn __getitem__<'py>(&self, py: Python<'py>, key: &str) -> PyResult<Bound<'py, PyAny>> {
        match key {
            "names" => Ok(self.names().into_pyobject(py)?.into_any()),
            "mean" => self.mean(py),
            "sem" => self.sem(py),
            "evaluations" => self.evaluations(py),
            "weights" => Ok(self.weights().into_pyobject(py)?.into_any()),
            other => Err(pyo3::exceptions::PyKeyError::new_err(other.to_string())),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "CrossValidation({} models, {} folds)",
            self.names.len(),
            self.cv.evaluations.len()
        )
    }
}

/// Cross-validated evaluation; each model is a 2-D array (one row for a
/// fixed model, the RDMs of a flexible one, as `kinds` says).
#[pyfunction]
#[pyo3(signature = (models, kinds, data, compare, k, seed, names))]
#[allow(clippy::too_many_arguments)]
fn rsa_crossval(
    py: Python<'_>,
    models: Vec<PyReadonlyArray2<'_, f64>>,
    kinds: Vec<Pick<ModelKind>>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
    k: usize,
    seed: u64,
    names: Vec<String>,
) -> PyResult<PyCrossValidation> {
    let specs = model_specs(&models, &kinds)?;
    let d = rows(&data)?;
    let cv = enter_core(py, move || crossvalidate(&specs, &d, compare.0, k, seed))?;
    Ok(PyCrossValidation { cv, names })
}

/// Bootstrap cross-validation on given samples: for each, the drawn
/// conditions and data RDMs; `test_sets[repetition][sample]` the folds'
/// held-out conditions; `correct` corrects the covariance for the fold
/// assignments (with several repetitions).
#[pyfunction]
#[pyo3(signature = (models, kinds, data, compare, patterns, rdms, test_sets, correct, n_effective, ci, names))]
#[allow(clippy::too_many_arguments)]
fn rsa_bootstrap_crossval(
    py: Python<'_>,
    models: Vec<PyReadonlyArray2<'_, f64>>,
    kinds: Vec<Pick<ModelKind>>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
    patterns: Vec<Vec<usize>>,
    rdms: Vec<Vec<usize>>,
    test_sets: Vec<Vec<Vec<Vec<usize>>>>,
    correct: bool,
    n_effective: usize,
    ci: f64,
    names: Vec<String>,
) -> PyResult<PyRsaResult> {
    use repscope::rsa::bootcv::bootstrap_crossvalidate_repeated;
    let specs = model_specs(&models, &kinds)?;
    let d = rows(&data)?;
    let repetitions = crossval_samples(&patterns, &rdms, test_sets);
    let method = compare.0;
    let (evaluations, summary) = enter_core(py, move || {
        let repeated = bootstrap_crossvalidate_repeated(&specs, &d, method, &repetitions)?;
        let spread = inference::Spread::Covariance(repeated.covariance(&repeated.valid(), correct));
        let summary = inference::summarize_with(&repeated.mean, &spread, n_effective, ci)?;
        Ok((repeated.mean, summary))
    })?;
    Ok(PyRsaResult {
        evaluations,
        summary,
        names,
        method,
    })
}

/// One repetition's samples per entry of `test_sets` (`[repetition]
/// [sample][fold]`), all on the same draws.
fn crossval_samples(
    patterns: &[Vec<usize>],
    rdms: &[Vec<usize>],
    test_sets: Vec<Vec<Vec<Vec<usize>>>>,
) -> Vec<Vec<repscope::rsa::bootcv::CrossvalSample>> {
    test_sets
        .into_iter()
        .map(|rep| {
            patterns
                .iter()
                .zip(rdms)
                .zip(rep)
                .map(
                    |((p, r), test_sets)| repscope::rsa::bootcv::CrossvalSample {
                        patterns: p.clone(),
                        rdms: r.clone(),
                        test_sets,
                    },
                )
                .collect()
        })
        .collect()
}

/// One bootstrap kind's folds: `[repetition][sample][fold]`, held-out
/// conditions.
type FoldsOfKind = Vec<Vec<Vec<Vec<usize>>>>;

/// The dual bootstrap on given draws (conditions and data RDMs per
/// sample); `folds[kind][repetition][sample]` (kinds: both, data RDMs,
/// conditions) cross-validates each bootstrap, `None` evaluates fixed
/// models directly.
#[pyfunction]
#[pyo3(signature = (models, kinds, data, compare, patterns, rdms, folds, correct, ci, names))]
#[allow(clippy::too_many_arguments)]
fn rsa_dual_bootstrap(
    py: Python<'_>,
    models: Vec<PyReadonlyArray2<'_, f64>>,
    kinds: Vec<Pick<ModelKind>>,
    data: PyReadonlyArray2<'_, f64>,
    compare: Pick<CompareMethod>,
    patterns: Vec<Vec<usize>>,
    rdms: Vec<Vec<usize>>,
    folds: Option<Vec<FoldsOfKind>>,
    correct: bool,
    ci: f64,
    names: Vec<String>,
) -> PyResult<PyRsaResult> {
    use repscope::rsa::dual::{DualDraws, DualFolds, dual_bootstrap};
    let specs = model_specs(&models, &kinds)?;
    let d = rows(&data)?;
    let draws = DualDraws { patterns, rdms };
    let method = compare.0;
    let (evaluations, summary) =
        enter_core(py, move || {
            let folds: Option<DualFolds> =
                match folds {
                    None => None,
                    Some(f) => Some(f.try_into().map_err(|f: Vec<_>| {
                        repscope::Error::InvalidParameter {
                            measure: "dual bootstrap".into(),
                            detail: format!(
                                "folds for 3 bootstrap kinds are needed, got {}",
                                f.len()
                            ),
                        }
                    })?),
                };
            let dual = dual_bootstrap(&specs, &d, method, &draws, folds.as_ref(), correct)?;
            let summary = dual.summarize(ci)?;
            Ok((dual.stacked, summary))
        })?;
    Ok(PyRsaResult {
        evaluations,
        summary,
        names,
        method,
    })
}

/// Models of each kind: one row for a fixed model, the RDMs it combines
/// for a flexible one.
fn model_specs(
    models: &[PyReadonlyArray2<'_, f64>],
    kinds: &[Pick<ModelKind>],
) -> PyResult<Vec<ModelRdm>> {
    models
        .iter()
        .zip(kinds)
        .map(|(m, kind)| {
            let r = rows(m)?;
            Ok(ModelRdm::of_kind(
                kind.0,
                r.iter().map(|v| v.to_vec()).collect(),
            ))
        })
        .collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRsaResult>()?;
    m.add_function(wrap_pyfunction!(rsa_bootstrap_crossval, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_dual_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(fit_flexible, m)?)?;
    m.add_class::<PyRdmFile>()?;
    m.add_function(wrap_pyfunction!(read_rdms, m)?)?;
    m.add_function(wrap_pyfunction!(write_rdms, m)?)?;
    m.add_class::<PyCrossValidation>()?;
    m.add_function(wrap_pyfunction!(rdm, m)?)?;
    m.add_function(wrap_pyfunction!(compare_rdms, m)?)?;
    m.add_function(wrap_pyfunction!(geotopological, m)?)?;
    m.add_function(wrap_pyfunction!(geodesic, m)?)?;
    m.add_function(wrap_pyfunction!(rdm_transform, m)?)?;
    m.add_function(wrap_pyfunction!(pool_rdm, m)?)?;
    m.add_function(wrap_pyfunction!(rdm_unbalanced, m)?)?;
    m.add_function(wrap_pyfunction!(cross_rdm, m)?)?;
    m.add_function(wrap_pyfunction!(noise_ceiling, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_bootstrap, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_evaluate_samples, m)?)?;
    m.add_function(wrap_pyfunction!(mds, m)?)?;
    m.add_function(wrap_pyfunction!(fit_weights, m)?)?;
    m.add_function(wrap_pyfunction!(rsa_crossval, m)?)?;
    searchlight::register(m)?;
    movie::register(m)?;
    Ok(())
}
