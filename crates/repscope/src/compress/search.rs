//! Exact top-k search of float embeddings: inner product, cosine or
//! (squared) Euclidean distance.
//!
//! Scores come from blocked matrix products (a block of corpus rows against
//! a chunk of queries, one GEMM each), and each query keeps only candidates
//! that beat its current k-th best, so memory is O(block + queries · k) and
//! no queries × corpus matrix is ever formed. Query chunks run in parallel;
//! the result does not depend on the number of threads.
//!
//! Ranking: by score (similarity descending, distance ascending), ties to
//! the lower corpus index, so the result equals a stable argsort of the
//! full score row. `k` larger than the corpus is clamped to its size.
//! The arithmetic is in the input's precision (f32 or f64); scores are
//! reported as f64. L2 scores are squared distances, as faiss reports them.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};
use rayon::prelude::*;

use crate::data::check_finite;
use crate::error::{Error, Result};
pub use crate::linalg::norms::Real;
use crate::linalg::norms::normalized_rows;

crate::choice! {
    /// How a query and a corpus vector are compared.
    pub enum Metric: "search metric" {
        /// q · c, larger is closer.
        InnerProduct = "ip" | "dot" | "inner_product",
        /// q · c / (‖q‖ ‖c‖), larger is closer (a zero vector scores 0).
        Cosine = "cosine" | "cos",
        /// ‖q − c‖², smaller is closer.
        L2 = "l2" | "euclidean",
    }
}

/// The k best corpus rows of every query.
#[derive(Clone, Debug, PartialEq)]
pub struct TopK {
    /// Queries.
    pub m: usize,
    /// Results per query (after clamping to the corpus size).
    pub k: usize,
    /// `m × k` corpus indices, row by row, best first.
    pub ids: Vec<usize>,
    /// `m × k` scores (similarity, or squared distance for L2).
    pub scores: Vec<f64>,
}

impl TopK {
    /// The ids of query `i`, best first.
    pub fn ids_of(&self, i: usize) -> &[usize] {
        &self.ids[i * self.k..(i + 1) * self.k]
    }

    /// The scores of query `i`, best first.
    pub fn scores_of(&self, i: usize) -> &[f64] {
        &self.scores[i * self.k..(i + 1) * self.k]
    }
}

/// Corpus rows per GEMM block and queries per parallel chunk.
const CORPUS_BLOCK: usize = 2048;
const QUERY_CHUNK: usize = 256;

/// Candidates of one query, pruned to the best `k` now and then.
struct Best {
    k: usize,
    items: Vec<(f64, usize)>,
    /// Score a new candidate must beat once `k` are held (scan order makes
    /// an equal score lose: it has a larger index).
    threshold: f64,
}

impl Best {
    fn new(k: usize) -> Self {
        Best {
            k,
            items: Vec::with_capacity(4 * k),
            threshold: f64::NEG_INFINITY,
        }
    }

    fn offer(&mut self, score: f64, id: usize) {
        if score > self.threshold {
            self.items.push((score, id));
            if self.items.len() >= 4 * self.k {
                self.prune();
            }
        }
    }

    fn prune(&mut self) {
        if self.items.len() > self.k {
            self.items.select_nth_unstable_by(self.k - 1, better);
            self.items.truncate(self.k);
        }
        if self.items.len() == self.k {
            self.threshold = self.items.iter().map(|c| c.0).fold(f64::INFINITY, f64::min);
        }
    }

    fn finish(mut self) -> Vec<(f64, usize)> {
        self.items.sort_unstable_by(better);
        self.items.truncate(self.k);
        self.items
    }
}

/// Higher score first, then lower index.
fn better(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// How many results each query gets, the one rule for every search here
/// (float, Hamming, binary with rescoring, product-quantised): `k` beyond
/// the corpus is clamped to its size, so asking for "the top 100" of a
/// 40-item corpus ranks all 40; `k = 0` and an empty corpus are errors.
pub fn results_per_query(what: &str, k: usize, corpus: usize) -> Result<usize> {
    if k == 0 {
        return Err(Error::Invalid {
            what: what.into(),
            detail: "k = 0 asks for no neighbours; use k ≥ 1".into(),
        });
    }
    if corpus == 0 {
        return Err(Error::Invalid {
            what: what.into(),
            detail: "the corpus is empty; give at least one vector to search".into(),
        });
    }
    Ok(k.min(corpus))
}

/// The `k` nearest corpus rows of every query row.
pub fn search<T: Real>(
    queries: MatRef<'_, T>,
    corpus: MatRef<'_, T>,
    k: usize,
    metric: Metric,
) -> Result<TopK> {
    if queries.ncols() != corpus.ncols() {
        return Err(Error::Invalid {
            what: "search".into(),
            detail: format!(
                "queries have {} dimensions but the corpus has {}",
                queries.ncols(),
                corpus.ncols()
            ),
        });
    }
    let k = results_per_query("search", k, corpus.nrows())?;
    check_finite("queries", queries)?;
    check_finite("corpus", corpus)?;
    let (q_owned, c_owned);
    let (q, c) = if metric == Metric::Cosine {
        q_owned = normalized_rows(queries);
        c_owned = normalized_rows(corpus);
        (
            MatRef::from_row_major_slice(&q_owned, queries.nrows(), queries.ncols()),
            MatRef::from_row_major_slice(&c_owned, corpus.nrows(), corpus.ncols()),
        )
    } else {
        (queries, corpus)
    };
    // For L2, rank by 2 q·c − ‖c‖² (higher is closer); ‖q‖² is added back.
    let corpus_norms: Vec<f64> = if metric == Metric::L2 {
        (0..c.nrows())
            .map(|i| {
                (0..c.ncols())
                    .map(|j| (c[(i, j)] * c[(i, j)]).to_f64())
                    .sum()
            })
            .collect()
    } else {
        Vec::new()
    };
    let m = q.nrows();
    let chunks: Vec<Vec<(f64, usize)>> = (0..m.div_ceil(QUERY_CHUNK))
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let start = chunk * QUERY_CHUNK;
            let rows = QUERY_CHUNK.min(m - start);
            let qc = q.subrows(start, rows);
            let mut best: Vec<Best> = (0..rows).map(|_| Best::new(k)).collect();
            // tile = qc · blockᵀ (queries × corpus items): a numpy corpus is
            // row-major, so blockᵀ is column-major, the layout faer's GEMM
            // reads without repacking.
            let mut tile = Mat::<T>::zeros(rows, CORPUS_BLOCK.min(c.nrows()));
            let mut limits = vec![T::from_f64_lossy(f64::NEG_INFINITY); rows];
            let mut from = 0;
            while from < c.nrows() {
                let len = CORPUS_BLOCK.min(c.nrows() - from);
                let mut t = tile.as_mut().subcols_mut(0, len);
                matmul(
                    t.as_mut(),
                    Accum::Replace,
                    qc,
                    c.subrows(from, len).transpose(),
                    T::ONE,
                    Par::Seq,
                );
                for r in 0..len {
                    let col = t.as_ref().col(r);
                    let col = col.try_as_col_major().map(|c| c.as_slice()).unwrap_or(&[]);
                    let id = from + r;
                    if metric == Metric::L2 {
                        let norm = corpus_norms[id];
                        for (qi, &v) in col.iter().enumerate() {
                            let score = 2.0 * v.to_f64() - norm;
                            if score > best[qi].threshold {
                                best[qi].offer(score, id);
                            }
                        }
                    } else {
                        // The hot loop: one comparison per score in the
                        // input's type against a contiguous threshold row
                        // (exact: each threshold is one of these scores).
                        for (qi, &v) in col.iter().enumerate() {
                            if v > limits[qi] {
                                best[qi].offer(v.to_f64(), id);
                                limits[qi] = T::from_f64_lossy(best[qi].threshold);
                            }
                        }
                    }
                }
                from += len;
            }
            best.into_iter().enumerate().map(move |(qi, b)| {
                let mut found = b.finish();
                if metric == Metric::L2 {
                    let row = qc.row(qi);
                    let qn: f64 = row.iter().map(|v| (*v * *v).to_f64()).sum();
                    found.iter_mut().for_each(|c| c.0 = (qn - c.0).max(0.0));
                }
                found
            })
        })
        .collect();
    Ok(TopK {
        m,
        k,
        ids: chunks.iter().flat_map(|r| r.iter().map(|c| c.1)).collect(),
        scores: chunks.iter().flat_map(|r| r.iter().map(|c| c.0)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    fn brute(q: MatRef<'_, f64>, c: MatRef<'_, f64>, k: usize, metric: Metric) -> Vec<Vec<usize>> {
        (0..q.nrows())
            .map(|i| {
                let mut s: Vec<(f64, usize)> = (0..c.nrows())
                    .map(|j| {
                        let dot: f64 = (0..q.ncols()).map(|d| q[(i, d)] * c[(j, d)]).sum();
                        let nq: f64 = (0..q.ncols()).map(|d| q[(i, d)].powi(2)).sum();
                        let nc: f64 = (0..q.ncols()).map(|d| c[(j, d)].powi(2)).sum();
                        let score = match metric {
                            Metric::InnerProduct => dot,
                            Metric::Cosine => dot / (nq * nc).sqrt(),
                            Metric::L2 => -(nq + nc - 2.0 * dot),
                        };
                        (score, j)
                    })
                    .collect();
                s.sort_by(better);
                s.iter().take(k).map(|c| c.1).collect()
            })
            .collect()
    }

    #[test]
    fn equals_brute_force_for_every_metric_across_blocks() {
        let q = gaussian_matrix(70, 12, 1);
        let c = gaussian_matrix(CORPUS_BLOCK + 300, 12, 2);
        for metric in [Metric::InnerProduct, Metric::Cosine, Metric::L2] {
            let top = search(q.as_ref(), c.as_ref(), 7, metric).unwrap();
            let expected = brute(q.as_ref(), c.as_ref(), 7, metric);
            for (i, ids) in expected.iter().enumerate() {
                assert_eq!(top.ids_of(i), &ids[..], "{metric:?} query {i}");
            }
        }
    }

    #[test]
    fn ties_go_to_the_lower_index_and_f32_works() {
        let base = gaussian_matrix(5, 4, 3);
        // Corpus: rows 0..5, then the same rows again.
        let c = Mat::from_fn(10, 4, |i, j| base[(i % 5, j)] as f32);
        let q = Mat::from_fn(2, 4, |i, j| base[(i, j)] as f32);
        let top = search(q.as_ref(), c.as_ref(), 10, Metric::InnerProduct).unwrap();
        for i in 0..2 {
            let ids = top.ids_of(i);
            for pair in ids.chunks(2) {
                assert_eq!(pair[0] + 5, pair[1], "{ids:?}");
            }
        }
        let l2 = search(q.as_ref(), c.as_ref(), 1, Metric::L2).unwrap();
        assert_eq!(l2.ids, vec![0, 1]);
        assert!(l2.scores.iter().all(|&s| s.abs() < 1e-5));
    }

    #[test]
    fn bad_shapes_and_values_are_errors() {
        let q = gaussian_matrix(2, 3, 1);
        let c = gaussian_matrix(5, 4, 2);
        assert!(search(q.as_ref(), c.as_ref(), 1, Metric::L2).is_err());
        assert!(search(c.as_ref(), c.as_ref(), 0, Metric::L2).is_err());
        let mut bad = c.clone();
        bad[(1, 1)] = f64::NAN;
        assert!(search(c.as_ref(), bad.as_ref(), 1, Metric::L2).is_err());
        assert_eq!(
            search(c.as_ref(), c.as_ref(), 50, Metric::Cosine)
                .unwrap()
                .k,
            5
        );
        assert!(Metric::from_name("hamming").is_err());
    }
}
