//! Bindings of `repscope::compress::pq`: product quantisation, trained,
//! applied and searched with asymmetric distances. Codebooks travel as a
//! (M · 2^nbits) × (d / M) float64 array, codes as n × M uint8.

use numpy::{PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::prelude::*;

use super::binary::{HitArrays, hit_arrays};
use crate::convert::{Input, Pick, grid, matrix_to_numpy, wrong_argument};
use crate::errors::{core_error, enter_core};
use repscope::compress::pq::{PqMetric, PqOptions, ProductQuantizer};

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
    codes.as_slice().map(<[u8]>::to_vec).map_err(|_| {
        wrong_argument(
            codes.py(),
            "PQ codes",
            "a C-contiguous array",
            "a strided view".into(),
        )
    })
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
    grid(py, pq.m() * pq.ksub(), pq.dsub(), pq.codebooks().to_vec())
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
    grid(py, n, pq.m(), codes)
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
    Ok(matrix_to_numpy(py, decoded.as_ref()))
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
    metric: Pick<PqMetric>,
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
    let hits = enter_core(py, || pq.search(view, &codes, k, metric.0))?;
    hit_arrays(py, hits, n)
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pq_train, m)?)?;
    m.add_function(wrap_pyfunction!(pq_encode, m)?)?;
    m.add_function(wrap_pyfunction!(pq_decode, m)?)?;
    m.add_function(wrap_pyfunction!(pq_search, m)?)?;
    Ok(())
}
