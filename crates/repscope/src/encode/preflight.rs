//! The peak memory and work of a cross-validated ridge
//! ([`select_by_cv`](super::ridge::select_by_cv), and with the refit
//! [`ridge_cv`](super::ridge::ridge_cv)), predicted from the sizes (see
//! [`crate::preflight`]). Each term mirrors an allocation of `ridge.rs`;
//! with n rows, p features, v targets, m alphas, the largest fold's n_tr
//! training and n_te test rows, d the factored order (p, or n_tr on the
//! kernel path), b targets per batch and C batches in flight (the batches
//! count twice: freed batch buffers stay resident in the threads' allocator
//! arenas, as measured on glibc):
//!
//! ```text
//! one fold = n·p (gathered rows) + m·v (score sums)
//!          + max( factoring: max(5·d², 3·d² + c·n_tr·p)     (Gram, eigenvectors, copies;
//!                                                           c = 2 primal, 1 kernel)
//!               , factors p·d + d·n_tr + (m+1)·n_te·d        (R, P, test rows, α-stacked)
//!                 + 2·C·b·(n + d + m·n_te + m) + 2·m·v )     (batches, the fold's scores)
//! refit    = m·v + n·p + max(factoring on n rows, factors + max(2·C·b·(n + d + p) + p·v, 2·p·v))
//! ```
//!
//! Work: per fold a Gram (2·n_tr·p·min(p, n_tr)), its eigendecomposition
//! (≈ 5·d³), the projections and the α-stacked predictions (2·m·n_te·d·v),
//! which usually dominate.

use super::ridge::{RidgeCvOptions, batch_size, batches_in_flight};
use crate::preflight::{Estimate, f64s};

/// What lowers the peak of a ridge fit.
const LOWER: &str = "fewer targets per call (split the voxels into regions), fewer features \
                     (a PCA of the layer), a smaller target batch, or fewer threads; or force it \
                     (force=True / --force)";

/// The predicted peak memory and work of a cross-validated ridge from `n`
/// × `p` features to `v` targets with `opts` (its splits, alphas, solver
/// and batch), with or without the refit on all rows.
pub fn estimate_ridge_cv(
    n: usize,
    p: usize,
    v: usize,
    opts: &RidgeCvOptions,
    refit: bool,
) -> Estimate {
    let threads = rayon::current_num_threads();
    let kernel = opts.solver.kernel(n, p);
    let m = opts.alphas.len();
    let n_tr = opts.splits.iter().map(|s| s.train.len()).max().unwrap_or(0);
    let n_te = opts.splits.iter().map(|s| s.test.len()).max().unwrap_or(0);
    let in_flight = |b: usize| batches_in_flight(v.div_ceil(b.max(1)), threads);
    let (nf, pf, vf, mf) = (n as f64, p as f64, v as f64, m as f64);
    // Factoring `rows` × p centred features: the Gram of order d, its
    // eigenvectors and faer's scratch, then the factors R and P.
    // (primal: Gram, eigenvectors, the rotated rows and both factors;
    // kernel: Gram, eigenvectors and R = Xᵀ Q).
    let copies = if kernel { 1.0 } else { 2.0 };
    let factoring = |rows: f64, d: f64| (5.0 * d * d).max(3.0 * d * d + copies * rows * pf);
    let factors = |rows: f64, d: f64| pf * d + d * rows;

    let d_cv = if kernel { n_tr as f64 } else { pf };
    let b_cv = batch_size(opts.target_batch, m * n_te + n_tr, v).unwrap_or(v.max(1));
    let (b, c) = (b_cv as f64, in_flight(b_cv) as f64);
    let te = n_te as f64;
    // Batches run on every thread allocate below glibc's 32 MB mmap
    // threshold, so their freed buffers stay with the threads' arenas and
    // are resident next to the new ones: measured, they count twice.
    let batches = 2.0 * c * b * (nf + d_cv + mf * te + mf);
    let fold = nf * pf
        + mf * vf
        + factoring(n_tr as f64, d_cv)
            .max(factors(n_tr as f64, d_cv) + (mf + 1.0) * te * d_cv + batches + 2.0 * mf * vf);

    let mut e = Estimate::new(
        format!(
            "ridge ({} solver, {m} alphas, {} folds)",
            if kernel { "kernel" } else { "primal" },
            opts.splits.len()
        ),
        LOWER,
    );
    let gram = |rows: f64, d: f64| 2.0 * rows * pf * d.min(pf);
    let folds = opts.splits.len() as f64;
    e.flops = folds
        * (gram(n_tr as f64, d_cv) + 5.0 * d_cv.powi(3) + 2.0 * n_tr as f64 * d_cv * vf)
        + 2.0 * mf * nf * d_cv * vf
        + 2.0 * nf * pf * d_cv;
    if refit {
        let d_rf = if kernel { nf } else { pf };
        let b_rf = batch_size(opts.target_batch, n + p, v).unwrap_or(v.max(1));
        let c_rf = in_flight(b_rf) as f64;
        let refit_peak = mf * vf
            + nf * pf
            + factoring(nf, d_rf).max(
                factors(nf, d_rf)
                    + (2.0 * c_rf * b_rf as f64 * (nf + d_rf + pf) + pf * vf).max(2.0 * pf * vf),
            );
        e.add(
            "the largest of one fold's cross-validation and the refit on all rows",
            f64s(fold.max(refit_peak).ceil() as usize),
        );
        e.add("coefficients, features × targets", f64s(p * v));
        e.flops +=
            gram(nf, d_rf) + 5.0 * d_rf.powi(3) + 2.0 * nf * d_rf * vf + 2.0 * pf * d_rf * vf;
    } else {
        e.add("one fold of cross-validation", f64s(fold.ceil() as usize));
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::folds::kfold;
    use crate::encode::ridge::{Score, Solver, default_alphas};

    fn options(n: usize) -> RidgeCvOptions {
        RidgeCvOptions {
            alphas: default_alphas(),
            splits: kfold(n, 5).unwrap(),
            per_target: true,
            fit_intercept: true,
            score: Score::R2,
            solver: Solver::Auto,
            target_batch: None,
        }
    }

    #[test]
    fn the_refit_adds_the_coefficients_and_many_features_take_the_kernel_path() {
        let cv = estimate_ridge_cv(1000, 768, 20_000, &options(1000), false);
        let full = estimate_ridge_cv(1000, 768, 20_000, &options(1000), true);
        // The returned coefficients, and the refit's two copies of them.
        assert!(full.peak_bytes() >= cv.peak_bytes() + f64s(768 * 20_000));
        assert!(full.peak_bytes() >= 3 * f64s(768 * 20_000));
        assert!(full.flops > cv.flops);
        // 50,000 features, 1000 stimuli: the kernel path's order is n_tr, not p.
        let wide = estimate_ridge_cv(1000, 50_000, 100, &options(1000), false);
        assert!(wide.what.contains("kernel"));
        assert!(wide.peak_bytes() < f64s(50_000 * 2000));
    }
}
