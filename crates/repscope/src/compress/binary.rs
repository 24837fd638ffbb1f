//! Binary codes: one bit per dimension, and exact Hamming search over them.
//!
//! **Codes.** Dimension `j` of an embedding becomes the bit `x_j > 0`; bits
//! are packed eight to a byte, the first dimension in the most significant
//! bit, and the last byte of a row is padded with zero bits. This is
//! `numpy.packbits(x > 0, axis=-1)` and sentence-transformers'
//! `quantize_embeddings` precision `"ubinary"` (uint8 bytes). Its precision
//! `"binary"` stores the same byte `u` as the int8 value `u − 128`
//! ([`PackedCodes::to_binary`]). sentence-transformers packs the flattened
//! matrix and then splits it into rows, which only matches a row-wise
//! packing when the dimension is a multiple of 8 (otherwise rows would share
//! bytes); here every row is packed on its own, as `axis=-1` does.
//!
//! **Search.** [`hamming_search`] returns, for every query code, the `k`
//! corpus codes with the fewest differing bits (XOR, then a 64-bit popcount
//! per word; a row whose width is not a multiple of 8 bytes ends in a
//! zero-padded word), ties going to the lower corpus index. Queries run in
//! parallel (rayon), in blocks that share each cache-sized block of the
//! corpus; memory is one top-k heap per query (O(block + queries · k)).
//!
//! **Rescoring** ([`binary_search`]) follows sentence-transformers'
//! `semantic_search_faiss` / `semantic_search_usearch`: the float queries are
//! binarised, the `k × multiplier` nearest codes by Hamming distance form a
//! shortlist, and each candidate is rescored by the inner product of the
//! *float* query with the candidate, then the best `k` are kept (higher
//! score first, ties to the lower corpus index). The candidate is its float
//! embedding when one is given ([`Rescore::Float`]), or else its unpacked
//! bits as 0/1 values ([`Rescore::Bits`], sentence-transformers' choice):
//! `q · b`. Since `q · (2b − 1) = 2 q · b − Σ q`, the 0/1 scores rank the
//! shortlist exactly as the ±1 sign vectors would.

use std::collections::BinaryHeap;

use faer::MatRef;
use rayon::prelude::*;

use super::search::results_per_query;
use crate::data::{check_finite, check_not_empty};
use crate::error::{Error, Result};

crate::choice! {
    /// How binary codes are stored, in sentence-transformers' names.
    pub enum BinaryPrecision: "binary precision" {
        /// int8: the packed byte minus 128.
        Binary = "binary",
        /// uint8: the packed byte.
        Ubinary = "ubinary",
    }
}

/// Packed binary codes: `rows` codes of `width` bytes each, row after row,
/// in `numpy.packbits` layout (the `"ubinary"` bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedCodes {
    rows: usize,
    width: usize,
    bytes: Vec<u8>,
}

/// A borrowed view of packed codes (see [`PackedCodes`]).
#[derive(Clone, Copy, Debug)]
pub struct PackedRef<'a> {
    rows: usize,
    width: usize,
    bytes: &'a [u8],
}

/// Checks that `len` bytes hold `rows` codes of `width` bytes.
fn check_layout(what: &str, len: usize, rows: usize, width: usize) -> Result<()> {
    if rows == 0 || width == 0 {
        return Err(Error::Invalid {
            what: what.into(),
            detail: format!(
                "codes of shape {rows} × {width} bytes are empty; pass at least one code of \
                 at least one byte"
            ),
        });
    }
    if rows.checked_mul(width) != Some(len) {
        return Err(Error::ShapeMismatch {
            what: format!("{what} ({rows} codes × {width} bytes)"),
            expected: rows.saturating_mul(width),
            found: len,
        });
    }
    Ok(())
}

impl PackedCodes {
    /// Codes from their `"ubinary"` bytes, row after row.
    pub fn from_ubinary(rows: usize, width: usize, bytes: Vec<u8>) -> Result<Self> {
        check_layout("binary codes", bytes.len(), rows, width)?;
        Ok(PackedCodes { rows, width, bytes })
    }

    /// Codes from their `"binary"` (int8) values: byte = value + 128.
    pub fn from_binary(rows: usize, width: usize, values: &[i8]) -> Result<Self> {
        check_layout("binary codes", values.len(), rows, width)?;
        let bytes = values.iter().map(|&v| v as u8 ^ 0x80).collect();
        Ok(PackedCodes { rows, width, bytes })
    }

    /// The `"ubinary"` bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The `"binary"` values: each byte minus 128, as int8.
    pub fn to_binary(&self) -> Vec<i8> {
        self.bytes.iter().map(|&u| (u ^ 0x80) as i8).collect()
    }

    pub fn nrows(&self) -> usize {
        self.rows
    }

    /// Bytes per code.
    pub fn width(&self) -> usize {
        self.width
    }

    pub fn as_ref(&self) -> PackedRef<'_> {
        PackedRef {
            rows: self.rows,
            width: self.width,
            bytes: &self.bytes,
        }
    }
}

impl<'a> PackedRef<'a> {
    /// A view of `rows` codes of `width` bytes (`"ubinary"` layout). Views of
    /// `"binary"` (int8) bytes reinterpreted as uint8 are fine for
    /// [`hamming_search`] (flipping the top bit of every byte of both sides
    /// changes no distance) but not for rescoring, which reads the bits.
    pub fn new(bytes: &'a [u8], rows: usize, width: usize) -> Result<Self> {
        check_layout("binary codes", bytes.len(), rows, width)?;
        Ok(PackedRef { rows, width, bytes })
    }

    pub fn nrows(&self) -> usize {
        self.rows
    }

    /// Bytes per code.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The bytes of code `i`.
    pub fn row(&self, i: usize) -> &'a [u8] {
        &self.bytes[i * self.width..(i + 1) * self.width]
    }
}

/// Binarises the rows of `x` (`n × d`): bit `j` of row `i` is `x[i, j] > 0`,
/// packed into `⌈d / 8⌉` bytes per row as `numpy.packbits(x > 0, axis=-1)`.
pub fn quantize_binary(x: MatRef<'_, f64>) -> Result<PackedCodes> {
    quantize_named("embeddings", x)
}

fn quantize_named(name: &str, x: MatRef<'_, f64>) -> Result<PackedCodes> {
    check_not_empty(name, x)?;
    check_finite(name, x)?;
    let (n, d) = (x.nrows(), x.ncols());
    let width = d.div_ceil(8);
    let mut bytes = vec![0u8; n * width];
    for (i, code) in bytes.chunks_exact_mut(width).enumerate() {
        for j in 0..d {
            if x[(i, j)] > 0.0 {
                code[j / 8] |= 0x80 >> (j % 8);
            }
        }
    }
    Ok(PackedCodes {
        rows: n,
        width,
        bytes,
    })
}

/// Number of differing bits of two codes of equal width.
pub fn hamming_distance(a: &[u8], b: &[u8]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// The top `k` of every query, row after row: `ids[q * k + r]` is the
/// corpus index of rank `r` for query `q`, `scores` its score.
#[derive(Clone, Debug, PartialEq)]
pub struct Hits<S> {
    pub k: usize,
    pub ids: Vec<usize>,
    pub scores: Vec<S>,
}

impl<S> Hits<S> {
    pub fn n_queries(&self) -> usize {
        self.ids.len().checked_div(self.k).unwrap_or(0)
    }

    /// The corpus indices found for query `q`, best first.
    pub fn ids_of(&self, q: usize) -> &[usize] {
        &self.ids[q * self.k..(q + 1) * self.k]
    }

    /// Their scores.
    pub fn scores_of(&self, q: usize) -> &[S] {
        &self.scores[q * self.k..(q + 1) * self.k]
    }
}

/// Exact Hamming top-`k`: for every query code, the `k` corpus codes at the
/// smallest Hamming distance, nearest first, ties to the lower corpus index.
///
/// `k` beyond the corpus is clamped to its size (as in float search); the
/// widths must agree and `k` must be at least 1.
pub fn hamming_search(
    queries: PackedRef<'_>,
    corpus: PackedRef<'_>,
    k: usize,
) -> Result<Hits<u32>> {
    check_widths(queries.width, corpus.width, None)?;
    let k = results_per_query("Hamming search", k, corpus.rows)?;
    let mut hits = Hits {
        k,
        ids: vec![0; queries.rows * k],
        scores: vec![0; queries.rows * k],
    };
    hits.ids
        .par_chunks_mut(QUERY_BLOCK * k)
        .zip(hits.scores.par_chunks_mut(QUERY_BLOCK * k))
        .enumerate()
        .for_each(|(b, (ids, scores))| {
            let first = b * QUERY_BLOCK;
            let count = ids.len() / k;
            let tops = shortlist(queries, first..first + count, corpus, k);
            for (q, top) in tops.into_iter().enumerate() {
                for (r, (d, id)) in top.into_sorted().into_iter().enumerate() {
                    ids[q * k + r] = id;
                    scores[q * k + r] = d;
                }
            }
        });
    Ok(hits)
}

/// What the shortlist of [`binary_search`] is rescored against.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Rescore<'a> {
    /// The candidates' unpacked bits as 0/1 (sentence-transformers' rescoring).
    Bits,
    /// The candidates' float embeddings (`corpus × d`), rows in corpus order.
    Float(MatRef<'a, f64>),
}

/// Binarised search with rescoring: the `k × multiplier` nearest corpus
/// codes of each binarised query (Hamming, capped at the corpus size) are
/// rescored by the inner product of the float query with `rescore`'s
/// vectors, and the `k` best are returned (highest score first, ties to the
/// lower corpus index). See the module documentation for the convention.
pub fn binary_search(
    queries: MatRef<'_, f64>,
    corpus: PackedRef<'_>,
    k: usize,
    multiplier: usize,
    rescore: Rescore<'_>,
) -> Result<Hits<f64>> {
    let query_codes = quantize_named("queries", queries)?;
    let d = queries.ncols();
    check_widths(query_codes.width, corpus.width, Some(d))?;
    let k = results_per_query("binary search", k, corpus.rows)?;
    if multiplier == 0 {
        return Err(Error::Invalid {
            what: "binary search".into(),
            detail: "rescore multiplier 0 leaves no shortlist; use a multiplier ≥ 1".into(),
        });
    }
    if let Rescore::Float(float) = rescore {
        if float.nrows() != corpus.rows || float.ncols() != d {
            return Err(Error::Invalid {
                what: "binary search".into(),
                detail: format!(
                    "the float corpus is {} × {} but the codes describe {} vectors of {d} \
                     dimensions (as the queries have); pass the embeddings the codes were made from",
                    float.nrows(),
                    float.ncols(),
                    corpus.rows
                ),
            });
        }
        check_finite("corpus", float)?;
    }
    let shortlist_k = k.saturating_mul(multiplier).min(corpus.rows);
    let codes = query_codes.as_ref();
    let mut hits = Hits {
        k,
        ids: vec![0; codes.rows * k],
        scores: vec![0.0; codes.rows * k],
    };
    hits.ids
        .par_chunks_mut(QUERY_BLOCK * k)
        .zip(hits.scores.par_chunks_mut(QUERY_BLOCK * k))
        .enumerate()
        .for_each(|(b, (ids, scores))| {
            let first = b * QUERY_BLOCK;
            let count = ids.len() / k;
            let tops = shortlist(codes, first..first + count, corpus, shortlist_k);
            let mut scored = Vec::with_capacity(shortlist_k);
            for (q, top) in tops.into_iter().enumerate() {
                let query = queries.row(first + q);
                scored.clear();
                scored.extend(top.into_sorted().into_iter().map(|(_, id)| {
                    let score = match rescore {
                        Rescore::Bits => dot_bits(query, corpus.row(id)),
                        Rescore::Float(float) => {
                            let v = float.row(id);
                            (0..d).map(|j| query[j] * v[j]).sum()
                        }
                    };
                    (score, id)
                }));
                scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                for (r, &(score, id)) in scored.iter().take(k).enumerate() {
                    ids[q * k + r] = id;
                    scores[q * k + r] = score;
                }
            }
        });
    Ok(hits)
}

/// `Σ_j q_j b_j` over the bits `b` of a packed code (first `q.len()` bits).
fn dot_bits(query: faer::RowRef<'_, f64>, code: &[u8]) -> f64 {
    let mut sum = 0.0;
    for j in 0..query.ncols() {
        if code[j / 8] & (0x80 >> (j % 8)) != 0 {
            sum += query[j];
        }
    }
    sum
}

fn check_widths(query_width: usize, corpus_width: usize, dims: Option<usize>) -> Result<()> {
    if query_width == corpus_width {
        return Ok(());
    }
    let queries = match dims {
        Some(d) => format!("queries of {d} dimensions pack into {query_width} bytes"),
        None => format!("query codes are {query_width} bytes wide"),
    };
    Err(Error::Invalid {
        what: "binary search".into(),
        detail: format!(
            "{queries} but corpus codes are {corpus_width} bytes wide ({} dimensions); \
             queries and corpus must come from embeddings of the same dimension",
            8 * corpus_width
        ),
    })
}

/// Queries handled together: each block of the corpus is read once per
/// block of queries while it is in cache.
const QUERY_BLOCK: usize = 32;
/// Bytes of corpus codes scanned by a block of queries at a time.
const CORPUS_BLOCK_BYTES: usize = 64 * 1024;

/// The best `k` (distance, index) pairs seen so far for one query: a max-heap
/// whose top is the current worst. Corpus rows are offered in increasing
/// index order, so a row at the worst distance never displaces an earlier
/// one and the strict test `d < worst` keeps ties at the lower index.
struct HammingTop {
    k: usize,
    heap: BinaryHeap<(u32, usize)>,
    worst: u32,
}

impl HammingTop {
    fn new(k: usize) -> Self {
        HammingTop {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
            worst: u32::MAX,
        }
    }

    #[inline(always)]
    fn offer(&mut self, d: u32, id: usize) {
        if self.heap.len() < self.k {
            self.heap.push((d, id));
            if self.heap.len() == self.k {
                self.worst = self.heap.peek().map_or(u32::MAX, |t| t.0);
            }
        } else {
            if let Some(mut top) = self.heap.peek_mut() {
                *top = (d, id);
            }
            self.worst = self.heap.peek().map_or(u32::MAX, |t| t.0);
        }
    }

    /// Nearest first, ties by index.
    fn into_sorted(self) -> Vec<(u32, usize)> {
        self.heap.into_sorted_vec()
    }
}

/// The code's bytes as little-endian 64-bit words, the last one zero-padded.
fn words(code: &[u8]) -> Vec<u64> {
    code.chunks(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect()
}

/// Top-`k` heaps for queries `range` against the whole corpus.
fn shortlist(
    queries: PackedRef<'_>,
    range: std::ops::Range<usize>,
    corpus: PackedRef<'_>,
    k: usize,
) -> Vec<HammingTop> {
    let query_words: Vec<Vec<u64>> = range.map(|q| words(queries.row(q))).collect();
    let mut tops: Vec<HammingTop> = query_words.iter().map(|_| HammingTop::new(k)).collect();
    let block_rows = (CORPUS_BLOCK_BYTES / corpus.width).max(1);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU supports popcnt (checked just above), the only
        // feature `scan_blocks_popcnt` enables.
        unsafe { scan_blocks_popcnt(&query_words, corpus, block_rows, &mut tops) };
        return tops;
    }
    scan_blocks(&query_words, corpus, block_rows, &mut tops);
    tops
}

/// [`scan_blocks`] compiled with the `popcnt` instruction (one instruction
/// per word instead of a dozen).
///
/// # Safety
/// The CPU must support `popcnt`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
unsafe fn scan_blocks_popcnt(
    query_words: &[Vec<u64>],
    corpus: PackedRef<'_>,
    block_rows: usize,
    tops: &mut [HammingTop],
) {
    scan_blocks(query_words, corpus, block_rows, tops);
}

/// Offers every corpus row to every query's heap, one corpus block at a time.
#[inline(always)]
fn scan_blocks(
    query_words: &[Vec<u64>],
    corpus: PackedRef<'_>,
    block_rows: usize,
    tops: &mut [HammingTop],
) {
    let width = corpus.width;
    for start in (0..corpus.rows).step_by(block_rows) {
        let end = (start + block_rows).min(corpus.rows);
        let rows = &corpus.bytes[start * width..end * width];
        for (q, top) in query_words.iter().zip(tops.iter_mut()) {
            scan_rows(q, width, rows, start, top);
        }
    }
}

/// Offers `rows` (consecutive codes, the first at index `first`) to `top`;
/// common widths get a loop unrolled over a fixed number of words.
#[inline(always)]
fn scan_rows(query: &[u64], width: usize, rows: &[u8], first: usize, top: &mut HammingTop) {
    match width {
        8 => scan_fixed::<1>(query, rows, first, top),
        16 => scan_fixed::<2>(query, rows, first, top),
        24 => scan_fixed::<3>(query, rows, first, top),
        32 => scan_fixed::<4>(query, rows, first, top),
        48 => scan_fixed::<6>(query, rows, first, top),
        64 => scan_fixed::<8>(query, rows, first, top),
        96 => scan_fixed::<12>(query, rows, first, top),
        128 => scan_fixed::<16>(query, rows, first, top),
        192 => scan_fixed::<24>(query, rows, first, top),
        256 => scan_fixed::<32>(query, rows, first, top),
        _ => scan_any(query, width, rows, first, top),
    }
}

#[inline(always)]
fn scan_fixed<const W: usize>(query: &[u64], rows: &[u8], first: usize, top: &mut HammingTop) {
    let mut q = [0u64; W];
    q.copy_from_slice(&query[..W]);
    for (r, row) in rows.chunks_exact(8 * W).enumerate() {
        let d: u32 = row
            .chunks_exact(8)
            .zip(&q)
            .map(|(b, qw)| (qw ^ u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).count_ones())
            .sum();
        if d < top.worst {
            top.offer(d, first + r);
        }
    }
}

#[inline(always)]
fn scan_any(query: &[u64], width: usize, rows: &[u8], first: usize, top: &mut HammingTop) {
    let full = width / 8;
    for (r, row) in rows.chunks_exact(width).enumerate() {
        let (head, tail) = row.split_at(full * 8);
        let mut d: u32 = head
            .chunks_exact(8)
            .zip(query)
            .map(|(b, qw)| (qw ^ u64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).count_ones())
            .sum();
        if !tail.is_empty() {
            let mut w = [0u8; 8];
            w[..tail.len()].copy_from_slice(tail);
            d += (query[full] ^ u64::from_le_bytes(w)).count_ones();
        }
        if d < top.worst {
            top.offer(d, first + r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;
    use faer::Mat;

    /// Reference Hamming top-k: every distance, then a stable sort.
    fn brute_force(q: PackedRef<'_>, c: PackedRef<'_>, k: usize) -> Hits<u32> {
        let mut hits = Hits {
            k,
            ids: vec![],
            scores: vec![],
        };
        for i in 0..q.nrows() {
            let mut all: Vec<(u32, usize)> = (0..c.nrows())
                .map(|j| (hamming_distance(q.row(i), c.row(j)), j))
                .collect();
            all.sort();
            for &(d, j) in &all[..k] {
                hits.ids.push(j);
                hits.scores.push(d);
            }
        }
        hits
    }

    #[test]
    fn bits_are_packed_like_numpy_packbits() {
        // Row 0: dims 0, 2, 9 positive; row 1: only the last of 11 dims.
        let mut x = Mat::from_fn(2, 11, |_, _| -1.0);
        x[(0, 0)] = 0.5;
        x[(0, 2)] = 2.0;
        x[(0, 9)] = 1e-9;
        x[(1, 10)] = 3.0;
        x[(1, 3)] = 0.0; // zero is not positive
        let codes = quantize_binary(x.as_ref()).unwrap();
        assert_eq!(codes.width(), 2);
        assert_eq!(
            codes.as_bytes(),
            &[0b1010_0000, 0b0100_0000, 0, 0b0010_0000]
        );
        assert_eq!(codes.to_binary(), vec![32, -64, -128, -96]);
        let back = PackedCodes::from_binary(2, 2, &codes.to_binary()).unwrap();
        assert_eq!(back, codes);
    }

    #[test]
    fn search_matches_brute_force_for_every_width() {
        for d in [8, 64, 100, 384, 136, 520] {
            let c = quantize_binary(gaussian_matrix(300, d, 1).as_ref()).unwrap();
            let q = quantize_binary(gaussian_matrix(70, d, 2).as_ref()).unwrap();
            for k in [1, 7, 300] {
                let hits = hamming_search(q.as_ref(), c.as_ref(), k).unwrap();
                assert_eq!(
                    hits,
                    brute_force(q.as_ref(), c.as_ref(), k),
                    "d = {d}, k = {k}"
                );
            }
        }
    }

    #[test]
    fn ties_go_to_the_lower_index() {
        // Eight identical corpus codes: every distance ties.
        let c = PackedCodes::from_ubinary(8, 3, vec![0xAB; 24]).unwrap();
        let q = PackedCodes::from_ubinary(1, 3, vec![0x01, 0x02, 0x03]).unwrap();
        let hits = hamming_search(q.as_ref(), c.as_ref(), 5).unwrap();
        assert_eq!(hits.ids, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn rescoring_by_bits_and_by_floats() {
        let corpus = gaussian_matrix(200, 40, 3);
        let queries = gaussian_matrix(9, 40, 4);
        let codes = quantize_binary(corpus.as_ref()).unwrap();
        let k = 5;
        // Multiplier large enough that the shortlist is the whole corpus:
        // rescoring with floats is then exact inner-product search.
        let exact = binary_search(
            queries.as_ref(),
            codes.as_ref(),
            k,
            40,
            Rescore::Float(corpus.as_ref()),
        )
        .unwrap();
        for q in 0..9 {
            let mut all: Vec<(f64, usize)> = (0..200)
                .map(|j| ((0..40).map(|t| queries[(q, t)] * corpus[(j, t)]).sum(), j))
                .collect();
            all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            assert_eq!(
                exact.ids_of(q),
                all[..k].iter().map(|p| p.1).collect::<Vec<_>>()
            );
            for (s, p) in exact.scores_of(q).iter().zip(&all[..k]) {
                assert!((s - p.0).abs() < 1e-12);
            }
        }
        // Rescoring by bits: score = sum of the query over the code's set bits.
        let bits = binary_search(queries.as_ref(), codes.as_ref(), k, 3, Rescore::Bits).unwrap();
        let qcodes = quantize_binary(queries.as_ref()).unwrap();
        let short = hamming_search(qcodes.as_ref(), codes.as_ref(), 15).unwrap();
        for q in 0..9 {
            let mut cands: Vec<(f64, usize)> = short
                .ids_of(q)
                .iter()
                .map(|&j| {
                    let s = (0..40)
                        .filter(|&t| corpus[(j, t)] > 0.0)
                        .map(|t| queries[(q, t)]);
                    (s.sum(), j)
                })
                .collect();
            cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            assert_eq!(
                bits.ids_of(q),
                cands[..k].iter().map(|p| p.1).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let c = quantize_binary(gaussian_matrix(10, 16, 1).as_ref()).unwrap();
        let q = quantize_binary(gaussian_matrix(2, 24, 1).as_ref()).unwrap();
        let err = hamming_search(q.as_ref(), c.as_ref(), 3).unwrap_err();
        assert!(err.to_string().contains("3 bytes"), "{err}");
        let q = quantize_binary(gaussian_matrix(2, 16, 1).as_ref()).unwrap();
        assert!(hamming_search(q.as_ref(), c.as_ref(), 0).is_err());
        // k beyond the corpus is clamped, as in float search.
        assert_eq!(hamming_search(q.as_ref(), c.as_ref(), 11).unwrap().k, 10);
        let mut x = gaussian_matrix(3, 16, 1);
        x[(1, 4)] = f64::NAN;
        let err = quantize_binary(x.as_ref()).unwrap_err();
        assert!(err.to_string().contains("row 1, column 4"), "{err}");
        assert!(PackedCodes::from_ubinary(3, 4, vec![0; 11]).is_err());
        assert!(PackedRef::new(&[], 0, 4).is_err());
        let queries = gaussian_matrix(2, 16, 5);
        assert!(binary_search(queries.as_ref(), c.as_ref(), 3, 0, Rescore::Bits).is_err());
        let wrong = gaussian_matrix(9, 16, 1);
        let err = binary_search(
            queries.as_ref(),
            c.as_ref(),
            3,
            2,
            Rescore::Float(wrong.as_ref()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("9 × 16"), "{err}");
        assert!(BinaryPrecision::from_name("int4").is_err());
    }
}
