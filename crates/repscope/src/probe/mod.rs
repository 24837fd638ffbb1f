//! Linear probes: how well a class label can be read out of each layer by a
//! cross-validated logistic regression ([`logistic`]), and at which layer
//! it becomes readable ([`depth`], concept depth).
//!
//! - **Folds.** [`stratified_folds`] is repscope's own seeded stratified
//!   K-fold split (it cannot reproduce numpy's generator, so it does not
//!   equal scikit-learn's `StratifiedKFold(shuffle=True)` fold for fold):
//!   the members of each class are shuffled (ChaCha, seeded), the classes
//!   are laid end to end in code order, and the j-th item of that sequence
//!   goes to fold j mod K. Each class is thus spread over the folds with
//!   counts differing by at most one, and fold sizes differ by at most one.
//!   Explicit folds ((train, test) index pairs) may be given instead.
//! - **Standardisation** (default on): each feature is centred and scaled
//!   by the mean and (population) standard deviation of the training fold,
//!   as scikit-learn's `make_pipeline(StandardScaler(), LogisticRegression())`
//!   does; a feature constant in the training fold is only centred (scale
//!   1, as StandardScaler). Constant features are harmless either way: they
//!   get zero weight when standardised and only shift the intercept when not.
//! - **Choice of C** (optional): with several candidate Cs, each outer
//!   training fold is split again ([`stratified_folds`], `inner_folds`
//!   folds) and the C with the best mean inner accuracy is refitted on the
//!   whole training fold (ties go to the smallest C, the most regularised).
//! - **Metrics** per test fold, then averaged over folds: accuracy,
//!   macro-F1 over the classes present in the fold's truth or predictions
//!   (scikit-learn `f1_score(average="macro")`, a class with no true and no
//!   predicted member is left out), and ROC-AUC (binary: of P(class 1);
//!   K ≥ 3: one-vs-rest AUC of each class's probability, macro-averaged, as
//!   `roc_auc_score(multi_class="ovr")`; NaN when a class is missing from
//!   the fold's truth). Predictions are the most probable class (first on ties).
//! - **Control task**: the labels permuted once with the seed (a permutation
//!   keeps the class sizes) and probed the same way (stratified on the
//!   permuted labels, or with the same explicit folds). Items here are
//!   stimuli, not word types, so this is a label permutation rather than
//!   Hewitt & Liang's per-type random assignment. Selectivity = task
//!   accuracy − control accuracy.

use faer::{Mat, MatRef};
use rand::seq::SliceRandom;
use rayon::prelude::*;

pub mod depth;
pub mod logistic;

use crate::data::RepRef;
use crate::encode::folds::{Split, check_splits};
use crate::error::{Error, Result, ResultExt};
use crate::rng::{Purpose, seeded, subseed, substream};
use crate::stats::rank::average_ranks;
use logistic::LogisticOptions;

/// A cross-validation split: train and test indices per fold.
pub type Folds = Vec<Split>;

/// How a probe is cross-validated.
#[derive(Clone, Debug, PartialEq)]
pub enum CrossValidation {
    /// K seeded stratified folds ([`stratified_folds`]).
    Stratified(usize),
    /// Explicit (train, test) pairs.
    Folds(Folds),
}

/// Settings of a probe.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeOptions {
    /// The logistic regression (its `c` is used when `cs` is empty).
    pub logistic: LogisticOptions,
    /// Candidate Cs chosen by inner cross-validation; empty: use `logistic.c`.
    pub cs: Vec<f64>,
    /// Inner folds for choosing C.
    pub inner_folds: usize,
    /// Standardise features with the training fold's statistics.
    pub standardize: bool,
    /// Also probe the permuted-label control task.
    pub control: bool,
    /// Seed of the folds and of the control permutation.
    pub seed: u64,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            logistic: LogisticOptions::default(),
            cs: Vec::new(),
            inner_folds: 3,
            standardize: true,
            control: false,
            seed: 0,
        }
    }
}

/// The scores of one test fold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FoldScores {
    pub accuracy: f64,
    pub f1_macro: f64,
    pub roc_auc: f64,
    /// The C the fold was fitted with.
    pub c: f64,
    /// Whether the final fit met its tolerance.
    pub converged: bool,
}

/// Fold scores and their means over folds.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeScores {
    pub folds: Vec<FoldScores>,
    pub accuracy: f64,
    pub f1_macro: f64,
    pub roc_auc: f64,
}

impl ProbeScores {
    fn from_folds(folds: Vec<FoldScores>) -> Self {
        let mean =
            |f: fn(&FoldScores) -> f64| folds.iter().map(f).sum::<f64>() / folds.len() as f64;
        Self {
            accuracy: mean(|s| s.accuracy),
            f1_macro: mean(|s| s.f1_macro),
            roc_auc: mean(|s| s.roc_auc),
            folds,
        }
    }
}

/// The probe of one layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerProbe {
    pub name: String,
    pub task: ProbeScores,
    /// The control task, when asked for.
    pub control: Option<ProbeScores>,
}

impl LayerProbe {
    /// Task accuracy − control accuracy (None without a control task).
    pub fn selectivity(&self) -> Option<f64> {
        self.control
            .as_ref()
            .map(|c| self.task.accuracy - c.accuracy)
    }
}

fn invalid(detail: String) -> Error {
    Error::Invalid {
        what: "probe".into(),
        detail,
    }
}

/// Members per class; fails unless there are at least 2 classes.
fn class_counts(labels: &[usize], n_classes: usize) -> Result<Vec<usize>> {
    let mut counts = vec![0usize; n_classes];
    for &l in labels {
        if l >= n_classes {
            return Err(invalid(format!(
                "label code {l} is not below the number of classes {n_classes}"
            )));
        }
        counts[l] += 1;
    }
    let present = counts.iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(invalid(format!(
            "the labels hold {present} class; a probe needs at least 2 classes"
        )));
    }
    Ok(counts)
}

/// repscope's seeded stratified K-fold split (see the module notes): the
/// fold (0..k) of every item. Every class must have at least `k` members.
pub fn stratified_folds(
    labels: &[usize],
    n_classes: usize,
    k: usize,
    seed: u64,
) -> Result<Vec<usize>> {
    if k < 2 {
        return Err(invalid(format!(
            "cross-validation needs at least 2 folds (got {k})"
        )));
    }
    let counts = class_counts(labels, n_classes)?;
    if let Some((class, &count)) = counts.iter().enumerate().find(|&(_, &c)| c > 0 && c < k) {
        return Err(invalid(format!(
            "class {class} has {count} members but {k}-fold stratified cross-validation needs at \
             least {k} per class; use fewer folds or drop that class"
        )));
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_classes];
    for (i, &l) in labels.iter().enumerate() {
        members[l].push(i);
    }
    let mut rng = seeded(seed);
    let mut fold = vec![0usize; labels.len()];
    let mut position = 0;
    for class in &mut members {
        class.shuffle(&mut rng);
        for &i in class.iter() {
            fold[i] = position % k;
            position += 1;
        }
    }
    Ok(fold)
}

/// (train, test) pairs from a fold id per item (ids 0..k).
pub fn folds_from_ids(fold: &[usize]) -> Folds {
    let k = fold.iter().max().map_or(0, |m| m + 1);
    (0..k)
        .map(|f| {
            let (test, train): (Vec<usize>, Vec<usize>) =
                (0..fold.len()).partition(|&i| fold[i] == f);
            Split { train, test }
        })
        .filter(|s| !s.test.is_empty())
        .collect()
}

/// Accuracy, macro-F1 and ROC-AUC of class probabilities `proba`
/// (samples × K) against true codes `truth` (see the module notes).
pub fn classification_scores(truth: &[usize], proba: MatRef<'_, f64>) -> Result<(f64, f64, f64)> {
    let (n, k) = (proba.nrows(), proba.ncols());
    if truth.len() != n {
        return Err(Error::ShapeMismatch {
            what: "true labels (one per row of the probabilities)".into(),
            expected: n,
            found: truth.len(),
        });
    }
    if n == 0 || k < 2 {
        return Err(invalid(format!(
            "scores need at least one sample and 2 classes (got {n} × {k} probabilities)"
        )));
    }
    if let Some(&t) = truth.iter().find(|&&t| t >= k) {
        return Err(invalid(format!(
            "true label {t} is not below the number of classes {k}"
        )));
    }
    let predicted: Vec<usize> = (0..n)
        .map(|i| {
            let mut best = 0;
            for c in 1..k {
                if proba[(i, c)] > proba[(i, best)] {
                    best = c;
                }
            }
            best
        })
        .collect();
    let correct = truth.iter().zip(&predicted).filter(|(t, p)| t == p).count();
    let accuracy = correct as f64 / n as f64;
    let (mut tp, mut n_true, mut n_pred) = (vec![0usize; k], vec![0usize; k], vec![0usize; k]);
    for (&t, &p) in truth.iter().zip(&predicted) {
        n_true[t] += 1;
        n_pred[p] += 1;
        if t == p {
            tp[t] += 1;
        }
    }
    let f1s: Vec<f64> = (0..k)
        .filter(|&c| n_true[c] + n_pred[c] > 0)
        .map(|c| 2.0 * tp[c] as f64 / (n_true[c] + n_pred[c]) as f64)
        .collect();
    let f1_macro = f1s.iter().sum::<f64>() / f1s.len() as f64;
    let roc_auc = if k == 2 {
        binary_auc(truth.iter().map(|&t| t == 1), proba.col(1).iter().copied())
    } else if n_true.contains(&0) {
        f64::NAN
    } else {
        (0..k)
            .map(|c| binary_auc(truth.iter().map(|&t| t == c), proba.col(c).iter().copied()))
            .sum::<f64>()
            / k as f64
    };
    Ok((accuracy, f1_macro, roc_auc))
}

/// The area under the ROC curve of `scores` for the positives: the
/// Mann–Whitney statistic with ties counted half (equal to the trapezoidal
/// area scikit-learn computes). NaN without both positives and negatives.
fn binary_auc(positive: impl Iterator<Item = bool>, scores: impl Iterator<Item = f64>) -> f64 {
    let positive: Vec<bool> = positive.collect();
    let scores: Vec<f64> = scores.collect();
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return f64::NAN;
    }
    let ranks = average_ranks(&scores);
    let rank_sum: f64 = ranks
        .iter()
        .zip(&positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    let u = rank_sum - (n_pos * (n_pos + 1)) as f64 / 2.0;
    u / (n_pos as f64 * n_neg as f64)
}

/// Rows `rows` of `x`, standardised (when asked) with the statistics of
/// the rows `fit_rows`.
struct Scaler {
    mean: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaler {
    fn fit(x: MatRef<'_, f64>, rows: &[usize]) -> Self {
        let n = rows.len() as f64;
        let (mut mean, mut scale) = (Vec::with_capacity(x.ncols()), Vec::with_capacity(x.ncols()));
        for j in 0..x.ncols() {
            let col = x.col(j);
            let m = rows.iter().map(|&i| col[i]).sum::<f64>() / n;
            let var = rows.iter().map(|&i| (col[i] - m).powi(2)).sum::<f64>() / n;
            let sd = var.sqrt();
            mean.push(m);
            // StandardScaler leaves (near-)constant features unscaled.
            scale.push(
                if sd > 10.0 * f64::EPSILON * m.abs().max(f64::MIN_POSITIVE) {
                    sd
                } else {
                    1.0
                },
            );
        }
        Self { mean, scale }
    }

    fn identity(p: usize) -> Self {
        Self {
            mean: vec![0.0; p],
            scale: vec![1.0; p],
        }
    }

    fn apply(&self, x: MatRef<'_, f64>, rows: &[usize]) -> Mat<f64> {
        Mat::from_fn(rows.len(), x.ncols(), |r, j| {
            (x[(rows[r], j)] - self.mean[j]) / self.scale[j]
        })
    }
}

/// Fits on `train` and scores on `test` with one C.
fn fit_and_score(
    x: MatRef<'_, f64>,
    labels: &[usize],
    n_classes: usize,
    train: &[usize],
    test: &[usize],
    c: f64,
    options: &ProbeOptions,
) -> Result<FoldScores> {
    let scaler = if options.standardize {
        Scaler::fit(x, train)
    } else {
        Scaler::identity(x.ncols())
    };
    let xtr = scaler.apply(x, train);
    let xte = scaler.apply(x, test);
    let ytr: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
    let yte: Vec<usize> = test.iter().map(|&i| labels[i]).collect();
    let lo = LogisticOptions {
        c,
        ..options.logistic
    };
    let model = logistic::fit(xtr.as_ref(), &ytr, n_classes, &lo)?;
    let proba = model.predict_proba(xte.as_ref())?;
    let (accuracy, f1_macro, roc_auc) = classification_scores(&yte, proba.as_ref())?;
    Ok(FoldScores {
        accuracy,
        f1_macro,
        roc_auc,
        c,
        converged: model.converged,
    })
}

/// One outer fold: choose C on the training part when there are candidates,
/// then fit on all of it and score the test part.
fn outer_fold(
    x: MatRef<'_, f64>,
    labels: &[usize],
    n_classes: usize,
    train: &[usize],
    test: &[usize],
    fold_seed: u64,
    options: &ProbeOptions,
) -> Result<FoldScores> {
    let c = if options.cs.len() > 1 {
        let train_labels: Vec<usize> = train.iter().map(|&i| labels[i]).collect();
        let inner = stratified_folds(&train_labels, n_classes, options.inner_folds, fold_seed)
            .with_context(|| "choosing C within a training fold")?;
        let inner = folds_from_ids(&inner);
        let mut cs = options.cs.clone();
        cs.sort_by(f64::total_cmp);
        let mut best = (f64::NEG_INFINITY, cs[0]);
        for &c in &cs {
            let mut total = 0.0;
            for Split {
                train: itr,
                test: ite,
            } in &inner
            {
                let itr: Vec<usize> = itr.iter().map(|&i| train[i]).collect();
                let ite: Vec<usize> = ite.iter().map(|&i| train[i]).collect();
                total += fit_and_score(x, labels, n_classes, &itr, &ite, c, options)?.accuracy;
            }
            if total > best.0 {
                best = (total, c);
            }
        }
        best.1
    } else {
        options.cs.first().copied().unwrap_or(options.logistic.c)
    };
    fit_and_score(x, labels, n_classes, train, test, c, options)
}

/// Probes every layer of `layers` for the class codes `labels` (0..n_classes),
/// layers and folds in parallel.
pub fn probe(
    layers: &[RepRef<'_>],
    labels: &[usize],
    n_classes: usize,
    cv: &CrossValidation,
    options: &ProbeOptions,
) -> Result<Vec<LayerProbe>> {
    if layers.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the probe's input".into(),
        });
    }
    let n = labels.len();
    for layer in layers {
        if layer.x.nrows() != n {
            return Err(Error::ShapeMismatch {
                what: format!("labels (one per stimulus of '{}')", layer.name),
                expected: layer.x.nrows(),
                found: n,
            });
        }
        crate::data::check_not_empty(layer.name, layer.x)?;
        crate::data::check_finite(layer.name, layer.x)?;
    }
    if let Some(&c) = options.cs.iter().find(|c| !(**c > 0.0 && c.is_finite())) {
        return Err(invalid(format!(
            "every candidate C must be positive and finite (got {c})"
        )));
    }
    class_counts(labels, n_classes)?;
    let task_folds = match cv {
        CrossValidation::Stratified(k) => {
            folds_from_ids(&stratified_folds(labels, n_classes, *k, options.seed)?)
        }
        CrossValidation::Folds(f) => f.clone(),
    };
    check_splits(&task_folds, n)?;
    let mut tasks: Vec<(Vec<usize>, Folds)> = vec![(labels.to_vec(), task_folds.clone())];
    if options.control {
        let mut permuted = labels.to_vec();
        permuted.shuffle(&mut substream(options.seed, Purpose::ControlLabels, 0));
        let control_folds = match cv {
            CrossValidation::Stratified(k) => {
                folds_from_ids(&stratified_folds(&permuted, n_classes, *k, options.seed)?)
            }
            CrossValidation::Folds(_) => task_folds,
        };
        tasks.push((permuted, control_folds));
    }
    let jobs: Vec<(usize, usize, usize)> = (0..layers.len())
        .flat_map(|l| {
            let tasks = &tasks;
            (0..tasks.len()).flat_map(move |t| (0..tasks[t].1.len()).map(move |f| (l, t, f)))
        })
        .collect();
    let scores: Vec<FoldScores> = jobs
        .par_iter()
        .map(|&(l, t, f)| {
            crate::interrupt::check()?;
            let (labels, folds) = &tasks[t];
            let Split { train, test } = &folds[f];
            outer_fold(
                layers[l].x,
                labels,
                n_classes,
                train,
                test,
                subseed(options.seed, Purpose::InnerFolds, f as u64),
                options,
            )
            .with_context(|| format!("layer '{}', fold {f}", layers[l].name))
        })
        .collect::<Result<_>>()?;
    let mut scores = scores.into_iter();
    Ok(layers
        .iter()
        .map(|layer| {
            let mut per_task = tasks.iter().map(|(_, folds)| {
                ProbeScores::from_folds(scores.by_ref().take(folds.len()).collect())
            });
            let task = per_task.next().expect("the task is always probed");
            LayerProbe {
                name: layer.name.to_string(),
                task,
                control: per_task.next(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn stratified_folds_spread_every_class_evenly() {
        let labels: Vec<usize> = (0..103).map(|i| (i * 7 % 11) % 4).collect();
        let counts = class_counts(&labels, 4).unwrap();
        let fold = stratified_folds(&labels, 4, 5, 9).unwrap();
        assert_eq!(fold, stratified_folds(&labels, 4, 5, 9).unwrap());
        assert_ne!(fold, stratified_folds(&labels, 4, 5, 10).unwrap());
        let sizes: Vec<usize> = (0..5)
            .map(|f| fold.iter().filter(|&&v| v == f).count())
            .collect();
        assert!(
            sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
            "{sizes:?}"
        );
        for (c, &count) in counts.iter().enumerate() {
            for f in 0..5 {
                let in_fold = (0..103).filter(|&i| labels[i] == c && fold[i] == f).count();
                assert!(
                    in_fold == count / 5 || in_fold == count.div_ceil(5),
                    "class {c} fold {f}"
                );
            }
        }
    }

    #[test]
    fn too_small_classes_and_single_class_are_errors() {
        let labels = [0, 0, 0, 0, 0, 1, 1, 1];
        let e = stratified_folds(&labels, 2, 5, 0).unwrap_err();
        assert!(e.to_string().contains("class 1 has 3 members"), "{e}");
        let e = stratified_folds(&[0; 10], 2, 5, 0).unwrap_err();
        assert!(e.to_string().contains("at least 2 classes"), "{e}");
    }

    #[test]
    fn auc_counts_ties_half_and_scores_perfect_predictions() {
        let auc = binary_auc(
            [false, true, false, true].into_iter(),
            [0.1, 0.4, 0.4, 0.8].into_iter(),
        );
        assert!((auc - 0.875).abs() < 1e-15);
        let proba = Mat::from_fn(4, 3, |i, c| if i % 3 == c { 0.8 } else { 0.1 });
        let (acc, f1, auc) = classification_scores(&[0, 1, 2, 0], proba.as_ref()).unwrap();
        assert_eq!((acc, f1, auc), (1.0, 1.0, 1.0));
    }

    /// Three Gaussian classes, signal in one layer and noise in the other:
    /// the signal layer is probed well and selective, the control and the
    /// noise layer are near chance.
    #[test]
    fn control_task_is_near_chance_and_selectivity_positive() {
        let (n, p, k) = (300, 10, 3);
        let labels: Vec<usize> = (0..n).map(|i| i % k).collect();
        let noise = gaussian_matrix(n, p, 5);
        let signal = Mat::from_fn(n, p, |i, j| {
            noise[(i, j)] + if j == labels[i] { 2.5 } else { 0.0 }
        });
        let layers = [
            RepRef {
                name: "noise",
                x: noise.as_ref(),
            },
            RepRef {
                name: "signal",
                x: signal.as_ref(),
            },
        ];
        let options = ProbeOptions {
            control: true,
            seed: 4,
            ..Default::default()
        };
        let out = probe(
            &layers,
            &labels,
            k,
            &CrossValidation::Stratified(5),
            &options,
        )
        .unwrap();
        let chance = 1.0 / k as f64;
        // Standard error of an accuracy over 300 items at chance ≈ 0.027.
        assert!(
            (out[0].task.accuracy - chance).abs() < 0.1,
            "{:?}",
            out[0].task
        );
        let signal = &out[1];
        assert!(signal.task.accuracy > 0.8, "{:?}", signal.task);
        let control = signal.control.as_ref().unwrap();
        assert!((control.accuracy - chance).abs() < 0.1, "{control:?}");
        assert!(signal.selectivity().unwrap() > 0.4);
        assert_eq!(signal.task.folds.len(), 5);
    }

    #[test]
    fn inner_cv_picks_a_candidate_and_constant_features_are_harmless() {
        let (n, p) = (120, 5);
        let labels: Vec<usize> = (0..n).map(|i| i % 2).collect();
        let noise = gaussian_matrix(n, p, 2);
        let x = Mat::from_fn(n, p, |i, j| {
            if j == 4 {
                3.0
            } else {
                noise[(i, j)] + if j == 0 { labels[i] as f64 * 2.0 } else { 0.0 }
            }
        });
        let layers = [RepRef {
            name: "x",
            x: x.as_ref(),
        }];
        for standardize in [true, false] {
            let options = ProbeOptions {
                cs: vec![0.01, 1.0, 100.0],
                standardize,
                ..Default::default()
            };
            let out = probe(
                &layers,
                &labels,
                2,
                &CrossValidation::Stratified(4),
                &options,
            )
            .unwrap();
            assert!(out[0].task.accuracy > 0.75);
            assert!(
                out[0]
                    .task
                    .folds
                    .iter()
                    .all(|f| [0.01, 1.0, 100.0].contains(&f.c))
            );
        }
        let mut bad = x.clone();
        bad[(2, 3)] = f64::NAN;
        let layers = [RepRef {
            name: "x",
            x: bad.as_ref(),
        }];
        let e = probe(
            &layers,
            &labels,
            2,
            &CrossValidation::Stratified(4),
            &ProbeOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("NaN at row 2, column 3"), "{e}");
    }
}
