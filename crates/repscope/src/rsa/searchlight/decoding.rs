//! Decoding searchlight: the cross-validated classification accuracy of
//! the measurements in every neighbourhood, over the same engine (blocks,
//! float32 storage, stride and centre lists) as the RDM searchlight.
//!
//! Cross-validation is leave-one-fold-out over the fold labels (the runs):
//! for each fold, the classifier is trained on the measurements of the
//! other folds and predicts each measurement of the held-out fold; the map
//! holds the fraction predicted correctly over all measurements (chance is
//! 1 / classes for balanced designs). Classifiers:
//!
//! - `correlation`: nearest class mean by Pearson correlation across the
//!   neighbourhood's columns (Haxby et al. 2001, Science 293); a constant
//!   pattern has correlation 0 with every mean; ties go to the lower class;
//! - `logistic`: L2 logistic regression ([`crate::probe::logistic`],
//!   scikit-learn's `LogisticRegression` objective; multinomial for three
//!   or more classes), the class of highest probability.

use faer::MatRef;

use super::engine::run_rows;
use super::{Neighbourhoods, SearchlightSpec};
use crate::error::{Error, Result};
use crate::linalg::{Stored, gather_rows};
use crate::probe::logistic::{self, LogisticOptions};

crate::choice! {
    /// How a decoding searchlight classifies a neighbourhood's measurements.
    pub enum Classifier: "searchlight classifier" {
        /// Nearest class mean by Pearson correlation (fast, nothing fitted).
        Correlation = "correlation",
        /// L2 logistic regression (scikit-learn's objective, C settable).
        Logistic = "logistic",
    }
}

/// What a decoding searchlight classifies, and how.
#[derive(Clone, Copy, Debug)]
pub struct Decoding<'a> {
    /// The class (0..K) of each row.
    pub labels: &'a [usize],
    /// The fold of each row (leave-one-fold-out).
    pub folds: &'a [usize],
    pub classifier: Classifier,
    /// For `Classifier::Logistic`.
    pub options: LogisticOptions,
}

/// The accuracy map (one value per data column, NaN where a neighbourhood
/// is too small or the column is not a centre). The spec gives
/// `min_voxels`, `centres` and `block_bytes` (its RDM settings and noise
/// are not used).
pub fn decoding_map<'d>(
    light: &dyn Neighbourhoods,
    data: impl Into<Stored<'d>>,
    decoding: &Decoding<'_>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<f64>> {
    let Decoding {
        labels,
        folds,
        classifier,
        options,
    } = *decoding;
    let data = data.into();
    let rows = data.nrows();
    for (what, l) in [("class labels", labels), ("fold labels", folds)] {
        if l.len() != rows {
            return Err(Error::ShapeMismatch {
                what: format!("{what} (one per measurement)"),
                expected: rows,
                found: l.len(),
            });
        }
    }
    let k = labels.iter().max().map_or(0, |m| m + 1);
    if k < 2 {
        return Err(Error::TooFew {
            what: "decoding (classes)".into(),
            needed: 2,
            found: k,
        });
    }
    // The folds that hold measurements, in order.
    let mut used = folds.to_vec();
    used.sort_unstable();
    used.dedup();
    if used.len() < 2 {
        return Err(Error::TooFew {
            what: "decoding's cross-validation (folds with measurements)".into(),
            needed: 2,
            found: used.len(),
        });
    }
    // Every class must be in the training folds of every split.
    for &f in &used {
        let mut seen = vec![false; k];
        for (&l, &g) in labels.iter().zip(folds) {
            if g != f {
                seen[l] = true;
            }
        }
        if let Some(c) = seen.iter().position(|s| !s) {
            return Err(Error::Invalid {
                what: "decoding searchlight".into(),
                detail: format!(
                    "class {c} has no measurement outside fold {f}, so a classifier trained \
                     without fold {f} cannot predict it; every class needs measurements in at \
                     least two folds"
                ),
            });
        }
    }
    let splits: Vec<(Vec<usize>, Vec<usize>)> = used
        .iter()
        .map(|&f| {
            let (test, train) = (0..rows).partition(|&r| folds[r] == f);
            (train, test)
        })
        .collect();
    let mut map = vec![f64::NAN; light.n_columns()];
    let accuracy = |x: MatRef<'_, f64>| -> Result<f64> {
        let mut correct = 0usize;
        let mut total = 0usize;
        for (train, test) in &splits {
            let predicted = match classifier {
                Classifier::Correlation => nearest_mean(x, labels, k, train, test),
                Classifier::Logistic => {
                    let xt = gather_rows(x, train);
                    let yt: Vec<usize> = train.iter().map(|&r| labels[r]).collect();
                    let model = logistic::fit(xt.as_ref(), &yt, k, &options)?;
                    let p = model.predict_proba(gather_rows(x, test).as_ref())?;
                    (0..p.nrows())
                        .map(|i| argmax(p.row(i).iter().copied()))
                        .collect()
                }
            };
            correct += test
                .iter()
                .zip(&predicted)
                .filter(|&(&r, &c)| labels[r] == c)
                .count();
            total += test.len();
        }
        Ok(correct as f64 / total as f64)
    };
    run_rows(light, data, spec, progress, accuracy, |centre, a| {
        map[centre] = a;
        Ok(())
    })?;
    Ok(map)
}

/// The index of the largest value (the first of ties).
fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// A pattern centred across columns and scaled to unit length (all zeros
/// for a constant pattern: correlation 0 with everything).
fn standardised(values: impl Iterator<Item = f64> + Clone, p: usize) -> Vec<f64> {
    let mean = values.clone().sum::<f64>() / p as f64;
    let mut z: Vec<f64> = values.map(|v| v - mean).collect();
    let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        z.iter_mut().for_each(|v| *v /= norm);
    } else {
        z.iter_mut().for_each(|v| *v = 0.0);
    }
    z
}

/// Nearest class mean by correlation: the class of each test row.
fn nearest_mean(
    x: MatRef<'_, f64>,
    labels: &[usize],
    k: usize,
    train: &[usize],
    test: &[usize],
) -> Vec<usize> {
    let p = x.ncols();
    let mut sums = vec![vec![0.0; p]; k];
    let mut counts = vec![0usize; k];
    for &r in train {
        counts[labels[r]] += 1;
        for (s, j) in sums[labels[r]].iter_mut().zip(0..p) {
            *s += x[(r, j)];
        }
    }
    let means: Vec<Vec<f64>> = sums
        .iter()
        .zip(&counts)
        .map(|(s, &n)| standardised(s.iter().map(|v| v / n as f64), p))
        .collect();
    test.iter()
        .map(|&r| {
            let z = standardised((0..p).map(|j| x[(r, j)]), p);
            argmax(
                means
                    .iter()
                    .map(|m| m.iter().zip(&z).map(|(a, b)| a * b).sum::<f64>()),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::searchlight::{Radius, Searchlight};
    use crate::testing::gaussian;

    #[test]
    fn a_planted_class_pattern_is_decoded_where_it_is_and_at_chance_elsewhere() {
        let mask = vec![true; 6 * 6 * 6];
        let light = Searchlight::new([6, 6, 6], &mask, Radius::Voxels(1.5)).unwrap();
        let (k, runs, reps) = (3, 4, 4);
        let n = k * runs * reps;
        let labels: Vec<usize> = (0..n).map(|r| r % k).collect();
        let folds: Vec<usize> = (0..n).map(|r| r / (k * reps)).collect();
        let mut data = gaussian(n, 216, 5);
        let pattern = gaussian(k, 216, 6);
        // Classes differ in the voxels with i < 2 only.
        for r in 0..n {
            for v in 0..72 {
                data[(r, v)] += 3.0 * pattern[(labels[r], v)];
            }
        }
        let spec = SearchlightSpec {
            rdm: crate::rsa::RdmSpec::new(crate::rsa::RdmMethod::Euclidean),
            min_voxels: 1,
            noise: None,
            centres: None,
            block_bytes: Some(1),
        };
        for classifier in [Classifier::Correlation, Classifier::Logistic] {
            let decoding = Decoding {
                labels: &labels,
                folds: &folds,
                classifier,
                options: LogisticOptions::default(),
            };
            let map = decoding_map(&light, data.as_ref(), &decoding, &spec, &|_, _| {}).unwrap();
            assert!(map[0] > 0.9, "{classifier:?} {}", map[0]);
            let far: f64 = map[5 * 36..].iter().sum::<f64>() / 36.0;
            assert!((far - 1.0 / 3.0).abs() < 0.15, "{classifier:?} {far}");
        }
        let one_fold = vec![0; n];
        let decoding = Decoding {
            labels: &labels,
            folds: &one_fold,
            classifier: Classifier::Correlation,
            options: LogisticOptions::default(),
        };
        let e = decoding_map(&light, data.as_ref(), &decoding, &spec, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("folds with measurements"), "{e}");
    }
}
