//! Bindings of `repscope::rsa::searchlight`: volumes gathered onto a mask
//! and the RDM of every sphere, or one map per model RDM.

use faer::{Mat, MatRef};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, matrix_to_numpy};
use crate::data::{affine_from, affine_to_numpy};
use crate::errors::enter_core;
use repscope::data::nifti::read_nifti;
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::searchlight::{
    Neighbourhoods, Radius, Searchlight, SearchlightSpec, SensorSearchlight, SurfaceSearchlight,
    masked_data, model_maps, sphere_rdms,
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
#[pyo3(signature = (data, mask, shape, conditions, radius, method, folds=None, affine=None, min_voxels=1, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag), centres=None))]
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
    centres: Option<Vec<usize>>,
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
        let codes = Codes::new(conditions, folds);
        let spec = codes.spec(
            method.0,
            min_voxels,
            nv.map(|n| (n, noise_method.0)),
            centres.as_deref(),
        );
        let (values, centres) = maps_or_rdms(&light, dv, &spec, mv, compare.0)?;
        if mv.is_none() {
            return Ok((values, centres));
        }
        // Maps per mask voxel onto the whole grid.
        let grids: Vec<Vec<f64>> = (0..values.nrows())
            .map(|i| light.to_grid(&values.row(i).iter().copied().collect::<Vec<_>>()))
            .collect();
        let n = grids.first().map_or(0, Vec::len);
        Ok((Mat::from_fn(grids.len(), n, |i, j| grids[i][j]), centres))
    })?;
    Ok((matrix_to_numpy(py, values.as_ref()), centres))
}

/// Condition and fold labels as codes, for the searchlight specs.
struct Codes {
    conditions: Vec<usize>,
    folds: Option<Vec<usize>>,
}

impl Codes {
    fn new(conditions: Vec<String>, folds: Option<Vec<String>>) -> Self {
        Self {
            conditions: super::codes(Some(conditions)).unwrap_or_default(),
            folds: super::codes(folds),
        }
    }

    fn spec<'a>(
        &'a self,
        method: RdmMethod,
        min_voxels: usize,
        noise: Option<(MatRef<'a, f64>, CovarianceMethod)>,
        centres: Option<&'a [usize]>,
    ) -> SearchlightSpec<'a> {
        SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&self.conditions),
                folds: self.folds.as_deref(),
                ..RdmSpec::new(method)
            },
            min_voxels,
            noise,
            centres,
        }
    }
}

/// With models: one map per model (models × data columns, NaN where a
/// neighbourhood is too small) and no centres; without: one RDM per
/// centre and the centres (data columns).
fn maps_or_rdms(
    light: &dyn Neighbourhoods,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
    models: Option<MatRef<'_, f64>>,
    compare: CompareMethod,
) -> repscope::Result<(Mat<f64>, Vec<usize>)> {
    match models {
        Some(m) => {
            let rows: Vec<Vec<f64>> = (0..m.nrows())
                .map(|i| m.row(i).iter().copied().collect())
                .collect();
            let views: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
            let maps = model_maps(light, data, spec, &views, compare, &|_, _| {})?;
            let n = maps.first().map_or(0, Vec::len);
            Ok((Mat::from_fn(maps.len(), n, |i, j| maps[i][j]), Vec::new()))
        }
        None => {
            let out = sphere_rdms(light, data, spec, &|_, _| {})?;
            let p = out.n_pairs;
            Ok((
                Mat::from_fn(out.centres.len(), p, |i, j| out.rdms[i * p + j]),
                out.centres,
            ))
        }
    }
}

/// Surface searchlight RDMs or model maps: `data` is measurements × data
/// columns, `vertices` the mesh vertex of each column, `coords` (vertices
/// × 3) and `faces` (triangles × 3) the mesh; discs of `radius` mm along
/// the mesh. Returns what `searchlight_core` does, per data column.
#[pyfunction]
#[pyo3(signature = (data, coords, faces, vertices, conditions, radius, method, folds=None, min_vertices=1, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag), centres=None))]
#[allow(clippy::too_many_arguments)]
fn surface_searchlight_core<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    coords: PyReadonlyArray2<'py, f64>,
    faces: PyReadonlyArray2<'py, i64>,
    vertices: Vec<usize>,
    conditions: Vec<String>,
    radius: f64,
    method: Pick<RdmMethod>,
    folds: Option<Vec<String>>,
    min_vertices: usize,
    models: Option<&Bound<'py, PyAny>>,
    compare: Pick<CompareMethod>,
    noise: Option<&Bound<'py, PyAny>>,
    noise_method: Pick<CovarianceMethod>,
    centres: Option<Vec<usize>>,
) -> PyResult<(Bound<'py, PyArray2<f64>>, Vec<usize>)> {
    let data = Input::from_py(data)?;
    let models = models.map(Input::from_py).transpose()?;
    let noise = noise.map(Input::from_py).transpose()?;
    let points = points_of(py, &coords)?;
    let triangles = triangles_of(py, &faces)?;
    let (dv, mv, nv) = (
        data.view(),
        models.as_ref().map(Input::view),
        noise.as_ref().map(Input::view),
    );
    let (values, centres) = enter_core(py, move || {
        let light = SurfaceSearchlight::new(&points, &triangles, &vertices, radius)?;
        let codes = Codes::new(conditions, folds);
        let spec = codes.spec(
            method.0,
            min_vertices,
            nv.map(|n| (n, noise_method.0)),
            centres.as_deref(),
        );
        maps_or_rdms(&light, dv, &spec, mv, compare.0)
    })?;
    Ok((matrix_to_numpy(py, values.as_ref()), centres))
}

/// What `sensor_searchlight_core` returns: maps or RDMs, centres, window
/// starts.
type SensorParts<'py> = (Bound<'py, PyArray2<f64>>, Vec<usize>, Vec<usize>);

/// Sensor searchlight maps or RDMs: `data` is measurements × (channels ·
/// times) in channel-major order, `adjacency[c]` the channels adjacent to
/// channel `c`; centres every channel at each whole window starting every
/// `step` points. Returns what `searchlight_core` does over those centres
/// (maps: models × (channels · windows), channel-major) and the window
/// starts.
#[pyfunction]
#[pyo3(signature = (data, adjacency, times, window, step, conditions, method, folds=None, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag)))]
#[allow(clippy::too_many_arguments)]
fn sensor_searchlight_core<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    adjacency: Vec<Vec<usize>>,
    times: usize,
    window: usize,
    step: usize,
    conditions: Vec<String>,
    method: Pick<RdmMethod>,
    folds: Option<Vec<String>>,
    models: Option<&Bound<'py, PyAny>>,
    compare: Pick<CompareMethod>,
    noise: Option<&Bound<'py, PyAny>>,
    noise_method: Pick<CovarianceMethod>,
) -> PyResult<SensorParts<'py>> {
    let data = Input::from_py(data)?;
    let models = models.map(Input::from_py).transpose()?;
    let noise = noise.map(Input::from_py).transpose()?;
    let (dv, mv, nv) = (
        data.view(),
        models.as_ref().map(Input::view),
        noise.as_ref().map(Input::view),
    );
    let (values, centres, starts) = enter_core(py, move || {
        let light = SensorSearchlight::new(&adjacency, times, window)?;
        let starts = light.window_starts(step);
        let chosen = light.centres(&starts);
        let codes = Codes::new(conditions, folds);
        let spec = codes.spec(method.0, 1, nv.map(|n| (n, noise_method.0)), Some(&chosen));
        let (values, centres) = maps_or_rdms(&light, dv, &spec, mv, compare.0)?;
        if mv.is_none() {
            return Ok((values, centres, starts));
        }
        // Maps at the centres only, channel-major.
        let picked = Mat::from_fn(values.nrows(), chosen.len(), |i, j| values[(i, chosen[j])]);
        Ok((picked, Vec::new(), starts))
    })?;
    Ok((matrix_to_numpy(py, values.as_ref()), centres, starts))
}

/// The discs of a surface searchlight, as lists of data columns (nearest
/// first), and the mesh's longest edge.
#[pyfunction]
fn surface_discs(
    py: Python<'_>,
    coords: PyReadonlyArray2<'_, f64>,
    faces: PyReadonlyArray2<'_, i64>,
    vertices: Vec<usize>,
    radius: f64,
) -> PyResult<(Vec<Vec<u32>>, f64)> {
    let points = points_of(py, &coords)?;
    let triangles = triangles_of(py, &faces)?;
    enter_core(py, move || {
        let light = SurfaceSearchlight::new(&points, &triangles, &vertices, radius)?;
        let discs = (0..vertices.len())
            .map(|c| light.disc(c).to_vec())
            .collect();
        Ok((discs, light.max_edge_length()))
    })
}

/// A mesh that is not vertices × 3 / triangles × 3.
fn bad_mesh(py: Python<'_>, detail: String) -> PyErr {
    crate::errors::core_error(
        py,
        repscope::Error::Invalid {
            what: "surface mesh".into(),
            detail,
        },
    )
}

fn points_of(py: Python<'_>, coords: &PyReadonlyArray2<'_, f64>) -> PyResult<Vec<[f64; 3]>> {
    let a = coords.as_array();
    if a.ncols() != 3 {
        return Err(bad_mesh(
            py,
            format!(
                "coordinates must be vertices x 3, got {} columns",
                a.ncols()
            ),
        ));
    }
    Ok(a.rows().into_iter().map(|r| [r[0], r[1], r[2]]).collect())
}

fn triangles_of(py: Python<'_>, faces: &PyReadonlyArray2<'_, i64>) -> PyResult<Vec<[usize; 3]>> {
    let a = faces.as_array();
    if a.ncols() != 3 {
        return Err(bad_mesh(
            py,
            format!("faces must be triangles x 3, got {} columns", a.ncols()),
        ));
    }
    a.rows()
        .into_iter()
        .enumerate()
        .map(|(f, r)| {
            let v = |x: i64| {
                usize::try_from(x)
                    .map_err(|_| bad_mesh(py, format!("face {f} names vertex {x}, below 0")))
            };
            Ok([v(r[0])?, v(r[1])?, v(r[2])?])
        })
        .collect()
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(surface_searchlight_core, m)?)?;
    m.add_function(wrap_pyfunction!(surface_discs, m)?)?;
    m.add_function(wrap_pyfunction!(sensor_searchlight_core, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_core, m)?)?;
    Ok(())
}
