//! Reverse encoding: how strongly is each known feature of the stimuli
//! represented? (Lampinen et al., *Learned feature representations are
//! biased by complexity, learning order, position, and more*.)
//!
//! A representation R (stimuli × units) is regressed on known features
//! (stimuli × columns; a feature may span several columns, e.g. a one-hot
//! category, given by `groups`). The variance explained is pooled over
//! units, R² = 1 − Σ_units SSE / Σ_units Σ (r − r̄)², so it is the fraction
//! of the representation's total variance a feature accounts for:
//!
//! - `explained[f]`: R² of the features of group f alone;
//! - `unique[f]`: R²(all groups) − R²(all groups but f), the variance only
//!   f explains;
//! - `total`: R²(all groups).
//!
//! Predictions are out of fold (each test fold predicted by a ridge fitted
//! on the other rows, intercept fitted, fixed small α), so a feature that
//! is not represented scores about 0, not the positive in-sample R² of an
//! overfitted regression.

use faer::{Mat, MatRef};

use super::folds::{Split, check_splits};
use super::ridge::{Solver, predict, ridge};
use crate::error::{Error, Result};
use crate::linalg::gather_rows;

/// Variance of a representation explained by each feature group.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureVariance {
    pub explained: Vec<f64>,
    pub unique: Vec<f64>,
    pub total: f64,
}

/// Pooled out-of-fold R² of `rep` predicted from the columns `cols` of
/// `features`.
fn pooled_r2(
    features: MatRef<'_, f64>,
    cols: &[usize],
    rep: MatRef<'_, f64>,
    splits: &[Split],
    alpha: f64,
) -> Result<f64> {
    let x = Mat::from_fn(features.nrows(), cols.len(), |i, j| features[(i, cols[j])]);
    let mut sse = 0.0;
    for split in splits {
        let (xtr, ytr) = (
            gather_rows(x.as_ref(), &split.train),
            gather_rows(rep, &split.train),
        );
        let (xte, yte) = (
            gather_rows(x.as_ref(), &split.test),
            gather_rows(rep, &split.test),
        );
        let (coef, intercept) = ridge(xtr.as_ref(), ytr.as_ref(), &[alpha], true, Solver::Auto)?;
        let pred = predict(xte.as_ref(), coef.as_ref(), &intercept)?;
        sse += (0..yte.ncols())
            .map(|j| {
                yte.col(j)
                    .iter()
                    .zip(pred.col(j).iter())
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>();
    }
    // Total variance over all rows (each row is tested exactly once when
    // the folds partition the rows; otherwise over the tested rows).
    let tested: Vec<usize> = splits.iter().flat_map(|s| s.test.iter().copied()).collect();
    let y = gather_rows(rep, &tested);
    let mut sst = 0.0;
    for col in y.col_iter() {
        let mean = col.iter().sum::<f64>() / col.nrows() as f64;
        sst += col.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
    }
    if sst == 0.0 {
        return Err(Error::Invalid {
            what: "feature variance".into(),
            detail:
                "the representation is constant over the stimuli: there is no variance to explain"
                    .into(),
        });
    }
    Ok(1.0 - sse / sst)
}

/// Variance of `rep` explained by each group of `features` columns
/// (`groups[c]` = the group of column c, groups numbered 0..G), out of
/// fold over `splits`, ridge penalty `alpha`.
pub fn feature_variance(
    features: MatRef<'_, f64>,
    groups: &[usize],
    rep: MatRef<'_, f64>,
    splits: &[Split],
    alpha: f64,
) -> Result<FeatureVariance> {
    let invalid = |detail: String| Error::Invalid {
        what: "feature variance".into(),
        detail,
    };
    if features.nrows() != rep.nrows() {
        return Err(invalid(format!(
            "features have {} stimuli but the representation has {}",
            features.nrows(),
            rep.nrows()
        )));
    }
    if groups.len() != features.ncols() {
        return Err(invalid(format!(
            "{} group labels for {} feature columns",
            groups.len(),
            features.ncols()
        )));
    }
    let n_groups = groups.iter().max().map_or(0, |g| g + 1);
    if let Some(g) = (0..n_groups).find(|g| !groups.contains(g)) {
        return Err(invalid(format!(
            "feature group {g} has no columns (groups must be numbered 0..{n_groups} without gaps)"
        )));
    }
    check_splits(splits, rep.nrows())?;
    let all: Vec<usize> = (0..features.ncols()).collect();
    let total = pooled_r2(features, &all, rep, splits, alpha)?;
    let mut explained = Vec::with_capacity(n_groups);
    let mut unique = Vec::with_capacity(n_groups);
    for g in 0..n_groups {
        let (mine, others): (Vec<usize>, Vec<usize>) = all.iter().partition(|&&c| groups[c] == g);
        explained.push(pooled_r2(features, &mine, rep, splits, alpha)?);
        let without = if others.is_empty() {
            0.0
        } else {
            pooled_r2(features, &others, rep, splits, alpha)?
        };
        unique.push(total - without);
    }
    Ok(FeatureVariance {
        explained,
        unique,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::folds::kfold;
    use crate::rng::gaussian_matrix;

    #[test]
    fn a_represented_feature_explains_variance_and_an_absent_one_does_not() {
        let f = gaussian_matrix(300, 3, 1);
        let noise = gaussian_matrix(300, 20, 2);
        let mix = gaussian_matrix(1, 20, 3);
        // Units carry feature 0 strongly, feature 1 weakly, feature 2 not.
        let rep = Mat::from_fn(300, 20, |i, j| {
            2.0 * f[(i, 0)] * mix[(0, j)] + 0.5 * f[(i, 1)] + noise[(i, j)]
        });
        let splits = kfold(300, 5).unwrap();
        let v = feature_variance(f.as_ref(), &[0, 1, 2], rep.as_ref(), &splits, 1e-3).unwrap();
        assert!(
            v.explained[0] > v.explained[1] && v.explained[1] > 0.01,
            "{v:?}"
        );
        assert!(
            v.explained[2].abs() < 0.02 && v.unique[2].abs() < 0.02,
            "{v:?}"
        );
        assert!(v.total >= v.explained[0] - 1e-12);
        let err =
            feature_variance(f.as_ref(), &[0, 2, 2], rep.as_ref(), &splits, 1e-3).unwrap_err();
        assert!(err.to_string().contains("group 1"), "{err}");
    }
}
