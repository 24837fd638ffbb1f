//! The one module that converts between numpy and the core: arrays in
//! (viewed in place where the layout allows), values out ([`ToPy`]),
//! measure parameters from a dict, and named choices ([`Pick`]).
//!
//! float64 arrays are viewed in place, whatever their strides (C or Fortran
//! order, slices, transposes, negative steps): no copy. The exception is an
//! array whose elements are not aligned (possible in numpy, e.g. after
//! unpickling), which is copied element by element. float32 arrays are
//! widened to float64 once, since every computation accumulates in f64.
//! Other dtypes are converted by the Python layer (`numpy.asarray(x,
//! dtype=float64)`) before they arrive here.

use faer::{Mat, MatRef};
use numpy::{
    Element, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::errors::core_error;
use repscope::Choice;
use repscope::measures::{ParamValue, Params};

/// A representation received from Python.
pub enum Input<'py> {
    /// A float64 array, viewed in place.
    F64(PyReadonlyArray2<'py, f64>),
    /// A float32 (or unaligned) array copied to float64.
    Widened(Mat<f64>),
}

/// A core error for an argument that is not what a function takes.
pub fn wrong_argument(py: Python<'_>, what: &str, expected: &str, got: String) -> PyErr {
    core_error(
        py,
        repscope::Error::Invalid {
            what: what.to_string(),
            detail: format!("expected {expected}, got {got}"),
        },
    )
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map_or_else(|_| "?".into(), |n| n.to_string())
}

impl<'py> Input<'py> {
    /// A 2-D float32 or float64 numpy array.
    pub fn from_py(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let array = obj
            .cast::<PyUntypedArray>()
            .map_err(|_| wrong_argument(py, "array argument", "a numpy array", type_name(obj)))?;
        if array.ndim() != 2 {
            return Err(core_error(
                py,
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
        if let Ok(a) = obj.cast::<PyArray2<f32>>() {
            if !aligned {
                return Ok(Input::Widened(copy_unaligned(a)));
            }
            let a = a.readonly();
            let v = a.as_array();
            return Ok(Input::Widened(Mat::from_fn(
                v.nrows(),
                v.ncols(),
                |i, j| f64::from(v[[i, j]]),
            )));
        }
        Err(core_error(
            py,
            repscope::Error::UnsupportedDtype {
                array: "input".into(),
                dtype: array.dtype().to_string(),
            },
        ))
    }

    /// A faer view of the data (in place for float64).
    pub fn view(&self) -> MatRef<'_, f64> {
        match self {
            Input::F64(a) => in_place(a),
            Input::Widened(m) => m.as_ref(),
        }
    }

    /// Bytes of the float64 copy made on the way in (0 when viewed in
    /// place): what a preflight adds to the job's own peak.
    pub fn copy_bytes(&self) -> u64 {
        match self {
            Input::F64(_) => 0,
            Input::Widened(m) => repscope::preflight::f64s(m.nrows() * m.ncols()),
        }
    }
}

/// A faer view of an aligned numpy array, in place (any strides).
fn in_place<'a, T: Element>(a: &'a PyReadonlyArray2<'_, T>) -> MatRef<'a, T> {
    let v = a.as_array();
    let (rows, cols) = v.dim();
    let strides = v.strides();
    // SAFETY: the pointer, shape and element strides describe the live,
    // aligned numpy buffer, which the readonly borrow keeps alive and
    // unmodified for as long as the borrow (and so the view) lives.
    unsafe { MatRef::from_raw_parts(v.as_ptr(), rows, cols, strides[0], strides[1]) }
}

/// A 2-D float32 or float64 array kept in its own precision: float32 data
/// is viewed in place, not widened (whole-brain searchlight volumes).
pub enum StoredInput<'py> {
    F32(PyReadonlyArray2<'py, f32>),
    Other(Input<'py>),
}

impl<'py> StoredInput<'py> {
    pub fn from_py(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let aligned = obj
            .cast::<PyUntypedArray>()
            .is_ok_and(|a| a.ndim() == 2 && a.is_aligned());
        match obj.cast::<PyArray2<f32>>() {
            Ok(a) if aligned => Ok(StoredInput::F32(a.readonly())),
            _ => Input::from_py(obj).map(StoredInput::Other),
        }
    }

    pub fn view(&self) -> repscope::linalg::Stored<'_> {
        match self {
            StoredInput::F32(a) => in_place(a).into(),
            StoredInput::Other(i) => i.view().into(),
        }
    }
}

/// Every array of a list, as inputs.
pub fn inputs<'py>(arrays: &[Bound<'py, PyAny>]) -> PyResult<Vec<Input<'py>>> {
    arrays.iter().map(Input::from_py).collect()
}

/// Named representations over inputs.
pub fn reps<'a>(names: &'a [String], inputs: &'a [Input<'_>]) -> Vec<repscope::RepRef<'a>> {
    names
        .iter()
        .zip(inputs)
        .map(|(name, i)| repscope::RepRef { name, x: i.view() })
        .collect()
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

/// A row-major faer view of a C-contiguous array of any element type.
pub fn row_major<'a, T: Element>(a: &'a PyReadonlyArray2<'_, T>) -> PyResult<MatRef<'a, T>> {
    let (rows, cols) = (a.shape()[0], a.shape()[1]);
    let slice = a.as_slice().map_err(|_| {
        wrong_argument(
            a.py(),
            "array argument",
            "a C-contiguous array",
            "a strided view".into(),
        )
    })?;
    Ok(MatRef::from_row_major_slice(slice, rows, cols))
}

/// The rows of a C-contiguous float64 array, as slices (RDM stacks).
pub fn rows<'a>(a: &'a PyReadonlyArray2<'_, f64>) -> PyResult<Vec<&'a [f64]>> {
    let width = a.shape()[1].max(1);
    let flat = a.as_slice().map_err(|_| {
        wrong_argument(
            a.py(),
            "RDM stack",
            "a C-contiguous float64 array",
            "a strided view".into(),
        )
    })?;
    Ok(flat.chunks(width).collect())
}

/// Values handed back to Python: numbers as numbers, vectors and matrices
/// as new numpy arrays (indices as int64, an absent index as −1).
pub trait ToPy {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! to_py_via_into_pyobject {
    ($($t:ty),*) => {$(
        impl ToPy for $t {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                self.clone().into_bound_py_any(py)
            }
        }
    )*};
}
to_py_via_into_pyobject!(
    f64,
    usize,
    u64,
    bool,
    String,
    Option<f64>,
    Option<usize>,
    Vec<String>,
    Vec<bool>,
    Vec<Vec<usize>>,
    Vec<(String, u64)>,
    (f64, f64)
);

impl ToPy for Vec<f64> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(PyArray1::from_slice(py, self).into_any())
    }
}

impl ToPy for Vec<usize> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(indices(py, self.iter().copied()).into_any())
    }
}

impl ToPy for Vec<Option<usize>> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v: Vec<i64> = self.iter().map(|x| x.map_or(-1, |i| i as i64)).collect();
        Ok(PyArray1::from_vec(py, v).into_any())
    }
}

impl ToPy for Vec<(usize, usize)> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let flat: Vec<i64> = self
            .iter()
            .flat_map(|&(i, j)| [i as i64, j as i64])
            .collect();
        let a = ndarray::Array2::from_shape_vec((self.len(), 2), flat)
            .map_err(|e| crate::errors::core_error(py, repscope::Error::internal(e.to_string())))?;
        Ok(a.into_pyarray(py).into_any())
    }
}

/// Voxel indices as an (n, 3) int64 array, -1 where there is none.
impl ToPy for Vec<Option<[usize; 3]>> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let flat: Vec<i64> = self
            .iter()
            .flat_map(|v| v.map_or([-1; 3], |[i, j, k]| [i as i64, j as i64, k as i64]))
            .collect();
        let a = ndarray::Array2::from_shape_vec((self.len(), 3), flat)
            .map_err(|e| crate::errors::core_error(py, repscope::Error::internal(e.to_string())))?;
        Ok(a.into_pyarray(py).into_any())
    }
}

impl ToPy for Option<String> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.clone().into_bound_py_any(py)
    }
}

impl ToPy for Option<Vec<String>> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.clone().into_bound_py_any(py)
    }
}

/// Rows of equal length as a 2-D float64 array (e.g. RDMs × pairs).
impl ToPy for Vec<Vec<f64>> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let cols = self.first().map_or(0, Vec::len);
        let m = Mat::from_fn(self.len(), cols, |i, j| self[i][j]);
        Ok(matrix_to_numpy(py, m.as_ref()).into_any())
    }
}

/// rsatoolbox descriptors as a dict: text as `str` or a numpy array of
/// `str`, numbers as a float or an int64/float64 array.
impl ToPy for repscope::data::rsatoolbox::Descriptors {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        use repscope::data::rsatoolbox::Descriptor;
        let out = pyo3::types::PyDict::new(py);
        let np = py.import("numpy")?;
        for (name, value) in self {
            let v = match value {
                Descriptor::Text(s) => s.clone().into_bound_py_any(py)?,
                Descriptor::Texts(v) => np.call_method1("array", (v.clone(),))?,
                Descriptor::Integers(v) => PyArray1::from_slice(py, v).into_any(),
                Descriptor::Numbers(v) => PyArray1::from_slice(py, v).into_any(),
                Descriptor::Number(x) => x.into_bound_py_any(py)?,
            };
            out.set_item(name, v)?;
        }
        Ok(out.into_any())
    }
}

/// Descriptors from a dict (see the `ToPy` impl above for the kinds); the
/// Python layer has already turned arrays into lists of `str`, int64 or
/// float64 arrays.
pub fn descriptors_from(
    dict: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<repscope::data::rsatoolbox::Descriptors> {
    use repscope::data::rsatoolbox::Descriptor;
    let Some(dict) = dict else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (k, v) in dict.iter() {
        let name: String = k.extract()?;
        let value = if let Ok(s) = v.extract::<String>() {
            Descriptor::Text(s)
        } else if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, i64>>() {
            Descriptor::Integers(a.as_array().to_vec())
        } else if let Ok(a) = v.extract::<numpy::PyReadonlyArray1<'_, f64>>() {
            Descriptor::Numbers(a.as_array().to_vec())
        } else if let Ok(x) = v.extract::<f64>() {
            Descriptor::Number(x)
        } else {
            Descriptor::Texts(v.extract::<Vec<String>>()?)
        };
        out.push((name, value));
    }
    Ok(out)
}

/// A NIfTI volume's values as an n-D float64 array (NIfTI's Fortran order
/// kept, so `a[i, j, k, t]` is voxel (i, j, k) of volume t).
impl ToPy for repscope::data::nifti::Volume {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        use ndarray::ShapeBuilder;
        let a = ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&self.shape).f(), self.data.clone())
            .map_err(|e| crate::errors::core_error(py, repscope::Error::internal(e.to_string())))?;
        Ok(a.into_pyarray(py).into_any())
    }
}

/// Paths as a list of `str`.
impl ToPy for Vec<std::path::PathBuf> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v: Vec<String> = self.iter().map(|p| p.display().to_string()).collect();
        v.into_bound_py_any(py)
    }
}

impl ToPy for Mat<f64> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(matrix_to_numpy(py, self.as_ref()).into_any())
    }
}

/// A new C-order float64 numpy array with the values of `m`.
pub fn matrix_to_numpy<'py>(py: Python<'py>, m: MatRef<'_, f64>) -> Bound<'py, PyArray2<f64>> {
    // Tiled into row-major order first: read straight from the columns,
    // a wide matrix would be walked with a stride of a whole column.
    let (rows, cols) = (m.nrows(), m.ncols());
    let values = repscope::linalg::layout::to_row_major(m);
    // `to_row_major` gives rows × cols values, so the shape always fits and
    // the buffer moves into numpy without a copy.
    ndarray::Array2::from_shape_vec((rows, cols), values)
        .unwrap_or_else(|_| ndarray::Array2::from_shape_fn((rows, cols), |(i, j)| m[(i, j)]))
        .into_pyarray(py)
}

/// A new float64 vector.
pub fn vector<'py>(py: Python<'py>, v: Vec<f64>) -> Bound<'py, PyArray1<f64>> {
    PyArray1::from_vec(py, v)
}

/// Indices as a new int64 vector.
pub fn indices<'py>(
    py: Python<'py>,
    v: impl IntoIterator<Item = usize>,
) -> Bound<'py, PyArray1<i64>> {
    PyArray1::from_vec(py, v.into_iter().map(|i| i as i64).collect())
}

/// A row-major `rows × cols` buffer as a new 2-D numpy array.
pub fn grid<'py, T: Element>(
    py: Python<'py>,
    rows: usize,
    cols: usize,
    values: Vec<T>,
) -> PyResult<Bound<'py, PyArray2<T>>> {
    ndarray::Array2::from_shape_vec((rows, cols), values)
        .map(|a| a.into_pyarray(py))
        .map_err(|e| {
            core_error(
                py,
                repscope::Error::internal(format!("building a {rows} × {cols} array: {e}")),
            )
        })
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
            return Err(wrong_argument(
                d.py(),
                &format!("parameter '{key}'"),
                "a number, bool or string",
                type_name(&v),
            ));
        };
        params.insert(key, value);
    }
    Ok(params)
}

/// A named choice from a Python string: the one string → enum bridge of
/// the binding. An unknown name is the core's `UnknownChoice` error.
pub struct Pick<T>(pub T);

impl<'a, 'py, T: Choice> FromPyObject<'a, 'py> for Pick<T> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let py = obj.py();
        let name: String = obj.extract().map_err(|_| {
            wrong_argument(
                py,
                T::WHAT,
                &format!("one of the names {}", T::names().join(", ")),
                type_name(&obj.to_owned()),
            )
        })?;
        T::from_name(&name).map(Pick).map_err(|e| core_error(py, e))
    }
}
