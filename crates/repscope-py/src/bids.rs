//! Bindings of `repscope::bids`: beta series found in BIDS derivatives.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::data::affine_to_numpy;
use crate::errors::enter_core;
use crate::results::py_result;
use repscope::bids::{BidsBetas, BidsQuery, load_betas};

py_result! {
    /// The beta series of every run of a BIDS subject and task.
    PyBidsBetas(BidsBetas) as "BidsBetas" in "repscope.bids" {
        /// ndarray (x, y, z, events): the runs' betas, concatenated.
        volume,
        /// list of str: the condition of each volume.
        conditions,
        /// list of str: the run (fold) of each volume.
        runs,
        /// list of str: the beta files read, one per run.
        files,
        /// list of str: the events file of each run.
        events,
    }
    methods {
        /// ndarray (4, 4): voxel indices to world coordinates (mm).
        #[getter]
        fn affine<'py>(&self, py: Python<'py>) -> Bound<'py, numpy::PyArray2<f64>> {
            affine_to_numpy(py, &self.0.volume.affine)
        }
    }
}

/// Finds and reads the beta series of a subject and task.
#[pyfunction]
#[pyo3(signature = (root, subject, task, space=None, desc=None, session=None, suffix="beta".to_string(), raw=None, condition_column="trial_type".to_string()))]
#[allow(clippy::too_many_arguments)]
fn load_bids_betas(
    py: Python<'_>,
    root: PathBuf,
    subject: String,
    task: String,
    space: Option<String>,
    desc: Option<String>,
    session: Option<String>,
    suffix: String,
    raw: Option<PathBuf>,
    condition_column: String,
) -> PyResult<PyBidsBetas> {
    let query = BidsQuery {
        space,
        desc,
        session,
        suffix,
        raw,
        condition_column,
        ..BidsQuery::new(root, &subject, &task)
    };
    enter_core(py, || load_betas(&query)).map(PyBidsBetas)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyBidsBetas>()?;
    m.add_function(wrap_pyfunction!(load_bids_betas, m)?)?;
    Ok(())
}
