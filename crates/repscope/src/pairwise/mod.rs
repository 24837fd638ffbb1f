//! Every representation of A against every representation of B.
//!
//! The engine prepares each representation once, in parallel, then scores
//! every pair in parallel (rayon). When B is absent, A is compared with
//! itself and only the upper triangle (with the diagonal) is scored; the
//! measures score a pair the same whichever way round it is given, so the
//! mirrored matrix is what scoring both halves would give.
//!
//! A measure may score all pairs in one pass when that shares work (CKA on
//! Gram matrices reads each matrix once instead of once per pair); the
//! result is the same as scoring pair by pair.
//!
//! Results do not depend on the number of threads: each prepare and each
//! score is a sequential computation whose result lands in a fixed slot,
//! and block scoring sums in an order fixed by the data, not the threads.
//! A representation given in both A and B (the same memory) is prepared
//! once.

pub mod preflight;
mod resampling;
pub mod streaming;

pub use preflight::estimate_pairwise;
pub use resampling::permuted_rows;

use std::sync::atomic::{AtomicUsize, Ordering};

use faer::{Mat, Par};
use rayon::prelude::*;

use crate::data::{RepRef, check_same_stimuli};
use crate::error::{Error, Result, ResultExt};
use crate::measures::{AnyMeasure, PrepareContext, Prepared, check_comparable, same_view};
use crate::stats::calibration::Calibration;

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct PairwiseOptions {
    /// Worker threads; `None` uses rayon's global pool (all cores, or
    /// `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
    /// Bootstrap samples over stimuli for confidence intervals (0: none).
    pub n_boot: usize,
    /// Permutations for p-values and calibrated scores (0: none).
    pub n_permutations: usize,
    /// Level of the calibration threshold: a null pair scores above it with
    /// probability at most `alpha`.
    pub alpha: f64,
    /// Seed of the bootstrap and permutation draws.
    pub seed: u64,
    /// Confidence level of the bootstrap intervals.
    pub ci: f64,
    /// Prepare the representations of A and of B as if they met this many
    /// partners each (default: the size of the other set). A block of a
    /// larger matrix (a distributed task) passes the whole matrix's counts,
    /// so that it prepares, and scores, exactly as the whole would.
    pub partners: Option<(usize, usize)>,
}

impl PairwiseOptions {
    /// The partners each representation of A and of B is prepared for:
    /// `partners` when given, otherwise the size of the other set (A's own
    /// size when B is absent). Permutations do not count: a permuted state
    /// is derived anew for each one (for CKA's Gram form a selection of n²
    /// values, dearer than the product it would save), so the form that
    /// suits the partners suits the null too (measured in
    /// bench/calibration.py).
    pub fn partners_for(&self, a: usize, b: Option<usize>) -> (usize, usize) {
        self.partners.unwrap_or((b.unwrap_or(a), a))
    }
}

impl Default for PairwiseOptions {
    fn default() -> Self {
        Self {
            threads: None,
            n_boot: 0,
            n_permutations: 0,
            alpha: 0.05,
            seed: 0,
            ci: 0.95,
            partners: None,
        }
    }
}

/// The stage a progress report refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Per-representation work (`prepare`).
    Prepare,
    /// Per-pair work (`score`).
    Score,
    /// One bootstrap sample (all pairs).
    Bootstrap,
    /// One permutation (all pairs).
    Permutation,
}

/// A progress report: `done` of `total` steps (prepares plus scores) are
/// finished. Reports may arrive from any worker thread.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub stage: Stage,
    pub done: usize,
    pub total: usize,
}

/// The A × B matrix of scores.
#[derive(Clone, Debug)]
pub struct PairwiseMatrix {
    /// `values[(i, j)]` compares `names_a[i]` with `names_b[j]`.
    pub values: Mat<f64>,
    pub names_a: Vec<String>,
    pub names_b: Vec<String>,
    /// The registry name of the measure.
    pub measure: String,
    /// Bootstrap percentile interval of every cell, when requested.
    pub ci_low: Option<Mat<f64>>,
    pub ci_high: Option<Mat<f64>>,
    /// Permutation p-value of every cell, when requested.
    pub p_values: Option<Mat<f64>>,
    /// The calibrated score of every cell and the null threshold it is
    /// measured from (`stats::calibration`), with the p-values.
    pub calibrated: Option<Mat<f64>>,
    pub thresholds: Option<Mat<f64>>,
    /// Caveats the measure raised about representations (distinct).
    pub warnings: Vec<String>,
}

/// Scores every pair of `a` × `b` (or `a` × `a` when `b` is `None`).
pub fn pairwise(
    a: &[RepRef<'_>],
    b: Option<&[RepRef<'_>]>,
    measure: &dyn AnyMeasure,
    options: &PairwiseOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PairwiseMatrix> {
    if a.is_empty() {
        return Err(Error::NoRepresentations { what: "A".into() });
    }
    if let Some(b) = b {
        if b.is_empty() {
            return Err(Error::NoRepresentations { what: "B".into() });
        }
        check_same_stimuli(a, b)?;
    }
    check_same_stimuli(a, a)?;
    if !(options.ci > 0.0 && options.ci < 1.0) {
        return Err(Error::InvalidParameter {
            measure: measure.info().name.into(),
            detail: format!("the confidence level must be in (0, 1), got {}", options.ci),
        });
    }
    crate::parallel::with_threads(options.threads, || {
        run_pairs(a, b, measure, options, progress)
    })
}

fn run_pairs(
    a: &[RepRef<'_>],
    b: Option<&[RepRef<'_>]>,
    measure: &dyn AnyMeasure,
    options: &PairwiseOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PairwiseMatrix> {
    let name = measure.info().name;
    let mirror = b.is_none() && measure.info().symmetric;
    let pairs: Vec<(usize, usize)> = match b {
        None if mirror => (0..a.len())
            .flat_map(|i| (i..a.len()).map(move |j| (i, j)))
            .collect(),
        _ => {
            let width = b.map_or(a.len(), <[_]>::len);
            (0..a.len())
                .flat_map(|i| (0..width).map(move |j| (i, j)))
                .collect()
        }
    };
    let n_prepare = a.len() + b.map_or(0, <[_]>::len);
    let total = n_prepare + pairs.len() + options.n_boot + options.n_permutations;
    let done = AtomicUsize::new(0);
    let step = |stage| {
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        progress(Progress { stage, done, total });
    };

    let prepare_all = |reps: &[RepRef<'_>], partners: usize| -> Result<Vec<Prepared>> {
        let ctx = PrepareContext {
            par: Par::Seq,
            partners,
        };
        reps.par_iter()
            .map(|r| {
                crate::interrupt::check()?;
                check_comparable(*r)?;
                let prepared = measure
                    .prepare(*r, &ctx)
                    .with_context(|| format!("preparing '{}' for {name}", r.name))?;
                step(Stage::Prepare);
                Ok(prepared)
            })
            .collect()
    };
    let (partners_a, partners_b) = options.partners_for(a.len(), b.map(<[_]>::len));
    let prepared_a = prepare_all(a, partners_a)?;
    // A representation of B that is also in A (the same memory) is prepared
    // once, so its pairs are scored exactly as in the symmetric case.
    let b_in_a: Vec<Option<usize>> = b.map_or_else(Vec::new, |b| {
        b.iter()
            .map(|r| a.iter().position(|q| same_view(*q, *r)))
            .collect()
    });
    let b_own: Vec<RepRef<'_>> = b.map_or_else(Vec::new, |b| {
        b.iter()
            .zip(&b_in_a)
            .filter(|(_, found)| found.is_none())
            .map(|(r, _)| *r)
            .collect()
    });
    let prepared_b = prepare_all(&b_own, partners_b)?;
    for _ in 0..b_in_a.iter().filter(|f| f.is_some()).count() {
        step(Stage::Prepare);
    }
    let right_reps = b.unwrap_or(a);
    let left: Vec<&Prepared> = prepared_a.iter().collect();
    let right: Vec<&Prepared> = match b {
        None => left.clone(),
        Some(_) => {
            let mut own = prepared_b.iter();
            b_in_a
                .iter()
                .map(|found| match found {
                    Some(i) => Some(&prepared_a[*i]),
                    None => own.next(),
                })
                .collect::<Option<_>>()
                .ok_or_else(|| Error::internal("fewer prepared states than representations of B"))?
        }
    };

    let par = crate::parallel::current();
    let scores = match measure.score_block(&left, &right, &pairs, par) {
        Some(block) => {
            let scores = block.with_context(|| format!("{name} of every pair"))?;
            pairs.iter().for_each(|_| step(Stage::Score));
            scores
        }
        None => score_each(a, right_reps, &left, &right, &pairs, measure, &|| {
            step(Stage::Score)
        })?,
    };
    let mut result = assemble(a, right_reps, mirror, &pairs, &scores, name);
    for p in left.iter().chain(&right) {
        if let Some(w) = measure.warning(p)
            && !result.warnings.contains(&w)
        {
            result.warnings.push(w);
        }
    }
    if options.n_boot > 0 {
        let (low, high) = resampling::bootstrap_intervals(
            a,
            b,
            &left,
            &right,
            (partners_a, partners_b),
            &pairs,
            measure,
            options.n_boot,
            options.seed,
            options.ci,
            &|| step(Stage::Bootstrap),
        )?;
        result.ci_low = Some(assemble(a, right_reps, mirror, &pairs, &low, name).values);
        result.ci_high = Some(assemble(a, right_reps, mirror, &pairs, &high, name).values);
    }
    if options.n_permutations > 0 {
        if !(options.alpha > 0.0 && options.alpha < 1.0) {
            return Err(Error::OutOfRange {
                what: "the calibration level alpha".into(),
                value: options.alpha.to_string(),
                expected: "in (0, 1), e.g. 0.05".into(),
            });
        }
        let calibration = resampling::permutation_calibration(
            a,
            b,
            &left,
            &right,
            partners_b,
            &pairs,
            &scores,
            measure,
            (options.n_permutations, options.alpha),
            options.seed,
            &|| step(Stage::Permutation),
        )?;
        let cells = |f: fn(&Calibration) -> f64| {
            let values: Vec<f64> = calibration.iter().map(f).collect();
            Some(assemble(a, right_reps, mirror, &pairs, &values, name).values)
        };
        result.p_values = cells(|c| c.p_value);
        result.calibrated = cells(|c| c.calibrated);
        result.thresholds = cells(|c| c.threshold);
    }
    Ok(result)
}

/// Scores the pairs one by one, in parallel.
fn score_each(
    a: &[RepRef<'_>],
    right_reps: &[RepRef<'_>],
    left: &[&Prepared],
    right: &[&Prepared],
    pairs: &[(usize, usize)],
    measure: &dyn AnyMeasure,
    step: &(dyn Fn() + Sync),
) -> Result<Vec<f64>> {
    let name = measure.info().name;
    pairs
        .par_iter()
        .map(|&(i, j)| {
            crate::interrupt::check()?;
            let s = measure
                .score(left[i], right[j], Par::Seq)
                .with_context(|| {
                    format!("{name} of '{}' and '{}'", a[i].name, right_reps[j].name)
                })?;
            step();
            Ok(s)
        })
        .collect()
}

/// The matrix from the scored pairs, mirrored when A was compared with itself.
fn assemble(
    a: &[RepRef<'_>],
    b: &[RepRef<'_>],
    symmetric: bool,
    pairs: &[(usize, usize)],
    scores: &[f64],
    measure: &str,
) -> PairwiseMatrix {
    let mut values = Mat::zeros(a.len(), b.len());
    for (&(i, j), &s) in pairs.iter().zip(scores) {
        values[(i, j)] = s;
        if symmetric {
            values[(j, i)] = s;
        }
    }
    PairwiseMatrix {
        values,
        names_a: a.iter().map(|r| r.name.to_string()).collect(),
        names_b: b.iter().map(|r| r.name.to_string()).collect(),
        measure: measure.to_string(),
        ci_low: None,
        ci_high: None,
        p_values: None,
        calibrated: None,
        thresholds: None,
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{Params, build, similarity};
    use crate::testing::gaussian;

    fn layers() -> Vec<Mat<f64>> {
        // Mixed widths so both CKA forms (features, Gram) take part.
        [(5, 1), (20, 2), (45, 3), (70, 4)]
            .iter()
            .map(|&(p, seed)| {
                let base = gaussian(50, 5, 99);
                let w = gaussian(5, p, seed);
                &base * &w + gaussian(50, p, seed + 10)
            })
            .collect()
    }

    fn views<'a>(names: &'a [String], mats: &'a [Mat<f64>]) -> Vec<RepRef<'a>> {
        names
            .iter()
            .zip(mats)
            .map(|(name, x)| RepRef {
                name,
                x: x.as_ref(),
            })
            .collect()
    }

    #[test]
    fn thread_count_does_not_change_a_bit_and_one_pair_agrees() {
        let mats = layers();
        let names: Vec<String> = (0..mats.len()).map(|i| format!("l{i}")).collect();
        let reps = views(&names, &mats);
        for (measure_name, form) in [
            ("linear_cka", "features"),
            ("linear_cka", "gram"),
            ("debiased_cka", "features"),
            ("debiased_cka", "gram"),
        ] {
            let mut params = Params::new();
            params.insert(
                "form".into(),
                crate::measures::ParamValue::Text(form.into()),
            );
            let m = build(measure_name, &params).unwrap();
            let run = |threads| {
                pairwise(
                    &reps,
                    None,
                    m.as_ref(),
                    &PairwiseOptions {
                        threads: Some(threads),
                        ..PairwiseOptions::default()
                    },
                    &|_| {},
                )
                .unwrap()
                .values
            };
            let one = run(1);
            assert_eq!(one, run(2));
            let cross = pairwise(
                &reps,
                Some(&reps),
                m.as_ref(),
                &PairwiseOptions::default(),
                &|_| {},
            )
            .unwrap();
            assert_eq!(
                one, cross.values,
                "symmetric shortcut differs from the full matrix"
            );
            for i in 0..reps.len() {
                for j in 0..reps.len() {
                    let single = similarity(reps[i], reps[j], m.as_ref()).unwrap();
                    assert_eq!(one[(i, j)].to_bits(), single.to_bits(), "({i}, {j})");
                }
            }
        }
        // With the automatic form, many-partner jobs may prepare Gram
        // matrices where one pair uses features: equal up to rounding.
        let m = build("linear_cka", &Params::new()).unwrap();
        let auto = pairwise(
            &reps,
            None,
            m.as_ref(),
            &PairwiseOptions::default(),
            &|_| {},
        )
        .unwrap();
        for i in 0..reps.len() {
            for j in 0..reps.len() {
                let single = similarity(reps[i], reps[j], m.as_ref()).unwrap();
                assert!((auto.values[(i, j)] - single).abs() <= 1e-13, "({i}, {j})");
            }
        }
    }

    #[test]
    fn progress_counts_every_step_and_errors_name_the_layer() {
        let mats = layers();
        let names: Vec<String> = (0..mats.len()).map(|i| format!("l{i}")).collect();
        let reps = views(&names, &mats);
        let m = build("linear_cka", &Params::new()).unwrap();
        let seen = std::sync::Mutex::new(Vec::new());
        pairwise(&reps, None, m.as_ref(), &PairwiseOptions::default(), &|p| {
            seen.lock().unwrap().push((p.done, p.total))
        })
        .unwrap();
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        assert_eq!(seen.len(), 4 + 10);
        assert_eq!(seen.last(), Some(&(14, 14)));

        let short = gaussian(49, 3, 1);
        let bad_name = "short".to_string();
        let bad = [RepRef {
            name: &bad_name,
            x: short.as_ref(),
        }];
        let e = pairwise(
            &reps,
            Some(&bad),
            m.as_ref(),
            &PairwiseOptions::default(),
            &|_| {},
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("'l0' has 50 stimuli but 'short' has 49"),
            "{e}"
        );
    }
}
