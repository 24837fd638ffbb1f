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

use std::sync::atomic::{AtomicUsize, Ordering};

use faer::{Mat, Par};
use rayon::prelude::*;

use crate::data::{RepRef, check_same_stimuli};
use crate::error::{Error, Result, ResultExt};
use crate::measures::{AnyMeasure, PrepareContext, Prepared, check_input, same_view};

/// How the engine runs.
#[derive(Clone, Debug, Default)]
pub struct PairwiseOptions {
    /// Worker threads; `None` uses rayon's global pool (all cores, or
    /// `RAYON_NUM_THREADS`).
    pub threads: Option<usize>,
}

/// The stage a progress report refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Per-representation work (`prepare`).
    Prepare,
    /// Per-pair work (`score`).
    Score,
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
    let run = || run_pairs(a, b, measure, progress);
    match options.threads {
        None => run(),
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| Error::internal(format!("starting {threads} worker threads: {e}")))?
            .install(run),
    }
}

fn run_pairs(
    a: &[RepRef<'_>],
    b: Option<&[RepRef<'_>]>,
    measure: &dyn AnyMeasure,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<PairwiseMatrix> {
    let name = measure.info().name;
    let pairs: Vec<(usize, usize)> = match b {
        None => (0..a.len())
            .flat_map(|i| (i..a.len()).map(move |j| (i, j)))
            .collect(),
        Some(b) => (0..a.len())
            .flat_map(|i| (0..b.len()).map(move |j| (i, j)))
            .collect(),
    };
    let n_prepare = a.len() + b.map_or(0, <[_]>::len);
    let total = n_prepare + pairs.len();
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
                check_input(*r)?;
                let prepared = measure
                    .prepare(*r, &ctx)
                    .with_context(|| format!("preparing '{}' for {name}", r.name))?;
                step(Stage::Prepare);
                Ok(prepared)
            })
            .collect()
    };
    let prepared_a = prepare_all(a, b.map_or(a.len(), <[_]>::len))?;
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
    let prepared_b = prepare_all(&b_own, a.len())?;
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

    let par = Par::rayon(rayon::current_num_threads());
    if let Some(block) = measure.score_block(&left, &right, &pairs, par) {
        let scores = block.with_context(|| format!("{name} of every pair"))?;
        pairs.iter().for_each(|_| step(Stage::Score));
        return Ok(assemble(a, right_reps, b.is_none(), &pairs, &scores, name));
    }
    let scores: Vec<f64> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let s = measure
                .score(left[i], right[j], Par::Seq)
                .with_context(|| {
                    format!("{name} of '{}' and '{}'", a[i].name, right_reps[j].name)
                })?;
            step(Stage::Score);
            Ok(s)
        })
        .collect::<Result<_>>()?;
    Ok(assemble(a, right_reps, b.is_none(), &pairs, &scores, name))
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
