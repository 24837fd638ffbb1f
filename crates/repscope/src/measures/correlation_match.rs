//! Unit-to-unit correlation matching (Li, Yosinski, Clune, Lipson &
//! Hopcroft 2016, "Convergent Learning: Do different neural networks learn
//! the same representations?", ICLR; as summarised by Klabunde et al.'s
//! survey).
//!
//! C is the p × q matrix of Pearson correlations between the units of X and
//! those of Y (a constant unit correlates 0 with everything).
//!
//! - `hard_match`: the one-to-one matching maximising the sum of signed
//!   correlations (linear sum assignment), reported as the mean matched
//!   correlation over min(p, q) pairs.
//! - `soft_match`: ½ (mean over X's units of their best correlation in Y +
//!   mean over Y's units of their best in X).

use super::Footprint;
use faer::{Mat, Par};

use super::{Invariance, Kind, Measure, MeasureInfo, PrepareContext};
use crate::data::RepRef;
use crate::error::Result;
use crate::linalg::assignment::linear_sum_assignment;
use crate::linalg::{unit_column_correlations, unit_columns};

const INVARIANCES: &[Invariance] = &[Invariance::Permutation, Invariance::Translation];

/// Hungarian matching of units by correlation.
#[derive(Clone, Debug, Default)]
pub struct HardMatch;

/// Best-partner matching of units by correlation, both ways.
#[derive(Clone, Debug, Default)]
pub struct SoftMatch;

pub(crate) const HARD_MATCH_INFO: MeasureInfo = MeasureInfo {
    name: "hard_match",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: INVARIANCES,
    summary: "mean correlation of units matched one-to-one (Hungarian, maximising the summed correlation)",
    reference: "Li et al. 2016, ICLR (convergent learning)",
    range: Some((-1.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d³) per pair (assignment)",
};

pub(crate) const SOFT_MATCH_INFO: MeasureInfo = MeasureInfo {
    name: "soft_match",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: INVARIANCES,
    summary: "mean of each unit's best correlation with the other network, averaged over both directions",
    reference: "Li et al. 2016, ICLR (semi-matching, symmetrised)",
    range: Some((-1.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d²·iterations) per pair",
};

/// Units as centred, unit-length columns (constant units become zero).
pub struct UnitColumns(Mat<f64>);

fn standardise(x: RepRef<'_>) -> UnitColumns {
    UnitColumns(unit_columns(x.x))
}

fn correlations(a: &UnitColumns, b: &UnitColumns, par: Par) -> Result<Mat<f64>> {
    super::check_same_n(a.0.nrows(), b.0.nrows())?;
    Ok(unit_column_correlations(a.0.as_ref(), b.0.as_ref(), par))
}

/// Unit columns kept; a score forms the d × d correlations (and, for the
/// assignment, a transposed copy).
fn unit_columns_footprint(n: usize, d: usize) -> Footprint {
    let (n, d) = (n as f64, d as f64);
    Footprint {
        kept: n * d,
        prepare: 0.0,
        score: 2.0 * d * d,
        prepare_flops: 4.0 * n * d,
        score_flops: 2.0 * n * d * d,
        block_scored: false,
    }
}

impl Measure for HardMatch {
    type Prepared = UnitColumns;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        unit_columns_footprint(n, d)
    }

    fn info(&self) -> &MeasureInfo {
        &HARD_MATCH_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<UnitColumns> {
        Ok(standardise(x))
    }

    fn score(&self, a: &UnitColumns, b: &UnitColumns, par: Par) -> Result<f64> {
        let c = correlations(a, b, par)?;
        let c = if c.nrows() <= c.ncols() {
            c
        } else {
            c.transpose().to_owned()
        };
        let cols = linear_sum_assignment(c.as_ref(), true)?;
        Ok(cols
            .iter()
            .enumerate()
            .map(|(i, &j)| c[(i, j)])
            .sum::<f64>()
            / cols.len() as f64)
    }
}

impl Measure for SoftMatch {
    type Prepared = UnitColumns;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        unit_columns_footprint(n, d)
    }

    fn info(&self) -> &MeasureInfo {
        &SOFT_MATCH_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<UnitColumns> {
        Ok(standardise(x))
    }

    fn score(&self, a: &UnitColumns, b: &UnitColumns, par: Par) -> Result<f64> {
        let c = correlations(a, b, par)?;
        let (p, q) = (c.nrows(), c.ncols());
        let row_best = (0..p)
            .map(|i| c.row(i).iter().copied().fold(f64::NEG_INFINITY, f64::max))
            .sum::<f64>()
            / p as f64;
        let col_best = (0..q)
            .map(|j| c.col(j).iter().copied().fold(f64::NEG_INFINITY, f64::max))
            .sum::<f64>()
            / q as f64;
        Ok(0.5 * (row_best + col_best))
    }
}
