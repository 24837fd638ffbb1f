//! Core result structs as Python classes: [`py_result!`] wraps a struct
//! of the core in a frozen class with one read-only attribute per field
//! (converted by [`crate::convert::ToPy`]), so a result is declared once,
//! in the core, and reaches Python without a dict in between.

/// `py_result! { /// doc  PyName(core::Type) as "Name" in "repscope.module" { /// doc field, ... } methods { ... } }`
macro_rules! py_result {
    (
        $(#[doc = $doc:literal])*
        $py:ident($core:ty) as $name:literal in $module:literal {
            $( $(#[doc = $fdoc:literal])* $field:ident ),* $(,)?
        }
        $(methods { $($extra:tt)* })?
    ) => {
        $(#[doc = $doc])*
        #[pyclass(frozen, name = $name, module = $module)]
        pub struct $py(pub $core);

        #[pymethods]
        impl $py {
            $(
                $(#[doc = $fdoc])*
                #[getter]
                fn $field<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    $crate::convert::ToPy::to_py(&self.0.$field, py)
                }
            )*

            fn __repr__(&self) -> String {
                let fields: &[&str] = &[$(stringify!($field)),*];
                format!("{}({})", $name, fields.join(", "))
            }

            $($($extra)*)?
        }
    };
}

pub(crate) use py_result;

use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A `pandas.DataFrame` of named columns (needs pandas).
pub fn data_frame<'py>(
    py: Python<'py>,
    columns: Vec<(&str, Bound<'py, PyAny>)>,
) -> PyResult<Bound<'py, PyAny>> {
    let pandas = py.import("pandas").map_err(|_| {
        pyo3::exceptions::PyImportError::new_err("to_pandas needs pandas: pip install pandas")
    })?;
    let table = PyDict::new(py);
    for (name, values) in columns {
        table.set_item(name, values)?;
    }
    pandas.call_method1("DataFrame", (table,))
}
