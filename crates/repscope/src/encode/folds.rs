//! Cross-validation splits: which rows train and which rows test, per fold.
//!
//! Encoding models take the splits as data, so a user can reproduce another
//! package's folds exactly (scikit-learn's `KFold`, a leave-one-run-out
//! scheme, …). [`kfold`] builds scikit-learn's unshuffled `KFold`.

use crate::error::{Error, Result};

/// One fold: the rows fitted on and the rows scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// A `(train, test)` pair, as the Python layer passes folds.
impl From<(Vec<usize>, Vec<usize>)> for Split {
    fn from((train, test): (Vec<usize>, Vec<usize>)) -> Self {
        Split { train, test }
    }
}

/// `k` contiguous folds over `n` rows, as scikit-learn's `KFold(k)` without
/// shuffling: the first `n % k` folds hold `n / k + 1` rows, the rest
/// `n / k`; each fold's rows are tested once and the others train.
pub fn kfold(n: usize, k: usize) -> Result<Vec<Split>> {
    if k < 2 || k > n {
        return Err(Error::Invalid {
            what: "cross-validation folds".into(),
            detail: format!("{k} folds over {n} samples: need 2 ≤ folds ≤ samples"),
        });
    }
    let mut start = 0;
    Ok((0..k)
        .map(|f| {
            let size = n / k + usize::from(f < n % k);
            let test: Vec<usize> = (start..start + size).collect();
            let train = (0..start).chain(start + size..n).collect();
            start += size;
            Split { train, test }
        })
        .collect())
}

/// Checks that every split indexes rows below `n` and has rows on both
/// sides (a fold with nothing to fit or nothing to score is a mistake, not
/// an edge case).
pub fn check_splits(splits: &[Split], n: usize) -> Result<()> {
    let invalid = |detail: String| Error::Invalid {
        what: "cross-validation folds".into(),
        detail,
    };
    if splits.is_empty() {
        return Err(invalid("no folds given".into()));
    }
    for (f, s) in splits.iter().enumerate() {
        if s.train.is_empty() || s.test.is_empty() {
            return Err(invalid(format!(
                "fold {f} has {} training and {} test rows; both must be non-empty",
                s.train.len(),
                s.test.len()
            )));
        }
        if let Some(&bad) = s.train.iter().chain(&s.test).find(|&&i| i >= n) {
            return Err(invalid(format!(
                "fold {f} refers to row {bad}, but there are only {n} samples"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kfold_matches_scikit_learn_sizes_and_order() {
        let folds = kfold(11, 3).unwrap();
        let tests: Vec<Vec<usize>> = folds.iter().map(|s| s.test.clone()).collect();
        assert_eq!(
            tests,
            vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9, 10]]
        );
        assert_eq!(folds[1].train, vec![0, 1, 2, 3, 8, 9, 10]);
        assert!(kfold(3, 4).is_err());
        assert!(kfold(10, 1).is_err());
    }

    #[test]
    fn bad_splits_are_refused() {
        let empty = Split {
            train: vec![0, 1],
            test: vec![],
        };
        assert!(check_splits(&[empty], 2).is_err());
        let outside = Split {
            train: vec![0],
            test: vec![5],
        };
        let err = check_splits(&[outside], 3).unwrap_err().to_string();
        assert!(err.contains("row 5"), "{err}");
    }
}
