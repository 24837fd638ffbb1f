//! Where cross-validated ridge spends its time: the factorisation of one
//! training fold (thin SVD against the eigendecomposition of the Gram
//! matrix) and a whole RidgeCV, on the bench's 2000 × 768 → targets shape.
//!
//! `cargo run --release -p repscope --example ridge_profile [targets]`

use std::time::Instant;

use faer::{Par, Side};
use repscope::encode::folds::kfold;
use repscope::encode::ridge::{RidgeCvOptions, Score, Solver, ridge_cv};
use repscope::linalg::{cross_product, thin_svd};
use repscope::rng::gaussian_matrix;

fn main() {
    let t: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let x = gaussian_matrix(1600, 768, 1);
    let start = Instant::now();
    let _ = thin_svd(x.as_ref()).unwrap();
    println!(
        "thin SVD 1600 × 768:       {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let g = cross_product(x.as_ref(), x.as_ref(), Par::rayon(0));
    let _ = g.self_adjoint_eigen(Side::Lower).unwrap();
    println!(
        "XᵀX + eigh 768:            {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let x = gaussian_matrix(2000, 768, 2);
    let y = gaussian_matrix(2000, t, 3);
    let options = RidgeCvOptions {
        alphas: (0..10)
            .map(|i| 10f64.powf(-1.0 + 6.0 * i as f64 / 9.0))
            .collect(),
        splits: kfold(2000, 5).unwrap(),
        per_target: true,
        fit_intercept: true,
        score: Score::NegMse,
        solver: Solver::Auto,
        target_batch: None,
    };
    let start = Instant::now();
    let _ = ridge_cv(x.as_ref(), y.as_ref(), &options).unwrap();
    println!(
        "RidgeCV 2000 × 768 → {t}: {:.3} s",
        start.elapsed().as_secs_f64()
    );
}
