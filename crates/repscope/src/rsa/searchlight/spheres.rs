//! Searchlight spheres as explicit lists, by rsatoolbox's rule
//! (`util/searchlight.py`, `get_volume_searchlight`): the neighbours of a
//! centre are the grid voxels at distance **strictly** below the radius
//! (repscope's own searchlights keep `d ≤ r`), optionally only those in the
//! mask; a centre is kept when the share of its neighbours inside the mask
//! reaches a threshold. Indices are flat, C order (numpy's
//! `ravel_multi_index`), and each sphere lists its voxels in rsatoolbox's
//! order (y slowest, then x, then z: what `np.meshgrid(x, y, z)` yields),
//! so the lists are the same, element for element.

use rayon::prelude::*;

use crate::error::{Error, Result};

/// Which voxels make a sphere.
#[derive(Clone, Copy, Debug)]
pub struct SphereRule {
    /// Voxels at distance < radius (in voxels) of the centre.
    pub radius: f64,
    /// Keep a centre when at least this share of its sphere is in the mask.
    pub threshold: f64,
    /// Only the sphere's voxels inside the mask.
    pub truncate_at_boundary: bool,
}

/// The centres (flat indices of mask voxels, in C order) and each one's
/// neighbours (flat indices), for a mask of `shape` given flat in C order.
pub fn sphere_lists(
    mask: &[bool],
    shape: [usize; 3],
    rule: SphereRule,
) -> Result<(Vec<usize>, Vec<Vec<usize>>)> {
    let [nx, ny, nz] = shape;
    if mask.len() != nx * ny * nz {
        return Err(Error::ShapeMismatch {
            what: format!("mask of shape {shape:?} (flat)"),
            expected: nx * ny * nz,
            found: mask.len(),
        });
    }
    if !(rule.radius.is_finite() && rule.radius > 0.0) {
        return Err(Error::InvalidParameter {
            measure: "searchlight".into(),
            detail: format!("the radius must be positive, got {}", rule.radius),
        });
    }
    let flat = |x: usize, y: usize, z: usize| (x * ny + y) * nz + z;
    // The grid indices within the radius along one axis (rsatoolbox's
    // first cut: |i − c| < r).
    let span = |c: usize, n: usize| -> Vec<usize> {
        (0..n)
            .filter(|&i| (i as f64 - c as f64).abs() < rule.radius)
            .collect()
    };
    let centres: Vec<usize> = (0..mask.len()).filter(|&i| mask[i]).collect();
    let spheres: Vec<Option<Vec<usize>>> = centres
        .par_iter()
        .map(|&c| {
            let (cx, cy, cz) = (c / (ny * nz), (c / nz) % ny, c % nz);
            let (xs, ys, zs) = (span(cx, nx), span(cy, ny), span(cz, nz));
            let mut sphere = Vec::new();
            for &y in &ys {
                for &x in &xs {
                    for &z in &zs {
                        let d2 = (x as f64 - cx as f64).powi(2)
                            + (y as f64 - cy as f64).powi(2)
                            + (z as f64 - cz as f64).powi(2);
                        // Distances compared as rsatoolbox's cdist computes
                        // them (the square root of the sum of squares).
                        if d2.sqrt() < rule.radius {
                            sphere.push(flat(x, y, z));
                        }
                    }
                }
            }
            if rule.truncate_at_boundary {
                sphere.retain(|&v| mask[v]);
            }
            let inside = sphere.iter().filter(|&&v| mask[v]).count();
            let share = inside as f64 / sphere.len() as f64;
            (share >= rule.threshold).then_some(sphere)
        })
        .collect();
    let (mut kept, mut lists) = (Vec::new(), Vec::new());
    for (c, s) in centres.into_iter().zip(spheres) {
        if let Some(s) = s {
            kept.push(c);
            lists.push(s);
        }
    }
    Ok((kept, lists))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_radius_of_one_and_a_half_is_the_centre_and_its_18_neighbours() {
        let mask = vec![true; 27];
        let rule = SphereRule {
            radius: 1.5,
            threshold: 1.0,
            truncate_at_boundary: false,
        };
        let (centres, spheres) = sphere_lists(&mask, [3, 3, 3], rule).unwrap();
        // Spheres are cut at the grid's edge, so every voxel is a centre.
        assert_eq!(centres.len(), 27);
        assert_eq!(spheres[13].len(), 19);
        // y slowest, then x, then z: (x, y, z) = (0, 0, 1), (1, 0, 0), (1, 0, 1).
        assert_eq!(&spheres[13][..3], &[1, 9, 10]);
        let half = SphereRule {
            threshold: 0.5,
            ..rule
        };
        let mut mask = vec![false; 27];
        mask[13] = true;
        mask[4] = true;
        let (c, s) = sphere_lists(&mask, [3, 3, 3], half).unwrap();
        assert!(c.is_empty() && s.is_empty());
        let truncated = SphereRule {
            truncate_at_boundary: true,
            ..half
        };
        let (c, s) = sphere_lists(&mask, [3, 3, 3], truncated).unwrap();
        assert_eq!(c, vec![4, 13]);
        assert_eq!(s[1], vec![4, 13]);
        assert!(sphere_lists(&mask, [3, 3, 2], rule).is_err());
    }
}
