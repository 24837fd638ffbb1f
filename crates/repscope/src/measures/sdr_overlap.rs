//! `sdr_overlap`: how much two representations agree as sparse distributed
//! representations. Each row (stimulus) is binarised to its `k` most active
//! units (top-k, ties to the lower index; see [`crate::sdr::encode`]), and
//! the score is the mean over stimuli of |on_X ∩ on_Y| / k. Units must
//! correspond (the same network at two checkpoints, or matched units), so
//! both representations need the same width.

use super::Footprint;
use faer::Par;

use super::{Invariance, Kind, Measure, MeasureInfo, ParamValue, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::sdr::{encode, overlap};

pub(crate) const SDR_OVERLAP_INFO: MeasureInfo = MeasureInfo {
    name: "sdr_overlap",
    kind: Kind::Similarity,
    needs_same_dim: true,
    symmetric: true,
    invariances: &[Invariance::IsotropicScaling],
    summary: "mean overlap of the top-k active units per stimulus (k-sparse binary codes), in [0, 1]",
    reference: "Ahmad & Hawkins 2016 (SDR overlap); top-k binarisation as in k-WTA",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d) to prepare, O(n·k) per pair",
};

/// Default fraction of active units when neither `k` nor `sparsity` is given
/// (the 2 % of Ahmad & Hawkins' examples).
const DEFAULT_SPARSITY: f64 = 0.02;

/// How many units are on per stimulus.
#[derive(Clone, Copy, Debug)]
enum Active {
    Count(usize),
    Fraction(f64),
}

#[derive(Clone, Debug)]
pub struct SdrOverlap {
    active: Active,
}

impl SdrOverlap {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let bad = |detail: String| Error::InvalidParameter {
            measure: SDR_OVERLAP_INFO.name.into(),
            detail,
        };
        let active = match (params.get("k"), params.get("sparsity")) {
            (Some(_), Some(_)) => return Err(bad("give k or sparsity, not both".into())),
            (Some(ParamValue::Number(k)), None) if k.fract() == 0.0 && *k >= 1.0 => {
                Active::Count(*k as usize)
            }
            (Some(other), None) => {
                return Err(bad(format!("k must be a whole number ≥ 1, not {other:?}")));
            }
            (None, Some(ParamValue::Number(f))) if *f > 0.0 && *f <= 1.0 => Active::Fraction(*f),
            (None, Some(other)) => {
                return Err(bad(format!("sparsity must be in (0, 1], not {other:?}")));
            }
            (None, None) => Active::Fraction(DEFAULT_SPARSITY),
        };
        Ok(Self { active })
    }

    fn k(&self, units: usize) -> usize {
        match self.active {
            Active::Count(k) => k.min(units),
            Active::Fraction(f) => crate::sdr::active_units(units, f).min(units),
        }
    }
}

/// The k-sparse code of every stimulus.
pub struct Codes {
    on: Vec<Vec<u32>>,
    units: usize,
    k: usize,
}

impl Measure for SdrOverlap {
    type Prepared = Codes;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let k = self.k(d) as f64;
        let (n, d) = (n as f64, d as f64);
        // k u32 indices per stimulus, plus a Vec header each.
        Footprint {
            kept: n * k / 2.0 + 3.0 * n,
            prepare: 1.5 * d,
            score: 0.0,
            prepare_flops: n * d,
            score_flops: n * k,
            block_scored: false,
        }
    }

    fn info(&self) -> &MeasureInfo {
        &SDR_OVERLAP_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Codes> {
        let k = self.k(x.x.ncols());
        Ok(Codes {
            on: encode(x.x, k),
            units: x.x.ncols(),
            k,
        })
    }

    fn score(&self, a: &Codes, b: &Codes, _par: Par) -> Result<f64> {
        if a.units != b.units {
            return Err(Error::ShapeMismatch {
                what: "the second representation's units (sdr_overlap compares unit by unit)"
                    .into(),
                expected: a.units,
                found: b.units,
            });
        }
        super::check_same_n(a.on.len(), b.on.len())?;
        let shared: usize = a.on.iter().zip(&b.on).map(|(x, y)| overlap(x, y)).sum();
        Ok(shared as f64 / (a.on.len() * a.k) as f64)
    }
}
