//! Row norms: vectors scaled to unit length, in float32 or float64.

use faer::traits::RealField;
use faer::{Mat, MatRef};
use rayon::prelude::*;

/// Element types of the kernels that run in float32 or float64 (search,
/// quantisation, row norms).
pub trait Real: RealField + Copy + Into<f64> + Send + Sync + 'static {
    const ONE: Self;
    const ZERO: Self;
    fn to_f64(self) -> f64;
    /// The nearest value of this type.
    fn from_f64_lossy(v: f64) -> Self;
    fn sqrt(self) -> Self;
}

impl Real for f32 {
    const ONE: Self = 1.0;
    const ZERO: Self = 0.0;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64_lossy(v: f64) -> Self {
        v as f32
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    const ONE: Self = 1.0;
    const ZERO: Self = 0.0;
    fn to_f64(self) -> f64 {
        self
    }
    fn from_f64_lossy(v: f64) -> Self {
        v
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// The rows of `x` scaled to unit length (a zero row stays zero), as one
/// row-major buffer filled in parallel (the layout a search's GEMM reads
/// without repacking). Each row is multiplied by 1 / ‖row‖, its squared
/// norm summed in `T`.
pub fn normalized_rows<T: Real>(x: MatRef<'_, T>) -> Vec<T> {
    let d = x.ncols();
    let mut out = vec![T::ZERO; x.nrows() * d];
    out.par_chunks_mut(d.max(1))
        .enumerate()
        .for_each(|(i, row)| {
            let mut s = T::ZERO;
            for (j, v) in row.iter_mut().enumerate() {
                *v = x[(i, j)];
                s += *v * *v;
            }
            if s > T::ZERO {
                let inv = T::ONE / s.sqrt();
                row.iter_mut().for_each(|v| *v *= inv);
            }
        });
    out
}

/// [`normalized_rows`] as a matrix.
pub fn normalize_rows<T: Real>(x: MatRef<'_, T>) -> Mat<T> {
    let rows = normalized_rows(x);
    MatRef::from_row_major_slice(&rows, x.nrows(), x.ncols()).to_owned()
}
