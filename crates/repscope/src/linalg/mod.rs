//! Dense helpers shared by the measures.

pub mod assignment;
pub mod centroids;
pub mod kmeans;
pub mod knn;
pub mod layout;
pub mod norms;
pub mod packed;
pub mod pca;
pub mod reduce;
pub mod stored;

pub use stored::Stored;

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatRef, Par};

/// The mean of every column of `x`.
pub fn column_means(x: MatRef<'_, f64>) -> Vec<f64> {
    let n = x.nrows() as f64;
    x.col_iter().map(|c| c.iter().sum::<f64>() / n).collect()
}

/// A copy of `x` with every column's mean subtracted.
pub fn center_columns(x: MatRef<'_, f64>) -> Mat<f64> {
    let n = x.nrows() as f64;
    let mut centred = x.to_owned();
    for col in centred.col_iter_mut() {
        let mean = col.as_ref().iter().sum::<f64>() / n;
        col.iter_mut().for_each(|v| *v -= mean);
    }
    centred
}

/// Double-centres a symmetric matrix in place: `H A H` with
/// `H = I − 11ᵀ/n`, i.e. `a_ij + ā − ā_i − ā_j` with the row means `ā_i`
/// and their mean `ā`. (The packed form has its own loop:
/// [`packed::PackedSymmetric::double_centre`].)
pub fn double_centre(a: &mut Mat<f64>) {
    let n = a.nrows();
    let row: Vec<f64> = (0..n)
        .map(|i| a.col(i).iter().sum::<f64>() / n as f64)
        .collect();
    let all = row.iter().sum::<f64>() / n as f64;
    for j in 0..n {
        for i in 0..n {
            a[(i, j)] += all - row[i] - row[j];
        }
    }
}

/// `x` with every column centred and scaled to unit length, so that
/// `aᵀ b` of two such matrices holds Pearson correlations. A constant column
/// becomes zero (it correlates 0 with everything).
pub fn unit_columns(x: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = center_columns(x);
    for col in c.col_iter_mut() {
        let norm = col.as_ref().iter().map(|v| v * v).sum::<f64>().sqrt();
        let scale = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        col.iter_mut().for_each(|v| *v *= scale);
    }
    c
}

/// Pearson correlations between the columns of `a` and of `b` given as
/// [`unit_columns`]: `aᵀ b`, clamped to [−1, 1] (rounding can push |r| a
/// hair above 1).
pub fn unit_column_correlations(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut c = cross_product(a, b, par);
    c.col_iter_mut()
        .for_each(|col| col.iter_mut().for_each(|v| *v = v.clamp(-1.0, 1.0)));
    c
}

/// The `p × q` Pearson correlations between the columns of `x` and of
/// `y` (the same rows); a constant column correlates 0 with everything.
pub fn column_correlations(x: MatRef<'_, f64>, y: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    unit_column_correlations(unit_columns(x).as_ref(), unit_columns(y).as_ref(), par)
}

/// The rows `rows` of `x`, in that order (repeats allowed).
pub fn gather_rows(x: MatRef<'_, f64>, rows: &[usize]) -> Mat<f64> {
    Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)])
}

/// `aᵀ b`.
pub fn cross_product(a: MatRef<'_, f64>, b: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::zeros(a.ncols(), b.ncols());
    matmul(out.as_mut(), Accum::Replace, a.transpose(), b, 1.0, par);
    out
}

/// `a aᵀ`, the linear Gram matrix of the rows of `a`.
pub fn gram(a: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::zeros(a.nrows(), a.nrows());
    matmul(out.as_mut(), Accum::Replace, a, a.transpose(), 1.0, par);
    out
}

/// The lower triangle (with the diagonal) of `aᵀ a`; the strict upper
/// triangle of the result is zero. Half the work of a full product.
pub fn lower_cross_product(a: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    let mut out = Mat::zeros(a.ncols(), a.ncols());
    triangular::matmul(
        out.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        a.transpose(),
        BlockStructure::Rectangular,
        a,
        BlockStructure::Rectangular,
        1.0,
        par,
    );
    out
}

/// The lower triangle (with the diagonal) of `a aᵀ`, the linear Gram matrix.
pub fn lower_gram(a: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    lower_cross_product(a.transpose(), par)
}

/// Sum of squares of a symmetric matrix given by its lower triangle:
/// Σ diagonal² + 2 Σ below-diagonal², column by column.
pub fn symmetric_sum_of_squares(lower: MatRef<'_, f64>) -> f64 {
    (0..lower.ncols())
        .map(|j| {
            let col = lower.col(j);
            let below: f64 = (j + 1..lower.nrows()).map(|i| col[i] * col[i]).sum();
            col[j] * col[j] + 2.0 * below
        })
        .sum()
}

/// Sum of squares of all entries (the squared Frobenius norm), summed in
/// column order so the result is reproducible.
pub fn sum_of_squares(a: MatRef<'_, f64>) -> f64 {
    a.col_iter()
        .map(|c| c.iter().map(|v| v * v).sum::<f64>())
        .sum()
}

/// `Σᵢⱼ aᵢⱼ bᵢⱼ`, the Frobenius inner product, in column order.
pub fn frobenius_dot(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    a.col_iter()
        .zip(b.col_iter())
        .map(|(ca, cb)| ca.iter().zip(cb.iter()).map(|(x, y)| x * y).sum::<f64>())
        .sum()
}

/// The thin SVD of `a`: (U, singular values descending, V).
pub fn thin_svd(a: MatRef<'_, f64>) -> crate::error::Result<(Mat<f64>, Vec<f64>, Mat<f64>)> {
    let svd = a
        .thin_svd()
        .map_err(|e| crate::error::Error::internal(format!("SVD did not converge: {e:?}")))?;
    let s: Vec<f64> = svd.S().column_vector().iter().copied().collect();
    Ok((svd.U().to_owned(), s, svd.V().to_owned()))
}

/// Numerical rank of singular values `s` (descending) of an `nrows × ncols`
/// matrix: those above max(nrows, ncols) · ε · s₀ (numpy's `matrix_rank`).
pub fn numerical_rank(s: &[f64], nrows: usize, ncols: usize) -> usize {
    let Some(&top) = s.first() else { return 0 };
    if top == 0.0 {
        return 0;
    }
    let tol = nrows.max(ncols) as f64 * f64::EPSILON * top;
    s.iter().take_while(|&&v| v > tol).count()
}

/// An orthonormal basis (n × rank) of the column space of `a`, by a
/// rank-revealing SVD.
pub fn column_basis(a: MatRef<'_, f64>) -> crate::error::Result<Mat<f64>> {
    let (u, s, _) = thin_svd(a)?;
    let r = numerical_rank(&s, a.nrows(), a.ncols());
    Ok(u.subcols(0, r).to_owned())
}

/// The singular values of `a` (descending).
pub fn singular_values(a: MatRef<'_, f64>) -> crate::error::Result<Vec<f64>> {
    if a.nrows() == 0 || a.ncols() == 0 {
        return Ok(Vec::new());
    }
    a.singular_values()
        .map_err(|e| crate::error::Error::internal(format!("SVD did not converge: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_and_sequential_products_agree_bitwise() {
        // The pairwise engine relies on GEMM results not depending on the
        // number of threads.
        let a = Mat::from_fn(300, 70, |i, j| ((i * 31 + j * 17) % 101) as f64 / 7.0 - 3.0);
        let b = Mat::from_fn(300, 90, |i, j| ((i * 13 + j * 7) % 89) as f64 / 3.0 - 9.0);
        let seq = cross_product(a.as_ref(), b.as_ref(), Par::Seq);
        let par = cross_product(a.as_ref(), b.as_ref(), Par::rayon(2));
        assert_eq!(seq, par);
    }
}
