//! Crossnobis's fold means: for every used fold f, the mean pattern of
//! each condition over the other folds (training) and within f (test),
//! computed once for every channel (or voxel) and shared by the RDM of a
//! whole representation and the RDMs of searchlight spheres.

use faer::{Mat, MatRef};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Measurements per (fold, condition) cell, `counts[f * k + c]`, the
/// number of folds, and the folds that hold any measurement.
pub(crate) fn cell_counts(
    conditions: &[usize],
    folds: &[usize],
    k: usize,
) -> (Vec<usize>, usize, Vec<usize>) {
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

/// The fold means: row `slot * k + c` of `train` is the mean of condition
/// c over the folds other than the slot-th used fold, of `test` its mean
/// within that fold; one column per channel.
pub(crate) struct FoldMeans {
    pub train: Mat<f64>,
    pub test: Mat<f64>,
    /// Conditions.
    pub k: usize,
    /// Folds that hold measurements.
    pub folds: usize,
}

impl FoldMeans {
    /// The fold means of `x` (measurements × channels) with a condition
    /// (0..k) and a fold label per row. Every used fold must measure every
    /// condition, and at least 2 folds must be used.
    pub(crate) fn new(
        x: MatRef<'_, f64>,
        conditions: &[usize],
        folds: &[usize],
        k: usize,
    ) -> Result<Self> {
        let fold_error = |detail: String| Error::InvalidParameter {
            measure: "cross-validated RDM".into(),
            detail,
        };
        let (counts, n_folds, used) = cell_counts(conditions, folds, k);
        if used.len() < 2 {
            return Err(fold_error(format!(
                "needs measurements in at least 2 folds to cross-validate, found {}",
                used.len()
            )));
        }
        for &f in &used {
            if let Some(c) = counts[f * k..(f + 1) * k].iter().position(|&n| n == 0) {
                return Err(fold_error(format!(
                    "condition {c} has no measurement in fold {f}; every condition must be \
                     measured in every fold"
                )));
            }
        }
        let v = x.ncols();
        let totals: Vec<usize> = (0..k)
            .map(|c| used.iter().map(|&f| counts[f * k + c]).sum())
            .collect();
        let mut train = Mat::zeros(used.len() * k, v);
        let mut test = Mat::zeros(used.len() * k, v);
        // Column by column, in parallel: the cell sums of a column (in row
        // order), then its test (within-fold) and training (other-fold) means.
        train
            .par_col_iter_mut()
            .zip(test.par_col_iter_mut())
            .enumerate()
            .for_each_init(
                || vec![0.0f64; n_folds * k],
                |sums, (col, (mut train, mut test))| {
                    sums.fill(0.0);
                    let values = x.col(col);
                    for (row, (&f, &c)) in folds.iter().zip(conditions).enumerate() {
                        sums[f * k + c] += values[row];
                    }
                    for c in 0..k {
                        let total: f64 = used.iter().map(|&f| sums[f * k + c]).sum();
                        for (slot, &f) in used.iter().enumerate() {
                            let s = sums[f * k + c];
                            let n = counts[f * k + c];
                            test[slot * k + c] = s / n as f64;
                            train[slot * k + c] = (total - s) / (totals[c] - n) as f64;
                        }
                    }
                },
            );
        Ok(Self {
            train,
            test,
            k,
            folds: used.len(),
        })
    }

    /// The training and test means of the channels `columns`, each fold's
    /// block transposed and the blocks stacked: (folds · p) × k, row
    /// `slot * p + j`, one column per condition.
    pub(crate) fn stacked(&self, columns: &[usize]) -> (Mat<f64>, Mat<f64>) {
        let (k, p) = (self.k, columns.len());
        let stack = |m: &Mat<f64>| {
            Mat::from_fn(self.folds * p, k, |r, c| {
                m[((r / p) * k + c, columns[r % p])]
            })
        };
        (stack(&self.train), stack(&self.test))
    }
}
