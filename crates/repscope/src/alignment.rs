//! Alignment of two representations of the same items (cross-modal or
//! cross-model: an image and its caption, a word in two models, a sentence
//! at two layers). Row i of A and row i of B describe the same item.
//!
//! Reported for one pair of representations:
//! - `paired_cosine`: the mean cosine of each item's two vectors (only when
//!   both have the same width, i.e. live in one space; e.g. *Implicit
//!   Multimodal Alignment*'s token alignment);
//! - `mutual_knn` (k nearest neighbours shared, Huh et al.) and
//!   `linear_cka` between the sets, from the measure registry;
//! - a learned linear map A → B, fitted on a seeded training split of the
//!   items, and on the held-out items: the mean cosine between mapped A and
//!   B, and the retrieval accuracy (top-1, top-5): how often an item's mapped
//!   A-vector is closest, by cosine, to its own B-vector among all held-out
//!   B-vectors (ties count against the item unless it has the lower index).
//!
//! Maps (both fitted on centred training rows; an item is mapped as
//! (a − ā) W + b̄ with the training means):
//! - `procrustes`: W = U Vᵀ from the SVD U S Vᵀ = AᵀB, the orthogonal
//!   (semi-orthogonal when the widths differ) map closest to B in least
//!   squares;
//! - `ridge`: W = (AᵀA + αI)⁻¹ AᵀB (scikit-learn's `Ridge(alpha)` with an
//!   intercept).

use faer::{Mat, MatRef, Par};

use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::norms::normalize_rows;
use crate::linalg::{center_columns, column_means, cross_product, gather_rows, thin_svd};
use crate::measures::{ParamValue, Params};
use crate::rng::checked_holdout;

crate::choice! {
    /// The family of a linear map from A to B.
    pub enum MapMethod: "linear map" {
        /// Orthogonal (semi-orthogonal when the widths differ) Procrustes map.
        Procrustes = "procrustes" | "orthogonal",
        /// Ridge regression with a penalty alpha.
        Ridge = "ridge" | "linear",
    }
}

/// Which linear map to learn from A to B.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MapKind {
    Procrustes,
    Ridge { alpha: f64 },
}

impl MapKind {
    /// The map of `method`; `alpha` is the ridge penalty (ignored by
    /// Procrustes).
    pub fn new(method: MapMethod, alpha: f64) -> Result<MapKind> {
        match method {
            MapMethod::Procrustes => Ok(MapKind::Procrustes),
            MapMethod::Ridge if alpha.is_finite() && alpha >= 0.0 => Ok(MapKind::Ridge { alpha }),
            MapMethod::Ridge => Err(Error::OutOfRange {
                what: "the ridge penalty alpha".into(),
                value: alpha.to_string(),
                expected: "finite and ≥ 0".into(),
            }),
        }
    }

    /// The family of this map.
    pub fn method(self) -> MapMethod {
        match self {
            MapKind::Procrustes => MapMethod::Procrustes,
            MapKind::Ridge { .. } => MapMethod::Ridge,
        }
    }
}

/// A fitted affine map: `(a − a_mean) W + b_mean`.
#[derive(Clone, Debug)]
pub struct LinearMap {
    /// `p × q`.
    pub weights: Mat<f64>,
    pub a_mean: Vec<f64>,
    pub b_mean: Vec<f64>,
}

impl LinearMap {
    /// Fits the map from the rows of `a` to those of `b`.
    pub fn fit(a: MatRef<'_, f64>, b: MatRef<'_, f64>, kind: MapKind) -> Result<LinearMap> {
        Self::fit_with(a, b, kind, true)
    }

    /// Fits the map, on centred rows when `centre` (else the means are
    /// zero and the map is a plain `a W`).
    pub fn fit_with(
        a: MatRef<'_, f64>,
        b: MatRef<'_, f64>,
        kind: MapKind,
        centre: bool,
    ) -> Result<LinearMap> {
        let (ac, bc) = if centre {
            (center_columns(a), center_columns(b))
        } else {
            (a.to_owned(), b.to_owned())
        };
        let weights = match kind {
            MapKind::Procrustes => {
                let (u, _, v) =
                    thin_svd(cross_product(ac.as_ref(), bc.as_ref(), Par::Seq).as_ref())?;
                &u * v.transpose()
            }
            MapKind::Ridge { alpha } => {
                // W = V diag(s / (s² + α)) Uᵀ B from the thin SVD of A.
                let (u, s, v) = thin_svd(ac.as_ref())?;
                let mut utb = u.transpose() * &bc;
                for (r, &sv) in s.iter().enumerate() {
                    let f = if sv * sv + alpha > 0.0 {
                        sv / (sv * sv + alpha)
                    } else {
                        0.0
                    };
                    utb.row_mut(r).iter_mut().for_each(|x| *x *= f);
                }
                &v * &utb
            }
        };
        let means = |x: MatRef<'_, f64>| {
            if centre {
                column_means(x)
            } else {
                vec![0.0; x.ncols()]
            }
        };
        Ok(LinearMap {
            weights,
            a_mean: means(a),
            b_mean: means(b),
        })
    }

    /// Maps the rows of `a` into B's space.
    pub fn apply(&self, a: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if a.ncols() != self.weights.nrows() {
            return Err(Error::ShapeMismatch {
                what: "units (columns) of the rows to map".into(),
                expected: self.weights.nrows(),
                found: a.ncols(),
            });
        }
        let centred = Mat::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] - self.a_mean[j]);
        let mut out = &centred * &self.weights;
        for (col, m) in out.col_iter_mut().zip(&self.b_mean) {
            col.iter_mut().for_each(|v| *v += m);
        }
        Ok(out)
    }
}

/// Cosines of every row of `a` with every row of `b` (0 for a zero row).
fn cosine_matrix(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    normalize_rows(a) * normalize_rows(b).transpose()
}

/// Mean cosine of row i of `a` with row i of `b` (same widths).
pub fn paired_cosine(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let (ua, ub) = (normalize_rows(a), normalize_rows(b));
    let total: f64 = (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| ua[(i, j)] * ub[(i, j)]).sum::<f64>())
        .sum();
    total / a.nrows() as f64
}

/// For each `k` in `ks`, the fraction of queries (rows of `queries`) whose
/// own gallery row (same index) is among their `k` most cosine-similar
/// gallery rows; ties go to the lower gallery index.
pub fn retrieval_accuracy(
    queries: MatRef<'_, f64>,
    gallery: MatRef<'_, f64>,
    ks: &[usize],
) -> Vec<f64> {
    let s = cosine_matrix(queries, gallery);
    let m = queries.nrows();
    let ranks: Vec<usize> = (0..m)
        .map(|i| {
            let own = s[(i, i)];
            (0..gallery.nrows())
                .filter(|&j| s[(i, j)] > own || (s[(i, j)] == own && j < i))
                .count()
        })
        .collect();
    ks.iter()
        .map(|&k| ranks.iter().filter(|&&r| r < k).count() as f64 / m as f64)
        .collect()
}

/// Settings of [`align`].
#[derive(Clone, Debug)]
pub struct AlignOptions {
    pub map: MapKind,
    /// Fraction of items held out to score the map.
    pub test_fraction: f64,
    pub seed: u64,
    /// Neighbours for mutual kNN.
    pub k: usize,
}

impl Default for AlignOptions {
    fn default() -> Self {
        AlignOptions {
            map: MapKind::Procrustes,
            test_fraction: 0.2,
            seed: 0,
            k: 10,
        }
    }
}

/// Alignment of two representations of the same items.
#[derive(Clone, Debug)]
pub struct Alignment {
    /// Mean cosine of paired rows (None when the widths differ).
    pub paired_cosine: Option<f64>,
    pub mutual_knn: f64,
    pub linear_cka: f64,
    /// Held-out mean cosine between mapped A-rows and their B-rows.
    pub mapped_cosine: f64,
    /// Held-out retrieval accuracy A → B at top-1 and top-5.
    pub top1: f64,
    pub top5: f64,
    /// The held-out items (sorted).
    pub test_rows: Vec<usize>,
    /// The map, fitted on the other items.
    pub map: LinearMap,
}

/// Scores the alignment of `a` and `b` (rows = the same items).
pub fn align(a: RepRef<'_>, b: RepRef<'_>, options: &AlignOptions) -> Result<Alignment> {
    crate::units::check_pair(a.x, b.x)?;
    let (train, test) = checked_holdout(
        "alignment",
        a.x.nrows(),
        options.test_fraction,
        2,
        false,
        options.seed,
    )?;

    let map = LinearMap::fit(
        gather_rows(a.x, &train).as_ref(),
        gather_rows(b.x, &train).as_ref(),
        options.map,
    )?;
    let mapped = map.apply(gather_rows(a.x, &test).as_ref())?;
    let b_test = gather_rows(b.x, &test);
    let top = retrieval_accuracy(mapped.as_ref(), b_test.as_ref(), &[1, 5]);

    let k_param = Params::from([("k".to_string(), ParamValue::Number(options.k as f64))]);
    let knn = crate::measures::build("mutual_knn", &k_param)?;
    let cka = crate::measures::build("linear_cka", &Params::new())?;
    Ok(Alignment {
        paired_cosine: (a.x.ncols() == b.x.ncols()).then(|| paired_cosine(a.x, b.x)),
        mutual_knn: crate::measures::similarity(a, b, knn.as_ref())?,
        linear_cka: crate::measures::similarity(a, b, cka.as_ref())?,
        mapped_cosine: paired_cosine(mapped.as_ref(), b_test.as_ref()),
        top1: top[0],
        top5: top[1],
        test_rows: test,
        map,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::gaussian_matrix;

    #[test]
    fn a_rotated_copy_is_aligned_perfectly_by_procrustes() {
        let a = gaussian_matrix(100, 8, 1);
        let (q, _, _) = thin_svd(gaussian_matrix(8, 8, 2).as_ref()).unwrap();
        let b = &a * &q;
        let al = align(
            RepRef {
                name: "a",
                x: a.as_ref(),
            },
            RepRef {
                name: "b",
                x: b.as_ref(),
            },
            &AlignOptions::default(),
        )
        .unwrap();
        assert_eq!(al.top1, 1.0);
        assert!((al.mapped_cosine - 1.0).abs() < 1e-12);
        assert!((&al.map.weights - &q).norm_max() < 1e-10);
        assert!((al.linear_cka - 1.0).abs() < 1e-12);
        assert_eq!(al.test_rows.len(), 20);
    }

    #[test]
    fn ridge_solves_the_normal_equations() {
        let a = gaussian_matrix(50, 6, 3);
        let b = gaussian_matrix(50, 4, 4);
        let map = LinearMap::fit(a.as_ref(), b.as_ref(), MapKind::Ridge { alpha: 2.5 }).unwrap();
        let (ac, bc) = (center_columns(a.as_ref()), center_columns(b.as_ref()));
        let lhs = ac.transpose() * &ac * &map.weights + &map.weights * 2.5;
        let rhs = ac.transpose() * &bc;
        assert!((&lhs - &rhs).norm_max() < 1e-10);
    }

    #[test]
    fn retrieval_counts_ties_against_the_later_item() {
        let q = Mat::from_fn(3, 2, |i, j| [[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]][i][j]);
        assert_eq!(
            retrieval_accuracy(q.as_ref(), q.as_ref(), &[1, 2]),
            vec![2.0 / 3.0, 1.0]
        );
    }

    #[test]
    fn unknown_maps_and_tiny_sets_are_errors() {
        assert!(MapMethod::from_name("cca").is_err());
        assert!(MapKind::new(MapMethod::from_name("ridge").unwrap(), -1.0).is_err());
        let a = gaussian_matrix(3, 2, 1);
        let r = RepRef {
            name: "a",
            x: a.as_ref(),
        };
        assert!(align(r, r, &AlignOptions::default()).is_err());
    }
}
