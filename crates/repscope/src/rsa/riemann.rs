//! The negative Riemannian distance between RDMs (rsatoolbox's
//! `neg_riem_dist`; Shahbazi et al. 2021, "Using distance on the
//! Riemannian manifold to compare representations in brain and in
//! models", NeuroImage 239, 118271).
//!
//! Each RDM becomes the second-moment matrix of the patterns relative to
//! the first condition, G (n − 1 square): Gᵢᵢ = d₀ᵢ, Gᵢⱼ = (d₀ᵢ + d₀ⱼ − dᵢⱼ)/2.
//! A model's G₁ is fitted to a data RDM's G₂ with a scale and a noise term,
//!
//! ```text
//! value = −min over θ of  √( Σₖ log² λₖ( e^θ₀ G₁ + e^θ₁ Σ̂,  G₂ ) )
//! ```
//!
//! with λₖ the generalised eigenvalues and Σ̂ = P Σ Pᵀ the pattern covariance
//! Σ (identity, or one variance per condition) seen relative to the first
//! condition (P = [−1 | I]). rsatoolbox minimises with scipy's Nelder–Mead
//! at its default tolerances (1e-4 in θ and in the value), so its values
//! are that close to the minimum; repscope runs the same search from the
//! same start to 1e-10 in θ.

use faer::{Mat, MatRef, Side};

use super::condensed::n_conditions;
use crate::error::{Error, Result};
use crate::stats::optimize::{NelderMead, nelder_mead};

/// An RDM prepared for the Riemannian comparison.
#[derive(Clone, Debug)]
pub struct Moment {
    /// G relative to the first condition.
    g: Mat<f64>,
    /// Σ̂ = P Σ Pᵀ.
    sigma_hat: Mat<f64>,
}

/// G and Σ̂ of a complete condensed RDM (`sigma_k`: one pattern variance
/// per condition; identity when absent).
pub fn moment(rdm: &[f64], sigma_k: Option<&[f64]>) -> Result<Moment> {
    let n = n_conditions(rdm.len())?;
    if rdm.iter().any(|v| !v.is_finite()) {
        return Err(Error::InvalidRdm {
            detail: "neg_riem_dist needs complete, finite RDMs".into(),
        });
    }
    let d = |i: usize, j: usize| -> f64 {
        if i == j {
            return 0.0;
        }
        let (a, b) = (i.min(j), i.max(j));
        rdm[super::condensed::pair_index(n, a, b)]
    };
    let m = n - 1;
    let g = Mat::from_fn(m, m, |i, j| {
        if i == j {
            d(0, i + 1)
        } else {
            (d(0, i + 1) + d(0, j + 1) - d(i + 1, j + 1)) / 2.0
        }
    });
    let var = |c: usize| sigma_k.map_or(1.0, |s| s[c]);
    // (P Σ Pᵀ)ᵢⱼ = σ₀ + [i = j] σᵢ₊₁ for a diagonal Σ.
    let sigma_hat = Mat::from_fn(m, m, |i, j| var(0) + if i == j { var(i + 1) } else { 0.0 });
    Ok(Moment { g, sigma_hat })
}

/// −min_θ of the Riemannian distance of e^θ₀ G₁ + e^θ₁ Σ̂ to G₂ (NaN when
/// G₂ is not positive definite, as rsatoolbox cannot compute it either).
pub fn neg_riemannian_distance(model: &Moment, data: &Moment) -> f64 {
    let Some(w) = inverse_sqrt(data.g.as_ref()) else {
        return f64::NAN;
    };
    // The generalised eigenvalues of (A, G₂) are those of W A W, W = G₂^-½.
    let g1 = &w * &model.g * &w;
    let noise = &w * &model.sigma_hat * &w;
    let distance = |theta: [f64; 2]| -> f64 {
        let (a, b) = (theta[0].exp(), theta[1].exp());
        let c = Mat::from_fn(g1.nrows(), g1.ncols(), |i, j| {
            a * g1[(i, j)] + b * noise[(i, j)]
        });
        match c.self_adjoint_eigenvalues(Side::Lower) {
            Ok(values) if values.iter().all(|&l| l > 0.0) => {
                values.iter().map(|l| l.ln().powi(2)).sum::<f64>().sqrt()
            }
            _ => f64::INFINITY,
        }
    };
    -nelder_mead(
        |x: &[f64]| distance([x[0], x[1]]),
        &[0.0, 0.0],
        &NelderMead::default(),
    )
    .1
}

/// G^-½ of a symmetric positive-definite matrix; `None` when it is not.
fn inverse_sqrt(g: MatRef<'_, f64>) -> Option<Mat<f64>> {
    let eig = g.self_adjoint_eigen(Side::Lower).ok()?;
    let (u, s) = (eig.U(), eig.S());
    let n = g.nrows();
    if (0..n).any(|k| s[k] <= 0.0 || !s[k].is_finite()) {
        return None;
    }
    let scaled = Mat::from_fn(n, n, |i, k| u[(i, k)] / s[k].sqrt());
    Some(&scaled * u.transpose())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rdm_against_itself_is_at_distance_near_zero() {
        // Squared distances of 4 points in general position in 3-D: a
        // Euclidean RDM whose G is positive definite.
        let points: [[f64; 3]; 4] = [
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.2],
            [0.0, 2.0, 0.5],
            [1.5, 1.0, 1.0],
        ];
        let mut rdm = Vec::new();
        for i in 0..4 {
            for j in i + 1..4 {
                let d: f64 = (0..3).map(|k| (points[i][k] - points[j][k]).powi(2)).sum();
                rdm.push(d);
            }
        }
        let g = moment(&rdm, None).unwrap();
        let self_value = neg_riemannian_distance(&g, &g);
        // The noise term cannot vanish (e^θ₁ > 0): close to 0 from below.
        assert!(self_value <= 0.0 && self_value > -1e-3, "{self_value}");
        let other: Vec<f64> = rdm.iter().rev().copied().collect();
        let h = moment(&other, None).unwrap();
        assert!(neg_riemannian_distance(&h, &g) < self_value);
        assert!(moment(&[1.0, f64::NAN, 2.0], None).is_err());
    }
}
