//! Calibrated similarity scores from a permutation null.
//!
//! Gröger, Wen & Brbić (2026), "Revisiting the Platonic Representation
//! Hypothesis: An Aristotelian View", ICML (arXiv 2602.14486), Algorithm 1:
//! a raw score s is judged against the scores of K pairs whose stimulus
//! correspondence was broken by permuting the stimuli (rows) of the second
//! representation. With the K null values and s itself sorted ascending,
//! the threshold τ is the value at rank ⌈(1 − α)(K + 1)⌉ (an order
//! statistic, not an interpolated quantile, so that a null pair passes with
//! probability at most α), and the calibrated score is
//!
//! ```text
//!     s_cal = clamp((s − τ) / (s_max − τ), 0, 1)
//! ```
//!
//! with s_max the measure's value for identical inputs; where a measure has
//! none, the unnormalised max(s − τ, 0). A score no better than chance is 0,
//! whatever the width, depth or stimulus count that inflate raw scores.
//!
//! Distances are calibrated the same way on the reversed scale: τ is the
//! order statistic from below, and s_cal = clamp((τ − d) / (τ − d_min), 0, 1)
//! with d_min the distance of identical inputs (0). The p-value is the
//! add-one permutation p-value, (1 + #{null at least as good as s}) / (K + 1).
//! Null values that are not finite (a permutation the measure cannot score)
//! are left out, and K counts the others.

use crate::measures::Kind;

/// What a permutation null says about one observed score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Calibration {
    /// The calibrated score in [0, 1] (unbounded above when the measure has
    /// no value for identical inputs).
    pub calibrated: f64,
    /// τ: the null's (1 − α) order statistic (α from below for distances).
    pub threshold: f64,
    /// The add-one permutation p-value.
    pub p_value: f64,
    /// The mean of the null values.
    pub null_mean: f64,
}

impl Calibration {
    /// Nothing to calibrate against (no finite null value, or no finite
    /// observed score).
    pub const UNDEFINED: Calibration = Calibration {
        calibrated: f64::NAN,
        threshold: f64::NAN,
        p_value: f64::NAN,
        null_mean: f64::NAN,
    };
}

/// Calibrates `observed` against `null` for a measure of `kind` whose value
/// for identical inputs is `best`, at level `alpha` (0.05 in the paper).
pub fn calibrate(
    observed: f64,
    null: &[f64],
    kind: Kind,
    best: Option<f64>,
    alpha: f64,
) -> Calibration {
    // On the "larger is better" scale: distances are negated.
    let sign = match kind {
        Kind::Similarity => 1.0,
        Kind::Distance => -1.0,
    };
    let s = sign * observed;
    let mut values: Vec<f64> = null
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| sign * v)
        .collect();
    if values.is_empty() || !s.is_finite() {
        return Calibration::UNDEFINED;
    }
    let k = values.len();
    let null_mean = sign * values.iter().sum::<f64>() / k as f64;
    let at_least = values.iter().filter(|&&v| v >= s).count();
    values.push(s);
    values.sort_by(f64::total_cmp);
    let rank = ((1.0 - alpha) * (k + 1) as f64 - 1e-9).ceil().max(1.0) as usize;
    let tau = values[rank.min(k + 1) - 1];
    let calibrated = match best.map(|b| sign * b) {
        Some(top) => {
            if s <= tau {
                0.0
            } else {
                ((s - tau) / (top - tau).max(1e-12)).clamp(0.0, 1.0)
            }
        }
        None => (s - tau).max(0.0),
    };
    Calibration {
        calibrated,
        threshold: sign * tau,
        p_value: (1 + at_least) as f64 / (k + 1) as f64,
        null_mean,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_the_order_statistic_with_the_observed_value() {
        // K = 19 null values 0.00..0.18 and s = 0.5: rank ⌈0.95 · 20⌉ = 19
        // of the 20 sorted values is 0.18.
        let null: Vec<f64> = (0..19).map(|i| i as f64 / 100.0).collect();
        let c = calibrate(0.5, &null, Kind::Similarity, Some(1.0), 0.05);
        assert_eq!(c.threshold, 0.18);
        assert!((c.calibrated - (0.5 - 0.18) / (1.0 - 0.18)).abs() < 1e-15);
        assert_eq!(c.p_value, 1.0 / 20.0);
        // Below the threshold: 0; an unbounded measure: s − τ.
        assert_eq!(
            calibrate(0.1, &null, Kind::Similarity, Some(1.0), 0.05).calibrated,
            0.0
        );
        let unbounded = calibrate(0.5, &null, Kind::Similarity, None, 0.05);
        assert!((unbounded.calibrated - 0.32).abs() < 1e-15);
    }

    #[test]
    fn distances_are_calibrated_on_the_reversed_scale() {
        let null: Vec<f64> = (0..19).map(|i| 1.0 + i as f64 / 100.0).collect();
        let c = calibrate(0.4, &null, Kind::Distance, Some(0.0), 0.05);
        // The second smallest of the 20: 0.4 itself is the smallest.
        assert_eq!(c.threshold, 1.0);
        assert!((c.calibrated - 0.6).abs() < 1e-15);
        assert_eq!(c.p_value, 0.05);
        let similar = calibrate(
            -0.4,
            &null.iter().map(|v| -v).collect::<Vec<_>>(),
            Kind::Similarity,
            Some(0.0),
            0.05,
        );
        assert_eq!(similar.calibrated, c.calibrated);
    }

    #[test]
    fn non_finite_nulls_are_left_out() {
        let c = calibrate(
            0.9,
            &[f64::NAN, 0.1, 0.2],
            Kind::Similarity,
            Some(1.0),
            0.05,
        );
        assert_eq!(c.p_value, 1.0 / 3.0);
        assert_eq!(c.null_mean, 0.15000000000000002);
        assert!(
            calibrate(0.9, &[f64::NAN], Kind::Similarity, None, 0.05)
                .p_value
                .is_nan()
        );
    }
}
