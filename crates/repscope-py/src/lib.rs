//! Python bindings: convert numpy ↔ faer and `repscope::Error` → Python
//! exceptions, release the GIL, call the core. No formula lives here.

mod analyses;
mod compress;
mod compress_binary;
mod convert;
mod encode;
mod errors;
mod probe;
mod rsa;
mod searchlight;
mod taskvec;

use std::collections::HashMap;

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use convert::{Input, matrix_to_numpy, params_from_dict};
use errors::enter_core;
use repscope::data::{RepRef, StoreAs};
use repscope::pairwise::PairwiseOptions;

/// What `load` returns to Python: names, float64 arrays, stimulus labels.
type LoadedRepSet<'py> = (
    Vec<String>,
    Vec<Bound<'py, PyArray2<f64>>>,
    Option<Vec<String>>,
);

/// Loads a RepSet: returns (names, float64 arrays, stimulus labels or None).
#[pyfunction]
fn load<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<LoadedRepSet<'py>> {
    let set = enter_core(py, || repscope::load(&path))?;
    let (names, mats, stimuli) = set.into_parts();
    let arrays = mats
        .iter()
        .map(|m| matrix_to_numpy(py, m.as_ref()))
        .collect();
    Ok((names, arrays, stimuli))
}

/// The names of a RepSet on disk. A folder or a `.safetensors` file is
/// listed without reading any array; other files are read whole.
#[pyfunction]
fn names_in(py: Python<'_>, path: std::path::PathBuf) -> PyResult<Vec<String>> {
    enter_core(py, || {
        if let Ok(source) = repscope::data::source::open_source(&path) {
            return Ok((0..source.len())
                .map(|i| source.name(i).to_string())
                .collect());
        }
        Ok(repscope::load(&path)?.into_parts().0)
    })
}

/// Loads only the named representations of a RepSet on disk, in the given
/// order: from a folder or a `.safetensors` file only their bytes are read.
#[pyfunction]
fn load_some<'py>(
    py: Python<'py>,
    path: std::path::PathBuf,
    names: Vec<String>,
) -> PyResult<Vec<Bound<'py, PyArray2<f64>>>> {
    let mats = enter_core(py, || {
        let find = |all: &[String], name: &str| {
            all.iter().position(|a| a == name).ok_or_else(|| {
                repscope::Error::UnknownRepresentation {
                    set: path.display().to_string(),
                    name: name.to_string(),
                    known: all.to_vec(),
                }
            })
        };
        if let Ok(source) = repscope::data::source::open_source(&path) {
            let all: Vec<String> = (0..source.len())
                .map(|i| source.name(i).to_string())
                .collect();
            return names
                .iter()
                .map(|n| source.load(find(&all, n)?))
                .collect::<repscope::Result<Vec<_>>>();
        }
        let (all, mats, _) = repscope::load(&path)?.into_parts();
        names
            .iter()
            .map(|n| Ok(mats[find(&all, n)?].clone()))
            .collect()
    })?;
    Ok(mats
        .iter()
        .map(|m| matrix_to_numpy(py, m.as_ref()))
        .collect())
}

/// Saves named arrays (`.npy`, `.npz`, `.safetensors`).
#[pyfunction]
#[pyo3(signature = (path, names, arrays, stimuli=None, float32=false))]
fn save(
    py: Python<'_>,
    path: std::path::PathBuf,
    names: Vec<String>,
    arrays: Vec<Bound<'_, PyAny>>,
    stimuli: Option<Vec<String>>,
    float32: bool,
) -> PyResult<()> {
    let inputs = arrays
        .iter()
        .map(Input::from_py)
        .collect::<PyResult<Vec<_>>>()?;
    let mats: Vec<faer::Mat<f64>> = inputs.iter().map(|i| i.view().to_owned()).collect();
    enter_core(py, move || {
        let mut set = repscope::RepSet::new();
        for (name, m) in names.into_iter().zip(mats) {
            set.push(name, m)?;
        }
        if let Some(s) = stimuli {
            set.set_stimuli(s)?;
        }
        let store = if float32 { StoreAs::F32 } else { StoreAs::F64 };
        repscope::save(&path, &set, store)
    })
}

/// Similarity of two representations with one measure.
#[pyfunction]
#[pyo3(signature = (x, y, measure, params=None))]
fn similarity(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    measure: &str,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<(f64, Vec<String>)> {
    let params = params_from_dict(params)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    enter_core(py, move || {
        let m = repscope::measures::build(measure, &params)?;
        repscope::measures::similarity_with_warnings(
            RepRef { name: "X", x: xv },
            RepRef { name: "Y", x: yv },
            m.as_ref(),
        )
    })
}

/// Runs the `repscope` command line (`argv[0]` is the program name) and
/// returns its exit status; the GIL is released while it runs.
#[pyfunction]
fn cli(py: Python<'_>, argv: Vec<String>) -> u8 {
    py.detach(|| repscope_cli::run_from_args(argv))
}

/// Rejects NaN and infinite values with the core's message.
fn check_finite_input(x: faer::MatRef<'_, f64>) -> repscope::Result<()> {
    repscope::measures::check_input(RepRef { name: "X", x })
}

/// Probability that a random SDR (`a` of `n` bits on) matches a segment of
/// `s` synapses in at least `theta` (Ahmad & Hawkins 2016).
#[pyfunction]
fn sdr_false_match(py: Python<'_>, n: u64, a: u64, s: u64, theta: u64) -> PyResult<f64> {
    enter_core(py, move || repscope::sdr::false_match(n, a, s, theta))
}

/// The k most active units of every row (ascending indices; ties to the
/// lower index).
#[pyfunction]
fn sdr_encode(py: Python<'_>, x: &Bound<'_, PyAny>, k: usize) -> PyResult<Vec<Vec<u32>>> {
    let x = Input::from_py(x)?;
    let view = x.view();
    enter_core(py, move || {
        crate::check_finite_input(view)?;
        Ok(repscope::sdr::encode(view, k))
    })
}

/// Expected fraction of bits on in a union of `m` SDRs of `w` of `n` bits.
#[pyfunction]
fn sdr_union_density(py: Python<'_>, n: u64, w: u64, m: u64) -> PyResult<f64> {
    enter_core(py, move || repscope::sdr::union_density(n, w, m))
}

/// Probability that a random SDR matches a union of `m` SDRs in at least
/// `theta` bits.
#[pyfunction]
fn sdr_union_false_match(py: Python<'_>, n: u64, w: u64, m: u64, theta: u64) -> PyResult<f64> {
    enter_core(py, move || repscope::sdr::union_false_match(n, w, m, theta))
}

/// Seconds per call of the core's one-pair similarity, timed inside Rust
/// over `repeats` calls (no Python in the loop): the baseline that
/// bench/overhead.py subtracts from a Python call to get the binding's cost.
#[pyfunction]
#[pyo3(signature = (x, y, measure, repeats, params=None))]
fn time_similarity_in_core(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    measure: &str,
    repeats: usize,
    params: Option<&Bound<'_, PyDict>>,
) -> PyResult<f64> {
    let params = params_from_dict(params)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    enter_core(py, move || {
        let m = repscope::measures::build(measure, &params)?;
        let start = std::time::Instant::now();
        for _ in 0..repeats.max(1) {
            std::hint::black_box(repscope::measures::similarity(
                RepRef { name: "X", x: xv },
                RepRef { name: "Y", x: yv },
                m.as_ref(),
            )?);
        }
        Ok(start.elapsed().as_secs_f64() / repeats.max(1) as f64)
    })
}

/// The A × B matrix of one measure; B = None compares A with itself.
/// Returns (values, ci_low, ci_high, p_values, warnings), the middle three
/// None unless bootstrap samples or permutations were requested.
/// `partners` = (for A, for B) makes a block prepare as its whole matrix would.
#[pyfunction]
#[pyo3(signature = (names_a, arrays_a, names_b, arrays_b, measure, params=None, threads=None, n_boot=0, permutations=0, seed=0, ci=0.95, partners=None, progress=false))]
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
    permutations: usize,
    seed: u64,
    ci: f64,
    partners: Option<(usize, usize)>,
    progress: bool,
) -> PyResult<PairwiseArrays<'py>> {
    let params = params_from_dict(params)?;
    let convert = |arrays: &[Bound<'py, PyAny>]| {
        arrays
            .iter()
            .map(Input::from_py)
            .collect::<PyResult<Vec<_>>>()
    };
    let inputs_a = convert(&arrays_a)?;
    let inputs_b = arrays_b.as_deref().map(convert).transpose()?;
    let names_b = names_b.unwrap_or_default();
    let result = {
        let a = reps(&names_a, &inputs_a);
        let b = inputs_b.as_deref().map(|i| reps(&names_b, i));
        enter_core(py, move || {
            let m = repscope::measures::build(measure, &params)?;
            let options = PairwiseOptions {
                threads,
                n_boot,
                n_permutations: permutations,
                seed,
                ci,
                partners,
            };
            with_bar(m.info().name, progress, |report| {
                repscope::pairwise(&a, b.as_deref(), m.as_ref(), &options, report)
            })
        })?
    };
    Ok(pairwise_arrays(py, result))
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

/// The A × B matrix of one measure with representations read one at a
/// time from a folder or a `.safetensors` file (B = None: A with itself).
#[pyfunction]
#[pyo3(signature = (path_a, path_b, measure, params=None, threads=None, progress=false))]
fn pairwise_stream<'py>(
    py: Python<'py>,
    path_a: std::path::PathBuf,
    path_b: Option<std::path::PathBuf>,
    measure: &str,
    params: Option<&Bound<'py, PyDict>>,
    threads: Option<usize>,
    progress: bool,
) -> PyResult<(PairwiseArrays<'py>, Vec<String>, Vec<String>)> {
    let params = params_from_dict(params)?;
    let result = enter_core(py, move || {
        let m = repscope::measures::build(measure, &params)?;
        let a = repscope::data::source::open_source(&path_a)?;
        let b = path_b
            .as_deref()
            .map(repscope::data::source::open_source)
            .transpose()?;
        let options = PairwiseOptions {
            threads,
            ..PairwiseOptions::default()
        };
        with_bar(m.info().name, progress, |report| {
            repscope::pairwise_streaming(a.as_ref(), b.as_deref(), m.as_ref(), &options, report)
        })
    })?;
    let (names_a, names_b) = (result.names_a.clone(), result.names_b.clone());
    Ok((pairwise_arrays(py, result), names_a, names_b))
}

fn pairwise_arrays(py: Python<'_>, result: repscope::PairwiseMatrix) -> PairwiseArrays<'_> {
    let optional = |m: &Option<faer::Mat<f64>>| m.as_ref().map(|m| matrix_to_numpy(py, m.as_ref()));
    (
        matrix_to_numpy(py, result.values.as_ref()),
        optional(&result.ci_low),
        optional(&result.ci_high),
        optional(&result.p_values),
        result.warnings,
    )
}

/// values, ci_low, ci_high, p_values and warnings of a pairwise run.
type PairwiseArrays<'py> = (
    Bound<'py, PyArray2<f64>>,
    Option<Bound<'py, PyArray2<f64>>>,
    Option<Bound<'py, PyArray2<f64>>>,
    Option<Bound<'py, PyArray2<f64>>>,
    Vec<String>,
);

fn reps<'a>(names: &'a [String], inputs: &'a [Input<'_>]) -> Vec<RepRef<'a>> {
    names
        .iter()
        .zip(inputs)
        .map(|(name, i)| RepRef { name, x: i.view() })
        .collect()
}

/// The measures the registry knows: name, kind, invariances, summary, reference.
#[pyfunction]
fn measures(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    repscope::measures()
        .into_iter()
        .map(|m| {
            let d = PyDict::new(py);
            d.set_item("name", m.name)?;
            let kind = match m.kind {
                repscope::measures::Kind::Distance => "distance",
                _ => "similarity",
            };
            d.set_item("kind", kind)?;
            d.set_item("needs_same_dim", m.needs_same_dim)?;
            d.set_item("symmetric", m.symmetric)?;
            let inv: Vec<String> = m
                .invariances
                .iter()
                .map(|i| convert::snake_case(&format!("{i:?}")))
                .collect();
            d.set_item("invariances", inv)?;
            d.set_item("summary", m.summary)?;
            d.set_item("reference", m.reference)?;
            d.set_item("range", m.range)?;
            Ok(d)
        })
        .collect()
}

/// Draws a labelled heatmap (.png or .svg) with the Rust plotting code.
#[pyfunction]
#[pyo3(signature = (path, values, rows, cols, title, value_label, vmin=None, vmax=None))]
#[allow(clippy::too_many_arguments)]
fn plot_heatmap(
    py: Python<'_>,
    path: std::path::PathBuf,
    values: PyReadonlyArray2<'_, f64>,
    rows: Vec<String>,
    cols: Vec<String>,
    title: String,
    value_label: String,
    vmin: Option<f64>,
    vmax: Option<f64>,
) -> PyResult<()> {
    let values = Input::F64(values);
    let view = values.view();
    enter_core(py, move || {
        repscope_plot::heatmap(
            &path,
            &repscope_plot::Heatmap {
                values: view,
                row_labels: &rows,
                col_labels: &cols,
                title: &title,
                row_axis: "A",
                col_axis: "B",
                value_label: &value_label,
                range: vmin.zip(vmax),
            },
        )
    })
}

/// Version and build facts, for bug reports.
#[pyfunction]
fn build_info() -> HashMap<&'static str, String> {
    HashMap::from([
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("threads", repscope_threads().to_string()),
    ])
}

fn repscope_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[pymodule]
fn _repscope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(similarity, m)?)?;
    m.add_function(wrap_pyfunction!(pairwise, m)?)?;
    m.add_function(wrap_pyfunction!(measures, m)?)?;
    m.add_function(wrap_pyfunction!(plot_heatmap, m)?)?;
    m.add_function(wrap_pyfunction!(build_info, m)?)?;
    m.add_function(wrap_pyfunction!(time_similarity_in_core, m)?)?;
    m.add_function(wrap_pyfunction!(names_in, m)?)?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_false_match, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_union_density, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_encode, m)?)?;
    m.add_function(wrap_pyfunction!(sdr_union_false_match, m)?)?;
    m.add_function(wrap_pyfunction!(pairwise_stream, m)?)?;
    m.add_function(wrap_pyfunction!(load_some, m)?)?;
    rsa::register(m)?;
    analyses::register(m)?;
    encode::register(m)?;
    compress::register(m)?;
    taskvec::register(m)?;
    compress_binary::register(m)?;
    probe::register(m)?;
    searchlight::register(m)?;
    Ok(())
}
