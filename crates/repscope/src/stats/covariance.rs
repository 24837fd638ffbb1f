//! Noise covariance and precision from residuals, with shrinkage, for the
//! Mahalanobis and crossnobis dissimilarities.
//!
//! X is the n × P residual matrix (measurements × channels), column-centred
//! here; S = XᵀX; d the degrees of freedom (n − 1 unless given). Estimators,
//! with rsatoolbox's conventions (`data/noise.py`) so results agree:
//!
//! - `full`: Σ = S / d;
//! - `diag`: the diagonal of S / d;
//! - `shrinkage_eye`: Ledoit & Wolf (2004), "A well-conditioned estimator
//!   for large-dimensional covariance matrices", J. Multivariate Anal. 88:
//!   with s = S / n, μ = tr s / P, δ² = ‖s − μI‖²_F and
//!   β² = min(δ², n⁻² Σ_k ‖x_k x_kᵀ − s‖²_F),
//!   Σ = (β²/δ²) μ I + (1 − β²/δ²) s, then scaled by n / d;
//! - `shrinkage_diag`: Schäfer & Strimmer (2005), "A shrinkage approach to
//!   large-scale covariance matrix estimation", Stat. Appl. Genet. Mol.
//!   Biol. 4(1), target D (diagonal): off-diagonal entries of S / d shrunk by
//!   (1 − λ), λ = Σ_{a≠b} Var̂(r_ab) / Σ_{a≠b} r_ab² clipped to [0, 1], with
//!   r_ab = S_ab / (√(v_a v_b) (n − 1)), v = diag(S / d) and
//!   Var̂(r_ab) = n / d² · (Σ_k x_ka² x_kb² / (v_a v_b (n − 1)) − r_ab²).
//!
//! The precision is the inverse of the covariance (through a Cholesky
//! factorisation, which also tells a singular estimate apart).

use faer::linalg::solvers::{DenseSolveCore, Llt};
use faer::{Mat, MatRef, Par, Side};

use crate::data::check_finite;
use crate::error::{Error, Result};
use crate::linalg::{center_columns, lower_cross_product, symmetric_sum_of_squares};

crate::choice! {
    /// Covariance estimators (rsatoolbox's names).
    pub enum CovarianceMethod: "covariance estimator" {
        /// The sample covariance.
        Full = "full",
        /// Only the variances (a diagonal matrix).
        Diag = "diag",
        /// Ledoit-Wolf shrinkage towards a scaled identity.
        ShrinkageEye = "shrinkage_eye",
        /// Schafer-Strimmer shrinkage towards the diagonal.
        ShrinkageDiag = "shrinkage_diag",
    }
}

/// The noise covariance of `residuals` (measurements × channels).
pub fn noise_covariance(
    residuals: MatRef<'_, f64>,
    method: CovarianceMethod,
    dof: Option<f64>,
) -> Result<Mat<f64>> {
    crate::data::check_not_empty("residuals", residuals)?;
    check_finite("residuals", residuals)?;
    let n = residuals.nrows();
    if n < 2 {
        return Err(Error::InvalidParameter {
            measure: "noise covariance".into(),
            detail: format!("needs at least 2 residual rows, got {n}"),
        });
    }
    let d = dof.unwrap_or((n - 1) as f64);
    if d.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(Error::InvalidParameter {
            measure: "noise covariance".into(),
            detail: format!("degrees of freedom must be positive, got {d}"),
        });
    }
    covariance_of_centred(center_columns(residuals).as_ref(), method, d)
}

/// The covariance estimate from column-centred residuals `x` (n × P) with
/// `d` degrees of freedom: the estimators of [`noise_covariance`], on the
/// lower triangle of S = XᵀX (half a product) and sums over rows, so no
/// other P × P product is formed (the searchlight calls this per sphere).
pub(crate) fn covariance_of_centred(
    x: MatRef<'_, f64>,
    method: CovarianceMethod,
    d: f64,
) -> Result<Mat<f64>> {
    let (n, p) = (x.nrows(), x.ncols());
    let mut s = lower_cross_product(x, Par::Seq);
    for b in 0..p {
        for a in 0..b {
            s[(a, b)] = s[(b, a)];
        }
    }
    let nf = n as f64;
    Ok(match method {
        CovarianceMethod::Full => Mat::from_fn(p, p, |a, b| s[(a, b)] / d),
        CovarianceMethod::Diag => {
            Mat::from_fn(p, p, |a, b| if a == b { s[(a, a)] / d } else { 0.0 })
        }
        CovarianceMethod::ShrinkageEye => {
            let mu = (0..p).map(|a| s[(a, a)]).sum::<f64>() / nf / p as f64;
            let sum_sq_s = symmetric_sum_of_squares(s.as_ref()) / (nf * nf);
            // ‖s − μI‖²_F summed directly (not as ‖s‖² − Pμ², which cancels
            // when s is near μI).
            let delta2: f64 = (0..p)
                .flat_map(|a| (0..p).map(move |b| (a, b)))
                .map(|(a, b)| {
                    let t = s[(a, b)] / nf - if a == b { mu } else { 0.0 };
                    t * t
                })
                .sum();
            // (1/n²) Σ_k ‖x_k x_kᵀ − s‖²_F = (1/n²) Σ_k ‖x_k‖⁴ − ‖s‖²_F / n
            // Row norms ‖x_k‖², summed column by column (each row's sum in
            // channel order, as a row-by-row loop would).
            let mut norms = vec![0.0f64; n];
            for a in 0..p {
                for (s, v) in norms.iter_mut().zip(x.col(a).iter()) {
                    *s += v * v;
                }
            }
            let fourth: f64 = norms.iter().map(|s| s * s).sum();
            let beta2_raw = fourth / (nf * nf) - sum_sq_s / nf;
            let beta2 = beta2_raw.min(delta2);
            let weight = if delta2 > 0.0 { beta2 / delta2 } else { 1.0 };
            Mat::from_fn(p, p, |a, b| {
                let target = if a == b { mu } else { 0.0 };
                (weight * target + (1.0 - weight) * s[(a, b)] / nf) * nf / d
            })
        }
        CovarianceMethod::ShrinkageDiag => {
            let v: Vec<f64> = (0..p).map(|a| s[(a, a)] / d).collect();
            if let Some(a) = v.iter().position(|&v| v <= 0.0) {
                return Err(Error::Undefined {
                    measure: "shrinkage_diag covariance".into(),
                    array: format!("channel {a}"),
                    detail: "its residuals have zero variance".into(),
                });
            }
            let n1 = nf - 1.0;
            // Σ_{a≠b} Σ_k x_ka² x_kb² / (v_a v_b) = Σ_k [(Σ_a y_ka)² − Σ_a y_ka²]
            // with y_ka = x_ka² / v_a: sums over rows, no (X∘X)ᵀ(X∘X).
            let (mut sum, mut sum_sq) = (vec![0.0f64; n], vec![0.0f64; n]);
            for (a, va) in v.iter().enumerate() {
                for ((s1, s2), xv) in sum.iter_mut().zip(sum_sq.iter_mut()).zip(x.col(a).iter()) {
                    let y = xv * xv / va;
                    *s1 += y;
                    *s2 += y * y;
                }
            }
            let q_off: f64 = sum.iter().zip(&sum_sq).map(|(s1, s2)| s1 * s1 - s2).sum();
            // Σ_{a≠b} r_ab², r_ab = S_ab / (√(v_a v_b) (n − 1))
            let r2_sum: f64 = (0..p)
                .map(|b| {
                    (b + 1..p)
                        .map(|a| s[(a, b)] * s[(a, b)] / (v[a] * v[b]))
                        .sum::<f64>()
                })
                .sum::<f64>()
                * 2.0
                / (n1 * n1);
            // Σ_{a≠b} Var̂(r_ab) = n / d² (Σ_{a≠b} q_ab / (v_a v_b (n − 1)) − Σ r_ab²)
            let var_sum = nf / (d * d) * (q_off / n1 - r2_sum);
            let lambda = if r2_sum > 0.0 {
                (var_sum / r2_sum).clamp(0.0, 1.0)
            } else {
                1.0
            };
            Mat::from_fn(p, p, |a, b| {
                if a == b {
                    v[a]
                } else {
                    s[(a, b)] / d * (1.0 - lambda)
                }
            })
        }
    })
}

/// The Cholesky factor of a covariance estimate from `rows` residual rows,
/// or an error that says how to get a non-singular one.
pub(crate) fn cholesky_of(cov: &Mat<f64>, rows: usize) -> Result<Llt<f64>> {
    cov.llt(Side::Lower)
        .map_err(|_| singular(cov.nrows(), rows))
}

/// The lower Cholesky factor L (Σ = L Lᵀ) of `cov`, factored in place on
/// the calling thread (the strict upper triangle set to zero). A
/// searchlight sphere runs inside a parallel loop, where faer's `llt`
/// (which takes every thread of the pool, even for 123 × 123) measured 3–5
/// times slower than this.
pub(crate) fn cholesky_factor_seq(mut cov: Mat<f64>, rows: usize) -> Result<Mat<f64>> {
    use faer::dyn_stack::{MemBuffer, MemStack};
    use faer::linalg::cholesky::llt::factor::{cholesky_in_place, cholesky_in_place_scratch};
    let p = cov.nrows();
    let mut buffer = MemBuffer::new(cholesky_in_place_scratch::<f64>(
        p,
        Par::Seq,
        Default::default(),
    ));
    cholesky_in_place(
        cov.as_mut(),
        Default::default(),
        Par::Seq,
        MemStack::new(&mut buffer),
        Default::default(),
    )
    .map_err(|_| singular(p, rows))?;
    for j in 1..p {
        cov.col_mut(j).subrows_mut(0, j).fill(0.0);
    }
    Ok(cov)
}

/// A singular covariance estimate, and how to get a non-singular one.
fn singular(channels: usize, rows: usize) -> Error {
    Error::InvalidParameter {
        measure: "noise precision".into(),
        detail: format!(
            "the estimated covariance ({channels} channels from {rows} residual rows) is \
             singular; use method 'shrinkage_diag' or 'shrinkage_eye', or more residuals",
        ),
    }
}

/// The noise precision: the inverse of [`noise_covariance`].
pub fn noise_precision(
    residuals: MatRef<'_, f64>,
    method: CovarianceMethod,
    dof: Option<f64>,
) -> Result<Mat<f64>> {
    let cov = noise_covariance(residuals, method, dof)?;
    let inv = cholesky_of(&cov, residuals.nrows())?.inverse();
    // Symmetrise: the inverse of a symmetric matrix, up to rounding.
    let p = inv.nrows();
    Ok(Mat::from_fn(p, p, |a, b| 0.5 * (inv[(a, b)] + inv[(b, a)])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gaussian;

    #[test]
    fn full_is_the_sample_covariance_and_shrinkage_is_well_conditioned() {
        let x = gaussian(30, 4, 3);
        let full = noise_covariance(x.as_ref(), CovarianceMethod::Full, None).unwrap();
        let xc = center_columns(x.as_ref());
        let direct: f64 = (0..30).map(|k| xc[(k, 1)] * xc[(k, 2)]).sum::<f64>() / 29.0;
        assert!((full[(1, 2)] - direct).abs() < 1e-14);
        // More channels than residuals: the full estimate is singular, the
        // shrinkage ones are not.
        let wide = gaussian(5, 12, 4);
        assert!(noise_precision(wide.as_ref(), CovarianceMethod::Full, None).is_err());
        for m in [
            CovarianceMethod::ShrinkageEye,
            CovarianceMethod::ShrinkageDiag,
        ] {
            let prec = noise_precision(wide.as_ref(), m, None).unwrap();
            assert!(prec[(0, 0)].is_finite());
        }
    }
}
