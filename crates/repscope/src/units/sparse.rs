//! Sparse prediction of B's units from A's units (Li et al. 2016, §4):
//! every unit of B is regressed on all units of A with an L1 penalty, along
//! a path of penalties from "no A-unit" to "many A-units". The result says,
//! for each B-unit, how well A predicts it on held-out stimuli and how many
//! A-units that takes.
//!
//! Conventions (documented because references differ):
//! - Units are z-scored with the training stimuli's mean and standard
//!   deviation (population, 1/n), so one penalty grid serves every unit and
//!   α is on the scale of a correlation: α_max = max |corr(a_j, b_t)| on the
//!   training stimuli is the smallest penalty at which every coefficient is 0.
//!   The grid runs geometrically from α_max down to `eps · α_max`.
//! - The stimuli are split once, seeded: a `test_fraction` of them (at least
//!   2) is held out; with `test_fraction = 0` the scores are in-sample.
//! - A unit's score at a penalty is the Pearson correlation between its
//!   held-out responses and their prediction (0 when the prediction is
//!   constant). Its *best* penalty is the one with the highest score (ties
//!   to the larger penalty, i.e. the sparser model); `units_needed` is the
//!   number of non-zero coefficients there.

use faer::{Mat, MatRef};
use rayon::prelude::*;

use super::lasso::{GramProblem, LassoOptions};
use crate::error::{Error, Result};
use crate::linalg::{cross_product, gather_rows};
use crate::rng::checked_holdout;
use crate::stats::pearson;

/// Settings of [`sparse_prediction`].
#[derive(Clone, Debug)]
pub struct SparseOptions {
    /// Penalties on the path (geometric grid from α_max).
    pub n_alphas: usize,
    /// Smallest penalty as a fraction of α_max.
    pub eps: f64,
    /// Fraction of stimuli held out for scoring (0: score in-sample).
    pub test_fraction: f64,
    /// Seed of the split.
    pub seed: u64,
    pub lasso: LassoOptions,
}

impl Default for SparseOptions {
    fn default() -> Self {
        SparseOptions {
            n_alphas: 20,
            eps: 1e-2,
            test_fraction: 0.2,
            seed: 0,
            lasso: LassoOptions::default(),
        }
    }
}

/// The path of sparse predictions of B's units.
#[derive(Clone, Debug)]
pub struct SparsePrediction {
    /// Penalties, decreasing.
    pub alphas: Vec<f64>,
    /// `n_alphas × q`: held-out correlation of each B-unit at each penalty.
    pub correlation: Mat<f64>,
    /// `n_alphas × q`: non-zero coefficients of each B-unit at each penalty.
    pub nonzero: Mat<f64>,
    /// Per B-unit: index of its best penalty.
    pub best: Vec<usize>,
    /// Per B-unit: its held-out correlation at the best penalty.
    pub best_correlation: Vec<f64>,
    /// Per B-unit: A-units with non-zero weight at the best penalty.
    pub units_needed: Vec<usize>,
    /// Per B-unit: the A-unit with the largest |weight| at the best penalty.
    pub top_predictor: Vec<Option<usize>>,
    /// `p × q` coefficients (z-scored units) at each B-unit's best penalty.
    pub coef: Mat<f64>,
    /// The held-out stimuli (sorted); the rest trained the models.
    pub test_rows: Vec<usize>,
    /// False if some solve stopped at `max_iter` before the tolerance.
    pub converged: bool,
}

impl SparsePrediction {
    /// Per penalty: the mean held-out correlation over B's units.
    pub fn mean_correlation_per_alpha(&self) -> Vec<f64> {
        row_means(&self.correlation)
    }

    /// Per penalty: the mean number of A-units a B-unit uses.
    pub fn mean_nonzero_per_alpha(&self) -> Vec<f64> {
        row_means(&self.nonzero)
    }
}

fn row_means(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows())
        .map(|a| m.row(a).iter().sum::<f64>() / m.ncols() as f64)
        .collect()
}

/// Z-scoring statistics of the training rows.
struct Scaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaler {
    fn fit(x: MatRef<'_, f64>) -> Self {
        let n = x.nrows() as f64;
        let (mut mean, mut scale) = (Vec::new(), Vec::new());
        for col in x.col_iter() {
            let m = col.iter().sum::<f64>() / n;
            let sd = (col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
            mean.push(m);
            scale.push(if sd > 0.0 { 1.0 / sd } else { 0.0 });
        }
        Scaler { mean, scale }
    }

    fn apply(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
            (x[(i, j)] - self.mean[j]) * self.scale[j]
        })
    }
}

/// Predicts every unit of `y` (B) from all units of `x` (A).
pub fn sparse_prediction(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    options: &SparseOptions,
) -> Result<SparsePrediction> {
    super::check_pair(x, y)?;
    options.lasso.check()?;
    if options.n_alphas == 0 || !(options.eps > 0.0 && options.eps < 1.0) {
        return Err(Error::Invalid {
            what: "sparse prediction".into(),
            detail: format!(
                "the path needs n_alphas ≥ 1 and 0 < eps < 1, got {} and {}",
                options.n_alphas, options.eps
            ),
        });
    }
    let (train, test) = checked_holdout(
        "sparse prediction",
        x.nrows(),
        options.test_fraction,
        3,
        true,
        options.seed,
    )?;
    let (x_train, y_train) = (gather_rows(x, &train), gather_rows(y, &train));
    let (sx, sy) = (Scaler::fit(x_train.as_ref()), Scaler::fit(y_train.as_ref()));
    let (zx, zy) = (sx.apply(x_train.as_ref()), sy.apply(y_train.as_ref()));
    let zx_test = sx.apply(gather_rows(x, &test).as_ref());
    // Held-out A-units one contiguous column each (test.len() ≥ 2).
    let test_columns: Vec<f64> = zx_test
        .col_iter()
        .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
        .collect();
    let zy_test = sy.apply(gather_rows(y, &test).as_ref());

    let par = crate::parallel::current();
    let problem = GramProblem::new(zx.as_ref(), par);
    let xty = cross_product(zx.as_ref(), zy.as_ref(), par);
    let n_train = train.len() as f64;
    let alpha_max = xty
        .col_iter()
        .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        / n_train;
    let steps = options.n_alphas;
    let alphas: Vec<f64> = (0..steps)
        .map(|i| {
            let t = if steps > 1 {
                i as f64 / (steps - 1) as f64
            } else {
                0.0
            };
            alpha_max * options.eps.powf(t)
        })
        .collect();

    let (p, q) = (x.ncols(), y.ncols());
    struct UnitPath {
        correlation: Vec<f64>,
        nonzero: Vec<usize>,
        best: usize,
        best_w: Vec<f64>,
        converged: bool,
    }
    let paths: Vec<UnitPath> = (0..q)
        .into_par_iter()
        .map(|t| {
            let target: Vec<f64> = xty.col(t).iter().copied().collect();
            let yty: f64 = zy.col(t).iter().map(|v| v * v).sum();
            let truth: Vec<f64> = zy_test.col(t).iter().copied().collect();
            let mut w = vec![0.0; p];
            let mut path = UnitPath {
                correlation: Vec::with_capacity(steps),
                nonzero: Vec::with_capacity(steps),
                best: 0,
                best_w: vec![0.0; p],
                converged: true,
            };
            for (a, &alpha) in alphas.iter().enumerate() {
                let solve = problem.solve(&target, yty, alpha, &mut w, &options.lasso);
                path.converged &= solve.converged;
                // Column by column over the non-zero weights only: the same
                // sums in the same order as row by row, without striding
                // through every A-unit for every held-out stimulus.
                let mut prediction = vec![0.0; test.len()];
                for (column, &v) in test_columns.chunks_exact(test.len()).zip(&w) {
                    if v != 0.0 {
                        prediction
                            .iter_mut()
                            .zip(column)
                            .for_each(|(p, x)| *p += x * v);
                    }
                }
                let r = pearson(&prediction, &truth);
                if a == 0 || r > path.correlation[path.best] {
                    path.best = a;
                    path.best_w.copy_from_slice(&w);
                }
                path.correlation.push(r);
                path.nonzero.push(w.iter().filter(|v| **v != 0.0).count());
            }
            path
        })
        .collect();

    let top_predictor = paths
        .iter()
        .map(|u| {
            u.best_w
                .iter()
                .enumerate()
                .filter(|(_, v)| **v != 0.0)
                .fold(None, |best: Option<(usize, f64)>, (j, v)| match best {
                    Some((_, b)) if b >= v.abs() => best,
                    _ => Some((j, v.abs())),
                })
                .map(|(j, _)| j)
        })
        .collect();
    Ok(SparsePrediction {
        correlation: Mat::from_fn(steps, q, |a, t| paths[t].correlation[a]),
        nonzero: Mat::from_fn(steps, q, |a, t| paths[t].nonzero[a] as f64),
        best: paths.iter().map(|u| u.best).collect(),
        best_correlation: paths.iter().map(|u| u.correlation[u.best]).collect(),
        units_needed: paths.iter().map(|u| u.nonzero[u.best]).collect(),
        top_predictor,
        coef: Mat::from_fn(p, q, |j, t| paths[t].best_w[j]),
        converged: paths.iter().all(|u| u.converged),
        alphas,
        test_rows: test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn a_unit_copied_from_one_a_unit_needs_one() {
        let x = gaussian_matrix(200, 8, 11);
        let noise = gaussian_matrix(200, 2, 12);
        // B0 copies A5; B1 mixes A1 and A2.
        let y = Mat::from_fn(200, 2, |i, t| match t {
            0 => 3.0 * x[(i, 5)] + 0.01 * noise[(i, 0)],
            _ => x[(i, 1)] - x[(i, 2)] + 0.1 * noise[(i, 1)],
        });
        let s = sparse_prediction(x.as_ref(), y.as_ref(), &SparseOptions::default()).unwrap();
        assert!(s.converged);
        assert_eq!(s.top_predictor[0], Some(5));
        assert_eq!(s.units_needed[0], 1);
        assert!(s.best_correlation[0] > 0.999);
        assert!(s.best_correlation[1] > 0.95);
        assert!(s.units_needed[1] >= 2);
        assert!(s.alphas.windows(2).all(|w| w[0] > w[1]));
        assert_eq!(s.nonzero[(0, 0)], 0.0, "alpha_max zeroes everything");
        assert_eq!(s.test_rows.len(), 40);
    }

    #[test]
    fn too_few_stimuli_to_hold_out_is_an_error() {
        let x = gaussian_matrix(4, 2, 1);
        let e = sparse_prediction(x.as_ref(), x.as_ref(), &SparseOptions::default()).unwrap_err();
        assert!(e.to_string().contains("test_fraction=0"), "{e}");
        let options = SparseOptions {
            test_fraction: 0.0,
            ..SparseOptions::default()
        };
        assert!(sparse_prediction(x.as_ref(), x.as_ref(), &options).is_ok());
    }
}
