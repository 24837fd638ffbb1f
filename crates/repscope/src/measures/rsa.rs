//! RSA as a similarity measure: the RDM of each representation (over its
//! stimuli), compared between representations.
//!
//! Kriegeskorte, Mur & Bandettini (2008), "Representational similarity
//! analysis – connecting the branches of systems neuroscience", Front. Syst.
//! Neurosci. 2:4. `prepare` computes the RDM (`rdm_method`, default
//! `correlation`) and readies it for the comparison (`compare_method`,
//! default `spearman`: ranks, centring, normalising), so a layer × layer
//! matrix computes L RDMs and L² cheap comparisons.

use super::Footprint;
use faer::Par;

use super::{Invariance, Kind, Measure, MeasureInfo, ParamValue, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result, ResultExt};
use crate::rsa::compare::{PreparedRdm, prepare, score};
use crate::rsa::{CompareMethod, RdmMethod, RdmSpec, rdm};

/// RSA between two representations of the same stimuli.
#[derive(Clone, Debug)]
pub struct Rsa {
    pub rdm_method: RdmMethod,
    pub compare_method: CompareMethod,
}

pub(crate) const RSA_INFO: MeasureInfo = MeasureInfo {
    name: "rsa",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    // With the default correlation distance; euclidean RDMs add orthogonal
    // and translation invariance.
    invariances: &[Invariance::Permutation, Invariance::IsotropicScaling],
    summary: "comparison of the two RDMs (rdm_method, compare_method; default correlation, spearman)",
    reference: "Kriegeskorte et al. 2008, Front. Syst. Neurosci. 2:4",
    range: None,
    identical: Some(1.0),
    cost: "O(n²·d) to prepare (+ O(n² log n) for ranks), O(n²) per pair",
};

impl Rsa {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let text = |key: &str, default: &str| -> Result<String> {
            match params.get(key) {
                None => Ok(default.to_string()),
                Some(ParamValue::Text(t)) => Ok(t.clone()),
                Some(other) => Err(Error::InvalidParameter {
                    measure: "rsa".into(),
                    detail: format!("{key} must be a name, not {other:?}"),
                }),
            }
        };
        Ok(Self {
            rdm_method: RdmMethod::from_name(&text("rdm_method", "correlation")?)?,
            compare_method: CompareMethod::from_name(&text("compare_method", "spearman")?)?,
        })
    }
}

impl Default for Rsa {
    fn default() -> Self {
        Self {
            rdm_method: RdmMethod::Correlation,
            compare_method: CompareMethod::Spearman,
        }
    }
}

/// A representation's RDM, ready for comparison.
pub struct PreparedRsa {
    rdm: PreparedRdm,
    /// Conditions (stimuli) of the RDM.
    n: usize,
}

impl Measure for Rsa {
    type Prepared = PreparedRsa;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let threads = rayon::current_num_threads() as f64;
        let block = (4_194_304 / n.max(1)).clamp(16, 1024).min(n) as f64;
        let bures = matches!(
            self.compare_method,
            CompareMethod::Bures | CompareMethod::BuresMetric
        );
        let (n, d) = (n as f64, d as f64);
        let pairs = n * (n - 1.0) / 2.0;
        // The RDM (transposed and unit copies, blocks), then its ranks.
        let rdm = 2.0 * n * d + pairs + threads * block * n;
        if bures {
            Footprint {
                kept: n * n,
                prepare: rdm.max(6.0 * n * n),
                score: 2.0 * n * n,
                prepare_flops: n * n * d + 11.0 * n * n * n,
                score_flops: 4.7 * n * n * n,
                block_scored: false,
            }
        } else {
            Footprint {
                kept: pairs,
                prepare: rdm.max(4.5 * pairs),
                score: 0.0,
                prepare_flops: n * n * d,
                score_flops: 2.0 * pairs,
                block_scored: false,
            }
        }
    }

    fn info(&self) -> &MeasureInfo {
        &RSA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<PreparedRsa> {
        if matches!(self.rdm_method, RdmMethod::Crossnobis) {
            return Err(Error::InvalidParameter {
                measure: "rsa".into(),
                detail: "crossnobis needs fold labels; compute the RDMs with `rdm` and compare \
                         them with `compare`"
                    .into(),
            });
        }
        let d = rdm(x.x, &RdmSpec::new(self.rdm_method))
            .with_context(|| format!("RDM of '{}'", x.name))?;
        let keep = vec![true; d.len()];
        Ok(PreparedRsa {
            rdm: prepare(&d, &keep, self.compare_method, None)?,
            n: x.x.nrows(),
        })
    }

    fn score(&self, a: &PreparedRsa, b: &PreparedRsa, _par: Par) -> Result<f64> {
        super::check_same_n(a.n, b.n)?;
        Ok(score(&a.rdm, &b.rdm, self.compare_method))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::similarity;
    use crate::testing::gaussian;

    #[test]
    fn rsa_measure_equals_rdm_then_compare() {
        let x = gaussian(20, 6, 1);
        let y = &x * gaussian(6, 9, 2) + gaussian(20, 9, 3);
        let m = Rsa::default();
        let ours = similarity(
            RepRef {
                name: "x",
                x: x.as_ref(),
            },
            RepRef {
                name: "y",
                x: y.as_ref(),
            },
            &m,
        )
        .unwrap();
        let spec = RdmSpec::new(RdmMethod::Correlation);
        let (dx, dy) = (
            rdm(x.as_ref(), &spec).unwrap(),
            rdm(y.as_ref(), &spec).unwrap(),
        );
        let direct =
            crate::rsa::compare(&[&dx], &[&dy], CompareMethod::Spearman, None).unwrap()[(0, 0)];
        assert_eq!(ours, direct);
    }
}
