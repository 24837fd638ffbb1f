//! The peak memory and work of [`rdm`](super::rdm), predicted from the
//! sizes alone (see [`crate::preflight`]). Each part mirrors an allocation
//! of `dissimilarity.rs`:
//!
//! ```text
//! peak = patterns      p·k (transposed copy) [+ k·p condition means]
//!      + working copy  p·k (correlation, cosine: unit columns; poisson: rates
//!                           and logs, 2·p·k; mahalanobis with Λ: Λ·M)
//!      | crossnobis    4·F·k·p fold means (training and test, then stacked)
//!                      [+ F·p·k with Λ]
//!      + output        k(k−1)/2
//!      + kernel blocks threads · block rows · (k − r0) [· 2 for crossnobis]
//! ```
//!
//! (k conditions, or rows without conditions; p channels; F folds), all
//! in float64, with floating-point work ≈ k²·p (one triangle of the
//! kernel, and for crossnobis F·k²·p for each of its two products).

use super::condensed::n_pairs;
use super::dissimilarity::{RdmMethod, RdmSpec, block_rows};
use super::folds::cell_counts;
use crate::preflight::{Estimate, f64s};

/// What lowers an RDM's peak.
const LOWER: &str = "average the rows into conditions (conditions=... / --conditions), use \
                     fewer conditions or channels, or split the channels into regions; or force \
                     it (force=True / --force)";

/// Conditions of an RDM of `rows` rows: the labels', or one per row.
fn conditions(rows: usize, spec: &RdmSpec<'_>) -> usize {
    spec.conditions
        .map_or(rows, |c| c.iter().max().map_or(0, |m| m + 1))
}

/// The predicted peak of one `rdm` after another on representations of
/// `rows` rows and `channels` each (a set, as `repscope rdm` computes it):
/// the widest one's working memory, and the others' RDMs, which are kept;
/// the work of all.
pub fn estimate_rdms(rows: usize, channels: &[usize], spec: &RdmSpec<'_>) -> Estimate {
    let widest = channels.iter().copied().max().unwrap_or(0);
    let mut e = estimate_rdm(rows, widest, spec);
    e.flops = channels
        .iter()
        .map(|&p| estimate_rdm(rows, p, spec).flops)
        .sum();
    if channels.len() > 1 {
        let others = (channels.len() - 1) * n_pairs(conditions(rows, spec));
        e.add("the other representations' RDMs", f64s(others));
    }
    e
}

/// The predicted peak memory and work of `rdm` on `rows` × `channels` data
/// with `spec` (its labels, method and precision; no data is read).
pub fn estimate_rdm(rows: usize, channels: usize, spec: &RdmSpec<'_>) -> Estimate {
    let k = conditions(rows, spec);
    let p = channels;
    let threads = rayon::current_num_threads();
    let mut e = Estimate::new(format!("rdm ({})", spec.method.name()), LOWER);
    let one_block = f64s(block_rows(k) * k);
    let means = f64s(p * k);
    match spec.method {
        RdmMethod::Crossnobis | RdmMethod::PoissonCv => {
            let folds = match (spec.conditions, spec.folds) {
                (Some(c), Some(f)) if c.len() == f.len() => cell_counts(c, f, k).2.len(),
                _ => 0,
            };
            e.add("fold means, training and test", 2 * f64s(folds * k * p));
            e.add("fold means stacked by fold", 2 * f64s(folds * k * p));
            if spec.precision.is_some() {
                e.add("training means times the precision", f64s(folds * k * p));
            }
            e.add(
                "kernel blocks (all threads, both products)",
                threads as u64 * 2 * one_block,
            );
            e.flops = 2.0 * (folds * k * k * p) as f64;
        }
        method => {
            if spec.conditions.is_some() {
                e.add("condition means", means);
            }
            e.add("patterns, transposed", means);
            let copies = match method {
                RdmMethod::Correlation | RdmMethod::Cosine => 1,
                RdmMethod::Mahalanobis if spec.precision.is_some() => 1,
                RdmMethod::Poisson => 2,
                _ => 0,
            };
            if copies > 0 {
                e.add("working copies of the patterns", copies * means);
            }
            e.add("kernel blocks (all threads)", threads as u64 * one_block);
            e.flops = (k * k * p) as f64;
            if method == RdmMethod::Mahalanobis && spec.precision.is_some() {
                e.flops += 2.0 * (p * p * k) as f64;
            }
        }
    }
    e.add("output (condensed RDM)", f64s(n_pairs(k)));
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_output_dominates_many_conditions_and_folds_multiply_crossnobis() {
        let plain = estimate_rdm(20_000, 50, &RdmSpec::new(RdmMethod::Euclidean));
        let output = f64s(n_pairs(20_000));
        assert!(plain.peak_bytes() >= output && plain.peak_bytes() < output + (200 << 20));
        let conditions: Vec<usize> = (0..400).map(|i| i % 40).collect();
        let folds: Vec<usize> = (0..400).map(|i| i / 40).collect();
        let spec = RdmSpec {
            conditions: Some(&conditions),
            folds: Some(&folds),
            ..RdmSpec::new(RdmMethod::Crossnobis)
        };
        // A set: the widest one's peak and the two other RDMs kept.
        let set = estimate_rdms(20_000, &[50, 80, 20], &RdmSpec::new(RdmMethod::Euclidean));
        let widest = estimate_rdm(20_000, 80, &RdmSpec::new(RdmMethod::Euclidean));
        assert_eq!(set.peak_bytes(), widest.peak_bytes() + 2 * output);
        assert!(set.flops > widest.flops);
        let cv = estimate_rdm(400, 10_000, &spec);
        // 10 folds · 40 conditions · 10,000 channels, four copies.
        assert!(cv.peak_bytes() >= 4 * f64s(10 * 40 * 10_000));
        assert!(cv.flops >= 2.0 * 10.0 * 40.0 * 40.0 * 10_000.0);
    }
}
