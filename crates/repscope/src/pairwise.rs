//! Every representation of A against every representation of B.
//!
//! The engine prepares each representation once, in parallel, then scores
//! every pair in parallel (rayon). When B is absent, A is compared with
//! itself and only the upper triangle (with the diagonal) is scored; the
//! measures score a pair the same whichever way round it is given, so the
//! mirrored matrix is what scoring both halves would give.
//!
//! Results do not depend on the number of threads: each prepare and each
//! score is a sequential computation whose result lands in a fixed slot.

use std::sync::atomic::{AtomicUsize, Ordering};

use faer::{Mat, Par};
use rayon::prelude::*;

use crate::data::{RepRef, check_same_stimuli};
use crate::error::{Error, Result, ResultExt};
use crate::measures::{AnyMeasure, Prepared, check_input};

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

    let prepare_all = |reps: &[RepRef<'_>]| -> Result<Vec<Prepared>> {
        reps.par_iter()
            .map(|r| {
                check_input(*r)?;
                let prepared = measure
                    .prepare(*r, Par::Seq)
                    .with_context(|| format!("preparing '{}' for {name}", r.name))?;
                step(Stage::Prepare);
                Ok(prepared)
            })
            .collect()
    };
    let prepared_a = prepare_all(a)?;
    let prepared_b = b.map(prepare_all).transpose()?;
    let (right, right_reps) = match (&prepared_b, b) {
        (Some(p), Some(reps)) => (p, reps),
        _ => (&prepared_a, a),
    };

    let scores: Vec<f64> = pairs
        .par_iter()
        .map(|&(i, j)| {
            let s = measure
                .score(&prepared_a[i], &right[j], Par::Seq)
                .with_context(|| {
                    format!("{name} of '{}' and '{}'", a[i].name, right_reps[j].name)
                })?;
            step(Stage::Score);
            Ok(s)
        })
        .collect::<Result<_>>()?;

    let mut values = Mat::zeros(a.len(), right_reps.len());
    for (&(i, j), &s) in pairs.iter().zip(&scores) {
        values[(i, j)] = s;
        if b.is_none() {
            values[(j, i)] = s;
        }
    }
    Ok(PairwiseMatrix {
        values,
        names_a: a.iter().map(|r| r.name.to_string()).collect(),
        names_b: right_reps.iter().map(|r| r.name.to_string()).collect(),
        measure: name.to_string(),
    })
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
            .map(|(name, x)| RepRef { name, x: x.as_ref() })
            .collect()
    }

    #[test]
    fn thread_count_does_not_change_a_bit_and_one_pair_agrees() {
        let mats = layers();
        let names: Vec<String> = (0..mats.len()).map(|i| format!("l{i}")).collect();
        let reps = views(&names, &mats);
        for measure_name in ["linear_cka", "debiased_cka"] {
            let m = build(measure_name, &Params::new()).unwrap();
            let run = |threads| {
                pairwise(&reps, None, m.as_ref(), &PairwiseOptions { threads: Some(threads) }, &|_| {})
                    .unwrap()
                    .values
            };
            let one = run(1);
            assert_eq!(one, run(2));
            let cross = pairwise(&reps, Some(&reps), m.as_ref(), &PairwiseOptions::default(), &|_| {})
                .unwrap();
            assert_eq!(one, cross.values, "symmetric shortcut differs from the full matrix");
            for i in 0..reps.len() {
                for j in 0..reps.len() {
                    let single = similarity(reps[i], reps[j], m.as_ref()).unwrap();
                    assert_eq!(one[(i, j)].to_bits(), single.to_bits(), "({i}, {j})");
                }
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
        let bad = [RepRef { name: &bad_name, x: short.as_ref() }];
        let e = pairwise(&reps, Some(&bad), m.as_ref(), &PairwiseOptions::default(), &|_| {})
            .unwrap_err();
        assert!(e.to_string().contains("'l0' has 50 stimuli but 'short' has 49"), "{e}");
    }
}
