//! Representational dissimilarity matrices from condition patterns.
//!
//! Conventions follow rsatoolbox (`rdm/calc.py`), so numbers agree:
//!
//! - `euclidean`: ‖xᵢ − xⱼ‖² / p (squared, divided by the number of channels p);
//! - `correlation`: 1 − Pearson r of the two patterns (each centred across channels);
//! - `cosine`: 1 − cos(xᵢ, xⱼ);
//! - `mahalanobis`: (xᵢ − xⱼ)ᵀ Λ (xᵢ − xⱼ) / p for a noise precision Λ;
//! - `crossnobis`: leave-one-fold-out cross-validated Mahalanobis distance
//!   (Walther et al. 2016, NeuroImage 137): for each fold f, with aᵢ the mean of
//!   condition i over the other folds and bᵢ its mean in fold f,
//!   (aᵢ − aⱼ)ᵀ Λ (bᵢ − bⱼ) / p, averaged over folds; unbiased, can be negative;
//! - `poisson`: symmetrised KL divergence of Poisson rates,
//!   Σ_c (mᵢ − mⱼ)(log mᵢ − log mⱼ) / p with m = (x + λw) / (1 + w)
//!   (rsatoolbox's prior, λ = 1, w = 0.1 by default).
//!
//! Every method is `d_ij = s (K_ii + K_jj − K_ij − K_ji)` or `1 − K_ij` for
//! a kernel K = A Bᵀ of prepared patterns, computed by GEMM (the Gram
//! trick) in blocks of rows written straight into the condensed output, so
//! memory is the RDM plus one block. Rows of repeated measurements are first
//! averaged per condition (rsatoolbox's `descriptor`).

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use super::condensed::{n_pairs, pair_index};
use super::folds::FoldMeans;
use crate::data::check_finite;
use crate::error::{Error, Result};

crate::choice! {
    /// The dissimilarity between two condition patterns.
    pub enum RdmMethod: "RDM method" {
        /// Squared Euclidean distance divided by the number of channels (rsatoolbox).
        Euclidean = "euclidean",
        /// One minus the Pearson correlation of the two patterns.
        Correlation = "correlation",
        /// One minus the cosine of the two patterns.
        Cosine = "cosine",
        /// Squared Mahalanobis distance with a noise precision, per channel.
        Mahalanobis = "mahalanobis",
        /// Cross-validated Mahalanobis distance over folds (runs).
        Crossnobis = "crossnobis",
        /// Symmetrised KL divergence of Poisson rates (spike counts).
        Poisson = "poisson",
        /// The same, cross-validated over folds: rates of the other folds
        /// against log rates of the held-out fold, averaged over folds.
        PoissonCv = "poisson_cv",
    }
}

/// Everything an RDM computation takes besides the data.
#[derive(Clone, Copy, Debug)]
pub struct RdmSpec<'a> {
    pub method: RdmMethod,
    /// Noise precision Λ (channels × channels) for mahalanobis and
    /// crossnobis; identity when absent.
    pub precision: Option<MatRef<'a, f64>>,
    /// Condition index (0..k) of each row; rows of one condition are
    /// averaged. `None`: every row is its own condition.
    pub conditions: Option<&'a [usize]>,
    /// Fold index (0..F) of each row, for crossnobis.
    pub folds: Option<&'a [usize]>,
    /// Poisson prior rate λ and weight w.
    pub prior_lambda: f64,
    pub prior_weight: f64,
    /// Crossnobis with one noise precision per fold (in the order of the
    /// fold codes that hold measurements): each pair of folds (i < j) is
    /// compared through the precision ((Λ_i⁻¹ + Λ_j⁻¹)/2)⁻¹ and the pairs are
    /// averaged (rsatoolbox's `calc_rdm_crossnobis` with a list of noises).
    /// Without it, crossnobis leaves one fold out at a time with `precision`.
    pub fold_precisions: Option<&'a [MatRef<'a, f64>]>,
    /// A correlation (cosine) distance of a condition whose pattern is
    /// constant (all zeros) is undefined: an error when false; NaN for
    /// every pair of that condition when true (rsatoolbox's result).
    pub undefined_as_nan: bool,
}

impl<'a> RdmSpec<'a> {
    /// A spec with rsatoolbox's defaults for `method`.
    pub fn new(method: RdmMethod) -> Self {
        Self {
            method,
            precision: None,
            conditions: None,
            folds: None,
            prior_lambda: 1.0,
            prior_weight: 0.1,
            fold_precisions: None,
            undefined_as_nan: false,
        }
    }
}

/// The condensed RDM (scipy `pdist` order) of the patterns in `x`
/// (rows = measurements, columns = channels).
pub fn rdm(x: MatRef<'_, f64>, spec: &RdmSpec<'_>) -> Result<Vec<f64>> {
    crate::data::check_not_empty("data", x)?;
    check_finite("data", x)?;
    let p = x.ncols();
    if let Some(precision) = spec.precision {
        check_precision(precision, p)?;
    }
    let rows = x.nrows();
    for (what, codes) in [("conditions", spec.conditions), ("folds", spec.folds)] {
        if let Some(c) = codes
            && c.len() != rows
        {
            return Err(Error::ShapeMismatch {
                what: format!("{what} labels"),
                expected: rows,
                found: c.len(),
            });
        }
    }
    let k = spec
        .conditions
        .map_or(rows, |c| c.iter().max().map_or(0, |m| m + 1));
    require_three_conditions(k)?;
    let scale = 1.0 / p as f64;
    match spec.method {
        RdmMethod::Crossnobis if spec.fold_precisions.is_some() => {
            let (conditions, folds) = fold_labels(spec, "crossnobis")?;
            let precisions = spec.fold_precisions.unwrap_or_default();
            crossnobis_fold_pairs(
                x,
                conditions,
                folds,
                k,
                precisions,
                spec.precision.is_some(),
            )
        }
        RdmMethod::Crossnobis => {
            let (conditions, folds) = fold_labels(spec, "crossnobis")?;
            let means = FoldMeans::new(x, conditions, folds, k)?;
            let n_folds = means.folds;
            let all: Vec<usize> = (0..p).collect();
            let (train, test) = means.stacked(&all);
            let train = match spec.precision {
                Some(l) => times_precision_per_fold(train.as_ref(), l, n_folds),
                None => train,
            };
            // Σ_f A_f Λ B_fᵀ = [A_1Λ … A_FΛ] [B_1 … B_F]ᵀ: one product (patterns
            // are stored transposed, one column per condition).
            Ok(kernel_distances(
                train.as_ref(),
                test.as_ref(),
                Form::Difference {
                    scale: scale / n_folds as f64,
                    symmetric: false,
                },
            ))
        }
        RdmMethod::PoissonCv => {
            let (conditions, folds) = fold_labels(spec, "poisson_cv")?;
            let means = FoldMeans::new(x, conditions, folds, k)?;
            let n_folds = means.folds;
            let all: Vec<usize> = (0..p).collect();
            let (train, test) = means.stacked(&all);
            let rates = |m: Mat<f64>| -> Result<Mat<f64>> {
                let shift = spec.prior_lambda * spec.prior_weight;
                let r = Mat::from_fn(m.nrows(), m.ncols(), |i, j| {
                    (m[(i, j)] + shift) / (1.0 + spec.prior_weight)
                });
                if let Some((row, c)) = first_where(r.as_ref(), |v| v <= 0.0) {
                    return Err(Error::InvalidParameter {
                        measure: "poisson_cv".into(),
                        detail: format!(
                            "condition {c}, channel {}: a fold's prior-smoothed rate is {} ≤ 0; \
                             poisson_cv needs non-negative counts",
                            row % p,
                            r[(row, c)]
                        ),
                    });
                }
                Ok(r)
            };
            let train = rates(train)?;
            let test = rates(test)?;
            let logs = Mat::from_fn(test.nrows(), test.ncols(), |i, j| test[(i, j)].ln());
            // Σ_f λ_f · log μ_f over folds in one product, as crossnobis.
            Ok(kernel_distances(
                train.as_ref(),
                logs.as_ref(),
                Form::Difference {
                    scale: scale / n_folds as f64,
                    symmetric: false,
                },
            ))
        }
        method => {
            // Patterns transposed: channels × conditions, one contiguous
            // column per condition.
            let means = match spec.conditions {
                Some(c) => condition_means(x, c, k)?.transpose().to_owned(),
                None => x.transpose().to_owned(),
            };
            let m = means.as_ref();
            Ok(match method {
                RdmMethod::Euclidean => kernel_distances(m, m, Form::symmetric(scale)),
                RdmMethod::Mahalanobis => match spec.precision {
                    Some(l) => {
                        // (M Λ)ᵀ = Λ Mᵀ for a symmetric Λ.
                        let lm = l * m;
                        kernel_distances(lm.as_ref(), m, Form::symmetric(scale))
                    }
                    None => kernel_distances(m, m, Form::symmetric(scale)),
                },
                RdmMethod::Correlation => {
                    let z = unit_columns(m, true, "correlation", spec.undefined_as_nan)?;
                    kernel_distances(z.as_ref(), z.as_ref(), Form::OneMinus)
                }
                RdmMethod::Cosine => {
                    let z = unit_columns(m, false, "cosine", spec.undefined_as_nan)?;
                    kernel_distances(z.as_ref(), z.as_ref(), Form::OneMinus)
                }
                RdmMethod::Poisson => {
                    let w = spec.prior_weight;
                    let shift = spec.prior_lambda * w;
                    let rates =
                        Mat::from_fn(m.nrows(), m.ncols(), |i, j| (m[(i, j)] + shift) / (1.0 + w));
                    if let Some((c, i)) = first_where(rates.as_ref(), |v| v <= 0.0) {
                        return Err(Error::InvalidParameter {
                            measure: "poisson".into(),
                            detail: format!(
                                "condition {i}, channel {c}: the prior-smoothed rate is {} ≤ 0; \
                                 poisson needs non-negative counts",
                                rates[(c, i)]
                            ),
                        });
                    }
                    let logs =
                        Mat::from_fn(rates.nrows(), rates.ncols(), |i, j| rates[(i, j)].ln());
                    kernel_distances(
                        rates.as_ref(),
                        logs.as_ref(),
                        Form::Difference {
                            scale,
                            symmetric: false,
                        },
                    )
                }
                RdmMethod::Crossnobis | RdmMethod::PoissonCv => unreachable!("handled above"),
            })
        }
    }
}

/// An RDM needs 3 conditions: with fewer no comparison is defined.
pub(crate) fn require_three_conditions(k: usize) -> Result<()> {
    if k < 3 {
        return Err(Error::InvalidRdm {
            detail: format!(
                "an RDM needs at least 3 conditions, this one has {k}; with fewer, no \
                 comparison between RDMs is defined"
            ),
        });
    }
    Ok(())
}

fn first_where(m: MatRef<'_, f64>, f: impl Fn(f64) -> bool) -> Option<(usize, usize)> {
    (0..m.nrows()).find_map(|i| (0..m.ncols()).find(|&j| f(m[(i, j)])).map(|j| (i, j)))
}

/// Fails unless Λ is p × p, symmetric and positive definite.
fn check_precision(l: MatRef<'_, f64>, p: usize) -> Result<()> {
    if l.nrows() != p || l.ncols() != p {
        return Err(Error::ShapeMismatch {
            what: "noise precision (channels × channels)".into(),
            expected: p,
            found: if l.nrows() != p { l.nrows() } else { l.ncols() },
        });
    }
    check_finite("noise precision", l)?;
    for i in 0..p {
        for j in 0..i {
            let (a, b) = (l[(i, j)], l[(j, i)]);
            if (a - b).abs() > 1e-10 * (a.abs() + b.abs()).max(f64::MIN_POSITIVE) {
                return Err(Error::InvalidParameter {
                    measure: "noise precision".into(),
                    detail: format!(
                        "it is not symmetric: entry ({i}, {j}) is {a} but ({j}, {i}) is {b}"
                    ),
                });
            }
        }
    }
    if l.llt(faer::Side::Lower).is_err() {
        return Err(Error::InvalidParameter {
            measure: "noise precision".into(),
            detail: "it is singular or not positive definite; estimate it with shrinkage \
                     (rs.noise_precision(residuals, shrinkage=...)) or add a ridge to its \
                     diagonal"
                .into(),
        });
    }
    Ok(())
}

/// Mean pattern of each condition (codes 0..k); every condition needs a row.
pub fn condition_means(x: MatRef<'_, f64>, conditions: &[usize], k: usize) -> Result<Mat<f64>> {
    let mut sums = Mat::<f64>::zeros(k, x.ncols());
    let mut counts = vec![0usize; k];
    for (row, &c) in conditions.iter().enumerate() {
        counts[c] += 1;
        for j in 0..x.ncols() {
            sums[(c, j)] += x[(row, j)];
        }
    }
    if let Some(c) = counts.iter().position(|&n| n == 0) {
        return Err(Error::InvalidParameter {
            measure: "rdm".into(),
            detail: format!("condition {c} has no measurement; condition labels must be 0..k"),
        });
    }
    Ok(Mat::from_fn(k, x.ncols(), |i, j| {
        sums[(i, j)] / counts[i] as f64
    }))
}

/// Crossnobis over pairs of folds, each pair (i < j) through the precision
/// ((Λ_i⁻¹ + Λ_j⁻¹)/2)⁻¹ of the difference of its two fold means, averaged
/// over pairs: Σ_pairs Λ_ij m_iᵀ against m_jᵀ in one product.
fn crossnobis_fold_pairs(
    x: MatRef<'_, f64>,
    conditions: &[usize],
    folds: &[usize],
    k: usize,
    precisions: &[MatRef<'_, f64>],
    also_one_precision: bool,
) -> Result<Vec<f64>> {
    use faer::linalg::solvers::DenseSolveCore;
    let p = x.ncols();
    let bad = |detail: String| Error::InvalidParameter {
        measure: "crossnobis".into(),
        detail,
    };
    if also_one_precision {
        return Err(bad(
            "give one noise precision for all folds or one per fold, not both".into(),
        ));
    }
    let means = FoldMeans::new(x, conditions, folds, k)?;
    let n_folds = means.folds;
    if precisions.len() != n_folds {
        return Err(bad(format!(
            "{} noise precisions for {n_folds} folds; give one per fold, in fold order",
            precisions.len()
        )));
    }
    let mut covariances = Vec::with_capacity(n_folds);
    for (f, l) in precisions.iter().enumerate() {
        check_precision(*l, p)
            .map_err(|e| e.context(format!("the noise precision of fold {f}")))?;
        let llt = l.llt(faer::Side::Lower).map_err(|_| {
            bad(format!(
                "the noise precision of fold {f} is not positive definite"
            ))
        })?;
        covariances.push(llt.inverse());
    }
    let pairs: Vec<(usize, usize)> = (0..n_folds)
        .flat_map(|i| (i + 1..n_folds).map(move |j| (i, j)))
        .collect();
    // Fold f's means, transposed: p × k, one column per condition.
    let fold = |f: usize| Mat::from_fn(p, k, |j, c| means.test[(f * k + c, j)]);
    let mut left = Mat::<f64>::zeros(pairs.len() * p, k);
    let mut right = Mat::<f64>::zeros(pairs.len() * p, k);
    for (n, &(i, j)) in pairs.iter().enumerate() {
        let average = Mat::from_fn(p, p, |a, b| {
            (covariances[i][(a, b)] + covariances[j][(a, b)]) / 2.0
        });
        let precision = average
            .llt(faer::Side::Lower)
            .map_err(|_| {
                bad(format!(
                    "the averaged noise of folds {i} and {j} is singular"
                ))
            })?
            .inverse();
        let weighted = &precision * fold(i);
        left.as_mut().subrows_mut(n * p, p).copy_from(&weighted);
        right.as_mut().subrows_mut(n * p, p).copy_from(fold(j));
    }
    Ok(kernel_distances(
        left.as_ref(),
        right.as_ref(),
        Form::Difference {
            scale: 1.0 / (p * pairs.len()) as f64,
            symmetric: false,
        },
    ))
}

/// The condition and fold labels a cross-validated method needs.
fn fold_labels<'a>(spec: &RdmSpec<'a>, measure: &str) -> Result<(&'a [usize], &'a [usize])> {
    let folds = spec.folds.ok_or_else(|| Error::InvalidParameter {
        measure: measure.into(),
        detail: "needs a fold label per row (folds=...), e.g. the run of each measurement".into(),
    })?;
    let conditions = spec.conditions.ok_or_else(|| Error::InvalidParameter {
        measure: measure.into(),
        detail: "needs a condition label per row (conditions=...): each condition is measured \
                 once per fold"
            .into(),
    })?;
    Ok((conditions, folds))
}

/// Λ A_fᵀ for the stacked, transposed fold blocks A_fᵀ (p × k each), Λ
/// symmetric.
fn times_precision_per_fold(
    stacked: MatRef<'_, f64>,
    l: MatRef<'_, f64>,
    folds: usize,
) -> Mat<f64> {
    let p = l.nrows();
    let mut out = Mat::zeros(stacked.nrows(), stacked.ncols());
    for f in 0..folds {
        matmul(
            out.as_mut().subrows_mut(f * p, p),
            Accum::Replace,
            l,
            stacked.subrows(f * p, p),
            1.0,
            Par::Seq,
        );
    }
    out
}

/// Columns (condition patterns) centred (optionally) and scaled to unit
/// length; a column of zero length is an error, or all NaN with
/// `nan_if_zero`.
pub(super) fn unit_columns(
    m: MatRef<'_, f64>,
    centre: bool,
    method: &str,
    nan_if_zero: bool,
) -> Result<Mat<f64>> {
    let p = m.nrows() as f64;
    let mut z = m.to_owned();
    for i in 0..z.ncols() {
        let mean = if centre {
            z.col(i).iter().sum::<f64>() / p
        } else {
            0.0
        };
        z.col_mut(i).iter_mut().for_each(|v| *v -= mean);
        let norm = z.col(i).iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm == 0.0 && nan_if_zero {
            z.col_mut(i).iter_mut().for_each(|v| *v = f64::NAN);
            continue;
        }
        if norm == 0.0 {
            return Err(Error::Undefined {
                measure: format!("{method} distance"),
                array: format!("condition {i}"),
                detail: format!(
                    "its pattern is {}; drop the condition, use euclidean, or ask for NaN \
                     at its pairs (rsatoolbox's result; undefined=\"nan\" in Python)",
                    if centre {
                        "constant across channels"
                    } else {
                        "all zeros"
                    }
                ),
            });
        }
        z.col_mut(i).iter_mut().for_each(|v| *v /= norm);
    }
    Ok(z)
}

/// How a kernel K = A Bᵀ becomes dissimilarities.
#[derive(Clone, Copy, Debug)]
enum Form {
    /// s (K_ii + K_jj − K_ij − K_ji); with `symmetric`, K_ij = K_ji is assumed.
    Difference { scale: f64, symmetric: bool },
    /// 1 − K_ij.
    OneMinus,
}

impl Form {
    fn symmetric(scale: f64) -> Self {
        Form::Difference {
            scale,
            symmetric: true,
        }
    }
}

/// Rows per block: enough blocks to keep every thread busy (the later,
/// shorter blocks finish fast), and a block of the kernel near 32 MiB at most.
pub(super) fn block_rows(k: usize) -> usize {
    let memory = (32 << 20) / (8 * k.max(1));
    let balance = k.div_ceil(4 * rayon::current_num_threads().max(1));
    memory.min(balance).clamp(16, 1024)
}

/// Dissimilarities from the kernel K = Aᵀ B of transposed patterns `at`,
/// `bt` (features × conditions): K_ij = aᵢ · bⱼ.
fn kernel_distances(at: MatRef<'_, f64>, bt: MatRef<'_, f64>, form: Form) -> Vec<f64> {
    let k = at.ncols();
    let diag: Vec<f64> = (0..k)
        .map(|i| {
            at.col(i)
                .iter()
                .zip(bt.col(i).iter())
                .map(|(x, y)| x * y)
                .sum()
        })
        .collect();
    let mut out = vec![0.0; n_pairs(k)];
    // Split the output at block boundaries: block [r0, r1) owns the pairs
    // (i, j > i) of its rows, a contiguous range.
    let rows = block_rows(k);
    let mut blocks = Vec::new();
    let mut rest: &mut [f64] = &mut out;
    let mut r0 = 0;
    while r0 < k.saturating_sub(1) {
        let r1 = (r0 + rows).min(k - 1);
        let len = pair_index(k, r1 - 1, k - 1) + 1 - pair_index(k, r0, r0 + 1);
        let (head, tail) = rest.split_at_mut(len);
        blocks.push((r0, r1, head));
        rest = tail;
        r0 = r1;
    }
    blocks.into_par_iter().for_each(|(r0, r1, dst)| {
        // K[r0..r1, r0..k] and, when K is not symmetric, K[r0..k, r0..r1]ᵀ.
        let cols = k - r0;
        let product = |left: MatRef<'_, f64>, right: MatRef<'_, f64>| {
            let mut m = Mat::zeros(r1 - r0, cols);
            matmul(
                m.as_mut(),
                Accum::Replace,
                left.subcols(r0, r1 - r0).transpose(),
                right.subcols(r0, cols),
                1.0,
                Par::Seq,
            );
            m
        };
        let kb = product(at, bt);
        let kt = match form {
            Form::Difference {
                symmetric: false, ..
            } => Some(product(bt, at)),
            _ => None,
        };
        let mut pos = 0;
        for i in r0..r1 {
            for j in i + 1..k {
                let kij = kb[(i - r0, j - r0)];
                dst[pos] = match form {
                    Form::OneMinus => 1.0 - kij,
                    Form::Difference { scale, .. } => {
                        let kji = kt.as_ref().map_or(kij, |kt| kt[(i - r0, j - r0)]);
                        scale * (diag[i] + diag[j] - kij - kji)
                    }
                };
                pos += 1;
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gaussian;

    fn direct(x: &Mat<f64>, f: impl Fn(&[f64], &[f64]) -> f64) -> Vec<f64> {
        let rows: Vec<Vec<f64>> = (0..x.nrows())
            .map(|i| (0..x.ncols()).map(|j| x[(i, j)]).collect())
            .collect();
        let mut out = Vec::new();
        for i in 0..rows.len() {
            for j in i + 1..rows.len() {
                out.push(f(&rows[i], &rows[j]));
            }
        }
        out
    }

    fn close(a: &[f64], b: &[f64], tol: f64) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn gram_trick_equals_direct_definitions() {
        let x = gaussian(40, 7, 1);
        let p = 7.0;
        let e = rdm(x.as_ref(), &RdmSpec::new(RdmMethod::Euclidean)).unwrap();
        close(
            &e,
            &direct(&x, |a, b| {
                a.iter().zip(b).map(|(u, v)| (u - v).powi(2)).sum::<f64>() / p
            }),
            1e-12,
        );
        let c = rdm(x.as_ref(), &RdmSpec::new(RdmMethod::Cosine)).unwrap();
        let cos = |a: &[f64], b: &[f64]| {
            let dot: f64 = a.iter().zip(b).map(|(u, v)| u * v).sum();
            let na: f64 = a.iter().map(|u| u * u).sum::<f64>().sqrt();
            let nb: f64 = b.iter().map(|u| u * u).sum::<f64>().sqrt();
            1.0 - dot / (na * nb)
        };
        close(&c, &direct(&x, cos), 1e-12);
        let r = rdm(x.as_ref(), &RdmSpec::new(RdmMethod::Correlation)).unwrap();
        let centre = |a: &[f64]| {
            let m = a.iter().sum::<f64>() / a.len() as f64;
            a.iter().map(|v| v - m).collect::<Vec<_>>()
        };
        close(&r, &direct(&x, |a, b| cos(&centre(a), &centre(b))), 1e-12);
    }

    #[test]
    fn blocks_cover_every_pair() {
        // More conditions than one block holds.
        let x = gaussian(1500, 3, 2);
        let e = rdm(x.as_ref(), &RdmSpec::new(RdmMethod::Euclidean)).unwrap();
        assert!(block_rows(1500) < 1500);
        let check = |i: usize, j: usize| {
            let d: f64 = (0..3).map(|c| (x[(i, c)] - x[(j, c)]).powi(2)).sum::<f64>() / 3.0;
            let v = e[pair_index(1500, i, j)];
            assert!((v - d).abs() < 1e-10 * (1.0 + d), "({i},{j}) {v} {d}");
        };
        for (i, j) in [(0, 1), (0, 1499), (700, 701), (1497, 1499), (1498, 1499)] {
            check(i, j);
        }
    }

    #[test]
    fn bad_inputs_are_specific_errors() {
        let x = gaussian(2, 4, 3);
        let e = rdm(x.as_ref(), &RdmSpec::new(RdmMethod::Euclidean)).unwrap_err();
        assert!(e.to_string().contains("at least 3 conditions"), "{e}");
        let x = gaussian(6, 3, 3);
        let singular = Mat::from_fn(3, 3, |i, j| if i == j && i < 2 { 1.0 } else { 0.0 });
        let spec = RdmSpec {
            precision: Some(singular.as_ref()),
            ..RdmSpec::new(RdmMethod::Mahalanobis)
        };
        let e = rdm(x.as_ref(), &spec).unwrap_err();
        assert!(e.to_string().contains("singular"), "{e}");
        let conditions = [0, 1, 2, 0, 1, 2];
        let folds = [0, 0, 0, 0, 0, 0];
        let spec = RdmSpec {
            conditions: Some(&conditions),
            folds: Some(&folds),
            ..RdmSpec::new(RdmMethod::Crossnobis)
        };
        let e = rdm(x.as_ref(), &spec).unwrap_err();
        assert!(e.to_string().contains("at least 2 folds"), "{e}");
    }

    #[test]
    fn crossnobis_is_unbiased_around_zero_for_pure_noise() {
        // Identical true patterns: cross-validated distances scatter around 0.
        let (k, folds, p) = (6, 8, 50);
        let noise = gaussian(k * folds, p, 4);
        let conditions: Vec<usize> = (0..k * folds).map(|r| r % k).collect();
        let fold_of: Vec<usize> = (0..k * folds).map(|r| r / k).collect();
        let spec = RdmSpec {
            conditions: Some(&conditions),
            folds: Some(&fold_of),
            ..RdmSpec::new(RdmMethod::Crossnobis)
        };
        let d = rdm(noise.as_ref(), &spec).unwrap();
        // An identity precision changes nothing.
        let identity = Mat::from_fn(p, p, |i, j| f64::from(u8::from(i == j)));
        let with_identity = RdmSpec {
            precision: Some(identity.as_ref()),
            ..spec
        };
        assert_eq!(rdm(noise.as_ref(), &with_identity).unwrap(), d);
        let mean = d.iter().sum::<f64>() / d.len() as f64;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!(d.iter().any(|&v| v < 0.0));
    }
}
