//! Bindings of `repscope::taskvec`: task vector norms and cosines of
//! checkpoints on disk (the core's report as a Python class), and their
//! composition into a new checkpoint.

use std::path::PathBuf;

use numpy::IntoPyArray;
use pyo3::prelude::*;

use crate::convert::{ToPy, indices};
use crate::errors::enter_core;
use crate::results::data_frame;
use repscope::taskvec::{self, Coefficients, TaskVectors};

/// Norms and cosine similarities of task vectors, from
/// :func:`repscope.task_vectors`. ``to_pandas()`` gives the per-block table
/// (needs pandas); ``plot(path)`` draws the task x task cosine similarity.
///
/// Attributes: ``tasks``; ``blocks`` (the float tensors of the base, in
/// natural order), ``shapes``, ``dtypes`` (numpy's names), ``numel``;
/// ``norms`` and ``relative_norms`` (blocks x tasks; NaN where the base
/// block is zero), ``base_norms``, ``block_cosines`` (blocks x tasks x
/// tasks); ``task_norms``, ``task_relative_norms``, ``base_norm`` and
/// ``cosines`` (tasks x tasks) over the whole flattened vectors (a zero
/// task vector has cosine 0 with every vector); ``copied`` (the non-float
/// tensors, equal in every checkpoint).
#[pyclass(frozen, name = "TaskVectorReport", module = "repscope.taskvec")]
pub struct PyTaskVectorReport(TaskVectors);

#[pymethods]
impl PyTaskVectorReport {
    #[getter]
    fn tasks(&self) -> Vec<String> {
        self.0.tasks.clone()
    }

    #[getter]
    fn blocks(&self) -> Vec<String> {
        self.0.blocks.iter().map(|b| b.name.clone()).collect()
    }

    #[getter]
    fn shapes<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, pyo3::types::PyTuple>>> {
        self.0
            .blocks
            .iter()
            .map(|b| pyo3::types::PyTuple::new(py, &b.shape))
            .collect()
    }

    #[getter]
    fn dtypes(&self) -> Vec<String> {
        self.0.blocks.iter().map(|b| b.dtype.clone()).collect()
    }

    #[getter]
    fn numel<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray1<i64>> {
        indices(py, self.0.blocks.iter().map(|b| b.numel))
    }

    #[getter]
    fn copied(&self) -> Vec<String> {
        self.0.copied.clone()
    }

    #[getter]
    fn norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.norms.to_py(py)
    }

    #[getter]
    fn relative_norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.relative_norms.to_py(py)
    }

    #[getter]
    fn base_norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.base_norms.to_py(py)
    }

    #[getter]
    fn block_cosines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = &self.0;
        let t = r.tasks.len();
        let stacked: Vec<f64> = r
            .block_cosines
            .iter()
            .flat_map(|m| (0..t).flat_map(move |s| (0..t).map(move |u| m[(s, u)])))
            .collect();
        let a = ndarray::Array3::from_shape_vec((r.blocks.len(), t, t), stacked)
            .map_err(|e| crate::errors::core_error(py, repscope::Error::internal(e.to_string())))?;
        Ok(a.into_pyarray(py).into_any())
    }

    #[getter]
    fn task_norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.task_norms.to_py(py)
    }

    #[getter]
    fn task_relative_norms<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.task_relative_norms.to_py(py)
    }

    #[getter]
    fn base_norm(&self) -> f64 {
        self.0.base_norm
    }

    #[getter]
    fn cosines<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.0.cosines.to_py(py)
    }

    fn __repr__(&self) -> String {
        let r = &self.0;
        let norms: Vec<String> = r.task_norms.iter().map(|v| format!("{v:.4}")).collect();
        let tasks: Vec<String> = r.tasks.iter().map(|t| format!("'{t}'")).collect();
        format!(
            "TaskVectorReport({} tasks [{}], {} blocks)\ntask norms [{}]",
            r.tasks.len(),
            tasks.join(", "),
            r.blocks.len(),
            norms.join(" ")
        )
    }

    /// One row per block and task: ``block, task, numel, norm,
    /// relative_norm`` and ``cos_<task>`` for every task (the table of
    /// ``repscope taskvec --table``). Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = &self.0;
        let cells: Vec<(usize, usize)> = (0..r.blocks.len())
            .flat_map(|b| (0..r.tasks.len()).map(move |t| (b, t)))
            .collect();
        let mut columns: Vec<(String, Bound<'py, PyAny>)> = vec![
            (
                "block".into(),
                cells
                    .iter()
                    .map(|&(b, _)| r.blocks[b].name.clone())
                    .collect::<Vec<_>>()
                    .into_pyobject(py)?
                    .into_any(),
            ),
            (
                "task".into(),
                cells
                    .iter()
                    .map(|&(_, t)| r.tasks[t].clone())
                    .collect::<Vec<_>>()
                    .into_pyobject(py)?
                    .into_any(),
            ),
            (
                "numel".into(),
                indices(py, cells.iter().map(|&(b, _)| r.blocks[b].numel)).into_any(),
            ),
            (
                "norm".into(),
                cells
                    .iter()
                    .map(|&(b, t)| r.norms[(b, t)])
                    .collect::<Vec<f64>>()
                    .to_py(py)?,
            ),
            (
                "relative_norm".into(),
                cells
                    .iter()
                    .map(|&(b, t)| r.relative_norms[(b, t)])
                    .collect::<Vec<f64>>()
                    .to_py(py)?,
            ),
        ];
        for (u, other) in r.tasks.iter().enumerate() {
            let cos: Vec<f64> = cells
                .iter()
                .map(|&(b, t)| r.block_cosines[b][(t, u)])
                .collect();
            columns.push((format!("cos_{other}"), cos.to_py(py)?));
        }
        data_frame(
            py,
            columns
                .iter()
                .map(|(n, v)| (n.as_str(), v.clone()))
                .collect(),
        )
    }

    /// Draws the task x task cosine similarity as a heatmap (``.png`` or ``.svg``).
    fn plot(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let r = &self.0;
        enter_core(py, || {
            repscope_plot::heatmap(
                &path,
                &repscope_plot::Heatmap {
                    values: r.cosines.as_ref(),
                    row_labels: &r.tasks,
                    col_labels: &r.tasks,
                    title: "task vector cosine similarity",
                    subtitle: "",
                    row_axis: "A",
                    col_axis: "B",
                    value_label: "cosine",
                    range: Some((-1.0, 1.0)),
                },
            )
        })
    }
}

/// Norms and cosines of the task vectors of `finetuned` against `base`.
#[pyfunction]
#[pyo3(signature = (base, finetuned, names=None))]
fn task_vectors(
    py: Python<'_>,
    base: PathBuf,
    finetuned: Vec<PathBuf>,
    names: Option<Vec<String>>,
) -> PyResult<PyTaskVectorReport> {
    Ok(PyTaskVectorReport(enter_core(py, move || {
        taskvec::task_vectors(&base, &finetuned, names.as_deref())
    })?))
}

/// Writes θ_base + Σ_t λ_{t,b} τ_{t,b} to `out`: `default_per_task` for
/// the blocks `per_block` (block, one λ per task) does not name.
#[pyfunction]
#[pyo3(signature = (base, finetuned, out, default_per_task=None, per_block=None))]
fn compose_task_vectors(
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
    m.add_class::<PyTaskVectorReport>()?;
    m.add_function(wrap_pyfunction!(task_vectors, m)?)?;
    m.add_function(wrap_pyfunction!(compose_task_vectors, m)?)?;
    Ok(())
}
