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
        let gather = |m: &Mat<f64>| {
            Mat::from_fn(k, means.folds * p, |i, fv| {
                m[((fv / p) * k + i, columns[fv % p])]
            })
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

/// The crossnobis RDM from a sphere's cell means `w` (p × (folds · k),
/// column `slot · k + c` the mean of condition c in the slot-th fold, here
/// whitened by the sphere's noise) and the cell counts: the test mean of a
/// fold is its cell, the training mean the count-weighted mean of the
/// other folds' cells; K = Σ_f A_fᵀ B_f, one k × p × k product per fold.
pub(super) fn cell_crossnobis(w: MatRef<'_, f64>, counts: &[usize], k: usize) -> Vec<f64> {
    let (p, folds) = (w.nrows(), counts.len() / k);
    let mut train = Mat::<f64>::zeros(p, folds * k);
    for c in 0..k {
        let total: usize = (0..folds).map(|f| counts[f * k + c]).sum();
        let mut sum = vec![0.0; p];
        for f in 0..folds {
            let n = counts[f * k + c] as f64;
            for (s, v) in sum.iter_mut().zip(w.col(f * k + c).iter()) {
                *s += n * v;
            }
        }
        for f in 0..folds {
            let n = counts[f * k + c];
            let scale = 1.0 / (total - n) as f64;
            let own = w.col(f * k + c);
            for (t, (s, v)) in train
                .col_mut(f * k + c)
                .iter_mut()
                .zip(sum.iter().zip(own.iter()))
            {
                *t = (s - n as f64 * v) * scale;
            }
        }
    }
    let mut kernel = Mat::<f64>::zeros(k, k);
    for f in 0..folds {
        matmul(
            kernel.as_mut(),
            Accum::Add,
            train.as_ref().subcols(f * k, k).transpose(),
            w.subcols(f * k, k),
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
