//! Bindings of `repscope::pairwise`: the A × B matrix of one measure, from
//! arrays or streamed from files, as the core's `PairwiseMatrix` in a
//! Python class (`repscope.PairwiseResult`).

use faer::Mat;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{Input, inputs, matrix_to_numpy, params_from_dict, reps};
use crate::errors::{core_error, enter_core};
use crate::preflight::preflight;
use crate::results::data_frame;
use repscope::RepRef;
use repscope::data::source::open_source;
use repscope::pairwise::{PairwiseMatrix, PairwiseOptions, estimate_pairwise};

/// The len(A) x len(B) matrix of one measure.
///
/// Returned by :func:`repscope.pairwise` and
/// :func:`repscope.distributed.pairwise`; ``to_pandas()`` gives it in long
/// format (needs pandas), ``plot(path)`` draws it as a heatmap.
///
/// Attributes: ``values`` (len(A) x len(B)), ``names_a``, ``names_b``,
/// ``measure``, ``ci_low``/``ci_high`` (bootstrap percentile interval of
/// each cell, or None), ``p_values`` (permutation p-value of each cell, or
/// None), ``calibrated`` and ``thresholds`` (each cell's calibrated score and
/// the permutation-null threshold it is measured from, with the p-values),
/// ``warnings`` (caveats the measure raised).
#[pyclass(frozen, name = "PairwiseResult", module = "repscope.pairwise")]
pub struct PyPairwiseResult(pub PairwiseMatrix);

fn owned(m: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Mat<f64>>> {
    m.map(|a| Ok(Input::from_py(a)?.view().to_owned()))
        .transpose()
}

fn optional<'py>(py: Python<'py>, m: &Option<Mat<f64>>) -> Option<Bound<'py, PyAny>> {
    m.as_ref()
        .map(|m| matrix_to_numpy(py, m.as_ref()).into_any())
}

#[pymethods]
impl PyPairwiseResult {
    #[new]
    #[pyo3(signature = (values, names_a, names_b, measure, ci_low=None, ci_high=None, p_values=None, warnings=None, calibrated=None, thresholds=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        values: &Bound<'_, PyAny>,
        names_a: Vec<String>,
        names_b: Vec<String>,
        measure: String,
        ci_low: Option<&Bound<'_, PyAny>>,
        ci_high: Option<&Bound<'_, PyAny>>,
        p_values: Option<&Bound<'_, PyAny>>,
        warnings: Option<Vec<String>>,
        calibrated: Option<&Bound<'_, PyAny>>,
        thresholds: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(PyPairwiseResult(PairwiseMatrix {
            values: Input::from_py(values)?.view().to_owned(),
            names_a,
            names_b,
            measure,
            ci_low: owned(ci_low)?,
            ci_high: owned(ci_high)?,
            p_values: owned(p_values)?,
            calibrated: owned(calibrated)?,
            thresholds: owned(thresholds)?,
            warnings: warnings.unwrap_or_default(),
        }))
    }

    #[getter]
    fn values<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        matrix_to_numpy(py, self.0.values.as_ref()).into_any()
    }

    #[getter]
    fn names_a(&self) -> Vec<String> {
        self.0.names_a.clone()
    }

    #[getter]
    fn names_b(&self) -> Vec<String> {
        self.0.names_b.clone()
    }

    #[getter]
    fn measure(&self) -> String {
        self.0.measure.clone()
    }

    #[getter]
    fn ci_low<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        optional(py, &self.0.ci_low)
    }

    #[getter]
    fn ci_high<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        optional(py, &self.0.ci_high)
    }

    #[getter]
    fn p_values<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        optional(py, &self.0.p_values)
    }

    #[getter]
    fn calibrated<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        optional(py, &self.0.calibrated)
    }

    #[getter]
    fn thresholds<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyAny>> {
        optional(py, &self.0.thresholds)
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.0.warnings.clone()
    }

    fn __repr__(&self) -> String {
        let r = &self.0;
        let mut out = format!(
            "PairwiseResult({}, {} x {})",
            r.measure,
            r.names_a.len(),
            r.names_b.len()
        );
        for i in 0..r.values.nrows() {
            out.push_str("\n[");
            let row: Vec<String> = (0..r.values.ncols())
                .map(|j| format!("{:.4}", r.values[(i, j)]))
                .collect();
            out.push_str(&row.join(" "));
            out.push(']');
        }
        out
    }

    /// Long format: one row per pair (a, b, measure, value, ci_low,
    /// ci_high, p, calibrated, threshold), NaN where not computed. Needs pandas.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let r = &self.0;
        let cells: Vec<(usize, usize)> = (0..r.names_a.len())
            .flat_map(|i| (0..r.names_b.len()).map(move |j| (i, j)))
            .collect();
        let column = |m: Option<&Mat<f64>>| -> Vec<f64> {
            cells
                .iter()
                .map(|&(i, j)| m.map_or(f64::NAN, |m| m[(i, j)]))
                .collect()
        };
        let names = |list: &[String], pick: fn(&(usize, usize)) -> usize| -> Vec<String> {
            cells.iter().map(|c| list[pick(c)].clone()).collect()
        };
        data_frame(
            py,
            vec![
                (
                    "a",
                    names(&r.names_a, |c| c.0).into_pyobject(py)?.into_any(),
                ),
                (
                    "b",
                    names(&r.names_b, |c| c.1).into_pyobject(py)?.into_any(),
                ),
                (
                    "measure",
                    vec![r.measure.clone(); cells.len()]
                        .into_pyobject(py)?
                        .into_any(),
                ),
                (
                    "value",
                    column(Some(&r.values)).into_pyobject(py)?.into_any(),
                ),
                (
                    "ci_low",
                    column(r.ci_low.as_ref()).into_pyobject(py)?.into_any(),
                ),
                (
                    "ci_high",
                    column(r.ci_high.as_ref()).into_pyobject(py)?.into_any(),
                ),
                (
                    "p",
                    column(r.p_values.as_ref()).into_pyobject(py)?.into_any(),
                ),
                (
                    "calibrated",
                    column(r.calibrated.as_ref()).into_pyobject(py)?.into_any(),
                ),
                (
                    "threshold",
                    column(r.thresholds.as_ref()).into_pyobject(py)?.into_any(),
                ),
            ],
        )
    }

    /// Draws the matrix as a heatmap (``.png`` or ``.svg``) without matplotlib.
    fn plot(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        let r = &self.0;
        enter_core(py, || repscope_plot::pairwise_heatmap(&path, r, "A", "B"))
    }

    /// The heatmap as JSON (for ``rs.report``).
    fn _chart_json(&self) -> String {
        serde_json::to_string(&repscope_plot::Chart::pairwise(&self.0, "A", "B"))
            .unwrap_or_default()
    }

    /// The notebook view: the heatmap and its table.
    fn _repr_html_(&self, py: Python<'_>) -> PyResult<String> {
        let chart = repscope_plot::Chart::pairwise(&self.0, "A", "B");
        crate::report::chart_html(py, &format!("pairwise {}", self.0.measure), chart)
    }
}

/// Runs `f` with a progress callback drawing the CLI's bar on stderr
/// (hidden when `show` is false or stderr is not a terminal).
fn with_bar<T>(
    what: &str,
    show: bool,
    f: impl FnOnce(&(dyn Fn(repscope::Progress) + Sync)) -> T,
) -> T {
    let bar = repscope_cli::progress::bar(1, what, !show);
    let out = f(&|p| {
        bar.set_length(p.total as u64);
        bar.set_position(p.done as u64);
    });
    bar.finish_and_clear();
    out
}

/// The A × B matrix of one measure; B = None compares A with itself.
/// `partners` = (for A, for B) makes a block prepare as its whole matrix would.
#[pyfunction]
#[pyo3(signature = (names_a, arrays_a, names_b, arrays_b, measure, params=None, threads=None, n_boot=0, n_permutations=0, seed=0, ci=0.95, partners=None, progress=false, estimate=false, force=false, calibration_alpha=0.05))]
#[allow(clippy::too_many_arguments)]
fn pairwise<'py>(
    py: Python<'py>,
    names_a: Vec<String>,
    arrays_a: Vec<Bound<'py, PyAny>>,
    names_b: Option<Vec<String>>,
    arrays_b: Option<Vec<Bound<'py, PyAny>>>,
    measure: &str,
    params: Option<&Bound<'py, PyDict>>,
    threads: Option<usize>,
    n_boot: usize,
    n_permutations: usize,
    seed: u64,
    ci: f64,
    partners: Option<(usize, usize)>,
    progress: bool,
    estimate: bool,
    force: bool,
    calibration_alpha: f64,
) -> PyResult<Bound<'py, PyAny>> {
    let params = params_from_dict(params)?;
    let inputs_a = inputs(&arrays_a)?;
    let inputs_b = arrays_b.as_deref().map(inputs).transpose()?;
    let names_b = names_b.unwrap_or_default();
    let a = reps(&names_a, &inputs_a);
    let b = inputs_b.as_deref().map(|i| reps(&names_b, i));
    let options = PairwiseOptions {
        threads,
        n_boot,
        n_permutations,
        alpha: calibration_alpha,
        seed,
        ci,
        partners,
    };
    let m = repscope::measures::build(measure, &params).map_err(|e| core_error(py, e))?;
    let shapes = |r: &[RepRef<'_>]| {
        r.iter()
            .map(|r| (r.x.nrows(), r.x.ncols()))
            .collect::<Vec<_>>()
    };
    let mut prediction = estimate_pairwise(
        &shapes(&a),
        b.as_deref().map(shapes).as_deref(),
        m.as_ref(),
        &options,
        false,
    );
    let copies: u64 = inputs_a
        .iter()
        .chain(inputs_b.iter().flatten())
        .map(Input::copy_bytes)
        .sum();
    if copies > 0 {
        prediction.add("float64 copies of the inputs", copies);
    }
    if let Some(e) = preflight(py, prediction, estimate, force)? {
        return Ok(e);
    }
    let result = enter_core(py, move || {
        with_bar(m.info().name, progress, |report| {
            repscope::pairwise(&a, b.as_deref(), m.as_ref(), &options, report)
        })
    })?;
    Ok(Bound::new(py, PyPairwiseResult(result))?.into_any())
}

/// The A × B matrix of one measure with representations read one at a
/// time from a folder or a `.safetensors` file (B = None: A with itself).
#[pyfunction]
#[pyo3(signature = (path_a, path_b, measure, params=None, threads=None, progress=false, estimate=false, force=false))]
#[allow(clippy::too_many_arguments)]
fn pairwise_stream<'py>(
    py: Python<'py>,
    path_a: std::path::PathBuf,
    path_b: Option<std::path::PathBuf>,
    measure: &str,
    params: Option<&Bound<'py, PyDict>>,
    threads: Option<usize>,
    progress: bool,
    estimate: bool,
    force: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let params = params_from_dict(params)?;
    let options = PairwiseOptions {
        threads,
        ..PairwiseOptions::default()
    };
    let m = repscope::measures::build(measure, &params).map_err(|e| core_error(py, e))?;
    let sizes = |p: &std::path::Path| -> PyResult<Vec<(usize, usize)>> {
        let shapes = repscope::data::source::shapes(p).map_err(|e| core_error(py, e))?;
        Ok(shapes.into_iter().map(|(_, s)| s).collect())
    };
    let shapes_a = sizes(&path_a)?;
    let shapes_b = path_b.as_deref().map(sizes).transpose()?;
    let prediction = estimate_pairwise(&shapes_a, shapes_b.as_deref(), m.as_ref(), &options, true);
    if let Some(e) = preflight(py, prediction, estimate, force)? {
        return Ok(e);
    }
    let result = enter_core(py, move || {
        let a = open_source(&path_a)?;
        let b = path_b.as_deref().map(open_source).transpose()?;
        with_bar(m.info().name, progress, |report| {
            repscope::pairwise_streaming(a.as_ref(), b.as_deref(), m.as_ref(), &options, report)
        })
    })?;
    Ok(Bound::new(py, PyPairwiseResult(result))?.into_any())
}

/// The row orders of the permutation null of :func:`repscope.pairwise`
/// (one list per permutation): with them, any tool reproduces its null.
#[pyfunction]
fn permutation_orders(
    py: Python<'_>,
    n: usize,
    n_permutations: usize,
    seed: u64,
) -> PyResult<Vec<Vec<usize>>> {
    repscope::preflight::check_resamples("permutation_orders", n_permutations, 2 * n)
        .map_err(|e| core_error(py, e))?;
    Ok((0..n_permutations)
        .map(|s| repscope::pairwise::permuted_rows(n, seed, s))
        .collect())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPairwiseResult>()?;
    m.add_function(wrap_pyfunction!(pairwise, m)?)?;
    m.add_function(wrap_pyfunction!(permutation_orders, m)?)?;
    m.add_function(wrap_pyfunction!(pairwise_stream, m)?)?;
    Ok(())
}
