//! Where exact search spends its time: the blocked GEMM alone (several
//! chunk/block shapes) against the whole `compress::search` (GEMM +
//! selection + checks) on 100,000 × 384 float32 vectors and 1,000 queries.
//! `cargo run --release -p repscope --example search_profile`

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rayon::prelude::*;
use std::time::Instant;
fn main() {
    let (n, d, m) = (100_000usize, 384usize, 1000usize);
    let g = repscope::rng::gaussian_matrix(n, d, 1);
    let c = Mat::<f32>::from_fn(n, d, |i, j| g[(i, j)] as f32);
    let g = repscope::rng::gaussian_matrix(m, d, 2);
    let q = Mat::<f32>::from_fn(m, d, |i, j| g[(i, j)] as f32);
    // row-major corpus like numpy: store transposed
    let ct = c.transpose().to_owned(); // d x n col-major => ct.transpose() is n x d row-major
    let crm = ct.transpose();
    let qt = q.transpose().to_owned();
    let qrm = qt.transpose();
    for (qc, cb) in [(256usize, 2048usize), (128, 4096), (512, 1024), (256, 8192)] {
        let t = Instant::now();
        (0..m.div_ceil(qc)).into_par_iter().for_each(|chunk| {
            let s = chunk * qc;
            let rows = qc.min(m - s);
            let qq = qrm.subrows(s, rows);
            let mut tile = Mat::<f32>::zeros(rows, cb);
            let mut from = 0;
            while from < n {
                let len = cb.min(n - from);
                matmul(
                    tile.as_mut().subcols_mut(0, len),
                    Accum::Replace,
                    qq,
                    crm.subrows(from, len).transpose(),
                    1.0f32,
                    Par::Seq,
                );
                from += len;
            }
            std::hint::black_box(&tile);
        });
        let gemm = t.elapsed().as_secs_f64();
        println!(
            "chunk {qc} block {cb}: gemm only {gemm:.3}s = {:.0} GFLOP/s",
            2.0 * (n * m * d) as f64 / gemm / 1e9
        );
    }
    for k in [1, 10, 100] {
        let t = Instant::now();
        let r = repscope::compress::search::search(
            qrm,
            crm,
            k,
            repscope::compress::search::Metric::Cosine,
        )
        .unwrap();
        println!("full cosine search k={k} {:.3}s", t.elapsed().as_secs_f64());
        std::hint::black_box(r);
    }
    let t = Instant::now();
    let mut out = Mat::<f32>::zeros(m, 8192);
    let mut from = 0;
    while from < n {
        let len = 8192.min(n - from);
        matmul(
            out.as_mut().subcols_mut(0, len),
            Accum::Replace,
            qrm,
            crm.subrows(from, len).transpose(),
            1.0f32,
            Par::rayon(2),
        );
        from += len;
    }
    println!(
        "faer parallel gemm (all queries, 8192 blocks) {:.3}s",
        t.elapsed().as_secs_f64()
    );
}
