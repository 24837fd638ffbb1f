//! Bindings of `repscope::rsa::movie`: an RDM per time point or window of
//! measurements × channels × time data.

use numpy::{PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, matrix_to_numpy, wrong_argument};
use crate::errors::enter_core;
use repscope::rsa::{RdmMethod, RdmSpec};

/// RDM movie of C-order measurements × channels × time values: windows ×
/// pairs.
#[pyfunction]
#[pyo3(signature = (data, shape, method, window=1, step=1, conditions=None, folds=None, precision=None))]
#[allow(clippy::too_many_arguments)]
fn rdm_movie_core<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, f64>,
    shape: [usize; 3],
    method: Pick<RdmMethod>,
    window: usize,
    step: usize,
    conditions: Option<Vec<String>>,
    folds: Option<Vec<String>>,
    precision: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let precision = precision.map(Input::from_py).transpose()?;
    let pv = precision.as_ref().map(Input::view);
    let flat = data.as_slice().map_err(|_| {
        wrong_argument(
            py,
            "movie data",
            "a C-contiguous array",
            "a strided view".into(),
        )
    })?;
    let movie = enter_core(py, move || {
        let (condition_codes, fold_codes) = (super::codes(conditions), super::codes(folds));
        let spec = RdmSpec {
            precision: pv,
            conditions: condition_codes.as_deref(),
            folds: fold_codes.as_deref(),
            ..RdmSpec::new(method.0)
        };
        repscope::rsa::movie::rdm_movie(flat, shape, &spec, window, step)
    })?;
    Ok(matrix_to_numpy(py, movie.as_ref()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rdm_movie_core, m)?)?;
    Ok(())
}
