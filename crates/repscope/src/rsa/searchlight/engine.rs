//! The searchlight engine: every sphere's RDM in parallel blocks of
//! centres, from rows shared by all spheres (condition means computed once
//! for the whole mask, or crossnobis's fold means).

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::crossnobis::SphereKernels;
use super::{Neighbourhoods, SearchlightSpec};
use crate::error::{Error, Result, ResultExt};
use crate::rsa::dissimilarity::{RdmMethod, RdmSpec, condition_means, rdm};
use crate::rsa::folds::{FoldMeans, cell_counts};
use crate::stats::covariance::noise_precision;

pub(super) fn run(
    light: &dyn Neighbourhoods,
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
pub(super) fn run_with<T: Send>(
    light: &dyn Neighbourhoods,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
    per_sphere: impl Fn(&[f64]) -> Result<T> + Sync,
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
    let shared = SharedRows::new(data, &spec.rdm, spec.noise.is_some())?;
    let total = centres.len();
    let mut start = 0;
    while start < total {
        let end = (start + BLOCK).min(total);
        let results: Vec<Option<T>> = centres[start..end]
            .par_iter()
            .map_init(Vec::new, |columns, &centre| {
                crate::interrupt::check()?;
                light.members(centre, columns);
                if columns.len() < spec.min_voxels.max(1) {
                    return Ok(None);
                }
                let rdm = shared
                    .sphere_rdm(columns, spec)
                    .with_context(|| format!("searchlight centre at {}", light.place(centre)))?;
                per_sphere(&rdm).map(Some)
            })
            .collect::<Result<_>>()?;
        for (&centre, r) in centres[start..end].iter().zip(results) {
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
    light: &dyn Neighbourhoods,
    data: MatRef<'_, f64>,
    spec: &SearchlightSpec<'_>,
) -> Result<()> {
    if data.ncols() != light.n_columns() {
        return Err(Error::ShapeMismatch {
            what: "data columns (one per mask voxel or vertex)".into(),
            expected: light.n_columns(),
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
        if m.ncols() != light.n_columns() {
            return Err(Error::ShapeMismatch {
                what: format!("{what} columns (one per mask voxel or vertex)"),
                expected: light.n_columns(),
                found: m.ncols(),
            });
        }
        for col in 0..m.ncols() {
            if let Some(row) = m.col(col).iter().position(|v| !v.is_finite()) {
                return Err(Error::Invalid {
                    what: format!("searchlight {what}"),
                    detail: format!(
                        "{} is {} in volume {row}; every voxel of the mask \
                         needs finite values (remove voxels without data from the mask)",
                        light.place(col),
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
pub(super) struct SharedRows {
    rows: Mat<f64>,
    conditions: Option<Vec<usize>>,
    folds: Option<Vec<usize>>,
    /// For crossnobis without a noise precision: the training and test
    /// means of every (fold, condition) for every voxel, computed once.
    crossnobis: Option<SphereKernels>,
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
                if !with_noise && let Ok(means) = FoldMeans::new(data, conditions, folds, k) {
                    return Ok(Self {
                        rows: Mat::zeros(0, 0),
                        conditions: None,
                        folds: None,
                        crossnobis: Some(SphereKernels(means)),
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
