//! "How small can my embeddings get, and what does it cost?": retrieval
//! quality, memory per vector and search time for every Matryoshka prefix
//! dimension × storage precision.
//!
//! For a prefix dimension d (rows renormalised, see [`super::matryoshka`])
//! and a precision:
//! - `float32`: the prefixes themselves (4 d bytes per vector);
//! - `int8` / `uint8`: both sides quantised with ranges calibrated on the
//!   corpus prefixes, and the codes compared as vectors with the chosen
//!   metric (d bytes);
//! - `binary`: sign bits; the inner product of ±1 vectors is d − 2 ·
//!   Hamming distance, so ranking by it is ranking by Hamming distance
//!   (d / 8 bytes).
//!
//! Search is exact top-k in every case; the time reported is the wall
//! time of that search (quantisation excluded). Optionally one more row
//! measures MRL's adaptive funnel ([`Funnel`]) on the float32 vectors: the
//! cost of shortlisting at low dimensions instead of searching at full
//! width.

use std::time::Instant;

use faer::{Mat, MatRef};

use super::matryoshka::{DEFAULT_DIMS, DEFAULT_SHORTLISTS, adaptive_retrieval, prefix};
use super::metrics::{ApNormalisation, RetrievalScores, evaluate};
use super::scalar::{Precision8, Ranges, quantize8};
use super::search::{Metric, Real, TopK, search};
use crate::error::{Error, Result};

/// A prefix dimension as written: a positive number, or `full` (or `all`)
/// for the whole width (`usize::MAX`, clamped by whoever knows the width).
pub fn parse_dim(text: &str) -> Result<usize> {
    match text.trim() {
        "full" | "all" => Ok(usize::MAX),
        v => v
            .parse()
            .ok()
            .filter(|&n: &usize| n > 0)
            .ok_or_else(|| Error::OutOfRange {
                what: "a prefix dimension".into(),
                value: format!("'{v}'"),
                expected: "a positive number or 'full'".into(),
            }),
    }
}

crate::choice! {
    /// How vectors are stored.
    pub enum Precision: "precision" {
        /// float32 values.
        Float32 = "float32" | "float" | "f32",
        /// int8 codes (calibrated ranges, minus 128).
        Int8 = "int8",
        /// uint8 codes (calibrated ranges).
        Uint8 = "uint8",
        /// One sign bit per dimension (`ubinary` is the same bits).
        Binary = "binary" | "ubinary",
    }
}

impl Precision {
    /// The 8-bit code of this precision (int8 or uint8), if it is one.
    pub fn eight_bit(self) -> Option<Precision8> {
        match self {
            Precision::Int8 => Some(Precision8::Int8),
            Precision::Uint8 => Some(Precision8::Uint8),
            _ => None,
        }
    }

    /// Bytes to store one vector of `dim` dimensions.
    pub fn bytes_per_vector(self, dim: usize) -> usize {
        match self {
            Precision::Float32 => 4 * dim,
            Precision::Int8 | Precision::Uint8 => dim,
            Precision::Binary => dim.div_ceil(8),
        }
    }
}

/// MRL's adaptive retrieval funnel: shortlist `shortlists[0]` items at
/// `dims[0]` dimensions, rerank them at `dims[1]` and keep `shortlists[1]`,
/// and so on (see [`super::matryoshka::adaptive_retrieval`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Funnel {
    pub dims: Vec<usize>,
    pub shortlists: Vec<usize>,
}

impl Funnel {
    /// MRL's cascade: dims 16, 32, 64, 128, full (`usize::MAX`, clamped to
    /// the width) with shortlists 200, 100, 50, 25, 10.
    pub fn mrl() -> Funnel {
        Funnel {
            dims: DEFAULT_DIMS.to_vec(),
            shortlists: DEFAULT_SHORTLISTS.to_vec(),
        }
    }

    /// `mrl`, or stages `DIM:SHORTLIST` separated by commas, e.g.
    /// `32:100,full:10` (`full` = all dimensions).
    pub fn parse(text: &str) -> Result<Funnel> {
        if text.trim() == "mrl" {
            return Ok(Funnel::mrl());
        }
        let bad = |stage: &str| Error::Invalid {
            what: "funnel".into(),
            detail: format!(
                "stage '{stage}' is not DIM:SHORTLIST; write e.g. 16:200,64:50,full:10 (or 'mrl' \
                 for MRL's cascade)"
            ),
        };
        let (mut dims, mut shortlists) = (Vec::new(), Vec::new());
        for stage in text.split(',').map(str::trim) {
            let (d, n) = stage.split_once(':').ok_or_else(|| bad(stage))?;
            let d = parse_dim(d).map_err(|_| bad(stage))?;
            let n = n
                .trim()
                .parse()
                .ok()
                .filter(|&v| v > 0)
                .ok_or_else(|| bad(stage))?;
            dims.push(d);
            shortlists.push(n);
        }
        Ok(Funnel { dims, shortlists })
    }

    /// `16:200>32:100>…`, dimensions clamped to `width`.
    pub fn describe(&self, width: usize) -> String {
        self.dims
            .iter()
            .zip(&self.shortlists)
            .map(|(&d, n)| format!("{}:{n}", d.min(width)))
            .collect::<Vec<_>>()
            .join(">")
    }
}

/// One row of the table.
#[derive(Clone, Debug)]
pub struct Row {
    /// The prefix dimension searched (for a funnel, its last stage's).
    pub dim: usize,
    pub precision: Precision,
    /// `None`: exact search at `dim`; otherwise the funnel that ranked.
    pub funnel: Option<Funnel>,
    pub bytes_per_vector: usize,
    pub search_seconds: f64,
    pub scores: RetrievalScores,
}

impl Row {
    /// `exact`, or `funnel` and the funnel's stages (`16:200>32:100>…`).
    pub fn retrieval(&self) -> String {
        self.funnel.as_ref().map_or_else(
            || "exact".to_string(),
            |f| format!("funnel {}", f.describe(self.dim)),
        )
    }
}

/// What to evaluate.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Prefix dimensions (clamped to the width; duplicates after clamping dropped).
    pub dims: Vec<usize>,
    pub precisions: Vec<Precision>,
    /// Cut-offs of the metrics.
    pub ks: Vec<usize>,
    pub metric: Metric,
    pub ap: ApNormalisation,
    /// Also measure this funnel (one more row, float32).
    pub funnel: Option<Funnel>,
}

/// The stored form of `x` at one precision, as f32 vectors to search.
fn stored(
    x: MatRef<'_, f32>,
    precision: Precision,
    ranges: Option<&Ranges<f32>>,
) -> Result<Mat<f32>> {
    Ok(match precision {
        Precision::Float32 => x.to_owned(),
        Precision::Int8 | Precision::Uint8 => {
            let p = if precision == Precision::Int8 {
                Precision8::Int8
            } else {
                Precision8::Uint8
            };
            let (bytes, _) = quantize8(x, p, ranges)?;
            let d = x.ncols();
            Mat::from_fn(x.nrows(), d, |i, j| {
                let b = bytes[i * d + j];
                if p == Precision8::Int8 {
                    (b as i8) as f32
                } else {
                    b as f32
                }
            })
        }
        Precision::Binary => Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
            if x[(i, j)] > 0.0 { 1.0 } else { -1.0 }
        }),
    })
}

/// Drops `exclude[q]` from query q's results and keeps `k` of the rest.
fn without(top: &TopK, exclude: Option<&[usize]>, k: usize) -> Vec<Vec<usize>> {
    (0..top.m)
        .map(|q| {
            top.ids_of(q)
                .iter()
                .copied()
                .filter(|&id| exclude.is_none_or(|e| e[q] != id))
                .take(k)
                .collect()
        })
        .collect()
}

/// Evaluates every dimension × precision; `relevant[q]` lists the corpus
/// ids relevant to query q, and `exclude[q]` (if given) a corpus id never
/// to return for it (the query itself, when the queries are the corpus).
pub fn evaluate_compression<T: Real>(
    queries: MatRef<'_, T>,
    corpus: MatRef<'_, T>,
    relevant: &[Vec<usize>],
    exclude: Option<&[usize]>,
    options: &EvalOptions,
) -> Result<Vec<Row>> {
    if queries.ncols() != corpus.ncols() {
        return Err(Error::Invalid {
            what: "compression".into(),
            detail: format!(
                "queries have {} dimensions but the corpus has {}",
                queries.ncols(),
                corpus.ncols()
            ),
        });
    }
    if exclude.is_some_and(|e| e.len() != queries.nrows()) {
        return Err(Error::ShapeMismatch {
            what: "excluded ids (one per query)".into(),
            expected: queries.nrows(),
            found: exclude.map_or(0, <[usize]>::len),
        });
    }
    let width = corpus.ncols();
    let mut dims: Vec<usize> = options.dims.iter().map(|&d| d.min(width)).collect();
    dims.dedup();
    let k_max = options.ks.iter().copied().max().unwrap_or(1);
    let extra = usize::from(exclude.is_some());
    let mut rows = Vec::new();
    for &dim in &dims {
        let to_f32 = |x: MatRef<'_, T>| -> Result<Mat<f32>> {
            let p = prefix(x, dim)?;
            Ok(Mat::from_fn(p.nrows(), p.ncols(), |i, j| {
                p[(i, j)].to_f64() as f32
            }))
        };
        let (q, c) = (to_f32(queries)?, to_f32(corpus)?);
        let ranges = Ranges::calibrate(c.as_ref())?;
        for &precision in &options.precisions {
            let (sq, sc) = (
                stored(q.as_ref(), precision, Some(&ranges))?,
                stored(c.as_ref(), precision, Some(&ranges))?,
            );
            let start = Instant::now();
            let top = search(sq.as_ref(), sc.as_ref(), k_max + extra, options.metric)?;
            let search_seconds = start.elapsed().as_secs_f64();
            let lists = without(&top, exclude, k_max);
            let refs: Vec<&[usize]> = lists.iter().map(Vec::as_slice).collect();
            rows.push(Row {
                dim,
                precision,
                funnel: None,
                bytes_per_vector: precision.bytes_per_vector(dim),
                search_seconds,
                scores: evaluate(&refs, relevant, &options.ks, options.ap)?,
            });
        }
    }
    if let Some(funnel) = &options.funnel {
        let to_f32 =
            |x: MatRef<'_, T>| Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)].to_f64() as f32);
        let (q, c) = (to_f32(queries), to_f32(corpus));
        // One more candidate per stage when the query's own item is to be
        // dropped afterwards, so every stage keeps its size.
        let shortlists: Vec<usize> = funnel.shortlists.iter().map(|&n| n + extra).collect();
        let start = Instant::now();
        let top = adaptive_retrieval(
            q.as_ref(),
            c.as_ref(),
            &funnel.dims,
            &shortlists,
            options.metric,
        )?;
        let search_seconds = start.elapsed().as_secs_f64();
        let lists = without(&top, exclude, k_max);
        let refs: Vec<&[usize]> = lists.iter().map(Vec::as_slice).collect();
        rows.push(Row {
            dim: funnel.dims.last().map_or(width, |&d| d.min(width)),
            precision: Precision::Float32,
            funnel: Some(funnel.clone()),
            // The funnel reads every prefix of the stored full vectors.
            bytes_per_vector: Precision::Float32.bytes_per_vector(width),
            search_seconds,
            scores: evaluate(&refs, relevant, &options.ks, options.ap)?,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compress::metrics::relevant_by_label;
    use crate::rng::gaussian_matrix;

    #[test]
    fn clustered_data_retrieves_its_cluster_and_quality_falls_with_fewer_bits() {
        let noise = gaussian_matrix(120, 64, 5);
        let centres = gaussian_matrix(4, 64, 6);
        let x = Mat::from_fn(120, 64, |i, j| 3.0 * centres[(i % 4, j)] + noise[(i, j)]);
        let labels: Vec<usize> = (0..120).map(|i| i % 4).collect();
        let own: Vec<usize> = (0..120).collect();
        let relevant = relevant_by_label(&labels, &labels, Some(&own));
        let options = EvalOptions {
            dims: vec![4, 64],
            precisions: vec![Precision::Float32, Precision::Int8, Precision::Binary],
            ks: vec![1, 10],
            metric: Metric::Cosine,
            ap: ApNormalisation::default(),
            funnel: Some(Funnel::parse("full:30,full:10").unwrap()),
        };
        let rows =
            evaluate_compression(x.as_ref(), x.as_ref(), &relevant, Some(&own), &options).unwrap();
        assert_eq!(rows.len(), 7);
        let full = &rows[3];
        assert_eq!((full.dim, full.precision), (64, Precision::Float32));
        assert_eq!(full.scores.at[0].hit, 1.0);
        assert_eq!(rows[5].bytes_per_vector, 8);
        assert!(rows[0].scores.at[1].map <= full.scores.at[1].map);
        // A funnel whose every stage is the full width ranks exactly as
        // exact search does (the shortlists hold the true top 10).
        let funnel = &rows[6];
        assert_eq!((funnel.dim, funnel.precision), (64, Precision::Float32));
        assert_eq!(funnel.funnel.as_ref().unwrap().describe(64), "64:30>64:10");
        assert_eq!(funnel.bytes_per_vector, 256);
        for (a, b) in funnel.scores.at.iter().zip(&full.scores.at) {
            assert_eq!((a.hit, a.map, a.ndcg), (b.hit, b.map, b.ndcg));
        }
    }

    #[test]
    fn funnel_specs_parse_or_say_how_to_write_them() {
        assert_eq!(Funnel::parse("mrl").unwrap(), Funnel::mrl());
        let f = Funnel::parse("32:100, full:10").unwrap();
        assert_eq!(
            (f.dims, f.shortlists),
            (vec![32, usize::MAX], vec![100, 10])
        );
        for bad in ["32", "32:0", "x:10", "16:200,"] {
            let err = Funnel::parse(bad).unwrap_err().to_string();
            assert!(err.contains("DIM:SHORTLIST"), "{err}");
        }
    }
}
