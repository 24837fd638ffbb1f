//! Statistics support: seeded random numbers, covariance estimation,
//! ranks, and the Pearson correlation of two samples.

pub mod covariance;
pub mod rank;
pub mod rng;
pub mod signflip;

/// Pearson correlation of two equally long samples; 0 when either has no
/// variance (as himalaya and scikit-learn's scorers treat constant targets).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa > 0.0 && sbb > 0.0 {
        sab / (saa * sbb).sqrt()
    } else {
        0.0
    }
}
