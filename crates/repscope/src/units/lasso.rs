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
//! coordinate step costs O(p) only when the coordinate moves. It stops when
//! the duality gap of the (n-scaled) problem falls below `tol · ‖y‖²`.
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
    /// XᵀX (full, symmetric).
    gram: Mat<f64>,
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
        let mut gram = lower_cross_product(x, par);
        for j in 0..gram.ncols() {
            for i in 0..j {
                gram[(i, j)] = gram[(j, i)];
            }
        }
        GramProblem { gram, n: x.nrows() }
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
        let p = w.len();
        let g = &self.gram;
        let penalty = alpha * self.n as f64;
        // q = Xᵀy − G w.
        let mut q = xty.to_vec();
        for (k, &wk) in w.iter().enumerate() {
            if wk != 0.0 {
                let col = g.col(k);
                q.iter_mut()
                    .zip(col.iter())
                    .for_each(|(q, gk)| *q -= gk * wk);
            }
        }
        let threshold = options.tol * yty;
        let mut last_gap = f64::INFINITY;
        let mut sweeps = 0;
        let all: Vec<usize> = (0..p).collect();
        // Full sweeps let coordinates enter; between them, sweeps over the
        // non-zero coordinates only (an active set) do most of the work.
        // The duality gap uses the whole gradient, so it certifies the
        // solution whichever set was swept last.
        while sweeps < options.max_iter.max(1) {
            self.sweep(&all, penalty, w, &mut q);
            sweeps += 1;
            last_gap = duality_gap(w, xty, &q, yty, penalty);
            if last_gap <= threshold {
                return Solve {
                    sweeps,
                    gap: last_gap,
                    converged: true,
                };
            }
            let active: Vec<usize> = (0..p).filter(|&j| w[j] != 0.0).collect();
            while !active.is_empty() && sweeps < options.max_iter.max(1) {
                let step = self.sweep(&active, penalty, w, &mut q);
                sweeps += 1;
                last_gap = duality_gap(w, xty, &q, yty, penalty);
                if last_gap <= threshold {
                    return Solve {
                        sweeps,
                        gap: last_gap,
                        converged: true,
                    };
                }
                let largest = w.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
                if step <= 1e-4 * largest {
                    break;
                }
            }
        }
        Solve {
            sweeps,
            gap: last_gap,
            converged: false,
        }
    }

    /// One coordinate-descent pass over `coords`; returns the largest
    /// change of a coefficient.
    fn sweep(&self, coords: &[usize], penalty: f64, w: &mut [f64], q: &mut [f64]) -> f64 {
        let g = &self.gram;
        let mut largest = 0.0_f64;
        for &j in coords {
            let gjj = g[(j, j)];
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
                let col = g.col(j);
                q.iter_mut()
                    .zip(col.iter())
                    .for_each(|(q, gk)| *q -= gk * step);
                w[j] = new;
                largest = largest.max(step.abs());
            }
        }
        largest
    }
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
    let (xc, yc) = if fit_intercept {
        (center_columns(x), center_columns(y))
    } else {
        (x.to_owned(), y.to_owned())
    };
    let problem = GramProblem::new(xc.as_ref(), Par::rayon(0));
    let xty = cross_product(xc.as_ref(), yc.as_ref(), Par::rayon(0));
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
    use crate::stats::rng::gaussian_matrix;

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
    fn a_large_penalty_gives_zero_and_a_negative_one_is_an_error() {
        let x = gaussian_matrix(40, 5, 6);
        let y = gaussian_matrix(40, 2, 7);
        let fit = lasso(x.as_ref(), y.as_ref(), 1e3, true, &LassoOptions::default()).unwrap();
        assert!(fit.coef.col_iter().all(|c| c.iter().all(|&v| v == 0.0)));
        assert!(lasso(x.as_ref(), y.as_ref(), -1.0, true, &LassoOptions::default()).is_err());
    }
}
