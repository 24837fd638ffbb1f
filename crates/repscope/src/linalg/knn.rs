//! Exact k nearest neighbours of every row, by blocked GEMM and partial
//! selection: O(n² p) time and O(block · n + n k) memory, never a full sort
//! of a row. Ties are broken by the lower row index, so results are
//! reproducible.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// How closeness is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Closeness {
    /// Larger inner product is closer (cosine on L2-normalised rows).
    InnerProduct,
    /// Smaller Euclidean distance is closer.
    Euclidean,
}

/// The neighbours of every row: `k` indices per row, closest first.
#[derive(Clone, Debug)]
pub struct Neighbours {
    pub k: usize,
    /// Row-major n × k.
    pub indices: Vec<u32>,
}

impl Neighbours {
    /// The neighbours of row `i`, closest first.
    pub fn of(&self, i: usize) -> &[u32] {
        &self.indices[i * self.k..(i + 1) * self.k]
    }
}

/// The `k` nearest rows of every row of `x` (excluding the row itself).
pub fn knn(x: MatRef<'_, f64>, k: usize, closeness: Closeness) -> Result<Neighbours> {
    let n = x.nrows();
    if k == 0 || k >= n {
        return Err(Error::InvalidParameter {
            measure: "nearest neighbours".into(),
            detail: format!(
                "k must be between 1 and n − 1 = {}, got {k}",
                n.saturating_sub(1)
            ),
        });
    }
    let sq_norms: Vec<f64> = (0..n)
        .map(|i| x.row(i).iter().map(|v| v * v).sum())
        .collect();
    let block = ((4 << 20) / (8 * n.max(1))).clamp(8, 512);
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    let parts: Vec<Vec<u32>> = starts
        .par_iter()
        .map(|&r0| {
            let rows = block.min(n - r0);
            let mut g = Mat::zeros(rows, n);
            matmul(
                g.as_mut(),
                Accum::Replace,
                x.subrows(r0, rows),
                x.transpose(),
                1.0,
                Par::Seq,
            );
            let mut out = Vec::with_capacity(rows * k);
            let mut candidates: Vec<(f64, u32)> = Vec::with_capacity(n);
            for r in 0..rows {
                let i = r0 + r;
                candidates.clear();
                // Score: larger is closer.
                candidates.extend((0..n).filter(|&j| j != i).map(|j| {
                    let s = match closeness {
                        Closeness::InnerProduct => g[(r, j)],
                        Closeness::Euclidean => -(sq_norms[i] + sq_norms[j] - 2.0 * g[(r, j)]),
                    };
                    (s, j as u32)
                }));
                let order =
                    |a: &(f64, u32), b: &(f64, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
                candidates.select_nth_unstable_by(k - 1, order);
                candidates[..k].sort_unstable_by(order);
                out.extend(candidates[..k].iter().map(|&(_, j)| j));
            }
            out
        })
        .collect();
    Ok(Neighbours {
        k,
        indices: parts.concat(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gaussian;

    #[test]
    fn equals_a_full_sort() {
        let x = gaussian(700, 5, 3);
        for closeness in [Closeness::InnerProduct, Closeness::Euclidean] {
            let nb = knn(x.as_ref(), 7, closeness).unwrap();
            for i in [0, 1, 350, 699] {
                let mut all: Vec<(f64, usize)> = (0..700)
                    .filter(|&j| j != i)
                    .map(|j| {
                        let dot: f64 = (0..5).map(|c| x[(i, c)] * x[(j, c)]).sum();
                        let d2: f64 = (0..5).map(|c| (x[(i, c)] - x[(j, c)]).powi(2)).sum();
                        (
                            if closeness == Closeness::InnerProduct {
                                -dot
                            } else {
                                d2
                            },
                            j,
                        )
                    })
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let expected: Vec<u32> = all[..7].iter().map(|&(_, j)| j as u32).collect();
                assert_eq!(nb.of(i), expected.as_slice());
            }
        }
        assert!(knn(x.as_ref(), 700, Closeness::Euclidean).is_err());
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        let x = Mat::from_fn(5, 1, |i, _| if i == 0 { 0.0 } else { 1.0 });
        let nb = knn(x.as_ref(), 2, Closeness::Euclidean).unwrap();
        assert_eq!(nb.of(0), [1, 2]);
    }
}
