//! Condensed RDM vectors: the upper triangle of an n × n dissimilarity
//! matrix, row by row (scipy `pdist` / `squareform` order):
//! (0,1), (0,2), …, (0,n−1), (1,2), …, (n−2,n−1).

use faer::Mat;

use crate::error::{Error, Result};

/// Number of pairs of `n` conditions.
pub fn n_pairs(n: usize) -> usize {
    n * n.saturating_sub(1) / 2
}

/// Position of pair (i, j), i < j, in the condensed vector.
#[inline]
pub fn pair_index(n: usize, i: usize, j: usize) -> usize {
    debug_assert!(i < j && j < n);
    i * n - i * (i + 1) / 2 + (j - i - 1)
}

/// The number of conditions a condensed vector of `len` entries describes.
pub fn n_conditions(len: usize) -> Result<usize> {
    // n (n − 1) / 2 = len  ⇔  n = (1 + √(1 + 8 len)) / 2
    let n = ((1.0 + (1.0 + 8.0 * len as f64).sqrt()) / 2.0).round() as usize;
    if n_pairs(n) != len || n < 2 {
        return Err(Error::InvalidRdm {
            detail: format!(
                "a condensed RDM has n(n−1)/2 entries for n conditions, but this one has {len}"
            ),
        });
    }
    Ok(n)
}

/// The square symmetric matrix with a zero diagonal.
pub fn to_square(rdm: &[f64]) -> Result<Mat<f64>> {
    let n = n_conditions(rdm.len())?;
    let mut m = Mat::zeros(n, n);
    for i in 0..n {
        for j in i + 1..n {
            let v = rdm[pair_index(n, i, j)];
            m[(i, j)] = v;
            m[(j, i)] = v;
        }
    }
    Ok(m)
}

/// Gower's centred matrix `−½ H D H` of a condensed RDM (`D` the square
/// form, zero diagonal; `squared`: of the squared dissimilarities, as
/// classical MDS takes them), `H = I − 11ᵀ/n`.
pub fn gower(rdm: &[f64], squared: bool) -> Result<Mat<f64>> {
    let n = n_conditions(rdm.len())?;
    let entry = |v: f64| -0.5 * if squared { v * v } else { v };
    let mut g = Mat::from_fn(n, n, |i, j| match i.cmp(&j) {
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Less => entry(rdm[pair_index(n, i, j)]),
        std::cmp::Ordering::Greater => entry(rdm[pair_index(n, j, i)]),
    });
    crate::linalg::double_centre(&mut g);
    Ok(g)
}

/// The condensed vector of the upper triangle of a square matrix.
pub fn from_square(m: faer::MatRef<'_, f64>) -> Vec<f64> {
    let n = m.nrows();
    let mut out = Vec::with_capacity(n_pairs(n));
    for i in 0..n {
        for j in i + 1..n {
            out.push(m[(i, j)]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexing_matches_pdist_order() {
        let n = 6;
        let mut k = 0;
        for i in 0..n {
            for j in i + 1..n {
                assert_eq!(pair_index(n, i, j), k);
                k += 1;
            }
        }
        assert_eq!(n_pairs(n), k);
        assert_eq!(n_conditions(k).unwrap(), n);
        assert!(n_conditions(7).is_err());
        let v: Vec<f64> = (0..15).map(f64::from).collect();
        assert_eq!(from_square(to_square(&v).unwrap().as_ref()), v);
    }
}
