//! CKA with a Gaussian (RBF) kernel, and minibatch CKA.
//!
//! - `rbf_cka`: Kornblith et al. (2019), ICML, section 3 and their
//!   `gram_rbf`: K_ij = exp(−‖xᵢ − xⱼ‖² / (2σ²)) with
//!   σ = threshold · √(median squared distance), then CKA of the centred
//!   Gram matrices, ⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖). Kornblith take the median
//!   over the whole n × n matrix, zero diagonal included; others take it
//!   over the pairs only: parameter `median` = `with_diagonal` (default) |
//!   `pairs`.
//! - `minibatch_cka`: Nguyen, Raghu & Kornblith (2021), "Do Wide and Deep
//!   Networks Learn the Same Things?", ICLR, eq. (3): with a linear kernel
//!   and the unbiased HSIC₁ of Song et al. (2012) on each minibatch of
//!   stimuli (consecutive rows, `batch_size`, in the given order),
//!   CKA = Σ_b HSIC₁(K_b, L_b) / √(Σ_b HSIC₁(K_b, K_b) Σ_b HSIC₁(L_b, L_b)).
//!   A final batch shorter than `batch_size` is kept when it has at least
//!   4 rows (HSIC₁ needs 4), dropped otherwise.

use super::Footprint;
use faer::{Mat, Par};

use super::params::{choice_param, number_param};
use super::{Invariance, Kind, Measure, MeasureInfo, Params, PrepareContext};
use crate::data::RepRef;
use crate::error::{Error, Result};
use crate::linalg::packed::{PackedSymmetric, block_dots_of};
use crate::linalg::{double_centre, gram, lower_gram};
use crate::stats::quantile::median_of;

fn number(params: &Params, measure: &str, key: &str, default: f64) -> Result<f64> {
    number_param(
        params,
        measure,
        key,
        default,
        |v| v.is_finite() && v > 0.0,
        "a positive number",
    )
}

crate::choice! {
    /// Where the median of the squared distances is taken.
    pub enum MedianOver: "median of the squared distances" {
        /// All n² entries, the zero diagonal included (Kornblith's `gram_rbf`).
        WithDiagonal = "with_diagonal",
        /// The n(n − 1)/2 distinct pairs only.
        Pairs = "pairs",
    }
}

/// CKA with an RBF kernel.
#[derive(Clone, Debug)]
pub struct RbfCka {
    pub threshold: f64,
    pub median: MedianOver,
}

pub(crate) const RBF_CKA_INFO: MeasureInfo = MeasureInfo {
    name: "rbf_cka",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "CKA with a Gaussian kernel, sigma = threshold * sqrt(median squared distance)",
    reference: "Kornblith et al. 2019, ICML (gram_rbf)",
    range: Some((0.0, 1.0)),
    identical: Some(1.0),
    cost: "O(n²·d) to prepare, O(n²) per pair",
};

impl RbfCka {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let median = choice_param(params, "rbf_cka", "median", MedianOver::WithDiagonal)?;
        Ok(Self {
            threshold: number(params, "rbf_cka", "threshold", 1.0)?,
            median,
        })
    }
}

/// A centred kernel matrix, packed, with its own inner product.
pub struct CenteredKernel {
    k: PackedSymmetric,
    self_dot: f64,
}

fn centre_and_pack(mut k: Mat<f64>, name: &str, measure: &str) -> Result<CenteredKernel> {
    double_centre(&mut k);
    let k = PackedSymmetric::from_lower(k.as_ref());
    let self_dot = k.dot(&k);
    if self_dot == 0.0 {
        return Err(Error::Undefined {
            measure: measure.into(),
            array: name.into(),
            detail: "its centred kernel matrix is zero (all stimuli identical)".into(),
        });
    }
    Ok(CenteredKernel { k, self_dot })
}

impl Measure for RbfCka {
    type Prepared = CenteredKernel;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        // Full Gram, the sorted distances and the kernel; the packed kernel kept.
        Footprint::packed(n, d, 3.0, true)
    }

    fn info(&self) -> &MeasureInfo {
        &RBF_CKA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<CenteredKernel> {
        let n = x.x.nrows();
        if n < 2 {
            return Err(Error::Undefined {
                measure: "rbf_cka".into(),
                array: x.name.into(),
                detail: "it needs at least 2 stimuli".into(),
            });
        }
        let g = gram(x.x, ctx.par);
        let d2 = |i: usize, j: usize| (g[(i, i)] + g[(j, j)] - 2.0 * g[(i, j)]).max(0.0);
        let mut pairs: Vec<f64> = (0..n)
            .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
            .map(|(i, j)| d2(i, j))
            .collect();
        pairs.sort_unstable_by(f64::total_cmp);
        let median = match self.median {
            MedianOver::Pairs => median_of(pairs.len(), |t| pairs[t]),
            // n zeros, then every pair twice.
            MedianOver::WithDiagonal => {
                median_of(n * n, |t| if t < n { 0.0 } else { pairs[(t - n) / 2] })
            }
        };
        if median <= 0.0 {
            return Err(Error::Undefined {
                measure: "rbf_cka".into(),
                array: x.name.into(),
                detail: "the median squared distance is 0, so the bandwidth is 0; use \
                         median=pairs or remove duplicate stimuli"
                    .into(),
            });
        }
        let two_sigma_sq = 2.0 * self.threshold * self.threshold * median;
        let k = Mat::from_fn(n, n, |i, j| (-d2(i, j) / two_sigma_sq).exp());
        centre_and_pack(k, x.name, "rbf_cka")
    }

    fn score(&self, a: &CenteredKernel, b: &CenteredKernel, _par: Par) -> Result<f64> {
        super::check_same_n(a.k.n(), b.k.n())?;
        let dot = if std::ptr::eq(a, b) {
            a.self_dot
        } else {
            a.k.dot(&b.k)
        };
        Ok(dot / (a.self_dot.sqrt() * b.self_dot.sqrt()))
    }

    fn score_block(
        &self,
        a: &[&CenteredKernel],
        b: &[&CenteredKernel],
        pairs: &[(usize, usize)],
        par: Par,
    ) -> Option<Result<Vec<f64>>> {
        let dots = block_dots_of(a, b, pairs, par, |c| &c.k)?;
        Some(Ok(pairs
            .iter()
            .zip(dots)
            .map(|(&(i, j), d)| d / (a[i].self_dot.sqrt() * b[j].self_dot.sqrt()))
            .collect()))
    }
}

/// Minibatch CKA with a linear kernel.
#[derive(Clone, Debug)]
pub struct MinibatchCka {
    pub batch_size: usize,
}

pub(crate) const MINIBATCH_CKA_INFO: MeasureInfo = MeasureInfo {
    name: "minibatch_cka",
    kind: Kind::Similarity,
    needs_same_dim: false,
    symmetric: true,
    invariances: &[
        Invariance::Permutation,
        Invariance::Orthogonal,
        Invariance::IsotropicScaling,
        Invariance::Translation,
    ],
    summary: "linear CKA from unbiased HSIC summed over minibatches of stimuli (batch_size)",
    reference: "Nguyen, Raghu & Kornblith 2021, ICLR, eq. (3)",
    range: None,
    identical: Some(1.0),
    cost: "O(n·b·d) with batches of b stimuli",
};

impl MinibatchCka {
    pub(crate) fn from_params(params: &Params) -> Result<Self> {
        let b = number(params, "minibatch_cka", "batch_size", 256.0)?;
        if b.fract() != 0.0 || b < 4.0 {
            return Err(Error::InvalidParameter {
                measure: "minibatch_cka".into(),
                detail: format!("batch_size must be a whole number ≥ 4, got {b}"),
            });
        }
        Ok(Self {
            batch_size: b as usize,
        })
    }

    fn batches(&self, n: usize) -> Vec<(usize, usize)> {
        (0..n)
            .step_by(self.batch_size)
            .map(|s| (s, (s + self.batch_size).min(n)))
            .filter(|(s, e)| e - s >= 4)
            .collect()
    }
}

/// One batch's Gram matrix with a zero diagonal, and its sums.
struct Batch {
    k: Mat<f64>,
    /// K̃ 1.
    row_sums: Vec<f64>,
    /// 1ᵀ K̃ 1.
    total: f64,
}

impl Batch {
    fn new(x: faer::MatRef<'_, f64>, par: Par) -> Self {
        let mut k = Mat::zeros(x.nrows(), x.nrows());
        let lower = lower_gram(x, par);
        let n = x.nrows();
        for j in 0..n {
            for i in j + 1..n {
                k[(i, j)] = lower[(i, j)];
                k[(j, i)] = lower[(i, j)];
            }
        }
        let row_sums: Vec<f64> = (0..n).map(|i| k.col(i).iter().sum()).collect();
        let total = row_sums.iter().sum();
        Self { k, row_sums, total }
    }

    /// Song et al. (2012) eq. (5): the unbiased HSIC₁ of two batches.
    fn hsic(&self, other: &Batch) -> f64 {
        let n = self.k.nrows() as f64;
        let trace = crate::linalg::frobenius_dot(self.k.as_ref(), other.k.as_ref());
        let cross: f64 = self
            .row_sums
            .iter()
            .zip(&other.row_sums)
            .map(|(a, b)| a * b)
            .sum();
        (trace + self.total * other.total / ((n - 1.0) * (n - 2.0)) - 2.0 / (n - 2.0) * cross)
            / (n * (n - 3.0))
    }
}

/// Per-batch Gram matrices and the summed self-HSIC.
pub struct PreparedBatches {
    batches: Vec<Batch>,
    self_hsic: f64,
    /// Stimuli in all batches.
    n: usize,
}

impl Measure for MinibatchCka {
    type Prepared = PreparedBatches;

    fn footprint(&self, n: usize, d: usize, _partners: usize) -> Footprint {
        let b = self.batch_size.min(n) as f64;
        let (n, d) = (n as f64, d as f64);
        // One full b × b Gram per batch kept, two being built.
        Footprint {
            kept: n * b + n,
            prepare: 2.0 * b * b,
            score: 0.0,
            prepare_flops: n * b * d,
            score_flops: 2.0 * n * b,
            block_scored: false,
        }
    }

    fn info(&self) -> &MeasureInfo {
        &MINIBATCH_CKA_INFO
    }

    fn prepare(&self, x: RepRef<'_>, ctx: &PrepareContext) -> Result<PreparedBatches> {
        let spans = self.batches(x.x.nrows());
        if spans.is_empty() {
            return Err(Error::Undefined {
                measure: "minibatch_cka".into(),
                array: x.name.into(),
                detail: format!(
                    "it has {} stimuli; a minibatch needs at least 4",
                    x.x.nrows()
                ),
            });
        }
        let batches: Vec<Batch> = spans
            .iter()
            .map(|&(s, e)| Batch::new(x.x.subrows(s, e - s), ctx.par))
            .collect();
        let self_hsic: f64 = batches.iter().map(|b| b.hsic(b)).sum();
        if self_hsic <= 0.0 {
            return Err(Error::Undefined {
                measure: "minibatch_cka".into(),
                array: x.name.into(),
                detail: format!(
                    "its summed unbiased HSIC with itself is {self_hsic:e}, not positive"
                ),
            });
        }
        Ok(PreparedBatches {
            batches,
            self_hsic,
            n: x.x.nrows(),
        })
    }

    fn score(&self, a: &PreparedBatches, b: &PreparedBatches, _par: Par) -> Result<f64> {
        super::check_same_n(a.n, b.n)?;
        let hsic: f64 = if std::ptr::eq(a, b) {
            a.self_hsic
        } else {
            a.batches
                .iter()
                .zip(&b.batches)
                .map(|(x, y)| x.hsic(y))
                .sum()
        };
        Ok(hsic / (a.self_hsic.sqrt() * b.self_hsic.sqrt()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::cka::DebiasedCka;
    use crate::measures::similarity;
    use crate::testing::gaussian;

    fn rep<'a>(name: &'a str, x: &'a Mat<f64>) -> RepRef<'a> {
        RepRef {
            name,
            x: x.as_ref(),
        }
    }

    #[test]
    fn one_batch_minibatch_cka_is_debiased_cka() {
        let x = gaussian(30, 4, 1);
        let y = &x * gaussian(4, 6, 2) + gaussian(30, 6, 3);
        let one = MinibatchCka { batch_size: 30 };
        let a = similarity(rep("x", &x), rep("y", &y), &one).unwrap();
        let b = similarity(rep("x", &x), rep("y", &y), &DebiasedCka::default()).unwrap();
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        // Batches of 8: 30 = 8 + 8 + 8 + 6 (the last, with ≥ 4 rows, is kept).
        assert_eq!(MinibatchCka { batch_size: 8 }.batches(30).len(), 4);
        assert_eq!(MinibatchCka { batch_size: 8 }.batches(27).len(), 3);
    }

    #[test]
    fn rbf_cka_medians_and_a_direct_computation() {
        let x = gaussian(12, 3, 4);
        let y = gaussian(12, 5, 5);
        let direct = |m: &Mat<f64>, with_diag: bool| -> Mat<f64> {
            let n = m.nrows();
            let d2 = |i: usize, j: usize| {
                (0..m.ncols())
                    .map(|c| (m[(i, c)] - m[(j, c)]).powi(2))
                    .sum::<f64>()
            };
            let mut all: Vec<f64> = Vec::new();
            for i in 0..n {
                for j in 0..n {
                    if with_diag || i != j {
                        all.push(d2(i, j));
                    }
                }
            }
            all.sort_by(f64::total_cmp);
            let med = median_of(all.len(), |t| all[t]);
            let k = Mat::from_fn(n, n, |i, j| (-d2(i, j) / (2.0 * 0.5 * 0.5 * med)).exp());
            let h = Mat::from_fn(n, n, |i, j| f64::from(u8::from(i == j)) - 1.0 / n as f64);
            &h * k * &h
        };
        for (median, with_diag) in [(MedianOver::WithDiagonal, true), (MedianOver::Pairs, false)] {
            let (kx, ky) = (direct(&x, with_diag), direct(&y, with_diag));
            let dot =
                |a: &Mat<f64>, b: &Mat<f64>| crate::linalg::frobenius_dot(a.as_ref(), b.as_ref());
            let expected = dot(&kx, &ky) / (dot(&kx, &kx).sqrt() * dot(&ky, &ky).sqrt());
            let m = RbfCka {
                threshold: 0.5,
                median,
            };
            let ours = similarity(rep("x", &x), rep("y", &y), &m).unwrap();
            assert!((ours - expected).abs() < 1e-12, "{ours} vs {expected}");
        }
    }
}
