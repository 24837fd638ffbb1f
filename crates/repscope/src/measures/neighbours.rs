//! Neighbourhood measures: how much the k nearest neighbours of each
//! stimulus agree between two representations.
//!
//! Neighbours are by cosine similarity (rows scaled to unit length, then
//! inner products), the stimulus itself excluded, ties broken by the lower
//! row index (documented; references leave tie order unspecified). `k`
//! defaults to 10.
//!
//! - `mutual_knn` (Huh et al. 2024, "The Platonic Representation
//!   Hypothesis", ICML): mean over stimuli of |N_X(i) ∩ N_Y(i)| / k.
//! - `jaccard_knn` (Klabunde et al. 2023 survey): mean of |N_X ∩ N_Y| / |N_X ∪ N_Y|.
//! - `rank_similarity` (Wang et al. 2020, as in the survey): for the shared
//!   neighbours j of i with ranks r_X, r_Y (1 = nearest),
//!   Σⱼ 2 / ((1 + |r_X − r_Y|)(r_X + r_Y)), divided by the harmonic number of
//!   the number of shared neighbours; 0 without shared neighbours; mean.
//! - `second_order_cosine` (Hamilton, Leskovec & Jurafsky 2016, EMNLP): for
//!   the union U of both neighbour sets of i, the cosine between
//!   (cos_X(i, j))_{j∈U} and (cos_Y(i, j))_{j∈U}; mean over i. This follows
//!   the paper (similarities); ReSi's code uses cosine distances instead.
//! - `cknna` (Huh et al. 2024): centred kernel nearest-neighbour alignment as
//!   their code computes it: linear kernels K, L of the unit rows, masked to
//!   the pairs (i, j) where j is a neighbour of i in both spaces, then the
//!   unbiased HSIC of the masked (non-symmetric) kernels,
//!   s(K, L) / √(s(K, K) s(L, L)), s(K, K) using K's own mask. The reference
//!   adds 1e−6 to the denominator; repscope does not.

use super::Footprint;
use faer::{Mat, Par};

use super::params::number_param;
use super::{Invariance, Kind, Measure, MeasureInfo, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::knn::{Closeness, Neighbours, knn};
use crate::linalg::norms::normalize_rows;

const INVARIANCES: &[Invariance] = &[
    Invariance::Permutation,
    Invariance::Orthogonal,
    Invariance::IsotropicScaling,
];

/// Which neighbourhood statistic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeighbourStatistic {
    MutualKnn,
    Jaccard,
    RankSimilarity,
    SecondOrderCosine,
    Cknna,
}

/// A neighbourhood measure with its k.
#[derive(Clone, Debug)]
pub struct NeighbourMeasure {
    pub statistic: NeighbourStatistic,
    pub k: usize,
    info: &'static MeasureInfo,
}

macro_rules! info {
    ($name:ident, $id:literal, $summary:literal, $reference:literal) => {
        pub(crate) const $name: MeasureInfo = MeasureInfo {
            name: $id,
            kind: Kind::Similarity,
            needs_same_dim: false,
            symmetric: true,
            invariances: INVARIANCES,
            summary: $summary,
            reference: $reference,
            range: Some((0.0, 1.0)),
            identical: Some(1.0),
            cost: "O(n²·d) to prepare (the k nearest neighbours), O(n·k) per pair",
        };
    };
}

info!(
    MUTUAL_KNN_INFO,
    "mutual_knn",
    "mean share of the k nearest neighbours (cosine) the two representations have in common",
    "Huh et al. 2024, ICML (Platonic representation hypothesis)"
);
info!(
    JACCARD_KNN_INFO,
    "jaccard_knn",
    "mean Jaccard index of the k-nearest-neighbour sets (cosine)",
    "Klabunde et al. 2023 survey"
);
info!(
    RANK_SIMILARITY_INFO,
    "rank_similarity",
    "agreement of the ranks of shared nearest neighbours (cosine)",
    "Wang et al. 2020; Klabunde et al. 2023 survey"
);
info!(
    SECOND_ORDER_COSINE_INFO,
    "second_order_cosine",
    "cosine between the similarity profiles over the union of both neighbour sets",
    "Hamilton et al. 2016, EMNLP"
);

pub(crate) const CKNNA_INFO: MeasureInfo = MeasureInfo {
    name: "cknna",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: false,
    invariances: INVARIANCES,
    summary: "centred kernel alignment restricted to mutual nearest neighbours (unbiased HSIC)",
    reference: "Huh et al. 2024, ICML (code version)",
    range: None,
    identical: Some(1.0),
    cost: "O(n²·d) to prepare, O(n²) per pair",
};

impl NeighbourMeasure {
    pub(crate) fn from_params(statistic: NeighbourStatistic, params: &Params) -> Result<Self> {
        let info = match statistic {
            NeighbourStatistic::MutualKnn => &MUTUAL_KNN_INFO,
            NeighbourStatistic::Jaccard => &JACCARD_KNN_INFO,
            NeighbourStatistic::RankSimilarity => &RANK_SIMILARITY_INFO,
            NeighbourStatistic::SecondOrderCosine => &SECOND_ORDER_COSINE_INFO,
            NeighbourStatistic::Cknna => &CKNNA_INFO,
        };
        let k = number_param(
            params,
            info.name,
            "k",
            10.0,
            |v| v.fract() == 0.0 && v >= 1.0,
            "a whole number ≥ 1",
        )?;
        if statistic == NeighbourStatistic::Cknna && k < 2.0 {
            return Err(Error::InvalidParameter {
                measure: "cknna".into(),
                detail: "k must be at least 2".into(),
            });
        }
        Ok(Self {
            statistic,
            k: k as usize,
            info,
        })
    }
}

/// Unit rows and their neighbour lists.
pub struct PreparedNeighbours {
    unit: Mat<f64>,
    neighbours: Neighbours,
}

impl PreparedNeighbours {
    fn cosine(&self, i: usize, j: usize) -> f64 {
        self.unit
            .row(i)
            .iter()
            .zip(self.unit.row(j).iter())
            .map(|(a, b)| a * b)
            .sum::<f64>()
            .clamp(-1.0, 1.0)
    }
}

/// The unbiased HSIC (Song et al. 2012, eq. 5) of two masked kernels given
/// densely (n × n, row-major), possibly not symmetric.
fn hsic_unbiased(a: &[f64], b: &[f64], n: usize) -> f64 {
    let at = |m: &[f64], i: usize, j: usize| if i == j { 0.0 } else { m[i * n + j] };
    let mut trace = 0.0;
    let (mut col_a, mut row_b) = (vec![0.0; n], vec![0.0; n]);
    let (mut sum_a, mut sum_b) = (0.0, 0.0);
    for (i, row_sum_b) in row_b.iter_mut().enumerate() {
        for (j, col_sum_a) in col_a.iter_mut().enumerate() {
            let (x, y) = (at(a, i, j), at(b, i, j));
            trace += x * at(b, j, i);
            *col_sum_a += x;
            *row_sum_b += y;
            sum_a += x;
            sum_b += y;
        }
    }
    let cross: f64 = col_a.iter().zip(&row_b).map(|(x, y)| x * y).sum();
    let nf = n as f64;
    (trace + sum_a * sum_b / ((nf - 1.0) * (nf - 2.0)) - 2.0 * cross / (nf - 2.0))
        / (nf * (nf - 3.0))
}

impl NeighbourMeasure {
    fn cknna(&self, a: &PreparedNeighbours, b: &PreparedNeighbours) -> f64 {
        let n = a.unit.nrows();
        let mask = |p: &PreparedNeighbours| {
            let mut m = vec![false; n * n];
            for i in 0..n {
                p.neighbours
                    .of(i)
                    .iter()
                    .for_each(|&j| m[i * n + j as usize] = true);
            }
            m
        };
        let (ma, mb) = (mask(a), mask(b));
        let masked = |p: &PreparedNeighbours, m: &dyn Fn(usize) -> bool| -> Vec<f64> {
            (0..n * n)
                .map(|t| if m(t) { p.cosine(t / n, t % n) } else { 0.0 })
                .collect()
        };
        let both = |t: usize| ma[t] && mb[t];
        let (ka, kb) = (masked(a, &both), masked(b, &both));
        let s_ab = hsic_unbiased(&ka, &kb, n);
        let kaa = masked(a, &|t| ma[t]);
        let kbb = masked(b, &|t| mb[t]);
        let (s_aa, s_bb) = (hsic_unbiased(&kaa, &kaa, n), hsic_unbiased(&kbb, &kbb, n));
        s_ab / (s_aa * s_bb).sqrt()
    }
}

impl Measure for NeighbourMeasure {
    type Prepared = PreparedNeighbours;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let k = self.k as f64;
        // Neighbour blocks of 4 MB (at most 512 rows) per thread, and the
        // rows normalised (a row-major copy and the matrix). The knn runs
        // in parallel inside each prepare, and a worker waiting on it takes
        // up another representation's: measured, about two prepares per
        // thread are in flight, hence the factor 2.
        let block = ((4 << 20) / (8 * n.max(1))).clamp(8, 512).min(n) as f64;
        let threads = rayon::current_num_threads() as f64;
        let (n, d) = (n as f64, d as f64);
        let cknna = matches!(self.statistic, NeighbourStatistic::Cknna);
        Footprint {
            kept: n * d + n * k / 2.0,
            prepare: 2.0 * (2.0 * n * d + threads * block * n) + n * k,
            score: if cknna { 4.25 * n * n } else { 2.0 * k },
            prepare_flops: 2.0 * n * n * d,
            score_flops: if cknna { 25.0 * n * n } else { n * k * k },
            block_scored: false,
        }
    }

    fn info(&self) -> &MeasureInfo {
        self.info
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<PreparedNeighbours> {
        let n = x.x.nrows();
        if self.k >= n {
            return Err(Error::InvalidParameter {
                measure: self.info.name.into(),
                detail: format!(
                    "k = {} but '{}' has only {n} stimuli; k must be below n",
                    self.k, x.name
                ),
            });
        }
        if self.statistic == NeighbourStatistic::Cknna && n < 4 {
            return Err(Error::Undefined {
                measure: "cknna".into(),
                array: x.name.into(),
                detail: "the unbiased HSIC needs at least 4 stimuli".into(),
            });
        }
        let unit = normalize_rows(x.x);
        let neighbours = knn(unit.as_ref(), self.k, Closeness::InnerProduct)?;
        Ok(PreparedNeighbours { unit, neighbours })
    }

    fn score(&self, a: &PreparedNeighbours, b: &PreparedNeighbours, _par: Par) -> Result<f64> {
        let n = a.unit.nrows();
        super::check_same_n(n, b.unit.nrows())?;
        if self.statistic == NeighbourStatistic::Cknna {
            return Ok(self.cknna(a, b));
        }
        let k = self.k;
        let per_stimulus = |i: usize| -> f64 {
            let (na, nb) = (a.neighbours.of(i), b.neighbours.of(i));
            let shared = || na.iter().filter(move |j| nb.contains(j));
            match self.statistic {
                NeighbourStatistic::MutualKnn => shared().count() as f64 / k as f64,
                NeighbourStatistic::Jaccard => {
                    let s = shared().count();
                    s as f64 / (2 * k - s) as f64
                }
                NeighbourStatistic::RankSimilarity => {
                    let mut total = 0.0;
                    let mut count = 0usize;
                    for (ra, j) in na.iter().enumerate() {
                        if let Some(rb) = nb.iter().position(|x| x == j) {
                            let (ra, rb) = ((ra + 1) as f64, (rb + 1) as f64);
                            total += 2.0 / ((1.0 + (ra - rb).abs()) * (ra + rb));
                            count += 1;
                        }
                    }
                    if count == 0 {
                        0.0
                    } else {
                        total / (1..=count).map(|t| 1.0 / t as f64).sum::<f64>()
                    }
                }
                NeighbourStatistic::SecondOrderCosine => {
                    let mut union: Vec<u32> = na.iter().chain(nb).copied().collect();
                    union.sort_unstable();
                    union.dedup();
                    let (mut dot, mut sa, mut sb) = (0.0, 0.0, 0.0);
                    for &j in &union {
                        let (u, v) = (a.cosine(i, j as usize), b.cosine(i, j as usize));
                        dot += u * v;
                        sa += u * u;
                        sb += v * v;
                    }
                    if sa > 0.0 && sb > 0.0 {
                        dot / (sa.sqrt() * sb.sqrt())
                    } else {
                        0.0
                    }
                }
                NeighbourStatistic::Cknna => unreachable!("handled above"),
            }
        };
        Ok((0..n).map(per_stimulus).sum::<f64>() / n as f64)
    }
}
