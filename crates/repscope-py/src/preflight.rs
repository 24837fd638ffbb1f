//! A job's predicted peak memory and time (`estimate=True`) and the check
//! that refuses a job past the memory available (`force=False`); core
//! `repscope::preflight`.

use pyo3::prelude::*;
use repscope::preflight::Estimate;

use crate::errors::core_error;
use crate::results::py_result;

py_result! {
    /// A job's predicted peak memory above its inputs and its compute time
    /// on this machine (``estimate=True``), without running it.
    PyEstimate(Estimate) as "Estimate" in "repscope.preflight" {
        /// the job, as a refusal names it
        what,
        /// (part, bytes) that make up the predicted peak
        parts,
        /// floating-point operations, to leading order
        flops,
        /// predicted seconds of compute, from this machine's measured rate
        seconds,
    }
    methods {
        /// Bytes at the predicted peak.
        #[getter]
        fn peak_bytes(&self) -> u64 {
            self.0.peak_bytes()
        }

        /// The prediction as text, part by part.
        fn report(&self) -> String {
            self.0.report()
        }

        fn __str__(&self) -> String {
            self.0.report()
        }
    }
}

/// With `estimate`, the prediction timed on this machine, as a Python
/// object for the caller to return; otherwise `None` once the job is known
/// to fit in the memory available (or `force` is set). Call it after the
/// inputs are converted, with the binding's own copies added as parts.
pub fn preflight<'py>(
    py: Python<'py>,
    mut prediction: Estimate,
    estimate: bool,
    force: bool,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if estimate {
        prediction.calibrate();
        return Ok(Some(Bound::new(py, PyEstimate(prediction))?.into_any()));
    }
    if !force {
        prediction
            .check_fits(repscope::memory::available_bytes())
            .map_err(|e| core_error(py, e))?;
    }
    Ok(None)
}

/// Bytes this process may still allocate (the machine's available memory,
/// or the room under a cgroup limit), or None where the system does not say.
#[pyfunction]
fn available_memory() -> Option<u64> {
    repscope::memory::available_bytes()
}

/// Refuses more resamples than one call takes, or than memory holds with
/// `values_each` float64 kept per resample (for the front end's own draws).
#[pyfunction]
fn check_resamples(py: Python<'_>, what: &str, count: usize, values_each: usize) -> PyResult<()> {
    repscope::preflight::check_resamples(what, count, values_each).map_err(|e| core_error(py, e))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEstimate>()?;
    m.add_function(wrap_pyfunction!(check_resamples, m)?)?;
    m.add_function(wrap_pyfunction!(available_memory, m)?)?;
    Ok(())
}
