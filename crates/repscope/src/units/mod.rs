//! Units across networks: which unit of network B does what a unit of
//! network A does? (Li, Yosinski, Clune, Lipson & Hopcroft 2016,
//! "Convergent Learning: Do different neural networks learn the same
//! representations?", ICLR.)
//!
//! Both representations are stimuli × units over the same stimuli; units
//! are compared by the Pearson correlation of their responses (a constant
//! unit correlates 0 with everything).
//!
//! - [`hungarian`]: one-to-one matching maximising the summed correlation.
//! - [`semi`]: every unit of A with its best-correlated unit of B (B's
//!   units may be chosen several times).
//! - [`sparse`]: every unit of B predicted from all of A's units by
//!   L1-regularised regression along a λ path ([`lasso`]): how many A-units
//!   each B-unit needs.
//! - [`spectral`]: many-to-many groups of units of both networks by
//!   spectral clustering of the joint correlation graph.
//!
//! [`match_units`] runs any of the four, chosen by [`Method`], with its
//! settings in [`MatchOptions`] (the one dispatch the CLI and Python share).

pub mod lasso;
pub mod sparse;
pub mod spectral;

use faer::{Mat, MatRef, Par};

use crate::error::{Error, Result};
use crate::linalg::assignment::linear_sum_assignment;
use crate::measures::params::{Params, check_known, count_param, number_param};
use crate::stats::quantile::median;
use lasso::LassoOptions;
use sparse::{SparseOptions, SparsePrediction, sparse_prediction};
use spectral::{SpectralGroups, SpectralOptions, spectral_groups};

crate::choice! {
    /// How units of A are matched to units of B.
    pub enum Method: "unit-matching method" {
        /// One-to-one, maximising the summed correlation (min(p, q) pairs).
        Hungarian = "hungarian",
        /// Each unit of A with its best-correlated unit of B.
        Semi = "semi",
        /// Each unit of B predicted from all of A's units by the lasso.
        Sparse = "sparse",
        /// Many-to-many groups of units of both networks.
        Spectral = "spectral",
    }
}

/// Settings of [`match_units`]: the method and the settings of the
/// methods that take any.
#[derive(Clone, Debug)]
pub struct MatchOptions {
    pub method: Method,
    pub sparse: SparseOptions,
    pub spectral: SpectralOptions,
    /// Parallelism of the correlation products.
    pub par: Par,
}

impl MatchOptions {
    /// `method` with the default settings.
    pub fn new(method: Method) -> Self {
        MatchOptions {
            method,
            sparse: SparseOptions::default(),
            spectral: SpectralOptions::default(),
            par: crate::parallel::current(),
        }
    }

    /// `method` with named settings (Python's `**params`): `sparse` takes
    /// `n_alphas, eps, test_fraction, seed, tol, max_iter`; `spectral`
    /// takes `groups, seed, n_init`; the one-to-one methods take none.
    pub fn from_params(method: Method, params: &Params) -> Result<Self> {
        let what = format!("match_units (method '{}')", method.name());
        let mut options = MatchOptions::new(method);
        match method {
            Method::Hungarian | Method::Semi => check_known(params, &what, &[])?,
            Method::Sparse => {
                check_known(
                    params,
                    &what,
                    &[
                        "n_alphas",
                        "eps",
                        "test_fraction",
                        "seed",
                        "tol",
                        "max_iter",
                    ],
                )?;
                let d = SparseOptions::default();
                let any = |_: f64| true;
                options.sparse = SparseOptions {
                    n_alphas: count_param(params, &what, "n_alphas", d.n_alphas, 1)?,
                    eps: number_param(params, &what, "eps", d.eps, any, "a number")?,
                    test_fraction: number_param(
                        params,
                        &what,
                        "test_fraction",
                        d.test_fraction,
                        any,
                        "a number",
                    )?,
                    seed: count_param(params, &what, "seed", d.seed as usize, 0)? as u64,
                    lasso: LassoOptions {
                        tol: number_param(params, &what, "tol", d.lasso.tol, any, "a number")?,
                        max_iter: count_param(params, &what, "max_iter", d.lasso.max_iter, 1)?,
                    },
                };
            }
            Method::Spectral => {
                check_known(params, &what, &["groups", "seed", "n_init"])?;
                let d = SpectralOptions::default();
                options.spectral = SpectralOptions {
                    groups: count_param(params, &what, "groups", d.groups, 1)?,
                    n_init: count_param(params, &what, "n_init", d.n_init, 1)?,
                    seed: count_param(params, &what, "seed", d.seed as usize, 0)? as u64,
                };
            }
        }
        Ok(options)
    }
}

/// What [`match_units`] finds, by method.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum UnitMatch {
    /// `hungarian` or `semi`.
    Pairs(Matching),
    /// `sparse` (boxed: it is by far the largest result).
    Sparse(Box<SparsePrediction>),
    /// `spectral`.
    Spectral(SpectralGroups),
}

/// Matches the units of `x` (network A) to those of `y` (network B), the
/// same stimuli in the same rows, with `options.method`.
pub fn match_units(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    options: &MatchOptions,
) -> Result<UnitMatch> {
    Ok(match options.method {
        Method::Hungarian => {
            UnitMatch::Pairs(hungarian(unit_correlations(x, y, options.par)?.as_ref())?)
        }
        Method::Semi => UnitMatch::Pairs(semi(unit_correlations(x, y, options.par)?.as_ref())),
        Method::Sparse => UnitMatch::Sparse(Box::new(sparse_prediction(x, y, &options.sparse)?)),
        Method::Spectral => UnitMatch::Spectral(spectral_groups(x, y, &options.spectral)?),
    })
}

/// Summary of a matching's pair correlations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchSummary {
    pub pairs: usize,
    pub mean: f64,
    pub median: f64,
    /// Pairs with r > 0.9 and with r > 0.5.
    pub above_0_9: usize,
    pub above_0_5: usize,
}
use crate::linalg::column_correlations;

/// A matching of A's units to B's.
#[derive(Clone, Debug, PartialEq)]
pub struct Matching {
    /// `hungarian` or `semi`.
    pub method: Method,
    /// `(unit of A, unit of B)`, ordered by A's unit.
    pub pairs: Vec<(usize, usize)>,
    /// The correlation of each pair.
    pub correlations: Vec<f64>,
}

impl Matching {
    /// The pair correlations from highest to lowest (Li et al.'s curves).
    pub fn sorted_correlations(&self) -> Vec<f64> {
        let mut c = self.correlations.clone();
        c.sort_by(|a, b| b.total_cmp(a));
        c
    }

    /// Mean correlation over the pairs (NaN for no pairs).
    pub fn mean_correlation(&self) -> f64 {
        crate::stats::mean(&self.correlations)
    }

    /// Count, mean, median and how many pairs pass 0.9 and 0.5.
    pub fn summary(&self) -> MatchSummary {
        let above = |t: f64| self.correlations.iter().filter(|&&r| r > t).count();
        MatchSummary {
            pairs: self.pairs.len(),
            mean: self.mean_correlation(),
            median: median(&self.correlations),
            above_0_9: above(0.9),
            above_0_5: above(0.5),
        }
    }
}

/// Checks that two representations can be matched (same stimuli, at least
/// two of them, finite values).
pub fn check_pair(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() != y.nrows() {
        return Err(Error::StimulusMismatch {
            a: "A".into(),
            a_rows: x.nrows(),
            b: "B".into(),
            b_rows: y.nrows(),
        });
    }
    if x.nrows() < 2 {
        return Err(Error::Invalid {
            what: "unit matching".into(),
            detail: format!("correlations need at least 2 stimuli, got {}", x.nrows()),
        });
    }
    for (name, m) in [("A", x), ("B", y)] {
        crate::data::repset::check_not_empty(name, m)?;
        crate::data::repset::check_finite(name, m)?;
    }
    Ok(())
}

/// The `p × q` correlations between A's units (columns of `x`) and B's
/// (columns of `y`).
pub fn unit_correlations(x: MatRef<'_, f64>, y: MatRef<'_, f64>, par: Par) -> Result<Mat<f64>> {
    check_pair(x, y)?;
    Ok(column_correlations(x, y, par))
}

/// One-to-one matching maximising the summed correlation (linear sum
/// assignment): min(p, q) pairs.
pub fn hungarian(correlations: MatRef<'_, f64>) -> Result<Matching> {
    let (p, q) = (correlations.nrows(), correlations.ncols());
    let mut pairs: Vec<(usize, usize)> = if p <= q {
        let cols = linear_sum_assignment(correlations, true)?;
        cols.into_iter().enumerate().collect()
    } else {
        let rows = linear_sum_assignment(correlations.transpose(), true)?;
        rows.into_iter().enumerate().map(|(j, i)| (i, j)).collect()
    };
    pairs.sort_unstable();
    Ok(with_correlations(Method::Hungarian, pairs, correlations))
}

/// Every unit of A with its best-correlated unit of B (ties to the lower
/// index of B).
pub fn semi(correlations: MatRef<'_, f64>) -> Matching {
    let pairs = (0..correlations.nrows())
        .map(|i| {
            let row = correlations.row(i);
            let best = (0..row.ncols()).fold(0, |b, j| if row[j] > row[b] { j } else { b });
            (i, best)
        })
        .collect();
    with_correlations(Method::Semi, pairs, correlations)
}

fn with_correlations(method: Method, pairs: Vec<(usize, usize)>, c: MatRef<'_, f64>) -> Matching {
    let correlations = pairs.iter().map(|&(i, j)| c[(i, j)]).collect();
    Matching {
        method,
        pairs,
        correlations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn a_permuted_copy_is_matched_back() {
        let x = gaussian_matrix(50, 6, 1);
        let perm = [3, 0, 5, 1, 4, 2];
        let y = Mat::from_fn(50, 6, |i, j| 2.0 * x[(i, perm[j])] + 1.0);
        let c = unit_correlations(x.as_ref(), y.as_ref(), Par::Seq).unwrap();
        let m = hungarian(c.as_ref()).unwrap();
        for &(a, b) in &m.pairs {
            assert_eq!(perm[b], a);
        }
        assert!((m.mean_correlation() - 1.0).abs() < 1e-12);
        assert_eq!(semi(c.as_ref()).pairs, m.pairs);
    }

    #[test]
    fn unequal_widths_give_min_pairs() {
        let x = gaussian_matrix(30, 7, 2);
        let y = gaussian_matrix(30, 4, 3);
        let c = unit_correlations(x.as_ref(), y.as_ref(), Par::Seq).unwrap();
        let m = hungarian(c.as_ref()).unwrap();
        assert_eq!(m.pairs.len(), 4);
        let mut bs: Vec<usize> = m.pairs.iter().map(|p| p.1).collect();
        bs.sort_unstable();
        assert_eq!(bs, vec![0, 1, 2, 3]);
        let t = hungarian(c.transpose()).unwrap();
        assert!((t.mean_correlation() - m.mean_correlation()).abs() < 1e-12);
        assert_eq!(semi(c.as_ref()).pairs.len(), 7);
        assert!(m.sorted_correlations().windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn different_stimuli_counts_are_an_error() {
        let x = gaussian_matrix(30, 3, 2);
        let y = gaussian_matrix(20, 3, 3);
        let e = unit_correlations(x.as_ref(), y.as_ref(), Par::Seq).unwrap_err();
        assert!(e.to_string().contains("30 stimuli"), "{e}");
    }
}
