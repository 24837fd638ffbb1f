//! The noise ceiling of an encoding model: how much of a target's response
//! is repeatable at all (the Brain-Score convention).
//!
//! Given R repeated measurements of the same n stimuli (R matrices of
//! n × targets), a split draws a random half of the repeats (⌊R/2⌋ of them,
//! seeded) and the rest; each half is averaged, and per target the Pearson
//! r between the two half-averages is the split-half reliability. r is
//! averaged over splits, then corrected to the full number of repeats with
//! Spearman–Brown, ρ = 2r / (1 + r) (each half holds half the repeats).
//! Targets with no variance in a half score 0, as constant targets do in
//! himalaya.
//!
//! For a target whose repeats are signal + independent noise of variance
//! σ² (signal variance 1), ρ estimates 1 / (1 + σ²/R), the correlation
//! between the average of R repeats and the signal squared, which is the
//! largest explained variance (or, with its square root, correlation) a
//! model of the signal can reach. A model's score divided by the ceiling is
//! its noise-normalised score ([`normalise`]).

use faer::MatRef;
use rand::seq::SliceRandom;

use crate::error::{Error, Result};
use crate::rng::seeded;
use crate::stats::pearson;

/// Split-half reliability of every target.
#[derive(Clone, Debug, PartialEq)]
pub struct Reliability {
    /// Mean split-half Pearson r per target.
    pub split_half: Vec<f64>,
    /// Spearman–Brown corrected reliability per target (the ceiling).
    pub ceiling: Vec<f64>,
}

/// Split-half reliability of `repeats` (each stimuli × targets, the same
/// stimuli and targets in the same order) over `n_splits` seeded splits.
pub fn split_half_reliability(
    repeats: &[MatRef<'_, f64>],
    n_splits: usize,
    seed: u64,
) -> Result<Reliability> {
    let r = repeats.len();
    crate::preflight::check_resamples("split-half reliability", n_splits, r)?;
    if r < 2 || n_splits == 0 {
        return Err(Error::Invalid {
            what: "noise ceiling".into(),
            detail: format!(
                "split halves need at least 2 repeats and 1 split (got {r} repeats, {n_splits} splits)"
            ),
        });
    }
    let (n, t) = (repeats[0].nrows(), repeats[0].ncols());
    for (i, m) in repeats.iter().enumerate() {
        if (m.nrows(), m.ncols()) != (n, t) {
            return Err(Error::Invalid {
                what: "noise ceiling".into(),
                detail: format!(
                    "repeat {i} is {} × {} but repeat 0 is {n} × {t}; every repeat must hold the same stimuli and targets",
                    m.nrows(),
                    m.ncols()
                ),
            });
        }
        crate::data::repset::check_finite(&format!("repeat {i}"), *m)?;
    }
    if n < 3 {
        return Err(Error::Invalid {
            what: "noise ceiling".into(),
            detail: format!("correlations over {n} stimuli are meaningless; need at least 3"),
        });
    }
    let mut rng = seeded(seed);
    let mut order: Vec<usize> = (0..r).collect();
    let mut sums = vec![0.0; t];
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..n_splits {
        order.shuffle(&mut rng);
        let (first, second) = order.split_at(r / 2);
        for (j, sum) in sums.iter_mut().enumerate() {
            for i in 0..n {
                a[i] = first.iter().map(|&k| repeats[k][(i, j)]).sum::<f64>() / first.len() as f64;
                b[i] =
                    second.iter().map(|&k| repeats[k][(i, j)]).sum::<f64>() / second.len() as f64;
            }
            *sum += pearson(&a, &b);
        }
    }
    let split_half: Vec<f64> = sums.iter().map(|s| s / n_splits as f64).collect();
    let ceiling = split_half.iter().map(|&r| spearman_brown(r)).collect();
    Ok(Reliability {
        split_half,
        ceiling,
    })
}

/// Spearman–Brown for doubling the number of repeats: 2r / (1 + r)
/// (0 for r ≤ −1, where the formula breaks down).
pub fn spearman_brown(r: f64) -> f64 {
    if r <= -1.0 { 0.0 } else { 2.0 * r / (1.0 + r) }
}

/// `score / ceiling` per target; NaN where the ceiling is not positive
/// (an unreliable target has no meaningful normalised score).
pub fn normalise(scores: &[f64], ceiling: &[f64]) -> Result<Vec<f64>> {
    if scores.len() != ceiling.len() {
        return Err(Error::ShapeMismatch {
            what: "scores (one per target of the ceiling)".into(),
            expected: ceiling.len(),
            found: scores.len(),
        });
    }
    Ok(scores
        .iter()
        .zip(ceiling)
        .map(|(&s, &c)| if c > 0.0 { s / c } else { f64::NAN })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;
    use faer::Mat;

    /// Signal + noise of variance σ² in each of R repeats: the ceiling
    /// estimates 1 / (1 + σ²/R); its mean over 200 targets must fall within
    /// four standard errors of that.
    #[test]
    fn recovers_a_known_reliability() {
        let (n, t, reps, sigma) = (150, 200, 6, 1.5_f64);
        let signal = gaussian_matrix(n, t, 1);
        let repeats: Vec<Mat<f64>> = (0..reps)
            .map(|k| {
                let noise = gaussian_matrix(n, t, 10 + k as u64);
                Mat::from_fn(n, t, |i, j| signal[(i, j)] + sigma * noise[(i, j)])
            })
            .collect();
        let views: Vec<MatRef<'_, f64>> = repeats.iter().map(|m| m.as_ref()).collect();
        let rel = split_half_reliability(&views, 20, 3).unwrap();
        let truth = 1.0 / (1.0 + sigma * sigma / reps as f64);
        let mean = rel.ceiling.iter().sum::<f64>() / t as f64;
        let sd =
            (rel.ceiling.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (t - 1) as f64).sqrt();
        let se = sd / (t as f64).sqrt();
        assert!(
            (mean - truth).abs() < 4.0 * se,
            "mean {mean}, truth {truth}, se {se}"
        );
        let normalised = normalise(&rel.ceiling, &rel.ceiling).unwrap();
        assert!(
            normalised
                .iter()
                .all(|v| (v - 1.0).abs() < 1e-12 || v.is_nan())
        );
    }

    #[test]
    fn bad_shapes_and_too_few_repeats_are_errors() {
        let a = gaussian_matrix(10, 3, 1);
        let b = gaussian_matrix(9, 3, 2);
        assert!(split_half_reliability(&[a.as_ref()], 5, 0).is_err());
        let e = split_half_reliability(&[a.as_ref(), b.as_ref()], 5, 0).unwrap_err();
        assert!(e.to_string().contains("repeat 1 is 9 × 3"), "{e}");
        assert!(normalise(&[1.0], &[0.5, 0.5]).is_err());
        assert_eq!(spearman_brown(0.5), 2.0 / 3.0);
    }
}
