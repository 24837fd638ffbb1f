//! Matryoshka embeddings (Kusupati et al. 2022, *Matryoshka Representation
//! Learning*): the first `d` dimensions of an embedding are an embedding.
//!
//! - [`prefix`]: the first `d` dimensions, each row renormalised to unit
//!   length (zero rows stay zero), as MRL-trained models are used.
//! - [`adaptive_retrieval`]: the funnel: shortlist the corpus at a low
//!   dimension, then rerank the shortlist at higher ones. MRL's cascade is
//!   dims `[16, 32, 64, 128, full]` with shortlists `[200, 100, 50, 25, 10]`
//!   ([`DEFAULT_DIMS`], [`DEFAULT_SHORTLISTS`]).

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::search::{Metric, Real, TopK, search};
use crate::error::{Error, Result};
use crate::linalg::norms::normalize_rows;

/// MRL's cascade of dimensions (the last one stands for the full width).
pub const DEFAULT_DIMS: [usize; 5] = [16, 32, 64, 128, usize::MAX];
/// MRL's shortlist size at each stage of the cascade.
pub const DEFAULT_SHORTLISTS: [usize; 5] = [200, 100, 50, 25, 10];

fn invalid(detail: String) -> Error {
    Error::Invalid {
        what: "matryoshka".into(),
        detail,
    }
}

/// The first `dim` columns of `x` (clamped to its width), rows renormalised.
pub fn prefix<T: Real>(x: MatRef<'_, T>, dim: usize) -> Result<Mat<T>> {
    if dim == 0 {
        return Err(invalid("a prefix needs at least 1 dimension".into()));
    }
    Ok(normalize_rows(x.subcols(0, dim.min(x.ncols()))))
}

/// The rows of `x`, one after another, as f64.
fn row_major<T: Real>(x: Mat<T>) -> Vec<f64> {
    (0..x.nrows())
        .flat_map(|i| (0..x.ncols()).map(move |j| (i, j)))
        .map(|(i, j)| x[(i, j)].to_f64())
        .collect()
}

/// Funnel retrieval: stage 0 searches the whole corpus with `dims[0]`
/// prefixes for `shortlists[0]` candidates; stage s rescores the previous
/// stage's candidates with `dims[s]` prefixes and keeps `shortlists[s]`.
/// Prefixes are renormalised; `metric` compares them. Ties go to the lower
/// corpus index at every stage.
pub fn adaptive_retrieval<T: Real>(
    queries: MatRef<'_, T>,
    corpus: MatRef<'_, T>,
    dims: &[usize],
    shortlists: &[usize],
    metric: Metric,
) -> Result<TopK> {
    // Dimensions beyond the width mean the full width (e.g. MRL's cascade
    // on embeddings narrower than 128).
    let dims: Vec<usize> = dims.iter().map(|&d| d.min(corpus.ncols())).collect();
    if dims.is_empty() || dims.len() != shortlists.len() {
        return Err(invalid(format!(
            "the cascade needs one shortlist size per dimension, got {} dims and {} sizes",
            dims.len(),
            shortlists.len()
        )));
    }
    if dims.windows(2).any(|w| w[0] > w[1]) || shortlists.windows(2).any(|w| w[0] < w[1]) {
        return Err(invalid(format!(
            "dimensions must grow and shortlists shrink along the cascade: {dims:?}, {shortlists:?}"
        )));
    }
    let first = search(
        prefix(queries, dims[0])?.as_ref(),
        prefix(corpus, dims[0])?.as_ref(),
        shortlists[0],
        metric,
    )?;
    let mut candidates: Vec<Vec<usize>> = (0..first.m).map(|i| first.ids_of(i).to_vec()).collect();
    let mut scores: Vec<Vec<f64>> = (0..first.m).map(|i| first.scores_of(i).to_vec()).collect();
    for (&dim, &keep) in dims.iter().zip(shortlists).skip(1) {
        // Row-major f64 copies: a candidate's prefix is then one contiguous
        // slice (faer matrices are column-major).
        let (q, c) = (
            row_major(prefix(queries, dim)?),
            row_major(prefix(corpus, dim)?),
        );
        let dim = dim.max(1);
        candidates
            .par_iter_mut()
            .zip(scores.par_iter_mut())
            .enumerate()
            .for_each(|(i, (ids, sc))| {
                let query = &q[i * dim..(i + 1) * dim];
                let mut rescored: Vec<(f64, usize)> = ids
                    .iter()
                    .map(|&id| {
                        let item = &c[id * dim..(id + 1) * dim];
                        let (mut dot, mut cc, mut qq) = (0.0, 0.0, 0.0);
                        for (&a, &b) in query.iter().zip(item) {
                            dot += a * b;
                            cc += b * b;
                            qq += a * a;
                        }
                        let score = match metric {
                            Metric::InnerProduct | Metric::Cosine => dot,
                            // Ranked by −‖q − c‖², reported as the distance.
                            Metric::L2 => -(qq + cc - 2.0 * dot),
                        };
                        (score, id)
                    })
                    .collect();
                rescored.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                rescored.truncate(keep);
                *ids = rescored.iter().map(|r| r.1).collect();
                *sc = rescored
                    .iter()
                    .map(|r| {
                        if metric == Metric::L2 {
                            (-r.0).max(0.0)
                        } else {
                            r.0
                        }
                    })
                    .collect();
            });
    }
    let k = candidates.iter().map(Vec::len).min().unwrap_or(0);
    Ok(TopK {
        m: candidates.len(),
        k,
        ids: candidates
            .iter()
            .flat_map(|c| c[..k].iter().copied())
            .collect(),
        scores: scores.iter().flat_map(|s| s[..k].iter().copied()).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn a_one_stage_funnel_is_exact_search_on_the_prefix() {
        let q = gaussian_matrix(10, 32, 1);
        let c = gaussian_matrix(200, 32, 2);
        let funnel =
            adaptive_retrieval(q.as_ref(), c.as_ref(), &[8], &[5], Metric::Cosine).unwrap();
        let direct = search(
            prefix(q.as_ref(), 8).unwrap().as_ref(),
            prefix(c.as_ref(), 8).unwrap().as_ref(),
            5,
            Metric::Cosine,
        )
        .unwrap();
        assert_eq!(funnel.ids, direct.ids);
    }

    #[test]
    fn a_wide_shortlist_reranked_at_full_width_is_exact_search() {
        let q = gaussian_matrix(10, 32, 3);
        let c = gaussian_matrix(100, 32, 4);
        let funnel =
            adaptive_retrieval(q.as_ref(), c.as_ref(), &[4, 32], &[100, 7], Metric::Cosine)
                .unwrap();
        let direct = search(q.as_ref(), c.as_ref(), 7, Metric::Cosine).unwrap();
        assert_eq!(funnel.ids, direct.ids);
        assert!(
            funnel
                .scores
                .iter()
                .zip(&direct.scores)
                .all(|(a, b)| (a - b).abs() < 1e-12)
        );
        assert!(
            adaptive_retrieval(q.as_ref(), c.as_ref(), &[32, 4], &[10, 5], Metric::Cosine).is_err()
        );
    }
}
