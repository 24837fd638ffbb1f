//! Shape metrics fitted on some stimuli and scored on others (netrep's
//! `fit`/`score`, Williams et al. 2021).
//!
//! Fitting learns, from training stimuli: each side's column means (when
//! centring), its partial whitening Z (α ∈ [0, 1]; Z = V diag(c·dₖ) Vᵀ from
//! the scatter XᵀX = V diag(λ) Vᵀ, λ floored at 1e−7, dₖ = α + (1 − α)λₖ^{−½},
//! c keeping the total variance) and the alignment: for rotations the SVD
//! (XZx)ᵀ(YZy) = U S Vᵀ gives Wx = Zx U, Wy = Zy V; for permutations the
//! assignment maximising Σ XᵢᵀYⱼ reorders Y's units. A narrower side is
//! padded with zero columns first.
//!
//! Scoring maps held-out stimuli with what was learned, tX = (X − mx) Wx
//! and tY = (Y − my) Wy, and gives arccos(⟨tX, tY⟩ / (‖tX‖ ‖tY‖)) (angular)
//! or ‖tX − tY‖ (euclidean). On the training stimuli at α = 1 this is the
//! `procrustes` measure.

use faer::{Mat, MatRef, Par};

use crate::error::{Error, Result};
use crate::linalg::assignment::linear_sum_assignment;
use crate::linalg::{cross_product, sum_of_squares, thin_svd};
use crate::measures::shape::{
    EIGENVALUE_FLOOR, ShapeScore, finish, floored_scatter_eigen, spectral_transform,
};

crate::choice! {
    /// The transforms an alignment may use.
    pub enum Group: "alignment group" {
        /// Rotations and reflections (with partial whitening by alpha).
        Orthogonal = "orth",
        /// One-to-one matchings of units.
        Permutation = "perm",
        /// No transform (the units correspond as they are).
        Identity = "identity",
    }
}

/// The transform T in `group` minimising ‖aT − b‖ (netrep's `align`): for
/// rotations T = UVᵀ from aᵀb = USVᵀ; for permutations the matching
/// maximising Σ aᵢᵀbⱼ (T[i, j] = 1 when unit i of a goes to unit j).
pub fn align(a: MatRef<'_, f64>, b: MatRef<'_, f64>, group: Group) -> Result<Mat<f64>> {
    let width = a.ncols();
    match group {
        Group::Identity => Ok(Mat::identity(width, width)),
        Group::Orthogonal => {
            let (u, _, v) = thin_svd(cross_product(a, b, Par::Seq).as_ref())?;
            Ok(&u * v.transpose())
        }
        Group::Permutation => {
            let matched = linear_sum_assignment(cross_product(a, b, Par::Seq).as_ref(), true)?;
            let mut t = Mat::zeros(width, b.ncols());
            for (i, &j) in matched.iter().enumerate() {
                t[(i, j)] = 1.0;
            }
            Ok(t)
        }
    }
}

/// How an alignment is fitted and scored.
#[derive(Clone, Copy, Debug)]
pub struct AlignmentSpec {
    pub group: Group,
    /// Whitening: 1 none (Procrustes), 0 full (CCA-like); orthogonal group only.
    pub alpha: f64,
    pub center: bool,
    pub score: ShapeScore,
}

impl AlignmentSpec {
    pub fn check(&self) -> Result<()> {
        if !(0.0..=1.0).contains(&self.alpha) {
            return Err(Error::OutOfRange {
                what: "alpha".into(),
                value: self.alpha.to_string(),
                expected: "in [0, 1]".into(),
            });
        }
        Ok(())
    }
}

/// What fitting learned: each side's means and map (width × width, after
/// padding to the wider side).
#[derive(Clone, Debug)]
pub struct Alignment {
    pub mean_x: Vec<f64>,
    pub mean_y: Vec<f64>,
    pub map_x: Mat<f64>,
    pub map_y: Mat<f64>,
    pub score: ShapeScore,
}

/// One side's training state: its means and its centred, whitened rows
/// (netrep's `partial_fit`), reusable against many partners of `width`.
#[derive(Clone, Debug)]
pub struct PreparedSide {
    pub mean: Vec<f64>,
    /// The whitening transform (width × width).
    pub whitening: Mat<f64>,
    /// (X − mean) padded and whitened.
    pub whitened: Mat<f64>,
}

/// x − mean, padded with zero columns to `width` (`mean` holds at least
/// x's columns).
fn centred_padded(x: MatRef<'_, f64>, mean: &[f64], width: usize) -> Mat<f64> {
    Mat::from_fn(x.nrows(), width, |i, j| {
        if j < x.ncols() {
            x[(i, j)] - mean[j]
        } else {
            0.0
        }
    })
}

fn column_means(x: MatRef<'_, f64>, center: bool) -> Vec<f64> {
    let n = x.nrows() as f64;
    (0..x.ncols())
        .map(|j| {
            if center {
                x.col(j).iter().sum::<f64>() / n
            } else {
                0.0
            }
        })
        .collect()
}

/// The partial whitening of centred `c` (netrep's, variance kept).
fn whitening(c: MatRef<'_, f64>, alpha: f64) -> Result<Mat<f64>> {
    let p = c.ncols();
    if alpha > 1.0 - EIGENVALUE_FLOOR {
        return Ok(Mat::identity(p, p));
    }
    let (lambda, v) = floored_scatter_eigen(c, Par::Seq)?;
    let d: Vec<f64> = lambda
        .iter()
        .map(|l| alpha + (1.0 - alpha) / l.sqrt())
        .collect();
    // The constant that keeps the total variance: √(Σλ / Σλd²).
    let kept: f64 =
        lambda.iter().sum::<f64>() / lambda.iter().zip(&d).map(|(l, d)| l * d * d).sum::<f64>();
    let weights: Vec<f64> = d.iter().map(|d| d * kept.sqrt()).collect();
    Ok(spectral_transform(v.as_ref(), &weights))
}

/// One side's training state at `width` columns.
pub fn prepare_side(
    x: MatRef<'_, f64>,
    width: usize,
    spec: &AlignmentSpec,
) -> Result<PreparedSide> {
    let mean = column_means(x, spec.center);
    let c = centred_padded(x, &mean, width);
    let alpha = match spec.group {
        Group::Orthogonal => spec.alpha,
        Group::Permutation | Group::Identity => 1.0,
    };
    let whitening = whitening(c.as_ref(), alpha)?;
    let whitened = if alpha > 1.0 - EIGENVALUE_FLOOR {
        c
    } else {
        &c * &whitening
    };
    let mut mean = mean;
    mean.resize(width, 0.0);
    Ok(PreparedSide {
        mean,
        whitening,
        whitened,
    })
}

fn check_pair(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<()> {
    crate::data::check_same_stimuli(
        &[crate::data::RepRef { name: "X", x }],
        &[crate::data::RepRef { name: "Y", x: y }],
    )?;
    if x.nrows() < 2 {
        return Err(Error::TooFew {
            what: "fitting an alignment (stimuli)".into(),
            needed: 2,
            found: x.nrows(),
        });
    }
    for (name, m) in [("X", x), ("Y", y)] {
        crate::measures::check_input(crate::data::RepRef { name, x: m })?;
    }
    Ok(())
}

/// Fits the alignment of `x` to `y` on their rows (netrep's `fit`).
pub fn fit(x: MatRef<'_, f64>, y: MatRef<'_, f64>, spec: &AlignmentSpec) -> Result<Alignment> {
    spec.check()?;
    check_pair(x, y)?;
    let width = x.ncols().max(y.ncols());
    let (a, b) = (prepare_side(x, width, spec)?, prepare_side(y, width, spec)?);
    fit_prepared(&a, &b, spec)
}

/// Fits the alignment of two prepared sides (netrep's `finalize_fit`).
pub fn fit_prepared(a: &PreparedSide, b: &PreparedSide, spec: &AlignmentSpec) -> Result<Alignment> {
    let (map_x, map_y) = match spec.group {
        Group::Orthogonal => {
            let cross = cross_product(a.whitened.as_ref(), b.whitened.as_ref(), Par::Seq);
            let (u, _, v) = thin_svd(cross.as_ref())?;
            (&a.whitening * &u, &b.whitening * &v)
        }
        // Y's units reordered onto X's: Wy = Tᵀ with T aligning X to Y.
        Group::Permutation | Group::Identity => {
            let t = align(a.whitened.as_ref(), b.whitened.as_ref(), spec.group)?;
            (a.whitening.clone(), t.transpose().to_owned())
        }
    };
    Ok(Alignment {
        mean_x: a.mean.clone(),
        mean_y: b.mean.clone(),
        map_x,
        map_y,
        score: spec.score,
    })
}

impl Alignment {
    fn width(&self) -> usize {
        self.map_x.nrows()
    }

    /// Maps `x` and `y` (held-out rows, say) with what was learned:
    /// ((x − mx) Wx, (y − my) Wy) (netrep's `transform`).
    pub fn transform(
        &self,
        x: MatRef<'_, f64>,
        y: MatRef<'_, f64>,
    ) -> Result<(Mat<f64>, Mat<f64>)> {
        check_pair(x, y)?;
        let width = self.width();
        for (name, m) in [("X", x), ("Y", y)] {
            if m.ncols() > width {
                return Err(Error::Invalid {
                    what: "scoring an alignment".into(),
                    detail: format!(
                        "{name} has {} units but the alignment was fitted on {width}",
                        m.ncols()
                    ),
                });
            }
        }
        let map =
            |m: MatRef<'_, f64>, mean: &[f64], w: &Mat<f64>| centred_padded(m, mean, width) * w;
        Ok((
            map(x, &self.mean_x, &self.map_x),
            map(y, &self.mean_y, &self.map_y),
        ))
    }

    /// The distance between `x` and `y` under the fitted alignment
    /// (netrep's `score`).
    pub fn score(&self, x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> Result<f64> {
        let (tx, ty) = self.transform(x, y)?;
        let inner: f64 = (0..tx.ncols())
            .map(|j| {
                tx.col(j)
                    .iter()
                    .zip(ty.col(j).iter())
                    .map(|(a, b)| a * b)
                    .sum::<f64>()
            })
            .sum();
        let (nx, ny) = (sum_of_squares(tx.as_ref()), sum_of_squares(ty.as_ref()));
        Ok(finish(self.score, inner, nx, ny))
    }
}

/// Held-out distances: for each fold (a fold id per stimulus), the
/// alignment fitted on the other folds' stimuli, scored on the fold's.
pub fn cross_validated(
    x: MatRef<'_, f64>,
    y: MatRef<'_, f64>,
    folds: &[usize],
    spec: &AlignmentSpec,
) -> Result<Vec<f64>> {
    check_pair(x, y)?;
    if folds.len() != x.nrows() {
        return Err(Error::Invalid {
            what: "cross-validated alignment".into(),
            detail: format!(
                "{} fold ids for {} stimuli; give one per stimulus",
                folds.len(),
                x.nrows()
            ),
        });
    }
    let mut ids: Vec<usize> = folds.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return Err(Error::TooFew {
            what: "cross-validated alignment (folds)".into(),
            needed: 2,
            found: ids.len(),
        });
    }
    ids.iter()
        .map(|&f| {
            let train: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] != f).collect();
            let test: Vec<usize> = (0..folds.len()).filter(|&i| folds[i] == f).collect();
            let rows = |m: MatRef<'_, f64>, r: &[usize]| crate::linalg::gather_rows(m, r);
            let fitted = fit(rows(x, &train).as_ref(), rows(y, &train).as_ref(), spec)?;
            fitted.score(rows(x, &test).as_ref(), rows(y, &test).as_ref())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{gaussian, rotation};

    fn spec(group: Group, alpha: f64) -> AlignmentSpec {
        AlignmentSpec {
            group,
            alpha,
            center: true,
            score: ShapeScore::Angular,
        }
    }

    #[test]
    fn a_rotated_copy_is_at_distance_zero_on_held_out_stimuli() {
        let x = gaussian(60, 5, 1);
        let y = &x * rotation(5, 2) + Mat::from_fn(60, 5, |_, j| j as f64);
        for alpha in [1.0, 0.5] {
            let fitted = fit(
                x.subrows(0, 40),
                y.subrows(0, 40),
                &spec(Group::Orthogonal, alpha),
            )
            .unwrap();
            let d = fitted.score(x.subrows(40, 20), y.subrows(40, 20)).unwrap();
            assert!(d.abs() < 1e-6, "alpha {alpha}: {d}");
        }
    }

    #[test]
    fn training_distance_is_the_procrustes_measure() {
        use crate::measures::{ParamValue, Params, build, similarity};
        let (x, y) = (gaussian(50, 4, 3), gaussian(50, 6, 4));
        for alpha in [1.0, 0.3] {
            let fitted = fit(x.as_ref(), y.as_ref(), &spec(Group::Orthogonal, alpha)).unwrap();
            let params = Params::from([("alpha".to_string(), ParamValue::Number(alpha))]);
            let m = build("procrustes", &params).unwrap();
            let want = similarity(
                crate::data::RepRef {
                    name: "x",
                    x: x.as_ref(),
                },
                crate::data::RepRef {
                    name: "y",
                    x: y.as_ref(),
                },
                m.as_ref(),
            )
            .unwrap();
            let got = fitted.score(x.as_ref(), y.as_ref()).unwrap();
            assert!((got - want).abs() < 1e-9, "alpha {alpha}: {got} vs {want}");
        }
    }

    #[test]
    fn permutations_are_found_and_folds_checked() {
        let x = gaussian(30, 4, 5);
        let y = Mat::from_fn(30, 4, |i, j| x[(i, [2, 0, 3, 1][j])]);
        let fitted = fit(x.as_ref(), y.as_ref(), &spec(Group::Permutation, 1.0)).unwrap();
        assert!(fitted.score(x.as_ref(), y.as_ref()).unwrap() < 1e-7);
        let folds: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let cv = cross_validated(
            x.as_ref(),
            y.as_ref(),
            &folds,
            &spec(Group::Permutation, 1.0),
        );
        assert_eq!(cv.unwrap().len(), 3);
        assert!(
            cross_validated(
                x.as_ref(),
                y.as_ref(),
                &[0; 30],
                &spec(Group::Orthogonal, 1.0)
            )
            .is_err()
        );
    }
}
