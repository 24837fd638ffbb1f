//! Bindings of the per-paper analyses: units across networks
//! (`repscope::units`), graph energy (`repscope::graph`), PCA, and
//! cross-model alignment (`repscope::alignment`). Results travel as dicts of
//! numpy arrays; the Python layer (`repscope.matching`, `repscope.graph`,
//! `repscope.alignment`) wraps them in typed classes.

use faer::Par;
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, matrix_to_numpy};
use crate::errors::enter_core;
use repscope::RepRef;
use repscope::alignment::{AlignOptions, LinearMap, MapKind, align};
use repscope::graph::{Graph, dirichlet_energy};
use repscope::units::lasso::{LassoOptions, lasso};
use repscope::units::sparse::{SparseOptions, sparse_prediction};
use repscope::units::spectral::{SpectralOptions, spectral_groups};

/// A numpy vector / matrix handed back to Python.
type Vector<'py, T> = Bound<'py, PyArray1<T>>;
type Matrix<'py, T> = Bound<'py, PyArray2<T>>;

/// Coefficients, intercepts, converged and sweeps per target.
type LassoArrays<'py> = (Matrix<'py, f64>, Vector<'py, f64>, Vec<bool>, Vec<usize>);

fn f64s<'py>(py: Python<'py>, v: Vec<f64>) -> Vector<'py, f64> {
    PyArray1::from_vec(py, v)
}

fn indices<'py>(py: Python<'py>, v: impl IntoIterator<Item = usize>) -> Vector<'py, i64> {
    PyArray1::from_vec(py, v.into_iter().map(|i| i as i64).collect())
}

/// `p × q` Pearson correlations between the columns of `x` and of `y`.
#[pyfunction]
fn unit_correlations<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
) -> PyResult<Matrix<'py, f64>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let c = enter_core(py, move || {
        repscope::units::unit_correlations(xv, yv, Par::rayon(0))
    })?;
    Ok(matrix_to_numpy(py, c.as_ref()))
}

/// One-to-one (`hungarian`) or best-partner (`semi`) matching:
/// (pairs as a k × 2 array, correlations).
#[pyfunction]
fn match_one_to_one<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    method: &str,
) -> PyResult<(Matrix<'py, i64>, Vector<'py, f64>)> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let one_to_one = match method {
        "hungarian" => true,
        "semi" => false,
        other => {
            return Err(crate::errors::core_error(
                py,
                repscope::Error::Invalid {
                    what: "match_units".into(),
                    detail: format!(
                        "unknown method '{other}'; use hungarian, semi, sparse or spectral"
                    ),
                },
            ));
        }
    };
    let m = enter_core(py, move || {
        let c = repscope::units::unit_correlations(xv, yv, Par::rayon(0))?;
        if one_to_one {
            repscope::units::hungarian(c.as_ref())
        } else {
            Ok(repscope::units::semi(c.as_ref()))
        }
    })?;
    let rows: Vec<Vec<i64>> = m
        .pairs
        .iter()
        .map(|&(i, j)| vec![i as i64, j as i64])
        .collect();
    let pairs = if rows.is_empty() {
        PyArray2::zeros(py, [0, 2], false)
    } else {
        PyArray2::from_vec2(py, &rows)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?
    };
    Ok((pairs, f64s(py, m.correlations)))
}

/// Lasso fits of every column of `y` on `x`: (coef p × q, intercepts, converged).
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
) -> PyResult<LassoArrays<'py>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let fit = enter_core(py, move || {
        lasso(
            xv,
            yv,
            alpha,
            fit_intercept,
            &LassoOptions { tol, max_iter },
        )
    })?;
    Ok((
        matrix_to_numpy(py, fit.coef.as_ref()),
        f64s(py, fit.intercept),
        fit.converged,
        fit.sweeps,
    ))
}

/// Sparse prediction of each unit of `y` from all units of `x`.
#[pyfunction]
#[pyo3(signature = (x, y, n_alphas=20, eps=1e-2, test_fraction=0.2, seed=0, tol=1e-4, max_iter=1000))]
#[allow(clippy::too_many_arguments)]
fn match_sparse<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    n_alphas: usize,
    eps: f64,
    test_fraction: f64,
    seed: u64,
    tol: f64,
    max_iter: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let options = SparseOptions {
        n_alphas,
        eps,
        test_fraction,
        seed,
        lasso: LassoOptions { tol, max_iter },
    };
    let s = enter_core(py, move || sparse_prediction(xv, yv, &options))?;
    let d = PyDict::new(py);
    d.set_item("alphas", f64s(py, s.alphas))?;
    d.set_item("correlation", matrix_to_numpy(py, s.correlation.as_ref()))?;
    d.set_item("nonzero", matrix_to_numpy(py, s.nonzero.as_ref()))?;
    d.set_item("best", indices(py, s.best))?;
    d.set_item("best_correlation", f64s(py, s.best_correlation))?;
    d.set_item("units_needed", indices(py, s.units_needed))?;
    let top: Vec<i64> = s
        .top_predictor
        .iter()
        .map(|t| t.map_or(-1, |v| v as i64))
        .collect();
    d.set_item("top_predictor", PyArray1::from_vec(py, top))?;
    d.set_item("coef", matrix_to_numpy(py, s.coef.as_ref()))?;
    d.set_item("test_rows", indices(py, s.test_rows))?;
    d.set_item("converged", s.converged)?;
    Ok(d)
}

/// Spectral groups of the units of `x` and `y`: labels (−1 = constant unit)
/// and the top eigenvalues.
#[pyfunction]
#[pyo3(signature = (x, y, groups=8, seed=0, n_init=10))]
fn match_spectral<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    groups: usize,
    seed: u64,
    n_init: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let options = SpectralOptions {
        groups,
        n_init,
        seed,
    };
    let s = enter_core(py, move || spectral_groups(xv, yv, &options))?;
    let labels = |l: &[Option<usize>]| -> Vec<i64> {
        l.iter().map(|v| v.map_or(-1, |g| g as i64)).collect()
    };
    let d = PyDict::new(py);
    d.set_item("a_labels", PyArray1::from_vec(py, labels(&s.a_labels)))?;
    d.set_item("b_labels", PyArray1::from_vec(py, labels(&s.b_labels)))?;
    d.set_item("eigenvalues", f64s(py, s.eigenvalues))?;
    d.set_item(
        "mean_cross_correlation",
        f64s(
            py,
            s.groups.iter().map(|g| g.mean_cross_correlation).collect(),
        ),
    )?;
    Ok(d)
}

/// Dirichlet energy of `x` on the graph with `edges` (i, j, weight):
/// (energy, dispersion, normalised).
#[pyfunction]
fn dirichlet_energy_of(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    edges: Vec<(usize, usize, f64)>,
) -> PyResult<(f64, f64, f64)> {
    let x = Input::from_py(x)?;
    let xv = x.view();
    enter_core(py, move || {
        let graph = Graph::new(xv.nrows(), edges)?;
        let e = dirichlet_energy(xv, &graph)?;
        Ok((e.energy, e.dispersion, e.normalised))
    })
}

/// Reads an edge file for `n` stimuli (labels optional): (i, j, weight) rows.
#[pyfunction]
#[pyo3(signature = (path, n, stimuli=None))]
fn read_edges(
    py: Python<'_>,
    path: std::path::PathBuf,
    n: usize,
    stimuli: Option<Vec<String>>,
) -> PyResult<Vec<(usize, usize, f64)>> {
    enter_core(py, move || {
        Graph::read(&path, n, stimuli.as_deref()).map(|g| g.edges().to_vec())
    })
}

/// First `dims` principal components: (scores, components, explained ratio).
#[pyfunction]
fn pca<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    dims: usize,
) -> PyResult<(Matrix<'py, f64>, Matrix<'py, f64>, Vector<'py, f64>)> {
    let x = Input::from_py(x)?;
    let xv = x.view();
    let p = enter_core(py, move || {
        crate::check_finite_input(xv)?;
        repscope::linalg::pca::pca(xv, dims)
    })?;
    Ok((
        matrix_to_numpy(py, p.scores.as_ref()),
        matrix_to_numpy(py, p.components.as_ref()),
        f64s(py, p.explained_variance_ratio),
    ))
}

/// A learned map from `a` to `b`: (weights p × q, a_mean, b_mean).
#[pyfunction]
#[pyo3(signature = (a, b, kind="procrustes", alpha=1.0, centre=true))]
fn fit_map<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    kind: &str,
    alpha: f64,
    centre: bool,
) -> PyResult<(Matrix<'py, f64>, Vector<'py, f64>, Vector<'py, f64>)> {
    let (a, b) = (Input::from_py(a)?, Input::from_py(b)?);
    let (av, bv) = (a.view(), b.view());
    let kind = kind.to_string();
    let map = enter_core(py, move || {
        repscope::units::check_pair(av, bv)?;
        LinearMap::fit_with(av, bv, MapKind::from_name(&kind, alpha)?, centre)
    })?;
    Ok((
        matrix_to_numpy(py, map.weights.as_ref()),
        f64s(py, map.a_mean),
        f64s(py, map.b_mean),
    ))
}

/// Alignment of two representations of the same items.
#[pyfunction]
#[pyo3(signature = (a, b, map="procrustes", alpha=1.0, test_fraction=0.2, seed=0, k=10))]
#[allow(clippy::too_many_arguments)]
fn alignment<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    map: &str,
    alpha: f64,
    test_fraction: f64,
    seed: u64,
    k: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let (a, b) = (Input::from_py(a)?, Input::from_py(b)?);
    let (av, bv) = (a.view(), b.view());
    let map = map.to_string();
    let al = enter_core(py, move || {
        let options = AlignOptions {
            map: MapKind::from_name(&map, alpha)?,
            test_fraction,
            seed,
            k,
        };
        align(
            RepRef { name: "A", x: av },
            RepRef { name: "B", x: bv },
            &options,
        )
    })?;
    let d = PyDict::new(py);
    d.set_item("paired_cosine", al.paired_cosine)?;
    d.set_item("mutual_knn", al.mutual_knn)?;
    d.set_item("linear_cka", al.linear_cka)?;
    d.set_item("mapped_cosine", al.mapped_cosine)?;
    d.set_item("top1", al.top1)?;
    d.set_item("top5", al.top5)?;
    d.set_item("test_rows", indices(py, al.test_rows))?;
    d.set_item("weights", matrix_to_numpy(py, al.map.weights.as_ref()))?;
    Ok(d)
}

/// Split-half reliability of repeated measurements: (ceiling, split-half r)
/// per target.
#[pyfunction]
fn split_half_reliability(
    py: Python<'_>,
    repeats: Vec<Bound<'_, PyAny>>,
    n_splits: usize,
    seed: u64,
) -> PyResult<(Vec<f64>, Vec<f64>)> {
    let inputs = repeats
        .iter()
        .map(Input::from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let views: Vec<faer::MatRef<'_, f64>> = inputs.iter().map(Input::view).collect();
    let r = enter_core(py, move || {
        repscope::encode::noise_ceiling::split_half_reliability(&views, n_splits, seed)
    })?;
    Ok((r.ceiling, r.split_half))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(split_half_reliability, m)?)?;
    m.add_function(wrap_pyfunction!(unit_correlations, m)?)?;
    m.add_function(wrap_pyfunction!(match_one_to_one, m)?)?;
    m.add_function(wrap_pyfunction!(lasso_fit, m)?)?;
    m.add_function(wrap_pyfunction!(match_sparse, m)?)?;
    m.add_function(wrap_pyfunction!(match_spectral, m)?)?;
    m.add_function(wrap_pyfunction!(dirichlet_energy_of, m)?)?;
    m.add_function(wrap_pyfunction!(read_edges, m)?)?;
    m.add_function(wrap_pyfunction!(pca, m)?)?;
    m.add_function(wrap_pyfunction!(fit_map, m)?)?;
    m.add_function(wrap_pyfunction!(alignment, m)?)?;
    Ok(())
}
