//! Bindings of `repscope::compress`: exact search, 8-bit quantisation,
//! Matryoshka funnels, retrieval metrics and evaluation, compatibility;
//! binary codes in [`binary`], product quantisation in [`pq`].
//!
//! Embeddings keep their precision: the Python layer passes C-contiguous
//! float32 or float64 arrays (both sides of a search in one type) and the
//! core computes in that type, so float32 codes are the bytes numpy's
//! float32 arithmetic gives.

pub mod binary;
pub mod pq;

use faer::MatRef;
use numpy::{PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, Pick, row_major, wrong_argument};
use crate::errors::enter_core;
use repscope::compress::compat::{CompatMetric, compatibility as compat};
use repscope::compress::evaluate::{EvalOptions, Funnel, Precision, evaluate_compression};
use repscope::compress::matryoshka::adaptive_retrieval as funnel;
use repscope::compress::metrics::{ApNormalisation, RetrievalScores, evaluate, relevant_by_label};
use repscope::compress::scalar::{Precision8, Ranges, quantize8};
use repscope::compress::search::{Metric, TopK, search as exact_search};
use repscope::data::labels::labels_to_codes;

pub type Ids<'py> = Bound<'py, PyArray2<i64>>;
pub type Scores<'py> = Bound<'py, PyArray2<f64>>;

fn top_k_arrays<'py>(py: Python<'py>, t: &TopK) -> PyResult<(Ids<'py>, Scores<'py>)> {
    let ids = ndarray::Array2::from_shape_fn((t.m, t.k), |(i, j)| t.ids[i * t.k + j] as i64);
    let scores = ndarray::Array2::from_shape_fn((t.m, t.k), |(i, j)| t.scores[i * t.k + j]);
    Ok((
        numpy::IntoPyArray::into_pyarray(ids, py),
        numpy::IntoPyArray::into_pyarray(scores, py),
    ))
}

/// Runs `f32_case` on float32 pairs, `f64_case` on float64 pairs.
macro_rules! by_precision {
    ($a:expr, $b:expr, |$x:ident, $y:ident| $body:expr) => {{
        if let (Ok(a), Ok(b)) = ($a.cast::<PyArray2<f32>>(), $b.cast::<PyArray2<f32>>()) {
            let (a, b) = (a.readonly(), b.readonly());
            let ($x, $y) = (row_major(&a)?, row_major(&b)?);
            $body
        } else {
            let wrong = || {
                wrong_argument(
                    $a.py(),
                    "embeddings",
                    "two float32 or two float64 arrays",
                    "other dtypes".into(),
                )
            };
            let a = $a.cast::<PyArray2<f64>>().map_err(|_| wrong())?;
            let b = $b.cast::<PyArray2<f64>>().map_err(|_| wrong())?;
            let (a, b) = (a.readonly(), b.readonly());
            let ($x, $y) = (row_major(&a)?, row_major(&b)?);
            $body
        }
    }};
}

/// Exact top-k: (ids, scores), each m × k.
#[pyfunction]
fn search<'py>(
    py: Python<'py>,
    queries: &Bound<'py, PyAny>,
    corpus: &Bound<'py, PyAny>,
    k: usize,
    metric: Pick<Metric>,
) -> PyResult<(Ids<'py>, Scores<'py>)> {
    let top = by_precision!(queries, corpus, |q, c| enter_core(py, move || {
        exact_search(q, c, k, metric.0)
    })?);
    top_k_arrays(py, &top)
}

/// Funnel retrieval over a cascade of prefix dimensions.
#[pyfunction]
fn adaptive_retrieval<'py>(
    py: Python<'py>,
    queries: &Bound<'py, PyAny>,
    corpus: &Bound<'py, PyAny>,
    dims: Vec<usize>,
    shortlists: Vec<usize>,
    metric: Pick<Metric>,
) -> PyResult<(Ids<'py>, Scores<'py>)> {
    let top = by_precision!(queries, corpus, |q, c| enter_core(py, move || {
        funnel(q, c, &dims, &shortlists, metric.0)
    })?);
    top_k_arrays(py, &top)
}

/// 8-bit codes (row-major bytes) and the ranges used, in the input's type.
#[pyfunction]
#[pyo3(signature = (x, precision, lo=None, hi=None))]
fn quantize8_codes(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    precision: Pick<Precision8>,
    lo: Option<Vec<f64>>,
    hi: Option<Vec<f64>>,
) -> PyResult<(Vec<u8>, Vec<f64>, Vec<f64>)> {
    let precision = precision.0;
    let given = lo.zip(hi);
    macro_rules! run {
        ($t:ty) => {{
            let a = x
                .cast::<PyArray2<$t>>()
                .map_err(|_| {
                    wrong_argument(py, "embeddings", "a float array", "another dtype".into())
                })?
                .readonly();
            let v = row_major(&a)?;
            let ranges = given.map(|(lo, hi)| Ranges::<$t> {
                lo: lo.iter().map(|&l| l as $t).collect(),
                hi: hi.iter().map(|&h| h as $t).collect(),
            });
            let (bytes, r) = enter_core(py, move || quantize8(v, precision, ranges.as_ref()))?;
            let back = |v: Vec<$t>| v.into_iter().map(|x| x as f64).collect::<Vec<f64>>();
            (bytes, back(r.lo), back(r.hi))
        }};
    }
    Ok(if x.cast::<PyArray2<f32>>().is_ok() {
        run!(f32)
    } else {
        run!(f64)
    })
}

fn scores_dict<'py>(py: Python<'py>, s: &RetrievalScores) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for a in &s.at {
        let k = a.k;
        d.set_item(format!("recall@{k}"), a.recall)?;
        d.set_item(format!("precision@{k}"), a.precision)?;
        d.set_item(format!("hit@{k}"), a.hit)?;
        d.set_item(format!("map@{k}"), a.map)?;
        d.set_item(format!("ndcg@{k}"), a.ndcg)?;
    }
    d.set_item("mrr", s.mrr)?;
    d.set_item("queries", s.queries)?;
    d.set_item("skipped", s.skipped)?;
    Ok(d)
}

/// Metrics of given rankings.
#[pyfunction]
fn retrieval_metrics<'py>(
    py: Python<'py>,
    ranked: Vec<Vec<usize>>,
    relevant: Vec<Vec<usize>>,
    ks: Vec<usize>,
    map: Pick<ApNormalisation>,
) -> PyResult<Bound<'py, PyDict>> {
    let s = enter_core(py, move || {
        let lists: Vec<&[usize]> = ranked.iter().map(Vec::as_slice).collect();
        evaluate(&lists, &relevant, &ks, map.0)
    })?;
    scores_dict(py, &s)
}

/// The dims × precision table: one dict per row.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn retrieval_eval<'py>(
    py: Python<'py>,
    queries: &Bound<'py, PyAny>,
    corpus: &Bound<'py, PyAny>,
    relevant: Vec<Vec<usize>>,
    exclude: Option<Vec<usize>>,
    dims: Vec<usize>,
    precisions: Vec<Pick<Precision>>,
    ks: Vec<usize>,
    metric: Pick<Metric>,
    map: Pick<ApNormalisation>,
    funnel: Option<String>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let precisions: Vec<Precision> = precisions.into_iter().map(|p| p.0).collect();
    let rows = by_precision!(queries, corpus, |q, c| enter_core(py, move || {
        let options = EvalOptions {
            dims,
            precisions,
            ks,
            metric: metric.0,
            ap: map.0,
            funnel: funnel.as_deref().map(Funnel::parse).transpose()?,
        };
        evaluate_compression(q, c, &relevant, exclude.as_deref(), &options)
    })?);
    rows.iter()
        .map(|r| {
            let d = scores_dict(py, &r.scores)?;
            d.set_item("dim", r.dim)?;
            d.set_item("precision", r.precision.name())?;
            d.set_item("retrieval", r.retrieval())?;
            d.set_item("bytes_per_vector", r.bytes_per_vector)?;
            d.set_item("search_seconds", r.search_seconds)?;
            Ok(d)
        })
        .collect()
}

/// BCT compatibility of an old and a new model.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn compatibility<'py>(
    py: Python<'py>,
    old_queries: &Bound<'py, PyAny>,
    old_gallery: &Bound<'py, PyAny>,
    new_queries: &Bound<'py, PyAny>,
    new_gallery: &Bound<'py, PyAny>,
    query_labels: Vec<usize>,
    gallery_labels: Vec<usize>,
    k: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let inputs = [old_queries, old_gallery, new_queries, new_gallery]
        .into_iter()
        .map(Input::from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let v: Vec<MatRef<'_, f64>> = inputs.iter().map(Input::view).collect();
    let metric = k.map_or(CompatMetric::Top1, CompatMetric::MapAt);
    let c = enter_core(py, move || {
        compat(
            v[0],
            v[1],
            v[2],
            v[3],
            &query_labels,
            &gallery_labels,
            metric,
        )
    })?;
    let d = PyDict::new(py);
    d.set_item("M(old,old)", c.old_old)?;
    d.set_item("M(new,old)", c.new_old)?;
    d.set_item("M(new,new)", c.new_new)?;
    d.set_item("gain", c.gain)?;
    d.set_item("compatible", c.compatible)?;
    Ok(d)
}

/// Relevant corpus ids per query: those with the query's label; without
/// corpus labels the queries are the corpus, and `exclude_self` leaves
/// each query out of its own list.
#[pyfunction]
#[pyo3(signature = (query_labels, corpus_labels=None, exclude_self=false))]
fn relevant_from_labels(
    query_labels: Vec<String>,
    corpus_labels: Option<Vec<String>>,
    exclude_self: bool,
) -> Vec<Vec<usize>> {
    let n_queries = query_labels.len();
    let same = corpus_labels.is_none();
    let mut all = query_labels;
    all.extend(corpus_labels.unwrap_or_default());
    let (_, codes) = labels_to_codes(&all);
    let (q, c) = if same {
        (&codes[..], &codes[..])
    } else {
        codes.split_at(n_queries)
    };
    let own: Vec<usize> = (0..n_queries).collect();
    relevant_by_label(q, c, exclude_self.then_some(own.as_slice()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(relevant_from_labels, m)?)?;
    binary::register(m)?;
    pq::register(m)?;
    m.add_function(wrap_pyfunction!(search, m)?)?;
    m.add_function(wrap_pyfunction!(adaptive_retrieval, m)?)?;
    m.add_function(wrap_pyfunction!(quantize8_codes, m)?)?;
    m.add_function(wrap_pyfunction!(retrieval_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(retrieval_eval, m)?)?;
    m.add_function(wrap_pyfunction!(compatibility, m)?)?;
    Ok(())
}
