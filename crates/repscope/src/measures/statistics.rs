//! Differences of simple statistics of two representations (Klabunde et
//! al. 2023 survey, "representation statistics"). Each is |s(X) − s(Y)|, a
//! distance, and needs no correspondence between units, only between the
//! numbers of stimuli.
//!
//! - `magnitude`: s = ‖x̄‖, the length of the mean representation.
//! - `concentricity`: s = mean over stimuli of cos(xᵢ, x̄) (0 when x̄ = 0).
//! - `uniformity` (Wang & Isola 2020, ICML, eq. 9): s = log of the mean of
//!   exp(−t ‖x̂ᵢ − x̂ⱼ‖²) over pairs i < j of unit-length rows x̂ (t = 2). This
//!   is Wang & Isola's definition; ReSi's code uses the raw rows and all n²
//!   ordered pairs, which makes the difference vanish for large-norm data.

use super::Footprint;
use faer::{Mat, Par};

use super::{Invariance, Kind, Measure, MeasureInfo, ParamValue, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::norms::normalize_rows;

/// Which statistic is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Statistic {
    Magnitude,
    Concentricity,
    Uniformity,
}

/// |statistic(X) − statistic(Y)|.
#[derive(Clone, Debug)]
pub struct StatisticDifference {
    pub statistic: Statistic,
    /// Temperature of `uniformity`.
    pub t: f64,
    info: &'static MeasureInfo,
}

macro_rules! info {
    ($name:ident, $id:literal, $inv:expr, $summary:literal, $reference:literal, $cost:literal) => {
        pub(crate) const $name: MeasureInfo = MeasureInfo {
            name: $id,
            kind: Kind::Distance,
            needs_same_dim: false,
            symmetric: true,
            invariances: $inv,
            summary: $summary,
            reference: $reference,
            range: None,
            identical: Some(0.0),
            cost: $cost,
        };
    };
}

info!(
    MAGNITUDE_INFO,
    "magnitude",
    &[Invariance::Permutation, Invariance::Orthogonal],
    "absolute difference of the lengths of the mean representations",
    "Klabunde et al. 2023 survey",
    "O(n·d) to prepare, O(1) per pair"
);
info!(
    CONCENTRICITY_INFO,
    "concentricity",
    &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling
    ],
    "absolute difference of the mean cosine of each stimulus to the mean representation",
    "Klabunde et al. 2023 survey",
    "O(n·d) to prepare, O(1) per pair"
);
info!(
    UNIFORMITY_INFO,
    "uniformity",
    &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling
    ],
    "absolute difference of Wang & Isola's uniformity of the unit-length rows (t = 2)",
    "Wang & Isola 2020, ICML, eq. (9)",
    "O(n²·d) to prepare, O(1) per pair"
);

impl StatisticDifference {
    pub(crate) fn from_params(statistic: Statistic, params: &Params) -> Result<Self> {
        let info = match statistic {
            Statistic::Magnitude => &MAGNITUDE_INFO,
            Statistic::Concentricity => &CONCENTRICITY_INFO,
            Statistic::Uniformity => &UNIFORMITY_INFO,
        };
        let t = match params.get("t") {
            None => 2.0,
            Some(ParamValue::Number(v))
                if v.is_finite() && *v > 0.0 && statistic == Statistic::Uniformity =>
            {
                *v
            }
            Some(other) => {
                return Err(Error::InvalidParameter {
                    measure: info.name.into(),
                    detail: format!("t (uniformity only) must be a positive number, not {other:?}"),
                });
            }
        };
        Ok(Self { statistic, t, info })
    }

    fn statistic_of(&self, x: faer::MatRef<'_, f64>) -> f64 {
        let n = x.nrows();
        let mean: Vec<f64> = (0..x.ncols())
            .map(|j| x.col(j).iter().sum::<f64>() / n as f64)
            .collect();
        let mean_norm = mean.iter().map(|v| v * v).sum::<f64>().sqrt();
        match self.statistic {
            Statistic::Magnitude => mean_norm,
            Statistic::Concentricity => {
                if mean_norm == 0.0 {
                    return 0.0;
                }
                (0..n)
                    .map(|i| {
                        let row_norm = x.row(i).iter().map(|v| v * v).sum::<f64>().sqrt();
                        if row_norm == 0.0 {
                            return 0.0;
                        }
                        let dot: f64 = x.row(i).iter().zip(&mean).map(|(a, b)| a * b).sum();
                        (dot / (row_norm * mean_norm)).clamp(-1.0, 1.0)
                    })
                    .sum::<f64>()
                    / n as f64
            }
            Statistic::Uniformity => {
                let unit: Mat<f64> = normalize_rows(x);
                let g = crate::linalg::gram(unit.as_ref(), Par::Seq);
                let mut total = 0.0;
                for i in 0..n {
                    for j in i + 1..n {
                        let d2 = (g[(i, i)] + g[(j, j)] - 2.0 * g[(i, j)]).max(0.0);
                        total += (-self.t * d2).exp();
                    }
                }
                (total / (n * (n - 1) / 2) as f64).ln()
            }
        }
    }
}

impl Measure for StatisticDifference {
    type Prepared = f64;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let uniformity = matches!(self.statistic, Statistic::Uniformity);
        let (n, d) = (n as f64, d as f64);
        Footprint {
            kept: 1.0,
            prepare: if uniformity { 2.0 * n * d + n * n } else { d },
            score: 0.0,
            prepare_flops: if uniformity {
                2.0 * n * n * d
            } else {
                5.0 * n * d
            },
            score_flops: 1.0,
            block_scored: false,
        }
    }

    fn info(&self) -> &MeasureInfo {
        self.info
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<f64> {
        if self.statistic == Statistic::Uniformity && x.x.nrows() < 2 {
            return Err(Error::Undefined {
                measure: "uniformity".into(),
                array: x.name.into(),
                detail: "it needs at least 2 stimuli".into(),
            });
        }
        Ok(self.statistic_of(x.x))
    }

    fn score(&self, a: &f64, b: &f64, _par: Par) -> Result<f64> {
        Ok((a - b).abs())
    }
}
