//! The order the report's "cluster" button shows: the leaves of an
//! average-linkage hierarchical clustering of a matrix's rows (Euclidean
//! distances between rows, over the entries both rows have), so that rows
//! with similar profiles sit together.

/// The leaf order of the rows of `values`; the given order for fewer than
/// three rows or more than `MAX` (clustering is O(n³) here).
pub fn leaf_order(values: &[Vec<f64>]) -> Vec<usize> {
    let n = values.len();
    if !(3..=MAX).contains(&n) {
        return (0..n).collect();
    }
    let mut dist = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in 0..i {
            let d = distance(&values[i], &values[j]);
            dist[i][j] = d;
            dist[j][i] = d;
        }
    }
    // Each cluster: its members in leaf order. Merge the closest pair by
    // average linkage until one is left.
    let mut clusters: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    while clusters.len() > 1 {
        let mut best = (f64::INFINITY, 0, 1);
        for a in 0..clusters.len() {
            for b in a + 1..clusters.len() {
                let d = average(&dist, &clusters[a], &clusters[b]);
                if d < best.0 {
                    best = (d, a, b);
                }
            }
        }
        let (_, a, b) = best;
        let right = clusters.remove(b);
        clusters[a].extend(right);
    }
    clusters.pop().unwrap_or_default()
}

/// Matrices larger than this keep their order.
const MAX: usize = 400;

/// Euclidean distance over the positions where both are finite, scaled to
/// the full length; infinite when none are.
fn distance(a: &[f64], b: &[f64]) -> f64 {
    let (mut sum, mut used) = (0.0, 0usize);
    for (x, y) in a.iter().zip(b) {
        if x.is_finite() && y.is_finite() {
            sum += (x - y) * (x - y);
            used += 1;
        }
    }
    if used == 0 {
        f64::INFINITY
    } else {
        (sum * a.len() as f64 / used as f64).sqrt()
    }
}

fn average(dist: &[Vec<f64>], a: &[usize], b: &[usize]) -> f64 {
    let total: f64 = a
        .iter()
        .flat_map(|&i| b.iter().map(move |&j| dist[i][j]))
        .sum();
    total / (a.len() * b.len()) as f64
}

/// The columns of a row-major matrix as rows.
pub fn transpose(values: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let cols = values.first().map_or(0, Vec::len);
    (0..cols)
        .map(|j| values.iter().map(|r| r[j]).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_with_the_same_profile_end_up_together() {
        // Rows 0, 2, 4 are near each other, as are 1, 3.
        let rows = vec![
            vec![0.0, 0.1],
            vec![5.0, 5.0],
            vec![0.1, 0.0],
            vec![5.1, 5.0],
            vec![0.0, 0.0],
        ];
        let order = leaf_order(&rows);
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, vec![0, 1, 2, 3, 4]);
        let pos = |k: usize| order.iter().position(|&i| i == k).unwrap();
        let group: Vec<usize> = [0, 2, 4].map(pos).to_vec();
        assert_eq!(group.iter().max().unwrap() - group.iter().min().unwrap(), 2);
    }
}
