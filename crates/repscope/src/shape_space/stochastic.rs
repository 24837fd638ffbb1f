//! Shape metrics between stochastic (noisy) representations, with netrep's
//! conventions (Duong, Zhou, Nassar, Berman, Olieslagers & Williams 2023,
//! "Representational dissimilarity metric spaces for stochastic neural
//! networks", ICLR).
//!
//! **Gaussian**: each network gives, per stimulus i, a mean mᵢ and a
//! covariance Σᵢ. With T aligning Y (means mY T, covariances TᵀΣY T),
//!
//! ```text
//!   D² = meanᵢ [ α‖mXᵢ − mYᵢT‖² + (2 − α) B²(ΣXᵢ, TᵀΣYᵢT) ],
//!   B²(A, C) = tr A + tr C − 2‖A^½ C^½‖_*      (squared Bures distance)
//! ```
//!
//! α ∈ [0, 2]: 0 covariances only, 1 the 2-Wasserstein distance, 2 means
//! only. The score is sign(D²)·√|D²|. T is fitted by alternating
//! minimisation from the means' alignment: per stimulus the rotation Qᵢ
//! best mapping TᵀΣYᵢ^½ onto ΣXᵢ^½, then T aligning the stacked
//! [α·mY; (2 − α)·QᵢᵀΣYᵢ^½ …] onto [α·mX; (2 − α)·ΣXᵢ^½ …], until the
//! loss ‖A − BT‖ falls by less than `tol` (checked from the third round).
//! As in netrep, the fit weighs the blocks by α and 2 − α before squaring
//! while the score weighs the squares by them; negative eigenvalues of a
//! covariance count as 0 in its square root.
//!
//! **Energy**: each network gives r repeated responses per stimulus. With
//! Q aligning Y, the distance is √max(0, E‖x − yQ‖ − ½(E‖x − x′‖ +
//! E‖y − y′‖)), expectations over all r² pairs of a stimulus's repeats
//! across networks and the r(r − 1)/2 pairs within each, averaged over
//! stimuli. Q minimises the mean distance over all r² cross pairs, by
//! iteratively reweighted least squares (weights 1/max(√residual, 1e−6)),
//! until the mean falls by less than `tol`.

use faer::{Mat, MatRef, Side};

use super::fit::{Group, align};
use crate::error::{Error, Result};
use crate::linalg::singular_values;

/// A Gaussian representation: per-stimulus means (stimuli × units) and
/// covariances (one units × units matrix per stimulus).
pub struct Gaussian<'a> {
    pub means: MatRef<'a, f64>,
    pub covariances: Vec<MatRef<'a, f64>>,
}

impl Gaussian<'_> {
    fn check(&self, name: &str) -> Result<()> {
        let rep = |x| crate::data::RepRef { name, x };
        crate::measures::check_input(rep(self.means))?;
        for c in &self.covariances {
            crate::data::check_finite(name, *c)?;
        }
        let (m, n) = (self.means.nrows(), self.means.ncols());
        if self.covariances.len() != m {
            return Err(Error::Invalid {
                what: "a Gaussian representation".into(),
                detail: format!(
                    "{name}: {m} means but {} covariances",
                    self.covariances.len()
                ),
            });
        }
        if let Some(i) = self
            .covariances
            .iter()
            .position(|c| (c.nrows(), c.ncols()) != (n, n))
        {
            return Err(Error::Invalid {
                what: "a Gaussian representation".into(),
                detail: format!(
                    "{name}: covariance {i} is {} × {}, not {n} × {n} (units × units)",
                    self.covariances[i].nrows(),
                    self.covariances[i].ncols()
                ),
            });
        }
        Ok(())
    }
}

fn check_pair(x: &Gaussian<'_>, y: &Gaussian<'_>) -> Result<()> {
    x.check("X")?;
    y.check("Y")?;
    if (x.means.nrows(), x.means.ncols()) != (y.means.nrows(), y.means.ncols()) {
        return Err(Error::Invalid {
            what: "a Gaussian shape metric".into(),
            detail: format!(
                "X is {} stimuli × {} units, Y {} × {}; they need the same",
                x.means.nrows(),
                x.means.ncols(),
                y.means.nrows(),
                y.means.ncols()
            ),
        });
    }
    Ok(())
}

/// How the Gaussian metric is fitted.
#[derive(Clone, Copy, Debug)]
pub struct GaussianSpec {
    pub alpha: f64,
    pub group: Group,
    pub niter: usize,
    pub tol: f64,
}

/// A fitted alignment T (Y's units onto X's) and the loss of each round.
#[derive(Clone, Debug)]
pub struct StochasticFit {
    pub transform: Mat<f64>,
    pub loss: Vec<f64>,
}

/// The symmetric square root of a covariance (negative eigenvalues as 0)
/// and its eigenvalues.
fn sqrt_psd(c: MatRef<'_, f64>) -> Result<(Mat<f64>, Vec<f64>)> {
    let eig = c
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::internal(format!("eigendecomposition failed: {e:?}")))?;
    let values: Vec<f64> = eig.S().column_vector().iter().copied().collect();
    let u = eig.U();
    let n = c.nrows();
    let root = Mat::from_fn(n, n, |i, j| {
        (0..n)
            .map(|k| u[(i, k)] * values[k].max(0.0).sqrt() * u[(j, k)])
            .sum()
    });
    Ok((root, values))
}

/// B²(A, C): tr A + tr C − 2‖A^½C^½‖_*.
fn squared_bures(a: MatRef<'_, f64>, c: MatRef<'_, f64>) -> Result<f64> {
    let (ra, va) = sqrt_psd(a)?;
    let (rc, vc) = sqrt_psd(c)?;
    let nuclear: f64 = singular_values((&ra * &rc).as_ref())?.iter().sum();
    Ok(va.iter().sum::<f64>() + vc.iter().sum::<f64>() - 2.0 * nuclear)
}

fn stack(top: MatRef<'_, f64>, blocks: &[Mat<f64>], wa: f64, wb: f64) -> Mat<f64> {
    let n = top.ncols();
    let m = top.nrows();
    let rows = m + blocks.iter().map(|b| b.nrows()).sum::<usize>();
    let mut out = Mat::zeros(rows, n);
    for i in 0..m {
        for j in 0..n {
            out[(i, j)] = wa * top[(i, j)];
        }
    }
    let mut at = m;
    for b in blocks {
        for i in 0..b.nrows() {
            for j in 0..n {
                out[(at + i, j)] = wb * b[(i, j)];
            }
        }
        at += b.nrows();
    }
    out
}

/// Fits T for the Gaussian metric (netrep's `GaussianStochasticMetric.fit`
/// with `init="means"`).
pub fn gaussian_fit(
    x: &Gaussian<'_>,
    y: &Gaussian<'_>,
    spec: &GaussianSpec,
) -> Result<StochasticFit> {
    check_pair(x, y)?;
    if !(0.0..=2.0).contains(&spec.alpha) {
        return Err(Error::OutOfRange {
            what: "alpha".into(),
            value: spec.alpha.to_string(),
            expected: "in [0, 2] (0 covariances only, 1 2-Wasserstein, 2 means only)".into(),
        });
    }
    let roots = |g: &Gaussian<'_>| -> Result<Vec<Mat<f64>>> {
        g.covariances.iter().map(|c| Ok(sqrt_psd(*c)?.0)).collect()
    };
    let (sx, sy) = (roots(x)?, roots(y)?);
    let (wa, wb) = (spec.alpha, 2.0 - spec.alpha);
    let target = stack(x.means, &sx, wa, wb);
    let mut t = align(y.means, x.means, spec.group)?;
    let mut loss = Vec::new();
    for round in 0..spec.niter.max(1) {
        crate::interrupt::check()?;
        let rotated: Vec<Mat<f64>> = sx
            .iter()
            .zip(&sy)
            .map(|(a, b)| {
                let q = align((t.transpose() * b).as_ref(), a.as_ref(), Group::Orthogonal)?;
                Ok(q.transpose() * b)
            })
            .collect::<Result<_>>()?;
        let source = stack(y.means, &rotated, wa, wb);
        t = align(source.as_ref(), target.as_ref(), spec.group)?;
        let residual = &target - &source * &t;
        loss.push(crate::linalg::sum_of_squares(residual.as_ref()).sqrt());
        if round >= 2 && loss[round - 1] - loss[round] < spec.tol {
            break;
        }
    }
    Ok(StochasticFit { transform: t, loss })
}

/// The Gaussian distance of X and Y with Y aligned by `t`.
pub fn gaussian_score(
    x: &Gaussian<'_>,
    y: &Gaussian<'_>,
    t: MatRef<'_, f64>,
    alpha: f64,
) -> Result<f64> {
    check_pair(x, y)?;
    let my = y.means * t;
    let m = x.means.nrows();
    let mut total = 0.0;
    for i in 0..m {
        let mean_sq: f64 = (0..my.ncols())
            .map(|j| (x.means[(i, j)] - my[(i, j)]).powi(2))
            .sum();
        let cy = t.transpose() * y.covariances[i] * t;
        let bures = squared_bures(x.covariances[i], cy.as_ref())?;
        total += alpha * mean_sq + (2.0 - alpha) * bures;
    }
    let mean = total / m as f64;
    Ok(mean.signum() * mean.abs().sqrt())
}

/// A stochastic representation as repeats: one (repeats × units) matrix
/// per stimulus.
fn check_repeats(x: &[MatRef<'_, f64>], y: &[MatRef<'_, f64>]) -> Result<(usize, usize)> {
    let shape = |s: &[MatRef<'_, f64>]| s.first().map(|m| (m.nrows(), m.ncols()));
    let Some((r, n)) = shape(x) else {
        return Err(Error::NoRepresentations {
            what: "the energy distance (stimuli)".into(),
        });
    };
    let same = |s: &[MatRef<'_, f64>]| s.iter().all(|m| (m.nrows(), m.ncols()) == (r, n));
    if x.len() != y.len() || !same(x) || !same(y) {
        return Err(Error::Invalid {
            what: "the energy distance".into(),
            detail: format!(
                "X and Y need the same stimuli, each with the same repeats × units ({r} × {n} for X's first)"
            ),
        });
    }
    for (name, side) in [("X", x), ("Y", y)] {
        for m in side {
            crate::measures::check_input(crate::data::RepRef { name, x: *m })?;
        }
    }
    if r < 2 {
        return Err(Error::TooFew {
            what: "the energy distance (repeats per stimulus)".into(),
            needed: 2,
            found: r,
        });
    }
    Ok((r, n))
}

fn distance(a: faer::RowRef<'_, f64>, b: faer::RowRef<'_, f64>) -> f64 {
    a.iter()
        .zip(b.iter())
        .map(|(u, v)| (u - v).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Fits Q for the energy distance (netrep's `EnergyStochasticMetric.fit`).
pub fn energy_fit(
    x: &[MatRef<'_, f64>],
    y: &[MatRef<'_, f64>],
    group: Group,
    niter: usize,
    tol: f64,
) -> Result<StochasticFit> {
    let (r, n) = check_repeats(x, y)?;
    // Every ordered pair (a, b) of repeats of each stimulus, stacked.
    let pairs = x.len() * r * r;
    let (mut xs, mut ys) = (Mat::zeros(pairs, n), Mat::zeros(pairs, n));
    let mut row = 0;
    for (xi, yi) in x.iter().zip(y) {
        for a in 0..r {
            for b in 0..r {
                for j in 0..n {
                    xs[(row, j)] = xi[(a, j)];
                    ys[(row, j)] = yi[(b, j)];
                }
                row += 1;
            }
        }
    }
    let residuals = |q: &Mat<f64>| -> Vec<f64> {
        let yq = &ys * q;
        (0..pairs).map(|i| distance(xs.row(i), yq.row(i))).collect()
    };
    let mut loss = vec![crate::stats::mean(&residuals(&Mat::identity(n, n)))];
    let mut w = vec![1.0; pairs];
    let mut q = Mat::identity(n, n);
    for _ in 0..niter.max(1) {
        crate::interrupt::check()?;
        let weighted = |m: &Mat<f64>| Mat::from_fn(pairs, n, |i, j| w[i] * m[(i, j)]);
        q = align(weighted(&ys).as_ref(), weighted(&xs).as_ref(), group)?;
        let resid = residuals(&q);
        loss.push(crate::stats::mean(&resid));
        w = resid.iter().map(|e| 1.0 / e.sqrt().max(1e-6)).collect();
        let k = loss.len();
        if loss[k - 2] - loss[k - 1] < tol {
            break;
        }
    }
    Ok(StochasticFit { transform: q, loss })
}

/// The energy distance of X and Y with Y aligned by `q`.
pub fn energy_score(
    x: &[MatRef<'_, f64>],
    y: &[MatRef<'_, f64>],
    q: MatRef<'_, f64>,
) -> Result<f64> {
    let (r, _) = check_repeats(x, y)?;
    let (mut cross, mut within_x, mut within_y) = (0.0, 0.0, 0.0);
    let within_pairs = (r * (r - 1) / 2) as f64;
    for (xi, yi) in x.iter().zip(y) {
        let yq = *yi * q;
        let mut c = 0.0;
        for a in 0..r {
            for b in 0..r {
                c += distance(xi.row(a), yq.row(b));
            }
        }
        cross += c / (r * r) as f64;
        let (mut wx, mut wy) = (0.0, 0.0);
        for a in 0..r {
            for b in a + 1..r {
                wx += distance(xi.row(a), xi.row(b));
                wy += distance(yq.row(a), yq.row(b));
            }
        }
        within_x += wx / within_pairs;
        within_y += wy / within_pairs;
    }
    let m = x.len() as f64;
    Ok((cross / m - 0.5 * (within_x / m + within_y / m))
        .max(0.0)
        .sqrt())
}
