//! Symmetric matrices stored as their packed lower triangle, with a
//! deterministic Frobenius inner product that can be computed for one pair
//! or for many pairs at once with the same bits.
//!
//! Comparing L Gram matrices of n × n with each other is memory-bound: each
//! pair reads 2 · n²/2 numbers for n²/2 multiply-adds. [`block_dots`] reads
//! every matrix once per column and computes all pairs from cache, and
//! [`PackedSymmetric::dot`] performs exactly the same operations in the same
//! order for one pair, so the two agree bit for bit whatever the number of
//! threads.

use faer::{Mat, MatRef, Par};
use rayon::prelude::*;

/// Columns per unit of parallel work. The summation order is fixed by
/// these constants (sum within a column chunk by chunk, within a group of
/// columns, then over groups in order), never by the number of threads.
const COLUMNS_PER_GROUP: usize = 32;
/// Entries per chunk of a column: the chunks of all matrices being compared
/// stay in the L1/L2 cache while every pair is computed from them.
const CHUNK: usize = 512;

/// A symmetric n × n matrix as its lower triangle, column by column
/// (column j holds rows j..n).
pub struct PackedSymmetric {
    n: usize,
    data: Vec<f64>,
}

impl PackedSymmetric {
    /// Packs the lower triangle of `lower` (the strict upper part is ignored).
    pub fn from_lower(lower: MatRef<'_, f64>) -> Self {
        let n = lower.nrows();
        let mut data = Vec::with_capacity(n * (n + 1) / 2);
        for j in 0..n {
            data.extend((j..n).map(|i| lower[(i, j)]));
        }
        Self { n, data }
    }

    /// Order of the matrix.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Rows j..n of column j.
    fn column(&self, j: usize) -> &[f64] {
        // Columns 0..j hold n, n − 1, …, n − j + 1 entries.
        let start = j * self.n - j * j.saturating_sub(1) / 2;
        &self.data[start..start + (self.n - j)]
    }

    /// The diagonal.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.n).map(|j| self.column(j)[0]).collect()
    }

    /// Entry (i, j).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let (i, j) = if i >= j { (i, j) } else { (j, i) };
        self.column(j)[i - j]
    }

    /// The matrix on the given rows and the same columns, repeats allowed:
    /// entry (i, j) is `self[rows[i], rows[j]]`.
    pub fn select(&self, rows: &[usize]) -> Self {
        let n = rows.len();
        let mut data = Vec::with_capacity(n * (n + 1) / 2);
        for (j, &rj) in rows.iter().enumerate() {
            data.extend(rows[j..].iter().map(|&ri| self.get(ri, rj)));
        }
        Self { n, data }
    }

    /// Double-centres in place (H A H with H = I − 11ᵀ/n): subtracts the
    /// row and column means and adds back the grand mean.
    pub fn double_centre(&mut self) {
        let n = self.n;
        if n == 0 {
            return;
        }
        let mut means = vec![0.0; n];
        for j in 0..n {
            let column = self.column(j);
            means[j] += column[0];
            for (k, &v) in column[1..].iter().enumerate() {
                means[j + 1 + k] += v;
                means[j] += v;
            }
        }
        means.iter_mut().for_each(|m| *m /= n as f64);
        let grand = means.iter().sum::<f64>() / n as f64;
        for j in 0..n {
            let start = j * n - j * j.saturating_sub(1) / 2;
            for (k, v) in self.data[start..start + (n - j)].iter_mut().enumerate() {
                *v += grand - means[j] - means[j + k];
            }
        }
    }

    /// The full symmetric matrix.
    pub fn to_full(&self) -> Mat<f64> {
        let mut m = Mat::zeros(self.n, self.n);
        for j in 0..self.n {
            for (k, &v) in self.column(j).iter().enumerate() {
                m[(j + k, j)] = v;
                m[(j, j + k)] = v;
            }
        }
        m
    }

    /// The Frobenius distance ‖A − B‖_F over all n² entries.
    pub fn distance(&self, other: &Self) -> f64 {
        let mut total = 0.0;
        for j in 0..self.n {
            let (a, b) = (self.column(j), other.column(j));
            let below: f64 = a[1..]
                .iter()
                .zip(&b[1..])
                .map(|(x, y)| (x - y) * (x - y))
                .sum();
            total += (a[0] - b[0]).powi(2) + 2.0 * below;
        }
        total.sqrt()
    }

    /// The Frobenius inner product `Σᵢⱼ aᵢⱼ bᵢⱼ` of two symmetric matrices.
    pub fn dot(&self, other: &Self) -> f64 {
        let groups = self.n.div_ceil(COLUMNS_PER_GROUP);
        (0..groups)
            .map(|g| group_dot(self, other, g))
            .sum_in_order()
    }
}

trait SumInOrder {
    fn sum_in_order(self) -> f64;
}

impl<I: Iterator<Item = f64>> SumInOrder for I {
    fn sum_in_order(self) -> f64 {
        self.fold(0.0, |acc, v| acc + v)
    }
}

/// One column's share of the inner product: diagonal term plus twice the
/// below-diagonal dot product, chunk by chunk.
#[inline]
fn column_term(a: &[f64], b: &[f64]) -> f64 {
    let below = a[1..]
        .chunks(CHUNK)
        .zip(b[1..].chunks(CHUNK))
        .map(|(x, y)| lane_dot(x, y))
        .sum_in_order();
    a[0] * b[0] + 2.0 * below
}

fn group_dot(a: &PackedSymmetric, b: &PackedSymmetric, group: usize) -> f64 {
    let cols = group * COLUMNS_PER_GROUP..((group + 1) * COLUMNS_PER_GROUP).min(a.n);
    cols.map(|j| column_term(a.column(j), b.column(j)))
        .sum_in_order()
}

/// A dot product with eight independent accumulators (so it vectorises)
/// combined in a fixed order.
#[inline]
fn lane_dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    let (xa, ta) = a.split_at(n - n % 8);
    let (xb, tb) = b.split_at(n - n % 8);
    for (x, y) in xa.chunks_exact(8).zip(xb.chunks_exact(8)) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail = ta.iter().zip(tb).fold(0.0, |s, (x, y)| s + x * y);
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

/// Inner products of many pairs, `(i, j)` meaning `a[i]` with `b[j]`; equal
/// bit for bit to [`PackedSymmetric::dot`] of each pair.
pub fn block_dots(
    a: &[&PackedSymmetric],
    b: &[&PackedSymmetric],
    pairs: &[(usize, usize)],
    par: Par,
) -> Vec<f64> {
    let n = a.first().map_or(0, |m| m.n);
    let groups = n.div_ceil(COLUMNS_PER_GROUP);
    // The same operations as `column_term` for every pair, but chunk-major:
    // each chunk of each matrix is read from memory once for all pairs.
    let partial = |g: usize| -> Vec<f64> {
        let mut sums = vec![0.0; pairs.len()];
        let mut below = vec![0.0; pairs.len()];
        let cols = g * COLUMNS_PER_GROUP..((g + 1) * COLUMNS_PER_GROUP).min(n);
        for j in cols {
            below.iter_mut().for_each(|v| *v = 0.0);
            let len = n - j - 1;
            for start in (0..len).step_by(CHUNK) {
                let end = (start + CHUNK).min(len);
                for (acc, &(i, k)) in below.iter_mut().zip(pairs) {
                    let (x, y) = (&a[i].column(j)[1..], &b[k].column(j)[1..]);
                    *acc += lane_dot(&x[start..end], &y[start..end]);
                }
            }
            for ((s, &(i, k)), below) in sums.iter_mut().zip(pairs).zip(&below) {
                *s += a[i].column(j)[0] * b[k].column(j)[0] + 2.0 * below;
            }
        }
        sums
    };
    let partials: Vec<Vec<f64>> = match par {
        Par::Seq => (0..groups).map(partial).collect(),
        _ => (0..groups).into_par_iter().map(partial).collect(),
    };
    (0..pairs.len())
        .map(|p| partials.iter().map(|g| g[p]).sum_in_order())
        .collect()
}

/// [`block_dots`] of prepared states that each hold one packed matrix
/// (`matrix` picks it out); `None` when their orders differ, so that the
/// per-pair path reports the mismatch.
pub fn block_dots_of<T>(
    a: &[&T],
    b: &[&T],
    pairs: &[(usize, usize)],
    par: Par,
    matrix: impl Fn(&T) -> &PackedSymmetric,
) -> Option<Vec<f64>> {
    let ma: Vec<&PackedSymmetric> = a.iter().map(|s| matrix(s)).collect();
    let mb: Vec<&PackedSymmetric> = b.iter().map(|s| matrix(s)).collect();
    let n = ma.first()?.n();
    if ma.iter().chain(&mb).any(|m| m.n() != n) {
        return None;
    }
    Some(block_dots(&ma, &mb, pairs, par))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::{frobenius_dot, lower_gram};
    use crate::testing::gaussian;

    #[test]
    fn selection_and_double_centring_match_the_dense_formulas() {
        let x = gaussian(7, 3, 11);
        let k = PackedSymmetric::from_lower(lower_gram(x.as_ref(), Par::Seq).as_ref());
        let rows = [3, 0, 3, 6, 1, 1];
        let mut sel = k.select(&rows);
        let full = k.to_full();
        for (i, &ri) in rows.iter().enumerate() {
            for (j, &rj) in rows.iter().enumerate() {
                assert_eq!(sel.get(i, j), full[(ri, rj)]);
            }
        }
        sel.double_centre();
        let m = rows.len();
        let h = Mat::from_fn(m, m, |i, j| f64::from(u8::from(i == j)) - 1.0 / m as f64);
        let dense = Mat::from_fn(m, m, |i, j| full[(rows[i], rows[j])]);
        let expected = &h * &dense * &h;
        for i in 0..m {
            for j in 0..m {
                assert!((sel.get(i, j) - expected[(i, j)]).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn packing_dot_and_block_agree() {
        let mats: Vec<PackedSymmetric> = (0..4)
            .map(|s| {
                let x = gaussian(600, 9 + s as usize, s);
                PackedSymmetric::from_lower(lower_gram(x.as_ref(), Par::Seq).as_ref())
            })
            .collect();
        let full: Vec<Mat<f64>> = mats.iter().map(PackedSymmetric::to_full).collect();
        let refs: Vec<&PackedSymmetric> = mats.iter().collect();
        let pairs: Vec<(usize, usize)> = (0..4).flat_map(|i| (0..4).map(move |j| (i, j))).collect();
        let seq = block_dots(&refs, &refs, &pairs, Par::Seq);
        let par = block_dots(&refs, &refs, &pairs, Par::rayon(2));
        for (p, &(i, j)) in pairs.iter().enumerate() {
            let one = mats[i].dot(&mats[j]);
            assert_eq!(one.to_bits(), seq[p].to_bits());
            assert_eq!(one.to_bits(), par[p].to_bits());
            let direct = frobenius_dot(full[i].as_ref(), full[j].as_ref());
            assert!(
                (one - direct).abs() <= 1e-12 * direct.abs(),
                "{one} {direct}"
            );
        }
        assert_eq!(mats[1].diagonal()[5], full[1][(5, 5)]);
    }
}
