//! Ranks and rank correlations.
//!
//! - [`average_ranks`]: ranks 1..m with ties given their mean rank
//!   (scipy `rankdata(method="average")`).
//! - [`kendall_counts`]: the pair counts behind Kendall's τ in O(m log m),
//!   Knight (1966), "A Computer Method for Calculating Kendall's Tau with
//!   Ungrouped Data", JASA 61(314): sort by one variable, then count the
//!   exchanges a merge sort of the other needs.

/// Ranks of `v` (1-based), ties averaged. NaN must have been removed.
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![0.0; v.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && v[order[end]] == v[order[start]] {
            end += 1;
        }
        // Positions start..end (0-based) share ranks start+1 ..= end.
        let rank = (start + 1 + end) as f64 / 2.0;
        order[start..end].iter().for_each(|&i| ranks[i] = rank);
        start = end;
    }
    ranks
}

/// Pair counts for Kendall's τ of two equally long vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KendallCounts {
    /// All pairs, m (m − 1) / 2.
    pub pairs: u64,
    /// Pairs tied in the first vector.
    pub ties_a: u64,
    /// Pairs tied in the second vector.
    pub ties_b: u64,
    /// Pairs tied in both.
    pub ties_both: u64,
    /// Discordant pairs (untied in both, opposite order).
    pub discordant: u64,
}

impl KendallCounts {
    /// Concordant minus discordant pairs.
    pub fn score(&self) -> f64 {
        let untied = self.pairs + self.ties_both - self.ties_a - self.ties_b;
        untied as f64 - 2.0 * self.discordant as f64
    }

    /// τ_a: (C − D) over all pairs.
    pub fn tau_a(&self) -> f64 {
        self.score() / self.pairs as f64
    }

    /// τ_b: (C − D) over the geometric mean of pairs untied in each vector.
    pub fn tau_b(&self) -> f64 {
        let da = (self.pairs - self.ties_a) as f64;
        let db = (self.pairs - self.ties_b) as f64;
        self.score() / (da * db).sqrt()
    }
}

/// Counts of concordance and ties in O(m log m).
pub fn kendall_counts(a: &[f64], b: &[f64]) -> KendallCounts {
    let m = a.len().min(b.len());
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| a[i].total_cmp(&a[j]).then(b[i].total_cmp(&b[j])));
    let tied_pairs =
        |runs: &mut dyn Iterator<Item = u64>| runs.map(|n| n * (n - 1) / 2).sum::<u64>();

    let mut runs_a = Vec::new();
    let mut runs_both = Vec::new();
    let (mut ra, mut rb) = (1u64, 1u64);
    for w in order.windows(2) {
        let (i, j) = (w[0], w[1]);
        if a[i] == a[j] {
            ra += 1;
            if b[i] == b[j] {
                rb += 1;
            } else {
                runs_both.push(rb);
                rb = 1;
            }
        } else {
            runs_a.push(ra);
            runs_both.push(rb);
            ra = 1;
            rb = 1;
        }
    }
    runs_a.push(ra);
    runs_both.push(rb);

    // Sort the b values (in a-order) by merge sort, counting exchanges.
    let mut values: Vec<f64> = order.iter().map(|&i| b[i]).collect();
    let mut buffer = values.clone();
    let discordant = merge_count(&mut values, &mut buffer);

    let mut runs_b = Vec::new();
    let mut r = 1u64;
    for w in values.windows(2) {
        if w[0] == w[1] {
            r += 1;
        } else {
            runs_b.push(r);
            r = 1;
        }
    }
    runs_b.push(r);

    let m = m as u64;
    KendallCounts {
        pairs: m * m.saturating_sub(1) / 2,
        ties_a: tied_pairs(&mut runs_a.into_iter()),
        ties_b: tied_pairs(&mut runs_b.into_iter()),
        ties_both: tied_pairs(&mut runs_both.into_iter()),
        discordant,
    }
}

/// Sorts `v` ascending, returning the number of pairs i < j with v[i] > v[j].
fn merge_count(v: &mut [f64], buffer: &mut [f64]) -> u64 {
    let n = v.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let (left_buf, right_buf) = buffer.split_at_mut(mid);
    let mut count = {
        let (left, right) = v.split_at_mut(mid);
        merge_count(left, left_buf) + merge_count(right, right_buf)
    };
    buffer[..n].copy_from_slice(v);
    let (left, right) = buffer[..n].split_at(mid);
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < left.len() && j < right.len() {
        if right[j] < left[i] {
            v[k] = right[j];
            j += 1;
            count += (left.len() - i) as u64;
        } else {
            v[k] = left[i];
            i += 1;
        }
        k += 1;
    }
    v[k..k + left.len() - i].copy_from_slice(&left[i..]);
    let k = k + left.len() - i;
    v[k..].copy_from_slice(&right[j..]);
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(a: &[f64], b: &[f64]) -> KendallCounts {
        let m = a.len();
        let mut c = KendallCounts {
            pairs: 0,
            ties_a: 0,
            ties_b: 0,
            ties_both: 0,
            discordant: 0,
        };
        for i in 0..m {
            for j in i + 1..m {
                c.pairs += 1;
                let (da, db) = (a[i] - a[j], b[i] - b[j]);
                c.ties_a += u64::from(da == 0.0);
                c.ties_b += u64::from(db == 0.0);
                c.ties_both += u64::from(da == 0.0 && db == 0.0);
                c.discordant += u64::from(da * db < 0.0);
            }
        }
        c
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]),
            [4.0, 1.0, 4.0, 2.0, 4.0]
        );
    }

    #[test]
    fn knight_counts_equal_brute_force_with_and_without_ties() {
        let mut state = 7u64;
        let mut next = |levels: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) % levels) as f64
        };
        for levels in [3, 10, 1000] {
            let a: Vec<f64> = (0..200).map(|_| next(levels)).collect();
            let b: Vec<f64> = (0..200).map(|_| next(levels)).collect();
            assert_eq!(kendall_counts(&a, &b), brute(&a, &b), "levels {levels}");
        }
    }
}
