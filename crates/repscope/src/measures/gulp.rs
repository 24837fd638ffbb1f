//! GULP: the prediction-based distance of Boix-Adserà, Lawrence,
//! Stepaniants & Rigollet (2022), "GULP: a prediction-based metric between
//! representations", NeurIPS, Theorem 1.
//!
//! Each side is centred and scaled to ‖X_c‖²_F = n (so tr Σ_X = 1, with
//! Σ_X = X_cᵀX_c/n, Σ_XY = X_cᵀY_c/n); with Σ_{X,λ} = Σ_X + λI,
//!
//! ```text
//! d²_λ = tr(Σ_X Σ_{X,λ}⁻¹ Σ_X Σ_{X,λ}⁻¹) + tr(Σ_Y Σ_{Y,λ}⁻¹ Σ_Y Σ_{Y,λ}⁻¹)
//!        − 2 tr(Σ_{X,λ}⁻¹ Σ_XY Σ_{Y,λ}⁻¹ Σ_YX)
//! ```
//!
//! In the eigenbases of Σ_X and Σ_Y every term is a weighted sum, computed
//! from one p × q product per pair. λ = 0 uses the pseudo-inverse (eigenvalues
//! below dim·ε·λ_max dropped); then d²₀ = rank X + rank Y − 2 Σ ρᵢ². repscope
//! returns the metric d_λ = √d²_λ; the reference code returns d²_λ.

use super::Footprint;
use faer::{Mat, Par, Side};

use super::params::number_param;
use super::{Invariance, Kind, Measure, MeasureInfo, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::{center_columns, cross_product, sum_of_squares};

/// GULP distance with ridge parameter λ.
#[derive(Clone, Debug)]
pub struct Gulp {
    pub lambda: f64,
}

pub(crate) const GULP_INFO: MeasureInfo = MeasureInfo {
    name: "gulp",
    kind: Kind::Distance,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "distance between the best ridge (lambda) linear predictions from each representation",
    reference: "Boix-Adsera et al. 2022, NeurIPS, Theorem 1",
    range: None,
    identical: Some(0.0),
    cost: "O(n·d² + d³) to prepare, O(d²) per pair",
};

impl Gulp {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let lambda = number_param(
            params,
            "gulp",
            "lambda",
            0.0,
            |v| v.is_finite() && v >= 0.0,
            "a number ≥ 0",
        )?;
        Ok(Self { lambda })
    }
}

/// Data in the eigenbasis of its covariance, with the inverse weights.
pub struct Whitened {
    /// X_c V, scaled so ‖·‖²_F = n.
    rotated: Mat<f64>,
    /// 1/(λ_k + λ), or the pseudo-inverse weights for λ = 0.
    inverse: Vec<f64>,
    /// tr(Σ Σ_λ⁻¹ Σ Σ_λ⁻¹) = Σ (λ_k w_k)².
    self_term: f64,
}

impl Measure for Gulp {
    type Prepared = Whitened;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let (n, d) = (n as f64, d as f64);
        // Covariance, its eigenvectors and the rotated data.
        Footprint {
            kept: n * d + d,
            prepare: n * d + 4.0 * d * d,
            score: d * d,
            prepare_flops: 4.0 * n * d * d + 9.0 * d * d * d,
            score_flops: 2.0 * n * d * d,
            block_scored: false,
        }
    }

    fn info(&self) -> &MeasureInfo {
        &GULP_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Whitened> {
        let n = x.x.nrows() as f64;
        let mut c = center_columns(x.x);
        let total = sum_of_squares(c.as_ref());
        if total == 0.0 {
            return Err(Error::Undefined {
                measure: "gulp".into(),
                array: x.name.into(),
                detail: "every unit is constant across stimuli".into(),
            });
        }
        let scale = (n / total).sqrt();
        c.col_iter_mut()
            .for_each(|col| col.iter_mut().for_each(|v| *v *= scale));
        let cov = cross_product(c.as_ref(), c.as_ref(), ctx.par) * (1.0 / n);
        let eig = cov
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| Error::internal(format!("eigendecomposition failed: {e:?}")))?;
        let values: Vec<f64> = eig.S().column_vector().iter().map(|v| v.max(0.0)).collect();
        let top = values.iter().copied().fold(0.0, f64::max);
        let tol = values.len() as f64 * f64::EPSILON * top;
        let inverse: Vec<f64> = values
            .iter()
            .map(|&v| {
                if self.lambda > 0.0 {
                    1.0 / (v + self.lambda)
                } else if v > tol {
                    1.0 / v
                } else {
                    0.0
                }
            })
            .collect();
        let self_term = values
            .iter()
            .zip(&inverse)
            .map(|(v, w)| (v * w).powi(2))
            .sum();
        let mut rotated = Mat::zeros(c.nrows(), c.ncols());
        faer::linalg::matmul::matmul(
            rotated.as_mut(),
            faer::Accum::Replace,
            c.as_ref(),
            eig.U(),
            1.0,
            ctx.par,
        );
        Ok(Whitened {
            rotated,
            inverse,
            self_term,
        })
    }

    fn score(&self, a: &Whitened, b: &Whitened, par: Par) -> Result<f64> {
        super::check_same_n(a.rotated.nrows(), b.rotated.nrows())?;
        if std::ptr::eq(a, b) {
            return Ok(0.0);
        }
        let n = a.rotated.nrows() as f64;
        let m = cross_product(a.rotated.as_ref(), b.rotated.as_ref(), par);
        let mut cross = 0.0;
        for j in 0..m.ncols() {
            for i in 0..m.nrows() {
                let v = m[(i, j)] / n;
                cross += a.inverse[i] * v * v * b.inverse[j];
            }
        }
        Ok((a.self_term + b.self_term - 2.0 * cross).max(0.0).sqrt())
    }
}
