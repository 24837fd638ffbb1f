//! RDMs of unbalanced designs (rsatoolbox's `calc_rdm_unbalanced`): the
//! conditions need not be measured equally often, and measurements may miss
//! channels (NaN).
//!
//! Every pair of measurements (i, j) gives a similarity sᵢⱼ = xᵢ Λ xⱼᵀ over
//! the channels both measure (Λ the noise precision, identity by default)
//! with a weight wᵢⱼ, the number of those channels. The similarities are
//! pooled per pair of conditions (a, b), and so are the weights:
//!
//! ```text
//! S_ab = Σ sᵢⱼ / Σ wᵢⱼ        ("number" weighting: measurements with more
//!                              channels count more)
//! S_ab = mean of sᵢⱼ / wᵢⱼ    ("equal" weighting)
//! d(a, b) = S_aa + S_bb − 2 S_ab
//! ```
//!
//! over the pairs i ∈ a, j ∈ b. For `correlation` the similarity of a
//! pair is half its Pearson correlation per channel (so one measurement
//! per condition gives 1 − r), and for `poisson` it is
//! Σ (xⱼ − xᵢ)(log xᵢ − log xⱼ)/2 of the prior-smoothed rates. With
//! missing channels every similarity is over the channels the pair shares
//! (the correlation's means and variances too), weighted by their number;
//! a pair that shares fewer than 2 channels, or is constant over them, has
//! no correlation and is left out. (rsatoolbox 0.3.2's correlation with
//! missing channels centres and scales by the total channel count, so its
//! values are not correlations over the shared channels; repscope follows
//! the definition.) Without folds every pair counts, a
//! measurement with itself at half weight (so S_aa is the mean over all
//! ordered pairs, and with complete data d is the squared Euclidean
//! distance of the condition means per channel, as `rdm` gives). With
//! folds, only pairs from different folds count: the distances are
//! cross-validated (crossnobis), unbiased by noise shared within a fold.

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

use super::condensed::n_pairs;
use crate::error::{Error, Result};

/// How pairs of measurements are pooled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// By the number of channels both measure.
    Number,
    /// Every pair equally.
    Equal,
}

/// The similarity of a pair of measurements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Similarity {
    /// Inner product (through the precision, when given).
    Inner,
    /// Half the Pearson correlation, per channel.
    Correlation,
    /// The Poisson (KL) similarity of rates smoothed by a prior rate λ
    /// with weight w: (x + λw)/(1 + w).
    Poisson {
        prior_lambda: f64,
        prior_weight: f64,
    },
}

/// Everything an unbalanced RDM takes besides the data and conditions.
#[derive(Clone, Copy, Debug)]
pub struct UnbalancedSpec<'a> {
    pub similarity: Similarity,
    /// Noise precision (channels × channels); identity when absent. Needs
    /// complete measurements (no NaN).
    pub precision: Option<MatRef<'a, f64>>,
    /// Fold of each measurement: only pairs from different folds count.
    pub folds: Option<&'a [usize]>,
    pub weighting: Weighting,
}

/// The condensed RDM of `k` conditions (codes 0..k per row of `x`).
pub fn rdm_unbalanced(
    x: MatRef<'_, f64>,
    conditions: &[usize],
    k: usize,
    spec: &UnbalancedSpec<'_>,
) -> Result<Vec<f64>> {
    let (n, p) = (x.nrows(), x.ncols());
    let bad = |detail: String| Error::InvalidParameter {
        measure: "unbalanced RDM".into(),
        detail,
    };
    if conditions.len() != n {
        return Err(Error::ShapeMismatch {
            what: "condition labels".into(),
            expected: n,
            found: conditions.len(),
        });
    }
    if let Some(f) = spec.folds
        && f.len() != n
    {
        return Err(Error::ShapeMismatch {
            what: "fold labels".into(),
            expected: n,
            found: f.len(),
        });
    }
    if k < 2 {
        return Err(bad(format!("needs at least 2 conditions, got {k}")));
    }
    if p == 0 {
        return Err(bad("the measurements have no channels (0 columns)".into()));
    }
    if let Some((i, j)) =
        (0..n).find_map(|i| (0..p).find(|&j| x[(i, j)].is_infinite()).map(|j| (i, j)))
    {
        return Err(bad(format!(
            "measurement {i}, channel {j} is infinite; missing values are NaN"
        )));
    }
    let has_nan = (0..n).any(|i| (0..p).any(|j| x[(i, j)].is_nan()));
    if let Some(l) = spec.precision {
        if has_nan {
            return Err(bad(
                "a noise precision needs complete measurements (no NaN channels)".into(),
            ));
        }
        if l.nrows() != p || l.ncols() != p {
            return Err(Error::ShapeMismatch {
                what: "noise precision (channels × channels)".into(),
                expected: p,
                found: l.nrows(),
            });
        }
    }
    // The channels each pair shares (all of them without NaN).
    let mask = Mat::from_fn(n, p, |i, j| f64::from(u8::from(!x[(i, j)].is_nan())));
    let filled = Mat::from_fn(n, p, |i, j| {
        let v = x[(i, j)];
        if v.is_nan() { 0.0 } else { v }
    });
    let mut weights = if has_nan {
        Some(product(mask.as_ref(), mask.as_ref()))
    } else {
        None
    };
    // Similarities and weights of every pair, by products.
    let sims = match spec.similarity {
        Similarity::Inner => {
            let right = match spec.precision {
                Some(l) => &filled * l,
                None => filled.clone(),
            };
            product(right.as_ref(), filled.as_ref())
        }
        Similarity::Correlation if has_nan => {
            let w = weights
                .as_mut()
                .ok_or_else(|| Error::internal("pair weights"))?;
            shared_correlations(&filled, &mask, w)
        }
        Similarity::Correlation => {
            // Unit, centred patterns (as `rdm`'s correlation) scaled so a
            // pair's product is r·p/2: half its correlation per channel.
            let z = super::dissimilarity::unit_columns(x.transpose(), true, "correlation", false)?;
            let scale = (p as f64 / 2.0).sqrt();
            let rows = Mat::from_fn(n, p, |i, j| z[(j, i)] * scale);
            product(rows.as_ref(), rows.as_ref())
        }
        Similarity::Poisson {
            prior_lambda,
            prior_weight,
        } => {
            let shift = prior_lambda * prior_weight;
            let rates = Mat::from_fn(n, p, |i, j| (x[(i, j)] + shift) / (1.0 + prior_weight));
            if let Some((i, j)) =
                (0..n).find_map(|i| (0..p).find(|&j| rates[(i, j)] <= 0.0).map(|j| (i, j)))
            {
                return Err(bad(format!(
                    "measurement {i}, channel {j}: the prior-smoothed rate is {} ≤ 0; poisson \
                     needs non-negative counts",
                    rates[(i, j)]
                )));
            }
            // Missing channels are 0 in the rates and their logs, so
            // every product below sums over the channels a pair shares:
            // K_ij = Σ x_i log x_j, E_ij = Σ_shared x_i log x_i, and
            // sim_ij = (K_ij + K_ji − E_ij − E_ji)/2.
            let known = |i: usize, j: usize| !x[(i, j)].is_nan();
            let rates = Mat::from_fn(n, p, |i, j| if known(i, j) { rates[(i, j)] } else { 0.0 });
            let logs = Mat::from_fn(
                n,
                p,
                |i, j| {
                    if known(i, j) { rates[(i, j)].ln() } else { 0.0 }
                },
            );
            let own = Mat::from_fn(n, p, |i, j| rates[(i, j)] * logs[(i, j)]);
            let k = product(rates.as_ref(), logs.as_ref());
            let e = product(own.as_ref(), mask.as_ref());
            Mat::from_fn(n, n, |i, j| {
                (k[(i, j)] + k[(j, i)] - e[(i, j)] - e[(j, i)]) / 2.0
            })
        }
    };
    let weight = |i: usize, j: usize| weights.as_ref().map_or(p as f64, |w| w[(i, j)]);
    // Pooled per cell: the k diagonal cells, then the pairs (a < b).
    let cell = |a: usize, b: usize| {
        if a == b {
            a
        } else {
            let (a, b) = (a.min(b), a.max(b));
            k + super::condensed::pair_index(k, a, b)
        }
    };
    let cells = k + n_pairs(k);
    let (mut value, mut total) = (vec![0.0; cells], vec![0.0; cells]);
    for i in 0..n {
        for j in i..n {
            let crossed = spec.folds.is_none_or(|f| f[i] != f[j]);
            if !crossed {
                continue;
            }
            let (s, w) = (sims[(i, j)], weight(i, j));
            if w <= 0.0 {
                continue;
            }
            // A measurement with itself counts half (each ordered pair once).
            let half = if i == j { 0.5 } else { 1.0 };
            let c = cell(conditions[i], conditions[j]);
            match spec.weighting {
                Weighting::Number => {
                    value[c] += half * s;
                    total[c] += half * w;
                }
                Weighting::Equal => {
                    value[c] += half * s / w;
                    total[c] += half;
                }
            }
        }
    }
    let pooled: Vec<f64> = value
        .iter()
        .zip(&total)
        .map(|(v, t)| if *t > 0.0 { v / t } else { f64::NAN })
        .collect();
    let mut out = Vec::with_capacity(n_pairs(k));
    for a in 0..k {
        for b in a + 1..k {
            out.push(pooled[a] + pooled[b] - 2.0 * pooled[cell(a, b)]);
        }
    }
    Ok(out)
}

/// Half the Pearson correlation of each pair of measurements over the
/// channels both measure, times their number (so the "number" weighting
/// averages r/2 by shared channels). A pair sharing fewer than 2 channels,
/// or constant over them, has no correlation: its weight in `w` becomes 0.
fn shared_correlations(filled: &Mat<f64>, mask: &Mat<f64>, w: &mut Mat<f64>) -> Mat<f64> {
    let (n, p) = (filled.nrows(), filled.ncols());
    // Each measurement centred on its own mean (a shift leaves every
    // correlation unchanged and keeps the sums below well conditioned).
    let centred = Mat::from_fn(n, p, |i, j| {
        let count: f64 = (0..p).map(|c| mask[(i, c)]).sum();
        let mean = (0..p).map(|c| filled[(i, c)]).sum::<f64>() / count.max(1.0);
        (filled[(i, j)] - mean) * mask[(i, j)]
    });
    let squares = Mat::from_fn(n, p, |i, j| centred[(i, j)].powi(2));
    // Over the shared channels of (i, j): Σx_i, Σx_i², Σx_i x_j.
    let sums = product(centred.as_ref(), mask.as_ref());
    let sums2 = product(squares.as_ref(), mask.as_ref());
    let cross = product(centred.as_ref(), centred.as_ref());
    Mat::from_fn(n, n, |i, j| {
        let shared = w[(i, j)];
        let (si, sj) = (sums[(i, j)], sums[(j, i)]);
        let var_i = sums2[(i, j)] - si * si / shared;
        let var_j = sums2[(j, i)] - sj * sj / shared;
        // Constant over the shared channels: zero variance up to rounding.
        let flat = |var: f64, total: f64| var <= 1e-12 * total;
        if shared < 2.0 || flat(var_i, sums2[(i, j)]) || flat(var_j, sums2[(j, i)]) {
            w[(i, j)] = 0.0;
            return 0.0;
        }
        let r = (cross[(i, j)] - si * sj / shared) / (var_i * var_j).sqrt();
        r * shared / 2.0
    })
}

/// A Bᵀ.
fn product(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut out = Mat::<f64>::zeros(a.nrows(), b.nrows());
    matmul(
        out.as_mut(),
        Accum::Replace,
        a,
        b.transpose(),
        1.0,
        Par::rayon(0),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rsa::{RdmMethod, RdmSpec, rdm};

    #[test]
    fn balanced_complete_data_give_the_euclidean_rdm_of_condition_means() {
        let x = Mat::from_fn(12, 5, |i, j| ((i * 7 + j * 3) % 11) as f64 - 4.0);
        let conditions: Vec<usize> = (0..12).map(|i| i % 4).collect();
        let spec = UnbalancedSpec {
            similarity: Similarity::Inner,
            precision: None,
            folds: None,
            weighting: Weighting::Number,
        };
        let ours = rdm_unbalanced(x.as_ref(), &conditions, 4, &spec).unwrap();
        let balanced = rdm(
            x.as_ref(),
            &RdmSpec {
                conditions: Some(&conditions),
                ..RdmSpec::new(RdmMethod::Euclidean)
            },
        )
        .unwrap();
        for (a, b) in ours.iter().zip(&balanced) {
            assert!((a - b).abs() < 1e-12, "{a} {b}");
        }
    }
}
