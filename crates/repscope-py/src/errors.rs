//! `repscope::Error` → the exceptions of `repscope.errors`, and the one
//! helper every binding goes through: release the GIL, catch panics,
//! convert errors.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pyo3::prelude::*;
use pyo3::types::PyAnyMethods;

/// Runs `f` without the GIL; a panic becomes `InternalError`, a core error
/// the matching Python exception.
pub fn enter_core<T: Send>(
    py: Python<'_>,
    f: impl FnOnce() -> repscope::Result<T> + Send,
) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(f))) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(core_error(py, e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(exception(
                py,
                "InternalError",
                format!("repscope panicked: {what}; please report this as a bug"),
            ))
        }
    }
}

/// The Python exception for a core error.
pub fn core_error(py: Python<'_>, e: repscope::Error) -> PyErr {
    let class = if !e.is_input_error() {
        "InternalError"
    } else if e.is_file_error() {
        "FormatError"
    } else {
        "InputError"
    };
    exception(py, class, e.to_string())
}

fn exception(py: Python<'_>, class: &str, message: String) -> PyErr {
    let made = py
        .import("repscope.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1((message.clone(),)));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => pyo3::exceptions::PyRuntimeError::new_err(message),
    }
}
