//! Bindings of `repscope::encode`: cross-validated ridge for many targets,
//! banded ridge, fixed-α ridge and its predictions, per-target scores,
//! reverse encoding, folds, and noise ceilings. Fits travel as the core's
//! structs; `repscope.encode` wraps them in scikit-learn estimators.

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, inputs, matrix_to_numpy, vector};
use crate::errors::enter_core;
use crate::preflight::preflight;
use crate::results::py_result;
use repscope::encode::banded::{self, BandedFit, Candidates};
use repscope::encode::folds::Split;
use repscope::encode::noise_ceiling::{self, Reliability};
use repscope::encode::preflight::estimate_ridge_cv;
use repscope::encode::ridge::{self, RidgeCvOptions, RidgeFit, Score, Solver};

/// (train, test) index lists per fold, as they arrive from Python.
type Folds = Vec<(Vec<usize>, Vec<usize>)>;

py_result! {
    /// A cross-validated ridge fit (one penalty per target or shared).
    PyRidgeFit(RidgeFit) as "RidgeFit" in "repscope.encode" {
        /// ndarray (features, targets).
        coef,
        /// ndarray (targets,).
        intercept,
        /// ndarray (targets,): the selected penalty of each target.
        best_alphas,
        /// ndarray (targets,): mean CV score at the selected penalty.
        cv_scores,
        /// ndarray (alphas, targets): mean CV score of every penalty.
        alpha_scores,
        /// bool: whether the kernel path was used.
        kernel,
    }
}

py_result! {
    /// A banded ridge fit: one penalty per feature space.
    PyBandedFit(BandedFit) as "BandedFit" in "repscope.encode" {
        /// ndarray (all features, targets), on the unscaled features.
        coef,
        /// ndarray (targets,).
        intercept,
        /// ndarray (spaces, targets): ln(gamma_k / alpha).
        deltas,
        /// ndarray (targets,) int64: the selected candidate of each target.
        best_gamma,
        /// ndarray (targets,).
        best_alphas,
        /// ndarray (candidates, targets).
        cv_scores,
        /// ndarray (candidates, spaces): the candidate weightings.
        gammas,
    }
}

py_result! {
    /// Split-half reliability per target: ``ceiling`` (Spearman-Brown
    /// corrected) and ``split_half`` (the mean split-half Pearson r).
    PyReliability(Reliability) as "Reliability" in "repscope.encode" {
        /// ndarray (targets,): Spearman-Brown corrected split-half reliability.
        ceiling,
        /// ndarray (targets,): mean split-half Pearson r before correction.
        split_half,
    }
}

/// A linear model as numpy arrays: (features × targets, targets).
type CoefAndIntercept<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

fn splits(folds: Folds) -> Vec<Split> {
    folds.into_iter().map(Split::from).collect()
}

/// Cross-validated ridge. `folds`: (train, test) index lists per fold.
/// With `estimate`, its predicted peak memory and time instead (an
/// `Estimate`); without `force`, a refusal past the memory available.
#[pyfunction]
#[pyo3(signature = (x, y, alphas, folds, per_target, fit_intercept, score, solver, target_batch, estimate=false, force=false))]
#[allow(clippy::too_many_arguments)]
fn ridge_cv<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    alphas: Vec<f64>,
    folds: Folds,
    per_target: bool,
    fit_intercept: bool,
    score: Pick<Score>,
    solver: Pick<Solver>,
    target_batch: Option<usize>,
    estimate: bool,
    force: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let options = RidgeCvOptions {
        alphas,
        splits: splits(folds),
        per_target,
        fit_intercept,
        score: score.0,
        solver: solver.0,
        target_batch,
    };
    let mut prediction = estimate_ridge_cv(xv.nrows(), xv.ncols(), yv.ncols(), &options, true);
    for (what, input) in [("features", &x), ("targets", &y)] {
        let bytes = input.copy_bytes();
        if bytes > 0 {
            prediction.add(format!("float64 copy of the {what}"), bytes);
        }
    }
    if let Some(e) = preflight(py, prediction, estimate, force)? {
        return Ok(e);
    }
    let fit = enter_core(py, move || ridge::ridge_cv(xv, yv, &options))?;
    Ok(Bound::new(py, PyRidgeFit(fit))?.into_any())
}

/// Ridge with one α or one α per target: (coef, intercept).
#[pyfunction]
fn ridge_fit<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    alphas: Vec<f64>,
    fit_intercept: bool,
    solver: Pick<Solver>,
) -> PyResult<CoefAndIntercept<'py>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let (coef, intercept) = enter_core(py, move || {
        ridge::ridge(xv, yv, &alphas, fit_intercept, solver.0)
    })?;
    Ok((matrix_to_numpy(py, coef.as_ref()), vector(py, intercept)))
}

/// Predictions `x · coef + intercept` of a linear model (samples × targets).
#[pyfunction]
fn linear_predict<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    coef: &Bound<'py, PyAny>,
    intercept: Vec<f64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (x, coef) = (Input::from_py(x)?, Input::from_py(coef)?);
    let (xv, cv) = (x.view(), coef.view());
    let out = enter_core(py, move || ridge::predict(xv, cv, &intercept))?;
    Ok(matrix_to_numpy(py, out.as_ref()))
}

/// Per-target scores ("r2", "pearson", "neg_mse") of predictions.
#[pyfunction]
fn regression_scores<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    predictions: &Bound<'py, PyAny>,
    score: Pick<Score>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (y, p) = (Input::from_py(y)?, Input::from_py(predictions)?);
    let (yv, pv) = (y.view(), p.view());
    let s = enter_core(py, move || {
        repscope::data::check_finite("targets", yv)?;
        repscope::data::check_finite("predictions", pv)?;
        ridge::scores(yv, pv, score.0)
    })?;
    Ok(vector(py, s))
}

/// Banded ridge over several feature spaces. `gammas` (candidates ×
/// spaces) or, when None, `n_iter` seeded Dirichlet candidates with the
/// given concentrations.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn banded_ridge_cv<'py>(
    py: Python<'py>,
    spaces: Vec<Bound<'py, PyAny>>,
    y: &Bound<'py, PyAny>,
    alphas: Vec<f64>,
    folds: Folds,
    gammas: Option<&Bound<'py, PyAny>>,
    n_iter: usize,
    concentration: Vec<f64>,
    seed: u64,
    fit_intercept: bool,
    score: Pick<Score>,
    solver: Pick<Solver>,
) -> PyResult<PyBandedFit> {
    let spaces = inputs(&spaces)?;
    let views: Vec<faer::MatRef<'_, f64>> = spaces.iter().map(Input::view).collect();
    let y = Input::from_py(y)?;
    let yv = y.view();
    let given = gammas.map(Input::from_py).transpose()?;
    let given_view = given.as_ref().map(Input::view);
    let options = RidgeCvOptions {
        alphas,
        splits: splits(folds),
        per_target: true,
        fit_intercept,
        score: score.0,
        solver: solver.0,
        target_batch: None,
    };
    let fit = enter_core(py, move || {
        let candidates = match given_view {
            Some(g) => Candidates::Given(g),
            None => Candidates::Dirichlet {
                n: n_iter,
                concentrations: &concentration,
                seed,
            },
        };
        banded::banded_ridge_search(&views, yv, candidates, &options)
    })?;
    Ok(PyBandedFit(fit))
}

/// Per representation: explained and unique variance per feature, total.
type VarianceRow = (Vec<f64>, Vec<f64>, f64);

/// Variance of each representation explained by each feature group, out
/// of fold: a list of (explained, unique, total) per representation.
#[pyfunction]
fn feature_variance(
    py: Python<'_>,
    features: &Bound<'_, PyAny>,
    groups: Vec<usize>,
    reps: Vec<Bound<'_, PyAny>>,
    folds: Folds,
    alpha: f64,
) -> PyResult<Vec<VarianceRow>> {
    let f = Input::from_py(features)?;
    let fv = f.view();
    let reps = inputs(&reps)?;
    let views: Vec<faer::MatRef<'_, f64>> = reps.iter().map(Input::view).collect();
    let splits = splits(folds);
    enter_core(py, move || {
        repscope::data::check_finite("features", fv)?;
        views
            .iter()
            .map(|r| {
                repscope::data::check_finite("representation", *r)?;
                let v =
                    repscope::encode::reverse::feature_variance(fv, &groups, *r, &splits, alpha)?;
                Ok((v.explained, v.unique, v.total))
            })
            .collect()
    })
}

/// scikit-learn's unshuffled KFold: (train, test) index lists per fold.
#[pyfunction]
fn kfold(py: Python<'_>, n: usize, k: usize) -> PyResult<Folds> {
    let splits = enter_core(py, move || repscope::encode::folds::kfold(n, k))?;
    Ok(splits.into_iter().map(|s| (s.train, s.test)).collect())
}

/// Split-half reliability of repeated measurements per target.
#[pyfunction]
fn split_half_reliability(
    py: Python<'_>,
    repeats: Vec<Bound<'_, PyAny>>,
    n_splits: usize,
    seed: u64,
) -> PyResult<PyReliability> {
    let repeats = inputs(&repeats)?;
    let views: Vec<faer::MatRef<'_, f64>> = repeats.iter().map(Input::view).collect();
    Ok(PyReliability(enter_core(py, move || {
        noise_ceiling::split_half_reliability(&views, n_splits, seed)
    })?))
}

/// `scores / ceiling` per target (NaN where the ceiling is not positive).
#[pyfunction]
fn noise_normalised<'py>(
    py: Python<'py>,
    scores: Vec<f64>,
    ceiling: Vec<f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let out = enter_core(py, move || noise_ceiling::normalise(&scores, &ceiling))?;
    Ok(vector(py, out))
}

/// The default candidate penalties (the CLI's and `RidgeCV`'s).
#[pyfunction]
fn default_alphas() -> Vec<f64> {
    ridge::default_alphas()
}

/// Candidate penalties from `LOW:HIGH:N` or a comma-separated list.
#[pyfunction]
fn parse_alphas(py: Python<'_>, spec: String) -> PyResult<Vec<f64>> {
    enter_core(py, move || ridge::parse_alphas(&spec))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyRidgeFit>()?;
    m.add_class::<PyBandedFit>()?;
    m.add_class::<PyReliability>()?;
    m.add_function(wrap_pyfunction!(ridge_cv, m)?)?;
    m.add_function(wrap_pyfunction!(ridge_fit, m)?)?;
    m.add_function(wrap_pyfunction!(linear_predict, m)?)?;
    m.add_function(wrap_pyfunction!(regression_scores, m)?)?;
    m.add_function(wrap_pyfunction!(banded_ridge_cv, m)?)?;
    m.add_function(wrap_pyfunction!(feature_variance, m)?)?;
    m.add_function(wrap_pyfunction!(kfold, m)?)?;
    m.add_function(wrap_pyfunction!(split_half_reliability, m)?)?;
    m.add_function(wrap_pyfunction!(noise_normalised, m)?)?;
    m.add_function(wrap_pyfunction!(default_alphas, m)?)?;
    m.add_function(wrap_pyfunction!(parse_alphas, m)?)?;
    Ok(())
}
