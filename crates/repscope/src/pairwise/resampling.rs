//! Uncertainty for every cell of a pairwise matrix: bootstrap confidence
//! intervals over stimuli and permutation p-values.
//!
//! - **Bootstrap**: stimuli (rows) are drawn with replacement, the same
//!   draw for every representation; every representation is prepared again
//!   on the drawn rows and every pair scored. The interval is the percentile
//!   interval of the valid (finite) sample values.
//! - **Permutation**: the rows of the second representation of each pair
//!   are shuffled, which breaks the stimulus correspondence; p = (1 + number
//!   of null values at least as extreme as observed) / (1 + permutations),
//!   "at least as extreme" meaning ≥ for similarities and ≤ for distances.
//!   The same null gives each pair's calibrated score and its threshold
//!   (`stats::calibration`).
//!
//! Sample s draws from a generator seeded by (seed, s) alone, and samples
//! land in fixed slots, so results do not depend on the number of threads.

use faer::Par;
use rand::Rng;
use rand::seq::SliceRandom;
use rayon::prelude::*;

use crate::data::RepRef;
use crate::error::Result;
use crate::linalg::gather_rows;
use crate::measures::{AnyMeasure, PrepareContext, Prepared};
use crate::rng::{Purpose, substream};
use crate::stats::calibration::{Calibration, calibrate};
use crate::stats::quantile::percentile_interval;

/// Every representation's state on the drawn rows: derived from its full
/// state where the measure can (see `Measure::resample`), else prepared
/// again from the gathered rows. A state that cannot be prepared (e.g. a
/// draw with no variance) is `None` and scores NaN.
fn prepare_on_rows(
    reps: &[RepRef<'_>],
    full: &[&Prepared],
    rows: &[usize],
    measure: &dyn AnyMeasure,
    partners: usize,
) -> Vec<Option<Prepared>> {
    let ctx = PrepareContext {
        par: Par::Seq,
        partners,
    };
    reps.iter()
        .zip(full)
        .map(|(r, state)| {
            if let Some(derived) = measure.resample(state, rows) {
                return derived.ok();
            }
            let x = gather_rows(r.x, rows);
            measure
                .prepare(
                    RepRef {
                        name: r.name,
                        x: x.as_ref(),
                    },
                    &ctx,
                )
                .ok()
        })
        .collect()
}

fn score_pairs(
    left: &[Option<Prepared>],
    right: &[Option<&Prepared>],
    pairs: &[(usize, usize)],
    measure: &dyn AnyMeasure,
) -> Vec<f64> {
    pairs
        .iter()
        .map(|&(i, j)| match (&left[i], right[j]) {
            (Some(a), Some(b)) => measure.score(a, b, Par::Seq).unwrap_or(f64::NAN),
            _ => f64::NAN,
        })
        .collect()
}

/// Percentile bootstrap intervals (`level`, e.g. 0.95) of every pair.
#[allow(clippy::too_many_arguments)]
pub(crate) fn bootstrap_intervals(
    a: &[RepRef<'_>],
    b: Option<&[RepRef<'_>]>,
    prepared_a: &[&Prepared],
    prepared_b: &[&Prepared],
    (partners_a, partners_b): (usize, usize),
    pairs: &[(usize, usize)],
    measure: &dyn AnyMeasure,
    n_boot: usize,
    seed: u64,
    level: f64,
    step: &(dyn Fn() + Sync),
) -> Result<(Vec<f64>, Vec<f64>)> {
    let n = a[0].x.nrows();
    let samples: Vec<Vec<f64>> = (0..n_boot)
        .into_par_iter()
        .map(|s| {
            crate::interrupt::check()?;
            let mut rng = substream(seed, Purpose::Bootstrap, s as u64);
            let rows: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let left = prepare_on_rows(a, prepared_a, &rows, measure, partners_a);
            let right_owned = b.map(|b| prepare_on_rows(b, prepared_b, &rows, measure, partners_b));
            let right: Vec<Option<&Prepared>> = right_owned
                .as_ref()
                .unwrap_or(&left)
                .iter()
                .map(Option::as_ref)
                .collect();
            let values = score_pairs(&left, &right, pairs, measure);
            step();
            Ok(values)
        })
        .collect::<Result<_>>()?;
    let (mut low, mut high) = (
        Vec::with_capacity(pairs.len()),
        Vec::with_capacity(pairs.len()),
    );
    for p in 0..pairs.len() {
        let mut v: Vec<f64> = samples
            .iter()
            .map(|s| s[p])
            .filter(|x| x.is_finite())
            .collect();
        if v.is_empty() {
            low.push(f64::NAN);
            high.push(f64::NAN);
            continue;
        }
        v.sort_by(f64::total_cmp);
        let (lo, hi) = percentile_interval(&v, level);
        low.push(lo);
        high.push(hi);
    }
    Ok((low, high))
}

/// The row order of permutation `s` (of n stimuli) under `seed`: the
/// second representation's rows in the null's s-th pair are these rows of
/// the original.
pub fn permuted_rows(n: usize, seed: u64, s: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = (0..n).collect();
    rows.shuffle(&mut substream(seed, Purpose::Permutation, s as u64));
    rows
}

/// The permutation null of every pair, calibrated against its observed
/// value ([`crate::stats::calibration`]): p-value, threshold and calibrated
/// score. The null is scored from the prepared states of A and the states of
/// B derived for each permutation (`Measure::resample`), so measures that
/// derive states never prepare again.
#[allow(clippy::too_many_arguments)]
pub(crate) fn permutation_calibration(
    a: &[RepRef<'_>],
    b: Option<&[RepRef<'_>]>,
    prepared_a: &[&Prepared],
    prepared_b: &[&Prepared],
    partners_b: usize,
    pairs: &[(usize, usize)],
    observed: &[f64],
    measure: &dyn AnyMeasure,
    (n_permutations, alpha): (usize, f64),
    seed: u64,
    step: &(dyn Fn() + Sync),
) -> Result<Vec<Calibration>> {
    crate::preflight::check_resamples("the permutation null", n_permutations, pairs.len())?;
    let n = a[0].x.nrows();
    let second = b.unwrap_or(a);
    let nulls: Vec<Vec<f64>> = (0..n_permutations)
        .into_par_iter()
        .map(|s| {
            crate::interrupt::check()?;
            let rows = permuted_rows(n, seed, s);
            let shuffled = prepare_on_rows(second, prepared_b, &rows, measure, partners_b);
            let right: Vec<Option<&Prepared>> = shuffled.iter().map(Option::as_ref).collect();
            let left: Vec<Option<&Prepared>> = prepared_a.iter().map(|p| Some(*p)).collect();
            let values = pairs
                .iter()
                .map(|&(i, j)| match (left[i], right[j]) {
                    (Some(x), Some(y)) => measure.score(x, y, Par::Seq).unwrap_or(f64::NAN),
                    _ => f64::NAN,
                })
                .collect();
            step();
            Ok(values)
        })
        .collect::<Result<_>>()?;
    let info = measure.info();
    Ok(observed
        .iter()
        .enumerate()
        .map(|(p, &obs)| {
            let null: Vec<f64> = nulls.iter().map(|values| values[p]).collect();
            calibrate(obs, &null, info.kind, info.identical, alpha)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use crate::data::RepRef;
    use crate::measures::{Params, build};
    use crate::pairwise::{PairwiseOptions, pairwise};
    use crate::testing::gaussian;

    #[test]
    fn intervals_and_p_values_are_seeded_thread_independent_and_sensible() {
        let x = gaussian(40, 5, 1);
        let y = &x * gaussian(5, 6, 2) + gaussian(40, 6, 3) * 0.5;
        let z = gaussian(40, 4, 4);
        let names = ["x".to_string(), "y".to_string(), "z".to_string()];
        let mats = [&x, &y, &z];
        let reps: Vec<RepRef<'_>> = names
            .iter()
            .zip(mats)
            .map(|(n, m)| RepRef {
                name: n,
                x: m.as_ref(),
            })
            .collect();
        let m = build("linear_cka", &Params::new()).unwrap();
        let run = |threads| {
            let options = PairwiseOptions {
                threads: Some(threads),
                n_boot: 200,
                n_permutations: 200,
                seed: 5,
                ..PairwiseOptions::default()
            };
            pairwise(&reps, None, m.as_ref(), &options, &|_| {}).unwrap()
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.ci_low, two.ci_low);
        assert_eq!(one.p_values, two.p_values);
        let (low, high, p) = (
            one.ci_low.unwrap(),
            one.ci_high.unwrap(),
            one.p_values.unwrap(),
        );
        assert!(low[(0, 1)] <= one.values[(0, 1)] && one.values[(0, 1)] <= high[(0, 1)]);
        assert!(p[(0, 1)] < 0.01, "related pair p = {}", p[(0, 1)]);
        assert!(p[(0, 2)] > 0.05, "unrelated pair p = {}", p[(0, 2)]);
        assert_eq!(low[(0, 1)], low[(1, 0)]);
    }
}
