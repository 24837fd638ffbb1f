//! Grounding checks a user can run on any measure, in the spirit of ReSi
//! (Klabunde et al. 2025, "ReSi: A Comprehensive Benchmark for
//! Representational Similarity Measures", ICLR): does the score follow a
//! similarity that is known by construction?
//!
//! - **Correlation structure**: Y = ρ·X + √(1 − ρ²)·E with X and E
//!   independent Gaussian (n × d). As ρ goes from 0 to 1, a similarity
//!   should rise and a distance fall. The check reports the Spearman
//!   correlation between ρ and the score (the sign turned for distances) and
//!   passes at 0.9 or more.
//! - **Layer order**: in one network, layers further apart should be less
//!   alike. For every layer, the Spearman correlation between the distance
//!   in depth to each other layer and the score (sign turned for
//!   similarities) is averaged over layers; the check passes at 0.5 or more.
//!   This assumes the network changes its representation gradually, as
//!   residual networks do; it is a check of the measure on a model the user
//!   trusts to behave so.

use faer::{Mat, MatRef};

use super::{AnyMeasure, Kind, similarity};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::rng::gaussian_matrix;
use crate::stats::rank::average_ranks;

/// What a grounding check found.
#[derive(Clone, Debug)]
pub struct Grounding {
    /// The check's statistic (a Spearman correlation, oriented so that 1 is
    /// the expected order).
    pub statistic: f64,
    /// The statistic at which the check passes.
    pub threshold: f64,
    pub passed: bool,
    /// The settings (ρ values or layer indices) and their scores.
    pub settings: Vec<f64>,
    pub scores: Vec<f64>,
}

fn orientation(measure: &dyn AnyMeasure) -> f64 {
    match measure.info().kind {
        Kind::Similarity => 1.0,
        Kind::Distance => -1.0,
    }
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    crate::stats::pearson(&average_ranks(a), &average_ranks(b))
}

fn score(measure: &dyn AnyMeasure, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<f64> {
    similarity(RepRef { name: "X", x }, RepRef { name: "Y", x: y }, measure)
}

/// The correlation-structure check on n × d Gaussian data at `levels` of ρ
/// (each in [0, 1]), seeded.
pub fn correlation_check(
    measure: &dyn AnyMeasure,
    n: usize,
    d: usize,
    levels: &[f64],
    seed: u64,
) -> Result<Grounding> {
    if levels.len() < 3 || levels.iter().any(|r| !(0.0..=1.0).contains(r)) {
        return Err(Error::OutOfRange {
            what: "the correlation levels".into(),
            value: format!("{levels:?}"),
            expected: "at least 3 values in [0, 1]".into(),
        });
    }
    let x = gaussian_matrix(n, d, seed);
    let noise = gaussian_matrix(n, d, seed.wrapping_add(1));
    let scores = levels
        .iter()
        .map(|&rho| {
            let y = Mat::from_fn(n, d, |i, j| {
                rho * x[(i, j)] + (1.0 - rho * rho).sqrt() * noise[(i, j)]
            });
            score(measure, x.as_ref(), y.as_ref())
        })
        .collect::<Result<Vec<f64>>>()?;
    let oriented: Vec<f64> = scores.iter().map(|s| orientation(measure) * s).collect();
    let statistic = spearman(levels, &oriented);
    Ok(Grounding {
        statistic,
        threshold: 0.9,
        passed: statistic >= 0.9,
        settings: levels.to_vec(),
        scores,
    })
}

/// The layer-order check on the layers of one network, in depth order (the
/// same stimuli in every layer). `scores` holds the L × L matrix row by row.
pub fn layer_order_check(
    measure: &dyn AnyMeasure,
    layers: &[MatRef<'_, f64>],
) -> Result<Grounding> {
    let l = layers.len();
    if l < 3 {
        return Err(Error::TooFew {
            what: "the layer-order check".into(),
            needed: 3,
            found: l,
        });
    }
    let mut matrix = vec![f64::NAN; l * l];
    for i in 0..l {
        for j in 0..l {
            if i != j {
                matrix[i * l + j] = score(measure, layers[i], layers[j])?;
            }
        }
    }
    // Further apart should be less alike: the oriented score falls with depth distance.
    let per_layer: Vec<f64> = (0..l)
        .map(|i| {
            let others: Vec<usize> = (0..l).filter(|&j| j != i).collect();
            let apart: Vec<f64> = others.iter().map(|&j| i.abs_diff(j) as f64).collect();
            let alike: Vec<f64> = others
                .iter()
                .map(|&j| -orientation(measure) * matrix[i * l + j])
                .collect();
            spearman(&apart, &alike)
        })
        .filter(|r| r.is_finite())
        .collect();
    let statistic = crate::stats::mean(&per_layer);
    Ok(Grounding {
        statistic,
        threshold: 0.5,
        passed: statistic >= 0.5,
        settings: (0..l).map(|i| i as f64).collect(),
        scores: matrix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{Params, build, measures};

    #[test]
    fn every_pairing_measure_follows_a_known_correlation() {
        // The differences of summary statistics compare each representation's
        // own statistic and ignore which stimulus is which, so they need not
        // follow ρ (ReSi finds the same); concentricity happens to here.
        let pairing_blind = ["magnitude", "uniformity"];
        let levels = [0.0, 0.3, 0.6, 0.8, 0.95, 1.0];
        for info in measures() {
            let m = build(info.name, &Params::new()).unwrap();
            let g = correlation_check(m.as_ref(), 200, 8, &levels, 3).unwrap();
            assert_eq!(
                g.passed,
                !pairing_blind.contains(&info.name),
                "{}: ρ vs score {:?} (Spearman {})",
                info.name,
                g.scores,
                g.statistic
            );
        }
    }

    #[test]
    fn a_gradually_changing_network_passes_the_layer_order_check() {
        // Each layer is the last plus a little new structure.
        let mut layers = vec![gaussian_matrix(120, 10, 1)];
        for k in 0..5 {
            let last = layers.last().unwrap();
            let step = last * gaussian_matrix(10, 10, 10 + k) * 0.35;
            layers.push(last + step);
        }
        let views: Vec<MatRef<'_, f64>> = layers.iter().map(|m| m.as_ref()).collect();
        for name in ["linear_cka", "procrustes", "rsa"] {
            let m = build(name, &Params::new()).unwrap();
            let g = layer_order_check(m.as_ref(), &views).unwrap();
            assert!(g.passed, "{name}: {}", g.statistic);
        }
        // Shuffled depth order fails.
        let shuffled: Vec<MatRef<'_, f64>> = [0, 5, 1, 4, 2, 3].iter().map(|&i| views[i]).collect();
        let m = build("linear_cka", &Params::new()).unwrap();
        assert!(!layer_order_check(m.as_ref(), &shuffled).unwrap().passed);
    }
}
