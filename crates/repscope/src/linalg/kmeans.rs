//! k-means (Lloyd's iterations from k-means++ seeds), seeded.
//!
//! The same seed gives the same clustering on any machine: every restart
//! draws from one ChaCha stream, points are visited in order, and ties
//! (equal distances) go to the lower centroid index. Of `n_init` restarts
//! the one with the lowest inertia (sum of squared distances to the
//! assigned centroid) wins; on equal inertia the earlier one.

use faer::{Mat, MatRef};
use rand::Rng;

use super::centroids::{CentroidTable, PointTable};
use crate::error::{Error, Result};
use crate::rng::seeded;

/// Settings of [`kmeans`].
#[derive(Clone, Debug)]
pub struct KMeansOptions {
    /// Number of clusters.
    pub k: usize,
    /// Independent restarts; the best is kept.
    pub n_init: usize,
    /// Lloyd iterations per restart at most.
    pub max_iter: usize,
    pub seed: u64,
}

impl Default for KMeansOptions {
    fn default() -> Self {
        KMeansOptions {
            k: 8,
            n_init: 10,
            max_iter: 300,
            seed: 0,
        }
    }
}

/// A clustering of the rows.
#[derive(Clone, Debug)]
pub struct KMeans {
    /// `k × d` centroids.
    pub centroids: Mat<f64>,
    /// Cluster of each row.
    pub labels: Vec<usize>,
    /// Sum of squared distances of the rows to their centroid.
    pub inertia: f64,
}

/// Clusters the rows of `x` (`n × d`) into `options.k` groups.
pub fn kmeans(x: MatRef<'_, f64>, options: &KMeansOptions) -> Result<KMeans> {
    let (n, d) = (x.nrows(), x.ncols());
    let k = options.k;
    if k == 0 || k > n {
        return Err(Error::Invalid {
            what: "k-means".into(),
            detail: format!("cannot form {k} clusters from {n} points; use 1 ≤ k ≤ {n}"),
        });
    }
    if let Some((i, j)) = (0..n)
        .flat_map(|i| (0..d).map(move |j| (i, j)))
        .find(|&(i, j)| !x[(i, j)].is_finite())
    {
        return Err(Error::Invalid {
            what: "k-means".into(),
            detail: format!("point {i} has a non-finite coordinate {j} ({})", x[(i, j)]),
        });
    }
    // Row-major copy: every distance walks one point's coordinates.
    let points: Vec<f64> = (0..n)
        .flat_map(|i| (0..d).map(move |j| x[(i, j)]))
        .collect();
    let mut rng = seeded(options.seed);
    let mut best: Option<(Vec<f64>, Vec<usize>, f64)> = None;
    for _ in 0..options.n_init.max(1) {
        let centroids = plus_plus(&points, n, d, k, &mut rng);
        let run = lloyd(&points, n, d, centroids, options.max_iter);
        if best.as_ref().is_none_or(|b| run.2 < b.2) {
            best = Some(run);
        }
    }
    let (c, labels, inertia) = best.expect("at least one restart runs");
    Ok(KMeans {
        centroids: Mat::from_fn(k, d, |a, j| c[a * d + j]),
        labels,
        inertia,
    })
}

/// k-means++ seeding: the first centre uniformly at random, each next one
/// with probability proportional to the squared distance to the nearest
/// centre so far.
fn plus_plus(points: &[f64], n: usize, d: usize, k: usize, rng: &mut impl Rng) -> Vec<f64> {
    let row = |i: usize| &points[i * d..(i + 1) * d];
    let mut centroids = Vec::with_capacity(k * d);
    centroids.extend_from_slice(row(rng.random_range(0..n)));
    // Every point's distance to its nearest centre so far; each new centre
    // lowers them (points coordinate-major, summed side by side).
    let table = PointTable::new(points, d);
    let mut nearest = vec![f64::INFINITY; n];
    table.lower_to(&centroids[..d], &mut nearest);
    for _ in 1..k {
        let total: f64 = nearest.iter().sum();
        let chosen = if total > 0.0 {
            let mut target = rng.random::<f64>() * total;
            let mut pick = n - 1;
            for (i, &w) in nearest.iter().enumerate() {
                if target < w {
                    pick = i;
                    break;
                }
                target -= w;
            }
            pick
        } else {
            // All points coincide with a centre: any point will do.
            rng.random_range(0..n)
        };
        let start = centroids.len();
        centroids.extend_from_slice(row(chosen));
        table.lower_to(&centroids[start..start + d], &mut nearest);
    }
    centroids
}

/// Lloyd's iterations until no point changes cluster.
fn lloyd(
    points: &[f64],
    n: usize,
    d: usize,
    mut centroids: Vec<f64>,
    max_iter: usize,
) -> (Vec<f64>, Vec<usize>, f64) {
    let k = centroids.len() / d;
    let row = |i: usize| &points[i * d..(i + 1) * d];
    let mut labels = vec![usize::MAX; n];
    let mut distances = vec![0.0; n];
    let mut scratch = Vec::new();
    for _ in 0..max_iter.max(1) {
        let mut changed = false;
        let table = CentroidTable::new(&centroids, d);
        for (i, (label, distance)) in labels.iter_mut().zip(&mut distances).enumerate() {
            let (best, best_d) = table.nearest(row(i), &mut scratch);
            changed |= *label != best;
            *label = best;
            *distance = best_d;
        }
        if !changed {
            break;
        }
        let mut sums = vec![0.0; k * d];
        let mut counts = vec![0usize; k];
        for i in 0..n {
            counts[labels[i]] += 1;
            let s = &mut sums[labels[i] * d..(labels[i] + 1) * d];
            s.iter_mut().zip(row(i)).for_each(|(s, v)| *s += v);
        }
        for a in 0..k {
            if counts[a] == 0 {
                // An empty cluster takes the point farthest from its centre.
                let far = (0..n).fold(0, |f, i| if distances[i] > distances[f] { i } else { f });
                centroids[a * d..(a + 1) * d].copy_from_slice(row(far));
                distances[far] = 0.0;
            } else {
                let c = &mut centroids[a * d..(a + 1) * d];
                c.iter_mut()
                    .zip(&sums[a * d..(a + 1) * d])
                    .for_each(|(c, s)| *c = s / counts[a] as f64);
            }
        }
    }
    // Final assignment against the final centroids.
    let mut inertia = 0.0;
    let table = CentroidTable::new(&centroids, d);
    for (i, label) in labels.iter_mut().enumerate() {
        let (best, best_d) = table.nearest(row(i), &mut scratch);
        *label = best;
        inertia += best_d;
    }
    (centroids, labels, inertia)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn separated_blobs_are_found_and_the_seed_fixes_the_result() {
        let noise = gaussian_matrix(60, 2, 3);
        let x = Mat::from_fn(60, 2, |i, j| {
            let centre = [(0.0, 0.0), (20.0, 0.0), (0.0, 20.0)][i / 20];
            noise[(i, j)] + if j == 0 { centre.0 } else { centre.1 }
        });
        let options = KMeansOptions {
            k: 3,
            ..KMeansOptions::default()
        };
        let a = kmeans(x.as_ref(), &options).unwrap();
        for g in 0..3 {
            let first = a.labels[g * 20];
            assert!(a.labels[g * 20..(g + 1) * 20].iter().all(|&l| l == first));
        }
        let b = kmeans(x.as_ref(), &options).unwrap();
        assert_eq!(a.labels, b.labels);
        assert_eq!(a.inertia, b.inertia);
        let direct: f64 = (0..60)
            .map(|i| {
                (0..2)
                    .map(|j| (x[(i, j)] - a.centroids[(a.labels[i], j)]).powi(2))
                    .sum::<f64>()
            })
            .sum();
        assert!((direct - a.inertia).abs() < 1e-9 * direct);
    }

    #[test]
    fn impossible_k_and_nan_are_errors() {
        let x = Mat::from_fn(3, 1, |i, _| i as f64);
        let too_many = KMeansOptions {
            k: 4,
            ..KMeansOptions::default()
        };
        assert!(kmeans(x.as_ref(), &too_many).is_err());
        let mut y = x.clone();
        y[(1, 0)] = f64::NAN;
        let one = KMeansOptions {
            k: 1,
            ..KMeansOptions::default()
        };
        assert!(kmeans(y.as_ref(), &one).is_err());
    }
}
