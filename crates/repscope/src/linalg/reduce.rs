//! Sums and dot products that vectorise and stay deterministic.
//!
//! Rust keeps floating-point sums in source order, so a plain `iter().sum()`
//! is one long dependency chain that cannot use SIMD lanes. These use eight
//! independent accumulators combined in a fixed order: the same result on
//! every run and every thread count, several times faster.

/// Σ aᵢ bᵢ.
#[inline]
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let split = n - n % 8;
    for (x, y) in a[..split].chunks_exact(8).zip(b[..split].chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for k in split..n {
        tail += a[k] * b[k];
    }
    fold(acc) + tail
}

/// Σ aᵢ.
#[inline]
pub fn sum(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let split = a.len() - a.len() % 8;
    for x in a[..split].chunks_exact(8) {
        for k in 0..8 {
            acc[k] += x[k];
        }
    }
    fold(acc) + a[split..].iter().fold(0.0, |s, x| s + x)
}

/// Σ wᵢ aᵢ bᵢ.
#[inline]
pub fn weighted_dot(w: &[f64], a: &[f64], b: &[f64]) -> f64 {
    let n = w.len().min(a.len()).min(b.len());
    let (w, a, b) = (&w[..n], &a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let split = n - n % 8;
    for ((u, x), y) in w[..split]
        .chunks_exact(8)
        .zip(a[..split].chunks_exact(8))
        .zip(b[..split].chunks_exact(8))
    {
        for k in 0..8 {
            acc[k] += u[k] * x[k] * y[k];
        }
    }
    let mut tail = 0.0;
    for k in split..n {
        tail += w[k] * a[k] * b[k];
    }
    fold(acc) + tail
}

#[inline]
fn fold(acc: [f64; 8]) -> f64 {
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agree_with_plain_loops() {
        let a: Vec<f64> = (0..1003).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..1003).map(|i| (i as f64 * 0.11).cos()).collect();
        let plain: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-12);
        assert!((sum(&a) - a.iter().sum::<f64>()).abs() < 1e-12);
        let w = vec![2.0; 1003];
        assert!((weighted_dot(&w, &a, &b) - 2.0 * plain).abs() < 1e-12);
    }
}
