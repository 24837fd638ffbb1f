//! Comparing RDMs with each other.
//!
//! Every method prepares each RDM once ([`PreparedRdm`]) and then scores
//! pairs cheaply, so comparing many model RDMs with many data RDMs costs one
//! preparation per RDM plus a dot product (or an O(m log m) count) per pair.
//!
//! Definitions follow rsatoolbox's `rdm/compare.py`:
//!
//! - `cosine`: cosine of the two dissimilarity vectors;
//! - `corr`: Pearson correlation;
//! - `spearman`: Pearson correlation of average ranks;
//! - `rho_a`: 12 Σ (rᵢ − r̄)(sᵢ − s̄) / (m³ − m) with average ranks, the
//!   expected Spearman correlation under random tie breaking (Nili et al.
//!   2014, PLoS Comput Biol 10(4), e1003553);
//! - `kendall_a`, `kendall_b`: Kendall's τ_a and τ_b, in O(m log m);
//! - `cosine_cov`, `corr_cov`: cosine (after centring the vectors, for
//!   `corr_cov`) in the whitened space of the RDM's sampling covariance
//!   (Diedrichsen et al. 2021, "Comparing representational geometries using
//!   whitened unbiased-distance-matrix similarity", NBDT): the RDM becomes the
//!   double-centred second-moment matrix G = −½ H D H (diagonal included,
//!   off-diagonal entries weighted √2), optionally scaled by a diagonal
//!   pattern covariance σ_k (Gᵢⱼ / √(σᵢ σⱼ)); with no σ_k, `cosine_cov` on
//!   squared-euclidean RDMs equals linear CKA;
//! - `bures`: Bures similarity (fidelity) of the double-centred G matrices,
//!   ‖G₁^½ G₂^½‖_* / √(tr G₁ tr G₂); `bures_metric`: the squared Bures
//!   distance tr G₁ + tr G₂ − 2 ‖G₁^½ G₂^½‖_*;
//! - `neg_riem_dist`: the negative Riemannian distance of the second-moment
//!   matrices, the first RDM's fitted with a scale and a noise term
//!   (`riemann.rs`; not symmetric in its two arguments).
//!
//! NaN entries: a position that is NaN in any RDM is dropped from all of
//! them (rsatoolbox's rule); the two sets must have NaN at the same
//! positions, otherwise it is an error. The covariance-weighted methods
//! handle dropped positions by removing additive condition effects with a
//! weighted least-squares projection (exact double centring when nothing
//! is missing).
//!
//! A vector with zero variance (for `corr`, `spearman`) or zero length (for
//! `cosine`) scores 0 against everything, as in rsatoolbox.

use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat, MatRef, Par, Side};
use rayon::prelude::*;

use super::condensed::{gower, n_conditions};
use crate::error::{Error, Result};
use crate::linalg::reduce::{dot, sum};
use crate::stats::rank::{SortedKeys, kendall_counts_sorted};

crate::choice! {
    /// How two RDMs are compared (rsatoolbox's spellings are accepted too).
    pub enum CompareMethod: "RDM comparison" {
        /// Cosine similarity of the dissimilarity vectors.
        Cosine = "cosine",
        /// Pearson correlation of the dissimilarity vectors.
        Corr = "corr",
        /// Spearman rank correlation.
        Spearman = "spearman",
        /// Rank correlation rho-a (Nili et al. 2014).
        RhoA = "rho_a" | "rho-a",
        /// Kendall's tau-a, for models with tied dissimilarities.
        KendallA = "kendall_a" | "tau-a",
        /// Kendall's tau-b.
        KendallB = "kendall_b" | "tau-b" | "kendall",
        /// Cosine whitened by the covariance of dissimilarity estimates.
        CosineCov = "cosine_cov",
        /// Correlation whitened by the covariance of dissimilarity estimates.
        CorrCov = "corr_cov",
        /// Bures similarity of the double-centred second-moment matrices.
        Bures = "bures",
        /// Bures distance (larger means more different).
        BuresMetric = "bures_metric",
        /// Negative Riemannian distance of the second-moment matrices, a
        /// model's fitted with a scale and a noise term (Shahbazi et al. 2021).
        NegRiemDist = "neg_riem_dist",
    }
}

impl CompareMethod {
    /// True for the methods whose larger values mean more different.
    pub fn is_distance(self) -> bool {
        matches!(self, CompareMethod::BuresMetric)
    }
}

/// One RDM prepared for a comparison method.
#[derive(Clone, Debug)]
pub enum PreparedRdm {
    /// A vector scored by dot product with another (unit length, or scaled
    /// so the dot product is the statistic; all zeros when degenerate).
    Dot(Vec<f64>),
    /// The vector sorted, for Kendall's counts.
    Sorted(SortedKeys),
    /// The square root of the double-centred G (n × n) and tr G.
    Root { root: Mat<f64>, trace: f64 },
    /// The second moment relative to the first condition, for the
    /// Riemannian distance.
    Moment(Box<super::riemann::Moment>),
}

/// Which positions of the condensed vectors take part: those that are not
/// NaN in any RDM of either set. Errors when the two sets disagree.
pub fn shared_positions(a: &[&[f64]], b: &[&[f64]]) -> Result<Vec<bool>> {
    let len = a
        .first()
        .or(b.first())
        .map(|v| v.len())
        .ok_or_else(|| Error::NoRepresentations {
            what: "the RDM list".into(),
        })?;
    for (side, set) in [("first", a), ("second", b)] {
        if set.is_empty() {
            return Err(Error::NoRepresentations {
                what: format!("the {side} set of RDMs"),
            });
        }
        if let Some(v) = set.iter().find(|v| v.len() != len) {
            return Err(Error::InvalidRdm {
                detail: format!(
                    "RDMs of different sizes cannot be compared: {} and {} conditions",
                    n_conditions(len).map_or(len, |n| n),
                    n_conditions(v.len()).map_or(v.len(), |n| n)
                ),
            });
        }
    }
    n_conditions(len)?;
    // One sequential pass per RDM: NaN marks a missing pair, ±∞ is an error.
    let valid = |set: &[&[f64]]| -> Result<Vec<bool>> {
        let mut valid = vec![true; len];
        for v in set {
            for (i, (ok, x)) in valid.iter_mut().zip(v.iter()).enumerate() {
                if x.is_nan() {
                    *ok = false;
                } else if x.is_infinite() {
                    return Err(Error::InvalidRdm {
                        detail: format!(
                            "an RDM holds {x} at entry {i}; dissimilarities must be finite"
                        ),
                    });
                }
            }
        }
        Ok(valid)
    };
    let (va, vb) = (valid(a)?, valid(b)?);
    if let Some(i) = (0..len).find(|&i| va[i] != vb[i]) {
        return Err(Error::InvalidRdm {
            detail: format!(
                "the two sets of RDMs have NaN at different positions (first at entry {i}); \
                 NaN must mark the same missing pairs in both"
            ),
        });
    }
    if va.iter().filter(|&&k| k).count() < 2 {
        return Err(Error::InvalidRdm {
            detail: "fewer than 2 dissimilarities are left after dropping NaN positions".into(),
        });
    }
    Ok(va)
}

/// For the methods that are a cosine after a linear map L (`cosine`:
/// identity; `corr`: centring; `cosine_cov`: whitening; `corr_cov`:
/// centring, then whitening), L applied to the kept entries of `rdm`,
/// not normalised. `None` for the rank and Bures methods.
pub fn linear_image(
    rdm: &[f64],
    keep: &[bool],
    method: CompareMethod,
    sigma_k: Option<&[f64]>,
) -> Result<Option<Vec<f64>>> {
    let kept = || kept(rdm, keep);
    Ok(match method {
        CompareMethod::Cosine => Some(kept()),
        CompareMethod::Corr => Some(centred(kept())),
        CompareMethod::CosineCov => Some(whitened(rdm, keep, sigma_k)?),
        CompareMethod::CorrCov => {
            // rsatoolbox centres the kept entries, then whitens.
            let v = kept();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let full: Vec<f64> = rdm.iter().map(|x| x - mean).collect();
            Some(whitened(&full, keep, sigma_k)?)
        }
        _ => None,
    })
}

fn kept(v: &[f64], keep: &[bool]) -> Vec<f64> {
    if keep.iter().all(|&k| k) {
        return v.to_vec();
    }
    v.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(x, _)| *x)
        .collect()
}

/// Prepares one RDM for `method`, keeping only the `keep` positions.
/// `sigma_k` is an optional diagonal pattern covariance (one variance per
/// condition) for the covariance-weighted methods.
pub fn prepare(
    rdm: &[f64],
    keep: &[bool],
    method: CompareMethod,
    sigma_k: Option<&[f64]>,
) -> Result<PreparedRdm> {
    if let Some(image) = linear_image(rdm, keep, method, sigma_k)? {
        return Ok(PreparedRdm::Dot(unit(image)));
    }
    let v = kept(rdm, keep);
    Ok(match method {
        CompareMethod::Spearman => {
            // Average ranks always have mean (m + 1) / 2: centre without a pass.
            let centre = (v.len() as f64 + 1.0) / 2.0;
            let mut ranks = SortedKeys::new(&v).average_ranks();
            ranks.iter_mut().for_each(|r| *r -= centre);
            PreparedRdm::Dot(unit(ranks))
        }
        CompareMethod::RhoA => {
            let m = v.len() as f64;
            let scale = (12.0 / (m * m * m - m)).sqrt();
            let ranks = centred(SortedKeys::new(&v).average_ranks());
            PreparedRdm::Dot(ranks.into_iter().map(|x| x * scale).collect())
        }
        CompareMethod::KendallA | CompareMethod::KendallB => {
            PreparedRdm::Sorted(SortedKeys::new(&v))
        }
        CompareMethod::Bures | CompareMethod::BuresMetric => {
            if keep.iter().any(|k| !k) {
                return Err(Error::InvalidRdm {
                    detail: "bures needs complete RDMs (no NaN)".into(),
                });
            }
            let g = gower(rdm, false)?;
            let trace = (0..g.nrows()).map(|i| g[(i, i)]).sum();
            PreparedRdm::Root {
                root: psd_sqrt(g.as_ref())?,
                trace,
            }
        }
        CompareMethod::NegRiemDist => {
            if keep.iter().any(|k| !k) {
                return Err(Error::InvalidRdm {
                    detail: "neg_riem_dist needs complete RDMs (no NaN)".into(),
                });
            }
            PreparedRdm::Moment(Box::new(super::riemann::moment(rdm, sigma_k)?))
        }
        _ => unreachable!("linear methods are prepared above"),
    })
}

/// The statistic for two RDMs prepared for `method`.
pub fn score(a: &PreparedRdm, b: &PreparedRdm, method: CompareMethod) -> f64 {
    match (a, b) {
        (PreparedRdm::Dot(x), PreparedRdm::Dot(y)) => dot(x, y),
        (PreparedRdm::Sorted(x), PreparedRdm::Sorted(y)) => {
            let c = kendall_counts_sorted(x, y);
            let tau = if method == CompareMethod::KendallA {
                c.tau_a()
            } else {
                c.tau_b()
            };
            tau.clamp(-1.0, 1.0)
        }
        (
            PreparedRdm::Root {
                root: ra,
                trace: ta,
            },
            PreparedRdm::Root {
                root: rb,
                trace: tb,
            },
        ) => {
            let fidelity = nuclear_norm_of_product(ra.as_ref(), rb.as_ref());
            if method == CompareMethod::BuresMetric {
                ta + tb - 2.0 * fidelity
            } else {
                fidelity / (ta * tb).sqrt()
            }
        }
        (PreparedRdm::Moment(a), PreparedRdm::Moment(b)) => {
            super::riemann::neg_riemannian_distance(a, b)
        }
        _ => f64::NAN,
    }
}

/// Every RDM of `a` against every RDM of `b`: an |a| × |b| matrix.
pub fn compare(
    a: &[&[f64]],
    b: &[&[f64]],
    method: CompareMethod,
    sigma_k: Option<&[f64]>,
) -> Result<Mat<f64>> {
    let keep = shared_positions(a, b)?;
    if let Some(s) = sigma_k {
        let n = n_conditions(keep.len())?;
        if s.len() != n {
            return Err(Error::ShapeMismatch {
                what: "sigma_k (one variance per condition)".into(),
                expected: n,
                found: s.len(),
            });
        }
        if let Some(i) = s.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::InvalidParameter {
                measure: method.name().into(),
                detail: format!("sigma_k[{i}] = {} must be positive", s[i]),
            });
        }
    }
    let prep = |set: &[&[f64]], full: bool| -> Result<Vec<PreparedRdm>> {
        set.par_iter()
            .map(|v| {
                if !full && matches!(method, CompareMethod::KendallA | CompareMethod::KendallB) {
                    // Kendall needs only one side of each pair sorted: sort
                    // the smaller set, key the larger.
                    Ok(PreparedRdm::Sorted(SortedKeys::keys_only(&kept(v, &keep))))
                } else {
                    prepare(v, &keep, method, sigma_k)
                }
            })
            .collect()
    };
    let a_smaller = a.len() <= b.len();
    let (pa, pb) = (prep(a, a_smaller)?, prep(b, !a_smaller)?);
    let scores: Vec<f64> = (0..pa.len() * pb.len())
        .into_par_iter()
        .map(|k| score(&pa[k / pb.len()], &pb[k % pb.len()], method))
        .collect();
    Ok(Mat::from_fn(pa.len(), pb.len(), |i, j| {
        scores[i * pb.len() + j]
    }))
}

fn centred(mut v: Vec<f64>) -> Vec<f64> {
    let mean = sum(&v) / v.len() as f64;
    v.iter_mut().for_each(|x| *x -= mean);
    v
}

/// `v / ‖v‖`, or zeros when ‖v‖ = 0 (which then scores 0, as rsatoolbox).
fn unit(mut v: Vec<f64>) -> Vec<f64> {
    let norm = dot(&v, &v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    } else {
        v.iter_mut().for_each(|x| *x = 0.0);
    }
    v
}

/// The whitened extended vector of an RDM (off-diagonal entries of the
/// centred second moment, weighted √2, then its diagonal), on the kept
/// positions.
fn whitened(rdm: &[f64], keep: &[bool], sigma_k: Option<&[f64]>) -> Result<Vec<f64>> {
    let n = n_conditions(rdm.len())?;
    let complete = keep.iter().all(|&k| k);
    // g holds −½ d for pairs and the (zero) diagonal, then condition effects
    // are removed: exact double centring, or a weighted projection when
    // positions are missing.
    let mut pairs: Vec<(usize, usize)> = Vec::with_capacity(rdm.len());
    for i in 0..n {
        for j in i + 1..n {
            pairs.push((i, j));
        }
    }
    let (off, diag) = if complete {
        let g = gower(rdm, false)?;
        let off: Vec<f64> = pairs.iter().map(|&(i, j)| g[(i, j)]).collect();
        let diag: Vec<f64> = (0..n).map(|i| g[(i, i)]).collect();
        (off, diag)
    } else {
        remove_condition_effects(rdm, keep, &pairs, n)?
    };
    let scale = |i: usize, j: usize| sigma_k.map_or(1.0, |s| (s[i] * s[j]).sqrt());
    let mut out: Vec<f64> = pairs
        .iter()
        .zip(&off)
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|((&(i, j), v), _)| v / scale(i, j) * std::f64::consts::SQRT_2)
        .collect();
    out.extend(diag.iter().enumerate().map(|(i, v)| v / scale(i, i)));
    Ok(out)
}

/// Removal of additive condition effects from the extended vector
/// e = [−½ d (kept pairs); 0 (diagonal)] when positions are missing:
/// e − W S (Sᵀ W S)⁻¹ Sᵀ e, where a pair row of the design S has ones at i
/// and j, a diagonal row a one at i, and W weighs pairs ½ and the diagonal 1
/// (rsatoolbox's projection; with nothing missing it equals double
/// centring). Returns (pairs, diagonal), pairs at every position (dropped
/// ones are ignored by the caller).
fn remove_condition_effects(
    rdm: &[f64],
    keep: &[bool],
    pairs: &[(usize, usize)],
    n: usize,
) -> Result<(Vec<f64>, Vec<f64>)> {
    // Design: a pair row has ones at i and j; a diagonal row has a one at i
    // (rsatoolbox halves the doubled diagonal indicator).
    let mut normal = Mat::<f64>::zeros(n, n);
    let mut rhs = vec![0.0; n];
    for ((&(i, j), &d), _) in pairs.iter().zip(rdm).zip(keep).filter(|(_, k)| **k) {
        let e = -0.5 * d;
        for (r, c) in [(i, i), (j, j), (i, j), (j, i)] {
            normal[(r, c)] += 0.5;
        }
        rhs[i] += e;
        rhs[j] += e;
    }
    for i in 0..n {
        normal[(i, i)] += 1.0;
    }
    let llt = normal.llt(Side::Lower).map_err(|_| Error::InvalidRdm {
        detail: "too many missing dissimilarities to whiten the RDM".into(),
    })?;
    let rhs = Mat::from_fn(n, 1, |i, _| rhs[i]);
    let a = llt.solve(rhs);
    let off = pairs
        .iter()
        .zip(rdm)
        .map(|(&(i, j), &d)| -0.5 * d - 0.5 * (a[(i, 0)] + a[(j, 0)]))
        .collect();
    let diag = (0..n).map(|i| -a[(i, 0)]).collect();
    Ok((off, diag))
}

/// The symmetric square root of a positive semi-definite matrix (negative
/// eigenvalues from rounding are clipped to 0, as rsatoolbox).
fn psd_sqrt(g: MatRef<'_, f64>) -> Result<Mat<f64>> {
    let eig = g
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| Error::internal(format!("eigendecomposition failed: {e:?}")))?;
    let (u, s) = (eig.U(), eig.S());
    let n = g.nrows();
    let scaled = Mat::from_fn(n, n, |i, j| u[(i, j)] * s[j].max(0.0).sqrt());
    let mut root = Mat::zeros(n, n);
    matmul(
        root.as_mut(),
        Accum::Replace,
        scaled.as_ref(),
        u.transpose(),
        1.0,
        Par::Seq,
    );
    Ok(root)
}

/// Σ singular values of A B.
fn nuclear_norm_of_product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let product = a * b;
    product
        .singular_values()
        .map(|s| s.iter().sum())
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo(seed: u64, len: usize) -> Vec<f64> {
        let x = crate::testing::gaussian(len, 1, seed);
        (0..len).map(|i| x[(i, 0)].abs()).collect()
    }

    #[test]
    fn correlations_of_an_rdm_with_itself_are_one() {
        // A Euclidean RDM of points in more dimensions than conditions, so
        // its second-moment matrix is positive definite (bures, neg_riem_dist).
        let x = crate::testing::gaussian(10, 12, 1);
        let v = crate::rsa::rdm(
            x.as_ref(),
            &crate::rsa::RdmSpec::new(crate::rsa::RdmMethod::Euclidean),
        )
        .unwrap();
        for method in <CompareMethod as crate::choice::Choice>::OPTIONS
            .iter()
            .map(|o| o.value)
        {
            let r = compare(&[&v], &[&v], method, None).unwrap()[(0, 0)];
            let expected = match method {
                CompareMethod::BuresMetric | CompareMethod::NegRiemDist => 0.0,
                _ => 1.0,
            };
            // rho_a of an untied vector with itself is exactly 1.
            assert!((r - expected).abs() < 1e-10, "{method:?}: {r}");
        }
    }

    #[test]
    fn nan_rules() {
        let mut a = pseudo(2, 10);
        let mut b = pseudo(3, 10);
        a[3] = f64::NAN;
        let e = compare(&[&a], &[&b], CompareMethod::Corr, None).unwrap_err();
        assert!(e.to_string().contains("different positions"), "{e}");
        b[3] = f64::NAN;
        let r = compare(&[&a], &[&b], CompareMethod::Corr, None).unwrap();
        assert!(r[(0, 0)].is_finite());
        let short = pseudo(4, 6);
        let e = compare(&[&a], &[&short], CompareMethod::Corr, None).unwrap_err();
        assert!(e.to_string().contains("different sizes"), "{e}");
    }

    #[test]
    fn weighted_projection_equals_double_centring_when_complete() {
        let v = pseudo(5, 21);
        let keep = vec![true; 21];
        let pairs: Vec<(usize, usize)> = (0..7)
            .flat_map(|i| (i + 1..7).map(move |j| (i, j)))
            .collect();
        let (off, diag) = remove_condition_effects(&v, &keep, &pairs, 7).unwrap();
        let g = gower(&v, false).unwrap();
        for (k, &(i, j)) in pairs.iter().enumerate() {
            assert!((off[k] - g[(i, j)]).abs() < 1e-12);
        }
        for (i, d) in diag.iter().enumerate() {
            assert!((d - g[(i, i)]).abs() < 1e-12);
        }
    }
}
