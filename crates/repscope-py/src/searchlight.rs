//! Bindings of RSA over space and time: NIfTI volumes, searchlight maps,
//! RDM movies and the sign-flip permutation test.

use faer::Mat;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, matrix_to_numpy};
use crate::errors::enter_core;
use repscope::data::labels::labels_to_codes;
use repscope::data::nifti::{Volume, read_nifti, write_nifti};
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::searchlight::{
    Radius, Searchlight, SearchlightSpec, masked_data, model_maps, sphere_rdms,
};
use repscope::rsa::{RdmMethod, RdmSpec};
use repscope::stats::covariance::CovarianceMethod;
use repscope::stats::signflip::{Alternative, sign_flip_test};

type Affine = [[f64; 4]; 4];

fn affine_from(a: &PyReadonlyArray2<'_, f64>) -> PyResult<Affine> {
    let v = a.as_array();
    if v.dim() != (4, 4) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "an affine is 4 × 4, got {:?}",
            v.dim()
        )));
    }
    let mut out = [[0.0; 4]; 4];
    for (i, row) in out.iter_mut().enumerate() {
        for (j, x) in row.iter_mut().enumerate() {
            *x = v[[i, j]];
        }
    }
    Ok(out)
}

fn affine_to_numpy<'py>(py: Python<'py>, a: &Affine) -> Bound<'py, PyArray2<f64>> {
    matrix_to_numpy(py, Mat::from_fn(4, 4, |i, j| a[i][j]).as_ref())
}

/// What `read_nifti` returns: values in Fortran order, shape, affine.
type NiftiParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<usize>,
    Bound<'py, PyArray2<f64>>,
);

/// Reads a NIfTI-1/2 file: (values in Fortran order, shape, affine).
#[pyfunction]
fn read_nifti_volume(py: Python<'_>, path: std::path::PathBuf) -> PyResult<NiftiParts<'_>> {
    let v = enter_core(py, || read_nifti(&path))?;
    let affine = affine_to_numpy(py, &v.affine);
    Ok((PyArray1::from_vec(py, v.data), v.shape, affine))
}

/// Writes a float64 NIfTI-1 file from values in Fortran order.
#[pyfunction]
fn write_nifti_volume(
    py: Python<'_>,
    path: std::path::PathBuf,
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

/// What `searchlight_inputs` returns: data (volumes × mask voxels), mask
/// (C order), grid shape, affine.
type MaskedParts<'py> = (
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray1<bool>>,
    [usize; 3],
    Bound<'py, PyArray2<f64>>,
);

/// Reads NIfTI volumes and a mask and keeps the mask's voxels (checking
/// that every volume is on the mask's grid).
#[pyfunction]
fn searchlight_inputs(
    py: Python<'_>,
    volumes: Vec<std::path::PathBuf>,
    mask: std::path::PathBuf,
) -> PyResult<MaskedParts<'_>> {
    let m = enter_core(py, || {
        let vols = volumes
            .iter()
            .map(|p| Ok((p.display().to_string(), read_nifti(p)?)))
            .collect::<repscope::Result<Vec<_>>>()?;
        masked_data(&vols, &read_nifti(&mask)?)
    })?;
    Ok((
        matrix_to_numpy(py, m.data.as_ref()),
        PyArray1::from_vec(py, m.mask),
        m.shape,
        affine_to_numpy(py, &m.affine),
    ))
}

/// Searchlight RDMs or model maps. `data` is volumes × mask voxels, `mask`
/// the grid's voxels in C order. Returns (values, centres): with models,
/// values is models × mask voxels (NaN where a sphere is too small) and
/// centres is empty; without, values holds one RDM per centre in `centres`
/// (mask voxel indices).
#[pyfunction]
#[pyo3(signature = (data, mask, shape, conditions, radius, method, folds=None, affine=None, min_voxels=1, models=None, compare="corr", noise=None, noise_method="shrinkage_diag"))]
#[allow(clippy::too_many_arguments)]
fn searchlight_core<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    mask: PyReadonlyArray1<'py, bool>,
    shape: [usize; 3],
    conditions: Vec<String>,
    radius: f64,
    method: &str,
    folds: Option<Vec<String>>,
    affine: Option<PyReadonlyArray2<'py, f64>>,
    min_voxels: usize,
    models: Option<&Bound<'py, PyAny>>,
    compare: &str,
    noise: Option<&Bound<'py, PyAny>>,
    noise_method: &str,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Vec<usize>)> {
    let data = Input::from_py(data)?;
    let models = models.map(Input::from_py).transpose()?;
    let noise = noise.map(Input::from_py).transpose()?;
    let radius = match affine {
        Some(a) => Radius::Millimetres(radius, affine_from(&a)?),
        None => Radius::Voxels(radius),
    };
    let mask = mask.as_array().to_vec();
    let (dv, mv, nv) = (
        data.view(),
        models.as_ref().map(Input::view),
        noise.as_ref().map(Input::view),
    );
    let (values, centres) = enter_core(py, move || {
        let method = RdmMethod::from_name(method)?;
        let compare = CompareMethod::from_name(compare)?;
        let noise_method = CovarianceMethod::from_name(noise_method)?;
        let light = Searchlight::new(shape, &mask, radius)?;
        let condition_codes = labels_to_codes(&conditions).1;
        let fold_codes = folds.map(|f| labels_to_codes(&f).1);
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&condition_codes),
                folds: fold_codes.as_deref(),
                ..RdmSpec::new(method)
            },
            min_voxels,
            noise: nv.map(|n| (n, noise_method)),
        };
        match mv {
            Some(m) => {
                let rows: Vec<Vec<f64>> = (0..m.nrows())
                    .map(|i| m.row(i).iter().copied().collect())
                    .collect();
                let views: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
                let maps = model_maps(&light, dv, &spec, &views, compare, &|_, _| {})?;
                let n = light.voxels().len();
                Ok((Mat::from_fn(maps.len(), n, |i, j| maps[i][j]), Vec::new()))
            }
            None => {
                let out = sphere_rdms(&light, dv, &spec, &|_, _| {})?;
                let p = out.n_pairs;
                Ok((
                    Mat::from_fn(out.centres.len(), p, |i, j| out.rdms[i * p + j]),
                    out.centres,
                ))
            }
        }
    })?;
    Ok((matrix_to_numpy(py, values.as_ref()), centres))
}

/// RDM movie of C-order measurements × channels × time values.
#[pyfunction]
#[pyo3(signature = (data, shape, method, window=1, step=1, conditions=None, folds=None, precision=None))]
#[allow(clippy::too_many_arguments)]
fn rdm_movie_core<'py>(
    py: Python<'py>,
    data: PyReadonlyArray1<'py, f64>,
    shape: [usize; 3],
    method: &str,
    window: usize,
    step: usize,
    conditions: Option<Vec<String>>,
    folds: Option<Vec<String>>,
    precision: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let precision = precision.map(Input::from_py).transpose()?;
    let pv = precision.as_ref().map(Input::view);
    let flat = data.as_slice()?;
    let movie = enter_core(py, move || {
        let condition_codes = conditions.map(|c| labels_to_codes(&c).1);
        let fold_codes = folds.map(|f| labels_to_codes(&f).1);
        let spec = RdmSpec {
            precision: pv,
            conditions: condition_codes.as_deref(),
            folds: fold_codes.as_deref(),
            ..RdmSpec::new(RdmMethod::from_name(method)?)
        };
        repscope::rsa::movie::rdm_movie(flat, shape, &spec, window, step)
    })?;
    Ok(matrix_to_numpy(py, movie.as_ref()))
}

/// What `sign_flip` returns: t, p, max-corrected p.
type SignFlipParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<f64>>,
);

/// Sign-flip permutation test of subjects × tests values.
#[pyfunction]
#[pyo3(signature = (values, n_perm=1000, seed=0, alternative="greater"))]
fn sign_flip<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    n_perm: usize,
    seed: u64,
    alternative: &str,
) -> PyResult<SignFlipParts<'py>> {
    let values = Input::from_py(values)?;
    let v = values.view();
    let r = enter_core(py, move || {
        sign_flip_test(v, n_perm, seed, Alternative::from_name(alternative)?)
    })?;
    Ok((
        PyArray1::from_vec(py, r.t),
        PyArray1::from_vec(py, r.p),
        PyArray1::from_vec(py, r.p_corrected),
    ))
}

/// What `cluster_test` returns: t, clusters (start, stop, mass, p), p per test.
type ClusterParts<'py> = (
    Bound<'py, PyArray1<f64>>,
    Vec<(usize, usize, f64, f64)>,
    Bound<'py, PyArray1<f64>>,
);

/// Cluster-based sign-flip test of subjects × time points.
#[pyfunction]
#[pyo3(signature = (values, threshold, n_perm=1000, seed=0, alternative="greater"))]
fn cluster_test<'py>(
    py: Python<'py>,
    values: &Bound<'py, PyAny>,
    threshold: Option<f64>,
    n_perm: usize,
    seed: u64,
    alternative: &str,
) -> PyResult<ClusterParts<'py>> {
    let values = Input::from_py(values)?;
    let v = values.view();
    let r = enter_core(py, move || {
        let alternative = Alternative::from_name(alternative)?;
        let threshold = match threshold {
            Some(t) => t,
            None => repscope::stats::signflip::t_threshold(0.05, v.nrows(), alternative)?,
        };
        repscope::stats::signflip::cluster_test(v, n_perm, seed, threshold, alternative)
    })?;
    Ok((
        PyArray1::from_vec(py, r.t),
        r.clusters,
        PyArray1::from_vec(py, r.p),
    ))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_nifti_volume, m)?)?;
    m.add_function(wrap_pyfunction!(write_nifti_volume, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_core, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(rdm_movie_core, m)?)?;
    m.add_function(wrap_pyfunction!(sign_flip, m)?)?;
    m.add_function(wrap_pyfunction!(cluster_test, m)?)?;
    Ok(())
}
