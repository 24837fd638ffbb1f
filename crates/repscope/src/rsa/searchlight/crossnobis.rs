//! The crossnobis fast path of the searchlight: the fold means of every
//! voxel are computed once ([`FoldMeans`]); a sphere then costs one gather
//! and one k × (folds · voxels) × k product.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::rsa::condensed::n_pairs;
use crate::rsa::folds::FoldMeans;

/// Every voxel's fold means, from which each sphere's crossnobis RDM is
/// one gather and one product.
pub(super) struct SphereKernels(pub(super) FoldMeans);

impl SphereKernels {
    /// The crossnobis RDM of the voxels `columns`: one product K = L Rᵀ of
    /// the gathered training (L) and test (R) patterns, k × (folds · p).
    pub(super) fn rdm(&self, columns: &[usize]) -> Vec<f64> {
        let means = &self.0;
        let (k, p) = (means.k, columns.len());
        // Column slot · p + j: fold slot's k means of voxel columns[j].
        let gather = |m: &Mat<f64>| {
            let mut out = Mat::<f64>::zeros(k, means.folds * p);
            for slot in 0..means.folds {
                for (j, &c) in columns.iter().enumerate() {
                    out.col_mut(slot * p + j)
                        .copy_from(m.col(c).subrows(slot * k, k));
                }
            }
            out
        };
        let (left, right) = (gather(&means.train), gather(&means.test));
        let mut kernel = Mat::<f64>::zeros(k, k);
        matmul(
            kernel.as_mut(),
            Accum::Replace,
            left.as_ref(),
            right.as_ref().transpose(),
            1.0,
            Par::Seq,
        );
        distances(&kernel, 1.0 / (p * means.folds) as f64)
    }
}

/// The crossnobis RDM from a sphere's cell means `x` ((folds · k) × p,
/// row `slot · k + c` the mean of condition c in the slot-th fold, here
/// whitened by the sphere's noise) and the cell counts: the test mean of a
/// fold is its cell, the training mean the count-weighted mean of the
/// other folds' cells; K = Σ_f A_f B_fᵀ, one k × p × k product per fold.
pub(super) fn cell_crossnobis(x: MatRef<'_, f64>, counts: &[usize], k: usize) -> Vec<f64> {
    let (p, folds) = (x.ncols(), counts.len() / k);
    let totals: Vec<usize> = (0..k)
        .map(|c| (0..folds).map(|f| counts[f * k + c]).sum())
        .collect();
    let mut train = Mat::<f64>::zeros(folds * k, p);
    for j in 0..p {
        let cells = x.col(j);
        let mut out = train.col_mut(j);
        for c in 0..k {
            let sum: f64 = (0..folds)
                .map(|f| counts[f * k + c] as f64 * cells[f * k + c])
                .sum();
            for f in 0..folds {
                let n = counts[f * k + c];
                out[f * k + c] = (sum - n as f64 * cells[f * k + c]) / (totals[c] - n) as f64;
            }
        }
    }
    let mut kernel = Mat::<f64>::zeros(k, k);
    for f in 0..folds {
        matmul(
            kernel.as_mut(),
            Accum::Add,
            train.as_ref().subrows(f * k, k),
            x.subrows(f * k, k).transpose(),
            1.0,
            Par::Seq,
        );
    }
    distances(&kernel, 1.0 / (p * folds) as f64)
}

/// s (K_ii + K_jj − K_ij − K_ji) for every pair, condensed.
fn distances(kernel: &Mat<f64>, scale: f64) -> Vec<f64> {
    let k = kernel.nrows();
    let mut out = Vec::with_capacity(n_pairs(k));
    for i in 0..k {
        for j in i + 1..k {
            out.push(scale * (kernel[(i, i)] + kernel[(j, j)] - kernel[(i, j)] - kernel[(j, i)]));
        }
    }
    out
}
