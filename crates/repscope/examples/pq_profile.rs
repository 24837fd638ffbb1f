//! Time of product-quantiser training (k-means per sub-space) and of
//! encoding, on 20,000 × 384 vectors with M = 48, nbits = 8: the shapes of
//! `bench/compress_binary.py`, without Python around them.
//! `cargo run --release -p repscope --example pq_profile`

use std::time::Instant;

use faer::Mat;
use repscope::compress::pq::{PqOptions, ProductQuantizer};

fn main() {
    let (n, d) = (20_000usize, 384usize);
    let noise = repscope::rng::gaussian_matrix(n, d, 1);
    let basis = repscope::rng::gaussian_matrix(64, d, 2);
    let weights = repscope::rng::gaussian_matrix(n, 64, 3);
    let x = Mat::from_fn(n, d, |i, j| {
        (0..64)
            .map(|r| weights[(i, r)] * basis[(r, j)])
            .sum::<f64>()
            * 0.2
            + noise[(i, j)]
    });
    let options = PqOptions::new(48, 8);
    for _ in 0..2 {
        let start = Instant::now();
        let pq = ProductQuantizer::train(x.as_ref(), &options).expect("training");
        let train = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let codes = pq.encode(x.as_ref()).expect("encoding");
        let encode = start.elapsed().as_secs_f64();
        let checksum: u64 = codes.iter().map(|&c| u64::from(c)).sum();
        println!("train {train:.3} s, encode {encode:.3} s, code checksum {checksum}");
    }
}
