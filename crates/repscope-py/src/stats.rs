//! Bindings of `repscope::stats`: noise covariance and precision, and the
//! group-level sign-flip tests.

use faer::Mat;
use numpy::{PyArray1, PyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, matrix_to_numpy, vector};
use crate::errors::enter_core;
use repscope::stats::covariance::{self, CovarianceMethod};
use repscope::stats::signflip::{
    Alternative, cluster_test as clusters, graph_clusters, sign_flip_test, space_time_neighbours,
};

/// Noise covariance (`precision=False`) or precision of residuals.
#[pyfunction]
#[pyo3(signature = (residuals, method, dof=None, precision=false))]
fn noise_covariance<'py>(
    py: Python<'py>,
    residuals: &Bound<'py, PyAny>,
    method: Pick<CovarianceMethod>,
    dof: Option<f64>,
    precision: bool,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let r = Input::from_py(residuals)?;
    let view = r.view();
    let out: Mat<f64> = enter_core(py, move || {
        if precision {
            covariance::noise_precision(view, method.0, dof)
        } else {
            covariance::noise_covariance(view, method.0, dof)
        }
    })?;
    Ok(matrix_to_numpy(py, out.as_ref()))
}

/// What `sign_flip` returns: t, p, max-corrected p.
type SignFlipParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Sign-flip permutation test of subjects × tests values.
#[pyfunction]
fn sign_flip<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    n_permutations: usize,
    seed: u64,
    alternative: Pick<Alternative>,
) -> PyResult<SignFlipParts<'py>> {
    let values = Input::from_py(values)?;
    let v = values.view();
    let r = enter_core(py, move || {
        sign_flip_test(v, n_permutations, seed, alternative.0)
    })?;
    Ok((vector(py, r.t), vector(py, r.p), vector(py, r.p_corrected)))
}

/// What `cluster_test` returns: t, clusters (start, stop, mass, p), p per test.
type ClusterParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<(usize, usize, f64, f64)>,
    Bound<'py, PyArray1<f64>>,
);

/// Cluster-based sign-flip test of subjects × time points.
#[pyfunction]
fn cluster_test<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    threshold: Option<f64>,
    n_permutations: usize,
    seed: u64,
    alternative: Pick<Alternative>,
) -> PyResult<ClusterParts<'py>> {
    let values = Input::from_py(values)?;
    let v = values.view();
    let r = enter_core(py, move || {
        clusters(v, n_permutations, seed, threshold, alternative.0)
    })?;
    Ok((vector(py, r.t), r.clusters, vector(py, r.p)))
}

/// What `cluster_test_graph` returns: t, cluster label per test (-1:
/// none), cluster masses, cluster p-values, p per test.
type GraphClusterParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<i64>,
    Vec<f64>,
    Vec<f64>,
    Bound<'py, PyArray1<f64>>,
);

/// Cluster-based sign-flip test over a graph of tests: `neighbours[j]`
/// lists test j's neighbours; with `times`, `neighbours` is a channel
/// adjacency and the tests are channels × times (channel-major).
#[pyfunction]
#[pyo3(signature = (values, neighbours, threshold, n_permutations, seed, alternative, times=None))]
#[allow(clippy::too_many_arguments)]
fn cluster_test_graph<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    neighbours: Vec<Vec<usize>>,
    threshold: Option<f64>,
    n_permutations: usize,
    seed: u64,
    alternative: Pick<Alternative>,
    times: Option<usize>,
) -> PyResult<GraphClusterParts<'py>> {
    let values = Input::from_py(values)?;
    let v = values.view();
    let r = enter_core(py, move || {
        let graph = match times {
            Some(t) => space_time_neighbours(&neighbours, t)?,
            None => neighbours,
        };
        graph_clusters(v, &graph, n_permutations, seed, threshold, alternative.0)
    })?;
    let labels = r
        .labels
        .iter()
        .map(|l| l.map_or(-1, |c| c as i64))
        .collect();
    Ok((
        vector(py, r.t),
        labels,
        r.masses,
        r.cluster_p,
        vector(py, r.p),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cluster_test_graph, m)?)?;
    m.add_function(wrap_pyfunction!(noise_covariance, m)?)?;
    m.add_function(wrap_pyfunction!(sign_flip, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_test, m)?)?;
    Ok(())
}
