//! Bindings of `repscope::alignment`: learned linear maps between two
//! representations of the same items, and how well they align.

use numpy::PyArray2;
use pyo3::prelude::*;

use crate::convert::{Input, Pick, ToPy, matrix_to_numpy};
use crate::errors::enter_core;
use crate::results::py_result;
use repscope::RepRef;
use repscope::alignment::{AlignOptions, Alignment, LinearMap, MapKind, MapMethod, align};

py_result! {
    /// ``(a - a_mean) @ weights + b_mean`` maps A's rows into B's space.
    PyLinearMap(LinearMap) as "LinearMap" in "repscope.alignment" {
        /// ndarray (units_a, units_b).
        weights,
        /// ndarray (units_a,).
        a_mean,
        /// ndarray (units_b,).
        b_mean,
    }
    methods {
        /// The rows of ``A`` mapped into B's space.
        fn apply<'py>(&self, py: Python<'py>, a: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray2<f64>>> {
            let a = Input::from_py(a)?;
            let av = a.view();
            let map = &self.0;
            let out = enter_core(py, || map.apply(av))?;
            Ok(matrix_to_numpy(py, out.as_ref()))
        }
    }
}

py_result! {
    /// ``paired_cosine``: mean cosine of each item's two vectors (None when
    /// the widths differ); ``mutual_knn`` and ``linear_cka`` between the
    /// sets; on the held-out items (``test_rows``) after a map fitted on the
    /// others: ``mapped_cosine`` and the retrieval accuracy ``top1`` /
    /// ``top5`` (is the item's own B-vector the closest, by cosine, among
    /// held-out B-vectors?).
    PyAlignment(Alignment) as "Alignment" in "repscope.alignment" {
        /// float or None.
        paired_cosine,
        /// float.
        mutual_knn,
        /// float.
        linear_cka,
        /// float.
        mapped_cosine,
        /// float.
        top1,
        /// float.
        top5,
        /// ndarray int64: the held-out items.
        test_rows,
    }
    methods {
        /// The map fitted on the other items.
        #[getter]
        fn map(&self) -> PyLinearMap {
            PyLinearMap(self.0.map.clone())
        }

        /// ndarray (units_a, units_b): the map's weights.
        #[getter]
        fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
            self.0.map.weights.to_py(py)
        }
    }
}

/// A learned map from `a` to `b`.
#[pyfunction]
fn fit_map(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    kind: Pick<MapMethod>,
    alpha: f64,
    centre: bool,
) -> PyResult<PyLinearMap> {
    let (a, b) = (Input::from_py(a)?, Input::from_py(b)?);
    let (av, bv) = (a.view(), b.view());
    Ok(PyLinearMap(enter_core(py, move || {
        repscope::units::check_pair(av, bv)?;
        LinearMap::fit_with(av, bv, MapKind::new(kind.0, alpha)?, centre)
    })?))
}

/// Alignment of two representations of the same items.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn alignment(
    py: Python<'_>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    map: Pick<MapMethod>,
    alpha: f64,
    test_fraction: f64,
    seed: u64,
    k: usize,
) -> PyResult<PyAlignment> {
    let (a, b) = (Input::from_py(a)?, Input::from_py(b)?);
    let (av, bv) = (a.view(), b.view());
    Ok(PyAlignment(enter_core(py, move || {
        let options = AlignOptions {
            map: MapKind::new(map.0, alpha)?,
            test_fraction,
            seed,
            k,
        };
        align(
            RepRef { name: "A", x: av },
            RepRef { name: "B", x: bv },
            &options,
        )
    })?))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyLinearMap>()?;
    m.add_class::<PyAlignment>()?;
    m.add_function(wrap_pyfunction!(fit_map, m)?)?;
    m.add_function(wrap_pyfunction!(alignment, m)?)?;
    Ok(())
}
