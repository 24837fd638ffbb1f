//! Bindings of `repscope::linalg`: principal components.

use pyo3::prelude::*;

use crate::convert::Input;
use crate::data::check_finite;
use crate::errors::enter_core;
use crate::results::py_result;
use repscope::linalg::pca::{Pca, pca as principal_components};

py_result! {
    /// The centred rows projected on their first principal axes; each
    /// component's largest-magnitude loading is positive.
    PyPca(Pca) as "PCA" in "repscope.linalg" {
        /// ndarray (stimuli, dims): coordinates on the components.
        scores,
        /// ndarray (units, dims): the unit-length component directions.
        components,
        /// ndarray (dims,): fraction of the total variance per component.
        explained_variance_ratio,
    }
}

/// First `dims` principal components of the rows of `x`.
#[pyfunction]
fn pca(py: Python<'_>, x: &Bound<'_, PyAny>, dims: usize) -> PyResult<PyPca> {
    let x = Input::from_py(x)?;
    let xv = x.view();
    Ok(PyPca(enter_core(py, move || {
        check_finite(xv)?;
        principal_components(xv, dims)
    })?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPca>()?;
    m.add_function(wrap_pyfunction!(pca, m)?)?;
    Ok(())
}
