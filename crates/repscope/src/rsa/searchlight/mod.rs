//! Searchlight RSA (Kriegeskorte, Goebel & Bandettini 2006, PNAS 103(10)):
//! an RDM in the sphere around every voxel of a mask, compared with model
//! RDMs, giving one map per model. The engine runs over any
//! [`Neighbourhoods`]: spheres in a volume ([`Searchlight`]), discs on a
//! cortical mesh ([`SurfaceSearchlight`], geodesic along the mesh's edges)
//! or MEG/EEG channel neighbourhoods × time windows ([`SensorSearchlight`]).
//!
//! Conventions (where references differ, this is the choice):
//!
//! - voxels are numbered in C order of the 3-D grid (the last index varies
//!   fastest), as numpy's `ravel_multi_index` and rsatoolbox's centre
//!   indices do; data columns are the mask's voxels in that order;
//! - a sphere holds the voxels at a distance ≤ r from its centre (in voxels,
//!   or in mm through the affine's 3 × 3 part), *and inside the mask*: the
//!   sphere is cut at the mask boundary (rsatoolbox's
//!   `truncate_at_boundary=True`; its default counts a sphere's voxels
//!   outside the mask too, and its distance test is strict, `< r`);
//! - a centre whose sphere has fewer than `min_voxels` mask voxels gets no
//!   RDM (NaN in the maps).
//!
//! Work shared across spheres: repeated measurements are averaged per
//! condition once for the whole mask, not once per sphere; for crossnobis
//! (without a per-sphere precision) the training and test means of every
//! fold are computed once for every voxel, so a sphere costs one gather and
//! one k × (folds · voxels) × k product. Centres run in parallel in blocks,
//! so memory is the data plus one block of RDMs (or the maps).

mod crossnobis;
mod decoding;
mod engine;
mod geometry;
mod preflight;
mod sensor;
pub mod spheres;
mod surface;

pub use crate::preflight::human;
pub use decoding::{Classifier, Decoding, decoding_map};
pub use geometry::{MaskedData, Radius, Searchlight, masked_data};
pub use preflight::{Estimate, Output, estimate};
pub use sensor::SensorSearchlight;
pub use surface::SurfaceSearchlight;

use super::compare::{self, CompareMethod, PreparedRdm};
use super::condensed::n_pairs;
use super::dissimilarity::RdmSpec;
use crate::error::{Error, Result};
use crate::linalg::Stored;
use crate::stats::covariance::CovarianceMethod;
pub use engine::{BLOCK_BYTES, BLOCK_CENTRES};
use engine::{run, run_with};

/// The neighbourhood of every centre. Every data column is a centre; its
/// neighbourhood is a set of data columns, the centre first.
pub trait Neighbourhoods: Sync {
    /// The number of data columns (mask voxels, surface vertices with data).
    fn n_columns(&self) -> usize;
    /// The columns in the neighbourhood of column `centre`.
    fn members(&self, centre: usize, out: &mut Vec<usize>);
    /// Where column `col` is, for messages (`voxel (i, j, k)`, `vertex v`).
    fn place(&self, col: usize) -> String;
}

/// Everything a searchlight computes besides the data.
#[derive(Clone, Copy, Debug)]
pub struct SearchlightSpec<'a> {
    /// Dissimilarity, condition and fold labels (its `precision` must be
    /// `None`: a sphere's precision comes from `noise`).
    pub rdm: RdmSpec<'a>,
    /// Spheres with fewer mask voxels get no RDM.
    pub min_voxels: usize,
    /// Residuals (measurements × mask voxels) and an estimator, for a noise
    /// precision per sphere (mahalanobis, crossnobis).
    pub noise: Option<(Stored<'a>, CovarianceMethod)>,
    /// The data columns used as centres, in this order (every column when
    /// `None`): a stride or a region of interest. Other columns still take
    /// part in their neighbours' spheres; they get no RDM (NaN in maps).
    pub centres: Option<&'a [usize]>,
    /// Bytes of shared rows one block of centres may hold (default
    /// [`BLOCK_BYTES`]): smaller blocks lower the peak memory, at the cost
    /// of reading columns shared by neighbouring blocks more than once.
    pub block_bytes: Option<usize>,
}

/// The RDMs of every sphere: `rdms` holds one condensed RDM per entry of
/// `centres` (data column indices), row by row.
#[derive(Clone, Debug)]
pub struct SphereRdms {
    pub centres: Vec<usize>,
    pub n_pairs: usize,
    pub rdms: Vec<f64>,
}

/// The RDM of every sphere with at least `min_voxels` voxels. `data` is
/// measurements × mask voxels; `progress(done, total)` is called after
/// each block of centres.
pub fn sphere_rdms<'d>(
    light: &dyn Neighbourhoods,
    data: impl Into<Stored<'d>>,
    spec: &SearchlightSpec<'_>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SphereRdms> {
    let data = data.into();
    let k = n_conditions(spec, data.nrows());
    let pairs = n_pairs(k);
    let mut centres = Vec::new();
    let mut rdms = Vec::new();
    run(light, data, spec, progress, |centre, rdm| {
        centres.push(centre);
        rdms.extend_from_slice(&rdm);
        Ok(())
    })?;
    Ok(SphereRdms {
        centres,
        n_pairs: pairs,
        rdms,
    })
}

/// One map per model (values per mask voxel, NaN for centres without an
/// RDM): each sphere's RDM compared with the model by `method`.
pub fn model_maps<'d>(
    light: &dyn Neighbourhoods,
    data: impl Into<Stored<'d>>,
    spec: &SearchlightSpec<'_>,
    models: &[&[f64]],
    method: CompareMethod,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Vec<f64>>> {
    let data = data.into();
    let k = n_conditions(spec, data.nrows());
    if models.is_empty() {
        return Err(Error::NoRepresentations {
            what: "the list of model RDMs".into(),
        });
    }
    for (m, model) in models.iter().enumerate() {
        if model.len() != n_pairs(k) {
            return Err(Error::ShapeMismatch {
                what: format!("model RDM {m} (condensed, for {k} conditions)"),
                expected: n_pairs(k),
                found: model.len(),
            });
        }
        if let Some(i) = model.iter().position(|v| !v.is_finite()) {
            return Err(Error::InvalidRdm {
                detail: format!(
                    "model RDM {m} holds {} at entry {i}; searchlight models must be complete",
                    model[i]
                ),
            });
        }
    }
    let keep = vec![true; n_pairs(k)];
    let prepared: Vec<PreparedRdm> = models
        .iter()
        .map(|m| compare::prepare(m, &keep, method, None))
        .collect::<Result<_>>()?;
    let mut maps = vec![vec![f64::NAN; light.n_columns()]; models.len()];
    let scorer = |rdm: &[f64]| -> Result<Vec<f64>> {
        let sphere = compare::prepare(rdm, &keep, method, None)?;
        Ok(prepared
            .iter()
            .map(|m| compare::score(&sphere, m, method))
            .collect())
    };
    run_with(light, data, spec, progress, scorer, |centre, scores| {
        for (map, s) in maps.iter_mut().zip(scores) {
            map[centre] = s;
        }
        Ok(())
    })?;
    Ok(maps)
}

/// Conditions in the spec's labels (or one per row).
fn n_conditions(spec: &SearchlightSpec<'_>, rows: usize) -> usize {
    spec.rdm
        .conditions
        .map_or(rows, |c| c.iter().max().map_or(0, |m| m + 1))
}

#[cfg(test)]
mod tests {
    use super::geometry::sphere_offsets;
    use super::*;
    use crate::rsa::dissimilarity::{RdmMethod, rdm};
    use crate::testing::gaussian;
    use faer::Mat;

    #[test]
    fn spheres_of_radius_3_hold_123_voxels_and_are_cut_at_the_mask() {
        let light = Searchlight::new([9, 9, 9], &[true; 729], Radius::Voxels(3.0)).unwrap();
        assert_eq!(light.sphere_size(), 123);
        let mut cols = Vec::new();
        // Centre (4, 4, 4): a full sphere; corner (0, 0, 0): an octant.
        light.sphere(4 * 81 + 4 * 9 + 4, &mut cols);
        assert_eq!(cols.len(), 123);
        assert_eq!(cols[0], 4 * 81 + 4 * 9 + 4);
        light.sphere(0, &mut cols);
        // The octant i, j, k ≥ 0 of the sphere: 29 offsets.
        assert_eq!(cols.len(), 29);
        // Anisotropic voxels in mm: 2 mm along x, so a 2 mm radius reaches
        // one voxel along x and two along y and z.
        let affine = [
            [2.0, 0.0, 0.0, 0.0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let offsets = sphere_offsets(Radius::Millimetres(2.0, affine)).unwrap();
        assert!(offsets.contains(&[1, 0, 0]) && !offsets.contains(&[2, 0, 0]));
        assert!(offsets.contains(&[0, 2, 0]) && offsets.contains(&[0, 0, -2]));
        // Half the grid masked: spheres only hold mask voxels.
        let mask: Vec<bool> = (0..729).map(|f| f / 81 < 5).collect();
        let half = Searchlight::new([9, 9, 9], &mask, Radius::Voxels(3.0)).unwrap();
        half.sphere(
            half.voxels().iter().position(|v| *v == [4, 4, 4]).unwrap(),
            &mut cols,
        );
        let expected = (-3i32..=0)
            .map(|i| {
                (-3i32..=3)
                    .flat_map(|j| (-3i32..=3).map(move |k| (j, k)))
                    .filter(|(j, k)| i * i + j * j + k * k <= 9)
                    .count()
            })
            .sum::<usize>();
        assert_eq!(cols.len(), expected);
    }

    fn small_problem() -> (Searchlight, Mat<f64>, Vec<usize>, Vec<usize>) {
        let mask: Vec<bool> = (0..5 * 4 * 3).map(|f| f % 7 != 3).collect();
        let light = Searchlight::new([5, 4, 3], &mask, Radius::Voxels(1.5)).unwrap();
        let (k, runs) = (5, 3);
        let data = gaussian(k * runs * 2, light.voxels().len(), 7);
        let conditions: Vec<usize> = (0..k * runs * 2).map(|r| r % k).collect();
        let folds: Vec<usize> = (0..k * runs * 2).map(|r| r / (2 * k)).collect();
        (light, data, conditions, folds)
    }

    #[test]
    fn shared_averaging_equals_a_plain_loop_over_spheres() {
        let (light, data, conditions, folds) = small_problem();
        let methods = [
            RdmMethod::Crossnobis,
            RdmMethod::Correlation,
            RdmMethod::Euclidean,
        ];
        // One block for all centres, and a block per centre.
        for (method, block_bytes) in methods.into_iter().flat_map(|m| [(m, None), (m, Some(1))]) {
            let spec = SearchlightSpec {
                rdm: RdmSpec {
                    conditions: Some(&conditions),
                    folds: Some(&folds),
                    ..RdmSpec::new(method)
                },
                min_voxels: 4,
                noise: None,
                centres: None,
                block_bytes,
            };
            let out = sphere_rdms(&light, data.as_ref(), &spec, &|_, _| {}).unwrap();
            let mut cols = Vec::new();
            let mut row = 0;
            for centre in 0..light.voxels().len() {
                light.sphere(centre, &mut cols);
                if cols.len() < 4 {
                    assert!(!out.centres.contains(&centre));
                    continue;
                }
                assert_eq!(out.centres[row], centre);
                let x = Mat::from_fn(data.nrows(), cols.len(), |i, j| data[(i, cols[j])]);
                let direct = rdm(x.as_ref(), &spec.rdm).unwrap();
                let got = &out.rdms[row * out.n_pairs..(row + 1) * out.n_pairs];
                for (a, b) in got.iter().zip(&direct) {
                    assert!(
                        (a - b).abs() <= 1e-10 * (1.0 + b.abs()),
                        "{method:?} {a} {b}"
                    );
                }
                row += 1;
            }
            assert_eq!(row, out.centres.len());
        }
    }

    #[test]
    fn noise_whitening_blocks_and_float32_storage_equal_the_direct_rdm() {
        use crate::stats::covariance::noise_precision;
        let (light, data, conditions, folds) = small_problem();
        let residuals = gaussian(30, light.voxels().len(), 9);
        let narrow = Mat::<f32>::from_fn(data.nrows(), data.ncols(), |i, j| data[(i, j)] as f32);
        let widened = Mat::from_fn(data.nrows(), data.ncols(), |i, j| f64::from(narrow[(i, j)]));
        let mut worst = 0.0f64;
        for method in [RdmMethod::Crossnobis, RdmMethod::Mahalanobis] {
            for cov in [
                CovarianceMethod::Full,
                CovarianceMethod::Diag,
                CovarianceMethod::ShrinkageEye,
                CovarianceMethod::ShrinkageDiag,
            ] {
                let inputs = [
                    (Stored::from(data.as_ref()), &data, None),
                    (Stored::from(narrow.as_ref()), &widened, Some(40_000)),
                    (Stored::from(data.as_ref()), &data, Some(1)),
                ];
                for (stored, plain, block_bytes) in inputs {
                    let spec = SearchlightSpec {
                        rdm: RdmSpec {
                            conditions: Some(&conditions),
                            folds: Some(&folds),
                            ..RdmSpec::new(method)
                        },
                        min_voxels: 4,
                        noise: Some((residuals.as_ref().into(), cov)),
                        centres: None,
                        block_bytes,
                    };
                    let out = sphere_rdms(&light, stored, &spec, &|_, _| {}).unwrap();
                    let mut cols = Vec::new();
                    for (row, &centre) in out.centres.iter().enumerate() {
                        light.sphere(centre, &mut cols);
                        let pick = |m: &Mat<f64>| {
                            Mat::from_fn(m.nrows(), cols.len(), |i, j| m[(i, cols[j])])
                        };
                        let precision =
                            noise_precision(pick(&residuals).as_ref(), cov, None).unwrap();
                        let direct = rdm(
                            pick(plain).as_ref(),
                            &RdmSpec {
                                precision: Some(precision.as_ref()),
                                ..spec.rdm
                            },
                        )
                        .unwrap();
                        let got = &out.rdms[row * out.n_pairs..(row + 1) * out.n_pairs];
                        let scale = direct.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                        for (a, b) in got.iter().zip(&direct) {
                            worst = worst.max((a - b).abs() / scale);
                        }
                    }
                }
            }
        }
        assert!(
            worst <= 1e-12,
            "largest difference {worst:e} of the RDM's scale"
        );
        // Unequal cells (one measurement fewer in one cell): training means
        // weighted by counts, as the direct computation does.
        let rest = Mat::from_fn(data.nrows() - 1, data.ncols(), |i, j| data[(i + 1, j)]);
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&conditions[1..]),
                folds: Some(&folds[1..]),
                ..RdmSpec::new(RdmMethod::Crossnobis)
            },
            min_voxels: 4,
            noise: Some((residuals.as_ref().into(), CovarianceMethod::ShrinkageEye)),
            centres: Some(&[0, 17, 33]),
            block_bytes: None,
        };
        let out = sphere_rdms(&light, rest.as_ref(), &spec, &|_, _| {}).unwrap();
        let mut cols = Vec::new();
        for (row, &centre) in out.centres.iter().enumerate() {
            light.sphere(centre, &mut cols);
            let pick = |m: &Mat<f64>| Mat::from_fn(m.nrows(), cols.len(), |i, j| m[(i, cols[j])]);
            let precision = noise_precision(
                pick(&residuals).as_ref(),
                CovarianceMethod::ShrinkageEye,
                None,
            )
            .unwrap();
            let direct = rdm(
                pick(&rest).as_ref(),
                &RdmSpec {
                    precision: Some(precision.as_ref()),
                    ..spec.rdm
                },
            )
            .unwrap();
            let got = &out.rdms[row * out.n_pairs..(row + 1) * out.n_pairs];
            for (a, b) in got.iter().zip(&direct) {
                assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} {b}");
            }
        }
    }

    #[test]
    fn maps_score_each_sphere_against_each_model() {
        let (light, data, conditions, folds) = small_problem();
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&conditions),
                folds: Some(&folds),
                ..RdmSpec::new(RdmMethod::Crossnobis)
            },
            min_voxels: 4,
            noise: None,
            centres: None,
            block_bytes: None,
        };
        let model_a: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let model_b: Vec<f64> = (0..10).map(|i| ((i * 7) % 10) as f64).collect();
        let models = [model_a.as_slice(), model_b.as_slice()];
        let maps = model_maps(
            &light,
            data.as_ref(),
            &spec,
            &models,
            CompareMethod::Spearman,
            &|_, _| {},
        )
        .unwrap();
        let rdms = sphere_rdms(&light, data.as_ref(), &spec, &|_, _| {}).unwrap();
        for (row, &centre) in rdms.centres.iter().enumerate() {
            let sphere = &rdms.rdms[row * 10..(row + 1) * 10];
            let expected =
                compare::compare(&[sphere], &models, CompareMethod::Spearman, None).unwrap();
            for m in 0..2 {
                assert!((maps[m][centre] - expected[(0, m)]).abs() < 1e-12);
            }
        }
        let nan = maps[0].iter().filter(|v| v.is_nan()).count();
        assert_eq!(nan, light.voxels().len() - rdms.centres.len());
        let grid = light.to_grid(&maps[0]);
        assert_eq!(grid.len(), 60);
        assert!(grid[3].is_nan());
    }

    #[test]
    fn nan_voxels_and_wrong_labels_are_specific_errors() {
        let (light, mut data, conditions, folds) = small_problem();
        let spec = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(&conditions),
                folds: Some(&folds),
                ..RdmSpec::new(RdmMethod::Crossnobis)
            },
            min_voxels: 1,
            noise: None,
            centres: None,
            block_bytes: None,
        };
        data[(2, 5)] = f64::NAN;
        let e = sphere_rdms(&light, data.as_ref(), &spec, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("is NaN in volume 2"), "{e}");
        data[(2, 5)] = 0.0;
        let short = &conditions[1..];
        let bad = SearchlightSpec {
            rdm: RdmSpec {
                conditions: Some(short),
                ..spec.rdm
            },
            ..spec
        };
        let e = sphere_rdms(&light, data.as_ref(), &bad, &|_, _| {}).unwrap_err();
        assert!(e.to_string().contains("condition labels"), "{e}");
        let e = Searchlight::new([5, 4, 3], &[true; 59], Radius::Voxels(2.0)).unwrap_err();
        assert!(e.to_string().contains("should have 60"), "{e}");
    }
}
