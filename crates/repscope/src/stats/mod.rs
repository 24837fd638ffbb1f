//! Statistics support: seeded random numbers, calibrated scores, covariance estimation,
//! derivative-free minimisation, ranks, quantiles, and the Pearson correlation of two samples.

pub mod calibration;
pub mod covariance;
pub mod optimize;
pub mod quantile;
pub mod rank;

pub mod signflip;

/// The mean of `values`, summed in order (NaN for none).
pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Pearson correlation of two equally long samples; 0 when either has no
/// variance (as himalaya and scikit-learn's scorers treat constant targets).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    pearson_of(|| a.iter().copied(), || b.iter().copied())
}

/// [`pearson`] of two equally long sequences given as iterator factories
/// (columns of a matrix, say): the means first, then one pass over the
/// deviations.
pub fn pearson_of<I, J>(a: impl Fn() -> I, b: impl Fn() -> J) -> f64
where
    I: Iterator<Item = f64>,
    J: Iterator<Item = f64>,
{
    let n = a().count() as f64;
    let (ma, mb) = (a().sum::<f64>() / n, b().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a().zip(b()) {
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
