//! Helpers for the unit tests.

use faer::Mat;

pub use crate::rng::gaussian_matrix as gaussian;

/// A random orthogonal matrix (the Q of a Gaussian matrix's QR).
pub fn rotation(n: usize, seed: u64) -> Mat<f64> {
    gaussian(n, n, seed).qr().compute_thin_Q()
}
