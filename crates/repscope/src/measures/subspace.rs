//! Measures built on the column spaces of the centred representations:
//! canonical correlations (CCA, SVCCA, PWCCA), linear regression, GULP and
//! eigenspace overlap.
//!
//! - Canonical correlations ρ₁ ≥ … are the singular values of Q_Xᵀ Q_Y,
//!   Q an orthonormal basis of the centred columns (rank-revealing SVD,
//!   tolerance max(n, p)·ε·s₁). When rank X + rank Y ≥ n − 1 the spaces
//!   intersect trivially and spurious correlations of 1 appear: the
//!   prepared state records a warning then.
//! - `cca`: Yanai's mean squared canonical correlation Σρ²/m (`kind=yanai`,
//!   default, Kornblith et al. 2019's R²_CCA) or the mean canonical
//!   correlation Σρ/m (`kind=mean`), m = min(rank X, rank Y).
//! - `svcca` (Raghu et al. 2017, NeurIPS): per side, the fewest principal
//!   components explaining ≥ `keep` (0.99) of the variance, then the mean
//!   canonical correlation. (ReSi's SVCCA keeps one component by a
//!   normalisation slip; repsim 0.1.5 skips the PCA step; both are avoided.)
//! - `pwcca` (Morcos, Raghu & Bengio 2018, NeurIPS, §2.2): Σ αᵢρᵢ / Σ αᵢ
//!   with αᵢ = Σⱼ |⟨hᵢ, xⱼ⟩| over the centred units xⱼ of the side with
//!   fewer units (ties: X), hᵢ its unit canonical variates. This is the
//!   paper's definition; google/svcca's code, copied into ReSi, indexes the
//!   wrong activations when Y is the narrower side (and raises), drops the
//!   whitening and adds means back, which makes it depend on translation.
//! - `linear_regression`: R² of predicting Y from X by least squares with an
//!   intercept, pooled over Y's units: ‖Q_Xᵀ Y_c‖² / ‖Y_c‖² (asymmetric).
//! - `eigenspace_overlap` (May et al. 2019, NeurIPS): ‖U_Xᵀ U_Y‖²_F /
//!   max(rank X, rank Y), U orthonormal bases of the (uncentred) column
//!   spaces (ReSi divides by the widths instead, so a rank-deficient X
//!   against itself scores below 1).

use super::Footprint;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use super::params::{choice_param, number_param};
use super::{Invariance, Kind, Measure, MeasureInfo, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::{
    center_columns, cross_product, numerical_rank, singular_values, sum_of_squares, thin_svd,
};

/// A centred representation and an orthonormal basis of its columns.
pub struct Subspace {
    /// Centred data, n × p.
    centred: Mat<f64>,
    /// Orthonormal basis of the column space, n × r.
    basis: Mat<f64>,
    /// ‖X_c‖²_F.
    total: f64,
    /// Set when the canonical correlations are trivially 1.
    pub warning: Option<String>,
}

impl Subspace {
    fn new(x: RepRef<'_>, measure: &str) -> Result<Self> {
        Self::with_centring(x, measure, true)
    }

    fn with_centring(x: RepRef<'_>, measure: &str, centre: bool) -> Result<Self> {
        let centred = if centre {
            center_columns(x.x)
        } else {
            x.x.to_owned()
        };
        let (u, s, _) = thin_svd(centred.as_ref())?;
        let r = numerical_rank(&s, centred.nrows(), centred.ncols());
        if r == 0 {
            return Err(Error::Undefined {
                measure: measure.into(),
                array: x.name.into(),
                detail: "every unit is constant across stimuli".into(),
            });
        }
        let n = x.x.nrows();
        let warning = (r + 1 >= n).then(|| {
            format!(
                "'{}' has rank {r} with only {n} stimuli: its centred column space spans \
                 (almost) all of them, so canonical correlations are trivially 1",
                x.name
            )
        });
        Ok(Self {
            total: sum_of_squares(centred.as_ref()),
            basis: u.subcols(0, r).to_owned(),
            centred,
            warning,
        })
    }

    fn rank(&self) -> usize {
        self.basis.ncols()
    }
}

/// Canonical correlations of two subspaces (descending, clipped to [0, 1]).
fn canonical_correlations(a: &Subspace, b: &Subspace, par: Par) -> Result<Vec<f64>> {
    let m = cross_product(a.basis.as_ref(), b.basis.as_ref(), par);
    let mut rho = singular_values(m.as_ref())?;
    rho.iter_mut().for_each(|r| *r = r.clamp(0.0, 1.0));
    rho.truncate(a.rank().min(b.rank()));
    Ok(rho)
}

fn check_rows(a: &Subspace, b: &Subspace) -> Result<()> {
    super::check_same_n(a.centred.nrows(), b.centred.nrows())
}

const CCA_INVARIANCES: &[Invariance] = &[
    Invariance::Permutation,
    Invariance::Orthogonal,
    Invariance::IsotropicScaling,
    Invariance::Translation,
    Invariance::InvertibleLinear,
];

crate::choice! {
    /// Which average of the canonical correlations `cca` reports.
    pub enum CcaKind: "CCA summary" {
        /// Σρ² / m (Yanai; Kornblith et al.'s R²_CCA).
        Yanai = "yanai",
        /// Σρ / m (Pillai's trace over m).
        Mean = "mean" | "pillai",
    }
}

/// Mean (squared) canonical correlation.
#[derive(Clone, Debug)]
pub struct Cca {
    pub kind: CcaKind,
}

pub(crate) const CCA_INFO: MeasureInfo = MeasureInfo {
    name: "cca",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: CCA_INVARIANCES,
    summary: "mean squared (kind=yanai) or mean (kind=mean) canonical correlation",
    reference: "Yanai 1974; Kornblith et al. 2019, ICML, eq. (9)",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d³) to prepare, O(n·d²) per pair",
};

impl Cca {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let kind = choice_param(params, "cca", "kind", CcaKind::Yanai)?;
        Ok(Self { kind })
    }
}

/// The subspace measures' state: the centred data and an orthonormal
/// basis of its column space, from one thin SVD (U, V and a copy of each,
/// and faer's scratch); scored through an r × r cross product.
fn subspace_footprint(n: usize, d: usize) -> Footprint {
    let (n, d) = (n as f64, d as f64);
    let (s, l) = (n.min(d), n.max(d));
    Footprint {
        kept: n * d + n * s,
        prepare: 2.0 * n * d + d * s + 4.0 * s * s,
        score: 2.0 * s * s,
        prepare_flops: 10.0 * l * s * s + 2.0 * n * d,
        score_flops: 2.0 * n * s * s + 4.0 * s * s * s,
        block_scored: false,
    }
}

impl Measure for Cca {
    type Prepared = Subspace;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        subspace_footprint(n, d)
    }

    fn info(&self) -> &MeasureInfo {
        &CCA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Subspace> {
        Subspace::new(x, "cca")
    }

    fn warning(&self, prepared: &Subspace) -> Option<String> {
        prepared.warning.clone()
    }

    fn score(&self, a: &Subspace, b: &Subspace, par: Par) -> Result<f64> {
        check_rows(a, b)?;
        let m = a.rank().min(b.rank()) as f64;
        Ok(match self.kind {
            // Σρ² = ‖Q_Xᵀ Q_Y‖²_F: no SVD needed.
            CcaKind::Yanai => {
                sum_of_squares(cross_product(a.basis.as_ref(), b.basis.as_ref(), par).as_ref()) / m
            }
            CcaKind::Mean => canonical_correlations(a, b, par)?.iter().sum::<f64>() / m,
        })
    }
}

/// SVCCA: PCA to a share of the variance, then the mean canonical correlation.
#[derive(Clone, Debug)]
pub struct Svcca {
    pub keep: f64,
}

pub(crate) const SVCCA_INFO: MeasureInfo = MeasureInfo {
    name: "svcca",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "mean canonical correlation of the principal components explaining `keep` (0.99) of the variance",
    reference: "Raghu et al. 2017, NeurIPS",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d³)",
};

impl Svcca {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let keep = number_param(
            params,
            "svcca",
            "keep",
            0.99,
            |v| v > 0.0 && v <= 1.0,
            "a share of variance in (0, 1]",
        )?;
        Ok(Self { keep })
    }
}

impl Measure for Svcca {
    type Prepared = Subspace;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = subspace_footprint(n, d);
        f.prepare += f.kept - n as f64 * d as f64;
        f.prepare_flops *= 2.0;
        f
    }

    fn info(&self) -> &MeasureInfo {
        &SVCCA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Subspace> {
        let mut s = Subspace::new(x, "svcca")?;
        // The leading components' scores span the same space as the leading
        // left singular vectors.
        let (u, sv, _) = thin_svd(s.centred.as_ref())?;
        let total: f64 = sv.iter().map(|v| v * v).sum();
        let mut cumulative = 0.0;
        let mut k = 0;
        for v in &sv {
            cumulative += v * v;
            k += 1;
            if cumulative / total >= self.keep {
                break;
            }
        }
        s.basis = u.subcols(0, k.min(s.rank())).to_owned();
        Ok(s)
    }

    fn warning(&self, prepared: &Subspace) -> Option<String> {
        prepared.warning.clone()
    }

    fn score(&self, a: &Subspace, b: &Subspace, par: Par) -> Result<f64> {
        check_rows(a, b)?;
        let rho = canonical_correlations(a, b, par)?;
        Ok(rho.iter().sum::<f64>() / a.rank().min(b.rank()) as f64)
    }
}

/// Projection-weighted CCA.
#[derive(Clone, Debug, Default)]
pub struct Pwcca;

pub(crate) const PWCCA_INFO: MeasureInfo = MeasureInfo {
    name: "pwcca",
    kind: Kind::Similarity,
    needs_same_dim: false,
    // Weights come from the narrower side; at equal widths from X.
    symmetric: false,
    invariances: &[
        Invariance::Permutation,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "canonical correlations weighted by how much of the units each canonical variate accounts for",
    reference: "Morcos, Raghu & Bengio 2018, NeurIPS, sec. 2.2 (paper definition)",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d³)",
};

impl Measure for Pwcca {
    type Prepared = Subspace;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = subspace_footprint(n, d);
        let s = n.min(d) as f64;
        f.score = 3.0 * s * s + n as f64 * s;
        f
    }

    fn info(&self) -> &MeasureInfo {
        &PWCCA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Subspace> {
        Subspace::new(x, "pwcca")
    }

    fn warning(&self, prepared: &Subspace) -> Option<String> {
        prepared.warning.clone()
    }

    fn score(&self, a: &Subspace, b: &Subspace, par: Par) -> Result<f64> {
        check_rows(a, b)?;
        let m = cross_product(a.basis.as_ref(), b.basis.as_ref(), par);
        let (u, rho, v) = thin_svd(m.as_ref())?;
        let count = a.rank().min(b.rank());
        let (side, dirs) = if a.centred.ncols() <= b.centred.ncols() {
            (a, u)
        } else {
            (b, v)
        };
        // Unit canonical variates of the weighting side: H = Q · (its singular vectors).
        let mut h = Mat::zeros(side.basis.nrows(), count);
        matmul(
            h.as_mut(),
            Accum::Replace,
            side.basis.as_ref(),
            dirs.subcols(0, count),
            1.0,
            par,
        );
        let projections = cross_product(h.as_ref(), side.centred.as_ref(), par); // count × units
        let (mut weighted, mut weights) = (0.0, 0.0);
        for (i, r) in rho.iter().take(count).enumerate() {
            let alpha: f64 = projections.row(i).iter().map(|v| v.abs()).sum();
            weighted += alpha * r.clamp(0.0, 1.0);
            weights += alpha;
        }
        Ok(weighted / weights)
    }
}

/// R² of a least-squares prediction of Y from X.
#[derive(Clone, Debug, Default)]
pub struct LinearRegression;

pub(crate) const LINEAR_REGRESSION_INFO: MeasureInfo = MeasureInfo {
    name: "linear_regression",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: false,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "R² of predicting Y from X by least squares with an intercept, pooled over Y's units (asymmetric)",
    reference: "Klabunde et al. 2023 survey (ReSi); Kornblith et al. 2019",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d² + d³) per pair",
};

impl Measure for LinearRegression {
    type Prepared = Subspace;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let mut f = subspace_footprint(n, d);
        f.score = n.min(d) as f64 * d as f64;
        f
    }

    fn info(&self) -> &MeasureInfo {
        &LINEAR_REGRESSION_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Subspace> {
        Subspace::new(x, "linear_regression")
    }

    fn score(&self, a: &Subspace, b: &Subspace, par: Par) -> Result<f64> {
        check_rows(a, b)?;
        let explained =
            sum_of_squares(cross_product(a.basis.as_ref(), b.centred.as_ref(), par).as_ref());
        Ok(explained / b.total)
    }
}

/// Overlap of the column spaces.
#[derive(Clone, Debug, Default)]
pub struct EigenspaceOverlap;

pub(crate) const EIGENSPACE_OVERLAP_INFO: MeasureInfo = MeasureInfo {
    name: "eigenspace_overlap",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::InvertibleLinear,
    ],
    summary: "‖U_Xᵀ U_Y‖² / max(rank X, rank Y) for orthonormal bases of the column spaces",
    reference: "May et al. 2019, NeurIPS",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n·d²) to prepare, O(n·d) per pair",
};

impl Measure for EigenspaceOverlap {
    type Prepared = Subspace;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        subspace_footprint(n, d)
    }

    fn info(&self) -> &MeasureInfo {
        &EIGENSPACE_OVERLAP_INFO
    }

    fn prepare(&self, x: RepRef<'_>, _ctx: &PrepareContext) -> Result<Subspace> {
        // May et al. compare the (uncentred) embedding subspaces.
        Subspace::with_centring(x, "eigenspace_overlap", false)
    }

    fn score(&self, a: &Subspace, b: &Subspace, par: Par) -> Result<f64> {
        check_rows(a, b)?;
        let overlap =
            sum_of_squares(cross_product(a.basis.as_ref(), b.basis.as_ref(), par).as_ref());
        Ok(overlap / a.rank().max(b.rank()) as f64)
    }
}
