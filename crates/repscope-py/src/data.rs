//! Bindings of `repscope::data`: RepSets on disk (`.npy`, `.npz`,
//! `.safetensors`, folders, read whole or one representation at a time),
//! NIfTI volumes, and labels to codes.

use std::path::PathBuf;

use faer::Mat;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::{descriptors_from, inputs, matrix_to_numpy};
use crate::errors::enter_core;
use crate::results::py_result;
use repscope::data::StoreAs;
use repscope::data::labels::labels_to_codes;
use repscope::data::nifti::{Volume, read_nifti, write_nifti};
use repscope::data::rsatoolbox::{RsaDataset, read_dataset, write_dataset};
use repscope::data::source::{open_source, summarize, summarize_matrix};
use repscope::data::surface::{Cifti, read_cifti};

/// What `load` returns to Python: names, float64 arrays, stimulus labels.
type LoadedRepSet<'py> = (
    Vec<String>,
    Vec<Bound<'py, PyArray2<f64>>>,
    Option<Vec<String>>,
);

/// Loads a RepSet: returns (names, float64 arrays, stimulus labels or None).
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<LoadedRepSet<'_>> {
    let set = enter_core(py, || repscope::load(&path))?;
    let (names, mats, stimuli) = set.into_parts();
    let arrays = mats
        .iter()
        .map(|m| matrix_to_numpy(py, m.as_ref()))
        .collect();
    Ok((names, arrays, stimuli))
}

/// The names of a RepSet on disk. A folder or a `.safetensors` file is
/// listed without reading any array; other files are read whole.
#[pyfunction]
fn names_in(py: Python<'_>, path: PathBuf) -> PyResult<Vec<String>> {
    enter_core(py, || {
        if let Ok(source) = open_source(&path) {
            return Ok((0..source.len())
                .map(|i| source.name(i).to_string())
                .collect());
        }
        Ok(repscope::load(&path)?.into_parts().0)
    })
}

/// Loads only the named representations of a RepSet on disk, in the given
/// order: from a folder or a `.safetensors` file only their bytes are read.
#[pyfunction]
fn load_some(
    py: Python<'_>,
    path: PathBuf,
    names: Vec<String>,
) -> PyResult<Vec<Bound<'_, PyArray2<f64>>>> {
    let mats = enter_core(py, || {
        let find = |all: &[String], name: &str| {
            all.iter().position(|a| a == name).ok_or_else(|| {
                repscope::Error::UnknownRepresentation {
                    set: path.display().to_string(),
                    name: name.to_string(),
                    known: all.to_vec(),
                }
            })
        };
        if let Ok(source) = open_source(&path) {
            let all: Vec<String> = (0..source.len())
                .map(|i| source.name(i).to_string())
                .collect();
            return names
                .iter()
                .map(|n| source.load(find(&all, n)?))
                .collect::<repscope::Result<Vec<_>>>();
        }
        let (all, mats, _) = repscope::load(&path)?.into_parts();
        names
            .iter()
            .map(|n| Ok(mats[find(&all, n)?].clone()))
            .collect()
    })?;
    Ok(mats
        .iter()
        .map(|m| matrix_to_numpy(py, m.as_ref()))
        .collect())
}

/// One representation's summary, as `repscope info` prints it.
type SummaryRow = (String, usize, usize, f64, f64, f64, usize);

/// The summary of every representation of a file or folder: name,
/// stimuli, units, min, max, mean, non-finite count. A `.safetensors` or
/// HDF5 file is read block by block of rows; others are loaded.
#[pyfunction]
fn summarize_file(py: Python<'_>, path: PathBuf) -> PyResult<Vec<SummaryRow>> {
    let row = |name: &str, s: repscope::data::source::Summary| {
        (
            name.to_string(),
            s.stimuli,
            s.units,
            s.min,
            s.max,
            s.mean,
            s.non_finite,
        )
    };
    enter_core(py, || {
        if !path.is_dir() {
            if let Ok(source) = open_source(&path) {
                return (0..source.len())
                    .map(|i| Ok(row(source.name(i), summarize(source.as_ref(), i)?)))
                    .collect();
            }
        }
        let set = repscope::load(&path)?;
        Ok(set
            .views()
            .iter()
            .map(|r| row(r.name, summarize_matrix(r.x)))
            .collect())
    })
}

/// Rows `start..stop` of one representation on disk: from a `.safetensors`
/// or HDF5 file only those rows are read.
#[pyfunction]
fn load_rows(
    py: Python<'_>,
    path: PathBuf,
    name: String,
    start: usize,
    stop: usize,
) -> PyResult<Bound<'_, PyArray2<f64>>> {
    let x = enter_core(py, || {
        let source = open_source(&path)?;
        let all: Vec<String> = (0..source.len())
            .map(|i| source.name(i).to_string())
            .collect();
        let i = all.iter().position(|a| *a == name).ok_or_else(|| {
            repscope::Error::UnknownRepresentation {
                set: path.display().to_string(),
                name: name.clone(),
                known: all.clone(),
            }
        })?;
        let (_, units) = source.shape(i)?;
        Ok((source.load_rows_row_major(i, start..stop)?, units))
    })?;
    let (values, units) = x;
    let rows = values.len() / units.max(1);
    crate::convert::grid(py, rows, units, values)
}

/// Saves named arrays (`.npy`, `.npz`, `.safetensors`).
#[pyfunction]
#[pyo3(signature = (path, names, arrays, stimuli=None, float32=false))]
fn save(
    py: Python<'_>,
    path: PathBuf,
    names: Vec<String>,
    arrays: Vec<Bound<'_, PyAny>>,
    stimuli: Option<Vec<String>>,
    float32: bool,
) -> PyResult<()> {
    let mats: Vec<Mat<f64>> = inputs(&arrays)?
        .iter()
        .map(|i| i.view().to_owned())
        .collect();
    enter_core(py, move || {
        let mut set = repscope::RepSet::new();
        for (name, m) in names.into_iter().zip(mats) {
            set.push(name, m)?;
        }
        if let Some(s) = stimuli {
            set.set_stimuli(s)?;
        }
        let store = if float32 { StoreAs::F32 } else { StoreAs::F64 };
        repscope::save(&path, &set, store)
    })
}

py_result! {
    /// An rsatoolbox ``Dataset`` read from its HDF5 file.
    PyRsaDataset(RsaDataset) as "RsatoolboxDataset" in "repscope.data" {
        /// ndarray (observations, channels).
        measurements,
        /// dict: rsatoolbox's ``descriptors``.
        descriptors,
        /// dict: rsatoolbox's ``obs_descriptors`` (one value per row).
        obs_descriptors,
        /// dict: rsatoolbox's ``channel_descriptors`` (one value per column).
        channel_descriptors,
    }
}

/// Reads an rsatoolbox ``Dataset`` HDF5 file.
#[pyfunction]
fn read_rsatoolbox_dataset(py: Python<'_>, path: PathBuf) -> PyResult<PyRsaDataset> {
    enter_core(py, || read_dataset(&path)).map(PyRsaDataset)
}

/// Writes an rsatoolbox ``Dataset`` HDF5 file.
#[pyfunction]
#[pyo3(signature = (path, measurements, descriptors=None, obs_descriptors=None, channel_descriptors=None))]
fn write_rsatoolbox_dataset(
    py: Python<'_>,
    path: PathBuf,
    measurements: PyReadonlyArray2<'_, f64>,
    descriptors: Option<&Bound<'_, pyo3::types::PyDict>>,
    obs_descriptors: Option<&Bound<'_, pyo3::types::PyDict>>,
    channel_descriptors: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<()> {
    let m = measurements.as_array();
    let data = RsaDataset {
        measurements: Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[[i, j]]),
        descriptors: descriptors_from(descriptors)?,
        obs_descriptors: descriptors_from(obs_descriptors)?,
        channel_descriptors: descriptors_from(channel_descriptors)?,
    };
    enter_core(py, || write_dataset(&path, &data))
}

py_result! {
    /// A CIFTI-2 file: maps x grayordinates and what each column is.
    PyCifti(Cifti) as "Cifti" in "repscope.data" {
        /// ndarray (maps, grayordinates).
        data,
        /// list of str or None: the map names (scalar and label files).
        map_names,
        /// list of str: each column's brain structure.
        structures,
        /// ndarray int64: each column's surface vertex (-1 for voxels).
        vertices,
        /// ndarray int64 (grayordinates, 3): each column's voxel (-1 for vertices).
        voxels,
    }
}

/// Reads a CIFTI-2 file whose columns are brain models.
#[pyfunction]
fn read_cifti_file(py: Python<'_>, path: PathBuf) -> PyResult<PyCifti> {
    enter_core(py, || read_cifti(&path)).map(PyCifti)
}

/// What `read_surface_mesh` returns: coordinates and triangles.
type MeshArrays<'py> = (Bound<'py, PyArray2<f64>>, Bound<'py, PyArray2<i64>>);

/// A GIfTI surface mesh: (vertex coordinates (n, 3), triangles (m, 3)).
#[pyfunction]
fn read_surface_mesh(py: Python<'_>, path: PathBuf) -> PyResult<MeshArrays<'_>> {
    let (points, faces) = enter_core(py, || repscope::data::surface::read_surface(&path))?;
    let coords = ndarray::Array2::from_shape_fn((points.len(), 3), |(i, j)| points[i][j]);
    let tri = ndarray::Array2::from_shape_fn((faces.len(), 3), |(i, j)| faces[i][j] as i64);
    use numpy::IntoPyArray;
    Ok((coords.into_pyarray(py), tri.into_pyarray(py)))
}

type Affine = [[f64; 4]; 4];

/// A 4 × 4 affine from a float64 array.
pub fn affine_from(a: &PyReadonlyArray2<'_, f64>) -> PyResult<Affine> {
    let v = a.as_array();
    if v.dim() != (4, 4) {
        return Err(crate::errors::core_error(
            a.py(),
            repscope::Error::ShapeMismatch {
                what: "rows and columns of an affine (4 × 4)".into(),
                expected: 4,
                found: if v.nrows() != 4 { v.nrows() } else { v.ncols() },
            },
        ));
    }
    let mut out = [[0.0; 4]; 4];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = v[[i, j]];
        }
    }
    Ok(out)
}

/// An affine as a 4 × 4 numpy array.
pub fn affine_to_numpy<'py>(py: Python<'py>, a: &Affine) -> Bound<'py, PyArray2<f64>> {
    matrix_to_numpy(py, Mat::from_fn(4, 4, |i, j| a[i][j]).as_ref())
}

/// What `read_nifti_volume` returns: values in Fortran order, shape, affine.
type NiftiParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<usize>,
    Bound<'py, PyArray2<f64>>,
);

/// Reads a NIfTI-1/2 file: (values in Fortran order, shape, affine).
#[pyfunction]
fn read_nifti_volume(py: Python<'_>, path: PathBuf) -> PyResult<NiftiParts<'_>> {
    let v = enter_core(py, || read_nifti(&path))?;
    let affine = affine_to_numpy(py, &v.affine);
    Ok((PyArray1::from_vec(py, v.data), v.shape, affine))
}

/// Writes a float64 NIfTI-1 file from values in Fortran order.
#[pyfunction]
fn write_nifti_volume(
    py: Python<'_>,
    path: PathBuf,
    data: PyReadonlyArray1<'_, f64>,
    shape: Vec<usize>,
    affine: PyReadonlyArray2<'_, f64>,
) -> PyResult<()> {
    let volume = Volume {
        shape,
        affine: affine_from(&affine)?,
        data: data.as_array().to_vec(),
    };
    enter_core(py, || write_nifti(&path, &volume))
}

/// Writes per-vertex maps (maps × vertices) as a float32 GIfTI file.
#[pyfunction]
fn write_gifti_file(
    py: Python<'_>,
    path: PathBuf,
    names: Vec<String>,
    maps: PyReadonlyArray2<'_, f64>,
) -> PyResult<()> {
    let rows: Vec<Vec<f64>> = maps
        .as_array()
        .rows()
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    enter_core(py, || {
        repscope::data::gifti_write::write_gifti_maps(&path, &names, &rows)
    })
}

/// Distinct labels (sorted as numbers when all are numbers) and the code
/// of every label.
#[pyfunction]
fn label_codes(labels: Vec<String>) -> (Vec<String>, Vec<usize>) {
    labels_to_codes(&labels)
}

/// Finite-checks one input with the core's message.
pub fn check_finite(x: faer::MatRef<'_, f64>) -> repscope::Result<()> {
    repscope::measures::check_input(repscope::RepRef { name: "X", x })
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_class::<PyRsaDataset>()?;
    m.add_class::<PyCifti>()?;
    m.add_function(wrap_pyfunction!(read_cifti_file, m)?)?;
    m.add_function(wrap_pyfunction!(read_surface_mesh, m)?)?;
    m.add_function(wrap_pyfunction!(read_rsatoolbox_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(write_rsatoolbox_dataset, m)?)?;
    m.add_function(wrap_pyfunction!(names_in, m)?)?;
    m.add_function(wrap_pyfunction!(load_some, m)?)?;
    m.add_function(wrap_pyfunction!(summarize_file, m)?)?;
    m.add_function(wrap_pyfunction!(load_rows, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(read_nifti_volume, m)?)?;
    m.add_function(wrap_pyfunction!(write_nifti_volume, m)?)?;
    m.add_function(wrap_pyfunction!(write_gifti_file, m)?)?;
    m.add_function(wrap_pyfunction!(label_codes, m)?)?;
    Ok(())
}
