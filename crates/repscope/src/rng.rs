//! Seeded, platform-independent random numbers (ChaCha8).
//!
//! Every random procedure in repscope takes a seed and draws from
//! [`seeded`], so the same seed gives the same result on any machine and
//! with any number of threads. A procedure that needs several independent
//! streams under one seed (one per bootstrap sample, the control labels
//! apart from the folds …) takes them from [`substream`]: ChaCha's own
//! stream counter, one stream per (purpose, index), so streams never
//! overlap and no seed arithmetic collides with another user seed.

use faer::Mat;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// The random generator for `seed`.
pub fn seeded(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// What a sub-stream is drawn for: each purpose has its own streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// Bootstrap sample `index` of the pairwise engine.
    Bootstrap = 1,
    /// Permutation `index` of the pairwise engine.
    Permutation = 2,
    /// The permuted labels of a probe's control task.
    ControlLabels = 3,
    /// The inner folds of outer fold `index` (choosing C in a probe).
    InnerFolds = 4,
    /// The k-means of sub-space `index` of a product quantiser.
    Codebook = 5,
    /// The training sample of a product quantiser.
    TrainingSample = 6,
}

/// The independent stream `index` for `purpose` under `seed`.
pub fn substream(seed: u64, purpose: Purpose, index: u64) -> ChaCha8Rng {
    let mut rng = seeded(seed);
    // 8 bits of purpose, 56 of index: distinct streams for distinct pairs.
    rng.set_stream(((purpose as u64) << 56) | (index & ((1 << 56) - 1)));
    rng
}

/// A seed for a procedure that takes one (k-means, say), drawn from the
/// stream `index` for `purpose` under `seed`.
pub fn subseed(seed: u64, purpose: Purpose, index: u64) -> u64 {
    substream(seed, purpose, index).random()
}

/// One standard normal draw (Box–Muller; the second value is discarded so
/// each draw uses a fixed number of uniforms).
pub fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]: ln is finite
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// An `nrows × ncols` matrix of independent standard normal values, filled
/// row by row.
pub fn gaussian_matrix(nrows: usize, ncols: usize, seed: u64) -> Mat<f64> {
    let mut rng = seeded(seed);
    let mut values = Vec::with_capacity(nrows * ncols);
    values.extend((0..nrows * ncols).map(|_| standard_normal(&mut rng)));
    Mat::from_fn(nrows, ncols, |i, j| values[i * ncols + j])
}

/// Items held out for a fraction `fraction` of `n`: round(n · fraction),
/// at least 2 (a correlation over held-out items needs two).
pub fn holdout_size(n: usize, fraction: f64) -> usize {
    ((n as f64 * fraction).round() as usize).max(2)
}

/// A seeded split of the items 0..n into (train, test) with `n_test` held
/// out (one shuffle of 0..n, its first `n_test` are the test items); both
/// lists sorted. `n_test` must be at most `n`.
pub fn holdout(n: usize, n_test: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut seeded(seed));
    let (mut test, mut train) = (order[..n_test].to_vec(), order[n_test..].to_vec());
    test.sort_unstable();
    train.sort_unstable();
    (train, test)
}

/// A seeded split of `n` items into (train, test), both sorted, for an
/// analysis (`what`, for messages) that holds out `fraction` of them and
/// needs at least `min_train` items to fit on. A fraction of 0 is allowed
/// only when `in_sample` is true, and then every item is in both lists.
pub fn checked_holdout(
    what: &str,
    n: usize,
    fraction: f64,
    min_train: usize,
    in_sample: bool,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>)> {
    let lowest_ok = if in_sample {
        fraction >= 0.0
    } else {
        fraction > 0.0
    };
    if !(lowest_ok && fraction < 1.0) {
        return Err(Error::OutOfRange {
            what: format!("test_fraction of {what}"),
            value: fraction.to_string(),
            expected: if in_sample { "in [0, 1)" } else { "in (0, 1)" }.into(),
        });
    }
    if fraction == 0.0 {
        let all: Vec<usize> = (0..n).collect();
        return Ok((all.clone(), all));
    }
    let n_test = holdout_size(n, fraction);
    if n < n_test + min_train {
        return Err(Error::TooFew {
            what: format!(
                "{what} (holding out {n_test} items and fitting on the rest{})",
                if in_sample {
                    "; or pass test_fraction=0 to score in-sample"
                } else {
                    ""
                }
            ),
            needed: n_test + min_train,
            found: n,
        });
    }
    Ok(holdout(n, n_test, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_plausible_moments() {
        let a = gaussian_matrix(200, 50, 42);
        assert_eq!(a, gaussian_matrix(200, 50, 42));
        assert_ne!(a, gaussian_matrix(200, 50, 43));
        let n = (200 * 50) as f64;
        let mean: f64 = a
            .col_iter()
            .flat_map(|c| c.iter().copied().collect::<Vec<_>>())
            .sum::<f64>()
            / n;
        let var: f64 = a
            .col_iter()
            .flat_map(|c| c.iter().map(|v| v * v).collect::<Vec<_>>())
            .sum::<f64>()
            / n;
        assert!(mean.abs() < 0.05, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}
