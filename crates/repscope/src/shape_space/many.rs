//! Many networks in one shape space: their distance matrices (fitted on
//! training stimuli, scored on training and held-out stimuli), their
//! Fréchet (Procrustes) mean, and k-means among them.

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::fit::{AlignmentSpec, Group, PreparedSide, align, fit_prepared, prepare_side};
use crate::error::{Error, Result};

/// The K × K distances of `train` (and of `test`, the same networks on
/// held-out stimuli, under the alignments fitted on `train`), every pair
/// in parallel; the diagonal is 0. Each network is prepared once when all
/// have the same width (netrep's caching), else per pair.
pub fn pairwise_distances(
    train: &[MatRef<'_, f64>],
    test: Option<&[MatRef<'_, f64>]>,
    spec: &AlignmentSpec,
    step: &(dyn Fn() + Sync),
) -> Result<(Mat<f64>, Option<Mat<f64>>)> {
    spec.check()?;
    let k = train.len();
    if let Some(test) = test {
        if test.len() != k {
            return Err(Error::Invalid {
                what: "pairwise distances".into(),
                detail: format!("{} test networks for {k} training networks", test.len()),
            });
        }
    }
    let width = train.iter().map(|x| x.ncols()).max().unwrap_or(0);
    let same_width = train.iter().all(|x| x.ncols() == width);
    let cached: Option<Vec<PreparedSide>> = if same_width {
        Some(
            train
                .par_iter()
                .map(|x| prepare_side(*x, width, spec))
                .collect::<Result<_>>()?,
        )
    } else {
        None
    };
    let pairs: Vec<(usize, usize)> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .collect();
    let scores: Vec<(f64, f64)> = pairs
        .par_iter()
        .map(|&(i, j)| {
            crate::interrupt::check()?;
            let fitted = match &cached {
                Some(sides) => fit_prepared(&sides[i], &sides[j], spec)?,
                None => super::fit::fit(train[i], train[j], spec)?,
            };
            let on_train = fitted.score(train[i], train[j])?;
            let on_test = match test {
                Some(t) => fitted.score(t[i], t[j])?,
                None => f64::NAN,
            };
            step();
            Ok((on_train, on_test))
        })
        .collect::<Result<_>>()?;
    let matrix = |pick: fn(&(f64, f64)) -> f64| {
        let mut m = Mat::zeros(k, k);
        for (&(i, j), s) in pairs.iter().zip(&scores) {
            m[(i, j)] = pick(s);
            m[(j, i)] = pick(s);
        }
        m
    };
    Ok((matrix(|s| s.0), test.map(|_| matrix(|s| s.1))))
}

/// `x` transformed in `group` to lie closest to `target`.
fn align_to(x: MatRef<'_, f64>, target: MatRef<'_, f64>, group: Group) -> Result<Mat<f64>> {
    Ok(x * align(x, target, group)?)
}

/// A Fréchet mean and how it was reached.
#[derive(Clone, Debug)]
pub struct FrechetMean {
    pub mean: Mat<f64>,
    /// Each network aligned to the mean.
    pub aligned: Vec<Mat<f64>>,
    pub iterations: usize,
    pub converged: bool,
}

/// The Fréchet mean of networks of one shape under `group`, by
/// generalised Procrustes (netrep's full-batch `frechet_mean`): from
/// `start` (one of the networks, or a warm start), repeatedly align every network to the current mean
/// and average, until the mean moves by less than `tol` (root mean square
/// per entry) or after `max_iter` rounds. No centring or scaling: centre
/// (and scale) the networks first for shape rather than position.
pub fn frechet_mean(
    xs: &[MatRef<'_, f64>],
    group: Group,
    start: MatRef<'_, f64>,
    tol: f64,
    max_iter: usize,
) -> Result<FrechetMean> {
    let Some(first) = xs.first() else {
        return Err(Error::NoRepresentations {
            what: "the Fréchet mean".into(),
        });
    };
    let (m, n) = (first.nrows(), first.ncols());
    if let Some(bad) = xs.iter().position(|x| (x.nrows(), x.ncols()) != (m, n)) {
        return Err(Error::Invalid {
            what: "the Fréchet mean".into(),
            detail: format!(
                "network {bad} is {} × {}, network 0 is {m} × {n}; every network needs the same \
                 stimuli and units (pad narrower ones with zero columns)",
                xs[bad].nrows(),
                xs[bad].ncols()
            ),
        });
    }
    if (start.nrows(), start.ncols()) != (m, n) {
        return Err(Error::Invalid {
            what: "the Fréchet mean".into(),
            detail: format!(
                "the start is {} × {}, the networks {m} × {n}",
                start.nrows(),
                start.ncols()
            ),
        });
    }
    procrustes_rounds(xs, start.to_owned(), group, tol, max_iter)
}

/// Every network aligned to `target`, in parallel.
fn align_all(
    xs: &[MatRef<'_, f64>],
    target: MatRef<'_, f64>,
    group: Group,
) -> Result<Vec<Mat<f64>>> {
    xs.par_iter().map(|x| align_to(*x, target, group)).collect()
}

/// The entrywise mean of equally shaped matrices, summed in order.
fn average(ms: &[Mat<f64>]) -> Mat<f64> {
    let (m, n) = (ms[0].nrows(), ms[0].ncols());
    Mat::from_fn(m, n, |i, j| {
        ms.iter().map(|a| a[(i, j)]).sum::<f64>() / ms.len() as f64
    })
}

/// Generalised Procrustes rounds from `mean`: align all, average, until the
/// mean moves by less than `tol` (RMS per entry) or `max_iter` rounds.
fn procrustes_rounds(
    xs: &[MatRef<'_, f64>],
    mut mean: Mat<f64>,
    group: Group,
    tol: f64,
    max_iter: usize,
) -> Result<FrechetMean> {
    let entries = (mean.nrows() * mean.ncols()) as f64;
    let mut round = 0;
    loop {
        round += 1;
        crate::interrupt::check()?;
        let next = average(&align_all(xs, mean.as_ref(), group)?);
        let moved = (crate::linalg::sum_of_squares((&next - &mean).as_ref()) / entries).sqrt();
        mean = next;
        if moved < tol || round >= max_iter {
            return Ok(FrechetMean {
                aligned: align_all(xs, mean.as_ref(), group)?,
                mean,
                iterations: round,
                converged: moved < tol,
            });
        }
    }
}

/// k-means among networks in shape space.
#[derive(Clone, Debug)]
pub struct ShapeKMeans {
    pub labels: Vec<usize>,
    pub centroids: Vec<Mat<f64>>,
    /// Each network's distance to each centroid (networks × clusters).
    pub distances: Mat<f64>,
    pub iterations: usize,
}

/// Lloyd's k-means among networks of one shape: each network goes to the
/// centroid at the smallest shape distance (`spec`, fitted on the pair),
/// each centroid is its members' Fréchet mean (warm-started from the last
/// centroid, `mean_iter` rounds). `init` names the networks that start as
/// centroids (k-means++ seeding is the front end's, from the distance
/// matrix). Stops when no label changes, or after `max_iter` rounds.
pub fn shape_kmeans(
    xs: &[MatRef<'_, f64>],
    init: &[usize],
    spec: &AlignmentSpec,
    max_iter: usize,
    mean_iter: usize,
) -> Result<ShapeKMeans> {
    let k = init.len();
    if k == 0 || k > xs.len() || init.iter().any(|&i| i >= xs.len()) {
        return Err(Error::OutOfRange {
            what: "the initial centroids".into(),
            value: format!("{init:?}"),
            expected: format!("1 to {} distinct network indices", xs.len()),
        });
    }
    let mut centroids: Vec<Mat<f64>> = init.iter().map(|&i| xs[i].to_owned()).collect();
    let mut labels = vec![usize::MAX; xs.len()];
    let mut distances = Mat::zeros(xs.len(), k);
    let mut iterations = 0;
    for round in 1..=max_iter.max(1) {
        iterations = round;
        let rows: Vec<Vec<f64>> = xs
            .par_iter()
            .map(|x| {
                centroids
                    .iter()
                    .map(|c| super::fit::fit(*x, c.as_ref(), spec)?.score(*x, c.as_ref()))
                    .collect::<Result<Vec<f64>>>()
            })
            .collect::<Result<_>>()?;
        let next: Vec<usize> = rows
            .iter()
            .map(|r| {
                (0..k)
                    .min_by(|&a, &b| r[a].total_cmp(&r[b]).then(a.cmp(&b)))
                    .unwrap_or(0)
            })
            .collect();
        for (i, r) in rows.iter().enumerate() {
            for (c, v) in r.iter().enumerate() {
                distances[(i, c)] = *v;
            }
        }
        if next == labels {
            break;
        }
        labels = next;
        for (c, centroid) in centroids.iter_mut().enumerate() {
            let members: Vec<MatRef<'_, f64>> = (0..xs.len())
                .filter(|&i| labels[i] == c)
                .map(|i| xs[i])
                .collect();
            if members.is_empty() {
                continue; // an empty cluster keeps its centroid
            }
            // Warm-started from the old centroid, which is not averaged in.
            *centroid =
                procrustes_rounds(&members, centroid.clone(), spec.group, 0.0, mean_iter)?.mean;
        }
    }
    Ok(ShapeKMeans {
        labels,
        centroids,
        distances,
        iterations,
    })
}
