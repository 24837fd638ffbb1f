//! Measures on the matrices of pairwise distances between stimuli.
//!
//! - `distance_correlation` (Székely, Rizzo & Bakirov 2007, Ann. Stat. 35,
//!   eq. 2.8–2.10): with A, B the double-centred Euclidean distance matrices,
//!   dCor = √(⟨A, B⟩ / √(⟨A, A⟩ ⟨B, B⟩)) (the V-statistic); 0 when either
//!   side has no spread (as Székely define it; ReSi gives NaN).
//! - `rsm_norm_diff` (Klabunde et al. 2023 survey): the Frobenius norm of the
//!   difference of the two Euclidean distance matrices, ‖D_X − D_Y‖_F over
//!   all n² entries. ReSi's code takes the spectral norm of the square
//!   matrix, which its own comment says was not intended.
//!
//! Both keep the n × n matrices packed (lower triangle), and distance
//! correlation scores many pairs in one pass over memory.

use super::Footprint;
use faer::{Mat, Par};

use super::{Invariance, Kind, Measure, MeasureInfo, PrepareContext};
use crate::data::RepRef;
use crate::error::Result;
use crate::linalg::packed::{PackedSymmetric, block_dots_of};
use crate::linalg::{double_centre, gram};

fn distances(x: RepRef<'_>, par: Par) -> Mat<f64> {
    let g = gram(x.x, par);
    let n = g.nrows();
    Mat::from_fn(n, n, |i, j| {
        (g[(i, i)] + g[(j, j)] - 2.0 * g[(i, j)]).max(0.0).sqrt()
    })
}

/// Distance correlation.
#[derive(Clone, Debug, Default)]
pub struct DistanceCorrelation;

pub(crate) const DISTANCE_CORRELATION_INFO: MeasureInfo = MeasureInfo {
    name: "distance_correlation",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "distance correlation (V-statistic) of the stimuli under the two representations",
    reference: "Székely, Rizzo & Bakirov 2007, Ann. Stat. 35",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n²·d) to prepare, O(n²) per pair",
};

/// A double-centred distance matrix.
pub struct CentredDistances {
    a: PackedSymmetric,
    self_dot: f64,
}

impl Measure for DistanceCorrelation {
    type Prepared = CentredDistances;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        // Gram and distances (n × n each), then the packed, centred distances.
        Footprint::packed(n, d, 2.0, true)
    }

    fn info(&self) -> &MeasureInfo {
        &DISTANCE_CORRELATION_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<CentredDistances> {
        let mut d = distances(x, ctx.par);
        double_centre(&mut d);
        let a = PackedSymmetric::from_lower(d.as_ref());
        let self_dot = a.dot(&a);
        Ok(CentredDistances { a, self_dot })
    }

    fn score(&self, a: &CentredDistances, b: &CentredDistances, _par: Par) -> Result<f64> {
        super::check_same_n(a.a.n(), b.a.n())?;
        let cov = if std::ptr::eq(a, b) {
            a.self_dot
        } else {
            a.a.dot(&b.a)
        };
        Ok(ratio(cov, a.self_dot, b.self_dot))
    }

    fn score_block(
        &self,
        a: &[&CentredDistances],
        b: &[&CentredDistances],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Result<Vec<f64>>> {
        let dots = block_dots_of(a, b, pairs, par, |c| &c.a)?;
        Some(Ok(pairs
            .iter()
            .zip(dots)
            .map(|(&(i, j), d)| ratio(d, a[i].self_dot, b[j].self_dot))
            .collect()))
    }
}

fn ratio(cov: f64, var_a: f64, var_b: f64) -> f64 {
    if var_a <= 0.0 || var_b <= 0.0 {
        0.0
    } else {
        (cov / (var_a.sqrt() * var_b.sqrt())).max(0.0).sqrt()
    }
}

/// Frobenius norm of the difference of the distance matrices.
#[derive(Clone, Debug, Default)]
pub struct RsmNormDiff;

pub(crate) const RSM_NORM_DIFF_INFO: MeasureInfo = MeasureInfo {
    name: "rsm_norm_diff",
    kind: Kind::Distance,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::Translation,
    ],
    summary: "Frobenius norm of the difference of the Euclidean distance matrices",
    reference: "Klabunde et al. 2023 survey (RSM norm difference)",
    range: None,
    identical: Some(0.0),
    cost: "O(n²·d) to prepare, O(n²) per pair",
};

/// A distance matrix, packed.
pub struct PackedDistances(PackedSymmetric);

impl Measure for RsmNormDiff {
    type Prepared = PackedDistances;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let n_f = n as f64;
        Footprint {
            score_flops: 1.5 * n_f * n_f,
            ..Footprint::packed(n, d, 2.0, false)
        }
    }

    fn info(&self) -> &MeasureInfo {
        &RSM_NORM_DIFF_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<PackedDistances> {
        Ok(PackedDistances(PackedSymmetric::from_lower(
            distances(x, ctx.par).as_ref(),
        )))
    }

    fn score(&self, a: &PackedDistances, b: &PackedDistances, _par: Par) -> Result<f64> {
        super::check_same_n(a.0.n(), b.0.n())?;
        Ok(a.0.distance(&b.0))
    }
}
