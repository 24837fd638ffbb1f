//! Bindings of `repscope::compress::binary`: sign bits packed 8 per byte,
//! Hamming search, and binary search with rescoring. Codes travel as uint8
//! (or int8 for the `"binary"` precision) C-contiguous arrays.

use numpy::{PyArray2, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::convert::{Input, Pick, grid, wrong_argument};
use crate::errors::{core_error, enter_core};
use repscope::compress::binary::{
    self, BinaryPrecision, Hits, PackedCodes, PackedRef, Rescore, hamming_search as hamming,
};

/// Ids (int64) and scores of a top-k search, each queries × k.
pub type HitArrays<'py, S> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<S>>);

/// Binary codes received from Python: their `"ubinary"` bytes, the shape,
/// and whether they came as int8 (`"binary"`).
struct Codes {
    bytes: Vec<u8>,
    rows: usize,
    width: usize,
    signed: bool,
}

impl Codes {
    fn from_py(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Self> {
        let py = obj.py();
        let wrong = || {
            wrong_argument(
                py,
                what,
                "a 2-D uint8 ('ubinary') or int8 ('binary') array of packed bits",
                "another array".into(),
            )
        };
        let not_contiguous =
            || wrong_argument(py, what, "a C-contiguous array", "a strided view".into());
        if let Ok(a) = obj.cast::<PyArray2<u8>>() {
            let a = a.readonly();
            let (rows, width) = (a.shape()[0], a.shape()[1]);
            let bytes = a.as_slice().map_err(|_| not_contiguous())?.to_vec();
            return Ok(Codes {
                bytes,
                rows,
                width,
                signed: false,
            });
        }
        if let Ok(a) = obj.cast::<PyArray2<i8>>() {
            let a = a.readonly();
            let (rows, width) = (a.shape()[0], a.shape()[1]);
            let values = a.as_slice().map_err(|_| not_contiguous())?;
            let codes = PackedCodes::from_binary(rows, width, values)
                .map_err(|e| core_error(obj.py(), e))?;
            return Ok(Codes {
                bytes: codes.as_bytes().to_vec(),
                rows,
                width,
                signed: true,
            });
        }
        Err(wrong())
    }

    fn view(&self) -> repscope::Result<PackedRef<'_>> {
        PackedRef::new(&self.bytes, self.rows, self.width)
    }
}

pub fn hit_arrays<S: numpy::Element + Copy>(
    py: Python<'_>,
    hits: Hits<S>,
    n_queries: usize,
) -> PyResult<HitArrays<'_, S>> {
    let ids: Vec<i64> = hits.ids.iter().map(|&i| i as i64).collect();
    Ok((
        grid(py, n_queries, hits.k, ids)?,
        grid(py, n_queries, hits.k, hits.scores)?,
    ))
}

/// Packs `x > 0` eight bits to a byte (numpy.packbits(x > 0, axis=-1));
/// `precision` "ubinary" returns uint8 bytes, "binary" int8 (byte − 128).
#[pyfunction]
pub fn quantize_binary<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    precision: Pick<BinaryPrecision>,
) -> PyResult<Bound<'py, PyAny>> {
    let x = Input::from_py(x)?;
    let view = x.view();
    let codes = enter_core(py, move || binary::quantize_binary(view))?;
    let (rows, width) = (codes.nrows(), codes.width());
    Ok(match precision.0 {
        BinaryPrecision::Binary => grid(py, rows, width, codes.to_binary())?.into_any(),
        _ => grid(py, rows, width, codes.as_bytes().to_vec())?.into_any(),
    })
}

/// Exact Hamming top-k of packed query codes against packed corpus codes:
/// (ids int64, distances int64), each queries × k, ties to the lower index.
#[pyfunction]
pub fn hamming_search<'py>(
    py: Python<'py>,
    query_codes: &Bound<'py, PyAny>,
    corpus_codes: &Bound<'py, PyAny>,
    k: usize,
) -> PyResult<HitArrays<'py, i64>> {
    let queries = Codes::from_py(query_codes, "query_codes")?;
    let corpus = Codes::from_py(corpus_codes, "corpus_codes")?;
    if queries.signed != corpus.signed {
        return Err(wrong_argument(
            py,
            "Hamming search",
            "query and corpus codes of one precision (both 'binary' int8 or both 'ubinary' \
             uint8)",
            "one of each".into(),
        ));
    }
    let n = queries.rows;
    let hits = enter_core(py, || hamming(queries.view()?, corpus.view()?, k))?;
    let hits = Hits {
        k: hits.k,
        ids: hits.ids,
        scores: hits.scores.into_iter().map(i64::from).collect(),
    };
    hit_arrays(py, hits, n)
}

/// Binarised search with rescoring: the k × multiplier nearest codes by
/// Hamming distance, rescored by float query · candidate (the float corpus
/// when given, else the candidate's 0/1 bits); (ids int64, scores float64).
#[pyfunction]
#[pyo3(signature = (queries, corpus_codes, k, rescore_multiplier, corpus_float=None))]
pub fn binary_search<'py>(
    py: Python<'py>,
    queries: &Bound<'py, PyAny>,
    corpus_codes: &Bound<'py, PyAny>,
    k: usize,
    rescore_multiplier: usize,
    corpus_float: Option<&Bound<'py, PyAny>>,
) -> PyResult<HitArrays<'py, f64>> {
    let queries = Input::from_py(queries)?;
    let corpus = Codes::from_py(corpus_codes, "corpus_codes")?;
    let float = corpus_float.map(Input::from_py).transpose()?;
    let (query_view, float_view) = (queries.view(), float.as_ref().map(|f| f.view()));
    let n = query_view.nrows();
    let hits = enter_core(py, || {
        let rescore = match float_view {
            Some(v) => Rescore::Float(v),
            None => Rescore::Bits,
        };
        binary::binary_search(query_view, corpus.view()?, k, rescore_multiplier, rescore)
    })?;
    hit_arrays(py, hits, n)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(quantize_binary, m)?)?;
    m.add_function(wrap_pyfunction!(hamming_search, m)?)?;
    m.add_function(wrap_pyfunction!(binary_search, m)?)?;
    Ok(())
}
