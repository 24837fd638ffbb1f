//! Retrieval quality of ranked results, with binary relevance.
//!
//! For one query with relevant set R and ranked list r_1, r_2, … (rel_i = 1
//! when r_i ∈ R), at cut-off k:
//!
//! - recall@k = |R ∩ top k| / |R|; precision@k = |R ∩ top k| / k;
//! - hit@k = 1 if any of the top k is relevant (top-1 accuracy at k = 1);
//! - AP@k = Σ_{i ≤ k} rel_i · precision@i / min(k, |R|) (the usual IR
//!   normalisation, 1 for a perfect ranking); with [`ApNormalisation::K`]
//!   the sum is divided by k instead, as the Matryoshka Representation
//!   Learning code computes its mAP@k, so its published numbers can be
//!   reproduced;
//! - nDCG@k = Σ_{i ≤ k} rel_i / log2(i + 1), divided by its ideal value
//!   Σ_{i ≤ min(k, |R|)} 1 / log2(i + 1);
//! - MRR = 1 / the rank of the first relevant item in the returned list
//!   (0 if none is returned).
//!
//! Each metric is averaged over the queries that have at least one
//! relevant item; the others are counted in `skipped`.

use crate::error::{Error, Result};

crate::choice! {
    /// Divisor of the summed precisions in AP@k.
    pub enum ApNormalisation: "mAP normalisation" {
        /// min(k, |R|): a perfect ranking scores 1.
        MinKRelevant = "standard" | "min",
        /// k, as the Matryoshka Representation Learning evaluation does.
        K = "mrl" | "k",
    }
}

// The enum is written by `choice!`, which does not take `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for ApNormalisation {
    fn default() -> Self {
        ApNormalisation::MinKRelevant
    }
}

/// Mean metrics at one cut-off.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AtK {
    pub k: usize,
    pub recall: f64,
    pub precision: f64,
    pub hit: f64,
    pub map: f64,
    pub ndcg: f64,
}

/// Mean metrics of a ranking.
#[derive(Clone, Debug, PartialEq)]
pub struct RetrievalScores {
    pub at: Vec<AtK>,
    pub mrr: f64,
    /// Queries evaluated (with at least one relevant item).
    pub queries: usize,
    /// Queries left out for having no relevant item.
    pub skipped: usize,
}

/// Evaluates `ranked[q]` (corpus ids, best first) against `relevant[q]`
/// (corpus ids; order and repeats do not matter) at every cut-off in `ks`.
/// Cut-offs beyond a ranked list's length see only the list.
pub fn evaluate(
    ranked: &[&[usize]],
    relevant: &[Vec<usize>],
    ks: &[usize],
    normalisation: ApNormalisation,
) -> Result<RetrievalScores> {
    if ranked.len() != relevant.len() {
        return Err(Error::ShapeMismatch {
            what: "relevance lists (one per query)".into(),
            expected: ranked.len(),
            found: relevant.len(),
        });
    }
    if ks.is_empty() || ks.contains(&0) {
        return Err(Error::Invalid {
            what: "retrieval metrics".into(),
            detail: format!("cut-offs must be ≥ 1, got {ks:?}"),
        });
    }
    let mut sums = vec![[0.0; 5]; ks.len()];
    let (mut mrr, mut queries, mut skipped) = (0.0, 0usize, 0usize);
    for (list, rel) in ranked.iter().zip(relevant) {
        let mut rel = rel.clone();
        rel.sort_unstable();
        rel.dedup();
        if rel.is_empty() {
            skipped += 1;
            continue;
        }
        queries += 1;
        let hits: Vec<bool> = list
            .iter()
            .map(|id| rel.binary_search(id).is_ok())
            .collect();
        mrr += hits
            .iter()
            .position(|&h| h)
            .map_or(0.0, |p| 1.0 / (p + 1) as f64);
        for (s, &k) in sums.iter_mut().zip(ks) {
            let top = &hits[..k.min(hits.len())];
            let found = top.iter().filter(|&&h| h).count() as f64;
            let (mut seen, mut precisions, mut dcg) = (0.0, 0.0, 0.0);
            for (i, &h) in top.iter().enumerate() {
                if h {
                    seen += 1.0;
                    precisions += seen / (i + 1) as f64;
                    dcg += 1.0 / ((i + 2) as f64).log2();
                }
            }
            let ideal: f64 = (0..k.min(rel.len()))
                .map(|i| 1.0 / ((i + 2) as f64).log2())
                .sum();
            let ap_divisor = match normalisation {
                ApNormalisation::MinKRelevant => k.min(rel.len()) as f64,
                ApNormalisation::K => k as f64,
            };
            s[0] += found / rel.len() as f64;
            s[1] += found / k as f64;
            s[2] += if found > 0.0 { 1.0 } else { 0.0 };
            s[3] += precisions / ap_divisor;
            s[4] += dcg / ideal;
        }
    }
    let q = queries.max(1) as f64;
    Ok(RetrievalScores {
        at: sums
            .iter()
            .zip(ks)
            .map(|(s, &k)| AtK {
                k,
                recall: s[0] / q,
                precision: s[1] / q,
                hit: s[2] / q,
                map: s[3] / q,
                ndcg: s[4] / q,
            })
            .collect(),
        mrr: mrr / q,
        queries,
        skipped,
    })
}

/// Relevant corpus ids per query: those with the query's label, leaving
/// out `exclude[q]` (e.g. the query itself when queries are the corpus).
pub fn relevant_by_label(
    query_labels: &[usize],
    corpus_labels: &[usize],
    exclude: Option<&[usize]>,
) -> Vec<Vec<usize>> {
    query_labels
        .iter()
        .enumerate()
        .map(|(q, label)| {
            corpus_labels
                .iter()
                .enumerate()
                .filter(|&(c, l)| l == label && exclude.is_none_or(|e| e[q] != c))
                .map(|(c, _)| c)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        // Relevant {1, 4, 7}; ranking 1 (hit), 2, 4 (hit), 5.
        let ranked: Vec<&[usize]> = vec![&[1, 2, 4, 5]];
        let rel = vec![vec![7, 4, 1]];
        let s = evaluate(&ranked, &rel, &[1, 4], ApNormalisation::MinKRelevant).unwrap();
        let at4 = s.at[1];
        assert_eq!(at4.recall, 2.0 / 3.0);
        assert_eq!(at4.precision, 0.5);
        assert_eq!(at4.hit, 1.0);
        assert!((at4.map - (1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-15);
        let dcg = 1.0 + 1.0 / 4f64.log2();
        let idcg = 1.0 + 1.0 / 3f64.log2() + 1.0 / 4f64.log2();
        assert!((at4.ndcg - dcg / idcg).abs() < 1e-15);
        assert_eq!(s.mrr, 1.0);
        assert_eq!(s.at[0].precision, 1.0);
        let mrl = evaluate(&ranked, &rel, &[4], ApNormalisation::K).unwrap();
        assert!((mrl.at[0].map - (1.0 + 2.0 / 3.0) / 4.0).abs() < 1e-15);
    }

    #[test]
    fn queries_without_relevant_items_are_skipped() {
        let ranked: Vec<&[usize]> = vec![&[0, 1], &[1, 0]];
        let rel = vec![vec![], vec![0]];
        let s = evaluate(&ranked, &rel, &[1], ApNormalisation::default()).unwrap();
        assert_eq!((s.queries, s.skipped), (1, 1));
        assert_eq!(s.mrr, 0.5);
        assert!(evaluate(&ranked, &rel, &[0], ApNormalisation::default()).is_err());
        let by_label = relevant_by_label(&[0, 1], &[0, 1, 0], Some(&[0, 1]));
        assert_eq!(by_label, vec![vec![2], vec![]]);
    }
}
