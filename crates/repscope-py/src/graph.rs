//! Bindings of `repscope::graph`: Dirichlet energy of a representation on
//! a graph over its stimuli, and edge files.

use pyo3::prelude::*;

use crate::convert::Input;
use crate::errors::enter_core;
use crate::results::py_result;
use repscope::graph::{Energy, Graph, dirichlet_energy};

py_result! {
    /// ``energy``: sum over ordered pairs of A_ij ||x_i - x_j||^2 (each
    /// undirected edge twice); ``dispersion``: sum_i ||x_i - mean||^2;
    /// ``normalised``: mean squared edge length / mean squared distance of
    /// all pairs of distinct stimuli (1: the graph is invisible; 0:
    /// neighbours coincide).
    PyGraphEnergy(Energy) as "GraphEnergy" in "repscope.graph" {
        /// float.
        energy,
        /// float.
        dispersion,
        /// float.
        normalised,
    }
}

/// Dirichlet energy of `x` on the graph with `edges` (i, j, weight).
#[pyfunction]
fn dirichlet_energy_of(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    edges: Vec<(usize, usize, f64)>,
) -> PyResult<PyGraphEnergy> {
    let x = Input::from_py(x)?;
    let xv = x.view();
    Ok(PyGraphEnergy(enter_core(py, move || {
        let graph = Graph::new(xv.nrows(), edges)?;
        dirichlet_energy(xv, &graph)
    })?))
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyGraphEnergy>()?;
    m.add_function(wrap_pyfunction!(dirichlet_energy_of, m)?)?;
    m.add_function(wrap_pyfunction!(read_edges, m)?)?;
    Ok(())
}
