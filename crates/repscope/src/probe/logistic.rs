//! L2-regularised logistic regression, fitted exactly (L-BFGS to a
//! gradient tolerance): the classifier behind linear probes.
//!
//! The objective is scikit-learn's `LogisticRegression(penalty="l2")`,
//! divided by the number of samples n as scikit-learn's lbfgs solver
//! divides it:
//!
//! f(W, b) = (1/n) Σᵢ loss(xᵢ W + b, yᵢ) + ‖W‖² / (2 C n)
//!
//! with the intercept b unpenalised. With K ≥ 3 classes the model is the
//! multinomial (softmax) one with K weight vectors. With **2 classes** it is
//! the binomial model with one weight vector (P(class 1) = σ(x·w + b)), as
//! scikit-learn fits binary problems; the 2-class softmax with the same C
//! would be a different (less regularised) model.
//!
//! The solver stops, as scipy's L-BFGS-B does for scikit-learn, when the
//! largest gradient entry is at most `tol`, or when an iteration lowers f
//! by less than 64 ε relative to max(|f|, 1) (no further progress is
//! possible in floating point).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use crate::error::{Error, Result};

/// Settings of one logistic regression fit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogisticOptions {
    /// Inverse regularisation strength (scikit-learn's `C`); positive.
    pub c: f64,
    /// Fit an unpenalised intercept per class.
    pub fit_intercept: bool,
    /// Gradient tolerance (largest entry of the gradient of f above).
    pub tol: f64,
    /// Iteration limit of L-BFGS.
    pub max_iter: usize,
}

impl Default for LogisticOptions {
    /// scikit-learn's defaults (C = 1, intercept, tol = 1e-4), except
    /// `max_iter` = 1000 instead of 100: probes on unstandardised
    /// activations often need more than 100 iterations.
    fn default() -> Self {
        Self {
            c: 1.0,
            fit_intercept: true,
            tol: 1e-4,
            max_iter: 1000,
        }
    }
}

/// A fitted model.
#[derive(Clone, Debug)]
pub struct LogisticModel {
    /// Weights, features × outputs (1 output for 2 classes, else K).
    pub coef: Mat<f64>,
    /// Intercept per output (zeros without an intercept).
    pub intercept: Vec<f64>,
    /// Number of classes K.
    pub n_classes: usize,
    /// L-BFGS iterations used.
    pub n_iter: usize,
    /// Whether the gradient tolerance (or the no-progress test) was met
    /// within `max_iter`.
    pub converged: bool,
}

impl LogisticModel {
    /// Class probabilities, samples × K (rows sum to 1).
    pub fn predict_proba(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if x.ncols() != self.coef.nrows() {
            return Err(Error::Invalid {
                what: "logistic regression".into(),
                detail: format!(
                    "the model was fitted on {} features but X has {}",
                    self.coef.nrows(),
                    x.ncols()
                ),
            });
        }
        let z = logits(x, self.coef.as_ref(), &self.intercept);
        let mut p = Mat::zeros(x.nrows(), self.n_classes);
        for i in 0..x.nrows() {
            if self.n_classes == 2 {
                let p1 = sigmoid(z[(i, 0)]);
                p[(i, 0)] = 1.0 - p1;
                p[(i, 1)] = p1;
            } else {
                let max = (0..self.n_classes)
                    .map(|k| z[(i, k)])
                    .fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = (0..self.n_classes).map(|k| (z[(i, k)] - max).exp()).sum();
                for k in 0..self.n_classes {
                    p[(i, k)] = (z[(i, k)] - max).exp() / sum;
                }
            }
        }
        Ok(p)
    }
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// log(1 + eᶻ) without overflow.
fn log1pexp(z: f64) -> f64 {
    if z > 0.0 {
        z + (-z).exp().ln_1p()
    } else {
        z.exp().ln_1p()
    }
}

fn logits(x: MatRef<'_, f64>, w: MatRef<'_, f64>, b: &[f64]) -> Mat<f64> {
    let mut z = Mat::from_fn(x.nrows(), w.ncols(), |_, k| b[k]);
    matmul(z.as_mut(), Accum::Add, x, w, 1.0, Par::Seq);
    z
}

/// Fits the model to `x` (samples × features, finite) and class codes `y`
/// (each in 0..n_classes; every class must occur).
pub fn fit(
    x: MatRef<'_, f64>,
    y: &[usize],
    n_classes: usize,
    options: &LogisticOptions,
) -> Result<LogisticModel> {
    let invalid = |detail: String| Error::Invalid {
        what: "logistic regression".into(),
        detail,
    };
    let (n, p) = (x.nrows(), x.ncols());
    if y.len() != n {
        return Err(Error::ShapeMismatch {
            what: "labels (one per sample)".into(),
            expected: n,
            found: y.len(),
        });
    }
    if !(options.c > 0.0 && options.c.is_finite()) {
        return Err(invalid(format!(
            "C must be positive and finite (got {})",
            options.c
        )));
    }
    if options.tol.is_nan() || options.tol <= 0.0 {
        return Err(invalid(format!(
            "tol must be positive (got {})",
            options.tol
        )));
    }
    let mut counts = vec![0usize; n_classes];
    for &c in y {
        if c >= n_classes {
            return Err(invalid(format!(
                "class code {c} is not below the number of classes {n_classes}"
            )));
        }
        counts[c] += 1;
    }
    if n_classes < 2 {
        return Err(invalid(format!(
            "classification needs at least 2 classes (got {n_classes})"
        )));
    }
    if let Some(missing) = counts.iter().position(|&c| c == 0) {
        return Err(invalid(format!(
            "class {missing} has no training samples; every class must occur in the training data"
        )));
    }
    crate::data::check_finite("X", x)?;
    let outputs = if n_classes == 2 { 1 } else { n_classes };
    let problem = Problem {
        x,
        y,
        outputs,
        fit_intercept: options.fit_intercept,
        l2: 1.0 / (options.c * n as f64),
    };
    let n_params = outputs * p + if options.fit_intercept { outputs } else { 0 };
    let start = vec![0.0; n_params];
    let (theta, n_iter, converged) = lbfgs(
        |t, g| problem.loss_grad(t, g),
        start,
        options.tol,
        options.max_iter,
    );
    let coef = Mat::from_fn(p, outputs, |j, k| theta[k * p + j]);
    let intercept = if options.fit_intercept {
        theta[outputs * p..].to_vec()
    } else {
        vec![0.0; outputs]
    };
    Ok(LogisticModel {
        coef,
        intercept,
        n_classes,
        n_iter,
        converged,
    })
}

/// The objective of [`fit`]; parameters are the columns of W (features ×
/// outputs, column-major) followed by the intercepts.
struct Problem<'a> {
    x: MatRef<'a, f64>,
    y: &'a [usize],
    outputs: usize,
    fit_intercept: bool,
    l2: f64,
}

impl Problem<'_> {
    fn loss_grad(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (n, p, k) = (self.x.nrows(), self.x.ncols(), self.outputs);
        let w = MatRef::from_column_major_slice(&theta[..p * k], p, k);
        let zeros = vec![0.0; k];
        let b = if self.fit_intercept {
            &theta[p * k..]
        } else {
            &zeros[..]
        };
        // z becomes the derivative of the mean loss with respect to the logits.
        let mut z = logits(self.x, w, b);
        let inv_n = 1.0 / n as f64;
        let mut loss = 0.0;
        if k == 1 {
            for (i, &yi) in self.y.iter().enumerate() {
                let zi = z[(i, 0)];
                let target = if yi == 1 { 1.0 } else { 0.0 };
                loss += log1pexp(zi) - target * zi;
                z[(i, 0)] = (sigmoid(zi) - target) * inv_n;
            }
        } else {
            let mut e = vec![0.0; k];
            for (i, &yi) in self.y.iter().enumerate() {
                let max = (0..k).map(|c| z[(i, c)]).fold(f64::NEG_INFINITY, f64::max);
                let mut sum = 0.0;
                for (c, ec) in e.iter_mut().enumerate() {
                    *ec = (z[(i, c)] - max).exp();
                    sum += *ec;
                }
                loss += max + sum.ln() - z[(i, yi)];
                for (c, ec) in e.iter().enumerate() {
                    let target = if c == yi { 1.0 } else { 0.0 };
                    z[(i, c)] = (ec / sum - target) * inv_n;
                }
            }
        }
        let (gw, gb) = grad.split_at_mut(p * k);
        let gw_mat = faer::MatMut::from_column_major_slice_mut(gw, p, k);
        matmul(
            gw_mat,
            Accum::Replace,
            self.x.transpose(),
            z.as_ref(),
            1.0,
            Par::Seq,
        );
        let mut penalty = 0.0;
        for (g, &t) in gw.iter_mut().zip(&theta[..p * k]) {
            *g += self.l2 * t;
            penalty += t * t;
        }
        if self.fit_intercept {
            for (c, g) in gb.iter_mut().enumerate() {
                *g = (0..n).map(|i| z[(i, c)]).sum();
            }
        }
        loss * inv_n + 0.5 * self.l2 * penalty
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn max_abs(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Memory of L-BFGS (scipy's default `maxcor`).
const MEMORY: usize = 10;

/// Minimises a smooth function from `x`; returns the minimiser, the number
/// of iterations and whether a stopping test (not the iteration limit)
/// ended the run.
fn lbfgs(
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    mut x: Vec<f64>,
    tol: f64,
    max_iter: usize,
) -> (Vec<f64>, usize, bool) {
    let m = x.len();
    let mut g = vec![0.0; m];
    let mut fx = f(&x, &mut g);
    let mut s_hist: Vec<Vec<f64>> = Vec::with_capacity(MEMORY);
    let mut y_hist: Vec<Vec<f64>> = Vec::with_capacity(MEMORY);
    let mut rho: Vec<f64> = Vec::with_capacity(MEMORY);
    let mut d = vec![0.0; m];
    let mut alpha = [0.0; MEMORY];
    let (mut x_new, mut g_new) = (vec![0.0; m], vec![0.0; m]);
    for iter in 0..max_iter {
        if max_abs(&g) <= tol {
            return (x, iter, true);
        }
        // Two-loop recursion: d = −H g.
        d.copy_from_slice(&g);
        for j in (0..s_hist.len()).rev() {
            alpha[j] = rho[j] * dot(&s_hist[j], &d);
            for (di, yi) in d.iter_mut().zip(&y_hist[j]) {
                *di -= alpha[j] * yi;
            }
        }
        let gamma = match (s_hist.last(), y_hist.last()) {
            (Some(s), Some(y)) => dot(s, y) / dot(y, y),
            _ => 1.0,
        };
        d.iter_mut().for_each(|v| *v *= gamma);
        for j in 0..s_hist.len() {
            let beta = rho[j] * dot(&y_hist[j], &d);
            for (di, si) in d.iter_mut().zip(&s_hist[j]) {
                *di += (alpha[j] - beta) * si;
            }
        }
        d.iter_mut().for_each(|v| *v = -*v);
        let mut dg = dot(&d, &g);
        if dg >= 0.0 {
            // Not a descent direction (lost curvature information): restart.
            s_hist.clear();
            y_hist.clear();
            rho.clear();
            d.iter_mut().zip(&g).for_each(|(di, gi)| *di = -gi);
            dg = dot(&d, &g);
        }
        let first_step = if s_hist.is_empty() {
            (1.0 / dot(&d, &d).sqrt()).min(1.0)
        } else {
            1.0
        };
        let Some(f_new) = line_search(&mut f, &x, fx, dg, &d, first_step, &mut x_new, &mut g_new)
        else {
            return (x, iter + 1, max_abs(&g) <= tol);
        };
        let mut s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let mut yv: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &yv);
        let progress = (fx - f_new) / fx.abs().max(f_new.abs()).max(1.0);
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        fx = f_new;
        if progress <= 64.0 * f64::EPSILON {
            return (x, iter + 1, true);
        }
        if sy > 1e-10 * dot(&yv, &yv).sqrt() * dot(&s, &s).sqrt() {
            if s_hist.len() == MEMORY {
                // Recycle the oldest pair's buffers.
                let mut old_s = s_hist.remove(0);
                let mut old_y = y_hist.remove(0);
                rho.remove(0);
                old_s.copy_from_slice(&s);
                old_y.copy_from_slice(&yv);
                std::mem::swap(&mut s, &mut old_s);
                std::mem::swap(&mut yv, &mut old_y);
            }
            s_hist.push(s);
            y_hist.push(yv);
            rho.push(1.0 / sy);
        }
    }
    let converged = max_abs(&g) <= tol;
    (x, max_iter, converged)
}

/// A step length along `d` meeting the strong Wolfe conditions (c₁ = 1e-4,
/// c₂ = 0.9), by bracketing and zooming with safeguarded cubic
/// interpolation (Nocedal & Wright, algorithms 3.5 and 3.6). Leaves the new
/// point and gradient in `x_new`, `g_new` and returns f there; `None` when
/// no acceptable step is found within the evaluation budget.
#[allow(clippy::too_many_arguments)]
fn line_search(
    f: &mut impl FnMut(&[f64], &mut [f64]) -> f64,
    x: &[f64],
    f0: f64,
    dg0: f64,
    d: &[f64],
    first_step: f64,
    x_new: &mut [f64],
    g_new: &mut [f64],
) -> Option<f64> {
    const C1: f64 = 1e-4;
    const C2: f64 = 0.9;
    const MAX_EVALS: usize = 50;
    let mut eval = |a: f64, x_new: &mut [f64], g_new: &mut [f64]| -> (f64, f64) {
        for ((xn, xi), di) in x_new.iter_mut().zip(x).zip(d) {
            *xn = xi + a * di;
        }
        let fa = f(x_new, g_new);
        (fa, dot(g_new, d))
    };
    // Slack for rounding: near the optimum f changes by less than its
    // last bits, and a step that does not raise f beyond them is fine.
    let slack = 4.0 * f64::EPSILON * f0.abs().max(1.0);
    let sufficient = |a: f64, fa: f64| fa <= f0 + C1 * a * dg0 + slack;
    let (mut a_lo, mut f_lo, mut dg_lo) = (0.0, f0, dg0);
    let (mut a_hi, mut f_hi, mut dg_hi);
    let mut a = first_step;
    let mut evals = 0;
    // Bracketing phase.
    loop {
        let (fa, dga) = eval(a, x_new, g_new);
        evals += 1;
        if !fa.is_finite() || !sufficient(a, fa) || (evals > 1 && fa >= f_lo) {
            (a_hi, f_hi, dg_hi) = (a, fa, dga);
            break;
        }
        if dga.abs() <= -C2 * dg0 {
            return Some(fa);
        }
        if dga >= 0.0 {
            (a_hi, f_hi, dg_hi) = (a_lo, f_lo, dg_lo);
            (a_lo, f_lo, dg_lo) = (a, fa, dga);
            break;
        }
        (a_lo, f_lo, dg_lo) = (a, fa, dga);
        a *= 2.0;
        if evals >= MAX_EVALS {
            return None;
        }
    }
    // Zoom phase.
    while evals < MAX_EVALS {
        let a_new = if f_hi.is_finite() {
            cubic_min(a_lo, f_lo, dg_lo, a_hi, f_hi, dg_hi)
        } else {
            f64::NAN
        };
        let (lo, hi) = (a_lo.min(a_hi), a_lo.max(a_hi));
        let margin = 0.1 * (hi - lo);
        let a_try = if a_new.is_finite() && a_new > lo + margin && a_new < hi - margin {
            a_new
        } else {
            0.5 * (a_lo + a_hi)
        };
        let (fa, dga) = eval(a_try, x_new, g_new);
        evals += 1;
        if !fa.is_finite() || !sufficient(a_try, fa) || fa >= f_lo {
            (a_hi, f_hi, dg_hi) = (a_try, fa, dga);
        } else {
            if dga.abs() <= -C2 * dg0 {
                return Some(fa);
            }
            if dga * (a_hi - a_lo) >= 0.0 {
                (a_hi, f_hi, dg_hi) = (a_lo, f_lo, dg_lo);
            }
            (a_lo, f_lo, dg_lo) = (a_try, fa, dga);
        }
        if (a_hi - a_lo).abs() <= 1e-16 * a_lo.abs().max(1e-300) {
            break;
        }
    }
    // Budget spent: take the best point found if it lowered f.
    if a_lo > 0.0 && f_lo < f0 {
        let (fa, _) = eval(a_lo, x_new, g_new);
        return Some(fa);
    }
    None
}

/// The minimiser of the cubic through (a, fa, ga) and (b, fb, gb).
fn cubic_min(a: f64, fa: f64, ga: f64, b: f64, fb: f64, gb: f64) -> f64 {
    let d1 = ga + gb - 3.0 * (fa - fb) / (a - b);
    let disc = d1 * d1 - ga * gb;
    if disc < 0.0 {
        return f64::NAN;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    b - (b - a) * (gb + d2 - d1) / (gb - ga + 2.0 * d2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    fn labelled(n: usize, p: usize, k: usize, seed: u64) -> (Mat<f64>, Vec<usize>) {
        let x = gaussian_matrix(n, p, seed);
        let w = gaussian_matrix(p, k, seed + 1);
        let mut z = Mat::zeros(n, k);
        matmul(
            z.as_mut(),
            Accum::Replace,
            x.as_ref(),
            w.as_ref(),
            1.0,
            Par::Seq,
        );
        let y = (0..n)
            .map(|i| {
                (0..k)
                    .max_by(|&a, &b| z[(i, a)].total_cmp(&z[(i, b)]))
                    .unwrap()
            })
            .collect();
        (x, y)
    }

    /// At the optimum the gradient vanishes: check it by finite
    /// differences of the objective, and that probabilities sum to 1.
    #[test]
    fn converges_to_a_stationary_point() {
        for k in [2, 4] {
            let (x, y) = labelled(120, 6, k, 7);
            let opts = LogisticOptions {
                tol: 1e-10,
                ..Default::default()
            };
            let model = fit(x.as_ref(), &y, k, &opts).unwrap();
            assert!(model.converged);
            let outputs = model.coef.ncols();
            let problem = Problem {
                x: x.as_ref(),
                y: &y,
                outputs,
                fit_intercept: true,
                l2: 1.0 / 120.0,
            };
            let mut theta: Vec<f64> = (0..outputs)
                .flat_map(|c| (0..6).map(move |j| (j, c)))
                .map(|(j, c)| model.coef[(j, c)])
                .collect();
            theta.extend(&model.intercept);
            let mut g = vec![0.0; theta.len()];
            problem.loss_grad(&theta, &mut g);
            // The no-progress test (64 ε relative change of f) may end
            // the run a little before the gradient tolerance.
            assert!(max_abs(&g) < 1e-6, "{g:?}");
            let proba = model.predict_proba(x.as_ref()).unwrap();
            for i in 0..120 {
                let s: f64 = (0..k).map(|c| proba[(i, c)]).sum();
                assert!((s - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn analytic_gradient_matches_finite_differences() {
        let (x, y) = labelled(30, 4, 3, 3);
        let problem = Problem {
            x: x.as_ref(),
            y: &y,
            outputs: 3,
            fit_intercept: true,
            l2: 0.1,
        };
        let theta: Vec<f64> = (0..15).map(|i| (i as f64 * 0.37).sin()).collect();
        let mut g = vec![0.0; 15];
        problem.loss_grad(&theta, &mut g);
        let mut scratch = vec![0.0; 15];
        for i in 0..15 {
            let h = 1e-6;
            let mut tp = theta.clone();
            tp[i] += h;
            let fp = problem.loss_grad(&tp, &mut scratch);
            tp[i] -= 2.0 * h;
            let fm = problem.loss_grad(&tp, &mut scratch);
            assert!(((fp - fm) / (2.0 * h) - g[i]).abs() < 1e-7, "param {i}");
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let (x, y) = labelled(20, 3, 2, 1);
        let opts = LogisticOptions::default();
        assert!(fit(x.as_ref(), &y[..19], 2, &opts).is_err());
        assert!(fit(x.as_ref(), &[0; 20], 1, &opts).is_err());
        let e = fit(x.as_ref(), &[0; 20], 2, &opts).unwrap_err();
        assert!(
            e.to_string().contains("class 1 has no training samples"),
            "{e}"
        );
        let bad_c = LogisticOptions { c: 0.0, ..opts };
        assert!(fit(x.as_ref(), &y, 2, &bad_c).is_err());
        let mut xn = x.clone();
        xn[(3, 1)] = f64::NAN;
        assert!(fit(xn.as_ref(), &y, 2, &opts).is_err());
    }
}
