//! Many-to-many groups of units across two networks (Li et al. 2016, §5):
//! spectral clustering of the joint correlation graph.
//!
//! Nodes are the units of A followed by those of B; the weight of an edge is
//! the absolute Pearson correlation of the two units over the stimuli (a unit
//! and its sign-flipped copy carry the same information), self-loops are
//! dropped. The clustering is Ng, Jordan & Weiss (2001): the eigenvectors of
//! the `groups` largest eigenvalues of D^{-1/2} W D^{-1/2}, each node's row
//! scaled to unit length, then k-means (k-means++, seeded restarts).
//! Constant units have no edges and are left out (label `None`).

use faer::{Mat, MatRef, Side};

use crate::error::{Error, Result};
use crate::linalg::kmeans::{KMeansOptions, kmeans};
use crate::linalg::{cross_product, unit_columns};

/// Settings of [`spectral_groups`].
#[derive(Clone, Debug)]
pub struct SpectralOptions {
    /// Number of groups.
    pub groups: usize,
    /// k-means restarts.
    pub n_init: usize,
    pub seed: u64,
}

impl Default for SpectralOptions {
    fn default() -> Self {
        SpectralOptions {
            groups: 8,
            n_init: 10,
            seed: 0,
        }
    }
}

/// One group of units.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub a_units: Vec<usize>,
    pub b_units: Vec<usize>,
    /// Mean |correlation| between the group's A-units and its B-units
    /// (NaN when one side is empty).
    pub mean_cross_correlation: f64,
}

/// Units of both networks grouped.
#[derive(Clone, Debug)]
pub struct SpectralGroups {
    /// Group of each A-unit (`None`: constant unit, left out).
    pub a_labels: Vec<Option<usize>>,
    /// Group of each B-unit.
    pub b_labels: Vec<Option<usize>>,
    /// The `groups` largest eigenvalues of D^{-1/2} W D^{-1/2}, descending.
    pub eigenvalues: Vec<f64>,
    pub groups: Vec<Group>,
}

/// Groups the units of `x` (A) and `y` (B) by their joint correlations.
pub fn spectral_groups(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    options: &SpectralOptions,
) -> Result<SpectralGroups> {
    super::check_pair(x, y)?;
    let (p, q) = (x.ncols(), y.ncols());
    let joint = Mat::from_fn(x.nrows(), p + q, |i, j| {
        if j < p { x[(i, j)] } else { y[(i, j - p)] }
    });
    let z = unit_columns(joint.as_ref());
    let par = crate::parallel::current();
    let mut w = cross_product(z.as_ref(), z.as_ref(), par);
    for i in 0..p + q {
        w[(i, i)] = 0.0;
    }
    w.col_iter_mut()
        .for_each(|c| c.iter_mut().for_each(|v| *v = v.abs().min(1.0)));
    let degree: Vec<f64> = (0..p + q).map(|j| w.col(j).iter().sum()).collect();
    let kept: Vec<usize> = (0..p + q).filter(|&j| degree[j] > 0.0).collect();
    let k = options.groups;
    if k == 0 || k > kept.len() {
        return Err(Error::Invalid {
            what: "spectral grouping".into(),
            detail: format!(
                "cannot form {k} groups from {} non-constant units; use 1 ≤ groups ≤ {}",
                kept.len(),
                kept.len()
            ),
        });
    }
    let m = kept.len();
    let inv_sqrt: Vec<f64> = kept.iter().map(|&j| 1.0 / degree[j].sqrt()).collect();
    let normalised = Mat::from_fn(m, m, |a, b| {
        w[(kept[a], kept[b])] * inv_sqrt[a] * inv_sqrt[b]
    });
    let eig = normalised
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::internal(format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (eig.U(), eig.S());
    // Eigenvalues ascend: the last k columns, largest first.
    let eigenvalues: Vec<f64> = (0..k).map(|d| s[m - 1 - d]).collect();
    let mut embedding = Mat::from_fn(m, k, |a, d| u[(a, m - 1 - d)]);
    for a in 0..m {
        let norm = (0..k)
            .map(|d| embedding[(a, d)].powi(2))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 {
            (0..k).for_each(|d| embedding[(a, d)] /= norm);
        }
    }
    let clusters = kmeans(
        embedding.as_ref(),
        &KMeansOptions {
            k,
            n_init: options.n_init,
            max_iter: 300,
            seed: options.seed,
        },
    )?;
    let mut labels = vec![None; p + q];
    for (a, &j) in kept.iter().enumerate() {
        labels[j] = Some(clusters.labels[a]);
    }
    let groups = (0..k)
        .map(|g| {
            let a_units: Vec<usize> = (0..p).filter(|&j| labels[j] == Some(g)).collect();
            let b_units: Vec<usize> = (0..q).filter(|&j| labels[p + j] == Some(g)).collect();
            let pairs = a_units.len() * b_units.len();
            let total: f64 = a_units
                .iter()
                .flat_map(|&i| b_units.iter().map(move |&j| (i, j)))
                .map(|(i, j)| w[(i, p + j)])
                .sum();
            Group {
                mean_cross_correlation: if pairs > 0 {
                    total / pairs as f64
                } else {
                    f64::NAN
                },
                a_units,
                b_units,
            }
        })
        .collect();
    let b_labels = labels.split_off(p);
    Ok(SpectralGroups {
        a_labels: labels,
        b_labels,
        eigenvalues,
        groups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    /// Three latent signals; each unit of A and B is a noisy copy of one.
    #[test]
    fn units_driven_by_the_same_signal_are_grouped() {
        let latent = gaussian_matrix(300, 3, 21);
        let noise_a = gaussian_matrix(300, 9, 22);
        let noise_b = gaussian_matrix(300, 6, 23);
        let x = Mat::from_fn(300, 9, |i, j| latent[(i, j % 3)] + 0.3 * noise_a[(i, j)]);
        let y = Mat::from_fn(300, 6, |i, j| -latent[(i, j % 3)] + 0.3 * noise_b[(i, j)]);
        let options = SpectralOptions {
            groups: 3,
            ..SpectralOptions::default()
        };
        let g = spectral_groups(x.as_ref(), y.as_ref(), &options).unwrap();
        for j in 0..9 {
            assert_eq!(g.a_labels[j], g.a_labels[j % 3]);
        }
        for j in 0..6 {
            assert_eq!(g.b_labels[j], g.a_labels[j % 3], "sign flips do not matter");
        }
        assert!(
            g.groups
                .iter()
                .all(|gr| gr.a_units.len() == 3 && gr.b_units.len() == 2)
        );
        assert!(g.groups.iter().all(|gr| gr.mean_cross_correlation > 0.8));
        assert!((g.eigenvalues[0] - 1.0).abs() < 1e-9, "{:?}", g.eigenvalues);
    }

    #[test]
    fn constant_units_are_left_out_and_too_many_groups_refused() {
        let x = Mat::from_fn(20, 3, |i, j| {
            if j == 1 {
                1.0
            } else {
                (i * (j + 1)) as f64 % 7.0
            }
        });
        let y = gaussian_matrix(20, 2, 3);
        let options = SpectralOptions {
            groups: 2,
            ..SpectralOptions::default()
        };
        let g = spectral_groups(x.as_ref(), y.as_ref(), &options).unwrap();
        assert_eq!(g.a_labels[1], None);
        let too_many = SpectralOptions {
            groups: 5,
            ..SpectralOptions::default()
        };
        let e = spectral_groups(x.as_ref(), y.as_ref(), &too_many).unwrap_err();
        assert!(e.to_string().contains("4 non-constant units"), "{e}");
    }
}
