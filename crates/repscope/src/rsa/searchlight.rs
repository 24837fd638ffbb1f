//! Searchlight RSA (Kriegeskorte, Goebel & Bandettini 2006, PNAS 103(10)):
//! an RDM in the sphere around every voxel of a mask, compared with model
//! RDMs, giving one map per model.
//!
//! Conventions (where references differ, this is the choice):
//!
//! - voxels are numbered in C order of the 3-D grid (the last index varies
//!   fastest), as numpy's `ravel_multi_index` and rsatoolbox's centre
//!   indices do; data columns are the mask's voxels in that order;
//! - a sphere holds the voxels at a distance ≤ r from its centre (in voxels,
//!   or in mm through the affine's 3 × 3 part), *and inside the mask*: the
//!   sphere is cut at the mask boundary (rsatoolbox's
//!   `truncate_at_boundary=True`; its default counts a sphere's voxels
//!   outside the mask too, and its distance test is strict, `< r`);
//! - a centre whose sphere has fewer than `min_voxels` mask voxels gets no
//!   RDM (NaN in the maps).
//!
//! Work shared across spheres: repeated measurements are averaged per
//! condition once for the whole mask, not once per sphere; for crossnobis
//! (without a per-sphere precision) the training and test means of every
//! fold are computed once for every voxel, so a sphere costs one gather and
//! one k × (folds · voxels) × k product. Centres run in parallel in blocks,
//! so memory is the data plus one block of RDMs (or the maps).

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::compare::{self, CompareMethod, PreparedRdm};
use super::condensed::n_pairs;
use super::dissimilarity::{RdmMethod, RdmSpec, condition_means, rdm};
use crate::data::nifti::Volume;
use crate::error::{Error, Result, ResultExt};
use crate::stats::covariance::{CovarianceMethod, noise_precision};

/// The radius of a searchlight sphere.
#[derive(Clone, Copy, Debug)]
pub enum Radius {
    /// In voxels (index units).
    Voxels(f64),
    /// In world units (mm), through the voxel-to-world affine.
    Millimetres(f64, [[f64; 4]; 4]),
}

/// The geometry of a searchlight: the mask's voxels and the sphere offsets.
#[derive(Clone, Debug)]
pub struct Searchlight {
    shape: [usize; 3],
    /// Grid coordinates of the mask voxels, in C order.
    voxels: Vec<[usize; 3]>,
    /// For every grid position (C order): its column, or `u32::MAX` outside the mask.
    column: Vec<u32>,
    /// Offsets of the sphere around a centre (the centre first).
    offsets: Vec<[isize; 3]>,
}

const OUTSIDE: u32 = u32::MAX;

impl Searchlight {
    /// The searchlight over the `true` voxels of `mask` (C order, `shape`).
    pub fn new(shape: [usize; 3], mask: &[bool], radius: Radius) -> Result<Self> {
        let n: usize = shape.iter().product();
        if mask.len() != n {
            return Err(Error::ShapeMismatch {
                what: format!("mask of a {}×{}×{} grid", shape[0], shape[1], shape[2]),
                expected: n,
                found: mask.len(),
            });
        }
        if n >= OUTSIDE as usize {
            return Err(Error::Invalid {
                what: "searchlight".into(),
                detail: format!("the grid has {n} voxels, more than 2³² − 1"),
            });
        }
        let mut column = vec![OUTSIDE; n];
        let mut voxels = Vec::new();
        for (flat, _) in mask.iter().enumerate().filter(|(_, inside)| **inside) {
            column[flat] = voxels.len() as u32;
            let (i, rest) = (flat / (shape[1] * shape[2]), flat % (shape[1] * shape[2]));
            voxels.push([i, rest / shape[2], rest % shape[2]]);
        }
        if voxels.is_empty() {
            return Err(Error::Invalid {
                what: "searchlight mask".into(),
                detail: "it selects no voxel".into(),
            });
        }
        Ok(Self {
            shape,
            voxels,
            column,
            offsets: sphere_offsets(radius)?,
        })
    }

    /// The grid shape.
    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Grid coordinates of the mask voxels (the data columns), in C order.
    pub fn voxels(&self) -> &[[usize; 3]] {
        &self.voxels
    }

    /// Number of voxels in a full sphere (away from any boundary).
    pub fn sphere_size(&self) -> usize {
        self.offsets.len()
    }

    /// The columns (mask voxels) in the sphere around mask voxel `centre`.
    pub fn sphere(&self, centre: usize, out: &mut Vec<usize>) {
        out.clear();
        let c = self.voxels[centre];
        for o in &self.offsets {
            let mut flat = 0usize;
            let mut inside = true;
            for axis in 0..3 {
                let v = c[axis] as isize + o[axis];
                if v < 0 || v >= self.shape[axis] as isize {
                    inside = false;
                    break;
                }
                flat = flat * self.shape[axis] + v as usize;
            }
            if inside && self.column[flat] != OUTSIDE {
                out.push(self.column[flat] as usize);
            }
        }
    }

    /// A full grid (C order) holding `values` (one per mask voxel) inside
    /// the mask and NaN outside.
    pub fn to_grid(&self, values: &[f64]) -> Vec<f64> {
        let mut grid = vec![f64::NAN; self.column.len()];
        for (flat, &col) in self.column.iter().enumerate() {
            if col != OUTSIDE {
                grid[flat] = values[col as usize];
            }
        }
        grid
    }
}

/// Integer offsets within the radius, nearest first (ties in C order).
fn sphere_offsets(radius: Radius) -> Result<Vec<[isize; 3]>> {
    let (r, axes) = match radius {
        Radius::Voxels(r) => (r, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
        Radius::Millimetres(r, a) => (
            r,
            // Column j of the affine: the world step of one voxel along axis j.
            [0, 1, 2].map(|j| [a[0][j], a[1][j], a[2][j]]),
        ),
    };
    let bad = |detail: String| Error::Invalid {
        what: "searchlight radius".into(),
        detail,
    };
    if !(r.is_finite() && r >= 0.0) {
        return Err(bad(format!("{r} must be a non-negative number")));
    }
    let step = |j: usize| axes[j].iter().map(|v| v * v).sum::<f64>().sqrt();
    if let Some(j) = (0..3).find(|&j| !(step(j) > 0.0 && step(j).is_finite())) {
        return Err(bad(format!(
            "the affine gives axis {j} a voxel size of {}; it must be positive",
            step(j)
        )));
    }
    // The box that holds the sphere (the smallest voxel size bounds it).
    let min_step = (0..3).map(step).fold(f64::INFINITY, f64::min);
    let reach = (r / min_step).floor() as isize;
    if reach > 50 {
        return Err(bad(format!(
            "{r} spans {reach} voxels; a searchlight sphere is a few voxels across"
        )));
    }
    // Tolerance so that a radius of exactly 3 includes offsets at distance 3.
    let limit = r * r * (1.0 + 1e-9);
    let mut offsets: Vec<([isize; 3], f64)> = Vec::new();
    for i in -reach..=reach {
        for j in -reach..=reach {
            for k in -reach..=reach {
                let world: [f64; 3] = [0, 1, 2]
                    .map(|a| i as f64 * axes[0][a] + j as f64 * axes[1][a] + k as f64 * axes[2][a]);
                let d2: f64 = world.iter().map(|v| v * v).sum();
                if d2 <= limit {
                    offsets.push(([i, j, k], d2));
                }
            }
        }
    }
    offsets.sort_by(|a, b| a.1.total_cmp(&b.1));
    Ok(offsets.into_iter().map(|(o, _)| o).collect())
}

/// Volumes on a mask's grid: the mask (C order), the data as volumes ×
/// mask voxels, and the grid's affine.
#[derive(Clone, Debug)]
pub struct MaskedData {
    pub shape: [usize; 3],
    pub affine: [[f64; 4]; 4],
    pub mask: Vec<bool>,
    pub data: Mat<f64>,
}

/// Stacks 3-D or 4-D `volumes` (named for messages) and keeps the voxels
/// where `mask` is non-zero. Every volume must have the mask's grid: the
/// same spatial shape and the same affine (to 1e-4 mm, the precision of
/// float32 headers).
pub fn masked_data(volumes: &[(String, Volume)], mask: &Volume) -> Result<MaskedData> {
    let shape = mask.spatial_shape();
    if mask.n_volumes() != 1 {
        return Err(Error::Invalid {
            what: "searchlight mask".into(),
            detail: format!(
                "it must be one 3-D volume, but its shape is {:?}",
                mask.shape
            ),
        });
    }
    if volumes.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the list of volumes".into(),
        });
    }
    for (name, v) in volumes {
        if v.spatial_shape() != shape {
            return Err(Error::Invalid {
                what: format!("volume {name}"),
                detail: format!(
                    "its grid is {:?} but the mask's is {shape:?}; resample the mask to the \
                     volumes' grid",
                    v.spatial_shape()
                ),
            });
        }
        let worst = (0..3)
            .flat_map(|i| (0..4).map(move |j| (i, j)))
            .map(|(i, j)| (v.affine[i][j] - mask.affine[i][j]).abs())
            .fold(0.0, f64::max);
        if worst.is_nan() || worst > 1e-4 {
            return Err(Error::Invalid {
                what: format!("volume {name}"),
                detail: format!(
                    "its affine differs from the mask's (by up to {worst} mm): they are not on \
                     the same grid in space; resample the mask to the volumes"
                ),
            });
        }
    }
    let [nx, ny, nz] = shape;
    // C-order position of Fortran-order index f.
    let c_order = |f: usize| {
        let (i, j, k) = (f % nx, (f / nx) % ny, f / (nx * ny));
        (i * ny + j) * nz + k
    };
    let mut inside = vec![false; nx * ny * nz];
    for (f, &v) in mask.data.iter().enumerate() {
        inside[c_order(f)] = v != 0.0 && !v.is_nan();
    }
    // The Fortran-order position of each data column (mask voxels in C order).
    let mut fortran = Vec::new();
    for (c, &ins) in inside.iter().enumerate() {
        if ins {
            let (i, j, k) = (c / (ny * nz), (c / nz) % ny, c % nz);
            fortran.push(i + nx * (j + ny * k));
        }
    }
    let n_rows: usize = volumes.iter().map(|(_, v)| v.n_volumes()).sum();
    let grid = nx * ny * nz;
    let mut data = Mat::zeros(n_rows, fortran.len());
    let mut row = 0;
    for (_, v) in volumes {
        for t in 0..v.n_volumes() {
            for (col, &f) in fortran.iter().enumerate() {
                data[(row, col)] = v.data[t * grid + f];
            }
            row += 1;
        }
    }
    Ok(MaskedData {
        shape,
        affine: mask.affine,
        mask: inside,
        data,
    })
}

/// Everything a searchlight computes besides the data.
#[derive(Clone, Copy, Debug)]
pub struct SearchlightSpec<'a> {
    /// Dissimilarity, condition and fold labels (its `precision` must be
    /// `None`: a sphere's precision comes from `noise`).
    pub rdm: RdmSpec<'a>,
    /// Spheres with fewer mask voxels get no RDM.
    pub min_voxels: usize,
    /// Residuals (measurements × mask voxels) and an estimator, for a noise
    /// precision per sphere (mahalanobis, crossnobis).
    pub noise: Option<(MatRef<'a, f64>, CovarianceMethod)>,
}

/// The RDMs of every sphere: `rdms` holds one condensed RDM per entry of
/// `centres` (mask voxel indices), row by row.
#[derive(Clone, Debug)]
pub struct SphereRdms {
    pub centres: Vec<usize>,
    pub n_pairs: usize,
    pub rdms: Vec<f64>,
}

/// The RDM of every sphere with at least `min_voxels` voxels. `data` is
/// measurements × mask voxels; `progress(done, total)` is called after
/// each block of centres.
pub fn sphere_rdms(
    light: &Searchlight,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SphereRdms> {
    let k = n_conditions(spec, data.nrows());
    let pairs = n_pairs(k);
    let mut centres = Vec::new();
    let mut rdms = Vec::new();
    run(light, data, spec, progress, |centre, rdm| {
        centres.push(centre);
        rdms.extend_from_slice(&rdm);
        Ok(())
    })?;
    Ok(SphereRdms {
        centres,
        n_pairs: pairs,
        rdms,
    })
}

/// One map per model (values per mask voxel, NaN for centres without an
/// RDM): each sphere's RDM compared with the model by `method`.
pub fn model_maps(
    light: &Searchlight,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
    models: &[&[f64]],
    method: CompareMethod,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Vec<f64>>> {
    let k = n_conditions(spec, data.nrows());
    if models.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the list of model RDMs".into(),
        });
    }
    for (m, model) in models.iter().enumerate() {
        if model.len() != n_pairs(k) {
            return Err(Error::ShapeMismatch {
                what: format!("model RDM {m} (condensed, for {k} conditions)"),
                expected: n_pairs(k),
                found: model.len(),
            });
        }
        if let Some(i) = model.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidRdm {
                detail: format!(
                    "model RDM {m} holds {} at entry {i}; searchlight models must be complete",
                    model[i]
                ),
            });
        }
    }
    let keep = vec![true; n_pairs(k)];
    let prepared: Vec<PreparedRdm> = models
        .iter()
        .map(|m| compare::prepare(m, &keep, method, None))
        .collect::<Result<_>>()?;
    let mut maps = vec![vec![f64::NAN; light.voxels.len()]; models.len()];
    let scorer = |rdm: &[f64]| -> Result<Vec<f64>> {
        let sphere = compare::prepare(rdm, &keep, method, None)?;
        Ok(prepared
            .iter()
            .map(|m| compare::score(&sphere, m, method))
            .collect())
    };
    run_with(light, data, spec, progress, scorer, |centre, scores| {
        for (map, s) in maps.iter_mut().zip(scores) {
            map[centre] = s;
        }
        Ok(())
    })?;
    Ok(maps)
}

/// Conditions in the spec's labels (or one per row).
fn n_conditions(spec: &SearchlightSpec<'_>, rows: usize) -> usize {
    spec.rdm
        .conditions
        .map_or(rows, |c| c.iter().max().map_or(0, |m| m + 1))
}

fn run(
    light: &Searchlight,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    collect: impl FnMut(usize, Vec<f64>) -> Result<()>,
) -> Result<()> {
    run_with(light, data, spec, progress, |rdm| Ok(rdm.to_vec()), collect)
}

/// Centres per block: results of one block are held at once.
const BLOCK: usize = 2048;

/// Computes every sphere's RDM, maps it through `per_sphere` (in parallel)
/// and hands the results to `collect` in centre order.
fn run_with<T: Send>(
    light: &Searchlight,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    per_sphere: impl Fn(&[f64]) -> Result<T> + Sync,
    mut collect: impl FnMut(usize, T) -> Result<()>,
) -> Result<()> {
    check_data(light, data, spec)?;
    let shared = SharedRows::new(data, &spec.rdm, spec.noise.is_some())?;
    let total = light.voxels.len();
    let mut start = 0;
    while start < total {
        let end = (start + BLOCK).min(total);
        let results: Vec<Option<T>> = (start..end)
            .into_par_iter()
            .map_init(Vec::new, |columns, centre| {
                light.sphere(centre, columns);
                if columns.len() < spec.min_voxels.max(1) {
                    return Ok(None);
                }
                let rdm = shared.sphere_rdm(columns, spec).with_context(|| {
                    let [i, j, k] = light.voxels[centre];
                    format!("searchlight centre ({i}, {j}, {k})")
                })?;
                per_sphere(&rdm).map(Some)
            })
            .collect::<Result<_>>()?;
        for (centre, r) in (start..end).zip(results) {
            if let Some(r) = r {
                collect(centre, r)?;
            }
        }
        progress(end, total);
        start = end;
    }
    Ok(())
}

/// Fails on a data matrix that does not fit the mask or holds NaN.
fn check_data(
    light: &Searchlight,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
) -> Result<()> {
    if data.ncols() != light.voxels.len() {
        return Err(Error::ShapeMismatch {
            what: "data columns (one per mask voxel)".into(),
            expected: light.voxels.len(),
            found: data.ncols(),
        });
    }
    if spec.rdm.precision.is_some() {
        return Err(Error::Invalid {
            what: "searchlight".into(),
            detail: "a single noise precision does not fit spheres of different voxels; pass \
                     residuals (noise) for a precision per sphere"
                .into(),
        });
    }
    for (what, m) in [
        ("data", Some(data)),
        ("noise residuals", spec.noise.map(|n| n.0)),
    ] {
        let Some(m) = m else { continue };
        if m.ncols() != light.voxels.len() {
            return Err(Error::ShapeMismatch {
                what: format!("{what} columns (one per mask voxel)"),
                expected: light.voxels.len(),
                found: m.ncols(),
            });
        }
        for col in 0..m.ncols() {
            if let Some(row) = m.col(col).iter().position(|v| !v.is_finite()) {
                let [i, j, k] = light.voxels[col];
                return Err(Error::Invalid {
                    what: format!("searchlight {what}"),
                    detail: format!(
                        "voxel ({i}, {j}, {k}) is {} in volume {row}; every voxel of the mask \
                         needs finite values (remove voxels without data from the mask)",
                        m[(row, col)]
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The rows every sphere takes its columns from, averaged once for the
/// whole mask where that leaves the RDM unchanged, with their labels.
struct SharedRows {
    rows: Mat<f64>,
    conditions: Option<Vec<usize>>,
    folds: Option<Vec<usize>>,
    /// For crossnobis without a noise precision: the training and test
    /// means of every (fold, condition) for every voxel, computed once.
    crossnobis: Option<FoldMeans>,
}

/// Crossnobis's fold means for the whole mask: row `slot * k + c` of
/// `train` is the mean of condition c over the folds other than the
/// slot-th used fold, of `test` its mean within that fold (as
/// `rsa::dissimilarity` defines them), one column per voxel.
struct FoldMeans {
    train: Mat<f64>,
    test: Mat<f64>,
    k: usize,
    folds: usize,
}

/// Measurements per (fold, condition) cell, `counts[f * k + c]`, the
/// number of folds, and the folds that hold any measurement.
fn cell_counts(conditions: &[usize], folds: &[usize], k: usize) -> (Vec<usize>, usize, Vec<usize>) {
    let n_folds = folds.iter().max().map_or(0, |m| m + 1);
    let mut counts = vec![0usize; n_folds * k];
    for (&f, &c) in folds.iter().zip(conditions) {
        counts[f * k + c] += 1;
    }
    let used = (0..n_folds)
        .filter(|&f| counts[f * k..(f + 1) * k].iter().any(|&n| n > 0))
        .collect();
    (counts, n_folds, used)
}

impl FoldMeans {
    /// `None` when some used fold misses a condition (`rdm` reports that).
    fn new(data: MatRef<'_, f64>, conditions: &[usize], folds: &[usize], k: usize) -> Option<Self> {
        let (counts, n_folds, used) = cell_counts(conditions, folds, k);
        if used.len() < 2
            || used
                .iter()
                .any(|&f| counts[f * k..(f + 1) * k].contains(&0))
        {
            return None;
        }
        let v = data.ncols();
        let mut sums = Mat::<f64>::zeros(n_folds * k, v);
        for col in 0..v {
            for (row, (&f, &c)) in folds.iter().zip(conditions).enumerate() {
                sums[(f * k + c, col)] += data[(row, col)];
            }
        }
        let total_count = |c: usize| used.iter().map(|&f| counts[f * k + c]).sum::<usize>();
        let mut train = Mat::zeros(used.len() * k, v);
        let mut test = Mat::zeros(used.len() * k, v);
        for col in 0..v {
            for c in 0..k {
                let total: f64 = used.iter().map(|&f| sums[(f * k + c, col)]).sum();
                for (slot, &f) in used.iter().enumerate() {
                    let s = sums[(f * k + c, col)];
                    let n = counts[f * k + c];
                    test[(slot * k + c, col)] = s / n as f64;
                    train[(slot * k + c, col)] = (total - s) / (total_count(c) - n) as f64;
                }
            }
        }
        Some(Self {
            train,
            test,
            k,
            folds: used.len(),
        })
    }

    /// The crossnobis RDM of the voxels `columns`: one product K = L Rᵀ of
    /// the gathered training (L) and test (R) patterns, k × (folds · p).
    fn rdm(&self, columns: &[usize]) -> Vec<f64> {
        let (k, p) = (self.k, columns.len());
        let gather = |m: &Mat<f64>| {
            Mat::from_fn(k, self.folds * p, |i, fv| {
                m[((fv / p) * k + i, columns[fv % p])]
            })
        };
        let (left, right) = (gather(&self.train), gather(&self.test));
        let mut kernel = Mat::<f64>::zeros(k, k);
        faer::linalg::matmul::matmul(
            kernel.as_mut(),
            faer::Accum::Replace,
            left.as_ref(),
            right.as_ref().transpose(),
            1.0,
            faer::Par::Seq,
        );
        let scale = 1.0 / (p * self.folds) as f64;
        let mut out = Vec::with_capacity(n_pairs(k));
        for i in 0..k {
            for j in i + 1..k {
                out.push(
                    scale * (kernel[(i, i)] + kernel[(j, j)] - kernel[(i, j)] - kernel[(j, i)]),
                );
            }
        }
        out
    }
}

impl SharedRows {
    fn new(data: MatRef<'_, f64>, spec: &RdmSpec<'_>, with_noise: bool) -> Result<Self> {
        let raw = || Self {
            rows: data.to_owned(),
            conditions: spec.conditions.map(<[usize]>::to_vec),
            folds: spec.folds.map(<[usize]>::to_vec),
            crossnobis: None,
        };
        let Some(conditions) = spec.conditions else {
            return Ok(raw());
        };
        if conditions.len() != data.nrows() {
            return Err(Error::ShapeMismatch {
                what: "condition labels (one per volume)".into(),
                expected: data.nrows(),
                found: conditions.len(),
            });
        }
        let k = conditions.iter().max().map_or(0, |m| m + 1);
        match (spec.method, spec.folds) {
            (RdmMethod::Crossnobis, Some(folds)) => {
                if folds.len() != data.nrows() {
                    return Err(Error::ShapeMismatch {
                        what: "fold labels (one per volume)".into(),
                        expected: data.nrows(),
                        found: folds.len(),
                    });
                }
                if !with_noise && let Some(means) = FoldMeans::new(data, conditions, folds, k) {
                    return Ok(Self {
                        rows: Mat::zeros(0, 0),
                        conditions: None,
                        folds: None,
                        crossnobis: Some(means),
                    });
                }
                // Cells (fold, condition) with equal counts: the mean of cell
                // means is the mean of measurements, so averaging first is exact.
                let (counts, n_folds, used) = cell_counts(conditions, folds, k);
                let first = counts[used.first().map_or(0, |&f| f * k)];
                let equal = used
                    .iter()
                    .all(|&f| counts[f * k..(f + 1) * k].iter().all(|&n| n == first));
                if !equal || first <= 1 {
                    return Ok(raw());
                }
                let cells: Vec<usize> = folds
                    .iter()
                    .zip(conditions)
                    .map(|(&f, &c)| f * k + c)
                    .collect();
                let means = condition_means(data, &cells, n_folds * k);
                let means = match means {
                    Ok(m) => m,
                    Err(_) => return Ok(raw()),
                };
                let rows: Vec<usize> = used
                    .iter()
                    .flat_map(|&f| (0..k).map(move |c| f * k + c))
                    .collect();
                Ok(Self {
                    rows: Mat::from_fn(rows.len(), data.ncols(), |r, j| means[(rows[r], j)]),
                    conditions: Some(rows.iter().map(|r| r % k).collect()),
                    folds: Some(rows.iter().map(|r| r / k).collect()),
                    crossnobis: None,
                })
            }
            (RdmMethod::Crossnobis, None) => Ok(raw()),
            _ => {
                let repeated = k < data.nrows();
                match condition_means(data, conditions, k) {
                    Ok(means) if repeated => Ok(Self {
                        rows: means,
                        conditions: None,
                        folds: None,
                        crossnobis: None,
                    }),
                    // A missing condition is reported by `rdm` itself.
                    _ => Ok(raw()),
                }
            }
        }
    }

    fn sphere_rdm(&self, columns: &[usize], spec: &SearchlightSpec<'_>) -> Result<Vec<f64>> {
        if let Some(means) = &self.crossnobis {
            return Ok(means.rdm(columns));
        }
        let x = Mat::from_fn(self.rows.nrows(), columns.len(), |i, j| {
            self.rows[(i, columns[j])]
        });
        let precision = match spec.noise {
            Some((residuals, method)) => {
                let r = Mat::from_fn(residuals.nrows(), columns.len(), |i, j| {
                    residuals[(i, columns[j])]
                });
                Some(noise_precision(r.as_ref(), method, None)?)
            }
            None => None,
        };
        let rdm_spec = RdmSpec {
            precision: precision.as_ref().map(Mat::as_ref),
            conditions: self.conditions.as_deref(),
            folds: self.folds.as_deref(),
            ..spec.rdm
        };
        rdm(x.as_ref(), &rdm_spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gaussian;

    #[test]
    fn spheres_of_radius_3_hold_123_voxels_and_are_cut_at_the_mask() {
        let light = Searchlight::new([9, 9, 9], &[true; 729], Radius::Voxels(3.0)).unwrap();
        assert_eq!(light.sphere_size(), 123);
        let mut cols = Vec::new();
        // Centre (4, 4, 4): a full sphere; corner (0, 0, 0): an octant.
        light.sphere(4 * 81 + 4 * 9 + 4, &mut cols);
        assert_eq!(cols.len(), 123);
        assert_eq!(cols[0], 4 * 81 + 4 * 9 + 4);
        light.sphere(0, &mut cols);
        // The octant i, j, k ≥ 0 of the sphere: 29 offsets.
        assert_eq!(cols.len(), 29);
        // Anisotropic voxels in mm: 2 mm along x, so a 2 mm radius reaches
        // one voxel along x and two along y and z.
        let affine = [
            [2.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let offsets = sphere_offsets(Radius::Millimetres(2.0, affine)).unwrap();
        assert!(offsets.contains(&[1, 0, 0]) && !offsets.contains(&[2, 0, 0]));
        assert!(offsets.contains(&[0, 2, 0]) && offsets.contains(&[0, 0, -2]));
        // Half the grid masked: spheres only hold mask voxels.
        let mask: Vec<bool> = (0..729).map(|f| f / 81 < 5).collect();
        let half = Searchlight::new([9, 9, 9], &mask, Radius::Voxels(3.0)).unwrap();
        half.sphere(
            half.voxels().iter().position(|v| *v == [4, 4, 4]).unwrap(),
            &mut cols,
        );
        let expected = (-3i32..=0)
            .map(|i| {
                (-3i32..=3)
                    .flat_map(|j| (-3i32..=3).map(move |k| (j, k)))
                    .filter(|(j, k)| i * i + j * j + k * k <= 9)
                    .count()
            })
            .sum::<usize>();
        assert_eq!(cols.len(), expected);
    }

    fn small_problem() -> (Searchlight, Mat<f64>, Vec<usize>, Vec<usize>) {
        let mask: Vec<bool> = (0..5 * 4 * 3).map(|f| f % 7 != 3).collect();
        let light = Searchlight::new([5, 4, 3], &mask, Radius::Voxels(1.5)).unwrap();
        let (k, runs) = (5, 3);
        let data = gaussian(k * runs * 2, light.voxels().len(), 7);
        let conditions: Vec<usize> = (0..k * runs * 2).map(|r| r % k).collect();
        let folds: Vec<usize> = (0..k * runs * 2).map(|r| r / (2 * k)).collect();
        (light, data, conditions, folds)
    }

    #[test]
    fn shared_averaging_equals_a_plain_loop_over_spheres() {
        let (light, data, conditions, folds) = small_problem();
        for method in [
            RdmMethod::Crossnobis,
            RdmMethod::Correlation,
            RdmMethod::Euclidean,
        ] {
            let spec = SearchlightSpec {
                rdm: RdmSpec {
                    conditions: Some(&conditions),
                    folds: Some(&folds),
                    ..RdmSpec::new(method)
                },
                min_voxels: 4,
                noise: None,
            };
            let out = sphere_rdms(&light, data.as_ref(), &spec, &|_, _| {}).unwrap();
            let mut cols = Vec::new();
            let mut row = 0;
            for centre in 0..light.voxels().len() {
                light.sphere(centre, &mut cols);
                if cols.len() < 4 {
                    assert!(!out.centres.contains(&centre));
                    continue;
                }
                assert_eq!(out.centres[row], centre);
                let x = Mat::from_fn(data.nrows(), cols.len(), |i, j| data[(i, cols[j])]);
                let direct = rdm(x.as_ref(), &spec.rdm).unwrap();
                let got = &out.rdms[row * out.n_pairs..(row + 1) * out.n_pairs];
                for (a, b) in got.iter().zip(&direct) {
                    assert!(
                        (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
                        "{method:?} {a} {b}"
                    );
                }
                row += 1;
            }
            assert_eq!(row, out.centres.len());
        }
    }

    #[test]
    fn maps_score_each_sphere_against_each_model() {
        let (light, data, conditions, folds) = small_problem();
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&conditions),
                folds: Some(&folds),
                ..RdmSpec::new(RdmMethod::Crossnobis)
            },
            min_voxels: 4,
            noise: None,
        };
        let model_a: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let model_b: Vec<f64> = (0..10).map(|i| ((i * 7) % 10) as f64).collect();
        let models = [model_a.as_slice(), model_b.as_slice()];
        let maps = model_maps(
            &light,
            data.as_ref(),
            &spec,
            &models,
            CompareMethod::Spearman,
            &|_, _| {},
        )
        .unwrap();
        let rdms = sphere_rdms(&light, data.as_ref(), &spec, &|_, _| {}).unwrap();
        for (row, &centre) in rdms.centres.iter().enumerate() {
            let sphere = &rdms.rdms[row * 10..(row + 1) * 10];
            let expected =
                compare::compare(&[sphere], &models, CompareMethod::Spearman, None).unwrap();
            for m in 0..2 {
                assert!((maps[m][centre] - expected[(0, m)]).abs() < 1e-12);
            }
        }
        let nan = maps[0].iter().filter(|v| v.is_nan()).count();
        assert_eq!(nan, light.voxels().len() - rdms.centres.len());
        let grid = light.to_grid(&maps[0]);
        assert_eq!(grid.len(), 60);
        assert!(grid[3].is_nan());
    }

    #[test]
    fn nan_voxels_and_wrong_labels_are_specific_errors() {
        let (light, mut data, conditions, folds) = small_problem();
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&conditions),
                folds: Some(&folds),
                ..RdmSpec::new(RdmMethod::Crossnobis)
            },
            min_voxels: 1,
            noise: None,
        };
        data[(2, 5)] = f64::NAN;
        let e = sphere_rdms(&light, data.as_ref(), &spec, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("is NaN in volume 2"), "{e}");
        data[(2, 5)] = 0.0;
        let short = &conditions[1..];
        let bad = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(short),
                ..spec.rdm
            },
            ..spec
        };
        let e = sphere_rdms(&light, data.as_ref(), &bad, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("condition labels"), "{e}");
        let e = Searchlight::new([5, 4, 3], &[true; 59], Radius::Voxels(2.0)).unwrap_err();
        assert!(e.to_string().contains("should have 60"), "{e}");
    }
}
