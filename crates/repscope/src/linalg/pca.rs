//! Principal component projection (for plots of a representation).

use faer::{Mat, MatRef};

use super::{center_columns, thin_svd};
use crate::error::{Error, Result};

/// The first principal components of a representation.
#[derive(Clone, Debug)]
pub struct Pca {
    /// `n × dims`: each stimulus's coordinates on the components.
    pub scores: Mat<f64>,
    /// `p × dims`: the unit-length component directions.
    pub components: Mat<f64>,
    /// Fraction of the total variance along each component.
    pub explained_variance_ratio: Vec<f64>,
}

/// Projects the centred rows of `x` on its first `dims` principal axes.
///
/// Signs are fixed so that each component's largest-magnitude loading is
/// positive (ties to the lower unit index), which makes the output
/// reproducible; any sign is equally valid.
pub fn pca(x: MatRef<'_, f64>, dims: usize) -> Result<Pca> {
    let (n, p) = (x.nrows(), x.ncols());
    let most = n.min(p);
    if dims == 0 || dims > most {
        return Err(Error::Invalid {
            what: "PCA".into(),
            detail: format!(
                "cannot take {dims} components of a {n} × {p} representation; use 1 to {most}"
            ),
        });
    }
    let centred = center_columns(x);
    let (u, s, v) = thin_svd(centred.as_ref())?;
    let total: f64 = s.iter().map(|v| v * v).sum();
    let mut scores = Mat::zeros(n, dims);
    let mut components = Mat::zeros(p, dims);
    for d in 0..dims {
        let lead = (0..p).fold(0, |b, j| {
            if v[(j, d)].abs() > v[(b, d)].abs() {
                j
            } else {
                b
            }
        });
        let sign = if v[(lead, d)] < 0.0 { -1.0 } else { 1.0 };
        for j in 0..p {
            components[(j, d)] = sign * v[(j, d)];
        }
        for i in 0..n {
            scores[(i, d)] = sign * u[(i, d)] * s[d];
        }
    }
    let explained_variance_ratio = (0..dims)
        .map(|d| {
            if total > 0.0 {
                s[d] * s[d] / total
            } else {
                0.0
            }
        })
        .collect();
    Ok(Pca {
        scores,
        components,
        explained_variance_ratio,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn scores_are_the_centred_data_on_the_components() {
        let x = gaussian_matrix(40, 6, 9);
        let p = pca(x.as_ref(), 3).unwrap();
        let direct = center_columns(x.as_ref()) * &p.components;
        assert!((&direct - &p.scores).norm_max() < 1e-12);
        assert!(p.explained_variance_ratio.windows(2).all(|w| w[0] >= w[1]));
        for d in 0..3 {
            let col: Vec<f64> = p.components.col(d).iter().copied().collect();
            let lead = col
                .iter()
                .copied()
                .fold(0.0_f64, |m, v| if v.abs() > m.abs() { v } else { m });
            assert!(lead > 0.0);
        }
        assert!(pca(x.as_ref(), 7).is_err());
    }
}
