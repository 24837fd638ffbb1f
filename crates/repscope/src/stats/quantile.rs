//! Quantiles of samples: numpy's linear-interpolation quantile, the
//! percentile interval of a bootstrap distribution, and the median.

/// The `q`-quantile of `sorted` (ascending) with linear interpolation
/// (numpy's default method); NaN for an empty slice.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The central percentile interval at confidence `level` of the sorted
/// samples: the (1 − level)/2 and 1 − (1 − level)/2 quantiles.
pub fn percentile_interval(sorted: &[f64], level: f64) -> (f64, f64) {
    let tail = (1.0 - level) / 2.0;
    (quantile(sorted, tail), quantile(sorted, 1.0 - tail))
}

/// numpy's median of `len` values given by their sorted-order statistic
/// `at(t)`: the middle one, or the mean of the middle two (NaN for none).
pub fn median_of(len: usize, at: impl Fn(usize) -> f64) -> f64 {
    match len {
        0 => f64::NAN,
        _ if len % 2 == 1 => at(len / 2),
        _ => 0.5 * (at(len / 2 - 1) + at(len / 2)),
    }
}

/// numpy's median of `values` (NaN sorts last, as `total_cmp` orders it).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    median_of(sorted.len(), |t| sorted[t])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numpy_conventions() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), 2.5);
        assert_eq!(quantile(&v, 0.25), 1.75);
        assert_eq!(percentile_interval(&v, 0.5), (1.75, 3.25));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert!(quantile(&[], 0.5).is_nan());
    }
}
