//! Bindings of `repscope::shape_space`: fitted shape metrics (fit on some
//! stimuli, score on others), many networks' distances, Fréchet means,
//! k-means in shape space, and the stochastic (Gaussian, energy) metrics.
//! `repscope.netrep` builds netrep's classes on these.

use faer::MatRef;
use pyo3::prelude::*;

use crate::convert::{Input, inputs, matrix_to_numpy};
use crate::errors::{core_error, enter_core};
use repscope::measures::shape::ShapeScore;
use repscope::shape_space::fit::{Alignment, AlignmentSpec, Group};
use repscope::shape_space::{fit, many, stochastic};

fn spec(
    py: Python<'_>,
    group: &str,
    alpha: f64,
    center: bool,
    score: &str,
) -> PyResult<AlignmentSpec> {
    let parsed = (|| {
        Ok::<_, repscope::Error>(AlignmentSpec {
            group: Group::from_name(group)?,
            alpha,
            center,
            score: ShapeScore::from_name(score)?,
        })
    })();
    let spec = parsed.map_err(|e| core_error(py, e))?;
    spec.check().map_err(|e| core_error(py, e))?;
    Ok(spec)
}

fn vector(m: &[f64]) -> Vec<f64> {
    m.to_vec()
}

type FittedParts<'py> = (Vec<f64>, Vec<f64>, Bound<'py, PyAny>, Bound<'py, PyAny>);

/// Fits the alignment of X to Y: (mean_x, mean_y, map_x, map_y).
#[pyfunction]
fn alignment_fit<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    group: &str,
    alpha: f64,
    center: bool,
    score: &str,
) -> PyResult<FittedParts<'py>> {
    let spec = spec(py, group, alpha, center, score)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let a = enter_core(py, move || fit::fit(xv, yv, &spec))?;
    Ok((
        vector(&a.mean_x),
        vector(&a.mean_y),
        matrix_to_numpy(py, a.map_x.as_ref()).into_any(),
        matrix_to_numpy(py, a.map_y.as_ref()).into_any(),
    ))
}

/// A fitted alignment from Python: (mean_x, mean_y, map_x, map_y, score),
/// as `alignment_fit` returns it with the score named.
type AlignmentArg<'py> = (
    Vec<f64>,
    Vec<f64>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    String,
);

fn fitted(py: Python<'_>, arg: AlignmentArg<'_>) -> PyResult<Alignment> {
    let (mean_x, mean_y, map_x, map_y, score) = arg;
    Ok(Alignment {
        mean_x,
        mean_y,
        map_x: Input::from_py(&map_x)?.view().to_owned(),
        map_y: Input::from_py(&map_y)?.view().to_owned(),
        score: ShapeScore::from_name(&score).map_err(|e| core_error(py, e))?,
    })
}

/// A fitted alignment's map of X and Y: ((X − mean_x) map_x, (Y − mean_y) map_y).
#[pyfunction]
fn alignment_transform<'py>(
    py: Python<'py>,
    alignment: AlignmentArg<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let a = fitted(py, alignment)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    let (tx, ty) = enter_core(py, move || a.transform(xv, yv))?;
    Ok((
        matrix_to_numpy(py, tx.as_ref()).into_any(),
        matrix_to_numpy(py, ty.as_ref()).into_any(),
    ))
}

/// A fitted alignment's distance between X and Y.
#[pyfunction]
fn alignment_score<'py>(
    py: Python<'py>,
    alignment: AlignmentArg<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
) -> PyResult<f64> {
    let a = fitted(py, alignment)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    enter_core(py, move || a.score(xv, yv))
}

/// Held-out distances, one per fold.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn alignment_cross_validated<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    y: &Bound<'py, PyAny>,
    folds: Vec<usize>,
    group: &str,
    alpha: f64,
    center: bool,
    score: &str,
) -> PyResult<Vec<f64>> {
    let spec = spec(py, group, alpha, center, score)?;
    let (x, y) = (Input::from_py(x)?, Input::from_py(y)?);
    let (xv, yv) = (x.view(), y.view());
    enter_core(py, move || fit::cross_validated(xv, yv, &folds, &spec))
}

fn views<'a>(list: &'a [Input<'_>]) -> Vec<MatRef<'a, f64>> {
    list.iter().map(Input::view).collect()
}

/// The K × K training distances, and the test distances under the
/// training fits when `test` is given.
#[pyfunction]
#[pyo3(signature = (train, test, group, alpha, center, score))]
fn alignment_pairwise<'py>(
    py: Python<'py>,
    train: Vec<Bound<'py, PyAny>>,
    test: Option<Vec<Bound<'py, PyAny>>>,
    group: &str,
    alpha: f64,
    center: bool,
    score: &str,
) -> PyResult<(Bound<'py, PyAny>, Option<Bound<'py, PyAny>>)> {
    let spec = spec(py, group, alpha, center, score)?;
    let train = inputs(&train)?;
    let test = test.as_deref().map(inputs).transpose()?;
    let (tv, sv) = (views(&train), test.as_deref().map(views));
    let (d_train, d_test) = enter_core(py, move || {
        many::pairwise_distances(&tv, sv.as_deref(), &spec, &|| {})
    })?;
    Ok((
        matrix_to_numpy(py, d_train.as_ref()).into_any(),
        d_test.map(|m| matrix_to_numpy(py, m.as_ref()).into_any()),
    ))
}

type MeanParts<'py> = (Bound<'py, PyAny>, Vec<Bound<'py, PyAny>>, usize, bool);

/// The Fréchet mean: (mean, aligned networks, rounds, converged).
#[pyfunction]
fn frechet_mean<'py>(
    py: Python<'py>,
    xs: Vec<Bound<'py, PyAny>>,
    group: &str,
    start: &Bound<'py, PyAny>,
    tol: f64,
    max_iter: usize,
) -> PyResult<MeanParts<'py>> {
    let group = Group::from_name(group).map_err(|e| core_error(py, e))?;
    let xs = inputs(&xs)?;
    let start = Input::from_py(start)?;
    let (v, sv) = (views(&xs), start.view());
    let m = enter_core(py, move || many::frechet_mean(&v, group, sv, tol, max_iter))?;
    Ok((
        matrix_to_numpy(py, m.mean.as_ref()).into_any(),
        m.aligned
            .iter()
            .map(|a| matrix_to_numpy(py, a.as_ref()).into_any())
            .collect(),
        m.iterations,
        m.converged,
    ))
}

type KMeansParts<'py> = (Vec<usize>, Vec<Bound<'py, PyAny>>, Bound<'py, PyAny>, usize);

/// k-means in shape space: (labels, centroids, distances, rounds).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn shape_kmeans<'py>(
    py: Python<'py>,
    xs: Vec<Bound<'py, PyAny>>,
    init: Vec<usize>,
    group: &str,
    alpha: f64,
    score: &str,
    max_iter: usize,
    mean_iter: usize,
) -> PyResult<KMeansParts<'py>> {
    let spec = spec(py, group, alpha, true, score)?;
    let xs = inputs(&xs)?;
    let v = views(&xs);
    let k = enter_core(py, move || {
        many::shape_kmeans(&v, &init, &spec, max_iter, mean_iter)
    })?;
    Ok((
        k.labels,
        k.centroids
            .iter()
            .map(|c| matrix_to_numpy(py, c.as_ref()).into_any())
            .collect(),
        matrix_to_numpy(py, k.distances.as_ref()).into_any(),
        k.iterations,
    ))
}

/// A Gaussian representation from Python: (means, [covariance per stimulus]).
type GaussianArg<'py> = (Bound<'py, PyAny>, Vec<Bound<'py, PyAny>>);

/// The arrays of a Gaussian representation, held while the core reads them.
struct GaussianInput<'py> {
    means: Input<'py>,
    covariances: Vec<Input<'py>>,
}

impl<'py> GaussianInput<'py> {
    fn from_py(arg: &'py GaussianArg<'py>) -> PyResult<Self> {
        Ok(Self {
            means: Input::from_py(&arg.0)?,
            covariances: inputs(&arg.1)?,
        })
    }

    fn view(&self) -> stochastic::Gaussian<'_> {
        stochastic::Gaussian {
            means: self.means.view(),
            covariances: views(&self.covariances),
        }
    }
}

/// Fits the Gaussian metric's alignment: (T, loss per round).
#[pyfunction]
fn gaussian_fit<'py>(
    py: Python<'py>,
    x: GaussianArg<'py>,
    y: GaussianArg<'py>,
    alpha: f64,
    group: &str,
    niter: usize,
    tol: f64,
) -> PyResult<(Bound<'py, PyAny>, Vec<f64>)> {
    let group = Group::from_name(group).map_err(|e| core_error(py, e))?;
    let (x, y) = (GaussianInput::from_py(&x)?, GaussianInput::from_py(&y)?);
    let (gx, gy) = (x.view(), y.view());
    let spec = stochastic::GaussianSpec {
        alpha,
        group,
        niter,
        tol,
    };
    let f = enter_core(py, move || stochastic::gaussian_fit(&gx, &gy, &spec))?;
    Ok((matrix_to_numpy(py, f.transform.as_ref()).into_any(), f.loss))
}

/// The Gaussian distance with Y aligned by T.
#[pyfunction]
fn gaussian_score<'py>(
    py: Python<'py>,
    x: GaussianArg<'py>,
    y: GaussianArg<'py>,
    t: &Bound<'py, PyAny>,
    alpha: f64,
) -> PyResult<f64> {
    let (x, y) = (GaussianInput::from_py(&x)?, GaussianInput::from_py(&y)?);
    let t = Input::from_py(t)?;
    let (gx, gy, tv) = (x.view(), y.view(), t.view());
    enter_core(py, move || stochastic::gaussian_score(&gx, &gy, tv, alpha))
}

/// Fits the energy distance's alignment: (Q, loss per round).
#[pyfunction]
fn energy_fit<'py>(
    py: Python<'py>,
    x: Vec<Bound<'py, PyAny>>,
    y: Vec<Bound<'py, PyAny>>,
    group: &str,
    niter: usize,
    tol: f64,
) -> PyResult<(Bound<'py, PyAny>, Vec<f64>)> {
    let group = Group::from_name(group).map_err(|e| core_error(py, e))?;
    let (x, y) = (inputs(&x)?, inputs(&y)?);
    let (xv, yv) = (views(&x), views(&y));
    let f = enter_core(py, move || {
        stochastic::energy_fit(&xv, &yv, group, niter, tol)
    })?;
    Ok((matrix_to_numpy(py, f.transform.as_ref()).into_any(), f.loss))
}

/// The energy distance with Y aligned by Q.
#[pyfunction]
fn energy_score<'py>(
    py: Python<'py>,
    x: Vec<Bound<'py, PyAny>>,
    y: Vec<Bound<'py, PyAny>>,
    q: &Bound<'py, PyAny>,
) -> PyResult<f64> {
    let (x, y) = (inputs(&x)?, inputs(&y)?);
    let q = Input::from_py(q)?;
    let (xv, yv, qv) = (views(&x), views(&y), q.view());
    enter_core(py, move || stochastic::energy_score(&xv, &yv, qv))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(alignment_fit, m)?)?;
    m.add_function(wrap_pyfunction!(alignment_transform, m)?)?;
    m.add_function(wrap_pyfunction!(alignment_score, m)?)?;
    m.add_function(wrap_pyfunction!(alignment_cross_validated, m)?)?;
    m.add_function(wrap_pyfunction!(alignment_pairwise, m)?)?;
    m.add_function(wrap_pyfunction!(frechet_mean, m)?)?;
    m.add_function(wrap_pyfunction!(shape_kmeans, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_fit, m)?)?;
    m.add_function(wrap_pyfunction!(gaussian_score, m)?)?;
    m.add_function(wrap_pyfunction!(energy_fit, m)?)?;
    m.add_function(wrap_pyfunction!(energy_score, m)?)?;
    Ok(())
}
