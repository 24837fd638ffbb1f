//! Bindings of linear probes and concept depth (`repscope::encode::probe`,
//! `logistic`, `depth`). Results travel as tuples and dicts of numpy
//! arrays; `repscope.probe` (Python) wraps them in typed classes.

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, matrix_to_numpy};
use crate::errors::enter_core;
use repscope::RepRef;
use repscope::encode::depth::concept_depth;
use repscope::encode::folds::Split;
use repscope::encode::logistic::{self, LogisticOptions};
use repscope::encode::probe::{
    CrossValidation, ProbeOptions, ProbeScores, classification_scores, probe,
};

type Matrix<'py> = Bound<'py, PyArray2<f64>>;

/// Best layer, best accuracy, threshold layer, jump layer, jump.
type Depth = (usize, f64, usize, Option<usize>, Option<f64>);

/// Coefficients (features × outputs), intercepts, iterations, converged.
type Fitted<'py> = (Matrix<'py>, Vec<f64>, usize, bool);

/// Class codes and the number of classes they imply (largest code + 1).
fn class_codes(y: Vec<usize>) -> (Vec<usize>, usize) {
    let k = y.iter().max().map_or(0, |m| m + 1);
    (y, k)
}

/// Fits a logistic regression: x (samples × features), y class codes
/// 0..n_classes.
#[pyfunction]
#[pyo3(signature = (x, y, n_classes, c, fit_intercept, tol, max_iter))]
#[allow(clippy::too_many_arguments)]
fn logistic_fit<'py>(
    py: Python<'py>,
    x: Bound<'py, PyAny>,
    y: Vec<usize>,
    n_classes: usize,
    c: f64,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
) -> PyResult<Fitted<'py>> {
    let input = Input::from_py(&x)?;
    let (codes, _) = class_codes(y);
    let view = input.view();
    let options = LogisticOptions {
        c,
        fit_intercept,
        tol,
        max_iter,
    };
    let model = enter_core(py, move || logistic::fit(view, &codes, n_classes, &options))?;
    Ok((
        matrix_to_numpy(py, model.coef.as_ref()),
        model.intercept,
        model.n_iter,
        model.converged,
    ))
}

/// Class probabilities of a fitted model (samples × classes).
#[pyfunction]
fn logistic_proba<'py>(
    py: Python<'py>,
    x: Bound<'py, PyAny>,
    coef: Bound<'py, PyAny>,
    intercept: Vec<f64>,
    n_classes: usize,
) -> PyResult<Matrix<'py>> {
    let (xi, wi) = (Input::from_py(&x)?, Input::from_py(&coef)?);
    let (xv, wv) = (xi.view(), wi.view());
    let proba = enter_core(py, move || {
        let model = logistic::LogisticModel {
            coef: wv.to_owned(),
            intercept,
            n_classes,
            n_iter: 0,
            converged: true,
        };
        model.predict_proba(xv)
    })?;
    Ok(matrix_to_numpy(py, proba.as_ref()))
}

/// (accuracy, macro-F1, ROC-AUC) of probabilities against class codes.
#[pyfunction]
fn probe_scores(
    py: Python<'_>,
    y_true: Vec<usize>,
    proba: Bound<'_, PyAny>,
) -> PyResult<(f64, f64, f64)> {
    let (codes, _) = class_codes(y_true);
    let input = Input::from_py(&proba)?;
    let view = input.view();
    enter_core(py, move || classification_scores(&codes, view))
}

fn scores_dict<'py>(py: Python<'py>, s: &ProbeScores) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    let col = |f: fn(&repscope::encode::probe::FoldScores) -> f64| {
        PyArray1::from_vec(py, s.folds.iter().map(f).collect())
    };
    d.set_item("accuracy", col(|f| f.accuracy))?;
    d.set_item("f1_macro", col(|f| f.f1_macro))?;
    d.set_item("roc_auc", col(|f| f.roc_auc))?;
    d.set_item("c", col(|f| f.c))?;
    d.set_item("means", (s.accuracy, s.f1_macro, s.roc_auc))?;
    d.set_item(
        "converged",
        s.folds.iter().map(|f| f.converged).collect::<Vec<_>>(),
    )?;
    Ok(d)
}

/// Probes every layer: per layer a dict with the task's fold scores
/// ("task") and, with `control`, the control task's ("control").
#[pyfunction]
#[pyo3(signature = (names, layers, labels, n_classes, cv, folds, seed, control, c, cs, inner_folds, standardize, fit_intercept, tol, max_iter))]
#[allow(clippy::too_many_arguments)]
fn probe_layers<'py>(
    py: Python<'py>,
    names: Vec<String>,
    layers: Vec<Bound<'py, PyAny>>,
    labels: Vec<usize>,
    n_classes: usize,
    cv: usize,
    folds: Option<Vec<(Vec<usize>, Vec<usize>)>>,
    seed: u64,
    control: bool,
    c: f64,
    cs: Vec<f64>,
    inner_folds: usize,
    standardize: bool,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let inputs = layers
        .iter()
        .map(Input::from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let (codes, _) = class_codes(labels);
    let reps: Vec<RepRef<'_>> = names
        .iter()
        .zip(&inputs)
        .map(|(name, x)| RepRef { name, x: x.view() })
        .collect();
    let cross_validation = match folds {
        Some(f) => CrossValidation::Folds(f.into_iter().map(Split::from).collect()),
        None => CrossValidation::Stratified(cv),
    };
    let options = ProbeOptions {
        logistic: LogisticOptions {
            c,
            fit_intercept,
            tol,
            max_iter,
        },
        cs,
        inner_folds,
        standardize,
        control,
        seed,
    };
    let out = enter_core(py, move || {
        probe(&reps, &codes, n_classes, &cross_validation, &options)
    })?;
    out.iter()
        .map(|layer| {
            let d = PyDict::new(py);
            d.set_item("task", scores_dict(py, &layer.task)?)?;
            if let Some(control) = &layer.control {
                d.set_item("control", scores_dict(py, control)?)?;
                d.set_item("selectivity", layer.selectivity())?;
            }
            Ok(d)
        })
        .collect()
}

/// Concept depth of an accuracy curve: (best layer, best accuracy,
/// threshold layer, jump layer or None, jump or None).
#[pyfunction]
fn concept_depth_of(py: Python<'_>, accuracy: Vec<f64>, fraction: f64) -> PyResult<Depth> {
    let d = enter_core(py, move || concept_depth(&accuracy, fraction))?;
    Ok((
        d.best_layer,
        d.best_accuracy,
        d.threshold_layer,
        d.jump_layer,
        d.jump,
    ))
}

/// repscope's seeded stratified fold id of every item.
#[pyfunction]
fn stratified_folds(
    py: Python<'_>,
    labels: Vec<usize>,
    k: usize,
    seed: u64,
) -> PyResult<Vec<usize>> {
    let (codes, n_classes) = class_codes(labels);
    enter_core(py, move || {
        repscope::encode::probe::stratified_folds(&codes, n_classes, k, seed)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(logistic_fit, m)?)?;
    m.add_function(wrap_pyfunction!(logistic_proba, m)?)?;
    m.add_function(wrap_pyfunction!(probe_scores, m)?)?;
    m.add_function(wrap_pyfunction!(probe_layers, m)?)?;
    m.add_function(wrap_pyfunction!(concept_depth_of, m)?)?;
    m.add_function(wrap_pyfunction!(stratified_folds, m)?)?;
    Ok(())
}
