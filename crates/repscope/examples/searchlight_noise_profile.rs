//! Where the noise-normalised crossnobis searchlight spends its time: the
//! whole searchlight with and without a noise precision per sphere on a
//! cube of voxels, then one sphere's steps (p = 123 voxels, 320 cell
//! means, 200 residual rows) timed one by one with faer.
//!
//! `cargo run --release -p repscope --example searchlight_noise_profile [side]`

use std::time::Instant;

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Accum, Mat, Par, Side};
use repscope::rng::gaussian_matrix;
use repscope::rsa::compare::CompareMethod;
use repscope::rsa::searchlight::{Radius, Searchlight, SearchlightSpec, model_maps};
use repscope::rsa::{RdmMethod, RdmSpec};
use repscope::stats::covariance::CovarianceMethod;

fn seconds(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

fn main() {
    let side: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    let (k, runs, noise_rows) = (40, 8, 200);
    let voxels = side * side * side;
    let light = Searchlight::new([side; 3], &vec![true; voxels], Radius::Voxels(3.0)).unwrap();
    let data = gaussian_matrix(k * runs, voxels, 1);
    let residuals = gaussian_matrix(noise_rows, voxels, 2);
    let conditions: Vec<usize> = (0..k * runs).map(|i| i % k).collect();
    let folds: Vec<usize> = (0..k * runs).map(|i| i / k).collect();
    let model = gaussian_matrix(1, k * (k - 1) / 2, 3);
    let model: Vec<f64> = model.row(0).iter().copied().collect();
    let rdm = RdmSpec {
        conditions: Some(&conditions),
        folds: Some(&folds),
        ..RdmSpec::new(RdmMethod::Crossnobis)
    };
    for noise in [false, true] {
        let spec = SearchlightSpec {
            rdm,
            min_voxels: 1,
            noise: noise.then(|| (residuals.as_ref().into(), CovarianceMethod::ShrinkageDiag)),
            centres: None,
            block_bytes: None,
        };
        let t = seconds(|| {
            model_maps(
                &light,
                data.as_ref(),
                &spec,
                &[&model],
                CompareMethod::Corr,
                &|_, _| {},
            )
            .unwrap();
        });
        println!(
            "{voxels} spheres, noise {noise:5}: {t:.2} s ({:.1} µs per sphere per core)",
            t * 2e6 / voxels as f64
        );
    }
    // One sphere's steps, sequentially, many times.
    let (p, cells, reps) = (123, k * runs, 400);
    let r = gaussian_matrix(noise_rows, p, 4);
    let x = gaussian_matrix(cells, p, 5);
    let mut cov = Mat::<f64>::zeros(p, p);
    let t = seconds(|| {
        for _ in 0..reps {
            matmul(
                cov.as_mut(),
                Accum::Replace,
                r.transpose(),
                r.as_ref(),
                1.0,
                Par::Seq,
            );
        }
    });
    println!(
        "RᵀR (full) 200×123:         {:7.1} µs  {:5.1} GFLOP/s",
        t * 1e6 / reps as f64,
        2.0 * 200.0 * 123.0 * 123.0 * reps as f64 / t / 1e9
    );
    let mut llt = None;
    let t = seconds(|| {
        for _ in 0..reps {
            llt = Some(cov.llt(Side::Lower).unwrap());
        }
    });
    println!(
        "Cholesky 123:               {:7.1} µs  {:5.1} GFLOP/s",
        t * 1e6 / reps as f64,
        123f64.powi(3) / 3.0 * reps as f64 / t / 1e9
    );
    let l = llt.unwrap().L().to_owned();
    let mut buffer = faer::dyn_stack::MemBuffer::new(
        faer::linalg::cholesky::llt::factor::cholesky_in_place_scratch::<f64>(
            p,
            Par::Seq,
            Default::default(),
        ),
    );
    let t = seconds(|| {
        for _ in 0..reps {
            let mut a = cov.clone();
            faer::linalg::cholesky::llt::factor::cholesky_in_place(
                a.as_mut(),
                Default::default(),
                Par::Seq,
                faer::dyn_stack::MemStack::new(&mut buffer),
                Default::default(),
            )
            .unwrap();
        }
    });
    println!(
        "Cholesky 123, Par::Seq:     {:7.1} µs  {:5.1} GFLOP/s",
        t * 1e6 / reps as f64,
        123f64.powi(3) / 3.0 * reps as f64 / t / 1e9
    );
    let t = seconds(|| {
        for _ in 0..reps {
            let mut w = x.clone();
            solve_lower_triangular_in_place(l.as_ref(), w.as_mut().transpose_mut(), Par::Seq);
        }
    });
    println!(
        "solve, row-major rhs 320:   {:7.1} µs  {:5.1} GFLOP/s",
        t * 1e6 / reps as f64,
        320.0 * 123.0 * 123.0 * reps as f64 / t / 1e9
    );
    let xt = x.transpose().to_owned();
    let t = seconds(|| {
        for _ in 0..reps {
            let mut w = xt.clone();
            solve_lower_triangular_in_place(l.as_ref(), w.as_mut(), Par::Seq);
        }
    });
    println!(
        "solve, col-major rhs 320:   {:7.1} µs  {:5.1} GFLOP/s",
        t * 1e6 / reps as f64,
        320.0 * 123.0 * 123.0 * reps as f64 / t / 1e9
    );
    let mut kernel = Mat::<f64>::zeros(k, k);
    let t = seconds(|| {
        for _ in 0..reps {
            for f in 0..runs {
                matmul(
                    kernel.as_mut(),
                    Accum::Add,
                    x.as_ref().subrows(f * k, k),
                    x.as_ref().subrows(f * k, k).transpose(),
                    1.0,
                    Par::Seq,
                );
            }
        }
    });
    println!(
        "kernel 8 × (40×123×40):     {:7.1} µs  {:5.1} GFLOP/s",
        t * 1e6 / reps as f64,
        2.0 * 8.0 * 40.0 * 40.0 * 123.0 * reps as f64 / t / 1e9
    );
}
