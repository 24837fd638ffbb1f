//! Ridge regression for many targets at once (voxels, units), with the
//! regularisation chosen per target by cross-validation.
//!
//! The objective is himalaya's and scikit-learn's `Ridge`:
//! `‖X w − y‖² + α ‖w‖²` per target, the intercept (when fitted) left
//! unpenalised by centring X and Y on the training rows.
//!
//! One factorisation of the training features serves every α and every
//! target. With XᵀX = V Λ Vᵀ (the *primal* path; Λ = S² of the thin SVD
//! X = U S Vᵀ)
//!
//! ```text
//! w(α) = V diag(1 / (λ + α)) Vᵀ Xᵀ y      ( = V diag(s / (s² + α)) Uᵀ y )
//! ```
//!
//! and with the linear kernel K = X Xᵀ = Q Λ Qᵀ (the *kernel* path, cheaper
//! when features outnumber samples)
//!
//! ```text
//! w(α) = Xᵀ Q diag(1 / (λ + α)) Qᵀ y
//! ```
//!
//! Both are `R diag(d(α)) P y` ([`Factored`]); a fold's test predictions
//! for all α come from one product of the stacked `X_test R diag(d(α))`
//! blocks with `P Y_train`, target batch by target batch, so memory is
//! bounded by the batch size, never by all α × all targets.
//!
//! Selection follows himalaya's `RidgeCV`: the score of each α is averaged
//! over folds, a slope of 10⁻¹⁰ · ln α is added so that (near-)ties go to
//! the larger α, and the first maximum wins, per target or (shared) for
//! the mean over targets. The reported CV scores are the plain fold means,
//! without the slope.

use faer::linalg::matmul::matmul;
use faer::{Accum, ColRef, Mat, MatRef, Par, Side};
use rayon::prelude::*;

use super::folds::{Split, check_splits};
use crate::data::check_finite;
use crate::error::{Error, Result};
use crate::linalg::{column_means, cross_product, gather_rows, gram};

crate::choice! {
    /// How a fold's predictions are scored, per target.
    pub enum Score: "regression score" {
        /// −Σ (y − ŷ)² / n, himalaya's default (`l2_neg_loss`).
        NegMse = "neg_mse" | "l2_neg_loss",
        /// 1 − SSE / Σ (y − ȳ)²; 0 for a constant target (as himalaya).
        R2 = "r2",
        /// Pearson r of y and ŷ; 0 when either is constant.
        Pearson = "pearson" | "correlation",
    }
}

impl Default for Score {
    /// R², the score the CLI and Python report by default.
    fn default() -> Self {
        Score::R2
    }
}

impl Score {
    /// The score of predictions `p` of targets `y` (equally long).
    pub fn of(self, y: ColRef<'_, f64>, p: ColRef<'_, f64>) -> f64 {
        let n = y.nrows() as f64;
        match self {
            Score::NegMse => {
                -y.iter()
                    .zip(p.iter())
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    / n
            }
            Score::R2 => {
                let mean = y.iter().sum::<f64>() / n;
                let total: f64 = y.iter().map(|a| (a - mean).powi(2)).sum();
                if total == 0.0 {
                    return 0.0;
                }
                let sse: f64 = y.iter().zip(p.iter()).map(|(a, b)| (a - b).powi(2)).sum();
                1.0 - sse / total
            }
            Score::Pearson => crate::stats::pearson_of(|| y.iter().copied(), || p.iter().copied()),
        }
    }
}

crate::choice! {
    /// Which factorisation solves the ridge problems.
    pub enum Solver: "ridge solver" {
        /// Kernel when features outnumber samples, primal otherwise.
        Auto = "auto",
        /// Thin SVD of the features.
        Primal = "primal" | "svd",
        /// Eigendecomposition of the linear kernel X Xᵀ.
        Kernel = "kernel" | "dual",
    }
}

impl Solver {
    pub(crate) fn kernel(self, n_samples: usize, n_features: usize) -> bool {
        match self {
            Solver::Auto => n_features > n_samples,
            Solver::Primal => false,
            Solver::Kernel => true,
        }
    }
}

/// The settings of a cross-validated ridge fit.
#[derive(Clone, Debug)]
pub struct RidgeCvOptions {
    /// Candidate regularisation strengths (positive, finite), in the order
    /// ties are broken among equal slopes.
    pub alphas: Vec<f64>,
    pub splits: Vec<Split>,
    /// One α per target (true) or one shared α (false).
    pub per_target: bool,
    pub fit_intercept: bool,
    pub score: Score,
    pub solver: Solver,
    /// Targets scored together; bounds memory to about
    /// alphas × test rows × batch values. `None` picks one.
    pub target_batch: Option<usize>,
}

/// A ridge model fitted on all rows with the selected α per target.
#[derive(Clone, Debug)]
pub struct RidgeFit {
    /// features × targets.
    pub coef: Mat<f64>,
    /// Per target (zeros without an intercept).
    pub intercept: Vec<f64>,
    /// The selected α per target.
    pub best_alphas: Vec<f64>,
    /// Mean CV score at the selected α, per target.
    pub cv_scores: Vec<f64>,
    /// Mean CV score of every α (rows) for every target (columns).
    pub alpha_scores: Mat<f64>,
    /// Whether the kernel path was used.
    pub kernel: bool,
}

/// Centred features factored so that the ridge weights for any α are
/// `R diag(1 / (λ + α)) P y`, from the eigendecomposition of the smaller
/// Gram matrix: XᵀX = V Λ Vᵀ (primal: R = V, P = Vᵀ Xᵀ) or
/// X Xᵀ = Q Λ Qᵀ (kernel: R = Xᵀ Q, P = Qᵀ). An eigendecomposition of the
/// p × p (or n × n) Gram costs a third of a thin SVD of X here, and with
/// α > 0 the squared condition number it implies is bounded by
/// (λ_max + α) / α in every solve.
struct Factored {
    /// features × k.
    r: Mat<f64>,
    /// k × samples.
    p: Mat<f64>,
    /// Eigenvalues of the Gram matrix (clamped at 0).
    spectrum: Vec<f64>,
}

impl Factored {
    fn new(x: MatRef<'_, f64>, kernel: bool, par: Par) -> Result<Self> {
        let g = if kernel {
            gram(x, par)
        } else {
            cross_product(x, x, par)
        };
        let eig = g.self_adjoint_eigen(Side::Lower).map_err(|e| {
            Error::internal(format!("Gram eigendecomposition did not converge: {e:?}"))
        })?;
        let vectors = eig.U();
        // Rounding can leave tiny negative eigenvalues of a PSD Gram matrix.
        let spectrum = eig
            .S()
            .column_vector()
            .iter()
            .map(|&l| l.max(0.0))
            .collect();
        let (r, p) = if kernel {
            // R = Xᵀ Q, P = Qᵀ.
            let mut r = Mat::zeros(x.ncols(), vectors.ncols());
            matmul(r.as_mut(), Accum::Replace, x.transpose(), vectors, 1.0, par);
            (r, vectors.transpose().to_owned())
        } else {
            // R = V, P = (X V)ᵀ.
            let mut xv = Mat::zeros(x.nrows(), vectors.ncols());
            matmul(xv.as_mut(), Accum::Replace, x, vectors, 1.0, par);
            (vectors.to_owned(), xv.transpose().to_owned())
        };
        Ok(Factored { r, p, spectrum })
    }

    /// 1 / (λ + α), one weight per component.
    fn weights(&self, alpha: f64) -> Vec<f64> {
        self.spectrum.iter().map(|l| 1.0 / (l + alpha)).collect()
    }
}

/// `x` with `means` subtracted from its columns, in place.
fn subtract_means(x: &mut Mat<f64>, means: &[f64]) {
    for (col, m) in x.col_iter_mut().zip(means) {
        col.iter_mut().for_each(|v| *v -= m);
    }
}

/// Rows of a block of targets, copied in the source's memory order: numpy
/// arrays are usually row-major, and gathering them column by column is a
/// strided walk that cost as much as a third of the products here. A
/// row-major source is stored transposed (targets × rows, each row's
/// targets contiguous on both sides); [`Targets::view`] is always
/// rows × targets.
struct Targets {
    data: Mat<f64>,
    transposed: bool,
}

impl Targets {
    fn gather(y: MatRef<'_, f64>, rows: &[usize]) -> Self {
        if y.col_stride() == 1 && y.ncols() > 1 {
            let mut data = Mat::zeros(y.ncols(), rows.len());
            for (i, &r) in rows.iter().enumerate() {
                let source = y.row(r);
                for (dst, src) in data.col_mut(i).iter_mut().zip(source.iter()) {
                    *dst = *src;
                }
            }
            Targets {
                data,
                transposed: true,
            }
        } else {
            Targets {
                data: gather_rows(y, rows),
                transposed: false,
            }
        }
    }

    fn view(&self) -> MatRef<'_, f64> {
        if self.transposed {
            self.data.transpose()
        } else {
            self.data.as_ref()
        }
    }

    /// Per-target means, subtracted; returns them.
    fn centre(&mut self) -> Vec<f64> {
        let means = if self.transposed {
            let n = self.data.ncols() as f64;
            let mut sums = vec![0.0; self.data.nrows()];
            for col in self.data.col_iter() {
                sums.iter_mut().zip(col.iter()).for_each(|(s, v)| *s += v);
            }
            sums.iter().map(|s| s / n).collect()
        } else {
            column_means(self.data.as_ref())
        };
        self.subtract(&means);
        means
    }

    fn subtract(&mut self, means: &[f64]) {
        if self.transposed {
            for col in self.data.col_iter_mut() {
                col.iter_mut().zip(means).for_each(|(v, m)| *v -= m);
            }
        } else {
            subtract_means(&mut self.data, means);
        }
    }

    /// Rows × targets, column-major (contiguous per target).
    fn into_columns(self) -> Mat<f64> {
        if self.transposed {
            self.data.transpose().to_owned()
        } else {
            self.data
        }
    }
}

fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::zeros(a.nrows(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a, b, 1.0, par);
    out
}

/// Column ranges of at most `batch` targets.
fn batches(t: usize, batch: usize) -> Vec<(usize, usize)> {
    (0..t)
        .step_by(batch)
        .map(|start| (start, (start + batch).min(t)))
        .collect()
}

/// Runs `work` on every target batch: batches in parallel with sequential
/// products when there are enough of them, else one batch at a time with
/// parallel products.
/// Target batches run at once: one per thread when there are at least two
/// per thread to share out (each then runs sequentially), otherwise one at
/// a time with parallel products.
pub(crate) fn batches_in_flight(batches: usize, threads: usize) -> usize {
    if batches >= 2 * threads && threads > 1 {
        threads
    } else {
        1
    }
}

fn over_batches<T: Send>(
    ranges: &[(usize, usize)],
    work: impl Fn((usize, usize), Par) -> T + Sync,
) -> Vec<T> {
    let threads = rayon::current_num_threads();
    if batches_in_flight(ranges.len(), threads) > 1 {
        ranges.par_iter().map(|&r| work(r, Par::Seq)).collect()
    } else {
        let par = crate::parallel::current();
        ranges.iter().map(|&r| work(r, par)).collect()
    }
}

fn check_inputs(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() != y.nrows() {
        return Err(Error::Invalid {
            what: "ridge".into(),
            detail: format!(
                "features have {} samples but targets have {}; rows must be the same stimuli",
                x.nrows(),
                y.nrows()
            ),
        });
    }
    if x.nrows() < 2 || x.ncols() == 0 || y.ncols() == 0 {
        return Err(Error::Invalid {
            what: "ridge".into(),
            detail: format!(
                "need at least 2 samples, 1 feature and 1 target (got {} × {} features, {} targets)",
                x.nrows(),
                x.ncols(),
                y.ncols()
            ),
        });
    }
    check_finite("features", x)?;
    check_finite("targets", y)
}

fn check_alphas(alphas: &[f64]) -> Result<()> {
    if alphas.is_empty() {
        return Err(Error::Invalid {
            what: "alphas".into(),
            detail: "no regularisation strengths given".into(),
        });
    }
    if let Some(bad) = alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return Err(Error::Invalid {
            what: "alphas".into(),
            detail: format!(
                "alpha {bad} is not a positive finite number (use a small positive alpha for \
                 nearly unregularised fits)"
            ),
        });
    }
    Ok(())
}

pub(crate) fn batch_size(
    requested: Option<usize>,
    values_per_target: usize,
    t: usize,
) -> Result<usize> {
    match requested {
        Some(0) => Err(Error::Invalid {
            what: "target batch".into(),
            detail: "the target batch size must be at least 1".into(),
        }),
        Some(b) => Ok(b.min(t)),
        // About 4 M values (32 MB) per batch in flight.
        None => Ok((4_000_000 / values_per_target.max(1)).max(64).min(t)),
    }
}

/// Mean CV score of every α (rows) for every target (columns).
pub fn cv_alpha_scores(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    opts: &RidgeCvOptions,
) -> Result<Mat<f64>> {
    check_inputs(x, y)?;
    check_alphas(&opts.alphas)?;
    check_splits(&opts.splits, x.nrows())?;
    let kernel = opts.solver.kernel(x.nrows(), x.ncols());
    let (m, t) = (opts.alphas.len(), y.ncols());
    let mut sum = Mat::<f64>::zeros(m, t);
    for split in &opts.splits {
        crate::interrupt::check()?;
        let fold = fold_scores(x, y, split, opts, kernel)?;
        sum += &fold;
    }
    Ok(sum * faer::Scale(1.0 / opts.splits.len() as f64))
}

/// Scores of every α for every target on one fold.
fn fold_scores(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    split: &Split,
    opts: &RidgeCvOptions,
    kernel: bool,
) -> Result<Mat<f64>> {
    let par = crate::parallel::current();
    let (mut xtr, mut xte) = (gather_rows(x, &split.train), gather_rows(x, &split.test));
    if opts.fit_intercept {
        let means = column_means(xtr.as_ref());
        subtract_means(&mut xtr, &means);
        subtract_means(&mut xte, &means);
    }
    let factored = Factored::new(xtr.as_ref(), kernel, par)?;
    let a = product(xte.as_ref(), factored.r.as_ref(), par);
    let (nte, k, m) = (a.nrows(), a.ncols(), opts.alphas.len());
    // [X_test R diag(d(α₁)); X_test R diag(d(α₂)); …]
    let mut stacked = Mat::<f64>::zeros(m * nte, k);
    for (ai, &alpha) in opts.alphas.iter().enumerate() {
        let d = factored.weights(alpha);
        for (c, dc) in d.iter().enumerate() {
            for i in 0..nte {
                stacked[(ai * nte + i, c)] = a[(i, c)] * dc;
            }
        }
    }
    let t = y.ncols();
    let batch = batch_size(opts.target_batch, m * nte + split.train.len(), t)?;
    let ranges = batches(t, batch);
    let parts = over_batches(&ranges, |(start, end), par| {
        let cols = y.subcols(start, end - start);
        let (mut ytr, mut yte) = (
            Targets::gather(cols, &split.train),
            Targets::gather(cols, &split.test),
        );
        if opts.fit_intercept {
            let means = ytr.centre();
            yte.subtract(&means);
        }
        let projected = product(factored.p.as_ref(), ytr.view(), par);
        let yte = yte.into_columns();
        let predictions = product(stacked.as_ref(), projected.as_ref(), par);
        Mat::from_fn(m, end - start, |ai, j| {
            let p = predictions.col(j).subrows(ai * nte, nte);
            opts.score.of(yte.col(j), p)
        })
    });
    let mut scores = Mat::zeros(m, t);
    for (&(start, end), part) in ranges.iter().zip(parts) {
        scores.subcols_mut(start, end - start).copy_from(&part);
    }
    Ok(scores)
}

/// The index of the selected α per target, from mean CV scores (α × targets):
/// himalaya's rule (slope 10⁻¹⁰ ln α toward larger α, first maximum).
pub fn select_alphas(
    alpha_scores: MatRef<'_, f64>,
    alphas: &[f64],
    per_target: bool,
) -> Vec<usize> {
    let sloped = |a: usize, j: usize| alpha_scores[(a, j)] + 1e-10 * alphas[a].ln();
    let first_max = |value: &dyn Fn(usize) -> f64| {
        (0..alphas.len()).fold(0, |best, a| if value(a) > value(best) { a } else { best })
    };
    let t = alpha_scores.ncols();
    if per_target {
        (0..t).map(|j| first_max(&|a| sloped(a, j))).collect()
    } else {
        let mean = |a: usize| (0..t).map(|j| sloped(a, j)).sum::<f64>() / t as f64;
        vec![first_max(&mean); t]
    }
}

/// The cross-validated choice of α per target (or shared), without a refit.
#[derive(Clone, Debug)]
pub struct CvSelection {
    /// The selected α per target.
    pub best_alphas: Vec<f64>,
    /// Mean CV score at the selected α, per target.
    pub cv_scores: Vec<f64>,
    /// Mean CV score of every α (rows) for every target (columns).
    pub alpha_scores: Mat<f64>,
}

/// Selects α per target (or shared) by cross-validation: what an encoding
/// analysis reports, without the features × targets weights of a refit.
pub fn select_by_cv(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    opts: &RidgeCvOptions,
) -> Result<CvSelection> {
    let alpha_scores = cv_alpha_scores(x, y, opts)?;
    let chosen = select_alphas(alpha_scores.as_ref(), &opts.alphas, opts.per_target);
    let best_alphas: Vec<f64> = chosen.iter().map(|&a| opts.alphas[a]).collect();
    let cv_scores = chosen
        .iter()
        .enumerate()
        .map(|(j, &a)| alpha_scores[(a, j)])
        .collect();
    Ok(CvSelection {
        best_alphas,
        cv_scores,
        alpha_scores,
    })
}

/// Cross-validated ridge: selects α per target (or shared) and refits on
/// all rows.
pub fn ridge_cv(x: MatRef<'_, f64>, y: MatRef<'_, f64>, opts: &RidgeCvOptions) -> Result<RidgeFit> {
    let CvSelection {
        best_alphas,
        cv_scores,
        alpha_scores,
    } = select_by_cv(x, y, opts)?;
    let kernel = opts.solver.kernel(x.nrows(), x.ncols());
    let (coef, intercept) = refit(
        x,
        y,
        &best_alphas,
        opts.fit_intercept,
        kernel,
        opts.target_batch,
    )?;
    Ok(RidgeFit {
        coef,
        intercept,
        best_alphas,
        cv_scores,
        alpha_scores,
        kernel,
    })
}

/// Ridge with given α: one for all targets or one per target. Returns
/// (coefficients features × targets, intercepts).
pub fn ridge(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    alphas: &[f64],
    fit_intercept: bool,
    solver: Solver,
) -> Result<(Mat<f64>, Vec<f64>)> {
    check_inputs(x, y)?;
    check_alphas(alphas)?;
    let per_target: Vec<f64> = match alphas.len() {
        1 => vec![alphas[0]; y.ncols()],
        n if n == y.ncols() => alphas.to_vec(),
        n => {
            return Err(Error::Invalid {
                what: "alphas".into(),
                detail: format!(
                    "{n} alphas for {} targets: give one, or one per target",
                    y.ncols()
                ),
            });
        }
    };
    refit(
        x,
        y,
        &per_target,
        fit_intercept,
        solver.kernel(x.nrows(), x.ncols()),
        None,
    )
}

/// The ridge solution on all rows with α `alphas[j]` for target j.
fn refit(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    alphas: &[f64],
    fit_intercept: bool,
    kernel: bool,
    target_batch: Option<usize>,
) -> Result<(Mat<f64>, Vec<f64>)> {
    let par = crate::parallel::current();
    let mut xc = x.to_owned();
    let x_means = if fit_intercept {
        let means = column_means(x);
        subtract_means(&mut xc, &means);
        means
    } else {
        vec![0.0; x.ncols()]
    };
    let factored = Factored::new(xc.as_ref(), kernel, par)?;
    let t = y.ncols();
    let batch = batch_size(target_batch, x.nrows() + x.ncols(), t)?;
    let ranges = batches(t, batch);
    let all_rows: Vec<usize> = (0..y.nrows()).collect();
    let parts = over_batches(&ranges, |(start, end), par| {
        let mut yb = Targets::gather(y.subcols(start, end - start), &all_rows);
        let y_means = if fit_intercept {
            yb.centre()
        } else {
            vec![0.0; end - start]
        };
        let mut projected = product(factored.p.as_ref(), yb.view(), par);
        for (j, col) in projected.col_iter_mut().enumerate() {
            let d = factored.weights(alphas[start + j]);
            col.iter_mut().zip(&d).for_each(|(v, dc)| *v *= dc);
        }
        let coef = product(factored.r.as_ref(), projected.as_ref(), par);
        let intercept: Vec<f64> = (0..end - start)
            .map(|j| {
                let shift: f64 = coef.col(j).iter().zip(&x_means).map(|(w, m)| w * m).sum();
                y_means[j] - shift
            })
            .collect();
        (coef, intercept)
    });
    let mut coef = Mat::zeros(x.ncols(), t);
    let mut intercept = Vec::with_capacity(t);
    for (&(start, end), (part, icpt)) in ranges.iter().zip(parts) {
        coef.subcols_mut(start, end - start).copy_from(&part);
        intercept.extend(icpt);
    }
    Ok((coef, intercept))
}

/// Predictions `x coef + intercept` (samples × targets).
pub fn predict(x: MatRef<'_, f64>, coef: MatRef<'_, f64>, intercept: &[f64]) -> Result<Mat<f64>> {
    if x.ncols() != coef.nrows() || intercept.len() != coef.ncols() {
        return Err(Error::ShapeMismatch {
            what: if x.ncols() != coef.nrows() {
                "features (columns) of the rows to predict from".into()
            } else {
                "intercepts (one per target)".into()
            },
            expected: if x.ncols() != coef.nrows() {
                coef.nrows()
            } else {
                coef.ncols()
            },
            found: if x.ncols() != coef.nrows() {
                x.ncols()
            } else {
                intercept.len()
            },
        });
    }
    check_finite("features", x)?;
    let par = crate::parallel::current();
    let mut out = product(x, coef, par);
    for (col, b) in out.col_iter_mut().zip(intercept) {
        col.iter_mut().for_each(|v| *v += b);
    }
    Ok(out)
}

/// The default candidate penalties of the CLI and of Python's `RidgeCV`:
/// 15 values log-spaced from 10⁻² to 10⁵.
pub fn default_alphas() -> Vec<f64> {
    // The bounds and count are valid, so the grid cannot fail.
    log_spaced(1e-2, 1e5, 15).unwrap_or_default()
}

/// `n` values from `lo` to `hi` evenly spaced in log10 (`lo` alone for
/// `n = 1`); `0 < lo ≤ hi`, both finite.
pub fn log_spaced(lo: f64, hi: f64, n: usize) -> Result<Vec<f64>> {
    if !(lo > 0.0 && hi >= lo && hi.is_finite() && n >= 1) {
        return Err(Error::OutOfRange {
            what: "a log-spaced grid LOW:HIGH:N".into(),
            value: format!("{lo}:{hi}:{n}"),
            expected: "0 < LOW ≤ HIGH, both finite, and N ≥ 1".into(),
        });
    }
    let (a, b) = (lo.log10(), hi.log10());
    // The ends are the given values exactly (10^log10(x) may differ from x
    // in the last bit); the inner points are numpy.logspace's.
    Ok((0..n)
        .map(|i| match i {
            0 => lo,
            _ if i == n - 1 => hi,
            _ => 10f64.powf(a + i as f64 / (n - 1) as f64 * (b - a)),
        })
        .collect())
}

/// Candidate penalties written as `LOW:HIGH:N` (N log-spaced values, e.g.
/// `1e-2:1e5:15`) or as a comma-separated list of positive numbers.
pub fn parse_alphas(spec: &str) -> Result<Vec<f64>> {
    let bad = || Error::OutOfRange {
        what: "penalties (alphas)".into(),
        value: format!("{spec:?}"),
        expected: "LOW:HIGH:N (e.g. 1e-2:1e5:15) or a comma-separated list of positive \
                   numbers"
            .into(),
    };
    let number = |v: &str| v.trim().parse::<f64>().map_err(|_| bad());
    let alphas = if let [lo, hi, n] = spec.split(':').collect::<Vec<_>>()[..] {
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        // Each candidate is a full fit; more than this is a typo, not a grid.
        const MAX_ALPHAS: usize = 10_000;
        if n > MAX_ALPHAS {
            return Err(Error::OutOfRange {
                what: "number of penalties (alphas)".into(),
                value: n.to_string(),
                expected: format!("at most {MAX_ALPHAS}"),
            });
        }
        log_spaced(number(lo)?, number(hi)?, n).map_err(|_| bad())?
    } else {
        spec.split(',').map(number).collect::<Result<Vec<f64>>>()?
    };
    check_alphas(&alphas).map_err(|_| bad())?;
    Ok(alphas)
}

/// Per-target scores of predictions against targets (same shape).
pub fn scores(y: MatRef<'_, f64>, predictions: MatRef<'_, f64>, score: Score) -> Result<Vec<f64>> {
    if (y.nrows(), y.ncols()) != (predictions.nrows(), predictions.ncols()) {
        return Err(Error::Invalid {
            what: "scores".into(),
            detail: format!(
                "targets are {} × {} but predictions are {} × {}",
                y.nrows(),
                y.ncols(),
                predictions.nrows(),
                predictions.ncols()
            ),
        });
    }
    Ok((0..y.ncols())
        .into_par_iter()
        .map(|j| score.of(y.col(j), predictions.col(j)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::folds::kfold;
    use crate::rng::gaussian_matrix;
    use faer::linalg::solvers::Solve;

    #[test]
    fn penalty_specs_are_a_grid_or_a_list_and_the_default_is_the_grid() {
        let grid = parse_alphas("1e-2:1e5:15").unwrap();
        assert_eq!(grid, default_alphas());
        assert_eq!(grid.len(), 15);
        assert!((grid[0] - 1e-2).abs() < 1e-15 && (grid[14] - 1e5).abs() < 1e-9);
        assert!((grid[1] / grid[0] - 10f64.powf(0.5)).abs() < 1e-12);
        assert_eq!(parse_alphas("0.1, 1,10").unwrap(), vec![0.1, 1.0, 10.0]);
        assert_eq!(parse_alphas("5:5:1").unwrap(), vec![5.0]);
        for bad in [
            "", "a,b", "0,1", "-1", "1:0.1:3", "1:10:0", "1:10", "nan", "inf",
        ] {
            let e = parse_alphas(bad).unwrap_err();
            assert!(matches!(e, Error::OutOfRange { .. }), "{bad}: {e}");
            assert!(e.to_string().contains("LOW:HIGH:N"), "{bad}: {e}");
        }
    }

    fn options(alphas: &[f64], n: usize, solver: Solver) -> RidgeCvOptions {
        RidgeCvOptions {
            alphas: alphas.to_vec(),
            splits: kfold(n, 4).unwrap(),
            per_target: true,
            fit_intercept: true,
            score: Score::R2,
            solver,
            target_batch: Some(3),
        }
    }

    /// (XᵀX + αI)⁻¹ Xᵀ y on centred data, by a direct solve.
    fn normal_equations(x: MatRef<'_, f64>, y: MatRef<'_, f64>, alpha: f64) -> Mat<f64> {
        let mut g = product(x.transpose(), x, Par::Seq);
        for i in 0..g.nrows() {
            g[(i, i)] += alpha;
        }
        let rhs = product(x.transpose(), y, Par::Seq);
        g.llt(Side::Lower).unwrap().solve(rhs)
    }

    #[test]
    fn primal_and_kernel_paths_solve_the_normal_equations() {
        for (n, p) in [(30, 8), (12, 25)] {
            let x = gaussian_matrix(n, p, 1);
            let y = gaussian_matrix(n, 5, 2);
            let expected = normal_equations(x.as_ref(), y.as_ref(), 2.5);
            for solver in [Solver::Primal, Solver::Kernel] {
                let (coef, icpt) = ridge(x.as_ref(), y.as_ref(), &[2.5], false, solver).unwrap();
                assert!((&coef - &expected).norm_max() < 1e-10, "{n}×{p} {solver:?}");
                assert!(icpt.iter().all(|&b| b == 0.0));
            }
        }
    }

    #[test]
    fn kernel_and_primal_cross_validation_agree() {
        let x = gaussian_matrix(40, 60, 3);
        let y = gaussian_matrix(40, 7, 4);
        let alphas = [0.1, 1.0, 10.0, 100.0];
        let primal = ridge_cv(
            x.as_ref(),
            y.as_ref(),
            &options(&alphas, 40, Solver::Primal),
        )
        .unwrap();
        let kernel = ridge_cv(
            x.as_ref(),
            y.as_ref(),
            &options(&alphas, 40, Solver::Kernel),
        )
        .unwrap();
        assert!(kernel.kernel && !primal.kernel);
        assert!((&primal.alpha_scores - &kernel.alpha_scores).norm_max() < 1e-10);
        assert_eq!(primal.best_alphas, kernel.best_alphas);
        assert!((&primal.coef - &kernel.coef).norm_max() < 1e-10);
    }

    #[test]
    fn ties_go_to_the_larger_alpha_and_shared_alpha_is_shared() {
        let scores = Mat::from_fn(3, 2, |a, j| if j == 0 { 1.0 } else { [0.0, 2.0, 1.0][a] });
        assert_eq!(
            select_alphas(scores.as_ref(), &[1.0, 10.0, 100.0], true),
            vec![2, 1]
        );
        let shared = select_alphas(scores.as_ref(), &[1.0, 10.0, 100.0], false);
        assert_eq!(shared, vec![1, 1]);
    }

    #[test]
    fn a_target_that_is_a_feature_is_predicted_and_noise_is_not() {
        let x = gaussian_matrix(200, 5, 5);
        let noise = gaussian_matrix(200, 1, 6);
        let y = Mat::from_fn(
            200,
            2,
            |i, j| if j == 0 { x[(i, 2)] } else { noise[(i, 0)] },
        );
        let fit = ridge_cv(
            x.as_ref(),
            y.as_ref(),
            &options(&[1e-3, 1.0, 1e3], 200, Solver::Auto),
        )
        .unwrap();
        assert!(fit.cv_scores[0] > 0.99, "{:?}", fit.cv_scores);
        assert!(fit.cv_scores[1] < 0.05, "{:?}", fit.cv_scores);
        assert_eq!(fit.best_alphas[1], 1e3);
    }

    #[test]
    fn bad_input_is_refused_with_reasons() {
        let x = gaussian_matrix(10, 3, 7);
        let mut y = gaussian_matrix(10, 2, 8);
        let err = ridge(x.as_ref(), y.as_ref(), &[0.0], true, Solver::Auto).unwrap_err();
        assert!(err.to_string().contains("positive"), "{err}");
        let err = ridge(x.as_ref(), y.as_ref(), &[1.0, 2.0, 3.0], true, Solver::Auto).unwrap_err();
        assert!(err.to_string().contains("one per target"), "{err}");
        y[(4, 1)] = f64::NAN;
        let err = ridge(x.as_ref(), y.as_ref(), &[1.0], true, Solver::Auto).unwrap_err();
        assert!(err.to_string().contains("targets"), "{err}");
        let short = gaussian_matrix(9, 2, 9);
        assert!(ridge(x.as_ref(), short.as_ref(), &[1.0], true, Solver::Auto).is_err());
    }
}
