//! Shape metrics: distances between representations after the best
//! alignment by a class of transforms.
//!
//! Williams, Kunz, Kornblith & Linderman (2021), "Generalized Shape Metrics
//! on Neural Representations", NeurIPS, eq. (5)–(7), with netrep's
//! conventions (`LinearMetric`, `PermutationMetric`):
//!
//! - Narrower representations are padded with zero columns; columns are
//!   centred.
//! - `procrustes` with `alpha` ∈ [0, 1]: each side is partially whitened,
//!   X̃ = c · X V diag(α + (1 − α) λₖ^{−½}) Vᵀ with XᵀX = V diag(λ) Vᵀ
//!   (unnormalised scatter, eigenvalues floored at 1e−7, padded directions
//!   included), c restoring the total variance. α = 1 is plain Procrustes
//!   (rotations), α = 0 full whitening (CCA-like). Scores: `angular`
//!   arccos(‖X̃ᵀỸ‖_* / (‖X̃‖ ‖Ỹ‖)) (default) or `euclidean`
//!   √(‖X̃‖² + ‖Ỹ‖² − 2‖X̃ᵀỸ‖_*).
//! - `procrustes_size_shape`: the Euclidean score at α = 1,
//!   √(‖X‖² + ‖Y‖² − 2‖XᵀY‖_*) on centred data (Dryden & Mardia 2016).
//! - `permutation`: the best one-to-one matching of units (linear sum
//!   assignment maximising Σ XᵢᵀYⱼ), scored angular or euclidean.
//! - `aligned_cosine` (Klabunde et al. 2023 survey): rotate X onto Y by
//!   orthogonal Procrustes (no centring), then the mean cosine between
//!   matching rows (rows that are zero on either side are skipped).

use super::Footprint;
use faer::{Mat, MatRef, Par, Side};

use super::params::{choice_param, number_param};
use super::{Invariance, Kind, Measure, MeasureInfo, Params, PrepareContext, is_permutation};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::assignment::linear_sum_assignment;
use crate::linalg::{
    center_columns, cross_product, gather_rows, singular_values, sum_of_squares, thin_svd,
};

crate::choice! {
    /// How a shape metric turns the alignment into a number.
    pub enum ShapeScore: "shape score" {
        /// arccos of the aligned inner product over the norms, in [0, π/2].
        Angular = "angular",
        /// Frobenius distance of the aligned representations.
        Euclidean = "euclidean",
    }
}

fn shape_score(params: &Params, measure: &str) -> Result<ShapeScore> {
    choice_param(params, measure, "score", ShapeScore::Angular)
}

/// The score of an aligned pair from its inner product ⟨X̃, Ỹ⟩ and squared
/// norms (shared with the fitted alignments of `shape_space::fit`).
pub(crate) fn finish(score: ShapeScore, inner: f64, norm_a_sq: f64, norm_b_sq: f64) -> f64 {
    match score {
        ShapeScore::Angular => (inner / (norm_a_sq.sqrt() * norm_b_sq.sqrt()))
            .clamp(-1.0, 1.0)
            .acos(),
        ShapeScore::Euclidean => (norm_a_sq + norm_b_sq - 2.0 * inner).max(0.0).sqrt(),
    }
}

/// Eigenvalue floor of netrep's whitening.
pub(crate) const EIGENVALUE_FLOOR: f64 = 1e-7;

/// The eigenvalues (floored at [`EIGENVALUE_FLOOR`]) and eigenvectors of
/// the scatter cᵀc of centred `c`: the spectrum partial whitening reweighs.
pub(crate) fn floored_scatter_eigen(c: MatRef<'_, f64>, par: Par) -> Result<(Vec<f64>, Mat<f64>)> {
    let scatter = cross_product(c, c, par);
    let eig = scatter
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::internal(format!("eigendecomposition failed: {e:?}")))?;
    let lambda = eig
        .S()
        .column_vector()
        .iter()
        .map(|v| v.max(EIGENVALUE_FLOOR))
        .collect();
    Ok((lambda, eig.U().to_owned()))
}

/// V diag(weights) Vᵀ.
pub(crate) fn spectral_transform(v: MatRef<'_, f64>, weights: &[f64]) -> Mat<f64> {
    let p = v.nrows();
    Mat::from_fn(p, p, |i, j| {
        (0..p)
            .map(|k| v[(i, k)] * weights[k] * v[(j, k)])
            .sum::<f64>()
    })
}

/// Generalised (partially whitened) Procrustes distance.
#[derive(Clone, Debug)]
pub struct Procrustes {
    pub alpha: f64,
    pub score: ShapeScore,
}

pub(crate) const PROCRUSTES_INFO: MeasureInfo = MeasureInfo {
    name: "procrustes",
    kind: Kind::Distance,
    needs_same_dim: false,
    symmetric: true,
    // At alpha = 1 with the angular score; alpha = 0 adds invertible linear maps.
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "shape metric after partial whitening (alpha in [0,1]: 1 Procrustes, 0 CCA-like), score angular|euclidean",
    reference: "Williams et al. 2021, NeurIPS; netrep LinearMetric",
    range: None,
    identical: Some(0.0),
    cost: "O(n·d²) per pair (+ O(n·d² + d³) to whiten when alpha < 1)",
};

impl Procrustes {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let alpha = number_param(
            params,
            "procrustes",
            "alpha",
            1.0,
            |v| (0.0..=1.0).contains(&v),
            "in [0, 1]",
        )?;
        Ok(Self {
            alpha,
            score: shape_score(params, "procrustes")?,
        })
    }
}

/// A centred, partially whitened representation before the variance
/// constant, which depends on the padded width and so on the partner.
pub struct Whitened {
    /// X V diag(d) Vᵀ (no constant), n × p.
    w: Mat<f64>,
    /// Σ λₖ and Σ λₖ dₖ² over the p real directions (floored λ).
    sum_eig: f64,
    sum_eig_d2: f64,
    /// ‖w‖²_F.
    norm_sq: f64,
    width: usize,
}

impl Procrustes {
    /// dₖ for an eigenvalue λ.
    fn d(&self, lambda: f64) -> f64 {
        self.alpha + (1.0 - self.alpha) / lambda.sqrt()
    }

    /// The variance-preserving constant when padded to `width` columns.
    fn constant(&self, x: &Whitened, width: usize) -> f64 {
        if self.alpha > 1.0 - EIGENVALUE_FLOOR {
            return 1.0;
        }
        let pad = (width - x.width) as f64;
        let dp = self.d(EIGENVALUE_FLOOR);
        ((x.sum_eig + pad * EIGENVALUE_FLOOR) / (x.sum_eig_d2 + pad * EIGENVALUE_FLOOR * dp * dp))
            .sqrt()
    }
}

impl Measure for Procrustes {
    type Prepared = Whitened;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = Footprint::centred_copy(n, d);
        let (nf, df) = (n as f64, d as f64);
        // The singular values of the d × d cross product (and its scratch).
        f.score = 2.0 * df * df;
        f.score_flops += 4.0 * df * df * df;
        if self.alpha < 1.0 - 1e-7 {
            // Scatter, its eigenvectors and the whitening transform.
            f.prepare = nf * df + 4.0 * df * df;
            f.prepare_flops += 4.0 * nf * df * df + 11.0 * df * df * df;
        }
        f
    }

    fn info(&self) -> &MeasureInfo {
        &PROCRUSTES_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Whitened> {
        let c = center_columns(x.x);
        let width = c.ncols();
        if self.alpha > 1.0 - EIGENVALUE_FLOOR {
            let norm_sq = sum_of_squares(c.as_ref());
            return Ok(Whitened {
                w: c,
                sum_eig: norm_sq,
                sum_eig_d2: norm_sq,
                norm_sq,
                width,
            });
        }
        let (lambda, v) = floored_scatter_eigen(c.as_ref(), ctx.par)?;
        let d: Vec<f64> = lambda.iter().map(|&l| self.d(l)).collect();
        let w = &c * &spectral_transform(v.as_ref(), &d);
        Ok(Whitened {
            norm_sq: sum_of_squares(w.as_ref()),
            sum_eig: lambda.iter().sum(),
            sum_eig_d2: lambda.iter().zip(&d).map(|(l, d)| l * d * d).sum(),
            w,
            width,
        })
    }

    /// A permutation of the stimuli reorders the whitened rows and leaves the
    /// scatter, its eigenvalues and every norm unchanged, so a permutation
    /// test needs no eigendecomposition; a bootstrap draw changes the scatter
    /// and is prepared again.
    fn resample(&self, prepared: &Whitened, rows: &[usize]) -> Option<Result<Whitened>> {
        is_permutation(rows, prepared.w.nrows()).then(|| {
            Ok(Whitened {
                w: gather_rows(prepared.w.as_ref(), rows),
                ..*prepared
            })
        })
    }

    fn score(&self, a: &Whitened, b: &Whitened, par: Par) -> Result<f64> {
        super::check_same_n(a.w.nrows(), b.w.nrows())?;
        let width = a.width.max(b.width);
        let (ca, cb) = (self.constant(a, width), self.constant(b, width));
        let nuclear: f64 = if std::ptr::eq(a, b) {
            a.norm_sq
        } else {
            singular_values(cross_product(a.w.as_ref(), b.w.as_ref(), par).as_ref())?
                .iter()
                .sum()
        };
        Ok(finish(
            self.score,
            ca * cb * nuclear,
            ca * ca * a.norm_sq,
            cb * cb * b.norm_sq,
        ))
    }
}

/// Size-and-shape Procrustes distance.
#[derive(Clone, Debug, Default)]
pub struct ProcrustesSizeShape;

pub(crate) const PROCRUSTES_SIZE_SHAPE_INFO: MeasureInfo = MeasureInfo {
    name: "procrustes_size_shape",
    kind: Kind::Distance,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::Translation,
    ],
    summary: "sqrt(‖X‖² + ‖Y‖² − 2‖XᵀY‖_*) on centred data: Procrustes distance keeping scale",
    reference: "Dryden & Mardia 2016; Williams et al. 2021",
    range: None,
    identical: Some(0.0),
    cost: "O(n·d² + d³) per pair",
};

impl Measure for ProcrustesSizeShape {
    type Prepared = Whitened;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = Footprint::centred_copy(n, d);
        let d = d as f64;
        f.score = 2.0 * d * d;
        f.score_flops += 4.0 * d * d * d;
        f
    }

    fn info(&self) -> &MeasureInfo {
        &PROCRUSTES_SIZE_SHAPE_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<Whitened> {
        let p = Procrustes {
            alpha: 1.0,
            score: ShapeScore::Euclidean,
        };
        Measure::prepare(&p, x, ctx)
    }

    fn score(&self, a: &Whitened, b: &Whitened, par: Par) -> Result<f64> {
        let p = Procrustes {
            alpha: 1.0,
            score: ShapeScore::Euclidean,
        };
        Measure::score(&p, a, b, par)
    }
}

/// Shape metric under unit permutations.
#[derive(Clone, Debug)]
pub struct Permutation {
    pub score: ShapeScore,
}

pub(crate) const PERMUTATION_INFO: MeasureInfo = MeasureInfo {
    name: "permutation",
    kind: Kind::Distance,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "shape metric after the best one-to-one matching of units (Hungarian), score angular|euclidean",
    reference: "Williams et al. 2021, NeurIPS; netrep PermutationMetric",
    range: None,
    identical: Some(0.0),
    cost: "O(n·d² + d³) per pair (assignment)",
};

impl Permutation {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        Ok(Self {
            score: shape_score(params, "permutation")?,
        })
    }
}

/// A centred representation and its squared norm.
pub struct Centred {
    c: Mat<f64>,
    norm_sq: f64,
}

impl Measure for Permutation {
    type Prepared = Centred;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = Footprint::centred_copy(n, d);
        let d = d as f64;
        // The d × d cross product, a transposed copy, the assignment.
        f.score = 2.0 * d * d;
        f.score_flops += d * d * d;
        f
    }

    fn info(&self) -> &MeasureInfo {
        &PERMUTATION_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Centred> {
        let c = center_columns(x.x);
        Ok(Centred {
            norm_sq: sum_of_squares(c.as_ref()),
            c,
        })
    }

    fn score(&self, a: &Centred, b: &Centred, par: Par) -> Result<f64> {
        super::check_same_n(a.c.nrows(), b.c.nrows())?;
        // Padded columns contribute zero inner products, so matching the
        // narrower side's units into the wider side's is the same problem.
        let m = cross_product(a.c.as_ref(), b.c.as_ref(), par);
        let m = if m.nrows() <= m.ncols() {
            m
        } else {
            m.transpose().to_owned()
        };
        let cols = linear_sum_assignment(m.as_ref(), true)?;
        let inner: f64 = cols.iter().enumerate().map(|(i, &j)| m[(i, j)]).sum();
        Ok(finish(self.score, inner, a.norm_sq, b.norm_sq))
    }
}

/// Mean row cosine after orthogonal Procrustes alignment.
#[derive(Clone, Debug, Default)]
pub struct AlignedCosine;

pub(crate) const ALIGNED_COSINE_INFO: MeasureInfo = MeasureInfo {
    name: "aligned_cosine",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
    ],
    summary: "mean cosine between matching rows after rotating X onto Y (orthogonal Procrustes, uncentred)",
    reference: "Klabunde et al. 2023 survey (aligned cosine similarity)",
    range: Some((-1.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d³) per pair",
};

/// A representation and its row norms.
pub struct Rows {
    x: Mat<f64>,
    norms: Vec<f64>,
}

impl Measure for AlignedCosine {
    type Prepared = Rows;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = Footprint::centred_copy(n, d);
        let (n, d) = (n as f64, d as f64);
        // Cross product, its SVD with vectors, the rotated rows.
        f.kept += n;
        f.score = (7.0 * d * d).max(2.0 * d * d + 2.0 * n * d);
        f.score_flops += 10.0 * d * d * d + 4.0 * n * d * d;
        f
    }

    fn info(&self) -> &MeasureInfo {
        &ALIGNED_COSINE_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Rows> {
        let norms = (0..x.x.nrows())
            .map(|i| x.x.row(i).iter().map(|v| v * v).sum::<f64>().sqrt())
            .collect();
        Ok(Rows {
            x: x.x.to_owned(),
            norms,
        })
    }

    fn score(&self, a: &Rows, b: &Rows, par: Par) -> Result<f64> {
        super::check_same_n(a.x.nrows(), b.x.nrows())?;
        // XQ with Q = U Vᵀ from XᵀY = U S Vᵀ (thin; the padded directions
        // meet zero columns and drop out): rows of (X U) Vᵀ against Y.
        let (u, _, v) = thin_svd(cross_product(a.x.as_ref(), b.x.as_ref(), par).as_ref())?;
        let aligned = &a.x * &u * v.transpose();
        let (mut total, mut count) = (0.0, 0usize);
        for i in 0..a.x.nrows() {
            // An orthogonal Q keeps row norms: ‖(XQ)ᵢ‖ = ‖Xᵢ‖.
            if a.norms[i] > 0.0 && b.norms[i] > 0.0 {
                let dot: f64 = (0..b.x.ncols())
                    .map(|j| aligned[(i, j)] * b.x[(i, j)])
                    .sum();
                total += dot / (a.norms[i] * b.norms[i]);
                count += 1;
            }
        }
        if count == 0 {
            return Err(Error::InvalidRdm {
                detail:
                    "aligned_cosine: every stimulus is a zero vector in one of the representations"
                        .into(),
            });
        }
        Ok(total / count as f64)
    }
}
