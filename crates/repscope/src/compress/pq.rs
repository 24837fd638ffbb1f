//! Product quantisation (Jégou, Douze & Schmid 2011, *Product quantization
//! for nearest neighbor search*, IEEE TPAMI 33(1)).
//!
//! The `d` dimensions are cut into `M` consecutive sub-spaces of `d / M`
//! dimensions. Each sub-space has its own codebook of `ksub = 2^nbits`
//! centroids (k-means, seeded), and a vector is stored as the index of the
//! nearest centroid in each sub-space: `M` bytes (one byte per sub-space
//! whatever `nbits ≤ 8` is; the memory of a bit-packed layout would be
//! `M · nbits / 8` bytes). [`ProductQuantizer::decode`] concatenates the
//! chosen centroids.
//!
//! **Search** is asymmetric (ADC, eq. 13 of the paper): the query stays in
//! floats; per query an `M × ksub` table holds the squared distance (or the
//! inner product) of each query sub-vector to each centroid, and a code's
//! distance is the sum of its `M` table entries, which equals the squared
//! L2 distance (inner product) of the query to the decoded vector. The top
//! `k` come nearest first (largest inner product first), ties to the lower
//! corpus index.
//!
//! **Training** runs [`crate::linalg::kmeans`] once per sub-space (one
//! k-means++ start, at most `max_iter` Lloyd iterations, faiss's default of
//! 25), on a seeded sample of at most `max_train` vectors (default
//! `256 · ksub`, faiss's default cap of 256 points per centroid); sub-spaces
//! train in parallel, each from its own seed drawn from `seed`, so the
//! result does not depend on the number of threads.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::binary::Hits;
use super::search::results_per_query;
use crate::data::{check_finite, check_not_empty};
use crate::error::{Error, Result};
use crate::linalg::centroids::CentroidTable;
use crate::linalg::kmeans::{KMeansOptions, kmeans};
use crate::rng::{Purpose, subseed, substream};

/// Settings of [`ProductQuantizer::train`].
#[derive(Clone, Debug)]
pub struct PqOptions {
    /// Sub-spaces; must divide the dimension.
    pub m: usize,
    /// Bits per sub-space code, 1 to 8 (`2^nbits` centroids each).
    pub nbits: u32,
    pub seed: u64,
    /// Lloyd iterations per sub-space at most.
    pub max_iter: usize,
    /// Training vectors at most (a seeded sample); `None`: `256 · 2^nbits`.
    pub max_train: Option<usize>,
}

impl PqOptions {
    /// `m` sub-spaces of `nbits` bits, seed 0, 25 iterations, default sample.
    pub fn new(m: usize, nbits: u32) -> Self {
        PqOptions {
            m,
            nbits,
            seed: 0,
            max_iter: 25,
            max_train: None,
        }
    }
}

crate::choice! {
    /// How [`ProductQuantizer::search`] compares a query with the codes.
    pub enum PqMetric: "product-quantisation metric" {
        /// Squared Euclidean distance, smallest first.
        L2 = "l2" | "euclidean",
        /// Inner product, largest first.
        InnerProduct = "ip" | "dot" | "inner_product",
    }
}

/// Trained codebooks: `m` sub-spaces × `ksub` centroids × `dsub` dimensions.
#[derive(Clone, PartialEq)]
pub struct ProductQuantizer {
    m: usize,
    ksub: usize,
    dsub: usize,
    /// Centroid `c` of sub-space `j` starts at `(j * ksub + c) * dsub`.
    codebooks: Vec<f64>,
}

impl std::fmt::Debug for ProductQuantizer {
    /// The shape only: the centroids would fill the screen.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductQuantizer")
            .field("m", &self.m)
            .field("ksub", &self.ksub)
            .field("dsub", &self.dsub)
            .finish_non_exhaustive()
    }
}

fn invalid(detail: String) -> Error {
    Error::Invalid {
        what: "product quantisation".into(),
        detail,
    }
}

impl ProductQuantizer {
    /// Learns the codebooks from the rows of `x` (`n × d`).
    pub fn train(x: MatRef<'_, f64>, options: &PqOptions) -> Result<Self> {
        check_not_empty("training embeddings", x)?;
        check_finite("training embeddings", x)?;
        let (n, d) = (x.nrows(), x.ncols());
        let m = options.m;
        if m == 0 || d % m != 0 {
            let divisors: Vec<String> = (1..=d)
                .filter(|s| d % s == 0)
                .map(|s| s.to_string())
                .collect();
            return Err(invalid(format!(
                "M = {m} sub-spaces do not divide the {d} dimensions; use one of {}",
                divisors.join(", ")
            )));
        }
        if !(1..=8).contains(&options.nbits) {
            return Err(invalid(format!(
                "nbits = {} is not supported; use 1 to 8 bits per sub-space (2 to 256 centroids)",
                options.nbits
            )));
        }
        let ksub = 1usize << options.nbits;
        if n < ksub {
            return Err(invalid(format!(
                "{n} training vectors cannot place {ksub} centroids (nbits = {}); give at least \
                 {ksub} vectors or use fewer bits",
                options.nbits
            )));
        }
        let dsub = d / m;
        let max_train = options.max_train.unwrap_or(256 * ksub).max(ksub);
        let rows: Vec<usize> = if n > max_train {
            let mut rng = substream(options.seed, Purpose::TrainingSample, 0);
            let mut rows = rand::seq::index::sample(&mut rng, n, max_train).into_vec();
            rows.sort_unstable();
            rows
        } else {
            (0..n).collect()
        };
        let books = (0..m)
            .into_par_iter()
            .map(|j| {
                crate::interrupt::check()?;
                let sub = Mat::from_fn(rows.len(), dsub, |i, t| x[(rows[i], j * dsub + t)]);
                let options = KMeansOptions {
                    k: ksub,
                    n_init: 1,
                    max_iter: options.max_iter.max(1),
                    seed: subseed(options.seed, Purpose::Codebook, j as u64),
                };
                kmeans(sub.as_ref(), &options).map(|fit| fit.centroids)
            })
            .collect::<Result<Vec<Mat<f64>>>>()?;
        let mut codebooks = Vec::with_capacity(m * ksub * dsub);
        for book in &books {
            for c in 0..ksub {
                codebooks.extend((0..dsub).map(|t| book[(c, t)]));
            }
        }
        Ok(ProductQuantizer {
            m,
            ksub,
            dsub,
            codebooks,
        })
    }

    /// A quantiser from codebooks laid out `m × ksub × dsub` (as
    /// [`ProductQuantizer::codebooks`] returns them); `ksub` must be a power
    /// of two from 2 to 256.
    pub fn from_codebooks(m: usize, ksub: usize, dsub: usize, codebooks: Vec<f64>) -> Result<Self> {
        if m == 0 || dsub == 0 || !ksub.is_power_of_two() || !(2..=256).contains(&ksub) {
            return Err(invalid(format!(
                "codebooks of shape {m} × {ksub} × {dsub} are not valid; need M ≥ 1 sub-spaces, \
                 a power of two from 2 to 256 centroids each and ≥ 1 dimension per sub-space"
            )));
        }
        if codebooks.len() != m * ksub * dsub {
            return Err(Error::ShapeMismatch {
                what: format!("codebooks ({m} × {ksub} × {dsub})"),
                expected: m * ksub * dsub,
                found: codebooks.len(),
            });
        }
        if let Some(i) = codebooks.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!(
                "centroid {} of sub-space {} holds {}; codebooks must be finite",
                (i / dsub) % ksub,
                i / (ksub * dsub),
                codebooks[i]
            )));
        }
        Ok(ProductQuantizer {
            m,
            ksub,
            dsub,
            codebooks,
        })
    }

    /// Sub-spaces.
    pub fn m(&self) -> usize {
        self.m
    }

    /// Centroids per sub-space.
    pub fn ksub(&self) -> usize {
        self.ksub
    }

    /// Dimensions per sub-space.
    pub fn dsub(&self) -> usize {
        self.dsub
    }

    /// Dimensions of the vectors.
    pub fn dim(&self) -> usize {
        self.m * self.dsub
    }

    /// All centroids, `m × ksub × dsub`, sub-space after sub-space.
    pub fn codebooks(&self) -> &[f64] {
        &self.codebooks
    }

    fn centroid(&self, j: usize, c: usize) -> &[f64] {
        let start = (j * self.ksub + c) * self.dsub;
        &self.codebooks[start..start + self.dsub]
    }

    fn check_dim(&self, what: &str, x: MatRef<'_, f64>) -> Result<()> {
        check_not_empty(what, x)?;
        if x.ncols() != self.dim() {
            return Err(invalid(format!(
                "{what} have {} dimensions but the quantiser was trained on {} ({} sub-spaces × {})",
                x.ncols(),
                self.dim(),
                self.m,
                self.dsub
            )));
        }
        check_finite(what, x)
    }

    /// The codes of the rows of `x`: `n × M` bytes, row after row, each the
    /// nearest centroid of its sub-space (ties to the lower centroid).
    pub fn encode(&self, x: MatRef<'_, f64>) -> Result<Vec<u8>> {
        self.check_dim("embeddings", x)?;
        let mut codes = vec![0u8; x.nrows() * self.m];
        let book = self.ksub * self.dsub;
        let tables: Vec<CentroidTable> = self
            .codebooks
            .chunks_exact(book)
            .map(|centroids| CentroidTable::new(centroids, self.dsub))
            .collect();
        codes.par_chunks_mut(self.m).enumerate().for_each_init(
            || (Vec::with_capacity(self.dim()), Vec::new()),
            |(row, scratch), (i, code)| {
                row.clear();
                row.extend((0..self.dim()).map(|t| x[(i, t)]));
                for ((c, sub), table) in code
                    .iter_mut()
                    .zip(row.chunks_exact(self.dsub))
                    .zip(&tables)
                {
                    // ksub ≤ 256, so every centroid index fits a byte.
                    *c = table.nearest(sub, scratch).0 as u8;
                }
            },
        );
        Ok(codes)
    }

    fn check_codes(&self, codes: &[u8]) -> Result<usize> {
        if codes.is_empty() || codes.len() % self.m != 0 {
            return Err(invalid(format!(
                "{} code bytes do not make whole codes of M = {} bytes",
                codes.len(),
                self.m
            )));
        }
        if let Some(i) = codes.iter().position(|&c| usize::from(c) >= self.ksub) {
            return Err(invalid(format!(
                "code {} holds centroid {} in sub-space {}, but there are only {} centroids",
                i / self.m,
                codes[i],
                i % self.m,
                self.ksub
            )));
        }
        Ok(codes.len() / self.m)
    }

    /// The vectors the codes stand for: their centroids, concatenated.
    pub fn decode(&self, codes: &[u8]) -> Result<Mat<f64>> {
        let n = self.check_codes(codes)?;
        Ok(Mat::from_fn(n, self.dim(), |i, t| {
            let j = t / self.dsub;
            self.centroid(j, usize::from(codes[i * self.m + j]))[t % self.dsub]
        }))
    }

    /// Exact top-`k` over the codes by asymmetric distance: for every query
    /// (row of `queries`), the `k` codes nearest to it (`L2`, squared
    /// distance ascending) or with the largest inner product, ties to the
    /// lower index.
    pub fn search(
        &self,
        queries: MatRef<'_, f64>,
        codes: &[u8],
        k: usize,
        metric: PqMetric,
    ) -> Result<Hits<f64>> {
        self.check_dim("queries", queries)?;
        let n = self.check_codes(codes)?;
        let k = results_per_query("product-quantised search", k, n)?;
        let mut hits = Hits {
            k,
            ids: vec![0; queries.nrows() * k],
            scores: vec![0.0; queries.nrows() * k],
        };
        hits.ids
            .par_chunks_mut(k)
            .zip(hits.scores.par_chunks_mut(k))
            .enumerate()
            .for_each_init(
                || vec![0.0; self.m * self.ksub],
                |table, (q, (ids, scores))| {
                    self.fill_table(queries, q, metric, table);
                    let top = self.scan(table, codes, k, metric);
                    for (r, (key, id)) in top.into_iter().enumerate() {
                        ids[r] = id;
                        scores[r] = match metric {
                            PqMetric::L2 => key,
                            PqMetric::InnerProduct => -key,
                        };
                    }
                },
            );
        Ok(hits)
    }

    /// The `M × ksub` ADC table of query `q`.
    fn fill_table(&self, queries: MatRef<'_, f64>, q: usize, metric: PqMetric, table: &mut [f64]) {
        let row: Vec<f64> = (0..self.dim()).map(|t| queries[(q, t)]).collect();
        for j in 0..self.m {
            let sub = &row[j * self.dsub..(j + 1) * self.dsub];
            for c in 0..self.ksub {
                let centroid = self.centroid(j, c);
                table[j * self.ksub + c] = match metric {
                    PqMetric::L2 => squared_distance(sub, centroid),
                    PqMetric::InnerProduct => sub.iter().zip(centroid).map(|(a, b)| a * b).sum(),
                };
            }
        }
    }

    /// The best `k` codes under `table` as (key, index), key ascending
    /// (the distance, or minus the inner product).
    fn scan(&self, table: &[f64], codes: &[u8], k: usize, metric: PqMetric) -> Vec<(f64, usize)> {
        let (m, ksub) = (self.m, self.ksub);
        let sign = match metric {
            PqMetric::L2 => 1.0,
            PqMetric::InnerProduct => -1.0,
        };
        let mut top = FloatTop::new(k);
        let mut offer = |sum: f64, i: usize| {
            // + 0.0 turns −0.0 into 0.0, so equal scores tie by index.
            let key = sign * sum + 0.0;
            if key < top.worst {
                top.offer(key, i);
            }
        };
        match ksub {
            256 => adc_sums::<256>(table, codes, m, &mut offer),
            16 => adc_sums::<16>(table, codes, m, &mut offer),
            _ => {
                for (i, code) in codes.chunks_exact(m).enumerate() {
                    let mut sum = 0.0;
                    for (row, &c) in table.chunks_exact(ksub).zip(code) {
                        sum += row[usize::from(c)];
                    }
                    offer(sum, i);
                }
            }
        }
        top.into_sorted()
    }
}

/// The ADC sum of every code under `table` (rows of `K` entries), offered in
/// index order. Four codes at a time: four independent sums keep the adder
/// busy (one sum is a chain of M dependent additions), and each code's
/// entries are still added in sub-space order. Rows as `[f64; K]` arrays
/// let a masked byte index them without bounds checks (codes were checked
/// to be below `K`, so the mask changes nothing).
fn adc_sums<const K: usize>(
    table: &[f64],
    codes: &[u8],
    m: usize,
    offer: &mut impl FnMut(f64, usize),
) {
    let rows: Vec<&[f64; K]> = table
        .chunks_exact(K)
        .filter_map(|row| row.try_into().ok())
        .collect();
    let at = |row: &[f64; K], c: u8| row[usize::from(c) & (K - 1)];
    const LANES: usize = 4;
    let mut blocks = codes.chunks_exact(LANES * m);
    for (b, block) in (&mut blocks).enumerate() {
        let (c0, rest) = block.split_at(m);
        let (c1, rest) = rest.split_at(m);
        let (c2, c3) = rest.split_at(m);
        let mut sums = [0.0f64; LANES];
        for ((row, (&x0, &x1)), (&x2, &x3)) in
            rows.iter().zip(c0.iter().zip(c1)).zip(c2.iter().zip(c3))
        {
            sums[0] += at(row, x0);
            sums[1] += at(row, x1);
            sums[2] += at(row, x2);
            sums[3] += at(row, x3);
        }
        for (lane, &sum) in sums.iter().enumerate() {
            offer(sum, b * LANES + lane);
        }
    }
    let done = (codes.len() - blocks.remainder().len()) / m;
    for (r, code) in blocks.remainder().chunks_exact(m).enumerate() {
        let mut sum = 0.0;
        for (row, &c) in rows.iter().zip(code) {
            sum += at(row, c);
        }
        offer(sum, done + r);
    }
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// A score ordered by `f64::total_cmp` (scores here are never NaN).
#[derive(Clone, Copy, PartialEq)]
struct Key(f64);

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The `k` smallest (key, index) pairs offered, in increasing index order;
/// the strict test `key < worst` keeps ties at the lower index.
struct FloatTop {
    k: usize,
    heap: BinaryHeap<(Key, usize)>,
    worst: f64,
}

impl FloatTop {
    fn new(k: usize) -> Self {
        FloatTop {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
            worst: f64::INFINITY,
        }
    }

    fn offer(&mut self, key: f64, id: usize) {
        if self.heap.len() < self.k {
            self.heap.push((Key(key), id));
            if self.heap.len() == self.k {
                self.worst = self.heap.peek().map_or(f64::INFINITY, |t| t.0.0);
            }
        } else {
            if let Some(mut top) = self.heap.peek_mut() {
                *top = (Key(key), id);
            }
            self.worst = self.heap.peek().map_or(f64::INFINITY, |t| t.0.0);
        }
    }

    fn into_sorted(self) -> Vec<(f64, usize)> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|(key, id)| (key.0, id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    fn options(m: usize, nbits: u32) -> PqOptions {
        PqOptions {
            seed: 7,
            ..PqOptions::new(m, nbits)
        }
    }

    #[test]
    fn codes_pick_the_nearest_centroid_and_decode_to_it() {
        let x = gaussian_matrix(400, 12, 1);
        let pq = ProductQuantizer::train(x.as_ref(), &options(4, 4)).unwrap();
        assert_eq!((pq.m(), pq.ksub(), pq.dsub(), pq.dim()), (4, 16, 3, 12));
        let codes = pq.encode(x.as_ref()).unwrap();
        let decoded = pq.decode(&codes).unwrap();
        for i in 0..400 {
            for j in 0..4 {
                let sub: Vec<f64> = (0..3).map(|t| x[(i, j * 3 + t)]).collect();
                let chosen = usize::from(codes[i * 4 + j]);
                let d = squared_distance(&sub, pq.centroid(j, chosen));
                for c in 0..16 {
                    let other = squared_distance(&sub, pq.centroid(j, c));
                    assert!(d < other || (d == other && chosen <= c));
                }
                for t in 0..3 {
                    assert_eq!(decoded[(i, j * 3 + t)], pq.centroid(j, chosen)[t]);
                }
            }
        }
        // Quantisation shrinks the error well below the data's variance.
        let err: f64 = (0..400)
            .flat_map(|i| (0..12).map(move |t| (i, t)))
            .map(|(i, t)| (x[(i, t)] - decoded[(i, t)]).powi(2))
            .sum::<f64>()
            / (400.0 * 12.0);
        assert!(err < 0.4, "{err}");
    }

    #[test]
    fn training_is_seeded_and_thread_independent() {
        let x = gaussian_matrix(600, 16, 2);
        let o = PqOptions {
            max_train: Some(300),
            ..options(8, 3)
        };
        let a = ProductQuantizer::train(x.as_ref(), &o).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let b = pool.install(|| ProductQuantizer::train(x.as_ref(), &o).unwrap());
        assert_eq!(a, b);
        let other = ProductQuantizer::train(x.as_ref(), &PqOptions { seed: 8, ..o }).unwrap();
        assert_ne!(a, other);
    }

    #[test]
    fn adc_equals_exact_search_over_decoded_vectors() {
        let corpus = gaussian_matrix(500, 16, 3);
        let queries = gaussian_matrix(20, 16, 4);
        // nbits 4 and 8 take the fixed-size table paths, 5 the general one.
        for (nbits, metric) in [4, 5, 8]
            .into_iter()
            .flat_map(|b| [(b, PqMetric::L2), (b, PqMetric::InnerProduct)])
        {
            let pq = ProductQuantizer::train(corpus.as_ref(), &options(4, nbits)).unwrap();
            let codes = pq.encode(corpus.as_ref()).unwrap();
            let decoded = pq.decode(&codes).unwrap();
            let hits = pq.search(queries.as_ref(), &codes, 10, metric).unwrap();
            for q in 0..20 {
                let mut all: Vec<(f64, usize)> = (0..500)
                    .map(|i| {
                        let s: f64 = (0..16)
                            .map(|t| match metric {
                                PqMetric::L2 => (queries[(q, t)] - decoded[(i, t)]).powi(2),
                                PqMetric::InnerProduct => -queries[(q, t)] * decoded[(i, t)],
                            })
                            .sum();
                        (s, i)
                    })
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                assert_eq!(
                    hits.ids_of(q),
                    all[..10].iter().map(|p| p.1).collect::<Vec<_>>()
                );
                for (s, p) in hits.scores_of(q).iter().zip(&all) {
                    let want = if metric == PqMetric::L2 { p.0 } else { -p.0 };
                    assert!((s - want).abs() < 1e-9, "{s} vs {want}");
                }
            }
        }
    }

    #[test]
    fn equal_codes_tie_by_index() {
        let pq = ProductQuantizer::from_codebooks(1, 2, 1, vec![0.0, 1.0]).unwrap();
        let q = Mat::from_fn(1, 1, |_, _| 0.0);
        let hits = pq
            .search(q.as_ref(), &[1, 0, 1, 0, 0], 4, PqMetric::L2)
            .unwrap();
        assert_eq!(hits.ids, vec![1, 3, 4, 0]);
        let hits = pq
            .search(q.as_ref(), &[1, 0, 1, 0, 0], 4, PqMetric::InnerProduct)
            .unwrap();
        assert_eq!(hits.ids, vec![0, 1, 2, 3]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let x = gaussian_matrix(300, 12, 5);
        let err = ProductQuantizer::train(x.as_ref(), &options(5, 4)).unwrap_err();
        assert!(
            err.to_string().contains("use one of 1, 2, 3, 4, 6, 12"),
            "{err}"
        );
        assert!(ProductQuantizer::train(x.as_ref(), &options(0, 4)).is_err());
        assert!(ProductQuantizer::train(x.as_ref(), &options(4, 9)).is_err());
        assert!(ProductQuantizer::train(x.as_ref(), &options(4, 0)).is_err());
        let few = gaussian_matrix(200, 12, 5);
        let err = ProductQuantizer::train(few.as_ref(), &options(4, 8)).unwrap_err();
        assert!(err.to_string().contains("200 training vectors"), "{err}");
        let mut y = x.clone();
        y[(3, 2)] = f64::NAN;
        assert!(ProductQuantizer::train(y.as_ref(), &options(4, 2)).is_err());
        let pq = ProductQuantizer::train(x.as_ref(), &options(4, 2)).unwrap();
        assert!(pq.encode(y.as_ref()).is_err());
        assert!(pq.encode(gaussian_matrix(3, 8, 1).as_ref()).is_err());
        assert!(pq.decode(&[0, 1, 2]).is_err());
        assert!(pq.decode(&[0, 1, 2, 4]).is_err());
        let codes = pq.encode(x.as_ref()).unwrap();
        assert!(pq.search(x.as_ref(), &codes, 0, PqMetric::L2).is_err());
        // k beyond the corpus ranks all of it (one rule for every search).
        assert_eq!(
            pq.search(x.as_ref(), &codes, 301, PqMetric::L2).unwrap().k,
            300
        );
        assert!(ProductQuantizer::from_codebooks(1, 3, 1, vec![0.0; 3]).is_err());
        assert!(ProductQuantizer::from_codebooks(1, 2, 1, vec![0.0; 3]).is_err());
        assert!(ProductQuantizer::from_codebooks(1, 2, 1, vec![0.0, f64::INFINITY]).is_err());
        assert!(PqMetric::from_name("cos").is_err());
    }
}
