//! Group-level sign-flip permutation test with max-statistic correction
//! (Nichols & Holmes 2002, Hum. Brain Mapp. 15(1)).
//!
//! Each subject contributes one value per test (a searchlight map, a time
//! course of model correlations). Under the null hypothesis the values are
//! symmetric around zero, so flipping the sign of a subject's whole map is
//! as likely as not. The statistic is the one-sample t; one draw flips
//! every subject's sign at random (the same flip for all of its tests,
//! which keeps their dependence), and the family-wise corrected p-value of
//! a test compares its t with the maximum t over all tests of each draw.
//!
//! p-values count the observed assignment as one of the draws:
//! p = (1 + #{draws with t* ≥ t}) / (1 + draws), so they are never 0 and
//! the test is exact in level. Tests with a non-finite value in any
//! subject get NaN and take no part in the maximum.

use faer::MatRef;
use rand::Rng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::rng::seeded;

crate::choice! {
    /// Which deviations from zero count as evidence.
    pub enum Alternative: "alternative hypothesis" {
        /// Effects above zero (one-sided).
        Greater = "greater",
        /// Effects of either sign.
        TwoSided = "two-sided" | "two_sided",
    }
}

/// Per test: the observed t, the uncorrected and the max-corrected p.
#[derive(Clone, Debug)]
pub struct SignFlipResult {
    pub t: Vec<f64>,
    pub p: Vec<f64>,
    pub p_corrected: Vec<f64>,
}

/// The sign-flip test of `values` (subjects × tests) with `n_perm` random
/// draws from `seed`.
pub fn sign_flip_test(
    values: MatRef<'_, f64>,
    n_perm: usize,
    seed: u64,
    alternative: Alternative,
) -> Result<SignFlipResult> {
    let (n, m) = (values.nrows(), values.ncols());
    crate::preflight::check_resamples("sign-flip test", n_perm, n + 1)?;
    if n < 2 || m == 0 {
        return Err(Error::Invalid {
            what: "sign-flip test".into(),
            detail: format!("needs at least 2 subjects and 1 test, got {n} × {m}"),
        });
    }
    if n_perm == 0 {
        return Err(Error::InvalidParameter {
            measure: "sign-flip test".into(),
            detail: "needs at least 1 permutation".into(),
        });
    }
    // NaN marks a missing test (its results are NaN, the others stand);
    // an infinite value has no t statistic.
    if let Some((i, j)) = (0..n).find_map(|i| {
        (0..m)
            .find(|&j| values[(i, j)].is_infinite())
            .map(|j| (i, j))
    }) {
        return Err(Error::NonFinite {
            array: "sign-flip test values".into(),
            row: i,
            col: j,
            value: values[(i, j)],
        });
    }
    let flips = Flips::new(values);
    let statistic = |signs: &[f64]| -> Vec<f64> {
        let t = flips.t(signs);
        match alternative {
            Alternative::Greater => t,
            Alternative::TwoSided => t.into_iter().map(f64::abs).collect(),
        }
    };
    let observed = statistic(&vec![1.0; n]);
    let draws = draws(n, n_perm, seed);
    let (exceed, exceed_max) = draws
        .par_iter()
        .map(|signs| {
            let t = statistic(signs);
            let max = t
                .iter()
                .copied()
                .filter(|v| !v.is_nan())
                .fold(f64::NEG_INFINITY, f64::max);
            let exceed: Vec<usize> = t
                .iter()
                .zip(&observed)
                .map(|(tp, to)| usize::from(tp >= to))
                .collect();
            let exceed_max: Vec<usize> =
                observed.iter().map(|to| usize::from(max >= *to)).collect();
            (exceed, exceed_max)
        })
        .reduce(
            || (vec![0; m], vec![0; m]),
            |(mut a, mut b), (c, d)| {
                a.iter_mut().zip(c).for_each(|(x, y)| *x += y);
                b.iter_mut().zip(d).for_each(|(x, y)| *x += y);
                (a, b)
            },
        );
    let p_of = |count: &[usize]| -> Vec<f64> {
        count
            .iter()
            .zip(&flips.valid)
            .map(|(&c, &ok)| {
                if ok {
                    (1 + c) as f64 / (1 + n_perm) as f64
                } else {
                    f64::NAN
                }
            })
            .collect()
    };
    let t = match alternative {
        // Report the signed t, whichever statistic was tested.
        Alternative::TwoSided => flips.t(&vec![1.0; n]),
        Alternative::Greater => observed,
    };
    Ok(SignFlipResult {
        t,
        p: p_of(&exceed),
        p_corrected: p_of(&exceed_max),
    })
}

/// What every sign flip of one data set (subjects × tests) shares: which
/// tests hold only finite values, and each test's Σx², which a flip leaves
/// unchanged (only the mean changes).
struct Flips<'a> {
    values: MatRef<'a, f64>,
    valid: Vec<bool>,
    sum_sq: Vec<f64>,
}

impl<'a> Flips<'a> {
    fn new(values: MatRef<'a, f64>) -> Self {
        let columns = 0..values.ncols();
        Flips {
            values,
            valid: columns
                .clone()
                .map(|j| values.col(j).iter().all(|v| v.is_finite()))
                .collect(),
            sum_sq: columns
                .map(|j| values.col(j).iter().map(|v| v * v).sum())
                .collect(),
        }
    }

    /// The one-sample t of every test with the subjects' signs flipped by
    /// `signs` (NaN for tests with a non-finite value; ±∞ for a non-zero
    /// mean without variance).
    fn t(&self, signs: &[f64]) -> Vec<f64> {
        let n = self.values.nrows() as f64;
        (0..self.values.ncols())
            .map(|j| {
                if !self.valid[j] {
                    return f64::NAN;
                }
                let mean = self
                    .values
                    .col(j)
                    .iter()
                    .zip(signs)
                    .map(|(v, s)| v * s)
                    .sum::<f64>()
                    / n;
                let var = ((self.sum_sq[j] - n * mean * mean) / (n - 1.0)).max(0.0);
                if var > 0.0 {
                    mean / (var / n).sqrt()
                } else if mean == 0.0 {
                    0.0
                } else {
                    mean.signum() * f64::INFINITY
                }
            })
            .collect()
    }
}

/// `n_perm` random sign vectors for `n` subjects, from one sequential
/// stream: the same seed gives the same p-values on any number of threads.
fn draws(n: usize, n_perm: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = seeded(seed);
    (0..n_perm)
        .map(|_| {
            (0..n)
                .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
                .collect()
        })
        .collect()
}

/// The t a one-sample test of `subjects` values needs for significance at
/// `alpha` (split over both tails for two-sided): the usual cluster-forming
/// threshold.
pub fn t_threshold(alpha: f64, subjects: usize, alternative: Alternative) -> Result<f64> {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let bad = |detail: String| Error::InvalidParameter {
        measure: "cluster test".into(),
        detail,
    };
    if !(alpha > 0.0 && alpha < 1.0) || subjects < 2 {
        return Err(bad(format!(
            "a threshold needs 0 < alpha < 1 and at least 2 subjects, got {alpha} and {subjects}"
        )));
    }
    let t = StudentsT::new(0.0, 1.0, (subjects - 1) as f64).map_err(|e| bad(e.to_string()))?;
    let tail = match alternative {
        Alternative::Greater => alpha,
        Alternative::TwoSided => alpha / 2.0,
    };
    Ok(t.inverse_cdf(1.0 - tail))
}

/// Clusters of a time course and their family-wise p-values.
#[derive(Clone, Debug)]
pub struct ClusterResult {
    pub t: Vec<f64>,
    /// Each cluster's first and one-past-last test, its mass (Σ t) and p.
    pub clusters: Vec<(usize, usize, f64, f64)>,
    /// Per test: the p of the cluster holding it, NaN outside clusters.
    pub p: Vec<f64>,
}

/// Cluster-based sign-flip test of time courses (Maris & Oostenveld 2007,
/// J. Neurosci. Methods 164): runs of adjacent tests with t > `threshold`
/// (|t| > threshold, sign kept within a run, for two-sided) form clusters;
/// a cluster's mass Σ t (Σ |t|) is compared with the largest cluster mass
/// of each sign-flip draw, which controls the family-wise error over the
/// whole time course. Without a `threshold`, the t quantile at p = 0.05
/// (one-sided; 0.025 two-sided) for subjects − 1 degrees of freedom.
pub fn cluster_test(
    values: MatRef<'_, f64>,
    n_perm: usize,
    seed: u64,
    threshold: Option<f64>,
    alternative: Alternative,
) -> Result<ClusterResult> {
    let (n, m) = (values.nrows(), values.ncols());
    crate::preflight::check_resamples("cluster test", n_perm, n + 1)?;
    if n < 2 || m == 0 || n_perm == 0 {
        return Err(Error::Invalid {
            what: "cluster test".into(),
            detail: format!(
                "needs at least 2 subjects, 1 time point and 1 permutation, got {n} × {m} and \
                 {n_perm}"
            ),
        });
    }
    let chain: Vec<Vec<usize>> = (0..m)
        .map(|j| {
            let mut n = Vec::with_capacity(2);
            if j > 0 {
                n.push(j - 1);
            }
            if j + 1 < m {
                n.push(j + 1);
            }
            n
        })
        .collect();
    let g = graph_clusters(values, &chain, n_perm, seed, threshold, alternative)?;
    // On a chain every cluster is a run: first and one-past-last test.
    let mut first = vec![usize::MAX; g.masses.len()];
    let mut last = vec![0; g.masses.len()];
    for (j, label) in g.labels.iter().enumerate() {
        if let Some(c) = *label {
            first[c] = first[c].min(j);
            last[c] = j + 1;
        }
    }
    let clusters = (0..g.masses.len())
        .map(|c| (first[c], last[c], g.masses[c], g.cluster_p[c]))
        .collect();
    Ok(ClusterResult {
        t: g.t,
        clusters,
        p: g.p,
    })
}

/// Clusters over a graph of tests and their family-wise p-values.
#[derive(Clone, Debug)]
pub struct GraphClusterResult {
    pub t: Vec<f64>,
    /// Per test: its cluster, or `None` below the threshold.
    pub labels: Vec<Option<usize>>,
    /// Per cluster (numbered by their lowest test): mass Σ |t| and p.
    pub masses: Vec<f64>,
    pub cluster_p: Vec<f64>,
    /// Per test: the p of its cluster, NaN outside clusters.
    pub p: Vec<f64>,
}

/// The cluster-based sign-flip test of [`cluster_test`] over any graph of
/// tests: `neighbours[j]` lists the tests adjacent to test `j` (taken as
/// undirected); a cluster is a connected set of tests above the threshold
/// with one sign. For channels × time, see [`space_time_neighbours`].
pub fn graph_clusters(
    values: MatRef<'_, f64>,
    neighbours: &[Vec<usize>],
    n_perm: usize,
    seed: u64,
    threshold: Option<f64>,
    alternative: Alternative,
) -> Result<GraphClusterResult> {
    let (n, m) = (values.nrows(), values.ncols());
    crate::preflight::check_resamples("cluster test", n_perm, n + 1)?;
    if n < 2 || m == 0 || n_perm == 0 {
        return Err(Error::Invalid {
            what: "cluster test".into(),
            detail: format!(
                "needs at least 2 subjects, 1 test and 1 permutation, got {n} × {m} and {n_perm}"
            ),
        });
    }
    if neighbours.len() != m {
        return Err(Error::ShapeMismatch {
            what: "cluster test neighbours (one list per test)".into(),
            expected: m,
            found: neighbours.len(),
        });
    }
    let mut graph: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (j, list) in neighbours.iter().enumerate() {
        for &k in list {
            if k >= m {
                return Err(Error::Invalid {
                    what: "cluster test neighbours".into(),
                    detail: format!("test {j} is adjacent to test {k}, but there are {m}"),
                });
            }
            if k != j {
                graph[j].push(k);
                graph[k].push(j);
            }
        }
    }
    for list in &mut graph {
        list.sort_unstable();
        list.dedup();
    }
    let threshold = match threshold {
        Some(t) => t,
        None => t_threshold(0.05, n, alternative)?,
    };
    if !threshold.is_finite() || threshold <= 0.0 {
        return Err(Error::InvalidParameter {
            measure: "cluster test".into(),
            detail: format!("the cluster-forming threshold {threshold} must be a positive t"),
        });
    }
    let sign_of = |v: f64| match alternative {
        Alternative::Greater if v > threshold => 1,
        Alternative::TwoSided if v > threshold => 1,
        Alternative::TwoSided if v < -threshold => -1,
        _ => 0,
    };
    // Connected components of same-sign tests above the threshold, found
    // from the lowest test up (so clusters are numbered by it).
    let components = |t: &[f64]| -> (Vec<Option<usize>>, Vec<f64>) {
        let mut labels = vec![None; m];
        let mut masses = Vec::new();
        let mut stack = Vec::new();
        for j in 0..m {
            let s = sign_of(t[j]);
            if s == 0 || labels[j].is_some() {
                continue;
            }
            let id = masses.len();
            let mut mass = 0.0;
            labels[j] = Some(id);
            stack.push(j);
            while let Some(v) = stack.pop() {
                mass += t[v].abs();
                for &w in &graph[v] {
                    if labels[w].is_none() && sign_of(t[w]) == s {
                        labels[w] = Some(id);
                        stack.push(w);
                    }
                }
            }
            masses.push(mass);
        }
        (labels, masses)
    };
    let flips = Flips::new(values);
    let t = flips.t(&vec![1.0; n]);
    let (labels, masses) = components(&t);
    let max_masses: Vec<f64> = draws(n, n_perm, seed)
        .par_iter()
        .map(|signs| {
            components(&flips.t(signs))
                .1
                .into_iter()
                .fold(0.0, f64::max)
        })
        .collect();
    let cluster_p: Vec<f64> = masses
        .iter()
        .map(|&mass| {
            let exceed = max_masses.iter().filter(|&&mx| mx >= mass).count();
            (1 + exceed) as f64 / (1 + n_perm) as f64
        })
        .collect();
    let p = labels
        .iter()
        .map(|l| l.map_or(f64::NAN, |c| cluster_p[c]))
        .collect();
    Ok(GraphClusterResult {
        t,
        labels,
        masses,
        cluster_p,
        p,
    })
}

/// Fails when a channel is adjacent to a channel beyond the list.
pub fn check_channel_adjacency(adjacency: &[Vec<usize>]) -> Result<()> {
    let channels = adjacency.len();
    for (c, adjacent) in adjacency.iter().enumerate() {
        if let Some(&bad) = adjacent.iter().find(|&&a| a >= channels) {
            return Err(Error::Invalid {
                what: "channel adjacency".into(),
                detail: format!(
                    "channel {c} is adjacent to channel {bad}, but there are {channels}"
                ),
            });
        }
    }
    Ok(())
}

/// Neighbours of channels × time points (test `c · times + t`): the same
/// channel at t ± 1, and the adjacent channels at t.
pub fn space_time_neighbours(adjacency: &[Vec<usize>], times: usize) -> Result<Vec<Vec<usize>>> {
    check_channel_adjacency(adjacency)?;
    let channels = adjacency.len();
    let mut out = Vec::with_capacity(channels * times);
    for (c, adjacent) in adjacency.iter().enumerate() {
        for t in 0..times {
            let mut list: Vec<usize> = adjacent
                .iter()
                .filter(|&&a| a != c)
                .map(|&a| a * times + t)
                .collect();
            if t > 0 {
                list.push(c * times + t - 1);
            }
            if t + 1 < times {
                list.push(c * times + t + 1);
            }
            out.push(list);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::gaussian;

    #[test]
    fn a_real_effect_is_found_and_the_seed_fixes_the_result() {
        let mut x = gaussian(12, 30, 5);
        for i in 0..12 {
            x[(i, 7)] += 2.0;
        }
        let r = sign_flip_test(x.as_ref(), 500, 1, Alternative::Greater).unwrap();
        assert!(r.p_corrected[7] < 0.01, "{}", r.p_corrected[7]);
        assert!(r.p_corrected.iter().zip(&r.p).all(|(c, p)| c >= p));
        let again = sign_flip_test(x.as_ref(), 500, 1, Alternative::Greater).unwrap();
        assert_eq!(r.p_corrected, again.p_corrected);
        let two = sign_flip_test(x.as_ref(), 500, 1, Alternative::TwoSided).unwrap();
        assert!(two.t[7] > 3.0 && two.p[7] < 0.01);
        x[(3, 2)] = f64::NAN;
        let r = sign_flip_test(x.as_ref(), 100, 1, Alternative::Greater).unwrap();
        assert!(r.p[2].is_nan() && r.t[2].is_nan() && r.p[7].is_finite());
    }

    #[test]
    fn the_default_threshold_is_the_t_quantile() {
        // scipy.stats.t.ppf(0.95, 9) and t.ppf(0.975, 9).
        let one = t_threshold(0.05, 10, Alternative::Greater).unwrap();
        let two = t_threshold(0.05, 10, Alternative::TwoSided).unwrap();
        assert!((one - 1.833112932656237).abs() < 1e-9, "{one}");
        assert!((two - 2.262157162798205).abs() < 1e-9, "{two}");
    }

    #[test]
    fn a_sustained_effect_forms_one_significant_cluster() {
        let mut x = gaussian(14, 40, 9);
        for i in 0..14 {
            for j in 15..25 {
                x[(i, j)] += 1.5;
            }
        }
        let r = cluster_test(x.as_ref(), 500, 2, Some(2.0), Alternative::Greater).unwrap();
        let best = r
            .clusters
            .iter()
            .min_by(|a, b| a.3.total_cmp(&b.3))
            .unwrap();
        assert!(best.0 >= 13 && best.1 <= 27 && best.3 < 0.01, "{best:?}");
        assert!(r.p[20] < 0.01);
        assert!(r.p[0].is_nan() || r.p[0] > 0.05);
        let again = cluster_test(x.as_ref(), 500, 2, Some(2.0), Alternative::Greater).unwrap();
        assert_eq!(
            r.p.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            again.p.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn space_time_clusters_connect_channels_and_times_and_repeat_with_the_seed() {
        // 4 channels in a line (0-1-2-3) × 6 times; an effect on channels
        // 1 and 2 at times 2-3 is one cluster, one on channel 0 at time 5
        // another (not adjacent to it in space and time).
        let (channels, times) = (4, 6);
        let mut x = gaussian(10, channels * times, 3);
        for i in 0..10 {
            for (c, t) in [(1, 2), (1, 3), (2, 3), (0, 5)] {
                x[(i, c * times + t)] += 4.0;
            }
        }
        let adjacency = vec![vec![1], vec![0, 2], vec![1, 3], vec![2]];
        let n = space_time_neighbours(&adjacency, times).unwrap();
        assert!(n[times + 2].contains(&(2 * times + 2)) && n[times + 2].contains(&(times + 3)));
        let r = graph_clusters(x.as_ref(), &n, 200, 4, Some(3.0), Alternative::Greater).unwrap();
        let a = r.labels[times + 2].unwrap();
        assert_eq!(r.labels[times + 3], Some(a));
        assert_eq!(r.labels[2 * times + 3], Some(a));
        assert_ne!(r.labels[5], Some(a));
        let again =
            graph_clusters(x.as_ref(), &n, 200, 4, Some(3.0), Alternative::Greater).unwrap();
        assert_eq!(format!("{:?}", r.p), format!("{:?}", again.p));
        // One thread gives the same numbers.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let one = pool
            .install(|| graph_clusters(x.as_ref(), &n, 200, 4, Some(3.0), Alternative::Greater))
            .unwrap();
        assert_eq!(format!("{:?}", one.p), format!("{:?}", r.p));
    }
}
