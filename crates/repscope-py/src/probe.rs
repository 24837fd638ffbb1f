//! Bindings of `repscope::probe`: logistic regression, probes of every
//! layer (the core's per-layer results as a Python class), concept depth,
//! and the folds they use.

use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, inputs, matrix_to_numpy, reps, vector};
use crate::errors::enter_core;
use crate::results::py_result;
use repscope::encode::folds::Split;
use repscope::probe::depth::{ConceptDepth, concept_depth, depth_of_probe};
use repscope::probe::logistic::{self, LogisticModel, LogisticOptions};
use repscope::probe::{
    CrossValidation, LayerProbe, ProbeOptions, ProbeScores, classification_scores, probe,
};

py_result! {
    /// Where a concept becomes decodable along the layers (Jin et al.
    /// 2024). Layers are indices into the probed order.
    PyConceptDepth(ConceptDepth) as "ConceptDepth" in "repscope.probe" {
        /// int: the best layer (the first of equals).
        best_layer,
        /// float: its accuracy.
        best_accuracy,
        /// int: the first layer reaching ``fraction`` x the best accuracy.
        threshold_layer,
        /// int or None: the layer with the largest rise over its predecessor.
        jump_layer,
        /// float or None: that rise.
        jump,
        /// float: the fraction that defines the threshold layer.
        fraction,
    }
}

py_result! {
    /// A fitted logistic regression: ``coef`` (features x outputs),
    /// ``intercept``, ``n_iter``, ``converged``.
    PyLogisticModel(LogisticModel) as "LogisticModel" in "repscope.probe" {
        /// ndarray (features, outputs).
        coef,
        /// ndarray (outputs,).
        intercept,
        /// int: L-BFGS iterations.
        n_iter,
        /// bool: whether the gradient tolerance was met.
        converged,
    }
}

/// Per-layer probe scores of :func:`repscope.probe` (layers x folds).
#[pyclass(frozen, name = "LayerProbes", module = "repscope.probe")]
pub struct PyLayerProbes(Vec<LayerProbe>);

fn per_fold(layers: &[LayerProbe], f: fn(&repscope::probe::FoldScores) -> f64) -> Vec<Vec<f64>> {
    layers
        .iter()
        .map(|l| l.task.folds.iter().map(f).collect())
        .collect()
}

fn table<'py>(py: Python<'py>, rows: Vec<Vec<f64>>) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let cols = rows.first().map_or(0, Vec::len);
    let n = rows.len();
    crate::convert::grid(py, n, cols, rows.into_iter().flatten().collect())
}

#[pymethods]
impl PyLayerProbes {
    /// list of str: the layers, in order.
    #[getter]
    fn layers(&self) -> Vec<String> {
        self.0.iter().map(|l| l.name.clone()).collect()
    }

    /// ndarray (layers, 3): mean accuracy, macro-F1 and ROC-AUC of the task.
    #[getter]
    fn means<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let m = |s: &ProbeScores| vec![s.accuracy, s.f1_macro, s.roc_auc];
        table(py, self.0.iter().map(|l| m(&l.task)).collect())
    }

    #[getter]
    fn fold_accuracy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        table(py, per_fold(&self.0, |f| f.accuracy))
    }

    #[getter]
    fn fold_f1_macro<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        table(py, per_fold(&self.0, |f| f.f1_macro))
    }

    #[getter]
    fn fold_roc_auc<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        table(py, per_fold(&self.0, |f| f.roc_auc))
    }

    #[getter]
    fn fold_c<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray2<f64>>> {
        table(py, per_fold(&self.0, |f| f.c))
    }

    /// list of list of bool (layers x folds): whether each final fit converged.
    #[getter]
    fn converged(&self) -> Vec<Vec<bool>> {
        self.0
            .iter()
            .map(|l| l.task.folds.iter().map(|f| f.converged).collect())
            .collect()
    }

    /// ndarray (layers, 2) of the control task's mean accuracy and
    /// macro-F1, or None without a control task.
    #[getter]
    fn control_means<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray2<f64>>>> {
        let rows: Option<Vec<Vec<f64>>> = self
            .0
            .iter()
            .map(|l| l.control.as_ref().map(|c| vec![c.accuracy, c.f1_macro]))
            .collect();
        rows.map(|r| table(py, r)).transpose()
    }

    /// ndarray (layers,): task minus control accuracy, or None.
    #[getter]
    fn selectivity<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<f64>>> {
        let s: Option<Vec<f64>> = self.0.iter().map(LayerProbe::selectivity).collect();
        s.map(|v| vector(py, v))
    }

    /// The concept depth of the task accuracies.
    fn depth(&self, py: Python<'_>, fraction: f64) -> PyResult<PyConceptDepth> {
        let layers = &self.0;
        Ok(PyConceptDepth(enter_core(py, || {
            depth_of_probe(layers, fraction)
        })?))
    }
}

/// Fits a logistic regression: x (samples × features), y class codes
/// 0..n_classes.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn logistic_fit(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: Vec<usize>,
    n_classes: usize,
    c: f64,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
) -> PyResult<PyLogisticModel> {
    let input = Input::from_py(x)?;
    let view = input.view();
    let options = LogisticOptions {
        c,
        fit_intercept,
        tol,
        max_iter,
    };
    Ok(PyLogisticModel(enter_core(py, move || {
        logistic::fit(view, &y, n_classes, &options)
    })?))
}

/// Class probabilities of a fitted model (samples × classes).
#[pyfunction]
fn logistic_proba<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    coef: &Bound<'py, PyAny>,
    intercept: Vec<f64>,
    n_classes: usize,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let (xi, wi) = (Input::from_py(x)?, Input::from_py(coef)?);
    let (xv, wv) = (xi.view(), wi.view());
    let proba = enter_core(py, move || {
        let model = LogisticModel {
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
    proba: &Bound<'_, PyAny>,
) -> PyResult<(f64, f64, f64)> {
    let input = Input::from_py(proba)?;
    let view = input.view();
    enter_core(py, move || classification_scores(&y_true, view))
}

/// Probes every layer with stratified folds (`folds` None) or the given
/// (train, test) pairs.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn probe_layers(
    py: Python<'_>,
    names: Vec<String>,
    layers: Vec<Bound<'_, PyAny>>,
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
) -> PyResult<PyLayerProbes> {
    let inputs = inputs(&layers)?;
    let layers = reps(&names, &inputs);
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
    Ok(PyLayerProbes(enter_core(py, move || {
        probe(&layers, &labels, n_classes, &cross_validation, &options)
    })?))
}

/// Concept depth of an accuracy curve.
#[pyfunction]
fn concept_depth_of(py: Python<'_>, accuracy: Vec<f64>, fraction: f64) -> PyResult<PyConceptDepth> {
    Ok(PyConceptDepth(enter_core(py, move || {
        concept_depth(&accuracy, fraction)
    })?))
}

/// repscope's seeded stratified fold id of every item (class codes 0..).
#[pyfunction]
fn stratified_folds(
    py: Python<'_>,
    labels: Vec<usize>,
    k: usize,
    seed: u64,
) -> PyResult<Vec<usize>> {
    let n_classes = repscope::data::labels::n_codes(&labels);
    enter_core(py, move || {
        repscope::probe::stratified_folds(&labels, n_classes, k, seed)
    })
}

/// (train, test) pairs from a fold id per item (folds without items left out).
#[pyfunction]
fn folds_from_ids(ids: Vec<usize>) -> Vec<(Vec<usize>, Vec<usize>)> {
    repscope::probe::folds_from_ids(&ids)
        .into_iter()
        .map(|s| (s.train, s.test))
        .collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyConceptDepth>()?;
    m.add_class::<PyLogisticModel>()?;
    m.add_class::<PyLayerProbes>()?;
    m.add_function(wrap_pyfunction!(logistic_fit, m)?)?;
    m.add_function(wrap_pyfunction!(logistic_proba, m)?)?;
    m.add_function(wrap_pyfunction!(probe_scores, m)?)?;
    m.add_function(wrap_pyfunction!(probe_layers, m)?)?;
    m.add_function(wrap_pyfunction!(concept_depth_of, m)?)?;
    m.add_function(wrap_pyfunction!(stratified_folds, m)?)?;
    m.add_function(wrap_pyfunction!(folds_from_ids, m)?)?;
    Ok(())
}
