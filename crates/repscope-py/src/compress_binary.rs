//! Bindings of `repscope::compress::{binary, pq}`: binary codes and Hamming
//! search, product quantisation. Codes travel as uint8 (or int8 for the
//! `"binary"` precision) C-contiguous arrays; the Python wrappers in
//! `repscope/codes.py` make them contiguous.

use numpy::{IntoPyArray, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use crate::convert::Input;
use crate::errors::{core_error, enter_core};
use repscope::compress::binary::{
    self, BinaryPrecision, Hits, PackedCodes, PackedRef, Rescore, hamming_search as hamming,
};
use repscope::compress::pq::{PqMetric, PqOptions, ProductQuantizer};

/// Ids (int64) and scores of a top-k search, each queries × k.
type HitArrays<'py, S> = (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<S>>);

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
        let wrong = || {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "{what} must be a 2-D uint8 ('ubinary') or int8 ('binary') array of packed bits"
            ))
        };
        let not_contiguous =
            || pyo3::exceptions::PyValueError::new_err(format!("{what} must be C-contiguous"));
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

fn hit_arrays<S: numpy::Element + Copy>(
    py: Python<'_>,
    hits: Hits<S>,
    n_queries: usize,
) -> PyResult<HitArrays<'_, S>> {
    let shape = (n_queries, hits.k);
    let ids: Vec<i64> = hits.ids.iter().map(|&i| i as i64).collect();
    let to_py = |e: ndarray::ShapeError| pyo3::exceptions::PyRuntimeError::new_err(e.to_string());
    let ids = ndarray::Array2::from_shape_vec(shape, ids).map_err(to_py)?;
    let scores = ndarray::Array2::from_shape_vec(shape, hits.scores).map_err(to_py)?;
    Ok((ids.into_pyarray(py), scores.into_pyarray(py)))
}

/// Packs `x > 0` eight bits to a byte (numpy.packbits(x > 0, axis=-1));
/// `precision` "ubinary" returns uint8 bytes, "binary" int8 (byte − 128).
#[pyfunction]
pub fn quantize_binary<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    precision: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let x = Input::from_py(x)?;
    let view = x.view();
    let (precision, codes) = enter_core(py, move || {
        let precision = BinaryPrecision::from_name(precision)?;
        Ok((precision, binary::quantize_binary(view)?))
    })?;
    let shape = (codes.nrows(), codes.width());
    let to_py = |e: ndarray::ShapeError| pyo3::exceptions::PyRuntimeError::new_err(e.to_string());
    Ok(match precision {
        BinaryPrecision::Binary => ndarray::Array2::from_shape_vec(shape, codes.to_binary())
            .map_err(to_py)?
            .into_pyarray(py)
            .into_any(),
        _ => ndarray::Array2::from_shape_vec(shape, codes.as_bytes().to_vec())
            .map_err(to_py)?
            .into_pyarray(py)
            .into_any(),
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
        return Err(core_error(
            py,
            repscope::Error::Invalid {
                what: "Hamming search".into(),
                detail: "query codes and corpus codes must have the same precision (both \
                         'binary' int8 or both 'ubinary' uint8)"
                    .into(),
            },
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

/// Codebooks arrive as a (M · ksub) × dsub float64 array.
fn quantizer(codebooks: &Bound<'_, PyAny>, m: usize) -> PyResult<ProductQuantizer> {
    let input = Input::from_py(codebooks)?;
    let view = input.view();
    let (rows, dsub) = (view.nrows(), view.ncols());
    let flat: Vec<f64> = (0..rows)
        .flat_map(|i| (0..dsub).map(move |t| view[(i, t)]))
        .collect();
    let made = match rows.checked_div(m) {
        Some(ksub) if ksub * m == rows => ProductQuantizer::from_codebooks(m, ksub, dsub, flat),
        _ => Err(repscope::Error::Invalid {
            what: "product quantisation".into(),
            detail: format!("{rows} codebook rows do not split into M = {m} sub-spaces"),
        }),
    };
    made.map_err(|e| core_error(codebooks.py(), e))
}

fn pq_codes(codes: &PyReadonlyArray2<'_, u8>) -> PyResult<Vec<u8>> {
    codes
        .as_slice()
        .map(<[u8]>::to_vec)
        .map_err(|_| pyo3::exceptions::PyValueError::new_err("codes must be C-contiguous"))
}

/// Trains PQ codebooks on the rows of `x`: returns them as a
/// (M · 2^nbits) × (d / M) float64 array.
#[pyfunction]
#[pyo3(signature = (x, m, nbits, seed=0, max_iter=25, max_train=None))]
pub fn pq_train<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    m: usize,
    nbits: u32,
    seed: u64,
    max_iter: usize,
    max_train: Option<usize>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let x = Input::from_py(x)?;
    let view = x.view();
    let pq = enter_core(py, move || {
        let options = PqOptions {
            seed,
            max_iter,
            max_train,
            ..PqOptions::new(m, nbits)
        };
        ProductQuantizer::train(view, &options)
    })?;
    let shape = (pq.m() * pq.ksub(), pq.dsub());
    ndarray::Array2::from_shape_vec(shape, pq.codebooks().to_vec())
        .map(|a| a.into_pyarray(py))
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// PQ codes (n × M uint8) of the rows of `x`.
#[pyfunction]
pub fn pq_encode<'py>(
    py: Python<'py>,
    codebooks: &Bound<'py, PyAny>,
    m: usize,
    x: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let pq = quantizer(codebooks, m)?;
    let x = Input::from_py(x)?;
    let view = x.view();
    let n = view.nrows();
    let codes = enter_core(py, || pq.encode(view))?;
    ndarray::Array2::from_shape_vec((n, pq.m()), codes)
        .map(|a| a.into_pyarray(py))
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// The vectors (n × d float64) that PQ codes stand for.
#[pyfunction]
pub fn pq_decode<'py>(
    py: Python<'py>,
    codebooks: &Bound<'py, PyAny>,
    m: usize,
    codes: PyReadonlyArray2<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let pq = quantizer(codebooks, m)?;
    let codes = pq_codes(&codes)?;
    let decoded = enter_core(py, || pq.decode(&codes))?;
    Ok(crate::convert::matrix_to_numpy(py, decoded.as_ref()))
}

/// ADC top-k of float queries over PQ codes: (ids int64, scores float64);
/// metric "l2" (squared distance, ascending) or "ip" (descending).
#[pyfunction]
pub fn pq_search<'py>(
    py: Python<'py>,
    codebooks: &Bound<'py, PyAny>,
    m: usize,
    queries: &Bound<'py, PyAny>,
    codes: PyReadonlyArray2<'py, u8>,
    k: usize,
    metric: &str,
) -> PyResult<HitArrays<'py, f64>> {
    let pq = quantizer(codebooks, m)?;
    if codes.shape()[1] != pq.m() {
        return Err(core_error(
            py,
            repscope::Error::Invalid {
                what: "product-quantised search".into(),
                detail: format!(
                    "codes have {} bytes per row but the quantiser has M = {} sub-spaces",
                    codes.shape()[1],
                    pq.m()
                ),
            },
        ));
    }
    let codes = pq_codes(&codes)?;
    let queries = Input::from_py(queries)?;
    let view = queries.view();
    let n = view.nrows();
    let hits = enter_core(py, || {
        let metric = PqMetric::from_name(metric)?;
        pq.search(view, &codes, k, metric)
    })?;
    hit_arrays(py, hits, n)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(quantize_binary, m)?)?;
    m.add_function(wrap_pyfunction!(hamming_search, m)?)?;
    m.add_function(wrap_pyfunction!(binary_search, m)?)?;
    m.add_function(wrap_pyfunction!(pq_train, m)?)?;
    m.add_function(wrap_pyfunction!(pq_encode, m)?)?;
    m.add_function(wrap_pyfunction!(pq_decode, m)?)?;
    m.add_function(wrap_pyfunction!(pq_search, m)?)?;
    Ok(())
}
