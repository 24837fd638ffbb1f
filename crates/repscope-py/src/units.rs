//! Bindings of `repscope::units`: units matched across networks. The
//! method is chosen and dispatched in the core ([`match_units`]); each
//! kind of result is the core's struct as a Python class.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, Pick, ToPy, matrix_to_numpy, params_from_dict, vector};
use crate::errors::enter_core;
use crate::results::{data_frame, py_result};
use repscope::units::lasso::{LassoFit, LassoOptions, lasso};
use repscope::units::sparse::SparsePrediction;
use repscope::units::spectral::SpectralGroups;
use repscope::units::{self, MatchOptions, Matching, Method, UnitMatch};

py_result! {
    /// Pairs of units (A-unit, B-unit) and their correlations, ordered by
    /// A's unit (``hungarian``: one-to-one; ``semi``: each A-unit's best
    /// B-unit).
    PyMatching(Matching) as "Matching" in "repscope.units" {
        /// ndarray (pairs, 2) of int64: (unit of A, unit of B).
        pairs,
        /// ndarray (pairs,): the correlation of each pair.
        correlations,
    }
    methods {
        /// The method that made the matching.
        #[getter]
        fn method(&self) -> &'static str {
            self.0.method.name()
        }

        /// B's unit matched to each listed A-unit: ``Y[:, m.permutation]``
        /// lines B's units up with ``X[:, m.pairs[:, 0]]``.
        #[getter]
        fn permutation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
            crate::convert::indices(py, self.0.pairs.iter().map(|p| p.1))
        }

        /// Pair correlations from highest to lowest (Li et al.'s curves).
        #[getter]
        fn sorted_correlations<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
            vector(py, self.0.sorted_correlations())
        }

        /// Mean correlation over the pairs.
        #[getter]
        fn mean_correlation(&self) -> f64 {
            self.0.mean_correlation()
        }

        /// One row per pair: unit_a, unit_b, correlation (needs pandas).
        fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
            let a = crate::convert::indices(py, self.0.pairs.iter().map(|p| p.0));
            let b = crate::convert::indices(py, self.0.pairs.iter().map(|p| p.1));
            data_frame(
                py,
                vec![
                    ("unit_a", a.into_any()),
                    ("unit_b", b.into_any()),
                    ("correlation", self.0.correlations.to_py(py)?),
                ],
            )
        }
    }
}

py_result! {
    /// Each B-unit predicted from all A-units by the lasso, along a path of
    /// penalties ``alphas`` (decreasing, in correlation units: units are
    /// z-scored on the training stimuli).
    PySparsePrediction(SparsePrediction) as "SparsePrediction" in "repscope.units" {
        /// ndarray (n_alphas,): the penalties, decreasing.
        alphas,
        /// ndarray (n_alphas, units_b): held-out correlation of each B-unit.
        correlation,
        /// ndarray (n_alphas, units_b): A-units used by each B-unit.
        nonzero,
        /// ndarray (units_b,) int64: each B-unit's best penalty (index; ties to the sparser model).
        best,
        /// ndarray (units_b,): held-out correlation at the best penalty.
        best_correlation,
        /// ndarray (units_b,) int64: non-zero weights at the best penalty.
        units_needed,
        /// ndarray (units_b,) int64: the A-unit with the largest weight (-1: none).
        top_predictor,
        /// ndarray (units_a, units_b): the weights at each B-unit's best penalty.
        coef,
        /// ndarray int64: the held-out stimuli (sorted).
        test_rows,
        /// bool: False if some lasso fit stopped at max_iter before tol.
        converged,
    }
}

py_result! {
    /// Groups of units of both networks: the group of each unit of A and of
    /// B (-1: constant unit, left out), the largest eigenvalues of the
    /// normalised affinity, and each group's mean |correlation| between its
    /// A- and B-units (NaN if a side is empty).
    PySpectralGroups(SpectralGroups) as "SpectralGroups" in "repscope.units" {
        /// ndarray (units_a,) int64: group of each A-unit (-1: left out).
        a_labels,
        /// ndarray (units_b,) int64: group of each B-unit (-1: left out).
        b_labels,
        /// ndarray (groups,): the largest eigenvalues, descending.
        eigenvalues,
    }
    methods {
        /// ndarray (groups,): mean |correlation| between each group's A- and B-units.
        #[getter]
        fn mean_cross_correlation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
            vector(
                py,
                self.0.groups.iter().map(|g| g.mean_cross_correlation).collect(),
            )
        }
    }
}

py_result! {
    /// Lasso fits of every column of Y on X (columns of ``coef`` are targets).
    PyLassoFit(LassoFit) as "LassoFitCore" in "repscope.units" {
        /// ndarray (features, targets).
        coef,
        /// ndarray (targets,).
        intercept,
        /// list of bool per target.
        converged,
        /// list of int: coordinate sweeps per target.
        sweeps,
    }
}

/// `p × q` Pearson correlations between the columns of `x` and of `y`.
#[pyfunction]
fn unit_correlations<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let c = enter_core(py, move || {
        units::unit_correlations(xv, yv, repscope::parallel::current())
    })?;
    Ok(matrix_to_numpy(py, c.as_ref()))
}

/// Matches the units of `x` to those of `y` with `method` and its
/// parameters; returns a Matching, SparsePrediction or SpectralGroups.
#[pyfunction]
#[pyo3(signature = (x, y, method, params=None))]
fn match_units<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    method: Pick<Method>,
    params: Option<&Bound<'py, PyDict>>,
) -> PyResult<Bound<'py, PyAny>> {
    let params = params_from_dict(params)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let method = method.0;
    let found = enter_core(py, move || {
        let options = MatchOptions::from_params(method, &params)?;
        units::match_units(xv, yv, &options)
    })?;
    Ok(match found {
        UnitMatch::Pairs(m) => Bound::new(py, PyMatching(m))?.into_any(),
        UnitMatch::Sparse(s) => Bound::new(py, PySparsePrediction(*s))?.into_any(),
        UnitMatch::Spectral(s) => Bound::new(py, PySpectralGroups(s))?.into_any(),
        _ => unreachable!("every kind of unit match is handled"),
    })
}

/// Lasso fits of every column of `y` on `x`.
#[pyfunction]
#[pyo3(signature = (x, y, alpha, fit_intercept=true, tol=1e-4, max_iter=1000))]
fn lasso_fit<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    alpha: f64,
    fit_intercept: bool,
    tol: f64,
    max_iter: usize,
) -> PyResult<PyLassoFit> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let options = LassoOptions { tol, max_iter };
    let fit = enter_core(py, move || lasso(xv, yv, alpha, fit_intercept, &options))?;
    Ok(PyLassoFit(fit))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMatching>()?;
    m.add_class::<PySparsePrediction>()?;
    m.add_class::<PySpectralGroups>()?;
    m.add_class::<PyLassoFit>()?;
    m.add_function(wrap_pyfunction!(unit_correlations, m)?)?;
    m.add_function(wrap_pyfunction!(match_units, m)?)?;
    m.add_function(wrap_pyfunction!(lasso_fit, m)?)?;
    Ok(())
}
