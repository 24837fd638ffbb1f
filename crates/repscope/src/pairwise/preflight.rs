//! The peak memory and work of [`pairwise`](super::pairwise) and
//! [`pairwise_streaming`](super::streaming::pairwise_streaming), predicted
//! from the shapes and the measure's [`Footprint`] (see
//! [`crate::preflight`]):
//!
//! ```text
//! in memory:  Σ kept (every prepared state, held to the end)
//!           + the busiest phase's working memory, the largest of
//!               T · prepare               (T prepares at once)
//!               T · score | ⌈n/32⌉ · P    (pairs scored one by one, or all
//!                                          at once from packed Grams)
//!               min(T, B) · Σ kept        (bootstrap: each sample re-prepares
//!                                          every representation)
//!           + P pair slots and the |A| × |B| matrices of results
//! streaming:  T · (2 · kept + a loaded representation + prepare)
//!           + the results
//! ```
//!
//! with T threads, P pairs and B bootstrap samples; the largest
//! representation stands for all in the per-thread terms.

use super::PairwiseOptions;
use crate::measures::{AnyMeasure, Footprint};
use crate::preflight::{Estimate, f64s};

/// What lowers the peak of a pairwise job.
const LOWER: &str = "stream the representations from disk (--stream / rs.pairwise(stream=True)), \
                     use fewer threads (--threads), or compare fewer or smaller representations; \
                     or force it (force=True / --force)";

/// Bytes of `values` float64s (fractional counts rounded up).
fn bytes(values: f64) -> u64 {
    (8.0 * values).ceil() as u64
}

/// The predicted peak memory and work of comparing the representations of
/// shapes `a` (stimuli × units) with those of `b` (or with each other),
/// in memory or streamed from disk.
pub fn estimate_pairwise(
    a: &[(usize, usize)],
    b: Option<&[(usize, usize)]>,
    measure: &dyn AnyMeasure,
    options: &PairwiseOptions,
    stream: bool,
) -> Estimate {
    let info = measure.info();
    let mut e = Estimate::new(format!("pairwise ({})", info.name), LOWER);
    let threads = options
        .threads
        .unwrap_or_else(rayon::current_num_threads)
        .max(1) as f64;
    let width = b.map_or(a.len(), <[_]>::len);
    let mirror = b.is_none() && info.symmetric;
    let pairs = if mirror {
        a.len() * (a.len() + 1) / 2
    } else {
        a.len() * width
    } as f64;
    // Streaming prepares every state for the one score it is loaded for.
    let (partners_a, partners_b) = if stream {
        (1, 1)
    } else {
        options.partners_for(a.len(), b.map(<[_]>::len))
    };
    let each = |shapes: &[(usize, usize)], partners: usize| -> Vec<Footprint> {
        shapes
            .iter()
            .map(|&(n, d)| measure.footprint(n, d, partners))
            .collect()
    };
    let mut all = each(a, partners_a);
    if let Some(b) = b {
        all.extend(each(b, partners_b));
    }
    let most = |f: fn(&Footprint) -> f64| all.iter().map(f).fold(0.0, f64::max);
    let n = a.iter().map(|s| s.0).max().unwrap_or(0) as f64;
    let loaded = a
        .iter()
        .chain(b.into_iter().flatten())
        .map(|(n, d)| (n * d) as f64)
        .fold(0.0, f64::max);
    let kept_total: f64 = all.iter().map(|f| f.kept).sum();
    let prepare_flops: f64 = all.iter().map(|f| f.prepare_flops).sum();
    let score_flops = pairs * most(|f| f.score_flops);
    let results = 1 + 2 * usize::from(options.n_boot > 0) + usize::from(options.n_permutations > 0);
    if stream {
        e.add(
            "per worker: two prepared states, a loaded representation and a prepare",
            bytes(threads * (2.0 * most(|f| f.kept) + loaded + most(|f| f.prepare))),
        );
        let prepares = a.len() as f64
            + if mirror {
                pairs - a.len() as f64
            } else {
                pairs
            };
        e.flops = prepares * most(|f| f.prepare_flops) + score_flops;
    } else {
        e.add("prepared states (all representations)", bytes(kept_total));
        let scoring = if all.iter().all(|f| f.block_scored) {
            (n / 32.0).ceil() * pairs + 2.0 * pairs
        } else {
            threads * most(|f| f.score)
        };
        let boot = threads.min(options.n_boot as f64) * kept_total;
        let phases = [threads * most(|f| f.prepare), scoring, boot];
        e.add(
            "working memory of the busiest phase (prepares, scores or bootstrap samples)",
            bytes(phases.into_iter().fold(0.0, f64::max)),
        );
        e.add(
            "bootstrap values and permutation flags",
            bytes(pairs * options.n_boot as f64 + pairs * options.n_permutations as f64 / 8.0),
        );
        let draws = (options.n_boot + options.n_permutations) as f64;
        e.flops = (1.0 + draws) * (prepare_flops + score_flops);
    }
    e.add(
        "pair slots and result matrices",
        bytes(3.0 * pairs) + f64s(results * a.len() * width),
    );
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{Params, build};

    #[test]
    fn gram_states_grow_with_stimuli_and_streaming_holds_two_per_worker() {
        let cka = build("linear_cka", &Params::new()).unwrap();
        let options = PairwiseOptions {
            threads: Some(2),
            ..PairwiseOptions::default()
        };
        // 12 layers of 2000 × 4000: Gram form (d ≥ n), 2000·2001/2 kept each.
        let shapes = vec![(2000, 4000); 12];
        let e = estimate_pairwise(&shapes, None, cka.as_ref(), &options, false);
        let kept = 12 * f64s(2000 * 2001 / 2 + 2000);
        // Two prepares at once, each a centred copy and a full Gram.
        let preparing = 2 * f64s(2000 * 4000 + 2000 * 2000);
        assert!(e.peak_bytes() > kept + preparing);
        assert!(e.peak_bytes() < kept + preparing + (100 << 20));
        let s = estimate_pairwise(&shapes, None, cka.as_ref(), &options, true);
        assert!(s.peak_bytes() < e.peak_bytes());
        assert!(
            s.flops > e.flops,
            "streaming prepares each row's partners again"
        );
    }
}
