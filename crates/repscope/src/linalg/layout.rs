//! Row-major buffers (files, numpy) to and from faer's column-major
//! matrices, copied in tiles: an element-by-element copy across the two
//! layouts reads (or writes) with a stride of a whole row, and for wide
//! matrices that costs more than decompressing the data.

use faer::{Mat, MatRef};

use crate::error::{Error, Result};

/// Rows and columns per tile: 32 × 32 float64 is 8 KB on each side.
const TILE: usize = 32;

/// A `rows × cols` matrix from values in row-major order, each converted
/// by `f` (e.g. float32 → float64 while copying); an internal error when
/// the buffer does not hold `rows × cols` values.
pub fn from_row_major<T: Copy>(
    values: &[T],
    rows: usize,
    cols: usize,
    f: impl Fn(T) -> f64,
) -> Result<Mat<f64>> {
    if Some(values.len()) != rows.checked_mul(cols) {
        return Err(Error::internal(format!(
            "{} values for a {rows} × {cols} matrix",
            values.len()
        )));
    }
    let mut out = Mat::<f64>::zeros(rows, cols);
    for j0 in (0..cols).step_by(TILE) {
        let j1 = (j0 + TILE).min(cols);
        for i0 in (0..rows).step_by(TILE) {
            let i1 = (i0 + TILE).min(rows);
            for j in j0..j1 {
                if let Some(c) = out.col_mut(j).try_as_col_major_mut() {
                    let c = &mut c.as_slice_mut()[i0..i1];
                    for (k, v) in c.iter_mut().enumerate() {
                        *v = f(values[(i0 + k) * cols + j]);
                    }
                } else {
                    (i0..i1).for_each(|i| out[(i, j)] = f(values[i * cols + j]));
                }
            }
        }
    }
    Ok(out)
}

/// The values of `x` in row-major order.
pub fn to_row_major(x: MatRef<'_, f64>) -> Vec<f64> {
    let (rows, cols) = (x.nrows(), x.ncols());
    let mut out = vec![0.0; rows * cols];
    for i0 in (0..rows).step_by(TILE) {
        let i1 = (i0 + TILE).min(rows);
        for j0 in (0..cols).step_by(TILE) {
            let j1 = (j0 + TILE).min(cols);
            for j in j0..j1 {
                let col = x.col(j);
                match col.try_as_col_major() {
                    Some(c) => {
                        for (k, &v) in c.as_slice()[i0..i1].iter().enumerate() {
                            out[(i0 + k) * cols + j] = v;
                        }
                    }
                    None => (i0..i1).for_each(|i| out[i * cols + j] = col[i]),
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_equal_the_element_by_element_copy() {
        for (rows, cols) in [(0, 3), (1, 1), (5, 70), (67, 33), (40, 1)] {
            let values: Vec<f32> = (0..rows * cols).map(|v| v as f32 * 0.5).collect();
            let m = from_row_major(&values, rows, cols, f64::from).unwrap();
            let direct = Mat::from_fn(rows, cols, |i, j| f64::from(values[i * cols + j]));
            assert_eq!(m, direct);
            let back = to_row_major(m.as_ref());
            assert!(back.iter().zip(&values).all(|(a, &b)| *a == f64::from(b)));
            let strided = direct.transpose().transpose();
            assert_eq!(to_row_major(strided), back);
        }
        assert!(from_row_major(&[1.0, 2.0], 3, 1, |v| v).is_err());
    }
}
