//! faer's f64 GEMM throughput at the shape of the CKA benchmark (XᵀY with
//! X, Y of 5000 × 768), one thread and all threads: the peak that
//! bench/cka_layers.py compares repscope's layer × layer CKA with.
//!
//! `cargo run --release -p repscope --example gemm_peak [n] [d]`

use std::time::Instant;

use faer::Par;
use repscope::linalg::cross_product;
use repscope::rng::gaussian_matrix;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().unwrap_or(0));
    let n = args.next().filter(|&v| v > 0).unwrap_or(5000);
    let d = args.next().filter(|&v| v > 0).unwrap_or(768);
    let x = gaussian_matrix(n, d, 1);
    let y = gaussian_matrix(n, d, 2);
    let flops = 2.0 * n as f64 * d as f64 * d as f64;
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    for (label, par) in [("1 thread", Par::Seq), ("all threads", Par::rayon(threads))] {
        let _ = cross_product(x.as_ref(), y.as_ref(), par); // warm-up
        let reps = 5;
        let start = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(cross_product(x.as_ref(), y.as_ref(), par));
        }
        let secs = start.elapsed().as_secs_f64() / reps as f64;
        println!(
            "{{\"threads\": \"{label}\", \"n\": {n}, \"d\": {d}, \"seconds\": {secs:.4}, \"gflops\": {:.2}}}",
            flops / secs / 1e9
        );
    }
}
