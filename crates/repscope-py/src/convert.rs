//! numpy arrays in, faer views out (and back).
//!
//! float64 arrays are viewed in place, whatever their strides (C or Fortran
//! order, slices, transposes, negative steps): no copy. The exception is an
//! array whose elements are not aligned (possible in numpy, e.g. after
//! unpickling), which is copied element by element. float32 arrays are
//! widened to float64 once, since every computation accumulates in f64.
//! Other dtypes are converted by the Python layer (`numpy.asarray(x,
//! dtype=float64)`) before they arrive here.

use faer::{Mat, MatRef};
use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::errors::core_error;
use repscope::measures::{ParamValue, Params};

/// A representation received from Python.
pub enum Input<'py> {
    /// A float64 array, viewed in place.
    F64(PyReadonlyArray2<'py, f64>),
    /// A float32 array widened to float64.
    Widened(Mat<f64>),
}

impl<'py> Input<'py> {
    pub fn from_py(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let array = obj.cast::<PyUntypedArray>().map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "expected a numpy array, got {}",
                obj.get_type()
                    .name()
                    .map_or_else(|_| "?".into(), |n| n.to_string())
            ))
        })?;
        if array.ndim() != 2 {
            return Err(core_error(
                obj.py(),
                repscope::Error::NotTwoDimensional {
                    array: "input".into(),
                    shape: array.shape().to_vec(),
                },
            ));
        }
        let aligned = array.is_aligned();
        if let Ok(a) = obj.cast::<PyArray2<f64>>() {
            if !aligned {
                return Ok(Input::Widened(copy_unaligned(a)));
            }
            return Ok(Input::F64(a.readonly()));
        }
        if let Ok(a) = obj.cast::<PyArray2<f32>>()
            && !aligned
        {
            return Ok(Input::Widened(copy_unaligned(a)));
        }
        if let Ok(a) = obj.cast::<PyArray2<f32>>() {
            let a = a.readonly();
            let v = a.as_array();
            return Ok(Input::Widened(Mat::from_fn(
                v.nrows(),
                v.ncols(),
                |i, j| f64::from(v[[i, j]]),
            )));
        }
        Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "arrays must be float32 or float64 here, got {}",
            array.dtype()
        )))
    }

    /// A faer view of the data (in place for float64).
    pub fn view(&self) -> MatRef<'_, f64> {
        match self {
            Input::F64(a) => {
                let v = a.as_array();
                let (rows, cols) = v.dim();
                let strides = v.strides();
                // SAFETY: the pointer, shape and element strides describe the
                // live numpy buffer, which the readonly borrow keeps alive and
                // unmodified for as long as `self` (and so the view) lives.
                unsafe { MatRef::from_raw_parts(v.as_ptr(), rows, cols, strides[0], strides[1]) }
            }
            Input::Widened(m) => m.as_ref(),
        }
    }
}

/// A float64 copy of a 2-D array whose elements are not aligned for their
/// type. numpy allows such arrays (e.g. rebuilt from pickled buffers, as
/// Dask does when it ships arrays between processes); viewing them in place
/// would be undefined behaviour, so each element is read unaligned.
fn copy_unaligned<T: numpy::Element + Copy + Into<f64>>(
    array: &Bound<'_, PyArray2<T>>,
) -> Mat<f64> {
    let (shape, strides) = (array.shape(), array.strides());
    let base = array.data() as *const u8;
    Mat::from_fn(shape[0], shape[1], |i, j| {
        let offset = i as isize * strides[0] + j as isize * strides[1];
        // SAFETY: numpy's shape and byte strides place element (i, j) at
        // this offset inside the buffer, which the array keeps alive.
        unsafe { std::ptr::read_unaligned(base.offset(offset).cast::<T>()) }.into()
    })
}

/// A new C-order float64 numpy array with the values of `m`.
pub fn matrix_to_numpy<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> Bound<'py, PyArray2<f64>> {
    let a = ndarray::Array2::from_shape_fn((m.nrows(), m.ncols()), |(i, j)| m[(i, j)]);
    numpy::IntoPyArray::into_pyarray(a, py)
}

/// Measure parameters from a Python dict of numbers, bools and strings.
pub fn params_from_dict(d: Option<&Bound<'_, PyDict>>) -> PyResult<Params> {
    let mut params = Params::new();
    let Some(d) = d else { return Ok(params) };
    for (k, v) in d.iter() {
        let key: String = k.extract()?;
        let value = if v.is_instance_of::<PyBool>() {
            ParamValue::Bool(v.extract()?)
        } else if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
            ParamValue::Number(v.extract()?)
        } else if v.is_instance_of::<PyString>() {
            ParamValue::Text(v.extract()?)
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "parameter '{key}' must be a number, bool or string"
            )));
        };
        params.insert(key, value);
    }
    Ok(params)
}

/// `IsotropicScaling` → `isotropic_scaling`.
pub fn snake_case(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if c.is_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
