//! Bindings of `repscope::rsa::searchlight`: volumes gathered onto a mask
//! and the RDM of every sphere, or one map per model RDM.

use faer::Mat;
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, matrix_to_numpy};
use crate::data::{affine_from, affine_to_numpy};
use crate::errors::enter_core;
use repscope::data::nifti::read_nifti;
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::searchlight::{
    Radius, Searchlight, SearchlightSpec, masked_data, model_maps, sphere_rdms,
};
use repscope::rsa::{RdmMethod, RdmSpec};
use repscope::stats::covariance::CovarianceMethod;

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
/// the grid's voxels in C order. With models: (models × grid voxels in C
/// order, NaN outside the mask and where a sphere is too small; no
/// centres); without: (one RDM per centre, the centres as mask voxel
/// indices).
#[pyfunction]
#[pyo3(signature = (data, mask, shape, conditions, radius, method, folds=None, affine=None, min_voxels=1, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag)))]
#[allow(clippy::too_many_arguments)]
fn searchlight_core<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    mask: PyReadonlyArray1<'py, bool>,
    shape: [usize; 3],
    conditions: Vec<String>,
    radius: f64,
    method: Pick<RdmMethod>,
    folds: Option<Vec<String>>,
    affine: Option<PyReadonlyArray2<'py, f64>>,
    min_voxels: usize,
    models: Option<&Bound<'py, PyAny>>,
    compare: Pick<CompareMethod>,
    noise: Option<&Bound<'py, PyAny>>,
    noise_method: Pick<CovarianceMethod>,
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
        let light = Searchlight::new(shape, &mask, radius)?;
        let condition_codes = super::codes(Some(conditions)).unwrap_or_default();
        let fold_codes = super::codes(folds);
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&condition_codes),
                folds: fold_codes.as_deref(),
                ..RdmSpec::new(method.0)
            },
            min_voxels,
            noise: nv.map(|n| (n, noise_method.0)),
        };
        match mv {
            Some(m) => {
                let rows: Vec<Vec<f64>> = (0..m.nrows())
                    .map(|i| m.row(i).iter().copied().collect())
                    .collect();
                let views: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
                let maps = model_maps(&light, dv, &spec, &views, compare.0, &|_, _| {})?;
                let grids: Vec<Vec<f64>> = maps.iter().map(|m| light.to_grid(m)).collect();
                let n = grids.first().map_or(0, Vec::len);
                Ok((Mat::from_fn(grids.len(), n, |i, j| grids[i][j]), Vec::new()))
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(searchlight_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_core, m)?)?;
    Ok(())
}
