//! Bindings of the encoding models (`repscope::encode`): cross-validated
//! ridge for many targets, fixed-α ridge and per-target scores. The Python
//! layer (`repscope.encode`) wraps them in a scikit-learn-like `RidgeCV`.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, matrix_to_numpy};
use crate::errors::enter_core;
use repscope::encode::banded;
use repscope::encode::folds::Split;
use repscope::encode::ridge::{self, RidgeCvOptions, Score, Solver};

/// Coefficients (features × targets) and intercepts, as numpy arrays.
type CoefIntercept<'py> = (Bound<'py, numpy::PyArray2<f64>>, Bound<'py, PyArray1<f64>>);

/// Per representation: explained and unique variance per feature, total.
type VarianceRow = (Vec<f64>, Vec<f64>, f64);

/// Cross-validated ridge. `splits`: (train, test) index lists per fold.
/// Returns a dict: coef, intercept, best_alphas, cv_scores, alpha_scores,
/// kernel.
#[pyfunction]
#[pyo3(signature = (x, y, alphas, splits, per_target=true, fit_intercept=true, score="neg_mse", solver="auto", target_batch=None))]
#[allow(clippy::too_many_arguments)]
fn ridge_cv<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    alphas: Vec<f64>,
    splits: Vec<(Vec<usize>, Vec<usize>)>,
    per_target: bool,
    fit_intercept: bool,
    score: &str,
    solver: &str,
    target_batch: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let (score, solver) = (score.to_string(), solver.to_string());
    let fit = enter_core(py, move || {
        let options = RidgeCvOptions {
            alphas,
            splits: splits.into_iter().map(Split::from).collect(),
            per_target,
            fit_intercept,
            score: Score::parse(&score)?,
            solver: Solver::parse(&solver)?,
            target_batch,
        };
        ridge::ridge_cv(xv, yv, &options)
    })?;
    let out = PyDict::new(py);
    out.set_item("coef", matrix_to_numpy(py, fit.coef.as_ref()))?;
    out.set_item("intercept", PyArray1::from_vec(py, fit.intercept))?;
    out.set_item("best_alphas", PyArray1::from_vec(py, fit.best_alphas))?;
    out.set_item("cv_scores", PyArray1::from_vec(py, fit.cv_scores))?;
    out.set_item(
        "alpha_scores",
        matrix_to_numpy(py, fit.alpha_scores.as_ref()),
    )?;
    out.set_item("kernel", fit.kernel)?;
    Ok(out)
}

/// Ridge with one α or one α per target: (coef, intercept).
#[pyfunction]
#[pyo3(signature = (x, y, alphas, fit_intercept=true, solver="auto"))]
fn ridge_fit<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    alphas: Vec<f64>,
    fit_intercept: bool,
    solver: &str,
) -> PyResult<CoefIntercept<'py>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let solver = solver.to_string();
    let (coef, intercept) = enter_core(py, move || {
        ridge::ridge(xv, yv, &alphas, fit_intercept, Solver::parse(&solver)?)
    })?;
    Ok((
        matrix_to_numpy(py, coef.as_ref()),
        PyArray1::from_vec(py, intercept),
    ))
}

/// Per-target scores ("r2", "pearson", "neg_mse") of predictions.
#[pyfunction]
fn regression_scores<'py>(
    py: Python<'py>,
    y: &Bound<'py, PyAny>,
    predictions: &Bound<'py, PyAny>,
    score: &str,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let (y, p) = (Input::from_py(y)?, Input::from_py(predictions)?);
    let (yv, pv) = (y.view(), p.view());
    let score = score.to_string();
    let s = enter_core(py, move || {
        repscope::data::check_finite("targets", yv)?;
        repscope::data::check_finite("predictions", pv)?;
        ridge::scores(yv, pv, Score::parse(&score)?)
    })?;
    Ok(PyArray1::from_vec(py, s))
}

/// Banded ridge over several feature spaces. `gammas` (candidates ×
/// spaces) or, when None, `n_iter` seeded Dirichlet candidates with the
/// given concentrations. Returns a dict: coef, intercept, deltas,
/// best_alphas, best_gamma, cv_scores, gammas.
#[pyfunction]
#[pyo3(signature = (spaces, y, alphas, splits, gammas=None, n_iter=100, concentration=vec![0.1, 1.0], seed=0, fit_intercept=true, score="neg_mse", solver="auto"))]
#[allow(clippy::too_many_arguments)]
fn banded_ridge_cv<'py>(
    py: Python<'py>,
    spaces: Vec<Bound<'py, PyAny>>,
    y: &Bound<'py, PyAny>,
    alphas: Vec<f64>,
    splits: Vec<(Vec<usize>, Vec<usize>)>,
    gammas: Option<&Bound<'py, PyAny>>,
    n_iter: usize,
    concentration: Vec<f64>,
    seed: u64,
    fit_intercept: bool,
    score: &str,
    solver: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let inputs = spaces
        .iter()
        .map(Input::from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let views: Vec<faer::MatRef<'_, f64>> = inputs.iter().map(Input::view).collect();
    let y = Input::from_py(y)?;
    let yv = y.view();
    let given = gammas.map(Input::from_py).transpose()?;
    let given_view = given.as_ref().map(Input::view);
    let (score, solver) = (score.to_string(), solver.to_string());
    let (fit, gammas) = enter_core(py, move || {
        let options = RidgeCvOptions {
            alphas,
            splits: splits.into_iter().map(Split::from).collect(),
            per_target: true,
            fit_intercept,
            score: Score::parse(&score)?,
            solver: Solver::parse(&solver)?,
            target_batch: None,
        };
        let gammas = match given_view {
            Some(g) => g.to_owned(),
            None => banded::dirichlet_gammas(n_iter, views.len(), &concentration, seed)?,
        };
        let fit = banded::banded_ridge_cv(&views, yv, gammas.as_ref(), &options)?;
        Ok((fit, gammas))
    })?;
    let out = PyDict::new(py);
    out.set_item("coef", matrix_to_numpy(py, fit.coef.as_ref()))?;
    out.set_item("intercept", PyArray1::from_vec(py, fit.intercept))?;
    out.set_item("deltas", matrix_to_numpy(py, fit.deltas.as_ref()))?;
    out.set_item("best_alphas", PyArray1::from_vec(py, fit.best_alphas))?;
    out.set_item("best_gamma", fit.best_gamma)?;
    out.set_item("cv_scores", matrix_to_numpy(py, fit.cv_scores.as_ref()))?;
    out.set_item("gammas", matrix_to_numpy(py, gammas.as_ref()))?;
    Ok(out)
}

/// Variance of each representation explained by each feature group, out
/// of fold: a list of (explained, unique, total) per representation.
#[pyfunction]
#[pyo3(signature = (features, groups, reps, splits, alpha=1e-3))]
fn feature_variance(
    py: Python<'_>,
    features: &Bound<'_, PyAny>,
    groups: Vec<usize>,
    reps: Vec<Bound<'_, PyAny>>,
    splits: Vec<(Vec<usize>, Vec<usize>)>,
    alpha: f64,
) -> PyResult<Vec<VarianceRow>> {
    let f = Input::from_py(features)?;
    let fv = f.view();
    let inputs = reps
        .iter()
        .map(Input::from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let views: Vec<faer::MatRef<'_, f64>> = inputs.iter().map(Input::view).collect();
    let splits: Vec<Split> = splits.into_iter().map(Split::from).collect();
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
fn kfold(py: Python<'_>, n: usize, k: usize) -> PyResult<Vec<(Vec<usize>, Vec<usize>)>> {
    let splits = enter_core(py, move || repscope::encode::folds::kfold(n, k))?;
    Ok(splits.into_iter().map(|s| (s.train, s.test)).collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(kfold, m)?)?;
    m.add_function(wrap_pyfunction!(banded_ridge_cv, m)?)?;
    m.add_function(wrap_pyfunction!(feature_variance, m)?)?;
    m.add_function(wrap_pyfunction!(ridge_cv, m)?)?;
    m.add_function(wrap_pyfunction!(ridge_fit, m)?)?;
    m.add_function(wrap_pyfunction!(regression_scores, m)?)?;
    Ok(())
}
