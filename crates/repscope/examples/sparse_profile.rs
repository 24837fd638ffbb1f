//! Where the sparse unit prediction spends its time, on the shape of
//! `bench/match.py`: two networks of `units` units over 2000 stimuli that
//! read the same 16 latent factors, 20 penalties, tol 1e-4 (or the second
//! argument). Run under `perf record -g` to see the split between the
//! coordinate sweeps, the duality gap and the held-out scoring.
//!
//! `cargo run --release -p repscope --example sparse_profile [units] [tol]`

use std::time::Instant;

use faer::Mat;
use repscope::rng::gaussian_matrix;
use repscope::units::lasso::LassoOptions;
use repscope::units::sparse::{SparseOptions, sparse_prediction};

const FACTORS: usize = 16;

/// Each unit reads mainly factor `j % 16`, weakly all of them, plus noise.
fn network(latent: &Mat<f64>, units: usize, seed: u64) -> Mat<f64> {
    let mixing = gaussian_matrix(FACTORS, units, seed);
    let noise = gaussian_matrix(latent.nrows(), units, seed + 1);
    Mat::from_fn(latent.nrows(), units, |i, j| {
        let dense: f64 = (0..FACTORS)
            .map(|f| latent[(i, f)] * 0.15 * mixing[(f, j)])
            .sum();
        dense + 0.9 * latent[(i, (j * 7 + seed as usize) % FACTORS)] + noise[(i, j)]
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let units: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(384);
    let tol: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1e-4);
    let latent = gaussian_matrix(2000, FACTORS, 1);
    let (x, y) = (network(&latent, units, 2), network(&latent, units, 5));
    let options = SparseOptions {
        lasso: LassoOptions {
            tol,
            max_iter: 10_000,
        },
        ..SparseOptions::default()
    };
    let start = Instant::now();
    let s = sparse_prediction(x.as_ref(), y.as_ref(), &options).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let mean_needed = s.units_needed.iter().sum::<usize>() as f64 / units as f64;
    // A fingerprint of the solutions, to compare builds.
    let total: f64 = s.coef.col_iter().map(|c| c.iter().sum::<f64>()).sum();
    println!(
        "sparse prediction {units} → {units}, tol {tol:e}: {seconds:.3} s \
         (converged: {}, mean units needed {mean_needed:.1}, Σ coef {total:.15e})",
        s.converged
    );
}
