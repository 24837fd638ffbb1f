//! The crossnobis fast path of the searchlight: the fold means of every
//! voxel are computed once ([`FoldMeans`]); a sphere then costs one gather
//! and one k × (folds · voxels) × k product.

use faer::Mat;

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
        faer::linalg::matmul::matmul(
            kernel.as_mut(),
            faer::Accum::Replace,
            left.as_ref(),
            right.as_ref().transpose(),
            1.0,
            faer::Par::Seq,
        );
        let scale = 1.0 / (p * means.folds) as f64;
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
