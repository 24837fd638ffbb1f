//! Cross-run RDMs (rsatoolbox issue #280): the dissimilarity of every
//! pattern of one set of measurements (a run, a split of the data) to every
//! pattern of another, as a full k × k matrix. It is not symmetric, and its
//! diagonal (the same condition in both sets) is not 0: it measures how
//! reliably each condition's pattern is measured, and the off-diagonal
//! entries are free of the noise that makes a within-run RDM's
//! dissimilarities positive on average.

use faer::{Mat, MatRef};

use super::dissimilarity::{RdmMethod, unit_columns};
use crate::data::check_finite;
use crate::error::{Error, Result};

/// `d(a_i, b_j)` for every row i of `a` and row j of `b` (conditions ×
/// channels each, the same channels): `euclidean` (squared, per channel),
/// `mahalanobis` (with `precision`, per channel), `correlation` and
/// `cosine` (one minus).
pub fn cross_rdm(
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    method: RdmMethod,
    precision: Option<MatRef<'_, f64>>,
) -> Result<Mat<f64>> {
    let p = a.ncols();
    if b.ncols() != p {
        return Err(Error::ShapeMismatch {
            what: "channels of the second set of patterns".into(),
            expected: p,
            found: b.ncols(),
        });
    }
    if a.nrows() == 0 || b.nrows() == 0 || p == 0 {
        return Err(Error::Invalid {
            what: "cross-run RDM".into(),
            detail: "both sets need at least one pattern of at least one channel".into(),
        });
    }
    check_finite("first set of patterns", a)?;
    check_finite("second set of patterns", b)?;
    match method {
        RdmMethod::Correlation | RdmMethod::Cosine => {
            // Patterns as unit columns (centred for correlation), as `rdm`.
            let centre = method == RdmMethod::Correlation;
            let unit =
                |m: MatRef<'_, f64>| unit_columns(m.transpose(), centre, method.name(), false);
            let (za, zb) = (unit(a)?, unit(b)?);
            let k = za.transpose() * &zb;
            Ok(Mat::from_fn(k.nrows(), k.ncols(), |i, j| 1.0 - k[(i, j)]))
        }
        RdmMethod::Euclidean | RdmMethod::Mahalanobis => {
            let weighted = |m: MatRef<'_, f64>| match (method, precision) {
                (RdmMethod::Mahalanobis, Some(l)) => m * l,
                _ => m.to_owned(),
            };
            if let (RdmMethod::Mahalanobis, Some(l)) = (method, precision)
                && (l.nrows() != p || l.ncols() != p)
            {
                return Err(Error::ShapeMismatch {
                    what: "noise precision (channels × channels)".into(),
                    expected: p,
                    found: l.nrows(),
                });
            }
            let (wa, wb) = (weighted(a), weighted(b));
            let cross = &wa * b.transpose();
            let norm = |w: &Mat<f64>, m: MatRef<'_, f64>, i: usize| -> f64 {
                w.row(i)
                    .iter()
                    .zip(m.row(i).iter())
                    .map(|(x, y)| x * y)
                    .sum()
            };
            Ok(Mat::from_fn(a.nrows(), b.nrows(), |i, j| {
                (norm(&wa, a, i) + norm(&wb, b, j) - 2.0 * cross[(i, j)]) / p as f64
            }))
        }
        other => Err(Error::InvalidParameter {
            measure: "cross-run RDM".into(),
            detail: format!(
                "'{}' is not defined between two sets of patterns; use euclidean, mahalanobis, \
                 correlation or cosine",
                other.name()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_set_twice_gives_the_symmetric_rdm_with_a_zero_diagonal() {
        let a = Mat::from_fn(4, 3, |i, j| ((i * 5 + j * 2) % 7) as f64);
        for method in [RdmMethod::Euclidean, RdmMethod::Correlation] {
            let d = cross_rdm(a.as_ref(), a.as_ref(), method, None).unwrap();
            let within = crate::rsa::rdm(a.as_ref(), &crate::rsa::RdmSpec::new(method)).unwrap();
            let mut n = 0;
            for i in 0..4 {
                assert!(d[(i, i)].abs() < 1e-12);
                for j in i + 1..4 {
                    assert!((d[(i, j)] - within[n]).abs() < 1e-12);
                    assert!((d[(i, j)] - d[(j, i)]).abs() < 1e-12);
                    n += 1;
                }
            }
        }
        let b = Mat::from_fn(4, 2, |i, j| (i + j) as f64);
        assert!(cross_rdm(a.as_ref(), b.as_ref(), RdmMethod::Euclidean, None).is_err());
        assert!(cross_rdm(a.as_ref(), a.as_ref(), RdmMethod::Poisson, None).is_err());
    }
}
