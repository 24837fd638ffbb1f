//! Banded ridge: several feature spaces (e.g. low-level and semantic
//! features of the same stimuli), each with its own regularisation, chosen
//! per target by cross-validated random search over the simplex
//! (himalaya's `BandedRidgeCV` with `solver="random_search"`).
//!
//! Space k is scaled by √γₖ, with γ on the simplex; for each candidate γ
//! the scaled, concatenated features go through the cross-validated ridge
//! of [`super::ridge`] over the α grid. A target keeps the first (γ, α)
//! whose sloped CV score beats its best so far by more than f64's epsilon
//! (himalaya's rule), and is refitted once at the end with that pair; its
//! coefficients are returned on the unscaled features, and its log
//! per-space weights are δₖ = ln(γₖ / α).
//!
//! Candidates come from [`dirichlet_gammas`] (seeded; the first is the
//! uniform weighting, as in himalaya) or are given explicitly.

use faer::{Mat, MatRef};
use rand::Rng;

use super::ridge::{RidgeCvOptions, cv_alpha_scores, ridge, select_alphas};
use crate::error::{Error, Result};
use crate::rng::{seeded, standard_normal};

/// The result of a banded ridge search.
#[derive(Clone, Debug)]
pub struct BandedFit {
    /// All spaces' features (in order) × targets, on the unscaled features.
    pub coef: Mat<f64>,
    pub intercept: Vec<f64>,
    /// ln(γₖ / α) per space (rows) and target (columns).
    pub deltas: Mat<f64>,
    /// The selected γ row index and α per target.
    pub best_gamma: Vec<usize>,
    pub best_alphas: Vec<f64>,
    /// Mean CV score at the best α of each candidate γ (rows) per target.
    pub cv_scores: Mat<f64>,
    /// The candidate weightings (candidates × spaces).
    pub gammas: Mat<f64>,
}

/// The candidate weightings of a banded ridge search.
#[derive(Clone, Copy, Debug)]
pub enum Candidates<'a> {
    /// Given rows (candidates × spaces) on the simplex.
    Given(MatRef<'a, f64>),
    /// `n` seeded Dirichlet draws (see [`dirichlet_gammas`]).
    Dirichlet {
        n: usize,
        concentrations: &'a [f64],
        seed: u64,
    },
}

/// [`banded_ridge_cv`] over the weightings `candidates` describes.
pub fn banded_ridge_search(
    spaces: &[MatRef<'_, f64>],
    y: MatRef<'_, f64>,
    candidates: Candidates<'_>,
    opts: &RidgeCvOptions,
) -> Result<BandedFit> {
    match candidates {
        Candidates::Given(g) => banded_ridge_cv(spaces, y, g, opts),
        Candidates::Dirichlet {
            n,
            concentrations,
            seed,
        } => {
            let g = dirichlet_gammas(n, spaces.len(), concentrations, seed)?;
            banded_ridge_cv(spaces, y, g.as_ref(), opts)
        }
    }
}

/// `n` candidate weightings of `spaces` feature spaces from Dirichlet
/// distributions whose concentrations cycle through `concentrations`
/// (sample i uses concentration i mod len, as himalaya interleaves them);
/// the first candidate is the uniform weighting. Seeded.
pub fn dirichlet_gammas(
    n: usize,
    spaces: usize,
    concentrations: &[f64],
    seed: u64,
) -> Result<Mat<f64>> {
    if n == 0 || spaces == 0 || concentrations.is_empty() {
        return Err(Error::Invalid {
            what: "banded ridge".into(),
            detail: "need at least one candidate, one feature space and one concentration".into(),
        });
    }
    if let Some(c) = concentrations.iter().find(|c| c.is_nan() || **c <= 0.0) {
        return Err(Error::Invalid {
            what: "banded ridge".into(),
            detail: format!("concentration {c} must be positive (use inf for equal weights)"),
        });
    }
    let mut rng = seeded(seed);
    let mut out = Mat::zeros(n, spaces);
    for i in 0..n {
        let c = concentrations[i % concentrations.len()];
        let row: Vec<f64> = if i == 0 || c.is_infinite() {
            vec![1.0 / spaces as f64; spaces]
        } else {
            // Gamma(c) in log space, so tiny concentrations do not underflow.
            let logs: Vec<f64> = (0..spaces).map(|_| log_gamma_sample(&mut rng, c)).collect();
            let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let w: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
            let total: f64 = w.iter().sum();
            w.iter().map(|v| v / total).collect()
        };
        for (k, v) in row.into_iter().enumerate() {
            out[(i, k)] = v;
        }
    }
    Ok(out)
}

/// ln of a Gamma(shape, 1) draw: Marsaglia–Tsang, with the
/// Gamma(a) = Gamma(a + 1) · U^(1/a) boost below shape 1.
fn log_gamma_sample(rng: &mut impl Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
        return log_gamma_sample(rng, shape + 1.0) + u.ln() / shape;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = standard_normal(rng);
        let v = (1.0 + c * z).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = 1.0 - rng.random::<f64>();
        if u.ln() < 0.5 * z * z + d - d * v + d * v.ln() {
            return (d * v).ln();
        }
    }
}

/// Banded ridge over `spaces` (each samples × features, the same samples)
/// with candidate weightings `gammas` (candidates × spaces, rows on the
/// simplex) and the α grid, folds and scoring of `opts`.
pub fn banded_ridge_cv(
    spaces: &[MatRef<'_, f64>],
    y: MatRef<'_, f64>,
    gammas: MatRef<'_, f64>,
    opts: &RidgeCvOptions,
) -> Result<BandedFit> {
    let invalid = |detail: String| Error::Invalid {
        what: "banded ridge".into(),
        detail,
    };
    let Some(first) = spaces.first() else {
        return Err(invalid("no feature spaces given".into()));
    };
    let n = first.nrows();
    if let Some((k, s)) = spaces.iter().enumerate().find(|(_, s)| s.nrows() != n) {
        return Err(invalid(format!(
            "feature space {k} has {} samples but space 0 has {n}",
            s.nrows()
        )));
    }
    if gammas.ncols() != spaces.len() || gammas.nrows() == 0 {
        return Err(invalid(format!(
            "gammas are {} × {} but there are {} feature spaces (need candidates × spaces)",
            gammas.nrows(),
            gammas.ncols(),
            spaces.len()
        )));
    }
    if let Some(bad) = (0..gammas.nrows())
        .flat_map(|i| (0..gammas.ncols()).map(move |k| (i, k)))
        .find(|&(i, k)| !(gammas[(i, k)].is_finite() && gammas[(i, k)] >= 0.0))
    {
        return Err(invalid(format!(
            "gamma[{}, {}] = {} is not a non-negative number",
            bad.0, bad.1, gammas[bad]
        )));
    }
    if let Some(row) = (0..gammas.nrows()).find(|&i| gammas.row(i).iter().sum::<f64>() <= 0.0) {
        return Err(invalid(format!(
            "gamma row {row} weights every feature space by 0; rows are weightings on the simplex"
        )));
    }
    let widths: Vec<usize> = spaces.iter().map(|s| s.ncols()).collect();
    let p: usize = widths.iter().sum();
    // The concatenated features, scaled per candidate.
    let scaled = |row: usize| {
        let mut x = Mat::zeros(n, p);
        let mut offset = 0;
        for (k, s) in spaces.iter().enumerate() {
            let g = gammas[(row, k)].sqrt();
            for j in 0..s.ncols() {
                for i in 0..n {
                    x[(i, offset + j)] = s[(i, j)] * g;
                }
            }
            offset += s.ncols();
        }
        x
    };
    let t = y.ncols();
    let (m, candidates) = (opts.alphas.len(), gammas.nrows());
    let mut cv_scores = Mat::zeros(candidates, t);
    let mut best_score = vec![f64::NEG_INFINITY; t];
    let mut best_gamma = vec![0usize; t];
    let mut best_alphas = vec![1.0; t];
    for row in 0..candidates {
        let x = scaled(row);
        let alpha_scores = cv_alpha_scores(x.as_ref(), y, opts)?;
        let chosen = select_alphas(alpha_scores.as_ref(), &opts.alphas, opts.per_target);
        for (j, &a) in chosen.iter().enumerate() {
            debug_assert!(a < m);
            cv_scores[(row, j)] = alpha_scores[(a, j)];
            let sloped = alpha_scores[(a, j)] + 1e-10 * opts.alphas[a].ln();
            if sloped > best_score[j] + f64::EPSILON {
                best_score[j] = sloped;
                best_gamma[j] = row;
                best_alphas[j] = opts.alphas[a];
            }
        }
    }
    // One refit per candidate that some target kept.
    let mut coef = Mat::zeros(p, t);
    let mut intercept = vec![0.0; t];
    for row in 0..candidates {
        let targets: Vec<usize> = (0..t).filter(|&j| best_gamma[j] == row).collect();
        if targets.is_empty() {
            continue;
        }
        let x = scaled(row);
        let ys = Mat::from_fn(n, targets.len(), |i, j| y[(i, targets[j])]);
        let alphas: Vec<f64> = targets.iter().map(|&j| best_alphas[j]).collect();
        let (w, b) = ridge(
            x.as_ref(),
            ys.as_ref(),
            &alphas,
            opts.fit_intercept,
            opts.solver,
        )?;
        let mut offset = 0;
        for (k, &width) in widths.iter().enumerate() {
            let g = gammas[(row, k)].sqrt();
            for (c, &j) in targets.iter().enumerate() {
                for f in 0..width {
                    coef[(offset + f, j)] = w[(offset + f, c)] * g;
                }
            }
            offset += width;
        }
        for (c, &j) in targets.iter().enumerate() {
            intercept[j] = b[c];
        }
    }
    let deltas = Mat::from_fn(spaces.len(), t, |k, j| {
        (gammas[(best_gamma[j], k)] / best_alphas[j]).ln()
    });
    Ok(BandedFit {
        coef,
        intercept,
        deltas,
        best_gamma,
        best_alphas,
        cv_scores,
        gammas: gammas.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::folds::kfold;
    use crate::encode::ridge::{Score, Solver};
    use crate::rng::gaussian_matrix;

    #[test]
    fn dirichlet_candidates_lie_on_the_simplex_and_start_uniform() {
        let g = dirichlet_gammas(50, 3, &[0.1, 1.0], 7).unwrap();
        assert_eq!(
            g.row(0).iter().copied().collect::<Vec<_>>(),
            vec![1.0 / 3.0; 3]
        );
        for i in 0..50 {
            let s: f64 = g.row(i).iter().sum();
            assert!((s - 1.0).abs() < 1e-12 && g.row(i).iter().all(|&v| v >= 0.0));
        }
        assert_eq!(g, dirichlet_gammas(50, 3, &[0.1, 1.0], 7).unwrap());
        // Concentration 1 is uniform on the simplex: mean 1/3 per space.
        let u = dirichlet_gammas(4001, 3, &[1.0], 1).unwrap();
        let mean: f64 = (1..4001).map(|i| u[(i, 0)]).sum::<f64>() / 4000.0;
        assert!((mean - 1.0 / 3.0).abs() < 0.02, "{mean}");
    }

    #[test]
    fn the_informative_space_gets_the_weight() {
        // Targets depend on space 0 only; space 1 is noise.
        let a = gaussian_matrix(120, 6, 1);
        let b = gaussian_matrix(120, 6, 2);
        let noise = gaussian_matrix(120, 4, 3);
        let y = Mat::from_fn(120, 4, |i, j| a[(i, j)] + 0.3 * noise[(i, j)]);
        let gammas = dirichlet_gammas(30, 2, &[0.1, 1.0], 0).unwrap();
        let opts = RidgeCvOptions {
            alphas: vec![0.01, 0.1, 1.0, 10.0, 100.0],
            splits: kfold(120, 4).unwrap(),
            per_target: true,
            fit_intercept: true,
            score: Score::R2,
            solver: Solver::Auto,
            target_batch: None,
        };
        let fit = banded_ridge_cv(
            &[a.as_ref(), b.as_ref()],
            y.as_ref(),
            gammas.as_ref(),
            &opts,
        )
        .unwrap();
        for j in 0..4 {
            assert!(
                fit.deltas[(0, j)] > fit.deltas[(1, j)] + 1.0,
                "{:?}",
                fit.deltas
            );
        }
        assert!(banded_ridge_cv(&[a.as_ref()], y.as_ref(), gammas.as_ref(), &opts).is_err());
    }
}
