//! Times the stages of a layer × layer linear CKA job (for profiling).
//! `cargo run --release -p repscope --example cka_stages [layers] [n] [d]`
use std::time::Instant;

use repscope::measures::{PrepareContext, build};
use repscope::rng::gaussian_matrix;
use repscope::{PairwiseOptions, RepRef};

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<usize>().unwrap_or(0));
    let layers = args.next().filter(|&v| v > 0).unwrap_or(12);
    let n = args.next().filter(|&v| v > 0).unwrap_or(5000);
    let d = args.next().filter(|&v| v > 0).unwrap_or(768);
    let mats: Vec<_> = (0..layers)
        .map(|i| gaussian_matrix(n, d, i as u64))
        .collect();
    let names: Vec<String> = (0..layers).map(|i| format!("l{i}")).collect();
    let reps: Vec<RepRef<'_>> = names
        .iter()
        .zip(&mats)
        .map(|(name, x)| RepRef {
            name,
            x: x.as_ref(),
        })
        .collect();
    for form in ["features", "gram"] {
        let mut p = repscope::measures::Params::new();
        p.insert(
            "form".into(),
            repscope::measures::ParamValue::Text(form.into()),
        );
        let m = build("linear_cka", &p).unwrap();
        let ctx = PrepareContext {
            par: faer::Par::Seq,
            partners: layers,
        };
        let t = Instant::now();
        let one = m.prepare(reps[0], &ctx).unwrap();
        let prep = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let _ = m.score(&one, &one, faer::Par::Seq);
        let t_self = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let r = repscope::pairwise(
            &reps,
            None,
            m.as_ref(),
            &PairwiseOptions::default(),
            &|_| {},
        )
        .unwrap();
        println!(
            "{form}: one prepare {prep:.3}s, self-score {t_self:.4}s, whole job {:.3}s, v01 {}",
            t.elapsed().as_secs_f64(),
            r.values[(0, 1)]
        );
    }
}
