//! A matrix viewed in place in the precision it is stored in (float32 or
//! float64), read into float64 a block of columns at a time. Large float32
//! inputs (a whole-brain searchlight's volumes) then stay float32 in
//! memory while every computation is float64.

use faer::{Mat, MatRef};
use rayon::prelude::*;

/// A matrix in float64 or float32 storage, viewed in place (any strides).
#[derive(Clone, Copy, Debug)]
pub enum Stored<'a> {
    F64(MatRef<'a, f64>),
    F32(MatRef<'a, f32>),
}

impl<'a> From<MatRef<'a, f64>> for Stored<'a> {
    fn from(m: MatRef<'a, f64>) -> Self {
        Stored::F64(m)
    }
}

impl<'a> From<MatRef<'a, f32>> for Stored<'a> {
    fn from(m: MatRef<'a, f32>) -> Self {
        Stored::F32(m)
    }
}

impl<'a> From<&'a Mat<f64>> for Stored<'a> {
    fn from(m: &'a Mat<f64>) -> Self {
        Stored::F64(m.as_ref())
    }
}

impl Stored<'_> {
    pub fn nrows(&self) -> usize {
        match self {
            Stored::F64(m) => m.nrows(),
            Stored::F32(m) => m.nrows(),
        }
    }

    pub fn ncols(&self) -> usize {
        match self {
            Stored::F64(m) => m.ncols(),
            Stored::F32(m) => m.ncols(),
        }
    }

    /// Bytes per stored value (4 or 8).
    pub fn value_bytes(&self) -> usize {
        match self {
            Stored::F64(_) => 8,
            Stored::F32(_) => 4,
        }
    }

    /// Entry (i, j), widened to float64.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        match self {
            Stored::F64(m) => m[(i, j)],
            Stored::F32(m) => f64::from(m[(i, j)]),
        }
    }

    /// The columns `cols`, in that order, as a float64 matrix (filled in
    /// parallel, one column per task).
    pub fn gather(&self, cols: &[usize]) -> Mat<f64> {
        let mut out = Mat::<f64>::zeros(self.nrows(), cols.len());
        out.par_col_iter_mut()
            .zip(cols.par_iter())
            .for_each(|(mut dst, &c)| match self {
                Stored::F64(m) => dst.copy_from(m.col(c)),
                Stored::F32(m) => {
                    for (d, s) in dst.iter_mut().zip(m.col(c).iter()) {
                        *d = f64::from(*s);
                    }
                }
            });
        out
    }

    /// The first entry that is NaN or infinite, as (row, column, value),
    /// scanning columns in order.
    pub fn first_non_finite(&self) -> Option<(usize, usize, f64)> {
        (0..self.ncols()).into_par_iter().find_map_first(|j| {
            (0..self.nrows()).find_map(|i| {
                let v = self.get(i, j);
                (!v.is_finite()).then_some((i, j, v))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float32_columns_widen_exactly_and_non_finite_values_are_found() {
        let narrow = Mat::<f32>::from_fn(3, 4, |i, j| i as f32 * 0.1 + j as f32);
        let stored = Stored::from(narrow.as_ref());
        let got = stored.gather(&[3, 0]);
        assert_eq!(got[(1, 0)], f64::from(narrow[(1, 3)]));
        assert_eq!(got[(2, 1)], f64::from(narrow[(2, 0)]));
        assert_eq!(stored.first_non_finite(), None);
        let mut wide = Mat::<f64>::zeros(3, 4);
        wide[(2, 1)] = f64::INFINITY;
        wide[(0, 3)] = f64::NAN;
        let found = Stored::from(&wide).first_non_finite();
        assert_eq!(found.map(|(i, j, _)| (i, j)), Some((2, 1)));
    }
}
