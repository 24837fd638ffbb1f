//! The searchlight engine. Centres run in blocks: a block's data columns
//! (the union of its spheres) are read once into float64 and reduced to
//! the rows every sphere shares (condition means, crossnobis's cell or
//! fold means, and centred residuals); its spheres then run in parallel.
//!
//! Memory, besides the caller's data (which stays in its own precision):
//! one block of shared rows, about [`BLOCK_BYTES`] (the block grows until
//! its union of columns reaches `BLOCK_BYTES / Plan::bytes_per_column`),
//! one block of results (at most [`BLOCK_CENTRES`] RDMs or score rows),
//! and per thread one sphere's gathers (rows × p; with noise, residual
//! rows × p and p × p). See the module doc for the whole formula.

use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Mat, MatRef, Par};
use rayon::prelude::*;

use super::crossnobis::{CellWeights, SphereKernels, cell_crossnobis};
use super::{Neighbourhoods, SearchlightSpec};
use crate::error::{Error, Result, ResultExt};
use crate::linalg::Stored;
use crate::rsa::dissimilarity::{
    RdmMethod, RdmSpec, condition_means, rdm, require_three_conditions,
};
use crate::rsa::folds::{FoldMeans, cell_counts};
use crate::stats::covariance::{
    CovarianceMethod, cholesky_factor_seq, cholesky_of, covariance_of_centred,
};

/// Bytes of shared rows one block of centres may hold by default (the
/// block stops growing once its columns reach this).
pub const BLOCK_BYTES: usize = 256 << 20;
/// Centres per block at most: the results of one block are held at once.
pub const BLOCK_CENTRES: usize = 4096;

pub(super) fn run(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    collect: impl FnMut(usize, Vec<f64>) -> Result<()>,
) -> Result<()> {
    run_with(light, data, spec, progress, |rdm| Ok(rdm.to_vec()), collect)
}

/// Computes every sphere's RDM, maps it through `per_sphere` (in parallel)
/// and hands the results to `collect` in centre order.
pub(super) fn run_with<T: Send>(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    per_sphere: impl Fn(&[f64]) -> Result<T> + Sync,
    collect: impl FnMut(usize, T) -> Result<()>,
) -> Result<()> {
    let rdm_of =
        |block: &Block<'_>, cols: &[usize]| per_sphere(&block.sphere_rdm(cols, &spec.rdm)?);
    run_spheres(light, data, spec, progress, rdm_of, collect)
}

/// Hands every sphere's measurements (rows × its columns, float64) to
/// `per_sphere` (in parallel) and the results to `collect` in centre
/// order; the spec's labels are not used (rows are not averaged).
pub(super) fn run_rows<T: Send>(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    per_sphere: impl Fn(MatRef<'_, f64>) -> Result<T> + Sync,
    collect: impl FnMut(usize, T) -> Result<()>,
) -> Result<()> {
    let raw = SearchlightSpec {
        rdm: RdmSpec::new(RdmMethod::Euclidean),
        noise: None,
        ..*spec
    };
    let rows_of = |block: &Block<'_>, cols: &[usize]| {
        per_sphere(gather_columns(block.rows.as_ref(), cols).as_ref())
    };
    run_spheres(light, data, &raw, progress, rows_of, collect)
}

fn run_spheres<T: Send>(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    per_sphere: impl Fn(&Block<'_>, &[usize]) -> Result<T> + Sync,
    mut collect: impl FnMut(usize, T) -> Result<()>,
) -> Result<()> {
    check_data(light, data, spec)?;
    let every: Vec<usize>;
    let centres = match spec.centres {
        Some(c) => {
            if let Some(&bad) = c.iter().find(|&&c| c >= light.n_columns()) {
                return Err(Error::OutOfRange {
                    what: "searchlight centre".into(),
                    value: bad.to_string(),
                    expected: format!("a data column below {}", light.n_columns()),
                });
            }
            c
        }
        None => {
            every = (0..light.n_columns()).collect();
            &every
        }
    };
    let plan = Plan::new(&spec.rdm, data.nrows(), spec.noise.is_some())?;
    let noise_rows = spec.noise.map_or(0, |(r, _)| r.nrows());
    let block_bytes = spec.block_bytes.unwrap_or(BLOCK_BYTES);
    let max_columns = (block_bytes / plan.bytes_per_column(data.nrows(), noise_rows)).max(1);
    // Data column -> its column in the current block (NOT_IN_BLOCK outside).
    let mut local = vec![NOT_IN_BLOCK; light.n_columns()];
    let mut members = Vec::new();
    let total = centres.len();
    let mut next = 0;
    while next < total {
        // Centres in order until their spheres' columns fill a block.
        let mut union: Vec<usize> = Vec::new();
        let mut block: Vec<(usize, Vec<usize>)> = Vec::new();
        while next < total && block.len() < BLOCK_CENTRES && union.len() < max_columns {
            let centre = centres[next];
            next += 1;
            light.members(centre, &mut members);
            if members.len() < spec.min_voxels.max(1) {
                continue;
            }
            let cols = members
                .iter()
                .map(|&g| {
                    if local[g] == NOT_IN_BLOCK {
                        local[g] = union.len();
                        union.push(g);
                    }
                    local[g]
                })
                .collect();
            block.push((centre, cols));
        }
        crate::interrupt::check()?;
        let shared = plan.block(data, &union, spec.noise)?;
        let results: Vec<T> = block
            .par_iter()
            .map(|(centre, cols)| {
                crate::interrupt::check()?;
                per_sphere(&shared, cols)
                    .with_context(|| format!("searchlight centre at {}", light.place(*centre)))
            })
            .collect::<Result<_>>()?;
        for (&(centre, _), r) in block.iter().zip(results) {
            collect(centre, r)?;
        }
        for &g in &union {
            local[g] = NOT_IN_BLOCK;
        }
        progress(next, total);
    }
    Ok(())
}

const NOT_IN_BLOCK: usize = usize::MAX;

/// Fails on a data matrix that does not fit the neighbourhoods or holds
/// NaN, and on labels or residuals no sphere could use.
fn check_data(
    light: &dyn Neighbourhoods,
    data: Stored<'_>,
    spec: &SearchlightSpec<'_>,
) -> Result<()> {
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
        if m.ncols() != light.n_columns() {
            return Err(Error::ShapeMismatch {
                what: format!("{what} columns (one per mask voxel or vertex)"),
                expected: light.n_columns(),
                found: m.ncols(),
            });
        }
        if let Some((row, col, value)) = m.first_non_finite() {
            return Err(Error::Invalid {
                what: format!("searchlight {what}"),
                detail: format!(
                    "{} is {value} in volume {row}; every voxel of the mask needs finite \
                     values (remove voxels without data from the mask)",
                    light.place(col),
                ),
            });
        }
    }
    let whitens = matches!(
        spec.rdm.method,
        RdmMethod::Mahalanobis | RdmMethod::Crossnobis
    );
    if spec.noise.is_some() && !whitens {
        return Err(Error::Invalid {
            what: "searchlight".into(),
            detail: format!(
                "noise residuals give a noise precision for mahalanobis and crossnobis; the \
                 method {} does not use one (drop the residuals or choose one of those)",
                spec.rdm.method.name()
            ),
        });
    }
    if let Some((residuals, _)) = spec.noise
        && residuals.nrows() < 2
    {
        return Err(Error::InvalidParameter {
            measure: "noise covariance".into(),
            detail: format!("needs at least 2 residual rows, got {}", residuals.nrows()),
        });
    }
    Ok(())
}

/// What every sphere reads, decided once from the labels: the rows a
/// block reduces its columns to, with those rows' labels.
enum Plan {
    /// Crossnobis without noise: the training and test means of every
    /// (fold, condition) for every column of the block; a sphere is then
    /// one gather and one product.
    FoldMeans {
        conditions: Vec<usize>,
        folds: Vec<usize>,
        k: usize,
        /// Folds that hold measurements.
        used: usize,
    },
    /// Crossnobis with noise: the mean of every (fold, condition) cell,
    /// row `slot · k + c` (slot: the fold's place among used folds), and
    /// its count. A sphere whitens these rows; the training means are
    /// count-weighted sums of them, so any counts per cell are exact.
    Cells {
        groups: Vec<usize>,
        weights: CellWeights,
    },
    /// Rows averaged per condition, when conditions repeat.
    Averaged { groups: Vec<usize>, n_groups: usize },
    /// The measurements as they are (a bad label is reported by `rdm`).
    Raw {
        conditions: Option<Vec<usize>>,
        folds: Option<Vec<usize>>,
    },
}

impl Plan {
    fn new(spec: &RdmSpec<'_>, rows: usize, with_noise: bool) -> Result<Self> {
        let raw = || Plan::Raw {
            conditions: spec.conditions.map(<[usize]>::to_vec),
            folds: spec.folds.map(<[usize]>::to_vec),
        };
        let Some(conditions) = spec.conditions else {
            return Ok(raw());
        };
        check_labels("condition", conditions, rows)?;
        let k = conditions.iter().max().map_or(0, |m| m + 1);
        require_three_conditions(k)?;
        match (spec.method, spec.folds) {
            (RdmMethod::Crossnobis, Some(folds)) => {
                check_labels("fold", folds, rows)?;
                let no_columns = Mat::<f64>::zeros(rows, 0);
                let valid = FoldMeans::new(no_columns.as_ref(), conditions, folds, k).is_ok();
                let (counts, _, used) = cell_counts(conditions, folds, k);
                if !valid {
                    return Ok(raw());
                }
                if !with_noise {
                    return Ok(Plan::FoldMeans {
                        conditions: conditions.to_vec(),
                        folds: folds.to_vec(),
                        k,
                        used: used.len(),
                    });
                }
                let mut slot = vec![0; counts.len() / k];
                for (s, &f) in used.iter().enumerate() {
                    slot[f] = s;
                }
                let groups = folds
                    .iter()
                    .zip(conditions)
                    .map(|(&f, &c)| slot[f] * k + c)
                    .collect();
                let counts: Vec<usize> = used
                    .iter()
                    .flat_map(|&f| counts[f * k..(f + 1) * k].iter().copied())
                    .collect();
                Ok(Plan::Cells {
                    groups,
                    weights: CellWeights::new(&counts, k),
                })
            }
            (RdmMethod::Crossnobis, None) | (RdmMethod::PoissonCv, _) => Ok(raw()),
            _ => {
                let mut seen = vec![false; k];
                conditions.iter().for_each(|&c| seen[c] = true);
                if k < rows && seen.iter().all(|&s| s) {
                    Ok(Plan::Averaged {
                        groups: conditions.to_vec(),
                        n_groups: k,
                    })
                } else {
                    Ok(raw())
                }
            }
        }
    }

    /// Bytes a block holds per data column: the float64 gather, what it
    /// is reduced to, and the centred residuals.
    fn bytes_per_column(&self, rows: usize, noise_rows: usize) -> usize {
        let reduced = match self {
            Plan::FoldMeans { k, used, .. } => 2 * used * k,
            Plan::Averaged { n_groups, .. } => *n_groups,
            Plan::Cells { weights, .. } => weights.cells(),
            Plan::Raw { .. } => 0,
        };
        8 * (rows + reduced + noise_rows)
    }

    /// The shared rows of the data columns `union`.
    fn block(
        &self,
        data: Stored<'_>,
        union: &[usize],
        noise: Option<(Stored<'_>, CovarianceMethod)>,
    ) -> Result<Block<'_>> {
        let x = data.gather(union);
        let rows = match self {
            Plan::FoldMeans {
                conditions,
                folds,
                k,
                ..
            } => {
                let means = FoldMeans::new(x.as_ref(), conditions, folds, *k)?;
                drop(x);
                return Ok(Block {
                    rows: Mat::zeros(0, 0),
                    kernels: Some(SphereKernels(means)),
                    conditions: None,
                    folds: None,
                    cells: None,
                    noise: None,
                });
            }
            Plan::Averaged { groups, n_groups } => condition_means(x.as_ref(), groups, *n_groups)?,
            Plan::Cells { groups, weights } => {
                condition_means(x.as_ref(), groups, weights.cells())?
            }
            Plan::Raw { .. } => x,
        };
        let (conditions, folds) = match self {
            Plan::Raw { conditions, folds } => (conditions.as_deref(), folds.as_deref()),
            _ => (None, None),
        };
        let cells = match self {
            Plan::Cells { weights, .. } => Some(weights),
            _ => None,
        };
        let noise = noise.map(|(residuals, method)| {
            let mut r = residuals.gather(union);
            centre_columns_in_place(&mut r);
            (r, method)
        });
        Ok(Block {
            rows,
            kernels: None,
            conditions,
            folds,
            cells,
            noise,
        })
    }
}

fn check_labels(what: &str, labels: &[usize], rows: usize) -> Result<()> {
    if labels.len() != rows {
        return Err(Error::ShapeMismatch {
            what: format!("{what} labels (one per volume)"),
            expected: rows,
            found: labels.len(),
        });
    }
    Ok(())
}

/// Subtracts every column's mean (as `linalg::center_columns` does, in
/// place: a block of residuals is not copied again).
fn centre_columns_in_place(m: &mut Mat<f64>) {
    let n = m.nrows() as f64;
    m.par_col_iter_mut().for_each(|col| {
        let mean = col.as_ref().iter().sum::<f64>() / n;
        col.iter_mut().for_each(|v| *v -= mean);
    });
}

/// One block's shared rows: rows × block columns (or crossnobis's fold
/// means), and with noise the block's centred residuals.
struct Block<'p> {
    rows: Mat<f64>,
    kernels: Option<SphereKernels>,
    conditions: Option<&'p [usize]>,
    folds: Option<&'p [usize]>,
    /// Crossnobis's cell weights (rows are cell means).
    cells: Option<&'p CellWeights>,
    noise: Option<(Mat<f64>, CovarianceMethod)>,
}

impl Block<'_> {
    /// The RDM of the sphere of block columns `cols`.
    fn sphere_rdm(&self, cols: &[usize], spec: &RdmSpec<'_>) -> Result<Vec<f64>> {
        if let Some(kernels) = &self.kernels {
            return Ok(kernels.rdm(cols));
        }
        let rdm_spec = RdmSpec {
            precision: None,
            conditions: self.conditions,
            folds: self.folds,
            ..*spec
        };
        match &self.noise {
            None => {
                let x = gather_columns(self.rows.as_ref(), cols);
                rdm(x.as_ref(), &rdm_spec)
            }
            // With the sphere's noise covariance Σ = C Cᵀ, Mahalanobis and
            // crossnobis distances with Λ = Σ⁻¹ are the plain (identity)
            // ones of the whitened patterns C⁻¹x: one triangular solve of
            // the shared rows, no inverse and no product with Λ.
            Some((residuals, method)) => {
                // The buffers are taken out of the thread's cell for the
                // sphere, not borrowed in it: `rdm` runs in parallel, and a
                // thread waiting in it may start another sphere (which then
                // finds the cell empty and allocates its own).
                let mut work = WORK.take();
                let Work {
                    residuals: r,
                    patterns,
                    train,
                } = &mut work;
                let whitened = self.whitened(cols, residuals.as_ref(), *method, r, patterns);
                let rdm = whitened.and_then(|whitened| match self.cells {
                    Some(weights) => Ok(cell_crossnobis(whitened, weights, train)),
                    None => rdm(whitened, &rdm_spec),
                });
                WORK.set(work);
                rdm
            }
        }
    }

    /// The shared rows x over `cols` (rows × p), whitened in `patterns`:
    /// x C⁻ᵀ, with Σ = C Cᵀ the sphere's noise covariance from its residual
    /// columns (gathered in `r`).
    fn whitened<'w>(
        &self,
        cols: &[usize],
        residuals: MatRef<'_, f64>,
        method: CovarianceMethod,
        r: &mut Mat<f64>,
        patterns: &'w mut Mat<f64>,
    ) -> Result<MatRef<'w, f64>> {
        let n = residuals.nrows();
        let r = gather_into(r, residuals, cols);
        let cov = covariance_of_centred(r.as_ref(), method, (n - 1) as f64)?;
        let mut x = gather_into(patterns, self.rows.as_ref(), cols);
        if method == CovarianceMethod::Diag {
            // A diagonal C: scale each channel.
            if (0..cols.len()).any(|j| cov[(j, j)] <= 0.0) {
                cholesky_of(&cov, n)?;
            }
            for j in 0..cols.len() {
                let s = cov[(j, j)].sqrt().recip();
                x.as_mut().col_mut(j).iter_mut().for_each(|v| *v *= s);
            }
        } else {
            let l = cholesky_factor_seq(cov, n)?;
            // (x C⁻ᵀ)ᵀ = C⁻¹ xᵀ: a lower solve on the transposed view.
            solve_lower_triangular_in_place(l.as_ref(), x.as_mut().transpose_mut(), Par::Seq);
        }
        Ok(faer::reborrow::IntoConst::into_const(x))
    }
}

/// One thread's buffers for the noise path: a sphere's residual columns,
/// its (whitened) patterns and crossnobis's training means. Reused from
/// sphere to sphere, so a sphere neither allocates nor zeroes them.
struct Work {
    residuals: Mat<f64>,
    patterns: Mat<f64>,
    train: Mat<f64>,
}

impl Work {
    const EMPTY: Work = Work {
        residuals: Mat::new(),
        patterns: Mat::new(),
        train: Mat::new(),
    };
}

impl Default for Work {
    fn default() -> Self {
        Work::EMPTY
    }
}

thread_local! {
    static WORK: std::cell::RefCell<Work> = const { std::cell::RefCell::new(Work::EMPTY) };
}

/// The columns `cols` of `m` copied into the first columns of `buffer`
/// (grown when too small; it keeps its size), as a view.
pub(super) fn gather_into<'b>(
    buffer: &'b mut Mat<f64>,
    m: MatRef<'_, f64>,
    cols: &[usize],
) -> faer::MatMut<'b, f64> {
    if buffer.nrows() != m.nrows() || buffer.ncols() < cols.len() {
        *buffer = Mat::zeros(m.nrows(), cols.len().max(buffer.ncols()));
    }
    let mut out = buffer.as_mut().subcols_mut(0, cols.len());
    for (j, &c) in cols.iter().enumerate() {
        copy_column(out.as_mut().col_mut(j), m.col(c));
    }
    out
}

/// `dst ← src`, as one slice copy when both are contiguous (faer's
/// general `copy_from` costs more than the copy for columns this short).
pub(super) fn copy_column(mut dst: faer::ColMut<'_, f64>, src: faer::ColRef<'_, f64>) {
    if let Some(s) = src.try_as_col_major()
        && let Some(d) = dst.as_mut().try_as_col_major_mut()
    {
        d.as_slice_mut().copy_from_slice(s.as_slice());
    } else {
        dst.copy_from(src);
    }
}

/// The columns `cols` of `m`, in that order, as a matrix of their own.
pub(super) fn gather_columns(m: MatRef<'_, f64>, cols: &[usize]) -> Mat<f64> {
    let mut out = Mat::new();
    gather_into(&mut out, m, cols);
    out
}
