//! The dual bootstrap (rsatoolbox's `eval_dual_bootstrap`; Schütt et al.
//! 2023, eLife 12, e82566): a model evaluation's variance over new subjects
//! *and* new conditions, estimated from three bootstraps that share their
//! draws. For each draw of data RDMs and conditions, the models are
//! evaluated on the sample resampled over both, over the data RDMs only
//! (all conditions) and over the conditions only (all data RDMs). The
//! bootstrap over both overestimates the variance (it counts the noise of
//! each factor twice, Schütt et al.); the three covariances are combined
//! per contrast as [`Spread::Dual`] states.
//!
//! Fixed models are evaluated on each sample directly. With folds (k ≥ 2,
//! for fitted models), each of the three samples is cross-validated as
//! [`super::bootcv`] does, repeated with new folds, and each bootstrap's
//! covariance is corrected for the fold assignments before they are
//! combined.
//!
//! A draw whose sample over both is invalid (fewer than 3 distinct
//! conditions, or a fold too small) is left out of all three bootstraps,
//! as rsatoolbox does. The summary's means are over the three bootstraps'
//! valid samples together (rsatoolbox averages its evaluations over the
//! bootstrap kinds too); the percentile intervals and the bootstrap
//! p-values count the samples over both, the bootstrap proper.

use faer::Mat;

use super::bootcv::{CrossvalSample, bootstrap_crossvalidate_repeated};
use super::compare::CompareMethod;
use super::condensed::n_conditions;
use super::inference::{
    EvaluationSummary, Sample, SampleEvaluations, Spread, column_covariance, evaluate_samples,
    summarize, summarize_with, valid_rows,
};
use super::models::ModelRdm;
use crate::error::{Error, Result};

/// The draws of a dual bootstrap: per sample, the conditions and the data
/// RDMs drawn (with copies).
#[derive(Clone, Debug)]
pub struct DualDraws {
    pub patterns: Vec<Vec<usize>>,
    pub rdms: Vec<Vec<usize>>,
}

/// Folds for the cross-validated dual bootstrap: `[kind][repetition]
/// [sample][fold]`, the held-out conditions, for the kinds over both, over
/// data RDMs and over conditions, in that order.
pub type DualFolds = [Vec<Vec<Vec<Vec<usize>>>>; 3];

/// The three bootstraps' evaluations stacked (both, data RDMs, conditions;
/// invalid draws NaN in all three) and their combined spread.
#[derive(Clone, Debug)]
pub struct DualBootstrap {
    pub stacked: SampleEvaluations,
    /// The evaluations of the bootstrap over both, alone.
    pub both: SampleEvaluations,
    pub spread: Spread,
}

/// Runs the dual bootstrap; `folds` cross-validates (required for weighted
/// models), `correct` corrects for the fold assignments when folds are
/// repeated.
pub fn dual_bootstrap(
    models: &[ModelRdm],
    data: &[&[f64]],
    method: CompareMethod,
    draws: &DualDraws,
    folds: Option<&DualFolds>,
    correct: bool,
) -> Result<DualBootstrap> {
    let n_patterns = n_conditions(data.first().map_or(0, |v| v.len()))?;
    let n_rdms = data.len();
    if n_rdms < 2 || n_patterns < 3 {
        return Err(Error::InvalidParameter {
            measure: "dual bootstrap".into(),
            detail: format!(
                "needs at least 2 data RDMs and 3 conditions, got {n_rdms} and {n_patterns}"
            ),
        });
    }
    if draws.patterns.len() != draws.rdms.len() {
        return Err(Error::InvalidParameter {
            measure: "dual bootstrap".into(),
            detail: format!(
                "{} condition draws and {} data RDM draws: one of each per sample",
                draws.patterns.len(),
                draws.rdms.len()
            ),
        });
    }
    let all_patterns: Vec<usize> = (0..n_patterns).collect();
    let all_rdms: Vec<usize> = (0..n_rdms).collect();
    // The three kinds of sample of each draw: both, data RDMs, conditions.
    let kinds = |p: &Vec<usize>, r: &Vec<usize>| {
        [
            (p.clone(), r.clone()),
            (all_patterns.clone(), r.clone()),
            (p.clone(), all_rdms.clone()),
        ]
    };
    let per_kind: Vec<(SampleEvaluations, Option<super::bootcv::RepeatedCrossval>)> = match folds {
        None => {
            let fixed: Vec<&[f64]> = models
                .iter()
                .map(|m| match m {
                    ModelRdm::Fixed(v) => Ok(v.as_slice()),
                    _ => Err(Error::InvalidParameter {
                        measure: "dual bootstrap".into(),
                        detail: "flexible (weighted, interpolation, selection) models are \
                                 fitted, so they need folds (k ≥ 2) to be scored on conditions \
                                 they were not fitted to"
                            .into(),
                    }),
                })
                .collect::<Result<_>>()?;
            (0..3)
                .map(|kind| {
                    let samples: Vec<Sample> = draws
                        .patterns
                        .iter()
                        .zip(&draws.rdms)
                        .map(|(p, r)| {
                            let (p, r) = kinds(p, r)[kind].clone();
                            Sample::new(Some(p), Some(r))
                        })
                        .collect();
                    Ok((evaluate_samples(&fixed, data, method, &samples)?, None))
                })
                .collect::<Result<_>>()?
        }
        Some(folds) => (0..3)
            .map(|kind| {
                let reps = &folds[kind];
                let repetitions: Vec<Vec<CrossvalSample>> = reps
                    .iter()
                    .map(|rep| {
                        if rep.len() != draws.patterns.len() {
                            return Err(Error::InvalidParameter {
                                measure: "dual bootstrap".into(),
                                detail: format!(
                                    "folds for {} samples, draws for {}",
                                    rep.len(),
                                    draws.patterns.len()
                                ),
                            });
                        }
                        Ok(draws
                            .patterns
                            .iter()
                            .zip(&draws.rdms)
                            .zip(rep)
                            .map(|((p, r), test_sets)| {
                                let (patterns, rdms) = kinds(p, r)[kind].clone();
                                CrossvalSample {
                                    patterns,
                                    rdms,
                                    test_sets: test_sets.clone(),
                                }
                            })
                            .collect())
                    })
                    .collect::<Result<_>>()?;
                let repeated =
                    bootstrap_crossvalidate_repeated(models, data, method, &repetitions)?;
                Ok((repeated.mean.clone(), Some(repeated)))
            })
            .collect::<Result<_>>()?,
    };
    // A draw invalid over both is left out of all three.
    let valid = valid_rows(&per_kind[0].0);
    let mut keep = vec![false; draws.patterns.len()];
    valid.iter().for_each(|&i| keep[i] = true);
    let mut masked: Vec<SampleEvaluations> = per_kind.iter().map(|(e, _)| e.clone()).collect();
    for e in &mut masked {
        for (i, &kept) in keep.iter().enumerate() {
            if !kept {
                for m in 0..e.evaluations.ncols() {
                    e.evaluations[(i, m)] = f64::NAN;
                }
                e.noise_ceiling[i] = (f64::NAN, f64::NAN);
            }
        }
    }
    let covariances: Vec<Mat<f64>> = per_kind
        .iter()
        .zip(&masked)
        .map(|((_, repeated), e)| match repeated {
            Some(r) => r.covariance(&valid, correct),
            None => column_covariance(e, &valid),
        })
        .collect();
    let [both, rdms, patterns]: [Mat<f64>; 3] = covariances
        .try_into()
        .map_err(|_| Error::internal("three covariances"))?;
    let n = masked[0].evaluations.nrows();
    let m = masked[0].evaluations.ncols();
    let stacked = SampleEvaluations {
        evaluations: Mat::from_fn(3 * n, m, |i, c| masked[i / n].evaluations[(i % n, c)]),
        noise_ceiling: masked
            .iter()
            .flat_map(|e| e.noise_ceiling.clone())
            .collect(),
    };
    Ok(DualBootstrap {
        stacked,
        both: masked[0].clone(),
        spread: Spread::Dual {
            both,
            rdms,
            patterns,
            n_rdms,
            n_patterns,
        },
    })
}

impl DualBootstrap {
    /// The summary: means and t-tests from the three bootstraps (with
    /// min(data RDMs, conditions) − 1 degrees of freedom), percentile
    /// intervals and bootstrap p-values from the samples over both.
    pub fn summarize(&self, ci: f64) -> Result<EvaluationSummary> {
        let Spread::Dual {
            n_rdms, n_patterns, ..
        } = &self.spread
        else {
            return Err(Error::internal("a dual bootstrap without its dual spread"));
        };
        let n_effective = (*n_rdms).min(*n_patterns);
        let mut summary = summarize_with(&self.stacked, &self.spread, n_effective, ci)?;
        let both = summarize(&self.both, n_effective, ci)?;
        summary.ci_low = both.ci_low;
        summary.ci_high = both.ci_high;
        summary.p_pairwise_bootstrap = both.p_pairwise_bootstrap;
        summary.p_zero_bootstrap = both.p_zero_bootstrap;
        summary.p_noise_ceiling_zero_bootstrap = both.p_noise_ceiling_zero_bootstrap;
        summary.n_valid = both.n_valid;
        Ok(summary)
    }
}
