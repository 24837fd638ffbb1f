//! Bindings of `repscope::rsa::searchlight`: volumes gathered onto a mask
//! and the RDM of every sphere, or one map per model RDM.

use faer::{Mat, MatRef};
use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, StoredInput, matrix_to_numpy};
use crate::data::{affine_from, affine_to_numpy};
use crate::errors::enter_core;
use crate::results::py_result;
use pyo3::IntoPyObjectExt;
use repscope::data::nifti::read_nifti;
use repscope::linalg::Stored;
use repscope::memory::available_bytes;
use repscope::probe::logistic::LogisticOptions;
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::searchlight::{
    Classifier, Decoding, Estimate, Neighbourhoods, Output, Radius, Searchlight, SearchlightSpec,
    SensorSearchlight, SurfaceSearchlight, decoding_map, estimate, masked_data, model_maps,
    sphere_rdms,
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
#[pyo3(signature = (data, mask, shape, conditions, radius, method, folds=None, affine=None, min_voxels=1, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag), centres=None, run=None))]
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
    run: Option<Run>,
) -> PyResult<Bound<'py, PyAny>> {
    let run = run.unwrap_or_default();
    let data = StoredInput::from_py(data)?;
    let models = models.map(Input::from_py).transpose()?;
    let noise = noise.map(StoredInput::from_py).transpose()?;
    let radius = match affine {
        Some(a) => Radius::Millimetres(radius, affine_from(&a)?),
        None => Radius::Voxels(radius),
    };
    let mask = mask.as_array().to_vec();
    let (dv, mv, nv) = (
        data.view(),
        models.as_ref().map(Input::view),
        noise.as_ref().map(StoredInput::view),
    );
    let outcome = enter_core(py, move || {
        let light = Searchlight::new(shape, &mask, radius)?;
        let codes = Codes::new(conditions, folds);
        let spec = codes.spec(
            method.0,
            min_voxels,
            nv.map(|n| (n, noise_method.0)),
            centres.as_deref(),
            run.block_bytes(),
        );
        // Maps come back on the whole grid: two grid-sized copies per model.
        let grid = (shape[0] * shape[1] * shape[2]) as u64;
        let copies = ("maps on the grid, handed to numpy".to_string(), 16 * grid);
        match maps_or_rdms(&light, dv, &spec, mv, compare.0, &run, copies)? {
            Outcome::Values(values, centres) if mv.is_some() => {
                // Maps per mask voxel onto the whole grid.
                let grids: Vec<Vec<f64>> = (0..values.nrows())
                    .map(|i| light.to_grid(&values.row(i).iter().copied().collect::<Vec<_>>()))
                    .collect();
                let n = grids.first().map_or(0, Vec::len);
                Ok(Outcome::Values(
                    Mat::from_fn(grids.len(), n, |i, j| grids[i][j]),
                    centres,
                ))
            }
            other => Ok(other),
        }
    })?;
    outcome.into_py(py, None)
}

/// How a searchlight binding runs: the preflight's prediction only
/// (`estimate`), or the job, refused when predicted not to fit in memory
/// unless `force`; `block_mb` caps a block's shared rows; `extra` are
/// the front door's own copies (part, bytes), added to the prediction.
#[derive(Default, FromPyObject)]
#[pyo3(from_item_all)]
struct Run {
    estimate: bool,
    force: bool,
    block_mb: Option<f64>,
    extra: Vec<(String, u64)>,
}

impl Run {
    fn block_bytes(&self) -> Option<usize> {
        self.block_mb
            .map(|mb| (mb.max(0.0) * (1u64 << 20) as f64) as usize)
    }
}

/// Values (maps or RDMs, and centres), or the preflight's prediction.
enum Outcome {
    Values(Mat<f64>, Vec<usize>),
    Estimate(Estimate),
}

impl Outcome {
    /// `(values, centres[, window starts])` as numpy, or a `SearchlightEstimate`.
    fn into_py<'py>(
        self,
        py: Python<'py>,
        starts: Option<Vec<usize>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Outcome::Estimate(e) => Ok(Bound::new(py, PyEstimate(e))?.into_any()),
            Outcome::Values(values, centres) => {
                let values = matrix_to_numpy(py, values.as_ref());
                match starts {
                    Some(s) => (values, centres, s).into_bound_py_any(py),
                    None => (values, centres).into_bound_py_any(py),
                }
            }
        }
    }
}

py_result! {
    /// A searchlight's predicted peak memory above its inputs and its time
    /// on this machine (``estimate=True``), without running it.
    PyEstimate(Estimate) as "SearchlightEstimate" in "repscope.rsa" {
        /// (part, bytes) that make up the predicted peak
        parts,
        /// predicted seconds, from a timed sample of centres
        seconds,
        /// centres that get an RDM
        centres,
        /// blocks of centres the engine runs
        blocks,
        /// data columns of the largest block
        largest_block,
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
        noise: Option<(Stored<'a>, CovarianceMethod)>,
        centres: Option<&'a [usize]>,
        block_bytes: Option<usize>,
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
            block_bytes,
        }
    }
}

/// With models: one map per model (models × data columns, NaN where a
/// neighbourhood is too small) and no centres; without: one RDM per
/// centre and the centres (data columns). With `run.estimate`, the
/// prediction instead; otherwise the job is refused when predicted not to
/// fit in the memory available (unless `run.force`). `copies` is what
/// the binding adds to map output on its way to numpy.
fn maps_or_rdms(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
    models: Option<MatRef<'_, f64>>,
    compare: CompareMethod,
    run: &Run,
    copies: (String, u64),
) -> repscope::Result<Outcome> {
    let output = match models {
        Some(m) => Output::Maps { models: m.nrows() },
        None => Output::Rdms,
    };
    let mut prediction = estimate(light, data, spec, output, run.estimate)?;
    for (part, bytes) in &run.extra {
        prediction.add(part.clone(), *bytes);
    }
    match output {
        Output::Maps { models } => prediction.add(copies.0, copies.1 * models as u64),
        Output::Rdms => prediction.add(
            "RDMs handed to numpy (one copy at a time)",
            8 * (prediction.centres * n_pairs_of(spec, data.nrows())) as u64,
        ),
    }
    if run.estimate {
        return Ok(Outcome::Estimate(prediction));
    }
    if !run.force {
        prediction.check_fits(available_bytes())?;
    }
    match models {
        Some(m) => {
            let rows: Vec<Vec<f64>> = (0..m.nrows())
                .map(|i| m.row(i).iter().copied().collect())
                .collect();
            let views: Vec<&[f64]> = rows.iter().map(Vec::as_slice).collect();
            let maps = model_maps(light, data, spec, &views, compare, &|_, _| {})?;
            let n = maps.first().map_or(0, Vec::len);
            Ok(Outcome::Values(
                Mat::from_fn(maps.len(), n, |i, j| maps[i][j]),
                Vec::new(),
            ))
        }
        None => {
            let out = sphere_rdms(light, data, spec, &|_, _| {})?;
            let p = out.n_pairs;
            Ok(Outcome::Values(
                Mat::from_fn(out.centres.len(), p, |i, j| out.rdms[i * p + j]),
                out.centres,
            ))
        }
    }
}

/// Condensed pairs of the spec's conditions (or one condition per row).
fn n_pairs_of(spec: &SearchlightSpec<'_>, rows: usize) -> usize {
    let k = spec
        .rdm
        .conditions
        .map_or(rows, |c| c.iter().max().map_or(0, |m| m + 1));
    k * k.saturating_sub(1) / 2
}

/// Surface searchlight RDMs or model maps: `data` is measurements × data
/// columns, `vertices` the mesh vertex of each column, `coords` (vertices
/// × 3) and `faces` (triangles × 3) the mesh; discs of `radius` mm along
/// the mesh. Returns what `searchlight_core` does, per data column.
#[pyfunction]
#[pyo3(signature = (data, coords, faces, vertices, conditions, radius, method, folds=None, min_vertices=1, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag), centres=None, run=None))]
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
    run: Option<Run>,
) -> PyResult<Bound<'py, PyAny>> {
    let run = run.unwrap_or_default();
    let data = StoredInput::from_py(data)?;
    let models = models.map(Input::from_py).transpose()?;
    let noise = noise.map(StoredInput::from_py).transpose()?;
    let points = points_of(py, &coords)?;
    let triangles = triangles_of(py, &faces)?;
    let (dv, mv, nv) = (
        data.view(),
        models.as_ref().map(Input::view),
        noise.as_ref().map(StoredInput::view),
    );
    let outcome = enter_core(py, move || {
        let light = SurfaceSearchlight::new(&points, &triangles, &vertices, radius)?;
        let codes = Codes::new(conditions, folds);
        let spec = codes.spec(
            method.0,
            min_vertices,
            nv.map(|n| (n, noise_method.0)),
            centres.as_deref(),
            run.block_bytes(),
        );
        let copies = (
            "maps handed to numpy".to_string(),
            8 * vertices.len() as u64,
        );
        maps_or_rdms(&light, dv, &spec, mv, compare.0, &run, copies)
    })?;
    outcome.into_py(py, None)
}

/// Sensor searchlight maps or RDMs: `data` is measurements × (channels ·
/// times) in channel-major order, `adjacency[c]` the channels adjacent to
/// channel `c`; centres every channel at each whole window starting every
/// `step` points. Returns what `searchlight_core` does over those centres
/// (maps: models × (channels · windows), channel-major) and the window
/// starts.
#[pyfunction]
#[pyo3(signature = (data, adjacency, times, window, step, conditions, method, folds=None, models=None, compare=Pick(CompareMethod::Corr), noise=None, noise_method=Pick(CovarianceMethod::ShrinkageDiag), run=None))]
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
    run: Option<Run>,
) -> PyResult<Bound<'py, PyAny>> {
    let run = run.unwrap_or_default();
    let data = StoredInput::from_py(data)?;
    let models = models.map(Input::from_py).transpose()?;
    let noise = noise.map(StoredInput::from_py).transpose()?;
    let (dv, mv, nv) = (
        data.view(),
        models.as_ref().map(Input::view),
        noise.as_ref().map(StoredInput::view),
    );
    let (outcome, starts) = enter_core(py, move || {
        let light = SensorSearchlight::new(&adjacency, times, window)?;
        let starts = light.window_starts(step);
        let chosen = light.centres(&starts);
        let codes = Codes::new(conditions, folds);
        let spec = codes.spec(
            method.0,
            1,
            nv.map(|n| (n, noise_method.0)),
            Some(&chosen),
            run.block_bytes(),
        );
        let copies = ("maps handed to numpy".to_string(), 16 * chosen.len() as u64);
        let outcome = match maps_or_rdms(&light, dv, &spec, mv, compare.0, &run, copies)? {
            // Maps at the centres only, channel-major.
            Outcome::Values(values, _) if mv.is_some() => Outcome::Values(
                Mat::from_fn(values.nrows(), chosen.len(), |i, j| values[(i, chosen[j])]),
                Vec::new(),
            ),
            other => other,
        };
        Ok((outcome, starts))
    })?;
    outcome.into_py(py, Some(starts))
}

/// Decoding searchlight: the cross-validated accuracy map (grid voxels in
/// C order, NaN outside the mask and where a sphere is too small) of
/// `classifier` over the folds, for the class `labels` of the volumes.
#[pyfunction]
#[pyo3(signature = (data, mask, shape, labels, folds, radius, classifier, affine=None, c=1.0, tol=1e-4, max_iter=1000, min_voxels=1, centres=None, block_mb=None))]
#[allow(clippy::too_many_arguments)]
fn decoding_searchlight_core<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    mask: PyReadonlyArray1<'py, bool>,
    shape: [usize; 3],
    labels: Vec<String>,
    folds: Vec<String>,
    radius: f64,
    classifier: Pick<Classifier>,
    affine: Option<PyReadonlyArray2<'py, f64>>,
    c: f64,
    tol: f64,
    max_iter: usize,
    min_voxels: usize,
    centres: Option<Vec<usize>>,
    block_mb: Option<f64>,
) -> PyResult<Bound<'py, PyArray1<f64>>> {
    let data = StoredInput::from_py(data)?;
    let radius = match affine {
        Some(a) => Radius::Millimetres(radius, affine_from(&a)?),
        None => Radius::Voxels(radius),
    };
    let mask = mask.as_array().to_vec();
    let dv = data.view();
    let run = Run {
        block_mb,
        ..Run::default()
    };
    let map = enter_core(py, move || {
        let light = Searchlight::new(shape, &mask, radius)?;
        let codes = Codes::new(labels, Some(folds));
        let spec = codes.spec(
            RdmMethod::Euclidean,
            min_voxels,
            None,
            centres.as_deref(),
            run.block_bytes(),
        );
        let options = LogisticOptions {
            c,
            tol,
            max_iter,
            ..LogisticOptions::default()
        };
        let decoding = Decoding {
            labels: &codes.conditions,
            folds: codes.folds.as_deref().unwrap_or_default(),
            classifier: classifier.0,
            options,
        };
        let map = decoding_map(&light, dv, &decoding, &spec, &|_, _| {})?;
        Ok(light.to_grid(&map))
    })?;
    Ok(PyArray1::from_vec(py, map))
}

/// rsatoolbox's searchlight spheres (d < radius) of a mask (flat, C
/// order): the kept centres, every sphere's flat indices one after the
/// other, and where each sphere ends in that array.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn sphere_lists<'py>(
    py: Python<'py>,
    mask: PyReadonlyArray1<'py, bool>,
    shape: [usize; 3],
    radius: f64,
    threshold: f64,
    truncate_at_boundary: bool,
) -> PyResult<(
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
    Vec<usize>,
)> {
    use repscope::rsa::searchlight::spheres::{SphereRule, sphere_lists};
    let rule = SphereRule {
        radius,
        threshold,
        truncate_at_boundary,
    };
    let mask = mask.as_array().to_vec();
    let (centres, spheres) = enter_core(py, move || sphere_lists(&mask, shape, rule))?;
    let ends: Vec<usize> = spheres
        .iter()
        .scan(0, |end, s| {
            *end += s.len();
            Some(*end)
        })
        .collect();
    let flat: Vec<i64> = spheres.into_iter().flatten().map(|v| v as i64).collect();
    let centres: Vec<i64> = centres.into_iter().map(|v| v as i64).collect();
    Ok((
        PyArray1::from_vec(py, centres),
        PyArray1::from_vec(py, flat),
        ends,
    ))
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
    m.add_function(wrap_pyfunction!(sphere_lists, m)?)?;
    m.add_function(wrap_pyfunction!(sensor_searchlight_core, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_inputs, m)?)?;
    m.add_function(wrap_pyfunction!(searchlight_core, m)?)?;
    m.add_class::<PyEstimate>()?;
    m.add_function(wrap_pyfunction!(decoding_searchlight_core, m)?)?;
    Ok(())
}
