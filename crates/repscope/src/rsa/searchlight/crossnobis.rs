//! The crossnobis fast path of the searchlight: the fold means of every
//! voxel are computed once ([`FoldMeans`]); a sphere then costs one gather
//! and one k × (folds · voxels) × k product.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use super::engine::copy_column;
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
                    copy_column(out.col_mut(slot * p + j), m.col(c).subrows(slot * k, k));
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

/// The weights that turn a sphere's cell means into crossnobis training
/// means, fixed by the labels (computed once per searchlight): the training
/// mean of cell (f, c) is (Σ_g n_gc x_gc − n_fc x_fc) / (N_c − n_fc), the
/// count-weighted mean of condition c's cells in the other folds.
pub(super) struct CellWeights {
    /// Conditions.
    pub k: usize,
    /// n_fc, row `slot · k + c`.
    counts: Vec<f64>,
    /// 1 / (N_c − n_fc), the same rows.
    inverse: Vec<f64>,
    /// Every condition measured as often in every fold: the training mean
    /// is then (T − x_f) / (F − 1), T the sum over folds, and the kernel
    /// the symmetric (T Tᵀ − Σ_f X_f X_fᵀ) / (F − 1), half the work.
    balanced: bool,
}

impl CellWeights {
    /// Cells: used folds × conditions.
    pub(super) fn cells(&self) -> usize {
        self.counts.len()
    }

    /// From the count of every (used fold, condition) cell, row `slot · k + c`.
    pub(super) fn new(counts: &[usize], k: usize) -> Self {
        let folds = counts.len() / k;
        let totals: Vec<usize> = (0..k)
            .map(|c| (0..folds).map(|f| counts[f * k + c]).sum())
            .collect();
        let balanced = (0..k).all(|c| (0..folds).all(|f| counts[f * k + c] == counts[c]));
        Self {
            k,
            balanced,
            counts: counts.iter().map(|&n| n as f64).collect(),
            inverse: counts
                .iter()
                .enumerate()
                .map(|(row, &n)| 1.0 / (totals[row % k] - n) as f64)
                .collect(),
        }
    }
}

/// The crossnobis RDM from a sphere's cell means `x` ((folds · k) × p,
/// row `slot · k + c` the mean of condition c in the slot-th fold, here
/// whitened by the sphere's noise) and the cells' weights: the test mean of
/// a fold is its cell, the training mean the count-weighted mean of the
/// other folds' cells; K = Σ_f A_f B_fᵀ, one k × p × k product per fold.
/// `train` is a buffer for the training means, reused across spheres.
pub(super) fn cell_crossnobis(
    x: MatRef<'_, f64>,
    weights: &CellWeights,
    train: &mut Mat<f64>,
) -> Vec<f64> {
    let (p, k) = (x.ncols(), weights.k);
    let folds = x.nrows() / k;
    if weights.balanced {
        return balanced_crossnobis(x, k, train);
    }
    if train.nrows() != folds * k || train.ncols() < p {
        *train = Mat::zeros(folds * k, p.max(train.ncols()));
    }
    let mut train = train.as_mut().subcols_mut(0, p);
    let mut sums = vec![0.0f64; k];
    for j in 0..p {
        // Contiguous columns (x is an owned, column-major matrix); slices
        // let the loops below vectorise over conditions.
        let column: Vec<f64>;
        let cells = match x.col(j).try_as_col_major() {
            Some(c) => c.as_slice(),
            None => {
                column = x.col(j).iter().copied().collect();
                &column
            }
        };
        sums.fill(0.0);
        for (cells, counts) in cells.chunks_exact(k).zip(weights.counts.chunks_exact(k)) {
            for ((s, &v), &n) in sums.iter_mut().zip(cells).zip(counts) {
                *s += n * v;
            }
        }
        let fill = |out: &mut [f64]| {
            for (((out, cells), counts), inverse) in out
                .chunks_exact_mut(k)
                .zip(cells.chunks_exact(k))
                .zip(weights.counts.chunks_exact(k))
                .zip(weights.inverse.chunks_exact(k))
            {
                for ((((o, &v), &n), &w), &s) in out
                    .iter_mut()
                    .zip(cells)
                    .zip(counts)
                    .zip(inverse)
                    .zip(&sums)
                {
                    *o = (s - n * v) * w;
                }
            }
        };
        // The buffer's columns are contiguous (an owned matrix); the
        // element-wise branch only keeps this correct if that changes.
        match train.as_mut().col_mut(j).try_as_col_major_mut() {
            Some(out) => fill(out.as_slice_mut()),
            None => {
                let mut column = vec![0.0; folds * k];
                fill(&mut column);
                for (r, v) in column.into_iter().enumerate() {
                    train[(r, j)] = v;
                }
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

/// [`cell_crossnobis`] when every condition has the same count in every
/// fold: K = (T Tᵀ − Σ_f X_f X_fᵀ) / (F − 1) with T = Σ_f X_f, of which
/// only the lower triangles are formed (K is symmetric); `sum` is a buffer.
fn balanced_crossnobis(x: MatRef<'_, f64>, k: usize, sum: &mut Mat<f64>) -> Vec<f64> {
    use faer::linalg::matmul::triangular::{BlockStructure, matmul as triangular};
    let (p, folds) = (x.ncols(), x.nrows() / k);
    if sum.nrows() != k || sum.ncols() < p {
        *sum = Mat::zeros(k, p.max(sum.ncols()));
    }
    let mut t = sum.as_mut().subcols_mut(0, p);
    for j in 0..p {
        let column = x.col(j);
        let mut out = t.as_mut().col_mut(j);
        for c in 0..k {
            out[c] = (0..folds).map(|f| column[f * k + c]).sum();
        }
    }
    let mut kernel = Mat::<f64>::zeros(k, k);
    let lower = |dst: faer::MatMut<'_, f64>, a: MatRef<'_, f64>, accum, alpha| {
        triangular(
            dst,
            BlockStructure::TriangularLower,
            accum,
            a,
            BlockStructure::Rectangular,
            a.transpose(),
            BlockStructure::Rectangular,
            alpha,
            Par::Seq,
        )
    };
    lower(kernel.as_mut(), t.as_ref(), Accum::Replace, 1.0);
    for f in 0..folds {
        lower(kernel.as_mut(), x.subrows(f * k, k), Accum::Add, -1.0);
    }
    let scale = 1.0 / (p * folds * (folds - 1)) as f64;
    let mut out = Vec::with_capacity(n_pairs(k));
    for i in 0..k {
        for j in i + 1..k {
            out.push(scale * (kernel[(i, i)] + kernel[(j, j)] - 2.0 * kernel[(j, i)]));
        }
    }
    out
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
