//! L1-regularised least squares (the lasso) by cyclic coordinate descent.
//!
//! For one target y (n stimuli) and predictors X (n × p) the objective is
//!
//! ```text
//! (1 / 2n) ‖y − X w − b‖² + α ‖w‖₁
//! ```
//!
//! (scikit-learn's `Lasso` scaling). With an intercept, X and y are centred
//! and `b = ȳ − x̄ᵀw`. The solver works on the Gram matrix G = XᵀX, which all
//! targets share, and keeps the gradient `q = Xᵀy − G w` up to date, so a
//! coordinate step costs O(p) only when the coordinate moves, and O(m) in
//! the sweeps over the m non-zero coordinates that do most of the work. It
//! stops when the duality gap of the (n-scaled) problem falls below
//! `tol · ‖y‖²`.
//!
//! Duality gap, for the residual r = y − X w and θ = c r scaled into the
//! dual feasible set (c = min(1, nα / ‖Xᵀr‖∞)):
//! `½‖r‖²(1 + c²) + nα‖w‖₁ − c rᵀy`, where ‖r‖² and rᵀy follow from
//! G, Xᵀy and q without touching X.

use faer::{Mat, MatRef, Par};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::linalg::{center_columns, cross_product, lower_cross_product};

/// Stopping rule of the solver.
#[derive(Clone, Copy, Debug)]
pub struct LassoOptions {
    /// Stop when the duality gap is below `tol · ‖y − ȳ‖²`.
    pub tol: f64,
    /// Coordinate sweeps at most.
    pub max_iter: usize,
}

impl LassoOptions {
    /// A tolerance that can be met: finite and ≥ 0 (a NaN or negative one
    /// would run every solve to `max_iter` and report non-convergence).
    pub(crate) fn check(&self) -> Result<()> {
        if self.tol.is_finite() && self.tol >= 0.0 {
            Ok(())
        } else {
            Err(Error::Invalid {
                what: "lasso".into(),
                detail: format!(
                    "the tolerance tol must be a finite number ≥ 0 (e.g. 1e-4), got {}",
                    self.tol
                ),
            })
        }
    }
}

impl Default for LassoOptions {
    fn default() -> Self {
        LassoOptions {
            tol: 1e-4,
            max_iter: 1000,
        }
    }
}

/// The shared part of a lasso problem: predictors as a Gram matrix.
pub struct GramProblem {
    /// XᵀX (full, symmetric), column by column in one contiguous buffer so
    /// the per-coordinate update is a plain slice loop the compiler
    /// vectorises.
    gram: Vec<f64>,
    p: usize,
    n: usize,
}

/// How one solve ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Solve {
    pub sweeps: usize,
    pub gap: f64,
    pub converged: bool,
}

impl GramProblem {
    /// From (already centred, if wanted) predictors.
    pub fn new(x: MatRef<'_, f64>, par: Par) -> Self {
        let lower = lower_cross_product(x, par);
        let p = x.ncols();
        let gram = (0..p)
            .flat_map(|j| (0..p).map(move |i| (i, j)))
            .map(|(i, j)| if i >= j { lower[(i, j)] } else { lower[(j, i)] })
            .collect();
        GramProblem {
            gram,
            p,
            n: x.nrows(),
        }
    }

    /// Minimises the objective for one target from the warm start `w`,
    /// given `xty = Xᵀy` and `yty = yᵀy`.
    pub fn solve(
        &self,
        xty: &[f64],
        yty: f64,
        alpha: f64,
        w: &mut [f64],
        options: &LassoOptions,
    ) -> Solve {
        let penalty = alpha * self.n as f64;
        let max_sweeps = options.max_iter.max(1);
        let mut q = self.gradient(xty, w);
        let threshold = options.tol * yty;
        // An active loop also ends when its largest step is small relative
        // to the coefficients. At tight tolerances a fixed 1e-4 ended it
        // long before the gap could be met, and each round trip through a
        // full sweep rebuilds the gradient and the active block; scaling
        // with `tol` (floored, for tol = 0 or NaN) keeps the loop going.
        let step_tol = if options.tol > f64::EPSILON {
            options.tol.min(1e-4)
        } else {
            f64::EPSILON
        };
        let mut last_gap = f64::INFINITY;
        let mut sweeps = 0;
        // Full sweeps let coordinates enter; between them, sweeps over the
        // non-zero coordinates only (an active set) do most of the work.
        // The duality gap uses the whole gradient, so it certifies the
        // solution whichever set was swept last.
        while sweeps < max_sweeps {
            sweep(&self.gram, self.p, penalty, w, &mut q);
            sweeps += 1;
            last_gap = duality_gap(w, xty, &q, yty, penalty);
            if last_gap <= threshold {
                return Solve {
                    sweeps,
                    gap: last_gap,
                    converged: true,
                };
            }
            let mut active = ActiveSet::new(self, w, &q, xty);
            if active.index.is_empty() {
                continue;
            }
            while sweeps < max_sweeps {
                let step = active.sweep(penalty);
                sweeps += 1;
                // The gap over the active coordinates alone misses only the
                // inactive part of ‖Xᵀr‖∞; it costs O(m) where the full gap
                // needs the whole gradient, so it decides when to pay for
                // the full check below.
                if active.gap(yty, penalty) <= threshold {
                    break;
                }
                let largest = active.w.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                if step <= step_tol * largest {
                    break;
                }
            }
            active.write_back(w);
            q = self.gradient(xty, w);
            last_gap = duality_gap(w, xty, &q, yty, penalty);
            if last_gap <= threshold {
                return Solve {
                    sweeps,
                    gap: last_gap,
                    converged: true,
                };
            }
        }
        Solve {
            sweeps,
            gap: last_gap,
            converged: false,
        }
    }

    /// The gradient `q = Xᵀy − G w`, from scratch (O(p) per non-zero).
    fn gradient(&self, xty: &[f64], w: &[f64]) -> Vec<f64> {
        let mut q = xty.to_vec();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above), the only
            // feature `subtract_columns_avx2` enables.
            unsafe { subtract_columns_avx2(&self.gram, self.p, w, &mut q) };
            return q;
        }
        subtract_columns(&self.gram, self.p, w, &mut q);
        q
    }

    fn column(&self, j: usize) -> &[f64] {
        &self.gram[j * self.p..(j + 1) * self.p]
    }
}

/// The non-zero coordinates of a solve with their own copy of the Gram
/// block G[A, A]. Sweeps over them (most of a solve's sweeps) then update
/// m gradient entries per moved coordinate instead of p: the inactive
/// entries are not read until the next full sweep, which gets them from
/// [`GramProblem::gradient`] after [`ActiveSet::write_back`].
struct ActiveSet {
    /// Coordinates of the full problem, ascending.
    index: Vec<usize>,
    /// G[A, A], column by column.
    gram: Vec<f64>,
    w: Vec<f64>,
    q: Vec<f64>,
    xty: Vec<f64>,
}

impl ActiveSet {
    fn new(problem: &GramProblem, w: &[f64], q: &[f64], xty: &[f64]) -> Self {
        let index: Vec<usize> = (0..w.len()).filter(|&j| w[j] != 0.0).collect();
        let mut gram = Vec::with_capacity(index.len() * index.len());
        for &j in &index {
            let column = problem.column(j);
            gram.extend(index.iter().map(|&i| column[i]));
        }
        let pick = |v: &[f64]| index.iter().map(|&j| v[j]).collect();
        ActiveSet {
            gram,
            w: pick(w),
            q: pick(q),
            xty: pick(xty),
            index,
        }
    }

    fn sweep(&mut self, penalty: f64) -> f64 {
        sweep(
            &self.gram,
            self.index.len(),
            penalty,
            &mut self.w,
            &mut self.q,
        )
    }

    /// The duality gap with ‖Xᵀr‖∞ taken over the active coordinates only:
    /// equal to the full gap when no inactive coordinate's gradient exceeds
    /// the active ones' (as at the solution); w is 0 outside the set, so
    /// every other term is exact.
    fn gap(&self, yty: f64, penalty: f64) -> f64 {
        duality_gap(&self.w, &self.xty, &self.q, yty, penalty)
    }

    fn write_back(&self, w: &mut [f64]) {
        for (&j, &v) in self.index.iter().zip(&self.w) {
            w[j] = v;
        }
    }
}

/// One cyclic coordinate-descent pass over all coordinates of the `k × k`
/// Gram matrix `gram` (column by column), keeping `q = Xᵀy − G w` up to
/// date; returns the largest change of a coefficient.
fn sweep(gram: &[f64], k: usize, penalty: f64, w: &mut [f64], q: &mut [f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2 (checked just above), the only
        // feature `sweep_avx2` enables.
        return unsafe { sweep_avx2(gram, k, penalty, w, q) };
    }
    sweep_body(gram, k, penalty, w, q)
}

/// [`sweep_body`] with 4-wide vectors for the gradient updates (nearly all
/// of a solve's time). Without FMA each element still gets one multiply
/// and one add, so the results are bit-identical to the baseline build.
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn sweep_avx2(gram: &[f64], k: usize, penalty: f64, w: &mut [f64], q: &mut [f64]) -> f64 {
    sweep_body(gram, k, penalty, w, q)
}

#[inline(always)]
fn sweep_body(gram: &[f64], k: usize, penalty: f64, w: &mut [f64], q: &mut [f64]) -> f64 {
    let mut largest = 0.0_f64;
    if k == 0 {
        return largest;
    }
    for (j, column) in gram.chunks_exact(k).enumerate() {
        let gjj = column[j];
        if gjj <= 0.0 {
            continue;
        }
        let old = w[j];
        let rho = q[j] + gjj * old;
        // Soft thresholding; exactly +0.0 inside the threshold.
        let new = if rho.abs() > penalty {
            rho.signum() * (rho.abs() - penalty) / gjj
        } else {
            0.0
        };
        if new != old {
            let step = new - old;
            axpy(q, -step, column);
            w[j] = new;
            largest = largest.max(step.abs());
        }
    }
    largest
}

/// `q −= Σ_k w_k G[:, k]` over the non-zero w_k (`gram` is `p × p`).
#[inline(always)]
fn subtract_columns(gram: &[f64], p: usize, w: &[f64], q: &mut [f64]) {
    for (column, &wk) in gram.chunks_exact(p.max(1)).zip(w) {
        if wk != 0.0 {
            axpy(q, -wk, column);
        }
    }
}

/// [`subtract_columns`] with 4-wide vectors, bit-identical (no FMA).
///
/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn subtract_columns_avx2(gram: &[f64], p: usize, w: &[f64], q: &mut [f64]) {
    subtract_columns(gram, p, w, q)
}

/// `y += a x`.
#[inline(always)]
fn axpy(y: &mut [f64], a: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += a * x);
}

fn duality_gap(w: &[f64], xty: &[f64], q: &[f64], yty: f64, penalty: f64) -> f64 {
    let w_xty: f64 = w.iter().zip(xty).map(|(a, b)| a * b).sum();
    let w_q: f64 = w.iter().zip(q).map(|(a, b)| a * b).sum();
    // ‖r‖² = yᵀy − 2wᵀXᵀy + wᵀGw, and wᵀGw = wᵀXᵀy − wᵀq.
    let r_norm2 = (yty - w_xty - w_q).max(0.0);
    let r_y = yty - w_xty;
    let l1: f64 = w.iter().map(|v| v.abs()).sum();
    let dual_norm = q.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    let c = if dual_norm > penalty {
        penalty / dual_norm
    } else {
        1.0
    };
    0.5 * r_norm2 * (1.0 + c * c) + penalty * l1 - c * r_y
}

/// Lasso fits of every column of `y` on `x` at one α.
#[derive(Clone, Debug)]
pub struct LassoFit {
    /// `p × q` coefficients.
    pub coef: Mat<f64>,
    /// One intercept per target (0 without an intercept).
    pub intercept: Vec<f64>,
    /// Whether each target's solve met the tolerance within `max_iter`.
    pub converged: Vec<bool>,
    /// Coordinate sweeps each target took.
    pub sweeps: Vec<usize>,
}

/// Fits `y[:, t] ≈ x w_t + b_t` for every target t at penalty `alpha`.
pub fn lasso(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    alpha: f64,
    fit_intercept: bool,
    options: &LassoOptions,
) -> Result<LassoFit> {
    super::check_pair(x, y)?;
    check_alpha(alpha)?;
    options.check()?;
    let (xc, yc) = if fit_intercept {
        (center_columns(x), center_columns(y))
    } else {
        (x.to_owned(), y.to_owned())
    };
    let problem = GramProblem::new(xc.as_ref(), crate::parallel::current());
    let xty = cross_product(xc.as_ref(), yc.as_ref(), crate::parallel::current());
    let p = x.ncols();
    let solved: Vec<(Vec<f64>, Solve)> = (0..y.ncols())
        .into_par_iter()
        .map(|t| {
            let target: Vec<f64> = xty.col(t).iter().copied().collect();
            let yty: f64 = yc.col(t).iter().map(|v| v * v).sum();
            let mut w = vec![0.0; p];
            let solve = problem.solve(&target, yty, alpha, &mut w, options);
            (w, solve)
        })
        .collect();
    let coef = Mat::from_fn(p, y.ncols(), |i, t| solved[t].0[i]);
    let intercept = (0..y.ncols())
        .map(|t| {
            if !fit_intercept {
                return 0.0;
            }
            let mean =
                |m: MatRef<'_, f64>, j: usize| m.col(j).iter().sum::<f64>() / m.nrows() as f64;
            mean(y, t) - (0..p).map(|i| mean(x, i) * coef[(i, t)]).sum::<f64>()
        })
        .collect();
    Ok(LassoFit {
        coef,
        intercept,
        converged: solved.iter().map(|s| s.1.converged).collect(),
        sweeps: solved.iter().map(|s| s.1.sweeps).collect(),
    })
}

pub(crate) fn check_alpha(alpha: f64) -> Result<()> {
    if alpha.is_finite() && alpha >= 0.0 {
        Ok(())
    } else {
        Err(Error::Invalid {
            what: "lasso".into(),
            detail: format!("the penalty alpha must be a finite number ≥ 0, got {alpha}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    /// The lasso optimality (KKT) conditions on the centred problem:
    /// Xᵀ(y − Xw)/n = α sign(w_j) where w_j ≠ 0, and |·| ≤ α elsewhere.
    #[test]
    fn solutions_satisfy_the_optimality_conditions() {
        let x = gaussian_matrix(80, 10, 4);
        let noise = gaussian_matrix(80, 1, 5);
        let y = Mat::from_fn(80, 1, |i, _| {
            3.0 * x[(i, 0)] - 2.0 * x[(i, 3)] + 0.5 * noise[(i, 0)] + 7.0
        });
        let alpha = 0.1;
        let options = LassoOptions {
            tol: 1e-14,
            max_iter: 10_000,
        };
        let fit = lasso(x.as_ref(), y.as_ref(), alpha, true, &options).unwrap();
        assert!(fit.converged[0]);
        let (xc, yc) = (center_columns(x.as_ref()), center_columns(y.as_ref()));
        let r = &yc - &xc * &fit.coef;
        let grad = xc.transpose() * &r;
        for j in 0..10 {
            let g = grad[(j, 0)] / 80.0;
            let w = fit.coef[(j, 0)];
            if w != 0.0 {
                assert!((g - alpha * w.signum()).abs() < 1e-8, "{j}: {g} {w}");
            } else {
                assert!(g.abs() <= alpha + 1e-8, "{j}: {g}");
            }
        }
        assert!(fit.coef[(0, 0)] > 2.5 && fit.coef[(3, 0)] < -1.5);
        assert!((fit.intercept[0] - 7.0).abs() < 0.3);
    }

    #[test]
    fn a_large_penalty_gives_zero_and_a_negative_one_or_a_bad_tol_is_an_error() {
        let x = gaussian_matrix(40, 5, 6);
        let y = gaussian_matrix(40, 2, 7);
        let fit = lasso(x.as_ref(), y.as_ref(), 1e3, true, &LassoOptions::default()).unwrap();
        assert!(fit.coef.col_iter().all(|c| c.iter().all(|&v| v == 0.0)));
        assert!(lasso(x.as_ref(), y.as_ref(), -1.0, true, &LassoOptions::default()).is_err());
        for tol in [-1e-4, f64::NAN, f64::INFINITY] {
            let options = LassoOptions {
                tol,
                ..LassoOptions::default()
            };
            let err = lasso(x.as_ref(), y.as_ref(), 0.1, true, &options).unwrap_err();
            assert!(err.to_string().contains("tolerance tol"), "{err}");
        }
    }

    /// The active-set solver (sweeps over a copied Gram block, the full
    /// gradient rebuilt between them) reaches the same solution as plain
    /// cyclic sweeps over every coordinate with an incremental gradient,
    /// along a warm-started path on correlated predictors where coordinates
    /// enter and leave.
    #[test]
    fn active_set_sweeps_reach_the_plain_solution() {
        let (n, p) = (120, 30);
        let shared = gaussian_matrix(n, 3, 8);
        let noise = gaussian_matrix(n, p, 9);
        let x = Mat::from_fn(n, p, |i, j| shared[(i, j % 3)] + 0.5 * noise[(i, j)]);
        let target = gaussian_matrix(n, 1, 10);
        let y: Vec<f64> = (0..n)
            .map(|i| x[(i, 0)] - 0.5 * x[(i, 4)] + 0.3 * x[(i, 11)] + target[(i, 0)])
            .collect();
        let problem = GramProblem::new(x.as_ref(), Par::Seq);
        let xty: Vec<f64> = (0..p)
            .map(|j| (0..n).map(|i| x[(i, j)] * y[i]).sum())
            .collect();
        let yty: f64 = y.iter().map(|v| v * v).sum();
        let options = LassoOptions {
            tol: 1e-14,
            max_iter: 100_000,
        };
        let alpha_max = xty.iter().fold(0.0_f64, |m, v| m.max(v.abs())) / n as f64;
        let (mut w, mut plain) = (vec![0.0; p], vec![0.0; p]);
        for step in 1..=12 {
            let alpha = alpha_max * 0.6_f64.powi(step);
            assert!(problem.solve(&xty, yty, alpha, &mut w, &options).converged);
            // Plain coordinate descent: full sweeps until the gap is met.
            let penalty = alpha * n as f64;
            let mut q = problem.gradient(&xty, &plain);
            let mut gap = f64::INFINITY;
            for _ in 0..100_000 {
                sweep(&problem.gram, p, penalty, &mut plain, &mut q);
                gap = duality_gap(&plain, &xty, &q, yty, penalty);
                if gap <= options.tol * yty {
                    break;
                }
            }
            assert!(gap <= options.tol * yty, "plain sweeps did not converge");
            for j in 0..p {
                assert!(
                    (w[j] - plain[j]).abs() < 1e-9,
                    "{alpha} {j}: {} {}",
                    w[j],
                    plain[j]
                );
                assert_eq!(w[j] == 0.0, plain[j] == 0.0, "{alpha} {j}");
            }
        }
        assert!(w.iter().filter(|v| **v != 0.0).count() > 5);
    }
}
