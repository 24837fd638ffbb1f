//! Pooling RDMs into the one RDM that a comparison method scores best
//! against all of them (rsatoolbox's `pool_rdm`, the pooled RDM of a noise
//! ceiling): each RDM is normalised the way the method normalises it, and
//! the results are averaged.

use super::compare::CompareMethod;
use super::condensed::n_conditions;
use crate::error::{Error, Result};
use crate::stats::rank::average_ranks;

/// One RDM normalised for pooling under `method`, its statistics taken
/// over its defined (non-NaN) entries; NaN stays NaN. `cosine`,
/// `cosine_cov`: divided by the root mean square. `corr`, `corr_cov`:
/// z-scored (population s.d.). Rank methods: average ranks.
pub(crate) fn pooling_transform(method: CompareMethod, v: &[f64]) -> Result<Vec<f64>> {
    let defined = || v.iter().copied().filter(|x| !x.is_nan());
    let m = defined().count() as f64;
    Ok(match method {
        CompareMethod::Cosine | CompareMethod::CosineCov => {
            let rms = (defined().map(|x| x * x).sum::<f64>() / m).sqrt();
            v.iter().map(|x| x / rms).collect()
        }
        CompareMethod::Corr | CompareMethod::CorrCov => {
            let mean = defined().sum::<f64>() / m;
            let sd = (defined().map(|x| (x - mean).powi(2)).sum::<f64>() / m).sqrt();
            v.iter().map(|x| (x - mean) / sd).collect()
        }
        CompareMethod::Spearman
        | CompareMethod::RhoA
        | CompareMethod::KendallA
        | CompareMethod::KendallB => {
            if defined().count() == v.len() {
                average_ranks(v)
            } else {
                super::transform::rank_transform(v)?
            }
        }
        // rsatoolbox pools for it by the plain mean.
        CompareMethod::NegRiemDist => v.to_vec(),
        CompareMethod::Bures | CompareMethod::BuresMetric => {
            return Err(Error::InvalidParameter {
                measure: method.name().into(),
                detail: "no pooling rule (so no noise ceiling) is defined for bures; use \
                         cosine_cov or corr_cov"
                    .into(),
            });
        }
    })
}

/// The pooled RDM of `rdms` for `method` (`None`: their plain mean). NaN
/// where any RDM is NaN. For `corr` and `corr_cov` the pooled RDM is
/// shifted to a minimum of 0 (a correlation does not see the shift; a
/// dissimilarity stays non-negative), as rsatoolbox's `pool_rdm` does.
pub fn pool_rdms(rdms: &[&[f64]], method: Option<CompareMethod>) -> Result<Vec<f64>> {
    let Some(first) = rdms.first() else {
        return Err(Error::NoRepresentations {
            what: "the RDMs to pool".into(),
        });
    };
    let len = first.len();
    n_conditions(len)?;
    if let Some(v) = rdms.iter().find(|v| v.len() != len) {
        return Err(Error::InvalidRdm {
            detail: format!(
                "RDMs of different sizes cannot be pooled: {len} and {} dissimilarities",
                v.len()
            ),
        });
    }
    if let Some(i) = rdms
        .iter()
        .flat_map(|v| v.iter())
        .position(|x| x.is_infinite())
    {
        return Err(Error::InvalidRdm {
            detail: format!(
                "RDM entry {} is infinite; dissimilarities must be finite",
                i % len
            ),
        });
    }
    let transformed: Vec<Vec<f64>> = match method {
        None => rdms.iter().map(|v| v.to_vec()).collect(),
        Some(m) => rdms
            .iter()
            .map(|v| pooling_transform(m, v))
            .collect::<Result<_>>()?,
    };
    let k = transformed.len() as f64;
    let mut pooled: Vec<f64> = (0..len)
        .map(|i| transformed.iter().map(|t| t[i]).sum::<f64>() / k)
        .collect();
    if matches!(method, Some(CompareMethod::Corr | CompareMethod::CorrCov)) {
        let min = pooled
            .iter()
            .copied()
            .filter(|x| !x.is_nan())
            .fold(f64::INFINITY, f64::min);
        pooled.iter_mut().for_each(|x| *x -= min);
    }
    Ok(pooled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_normalises_then_averages_and_keeps_missing_pairs_missing() {
        let a = [1.0, 2.0, 3.0];
        let b = [2.0, 4.0, 6.0];
        // Cosine pooling removes scale: a and b pool to a / rms(a).
        let pooled = pool_rdms(&[&a, &b], Some(CompareMethod::Cosine)).unwrap();
        let rms = (14.0f64 / 3.0).sqrt();
        for (p, x) in pooled.iter().zip(a) {
            assert!((p - x / rms).abs() < 1e-15);
        }
        // Corr: z-scores averaged, shifted to a minimum of 0.
        let pooled = pool_rdms(&[&a, &b], Some(CompareMethod::Corr)).unwrap();
        assert_eq!(pooled[0], 0.0);
        let with_nan = [1.0, f64::NAN, 3.0];
        let plain = pool_rdms(&[&a, &with_nan], None).unwrap();
        assert_eq!(plain[0], 1.0);
        assert!(plain[1].is_nan());
        let ranked = pool_rdms(&[&with_nan], Some(CompareMethod::Spearman)).unwrap();
        assert_eq!((ranked[0], ranked[2]), (1.0, 2.0));
        assert!(pool_rdms(&[&a, &[1.0]], None).is_err());
        assert!(pool_rdms(&[], None).is_err());
        assert!(pool_rdms(&[&a], Some(CompareMethod::Bures)).is_err());
    }
}
