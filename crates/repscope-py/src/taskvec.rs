//! Bindings of `repscope::taskvec`: task vector norms and cosines of
//! checkpoints on disk, and their composition into a new checkpoint.

use std::path::PathBuf;

use numpy::{IntoPyArray, PyArray1};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::matrix_to_numpy;
use crate::errors::enter_core;
use repscope::taskvec::{self, Coefficients};

/// Norms and cosines of the task vectors of `finetuned` against `base`, as
/// a dict of lists and float64 arrays (see `repscope.TaskVectorReport`).
#[pyfunction]
#[pyo3(signature = (base, finetuned, names=None))]
pub fn task_vectors<'py>(
    py: Python<'py>,
    base: PathBuf,
    finetuned: Vec<PathBuf>,
    names: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyDict>> {
    let r = enter_core(py, move || {
        taskvec::task_vectors(&base, &finetuned, names.as_deref())
    })?;
    let n_tasks = r.tasks.len();
    let stacked: Vec<f64> = r
        .block_cosines
        .iter()
        .flat_map(|m| (0..n_tasks).flat_map(move |s| (0..n_tasks).map(move |t| m[(s, t)])))
        .collect();
    let block_cosines =
        ndarray::Array3::from_shape_vec((r.blocks.len(), n_tasks, n_tasks), stacked)
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let vector = |v: &[f64]| PyArray1::from_slice(py, v);
    let d = PyDict::new(py);
    d.set_item("tasks", &r.tasks)?;
    d.set_item(
        "blocks",
        r.blocks.iter().map(|b| &b.name).collect::<Vec<_>>(),
    )?;
    d.set_item(
        "shapes",
        r.blocks.iter().map(|b| b.shape.clone()).collect::<Vec<_>>(),
    )?;
    d.set_item(
        "dtypes",
        r.blocks.iter().map(|b| &b.dtype).collect::<Vec<_>>(),
    )?;
    d.set_item(
        "numel",
        r.blocks.iter().map(|b| b.numel).collect::<Vec<_>>(),
    )?;
    d.set_item("copied", &r.copied)?;
    d.set_item("norms", matrix_to_numpy(py, r.norms.as_ref()))?;
    d.set_item(
        "relative_norms",
        matrix_to_numpy(py, r.relative_norms.as_ref()),
    )?;
    d.set_item("base_norms", vector(&r.base_norms))?;
    d.set_item("block_cosines", block_cosines.into_pyarray(py))?;
    d.set_item("task_norms", vector(&r.task_norms))?;
    d.set_item("task_relative_norms", vector(&r.task_relative_norms))?;
    d.set_item("base_norm", r.base_norm)?;
    d.set_item("cosines", matrix_to_numpy(py, r.cosines.as_ref()))?;
    Ok(d)
}

/// Writes θ_base + Σ_t λ_{t,b} τ_{t,b} to `out`: `default_per_task` for
/// the blocks `per_block` (block, one λ per task) does not name.
#[pyfunction]
#[pyo3(signature = (base, finetuned, out, default_per_task=None, per_block=None))]
pub fn compose_task_vectors(
    py: Python<'_>,
    base: PathBuf,
    finetuned: Vec<PathBuf>,
    out: PathBuf,
    default_per_task: Option<Vec<f64>>,
    per_block: Option<Vec<(String, Vec<f64>)>>,
) -> PyResult<()> {
    let coefficients = Coefficients {
        default_per_task,
        per_block: per_block.unwrap_or_default(),
    };
    enter_core(py, move || {
        taskvec::compose(&base, &finetuned, &coefficients, &out)
    })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(task_vectors, m)?)?;
    m.add_function(wrap_pyfunction!(compose_task_vectors, m)?)?;
    Ok(())
}
