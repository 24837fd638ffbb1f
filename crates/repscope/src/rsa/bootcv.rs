//! Bootstrap cross-validation of models (rsatoolbox's `bootstrap_crossval`):
//! each bootstrap sample (conditions and/or subjects drawn with
//! replacement) is cross-validated over folds of its distinct conditions,
//! so flexible (weighted) models are scored on conditions they were not
//! fitted to, and the spread over samples gives the uncertainty.
//!
//! In a sample, a condition drawn c times appears as c copies: a pair of
//! distinct conditions counts c_a·c_b times and pairs of copies of one
//! condition are left out (rsatoolbox's subsampling). For each fold, a
//! weighted model is fitted (`cosine` or `corr`, non-negative, as
//! [`super::models::fit_weights`]) on the pairs among the other folds'
//! conditions, and every model is evaluated, with the noise ceiling, on the
//! pairs among the fold's conditions, by [`evaluate_samples`]. A sample's
//! evaluation is the mean over its folds; a sample with a fold of fewer
//! than 3 distinct conditions (test or training) is invalid (NaN).
//!
//! Which conditions share a fold adds variance of its own to a sample's
//! value. [`bootstrap_crossvalidate_repeated`] repeats the cross-validation
//! of every sample with new fold assignments and, as rsatoolbox, projects
//! the samples' covariance to infinitely many assignments: with n
//! repetitions, Σ = (n·Σ_mean − Σ_1)/(n − 1), where Σ_mean is the
//! covariance of the samples' mean over repetitions and Σ_1 the mean of the
//! repetitions' own covariances.

use rayon::prelude::*;

use super::compare::CompareMethod;
use super::condensed::{n_conditions, pair_index};
use faer::Mat;

use super::inference::{
    OneSample, Sample, SampleEvaluations, column_covariance, evaluate_samples, valid_rows,
};
use super::models::{ModelRdm, fit_model, predict};
use crate::error::{Error, Result};

/// One bootstrap sample with its folds.
#[derive(Clone, Debug)]
pub struct CrossvalSample {
    /// The drawn conditions (copies repeated; any order).
    pub patterns: Vec<usize>,
    /// The drawn data RDMs (subjects), copies repeated.
    pub rdms: Vec<usize>,
    /// Each fold's held-out conditions (distinct, among `patterns`).
    pub test_sets: Vec<Vec<usize>>,
}

/// The models' mean evaluation over folds and the mean noise ceiling, for
/// every sample (a row of NaN for an invalid sample).
pub fn bootstrap_crossvalidate(
    models: &[ModelRdm],
    data: &[&[f64]],
    method: CompareMethod,
    samples: &[CrossvalSample],
) -> Result<SampleEvaluations> {
    // A sample's training pairs (copies repeated) do not form an RDM, so
    // only comparisons of plain vectors can fit on them.
    let fits_on_entries = !matches!(
        method,
        CompareMethod::CosineCov
            | CompareMethod::CorrCov
            | CompareMethod::Bures
            | CompareMethod::BuresMetric
            | CompareMethod::NegRiemDist
    );
    if !fits_on_entries && models.iter().any(|m| !m.flexible_rdms().is_empty()) {
        return Err(Error::InvalidParameter {
            measure: "bootstrap cross-validation".into(),
            detail: format!(
                "flexible models are fitted on a sample's training pairs, which '{}' cannot \
                 compare (they do not form an RDM); use cosine, corr or a rank comparison",
                method.name()
            ),
        });
    }
    let len = data.first().map_or(0, |v| v.len());
    let n = n_conditions(len)?;
    let model_len = |m: &ModelRdm| {
        m.all_rdms()
            .into_iter()
            .map(<[f64]>::len)
            .collect::<Vec<_>>()
    };
    if let Some(bad) = models.iter().flat_map(model_len).find(|&l| l != len) {
        return Err(Error::InvalidRdm {
            detail: format!(
                "model and data RDMs of different sizes: {bad} and {len} dissimilarities"
            ),
        });
    }
    for s in samples {
        let bad = s
            .patterns
            .iter()
            .chain(s.test_sets.iter().flatten())
            .any(|&c| c >= n)
            || s.rdms.iter().any(|&r| r >= data.len());
        if bad {
            return Err(Error::InvalidParameter {
                measure: "bootstrap cross-validation".into(),
                detail: format!(
                    "a sample names a condition (of {n}) or data RDM (of {}) that does not exist",
                    data.len()
                ),
            });
        }
    }
    let results: Vec<Option<OneSample>> = samples
        .par_iter()
        .map(|s| {
            crate::interrupt::check()?;
            one_sample(models, data, method, n, s)
        })
        .collect::<Result<_>>()?;
    Ok(SampleEvaluations::from_samples(&results, models.len()))
}

/// Samples cross-validated several times, each repetition with its own
/// folds.
#[derive(Clone, Debug)]
pub struct RepeatedCrossval {
    /// Each repetition's evaluations.
    pub runs: Vec<SampleEvaluations>,
    /// Each sample's mean over repetitions (NaN rows for invalid samples).
    pub mean: SampleEvaluations,
}

impl RepeatedCrossval {
    /// The covariance of the columns (models, lower and upper noise
    /// ceiling) over `rows`, for [`super::inference::Spread`]; `correct`
    /// applies the projection in the module documentation (one repetition
    /// has nothing to project).
    pub fn covariance(&self, rows: &[usize], correct: bool) -> Mat<f64> {
        let of_mean = column_covariance(&self.mean, rows);
        if !correct || self.runs.len() < 2 || rows.len() < 2 {
            return of_mean;
        }
        let n = self.runs.len() as f64;
        let k = of_mean.nrows();
        let mut single = Mat::<f64>::zeros(k, k);
        for run in &self.runs {
            single += column_covariance(run, rows);
        }
        Mat::from_fn(k, k, |a, b| {
            (n * of_mean[(a, b)] - single[(a, b)] / n) / (n - 1.0)
        })
    }

    /// The samples valid in the mean.
    pub fn valid(&self) -> Vec<usize> {
        valid_rows(&self.mean)
    }
}

/// [`bootstrap_crossvalidate`] for each repetition (the same samples, each
/// with its own folds), and the mean over repetitions.
pub fn bootstrap_crossvalidate_repeated(
    models: &[ModelRdm],
    data: &[&[f64]],
    method: CompareMethod,
    repetitions: &[Vec<CrossvalSample>],
) -> Result<RepeatedCrossval> {
    let first = repetitions.first().ok_or_else(|| Error::InvalidParameter {
        measure: "bootstrap cross-validation".into(),
        detail: "at least one cross-validation repetition is needed".into(),
    })?;
    let same_samples = repetitions.iter().all(|rep| {
        rep.len() == first.len()
            && rep
                .iter()
                .zip(first)
                .all(|(a, b)| a.patterns == b.patterns && a.rdms == b.rdms)
    });
    if !same_samples {
        return Err(Error::InvalidParameter {
            measure: "bootstrap cross-validation".into(),
            detail:
                "every repetition must cross-validate the same samples (conditions and data RDMs)"
                    .into(),
        });
    }
    let runs: Vec<SampleEvaluations> = repetitions
        .iter()
        .map(|rep| bootstrap_crossvalidate(models, data, method, rep))
        .collect::<Result<_>>()?;
    let n_reps = runs.len() as f64;
    let (rows, cols) = (runs[0].evaluations.nrows(), runs[0].evaluations.ncols());
    let mean = SampleEvaluations {
        evaluations: Mat::from_fn(rows, cols, |i, m| {
            runs.iter().map(|r| r.evaluations[(i, m)]).sum::<f64>() / n_reps
        }),
        noise_ceiling: (0..rows)
            .map(|i| {
                let (lo, hi) = runs.iter().fold((0.0, 0.0), |(lo, hi), r| {
                    (lo + r.noise_ceiling[i].0, hi + r.noise_ceiling[i].1)
                });
                (lo / n_reps, hi / n_reps)
            })
            .collect(),
    };
    Ok(RepeatedCrossval { runs, mean })
}

fn one_sample(
    models: &[ModelRdm],
    data: &[&[f64]],
    method: CompareMethod,
    n: usize,
    s: &CrossvalSample,
) -> Result<Option<OneSample>> {
    let mut copies = s.patterns.clone();
    copies.sort_unstable();
    let distinct = |list: &[usize]| {
        let mut d = list.to_vec();
        d.dedup();
        d.len()
    };
    let (mut total, mut lower, mut upper) = (vec![0.0; models.len()], 0.0, 0.0);
    for test in &s.test_sets {
        let (test_copies, train_copies): (Vec<usize>, Vec<usize>) =
            copies.iter().partition(|c| test.contains(c));
        if distinct(&test_copies) < 3 || distinct(&train_copies) < 3 {
            return Ok(None);
        }
        // The training pairs (copies of one condition left out), in order;
        // a pair missing (NaN) in any drawn RDM or component is left out of
        // the fit, as rsatoolbox's fitters drop it.
        let complete = |p: usize| {
            s.rdms.iter().all(|&r| data[r][p].is_finite())
                && models
                    .iter()
                    .all(|m| m.flexible_rdms().iter().all(|v| v[p].is_finite()))
        };
        let mut train_positions = Vec::new();
        for (a, &i) in train_copies.iter().enumerate() {
            for &j in &train_copies[a + 1..] {
                if i == j {
                    continue;
                }
                let p = pair_index(n, i.min(j), i.max(j));
                if complete(p) {
                    train_positions.push(p);
                }
            }
        }
        let gather = |v: &[f64]| -> Vec<f64> { train_positions.iter().map(|&p| v[p]).collect() };
        let train_data: Vec<Vec<f64>> = s.rdms.iter().map(|&r| gather(data[r])).collect();
        let train_refs: Vec<&[f64]> = train_data.iter().map(Vec::as_slice).collect();
        let predictions = models
            .iter()
            .map(|model| {
                let theta = fit_model(model, &gather, &train_refs, method, true)?;
                Ok(predict(model, &theta))
            })
            .collect::<Result<Vec<Vec<f64>>>>()?;
        let prediction_refs: Vec<&[f64]> = predictions.iter().map(Vec::as_slice).collect();
        let sample = Sample::new(Some(test_copies), Some(s.rdms.clone()));
        let fold = evaluate_samples(&prediction_refs, data, method, &[sample])?;
        if !fold.evaluations[(0, 0)].is_finite() {
            return Ok(None);
        }
        for (m, t) in total.iter_mut().enumerate() {
            *t += fold.evaluations[(0, m)];
        }
        lower += fold.noise_ceiling[0].0;
        upper += fold.noise_ceiling[0].1;
    }
    let k = s.test_sets.len() as f64;
    Ok(Some((
        total.into_iter().map(|t| t / k).collect(),
        (lower / k, upper / k),
    )))
}
