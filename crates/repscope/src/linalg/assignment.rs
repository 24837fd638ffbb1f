//! The linear sum assignment problem (the "Hungarian" matching).
//!
//! Given an n × m cost matrix with n ≤ m, find distinct columns j(i) for
//! every row minimising Σᵢ C[i, j(i)]. Solved by successive shortest
//! augmenting paths with row and column potentials (Jonker & Volgenant
//! 1987, "A shortest augmenting path algorithm for dense and sparse linear
//! assignment problems", Computing 38; the same family as scipy's
//! `linear_sum_assignment`, Crouse 2016), O(n² m). The search order is
//! fixed (lowest column index first), so the result is deterministic.

use faer::MatRef;

use crate::error::{Error, Result};

/// Minimises (or, with `maximize`, maximises) the total of one entry per
/// row in distinct columns. Returns the column of each row. For more rows
/// than columns, solve the transpose.
pub fn linear_sum_assignment(cost: MatRef<'_, f64>, maximize: bool) -> Result<Vec<usize>> {
    let (n, m) = (cost.nrows(), cost.ncols());
    if n > m {
        return Err(Error::InvalidParameter {
            measure: "assignment".into(),
            detail: format!(
                "{n} rows cannot take distinct columns among {m}; transpose the matrix"
            ),
        });
    }
    if let Some((i, j)) = (0..n)
        .flat_map(|i| (0..m).map(move |j| (i, j)))
        .find(|&(i, j)| !cost[(i, j)].is_finite())
    {
        return Err(Error::NonFinite {
            array: "cost matrix".into(),
            row: i,
            col: j,
            value: cost[(i, j)],
        });
    }
    let c = |i: usize, j: usize| {
        if maximize {
            -cost[(i, j)]
        } else {
            cost[(i, j)]
        }
    };
    let mut u = vec![0.0f64; n]; // row potentials
    let mut v = vec![0.0f64; m]; // column potentials
    let mut row_of_col: Vec<Option<usize>> = vec![None; m];
    let mut col_of_row: Vec<Option<usize>> = vec![None; n];
    let mut shortest = vec![0.0f64; m];
    let mut path = vec![0usize; m]; // previous row on the shortest path to each column
    for start in 0..n {
        shortest.iter_mut().for_each(|s| *s = f64::INFINITY);
        let mut visited_col = vec![false; m];
        let mut visited_row = vec![false; n];
        let mut row = start;
        let mut min_value = 0.0;
        let sink = loop {
            visited_row[row] = true;
            let mut best: Option<usize> = None;
            let mut best_value = f64::INFINITY;
            for j in 0..m {
                if visited_col[j] {
                    continue;
                }
                let reduced = min_value + c(row, j) - u[row] - v[j];
                if reduced < shortest[j] {
                    shortest[j] = reduced;
                    path[j] = row;
                }
                // The closest column; among equals the lowest index, except
                // that a free column (which ends the search) is preferred.
                let prefer_free = shortest[j] == best_value
                    && row_of_col[j].is_none()
                    && best.is_some_and(|b| row_of_col[b].is_some());
                if shortest[j] < best_value || prefer_free {
                    best_value = shortest[j];
                    best = Some(j);
                }
            }
            let j = best.ok_or_else(|| Error::internal("assignment: no column left"))?;
            min_value = best_value;
            visited_col[j] = true;
            match row_of_col[j] {
                None => break j,
                Some(r) => row = r,
            }
        };
        // Update potentials.
        u[start] += min_value;
        for i in 0..n {
            if visited_row[i]
                && i != start
                && let Some(j) = col_of_row[i]
            {
                u[i] += min_value - shortest[j];
            }
        }
        for j in 0..m {
            if visited_col[j] {
                v[j] -= min_value - shortest[j];
            }
        }
        // Augment along the path.
        let mut j = sink;
        loop {
            let i = path[j];
            row_of_col[j] = Some(i);
            let previous = col_of_row[i].replace(j);
            if i == start {
                break;
            }
            j = previous.ok_or_else(|| Error::internal("assignment: broken augmenting path"))?;
        }
    }
    col_of_row
        .into_iter()
        .map(|c| c.ok_or_else(|| Error::internal("assignment: a row stayed unassigned")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::Mat;

    fn brute(cost: &Mat<f64>) -> f64 {
        fn go(cost: &Mat<f64>, row: usize, used: &mut Vec<bool>) -> f64 {
            if row == cost.nrows() {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for j in 0..cost.ncols() {
                if !used[j] {
                    used[j] = true;
                    best = best.min(cost[(row, j)] + go(cost, row + 1, used));
                    used[j] = false;
                }
            }
            best
        }
        go(cost, 0, &mut vec![false; cost.ncols()])
    }

    #[test]
    fn optimum_equals_brute_force_square_and_rectangular() {
        let mut state = 11u64;
        for (n, m) in [(5, 5), (4, 6), (6, 6), (3, 7)] {
            for _ in 0..20 {
                let cost = Mat::from_fn(n, m, |_, _| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((state >> 33) % 10) as f64 // many ties
                });
                let cols = linear_sum_assignment(cost.as_ref(), false).unwrap();
                let mut seen = cols.clone();
                seen.sort_unstable();
                seen.dedup();
                assert_eq!(seen.len(), n);
                let total: f64 = cols.iter().enumerate().map(|(i, &j)| cost[(i, j)]).sum();
                assert_eq!(total, brute(&cost));
                let neg = Mat::from_fn(n, m, |i, j| -cost[(i, j)]);
                let max_cols = linear_sum_assignment(neg.as_ref(), true).unwrap();
                let max_total: f64 = max_cols.iter().enumerate().map(|(i, &j)| neg[(i, j)]).sum();
                assert_eq!(-max_total, brute(&cost));
            }
        }
    }
}
