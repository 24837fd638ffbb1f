//! Classical (Torgerson) multidimensional scaling of an RDM, for pictures.
//!
//! Torgerson (1952), "Multidimensional scaling: I. Theory and method",
//! Psychometrika 17: with the RDM's entries taken as distances d_ij,
//! B = −½ H D⁽²⁾ H (D⁽²⁾ the squared distances, H the centring matrix);
//! the coordinates are the top eigenvectors of B scaled by the square roots
//! of their (non-negative) eigenvalues. Signs are fixed so each axis has a
//! positive first non-zero coordinate, for reproducible pictures.

use faer::{Mat, Side};

use super::condensed::{gower, n_conditions};
use crate::error::{Error, Result};

/// `n × dims` coordinates of the conditions.
pub fn classical_mds(rdm: &[f64], dims: usize) -> Result<Mat<f64>> {
    let n = n_conditions(rdm.len())?;
    if let Some(i) = rdm.iter().position(|v| !v.is_finite()) {
        return Err(Error::InvalidRdm {
            detail: format!("MDS needs finite dissimilarities; entry {i} is {}", rdm[i]),
        });
    }
    let dims = dims.clamp(1, n);
    let b = gower(rdm, true)?;
    let eig = b
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::internal(format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (eig.U(), eig.S());
    // Eigenvalues ascend; take the largest.
    let mut out = Mat::zeros(n, dims);
    for d in 0..dims {
        let k = n - 1 - d;
        let scale = s[k].max(0.0).sqrt();
        let flip = (0..n)
            .map(|i| u[(i, k)])
            .find(|v| v.abs() > 1e-12)
            .map_or(1.0, |v| v.signum());
        for i in 0..n {
            out[(i, d)] = u[(i, k)] * scale * flip;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_planar_configuration_up_to_rotation() {
        let pts = [(0.0, 0.0), (3.0, 0.0), (0.0, 4.0), (1.0, 1.0)];
        let mut rdm = Vec::new();
        for i in 0..4 {
            for j in i + 1..4 {
                let (a, b): ((f64, f64), (f64, f64)) = (pts[i], pts[j]);
                rdm.push(((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt());
            }
        }
        let x = classical_mds(&rdm, 2).unwrap();
        let mut k = 0;
        for i in 0..4 {
            for j in i + 1..4 {
                let d = ((x[(i, 0)] - x[(j, 0)]).powi(2) + (x[(i, 1)] - x[(j, 1)]).powi(2)).sqrt();
                assert!((d - rdm[k]).abs() < 1e-9);
                k += 1;
            }
        }
    }
}
