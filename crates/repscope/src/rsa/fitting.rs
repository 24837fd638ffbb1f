//! Fitting flexible models for any comparison, by searching for the
//! parameters that maximise the model's mean comparison with the data RDMs
//! (rsatoolbox's `fit_optimize`/`fit_optimize_positive`, `fit_interpolate`
//! and `fit_select`, `model/fitter.py`).
//!
//! Three kinds of flexible model, each a non-negative combination of RDMs:
//!
//! - **weighted**: Σ θₖ Mₖ. For `cosine`, `corr`, `cosine_cov` and
//!   `corr_cov` the best θ has a closed form ([`super::models::fit_weights`],
//!   exact). For the rank comparisons (`spearman`, `rho_a`, `kendall_a`,
//!   `kendall_b`) and `bures` the score is piecewise constant or not smooth
//!   in θ, so gradients (rsatoolbox's BFGS) stall on the first plateau;
//!   repscope runs Nelder–Mead from several starts — the closed-form fit of
//!   the matching linear comparison, each component alone and the equal mix
//!   — on θ = u² (non-negative, as `fit_optimize_positive`) or θ = u (also
//!   from the non-negative optimum, so the free fit never scores below
//!   it) on a budget of steps, continues from the best and restarts it
//!   with smaller simplices.
//!   Comparisons ignore the scale of θ, so θ is returned at unit length.
//! - **interpolate**: (1 − w)·Mᵢ + w·Mᵢ₊₁ between neighbours in a series
//!   (rsatoolbox's `ModelInterpolate`): for each neighbouring pair, w in
//!   [0, 1] by a 100-step grid refined by golden-section search to 1e-10
//!   (rsatoolbox's bounded Brent search to 1e-5 finds a local optimum when
//!   the score has several); the best pair wins (the first on ties). θ has
//!   one entry per RDM, two of them non-zero.
//! - **select**: the one RDM that scores best (the first on ties), θ one-hot.
//!
//! The search is deterministic (no random starts), so a fit is the same on
//! every run. A position that is NaN in any RDM is left out of the fit.

use super::compare::{CompareMethod, PreparedRdm, prepare, score};
use super::models::{FitOptions, fit_on_entries, fit_weights_with};
use crate::error::{Error, Result};
use crate::stats::optimize::{NelderMead, bounded_minimum, nelder_mead};

/// The mean comparison of predictions with the data, on the positions
/// defined everywhere.
struct Objective {
    keep: Vec<bool>,
    data: Vec<PreparedRdm>,
    method: CompareMethod,
}

impl Objective {
    fn new(rdms: &[&[f64]], data: &[&[f64]], method: CompareMethod) -> Result<Objective> {
        if method.is_distance() || method == CompareMethod::NegRiemDist {
            return Err(Error::InvalidParameter {
                measure: "model fit".into(),
                detail: format!(
                    "models are fitted by a similarity; '{}' is not one a fit can maximise here \
                     (use 'bures' or a correlation)",
                    method.name()
                ),
            });
        }
        let m = data
            .first()
            .map(|v| v.len())
            .ok_or_else(|| Error::NoRepresentations {
                what: "the data RDM list".into(),
            })?;
        if rdms.is_empty() {
            return Err(Error::NoRepresentations {
                what: "the model's RDMs".into(),
            });
        }
        if let Some(v) = rdms.iter().chain(data).find(|v| v.len() != m) {
            return Err(Error::InvalidRdm {
                detail: format!("RDMs of different sizes: {} and {} entries", m, v.len()),
            });
        }
        if rdms
            .iter()
            .chain(data)
            .flat_map(|v| v.iter())
            .any(|x| x.is_infinite())
        {
            return Err(Error::InvalidRdm {
                detail: "RDMs with infinite entries cannot be fitted".into(),
            });
        }
        let keep: Vec<bool> = (0..m)
            .map(|i| rdms.iter().chain(data).all(|v| !v[i].is_nan()))
            .collect();
        if keep.iter().filter(|&&k| k).count() < 3 {
            return Err(Error::InvalidRdm {
                detail: "fewer than 3 dissimilarities are defined (not NaN) in every RDM".into(),
            });
        }
        let data = data
            .iter()
            .map(|v| prepare(v, &keep, method, None))
            .collect::<Result<_>>()?;
        Ok(Objective { keep, data, method })
    }

    /// The mean score of the prediction Σ θₖ·rdmₖ (negative weights as 0,
    /// as rsatoolbox's predictions).
    fn score(&self, rdms: &[&[f64]], theta: &[f64]) -> f64 {
        let mut predicted = vec![0.0; self.keep.len()];
        for (rdm, &t) in rdms.iter().zip(theta) {
            if t > 0.0 {
                predicted
                    .iter_mut()
                    .zip(rdm.iter())
                    .for_each(|(p, x)| *p += t * if x.is_nan() { 0.0 } else { *x });
            }
        }
        match prepare(&predicted, &self.keep, self.method, None) {
            Ok(p) => {
                let total: f64 = self.data.iter().map(|d| score(&p, d, self.method)).sum();
                let mean = total / self.data.len() as f64;
                if mean.is_nan() {
                    f64::NEG_INFINITY
                } else {
                    mean
                }
            }
            Err(_) => f64::NEG_INFINITY,
        }
    }
}

/// Weights of a weighted model for any similarity `method` (see the module
/// documentation); `options.sigma_k` is used by the closed-form fits only.
pub fn fit_weighted(
    components: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
    options: &FitOptions<'_>,
) -> Result<Vec<f64>> {
    if matches!(
        method,
        CompareMethod::Cosine
            | CompareMethod::Corr
            | CompareMethod::CosineCov
            | CompareMethod::CorrCov
    ) {
        return fit_weights_with(components, data, method, options);
    }
    let objective = Objective::new(components, data, method)?;
    let k = components.len();
    let kept = |v: &[f64]| -> Vec<f64> {
        v.iter()
            .zip(&objective.keep)
            .filter(|(_, k)| **k)
            .map(|(x, _)| *x)
            .collect()
    };
    let kept_components: Vec<Vec<f64>> = components.iter().map(|c| kept(c)).collect();
    let kept_data: Vec<Vec<f64>> = data.iter().map(|d| kept(d)).collect();
    // Starts: the closed-form non-negative `corr` fit, each component
    // alone, all equal.
    let mut starts: Vec<Vec<f64>> = Vec::new();
    let component_refs: Vec<&[f64]> = kept_components.iter().map(Vec::as_slice).collect();
    let data_refs: Vec<&[f64]> = kept_data.iter().map(Vec::as_slice).collect();
    if let Ok(theta) = fit_on_entries(&component_refs, &data_refs, CompareMethod::Corr)
        && theta.iter().any(|&t| t != 0.0)
    {
        starts.push(theta);
    }
    starts.extend((0..k).map(|j| (0..k).map(|i| f64::from(u8::from(i == j))).collect()));
    starts.push(vec![1.0 / (k as f64).sqrt(); k]);
    if !options.nonnegative {
        // The non-negative optimum is a point of the free search: the free
        // fit never scores below it.
        let nonnegative = FitOptions {
            nonnegative: true,
            normalize: true,
            sigma_k: None,
        };
        starts.push(fit_weighted(components, data, method, &nonnegative)?);
    }
    let nonnegative = options.nonnegative;
    // θ = u² keeps the weights non-negative.
    let theta_of = |u: &[f64]| -> Vec<f64> {
        if nonnegative {
            u.iter().map(|x| x * x).collect()
        } else {
            u.to_vec()
        }
    };
    // A rank score moves in many small steps: the simplex keeps finding
    // slightly better points without settling, so the search runs on
    // budgets — a short one from every start, a longer one from the best,
    // then two restarts with smaller simplices (a simplex that collapsed on
    // a step's edge gets another look around) — and stops early when the
    // simplex shrinks below 1e-6 in the weights.
    let budget = |iterations: usize, step: f64| NelderMead {
        initial_step: Some(step),
        xatol: 1e-6,
        fatol: f64::INFINITY,
        max_iterations: iterations * k.max(2),
    };
    let loss = |u: &[f64]| -objective.score(components, &theta_of(u));
    let mut best: Option<(Vec<f64>, f64)> = None;
    for start in starts {
        crate::interrupt::check()?;
        let u0: Vec<f64> = if nonnegative {
            start.iter().map(|t| t.max(0.0).sqrt()).collect()
        } else {
            start
        };
        let (u, value) = nelder_mead(loss, &u0, &budget(25, 0.2));
        if best.as_ref().is_none_or(|(_, b)| value < *b) {
            best = Some((u, value));
        }
    }
    let (mut u, mut value) =
        best.ok_or_else(|| Error::internal("no start for the weight search"))?;
    for settings in [budget(100, 0.1), budget(25, 0.05), budget(25, 0.01)] {
        crate::interrupt::check()?;
        let (again, v) = nelder_mead(loss, &u, &settings);
        if v < value {
            (u, value) = (again, v);
        }
    }
    let theta = theta_of(&u);
    let norm = theta.iter().map(|t| t * t).sum::<f64>().sqrt();
    Ok(if options.normalize && norm > 0.0 {
        theta.iter().map(|t| t / norm).collect()
    } else {
        theta
    })
}

/// θ of an interpolation model (one entry per RDM of the series, two
/// neighbours non-zero, summing to 1).
pub fn fit_interpolate(
    rdms: &[&[f64]],
    data: &[&[f64]],
    method: CompareMethod,
) -> Result<Vec<f64>> {
    if rdms.len() < 2 {
        return Err(Error::InvalidParameter {
            measure: "interpolation model".into(),
            detail: format!("needs a series of at least 2 RDMs, got {}", rdms.len()),
        });
    }
    let objective = Objective::new(rdms, data, method)?;
    let n = rdms.len();
    let mut best: Option<(usize, f64, f64)> = None;
    for i in 0..n - 1 {
        crate::interrupt::check()?;
        let pair = [rdms[i], rdms[i + 1]];
        let (w, value) = bounded_minimum(
            |w| -objective.score(&pair, &[1.0 - w, w]),
            0.0,
            1.0,
            100,
            1e-10,
        );
        if best.is_none_or(|(_, _, b)| value < b) {
            best = Some((i, w, value));
        }
    }
    let (i, w, _) = best.ok_or_else(|| Error::internal("no interpolation pair"))?;
    let mut theta = vec![0.0; n];
    theta[i] = 1.0 - w;
    theta[i + 1] = w;
    Ok(theta)
}

/// θ of a selection model: one-hot at the RDM that scores best.
pub fn fit_select(rdms: &[&[f64]], data: &[&[f64]], method: CompareMethod) -> Result<Vec<f64>> {
    let objective = Objective::new(rdms, data, method)?;
    let scores: Vec<f64> = (0..rdms.len())
        .map(|j| objective.score(&rdms[j..=j], &[1.0]))
        .collect();
    let best = scores
        .iter()
        .enumerate()
        .fold(0, |b, (j, s)| if *s > scores[b] { j } else { b });
    Ok((0..rdms.len())
        .map(|j| f64::from(u8::from(j == best)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::compare::compare;

    fn lcg(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn a_rank_fit_recovers_a_monotone_mixture_and_beats_each_component() {
        let (a, b) = (lcg(1, 45), lcg(2, 45));
        // Data: a monotone transform of 0.7a + 0.3b.
        let data: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (0.7 * x + 0.3 * y).powi(3))
            .collect();
        let options = FitOptions {
            nonnegative: true,
            normalize: true,
            sigma_k: None,
        };
        let theta = fit_weighted(&[&a, &b], &[&data], CompareMethod::Spearman, &options).unwrap();
        let mix: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| theta[0] * x + theta[1] * y)
            .collect();
        let fitted = compare(&[&mix], &[&data], CompareMethod::Spearman, None).unwrap()[(0, 0)];
        assert!(fitted > 0.999, "{fitted} {theta:?}");
        assert!((theta[0].powi(2) + theta[1].powi(2) - 1.0).abs() < 1e-12);
        assert!(
            theta[0] / theta[1] > 1.5 && theta[0] / theta[1] < 3.5,
            "{theta:?}"
        );
    }

    #[test]
    fn interpolation_and_selection_find_the_data_in_a_series() {
        let series: Vec<Vec<f64>> = (0..4).map(|s| lcg(10 + s, 28)).collect();
        let refs: Vec<&[f64]> = series.iter().map(Vec::as_slice).collect();
        let data: Vec<f64> = series[1]
            .iter()
            .zip(&series[2])
            .map(|(x, y)| 0.4 * x + 0.6 * y)
            .collect();
        let theta = fit_interpolate(&refs, &[&data], CompareMethod::Cosine).unwrap();
        assert!(theta[0] == 0.0 && theta[3] == 0.0);
        assert!((theta[2] - 0.6).abs() < 1e-6, "{theta:?}");
        let chosen = fit_select(&refs, &[&series[3]], CompareMethod::KendallA).unwrap();
        assert_eq!(chosen, vec![0.0, 0.0, 0.0, 1.0]);
        assert!(fit_interpolate(&refs[..1], &[&data], CompareMethod::Cosine).is_err());
        assert!(fit_select(&refs, &[&data], CompareMethod::BuresMetric).is_err());
    }
}
