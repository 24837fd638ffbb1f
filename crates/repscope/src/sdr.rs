//! Sparse distributed representations: the combinatorics of Ahmad & Hawkins
//! (2016, *How do neurons operate on sparse distributed representations?*).
//!
//! Everything is computed in log space, so populations of 100,000 cells and
//! thousands of active bits neither overflow nor lose the tiny
//! probabilities that make SDRs robust.

use faer::MatRef;

use crate::error::{Error, Result};

/// The active units per code for a `sparsity` (fraction of units on):
/// round(sparsity · units), halves away from zero, at least 1 and at most
/// `units` (the rule of the `sdr_overlap` measure and `rs.sdr_encode`).
pub fn active_units(units: usize, sparsity: f64) -> usize {
    ((sparsity * units as f64).round() as usize).clamp(1, units.max(1))
}

/// Refuses codes with no active unit (`k` = 0): every code would be empty
/// and every overlap zero. A `k` above the units turns every unit on.
pub fn check_active(k: usize) -> Result<()> {
    if k == 0 {
        return Err(Error::OutOfRange {
            what: "k (active units per code)".into(),
            value: "0".into(),
            expected: "at least 1".into(),
        });
    }
    Ok(())
}

/// The SDR of each row of a dense representation: the indices of its `k`
/// largest entries, ascending. Ties go to the lower index, so the code is
/// deterministic (e.g. for ReLU outputs with many equal zeros).
pub fn encode(x: MatRef<'_, f64>, k: usize) -> Vec<Vec<u32>> {
    let p = x.ncols();
    let k = k.min(p);
    (0..x.nrows())
        .map(|i| {
            let row: Vec<f64> = (0..p).map(|j| x[(i, j)]).collect();
            let mut order: Vec<u32> = (0..p as u32).collect();
            let larger_first =
                |a: &u32, b: &u32| row[*b as usize].total_cmp(&row[*a as usize]).then(a.cmp(b));
            if k < p {
                order.select_nth_unstable_by(k, larger_first);
            }
            let mut on = order[..k].to_vec();
            on.sort_unstable();
            on
        })
        .collect()
}

/// Number of indices two ascending index lists share.
pub fn overlap(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

/// ln C(n, k), summed as Σ ln((n − k + i) / i) over the smaller of k and
/// n − k: every term is accurate to rounding, so the sum is accurate to
/// about k ulps (a difference of ln-factorials of 10⁶ would lose digits).
pub fn ln_choose(n: u64, k: u64) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    let k = k.min(n - k);
    (1..=k).map(|i| ((n - k + i) as f64 / i as f64).ln()).sum()
}

/// ln(Σ exp(vᵢ)) without overflow; −∞ for no terms.
fn ln_sum_exp(values: &[f64]) -> f64 {
    let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if top == f64::NEG_INFINITY {
        return top;
    }
    top + values.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
}

fn invalid(detail: String) -> Error {
    Error::InvalidParameter {
        measure: "sdr".into(),
        detail,
    }
}

/// Probability that a random SDR with `a` of `n` bits on matches a
/// dendritic segment of `s` synapses (onto distinct cells) in at least
/// `theta` of them: Σ_{b=θ}^{s} C(s, b) C(n − s, a − b) / C(n, a)
/// (Ahmad & Hawkins 2016, eq. 3).
pub fn false_match(n: u64, a: u64, s: u64, theta: u64) -> Result<f64> {
    if a > n || s > n {
        return Err(invalid(format!(
            "the SDR has {a} active bits and the segment {s} synapses, but there are only \
             {n} cells; both must be at most n"
        )));
    }
    if theta == 0 {
        return Ok(1.0);
    }
    let ln_total = ln_choose(n, a);
    let terms: Vec<f64> = (theta..=s.min(a))
        .filter(|&b| a - b <= n - s)
        .map(|b| ln_choose(s, b) + ln_choose(n - s, a - b) - ln_total)
        .collect();
    Ok(ln_sum_exp(&terms).exp().min(1.0))
}

/// Expected fraction of bits on in the union of `m` random SDRs with `w` of
/// `n` bits on each: 1 − (1 − w/n)^m (Ahmad & Hawkins 2016, eq. 8).
pub fn union_density(n: u64, w: u64, m: u64) -> Result<f64> {
    if n == 0 || w > n {
        return Err(invalid(format!(
            "each SDR has {w} active bits of {n}: need 0 < n and w <= n"
        )));
    }
    Ok(-((m as f64) * (-(w as f64) / n as f64).ln_1p()).exp_m1())
}

/// Probability that a new random SDR with `w` bits on matches the union of
/// `m` stored SDRs (each `w` of `n` bits) in at least `theta` bits: a
/// binomial tail with the union density as the chance that each of its bits
/// is on (bits treated as independent, as in Ahmad & Hawkins 2016, eq. 9).
pub fn union_false_match(n: u64, w: u64, m: u64, theta: u64) -> Result<f64> {
    let p = union_density(n, w, m)?;
    if theta == 0 {
        return Ok(1.0);
    }
    if p == 0.0 {
        return Ok(0.0);
    }
    if p == 1.0 {
        return Ok(if theta <= w { 1.0 } else { 0.0 });
    }
    let (lp, lq) = (p.ln(), (-p).ln_1p());
    let terms: Vec<f64> = (theta..=w)
        .map(|b| ln_choose(w, b) + b as f64 * lp + (w - b) as f64 * lq)
        .collect();
    Ok(ln_sum_exp(&terms).exp().min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(ours: f64, published: f64, digits: i32) {
        let rel = (ours - published).abs() / published;
        assert!(
            rel < 0.5 * 10f64.powi(1 - digits),
            "{ours:e} vs published {published:e}"
        );
    }

    #[test]
    fn published_false_match_probabilities() {
        close(false_match(10_000, 300, 24, 12).unwrap(), 8.3758e-13, 5);
        close(false_match(100_000, 2000, 6, 6).unwrap(), 6.3531e-11, 5);
        close(false_match(100_000, 2000, 12, 6).unwrap(), 5.2939e-8, 5);
        close(false_match(100_000, 2000, 40, 10).unwrap(), 4.9154e-9, 5);
        close(false_match(100_000, 2000, 80, 10).unwrap(), 4.6257e-6, 5);
        close(union_density(2000, 40, 20).unwrap(), 0.332392, 6);
    }

    #[test]
    fn small_cases_equal_exact_counting() {
        // n = 12, a = 5, s = 4: count every 5-subset by brute force.
        let (n, a, s) = (12u32, 5u32, 4u32);
        for theta in 0..=s {
            let hits = (0u32..1 << n)
                .filter(|m| m.count_ones() == a && (m & ((1 << s) - 1)).count_ones() >= theta)
                .count() as f64;
            let total = (0u32..1 << n).filter(|m| m.count_ones() == a).count() as f64;
            let p = false_match(n.into(), a.into(), s.into(), theta.into()).unwrap();
            assert!((p - hits / total).abs() < 1e-14, "theta {theta}");
        }
    }

    #[test]
    fn encoding_keeps_the_k_largest_with_ties_to_the_lower_index() {
        let x = faer::mat![[0.5, 2.0, 0.0, 2.0, 1.0], [0.0, 0.0, 0.0, 0.0, 3.0]];
        assert_eq!(encode(x.as_ref(), 2), vec![vec![1, 3], vec![0, 4]]);
        assert_eq!(encode(x.as_ref(), 9)[0], vec![0, 1, 2, 3, 4]);
        assert_eq!(overlap(&[1, 3, 7], &[0, 3, 7, 9]), 2);
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert!(false_match(10, 3, 11, 2).is_err());
        assert!(false_match(10, 11, 3, 2).is_err());
        assert!(union_density(10, 11, 2).is_err());
    }
}
