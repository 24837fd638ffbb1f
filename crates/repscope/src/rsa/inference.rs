//! Model evaluation for RSA: fixed model RDMs against data RDMs (one per
//! subject), with bootstrap inference and noise ceilings.
//!
//! Conventions follow rsatoolbox (`inference/evaluate.py`,
//! `inference/noise_ceiling.py`, `inference/result.py`; Schütt et al. 2023,
//! "Statistical inference on representational geometries", eLife 12,
//! e82566):
//!
//! - **Evaluation** of a model: the mean, over the data RDMs, of
//!   `compare(model, data)`.
//! - **Bootstrap over patterns** (conditions): draw as many conditions as
//!   there are, with replacement; keep them in their original order; pairs
//!   of two copies of one condition are left out, other pairs keep their
//!   multiplicity. Samples with fewer than 3 distinct conditions are
//!   invalid (NaN) and skipped in the summaries. **Over RDMs** (subjects):
//!   draw subjects with replacement; copies count with their multiplicity
//!   in the model evaluation. **Both**: subjects first, then conditions.
//! - **Noise ceiling** (Nili et al. 2014, PLoS Comput Biol 10(4)): each
//!   distinct subject against the pooled RDM of the others (lower bound)
//!   and of all (upper bound), averaged over distinct subjects. Pooling
//!   depends on the method: `cosine`/`cosine_cov` average RDMs scaled to
//!   unit root-mean-square; `corr`/`corr_cov` average z-scored RDMs
//!   (population s.d.); rank methods average ranks. It is computed on every
//!   bootstrap sample.
//! - **Summary**: means over valid samples; the covariance of the sample
//!   evaluations (and noise-ceiling bounds) times n/(n−1), with n the number
//!   of conditions, subjects, or the smaller of the two, by what was
//!   resampled; t-tests with n − 1 degrees of freedom: model vs model
//!   (two-sided), model vs 0 (one-sided), model vs the lower noise ceiling
//!   (two-sided, with the variance of their difference).
//!
//! - **Missing dissimilarities**: a position that is NaN in any model or
//!   data RDM is left out of every comparison, for every sample (rsatoolbox
//!   does the same when all RDMs share their NaN positions; when they do
//!   not, its `compare` refuses the pair of sets, and repscope keeps the
//!   positions defined everywhere).
//!
//! Differences from rsatoolbox, on purpose: random draws come from a
//! seeded ChaCha generator (not numpy's global one), and are the same for
//! any number of threads; the percentile confidence interval uses the valid
//! samples only (rsatoolbox pads them with ±∞ and lets a NaN sample make it
//! NaN); with subject resampling the noise-ceiling test keeps the noise
//! ceiling's own variance (rsatoolbox 0.3 discards it).

use faer::Mat;
use rand::Rng;
use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::compare::{CompareMethod, PreparedRdm, linear_image, prepare, score, shared_positions};
use super::condensed::{n_conditions, pair_index};
use super::pool::pooling_transform;
use crate::error::{Error, Result};
use crate::rng::seeded;
use crate::stats::quantile::percentile_interval;

crate::choice! {
    /// What a bootstrap resamples.
    pub enum Resample: "bootstrap resampling" {
        /// Conditions (patterns): generalisation to new stimuli.
        Patterns = "patterns",
        /// Data RDMs (subjects): generalisation to new subjects.
        Rdms = "rdms",
        /// Both, subjects first.
        Both = "both",
    }
}

/// One bootstrap sample: the drawn conditions (sorted, with copies) and the
/// drawn data RDMs (in draw order, with copies). `None` means "all, once".
#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub patterns: Option<Vec<usize>>,
    pub rdms: Option<Vec<usize>>,
}

impl Sample {
    /// A sample of the conditions `patterns` (any order; kept sorted, with
    /// copies) and the data RDMs `rdms` (in draw order).
    pub fn new(patterns: Option<Vec<usize>>, rdms: Option<Vec<usize>>) -> Sample {
        let patterns = patterns.map(|mut p| {
            p.sort_unstable();
            p
        });
        Sample { patterns, rdms }
    }
}

/// Draws `n` samples with a seeded generator; sample i depends only on the
/// seed and i, never on threads.
pub fn draw_samples(
    n_conditions: usize,
    n_rdms: usize,
    over: Resample,
    n: usize,
    seed: u64,
) -> Vec<Sample> {
    let mut rng = seeded(seed);
    (0..n)
        .map(|_| {
            let mut draw = |k: usize| (0..k).map(|_| rng.random_range(0..k)).collect::<Vec<_>>();
            let rdms = matches!(over, Resample::Rdms | Resample::Both).then(|| draw(n_rdms));
            let patterns =
                matches!(over, Resample::Patterns | Resample::Both).then(|| draw(n_conditions));
            Sample::new(patterns, rdms)
        })
        .collect()
}

/// The evaluation of every model on every sample, and the noise ceiling of
/// every sample.
#[derive(Clone, Debug)]
pub struct SampleEvaluations {
    /// samples × models; a row of NaN for an invalid sample.
    pub evaluations: Mat<f64>,
    /// Lower and upper noise-ceiling bounds per sample (NaN when invalid).
    pub noise_ceiling: Vec<(f64, f64)>,
}

/// The condensed RDM of a pattern sample, as positions in the original
/// one: the sampled conditions (sorted, with copies) form a new condensed
/// layout whose pairs of two copies of one condition are missing (`None`).
/// `None` overall: the original layout.
fn sample_positions(n: usize, patterns: Option<&[usize]>) -> Option<Vec<Option<usize>>> {
    let p = patterns?;
    let mut out = Vec::with_capacity(p.len() * p.len() / 2);
    for a in 0..p.len() {
        for b in a + 1..p.len() {
            out.push((p[a] != p[b]).then(|| pair_index(n, p[a].min(p[b]), p[a].max(p[b]))));
        }
    }
    Some(out)
}

/// The sampled RDM, NaN at the missing pairs.
fn gather(v: &[f64], positions: Option<&[Option<usize>]>) -> Vec<f64> {
    match positions {
        Some(pos) => pos.iter().map(|p| p.map_or(f64::NAN, |i| v[i])).collect(),
        None => v.to_vec(),
    }
}

/// Model evaluations and (lower, upper) noise ceiling of one sample.
pub(crate) type OneSample = (Vec<f64>, (f64, f64));

impl SampleEvaluations {
    /// Samples' results in order, `None` for an invalid one (a row of NaN).
    pub(crate) fn from_samples(results: &[Option<OneSample>], n_models: usize) -> Self {
        let evaluations = Mat::from_fn(results.len(), n_models, |i, m| {
            results[i].as_ref().map_or(f64::NAN, |(e, _)| e[m])
        });
        let noise_ceiling = results
            .iter()
            .map(|r| r.as_ref().map_or((f64::NAN, f64::NAN), |(_, nc)| *nc))
            .collect();
        SampleEvaluations {
            evaluations,
            noise_ceiling,
        }
    }
}

/// Evaluates models and noise ceiling on one sample; `None` when the sample
/// has fewer than 3 distinct conditions.
fn evaluate_one(
    models: &[&[f64]],
    data: &[&[f64]],
    n: usize,
    sample: &Sample,
    method: CompareMethod,
    defined: Option<&[bool]>,
) -> Result<Option<OneSample>> {
    if let Some(p) = &sample.patterns {
        let mut distinct = p.clone();
        distinct.dedup();
        if distinct.len() < 3 {
            return Ok(None);
        }
    }
    let drawn: Vec<usize> = sample
        .rdms
        .clone()
        .unwrap_or_else(|| (0..data.len()).collect());
    // Distinct subjects with their multiplicity, in first-draw order.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &r in &drawn {
        match groups.iter_mut().find(|(g, _)| *g == r) {
            Some((_, count)) => *count += 1,
            None => groups.push((r, 1)),
        }
    }
    if matches!(method, CompareMethod::Cosine | CompareMethod::Corr) {
        let mut weights = pair_weights(n, sample.patterns.as_deref());
        if let Some(d) = defined {
            weights.iter_mut().zip(d).for_each(|(w, &ok)| {
                if !ok {
                    *w = 0.0
                }
            });
        }
        return Ok(Some(evaluate_weighted(
            models,
            data,
            &groups,
            &weights,
            drawn.len() as f64,
            method,
        )));
    }
    let positions = sample_positions(n, sample.patterns.as_deref());
    let subject: Vec<Vec<f64>> = groups
        .iter()
        .map(|&(r, _)| gather(data[r], positions.as_deref()))
        .collect();
    let model: Vec<Vec<f64>> = models
        .iter()
        .map(|m| gather(m, positions.as_deref()))
        .collect();
    // Missing from a sample: the pairs of copies of one condition, and the
    // positions some input RDM leaves undefined (NaN).
    let is_defined = |i: usize| defined.is_none_or(|d| d[i]);
    let keep: Vec<bool> = match &positions {
        Some(p) => p.iter().map(|&i| i.is_some_and(is_defined)).collect(),
        None => (0..data[0].len()).map(is_defined).collect(),
    };
    let total = drawn.len() as f64;
    if let Some(result) = evaluate_linear(&model, &subject, &groups, &keep, total, method)? {
        return Ok(Some(result));
    }
    let prep = |v: &[f64]| prepare(v, &keep, method, None);
    let subject_prepared: Vec<PreparedRdm> =
        subject.iter().map(|v| prep(v)).collect::<Result<_>>()?;
    let total = drawn.len() as f64;
    let evaluations = model
        .iter()
        .map(|m| {
            let pm = prep(m)?;
            Ok(groups
                .iter()
                .zip(&subject_prepared)
                .map(|(&(_, count), ps)| count as f64 * score(&pm, ps, method))
                .sum::<f64>()
                / total)
        })
        .collect::<Result<Vec<f64>>>()?;

    // Noise ceiling: pooled transforms of the kept entries, leave one
    // subject out by subtraction, expanded back to the sample's layout.
    let transformed: Vec<Vec<f64>> = subject
        .iter()
        .map(|v| pooling_transform(method, &kept(v, &keep)))
        .collect::<Result<_>>()?;
    let len = transformed.first().map_or(0, Vec::len);
    let mut sum = vec![0.0; len];
    for ((_, count), t) in groups.iter().zip(&transformed) {
        sum.iter_mut()
            .zip(t)
            .for_each(|(s, x)| *s += *count as f64 * x);
    }
    let ceiling_score = |pooled: Vec<f64>, ps: &PreparedRdm| -> Result<f64> {
        let mut values = pooled.into_iter();
        let full: Vec<f64> = keep
            .iter()
            .map(|&k| {
                if k {
                    values.next().unwrap_or(f64::NAN)
                } else {
                    f64::NAN
                }
            })
            .collect();
        Ok(score(&prepare(&full, &keep, method, None)?, ps, method))
    };
    let (mut lower, mut upper) = (0.0, 0.0);
    for (((_, count), t), ps) in groups.iter().zip(&transformed).zip(&subject_prepared) {
        let upper_pool: Vec<f64> = sum.iter().map(|s| s / total).collect();
        upper += ceiling_score(upper_pool, ps)?;
        if groups.len() > 1 {
            let rest = total - *count as f64;
            let lower_pool: Vec<f64> = sum
                .iter()
                .zip(t)
                .map(|(s, x)| (s - *count as f64 * x) / rest)
                .collect();
            lower += ceiling_score(lower_pool, ps)?;
        }
    }
    let g = groups.len() as f64;
    let lower = if groups.len() > 1 {
        lower / g
    } else {
        upper / g
    };
    Ok(Some((evaluations, (lower, upper / g))))
}

/// How often each pair of the original RDM occurs in a pattern sample:
/// cᵢ cⱼ for conditions drawn cᵢ and cⱼ times (pairs of copies of one
/// condition are left out). All ones without pattern resampling.
fn pair_weights(n: usize, patterns: Option<&[usize]>) -> Vec<f64> {
    let Some(p) = patterns else {
        return vec![1.0; n * (n - 1) / 2];
    };
    let mut counts = vec![0.0f64; n];
    p.iter().for_each(|&i| counts[i] += 1.0);
    let mut w = Vec::with_capacity(n * (n - 1) / 2);
    for i in 0..n {
        for j in i + 1..n {
            w.push(counts[i] * counts[j]);
        }
    }
    w
}

/// Evaluation and noise ceiling for `cosine` and `corr` straight from the
/// original RDMs with pair weights (no resampled copies): every statistic
/// is a weighted moment or inner product ⟨x, y⟩_w = Σ_p w_p x_p y_p. With
/// ŝ_g subject g's RDM centred (for corr) and scaled to unit weighted norm,
/// pooling (z-scores or root-mean-square scaling) is proportional to
/// V = Σ_g c_g ŝ_g, so each bound and each model's mean evaluation is a
/// ratio of inner products with V.
fn evaluate_weighted(
    models: &[&[f64]],
    data: &[&[f64]],
    groups: &[(usize, usize)],
    w: &[f64],
    total: f64,
    method: CompareMethod,
) -> OneSample {
    let centre = method == CompareMethod::Corr;
    let w_sum: f64 = w.iter().sum();
    // (weighted mean, weighted norm after centring) of a vector.
    let moments = |x: &[f64]| -> (f64, f64) {
        let s1 = crate::linalg::reduce::dot(w, x);
        let s2 = crate::linalg::reduce::weighted_dot(w, x, x);
        if centre {
            let mean = s1 / w_sum;
            (mean, (s2 - w_sum * mean * mean).max(0.0).sqrt())
        } else {
            (0.0, s2.sqrt())
        }
    };
    let wdot = |a: &[f64], b: &[f64]| -> f64 { crate::linalg::reduce::weighted_dot(w, a, b) };
    let subjects: Vec<(&[f64], f64, f64, f64)> = groups
        .iter()
        .map(|&(r, count)| {
            let (mean, norm) = moments(data[r]);
            (data[r], mean, norm, count as f64)
        })
        .collect();
    let mut v = vec![0.0; w.len()];
    for &(s, mean, norm, count) in &subjects {
        if norm > 0.0 {
            let c = count / norm;
            v.iter_mut()
                .zip(s)
                .for_each(|(vp, &x)| *vp += c * (x - mean));
        }
    }
    // V is centred (for corr), so ⟨V, x − mean⟩ = ⟨V, x⟩.
    let evaluations = models
        .iter()
        .map(|m| {
            let (_, norm) = moments(m);
            if norm > 0.0 {
                wdot(m, &v) / norm / total
            } else {
                0.0
            }
        })
        .collect();
    let v_sq = wdot(&v, &v);
    let (mut lower, mut upper) = (0.0, 0.0);
    for &(s, _, norm, count) in &subjects {
        if norm == 0.0 {
            continue;
        }
        let vs = wdot(&v, s) / norm; // ⟨V, ŝ_g⟩
        if v_sq > 0.0 {
            upper += vs / v_sq.sqrt();
        }
        let rest_sq = v_sq - 2.0 * count * vs + count * count;
        if groups.len() > 1 && rest_sq > 0.0 {
            lower += (vs - count) / rest_sq.sqrt();
        }
    }
    let g = groups.len() as f64;
    let lower = if groups.len() > 1 {
        lower / g
    } else {
        upper / g
    };
    (evaluations, (lower, upper / g))
}

/// The same evaluation and noise ceiling for the methods that are a cosine
/// after a linear map L (cosine, corr, cosine_cov, corr_cov), from dot
/// products alone. With u = L(RDM), the pooled RDM of a noise ceiling maps
/// to W = Σ_g c_g u_g / σ_g (σ_g the root-mean-square or the standard
/// deviation that pooling divides by, L removing the mean where pooling
/// subtracts it), and leaving subject g out maps to W − c_g u_g / σ_g; the
/// mean evaluation of a model is its unit image dotted with Σ_g c_g u_g/‖u_g‖.
/// `None` for the other methods.
fn evaluate_linear(
    model: &[Vec<f64>],
    subject: &[Vec<f64>],
    groups: &[(usize, usize)],
    keep: &[bool],
    total: f64,
    method: CompareMethod,
) -> Result<Option<OneSample>> {
    let scale_of = |v: &[f64]| -> f64 {
        let kept = kept(v, keep);
        let m = kept.len() as f64;
        match method {
            CompareMethod::Cosine | CompareMethod::CosineCov => {
                (kept.iter().map(|x| x * x).sum::<f64>() / m).sqrt()
            }
            _ => {
                let mean = kept.iter().sum::<f64>() / m;
                (kept.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / m).sqrt()
            }
        }
    };
    let mut images = Vec::with_capacity(subject.len());
    for v in subject {
        match linear_image(v, keep, method, None)? {
            Some(u) => images.push(u),
            None => return Ok(None),
        }
    }
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let len = images.first().map_or(0, Vec::len);
    let norms: Vec<f64> = images.iter().map(|u| dot(u, u).sqrt()).collect();
    let sigmas: Vec<f64> = subject.iter().map(|v| scale_of(v)).collect();
    let (mut unit_sum, mut pooled) = (vec![0.0; len], vec![0.0; len]);
    for (((u, &(_, count)), &norm), &sigma) in images.iter().zip(groups).zip(&norms).zip(&sigmas) {
        let c = count as f64;
        for k in 0..len {
            if norm > 0.0 {
                unit_sum[k] += c * u[k] / norm;
            }
            if sigma > 0.0 {
                pooled[k] += c * u[k] / sigma;
            }
        }
    }
    let mut evaluations = Vec::with_capacity(model.len());
    for m in model {
        let u = linear_image(m, keep, method, None)?.unwrap_or_default();
        let norm = dot(&u, &u).sqrt();
        evaluations.push(if norm > 0.0 {
            dot(&u, &unit_sum) / norm / total
        } else {
            0.0
        });
    }
    let pooled_sq = dot(&pooled, &pooled);
    let cosine = |num: f64, norm_a_sq: f64, norm_b: f64| {
        if norm_a_sq > 0.0 && norm_b > 0.0 {
            num / (norm_a_sq.sqrt() * norm_b)
        } else {
            0.0
        }
    };
    let (mut lower, mut upper) = (0.0, 0.0);
    for ((u, &(_, count)), (&norm, &sigma)) in
        images.iter().zip(groups).zip(norms.iter().zip(&sigmas))
    {
        let w_u = dot(&pooled, u);
        upper += cosine(w_u, pooled_sq, norm);
        if groups.len() > 1 && sigma > 0.0 {
            let c = count as f64 / sigma;
            // ‖W − c u‖² and (W − c u)·u
            let rest_sq = pooled_sq - 2.0 * c * w_u + c * c * norm * norm;
            lower += cosine(w_u - c * norm * norm, rest_sq, norm);
        }
    }
    let g = groups.len() as f64;
    let lower = if groups.len() > 1 {
        lower / g
    } else {
        upper / g
    };
    Ok(Some((evaluations, (lower, upper / g))))
}

fn kept(v: &[f64], keep: &[bool]) -> Vec<f64> {
    v.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect()
}

fn check_inputs(models: &[&[f64]], data: &[&[f64]]) -> Result<usize> {
    if models.is_empty() || data.is_empty() {
        // The messages naming the empty side.
        shared_positions(models, data)?;
    }
    // Sizes and finiteness; NaN may sit anywhere (left out everywhere).
    let all: Vec<&[f64]> = models.iter().chain(data).copied().collect();
    shared_positions(&all, &all)?;
    let n = n_conditions(data[0].len())?;
    if n < 3 {
        return Err(Error::InvalidRdm {
            detail: format!("model evaluation needs at least 3 conditions, these RDMs have {n}"),
        });
    }
    Ok(n)
}

/// Evaluates every model on every given sample (in parallel, results in
/// sample order).
pub fn evaluate_samples(
    models: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
    samples: &[Sample],
) -> Result<SampleEvaluations> {
    let n = check_inputs(models, data)?;
    // rsatoolbox's rule: a position that is NaN in any RDM is left out of
    // every comparison. The NaN are replaced by 0 in copies (their weight
    // is 0 and they are never kept), so no arithmetic meets them.
    let nan_anywhere = models
        .iter()
        .chain(data)
        .any(|v| v.iter().any(|x| x.is_nan()));
    let (defined, filled_models, filled_data) = if nan_anywhere {
        let defined: Vec<bool> = (0..data[0].len())
            .map(|i| models.iter().chain(data).all(|v| !v[i].is_nan()))
            .collect();
        if defined.iter().filter(|&&d| d).count() < 2 {
            return Err(Error::InvalidRdm {
                detail: "fewer than 2 dissimilarities are defined (not NaN) in every RDM; \
                         positions that are NaN in any RDM are left out of every comparison"
                    .into(),
            });
        }
        let fill = |v: &&[f64]| -> Vec<f64> {
            v.iter()
                .map(|&x| if x.is_nan() { 0.0 } else { x })
                .collect()
        };
        (
            Some(defined),
            models.iter().map(fill).collect::<Vec<_>>(),
            data.iter().map(fill).collect::<Vec<_>>(),
        )
    } else {
        (None, Vec::new(), Vec::new())
    };
    let models_in: Vec<&[f64]> = if defined.is_some() {
        filled_models.iter().map(Vec::as_slice).collect()
    } else {
        models.to_vec()
    };
    let data_in: Vec<&[f64]> = if defined.is_some() {
        filled_data.iter().map(Vec::as_slice).collect()
    } else {
        data.to_vec()
    };
    let (models, data) = (&models_in[..], &data_in[..]);
    for s in samples {
        if let Some(p) = &s.patterns
            && let Some(&bad) = p.iter().find(|&&i| i >= n)
        {
            return Err(Error::InvalidParameter {
                measure: "bootstrap sample".into(),
                detail: format!("condition index {bad} is out of range (there are {n})"),
            });
        }
        if let Some(r) = &s.rdms
            && let Some(&bad) = r.iter().find(|&&i| i >= data.len())
        {
            return Err(Error::InvalidParameter {
                measure: "bootstrap sample".into(),
                detail: format!("RDM index {bad} is out of range (there are {})", data.len()),
            });
        }
    }
    let results: Vec<Option<OneSample>> = samples
        .par_iter()
        .map(|s| {
            crate::interrupt::check()?;
            evaluate_one(models, data, n, s, method, defined.as_deref())
        })
        .collect::<Result<_>>()?;
    Ok(SampleEvaluations::from_samples(&results, models.len()))
}

/// The lower and upper noise ceiling of a set of data RDMs (each subject
/// against the pooled others / all).
pub fn noise_ceiling(data: &[&[f64]], method: CompareMethod) -> Result<(f64, f64)> {
    if data.len() < 2 {
        return Err(Error::InvalidRdm {
            detail: "a noise ceiling needs at least 2 data RDMs (subjects)".into(),
        });
    }
    let probe = [data[0]];
    let result = evaluate_samples(&probe, data, method, &[Sample::default()])?;
    Ok(result.noise_ceiling[0])
}

/// Summary statistics of a bootstrap (or of per-subject evaluations).
#[derive(Clone, Debug)]
pub struct EvaluationSummary {
    pub mean: Vec<f64>,
    /// Standard error of each model's mean.
    pub sem: Vec<f64>,
    /// Percentile confidence interval of each model's evaluation.
    pub ci_low: Vec<f64>,
    pub ci_high: Vec<f64>,
    /// Mean lower and upper noise ceiling.
    pub noise_ceiling: (f64, f64),
    /// Two-sided p-values of model i vs model j (1 on the diagonal).
    pub p_pairwise: Mat<f64>,
    /// One-sided p-value of each model vs 0.
    pub p_zero: Vec<f64>,
    /// Two-sided p-value of each model vs the lower noise ceiling.
    pub p_noise_ceiling: Vec<f64>,
    /// Two-sided bootstrap p-values of model i vs model j: from the share of
    /// samples where i scores below j (ties left out), 2·min(share, 1 −
    /// share), shrunk towards 1/N as (N − 1)/N · p + 1/N (rsatoolbox).
    pub p_pairwise_bootstrap: Mat<f64>,
    /// One-sided bootstrap p-value of each model vs 0: (#(e ≤ 0) + 1) / N.
    pub p_zero_bootstrap: Vec<f64>,
    /// Is there any reliable structure to explain? One-sided p-value of the
    /// lower noise ceiling vs 0: the t-test (as `p_zero`) and the bootstrap
    /// count (as `p_zero_bootstrap`). A lower bound not above 0 means the
    /// subjects' RDMs do not predict each other (rsatoolbox issue #332).
    pub p_noise_ceiling_zero: f64,
    pub p_noise_ceiling_zero_bootstrap: f64,
    /// Degrees of freedom of the t-tests.
    pub dof: usize,
    /// Number of valid samples.
    pub n_valid: usize,
}

/// How a summary gets the variance of a contrast of its columns (the
/// models, then the lower and upper noise ceiling) for its t-tests.
#[derive(Clone, Debug)]
pub enum Spread {
    /// The samples' own covariance, times n/(n − 1) for the n resampled
    /// units.
    Samples,
    /// A covariance of the columns computed elsewhere (the cross-validation
    /// repetitions' corrected one, [`super::bootcv`]), times n/(n − 1).
    Covariance(Mat<f64>),
    /// The dual bootstrap ([`super::dual`]): the covariances of the
    /// bootstraps over both, over data RDMs only and over conditions only,
    /// combined per contrast by rsatoolbox's small-sample formula
    /// (`_dual_bootstrap`): with r = R/(R − 1), p = P/(P − 1) for R data
    /// RDMs and P conditions,
    /// v = r·v_rdm + p·v_pattern − r·p·(v_both − v_rdm − v_pattern),
    /// kept at least r·v_rdm and p·v_pattern and at most v_both.
    Dual {
        both: Mat<f64>,
        rdms: Mat<f64>,
        patterns: Mat<f64>,
        n_rdms: usize,
        n_patterns: usize,
    },
}

impl Spread {
    /// The variance of Σ c·column over the `(column, c)` terms.
    fn variance(&self, terms: &[(usize, f64)], correction: f64) -> f64 {
        let quad = |cov: &Mat<f64>| -> f64 {
            terms
                .iter()
                .flat_map(|&(a, ca)| terms.iter().map(move |&(b, cb)| ca * cb * cov[(a, b)]))
                .sum()
        };
        match self {
            // `Samples` is turned into a `Covariance` before use.
            Spread::Samples => f64::NAN,
            Spread::Covariance(cov) => quad(cov) * correction,
            Spread::Dual {
                both,
                rdms,
                patterns,
                n_rdms,
                n_patterns,
            } => {
                let (v0, v1, v2) = (quad(both), quad(rdms), quad(patterns));
                let r = *n_rdms as f64 / (*n_rdms as f64 - 1.0);
                let p = *n_patterns as f64 / (*n_patterns as f64 - 1.0);
                let v = r * v1 + p * v2 - r * p * (v0 - v1 - v2);
                v.max(r * v1).max(p * v2).min(v0)
            }
        }
    }
}

/// The covariance (n − 1 in the denominator) of the columns (models, lower
/// and upper noise ceiling) over the `rows` given.
pub(crate) fn column_covariance(result: &SampleEvaluations, rows: &[usize]) -> Mat<f64> {
    let m = result.evaluations.ncols();
    let value = |i: usize, c: usize| match c {
        c if c < m => result.evaluations[(i, c)],
        c if c == m => result.noise_ceiling[i].0,
        _ => result.noise_ceiling[i].1,
    };
    let n = rows.len() as f64;
    let means: Vec<f64> = (0..m + 2)
        .map(|c| rows.iter().map(|&i| value(i, c)).sum::<f64>() / n)
        .collect();
    Mat::from_fn(m + 2, m + 2, |a, b| {
        rows.iter()
            .map(|&i| (value(i, a) - means[a]) * (value(i, b) - means[b]))
            .sum::<f64>()
            / (n - 1.0)
    })
}

/// The rows (samples) whose evaluations are defined.
pub(crate) fn valid_rows(result: &SampleEvaluations) -> Vec<usize> {
    (0..result.evaluations.nrows())
        .filter(|&i| result.evaluations[(i, 0)].is_finite())
        .collect()
}

/// Summarises sample evaluations; `n_effective` is the number of
/// resampled units (conditions, subjects, or the smaller), `ci` the level.
pub fn summarize(
    result: &SampleEvaluations,
    n_effective: usize,
    ci: f64,
) -> Result<EvaluationSummary> {
    summarize_with(result, &Spread::Samples, n_effective, ci)
}

/// [`summarize`] with the t-tests' variances from `spread`. The means are
/// the valid samples' (for [`Spread::Dual`], the caller passes the three
/// bootstraps' samples stacked, as rsatoolbox averages over them); the
/// percentile intervals and bootstrap counts use the same rows.
pub fn summarize_with(
    result: &SampleEvaluations,
    spread: &Spread,
    n_effective: usize,
    ci: f64,
) -> Result<EvaluationSummary> {
    let m = result.evaluations.ncols();
    let valid = valid_rows(result);
    if valid.len() < 2 {
        return Err(Error::InvalidParameter {
            measure: "rsa_bootstrap".into(),
            detail: format!(
                "only {} valid bootstrap sample(s); draw more samples (n_boot) or use more conditions",
                valid.len()
            ),
        });
    }
    if n_effective < 2 {
        return Err(Error::InvalidParameter {
            measure: "rsa_bootstrap".into(),
            detail: "at least 2 conditions and 2 subjects are needed for inference".into(),
        });
    }
    // Columns: models, then lower and upper noise ceiling.
    let column = |c: usize| -> Vec<f64> {
        valid
            .iter()
            .map(|&i| match c {
                c if c < m => result.evaluations[(i, c)],
                c if c == m => result.noise_ceiling[i].0,
                _ => result.noise_ceiling[i].1,
            })
            .collect()
    };
    let cols: Vec<Vec<f64>> = (0..m + 2).map(column).collect();
    let nv = valid.len() as f64;
    let means: Vec<f64> = cols.iter().map(|c| c.iter().sum::<f64>() / nv).collect();
    let correction = n_effective as f64 / (n_effective as f64 - 1.0);
    let own;
    let spread = match spread {
        Spread::Samples => {
            own = Spread::Covariance(column_covariance(result, &valid));
            &own
        }
        other => other,
    };
    let var = |terms: &[(usize, f64)]| spread.variance(terms, correction);
    let dof = n_effective - 1;
    let t = StudentsT::new(0.0, 1.0, dof as f64)
        .map_err(|e| Error::internal(format!("t distribution with {dof} dof: {e}")))?;
    let eps = f64::EPSILON;
    let two_sided = |stat: f64| 2.0 * (1.0 - t.cdf(stat.abs()));
    let sem: Vec<f64> = (0..m).map(|i| var(&[(i, 1.0)]).max(0.0).sqrt()).collect();
    let p_pairwise = Mat::from_fn(m, m, |i, j| {
        if i == j {
            1.0
        } else {
            let v = var(&[(i, 1.0), (j, -1.0)]);
            two_sided((means[i] - means[j]) / v.max(eps).sqrt())
        }
    });
    let p_zero = (0..m)
        .map(|i| 1.0 - t.cdf(means[i] / var(&[(i, 1.0)]).max(eps).sqrt()))
        .collect();
    let p_noise_ceiling = (0..m)
        .map(|i| {
            let v = var(&[(i, 1.0), (m, -1.0)]);
            two_sided((means[i] - means[m]) / v.max(eps).sqrt())
        })
        .collect();
    let mut ci_low = Vec::with_capacity(m);
    let mut ci_high = Vec::with_capacity(m);
    for c in cols.iter().take(m) {
        let mut sorted = c.clone();
        sorted.sort_by(f64::total_cmp);
        let (lo, hi) = percentile_interval(&sorted, ci);
        ci_low.push(lo);
        ci_high.push(hi);
    }
    let p_pairwise_bootstrap = Mat::from_fn(m, m, |i, j| {
        if i == j {
            return 1.0;
        }
        let (below, ties) = cols[i]
            .iter()
            .zip(&cols[j])
            .fold((0usize, 0usize), |(b, t), (x, y)| {
                (b + usize::from(x < y), t + usize::from(x == y))
            });
        let untied = valid.len() - ties;
        let share = if untied > 0 {
            below as f64 / untied as f64
        } else {
            0.5
        };
        let p = 2.0 * share.min(1.0 - share);
        (nv - 1.0) / nv * p + 1.0 / nv
    });
    let p_zero_bootstrap = cols[..m]
        .iter()
        .map(|c| (c.iter().filter(|&&v| v <= 0.0).count() as f64 + 1.0) / nv)
        .collect();
    let p_noise_ceiling_zero = 1.0 - t.cdf(means[m] / var(&[(m, 1.0)]).max(eps).sqrt());
    let p_noise_ceiling_zero_bootstrap =
        (cols[m].iter().filter(|&&v| v <= 0.0).count() as f64 + 1.0) / nv;
    Ok(EvaluationSummary {
        p_pairwise_bootstrap,
        p_zero_bootstrap,
        p_noise_ceiling_zero,
        p_noise_ceiling_zero_bootstrap,
        mean: means[..m].to_vec(),
        sem,
        ci_low,
        ci_high,
        noise_ceiling: (means[m], means[m + 1]),
        p_pairwise,
        p_zero,
        p_noise_ceiling,
        dof,
        n_valid: valid.len(),
    })
}

impl EvaluationSummary {
    /// The summary of samples too few to summarise (fewer than 2 valid):
    /// every statistic NaN, `n_valid` as counted. For callers that want the
    /// per-sample values whatever their number.
    pub fn undefined(result: &SampleEvaluations) -> EvaluationSummary {
        let m = result.evaluations.ncols();
        let valid = (0..result.evaluations.nrows())
            .filter(|&i| result.evaluations[(i, 0)].is_finite())
            .count();
        let nan = vec![f64::NAN; m];
        EvaluationSummary {
            mean: nan.clone(),
            sem: nan.clone(),
            ci_low: nan.clone(),
            ci_high: nan.clone(),
            noise_ceiling: (f64::NAN, f64::NAN),
            p_pairwise: Mat::from_fn(m, m, |_, _| f64::NAN),
            p_zero: nan.clone(),
            p_noise_ceiling: nan.clone(),
            p_pairwise_bootstrap: Mat::from_fn(m, m, |_, _| f64::NAN),
            p_zero_bootstrap: nan,
            p_noise_ceiling_zero: f64::NAN,
            p_noise_ceiling_zero_bootstrap: f64::NAN,
            dof: 0,
            n_valid: valid,
        }
    }
}

/// Options of [`rsa_bootstrap`].
#[derive(Clone, Copy, Debug)]
pub struct BootstrapOptions {
    pub method: CompareMethod,
    /// Bootstrap samples.
    pub n_boot: usize,
    pub over: Resample,
    pub seed: u64,
    /// Confidence level of the percentile intervals (e.g. 0.95).
    pub ci: f64,
}

/// Bootstrap evaluation of fixed models against data RDMs.
pub fn rsa_bootstrap(
    models: &[&[f64]],
    data: &[&[f64]],
    options: &BootstrapOptions,
) -> Result<(SampleEvaluations, EvaluationSummary)> {
    if models.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the model list".into(),
        });
    }
    let n = check_inputs(models, data)?;
    if !(options.ci > 0.0 && options.ci < 1.0) {
        return Err(Error::InvalidParameter {
            measure: "rsa_bootstrap".into(),
            detail: format!("ci must be in (0, 1), got {}", options.ci),
        });
    }
    crate::preflight::check_resamples(
        "rsa_bootstrap",
        options.n_boot,
        n + data.len() + models.len() + 2,
    )?;
    let samples = draw_samples(n, data.len(), options.over, options.n_boot, options.seed);
    let result = evaluate_samples(models, data, options.method, &samples)?;
    let n_effective = match options.over {
        Resample::Patterns => n,
        Resample::Rdms => data.len(),
        Resample::Both => n.min(data.len()),
    };
    let summary = summarize(&result, n_effective, options.ci)?;
    Ok((result, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::{RdmMethod, RdmSpec, rdm};
    use crate::testing::gaussian;
    use faer::Mat;

    /// Subjects' RDMs: a true geometry (fixed by `truth_seed`) plus subject
    /// noise (drawn from `noise_seed`), and the true and a wrong model RDM.
    fn simulate(
        n_cond: usize,
        subjects: usize,
        noise: f64,
        truth_seed: u64,
        noise_seed: u64,
    ) -> (Vec<f64>, Vec<Vec<f64>>, Vec<f64>) {
        let truth = gaussian(n_cond, 6, truth_seed);
        let other = gaussian(n_cond, 6, truth_seed + 1000);
        let spec = RdmSpec::new(RdmMethod::Euclidean);
        let true_rdm = rdm(truth.as_ref(), &spec).unwrap();
        let wrong_rdm = rdm(other.as_ref(), &spec).unwrap();
        let data = (0..subjects)
            .map(|s| {
                let e = gaussian(n_cond, 6, noise_seed.wrapping_mul(1_000_003) + s as u64);
                let x: Mat<f64> = &truth + e * noise;
                rdm(x.as_ref(), &spec).unwrap()
            })
            .collect();
        (true_rdm, data, wrong_rdm)
    }

    #[test]
    fn same_seed_same_result_and_thread_independent() {
        let (t, data, w) = simulate(10, 6, 1.0, 1, 1);
        let data: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
        let models: Vec<&[f64]> = vec![&t, &w];
        let options = BootstrapOptions {
            method: CompareMethod::Corr,
            n_boot: 200,
            over: Resample::Both,
            seed: 7,
            ci: 0.95,
        };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| rsa_bootstrap(&models, &data, &options).unwrap())
        };
        let (a, sa) = run(1);
        let (b, sb) = run(2);
        assert_eq!(a.evaluations, b.evaluations);
        assert_eq!(sa.mean, sb.mean);
        assert_eq!(sa.ci_low, sb.ci_low);
        assert!(sa.mean[0] > sa.mean[1]);
    }

    #[test]
    fn the_true_model_wins_and_its_interval_covers_the_truth() {
        // 200 simulated studies; subjects are resampled, so the interval
        // targets the population mean of the subject-level evaluation,
        // estimated here from 400 independent subjects.
        let studies = 200;
        let (truth_rdm, population, wrong) = simulate(12, 2000, 1.5, 99, 0);
        let keep = vec![true; truth_rdm.len()];
        let corr = CompareMethod::Corr;
        let pm = prepare(&truth_rdm, &keep, corr, None).unwrap();
        let target = population
            .iter()
            .map(|d| score(&pm, &prepare(d, &keep, corr, None).unwrap(), corr))
            .sum::<f64>()
            / population.len() as f64;
        let mut covered = 0;
        let mut wins = 0;
        for study in 0..studies {
            let (_, data, _) = simulate(12, 20, 1.5, 99, study as u64 + 1);
            let data: Vec<&[f64]> = data.iter().map(Vec::as_slice).collect();
            let models: Vec<&[f64]> = vec![&truth_rdm, &wrong];
            let options = BootstrapOptions {
                method: corr,
                n_boot: 300,
                over: Resample::Rdms,
                seed: study as u64,
                ci: 0.95,
            };
            let (_, s) = rsa_bootstrap(&models, &data, &options).unwrap();
            covered += usize::from(s.ci_low[0] <= target && target <= s.ci_high[0]);
            wins += usize::from(s.mean[0] > s.mean[1] && s.p_pairwise[(0, 1)] < 0.05);
        }
        assert!(covered >= 180, "covered {covered} of {studies}");
        assert!(wins >= 190, "the true model won {wins} of {studies}");
    }

    #[test]
    fn pattern_samples_leave_out_pairs_of_copies() {
        // Conditions 0, 0, 2, 3 of 4: (0,0) missing, (0,2) and (0,3) twice, (2,3).
        let pos = sample_positions(4, Some(&[0, 0, 2, 3])).unwrap();
        assert_eq!(pos, [None, Some(1), Some(2), Some(1), Some(2), Some(5)]);
    }

    #[test]
    fn bad_inputs() {
        let a = vec![1.0, 2.0, 3.0];
        let b = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert!(noise_ceiling(&[&a, &b], CompareMethod::Corr).is_err());
        assert!(noise_ceiling(&[&b], CompareMethod::Corr).is_err());
        assert!(noise_ceiling(&[&b, &b], CompareMethod::Bures).is_err());
    }
}
